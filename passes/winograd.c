/* passes/winograd.c — Winograd convolution: a float32 Conv / FusedConv with a constant
 * 3x3 filter, stride 1, dilation 1, one group (ResNet's bulk of FLOPs) becomes
 *   V = ai.odin WinogradInput(X)          input tiles B^T d B       [T, C, P]
 *   M = Conv(V, U), 1x1, group T          batched GEMM over T points [T, K, P]
 *   Y = ai.odin WinogradOutput(M, B, R)   A^T m A + bias + residual, clamp (NCHW)
 * with the filter transform U = G g G^T [T, K, C] computed here once (ops/winograd.h
 * holds the matrices). The GEMM engine does the multiplies on T = (m+2)^2 small GEMMs
 * instead of one K x C*9 x OH*OW im2col GEMM: (m+2)^2 / (9 m^2) of the multiplies,
 * 0.44x for F(2x2,3x3) and 0.25x for F(4x4,3x3) before tile remainders.
 *
 * When it fires (measured per layer on ResNet-18's shapes, JIT, 1 thread): both C and K at
 * least WINO_MIN_CHANNELS (the transforms cost about a GEMM of depth 1 per tile and
 * channel, so few channels do not pay), and the tile size m in {4, 2} whose multiply count
 * (m+2)^2 * tiles is smallest is at most WINO_MAX_RATIO of the direct 9 * OH * OW, with
 * at least WINO_MIN_TILES_m tiles (the GEMM's column count: fewer starve its vectors).
 * ResNet-18 at 224: F(4x4) on the 56x56 and 28x28 maps (196 and 49 tiles), F(2x2) on
 * 14x14 (49 tiles; F(4x4)'s 16 tiles made a GEMM as slow as im2col's); the 7x7 maps keep
 * im2col. The price is weight memory: U holds (m+2)^2 / 9 times the filter's floats (1.8x
 * for F(2x2), 4x for F(4x4)), and where the tiles are few that buys little: F(2x2) on the
 * three 7x7 convs (16 tiles) saved about 0.9 ms each (2.2 against 3.1 ms, 1 thread) but
 * added 22 MB to ResNet-18's 47 MB of constants (and to its wasm download), hence
 * WINO_MIN_TILES_2 = 32. With it ResNet-18's constants grow to about 59 MB.
 * ODIN_WINOGRAD=0 in the environment turns the pass off (A/B comparisons); =2 or =4
 * forces that tile size on every conv of the right form. Runs before pack, which packs U
 * into the row panels the conv GEMM reads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ir/edit.h"
#include "../ops/conv_util.h"
#include "../ops/winograd.h"
#include "pass.h"

#define WINO_MIN_CHANNELS 16
#define WINO_MIN_TILES_2 32 /* F(2x2,3x3) */
#define WINO_MIN_TILES_4 32 /* F(4x4,3x3) */
#define WINO_MAX_RATIO 0.6
#define WINO_MAX_WIDTH 2048

/* 0: off, 1: the profitability rule, 2 / 4: that tile size whenever the form fits. */
static int wino_mode(void) {
    const char *e = getenv("ODIN_WINOGRAD");
    if (!e || !*e) return 1;
    int v = atoi(e);
    return v == 0 || v == 2 || v == 4 ? v : 1;
}

static bool f32_static(const odin_tensor *t) {
    return t->dtype == ODIN_F32 && t->rank >= 0 && odin_tensor_numel(t) >= 0;
}

/* The tile size for node ni (0: leave it), and its geometry. */
static int64_t choose(const odin_graph *g, int ni, int mode, odin_conv_geom *geo) {
    const odin_node *n = &g->nodes[ni];
    bool conv = !n->domain[0] && !strcmp(n->op, "Conv");
    bool fused = !strcmp(n->domain, "ai.odin") && !strcmp(n->op, "FusedConv");
    if ((!conv && !fused) || (fused && odin_attr_i(n, "w_rows") > 0)) return 0;
    if (n->n_inputs < 2 || n->n_outputs != 1 || n->inputs[0] < 0 || n->inputs[1] < 0 ||
        n->outputs[0] < 0)
        return 0;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && !f32_static(&g->tensors[n->inputs[i]])) return 0;
    const odin_tensor *x = &g->tensors[n->inputs[0]], *w = &g->tensors[n->inputs[1]],
                      *y = &g->tensors[n->outputs[0]];
    if (!f32_static(y) || x->rank != 4 || w->rank != 4 || !odin_pass_is_const(g, n->inputs[1]) ||
        !w->data || w->dims[2] != 3 || w->dims[3] != 3 || odin_attr_i(n, "group") != 1 ||
        w->dims[1] != x->dims[1])
        return 0;
    if (n->n_inputs > 2 && n->inputs[2] >= 0) {
        const odin_tensor *b = &g->tensors[n->inputs[2]];
        if (b->rank != 1 || b->dims[0] != w->dims[0]) return 0;
    }
    odin_status st = odin_conv_forward_geometry(g, ni, 0, 1, geo);
    if (st) {
        odin_status_free(st);
        return 0;
    }
    for (int i = 0; i < 2; i++)
        if (geo->stride[i] != 1 || geo->dil[i] != 1 || geo->pad0[i] > 2 || geo->out[i] < 1)
            return 0;
    int64_t N = x->dims[0], C = x->dims[1], K = w->dims[0], OH = geo->out[0], OW = geo->out[1];
    if (C < WINO_MIN_CHANNELS || K < WINO_MIN_CHANNELS) return 0;
    /* the lowering keeps a tile row's input and output rows on the stack */
    if (OW > WINO_MAX_WIDTH) return 0;
    if (mode == 2 || mode == 4) return mode;
    int64_t best = 0;
    double best_mults = 0;
    for (int64_t m = 4; m >= 2; m -= 2) {
        int64_t tiles = N * odin_wino_tiles(OH, m) * odin_wino_tiles(OW, m);
        double mults = (double)((m + 2) * (m + 2)) * (double)tiles;
        if (tiles < (m == 4 ? WINO_MIN_TILES_4 : WINO_MIN_TILES_2) || mults > WINO_MAX_RATIO * 9.0 * (double)(N * OH * OW)) continue;
        if (!best || mults < best_mults) best = m, best_mults = mults;
    }
    return best;
}

/* U [T, K, C] = G g G^T of each filter g = W[k, c] (3x3), in double. */
static void filter_transform(float *u, const float *wt, int64_t K, int64_t C, const odin_wino_mats *mt) {
    int a = mt->a;
    for (int64_t k = 0; k < K; k++)
        for (int64_t c = 0; c < C; c++) {
            const float *f = wt + (k * C + c) * 9;
            double t[ODIN_WINO_MAX_A][3];
            for (int i = 0; i < a; i++)
                for (int j = 0; j < 3; j++)
                    t[i][j] = mt->g[i][0] * f[j] + mt->g[i][1] * f[3 + j] + mt->g[i][2] * f[6 + j];
            for (int i = 0; i < a; i++)
                for (int j = 0; j < a; j++) {
                    double s = t[i][0] * mt->g[j][0] + t[i][1] * mt->g[j][1] + t[i][2] * mt->g[j][2];
                    u[((int64_t)(i * a + j) * K + k) * C + c] = (float)s;
                }
        }
}

static odin_status new_tensor(odin_graph *g, const char *base, const char *suffix, int rank,
                              const int64_t *dims, int *t) {
    char name[256];
    snprintf(name, sizeof name, "%s.%s", base, suffix);
    const char *unique = odin_graph_unique_name(g, name);
    if (!unique) return odin_errorf("out of memory");
    return odin_graph_add_tensor(g, unique, ODIN_F32, rank, dims, t);
}

/* Move the last `count` nodes to position `at` (their order kept). */
static void move_tail(odin_graph *g, int at, int count) {
    odin_node tmp[2];
    memcpy(tmp, &g->nodes[g->n_nodes - count], sizeof(odin_node) * (size_t)count);
    memmove(&g->nodes[at + count], &g->nodes[at], sizeof(odin_node) * (size_t)(g->n_nodes - count - at));
    memcpy(&g->nodes[at], tmp, sizeof(odin_node) * (size_t)count);
}

static odin_status rewrite(odin_graph *g, int ni, int64_t m, const odin_conv_geom *geo) {
    const odin_wino_mats *mt = odin_wino_mats_get(m);
    odin_node *n = &g->nodes[ni];
    const char *yname = g->tensors[n->outputs[0]].name, *nname = n->name;
    int x = n->inputs[0], wt = n->inputs[1];
    int bias = n->n_inputs > 2 ? n->inputs[2] : -1, res = n->n_inputs > 3 ? n->inputs[3] : -1;
    bool fused = !strcmp(n->op, "FusedConv");
    float lo = fused ? odin_attr_f(n, "act_min") : -INFINITY, hi = fused ? odin_attr_f(n, "act_max") : INFINITY;
    int64_t N = g->tensors[x].dims[0], C = g->tensors[x].dims[1], K = g->tensors[wt].dims[0];
    int64_t T = mt->a * mt->a, P = N * odin_wino_tiles(geo->out[0], m) * odin_wino_tiles(geo->out[1], m);
    /* the batched GEMM is a 1x1 conv with one group per transform point (so pack.c packs
     * U into the conv GEMM's row panels): V [T, C, P] as [1, T*C, P, 1], U [T, K, C] as
     * [T*K, C, 1, 1], M [T, K, P] as [1, T*K, P, 1] */
    int64_t ud[4] = {T * K, C, 1, 1}, vd[4] = {1, T * C, P, 1}, md[4] = {1, T * K, P, 1};
    int u, v, mm;
    ODIN_TRY(new_tensor(g, yname, "wino_u", 4, ud, &u));
    ODIN_TRY(new_tensor(g, yname, "wino_v", 4, vd, &v));
    ODIN_TRY(new_tensor(g, yname, "wino_m", 4, md, &mm));
    size_t nbytes = sizeof(float) * (size_t)(T * K * C);
    float *ub = odin_arena_alloc(&g->arena, nbytes, 64);
    if (!ub) return odin_errorf("out of memory for the filter transform of '%s'", nname);
    filter_transform(ub, g->tensors[wt].data, K, C, mt);
    g->tensors[u].data = ub;
    g->tensors[u].nbytes = nbytes;
    g->tensors[u].flags |= ODIN_TENSOR_CONST;

    int64_t pads[2] = {geo->pad0[0], geo->pad0[1]}, out_hw[2] = {geo->out[0], geo->out[1]};
    char name[256];
    odin_attr in_at[3] = {ODIN_ATTR_I("m", m), ODIN_ATTR_INTS("pads", pads, 2),
                          ODIN_ATTR_INTS("out_hw", out_hw, 2)};
    snprintf(name, sizeof name, "%s.wino_in", nname);
    ODIN_TRY(odin_graph_add_node(g, name, "WinogradInput", "ai.odin", &x, 1, &v, 1, in_at, 3, NULL));
    int mm_in[2] = {v, u};
    odin_attr gemm_at[1] = {ODIN_ATTR_I("group", T)};
    snprintf(name, sizeof name, "%s.wino_gemm", nname);
    ODIN_TRY(odin_graph_add_node(g, name, "Conv", "", mm_in, 2, &mm, 1, gemm_at, 1, NULL));
    move_tail(g, ni, 2);
    odin_attr out_at[4] = {ODIN_ATTR_I("m", m), ODIN_ATTR_INTS("out_hw", out_hw, 2),
                           ODIN_ATTR_F("act_min", lo), ODIN_ATTR_F("act_max", hi)};
    int ins[3] = {mm, bias, res};
    ODIN_TRY(odin_pass_retarget(g, ni + 2, "WinogradOutput", ins, res >= 0 ? 3 : bias >= 0 ? 2 : 1,
                                NULL, 0, out_at, 4));
    if (!g->nodes[ni].def || !g->nodes[ni + 1].def)
        return odin_errorf("node '%s': the Winograd ops are not registered", nname);
    return ODIN_OK;
}

odin_status odin_pass_winograd(odin_graph *g, bool *changed) {
    *changed = false;
    int mode = wino_mode();
    if (!mode || !odin_op_find("WinogradInput", "ai.odin", g->opset)) return ODIN_OK;
    /* from the last node back: inserting before node i leaves earlier indices alone */
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        odin_conv_geom geo;
        int64_t m = choose(g, i, mode, &geo);
        if (!m) continue;
        ODIN_TRY(odin_status_prefix(rewrite(g, i, m, &geo), "node '%s'", g->nodes[i].name));
        *changed = true;
    }
    if (!*changed) return ODIN_OK;
    /* the moved nodes changed index: producers are recomputed by a removal of nothing */
    bool *none = calloc((size_t)g->n_nodes, sizeof *none);
    if (!none) return odin_errorf("out of memory");
    odin_status st = odin_graph_remove_nodes(g, none);
    free(none);
    return st;
}
