/* codegen/lower_misc.c — compiled kernels for ops that otherwise ran their reference eval
 * from JIT code: CumSum, Trilu, Range, EyeLike, TopK, GatherElements, ScatterElements (and
 * the deprecated Scatter), GatherND, ScatterND, OneHot, DepthToSpace / SpaceToDepth. Each
 * kernel mirrors its eval (ops/) element for element, in the same order, so results match
 * bit for bit; anything the kernel does not handle (dtypes, non-constant parameters) is
 * declined by `accepts` and keeps running through the eval. Scalar lowerings of the small
 * elementwise ops live in codegen/lower_misc_elem.c. */
#include <string.h>

#include "copybox.h"

#define MAXR ODIN_MAX_RANK

/* ---- helpers ---- */

static bool is_index_dtype(odin_dtype t) { return t == ODIN_I32 || t == ODIN_I64; }
static bool numeric_dtype(odin_dtype t) {
    return t == ODIN_F32 || t == ODIN_F64 || t == ODIN_I32 || t == ODIN_I64;
}
static LLVMTypeRef ty(odin_lower_ctx *c, odin_dtype t) { return odin_llvm_type(c, t); }
static LLVMValueRef ld(odin_lower_ctx *c, odin_dtype t, LLVMValueRef base, LLVMValueRef i) {
    return odin_load(c, ty(c, t), base, i);
}
static LLVMValueRef mul(odin_lower_ctx *c, LLVMValueRef a, int64_t k) {
    return LLVMBuildMul(c->b, a, odin_i64(c, k), "");
}
static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildAdd(c->b, a, b, "");
}
/* A bool accumulator for bad input seen inside loops (reported after them). */
static LLVMValueRef flag_new(odin_lower_ctx *c) {
    LLVMValueRef f = odin_entry_alloca(c, c->t_i1, "bad");
    LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), f);
    return f;
}
static void flag_or(odin_lower_ctx *c, LLVMValueRef f, LLVMValueRef bad) {
    LLVMBuildStore(c->b, LLVMBuildOr(c->b, LLVMBuildLoad2(c->b, c->t_i1, f, ""), bad, ""), f);
}
static void flag_report(odin_lower_ctx *c, LLVMValueRef f) {
    odin_emit_error_exit(c, LLVMBuildLoad2(c->b, c->t_i1, f, ""));
}

/* Load index element i of dtype t, normalize a negative one against extent n and clamp it
 * into [0, n) (so memory stays safe); out-of-range raises the bad flag. */
static LLVMValueRef load_index(odin_lower_ctx *c, odin_dtype t, LLVMValueRef base, LLVMValueRef i,
                               int64_t n, LLVMValueRef bad) {
    LLVMValueRef j = ld(c, t, base, i);
    if (t != ODIN_I64) j = LLVMBuildSExt(c->b, j, c->t_i64, "");
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, j, odin_i64(c, 0), "");
    j = LLVMBuildSelect(c->b, neg, add(c, j, odin_i64(c, n)), j, "");
    LLVMValueRef oob = LLVMBuildICmp(c->b, LLVMIntUGE, j, odin_i64(c, n), "");
    flag_or(c, bad, oob);
    return LLVMBuildSelect(c->b, oob, odin_i64(c, 0), j, "");
}

/* Nested counted loops over dims[0..rank): iv[d] per level; close with nest_end. */
typedef struct nest {
    int rank;
    odin_loop loops[MAXR];
    LLVMValueRef iv[MAXR];
} nest;
static void nest_begin(odin_lower_ctx *c, nest *ns, int rank, const int64_t *dims) {
    ns->rank = rank;
    for (int d = 0; d < rank; d++)
        ns->iv[d] = odin_loop_begin(c, &ns->loops[d], odin_i64(c, 0), odin_i64(c, dims[d]), 1, "d");
}
static void nest_end(odin_lower_ctx *c, nest *ns) {
    for (int d = ns->rank - 1; d >= 0; d--) odin_loop_end(c, &ns->loops[d]);
}
/* sum of iv[d] * strides[d] */
static LLVMValueRef nest_offset(odin_lower_ctx *c, const nest *ns, const int64_t *strides) {
    LLVMValueRef off = odin_i64(c, 0);
    for (int d = 0; d < ns->rank; d++)
        if (strides[d]) off = add(c, off, mul(c, ns->iv[d], strides[d]));
    return off;
}

static void strides_of(const odin_tensor *t, int64_t *s) { odin_box_strides(t->rank, t->dims, s); }

/* Copy input 0 to output 0 (the starting point of the scatters). */
static odin_status copy_in0(odin_lower_ctx *c) {
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0);
    int64_t n = odin_tensor_numel(x);
    odin_box b;
    odin_box_init(&b, 1, &n, odin_dtype_size(x->dtype), 0, 0);
    return odin_emit_box(c, &b);
}

/* ---- CumSum ---- */

static bool cumsum_axis(const odin_graph *g, int node, int *axis) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0);
    int64_t a;
    int n;
    if (!x || x->rank < 1 || !odin_node_const_ints(g, node, 1, &a, 1, &n) || n != 1) return false;
    if (a < 0) a += x->rank;
    if (a < 0 || a >= x->rank) return false;
    *axis = (int)a;
    return true;
}

/* The axis may also be a run-time scalar: then the loop extents are picked at run time
 * from the few the rank allows (a bad axis goes to the eval, which reports it). */
static bool cumsum_axis_runtime_ok(const odin_graph *g, int node) {
    const odin_tensor *a = odin_node_in_tensor(g, node, 1), *x = odin_node_in_tensor(g, node, 0);
    return a && x && x->rank >= 1 && is_index_dtype(a->dtype) && odin_tensor_numel(a) == 1;
}

static bool accept_cumsum(const odin_graph *g, int node) {
    int axis;
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *y = odin_node_out_tensor(g, node, 0);
    return x && y && numeric_dtype(x->dtype) && y->dtype == x->dtype &&
           (cumsum_axis(g, node, &axis) || cumsum_axis_runtime_ok(g, node));
}

/* outer / len / inner extents around the axis: literals for a constant axis, else chosen
 * at run time from the axis input. */
static void cumsum_extents(odin_lower_ctx *c, const odin_tensor *x, LLVMValueRef *ext) {
    int axis;
    if (cumsum_axis(c->g, c->node, &axis)) {
        ext[0] = odin_i64(c, odin_dims_product(x->dims, 0, axis));
        ext[1] = odin_i64(c, x->dims[axis]);
        ext[2] = odin_i64(c, odin_dims_product(x->dims, axis + 1, x->rank));
        return;
    }
    const odin_tensor *at = odin_node_in_tensor(c->g, c->node, 1);
    LLVMValueRef a = ld(c, at->dtype, c->in[1], odin_i64(c, 0));
    if (at->dtype != ODIN_I64) a = LLVMBuildSExt(c->b, a, c->t_i64, "");
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, a, odin_i64(c, 0), "");
    a = LLVMBuildSelect(c->b, neg, add(c, a, odin_i64(c, x->rank)), a, "");
    LLVMValueRef bad = LLVMBuildICmp(c->b, LLVMIntUGE, a, odin_i64(c, x->rank), "");
    odin_emit_error_exit(c, bad);
    a = LLVMBuildSelect(c->b, bad, odin_i64(c, 0), a, "");
    for (int k = 0; k < 3; k++) ext[k] = odin_i64(c, 1);
    for (int d = 0; d < x->rank; d++) {
        LLVMValueRef is = LLVMBuildICmp(c->b, LLVMIntEQ, a, odin_i64(c, d), "");
        ext[0] = LLVMBuildSelect(c->b, is, odin_i64(c, odin_dims_product(x->dims, 0, d)), ext[0], "");
        ext[1] = LLVMBuildSelect(c->b, is, odin_i64(c, x->dims[d]), ext[1], "");
        ext[2] = LLVMBuildSelect(c->b, is, odin_i64(c, odin_dims_product(x->dims, d + 1, x->rank)), ext[2], "");
    }
}

static odin_status l_cumsum(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0);
    bool exclusive = odin_attr_i(n, "exclusive") != 0, reverse = odin_attr_i(n, "reverse") != 0;
    LLVMValueRef ext[3];
    cumsum_extents(c, x, ext);
    LLVMValueRef len = ext[1], inner = ext[2];
    bool ints = x->dtype == ODIN_I32 || x->dtype == ODIN_I64;
    /* the eval sums floats in double and rounds each prefix: do the same */
    LLVMTypeRef acc_t = ints ? c->t_i64 : c->t_f64;
    LLVMValueRef acc = odin_entry_alloca(c, acc_t, "acc");
    odin_loop lo, li, l;
    LLVMValueRef o = odin_loop_begin(c, &lo, odin_i64(c, 0), ext[0], 1, "o");
    LLVMValueRef in = odin_loop_begin(c, &li, odin_i64(c, 0), inner, 1, "in");
    LLVMValueRef base = add(c, LLVMBuildMul(c->b, o, LLVMBuildMul(c->b, len, inner, ""), ""), in);
    LLVMBuildStore(c->b, LLVMConstNull(acc_t), acc);
    LLVMValueRef j = odin_loop_begin(c, &l, odin_i64(c, 0), len, 1, "j");
    LLVMValueRef k = reverse ? LLVMBuildSub(c->b, LLVMBuildSub(c->b, len, odin_i64(c, 1), ""), j, "") : j;
    LLVMValueRef i = add(c, base, LLVMBuildMul(c->b, k, inner, ""));
    LLVMValueRef v = odin_convert(c, ld(c, x->dtype, c->in[0], i), x->dtype, ints ? ODIN_I64 : ODIN_F64);
    LLVMValueRef s = LLVMBuildLoad2(c->b, acc_t, acc, "");
    LLVMValueRef s2 = ints ? LLVMBuildAdd(c->b, s, v, "") : LLVMBuildFAdd(c->b, s, v, "");
    LLVMValueRef shown = exclusive ? s : s2;
    odin_store(c, odin_convert(c, shown, ints ? ODIN_I64 : ODIN_F64, x->dtype), c->out[0], i);
    LLVMBuildStore(c->b, s2, acc);
    odin_loop_end(c, &l);
    odin_loop_end(c, &li);
    odin_loop_end(c, &lo);
    return ODIN_OK;
}

/* ---- Trilu ---- */

/* k known at compile time (absent or constant); else it is read at run time */
static bool trilu_k(const odin_graph *g, int node, int64_t *k) {
    *k = 0;
    if (odin_node_in(g, node, 1) < 0) return true;
    int n;
    return odin_node_const_ints(g, node, 1, k, 1, &n) && n == 1;
}
static bool trilu_k_runtime_ok(const odin_graph *g, int node) {
    const odin_tensor *k = odin_node_in_tensor(g, node, 1);
    return k && k->dtype == ODIN_I64 && odin_tensor_numel(k) == 1;
}

static bool accept_trilu(const odin_graph *g, int node) {
    int64_t k;
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *y = odin_node_out_tensor(g, node, 0);
    return x && y && x->rank >= 2 && odin_dtype_movable(x->dtype) && y->dtype == x->dtype &&
           (trilu_k(g, node, &k) || trilu_k_runtime_ok(g, node));
}

static odin_status l_trilu(odin_lower_ctx *c) {
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0);
    int64_t k;
    bool known = trilu_k(c->g, c->node, &k);
    bool upper = odin_attr_i(&c->g->nodes[c->node], "upper") != 0;
    int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
    if (k < -rows - 1) k = -rows - 1;
    if (k > cols + 1) k = cols + 1;
    /* j - i lies in [-rows, cols]: clamping keeps the comparison exact (as the eval) */
    LLVMValueRef kv = odin_i64(c, k);
    if (!known) {
        LLVMValueRef lo[2] = {odin_load(c, c->t_i64, c->in[1], odin_i64(c, 0)), odin_i64(c, -rows - 1)};
        kv = odin_intrinsic(c, "llvm.smax", c->t_i64, lo, 2);
        LLVMValueRef hi[2] = {kv, odin_i64(c, cols + 1)};
        kv = odin_intrinsic(c, "llvm.smin", c->t_i64, hi, 2);
    }
    int64_t dims[3] = {odin_dims_product(x->dims, 0, x->rank - 2), rows, cols};
    LLVMTypeRef et = odin_bits_type(c, odin_dtype_size(x->dtype));
    nest ns;
    nest_begin(c, &ns, 3, dims);
    LLVMValueRef i = add(c, mul(c, add(c, mul(c, ns.iv[0], rows), ns.iv[1]), cols), ns.iv[2]);
    LLVMValueRef diff = LLVMBuildSub(c->b, ns.iv[2], ns.iv[1], "");
    LLVMValueRef keep = LLVMBuildICmp(c->b, upper ? LLVMIntSGE : LLVMIntSLE, diff, kv, "");
    LLVMValueRef v = odin_load(c, et, c->in[0], i);
    odin_store(c, LLVMBuildSelect(c->b, keep, v, LLVMConstNull(et), ""), c->out[0], i);
    nest_end(c, &ns);
    return ODIN_OK;
}

/* ---- Range (the output length is static; start and delta are read at run time) ---- */

static bool accept_range(const odin_graph *g, int node) {
    const odin_tensor *s = odin_node_in_tensor(g, node, 0), *y = odin_node_out_tensor(g, node, 0);
    if (!s || !y || y->rank != 1 || y->dims[0] < 0) return false;
    odin_dtype t = s->dtype;
    return t == ODIN_F32 || t == ODIN_F64 || t == ODIN_I16 || t == ODIN_I32 || t == ODIN_I64;
}

static odin_status l_range(odin_lower_ctx *c) {
    odin_dtype t = odin_node_in_tensor(c->g, c->node, 0)->dtype;
    int64_t count = odin_node_out_tensor(c->g, c->node, 0)->dims[0];
    bool f = t == ODIN_F32 || t == ODIN_F64;
    odin_dtype wide = f ? ODIN_F64 : ODIN_I64;
    LLVMValueRef s = odin_convert(c, ld(c, t, c->in[0], odin_i64(c, 0)), t, wide);
    LLVMValueRef lim = odin_convert(c, ld(c, t, c->in[1], odin_i64(c, 0)), t, wide);
    LLVMValueRef d = odin_convert(c, ld(c, t, c->in[2], odin_i64(c, 0)), t, wide);
    /* run-time values must give the static length, else the eval reports the mismatch */
    LLVMValueRef fs = f ? s : LLVMBuildSIToFP(c->b, s, c->t_f64, "");
    LLVMValueRef fl = f ? lim : LLVMBuildSIToFP(c->b, lim, c->t_f64, "");
    LLVMValueRef fd = f ? d : LLVMBuildSIToFP(c->b, d, c->t_f64, "");
    LLVMValueRef q = LLVMBuildFDiv(c->b, LLVMBuildFSub(c->b, fl, fs, ""), fd, "");
    LLVMValueRef n = odin_intrinsic(c, "llvm.ceil", c->t_f64, &q, 1);
    n = odin_intrinsic(c, "llvm.maxnum", c->t_f64, (LLVMValueRef[]){n, LLVMConstReal(c->t_f64, 0)}, 2);
    odin_emit_error_exit(c, LLVMBuildFCmp(c->b, LLVMRealUNE, n, LLVMConstReal(c->t_f64, (double)count), ""));
    odin_loop l;
    LLVMValueRef i = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, count), 1, "i");
    LLVMValueRef v = f ? LLVMBuildFAdd(c->b, s, LLVMBuildFMul(c->b, LLVMBuildSIToFP(c->b, i, c->t_f64, ""), d, ""), "")
                       : LLVMBuildAdd(c->b, s, LLVMBuildMul(c->b, i, d, ""), "");
    odin_store(c, f ? odin_convert(c, v, ODIN_F64, t) : LLVMBuildTrunc(c->b, v, ty(c, t), ""), c->out[0], i);
    odin_loop_end(c, &l);
    return ODIN_OK;
}

/* ---- TopK: a sorted insertion list per line, written straight into the outputs ---- */

static bool topk_axis(const odin_graph *g, int node, int *axis) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0);
    int64_t a = odin_attr_i(&g->nodes[node], "axis");
    if (a < 0) a += x->rank;
    if (a < 0 || a >= x->rank) return false;
    *axis = (int)a;
    return true;
}

static bool accept_topk(const odin_graph *g, int node) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *v = odin_node_out_tensor(g, node, 0), *ix = odin_node_out_tensor(g, node, 1);
    int axis;
    if (!x || !v || !ix || x->rank < 1 || !topk_axis(g, node, &axis)) return false;
    return numeric_dtype(x->dtype) && v->dtype == x->dtype && ix->dtype == ODIN_I64 &&
           v->dims[axis] >= 0 && v->dims[axis] <= x->dims[axis];
}

/* v strictly before w in the order (NaN counts as the largest, like the eval). */
static LLVMValueRef topk_before(odin_lower_ctx *c, bool fl, bool largest, bool is_signed,
                                LLVMValueRef v, LLVMValueRef w) {
    if (!fl) return LLVMBuildICmp(c->b, largest ? LLVMIntSGT : LLVMIntSLT, v, w, "");
    LLVMValueRef vn = LLVMBuildFCmp(c->b, LLVMRealUNO, v, v, "");
    LLVMValueRef wn = LLVMBuildFCmp(c->b, LLVMRealUNO, w, w, "");
    if (largest)
        return LLVMBuildOr(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, v, w, ""),
                           LLVMBuildAnd(c->b, vn, LLVMBuildNot(c->b, wn, ""), ""), "");
    return LLVMBuildOr(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, v, w, ""),
                       LLVMBuildAnd(c->b, wn, LLVMBuildNot(c->b, vn, ""), ""), "");
}

static odin_status l_topk(odin_lower_ctx *c) {
    const odin_node *nd = &c->g->nodes[c->node];
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0);
    int axis;
    topk_axis(c->g, c->node, &axis);
    int64_t k = odin_node_out_tensor(c->g, c->node, 0)->dims[axis], n = x->dims[axis];
    int64_t inner = odin_dims_product(x->dims, axis + 1, x->rank);
    int64_t dims[2] = {odin_dims_product(x->dims, 0, axis), inner};
    bool largest = c->g->opset < 11 || odin_attr_i(nd, "largest");
    bool fl = x->dtype == ODIN_F32 || x->dtype == ODIN_F64;
    LLVMTypeRef et = ty(c, x->dtype);
    if (k == 0) return ODIN_OK;
    LLVMValueRef pos = odin_entry_alloca(c, c->t_i64, "pos");
    nest ns;
    nest_begin(c, &ns, 2, dims);
    LLVMValueRef xbase = add(c, mul(c, ns.iv[0], n * inner), ns.iv[1]);
    LLVMValueRef ybase = add(c, mul(c, ns.iv[0], k * inner), ns.iv[1]);
    odin_loop l;
    LLVMValueRef j = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, n), 1, "j");
    LLVMValueRef v = odin_load(c, et, c->in[0], add(c, xbase, mul(c, j, inner)));
    /* the list holds min(j, k) entries; a full list takes v only if v beats its last */
    LLVMValueRef full = LLVMBuildICmp(c->b, LLVMIntSGE, j, odin_i64(c, k), "");
    LLVMValueRef last_i = add(c, ybase, odin_i64(c, (k - 1) * inner));
    LLVMBasicBlockRef chk = LLVMAppendBasicBlockInContext(c->c, c->fn, "chk");
    LLVMBasicBlockRef ins = LLVMAppendBasicBlockInContext(c->c, c->fn, "ins");
    LLVMBasicBlockRef shift_h = LLVMAppendBasicBlockInContext(c->c, c->fn, "shift_h");
    LLVMBasicBlockRef shift_b = LLVMAppendBasicBlockInContext(c->c, c->fn, "shift_b");
    LLVMBasicBlockRef place = LLVMAppendBasicBlockInContext(c->c, c->fn, "place");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(c->c, c->fn, "next");
    LLVMBuildCondBr(c->b, full, chk, ins);
    LLVMPositionBuilderAtEnd(c->b, chk);
    LLVMValueRef last = odin_load(c, et, c->out[0], last_i);
    LLVMBuildCondBr(c->b, topk_before(c, fl, largest, true, v, last), ins, next);
    LLVMPositionBuilderAtEnd(c->b, ins);
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, full, odin_i64(c, k - 1), j, ""), pos);
    LLVMBuildBr(c->b, shift_h);
    /* while (p > 0 && v before list[p-1]) list[p] = list[p-1], p-- */
    LLVMPositionBuilderAtEnd(c->b, shift_h);
    LLVMValueRef p = LLVMBuildLoad2(c->b, c->t_i64, pos, "");
    LLVMValueRef prev_i = add(c, ybase, mul(c, LLVMBuildSub(c->b, p, odin_i64(c, 1), ""), inner));
    LLVMValueRef pos_ok = LLVMBuildICmp(c->b, LLVMIntSGT, p, odin_i64(c, 0), "");
    LLVMBasicBlockRef cmp_b = LLVMAppendBasicBlockInContext(c->c, c->fn, "cmp");
    LLVMBuildCondBr(c->b, pos_ok, cmp_b, place);
    LLVMPositionBuilderAtEnd(c->b, cmp_b);
    LLVMValueRef prev = odin_load(c, et, c->out[0], prev_i);
    LLVMBuildCondBr(c->b, topk_before(c, fl, largest, true, v, prev), shift_b, place);
    LLVMPositionBuilderAtEnd(c->b, shift_b);
    LLVMValueRef here_i = add(c, ybase, mul(c, p, inner));
    odin_store(c, prev, c->out[0], here_i);
    odin_store(c, odin_load(c, c->t_i64, c->out[1], prev_i), c->out[1], here_i);
    LLVMBuildStore(c->b, LLVMBuildSub(c->b, p, odin_i64(c, 1), ""), pos);
    LLVMBuildBr(c->b, shift_h);
    LLVMPositionBuilderAtEnd(c->b, place);
    LLVMValueRef at = add(c, ybase, mul(c, LLVMBuildLoad2(c->b, c->t_i64, pos, ""), inner));
    odin_store(c, v, c->out[0], at);
    odin_store(c, j, c->out[1], at);
    LLVMBuildBr(c->b, next);
    LLVMPositionBuilderAtEnd(c->b, next);
    odin_loop_end(c, &l);
    nest_end(c, &ns);
    return ODIN_OK;
}

/* ---- GatherElements / ScatterElements ---- */

static bool elements_axis(const odin_graph *g, int node, int *axis) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *ix = odin_node_in_tensor(g, node, 1);
    if (!x || !ix || x->rank < 1 || ix->rank != x->rank || !is_index_dtype(ix->dtype)) return false;
    int64_t a = odin_attr_i(&g->nodes[node], "axis");
    if (a < 0) a += x->rank;
    if (a < 0 || a >= x->rank) return false;
    for (int d = 0; d < x->rank; d++)
        if (d != a && ix->dims[d] > x->dims[d]) return false;
    *axis = (int)a;
    return true;
}

static bool accept_gather_elements(const odin_graph *g, int node) {
    int axis;
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *y = odin_node_out_tensor(g, node, 0);
    return elements_axis(g, node, &axis) && odin_dtype_movable(x->dtype) && y && y->dtype == x->dtype;
}

static odin_status l_gather_elements(odin_lower_ctx *c) {
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0), *ix = odin_node_in_tensor(c->g, c->node, 1);
    int axis;
    elements_axis(c->g, c->node, &axis);
    int64_t xs[MAXR], is[MAXR];
    strides_of(x, xs);
    strides_of(ix, is);
    LLVMTypeRef et = odin_bits_type(c, odin_dtype_size(x->dtype));
    LLVMValueRef bad = flag_new(c);
    nest ns;
    nest_begin(c, &ns, ix->rank, ix->dims);
    LLVMValueRef i = nest_offset(c, &ns, is);
    LLVMValueRef j = load_index(c, ix->dtype, c->in[1], i, x->dims[axis], bad);
    int64_t xs_no_axis[MAXR];
    memcpy(xs_no_axis, xs, sizeof xs);
    xs_no_axis[axis] = 0;
    LLVMValueRef src = add(c, nest_offset(c, &ns, xs_no_axis), mul(c, j, xs[axis]));
    odin_store(c, odin_load(c, et, c->in[0], src), c->out[0], i);
    nest_end(c, &ns);
    flag_report(c, bad);
    return ODIN_OK;
}

/* Scatters: reduction "none" for any movable dtype; "add"/"mul"/"max"/"min" for f32. */
static bool scatter_reduction_ok(const odin_graph *g, int node, odin_dtype t) {
    const char *r = odin_attr_s(&g->nodes[node], "reduction");
    if (!r || !strcmp(r, "none")) return odin_dtype_movable(t);
    return t == ODIN_F32 && (!strcmp(r, "add") || !strcmp(r, "mul") || !strcmp(r, "max") || !strcmp(r, "min"));
}

/* y[dst] = combine(y[dst], upd[src]) per the node's reduction */
static void scatter_store(odin_lower_ctx *c, odin_dtype t, LLVMValueRef dst, LLVMValueRef src) {
    const char *r = odin_attr_s(&c->g->nodes[c->node], "reduction");
    if (!r || !strcmp(r, "none")) {
        LLVMTypeRef et = odin_bits_type(c, odin_dtype_size(t));
        odin_store(c, odin_load(c, et, c->in[2], src), c->out[0], dst);
        return;
    }
    LLVMValueRef a = odin_load(c, c->t_f32, c->out[0], dst), b = odin_load(c, c->t_f32, c->in[2], src);
    LLVMValueRef v;
    if (!strcmp(r, "add")) v = LLVMBuildFAdd(c->b, a, b, "");
    else if (!strcmp(r, "mul")) v = LLVMBuildFMul(c->b, a, b, "");
    else {
        bool mx = !strcmp(r, "max");
        LLVMValueRef take_b = LLVMBuildFCmp(c->b, mx ? LLVMRealOGT : LLVMRealOLT, b, a, "");
        v = LLVMBuildSelect(c->b, take_b, b, a, "");
    }
    odin_store(c, v, c->out[0], dst);
}

static bool accept_scatter_elements(const odin_graph *g, int node) {
    int axis;
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *u = odin_node_in_tensor(g, node, 2), *y = odin_node_out_tensor(g, node, 0);
    if (!elements_axis(g, node, &axis) || !u || !y || y->dtype != x->dtype || u->dtype != x->dtype)
        return false;
    const odin_tensor *ix = odin_node_in_tensor(g, node, 1);
    for (int d = 0; d < ix->rank; d++)
        if (u->rank != ix->rank || u->dims[d] != ix->dims[d]) return false;
    return scatter_reduction_ok(g, node, x->dtype);
}

static odin_status l_scatter_elements(odin_lower_ctx *c) {
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0), *ix = odin_node_in_tensor(c->g, c->node, 1);
    int axis;
    elements_axis(c->g, c->node, &axis);
    ODIN_TRY(copy_in0(c));
    int64_t xs[MAXR], is[MAXR];
    strides_of(x, xs);
    strides_of(ix, is);
    LLVMValueRef bad = flag_new(c);
    nest ns;
    nest_begin(c, &ns, ix->rank, ix->dims);
    LLVMValueRef i = nest_offset(c, &ns, is);
    LLVMValueRef j = load_index(c, ix->dtype, c->in[1], i, x->dims[axis], bad);
    int64_t xs_no_axis[MAXR];
    memcpy(xs_no_axis, xs, sizeof xs);
    xs_no_axis[axis] = 0;
    LLVMValueRef dst = add(c, nest_offset(c, &ns, xs_no_axis), mul(c, j, xs[axis]));
    scatter_store(c, x->dtype, dst, i);
    nest_end(c, &ns);
    flag_report(c, bad);
    return ODIN_OK;
}

/* ---- GatherND / ScatterND ---- */

static bool accept_gather_nd(const odin_graph *g, int node) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *ix = odin_node_in_tensor(g, node, 1), *y = odin_node_out_tensor(g, node, 0);
    if (!x || !ix || !y || !odin_dtype_movable(x->dtype) || y->dtype != x->dtype ||
        !is_index_dtype(ix->dtype) || ix->rank < 1)
        return false;
    int64_t b = odin_attr_i(&g->nodes[node], "batch_dims"), m = ix->dims[ix->rank - 1];
    return b >= 0 && b < ix->rank && m >= 1 && b + m <= x->rank;
}

static odin_status l_gather_nd(odin_lower_ctx *c) {
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0), *ix = odin_node_in_tensor(c->g, c->node, 1);
    int b = (int)odin_attr_i(&c->g->nodes[c->node], "batch_dims");
    int m = (int)ix->dims[ix->rank - 1];
    int64_t xs[MAXR];
    strides_of(x, xs);
    int64_t dims[3] = {odin_dims_product(x->dims, 0, b), odin_dims_product(ix->dims, b, ix->rank - 1),
                       odin_dims_product(x->dims, b + m, x->rank)};
    int64_t batch_stride = b ? xs[b - 1] : 0;
    LLVMTypeRef et = odin_bits_type(c, odin_dtype_size(x->dtype));
    LLVMValueRef bad = flag_new(c);
    nest ns;
    nest_begin(c, &ns, 2, dims);
    LLVMValueRef tuple = add(c, mul(c, ns.iv[0], dims[1]), ns.iv[1]);
    LLVMValueRef off = mul(c, ns.iv[0], batch_stride);
    for (int k = 0; k < m; k++) {
        LLVMValueRef j = load_index(c, ix->dtype, c->in[1], add(c, mul(c, tuple, m), odin_i64(c, k)),
                                    x->dims[b + k], bad);
        off = add(c, off, mul(c, j, xs[b + k]));
    }
    odin_loop l;
    LLVMValueRef e = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, dims[2]), 1, "e");
    odin_store(c, odin_load(c, et, c->in[0], add(c, off, e)), c->out[0],
               add(c, mul(c, tuple, dims[2]), e));
    odin_loop_end(c, &l);
    nest_end(c, &ns);
    flag_report(c, bad);
    return ODIN_OK;
}

static bool accept_scatter_nd(const odin_graph *g, int node) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *ix = odin_node_in_tensor(g, node, 1), *u = odin_node_in_tensor(g, node, 2),
                      *y = odin_node_out_tensor(g, node, 0);
    if (!x || !ix || !u || !y || y->dtype != x->dtype || u->dtype != x->dtype ||
        !is_index_dtype(ix->dtype) || ix->rank < 1)
        return false;
    int64_t m = ix->dims[ix->rank - 1];
    if (m < 1 || m > x->rank) return false;
    int64_t tuples = odin_dims_product(ix->dims, 0, ix->rank - 1);
    int64_t slice = odin_dims_product(x->dims, (int)m, x->rank);
    return odin_tensor_numel(u) == tuples * slice && scatter_reduction_ok(g, node, x->dtype);
}

static odin_status l_scatter_nd(odin_lower_ctx *c) {
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0), *ix = odin_node_in_tensor(c->g, c->node, 1);
    int m = (int)ix->dims[ix->rank - 1];
    ODIN_TRY(copy_in0(c));
    int64_t xs[MAXR];
    strides_of(x, xs);
    int64_t tuples = odin_dims_product(ix->dims, 0, ix->rank - 1);
    int64_t slice = odin_dims_product(x->dims, m, x->rank);
    LLVMValueRef bad = flag_new(c);
    odin_loop lt, le;
    LLVMValueRef t = odin_loop_begin(c, &lt, odin_i64(c, 0), odin_i64(c, tuples), 1, "t");
    LLVMValueRef off = odin_i64(c, 0);
    for (int k = 0; k < m; k++) {
        LLVMValueRef j = load_index(c, ix->dtype, c->in[1], add(c, mul(c, t, m), odin_i64(c, k)),
                                    x->dims[k], bad);
        off = add(c, off, mul(c, j, xs[k]));
    }
    LLVMValueRef e = odin_loop_begin(c, &le, odin_i64(c, 0), odin_i64(c, slice), 1, "e");
    scatter_store(c, x->dtype, add(c, off, e), add(c, mul(c, t, slice), e));
    odin_loop_end(c, &le);
    odin_loop_end(c, &lt);
    flag_report(c, bad);
    return ODIN_OK;
}

/* ---- OneHot: indices [outer, inner] -> [outer, depth, inner] ---- */

static bool onehot_axis(const odin_graph *g, int node, int *axis) {
    const odin_tensor *y = odin_node_out_tensor(g, node, 0);
    int64_t a = odin_attr_i(&g->nodes[node], "axis");
    if (a < 0) a += y->rank;
    if (a < 0 || a >= y->rank) return false;
    *axis = (int)a;
    return true;
}

static bool accept_onehot(const odin_graph *g, int node) {
    const odin_tensor *ix = odin_node_in_tensor(g, node, 0), *v = odin_node_in_tensor(g, node, 2), *y = odin_node_out_tensor(g, node, 0);
    int axis;
    if (!ix || !v || !y || !onehot_axis(g, node, &axis) || odin_tensor_numel(v) != 2) return false;
    odin_dtype t = ix->dtype;
    return (t == ODIN_I32 || t == ODIN_I64 || t == ODIN_F32) && odin_dtype_movable(v->dtype) &&
           y->dtype == v->dtype;
}

static odin_status l_onehot(odin_lower_ctx *c) {
    const odin_tensor *ix = odin_node_in_tensor(c->g, c->node, 0), *y = odin_node_out_tensor(c->g, c->node, 0);
    int axis;
    onehot_axis(c->g, c->node, &axis);
    int64_t depth = y->dims[axis];
    int64_t dims[3] = {odin_dims_product(y->dims, 0, axis), depth,
                       odin_dims_product(y->dims, axis + 1, y->rank)};
    LLVMTypeRef et = odin_bits_type(c, odin_dtype_size(y->dtype));
    LLVMValueRef off_v = odin_load(c, et, c->in[2], odin_i64(c, 0));
    LLVMValueRef on_v = odin_load(c, et, c->in[2], odin_i64(c, 1));
    nest ns;
    nest_begin(c, &ns, 3, dims);
    LLVMValueRef src = add(c, mul(c, ns.iv[0], dims[2]), ns.iv[2]);
    /* like the eval: in double, negatives wrap once, out of range leaves the row off */
    LLVMValueRef v = ld(c, ix->dtype, c->in[0], src);
    v = ix->dtype == ODIN_F32 ? LLVMBuildFPExt(c->b, v, c->t_f64, "") : LLVMBuildSIToFP(c->b, v, c->t_f64, "");
    LLVMValueRef fdepth = LLVMConstReal(c->t_f64, (double)depth), fzero = LLVMConstReal(c->t_f64, 0);
    LLVMValueRef neg = LLVMBuildFCmp(c->b, LLVMRealOLT, v, fzero, "");
    v = LLVMBuildSelect(c->b, neg, LLVMBuildFAdd(c->b, v, fdepth, ""), v, "");
    LLVMValueRef in_range = LLVMBuildAnd(c->b, LLVMBuildFCmp(c->b, LLVMRealOGE, v, fzero, ""),
                                         LLVMBuildFCmp(c->b, LLVMRealOLT, v, fdepth, ""), "");
    v = LLVMBuildSelect(c->b, in_range, v, fzero, "");
    LLVMValueRef j = LLVMBuildFPToSI(c->b, v, c->t_i64, "");
    LLVMValueRef hit = LLVMBuildAnd(c->b, in_range, LLVMBuildICmp(c->b, LLVMIntEQ, j, ns.iv[1], ""), "");
    LLVMValueRef dst = add(c, mul(c, add(c, mul(c, ns.iv[0], depth), ns.iv[1]), dims[2]), ns.iv[2]);
    odin_store(c, LLVMBuildSelect(c->b, hit, on_v, off_v, ""), c->out[0], dst);
    nest_end(c, &ns);
    return ODIN_OK;
}

/* ---- DepthToSpace / SpaceToDepth: one 6-D transposing box ---- */

static bool accept_d2s(const odin_graph *g, int node) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *y = odin_node_out_tensor(g, node, 0);
    int64_t bs = odin_attr_i(&g->nodes[node], "blocksize");
    return x && y && x->rank == 4 && odin_dtype_movable(x->dtype) && y->dtype == x->dtype &&
           bs >= 1 && odin_tensor_numel(x) == odin_tensor_numel(y);
}

static odin_status l_d2s(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0), *y = odin_node_out_tensor(c->g, c->node, 0);
    int64_t bs = odin_attr_i(n, "blocksize");
    bool d2s = !strcmp(n->op, "DepthToSpace");
    const char *mode = odin_attr_s(n, "mode");
    bool crd = d2s && mode && !strcmp(mode, "CRD");
    odin_box b;
    if (d2s) {
        /* x viewed [N, b, b, C', H, W] (DCR) or [N, C', b, b, H, W] (CRD); y is
         * [N, C', H, b, W, b]: the box walks y in order */
        int64_t N = x->dims[0], C = y->dims[1], H = x->dims[2], W = x->dims[3];
        int64_t yd[6] = {N, C, H, bs, W, bs};
        odin_box_init(&b, 6, yd, odin_dtype_size(x->dtype), 0, 0);
        int64_t sW = 1, sH = W, plane = H * W;
        int64_t s_c = crd ? bs * bs * plane : plane;
        int64_t s_b1 = crd ? bs * plane : bs * C * plane, s_b2 = crd ? plane : C * plane;
        int64_t src[6] = {x->dims[1] * plane, s_c, sH, s_b1, sW, s_b2};
        memcpy(b.src_stride, src, sizeof src);
    } else {
        /* y viewed [N, b, b, C, H', W']; x is [N, C, H', b, W', b]: walk x in order */
        int64_t N = x->dims[0], C = x->dims[1], H = y->dims[2], W = y->dims[3];
        int64_t xd[6] = {N, C, H, bs, W, bs};
        odin_box_init(&b, 6, xd, odin_dtype_size(x->dtype), 0, 0);
        int64_t plane = H * W;
        int64_t dst[6] = {y->dims[1] * plane, plane, W, bs * C * plane, 1, C * plane};
        memcpy(b.dst_stride, dst, sizeof dst);
    }
    return odin_emit_box(c, &b);
}

/* ---- EyeLike ---- */

static bool accept_eyelike(const odin_graph *g, int node) {
    const odin_tensor *y = odin_node_out_tensor(g, node, 0);
    return y && y->rank == 2 && (y->dtype == ODIN_F32 || y->dtype == ODIN_F64 || y->dtype == ODIN_I32 ||
                                 y->dtype == ODIN_I64 || y->dtype == ODIN_I8 || y->dtype == ODIN_U8 ||
                                 y->dtype == ODIN_BOOL);
}

static odin_status l_eyelike(odin_lower_ctx *c) {
    const odin_tensor *y = odin_node_out_tensor(c->g, c->node, 0);
    int64_t k = odin_attr_i(&c->g->nodes[c->node], "k");
    int64_t dims[2] = {y->dims[0], y->dims[1]};
    LLVMTypeRef et = ty(c, y->dtype);
    bool fl = y->dtype == ODIN_F32 || y->dtype == ODIN_F64;
    LLVMValueRef one = fl ? LLVMConstReal(et, 1) : LLVMConstInt(et, 1, 0);
    nest ns;
    nest_begin(c, &ns, 2, dims);
    LLVMValueRef on = LLVMBuildICmp(c->b, LLVMIntEQ, LLVMBuildSub(c->b, ns.iv[1], ns.iv[0], ""),
                                    odin_i64(c, k), "");
    odin_store(c, LLVMBuildSelect(c->b, on, one, LLVMConstNull(et), ""), c->out[0],
               add(c, mul(c, ns.iv[0], dims[1]), ns.iv[1]));
    nest_end(c, &ns);
    return ODIN_OK;
}

const odin_lowering odin_lowerings_misc[] = {
    {"CumSum", l_cumsum, NULL, false, accept_cumsum},
    {"Trilu", l_trilu, NULL, false, accept_trilu},
    {"Range", l_range, NULL, false, accept_range},
    {"TopK", l_topk, NULL, false, accept_topk},
    {"GatherElements", l_gather_elements, NULL, false, accept_gather_elements},
    {"ScatterElements", l_scatter_elements, NULL, false, accept_scatter_elements},
    {"Scatter", l_scatter_elements, NULL, false, accept_scatter_elements}, /* opset 9-10 name */
    {"GatherND", l_gather_nd, NULL, false, accept_gather_nd},
    {"ScatterND", l_scatter_nd, NULL, false, accept_scatter_nd},
    {"OneHot", l_onehot, NULL, false, accept_onehot},
    {"DepthToSpace", l_d2s, NULL, false, accept_d2s},
    {"SpaceToDepth", l_d2s, NULL, false, accept_d2s},
    {"EyeLike", l_eyelike, NULL, false, accept_eyelike},
    {NULL, NULL, NULL, false, NULL},
};
