/* models/rwkv6.c — the RWKV-v6 ("Finch") language model as one LM graph (see
 * docs/language-models.md): tokens [1, seq] and per-layer state in, logits and state out.
 * Parameters carry the official checkpoint names and shapes, so `--weights` loads an
 * official (converted to safetensors) checkpoint without a name map; sizes left at their
 * defaults are then read from the checkpoint's shapes (released models differ).
 *
 * Equations (../shared/MODELS.md, "RWKV-v6") checked against the official code, read
 * only: BlinkDL/RWKV-LM RWKV-v5/rwkv_v6_demo.py (RWKV_Tmix_x060, RWKV_CMix_x060, Block)
 * and BlinkDL/ChatRWKV rwkv_pip_package/src/rwkv/model.py (att_one_v6_0, att_seq_v6_0,
 * ffn_one_v6, the checkpoint loader). What was checked, all agreeing with MODELS.md:
 * - the five LoRA mixes come out of tanh(xxx @ time_maa_w1) viewed as [T, 5, D_MIX], so
 *   chunk i is columns i*D_MIX..(i+1)*D_MIX-1, multiplied by time_maa_w2[i]
 *   (time_maa_w2 is [5, D_MIX, C]); they unpack in the order w, k, v, r, g;
 * - time_maa_w1 [C, 5*D_MIX], time_decay_w1 [C, D_DECAY], time_decay_w2 [D_DECAY, C] are
 *   right-hand sides used as stored (no transpose); the nn.Linear weights (receptance, key,
 *   value, gate, output, ffn.*, head) are [out, in];
 * - vectors time_maa_*, time_decay, ffn.time_maa_* are stored [1, 1, C]; time_faaaa is
 *   [H, N] and is used as is as the bonus u (ChatRWKV's "REAL_TIME_FIRST", no exp);
 * - decay = exp(-exp(time_decay + tanh(x_w @ decay_w1) @ decay_w2)), per token;
 * - ln_x is GroupNorm(H groups) with eps = 1e-5 * head_size_divisor^2 = 1e-5 * 8^2 =
 *   6.4e-4 ("64e-5" in ChatRWKV), weight and bias per channel;
 * - ln0 exists in block 0 only and is applied once, to the embedding (ChatRWKV folds it
 *   into emb.weight at load; the demo applies it inside block 0) — same thing;
 * - token shift acts on the LayerNorm'd input of each mix (the saved shift state is
 *   ln1(x) / ln2(x) of the last token, not the residual x), d = prev - x;
 * - WKV: out = r @ (u * kv + S); S = kv + decay * S, with S rows = key channels;
 * - ChannelMix: sigmoid(receptance(xr)) * value(relu(key(xk))^2), dim_ffn =
 *   floor(3.5*C/32)*32.
 * No discrepancy was found.
 *
 * Linear layers run as Gemm(x [T, in], W [out, in], transB = 1): the checkpoint's layout
 * is used in place (no transposed copy at load), and for M = 1 our GEMM lowering takes its
 * contiguous dot-product form. Measured with `odinc run --bench 300` on 8 chained
 * 768x2688 / 2688x768 layers at M = 1 (JIT, 1 thread): Gemm transB=1 median 7.2-9.5 ms,
 * min 4.1-4.6 ms; MatMul on the pre-transposed [in, out] weight (GEMV form) median
 * 13.9-17.9 ms, min 8.4-12.5 ms. Activations stay [T, C] (batch 1)
 * and are reshaped to [1, T, ...] only around TokenShift and WKV6. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/safetensors.h"
#include "../ir/builder.h"
#include "init.h"
#include "models.h"

static const odin_model_param rwkv6_params[] = {
    {"n_layer", 12, "number of blocks"},
    {"n_embd", 768, "model width C"},
    {"head_size", 64, "head size N (heads H = n_embd / head_size)"},
    {"dim_ffn", 0, "channel-mix width (0: floor(3.5*C/32)*32)"},
    {"vocab", 65536, "vocabulary size"},
    {"d_mix", 32, "rank of the token-shift mix LoRA (time_maa_w1/w2)"},
    {"d_decay", 64, "rank of the decay LoRA (time_decay_w1/w2)"},
    {"all_logits", 0, "1: logits of every token [1,seq,vocab]; 0: last token [1,1,vocab]"},
    {"seed", 1, "weight initialization seed (no checkpoint)"},
    {NULL, 0, NULL},
};

typedef struct rwkv6_cfg {
    int64_t n_layer, C, N, H, F, vocab, d_mix, d_decay;
    bool all_logits;
} rwkv6_cfg;

typedef struct rwkv6_ctx {
    odin_graph *g;
    const odin_safetensors *w;
    odin_rng *r;
    const rwkv6_cfg *c;
    char layer[32]; /* "blocks.L" */
} rwkv6_ctx;

/* ---- parameters ---------------------------------------------------------------------- */

/* "blocks.L.<suffix>" */
static const char *pname(rwkv6_ctx *x, const char *suffix, char *buf, size_t size) {
    snprintf(buf, size, "%s.%s", x->layer, suffix);
    return buf;
}

static int param(rwkv6_ctx *x, const char *name, int rank, const int64_t *dims,
                 odin_init_kind kind, float value) {
    odin_init_spec init = {kind, value};
    return odin_param(x->g, x->w, x->r, name, rank, dims, init, false);
}

/* A parameter whose random init is uniform in [lo, hi) (a plain U(-b, b) cannot give the
 * (0, 1) mixes or the negative decays); a checkpoint still goes through odin_param. */
static int param_range(rwkv6_ctx *x, const char *name, int rank, const int64_t *dims,
                       float lo, float hi) {
    if (x->w) return param(x, name, rank, dims, ODIN_INIT_FILL, 0.0f);
    odin_graph *g = x->g;
    if (g->error) return -1;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    float *data = malloc(sizeof(float) * (size_t)n);
    if (!data) {
        g->error = odin_errorf("out of memory initializing '%s'", name);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) data[i] = lo + (hi - lo) * odin_rng_uniform(x->r);
    const char *saved = g->scope;
    g->scope = NULL; /* parameters carry their checkpoint names */
    int t = odin_constant_f32(g, name, rank, dims, data);
    g->scope = saved;
    free(data);
    return t;
}

/* A vector stored [1,1,C] (the checkpoint's layout of maa, decay, ...), returned as [C] so
 * that it broadcasts over the [T, C] activations without adding a batch axis. */
static int vec_range(rwkv6_ctx *x, const char *suffix, float lo, float hi) {
    char name[96];
    int64_t d[3] = {1, 1, x->c->C}, flat[1] = {x->c->C};
    int t = param_range(x, pname(x, suffix, name, sizeof name), 3, d, lo, hi);
    return odin_reshape(x->g, t, 1, flat);
}

/* Linear weight [out, in], random N(0, gain / sqrt(in)). */
static int lin_weight(rwkv6_ctx *x, const char *name, int64_t out, int64_t in, float gain) {
    int64_t d[2] = {out, in};
    return param(x, name, 2, d, ODIN_INIT_NORMAL, gain / sqrtf((float)in));
}

/* ---- graph pieces ---------------------------------------------------------------------- */

/* y [T, out] = x [T, in] . W^T, W [out, in] as stored. */
static int linear(rwkv6_ctx *x, int in, const char *name, int64_t out, int64_t n_in, float gain) {
    return odin_gemm(x->g, in, lin_weight(x, name, out, n_in, gain), -2, true);
}

static int layer_norm(rwkv6_ctx *x, int in, const char *prefix) {
    char wn[96], bn[96];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(bn, sizeof bn, "%s.bias", prefix);
    int64_t d[1] = {x->c->C};
    int w = param(x, wn, 1, d, ODIN_INIT_FILL, 1.0f);
    int b = param(x, bn, 1, d, ODIN_INIT_FILL, 0.0f);
    return odin_layernorm(x->g, in, w, b, -1, 1e-5f);
}

static int reshape(odin_graph *g, int t, int64_t d0, int64_t d1, int64_t d2, int64_t d3, int rank) {
    int64_t s[4] = {d0, d1, d2, d3};
    return odin_reshape(g, t, rank, s);
}

/* The state input "state.L.<what>" and its paired output name. */
typedef struct state_io {
    int in;
    char out_name[64];
} state_io;

static state_io state_input(rwkv6_ctx *x, int64_t l, const char *what, int rank,
                            const int64_t *dims, char *pairs, size_t pairs_size) {
    state_io s;
    char in_name[64];
    snprintf(in_name, sizeof in_name, "state.%lld.%s", (long long)l, what);
    snprintf(s.out_name, sizeof s.out_name, "state_out.%lld.%s", (long long)l, what);
    s.in = odin_input(x->g, in_name, ODIN_F32, rank, dims);
    size_t used = strlen(pairs);
    snprintf(pairs + used, pairs_size - used, "%s%s=%s", used ? ";" : "", in_name, s.out_name);
    return s;
}

/* TokenShift of h [T, C] with the shift state: returns d = prev(h) - h ([T, C]); the new
 * state is kept in *s_out. */
static int shift_delta(rwkv6_ctx *x, int h, int state, int *s_out) {
    odin_graph *g = x->g;
    int ins[2] = {reshape(g, h, 1, -1, x->c->C, 0, 3), state}, outs[2];
    if (odin_build(g, "ai.odin::TokenShift", ins, 2, NULL, 0, 2, outs) < 0) return -1;
    *s_out = outs[1];
    return odin_sub(g, reshape(g, outs[0], -1, x->c->C, 0, 0, 2), h);
}

/* x + d * (maa + m): the token-shift interpolation (m may be -1: none, use maa alone). */
static int mix(odin_graph *g, int h, int d, int maa, int m) {
    return odin_add(g, h, odin_mul(g, d, m >= 0 ? odin_add(g, maa, m) : maa));
}

/* TimeMix of h = ln1(x) [T, C]; returns the branch output [T, C]. */
static int time_mix(rwkv6_ctx *x, int h, int att_shift, int *att_shift_out, int wkv_state,
                    int *wkv_out) {
    odin_graph *g = x->g;
    const rwkv6_cfg *c = x->c;
    char n[96];
    int d = shift_delta(x, h, att_shift, att_shift_out);

    int maa_x = vec_range(x, "att.time_maa_x", 0.1f, 0.9f);
    int maa[5];
    static const char *const which[5] = {"w", "k", "v", "r", "g"}; /* checkpoint order */
    for (int i = 0; i < 5; i++) {
        char s[32];
        snprintf(s, sizeof s, "att.time_maa_%s", which[i]);
        maa[i] = vec_range(x, s, 0.1f, 0.9f);
    }
    int64_t w1d[2] = {c->C, 5 * c->d_mix}, w2d[3] = {5, c->d_mix, c->C};
    int maa_w1 = param(x, pname(x, "att.time_maa_w1", n, sizeof n), 2, w1d, ODIN_INIT_UNIFORM,
                       1.0f / sqrtf((float)c->C));
    int maa_w2 = param(x, pname(x, "att.time_maa_w2", n, sizeof n), 3, w2d, ODIN_INIT_UNIFORM,
                       0.1f);
    /* m = tanh(xxx @ w1) as [T, 5, D_MIX] -> [5, T, D_MIX] @ w2 [5, D_MIX, C] -> [5, T, C] */
    int m = odin_tanh(g, odin_matmul(g, mix(g, h, d, maa_x, -1), maa_w1));
    int64_t perm[3] = {1, 0, 2};
    m = odin_transpose(g, reshape(g, m, -1, 5, c->d_mix, 0, 3), 3, perm);
    m = odin_matmul(g, m, maa_w2);
    int parts[5];
    odin_split(g, m, 0, 5, NULL, parts);
    int xs[5];
    for (int i = 0; i < 5; i++)
        xs[i] = mix(g, h, d, maa[i], reshape(g, parts[i], -1, c->C, 0, 0, 2));

    int r = linear(x, xs[3], pname(x, "att.receptance.weight", n, sizeof n), c->C, c->C, 1.0f);
    int k = linear(x, xs[1], pname(x, "att.key.weight", n, sizeof n), c->C, c->C, 1.0f);
    int v = linear(x, xs[2], pname(x, "att.value.weight", n, sizeof n), c->C, c->C, 1.0f);
    int gate = linear(x, xs[4], pname(x, "att.gate.weight", n, sizeof n), c->C, c->C, 1.0f);
    gate = odin_mul(g, gate, odin_sigmoid(g, gate)); /* silu */

    int decay = vec_range(x, "att.time_decay", -5.0f, -1.0f);
    int64_t dw1d[2] = {c->C, c->d_decay}, dw2d[2] = {c->d_decay, c->C};
    int dw1 = param(x, pname(x, "att.time_decay_w1", n, sizeof n), 2, dw1d, ODIN_INIT_UNIFORM,
                    1.0f / sqrtf((float)c->C));
    int dw2 = param(x, pname(x, "att.time_decay_w2", n, sizeof n), 2, dw2d, ODIN_INIT_UNIFORM,
                    0.1f);
    int w = odin_matmul(g, odin_tanh(g, odin_matmul(g, xs[0], dw1)), dw2);
    w = odin_add(g, decay, w);

    int64_t ud[2] = {c->H, c->N};
    int u = param_range(x, pname(x, "att.time_faaaa", n, sizeof n), 2, ud, -0.2f, 0.6f);
    int wins[6] = {reshape(g, r, 1, -1, c->H, c->N, 4), reshape(g, k, 1, -1, c->H, c->N, 4),
                   reshape(g, v, 1, -1, c->H, c->N, 4), reshape(g, w, 1, -1, c->H, c->N, 4),
                   u, wkv_state};
    int wouts[2];
    if (odin_build(g, "ai.odin::WKV6", wins, 6, NULL, 0, 2, wouts) < 0) return -1;
    *wkv_out = wouts[1];

    int64_t cd[1] = {c->C};
    int lx_w = param(x, pname(x, "att.ln_x.weight", n, sizeof n), 1, cd, ODIN_INIT_FILL, 1.0f);
    int lx_b = param(x, pname(x, "att.ln_x.bias", n, sizeof n), 1, cd, ODIN_INIT_FILL, 0.0f);
    int gn_in[3] = {reshape(g, wouts[0], -1, c->C, 0, 0, 2), lx_w, lx_b};
    odin_attr gn_at[2] = {ODIN_ATTR_I("num_groups", c->H), ODIN_ATTR_F("epsilon", 64e-5f)};
    int y = odin_build(g, "GroupNormalization", gn_in, 3, gn_at, 2, 1, NULL);
    return linear(x, odin_mul(g, y, gate), pname(x, "att.output.weight", n, sizeof n), c->C,
                  c->C, 0.5f);
}

/* ChannelMix of h = ln2(x) [T, C]. */
static int channel_mix(rwkv6_ctx *x, int h, int ffn_shift, int *ffn_shift_out) {
    odin_graph *g = x->g;
    const rwkv6_cfg *c = x->c;
    char n[96];
    int d = shift_delta(x, h, ffn_shift, ffn_shift_out);
    int xk = mix(g, h, d, vec_range(x, "ffn.time_maa_k", 0.1f, 0.9f), -1);
    int xr = mix(g, h, d, vec_range(x, "ffn.time_maa_r", 0.1f, 0.9f), -1);
    int k = odin_relu(g, linear(x, xk, pname(x, "ffn.key.weight", n, sizeof n), c->F, c->C, 1.0f));
    int kv = linear(x, odin_mul(g, k, k), pname(x, "ffn.value.weight", n, sizeof n), c->C, c->F,
                    1.0f);
    int r = linear(x, xr, pname(x, "ffn.receptance.weight", n, sizeof n), c->C, c->C, 1.0f);
    return odin_mul(g, odin_sigmoid(g, r), kv);
}

/* Sizes a checkpoint implies (released models differ in D_MIX / D_DECAY and all the
 * rest). A size left at its default takes the checkpoint's value; one set explicitly to
 * something else is an error naming both. Tensors that are missing are left to
 * odin_param, whose error names them. */
static odin_status size_from(const odin_safetensors *w, const char *tensor, int axis, int param,
                             int64_t *values) {
    const odin_safetensors_entry *e = odin_safetensors_find(w, tensor);
    if (!e || axis >= e->rank) return ODIN_OK;
    int64_t v = e->dims[axis];
    const odin_model_param *p = &rwkv6_params[param];
    if (values[param] != p->def && values[param] != v)
        return odin_errorf("%s=%lld, but checkpoint %s has %lld (axis %d of '%s')", p->name,
                           (long long)values[param], odin_safetensors_path(w), (long long)v, axis,
                           tensor);
    values[param] = v;
    return ODIN_OK;
}

static odin_status sizes_from_checkpoint(const odin_safetensors *w, int64_t *v) {
    int64_t layers = 0;
    char name[64];
    for (;; layers++) {
        snprintf(name, sizeof name, "blocks.%lld.ln1.weight", (long long)layers);
        if (!odin_safetensors_find(w, name)) break;
    }
    if (layers > 0) { /* n_layer: count the blocks */
        if (v[0] != rwkv6_params[0].def && v[0] != layers)
            return odin_errorf("n_layer=%lld, but checkpoint %s has %lld blocks", (long long)v[0],
                               odin_safetensors_path(w), (long long)layers);
        v[0] = layers;
    }
    ODIN_TRY(size_from(w, "emb.weight", 1, 1, v));                 /* n_embd */
    ODIN_TRY(size_from(w, "emb.weight", 0, 4, v));                 /* vocab */
    ODIN_TRY(size_from(w, "blocks.0.att.time_faaaa", 1, 2, v));    /* head_size: [H, N] */
    ODIN_TRY(size_from(w, "blocks.0.ffn.key.weight", 0, 3, v));    /* dim_ffn */
    ODIN_TRY(size_from(w, "blocks.0.att.time_maa_w2", 1, 5, v));   /* d_mix */
    ODIN_TRY(size_from(w, "blocks.0.att.time_decay_w1", 1, 6, v)); /* d_decay */
    return ODIN_OK;
}

static odin_status check_cfg(const rwkv6_cfg *c) {
    if (c->n_layer < 1 || c->C < 1 || c->N < 1 || c->vocab < 1 || c->d_mix < 1 || c->d_decay < 1)
        return odin_errorf("n_layer, n_embd, head_size, vocab, d_mix and d_decay must be at least 1");
    if (c->C % c->N)
        return odin_errorf("head_size %lld does not divide n_embd %lld", (long long)c->N,
                           (long long)c->C);
    if (c->F < 1) return odin_errorf("dim_ffn must be at least 1 (n_embd %lld is too small for the "
                                     "default)", (long long)c->C);
    if (c->n_layer > 1000) return odin_errorf("n_layer %lld is too large", (long long)c->n_layer);
    return ODIN_OK;
}

static odin_status build_rwkv6(const int64_t *v, const odin_safetensors *weights,
                               odin_graph **out) {
    int64_t sizes[ODIN_MODEL_MAX_PARAMS];
    memcpy(sizes, v, sizeof(int64_t) * 9);
    if (weights) ODIN_TRY(sizes_from_checkpoint(weights, sizes));
    v = sizes;
    rwkv6_cfg c = {.n_layer = v[0], .C = v[1], .N = v[2], .F = v[3], .vocab = v[4],
                   .d_mix = v[5], .d_decay = v[6], .all_logits = v[7] != 0};
    if (c.F == 0) c.F = (int64_t)(3.5 * (double)c.C) / 32 * 32;
    ODIN_TRY(check_cfg(&c));
    c.H = c.C / c.N;
    odin_rng r;
    odin_rng_seed(&r, (uint64_t)v[8]);
    odin_graph *g = odin_graph_new("rwkv6");
    if (!g) return odin_errorf("out of memory");
    rwkv6_ctx x = {.g = g, .w = weights, .r = &r, .c = &c};
    size_t pairs_size = (size_t)c.n_layer * 3 * 64 * 2 + 1;
    char *pairs = calloc(1, pairs_size);
    int *state_outs = malloc(sizeof(int) * (size_t)c.n_layer * 3);
    char (*state_names)[64] = malloc(sizeof *state_names * (size_t)c.n_layer * 3);
    if (!pairs || !state_outs || !state_names) {
        free(pairs), free(state_outs), free(state_names);
        odin_graph_free(g);
        return odin_errorf("out of memory");
    }

    /* inputs: tokens [1, seq], then the state of each layer in order */
    int64_t td[2] = {1, -1};
    int tokens = odin_input(g, "tokens", ODIN_I64, 2, td);
    if (tokens >= 0) g->tensors[tokens].dim_params[1] = odin_arena_strdup(&g->arena, "seq");
    state_io *st = malloc(sizeof *st * (size_t)c.n_layer * 3);
    if (!st) g->error = odin_errorf("out of memory");
    for (int64_t l = 0; l < c.n_layer && st; l++) {
        int64_t sd[2] = {1, c.C}, wd[4] = {1, c.H, c.N, c.N};
        st[3 * l] = state_input(&x, l, "att_shift", 2, sd, pairs, pairs_size);
        st[3 * l + 1] = state_input(&x, l, "wkv", 4, wd, pairs, pairs_size);
        st[3 * l + 2] = state_input(&x, l, "ffn_shift", 2, sd, pairs, pairs_size);
    }

    int64_t ed[2] = {c.vocab, c.C};
    int emb = param(&x, "emb.weight", 2, ed, ODIN_INIT_NORMAL, 1.0f);
    int h = odin_gather(g, emb, reshape(g, tokens, -1, 0, 0, 0, 1), 0); /* [T, C] */
    h = layer_norm(&x, h, "blocks.0.ln0");
    for (int64_t l = 0; l < c.n_layer && st; l++) {
        snprintf(x.layer, sizeof x.layer, "blocks.%lld", (long long)l);
        odin_builder_scope(g, x.layer);
        char n[96];
        int *so = &state_outs[3 * l];
        int att = time_mix(&x, layer_norm(&x, h, pname(&x, "ln1", n, sizeof n)), st[3 * l].in,
                           &so[0], st[3 * l + 1].in, &so[1]);
        h = odin_add(g, h, att);
        int ffn = channel_mix(&x, layer_norm(&x, h, pname(&x, "ln2", n, sizeof n)),
                              st[3 * l + 2].in, &so[2]);
        h = odin_add(g, h, ffn);
        for (int i = 0; i < 3; i++)
            snprintf(state_names[3 * l + i], 64, "%s", st[3 * l + i].out_name);
    }
    odin_builder_scope(g, "head");
    if (!c.all_logits) { /* last token only, before ln_out and the head: one row. Gather
                          * of index -1 keeps the logits' shape static, [1, 1, vocab]. */
        int64_t one[1] = {1}, last[1] = {-1};
        h = odin_gather(g, h, odin_constant_i64(g, "last_token", 1, one, last), 0);
    }
    h = layer_norm(&x, h, "ln_out");
    int logits = linear(&x, h, "head.weight", c.vocab, c.C, 1.0f);
    logits = reshape(g, logits, 1, -1, c.vocab, 0, 3);
    odin_builder_scope(g, NULL);
    odin_output(g, logits, "logits");
    for (int64_t i = 0; i < c.n_layer * 3 && st; i++)
        odin_output(g, state_outs[i], state_names[i]);

    char vocab[32];
    snprintf(vocab, sizeof vocab, "%lld", (long long)c.vocab);
    odin_status s = odin_graph_take_error(g);
    if (!s) s = odin_graph_set_meta(g, "odin.lm", "rwkv6");
    if (!s) s = odin_graph_set_meta(g, "odin.vocab", vocab);
    if (!s) s = odin_graph_set_meta(g, "odin.state", pairs);
    free(pairs), free(state_outs), free(state_names), free(st);
    if (s) {
        odin_graph_free(g);
        return s;
    }
    *out = g;
    return ODIN_OK;
}

const odin_model_builder odin_model_rwkv6 = {
    "rwkv6", "RWKV-v6 (Finch) language model: tokens and recurrent state in, logits and state out",
    rwkv6_params, build_rwkv6};
