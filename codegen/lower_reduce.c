/* codegen/lower_reduce.c — compiled reductions: Reduce{Sum,Mean,Max,Min,Prod,L1,L2,
 * SumSquare,LogSum} over any static set of axes, ArgMax / ArgMin, and the softmax family
 * (Softmax, LogSoftmax, Hardmax) with both the opset-13 single-axis and the older
 * flatten-at-axis semantics. f32 data (ArgMax/ArgMin also i32 / i64); anything else is
 * declined and runs through the reference eval.
 *
 * A reduction walks the input in memory order. Adjacent reduced / kept dims merge, so
 * the nest alternates kept and reduced extents; when the innermost extent is reduced the
 * loop carries a scalar accumulator whose reassociable ops let LLVM vectorize it into
 * vector accumulators, and when it is kept the loop updates a contiguous output row.
 * Softmax runs three passes over each row: max, exp and sum, scale. */
#include <math.h>
#include <string.h>

#include "lower_util.h"
#include "mathlib.h"

#define MAXR ODIN_MAX_RANK

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_SUMSQUARE, R_LOGSUM } rkind;

static const struct {
    const char *op;
    rkind kind;
} reduce_ops[] = {
    {"ReduceSum", R_SUM},   {"ReduceMean", R_MEAN},         {"ReduceMax", R_MAX},
    {"ReduceMin", R_MIN},   {"ReduceProd", R_PROD},         {"ReduceL1", R_L1},
    {"ReduceL2", R_L2},     {"ReduceSumSquare", R_SUMSQUARE}, {"ReduceLogSum", R_LOGSUM},
};

static bool reduce_kind(const char *op, rkind *k) {
    for (size_t i = 0; i < sizeof reduce_ops / sizeof reduce_ops[0]; i++)
        if (!strcmp(op, reduce_ops[i].op)) {
            *k = reduce_ops[i].kind;
            return true;
        }
    return false;
}

static bool io_f32(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    return n->n_inputs >= 1 && n->inputs[0] >= 0 && n->n_outputs >= 1 && n->outputs[0] >= 0 &&
           g->tensors[n->inputs[0]].dtype == ODIN_F32 && g->tensors[n->outputs[0]].dtype == ODIN_F32;
}

/* ---- Reduce* ---- */

/* The merged nest: extents alternate between kept (out_stride != 0 or unit) and reduced. */
typedef struct rnest {
    rkind kind;
    int rank;
    int64_t dims[MAXR];
    bool red[MAXR];
    int64_t in_stride[MAXR], out_stride[MAXR];
    int64_t n_out, count; /* outputs; inputs per output */
    bool noop;
    LLVMValueRef idx[MAXR];
} rnest;

static bool reduce_nest(const odin_graph *g, int node, rnest *r) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = &g->tensors[n->inputs[0]], *y = &g->tensors[n->outputs[0]];
    bool reduce[MAXR], noop;
    memset(r, 0, sizeof *r);
    if (!reduce_kind(n->op, &r->kind) || !odin_reduce_axes(g, node, reduce, &noop)) return false;
    r->noop = noop;
    r->n_out = odin_tensor_numel(y);
    int64_t n_in = odin_tensor_numel(x), kept = 1;
    for (int d = 0; d < x->rank; d++)
        if (!reduce[d]) kept *= x->dims[d];
    if (kept != r->n_out) return false;
    r->count = r->n_out ? n_in / r->n_out : 0;
    for (int d = 0; d < x->rank; d++) {
        if (x->dims[d] == 1) continue;
        if (r->rank > 0 && r->red[r->rank - 1] == reduce[d]) {
            r->dims[r->rank - 1] *= x->dims[d];
            continue;
        }
        r->dims[r->rank] = x->dims[d];
        r->red[r->rank++] = reduce[d];
    }
    int64_t si = 1, so = 1;
    for (int d = r->rank - 1; d >= 0; d--) {
        r->in_stride[d] = si;
        si *= r->dims[d];
        r->out_stride[d] = r->red[d] ? 0 : so;
        if (!r->red[d]) so *= r->dims[d];
    }
    return true;
}

static bool accept_reduce(const odin_graph *g, int node) {
    rnest r;
    return io_f32(g, node) && reduce_nest(g, node, &r);
}

static double identity_of(rkind k) {
    return k == R_PROD ? 1.0 : k == R_MAX ? -INFINITY : k == R_MIN ? INFINITY : 0.0;
}

/* The per-element term added into the accumulator. */
static LLVMValueRef term(odin_lower_ctx *c, rkind k, LLVMValueRef v) {
    if (k == R_L1) return odin_intrinsic(c, "llvm.fabs", c->t_f32, &v, 1);
    if (k == R_L2 || k == R_SUMSQUARE) return LLVMBuildFMul(c->b, v, v, "");
    return v;
}

static LLVMValueRef combine(odin_lower_ctx *c, rkind k, LLVMValueRef acc, LLVMValueRef t) {
    LLVMValueRef args[2] = {acc, t};
    switch (k) {
    case R_MAX: return odin_intrinsic(c, "llvm.maximum", c->t_f32, args, 2);
    case R_MIN: return odin_intrinsic(c, "llvm.minimum", c->t_f32, args, 2);
    case R_PROD: return odin_fmul_reassoc(c, acc, t);
    default: return odin_fadd_reassoc(c, acc, t);
    }
}

static bool has_post(rkind k) { return k == R_MEAN || k == R_L2 || k == R_LOGSUM; }

static LLVMValueRef post(odin_lower_ctx *c, const rnest *r, LLVMValueRef v) {
    switch (r->kind) {
    case R_MEAN: return LLVMBuildFDiv(c->b, v, odin_f32c(c, (float)r->count), "");
    case R_L2: return odin_intrinsic(c, "llvm.sqrt", c->t_f32, &v, 1);
    case R_LOGSUM: return odin_math_log(c, v);
    default: return v;
    }
}

static LLVMValueRef nest_offset(odin_lower_ctx *c, rnest *r, const int64_t *stride, int upto) {
    LLVMValueRef o = odin_i64(c, 0);
    for (int d = 0; d < upto; d++)
        if (stride[d])
            o = LLVMBuildNSWAdd(c->b, o, LLVMBuildNSWMul(c->b, r->idx[d], odin_i64(c, stride[d]), ""), "");
    return o;
}

/* Loops over dims [d, rank). `direct`: the nest is [kept..., reduced] and each output is
 * written once from its accumulator (no init / finalize passes). */
static void reduce_loops(odin_lower_ctx *c, rnest *r, int d, LLVMValueRef lo, LLVMValueRef hi,
                         bool direct) {
    int last = r->rank - 1;
    if (d == last && r->red[d]) {
        LLVMValueRef acc = odin_entry_alloca(c, c->t_f32, "acc");
        LLVMBuildStore(c->b, odin_f32c(c, (float)identity_of(r->kind)), acc);
        LLVMValueRef ibase = nest_offset(c, r, r->in_stride, d);
        LLVMValueRef obase = nest_offset(c, r, r->out_stride, d);
        odin_loop l;
        LLVMValueRef k = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, r->dims[d]), 1, "k");
        LLVMValueRef v = odin_load(c, c->t_f32, c->in[0], LLVMBuildNSWAdd(c->b, ibase, k, ""));
        LLVMBuildStore(c->b, combine(c, r->kind, LLVMBuildLoad2(c->b, c->t_f32, acc, ""), term(c, r->kind, v)), acc);
        odin_loop_end(c, &l);
        LLVMValueRef a = LLVMBuildLoad2(c->b, c->t_f32, acc, "");
        if (direct) {
            odin_store(c, post(c, r, a), c->out[0], obase);
        } else {
            LLVMValueRef old = odin_load(c, c->t_f32, c->out[0], obase);
            odin_store(c, combine(c, r->kind, old, a), c->out[0], obase);
        }
        return;
    }
    odin_loop l;
    r->idx[d] = odin_loop_begin(c, &l, lo ? lo : odin_i64(c, 0), hi ? hi : odin_i64(c, r->dims[d]), 1, "i");
    if (d == last) {
        /* kept innermost dim: update a contiguous output row */
        LLVMValueRef ii = nest_offset(c, r, r->in_stride, r->rank);
        LLVMValueRef oi = nest_offset(c, r, r->out_stride, r->rank);
        LLVMValueRef v = odin_load(c, c->t_f32, c->in[0], ii);
        LLVMValueRef old = odin_load(c, c->t_f32, c->out[0], oi);
        odin_store(c, combine(c, r->kind, old, term(c, r->kind, v)), c->out[0], oi);
    } else {
        reduce_loops(c, r, d + 1, NULL, NULL, direct);
    }
    odin_loop_end(c, &l);
}

typedef struct reduce_user {
    rnest r;
    bool direct;
} reduce_user;

static odin_status reduce_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    reduce_user *u = user;
    reduce_loops(c, &u->r, 0, lo, hi, u->direct);
    return ODIN_OK;
}

/* out[o] = f(out[o]) over all outputs */
static void output_pass(odin_lower_ctx *c, rnest *r, bool init) {
    odin_loop l;
    LLVMValueRef o = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, r->n_out), 1, "o");
    LLVMValueRef v = init ? odin_f32c(c, (float)identity_of(r->kind))
                          : post(c, r, odin_load(c, c->t_f32, c->out[0], o));
    odin_store(c, v, c->out[0], o);
    odin_loop_end(c, &l);
}

static odin_status l_reduce(odin_lower_ctx *c) {
    reduce_user u;
    if (!reduce_nest(c->g, c->node, &u.r)) return odin_errorf("axes are not constant");
    rnest *r = &u.r;
    if (r->n_out == 0) return ODIN_OK;
    if (r->noop) { /* empty axes with noop_with_empty_axes: the input unchanged */
        odin_loop l;
        LLVMValueRef i = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, r->n_out), 1, "i");
        odin_store(c, odin_load(c, c->t_f32, c->in[0], i), c->out[0], i);
        odin_loop_end(c, &l);
        return ODIN_OK;
    }
    if (r->count == 0) { /* an empty reduction: the identity, then Mean's 0/0 etc. */
        output_pass(c, r, true);
        if (has_post(r->kind)) output_pass(c, r, false);
        return ODIN_OK;
    }
    if (r->rank == 0) { /* every dim has extent 1: y = post(term(x)) */
        LLVMValueRef v = term(c, r->kind, odin_load(c, c->t_f32, c->in[0], odin_i64(c, 0)));
        v = combine(c, r->kind, odin_f32c(c, (float)identity_of(r->kind)), v);
        odin_store(c, post(c, r, v), c->out[0], odin_i64(c, 0));
        return ODIN_OK;
    }
    /* [kept..., reduced] or [reduced]: one accumulator per output, written once */
    int n_red = 0;
    for (int d = 0; d < r->rank; d++) n_red += r->red[d];
    u.direct = r->red[r->rank - 1] && n_red == 1;
    if (!u.direct) output_pass(c, r, true);
    int64_t bytes = r->n_out * r->count * 4;
    if (!r->red[0] && r->rank >= 2 && r->dims[0] >= 2 && bytes >= ODIN_PARALLEL_MIN_BYTES) {
        int64_t per = bytes / r->dims[0], grain = (64 * 1024 + per - 1) / per;
        ODIN_TRY(odin_parallel_range(c, r->dims[0], grain < 1 ? 1 : grain, reduce_body, &u));
    } else {
        ODIN_TRY(reduce_body(c, NULL, NULL, &u));
    }
    if (!u.direct && has_post(r->kind)) output_pass(c, r, false);
    return ODIN_OK;
}

/* ---- ArgMax / ArgMin ---- */

static bool arg_axis(const odin_graph *g, int node, int *axis) {
    const odin_tensor *x = &g->tensors[g->nodes[node].inputs[0]];
    if (x->rank < 1) return false;
    odin_status st = odin_norm_axis(odin_attr_i(&g->nodes[node], "axis"), x->rank, axis);
    odin_status_free(st);
    return !st && x->dims[*axis] > 0;
}

static bool accept_arg(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    int axis;
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return false;
    odin_dtype t = g->tensors[n->inputs[0]].dtype;
    return (t == ODIN_F32 || t == ODIN_I32 || t == ODIN_I64) &&
           g->tensors[n->outputs[0]].dtype == ODIN_I64 && arg_axis(g, node, &axis);
}

/* ArgMax keeps the first maximum (the last with select_last_index); NaN beats every
 * number and the first NaN wins, for ArgMin too, as the reference (numpy) does. */
static odin_status l_arg(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]];
    int axis;
    if (!arg_axis(c->g, c->node, &axis)) return odin_errorf("bad axis");
    bool want_max = !strcmp(n->op, "ArgMax"), last = odin_attr_i(n, "select_last_index") != 0;
    bool fl = x->dtype == ODIN_F32;
    LLVMTypeRef ty = odin_llvm_type(c, x->dtype);
    int64_t outer = odin_dims_product(x->dims, 0, axis), len = x->dims[axis];
    int64_t inner = odin_dims_product(x->dims, axis + 1, x->rank);
    LLVMValueRef bv = odin_entry_alloca(c, ty, "best"), bi = odin_entry_alloca(c, c->t_i64, "arg");
    odin_loop lo, li, lk;
    LLVMValueRef o = odin_loop_begin(c, &lo, odin_i64(c, 0), odin_i64(c, outer), 1, "o");
    LLVMValueRef in = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, inner), 1, "in");
    LLVMValueRef base = LLVMBuildNSWAdd(c->b, LLVMBuildNSWMul(c->b, o, odin_i64(c, len * inner), ""), in, "");
    LLVMBuildStore(c->b, odin_load(c, ty, c->in[0], base), bv);
    LLVMBuildStore(c->b, odin_i64(c, 0), bi);
    LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 1), odin_i64(c, len), 1, "k");
    LLVMValueRef v = odin_load(c, ty, c->in[0],
                               LLVMBuildNSWAdd(c->b, base, LLVMBuildNSWMul(c->b, k, odin_i64(c, inner), ""), ""));
    LLVMValueRef b = LLVMBuildLoad2(c->b, ty, bv, "");
    LLVMValueRef better, equal;
    if (fl) {
        LLVMValueRef vn = LLVMBuildFCmp(c->b, LLVMRealUNO, v, v, "");
        LLVMValueRef bn = LLVMBuildFCmp(c->b, LLVMRealUNO, b, b, "");
        LLVMValueRef cmp = LLVMBuildFCmp(c->b, want_max ? LLVMRealOGT : LLVMRealOLT, v, b, "");
        better = LLVMBuildOr(c->b, cmp, LLVMBuildAnd(c->b, vn, LLVMBuildNot(c->b, bn, ""), ""), "");
        equal = LLVMBuildOr(c->b, LLVMBuildFCmp(c->b, LLVMRealOEQ, v, b, ""), LLVMBuildAnd(c->b, vn, bn, ""), "");
    } else {
        better = LLVMBuildICmp(c->b, want_max ? LLVMIntSGT : LLVMIntSLT, v, b, "");
        equal = LLVMBuildICmp(c->b, LLVMIntEQ, v, b, "");
    }
    LLVMValueRef take = last ? LLVMBuildOr(c->b, better, equal, "") : better;
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, take, v, b, ""), bv);
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, take, k, LLVMBuildLoad2(c->b, c->t_i64, bi, ""), ""), bi);
    odin_loop_end(c, &lk);
    odin_store(c, LLVMBuildLoad2(c->b, c->t_i64, bi, ""), c->out[0],
               LLVMBuildNSWAdd(c->b, LLVMBuildNSWMul(c->b, o, odin_i64(c, inner), ""), in, ""));
    odin_loop_end(c, &li);
    odin_loop_end(c, &lo);
    return ODIN_OK;
}

/* ---- Softmax / LogSoftmax / Hardmax ---- */

typedef enum { SM_SOFTMAX, SM_LOGSOFTMAX, SM_HARDMAX } smkind;

typedef struct softmax_user {
    smkind kind;
    int64_t outer, len, inner;
} softmax_user;

/* outer x len x inner as the reference sees it: one axis from opset 13, the 2-D
 * coercion at the axis before (axis == rank allowed there). */
static bool softmax_shape(const odin_graph *g, int node, softmax_user *u) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = &g->tensors[n->inputs[0]];
    u->kind = !strcmp(n->op, "LogSoftmax") ? SM_LOGSOFTMAX : !strcmp(n->op, "Hardmax") ? SM_HARDMAX : SM_SOFTMAX;
    u->outer = u->len = u->inner = 1;
    if (x->rank == 0) return true;
    int64_t a = odin_node_has_attr(n, "axis") ? odin_attr_i(n, "axis") : g->opset < 13 ? 1 : -1;
    if (a < 0) a += x->rank;
    if (g->opset < 13) {
        if (a < 0 || a > x->rank) return false;
        u->outer = odin_dims_product(x->dims, 0, (int)a);
        u->len = odin_dims_product(x->dims, (int)a, x->rank);
        return true;
    }
    if (a < 0 || a >= x->rank) return false;
    u->outer = odin_dims_product(x->dims, 0, (int)a);
    u->len = x->dims[a];
    u->inner = odin_dims_product(x->dims, (int)a + 1, x->rank);
    return true;
}

static bool accept_softmax(const odin_graph *g, int node) {
    softmax_user u;
    return io_f32(g, node) && softmax_shape(g, node, &u);
}

static LLVMValueRef row_at(odin_lower_ctx *c, const softmax_user *u, LLVMValueRef base, LLVMValueRef k) {
    return u->inner == 1 ? LLVMBuildNSWAdd(c->b, base, k, "")
                         : LLVMBuildNSWAdd(c->b, base, LLVMBuildNSWMul(c->b, k, odin_i64(c, u->inner), ""), "");
}

static odin_status softmax_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    softmax_user *u = user;
    LLVMValueRef mx = odin_entry_alloca(c, c->t_f32, "mx"), sum = odin_entry_alloca(c, c->t_f32, "sum");
    LLVMValueRef arg = odin_entry_alloca(c, c->t_i64, "arg");
    odin_loop lr, l1, l2, l3;
    LLVMValueRef row = odin_loop_begin(c, &lr, lo, hi, 1, "row");
    LLVMValueRef base = row;
    if (u->inner != 1) {
        LLVMValueRef o = LLVMBuildUDiv(c->b, row, odin_i64(c, u->inner), "");
        LLVMValueRef in = LLVMBuildURem(c->b, row, odin_i64(c, u->inner), "");
        base = LLVMBuildNSWAdd(c->b, LLVMBuildNSWMul(c->b, o, odin_i64(c, u->len * u->inner), ""), in, "");
    } else {
        base = LLVMBuildNSWMul(c->b, row, odin_i64(c, u->len), "");
    }
    /* pass 1: the row's max (Hardmax: its first index, NaN skipped as the reference) */
    LLVMBuildStore(c->b, odin_load(c, c->t_f32, c->in[0], base), mx);
    LLVMBuildStore(c->b, odin_i64(c, 0), arg);
    LLVMValueRef k = odin_loop_begin(c, &l1, odin_i64(c, u->kind == SM_HARDMAX ? 1 : 0), odin_i64(c, u->len), 1, "k");
    LLVMValueRef v = odin_load(c, c->t_f32, c->in[0], row_at(c, u, base, k));
    LLVMValueRef m = LLVMBuildLoad2(c->b, c->t_f32, mx, "");
    if (u->kind == SM_HARDMAX) {
        LLVMValueRef gt = LLVMBuildFCmp(c->b, LLVMRealOGT, v, m, "");
        LLVMBuildStore(c->b, LLVMBuildSelect(c->b, gt, v, m, ""), mx);
        LLVMBuildStore(c->b, LLVMBuildSelect(c->b, gt, k, LLVMBuildLoad2(c->b, c->t_i64, arg, ""), ""), arg);
    } else {
        LLVMValueRef args[2] = {m, v};
        LLVMBuildStore(c->b, odin_intrinsic(c, "llvm.maxnum", c->t_f32, args, 2), mx);
    }
    odin_loop_end(c, &l1);
    if (u->kind == SM_HARDMAX) {
        LLVMValueRef a = LLVMBuildLoad2(c->b, c->t_i64, arg, "");
        k = odin_loop_begin(c, &l3, odin_i64(c, 0), odin_i64(c, u->len), 1, "k");
        LLVMValueRef one = LLVMBuildICmp(c->b, LLVMIntEQ, k, a, "");
        odin_store(c, LLVMBuildSelect(c->b, one, odin_f32c(c, 1), odin_f32c(c, 0), ""), c->out[0],
                   row_at(c, u, base, k));
        odin_loop_end(c, &l3);
        odin_loop_end(c, &lr);
        return ODIN_OK;
    }
    m = LLVMBuildLoad2(c->b, c->t_f32, mx, "");
    /* pass 2: exp(x - max) and its sum (Softmax keeps the exps in the output) */
    LLVMBuildStore(c->b, odin_f32c(c, 0), sum);
    k = odin_loop_begin(c, &l2, odin_i64(c, 0), odin_i64(c, u->len), 1, "k");
    LLVMValueRef at = row_at(c, u, base, k);
    LLVMValueRef e = odin_math_exp(c, LLVMBuildFSub(c->b, odin_load(c, c->t_f32, c->in[0], at), m, ""));
    if (u->kind == SM_SOFTMAX) odin_store(c, e, c->out[0], at);
    LLVMBuildStore(c->b, odin_fadd_reassoc(c, LLVMBuildLoad2(c->b, c->t_f32, sum, ""), e), sum);
    odin_loop_end(c, &l2);
    /* pass 3: scale by 1/sum, or subtract max + log(sum) */
    LLVMValueRef s = LLVMBuildLoad2(c->b, c->t_f32, sum, "");
    LLVMValueRef scale = u->kind == SM_SOFTMAX ? LLVMBuildFDiv(c->b, odin_f32c(c, 1), s, "")
                                               : LLVMBuildFAdd(c->b, m, odin_math_log(c, s), "");
    k = odin_loop_begin(c, &l3, odin_i64(c, 0), odin_i64(c, u->len), 1, "k");
    at = row_at(c, u, base, k);
    if (u->kind == SM_SOFTMAX)
        odin_store(c, LLVMBuildFMul(c->b, odin_load(c, c->t_f32, c->out[0], at), scale, ""), c->out[0], at);
    else
        odin_store(c, LLVMBuildFSub(c->b, odin_load(c, c->t_f32, c->in[0], at), scale, ""), c->out[0], at);
    odin_loop_end(c, &l3);
    odin_loop_end(c, &lr);
    return ODIN_OK;
}

static odin_status l_softmax(odin_lower_ctx *c) {
    softmax_user u;
    if (!softmax_shape(c->g, c->node, &u)) return odin_errorf("bad axis");
    int64_t rows = u.outer * u.inner, bytes = rows * u.len * 4;
    if (rows == 0 || u.len == 0) return ODIN_OK;
    if (rows >= 2 && bytes >= ODIN_PARALLEL_MIN_BYTES) {
        int64_t per = u.len * 4, grain = (32 * 1024 + per - 1) / per;
        return odin_parallel_range(c, rows, grain < 1 ? 1 : grain, softmax_body, &u);
    }
    return softmax_body(c, odin_i64(c, 0), odin_i64(c, rows), &u);
}

const odin_lowering odin_lowerings_reduce[] = {
    {"ReduceSum", l_reduce, NULL, false, accept_reduce},
    {"ReduceMean", l_reduce, NULL, false, accept_reduce},
    {"ReduceMax", l_reduce, NULL, false, accept_reduce},
    {"ReduceMin", l_reduce, NULL, false, accept_reduce},
    {"ReduceProd", l_reduce, NULL, false, accept_reduce},
    {"ReduceL1", l_reduce, NULL, false, accept_reduce},
    {"ReduceL2", l_reduce, NULL, false, accept_reduce},
    {"ReduceSumSquare", l_reduce, NULL, false, accept_reduce},
    {"ReduceLogSum", l_reduce, NULL, false, accept_reduce},
    {"ArgMax", l_arg, NULL, false, accept_arg},
    {"ArgMin", l_arg, NULL, false, accept_arg},
    {"Softmax", l_softmax, NULL, false, accept_softmax},
    {"LogSoftmax", l_softmax, NULL, false, accept_softmax},
    {"Hardmax", l_softmax, NULL, false, accept_softmax},
    {NULL, NULL, NULL, false, NULL},
};
