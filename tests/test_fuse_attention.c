/* tests/test_fuse_attention.c — passes/fuse_attention.c and the ai.odin Attention kernel:
 * the pass fires on the GPT-2 builder graph, on a replica of torch's
 * nn.MultiheadAttention export (and on the real torch fixture when $BUILD/fixtures has it),
 * and on hand-built attention graphs in every recognized spelling; the rewritten graph,
 * compiled, matches the reference interpreter on the ORIGINAL graph (and the Attention
 * eval matches it too). Spellings the pass must leave alone are checked not rewritten. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../frontend/load.h"
#include "../models/models.h"
#include "../passes/pass.h"
#include "codegen_check.h"

static int count_op(const odin_graph *g, const char *op) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += !strcmp(g->nodes[i].op, op);
    return n;
}

static int attention_node(const odin_graph *g) {
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].op, "Attention")) return i;
    return -1;
}

static double max_rel_err(const odin_value *a, const odin_value *b) {
    int64_t n = odin_value_numel(b);
    double worst = 0;
    for (int64_t k = 0; k < n; k++) {
        double x = ((const float *)a->data)[k], y = ((const float *)b->data)[k];
        double e = isnan(x) && isnan(y) ? 0 : fabs(x - y) / (1 + fabs(y));
        if (!(e <= worst)) worst = e;
    }
    return worst;
}

/* Interpret `orig`, run -O2 over `fused` (the same graph built again), expect `want`
 * Attention nodes (and `causal` on the first when want > 0), then check the rewritten
 * graph's eval and its compiled form against the original's outputs (rtol 1e-4). */
static void check_fusion(odin_graph *orig, odin_graph *fused, int want, int causal, const char *what) {
    check_opts o = check_defaults();
    odin_value in[8], ref[4], ev[4];
    odin_status st = odin_graph_take_error(orig);
    if (!st) st = odin_graph_take_error(fused);
    CHECK(!st, "%s: build: %s", what, odin_status_message(st));
    if (st) {
        odin_status_free(st);
        goto out;
    }
    check_fill(orig, in, &o);
    st = odin_interpret(orig, in, orig->n_inputs, ref);
    CHECK(!st, "%s: interpret: %s", what, odin_status_message(st));
    if (st) {
        odin_status_free(st);
        odin_values_free(in, orig->n_inputs);
        goto out;
    }
    st = odin_run_passes(fused, NULL);
    CHECK(!st, "%s: passes: %s", what, odin_status_message(st));
    odin_status_free(st);
    int got = count_op(fused, "Attention");
    CHECK(got == want, "%s: %d Attention nodes, expected %d", what, got, want);
    if (want > 0 && got > 0 && causal >= 0) {
        int a = attention_node(fused);
        CHECK(odin_attr_i(&fused->nodes[a], "causal") == causal, "%s: causal %lld, expected %d", what,
              (long long)odin_attr_i(&fused->nodes[a], "causal"), causal);
    }
    if (want > 0 && got == want) {
        CHECK(count_op(fused, "Softmax") == 0, "%s: a Softmax is left", what);
        st = odin_interpret(fused, in, fused->n_inputs, ev);
        CHECK(!st, "%s: interpret fused: %s", what, odin_status_message(st));
        if (!st) {
            double e = max_rel_err(&ev[0], &ref[0]);
            CHECK(e <= 1e-4, "%s: Attention eval err %g", what, e);
            odin_values_free(ev, fused->n_outputs);
        }
        odin_status_free(st);
    }
    odin_program *p = NULL;
    odin_compile_options co = odin_compile_defaults();
    st = want ? odin_program_compile(fused, &co, &p) : ODIN_OK; /* nothing new to compile */
    CHECK(!st, "%s: compile: %s", what, odin_status_message(st));
    if (!st && p) {
        void *ins[8], *outs[4];
        for (int i = 0; i < fused->n_inputs; i++) ins[i] = in[i].data;
        for (int i = 0; i < fused->n_outputs; i++) outs[i] = calloc(1, odin_value_nbytes(&ref[i]) + 1);
        odin_value got_v = ref[0];
        got_v.data = outs[0];
        st = odin_program_run(p, ins, outs);
        CHECK(!st, "%s: run: %s", what, odin_status_message(st));
        if (!st) {
            double e = max_rel_err(&got_v, &ref[0]);
            CHECK(e <= 1e-4, "%s: compiled err %g", what, e);
            CHECK(odin_program_fallback_count(p) == 0, "%s: %d fallbacks", what,
                  odin_program_fallback_count(p));
        }
        for (int i = 0; i < fused->n_outputs; i++) free(outs[i]);
    }
    odin_status_free(st);
    odin_program_free(p);
    odin_values_free(ref, orig->n_outputs);
    odin_values_free(in, orig->n_inputs);
out:
    odin_graph_free(orig);
    odin_graph_free(fused);
}

/* ---- hand-built attention over q, k, v inputs [B,H,T,D] ---- */

enum scale_at { SCALE_MUL_SCORES, SCALE_DIV_SCORES, SCALE_MUL_Q, SCALE_NONE };
enum mask_kind { MASK_NONE, MASK_CAUSAL, MASK_CAUSAL_INF, MASK_INPUT, MASK_WHERE_CONST,
                 MASK_WHERE_INPUT, MASK_CONST_RANDOM };

typedef struct sdpa_case {
    int64_t B, H, Tq, Tk, D;
    enum scale_at scale;
    enum mask_kind mask;
    int softmax_axis;     /* -1 normally */
    bool scale_is_input;  /* negative: scale from a graph input */
    bool wrong_mask;      /* negative: a mask that broadcasts the scores to a bigger shape */
} sdpa_case;

static odin_graph *sdpa_graph(const sdpa_case *c) {
    odin_graph *g = odin_graph_new("sdpa");
    int64_t qd[4] = {c->B, c->H, c->Tq, c->D}, kd[4] = {c->B, c->H, c->Tk, c->D};
    int q = odin_input(g, "q", ODIN_F32, 4, qd);
    int k = odin_input(g, "k", ODIN_F32, 4, kd);
    int v = odin_input(g, "v", ODIN_F32, 4, kd);
    float sv = 1.0f / sqrtf((float)c->D);
    int s_t = c->scale_is_input ? odin_input(g, "s", ODIN_F32, 0, NULL)
                                : odin_scalar_f32(g, "scale", c->scale == SCALE_DIV_SCORES ? 1 / sv : sv);
    int64_t perm[4] = {0, 1, 3, 2};
    if (c->scale == SCALE_MUL_Q) q = odin_mul(g, q, s_t);
    int s = odin_matmul(g, q, odin_transpose(g, k, 4, perm));
    if (c->scale == SCALE_MUL_SCORES) s = odin_mul(g, s_t, s);
    if (c->scale == SCALE_DIV_SCORES) s = odin_div(g, s, s_t);
    int64_t md[4] = {c->wrong_mask ? c->B + 1 : c->B, 1, c->Tq, c->Tk}, n = c->Tq * c->Tk;
    float *m = calloc((size_t)n * 2 + 1, sizeof(float));
    uint8_t *keep = calloc((size_t)n + 1, 1);
    uint64_t r = 12345;
    for (int64_t i = 0; i < c->Tq; i++)
        for (int64_t j = 0; j < c->Tk; j++) {
            bool vis = j <= i + c->Tk - c->Tq;
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            int64_t at = i * c->Tk + j;
            keep[at] = c->mask == MASK_WHERE_CONST ? vis : (r >> 33) % 4 != 0 || j == 0;
            m[at] = c->mask == MASK_CONST_RANDOM ? (float)((r >> 40) % 7) - 3.0f
                  : vis ? 0.0f : c->mask == MASK_CAUSAL_INF ? -INFINITY : -1e9f;
        }
    int64_t cd[2] = {c->Tq, c->Tk};
    switch (c->mask) {
    case MASK_NONE: break;
    case MASK_CAUSAL:
    case MASK_CAUSAL_INF:
    case MASK_CONST_RANDOM: s = odin_add(g, s, odin_constant_f32(g, "mask", 2, cd, m)); break;
    case MASK_INPUT: s = odin_add(g, odin_input(g, "mask", ODIN_F32, 4, md), s); break;
    case MASK_WHERE_CONST:
        s = odin_where(g, odin_constant(g, "keep", ODIN_BOOL, 2, cd, keep), s,
                       odin_scalar_f32(g, "fill", -INFINITY));
        break;
    case MASK_WHERE_INPUT: { /* masked_fill spelling: Where(masked, fill, s) */
        int64_t bd[4] = {c->B, 1, c->Tq, c->Tk};
        s = odin_where(g, odin_input(g, "masked", ODIN_BOOL, 4, bd), odin_scalar_f32(g, "fill", -INFINITY), s);
        break;
    }
    }
    if (c->wrong_mask && c->mask != MASK_INPUT) s = odin_add(g, s, odin_input(g, "mask", ODIN_F32, 4, md));
    free(m);
    free(keep);
    odin_output(g, odin_matmul(g, odin_softmax(g, s, c->softmax_axis), v), "y");
    return g;
}

static void sdpa_check(const sdpa_case *c, int want, int causal) {
    char what[160];
    snprintf(what, sizeof what, "sdpa B%lld H%lld Tq%lld Tk%lld D%lld scale%d mask%d axis%d%s%s",
             (long long)c->B, (long long)c->H, (long long)c->Tq, (long long)c->Tk, (long long)c->D,
             c->scale, c->mask, c->softmax_axis, c->scale_is_input ? " scale-input" : "",
             c->wrong_mask ? " wrong-mask" : "");
    check_fusion(sdpa_graph(c), sdpa_graph(c), want, causal, what);
}

static void test_spellings(void) {
    const int64_t Ts[] = {1, 7, 33, 130}, Ds[] = {16, 64};
    /* every spelling at two of the eight (T, D) pairs; the pairs rotate so all are used */
    for (int mk = MASK_NONE; mk <= MASK_CONST_RANDOM; mk++)
        for (int rep = 0; rep < 2; rep++) {
            int pair = (mk * 2 + rep * 3) % 8, ti = pair / 2, di = pair % 2;
            sdpa_case c = {1 + (mk % 2), 2 + di, Ts[ti], Ts[ti], Ds[di],
                           (enum scale_at)((ti + mk) % 4), (enum mask_kind)mk, -1, false, false};
            int causal = mk == MASK_CAUSAL || mk == MASK_CAUSAL_INF || mk == MASK_WHERE_CONST;
            /* at T = 1 the causal mask is all zeros and simplify drops it first */
            sdpa_check(&c, 1, Ts[ti] == 1 ? -1 : causal);
        }
    /* fewer queries than keys (the causal diagonal shifts right), odd sizes */
    sdpa_case c1 = {1, 3, 5, 70, 24, SCALE_MUL_SCORES, MASK_CAUSAL, -1, false, false};
    sdpa_check(&c1, 1, 1);
    sdpa_case c2 = {2, 1, 67, 129, 40, SCALE_DIV_SCORES, MASK_INPUT, -1, false, false};
    sdpa_check(&c2, 1, 0);
    sdpa_case c3 = {1, 2, 9, 3, 8, SCALE_MUL_Q, MASK_NONE, -1, false, false};
    sdpa_check(&c3, 1, 0);
}

static void test_not_rewritten(void) {
    sdpa_case axis = {1, 2, 8, 8, 16, SCALE_MUL_SCORES, MASK_CAUSAL, -2, false, false};
    sdpa_check(&axis, 0, -1);
    sdpa_case axis0 = {1, 2, 8, 8, 16, SCALE_MUL_SCORES, MASK_NONE, 2, false, false};
    sdpa_check(&axis0, 0, -1);
    sdpa_case scale_in = {1, 2, 8, 8, 16, SCALE_MUL_SCORES, MASK_CAUSAL, -1, true, false};
    sdpa_check(&scale_in, 0, -1);
    sdpa_case scale_in_q = {1, 2, 8, 8, 16, SCALE_MUL_Q, MASK_NONE, -1, true, false};
    /* the Mul on q stays; the attention itself (scale 1) is still recognized */
    sdpa_check(&scale_in_q, 1, 0);
    sdpa_case wrong = {1, 2, 8, 8, 16, SCALE_DIV_SCORES, MASK_INPUT, -1, false, true};
    sdpa_check(&wrong, 0, -1);
    /* the probabilities are also a graph output: nothing may be fused away */
    sdpa_case c = {1, 2, 8, 8, 16, SCALE_MUL_SCORES, MASK_NONE, -1, false, false};
    odin_graph *gs[2];
    for (int i = 0; i < 2; i++) {
        gs[i] = sdpa_graph(&c);
        int sm = -1;
        for (int n = 0; n < gs[i]->n_nodes; n++)
            if (!strcmp(gs[i]->nodes[n].op, "Softmax")) sm = n;
        odin_output(gs[i], gs[i]->nodes[sm].outputs[0], "probs");
    }
    check_fusion(gs[0], gs[1], 0, -1, "probabilities also an output");
}

/* ---- the Attention op itself, with k as [...,Tk,D] (k_transposed=0) and rank 3 ---- */

static void test_op_direct(void) {
    const int64_t cases[][5] = {{3, 1, 1, 16, 0}, {2, 7, 7, 64, 1}, {1, 33, 33, 16, 1},
                                {2, 130, 130, 64, 0}, {1, 5, 40, 24, 1}};
    for (int i = 0; i < 5; i++)
        for (int mask = i % 2; mask < 2; mask++) {
            const int64_t *c = cases[i];
            odin_graph *g = odin_graph_new("attn");
            int64_t qd[3] = {c[0], c[1], c[3]}, kd[3] = {c[0], c[2], c[3]}, md[2] = {c[1], c[2]};
            int ins[4] = {odin_input(g, "q", ODIN_F32, 3, qd), odin_input(g, "k", ODIN_F32, 3, kd),
                          odin_input(g, "v", ODIN_F32, 3, kd), -1};
            if (mask) ins[3] = odin_input(g, "mask", ODIN_F32, 2, md);
            odin_attr a[2] = {ODIN_ATTR_I("causal", c[4]), ODIN_ATTR_F("scale", 0.3f)};
            odin_output(g, odin_build(g, "ai.odin::Attention", ins, 3 + mask, a, 2, 1, NULL), "y");
            check_opts o = check_defaults();
            o.tol = 1e-4;
            CHECK_GRAPH(g, o, "Attention N%lld Tq%lld Tk%lld D%lld causal%lld mask%d", (long long)c[0],
                        (long long)c[1], (long long)c[2], (long long)c[3], (long long)c[4], mask);
        }
}

/* ---- whole models ---- */

static void test_gpt2(void) {
    const char *seqs[] = {"seq=7", "seq=130"};
    for (int i = 0; i < 2; i++) {
        const char *set[] = {seqs[i], "n_embd=64", "n_head=4", "n_layer=2", "vocab=128", "n_ctx=160"};
        odin_graph *a = NULL, *b = NULL;
        odin_status st = odin_model_build("gpt2", set, 6, &a);
        if (!st) st = odin_model_build("gpt2", set, 6, &b);
        CHECK(!st, "gpt2 %s: %s", seqs[i], odin_status_message(st));
        if (st) {
            odin_status_free(st);
            odin_graph_free(a);
            continue;
        }
        char what[64];
        snprintf(what, sizeof what, "gpt2 %s", seqs[i]);
        check_fusion(a, b, 2, 1, what);
    }
}

/* torch's nn.MultiheadAttention (batch_first, opset 17) as exported: [T,N,D] views of the
 * projections, q divided by sqrt(D), Kt by Transpose [1,2,0], a constant -inf causal mask
 * [1,T,T] added, Softmax, MatMul. */
static odin_graph *torch_mha_graph(int64_t T, int64_t N, int64_t D) {
    odin_graph *g = odin_graph_new("mha");
    int64_t d[3] = {T, N, D}, p102[3] = {1, 0, 2}, p120[3] = {1, 2, 0}, md[3] = {1, T, T};
    int q = odin_transpose(g, odin_input(g, "q", ODIN_F32, 3, d), 3, p102);
    int kt = odin_transpose(g, odin_input(g, "k", ODIN_F32, 3, d), 3, p120);
    int v = odin_transpose(g, odin_input(g, "v", ODIN_F32, 3, d), 3, p102);
    float *m = malloc(sizeof(float) * (size_t)(T * T));
    for (int64_t i = 0; i < T; i++)
        for (int64_t j = 0; j < T; j++) m[i * T + j] = j > i ? -INFINITY : 0.0f;
    int mask = odin_constant_f32(g, "mask", 3, md, m);
    free(m);
    int s = odin_matmul(g, odin_div(g, q, odin_scalar_f32(g, "sqrt_d", sqrtf((float)D))), kt);
    int y = odin_matmul(g, odin_softmax(g, odin_add(g, s, mask), -1), v);
    odin_output(g, odin_transpose(g, y, 3, p102), "y");
    return g;
}

static void test_torch_spelling(void) {
    const int64_t Ts[] = {1, 16, 33};
    for (int i = 0; i < 3; i++) {
        char what[64];
        snprintf(what, sizeof what, "torch MHA replica T%lld", (long long)Ts[i]);
        check_fusion(torch_mha_graph(Ts[i], 8, 16), torch_mha_graph(Ts[i], 8, 16), 1, Ts[i] > 1 ? 1 : -1, what);
    }
    /* the real export, when tools/make_fixtures.sh has made it (t_model_fixtures.sh) */
    const char *build = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/transformer/model.onnx", build ? build : "build");
    struct stat sb;
    if (stat(path, &sb) != 0) {
        printf("note: %s not found, torch fixture part skipped\n", path);
        return;
    }
    odin_graph *a = NULL, *b = NULL;
    odin_status st = odin_load_model(path, &a);
    if (!st) st = odin_load_model(path, &b);
    CHECK(!st, "%s: %s", path, odin_status_message(st));
    odin_status_free(st);
    if (!st) check_fusion(a, b, 2, 1, "torch TransformerEncoder fixture");
    else {
        odin_graph_free(a);
        odin_graph_free(b);
    }
}

int main(void) {
    RUN(test_op_direct);
    RUN(test_spellings);
    RUN(test_not_rewritten);
    RUN(test_gpt2);
    RUN(test_torch_spelling);
    TEST_DONE();
}
