/* codegen/lower_resize.c — Resize and Upsample with constant scales / sizes: the eval's
 * own per-axis tap tables (ops/resize.h) become constant arrays in the code, and each
 * output element is the same nested weighted sum the eval computes, in double and in the
 * same order, so results match it. Axes that are not resized read their own coordinate;
 * nearest-mode axes are plain gathers; large outputs are split across threads along their
 * first non-unit axis. Non-float data and run-time scales keep the eval. */
#include <stdlib.h>
#include <string.h>

#include "../ops/resize.h"
#include "copybox.h"

#define MAXR ODIN_MAX_RANK
#define MAX_TABLE (1 << 22) /* table entries per node; larger resizes keep the eval */

typedef enum { AXIS_SAME, AXIS_GATHER, AXIS_WEIGHTED } axis_kind;

static axis_kind kind_of(const odin_resize_axis *a) {
    bool same = a->in == a->out, gather = a->cap == 1;
    for (int64_t o = 0; o < a->out; o++) {
        if (a->outside[o]) return AXIS_WEIGHTED;
        int64_t hits = 0, at = -1;
        for (int64_t k = 0; k < a->n[o]; k++) {
            double w = a->w[o * a->cap + k];
            if (w == 0) continue;
            hits++;
            if (w != 1) hits += 2;
            at = a->idx[o * a->cap + k];
        }
        if (hits != 1 || at != o) same = false;
        if (a->n[o] != 1 || a->w[o] != 1) gather = false;
    }
    return same ? AXIS_SAME : gather ? AXIS_GATHER : AXIS_WEIGHTED;
}

static bool float_io(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    odin_dtype x = g->tensors[n->inputs[0]].dtype, y = g->tensors[n->outputs[0]].dtype;
    return x == y && (x == ODIN_F32 || x == ODIN_F64);
}

static bool accept_resize(const odin_graph *g, int node) {
    if (!float_io(g, node)) return false;
    odin_resize_taps t;
    odin_status st = odin_resize_taps_of_node(g, node, &t);
    if (st) {
        odin_status_free(st);
        return false;
    }
    int64_t total = 0;
    for (int d = 0; d < t.rank; d++) total += t.axis[d].out * t.axis[d].cap;
    odin_resize_taps_free(&t);
    return total <= MAX_TABLE;
}

typedef struct resize_emit {
    int rank, n_weighted;
    axis_kind kind[MAXR];
    int weighted[MAXR];       /* axes with weights, in axis order */
    int64_t xs[MAXR], ys[MAXR], cap[MAXR];
    LLVMValueRef idx[MAXR];   /* i64 tables: source offset (index * stride) */
    LLVMValueRef w[MAXR];     /* double tables */
    LLVMValueRef outside[MAXR];
    LLVMValueRef o[MAXR];     /* output coordinates (loop variables) */
    LLVMTypeRef elem;
    double extrapolation;
    int par_dim;              /* the axis split across threads */
    const int64_t *dims;      /* output dims */
} resize_emit;

static LLVMValueRef table_at(odin_lower_ctx *c, LLVMTypeRef ty, LLVMValueRef table, LLVMValueRef i) {
    return odin_load(c, ty, table, i);
}

/* The weighted sum over weighted axes k.. at source offset off (double). */
static LLVMValueRef weighted_sum(odin_lower_ctx *c, const resize_emit *e, int k, LLVMValueRef off) {
    if (k == e->n_weighted) {
        LLVMValueRef v = odin_load(c, e->elem, c->in[0], off);
        return e->elem == c->t_f64 ? v : LLVMBuildFPExt(c->b, v, c->t_f64, "");
    }
    int d = e->weighted[k];
    LLVMValueRef acc = odin_entry_alloca(c, c->t_f64, "acc");
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 0), acc);
    odin_loop l;
    LLVMValueRef t = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, e->cap[d]), 1, "tap");
    LLVMValueRef at = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, e->o[d], odin_i64(c, e->cap[d]), ""), t, "");
    LLVMValueRef w = table_at(c, c->t_f64, e->w[d], at);
    LLVMValueRef src = LLVMBuildAdd(c->b, off, table_at(c, c->t_i64, e->idx[d], at), "");
    LLVMValueRef v = weighted_sum(c, e, k + 1, src);
    LLVMValueRef sum = LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f64, acc, ""),
                                     LLVMBuildFMul(c->b, w, v, ""), "");
    LLVMBuildStore(c->b, sum, acc);
    odin_loop_end(c, &l);
    return LLVMBuildLoad2(c->b, c->t_f64, acc, "");
}

static odin_status make_tables(odin_lower_ctx *c, const odin_resize_taps *t, resize_emit *e) {
    for (int d = 0; d < t->rank; d++) {
        const odin_resize_axis *a = &t->axis[d];
        e->kind[d] = kind_of(a);
        if (e->kind[d] == AXIS_SAME) continue;
        int64_t n = a->out * a->cap;
        int64_t *idx = malloc(sizeof *idx * (size_t)(n ? n : 1));
        double *flags = malloc(sizeof *flags * (size_t)(a->out ? a->out : 1));
        if (!idx || !flags) {
            free(idx);
            free(flags);
            return odin_errorf("out of memory");
        }
        for (int64_t i = 0; i < n; i++) idx[i] = a->idx[i] * e->xs[d];
        bool any_outside = false;
        for (int64_t o = 0; o < a->out; o++) any_outside |= a->outside[o], flags[o] = a->outside[o];
        e->idx[d] = odin_const_table_i64(c, idx, n, "resize.idx");
        e->cap[d] = a->cap;
        if (e->kind[d] == AXIS_WEIGHTED) {
            e->weighted[e->n_weighted++] = d;
            e->w[d] = odin_const_table(c, c->t_f64, a->w, n, "resize.w");
        }
        if (any_outside) e->outside[d] = odin_const_table(c, c->t_i8, flags, a->out, "resize.outside");
        free(idx);
        free(flags);
        if (!e->idx[d] || (e->kind[d] == AXIS_WEIGHTED && !e->w[d])) return odin_errorf("out of memory");
    }
    return ODIN_OK;
}

/* Output elements with coordinate [lo, hi) on axis par_dim (all of them when lo is NULL). */
static odin_status resize_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    resize_emit *ep = user, e = *ep;
    odin_loop loops[MAXR];
    LLVMValueRef off = odin_i64(c, 0), yoff = odin_i64(c, 0), outside = LLVMConstInt(c->t_i1, 0, 0);
    for (int d = 0; d < e.rank; d++) {
        bool par = lo && d == e.par_dim;
        e.o[d] = odin_loop_begin(c, &loops[d], par ? lo : odin_i64(c, 0), par ? hi : odin_i64(c, e.dims[d]), 1, "o");
        yoff = LLVMBuildAdd(c->b, yoff, LLVMBuildMul(c->b, e.o[d], odin_i64(c, e.ys[d]), ""), "");
        if (e.kind[d] == AXIS_SAME)
            off = LLVMBuildAdd(c->b, off, LLVMBuildMul(c->b, e.o[d], odin_i64(c, e.xs[d]), ""), "");
        else if (e.kind[d] == AXIS_GATHER)
            off = LLVMBuildAdd(c->b, off, table_at(c, c->t_i64, e.idx[d], e.o[d]), "");
        if (e.outside[d]) {
            LLVMValueRef f = table_at(c, c->t_i8, e.outside[d], e.o[d]);
            outside = LLVMBuildOr(c->b, outside, LLVMBuildICmp(c->b, LLVMIntNE, f, LLVMConstInt(c->t_i8, 0, 0), ""), "");
        }
    }
    LLVMValueRef v;
    if (e.n_weighted == 0) {
        v = odin_load(c, e.elem, c->in[0], off);
    } else {
        v = weighted_sum(c, &e, 0, off);
        v = LLVMBuildSelect(c->b, outside, LLVMConstReal(c->t_f64, e.extrapolation), v, "");
        if (e.elem != c->t_f64) v = LLVMBuildFPTrunc(c->b, v, e.elem, "");
    }
    odin_store(c, v, c->out[0], yoff);
    for (int d = e.rank - 1; d >= 0; d--) odin_loop_end(c, &loops[d]);
    return ODIN_OK;
}

static odin_status l_resize(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]], *y = &c->g->tensors[n->outputs[0]];
    odin_resize_taps t;
    ODIN_TRY(odin_resize_taps_of_node(c->g, c->node, &t));
    resize_emit e = {.rank = y->rank, .elem = odin_llvm_type(c, y->dtype), .extrapolation = t.extrapolation};
    odin_box_strides(x->rank, x->dims, e.xs);
    odin_box_strides(y->rank, y->dims, e.ys);
    odin_status st = make_tables(c, &t, &e);
    odin_resize_taps_free(&t);
    if (st) return st;
    if (odin_tensor_numel(y) == 0) return ODIN_OK;

    /* threads over the first axis longer than 1 (the ones before it have extent 1) */
    int64_t taps = 1;
    for (int k = 0; k < e.n_weighted; k++) taps *= e.cap[e.weighted[k]];
    e.par_dim = 0;
    while (e.par_dim < e.rank - 1 && y->dims[e.par_dim] == 1) e.par_dim++;
    e.dims = y->dims;
    int64_t ext = e.rank ? y->dims[e.par_dim] : 1, work = odin_tensor_numel(y) * taps * 8;
    if (ext >= 2 && work >= ODIN_PARALLEL_MIN_BYTES) {
        int64_t per = work / ext, grain = (64 * 1024 + per - 1) / per;
        return odin_parallel_range(c, ext, grain < 1 ? 1 : grain, resize_body, &e);
    }
    return resize_body(c, NULL, NULL, &e);
}

const odin_lowering odin_lowerings_resize[] = {
    {"Resize", l_resize, NULL, false, accept_resize},
    {"Upsample", l_resize, NULL, false, accept_resize},
    {NULL, NULL, NULL, false, NULL},
};
