/* codegen/lower_lpnorm.c — LpNormalization (x / its L1 or L2 norm along an axis) and
 * MeanVarianceNormalization ((x - mean) / (sqrt(E[x^2] - mean^2) + 1e-9) over axes), f32
 * and f64, as the eval computes them: per group, sums in double over the group's elements
 * in memory order, then every element rescaled; results match it bit for bit. */
#include <string.h>

#include "lower_util.h"

#define MAXR ODIN_MAX_RANK

static bool float_io(const odin_graph *g, int node, odin_dtype *t) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return false;
    *t = g->tensors[n->inputs[0]].dtype;
    return (*t == ODIN_F32 || *t == ODIN_F64) && g->tensors[n->outputs[0]].dtype == *t;
}

/* Which dims each group spans (reduced) for the node; false when unsupported. */
static bool groups_of(const odin_graph *g, int node, bool *reduce, bool *l1) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = &g->tensors[n->inputs[0]];
    for (int d = 0; d < MAXR; d++) reduce[d] = false;
    if (!strcmp(n->op, "LpNormalization")) {
        int64_t p = odin_attr_i(n, "p");
        if (p != 1 && p != 2) return false;
        *l1 = p == 1;
        if (x->rank == 0) return true;
        int64_t a = odin_attr_i(n, "axis");
        if (a < 0) a += x->rank;
        if (a < 0 || a >= x->rank) return false;
        reduce[a] = true;
        return true;
    }
    static const int64_t def_axes[3] = {0, 2, 3};
    const int64_t *axes;
    int na = odin_attr_ints(n, "axes", &axes);
    if (!odin_node_has_attr(n, "axes")) axes = def_axes, na = 3;
    for (int i = 0; i < na; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + x->rank : axes[i];
        if (a < 0 || a >= x->rank) return false;
        reduce[a] = true;
    }
    return true;
}

static bool accept_lp(const odin_graph *g, int node) {
    odin_dtype t;
    bool reduce[MAXR], l1;
    return float_io(g, node, &t) && groups_of(g, node, reduce, &l1);
}

typedef struct lp_nest {
    int nk, nr;
    int64_t kdim[MAXR], kstride[MAXR], rdim[MAXR], rstride[MAXR];
} lp_nest;

static LLVMValueRef rloops_begin(odin_lower_ctx *c, const lp_nest *e, odin_loop *l, LLVMValueRef base) {
    for (int d = 0; d < e->nr; d++) {
        LLVMValueRef i = odin_loop_begin(c, &l[d], odin_i64(c, 0), odin_i64(c, e->rdim[d]), 1, "r");
        base = LLVMBuildAdd(c->b, base, LLVMBuildMul(c->b, i, odin_i64(c, e->rstride[d]), ""), "");
    }
    return base;
}
static void rloops_end(odin_lower_ctx *c, const lp_nest *e, odin_loop *l) {
    for (int d = e->nr - 1; d >= 0; d--) odin_loop_end(c, &l[d]);
}

static odin_status l_lp(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]];
    bool reduce[MAXR], l1 = false, mvn = !strcmp(n->op, "MeanVarianceNormalization");
    odin_dtype t;
    if (!float_io(c->g, c->node, &t) || !groups_of(c->g, c->node, reduce, &l1)) return odin_errorf("unsupported");
    LLVMTypeRef et = odin_llvm_type(c, t);
    int64_t numel = odin_tensor_numel(x);
    if (numel == 0) return ODIN_OK;
    lp_nest e = {0};
    int64_t s = 1, xs[MAXR], count = 1;
    for (int d = x->rank - 1; d >= 0; d--) xs[d] = s, s *= x->dims[d];
    for (int d = 0; d < x->rank; d++) {
        if (reduce[d]) e.rdim[e.nr] = x->dims[d], e.rstride[e.nr++] = xs[d], count *= x->dims[d];
        else e.kdim[e.nk] = x->dims[d], e.kstride[e.nk++] = xs[d];
    }
    LLVMValueRef sum = odin_entry_alloca(c, c->t_f64, "sum"), sq = odin_entry_alloca(c, c->t_f64, "sq");
    odin_loop kl[MAXR], rl[MAXR];
    LLVMValueRef base = odin_i64(c, 0);
    for (int d = 0; d < e.nk; d++) {
        LLVMValueRef i = odin_loop_begin(c, &kl[d], odin_i64(c, 0), odin_i64(c, e.kdim[d]), 1, "k");
        base = LLVMBuildAdd(c->b, base, LLVMBuildMul(c->b, i, odin_i64(c, e.kstride[d]), ""), "");
    }
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 0), sum);
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 0), sq);
    LLVMValueRef at = rloops_begin(c, &e, rl, base);
    LLVMValueRef v = odin_load(c, et, c->in[0], at);
    if (et != c->t_f64) v = LLVMBuildFPExt(c->b, v, c->t_f64, "");
    LLVMValueRef term = l1 ? odin_intrinsic(c, "llvm.fabs", c->t_f64, &v, 1) : LLVMBuildFMul(c->b, v, v, "");
    if (mvn) LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f64, sum, ""), v, ""), sum);
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f64, sq, ""), term, ""), sq);
    rloops_end(c, &e, rl);
    LLVMValueRef shift = LLVMConstReal(c->t_f64, 0), div;
    if (mvn) {
        LLVMValueRef cnt = LLVMConstReal(c->t_f64, (double)count);
        LLVMValueRef mean = LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, c->t_f64, sum, ""), cnt, "");
        LLVMValueRef var = LLVMBuildFSub(c->b, LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, c->t_f64, sq, ""), cnt, ""),
                                         LLVMBuildFMul(c->b, mean, mean, ""), "");
        LLVMValueRef pos = LLVMBuildFCmp(c->b, LLVMRealOGT, var, LLVMConstReal(c->t_f64, 0), "");
        var = LLVMBuildSelect(c->b, pos, var, LLVMConstReal(c->t_f64, 0), "");
        LLVMValueRef sd = odin_intrinsic(c, "llvm.sqrt", c->t_f64, &var, 1);
        shift = mean;
        div = LLVMBuildFAdd(c->b, sd, LLVMConstReal(c->t_f64, 1e-9), "");
    } else {
        div = LLVMBuildLoad2(c->b, c->t_f64, sq, "");
        if (!l1) div = odin_intrinsic(c, "llvm.sqrt", c->t_f64, &div, 1);
    }
    at = rloops_begin(c, &e, rl, base);
    v = odin_load(c, et, c->in[0], at);
    if (et != c->t_f64) v = LLVMBuildFPExt(c->b, v, c->t_f64, "");
    LLVMValueRef y = LLVMBuildFDiv(c->b, mvn ? LLVMBuildFSub(c->b, v, shift, "") : v, div, "");
    if (et != c->t_f64) y = LLVMBuildFPTrunc(c->b, y, et, "");
    odin_store(c, y, c->out[0], at);
    rloops_end(c, &e, rl);
    for (int d = e.nk - 1; d >= 0; d--) odin_loop_end(c, &kl[d]);
    return ODIN_OK;
}

const odin_lowering odin_lowerings_lpnorm[] = {
    {"LpNormalization", l_lp, NULL, false, accept_lp},
    {"MeanVarianceNormalization", l_lp, NULL, false, accept_lp},
    {NULL, NULL, NULL, false, NULL},
};
