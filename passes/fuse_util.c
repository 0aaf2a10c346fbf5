/* passes/fuse_util.c — pattern helpers the fusion passes share (fuse_conv, fuse_gemm,
 * fuse_attention; declared in pass.h): who alone reads a tensor, same-shape checks, and
 * the clamp bounds of a Relu/Clip that an epilogue can absorb. */
#include <math.h>
#include <string.h>

#include "../ops/op.h"
#include "pass.h"

int odin_pass_only_reader(const odin_graph *g, int t) {
    if (t < 0 || (g->tensors[t].flags & ODIN_TENSOR_OUTPUT)) return -1;
    int reader = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_inputs; j++)
            if (g->nodes[i].inputs[j] == t) {
                if (reader >= 0 && reader != i) return -1;
                reader = i;
            }
    return reader;
}

bool odin_pass_same_f32_shape(const odin_tensor *a, const odin_tensor *b) {
    if (a->dtype != ODIN_F32 || b->dtype != ODIN_F32 || a->rank != b->rank || a->rank < 0) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] < 0 || a->dims[i] != b->dims[i]) return false;
    return true;
}

/* A constant f32 scalar input i of n into *v (absent: keeps *v). */
static bool const_scalar_input(const odin_graph *g, const odin_node *n, int i, float *v) {
    if (i >= n->n_inputs || n->inputs[i] < 0) return true;
    const odin_tensor *t = &g->tensors[n->inputs[i]];
    if (!odin_pass_is_const(g, n->inputs[i]) || !t->data || t->dtype != ODIN_F32 ||
        odin_tensor_numel(t) != 1)
        return false;
    *v = *(const float *)t->data;
    return true;
}

bool odin_pass_clamp_bounds(const odin_graph *g, const odin_node *n, float *lo, float *hi) {
    if (n->domain[0] || n->n_outputs != 1 || n->n_inputs < 1 || n->inputs[0] < 0 ||
        g->tensors[n->inputs[0]].dtype != ODIN_F32)
        return false;
    if (!strcmp(n->op, "Relu")) {
        *lo = 0.0f;
        *hi = INFINITY;
        return true;
    }
    if (strcmp(n->op, "Clip") != 0) return false;
    *lo = -INFINITY;
    *hi = INFINITY;
    if (odin_node_has_attr(n, "min")) *lo = odin_attr_f(n, "min");
    if (odin_node_has_attr(n, "max")) *hi = odin_attr_f(n, "max");
    return const_scalar_input(g, n, 1, lo) && const_scalar_input(g, n, 2, hi) && !isnan(*lo) &&
           !isnan(*hi);
}

bool odin_pass_match_epilogue(const odin_graph *g, int y, const bool *dead, odin_epilogue_match *m) {
    *m = (odin_epilogue_match){.last = -1, .add = -1, .residual = -1, .lo = -INFINITY, .hi = INFINITY};
    int next = odin_pass_only_reader(g, y);
    if (next < 0 || dead[next]) return false;
    const odin_node *nn = &g->nodes[next];
    if (!nn->domain[0] && !strcmp(nn->op, "Add") && nn->n_inputs == 2 && nn->n_outputs == 1 &&
        nn->outputs[0] >= 0) {
        int other = nn->inputs[0] == y ? nn->inputs[1] : nn->inputs[0];
        if (other < 0 || other == y || !odin_pass_same_f32_shape(&g->tensors[other], &g->tensors[y]) ||
            !odin_pass_same_f32_shape(&g->tensors[nn->outputs[0]], &g->tensors[y]))
            return false;
        m->residual = other;
        m->add = m->last = next;
        int after = odin_pass_only_reader(g, nn->outputs[0]);
        if (after >= 0 && !dead[after] && odin_pass_clamp_bounds(g, &g->nodes[after], &m->lo, &m->hi))
            m->last = after;
        return true;
    }
    if (odin_pass_clamp_bounds(g, nn, &m->lo, &m->hi) && nn->outputs[0] >= 0 &&
        odin_pass_same_f32_shape(&g->tensors[nn->outputs[0]], &g->tensors[y])) {
        m->last = next;
        return true;
    }
    return false;
}

odin_status odin_pass_retarget(odin_graph *g, int ni, const char *op, const int *ins, int n_in,
                               const odin_attr *keep, int n_keep, const odin_attr *add, int n_add) {
    odin_node *n = &g->nodes[ni];
    int *in = odin_arena_alloc(&g->arena, sizeof(int) * (size_t)(n_in ? n_in : 1), 8);
    odin_attr *attrs = odin_arena_alloc(&g->arena, sizeof(odin_attr) * (size_t)(n_keep + n_add + 1), 8);
    if (!in || !attrs) return odin_errorf("out of memory");
    memcpy(in, ins, sizeof(int) * (size_t)n_in);
    for (int i = 0; i < n_keep; i++) attrs[i] = keep[i]; /* already in the arena */
    for (int i = 0; i < n_add; i++) ODIN_TRY(odin_attr_copy(g, &attrs[n_keep + i], &add[i]));
    n->op = op;
    n->domain = "ai.odin";
    n->inputs = in;
    n->n_inputs = n_in;
    n->attrs = attrs;
    n->n_attrs = n_keep + n_add;
    n->def = odin_op_find(op, n->domain, g->opset);
    if (!n->def) return odin_errorf("node '%s': ai.odin %s is not registered", n->name, op);
    return ODIN_OK;
}

odin_status odin_pass_fuse_epilogues(odin_graph *g, bool *dead,
                                     bool (*producer_ok)(const odin_graph *, const odin_node *),
                                     odin_epilogue_rewrite rewrite, int *n_dead, bool *changed) {
    for (int pi = 0; pi < g->n_nodes; pi++) {
        if (dead[pi] || !producer_ok(g, &g->nodes[pi])) continue;
        odin_epilogue_match m;
        if (!odin_pass_match_epilogue(g, g->nodes[pi].outputs[0], dead, &m)) continue;
        ODIN_TRY(rewrite(g, pi, &m));
        odin_pass_kill_node(g, pi, dead);
        ++*n_dead;
        if (m.add >= 0 && m.add != m.last) {
            odin_pass_kill_node(g, m.add, dead);
            ++*n_dead;
        }
        *changed = true;
    }
    return ODIN_OK;
}
