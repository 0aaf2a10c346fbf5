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

/* Rewrite node `last` into PackedMatMul(A, P, C or none, residual) with the bounds. */
static odin_status rewrite(odin_graph *g, int gemm, int last, int residual, float lo, float hi) {
    const odin_node *gn = &g->nodes[gemm];
    odin_node *ln = &g->nodes[last];
    int n_in = residual >= 0 ? 4 : gn->n_inputs;
    int *ins = odin_arena_alloc(&g->arena, sizeof(int) * 4, 8);
    odin_attr *attrs = odin_arena_alloc(&g->arena, sizeof(odin_attr) * (size_t)(gn->n_attrs + 2), 8);
    if (!ins || !attrs) return odin_errorf("out of memory");
    for (int i = 0; i < 4; i++) ins[i] = i < gn->n_inputs ? gn->inputs[i] : -1;
    if (residual >= 0) ins[3] = residual;
    int na = 0;
    for (int i = 0; i < gn->n_attrs; i++) attrs[na++] = gn->attrs[i]; /* already in the arena */
    odin_attr a;
    memset(&a, 0, sizeof a);
    a.kind = ODIN_ATTR_FLOAT;
    if (lo > -INFINITY) {
        a.name = "act_min";
        a.f = lo;
        ODIN_TRY(odin_attr_copy(g, &attrs[na++], &a));
    }
    if (hi < INFINITY) {
        a.name = "act_max";
        a.f = hi;
        ODIN_TRY(odin_attr_copy(g, &attrs[na++], &a));
    }
    ln->op = "PackedMatMul";
    ln->domain = "ai.odin";
    ln->inputs = ins;
    ln->n_inputs = n_in;
    ln->attrs = attrs;
    ln->n_attrs = na;
    ln->def = odin_op_find(ln->op, ln->domain, g->opset);
    if (!ln->def) return odin_errorf("node '%s': PackedMatMul is not registered", ln->name);
    return ODIN_OK;
}

odin_status odin_pass_fuse_gemm(odin_graph *g, bool *changed) {
    *changed = false;
    if (!odin_op_find("PackedMatMul", "ai.odin", g->opset)) return ODIN_OK;
    bool *dead = calloc((size_t)g->n_nodes + 1, sizeof *dead);
    if (!dead) return odin_errorf("out of memory");
    odin_status st = ODIN_OK;
    int n_dead = 0;
    for (int gi = 0; !st && gi < g->n_nodes; gi++) {
        if (dead[gi] || !fusable_gemm(g, &g->nodes[gi])) continue;
        int y = g->nodes[gi].outputs[0];
        odin_epilogue_match m;
        if (!odin_pass_match_epilogue(g, y, dead, &m)) continue;
        st = rewrite(g, gi, m.last, m.residual, m.lo, m.hi);
        if (st) break;
        odin_pass_kill_node(g, gi, dead);
        n_dead++;
        if (m.add >= 0 && m.add != m.last) {
            odin_pass_kill_node(g, m.add, dead);
            n_dead++;
        }
        *changed = true;
    }
    if (!st && n_dead) st = odin_graph_remove_nodes(g, dead);
    free(dead);
    return st;
}
