/* models/gpt2.c — a GPT-2-style decoder over a whole sequence: token + learned position
 * embedding, pre-LayerNorm blocks of causal multi-head self-attention (fused QKV) and a
 * GELU (tanh) MLP of width 4C, a final LayerNorm and the LM head tied to the token
 * embedding. Weights are stored as matmul right-hand sides [in, out] (HF Conv1D layout),
 * initialized N(0, 0.02) like GPT-2; LayerNorm gamma 1, beta 0, biases 0.
 * kv=0 (default): a fixed-length [batch, seq] graph with no state (benchmark, demo).
 * kv=1: the LM graph of docs/language-models.md (gpt2_kv.c): symbolic seq, pos, KV caches,
 * parameters under Hugging Face names read by `--weights`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "init.h"
#include "models.h"

/* models/gpt2_kv.c: the kv=1 graph; v are this builder's parameter values. */
odin_status odin_gpt2_kv_build(const int64_t *v, const odin_safetensors *weights,
                               odin_graph **out);

static const odin_model_param gpt2_params[] = {
    {"vocab", 1024, "vocabulary size"},
    {"n_ctx", 256, "maximum context (position embedding rows)"},
    {"n_embd", 256, "model width C"},
    {"n_layer", 4, "number of blocks"},
    {"n_head", 4, "attention heads (must divide n_embd)"},
    {"seq", 32, "sequence length T of the graph input"},
    {"batch", 1, "batch size"},
    {"seed", 1, "weight initialization seed"},
    {"kv", 0, "1: LM graph with KV cache (symbolic seq, pos, state.*; HF names)"},
    {"max_ctx", 0, "kv=1: KV-cache rows (0: n_ctx)"},
    {"all_logits", 0, "kv=1: 1 = logits of every token; 0 = last token only"},
    {NULL, 0, NULL},
};

typedef struct gpt2_cfg {
    int64_t vocab, n_ctx, C, n_layer, H, T, B;
} gpt2_cfg;

static int layer_norm(odin_graph *g, int x, int64_t C, const char *scope) {
    odin_builder_scope(g, scope);
    int64_t d[1] = {C};
    int w = odin_init_fill(g, "weight", 1, d, 1.0f);
    int b = odin_init_fill(g, "bias", 1, d, 0.0f);
    return odin_layernorm(g, x, w, b, -1, 1e-5f);
}

/* x @ W + b with W [in, out] */
static int dense(odin_graph *g, odin_rng *r, int x, int64_t in, int64_t out, const char *scope) {
    odin_builder_scope(g, scope);
    int64_t wd[2] = {in, out}, bd[1] = {out};
    int w = odin_init_normal(g, r, "weight", 2, wd, 0.02f);
    int b = odin_init_fill(g, "bias", 1, bd, 0.0f);
    return odin_add(g, odin_matmul(g, x, w), b);
}

/* [B,T,C] -> [B,H,T,D] */
static int split_heads(odin_graph *g, int x, const gpt2_cfg *c) {
    int64_t shape[4] = {c->B, c->T, c->H, c->C / c->H}, perm[4] = {0, 2, 1, 3};
    return odin_transpose(g, odin_reshape(g, x, 4, shape), 4, perm);
}

static int attention(odin_graph *g, odin_rng *r, int x, int mask, const gpt2_cfg *c,
                     const char *prefix) {
    char scope[64];
    snprintf(scope, sizeof scope, "%s.attn.c_attn", prefix);
    int qkv = dense(g, r, x, c->C, 3 * c->C, scope);
    snprintf(scope, sizeof scope, "%s.attn", prefix);
    odin_builder_scope(g, scope);
    int parts[3];
    odin_split(g, qkv, -1, 3, NULL, parts);
    int q = split_heads(g, parts[0], c), k = split_heads(g, parts[1], c);
    int v = split_heads(g, parts[2], c);
    int64_t kperm[4] = {0, 1, 3, 2};
    int scores = odin_matmul(g, q, odin_transpose(g, k, 4, kperm));
    int scale = odin_scalar_f32(g, "scale", 1.0f / sqrtf((float)(c->C / c->H)));
    int probs = odin_softmax(g, odin_add(g, odin_mul(g, scores, scale), mask), -1);
    int64_t back[4] = {0, 2, 1, 3}, merged[3] = {c->B, c->T, c->C};
    int y = odin_reshape(g, odin_transpose(g, odin_matmul(g, probs, v), 4, back), 3, merged);
    snprintf(scope, sizeof scope, "%s.attn.c_proj", prefix);
    return dense(g, r, y, c->C, c->C, scope);
}

static int mlp(odin_graph *g, odin_rng *r, int x, const gpt2_cfg *c, const char *prefix) {
    char scope[64];
    snprintf(scope, sizeof scope, "%s.mlp.c_fc", prefix);
    int h = dense(g, r, x, c->C, 4 * c->C, scope);
    h = odin_gelu(g, h, true);
    snprintf(scope, sizeof scope, "%s.mlp.c_proj", prefix);
    return dense(g, r, h, 4 * c->C, c->C, scope);
}

/* Additive causal mask [T,T]: 0 on and below the diagonal, -1e9 above. A large finite
 * value rather than -inf keeps every softmax row finite. */
static int causal_mask(odin_graph *g, int64_t T) {
    float *m = malloc(sizeof(float) * T * T);
    if (!m) {
        g->error = odin_errorf("out of memory");
        return -1;
    }
    for (int64_t i = 0; i < T; i++)
        for (int64_t j = 0; j < T; j++) m[i * T + j] = j > i ? -1e9f : 0.0f;
    int64_t d[2] = {T, T};
    int t = odin_constant_f32(g, "causal_mask", 2, d, m);
    free(m);
    return t;
}

static odin_status build_gpt2(const int64_t *v, const odin_safetensors *weights,
                        odin_graph **out) {
    if (v[8]) return odin_gpt2_kv_build(v, weights, out);
    if (weights) return odin_errorf("checkpoints are read by the kv=1 graph only (--set kv=1)");
    gpt2_cfg c = {v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
    if (c.vocab < 1 || c.C < 1 || c.H < 1 || c.T < 1 || c.B < 1)
        return odin_errorf("vocab, n_embd, n_head, seq and batch must be at least 1");
    if (c.C % c.H) return odin_errorf("n_head %lld does not divide n_embd %lld",
                                      (long long)c.H, (long long)c.C);
    if (c.T > c.n_ctx) return odin_errorf("seq %lld exceeds n_ctx %lld", (long long)c.T,
                                          (long long)c.n_ctx);
    odin_rng r;
    odin_rng_seed(&r, (uint64_t)v[7]);
    odin_graph *g = odin_graph_new("gpt2");
    if (!g) return odin_errorf("out of memory");

    int64_t td[2] = {c.B, c.T};
    int tokens = odin_input(g, "tokens", ODIN_I64, 2, td);
    int64_t wte_d[2] = {c.vocab, c.C}, wpe_d[2] = {c.n_ctx, c.C};
    int wte = odin_init_normal(g, &r, "wte", 2, wte_d, 0.02f);
    int wpe = odin_init_normal(g, &r, "wpe", 2, wpe_d, 0.01f);
    int64_t *pos = malloc(sizeof(int64_t) * c.T);
    if (!pos) {
        odin_graph_free(g);
        return odin_errorf("out of memory");
    }
    for (int64_t i = 0; i < c.T; i++) pos[i] = i;
    int64_t pd[1] = {c.T};
    int positions = odin_constant_i64(g, "positions", 1, pd, pos);
    free(pos);
    int x = odin_add(g, odin_gather(g, wte, tokens, 0), odin_gather(g, wpe, positions, 0));
    int mask = causal_mask(g, c.T);

    char prefix[32], scope[64];
    for (int64_t l = 0; l < c.n_layer; l++) {
        snprintf(prefix, sizeof prefix, "h%lld", (long long)l);
        snprintf(scope, sizeof scope, "%s.ln_1", prefix);
        x = odin_add(g, x, attention(g, &r, layer_norm(g, x, c.C, scope), mask, &c, prefix));
        snprintf(scope, sizeof scope, "%s.ln_2", prefix);
        x = odin_add(g, x, mlp(g, &r, layer_norm(g, x, c.C, scope), &c, prefix));
    }
    x = layer_norm(g, x, c.C, "ln_f");
    odin_builder_scope(g, "lm_head");
    int64_t tperm[2] = {1, 0};
    int logits = odin_matmul(g, x, odin_transpose(g, wte, 2, tperm)); /* tied to wte */
    odin_builder_scope(g, NULL);
    odin_output(g, logits, "logits");
    odin_status st = odin_graph_take_error(g);
    if (st) {
        odin_graph_free(g);
        return st;
    }
    *out = g;
    return ODIN_OK;
}

const odin_model_builder odin_model_gpt2 = {
    "gpt2", "GPT-2-style decoder (embeddings, causal attention, GELU MLP, tied head)",
    gpt2_params, build_gpt2};
