/* tests/test_rwkv6.c — the rwkv6 builder against the LM graph contract
 * (docs/language-models.md) and the official checkpoint layout (../shared/MODELS.md):
 * inputs, outputs, the symbolic `seq` dim, metadata, state pairs that pass the in-place
 * rule, parameter names and shapes, parameter errors, and a random-init model whose logits
 * are finite and depend on the token. Numerics against an independent PyTorch model are
 * in tests/t_rwkv6.sh. */
#include <stdlib.h>

#include "../codegen/engine.h"
#include "../ir/state.h"
#include "../models/models.h"
#include "test.h"

static const char *const tiny[] = {"n_layer=2", "n_embd=64", "head_size=16", "vocab=300",
                                   "d_mix=8", "d_decay=16"};

static odin_graph *build(const char *extra) {
    const char *s[8];
    int n = 0;
    for (; n < 6; n++) s[n] = tiny[n];
    if (extra) s[n++] = extra;
    odin_graph *g = NULL;
    odin_status st = odin_model_build("rwkv6", s, n, &g);
    if (st) {
        fprintf(stderr, "  build: %s\n", odin_status_message(st));
        odin_status_free(st);
    }
    return g;
}

static bool dims_are(const odin_graph *g, const char *name, int rank, const int64_t *dims) {
    int t = odin_graph_find_tensor(g, name);
    if (t < 0 || g->tensors[t].rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (g->tensors[t].dims[i] != dims[i]) return false;
    return true;
}

static void test_contract(void) {
    odin_graph *g = build(NULL);
    CHECK(g != NULL, "tiny rwkv6 builds");
    if (!g) return;
    CHECK(g->n_inputs == 1 + 2 * 3 && g->n_outputs == 1 + 2 * 3, "%d inputs, %d outputs",
          g->n_inputs, g->n_outputs);
    const odin_tensor *tok = &g->tensors[g->inputs[0]];
    CHECK(!strcmp(tok->name, "tokens") && tok->dtype == ODIN_I64 && tok->rank == 2 &&
              tok->dims[0] == 1 && tok->dims[1] == -1 && tok->dim_params[1] &&
              !strcmp(tok->dim_params[1], "seq"),
          "tokens int64 [1, seq]");
    CHECK(odin_graph_find_tensor(g, "pos") < 0, "no pos input for RWKV");
    CHECK(!strcmp(g->tensors[g->outputs[0]].name, "logits"), "logits is output 0");
    int64_t logits[3] = {1, 1, 300}, shift[2] = {1, 64}, wkv[4] = {1, 4, 16, 16};
    CHECK(dims_are(g, "logits", 3, logits), "last-token logits [1,1,vocab], static");
    CHECK(!strcmp(g->tensors[g->inputs[1]].name, "state.0.att_shift") &&
              !strcmp(g->tensors[g->inputs[2]].name, "state.0.wkv") &&
              !strcmp(g->tensors[g->inputs[3]].name, "state.0.ffn_shift"),
          "state inputs in layer order");
    CHECK(dims_are(g, "state.1.att_shift", 2, shift) && dims_are(g, "state.1.wkv", 4, wkv) &&
              dims_are(g, "state_out.1.wkv", 4, wkv) && dims_are(g, "state_out.1.ffn_shift", 2, shift),
          "state shapes [1,C] and [1,H,N,N]");
    const char *lm = odin_graph_get_meta(g, "odin.lm"), *vocab = odin_graph_get_meta(g, "odin.vocab");
    CHECK(lm && !strcmp(lm, "rwkv6") && vocab && !strcmp(vocab, "300"), "odin.lm, odin.vocab");
    odin_state_pair *pairs = NULL;
    int n = 0;
    CHECK_OK(odin_graph_state_pairs(g, true, &pairs, &n));
    CHECK(n == 6, "%d state pairs", n);
    for (int i = 0; i < n; i++)
        CHECK(pairs[i].in_place && pairs[i].input == i + 1 && pairs[i].output == i + 1,
              "pair %d: in place, input i+1 -> output i+1", i);
    free(pairs);

    /* official names and checkpoint shapes */
    int64_t emb[2] = {300, 64}, u[2] = {4, 16}, w2[3] = {5, 8, 64}, w1[2] = {64, 40},
            vec[3] = {1, 1, 64}, ffn_k[2] = {224, 64}, dw2[2] = {16, 64};
    CHECK(dims_are(g, "emb.weight", 2, emb) && dims_are(g, "head.weight", 2, emb), "emb, head");
    CHECK(dims_are(g, "blocks.1.att.time_faaaa", 2, u), "time_faaaa [H,N]");
    CHECK(dims_are(g, "blocks.0.att.time_maa_w2", 3, w2) &&
              dims_are(g, "blocks.0.att.time_maa_w1", 2, w1),
          "maa LoRA [C,5*D_MIX], [5,D_MIX,C]");
    CHECK(dims_are(g, "blocks.1.att.time_decay", 3, vec) &&
              dims_are(g, "blocks.1.ffn.time_maa_r", 3, vec) &&
              dims_are(g, "blocks.0.att.time_maa_g", 3, vec),
          "vectors [1,1,C]");
    CHECK(dims_are(g, "blocks.1.att.time_decay_w2", 2, dw2), "time_decay_w2 [D_DECAY,C]");
    CHECK(dims_are(g, "blocks.0.ffn.key.weight", 2, ffn_k), "ffn.key [dim_ffn,C], dim_ffn 224");
    CHECK(odin_graph_find_tensor(g, "blocks.0.ln0.weight") >= 0 &&
              odin_graph_find_tensor(g, "blocks.1.ln0.weight") < 0,
          "ln0 in block 0 only");
    odin_graph_free(g);

    g = build("all_logits=1");
    CHECK(g != NULL, "all_logits=1 builds");
    if (g) {
        const odin_tensor *l = &g->tensors[g->outputs[0]];
        CHECK(l->rank == 3 && l->dims[0] == 1 && l->dims[1] == -1 && l->dims[2] == 300,
              "all_logits: [1, seq, vocab]");
        odin_graph_free(g);
    }
}

static void test_errors(void) {
    odin_graph *g = NULL;
    const char *bad_head[] = {"n_embd=60", "head_size=16"};
    CHECK_ERR(odin_model_build("rwkv6", bad_head, 2, &g), "head_size 16 does not divide n_embd 60");
    const char *unknown[] = {"n_head=4"};
    CHECK_ERR(odin_model_build("rwkv6", unknown, 1, &g), "unknown parameter 'n_head'");
    const char *zero[] = {"n_layer=0"};
    CHECK_ERR(odin_model_build("rwkv6", zero, 1, &g), "at least 1");
    CHECK(g == NULL, "no graph on error");
}

/* Random init: run T = 3 tokens from a zero state on the reference interpreter. */
static void test_random_init_is_sane(void) {
    odin_graph *g = build("all_logits=1");
    if (!g) {
        CHECK(false, "build");
        return;
    }
    odin_value in[7];
    memset(in, 0, sizeof in);
    int64_t toks[3] = {5, 17, 5};
    in[0] = (odin_value){ODIN_I64, 2, {1, 3}, toks};
    for (int i = 1; i < 7; i++) {
        const odin_tensor *t = &g->tensors[g->inputs[i]];
        in[i].dtype = ODIN_F32;
        in[i].rank = t->rank;
        memcpy(in[i].dims, t->dims, sizeof t->dims);
        in[i].data = calloc((size_t)odin_value_numel(&in[i]), sizeof(float));
    }
    odin_value out[7];
    memset(out, 0, sizeof out);
    CHECK_OK(odin_execute(g, ODIN_ENGINE_REF, in, out));
    if (out[0].data) {
        const float *l = out[0].data;
        double sum = 0, sq = 0, diff02 = 0;
        bool finite = true;
        for (int i = 0; i < 3 * 300; i++) {
            finite &= isfinite(l[i]);
            sum += l[i];
            sq += (double)l[i] * l[i];
        }
        for (int j = 0; j < 300; j++) diff02 += fabs(l[j] - l[600 + j]);
        double sd = sqrt(sq / 900 - (sum / 900) * (sum / 900));
        CHECK(finite && sd > 0.05 && sd < 100, "finite logits, std %g", sd);
        /* token 5 twice: the state (shift, wkv) makes its second logits differ */
        CHECK(diff02 / 300 > 1e-3, "state changes the logits: mean |diff| %g", diff02 / 300);
    }
    for (int i = 1; i < 7; i++) free(in[i].data);
    for (int i = 0; i < 7; i++) free(out[i].data);
    odin_graph_free(g);
}

int main(void) {
    RUN(test_contract);
    RUN(test_errors);
    RUN(test_random_init_is_sane);
    TEST_DONE();
}
