/* models/transformer.c — the LM-contract plumbing shared by the KV-cache transformer
 * builders (models/gpt2.c with kv=1, models/llama.c): inputs, CachedAttention with the
 * per-layer caches, outputs and metadata. See transformer.h. */
#include "transformer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ir/builder.h"

void odin_tfm_io_init(odin_tfm_io *io, odin_graph *g, int64_t n_layer, int64_t n_kv_head,
                      int64_t head_dim, int64_t max_ctx) {
    memset(io, 0, sizeof *io);
    io->g = g;
    io->n_layer = n_layer;
    io->n_kv_head = n_kv_head;
    io->head_dim = head_dim;
    io->max_ctx = max_ctx;
    io->tokens = io->pos = -1;
    size_t n = (size_t)n_layer;
    io->k_cache = malloc(sizeof(int) * n);
    io->v_cache = malloc(sizeof(int) * n);
    io->k_cache_out = malloc(sizeof(int) * n);
    io->v_cache_out = malloc(sizeof(int) * n);
    if (!io->k_cache || !io->v_cache || !io->k_cache_out || !io->v_cache_out) {
        if (!g->error) g->error = odin_errorf("out of memory");
        return;
    }
    for (size_t l = 0; l < n; l++) io->k_cache_out[l] = io->v_cache_out[l] = -1;

    int64_t td[2] = {1, -1}, pd[1] = {1};
    io->tokens = odin_input(g, "tokens", ODIN_I64, 2, td);
    if (io->tokens >= 0) {
        const char *seq = odin_arena_strdup(&g->arena, "seq");
        if (!seq) g->error = odin_errorf("out of memory");
        g->tensors[io->tokens].dim_params[1] = seq;
    }
    io->pos = odin_input(g, "pos", ODIN_I64, 1, pd);
    int64_t cd[4] = {1, n_kv_head, max_ctx, head_dim};
    for (size_t l = 0; l < n; l++) {
        char name[48];
        snprintf(name, sizeof name, "state.%zu.k", l);
        io->k_cache[l] = odin_input(g, name, ODIN_F32, 4, cd);
        snprintf(name, sizeof name, "state.%zu.v", l);
        io->v_cache[l] = odin_input(g, name, ODIN_F32, 4, cd);
    }
}

void odin_tfm_io_free(odin_tfm_io *io) {
    free(io->k_cache);
    free(io->v_cache);
    free(io->k_cache_out);
    free(io->v_cache_out);
    memset(io, 0, sizeof *io);
}

int odin_tfm_token_ids(odin_tfm_io *io) {
    int64_t flat[1] = {-1};
    return odin_reshape(io->g, io->tokens, 1, flat);
}

int odin_tfm_attention(odin_tfm_io *io, int64_t l, int q, int k, int v, int64_t n_head) {
    odin_graph *g = io->g;
    if (g->error) return -1;
    int64_t D = io->head_dim, qs[4] = {1, -1, n_head, D}, ks[4] = {1, -1, io->n_kv_head, D};
    int ins[6] = {odin_reshape(g, q, 4, qs), odin_reshape(g, k, 4, ks), odin_reshape(g, v, 4, ks),
                  io->k_cache[l], io->v_cache[l], io->pos};
    int outs[3];
    if (odin_build(g, "ai.odin::CachedAttention", ins, 6, NULL, 0, 3, outs) < 0) return -1;
    io->k_cache_out[l] = outs[1];
    io->v_cache_out[l] = outs[2];
    int64_t ys[2] = {-1, n_head * D};
    return odin_reshape(g, outs[0], 2, ys);
}

int odin_tfm_last_row(odin_graph *g, int h, bool all_logits) {
    if (all_logits) return h;
    int64_t s0[1] = {-1}, e0[1] = {INT64_MAX}, ax[1] = {0};
    return odin_slice(g, h, 1, s0, e0, ax, NULL);
}

odin_status odin_tfm_finish(odin_tfm_io *io, int logits, const char *lm, int64_t vocab) {
    odin_graph *g = io->g;
    odin_builder_scope(g, NULL);
    int64_t ls[3] = {1, -1, vocab};
    odin_output(g, odin_reshape(g, logits, 3, ls), "logits");
    size_t pairs_size = (size_t)io->n_layer * 2 * 64 + 1;
    char *pairs = g->error ? NULL : calloc(1, pairs_size);
    if (!pairs && !g->error) g->error = odin_errorf("out of memory");
    size_t used = 0;
    for (int64_t l = 0; l < io->n_layer && !g->error; l++) {
        for (int kv = 0; kv < 2; kv++) {
            char in[48], out[48];
            snprintf(in, sizeof in, "state.%lld.%c", (long long)l, kv ? 'v' : 'k');
            snprintf(out, sizeof out, "state_out.%lld.%c", (long long)l, kv ? 'v' : 'k');
            odin_output(g, kv ? io->v_cache_out[l] : io->k_cache_out[l], out);
            used += (size_t)snprintf(pairs + used, pairs_size - used, "%s%s=%s", used ? ";" : "",
                                     in, out);
        }
    }
    char num[32];
    odin_status st = odin_graph_take_error(g);
    if (!st) st = odin_graph_set_meta(g, "odin.lm", lm);
    snprintf(num, sizeof num, "%lld", (long long)vocab);
    if (!st) st = odin_graph_set_meta(g, "odin.vocab", num);
    snprintf(num, sizeof num, "%lld", (long long)io->max_ctx);
    if (!st) st = odin_graph_set_meta(g, "odin.max_ctx", num);
    if (!st) st = odin_graph_set_meta(g, "odin.state", pairs);
    free(pairs);
    return st;
}
