/* ir/serialize.c — writes an odin_graph as a .odin file (schema ir/odin.fbs): the
 * FlatBuffer first, then the data section of 64-byte aligned weight blobs.
 * Deterministic: the same graph always gives the same bytes (fields are written in a
 * fixed order, defaults and empty vectors are always omitted, padding is zero).
 * The reader lives in serialize_read.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb_builder.h"
#include "odin_format.h"
#include "serialize.h"

static uint64_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static odin_fb_ref str_ref(odin_fb_builder *b, const char *s) {
    return odin_fb_string(b, s ? s : "", s ? strlen(s) : 0);
}

/* Vector of strings; NULL entries are written as "". */
static odin_fb_ref strings_ref(odin_fb_builder *b, const char *const *ss, size_t n) {
    odin_fb_ref *refs = malloc(sizeof *refs * (n ? n : 1));
    if (!refs) {
        b->failed = true;
        return 0;
    }
    for (size_t i = 0; i < n; i++) refs[i] = str_ref(b, ss[i]);
    odin_fb_ref v = odin_fb_vector_refs(b, refs, n);
    free(refs);
    return v;
}

static odin_status write_tensor(odin_fb_builder *b, const odin_graph *g, int i, uint64_t offset,
                                odin_fb_ref *out) {
    const odin_tensor *t = &g->tensors[i];
    int code = odin_fb_dtype_code(t->dtype);
    if (code < 0) return odin_errorf("tensor %d '%s': invalid dtype %d", i, t->name, (int)t->dtype);
    if (t->rank > ODIN_MAX_RANK)
        return odin_errorf("tensor %d '%s': rank %d exceeds %d", i, t->name, t->rank,
                           ODIN_MAX_RANK);
    uint32_t flags = t->flags & (FB_FLAG_INPUT | FB_FLAG_OUTPUT | FB_FLAG_CONST);
    bool is_const = flags & FB_FLAG_CONST;
    odin_fb_ref name = str_ref(b, t->name);
    odin_fb_ref dims = 0, params = 0, sdata = 0;
    if (t->rank > 0) {
        dims = odin_fb_vector_scalars(b, t->dims, (size_t)t->rank, 8);
        bool any = false;
        for (int d = 0; d < t->rank; d++) any |= t->dim_params[d] != NULL;
        if (any) params = strings_ref(b, t->dim_params, (size_t)t->rank);
    }
    if (is_const && t->dtype == ODIN_STRING) {
        int64_t n = odin_tensor_numel(t);
        if (n < 0 || (n > 0 && !t->data))
            return odin_errorf("tensor %d '%s': string constant without a known shape and data",
                               i, t->name);
        sdata = strings_ref(b, (const char *const *)t->data, (size_t)n);
    }
    odin_fb_table_start(b);
    odin_fb_add_ref(b, TENSOR_NAME, name);
    if (code) odin_fb_add_scalar(b, TENSOR_DTYPE, (uint64_t)code, 1);
    if (t->rank < 0) odin_fb_add_scalar(b, TENSOR_UNKNOWN_RANK, 1, 1);
    if (dims) odin_fb_add_ref(b, TENSOR_DIMS, dims);
    if (params) odin_fb_add_ref(b, TENSOR_DIM_PARAMS, params);
    if (flags) odin_fb_add_scalar(b, TENSOR_FLAGS, flags, 4);
    if (is_const && t->dtype != ODIN_STRING && t->nbytes) {
        odin_fb_add_scalar(b, TENSOR_DATA_OFFSET, offset, 8);
        odin_fb_add_scalar(b, TENSOR_DATA_SIZE, t->nbytes, 8);
    }
    if (sdata) odin_fb_add_ref(b, TENSOR_STRING_DATA, sdata);
    *out = odin_fb_table_end(b);
    return ODIN_OK;
}

static odin_status write_attr_tensor(odin_fb_builder *b, const odin_value *v, odin_fb_ref *out) {
    int code = odin_fb_dtype_code(v->dtype);
    if (code < 0) return odin_errorf("invalid dtype %d", (int)v->dtype);
    if (v->rank > ODIN_MAX_RANK) return odin_errorf("rank %d exceeds %d", v->rank, ODIN_MAX_RANK);
    odin_fb_ref dims = 0, data = 0;
    if (v->rank > 0) dims = odin_fb_vector_scalars(b, v->dims, (size_t)v->rank, 8);
    int64_t n = odin_value_numel(v);
    bool strings = v->dtype == ODIN_STRING;
    if (n > 0 && !v->data) return odin_errorf("tensor value of %lld elements has no data", (long long)n);
    if (n > 0 && strings) data = strings_ref(b, (const char *const *)v->data, (size_t)n);
    else if (n > 0) data = odin_fb_vector_scalars(b, v->data, odin_value_nbytes(v), 1);
    odin_fb_table_start(b);
    if (code) odin_fb_add_scalar(b, ATT_DTYPE, (uint64_t)code, 1);
    if (v->rank < 0) odin_fb_add_scalar(b, ATT_UNKNOWN_RANK, 1, 1);
    if (dims) odin_fb_add_ref(b, ATT_DIMS, dims);
    if (data) odin_fb_add_ref(b, strings ? ATT_STRINGS : ATT_DATA, data);
    *out = odin_fb_table_end(b);
    return ODIN_OK;
}

static odin_status write_attr(odin_fb_builder *b, const odin_attr *a, odin_fb_ref *out) {
    if ((unsigned)a->kind > ODIN_ATTR_TENSOR) return odin_errorf("unknown kind %d", (int)a->kind);
    if (a->count < 0) return odin_errorf("negative element count %d", a->count);
    odin_fb_ref name = str_ref(b, a->name), payload = 0;
    size_t n = (size_t)a->count;
    switch (a->kind) {
    case ODIN_ATTR_STRING: {
        size_t len = a->s ? (a->s_len ? a->s_len : strlen(a->s)) : 0;
        payload = odin_fb_string(b, a->s ? a->s : "", len);
        break;
    }
    case ODIN_ATTR_INTS:
        if (n) payload = odin_fb_vector_scalars(b, a->ints, n, 8);
        break;
    case ODIN_ATTR_FLOATS:
        if (n) payload = odin_fb_vector_scalars(b, a->floats, n, 4);
        break;
    case ODIN_ATTR_STRINGS:
        if (n) payload = strings_ref(b, a->strings, n);
        break;
    case ODIN_ATTR_TENSOR: ODIN_TRY(write_attr_tensor(b, &a->t, &payload)); break;
    default: break;
    }
    static const int payload_field[] = {[ODIN_ATTR_STRING] = ATTR_S, [ODIN_ATTR_INTS] = ATTR_INTS,
                                        [ODIN_ATTR_FLOATS] = ATTR_FLOATS,
                                        [ODIN_ATTR_STRINGS] = ATTR_STRINGS,
                                        [ODIN_ATTR_TENSOR] = ATTR_T};
    odin_fb_table_start(b);
    odin_fb_add_ref(b, ATTR_NAME, name);
    if (a->kind) odin_fb_add_scalar(b, ATTR_KIND, (uint64_t)a->kind, 1);
    if (a->kind == ODIN_ATTR_INT && a->i) odin_fb_add_scalar(b, ATTR_I, (uint64_t)a->i, 8);
    if (a->kind == ODIN_ATTR_FLOAT && f32_bits(a->f)) odin_fb_add_scalar(b, ATTR_F, f32_bits(a->f), 4);
    if (payload) odin_fb_add_ref(b, payload_field[a->kind], payload);
    *out = odin_fb_table_end(b);
    return ODIN_OK;
}

static odin_status write_node(odin_fb_builder *b, const odin_graph *g, int i, odin_fb_ref *out) {
    const odin_node *n = &g->nodes[i];
    odin_fb_ref name = str_ref(b, n->name), op = str_ref(b, n->op), domain = 0;
    odin_fb_ref ins = 0, outs = 0, attrs = 0;
    if (n->domain && *n->domain) domain = str_ref(b, n->domain);
    if (n->n_inputs > 0) ins = odin_fb_vector_scalars(b, n->inputs, (size_t)n->n_inputs, 4);
    if (n->n_outputs > 0) outs = odin_fb_vector_scalars(b, n->outputs, (size_t)n->n_outputs, 4);
    if (n->n_attrs > 0) {
        odin_fb_ref *refs = malloc(sizeof *refs * (size_t)n->n_attrs);
        if (!refs) return odin_errorf("out of memory");
        for (int k = 0; k < n->n_attrs; k++) {
            odin_status st = write_attr(b, &n->attrs[k], &refs[k]);
            if (st) {
                free(refs);
                return odin_status_prefix(st, "node %d '%s' (%s): attribute '%s'", i, n->name,
                                          n->op, n->attrs[k].name);
            }
        }
        attrs = odin_fb_vector_refs(b, refs, (size_t)n->n_attrs);
        free(refs);
    }
    odin_fb_table_start(b);
    odin_fb_add_ref(b, NODE_NAME, name);
    odin_fb_add_ref(b, NODE_OP, op);
    if (domain) odin_fb_add_ref(b, NODE_DOMAIN, domain);
    if (ins) odin_fb_add_ref(b, NODE_INPUTS, ins);
    if (outs) odin_fb_add_ref(b, NODE_OUTPUTS, outs);
    if (attrs) odin_fb_add_ref(b, NODE_ATTRS, attrs);
    *out = odin_fb_table_end(b);
    return ODIN_OK;
}

/* Build the whole FlatBuffer into b; offsets[i] is tensor i's data offset. */
static odin_status build_model(odin_fb_builder *b, const odin_graph *g, const uint64_t *offsets) {
    int nmax = g->n_tensors > g->n_nodes ? g->n_tensors : g->n_nodes;
    if (g->n_meta > nmax) nmax = g->n_meta;
    odin_fb_ref *refs = malloc(sizeof *refs * (size_t)(nmax ? nmax : 1));
    if (!refs) return odin_errorf("out of memory");
    odin_status st = ODIN_OK;
    odin_fb_ref meta = 0, tensors = 0, nodes = 0, ins = 0, outs = 0;
    if (g->n_meta) {
        for (int i = 0; i < g->n_meta; i++) {
            odin_fb_ref k = str_ref(b, g->meta[i].key), v = str_ref(b, g->meta[i].value);
            odin_fb_table_start(b);
            odin_fb_add_ref(b, KV_KEY, k);
            odin_fb_add_ref(b, KV_VALUE, v);
            refs[i] = odin_fb_table_end(b);
        }
        meta = odin_fb_vector_refs(b, refs, (size_t)g->n_meta);
    }
    for (int i = 0; i < g->n_tensors && !st; i++) st = write_tensor(b, g, i, offsets[i], &refs[i]);
    if (!st && g->n_tensors) tensors = odin_fb_vector_refs(b, refs, (size_t)g->n_tensors);
    for (int i = 0; i < g->n_nodes && !st; i++) st = write_node(b, g, i, &refs[i]);
    if (!st && g->n_nodes) nodes = odin_fb_vector_refs(b, refs, (size_t)g->n_nodes);
    free(refs);
    if (st) return st;
    if (g->n_inputs) ins = odin_fb_vector_scalars(b, g->inputs, (size_t)g->n_inputs, 4);
    if (g->n_outputs) outs = odin_fb_vector_scalars(b, g->outputs, (size_t)g->n_outputs, 4);
    odin_fb_ref name = str_ref(b, g->name);
    odin_fb_table_start(b);
    odin_fb_add_scalar(b, MODEL_FORMAT_VERSION, ODIN_FORMAT_VERSION, 4);
    odin_fb_add_ref(b, MODEL_NAME, name);
    if (g->opset) odin_fb_add_scalar(b, MODEL_OPSET, (uint32_t)g->opset, 4);
    if (g->opset_ms) odin_fb_add_scalar(b, MODEL_OPSET_MS, (uint32_t)g->opset_ms, 4);
    if (meta) odin_fb_add_ref(b, MODEL_METADATA, meta);
    if (tensors) odin_fb_add_ref(b, MODEL_TENSORS, tensors);
    if (nodes) odin_fb_add_ref(b, MODEL_NODES, nodes);
    if (ins) odin_fb_add_ref(b, MODEL_INPUTS, ins);
    if (outs) odin_fb_add_ref(b, MODEL_OUTPUTS, outs);
    odin_fb_ref root = odin_fb_table_end(b);
    size_t size;
    if (!odin_fb_finish(b, root, ODIN_FORMAT_IDENT, &size))
        return odin_errorf("out of memory or model too large for a FlatBuffer (2 GiB)");
    return ODIN_OK;
}

static bool has_blob(const odin_tensor *t) {
    return (t->flags & ODIN_TENSOR_CONST) && t->dtype != ODIN_STRING && t->nbytes;
}

static uint64_t align_up(uint64_t x) { return (x + ODIN_DATA_ALIGN - 1) & ~(uint64_t)(ODIN_DATA_ALIGN - 1); }

odin_status odin_graph_write_mem(const odin_graph *g, uint8_t **buf, size_t *size) {
    *buf = NULL;
    *size = 0;
    uint64_t *offsets = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), sizeof *offsets);
    if (!offsets) return odin_errorf("out of memory");
    for (int i = 0; i < g->n_tensors; i++) {
        if (has_blob(&g->tensors[i]) && !g->tensors[i].data) {
            free(offsets);
            return odin_errorf("tensor %d '%s': constant of %zu bytes has no data", i,
                               g->tensors[i].name, g->tensors[i].nbytes);
        }
        offsets[i] = ODIN_DATA_ALIGN; /* placeholder: the FlatBuffer's size does not depend on it */
    }
    /* Pass 1 measures the FlatBuffer, pass 2 writes it with the real offsets. */
    odin_fb_builder b;
    odin_fb_builder_init(&b);
    odin_status st = build_model(&b, g, offsets);
    size_t fb_size = b.size;
    odin_fb_builder_free(&b);
    uint64_t end = fb_size;
    for (int i = 0; i < g->n_tensors && !st; i++) {
        if (!has_blob(&g->tensors[i])) {
            offsets[i] = 0;
            continue;
        }
        offsets[i] = align_up(end);
        end = offsets[i] + g->tensors[i].nbytes;
    }
    if (!st) {
        odin_fb_builder_init(&b);
        st = build_model(&b, g, offsets);
        if (!st && b.size != fb_size) st = odin_errorf("internal error: FlatBuffer size changed");
    }
    uint8_t *out = NULL;
    if (!st && !(out = calloc(1, (size_t)end))) st = odin_errorf("out of memory (%llu bytes)", (unsigned long long)end);
    if (!st) {
        memcpy(out, b.buf + b.cap - b.size, b.size);
        for (int i = 0; i < g->n_tensors; i++)
            if (offsets[i]) memcpy(out + offsets[i], g->tensors[i].data, g->tensors[i].nbytes);
        *buf = out;
        *size = (size_t)end;
    }
    odin_fb_builder_free(&b);
    free(offsets);
    return st ? odin_status_prefix(st, "%s", g->name ? g->name : "graph") : ODIN_OK;
}

odin_status odin_graph_write_file(const odin_graph *g, const char *path) {
    uint8_t *buf;
    size_t size;
    ODIN_TRY(odin_status_prefix(odin_graph_write_mem(g, &buf, &size), "%s", path));
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(buf);
        return odin_errorf("%s: cannot open for writing: %m", path);
    }
    size_t w = fwrite(buf, 1, size, f);
    int rc = fclose(f);
    free(buf);
    if (w != size || rc != 0) return odin_errorf("%s: write failed: %m", path);
    return ODIN_OK;
}
