/* passes/pass_util.c — small helpers the rewrite passes share (see pass.h): what counts as
 * a compile-time constant, which ops must never be folded or merged, and removing a node
 * whose output equals one of its inputs without renaming a graph output. */
#include <string.h>

#include "../ir/edit.h"
#include "pass.h"

bool odin_pass_is_const(const odin_graph *g, int t) {
    if (t < 0 || t >= g->n_tensors) return false;
    uint32_t f = g->tensors[t].flags;
    return (f & ODIN_TENSOR_CONST) && !(f & ODIN_TENSOR_INPUT);
}

bool odin_pass_op_is_random(const odin_node *n) {
    static const char *const random_ops[] = {"RandomNormal", "RandomUniform",
                                             "RandomNormalLike", "RandomUniformLike",
                                             "Multinomial", "Bernoulli", NULL};
    for (int i = 0; random_ops[i]; i++)
        if (strcmp(n->op, random_ops[i]) == 0) return true;
    return false;
}

bool odin_pass_can_forward(const odin_graph *g, int y, int x) {
    if (y == x) return true;
    if (y < 0 || x < 0 || y >= g->n_tensors || x >= g->n_tensors) return false;
    if (!(g->tensors[y].flags & ODIN_TENSOR_OUTPUT)) return true;
    const odin_tensor *tx = &g->tensors[x];
    return tx->producer >= 0 &&
           !(tx->flags & (ODIN_TENSOR_INPUT | ODIN_TENSOR_OUTPUT | ODIN_TENSOR_CONST));
}

bool odin_pass_forward(odin_graph *g, int y, int x) {
    if (!odin_pass_can_forward(g, y, x)) return false;
    if (y == x) return true;
    odin_status st;
    if (!(g->tensors[y].flags & ODIN_TENSOR_OUTPUT)) {
        st = odin_graph_replace_node_uses(g, y, x, NULL);
        odin_status_free(st); /* indices were checked above: cannot fail */
        return true;
    }
    /* y names a graph output: let x's producer write y, and x's readers read y */
    int p = g->tensors[x].producer;
    st = odin_graph_replace_node_uses(g, x, y, NULL);
    odin_status_free(st);
    odin_node *pn = &g->nodes[p];
    for (int i = 0; i < pn->n_outputs; i++)
        if (pn->outputs[i] == x) pn->outputs[i] = y;
    g->tensors[y].producer = p;
    g->tensors[x].producer = -1;
    return true;
}

void odin_pass_kill_node(odin_graph *g, int ni, bool *dead) {
    odin_node *n = &g->nodes[ni];
    for (int i = 0; i < n->n_outputs; i++) {
        int t = n->outputs[i];
        if (t >= 0 && g->tensors[t].producer == ni) g->tensors[t].producer = -1;
        n->outputs[i] = -1;
    }
    for (int i = 0; i < n->n_inputs; i++) n->inputs[i] = -1;
    dead[ni] = true;
}

bool odin_pass_same_static_type(const odin_graph *g, int a, int b) {
    if (a < 0 || b < 0 || a >= g->n_tensors || b >= g->n_tensors) return false;
    const odin_tensor *x = &g->tensors[a], *y = &g->tensors[b];
    if (x->dtype != y->dtype || x->dtype == ODIN_UNDEFINED || x->rank < 0 || x->rank != y->rank)
        return false;
    for (int i = 0; i < x->rank; i++)
        if (x->dims[i] < 0 || x->dims[i] != y->dims[i]) return false;
    return true;
}
