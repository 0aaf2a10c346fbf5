/* ops/registry.c — finds op definitions by (op, domain, opset) across the op family
 * tables, plus the helpers every op implementation shares. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "op.h"

#define ODIN_FAMILY_ENTRY(f) odin_ops_##f,
static const odin_op_def *const *const families[] = {ODIN_OP_FAMILIES(ODIN_FAMILY_ENTRY)};
#undef ODIN_FAMILY_ENTRY

typedef struct op_entry {
    char key[160]; /* "domain::name" */
    const odin_op_def *defs[8]; /* versions of the same op, any order */
    int n_defs;
    UT_hash_handle hh;
} op_entry;

static op_entry *table;
static const odin_op_def **all_defs;
static int n_all_defs;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void make_key(char *key, size_t size, const char *domain, const char *name) {
    /* "ai.onnx" is the default domain's long spelling */
    if (domain && strcmp(domain, "ai.onnx") == 0) domain = "";
    snprintf(key, size, "%s::%s", domain ? domain : "", name);
}

static void free_table(void) {
    op_entry *e, *tmp;
    HASH_ITER(hh, table, e, tmp) {
        HASH_DEL(table, e);
        free(e);
    }
    free(all_defs);
}

static void build_table(void) {
    int cap = 0;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (int i = 0; families[f][i]; i++) cap++;
    all_defs = calloc(cap ? cap : 1, sizeof *all_defs);
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        for (int i = 0; families[f][i]; i++) {
            const odin_op_def *d = families[f][i];
            all_defs[n_all_defs++] = d;
            char key[160];
            make_key(key, sizeof key, d->domain, d->name);
            op_entry *e = NULL;
            HASH_FIND_STR(table, key, e);
            if (!e) {
                e = calloc(1, sizeof *e);
                snprintf(e->key, sizeof e->key, "%s", key);
                HASH_ADD_STR(table, key, e);
            }
            if (e->n_defs < 8) e->defs[e->n_defs++] = d;
        }
    }
    atexit(free_table);
}

const odin_op_def *odin_op_find(const char *op, const char *domain, int opset) {
    pthread_once(&table_once, build_table);
    char key[160];
    make_key(key, sizeof key, domain, op);
    op_entry *e = NULL;
    HASH_FIND_STR(table, key, e);
    if (!e) return NULL;
    /* Non-default domains have their own version numbers: match any. */
    bool versioned = opset > 0 && (!domain || !*domain || strcmp(domain, "ai.onnx") == 0);
    const odin_op_def *best = NULL;
    for (int i = 0; i < e->n_defs; i++) {
        const odin_op_def *d = e->defs[i];
        if (versioned && (opset < d->since_version || (d->max_version && opset > d->max_version)))
            continue;
        if (!best || d->since_version > best->since_version) best = d;
    }
    return best;
}

const odin_op_def *const *odin_op_all(int *count) {
    pthread_once(&table_once, build_table);
    *count = n_all_defs;
    return all_defs;
}

const odin_attr_schema *odin_op_attr_schema(const odin_op_def *def, const char *name) {
    for (const odin_attr_schema *s = def->attrs; s && s->name; s++)
        if (strcmp(s->name, name) == 0) return s;
    return NULL;
}

odin_status odin_op_alloc_output(odin_op_ctx *ctx, int i) {
    odin_value *v = &ctx->out[i];
    int64_t n = odin_value_numel(v);
    if (n < 0) return odin_errorf("output %d has an unknown shape", i);
    size_t bytes = (size_t)n * odin_dtype_size(v->dtype);
    if (!ctx->alloc) return odin_errorf("no output allocator (eval outside an executor)");
    v->data = ctx->alloc(ctx->alloc_state, bytes);
    if (!v->data && bytes) return odin_errorf("out of memory allocating %zu bytes", bytes);
    return ODIN_OK;
}

void odin_op_set_output(odin_op_ctx *ctx, int i, odin_dtype dtype, int rank,
                        const int64_t *dims) {
    odin_value *v = &ctx->out[i];
    v->dtype = dtype;
    v->rank = rank;
    for (int d = 0; d < ODIN_MAX_RANK; d++) v->dims[d] = (d < rank && dims) ? dims[d] : -1;
}

bool odin_op_has_input(const odin_op_ctx *ctx, int i) {
    return i < ctx->n_in && ctx->in[i].dtype != ODIN_UNDEFINED;
}

const char *odin_shape_str(const odin_value *v, char *buf, size_t size) {
    odin_format_shape(buf, size, v->rank, v->dims, NULL);
    return buf;
}

odin_status odin_broadcast_shape(const odin_value *a, const odin_value *b, int *rank,
                                 int64_t *dims) {
    if (a->rank < 0 || b->rank < 0) {
        *rank = -1;
        return ODIN_OK;
    }
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da == db || db == 1) dims[i] = da;
        else if (da == 1) dims[i] = db;
        else if (da < 0 || db < 0) dims[i] = da < 0 ? db : da; /* unknown: trust the known */
        else {
            char sa[128], sb[128];
            return odin_errorf("shapes %s and %s are not broadcastable",
                               odin_shape_str(a, sa, sizeof sa), odin_shape_str(b, sb, sizeof sb));
        }
    }
    *rank = r;
    return ODIN_OK;
}

odin_status odin_norm_axis(int64_t axis, int rank, int *out) {
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= (rank > 0 ? rank : 1))
        return odin_errorf("axis %lld is out of range for rank %d", (long long)axis, rank);
    *out = (int)a;
    return ODIN_OK;
}

odin_status odin_infer_node(odin_graph *g, int ni) {
    odin_node *n = &g->nodes[ni];
    if (!n->def)
        return odin_errorf("node '%s' (%s): unsupported op (domain '%s', opset %d)", n->name,
                           n->op, n->domain, g->opset);
    const odin_op_def *d = n->def;
    if (n->n_inputs < d->min_inputs || (d->max_inputs >= 0 && n->n_inputs > d->max_inputs))
        return odin_errorf("node '%s' (%s): has %d inputs, expected %d..%d", n->name, n->op,
                           n->n_inputs, d->min_inputs, d->max_inputs);
    if (n->n_outputs < d->min_outputs || (d->max_outputs >= 0 && n->n_outputs > d->max_outputs))
        return odin_errorf("node '%s' (%s): has %d outputs, expected %d..%d", n->name, n->op,
                           n->n_outputs, d->min_outputs, d->max_outputs);
    for (const odin_attr_schema *s = d->attrs; s && s->name; s++)
        if (s->required && !odin_node_has_attr(n, s->name))
            return odin_errorf("node '%s' (%s): required attribute '%s' is missing", n->name,
                               n->op, s->name);
    odin_value in[64], out[64];
    if (n->n_inputs > 64 || n->n_outputs > 64)
        return odin_errorf("node '%s' (%s): too many inputs or outputs", n->name, n->op);
    for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0) in[i] = (odin_value){.dtype = ODIN_UNDEFINED, .rank = -1};
        else in[i] = odin_tensor_value(g, n->inputs[i]);
    }
    for (int i = 0; i < n->n_outputs; i++) out[i] = (odin_value){.dtype = ODIN_UNDEFINED, .rank = -1};
    odin_op_ctx ctx = {.node = n, .opset = g->opset, .n_in = n->n_inputs,
                       .n_out = n->n_outputs, .in = in, .out = out};
    odin_status st = d->infer ? d->infer(&ctx) : odin_errorf("no shape inference");
    if (st) return odin_status_prefix(st, "node '%s' (%s)", n->name, n->op);
    for (int i = 0; i < n->n_outputs; i++) {
        int t = n->outputs[i];
        if (t < 0) continue;
        odin_tensor *tt = &g->tensors[t];
        tt->dtype = out[i].dtype;
        tt->rank = out[i].rank;
        for (int k = 0; k < ODIN_MAX_RANK; k++) {
            int64_t d2 = k < out[i].rank ? out[i].dims[k] : -1;
            /* keep a symbolic name only where the dim stays unknown */
            if (d2 >= 0) tt->dim_params[k] = NULL;
            tt->dims[k] = d2;
        }
    }
    return ODIN_OK;
}
