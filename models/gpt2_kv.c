/* models/gpt2_kv.c — the `gpt2` builder's kv=1 graph: GPT-2 as one LM graph with a KV cache
 * (docs/language-models.md). Token + learned position embedding (rows pos..pos+T-1),
 * pre-LayerNorm blocks of CachedAttention (fused QKV) and a GELU (tanh) MLP 4C, ln_f and
 * the head tied to wte. Parameters carry Hugging Face GPT-2 names (`wte.weight`,
 * `h.L.attn.c_attn.weight`, ...; a `transformer.` prefix, as GPT2LMHeadModel saves them,
 * is accepted too); Conv1D weights are stored [in, out], what Gemm wants without transB. */
#include <stdint.h>
#include <stdio.h>

#include "../frontend/safetensors.h"
#include "../ir/builder.h"
#include "init.h"
#include "models.h"
#include "transformer.h"

typedef struct gpt2_kv_cfg {
    int64_t vocab, n_ctx, C, n_layer, H, max_ctx;
    bool all_logits;
} gpt2_kv_cfg;

typedef struct gpt2_kv_ctx {
    odin_graph *g;
    const odin_safetensors *w;
    odin_rng *r;
    const gpt2_kv_cfg *c;
    int64_t layer; /* -1: a top-level parameter */
} gpt2_kv_ctx;

/* The parameter `suffix` of the current layer ("h.L.<suffix>") or top level, under the
 * name the checkpoint uses: plain, or with the `transformer.` prefix. */
static int param(gpt2_kv_ctx *x, const char *suffix, int rank, const int64_t *dims,
                 odin_init_kind kind, float value) {
    char name[128], prefixed[160];
    if (x->layer >= 0) snprintf(name, sizeof name, "h.%lld.%s", (long long)x->layer, suffix);
    else snprintf(name, sizeof name, "%s", suffix);
    snprintf(prefixed, sizeof prefixed, "transformer.%s", name);
    bool use_prefixed = x->w && !odin_safetensors_find(x->w, name) &&
                        odin_safetensors_find(x->w, prefixed);
    odin_init_spec init = {kind, value};
    return odin_param(x->g, x->w, x->r, use_prefixed ? prefixed : name, rank, dims, init, false);
}

static int layer_norm(gpt2_kv_ctx *x, int h, const char *which) {
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s.weight", which);
    snprintf(bn, sizeof bn, "%s.bias", which);
    int64_t d[1] = {x->c->C};
    int w = param(x, wn, 1, d, ODIN_INIT_FILL, 1.0f);
    int b = param(x, bn, 1, d, ODIN_INIT_FILL, 0.0f);
    return odin_layernorm(x->g, h, w, b, -1, 1e-5f);
}

/* Conv1D: h [T, in] . W [in, out] + b */
static int conv1d(gpt2_kv_ctx *x, int h, const char *which, int64_t in, int64_t out) {
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s.weight", which);
    snprintf(bn, sizeof bn, "%s.bias", which);
    int64_t wd[2] = {in, out}, bd[1] = {out};
    int w = param(x, wn, 2, wd, ODIN_INIT_NORMAL, 0.02f);
    int b = param(x, bn, 1, bd, ODIN_INIT_FILL, 0.0f);
    return odin_gemm(x->g, h, w, b, false);
}

static int attention(gpt2_kv_ctx *x, odin_tfm_io *io, int h) {
    const gpt2_kv_cfg *c = x->c;
    int qkv = conv1d(x, h, "attn.c_attn", c->C, 3 * c->C), parts[3];
    odin_split(x->g, qkv, -1, 3, NULL, parts);
    int y = odin_tfm_attention(io, x->layer, parts[0], parts[1], parts[2], c->H);
    return conv1d(x, y, "attn.c_proj", c->C, c->C);
}

static int mlp(gpt2_kv_ctx *x, int h) {
    int64_t C = x->c->C;
    int a = odin_gelu(x->g, conv1d(x, h, "mlp.c_fc", C, 4 * C), true);
    return conv1d(x, a, "mlp.c_proj", 4 * C, C);
}

/* v: the gpt2 builder's values (vocab, n_ctx, n_embd, n_layer, n_head, seq, batch, seed,
 * kv, max_ctx, all_logits); seq is symbolic here. */
odin_status odin_gpt2_kv_build(const int64_t *v, const odin_safetensors *weights,
                               odin_graph **out) {
    gpt2_kv_cfg c = {.vocab = v[0], .n_ctx = v[1], .C = v[2], .n_layer = v[3], .H = v[4],
                     .max_ctx = v[9] ? v[9] : v[1], .all_logits = v[10] != 0};
    if (c.vocab < 1 || c.n_ctx < 1 || c.C < 1 || c.n_layer < 1 || c.H < 1)
        return odin_errorf("vocab, n_ctx, n_embd, n_layer and n_head must be at least 1");
    if (c.n_layer > 1000) return odin_errorf("n_layer %lld is too large", (long long)c.n_layer);
    if (c.C % c.H)
        return odin_errorf("n_head %lld does not divide n_embd %lld", (long long)c.H,
                           (long long)c.C);
    if (c.max_ctx > c.n_ctx)
        return odin_errorf("max_ctx %lld exceeds n_ctx %lld (position embedding rows)",
                           (long long)c.max_ctx, (long long)c.n_ctx);
    if (v[6] != 1) return odin_errorf("kv=1 builds batch 1 (batch is %lld)", (long long)v[6]);
    odin_rng r;
    odin_rng_seed(&r, (uint64_t)v[7]);
    odin_graph *g = odin_graph_new("gpt2");
    if (!g) return odin_errorf("out of memory");
    gpt2_kv_ctx x = {.g = g, .w = weights, .r = &r, .c = &c, .layer = -1};
    odin_tfm_io io;
    odin_tfm_io_init(&io, g, c.n_layer, c.H, c.C / c.H, c.max_ctx);

    int64_t wte_d[2] = {c.vocab, c.C}, wpe_d[2] = {c.n_ctx, c.C};
    int wte = param(&x, "wte.weight", 2, wte_d, ODIN_INIT_NORMAL, 0.02f);
    int wpe = param(&x, "wpe.weight", 2, wpe_d, ODIN_INIT_NORMAL, 0.01f);
    int pin[2] = {io.tokens, io.pos};
    int positions = odin_build(g, "ai.odin::PositionIds", pin, 2, NULL, 0, 1, NULL);
    int h = odin_add(g, odin_gather(g, wte, odin_tfm_token_ids(&io), 0),
                     odin_gather(g, wpe, positions, 0)); /* [T, C] */
    char scope[32];
    for (x.layer = 0; x.layer < c.n_layer && !g->error; x.layer++) {
        snprintf(scope, sizeof scope, "h%lld", (long long)x.layer);
        odin_builder_scope(g, scope);
        h = odin_add(g, h, attention(&x, &io, layer_norm(&x, h, "ln_1")));
        h = odin_add(g, h, mlp(&x, layer_norm(&x, h, "ln_2")));
    }
    x.layer = -1;
    odin_builder_scope(g, "lm_head");
    h = layer_norm(&x, odin_tfm_last_row(g, h, c.all_logits), "ln_f");
    int logits = odin_gemm(g, h, wte, -2, true); /* tied to wte */
    odin_status st = odin_tfm_finish(&io, logits, "gpt2", c.vocab);
    odin_tfm_io_free(&io);
    if (st) {
        odin_graph_free(g);
        return st;
    }
    *out = g;
    return ODIN_OK;
}
