/* passes/fuse_gemm.c — GEMM epilogues: a float32 ai.odin PackedMatMul whose only reader is
 * a residual Add (of a same-shaped tensor) and/or a Relu / Clip with constant bounds takes
 * them in as its residual input and act_min/act_max (ops/odin.c), so the GEMM adds the
 * residual and clamps in its micro-kernel's store instead of another pass over the output
 * (a transformer block's attention and MLP projections, an MLP's hidden layers). The
 * chain's last node is rewritten in place (it comes after every tensor the fused node
 * reads, so the order stays topological); the earlier ones are removed. Single-row GEMMs
 * are left alone: their streaming GEMV kernel has no epilogue and beats the blocked one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ir/edit.h"
#include "../ops/op.h"
#include "pass.h"

/* A PackedMatMul with no epilogue yet and more than one output row. */
static bool fusable_gemm(const odin_graph *g, const odin_node *n) {
    if (strcmp(n->domain, "ai.odin") != 0 || strcmp(n->op, "PackedMatMul") != 0 ||
        n->n_inputs < 2 || n->n_inputs > 3 || n->n_outputs != 1 || n->outputs[0] < 0 ||
        odin_node_has_attr(n, "act_min") || odin_node_has_attr(n, "act_max"))
        return false;
    const odin_tensor *y = &g->tensors[n->outputs[0]];
    if (y->dtype != ODIN_F32 || y->rank < 1) return false;
    int64_t rows = 1;
    for (int i = 0; i < y->rank - 1; i++) rows *= y->dims[i];
    return rows > 1;
}

/* Rewrite m->last into PackedMatMul(A, P, C or none, residual) with m's finite bounds. */
static odin_status rewrite(odin_graph *g, int gemm, const odin_epilogue_match *m) {
    const odin_node *gn = &g->nodes[gemm];
    int ins[4];
    for (int i = 0; i < 4; i++) ins[i] = i < gn->n_inputs ? gn->inputs[i] : -1;
    if (m->residual >= 0) ins[3] = m->residual;
    odin_attr bounds[2];
    int nb = 0;
    if (m->lo > -INFINITY) bounds[nb++] = ODIN_ATTR_F("act_min", m->lo);
    if (m->hi < INFINITY) bounds[nb++] = ODIN_ATTR_F("act_max", m->hi);
    return odin_pass_retarget(g, m->last, "PackedMatMul", ins, m->residual >= 0 ? 4 : gn->n_inputs,
                              gn->attrs, gn->n_attrs, bounds, nb);
}

odin_status odin_pass_fuse_gemm(odin_graph *g, bool *changed) {
    *changed = false;
    if (!odin_op_find("PackedMatMul", "ai.odin", g->opset)) return ODIN_OK;
    bool *dead = calloc((size_t)g->n_nodes + 1, sizeof *dead);
    if (!dead) return odin_errorf("out of memory");
    int n_dead = 0;
    odin_status st = odin_pass_fuse_epilogues(g, dead, fusable_gemm, rewrite, &n_dead, changed);
    if (!st && n_dead) st = odin_graph_remove_nodes(g, dead);
    free(dead);
    return st;
}
