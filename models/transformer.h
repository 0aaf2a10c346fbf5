/* models/transformer.h — what the KV-cache transformer builders (gpt2 kv=1, llama) share:
 * the LM graph's inputs (tokens, pos, per-layer KV caches), the CachedAttention step, and
 * the outputs and metadata of docs/language-models.md. Activations are [T, C] (batch 1). */
#ifndef ODIN_MODELS_TRANSFORMER_H
#define ODIN_MODELS_TRANSFORMER_H

#include "../ir/graph.h"

typedef struct odin_tfm_io {
    odin_graph *g;
    int64_t n_layer, n_kv_head, head_dim, max_ctx;
    int tokens; /* input int64 [1, seq] */
    int pos;    /* input int64 [1] */
    int *k_cache, *v_cache;         /* per layer: state.L.k / state.L.v inputs */
    int *k_cache_out, *v_cache_out; /* per layer: filled by odin_tfm_attention */
} odin_tfm_io;

/* Adds the inputs tokens, pos, state.L.k, state.L.v ([1, Hkv, max_ctx, D]) to g. On error
 * (out of memory) the graph's sticky error is set. odin_tfm_io_free releases the arrays. */
void odin_tfm_io_init(odin_tfm_io *io, odin_graph *g, int64_t n_layer, int64_t n_kv_head,
                      int64_t head_dim, int64_t max_ctx);
void odin_tfm_io_free(odin_tfm_io *io);

/* tokens as a [T] index vector. */
int odin_tfm_token_ids(odin_tfm_io *io);

/* CachedAttention of layer l on q [T, Hq*D], k and v [T, Hkv*D] (already rotated where
 * the model rotates): returns y [T, Hq*D] and records the layer's new caches. */
int odin_tfm_attention(odin_tfm_io *io, int64_t l, int q, int k, int v, int64_t n_head);

/* h [T, C] -> the last row [1, C] (all_logits false) or h itself: the head then runs on one
 * row during prefill. */
int odin_tfm_last_row(odin_graph *g, int h, bool all_logits);

/* logits [T', vocab] -> output "logits" [1, T', vocab], then the state outputs, then the
 * metadata odin.lm, odin.vocab, odin.max_ctx, odin.state. Takes the graph's sticky error. */
odin_status odin_tfm_finish(odin_tfm_io *io, int logits, const char *lm, int64_t vocab);

#endif
