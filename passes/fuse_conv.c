/* passes/fuse_conv.c — Conv epilogues. First an inference BatchNormalization whose input
 * is a Conv with constant weights (and bias) folds into new weights W*s and bias
 * (b - mean)*s + shift, s = scale / sqrt(var + eps). Then a float32 Conv whose only reader
 * is a residual Add (of a same-shaped tensor) and/or Relu / Clip with constant bounds
 * becomes one ai.odin FusedConv (ops/odin.c), so the compiled kernel adds the residual and
 * clamps before its store instead of another pass over the output. The chain's last node
 * is rewritten in place (its position is after every input the fused op reads: the node
 * order stays topological) and the earlier nodes are removed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ir/edit.h"
#include "../ops/op.h"
#include "pass.h"

static bool is_f32_conv(const odin_graph *g, const odin_node *n) {
    if (n->domain[0] || strcmp(n->op, "Conv") != 0 || n->n_outputs != 1 || n->outputs[0] < 0)
        return false;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && g->tensors[n->inputs[i]].dtype != ODIN_F32) return false;
    return n->n_inputs >= 2 && g->tensors[n->outputs[0]].dtype == ODIN_F32;
}

/* Rewrite m->last into FusedConv(conv's inputs, residual) with m's bounds. */
static odin_status rewrite(odin_graph *g, int conv, const odin_epilogue_match *m) {
    const odin_node *cn = &g->nodes[conv];
    int ins[4];
    for (int i = 0; i < 4; i++) ins[i] = i < cn->n_inputs ? cn->inputs[i] : -1;
    if (m->residual >= 0) ins[3] = m->residual;
    int n_in = m->residual >= 0 ? 4 : cn->n_inputs > 2 ? 3 : 2;
    odin_attr bounds[2] = {ODIN_ATTR_F("act_min", m->lo), ODIN_ATTR_F("act_max", m->hi)};
    return odin_pass_retarget(g, m->last, "FusedConv", ins, n_in, cn->attrs, cn->n_attrs, bounds, 2);
}

/* ---- BatchNormalization into the Conv before it ---- */

static const float *const_f32(const odin_graph *g, int t, int64_t numel) {
    if (t < 0 || !odin_pass_is_const(g, t)) return NULL;
    const odin_tensor *x = &g->tensors[t];
    return x->dtype == ODIN_F32 && x->data && odin_tensor_numel(x) == numel ? x->data : NULL;
}

static odin_status new_const(odin_graph *g, const char *base, int rank, const int64_t *dims,
                             const float *data, int *out) {
    const char *name = odin_graph_unique_name(g, base);
    if (!name) return odin_errorf("out of memory");
    ODIN_TRY(odin_graph_add_tensor(g, name, ODIN_F32, rank, dims, out));
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    return odin_tensor_set_data(g, *out, data, n * sizeof(float));
}

/* Fold BN node bi into its producer Conv when that is possible; sets *folded. */
static odin_status fold_bn(odin_graph *g, int bi, bool *dead, bool *folded) {
    *folded = false;
    const odin_node *bn = &g->nodes[bi];
    if (bn->domain[0] || strcmp(bn->op, "BatchNormalization") != 0 || bn->n_inputs != 5 ||
        bn->n_outputs != 1 || bn->inputs[0] < 0 || bn->outputs[0] < 0 ||
        odin_attr_i(bn, "training_mode"))
        return ODIN_OK;
    int y = bn->inputs[0];
    int ci = g->tensors[y].producer;
    if (ci < 0 || dead[ci] || odin_pass_only_reader(g, y) != bi || !is_f32_conv(g, &g->nodes[ci])) return ODIN_OK;
    const odin_node *cn = &g->nodes[ci];
    const odin_tensor *wt = &g->tensors[cn->inputs[1]];
    if (wt->rank < 3 || wt->dims[0] < 1) return ODIN_OK;
    int64_t M = wt->dims[0], nw = odin_tensor_numel(wt);
    const float *w = const_f32(g, cn->inputs[1], nw);
    const float *b = cn->n_inputs > 2 && cn->inputs[2] >= 0 ? const_f32(g, cn->inputs[2], M) : NULL;
    const float *sc = const_f32(g, bn->inputs[1], M), *sh = const_f32(g, bn->inputs[2], M),
                *mean = const_f32(g, bn->inputs[3], M), *var = const_f32(g, bn->inputs[4], M);
    if (!w || !sc || !sh || !mean || !var || (cn->n_inputs > 2 && cn->inputs[2] >= 0 && !b) ||
        g->tensors[bn->outputs[0]].dtype != ODIN_F32)
        return ODIN_OK;
    float eps = odin_node_has_attr(bn, "epsilon") ? odin_attr_f(bn, "epsilon") : 1e-5f;
    float *nwv = malloc(sizeof(float) * (size_t)(nw + M));
    if (!nwv) return odin_errorf("out of memory");
    float *nb = nwv + nw;
    int64_t per = nw / M;
    for (int64_t m = 0; m < M; m++) {
        double s = (double)sc[m] / sqrt((double)var[m] + (double)eps);
        for (int64_t i = 0; i < per; i++) nwv[m * per + i] = (float)(w[m * per + i] * s);
        nb[m] = (float)(((b ? (double)b[m] : 0.0) - mean[m]) * s + sh[m]);
    }
    char base[256];
    snprintf(base, sizeof base, "%s.bn_folded", wt->name);
    int64_t wdims[ODIN_MAX_RANK], bdims[1] = {M};
    int wrank = wt->rank;
    memcpy(wdims, wt->dims, sizeof(int64_t) * (size_t)wrank);
    int tw = -1, tb = -1;
    odin_status st = ODIN_OK;
    /* W in place when nothing else reads it and the graph owns its data (memory stays 1x) */
    int w_uses = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_inputs; j++) w_uses += g->nodes[i].inputs[j] == cn->inputs[1];
    if (w_uses == 1 && !(wt->flags & (ODIN_TENSOR_EXTERNAL | ODIN_TENSOR_OUTPUT))) {
        memcpy(wt->data, nwv, sizeof(float) * (size_t)nw);
        tw = cn->inputs[1];
    } else {
        st = new_const(g, base, wrank, wdims, nwv, &tw);
    }
    if (!st) {
        snprintf(base, sizeof base, "%s.bias", g->tensors[bn->outputs[0]].name);
        st = new_const(g, base, 1, bdims, nb, &tb);
    }
    free(nwv);
    if (st) return st;
    int *ins = odin_arena_alloc(&g->arena, sizeof(int) * 3, 8);
    if (!ins) return odin_errorf("out of memory");
    odin_node *c = &g->nodes[ci];
    ins[0] = c->inputs[0];
    ins[1] = tw;
    ins[2] = tb;
    c->inputs = ins;
    c->n_inputs = 3;
    /* the conv now writes BN's output; BN goes away */
    int out = g->nodes[bi].outputs[0];
    odin_pass_kill_node(g, bi, dead);
    c->outputs[0] = out;
    g->tensors[out].producer = ci;
    g->tensors[y].producer = -1;
    *folded = true;
    return ODIN_OK;
}

odin_status odin_pass_fuse_conv(odin_graph *g, bool *changed) {
    *changed = false;
    if (!odin_op_find("FusedConv", "ai.odin", g->opset)) return ODIN_OK;
    bool *dead = calloc((size_t)g->n_nodes + 1, sizeof *dead);
    if (!dead) return odin_errorf("out of memory");
    odin_status st = ODIN_OK;
    int n_dead = 0;
    for (int bi = 0; !st && bi < g->n_nodes; bi++) {
        bool folded = false;
        st = fold_bn(g, bi, dead, &folded);
        if (folded) {
            n_dead++;
            *changed = true;
        }
    }
    if (!st) st = odin_pass_fuse_epilogues(g, dead, is_f32_conv, rewrite, &n_dead, changed);
    if (!st && n_dead) st = odin_graph_remove_nodes(g, dead);
    free(dead);
    return st;
}
