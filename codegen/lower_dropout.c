/* codegen/lower_dropout.c — Dropout in inference mode (the ONNX default): the output is a
 * copy of the input and the optional mask is all true (bool from opset 10, the data's
 * dtype before). Training mode with a non-zero ratio draws the eval's seeded random mask
 * and is declined (it keeps the eval), as is a training_mode input that is not constant. */
#include <string.h>

#include "copybox.h"

/* Constant input i of node is a scalar equal to zero (absent or empty counts as zero). */
static bool const_zero_or_absent(const odin_graph *g, int node, int i) {
    int t = odin_node_in(g, node, i);
    if (t < 0) return true;
    if (!odin_node_in_const(g, node, i)) return false;
    odin_value v = odin_tensor_value(g, t);
    return odin_value_numel(&v) == 0 || odin_load_as_f64(v.data, v.dtype, 0) == 0;
}

static bool accept_dropout(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0) return false;
    odin_dtype t = g->tensors[n->inputs[0]].dtype;
    if (!odin_dtype_movable(t) || g->tensors[n->outputs[0]].dtype != t) return false;
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && !odin_dtype_movable(g->tensors[n->outputs[1]].dtype))
        return false;
    /* eval: training only from opset 12, and a zero ratio is inference too */
    bool inference = g->opset < 12 || const_zero_or_absent(g, node, 2);
    if (!inference && odin_node_in(g, node, 1) >= 0 && odin_node_in_const(g, node, 1)) {
        odin_value r = odin_tensor_value(g, odin_node_in(g, node, 1));
        inference = odin_value_numel(&r) > 0 && odin_load_as_f64(r.data, r.dtype, 0) == 0;
    }
    return inference;
}

static odin_status l_dropout(odin_lower_ctx *c) {
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
