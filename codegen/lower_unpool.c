/* codegen/lower_unpool.c — MaxUnpool: the output is zero-filled, then each input element
 * goes to the flat position its index names in the default unpooled shape ((in - 1) *
 * stride + kernel - pads per spatial axis), at the same coordinates of the (possibly
 * larger, output_shape) output, as the eval does. Elements move as bits, so any movable
 * dtype works; an index out of range goes to the eval, which reports it. */
#include "../ops/conv_util.h"
#include "copybox.h"

#define MAXR ODIN_MAX_RANK

/* The default unpooled dims (what the indices refer to). */
static bool default_dims(const odin_graph *g, int node, int64_t *def) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = &g->tensors[n->inputs[0]];
    int nsp = x->rank - 2;
    odin_conv_geom geo;
    bool has_k;
    odin_status st = odin_conv_read_attrs(n, nsp, &geo);
    if (!st) st = odin_conv_read_kernel(n, nsp, &geo, true, &has_k);
    if (st) {
        odin_status_free(st);
        return false;
    }
    def[0] = x->dims[0], def[1] = x->dims[1];
    for (int i = 0; i < nsp; i++) {
        def[2 + i] = (x->dims[2 + i] - 1) * geo.stride[i] + geo.k[i] - geo.pad0[i] - geo.pad1[i];
        if (def[2 + i] < 1) return false;
    }
    return true;
}

static bool accept_unpool(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 2 || n->inputs[0] < 0 || n->inputs[1] < 0 || n->n_outputs != 1 || n->outputs[0] < 0)
        return false;
    const odin_tensor *x = &g->tensors[n->inputs[0]], *ind = &g->tensors[n->inputs[1]], *y = &g->tensors[n->outputs[0]];
    int64_t def[MAXR];
    if (!odin_dtype_movable(x->dtype) || y->dtype != x->dtype || ind->dtype != ODIN_I64 || x->rank < 3 ||
        ind->rank != x->rank || y->rank != x->rank || !default_dims(g, node, def))
        return false;
    for (int d = 0; d < x->rank; d++)
        if (ind->dims[d] != x->dims[d] || y->dims[d] < def[d] || (d < 2 && y->dims[d] != x->dims[d])) return false;
    return true;
}

static odin_status l_unpool(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]], *y = &c->g->tensors[n->outputs[0]];
    int64_t def[MAXR], total = 1, ys[MAXR], s = 1;
    if (!default_dims(c->g, c->node, def)) return odin_errorf("bad geometry");
    for (int d = 0; d < x->rank; d++) total *= def[d];
    for (int d = y->rank - 1; d >= 0; d--) ys[d] = s, s *= y->dims[d];
    size_t es = odin_dtype_size(x->dtype);
    int64_t ny = odin_tensor_numel(y), nx = odin_tensor_numel(x);
    odin_box fill;
    odin_box_init(&fill, 1, &ny, es, -1, 0);
    ODIN_TRY(odin_emit_box(c, &fill));
    if (nx == 0) return ODIN_OK;
    LLVMTypeRef bt = odin_bits_type(c, es);
    LLVMValueRef bad = odin_entry_alloca(c, c->t_i1, "bad");
    LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), bad);
    odin_loop l;
    LLVMValueRef i = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, nx), 1, "i");
    LLVMValueRef idx = odin_load(c, c->t_i64, c->in[1], i);
    LLVMValueRef oob = LLVMBuildICmp(c->b, LLVMIntUGE, idx, odin_i64(c, total), "");
    LLVMBuildStore(c->b, LLVMBuildOr(c->b, LLVMBuildLoad2(c->b, c->t_i1, bad, ""), oob, ""), bad);
    LLVMValueRef rem = LLVMBuildSelect(c->b, oob, odin_i64(c, 0), idx, ""), dst = odin_i64(c, 0);
    for (int d = x->rank - 1; d >= 0; d--) {
        LLVMValueRef coord = LLVMBuildURem(c->b, rem, odin_i64(c, def[d]), "");
        dst = LLVMBuildAdd(c->b, dst, LLVMBuildMul(c->b, coord, odin_i64(c, ys[d]), ""), "");
        rem = LLVMBuildUDiv(c->b, rem, odin_i64(c, def[d]), "");
    }
    odin_store(c, odin_load(c, bt, c->in[0], i), c->out[0], dst);
    odin_loop_end(c, &l);
    odin_emit_error_exit(c, LLVMBuildLoad2(c->b, c->t_i1, bad, ""));
    return ODIN_OK;
}

const odin_lowering odin_lowerings_unpool[] = {
    {"MaxUnpool", l_unpool, NULL, false, accept_unpool},
    {NULL, NULL, NULL, false, NULL},
};
