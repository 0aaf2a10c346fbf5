/* codegen/lower_loss.c — NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (the same
 * loss over LogSoftmax along axis 1, with an optional log_prob output). Mirrors the eval
 * (ops/loss.c): per (n, d) position the picked log-probability times the class weight,
 * summed in double in the same order; mean divides by the summed weights. The softmax's
 * exp / log use the f32 mathlib on max-shifted values (accumulated in double). A target
 * outside [0, C) that is not ignore_index sends the node to its eval, which reports it. */
#include <math.h>
#include <string.h>

#include "lower_util.h"
#include "mathlib.h"

typedef enum { RED_NONE, RED_SUM, RED_MEAN, RED_BAD } reduction;

static reduction reduction_of(const odin_node *n) {
    const char *s = odin_attr_s(n, "reduction");
    if (!s || !strcmp(s, "mean")) return RED_MEAN;
    if (!strcmp(s, "sum")) return RED_SUM;
    if (!strcmp(s, "none")) return RED_NONE;
    return RED_BAD;
}

static bool accept_loss(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 2 || n->inputs[0] < 0 || n->inputs[1] < 0 || n->n_outputs < 1 || n->outputs[0] < 0)
        return false;
    const odin_tensor *x = &g->tensors[n->inputs[0]], *t = &g->tensors[n->inputs[1]];
    if ((x->dtype != ODIN_F32 && x->dtype != ODIN_F64) || (t->dtype != ODIN_I32 && t->dtype != ODIN_I64))
        return false;
    if (x->rank < 2 || t->rank != x->rank - 1 || reduction_of(n) == RED_BAD) return false;
    int w = odin_node_in(g, node, 2);
    if (w >= 0 && (g->tensors[w].dtype != x->dtype || g->tensors[w].rank != 1 || g->tensors[w].dims[0] != x->dims[1]))
        return false;
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0 && g->tensors[n->outputs[i]].dtype != x->dtype) return false;
    return true;
}

static LLVMValueRef to_f64(odin_lower_ctx *c, LLVMValueRef v) {
    return LLVMTypeOf(v) == c->t_f64 ? v : LLVMBuildFPExt(c->b, v, c->t_f64, "");
}
static LLVMValueRef from_f64(odin_lower_ctx *c, LLVMValueRef v, LLVMTypeRef ty) {
    return ty == c->t_f64 ? v : LLVMBuildFPTrunc(c->b, v, ty, "");
}
static LLVMValueRef f64c(odin_lower_ctx *c, double v) { return LLVMConstReal(c->t_f64, v); }
static LLVMValueRef exp_d(odin_lower_ctx *c, LLVMValueRef d) {
    return LLVMBuildFPExt(c->b, odin_math_exp(c, LLVMBuildFPTrunc(c->b, d, c->t_f32, "")), c->t_f64, "");
}
static LLVMValueRef log_d(odin_lower_ctx *c, LLVMValueRef d) {
    return LLVMBuildFPExt(c->b, odin_math_log(c, LLVMBuildFPTrunc(c->b, d, c->t_f32, "")), c->t_f64, "");
}
static LLVMValueRef acc_new(odin_lower_ctx *c, LLVMTypeRef ty, LLVMValueRef init, const char *name) {
    LLVMValueRef a = odin_entry_alloca(c, ty, name);
    LLVMBuildStore(c->b, init, a);
    return a;
}
static LLVMValueRef get(odin_lower_ctx *c, LLVMTypeRef ty, LLVMValueRef a) { return LLVMBuildLoad2(c->b, ty, a, ""); }

static odin_status l_loss(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]], *t = &c->g->tensors[n->inputs[1]];
    bool softmax = !strcmp(n->op, "SoftmaxCrossEntropyLoss");
    reduction red = reduction_of(n);
    bool has_ii = odin_node_has_attr(n, "ignore_index");
    int64_t ii = has_ii ? odin_attr_i(n, "ignore_index") : 0;
    bool has_w = odin_node_in(c->g, c->node, 2) >= 0;
    LLVMValueRef lp_out = n->n_outputs > 1 && n->outputs[1] >= 0 ? c->out[1] : NULL;
    LLVMTypeRef et = odin_llvm_type(c, x->dtype), tt = odin_llvm_type(c, t->dtype);
    int64_t N = x->dims[0], C = x->dims[1], D = odin_dims_product(x->dims, 2, x->rank);

    LLVMValueRef sum = acc_new(c, c->t_f64, f64c(c, 0), "sum");
    LLVMValueRef wsum = acc_new(c, c->t_f64, f64c(c, 0), "wsum");
    LLVMValueRef bad = acc_new(c, c->t_i1, LLVMConstInt(c->t_i1, 0, 0), "bad");
    LLVMValueRef mx = acc_new(c, c->t_f64, f64c(c, 0), "max");
    LLVMValueRef se = acc_new(c, c->t_f64, f64c(c, 0), "sumexp");
    odin_loop li, lj, lk;
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, N), 1, "n");
    LLVMValueRef j = odin_loop_begin(c, &lj, odin_i64(c, 0), odin_i64(c, D), 1, "d");
    /* element (i, k, j) of the scores sits at row + k * D */
    LLVMValueRef row = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, i, odin_i64(c, C * D), ""), j, "");
    LLVMValueRef lse = f64c(c, 0);
    if (softmax) {
        LLVMBuildStore(c->b, f64c(c, -INFINITY), mx);
        LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, C), 1, "c");
        LLVMValueRef v = to_f64(c, odin_load(c, et, c->in[0], LLVMBuildAdd(c->b, row, LLVMBuildMul(c->b, k, odin_i64(c, D), ""), "")));
        LLVMValueRef m = get(c, c->t_f64, mx);
        LLVMBuildStore(c->b, LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, v, m, ""), v, m, ""), mx);
        odin_loop_end(c, &lk);
        LLVMValueRef m_all = get(c, c->t_f64, mx);
        LLVMBuildStore(c->b, f64c(c, 0), se);
        k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, C), 1, "c");
        v = to_f64(c, odin_load(c, et, c->in[0], LLVMBuildAdd(c->b, row, LLVMBuildMul(c->b, k, odin_i64(c, D), ""), "")));
        LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, get(c, c->t_f64, se), exp_d(c, LLVMBuildFSub(c->b, v, m_all, "")), ""), se);
        odin_loop_end(c, &lk);
        lse = LLVMBuildFAdd(c->b, m_all, log_d(c, get(c, c->t_f64, se)), "");
        if (lp_out) {
            k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, C), 1, "c");
            LLVMValueRef at = LLVMBuildAdd(c->b, row, LLVMBuildMul(c->b, k, odin_i64(c, D), ""), "");
            v = to_f64(c, odin_load(c, et, c->in[0], at));
            odin_store(c, from_f64(c, LLVMBuildFSub(c->b, v, lse, ""), et), lp_out, at);
            odin_loop_end(c, &lk);
        }
    }
    /* the target of this position */
    LLVMValueRef pos = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, i, odin_i64(c, D), ""), j, "");
    LLVMValueRef cls = odin_load(c, tt, c->in[1], pos);
    if (tt != c->t_i64) cls = LLVMBuildSExt(c->b, cls, c->t_i64, "");
    LLVMValueRef counted = has_ii ? LLVMBuildICmp(c->b, LLVMIntNE, cls, odin_i64(c, ii), "") : LLVMConstInt(c->t_i1, 1, 0);
    LLVMValueRef oob = LLVMBuildICmp(c->b, LLVMIntUGE, cls, odin_i64(c, C), "");
    LLVMValueRef is_bad = LLVMBuildAnd(c->b, counted, oob, "");
    LLVMBuildStore(c->b, LLVMBuildOr(c->b, get(c, c->t_i1, bad), is_bad, ""), bad);
    LLVMValueRef safe = LLVMBuildSelect(c->b, oob, odin_i64(c, 0), cls, "");
    LLVMValueRef picked = to_f64(c, odin_load(c, et, c->in[0], LLVMBuildAdd(c->b, row, LLVMBuildMul(c->b, safe, odin_i64(c, D), ""), "")));
    if (softmax) picked = LLVMBuildFSub(c->b, picked, lse, "");
    LLVMValueRef w = has_w ? to_f64(c, odin_load(c, et, c->in[2], safe)) : f64c(c, 1);
    w = LLVMBuildSelect(c->b, counted, w, f64c(c, 0), "");
    LLVMValueRef loss = LLVMBuildFMul(c->b, LLVMBuildFNeg(c->b, picked, ""), w, "");
    loss = LLVMBuildSelect(c->b, counted, loss, f64c(c, 0), "");
    if (red == RED_NONE) odin_store(c, from_f64(c, loss, et), c->out[0], pos);
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, get(c, c->t_f64, sum), loss, ""), sum);
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, get(c, c->t_f64, wsum), w, ""), wsum);
    odin_loop_end(c, &lj);
    odin_loop_end(c, &li);
    odin_emit_error_exit(c, get(c, c->t_i1, bad));
    if (red == RED_SUM) odin_store(c, from_f64(c, get(c, c->t_f64, sum), et), c->out[0], odin_i64(c, 0));
    if (red == RED_MEAN)
        odin_store(c, from_f64(c, LLVMBuildFDiv(c->b, get(c, c->t_f64, sum), get(c, c->t_f64, wsum), ""), et),
                   c->out[0], odin_i64(c, 0));
    return ODIN_OK;
}

const odin_lowering odin_lowerings_loss[] = {
    {"NegativeLogLikelihoodLoss", l_loss, NULL, false, accept_loss},
    {"SoftmaxCrossEntropyLoss", l_loss, NULL, false, accept_loss},
    {NULL, NULL, NULL, false, NULL},
};
