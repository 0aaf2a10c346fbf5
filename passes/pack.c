/* passes/pack.c — weight packing: MatMul and Gemm whose right operand B is a constant
 * f32 matrix become ai.odin PackedMatMul (ops/odin.c) reading B from a constant already in
 * the GEMM micro-kernel's panel layout [ceil(N/W), K, W] (W = ODIN_PACK_PANEL floats, one
 * 64-byte line per k row), so compiled kernels stream panels without a packing step and
 * Gemm's transB needs no transposed reads. The panel width is the same on every target
 * (each vector width divides it), so the packed graph does not depend on the target. The
 * packed constant replaces B in place when nothing else reads B; memory stays ~1x.
 * Conv weights (the A side of conv-as-GEMM) are packed too: a float32 Conv/FusedConv with
 * a constant W and more than one input channel per group becomes a FusedConv whose W is
 * stored in row micro-panels [G, ceil(Mg/R), Cg*taps, R] (R = ODIN_PACK_ROWS), so the
 * micro-kernel reads its R rows of A for one k as one contiguous run instead of R rows
 * a whole filter apart (what limited small-pixel-count layers with large filters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/op.h"
#include "pass.h"

#define ODIN_PACK_PANEL 16
/* rows per conv weight micro-panel: every micro-kernel height the GEMM picks for packed A
 * divides it (codegen/lower_gemm.c) */
#define ODIN_PACK_ROWS 8

/* Nodes reading tensor t, plus one when it is a graph output. */
static int count_uses(const odin_graph *g, int t) {
    int n = (g->tensors[t].flags & ODIN_TENSOR_OUTPUT) ? 1 : 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_inputs; j++) n += g->nodes[i].inputs[j] == t;
    return n;
}

static bool f32_known(const odin_tensor *t) {
    return t->dtype == ODIN_F32 && t->rank >= 0 && odin_tensor_numel(t) >= 0;
}

/* Panels of B (B(k,j) = b[k*sk + j*sj]) into dst [ceil(N/W), K, W], zero-padded. */
static void pack_panels(float *dst, const float *b, int64_t K, int64_t N, int64_t sk, int64_t sj) {
    const int64_t W = ODIN_PACK_PANEL;
    for (int64_t p = 0; p * W < N; p++)
        for (int64_t k = 0; k < K; k++) {
            float *d = dst + (p * K + k) * W;
            for (int64_t w = 0; w < W; w++) {
                int64_t j = p * W + w;
                d[w] = j < N ? b[k * sk + j * sj] : 0.0f;
            }
        }
}

typedef struct packed_entry {
    int src, trans, packed; /* B tensor, transB, its packed tensor */
} packed_entry;

/* The packed tensor for (b, trans): made once per distinct B, in place when node is B's
 * only reader and the graph owns B's data. */
static odin_status packed_tensor(odin_graph *g, int b, bool trans, packed_entry *seen,
                                 int *n_seen, int *out) {
    for (int i = 0; i < *n_seen; i++)
        if (seen[i].src == b && seen[i].trans == trans) {
            *out = seen[i].packed;
            return ODIN_OK;
        }
    odin_tensor *tb = &g->tensors[b];
    int64_t K = tb->dims[trans ? 1 : 0], N = tb->dims[trans ? 0 : 1];
    int64_t np = (N + ODIN_PACK_PANEL - 1) / ODIN_PACK_PANEL;
    int64_t dims[3] = {np, K, ODIN_PACK_PANEL};
    size_t nbytes = sizeof(float) * (size_t)(np * K * ODIN_PACK_PANEL);
    int64_t sk = trans ? 1 : N, sj = trans ? K : 1;
    bool in_place = count_uses(g, b) == 1 && !(tb->flags & ODIN_TENSOR_EXTERNAL) &&
                    nbytes == tb->nbytes;
    if (in_place) {
        float *tmp = malloc(nbytes);
        if (!tmp) return odin_errorf("out of memory packing '%s'", tb->name);
        pack_panels(tmp, tb->data, K, N, sk, sj);
        memcpy(tb->data, tmp, nbytes);
        free(tmp);
        tb->rank = 3;
        memcpy(tb->dims, dims, sizeof dims);
        for (int i = 0; i < 3; i++) tb->dim_params[i] = NULL;
        *out = b;
    } else {
        char base[256];
        snprintf(base, sizeof base, "%s.packed%s", tb->name, trans ? "_t" : "");
        const char *name = odin_graph_unique_name(g, base);
        if (!name) return odin_errorf("out of memory");
        int t;
        ODIN_TRY(odin_graph_add_tensor(g, name, ODIN_F32, 3, dims, &t));
        tb = &g->tensors[b]; /* the tensor array may have moved */
        float *p = odin_arena_alloc(&g->arena, nbytes, 64);
        if (!p) return odin_errorf("out of memory packing '%s'", tb->name);
        pack_panels(p, tb->data, K, N, sk, sj);
        g->tensors[t].data = p;
        g->tensors[t].nbytes = nbytes;
        g->tensors[t].flags |= ODIN_TENSOR_CONST;
        *out = t;
    }
    seen[*n_seen] = (packed_entry){b, trans, *out};
    (*n_seen)++;
    return ODIN_OK;
}

/* Whether node n is a MatMul/Gemm this pass rewrites; sets transB. */
static bool packable(const odin_graph *g, const odin_node *n, bool *trans_b) {
    bool gemm = strcmp(n->op, "Gemm") == 0;
    if (n->domain[0] || (!gemm && strcmp(n->op, "MatMul") != 0)) return false;
    if (n->n_inputs < 2 || n->n_outputs != 1 || n->inputs[0] < 0 || n->inputs[1] < 0 ||
        n->outputs[0] < 0)
        return false;
    const odin_tensor *a = &g->tensors[n->inputs[0]], *b = &g->tensors[n->inputs[1]],
                      *y = &g->tensors[n->outputs[0]];
    /* A and Y may have symbolic dims (a language model's sequence length): only B's shape
     * and A's contraction dim (checked below) matter for packing. */
    if (!odin_pass_is_const(g, n->inputs[1]) || !b->data || a->dtype != ODIN_F32 ||
        !f32_known(b) || y->dtype != ODIN_F32 || y->rank < 0 || b->rank != 2 || a->rank < 1)
        return false;
    *trans_b = gemm && odin_attr_i(n, "transB") != 0;
    if (gemm && a->rank != 2) return false;
    if (gemm && n->n_inputs > 2 && n->inputs[2] >= 0) {
        const odin_tensor *c = &g->tensors[n->inputs[2]];
        if (c->dtype != ODIN_F32 || c->rank < 0 || c->rank > 2) return false;
    }
    int64_t K = b->dims[*trans_b ? 1 : 0], N = b->dims[*trans_b ? 0 : 1];
    int64_t ka = gemm && odin_attr_i(n, "transA") ? a->dims[0] : a->dims[a->rank - 1];
    /* N == 1 is a dot product the unpacked kernel streams already */
    return K >= 1 && N >= 2 && ka == K;
}

static odin_status rewrite(odin_graph *g, int ni, int packed, int64_t N, bool gemm) {
    odin_node *n = &g->nodes[ni];
    odin_attr at[4];
    memset(at, 0, sizeof at);
    int na = 0;
    at[na].name = "n";
    at[na].kind = ODIN_ATTR_INT;
    at[na++].i = N;
    if (gemm) {
        at[na].name = "trans_a";
        at[na].kind = ODIN_ATTR_INT;
        at[na++].i = odin_attr_i(n, "transA") != 0;
        at[na].name = "alpha";
        at[na].kind = ODIN_ATTR_FLOAT;
        at[na++].f = odin_attr_f(n, "alpha");
        at[na].name = "beta";
        at[na].kind = ODIN_ATTR_FLOAT;
        at[na++].f = odin_attr_f(n, "beta");
    }
    odin_attr *attrs = odin_arena_alloc(&g->arena, sizeof *attrs * (size_t)na, 8);
    if (!attrs) return odin_errorf("out of memory");
    for (int i = 0; i < na; i++) ODIN_TRY(odin_attr_copy(g, &attrs[i], &at[i]));
    /* Gemm ignores C when beta is 0 */
    if (gemm && n->n_inputs > 2 && odin_attr_f(n, "beta") == 0.0f) n->inputs[2] = -1;
    n->op = "PackedMatMul";
    n->domain = "ai.odin";
    n->attrs = attrs;
    n->n_attrs = na;
    n->inputs[1] = packed;
    n->def = odin_op_find(n->op, n->domain, g->opset);
    if (!n->def) return odin_errorf("node '%s': PackedMatMul is not registered", n->name);
    return ODIN_OK;
}

/* ---- conv weights ---- */

/* Whether node n is a float32 Conv/FusedConv (not yet packed) whose GEMM form reads W:
 * constant W with known shape, more than one input channel per group (one channel per
 * group is the depthwise kernel, which reads W directly). */
static bool conv_packable(const odin_graph *g, const odin_node *n) {
    bool conv = !n->domain[0] && !strcmp(n->op, "Conv");
    bool fused = !strcmp(n->domain, "ai.odin") && !strcmp(n->op, "FusedConv");
    if ((!conv && !fused) || (fused && odin_attr_i(n, "w_rows") > 0)) return false;
    if (n->n_inputs < 2 || n->n_outputs != 1 || n->inputs[0] < 0 || n->inputs[1] < 0 ||
        n->outputs[0] < 0)
        return false;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && !f32_known(&g->tensors[n->inputs[i]])) return false;
    const odin_tensor *x = &g->tensors[n->inputs[0]], *w = &g->tensors[n->inputs[1]];
    if (!f32_known(&g->tensors[n->outputs[0]]) || !odin_pass_is_const(g, n->inputs[1]) ||
        !w->data || w->rank < 3 || w->rank > 5 || x->rank != w->rank)
        return false;
    int64_t G = odin_attr_i(n, "group");
    return G >= 1 && w->dims[0] >= 1 && w->dims[0] % G == 0 && w->dims[1] > 1 &&
           x->dims[1] == w->dims[1] * G;
}

/* W [M, Cg, k...] as [G, ceil(Mg/R), K, R] (K = Cg * taps) into dst, zero rows past Mg. */
static void pack_rows(float *dst, const float *w, int64_t G, int64_t Mg, int64_t K) {
    const int64_t R = ODIN_PACK_ROWS, nb = (Mg + R - 1) / R;
    for (int64_t g = 0; g < G; g++)
        for (int64_t b = 0; b < nb; b++)
            for (int64_t k = 0; k < K; k++)
                for (int64_t r = 0; r < R; r++) {
                    int64_t i = b * R + r;
                    dst[((g * nb + b) * K + k) * R + r] = i < Mg ? w[(g * Mg + i) * K + k] : 0.0f;
                }
}

static odin_status pack_conv_node(odin_graph *g, int ni) {
    odin_node *n = &g->nodes[ni];
    int wt = n->inputs[1];
    const odin_tensor *tw = &g->tensors[wt];
    int64_t G = odin_attr_i(n, "group"), M = tw->dims[0], Mg = M / G;
    int64_t K = odin_tensor_numel(tw) / M, R = ODIN_PACK_ROWS, nb = (Mg + R - 1) / R;
    int64_t dims[4] = {G, nb, K, R}, wshape[ODIN_MAX_RANK];
    int wrank = tw->rank;
    memcpy(wshape, tw->dims, sizeof(int64_t) * (size_t)wrank);
    size_t nbytes = sizeof(float) * (size_t)(G * nb * K * R);
    float *p;
    bool in_place = count_uses(g, wt) == 1 && !(tw->flags & ODIN_TENSOR_EXTERNAL) &&
                    nbytes == tw->nbytes;
    if (in_place) {
        p = malloc(nbytes);
        if (!p) return odin_errorf("out of memory packing '%s'", tw->name);
    } else {
        char base[256];
        snprintf(base, sizeof base, "%s.rows", tw->name);
        const char *name = odin_graph_unique_name(g, base);
        if (!name) return odin_errorf("out of memory");
        ODIN_TRY(odin_graph_add_tensor(g, name, ODIN_F32, 4, dims, &wt));
        tw = &g->tensors[n->inputs[1]]; /* the tensor array may have moved */
        p = odin_arena_alloc(&g->arena, nbytes, 64);
        if (!p) return odin_errorf("out of memory packing '%s'", tw->name);
    }
    pack_rows(p, tw->data, G, Mg, K);
    odin_tensor *dst = &g->tensors[wt];
    if (in_place) {
        memcpy(dst->data, p, nbytes);
        free(p);
        for (int i = 0; i < 4; i++) dst->dim_params[i] = NULL;
    } else {
        dst->data = p;
        dst->flags |= ODIN_TENSOR_CONST;
    }
    dst->rank = 4;
    memcpy(dst->dims, dims, sizeof dims);
    dst->nbytes = nbytes;
    /* the node keeps its attributes and gains the packing's; a Conv becomes FusedConv
     * with no residual and no clamp */
    n = &g->nodes[ni];
    odin_attr *attrs = odin_arena_alloc(&g->arena, sizeof *attrs * (size_t)(n->n_attrs + 2), 8);
    if (!attrs) return odin_errorf("out of memory");
    int na = 0;
    for (int i = 0; i < n->n_attrs; i++) attrs[na++] = n->attrs[i]; /* already in the arena */
    odin_attr extra[2] = {ODIN_ATTR_I("w_rows", R), ODIN_ATTR_INTS("w_shape", wshape, wrank)};
    for (int i = 0; i < 2; i++) ODIN_TRY(odin_attr_copy(g, &attrs[na++], &extra[i]));
    n->attrs = attrs;
    n->n_attrs = na;
    n->inputs[1] = wt;
    n->op = "FusedConv";
    n->domain = "ai.odin";
    n->def = odin_op_find(n->op, n->domain, g->opset);
    if (!n->def) return odin_errorf("node '%s': FusedConv is not registered", n->name);
    return ODIN_OK;
}

odin_status odin_pass_pack(odin_graph *g, bool *changed) {
    *changed = false;
    if (!odin_op_find("PackedMatMul", "ai.odin", g->opset)) return ODIN_OK;
    packed_entry *seen = calloc((size_t)g->n_nodes + 1, sizeof *seen);
    if (!seen) return odin_errorf("out of memory");
    int n_seen = 0;
    odin_status st = ODIN_OK;
    for (int i = 0; !st && i < g->n_nodes; i++) {
        bool tb = false;
        if (!packable(g, &g->nodes[i], &tb)) continue;
        bool gemm = strcmp(g->nodes[i].op, "Gemm") == 0;
        const odin_tensor *b = &g->tensors[g->nodes[i].inputs[1]];
        int64_t N = b->dims[tb ? 0 : 1];
        int packed = -1;
        st = packed_tensor(g, g->nodes[i].inputs[1], tb, seen, &n_seen, &packed);
        if (!st) st = rewrite(g, i, packed, N, gemm);
        if (!st) *changed = true;
    }
    free(seen);
    if (!odin_op_find("FusedConv", "ai.odin", g->opset)) return st;
    for (int i = 0; !st && i < g->n_nodes; i++) {
        if (!conv_packable(g, &g->nodes[i])) continue;
        st = pack_conv_node(g, i);
        if (!st) *changed = true;
    }
    return st;
}
