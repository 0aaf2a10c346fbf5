/* codegen/lower_misc2.c — the ops of ops/misc2.c as code: Det (the eval's LU with
 * partial pivoting, in double on a stack copy of each matrix, the same operations in the
 * same order), LRN (sums of squares over the channel window in double; the power through
 * the f32 mathlib's exp / log) and ReverseSequence (element copies with the run-time
 * lengths; a length outside [0, time] goes to the eval, which reports it). */
#include <string.h>

#include "lower_util.h"
#include "mathlib.h"

#define DET_MAX 64 /* larger matrices keep the eval (the stack copy is m * m doubles) */

static const odin_tensor *tout(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    return n->n_outputs >= 1 && n->outputs[0] >= 0 ? &g->tensors[n->outputs[0]] : NULL;
}
static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAdd(c->b, a, b, ""); }
static LLVMValueRef mulk(odin_lower_ctx *c, LLVMValueRef a, int64_t k) { return LLVMBuildMul(c->b, a, odin_i64(c, k), ""); }
static LLVMValueRef get(odin_lower_ctx *c, LLVMTypeRef t, LLVMValueRef p) { return LLVMBuildLoad2(c->b, t, p, ""); }
static LLVMValueRef to_f64(odin_lower_ctx *c, LLVMValueRef v) {
    return LLVMTypeOf(v) == c->t_f64 ? v : LLVMBuildFPExt(c->b, v, c->t_f64, "");
}
static LLVMValueRef fabs_d(odin_lower_ctx *c, LLVMValueRef v) { return odin_intrinsic(c, "llvm.fabs", c->t_f64, &v, 1); }

/* ---- Det ---- */

static bool accept_det(const odin_graph *g, int node) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *y = tout(g, node);
    return x && y && (x->dtype == ODIN_F32 || x->dtype == ODIN_F64) && y->dtype == x->dtype && x->rank >= 2 &&
           x->dims[x->rank - 1] == x->dims[x->rank - 2] && x->dims[x->rank - 1] <= DET_MAX;
}

static odin_status l_det(odin_lower_ctx *c) {
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0);
    LLVMTypeRef et = odin_llvm_type(c, x->dtype);
    int64_t m = x->dims[x->rank - 1], batch = odin_dims_product(x->dims, 0, x->rank - 2);
    if (batch == 0) return ODIN_OK;
    LLVMValueRef a = odin_entry_alloca(c, LLVMArrayType2(c->t_f64, (uint64_t)(m * m > 0 ? m * m : 1)), "a");
    LLVMValueRef det = odin_entry_alloca(c, c->t_f64, "det"), zero = odin_entry_alloca(c, c->t_i1, "zero");
    LLVMValueRef piv_row = odin_entry_alloca(c, c->t_i64, "p");
    odin_loop lb, li, lk, lr, lj;
    LLVMValueRef b = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, batch), 1, "b");
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, m * m), 1, "i");
    odin_store(c, to_f64(c, odin_load(c, et, c->in[0], add(c, mulk(c, b, m * m), i))), a, i);
    odin_loop_end(c, &li);
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 1), det);
    LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), zero);
#define A(r, col) odin_gep(c, c->t_f64, a, add(c, mulk(c, (r), m), (col)))
    LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, m), 1, "k");
    /* pivot: the first row of largest |a[i][k]| at or below k */
    LLVMBuildStore(c->b, k, piv_row);
    i = odin_loop_begin(c, &li, add(c, k, odin_i64(c, 1)), odin_i64(c, m), 1, "i");
    LLVMValueRef p = get(c, c->t_i64, piv_row);
    LLVMValueRef bigger = LLVMBuildFCmp(c->b, LLVMRealOGT, fabs_d(c, get(c, c->t_f64, A(i, k))),
                                        fabs_d(c, get(c, c->t_f64, A(p, k))), "");
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, bigger, i, p, ""), piv_row);
    odin_loop_end(c, &li);
    p = get(c, c->t_i64, piv_row);
    LLVMValueRef is0 = LLVMBuildFCmp(c->b, LLVMRealOEQ, get(c, c->t_f64, A(p, k)), LLVMConstReal(c->t_f64, 0), "");
    LLVMBuildStore(c->b, LLVMBuildOr(c->b, get(c, c->t_i1, zero), is0, ""), zero);
    /* swap rows k and p (a no-op when p == k) */
    LLVMValueRef j = odin_loop_begin(c, &lj, odin_i64(c, 0), odin_i64(c, m), 1, "j");
    LLVMValueRef pk = A(k, j), pp = A(p, j);
    LLVMValueRef vk = get(c, c->t_f64, pk), vp = get(c, c->t_f64, pp);
    LLVMBuildStore(c->b, vp, pk);
    LLVMBuildStore(c->b, vk, pp);
    odin_loop_end(c, &lj);
    LLVMValueRef d = get(c, c->t_f64, det);
    d = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntNE, p, k, ""), LLVMBuildFNeg(c->b, d, ""), d, "");
    LLVMValueRef piv = get(c, c->t_f64, A(k, k));
    LLVMBuildStore(c->b, LLVMBuildFMul(c->b, d, piv, ""), det);
    LLVMValueRef r = odin_loop_begin(c, &lr, add(c, k, odin_i64(c, 1)), odin_i64(c, m), 1, "r");
    LLVMValueRef f = LLVMBuildFDiv(c->b, get(c, c->t_f64, A(r, k)), piv, "");
    j = odin_loop_begin(c, &lj, add(c, k, odin_i64(c, 1)), odin_i64(c, m), 1, "j");
    LLVMValueRef pr = A(r, j);
    LLVMValueRef upd = LLVMBuildFSub(c->b, get(c, c->t_f64, pr), LLVMBuildFMul(c->b, f, get(c, c->t_f64, A(k, j)), ""), "");
    LLVMBuildStore(c->b, upd, pr);
    odin_loop_end(c, &lj);
    odin_loop_end(c, &lr);
    odin_loop_end(c, &lk);
#undef A
    /* a zero pivot: the eval returns 0 at once */
    LLVMValueRef res = LLVMBuildSelect(c->b, get(c, c->t_i1, zero), LLVMConstReal(c->t_f64, 0), get(c, c->t_f64, det), "");
    if (et != c->t_f64) res = LLVMBuildFPTrunc(c->b, res, et, "");
    odin_store(c, res, c->out[0], b);
    odin_loop_end(c, &lb);
    return ODIN_OK;
}

/* ---- LRN ---- */

static bool accept_lrn(const odin_graph *g, int node) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *y = tout(g, node);
    return x && y && x->dtype == ODIN_F32 && y->dtype == ODIN_F32 && x->rank >= 3 &&
           odin_attr_i(&g->nodes[node], "size") > 0;
}

static odin_status l_lrn(odin_lower_ctx *c) {
    const odin_node *nd = &c->g->nodes[c->node];
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0);
    int64_t size = odin_attr_i(nd, "size");
    double alpha = odin_attr_f(nd, "alpha"), beta = odin_attr_f(nd, "beta"), bias = odin_attr_f(nd, "bias");
    int64_t N = x->dims[0], C = x->dims[1], inner = odin_dims_product(x->dims, 2, x->rank);
    int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
    if (N * C * inner == 0) return ODIN_OK;
    LLVMValueRef sq = odin_entry_alloca(c, c->t_f64, "sq");
    odin_loop lb, lc, li, lk;
    LLVMValueRef b = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, N), 1, "b");
    LLVMValueRef ch = odin_loop_begin(c, &lc, odin_i64(c, 0), odin_i64(c, C), 1, "c");
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, inner), 1, "i");
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 0), sq);
    /* channels [max(ch - lo, 0), min(ch + hi, C - 1)] */
    LLVMValueRef k0 = LLVMBuildSub(c->b, ch, odin_i64(c, lo), ""), k1 = add(c, ch, odin_i64(c, hi + 1));
    k0 = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, k0, odin_i64(c, 0), ""), odin_i64(c, 0), k0, "");
    k1 = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, k1, odin_i64(c, C), ""), odin_i64(c, C), k1, "");
    LLVMValueRef k = odin_loop_begin(c, &lk, k0, k1, 1, "k");
    LLVMValueRef v = to_f64(c, odin_load(c, c->t_f32, c->in[0], add(c, mulk(c, add(c, mulk(c, b, C), k), inner), i)));
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, get(c, c->t_f64, sq), LLVMBuildFMul(c->b, v, v, ""), ""), sq);
    odin_loop_end(c, &lk);
    LLVMValueRef at = add(c, mulk(c, add(c, mulk(c, b, C), ch), inner), i);
    LLVMValueRef base = LLVMBuildFAdd(c->b, LLVMConstReal(c->t_f64, bias),
                                      LLVMBuildFMul(c->b, LLVMConstReal(c->t_f64, alpha / (double)size), get(c, c->t_f64, sq), ""), "");
    /* v / base^beta = v * exp(-beta log base) */
    LLVMValueRef lg = odin_math_log(c, LLVMBuildFPTrunc(c->b, base, c->t_f32, ""));
    LLVMValueRef scale = odin_math_exp(c, LLVMBuildFMul(c->b, lg, LLVMConstReal(c->t_f32, -beta), ""));
    odin_store(c, LLVMBuildFMul(c->b, odin_load(c, c->t_f32, c->in[0], at), scale, ""), c->out[0], at);
    odin_loop_end(c, &li);
    odin_loop_end(c, &lc);
    odin_loop_end(c, &lb);
    return ODIN_OK;
}

/* ---- ReverseSequence ---- */

static bool accept_revseq(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *l = odin_node_in_tensor(g, node, 1), *y = tout(g, node);
    int64_t ba = odin_attr_i(n, "batch_axis"), ta = odin_attr_i(n, "time_axis");
    return x && l && y && odin_dtype_movable(x->dtype) && y->dtype == x->dtype && x->rank >= 2 &&
           (l->dtype == ODIN_I32 || l->dtype == ODIN_I64) && l->rank == 1 && (ba == 0 || ba == 1) &&
           (ta == 0 || ta == 1) && ba != ta && l->dims[0] == x->dims[ba];
}

static odin_status l_revseq(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0), *l = odin_node_in_tensor(c->g, c->node, 1);
    int ba = (int)odin_attr_i(n, "batch_axis");
    int64_t d1 = x->dims[1], inner = odin_dims_product(x->dims, 2, x->rank);
    int64_t nb = x->dims[ba], nt = x->dims[1 - ba];
    LLVMTypeRef bt = odin_bits_type(c, odin_dtype_size(x->dtype));
    LLVMValueRef bad = odin_entry_alloca(c, c->t_i1, "bad");
    LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), bad);
    odin_loop lb, lt, li;
    LLVMValueRef b = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, nb), 1, "b");
    LLVMValueRef len = odin_load(c, odin_llvm_type(c, l->dtype), c->in[1], b);
    if (l->dtype != ODIN_I64) len = LLVMBuildSExt(c->b, len, c->t_i64, "");
    LLVMValueRef oob = LLVMBuildICmp(c->b, LLVMIntUGT, len, odin_i64(c, nt), "");
    LLVMBuildStore(c->b, LLVMBuildOr(c->b, get(c, c->t_i1, bad), oob, ""), bad);
    len = LLVMBuildSelect(c->b, oob, odin_i64(c, 0), len, "");
    LLVMValueRef t = odin_loop_begin(c, &lt, odin_i64(c, 0), odin_i64(c, nt), 1, "t");
    LLVMValueRef rev = LLVMBuildSub(c->b, LLVMBuildSub(c->b, len, odin_i64(c, 1), ""), t, "");
    LLVMValueRef st = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, t, len, ""), rev, t, "");
    LLVMValueRef drow = ba == 0 ? add(c, mulk(c, b, d1), t) : add(c, mulk(c, t, d1), b);
    LLVMValueRef srow = ba == 0 ? add(c, mulk(c, b, d1), st) : add(c, mulk(c, st, d1), b);
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, inner), 1, "i");
    odin_store(c, odin_load(c, bt, c->in[0], add(c, mulk(c, srow, inner), i)), c->out[0], add(c, mulk(c, drow, inner), i));
    odin_loop_end(c, &li);
    odin_loop_end(c, &lt);
    odin_loop_end(c, &lb);
    odin_emit_error_exit(c, get(c, c->t_i1, bad));
    return ODIN_OK;
}

const odin_lowering odin_lowerings_misc2[] = {
    {"Det", l_det, NULL, false, accept_det},
    {"LRN", l_lrn, NULL, false, accept_lrn},
    {"ReverseSequence", l_revseq, NULL, false, accept_revseq},
    {NULL, NULL, NULL, false, NULL},
};
