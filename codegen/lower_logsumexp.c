/* codegen/lower_logsumexp.c — ReduceLogSumExp over any static set of axes (f32, f64):
 * per output, the maximum of its group (NaN sticks), then the sum of exp(x - max) in
 * double, then max + log(sum), as the eval does so large inputs do not overflow; a group
 * whose maximum is not finite yields that maximum. exp / log come from the f32 mathlib
 * (the shifted values are <= 0, the sum in [1, count]). */
#include <math.h>
#include <string.h>

#include "lower_util.h"
#include "mathlib.h"

#define MAXR ODIN_MAX_RANK

static bool accept_lse(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return false;
    odin_dtype t = g->tensors[n->inputs[0]].dtype;
    bool reduce[MAXR], noop;
    return (t == ODIN_F32 || t == ODIN_F64) && g->tensors[n->outputs[0]].dtype == t &&
           odin_reduce_axes(g, node, reduce, &noop);
}

typedef struct lse_nest {
    int nk, nr;                         /* kept / reduced dims */
    int64_t kdim[MAXR], kstride[MAXR];  /* input strides */
    int64_t rdim[MAXR], rstride[MAXR];
} lse_nest;

/* Loops over the reduced dims at input offset base; returns the offset of the element. */
static LLVMValueRef reduced_begin(odin_lower_ctx *c, const lse_nest *e, odin_loop *l, LLVMValueRef base) {
    LLVMValueRef off = base;
    for (int d = 0; d < e->nr; d++) {
        LLVMValueRef i = odin_loop_begin(c, &l[d], odin_i64(c, 0), odin_i64(c, e->rdim[d]), 1, "r");
        off = LLVMBuildAdd(c->b, off, LLVMBuildMul(c->b, i, odin_i64(c, e->rstride[d]), ""), "");
    }
    return off;
}
static void reduced_end(odin_lower_ctx *c, const lse_nest *e, odin_loop *l) {
    for (int d = e->nr - 1; d >= 0; d--) odin_loop_end(c, &l[d]);
}

static odin_status l_lse(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]], *y = &c->g->tensors[n->outputs[0]];
    LLVMTypeRef et = odin_llvm_type(c, x->dtype);
    bool reduce[MAXR], noop;
    if (!odin_reduce_axes(c->g, c->node, reduce, &noop)) return odin_errorf("axes are not constant");
    int64_t numel = odin_tensor_numel(y);
    if (numel == 0) return ODIN_OK;
    if (noop) {
        odin_loop l;
        LLVMValueRef i = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, numel), 1, "i");
        odin_store(c, odin_load(c, et, c->in[0], i), c->out[0], i);
        odin_loop_end(c, &l);
        return ODIN_OK;
    }
    lse_nest e = {0};
    int64_t xs[MAXR], s = 1;
    for (int d = x->rank - 1; d >= 0; d--) xs[d] = s, s *= x->dims[d];
    for (int d = 0; d < x->rank; d++) {
        if (reduce[d]) e.rdim[e.nr] = x->dims[d], e.rstride[e.nr++] = xs[d];
        else e.kdim[e.nk] = x->dims[d], e.kstride[e.nk++] = xs[d];
    }
    LLVMValueRef mx = odin_entry_alloca(c, c->t_f64, "max");
    LLVMValueRef sum = odin_entry_alloca(c, c->t_f64, "sum");
    odin_loop kl[MAXR], rl[MAXR];
    LLVMValueRef base = odin_i64(c, 0), o = odin_i64(c, 0);
    for (int d = 0; d < e.nk; d++) {
        LLVMValueRef i = odin_loop_begin(c, &kl[d], odin_i64(c, 0), odin_i64(c, e.kdim[d]), 1, "k");
        base = LLVMBuildAdd(c->b, base, LLVMBuildMul(c->b, i, odin_i64(c, e.kstride[d]), ""), "");
        o = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, o, odin_i64(c, e.kdim[d]), ""), i, "");
    }
    /* pass 1: the maximum; a NaN replaces it (as `isnan(v) || v > max`) */
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, -INFINITY), mx);
    LLVMValueRef at = reduced_begin(c, &e, rl, base);
    LLVMValueRef v = odin_load(c, et, c->in[0], at);
    if (et != c->t_f64) v = LLVMBuildFPExt(c->b, v, c->t_f64, "");
    LLVMValueRef m = LLVMBuildLoad2(c->b, c->t_f64, mx, "");
    LLVMValueRef take = LLVMBuildFCmp(c->b, LLVMRealUGT, v, m, ""); /* unordered: v is NaN (m NaN: v > NaN false) */
    LLVMValueRef v_nan = LLVMBuildFCmp(c->b, LLVMRealUNO, v, v, "");
    take = LLVMBuildOr(c->b, v_nan, LLVMBuildAnd(c->b, take, LLVMBuildFCmp(c->b, LLVMRealORD, m, m, ""), ""), "");
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, take, v, m, ""), mx);
    reduced_end(c, &e, rl);
    /* pass 2: sum of exp(x - max) */
    LLVMValueRef mall = LLVMBuildLoad2(c->b, c->t_f64, mx, "");
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 0), sum);
    at = reduced_begin(c, &e, rl, base);
    v = odin_load(c, et, c->in[0], at);
    if (et != c->t_f64) v = LLVMBuildFPExt(c->b, v, c->t_f64, "");
    LLVMValueRef sh = LLVMBuildFPTrunc(c->b, LLVMBuildFSub(c->b, v, mall, ""), c->t_f32, "");
    LLVMValueRef ex = LLVMBuildFPExt(c->b, odin_math_exp(c, sh), c->t_f64, "");
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f64, sum, ""), ex, ""), sum);
    reduced_end(c, &e, rl);
    LLVMValueRef total = LLVMBuildLoad2(c->b, c->t_f64, sum, "");
    LLVMValueRef lg = LLVMBuildFPExt(c->b, odin_math_log(c, LLVMBuildFPTrunc(c->b, total, c->t_f32, "")), c->t_f64, "");
    LLVMValueRef am = odin_intrinsic(c, "llvm.fabs", c->t_f64, &mall, 1);
    LLVMValueRef finite = LLVMBuildFCmp(c->b, LLVMRealOLT, am, LLVMConstReal(c->t_f64, INFINITY), "");
    LLVMValueRef r = LLVMBuildSelect(c->b, finite, LLVMBuildFAdd(c->b, mall, lg, ""), mall, "");
    if (et != c->t_f64) r = LLVMBuildFPTrunc(c->b, r, et, "");
    odin_store(c, r, c->out[0], o);
    for (int d = e.nk - 1; d >= 0; d--) odin_loop_end(c, &kl[d]);
    return ODIN_OK;
}

const odin_lowering odin_lowerings_logsumexp[] = {
    {"ReduceLogSumExp", l_lse, NULL, false, accept_lse},
    {NULL, NULL, NULL, false, NULL},
};
