/* ir/print_json.c — machine-readable dump; the format is documented in docs/dump-json.md.
 * One object per line for tensors and nodes, so the output also diffs well. Strings are
 * escaped per RFC 8259 (invalid UTF-8 becomes U+FFFD); non-finite floats are strings. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "print.h"
#include "print_util.h"

enum { MAX_VALUES = 1024, SMALL_CONST = 16 };

static void put_str_n(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; s && i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = 1;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (c < 0x20) fprintf(f, "\\u%04x", c);
            else if (c < 0x80) fputc(c, f);
            else if ((len = odin_pr_utf8_len((const unsigned char *)s + i, n - i)))
                fwrite(s + i, 1, len, f);
            else {
                fputs("\\ufffd", f);
                len = 1;
            }
        }
        i += len;
    }
    fputc('"', f);
}

static void put_str(FILE *f, const char *s) {
    if (!s) fputs("null", f);
    else put_str_n(f, s, strlen(s));
}

/* A float as JSON: always with a '.' or exponent so readers can tell it from an int. */
static void put_float(FILE *f, double x) {
    if (isnan(x)) {
        fputs("\"nan\"", f);
        return;
    }
    if (isinf(x)) {
        fputs(x > 0 ? "\"inf\"" : "\"-inf\"", f);
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.9g", x);
    fputs(buf, f);
    if (!strpbrk(buf, ".eE")) fputs(".0", f);
}

static void put_shape(FILE *f, int rank, const int64_t *dims, const char *const *dim_params) {
    if (rank < 0 || rank > ODIN_MAX_RANK) {
        fputs("\"shape\": null, \"dim_params\": null", f);
        return;
    }
    fputs("\"shape\": [", f);
    for (int i = 0; i < rank; i++) fprintf(f, "%s%" PRId64, i ? ", " : "", dims[i]);
    fputs("], \"dim_params\": [", f);
    for (int i = 0; i < rank; i++) {
        if (i) fputs(", ", f);
        put_str(f, dim_params ? dim_params[i] : NULL);
    }
    fputs("]", f);
}

static void put_values(FILE *f, const void *data, odin_dtype dt, int64_t numel) {
    fputs("[", f);
    for (int64_t i = 0; i < numel; i++) {
        if (i) fputs(", ", f);
        if (dt == ODIN_STRING) put_str(f, ((const char *const *)data)[i]);
        else if (odin_dtype_is_float(dt)) put_float(f, odin_load_as_f64(data, dt, (size_t)i));
        else fprintf(f, "%" PRId64, odin_load_as_i64(data, dt, (size_t)i));
    }
    fputs("]", f);
}

static bool valid_dtype(odin_dtype dt) {
    return dt != ODIN_UNDEFINED && (unsigned)dt < ODIN_DTYPE_COUNT;
}

static void put_attr(FILE *f, const odin_attr *a) {
    int cnt = a->count > 0 ? a->count : 0;
    switch (a->kind) {
    case ODIN_ATTR_INT: fprintf(f, "%" PRId64, a->i); return;
    case ODIN_ATTR_FLOAT: put_float(f, a->f); return;
    case ODIN_ATTR_STRING: put_str_n(f, a->s, a->s ? (a->s_len ? a->s_len : strlen(a->s)) : 0); return;
    case ODIN_ATTR_INTS:
    case ODIN_ATTR_FLOATS:
    case ODIN_ATTR_STRINGS:
        fputs("[", f);
        for (int i = 0; i < cnt; i++) {
            if (i) fputs(", ", f);
            if (a->kind == ODIN_ATTR_INTS) fprintf(f, "%" PRId64, a->ints ? a->ints[i] : 0);
            else if (a->kind == ODIN_ATTR_FLOATS) put_float(f, a->floats ? a->floats[i] : 0);
            else put_str(f, a->strings ? a->strings[i] : NULL);
        }
        fputs("]", f);
        return;
    case ODIN_ATTR_TENSOR: {
        int64_t numel = a->t.rank <= ODIN_MAX_RANK ? odin_value_numel(&a->t) : -1;
        fputs("{\"dtype\": ", f);
        put_str(f, odin_dtype_name(a->t.dtype));
        fputs(", ", f);
        put_shape(f, a->t.rank, a->t.dims, NULL);
        fprintf(f, ", \"numel\": %" PRId64, numel);
        if (a->t.data && numel >= 0 && numel <= MAX_VALUES && valid_dtype(a->t.dtype)) {
            fputs(", \"values\": ", f);
            put_values(f, a->t.data, a->t.dtype, numel);
        }
        fputs("}", f);
        return;
    }
    default: fputs("null", f); return;
    }
}

static void put_io(const odin_graph *g, FILE *f, const char *key, const int *list, int n) {
    fprintf(f, "  \"%s\": [", key);
    for (int i = 0; i < n; i++) {
        int t = list[i];
        char nb[64];
        fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
        put_str(f, odin_pr_tensor_name(g, t, nb, sizeof nb));
        if (t >= 0 && t < g->n_tensors) {
            const odin_tensor *tt = &g->tensors[t];
            fprintf(f, ", \"index\": %d, \"dtype\": ", t);
            put_str(f, odin_dtype_name(tt->dtype));
            fputs(", ", f);
            put_shape(f, tt->rank, tt->dims, tt->dim_params);
        }
        fputs("}", f);
    }
    fputs(n ? "\n  ],\n" : "],\n", f);
}

static void put_tensor(const odin_graph *g, int t, FILE *f) {
    const odin_tensor *tt = &g->tensors[t];
    fprintf(f, "    {\"index\": %d, \"name\": ", t);
    put_str(f, tt->name);
    fputs(", \"dtype\": ", f);
    put_str(f, odin_dtype_name(tt->dtype));
    fputs(", ", f);
    put_shape(f, tt->rank, tt->dims, tt->dim_params);
    fprintf(f, ", \"input\": %s, \"output\": %s, \"constant\": %s",
            tt->flags & ODIN_TENSOR_INPUT ? "true" : "false",
            tt->flags & ODIN_TENSOR_OUTPUT ? "true" : "false",
            tt->flags & ODIN_TENSOR_CONST ? "true" : "false");
    if (tt->producer >= 0) fprintf(f, ", \"producer\": %d", tt->producer);
    else fputs(", \"producer\": null", f);
    if (tt->flags & ODIN_TENSOR_CONST) {
        fprintf(f, ", \"nbytes\": %zu", tt->nbytes);
        int64_t numel = odin_tensor_numel(tt);
        size_t esz = odin_dtype_size(tt->dtype);
        int64_t avail = esz ? (int64_t)(tt->nbytes / esz) : 0;
        int64_t readable = numel < avail ? numel : avail;
        double lo, hi, mean;
        if (tt->data && readable >= 0 && readable <= SMALL_CONST && valid_dtype(tt->dtype)) {
            fputs(", \"values\": ", f);
            put_values(f, tt->data, tt->dtype, readable);
        }
        if (odin_pr_stats(tt->data, tt->dtype, readable, &lo, &hi, &mean)) {
            fputs(", \"stats\": {\"min\": ", f);
            put_float(f, lo);
            fputs(", \"max\": ", f);
            put_float(f, hi);
            fputs(", \"mean\": ", f);
            put_float(f, mean);
            fputs("}", f);
        }
    }
    fputs("}", f);
}

static void put_index_names(const odin_graph *g, FILE *f, const int *list, int n) {
    fputs("[", f);
    for (int i = 0; i < n; i++) {
        char nb[64];
        if (i) fputs(", ", f);
        if (list[i] == -1) fputs("null", f);
        else put_str(f, odin_pr_tensor_name(g, list[i], nb, sizeof nb));
    }
    fputs("]", f);
}

static void put_node(const odin_graph *g, int ni, FILE *f) {
    const odin_node *n = &g->nodes[ni];
    fprintf(f, "    {\"index\": %d, \"name\": ", ni);
    put_str(f, n->name);
    fputs(", \"op\": ", f);
    put_str(f, n->op);
    fputs(", \"domain\": ", f);
    put_str(f, n->domain ? n->domain : "");
    fprintf(f, ", \"supported\": %s, \"inputs\": ", n->def ? "true" : "false");
    put_index_names(g, f, n->inputs, n->n_inputs);
    fputs(", \"outputs\": ", f);
    put_index_names(g, f, n->outputs, n->n_outputs);
    fputs(", \"attrs\": {", f);
    for (int i = 0; i < n->n_attrs; i++) {
        if (i) fputs(", ", f);
        put_str(f, n->attrs[i].name ? n->attrs[i].name : "");
        fputs(": ", f);
        put_attr(f, &n->attrs[i]);
    }
    fputs("}}", f);
}

odin_status odin_graph_print_json(const odin_graph *g, FILE *f) {
    fputs("{\n  \"format\": \"odin-graph\",\n  \"version\": 1,\n  \"name\": ", f);
    put_str(f, g->name ? g->name : "");
    fprintf(f, ",\n  \"opset\": %d,\n  \"opset_ms\": %d,\n  \"meta\": {", g->opset, g->opset_ms);
    for (int i = 0; i < g->n_meta; i++) {
        if (i) fputs(", ", f);
        put_str(f, g->meta[i].key ? g->meta[i].key : "");
        fputs(": ", f);
        put_str(f, g->meta[i].value);
    }
    fputs("},\n", f);
    put_io(g, f, "inputs", g->inputs, g->n_inputs);
    put_io(g, f, "outputs", g->outputs, g->n_outputs);
    fputs("  \"tensors\": [", f);
    for (int t = 0; t < g->n_tensors; t++) {
        fputs(t ? ",\n" : "\n", f);
        put_tensor(g, t, f);
    }
    fputs(g->n_tensors ? "\n  ],\n  \"nodes\": [" : "],\n  \"nodes\": [", f);
    for (int i = 0; i < g->n_nodes; i++) {
        fputs(i ? ",\n" : "\n", f);
        put_node(g, i, f);
    }
    odin_graph_totals tot = odin_graph_count(g);
    fprintf(f, "%s  \"totals\": {\"nodes\": %d, \"tensors\": %d, \"constants\": %d, "
               "\"parameters\": %" PRId64 ", \"weight_bytes\": %" PRIu64 "}\n}\n",
            g->n_nodes ? "\n  ],\n" : "],\n", tot.nodes, tot.tensors, tot.constants,
            tot.parameters, tot.weight_bytes);
    if (ferror(f)) return odin_errorf("graph '%s': writing the JSON dump failed", g->name);
    return ODIN_OK;
}
