/* codegen/lower_bn_train.c — BatchNormalization in training mode, as the eval (ops/norm.c)
 * computes it in double: per channel the batch mean and population variance (two passes),
 * y = (x - mean) / sqrt(var + eps) * scale + B, and the running statistics blended with the
 * inputs by momentum (outputs 1 and 2 when present). */
#include <string.h>

#include "lower_bn_train.h"
#include "lower_util.h"

bool odin_bn_training_accepts(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (g->opset < 14 || !odin_attr_i(n, "training_mode") || n->n_inputs < 5 || n->n_outputs < 1 ||
        n->outputs[0] < 0)
        return false;
    const odin_tensor *x = odin_node_in_tensor(g, node, 0);
    if (!x || x->dtype != ODIN_F32 || x->rank < 2) return false;
    for (int i = 1; i < 5; i++) {
        const odin_tensor *p = odin_node_in_tensor(g, node, i);
        if (!p || p->dtype != ODIN_F32 || p->rank != 1 || p->dims[0] != x->dims[1]) return false;
    }
    for (int i = 0; i < n->n_outputs && i < 3; i++)
        if (n->outputs[i] >= 0 && g->tensors[n->outputs[i]].dtype != ODIN_F32) return false;
    return n->n_outputs != 2;
}

static LLVMValueRef ld(odin_lower_ctx *c, LLVMValueRef base, LLVMValueRef i) {
    return LLVMBuildFPExt(c->b, odin_load(c, c->t_f32, base, i), c->t_f64, "");
}
static void st(odin_lower_ctx *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef i) {
    odin_store(c, LLVMBuildFPTrunc(c->b, v, c->t_f32, ""), base, i);
}
static LLVMValueRef d(odin_lower_ctx *c, double v) { return LLVMConstReal(c->t_f64, v); }
static LLVMValueRef get(odin_lower_ctx *c, LLVMValueRef p) { return LLVMBuildLoad2(c->b, c->t_f64, p, ""); }

odin_status odin_lower_bn_training(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0);
    int64_t nb = x->dims[0], C = x->dims[1], sp = odin_dims_product(x->dims, 2, x->rank);
    double eps = odin_attr_f(n, "epsilon"), momentum = odin_attr_f(n, "momentum"), cnt = (double)(nb * sp);
    if (C == 0) return ODIN_OK;
    LLVMValueRef acc = odin_entry_alloca(c, c->t_f64, "acc");
    odin_loop lc, lb, lk;
    LLVMValueRef ch = odin_loop_begin(c, &lc, odin_i64(c, 0), odin_i64(c, C), 1, "c");
#define AT(b, k) LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, (b), odin_i64(c, C), ""), ch, ""), odin_i64(c, sp), ""), (k), "")
    /* pass 1: the mean */
    LLVMBuildStore(c->b, d(c, 0), acc);
    LLVMValueRef b = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, nb), 1, "b");
    LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, sp), 1, "k");
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, get(c, acc), ld(c, c->in[0], AT(b, k)), ""), acc);
    odin_loop_end(c, &lk);
    odin_loop_end(c, &lb);
    LLVMValueRef mean = cnt ? LLVMBuildFDiv(c->b, get(c, acc), d(c, cnt), "") : d(c, 0);
    /* pass 2: the population variance */
    LLVMBuildStore(c->b, d(c, 0), acc);
    b = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, nb), 1, "b");
    k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, sp), 1, "k");
    LLVMValueRef dv = LLVMBuildFSub(c->b, ld(c, c->in[0], AT(b, k)), mean, "");
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, get(c, acc), LLVMBuildFMul(c->b, dv, dv, ""), ""), acc);
    odin_loop_end(c, &lk);
    odin_loop_end(c, &lb);
    LLVMValueRef var = cnt ? LLVMBuildFDiv(c->b, get(c, acc), d(c, cnt), "") : d(c, 0);
    LLVMValueRef scale = ld(c, c->in[1], ch), bias = ld(c, c->in[2], ch);
    LLVMValueRef ve = LLVMBuildFAdd(c->b, var, d(c, eps), "");
    LLVMValueRef inv = LLVMBuildFDiv(c->b, d(c, 1), odin_intrinsic(c, "llvm.sqrt", c->t_f64, &ve, 1), "");
    b = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, nb), 1, "b");
    k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, sp), 1, "k");
    LLVMValueRef at = AT(b, k);
    LLVMValueRef y = LLVMBuildFMul(c->b, LLVMBuildFMul(c->b, LLVMBuildFSub(c->b, ld(c, c->in[0], at), mean, ""), inv, ""), scale, "");
    st(c, LLVMBuildFAdd(c->b, y, bias, ""), c->out[0], at);
    odin_loop_end(c, &lk);
    odin_loop_end(c, &lb);
#undef AT
    LLVMValueRef keep = d(c, momentum), take = d(c, 1 - momentum);
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && c->out[1])
        st(c, LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, ld(c, c->in[3], ch), keep, ""), LLVMBuildFMul(c->b, mean, take, ""), ""),
           c->out[1], ch);
    if (n->n_outputs > 2 && n->outputs[2] >= 0 && c->out[2])
        st(c, LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, ld(c, c->in[4], ch), keep, ""), LLVMBuildFMul(c->b, var, take, ""), ""),
           c->out[2], ch);
    odin_loop_end(c, &lc);
    return ODIN_OK;
}
