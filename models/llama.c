/* models/llama.c — a Llama decoder as one LM graph with a KV cache (docs/language-models.md):
 * token embedding, blocks of RMSNorm -> grouped-query attention with rotary embedding
 * (HF pairing i with i + D/2) -> residual, RMSNorm -> SwiGLU MLP
 * down(silu(gate(x)) * up(x)) -> residual, a final RMSNorm and the LM head; no biases.
 * Parameters carry Hugging Face LlamaForCausalLM names and [out, in] shapes, so `--weights`
 * reads a save_pretrained checkpoint as is; linear layers run as Gemm(x, W, transB = 1) on
 * the stored layout (no transposed copy). Integer builder parameters encode the floats:
 * rope_theta in whole units, rms_eps_e9 = epsilon in units of 1e-9 (10000 = 1e-5). */
#include <stdint.h>
#include <stdio.h>

#include "../frontend/safetensors.h"
#include "../ir/builder.h"
#include "init.h"
#include "models.h"
#include "transformer.h"

static const odin_model_param llama_params[] = {
    {"vocab", 32000, "vocabulary size"},
    {"n_embd", 512, "model width C (hidden_size)"},
    {"n_layer", 8, "number of blocks"},
    {"n_head", 8, "query heads"},
    {"n_kv_head", 4, "key/value heads (divides n_head; GQA)"},
    {"head_dim", 0, "head size D (0: n_embd / n_head)"},
    {"ffn", 1408, "MLP width (intermediate_size)"},
    {"max_ctx", 1024, "KV-cache rows (maximum context)"},
    {"rope_theta", 10000, "rotary base theta"},
    {"rms_eps_e9", 10000, "RMSNorm epsilon in units of 1e-9 (10000 = 1e-5, 1000 = 1e-6)"},
    {"tie_embeddings", 0, "1: LM head = embed_tokens (also when a checkpoint lacks lm_head)"},
    {"all_logits", 0, "1: logits of every token [1,seq,vocab]; 0: last token [1,1,vocab]"},
    {"seed", 1, "weight initialization seed (no checkpoint)"},
    {NULL, 0, NULL},
};

typedef struct llama_cfg {
    int64_t vocab, C, n_layer, H, Hkv, D, F, max_ctx, theta;
    float eps;
    bool tie, all_logits;
} llama_cfg;

typedef struct llama_ctx {
    odin_graph *g;
    const odin_safetensors *w;
    odin_rng *r;
    const llama_cfg *c;
    int64_t layer;
} llama_ctx;

static int param(llama_ctx *x, const char *name, int rank, const int64_t *dims,
                 odin_init_kind kind, float value) {
    odin_init_spec init = {kind, value};
    return odin_param(x->g, x->w, x->r, name, rank, dims, init, false);
}

/* "model.layers.L.<suffix>" */
static const char *layer_name(llama_ctx *x, const char *suffix, char *buf, size_t size) {
    snprintf(buf, size, "model.layers.%lld.%s", (long long)x->layer, suffix);
    return buf;
}

/* y [T, out] = h [T, in] . W^T with W [out, in] = the layer's `suffix` weight. */
static int linear(llama_ctx *x, int h, const char *suffix, int64_t out, int64_t in) {
    char name[96];
    int64_t d[2] = {out, in};
    int w = param(x, layer_name(x, suffix, name, sizeof name), 2, d, ODIN_INIT_NORMAL, 0.02f);
    return odin_gemm(x->g, h, w, -2, true);
}

static int rms_norm(llama_ctx *x, int h, const char *name) {
    int64_t d[1] = {x->c->C};
    int w = param(x, name, 1, d, ODIN_INIT_FILL, 1.0f);
    int ins[2] = {h, w};
    odin_attr at[2] = {ODIN_ATTR_I("axis", -1), ODIN_ATTR_F("epsilon", x->c->eps)};
    return odin_build(x->g, "RMSNormalization", ins, 2, at, 2, 1, NULL);
}

/* RoPE on a [T, heads*D] projection, returned in the same layout. */
static int rope(llama_ctx *x, int t, int64_t heads, int pos) {
    odin_graph *g = x->g;
    int64_t s4[4] = {1, -1, heads, x->c->D}, s2[2] = {-1, heads * x->c->D};
    int ins[2] = {odin_reshape(g, t, 4, s4), pos};
    odin_attr at[1] = {ODIN_ATTR_F("theta", (float)x->c->theta)};
    return odin_reshape(g, odin_build(g, "ai.odin::RoPE", ins, 2, at, 1, 1, NULL), 2, s2);
}

static int attention(llama_ctx *x, odin_tfm_io *io, int h) {
    const llama_cfg *c = x->c;
    int q = linear(x, h, "self_attn.q_proj.weight", c->H * c->D, c->C);
    int k = linear(x, h, "self_attn.k_proj.weight", c->Hkv * c->D, c->C);
    int v = linear(x, h, "self_attn.v_proj.weight", c->Hkv * c->D, c->C);
    q = rope(x, q, c->H, io->pos);
    k = rope(x, k, c->Hkv, io->pos);
    int y = odin_tfm_attention(io, x->layer, q, k, v, c->H);
    return linear(x, y, "self_attn.o_proj.weight", c->C, c->H * c->D);
}

static int mlp(llama_ctx *x, int h) {
    odin_graph *g = x->g;
    const llama_cfg *c = x->c;
    int gate = linear(x, h, "mlp.gate_proj.weight", c->F, c->C);
    int up = linear(x, h, "mlp.up_proj.weight", c->F, c->C);
    int act = odin_mul(g, odin_mul(g, gate, odin_sigmoid(g, gate)), up); /* silu(gate) * up */
    return linear(x, act, "mlp.down_proj.weight", c->C, c->F);
}

static odin_status check_cfg(const llama_cfg *c) {
    if (c->vocab < 1 || c->C < 1 || c->n_layer < 1 || c->H < 1 || c->Hkv < 1 || c->F < 1 ||
        c->max_ctx < 1 || c->theta < 1)
        return odin_errorf("vocab, n_embd, n_layer, n_head, n_kv_head, ffn, max_ctx and "
                           "rope_theta must be at least 1");
    if (c->n_layer > 1000) return odin_errorf("n_layer %lld is too large", (long long)c->n_layer);
    if (c->H % c->Hkv)
        return odin_errorf("n_kv_head %lld does not divide n_head %lld", (long long)c->Hkv,
                           (long long)c->H);
    if (c->D < 2 || c->D % 2)
        return odin_errorf("head size %lld must be even and at least 2 (n_embd %lld, n_head "
                           "%lld, head_dim param)", (long long)c->D, (long long)c->C,
                           (long long)c->H);
    if (!(c->eps > 0)) return odin_errorf("rms_eps_e9 must be at least 1");
    return ODIN_OK;
}

static odin_status build_llama(const int64_t *v, const odin_safetensors *weights,
                               odin_graph **out) {
    llama_cfg c = {.vocab = v[0], .C = v[1], .n_layer = v[2], .H = v[3], .Hkv = v[4],
                   .D = v[5], .F = v[6], .max_ctx = v[7], .theta = v[8],
                   .eps = (float)((double)v[9] * 1e-9), .tie = v[10] != 0,
                   .all_logits = v[11] != 0};
    if (c.D == 0 && c.H > 0) c.D = c.C / c.H;
    if (v[5] == 0 && c.H > 0 && c.C % c.H)
        return odin_errorf("n_head %lld does not divide n_embd %lld (or set head_dim)",
                           (long long)c.H, (long long)c.C);
    ODIN_TRY(check_cfg(&c));
    odin_rng r;
    odin_rng_seed(&r, (uint64_t)v[12]);
    odin_graph *g = odin_graph_new("llama");
    if (!g) return odin_errorf("out of memory");
    llama_ctx x = {.g = g, .w = weights, .r = &r, .c = &c};
    odin_tfm_io io;
    odin_tfm_io_init(&io, g, c.n_layer, c.Hkv, c.D, c.max_ctx);

    int64_t ed[2] = {c.vocab, c.C};
    int embed = param(&x, "model.embed_tokens.weight", 2, ed, ODIN_INIT_NORMAL, 0.02f);
    int h = odin_gather(g, embed, odin_tfm_token_ids(&io), 0); /* [T, C] */
    char name[96], scope[32];
    for (x.layer = 0; x.layer < c.n_layer && !g->error; x.layer++) {
        snprintf(scope, sizeof scope, "layers.%lld", (long long)x.layer);
        odin_builder_scope(g, scope);
        int a = rms_norm(&x, h, layer_name(&x, "input_layernorm.weight", name, sizeof name));
        h = odin_add(g, h, attention(&x, &io, a));
        int m = rms_norm(&x, h,
                         layer_name(&x, "post_attention_layernorm.weight", name, sizeof name));
        h = odin_add(g, h, mlp(&x, m));
    }
    odin_builder_scope(g, "head");
    h = rms_norm(&x, odin_tfm_last_row(g, h, c.all_logits), "model.norm.weight");
    bool tied = c.tie || (weights && !odin_safetensors_find(weights, "lm_head.weight"));
    int head = tied ? embed : param(&x, "lm_head.weight", 2, ed, ODIN_INIT_NORMAL, 0.02f);
    int logits = odin_gemm(g, h, head, -2, true);
    odin_status st = odin_tfm_finish(&io, logits, "llama", c.vocab);
    odin_tfm_io_free(&io);
    if (st) {
        odin_graph_free(g);
        return st;
    }
    *out = g;
    return ODIN_OK;
}

const odin_model_builder odin_model_llama = {
    "llama", "Llama decoder with KV cache (RMSNorm, RoPE, GQA, SwiGLU; HF checkpoint names)",
    llama_params, build_llama};
