/* codegen/lower_dropout.c — Dropout. In inference mode (the ONNX default) the output is a
 * copy of the input and the optional mask is all true (bool from opset 10, the data's
 * dtype before). When training_mode is a run-time input (f32 / f64 data), the kernel
 * decides at run time: in training, element i is kept when u[i] >= ratio, with u the
 * eval's own seeded draws (ops/dropout.h) baked in as a constant table, and kept values
 * are scaled by 1 / (1 - ratio) in double; a ratio outside [0, 1) goes to the eval. A
 * constant non-zero training_mode keeps the eval too (training graphs only). */
#include <stdlib.h>
#include <string.h>

#include "../ops/dropout.h"
#include "copybox.h"

#define MAX_DRAWS (1 << 20) /* elements whose draws may be baked into the code */

/* Constant input i of node is a scalar equal to zero (absent or empty counts as zero). */
static bool const_zero_or_absent(const odin_graph *g, int node, int i) {
    int t = odin_node_in(g, node, i);
    if (t < 0) return true;
    if (!odin_node_in_const(g, node, i)) return false;
    odin_value v = odin_tensor_value(g, t);
    return odin_value_numel(&v) == 0 || odin_load_as_f64(v.data, v.dtype, 0) == 0;
}

/* Inference known at compile time: training only exists from opset 12, and a constant
 * zero ratio is inference too (as the eval decides). */
static bool static_inference(const odin_graph *g, int node) {
    if (g->opset < 12 || const_zero_or_absent(g, node, 2)) return true;
    int r = odin_node_in(g, node, 1);
    if (r < 0 || !odin_node_in_const(g, node, 1)) return false;
    odin_value v = odin_tensor_value(g, r);
    return odin_value_numel(&v) > 0 && odin_load_as_f64(v.data, v.dtype, 0) == 0;
}

static bool accept_dropout(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return false;
    odin_dtype t = g->tensors[n->inputs[0]].dtype;
    if (!odin_dtype_movable(t) || g->tensors[n->outputs[0]].dtype != t) return false;
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && !odin_dtype_movable(g->tensors[n->outputs[1]].dtype))
        return false;
    if (static_inference(g, node)) return true;
    /* training decided at run time: float data, a scalar ratio, a bounded table */
    int tm = odin_node_in(g, node, 2), r = odin_node_in(g, node, 1);
    return !odin_node_in_const(g, node, 2) && odin_tensor_numel(&g->tensors[tm]) == 1 &&
           (t == ODIN_F32 || t == ODIN_F64) && odin_tensor_numel(&g->tensors[n->inputs[0]]) <= MAX_DRAWS &&
           (r < 0 || (odin_tensor_numel(&g->tensors[r]) == 1 &&
                      (g->tensors[r].dtype == ODIN_F32 || g->tensors[r].dtype == ODIN_F64)));
}

/* Training decided at run time (see the header). */
static odin_status l_dropout_runtime(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]];
    int64_t count = odin_tensor_numel(x);
    LLVMTypeRef et = odin_llvm_type(c, x->dtype);
    double *u = malloc(sizeof *u * (size_t)(count ? count : 1));
    if (!u) return odin_errorf("out of memory");
    odin_dropout_uniforms(odin_attr_i(n, "seed"), count, u);
    LLVMValueRef table = odin_const_table(c, c->t_f64, u, count, "dropout.u");
    free(u);
    if (!table) return odin_errorf("out of memory");
    const odin_tensor *tt = &c->g->tensors[n->inputs[2]];
    LLVMValueRef tv = odin_load(c, odin_llvm_type(c, tt->dtype), c->in[2], odin_i64(c, 0));
    LLVMValueRef training = odin_dtype_is_float(tt->dtype)
                                ? LLVMBuildFCmp(c->b, LLVMRealUNE, tv, LLVMConstNull(LLVMTypeOf(tv)), "")
                                : LLVMBuildICmp(c->b, LLVMIntNE, tv, LLVMConstNull(LLVMTypeOf(tv)), "");
    LLVMValueRef ratio = LLVMConstReal(c->t_f64, 0.5);
    int ri = odin_node_in(c->g, c->node, 1);
    if (ri >= 0) {
        ratio = odin_load(c, odin_llvm_type(c, c->g->tensors[ri].dtype), c->in[1], odin_i64(c, 0));
        ratio = odin_convert(c, ratio, c->g->tensors[ri].dtype, ODIN_F64);
    }
    LLVMValueRef ok = LLVMBuildAnd(c->b, LLVMBuildFCmp(c->b, LLVMRealOGE, ratio, LLVMConstReal(c->t_f64, 0), ""),
                                   LLVMBuildFCmp(c->b, LLVMRealOLT, ratio, LLVMConstReal(c->t_f64, 1), ""), "");
    odin_emit_error_exit(c, LLVMBuildAnd(c->b, training, LLVMBuildNot(c->b, ok, ""), ""));
    training = LLVMBuildAnd(c->b, training, LLVMBuildFCmp(c->b, LLVMRealUNE, ratio, LLVMConstReal(c->t_f64, 0), ""), "");
    LLVMValueRef scale = LLVMBuildFDiv(c->b, LLVMConstReal(c->t_f64, 1), LLVMBuildFSub(c->b, LLVMConstReal(c->t_f64, 1), ratio, ""), "");
    LLVMValueRef mask = n->n_outputs > 1 && n->outputs[1] >= 0 ? c->out[1] : NULL;
    odin_dtype mt = mask ? c->g->tensors[n->outputs[1]].dtype : ODIN_BOOL;
    odin_loop l;
    LLVMValueRef i = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, count), 1, "i");
    LLVMValueRef xv = odin_load(c, et, c->in[0], i);
    LLVMValueRef keep = LLVMBuildFCmp(c->b, LLVMRealOGE, odin_load(c, c->t_f64, table, i), ratio, "");
    LLVMValueRef xd = et == c->t_f64 ? xv : LLVMBuildFPExt(c->b, xv, c->t_f64, "");
    LLVMValueRef scaled = LLVMBuildFMul(c->b, xd, scale, "");
    if (et != c->t_f64) scaled = LLVMBuildFPTrunc(c->b, scaled, et, "");
    LLVMValueRef yt = LLVMBuildSelect(c->b, keep, scaled, LLVMConstNull(et), "");
    odin_store(c, LLVMBuildSelect(c->b, training, yt, xv, ""), c->out[0], i);
    if (mask) {
        LLVMValueRef kept = LLVMBuildOr(c->b, LLVMBuildNot(c->b, training, ""), keep, "");
        odin_store(c, odin_convert(c, LLVMBuildZExt(c->b, kept, c->t_i8, ""), ODIN_BOOL, mt), mask, i);
    }
    odin_loop_end(c, &l);
    return ODIN_OK;
}

static odin_status l_dropout(odin_lower_ctx *c) {
    if (!static_inference(c->g, c->node)) return l_dropout_runtime(c);
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]];
    int64_t count = odin_tensor_numel(x);
    odin_box b;
    odin_box_init(&b, 1, &count, odin_dtype_size(x->dtype), 0, 0);
    if (c->in[0] != c->out[0]) ODIN_TRY(odin_emit_box(c, &b));
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && c->out[1]) {
        odin_dtype mt = c->g->tensors[n->outputs[1]].dtype;
        unsigned char one[8] = {0};
        odin_store_from_f64(one, mt, 0, 1.0);
        odin_box_init(&b, 1, &count, odin_dtype_size(mt), -1, 1);
        memcpy(&b.fill_bits, one, sizeof one); /* little-endian hosts and targets */
        ODIN_TRY(odin_emit_box(c, &b));
    }
    return ODIN_OK;
}

const odin_lowering odin_lowerings_dropout[] = {
    {"Dropout", l_dropout, NULL, false, accept_dropout},
    {NULL, NULL, NULL, false, NULL},
};
