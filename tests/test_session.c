/* tests/test_session.c — LM sessions (runtime/session.h) on the reference and JIT runners,
 * the odin.state contract (ir/state.h) and token sampling (runtime/sample.h). The oracle
 * for sessions is one reference-interpreter call over the whole sequence from zero state;
 * for sampling, sets of allowed tokens computed here by sorting. */
#include <stdlib.h>
#include <string.h>

#include "../codegen/session_jit.h"
#include "../ir/builder.h"
#include "../models/models.h"
#include "../ops/interpret.h"
#include "../runtime/rng.h"
#include "../runtime/sample.h"
#include "test.h"

#define V 11
#define C 4
#define H 5

static float rnd(odin_rng *r) { return odin_rng_uniform(r) * 2 - 1; }

static int const_f32(odin_graph *g, const char *name, int rank, const int64_t *dims, float scale,
                     odin_rng *r) {
    int64_t n = 1;
    for (int d = 0; d < rank; d++) n *= dims[d];
    float *data = malloc(sizeof *data * (size_t)n);
    for (int64_t i = 0; i < n; i++) data[i] = scale * rnd(r);
    int t = odin_constant_f32(g, name, rank, dims, data);
    free(data);
    return t;
}

/* A toy recurrent LM from ONNX ops with two state pairs and a pos input:
 *   x = emb[tokens]; xx = concat(state.x, x); shifted = xx[:, :T]; state_out.x = xx[:, T:]
 *   u = x + 0.5 shifted + (pos + t) * p;  state_out.h = RNN(u, state.h) (tanh)
 *   logits = h_last @ Wout   (or every h_t @ Wout with all_logits)
 * No state op is in place (RNN, Slice), so sessions double-buffer. */
static odin_graph *toy_lm(bool all_logits) {
    odin_graph *g = odin_graph_new("toy");
    odin_rng r;
    odin_rng_seed(&r, 7);
    int64_t td[2] = {1, -1}, pd[1] = {1}, xd[3] = {1, 1, C}, hd[3] = {1, 1, H};
    int tokens = odin_input(g, "tokens", ODIN_I64, 2, td);
    g->tensors[tokens].dim_params[1] = "seq";
    int pos = odin_input(g, "pos", ODIN_I64, 1, pd);
    int sx = odin_input(g, "state.x", ODIN_F32, 3, xd);
    int sh = odin_input(g, "state.h", ODIN_F32, 3, hd);
    int64_t ed[2] = {V, C}, wd[3] = {1, H, C}, rd[3] = {1, H, H}, bd[2] = {1, 2 * H},
            od[2] = {H, V}, cd[1] = {C};
    int emb = const_f32(g, "emb", 2, ed, 1.0f, &r);
    int x = odin_gather(g, emb, tokens, 0);
    int xx = odin_concat(g, (int[]){sx, x}, 2, 1);
    int64_t s0 = 0, e0 = -1, s1 = -1, e1 = INT64_MAX, ax = 1;
    int shifted = odin_slice(g, xx, 1, &s0, &e0, &ax, NULL);
    int last = odin_slice(g, xx, 1, &s1, &e1, &ax, NULL);
    /* positions pos + t as floats [1, T, 1] */
    int64_t zero = 0, one = 1, minus1 = -1, axis1 = 1, ax2[1] = {2};
    int ones = odin_add(g, odin_mul(g, tokens, odin_constant_i64(g, "zero", 0, NULL, &zero)),
                        odin_constant_i64(g, "one", 0, NULL, &one));
    int csum = odin_build(g, "CumSum", (int[]){ones, odin_constant_i64(g, "axis1", 0, NULL, &axis1)},
                          2, NULL, 0, 1, NULL);
    int posv = odin_add(g, csum, odin_add(g, pos, odin_constant_i64(g, "m1", 0, NULL, &minus1)));
    int posf = odin_cast(g, posv, ODIN_F32);
    int posu = odin_build(g, "Unsqueeze", (int[]){posf, odin_constant_i64(g, "ax2", 1, pd, ax2)}, 2,
                          NULL, 0, 1, NULL);
    int pscale = const_f32(g, "pscale", 1, cd, 0.1f, &r);
    int u = odin_add(g, odin_add(g, x, odin_mul(g, shifted, odin_scalar_f32(g, "half", 0.5f))),
                     odin_mul(g, posu, pscale));
    int W = const_f32(g, "W", 3, wd, 0.8f, &r), R = const_f32(g, "R", 3, rd, 0.6f, &r),
        B = const_f32(g, "B", 2, bd, 0.3f, &r);
    odin_attr attrs[2] = {ODIN_ATTR_I("hidden_size", H), ODIN_ATTR_I("layout", 1)};
    int rnn_out[2];
    odin_build(g, "RNN", (int[]){u, W, R, B, -2, sh}, 6, attrs, 2, 2, rnn_out);
    int Wout = const_f32(g, "Wout", 2, od, 1.5f, &r);
    int logits;
    if (all_logits) {
        int64_t shape[3] = {1, -1, H};
        logits = odin_matmul(g, odin_reshape(g, rnn_out[0], 3, shape), Wout);
    } else {
        logits = odin_matmul(g, rnn_out[1], Wout);
    }
    odin_output(g, logits, "logits");
    odin_output(g, last, "state_out.x");
    odin_output(g, rnn_out[1], "state_out.h");
    odin_graph_set_meta(g, "odin.state", "state.x=state_out.x;state.h=state_out.h");
    odin_graph_set_meta(g, "odin.lm", "toy");
    odin_status st = odin_graph_take_error(g);
    if (st) {
        fprintf(stderr, "toy_lm: %s\n", odin_status_message(st));
        odin_status_free(st);
        odin_graph_free(g);
        return NULL;
    }
    return g;
}

/* One reference run over tokens[0..n) from zero state at position 0: outs[] malloc'ed. */
static odin_status full_reference(const odin_graph *g, const int64_t *tokens, int n,
                                  odin_value *outs) {
    odin_value in[64];
    void *zeros[64] = {0};
    int64_t pos0 = 0;
    if (g->n_inputs > 64) return odin_errorf("too many inputs");
    for (int i = 0; i < g->n_inputs; i++) {
        const odin_tensor *t = &g->tensors[g->inputs[i]];
        in[i] = odin_tensor_value(g, g->inputs[i]);
        if (!strcmp(t->name, "tokens")) {
            in[i].dims[1] = n;
            in[i].data = (void *)tokens;
        } else if (!strcmp(t->name, "pos")) {
            in[i].data = &pos0;
        } else {
            in[i].data = zeros[i] = calloc(1, odin_value_nbytes(&in[i]));
        }
    }
    odin_status st = odin_interpret(g, in, g->n_inputs, outs);
    for (int i = 0; i < g->n_inputs; i++) free(zeros[i]);
    return st;
}

static double max_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > m || d != d) m = d != d ? INFINITY : d;
    }
    return m;
}

/* Largest |x| of n floats (scales tolerances). */
static double max_abs(const float *a, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs((double)a[i]));
    return m;
}

/* prefill(n-1 in chunks) + step(last) against one full reference call: last logits and
 * every state output, within tol relative to the reference's largest magnitude. */
static void check_session(odin_graph *g, odin_engine engine, int chunk, odin_prefill_policy policy,
                          const int64_t *tokens, int n, double tol) {
    odin_value ref[64];
    odin_lm_layout l;
    odin_status st = odin_lm_layout_of(g, false, &l);
    if (!st) st = odin_lm_layout_resolve(g, &l);
    if (!st) st = g->n_outputs <= 64 ? full_reference(g, tokens, n, ref) : odin_errorf("outputs");
    CHECK_OK(st);
    if (st) return;
    odin_engine_options eo = odin_engine_defaults(engine);
    odin_session_options so = {.chunk = chunk, .policy = policy};
    odin_session *s = NULL;
    CHECK_OK(odin_lm_session_open(g, &eo, &so, false, &s));
    const float *want = ref[l.logits].data;
    if (l.all_logits) want += (size_t)(n - 1) * (size_t)l.vocab;
    double scale = fmax(1.0, max_abs(want, (size_t)l.vocab));
    for (int round = 0; s && round < 2; round++) { /* the second round checks reset */
        const float *logits = NULL;
        CHECK_OK(odin_session_prefill(s, tokens, (size_t)n - 1, NULL));
        CHECK_OK(odin_session_step(s, tokens[n - 1], &logits));
        CHECK(odin_session_pos(s) == n, "pos %lld", (long long)odin_session_pos(s));
        double d = logits ? max_diff(logits, want, (size_t)l.vocab) : INFINITY;
        CHECK(d <= tol * scale, "%s engine %d chunk %d policy %d n %d: logits differ by %g",
              g->name, engine, chunk, policy, n, d);
        CHECK(logits == odin_session_logits(s), "odin_session_logits is the step's result");
        for (int k = 0; k < odin_session_state_count(s); k++) {
            size_t nb;
            const float *got = odin_session_state(s, k, &nb);
            const float *w = ref[l.state[k].output].data;
            double ds = max_diff(got, w, nb / 4), sc = fmax(1.0, max_abs(w, nb / 4));
            CHECK(ds <= tol * sc, "%s: state %d differs by %g", g->name, k, ds);
        }
        odin_session_reset(s);
        CHECK(odin_session_pos(s) == 0 && !odin_session_logits(s), "reset");
    }
    odin_session_free(s);
    odin_values_free(ref, g->n_outputs);
    odin_lm_layout_free(&l);
}

static void test_chunks(void) {
    CHECK(odin_prefill_chunk(&(odin_session_options){.chunk = 64}, 45) == 32, "pow2 45");
    CHECK(odin_prefill_chunk(&(odin_session_options){.chunk = 64}, 100) == 64, "pow2 100");
    CHECK(odin_prefill_chunk(&(odin_session_options){.chunk = 64, .policy = ODIN_PREFILL_STEPS}, 45) == 1,
          "steps 45");
    CHECK(odin_prefill_chunk(NULL, 1000) == 64, "default chunk");
}

static const int64_t seq[13] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9};

static void test_session_ref(void) {
    for (int all = 0; all < 2; all++) {
        odin_graph *g = toy_lm(all);
        CHECK(g != NULL, "toy graph");
        if (!g) return;
        check_session(g, ODIN_ENGINE_REF, 4, ODIN_PREFILL_POW2, seq, 13, 1e-5);  /* 4,4,2,1 + 1 */
        check_session(g, ODIN_ENGINE_REF, 5, ODIN_PREFILL_STEPS, seq, 13, 1e-5); /* 5,5,1,1 + 1 */
        check_session(g, ODIN_ENGINE_REF, 64, ODIN_PREFILL_POW2, seq, 2, 1e-5);  /* 1 + 1 */
        odin_graph_free(g);
    }
}

static void test_session_jit(void) {
    odin_graph *g = toy_lm(false);
    CHECK(g != NULL, "toy graph");
    if (!g) return;
    check_session(g, ODIN_ENGINE_JIT, 8, ODIN_PREFILL_POW2, seq, 13, 1e-4); /* 8,4 + 1 */
    check_session(g, ODIN_ENGINE_JIT, 3, ODIN_PREFILL_STEPS, seq, 9, 1e-4); /* 3,3,1,1 + 1 */
    /* warm-up compiles the lengths prefill will use, once each */
    odin_engine_options eo = odin_engine_defaults(ODIN_ENGINE_JIT);
    odin_session_options so = {.chunk = 8};
    odin_session *s = NULL;
    CHECK_OK(odin_lm_session_open(g, &eo, &so, false, &s));
    if (s) {
        CHECK_OK(odin_session_warm_up(s, 13)); /* 8, 4, 1 */
        odin_lm_runner_stats a, b;
        odin_session_runner_stats(s, &a);
        CHECK(a.compiles == 3, "%d compiles", a.compiles);
        CHECK_OK(odin_session_prefill(s, seq, 13, NULL));
        odin_session_runner_stats(s, &b);
        CHECK(b.compiles == 3, "prefill after warm-up compiled again (%d)", b.compiles);
        CHECK_ERR(odin_session_step(s, V, NULL), "outside the model's vocabulary");
        CHECK_ERR(odin_session_step(s, -1, NULL), "outside");
    }
    odin_session_free(s);
    odin_graph_free(g);
}

/* ------------------------------------------------------------------ contract errors */

static void test_state_contract(void) {
    odin_graph *g = toy_lm(false);
    CHECK(g != NULL, "toy graph");
    if (!g) return;
    odin_lm_layout l;
    CHECK_OK(odin_lm_layout_of(g, false, &l));
    CHECK(l.n_state == 2 && !l.state[0].in_place && !l.state[1].in_place, "two double-buffered pairs");
    CHECK(l.pos == 1 && l.tokens == 0 && l.logits == 0 && l.vocab == V && !l.all_logits, "layout");
    CHECK(l.n_state == 2 && l.state[1].nbytes == 4 * H, "state bytes");
    odin_lm_layout_free(&l);
    /* strict: the rule names the tensors, the node and the op */
    CHECK_ERR(odin_lm_layout_of(g, true, &l),
              "'state.x' is read by node 'Concat_1' (Concat), which does not write its paired output 'state_out.x'");
    odin_graph_set_meta(g, "odin.state", "state.h=state_out.h");
    CHECK_ERR(odin_lm_layout_of(g, true, &l), "'state.h'='state_out.h': node 'RNN_");
    CHECK_ERR(odin_lm_layout_of(g, true, &l), "(RNN) does not update state in place");
    odin_graph_set_meta(g, "odin.state", "state.x=state_out.x;state.h=nothing");
    CHECK_ERR(odin_lm_layout_of(g, false, &l), "'nothing' is not a graph output");
    odin_graph_set_meta(g, "odin.state", "state.x=state_out.x;state.x=state_out.h");
    CHECK_ERR(odin_lm_layout_of(g, false, &l), "state input 'state.x' is in two pairs");
    odin_graph_set_meta(g, "odin.state", "state.x=state_out.h;state.h=state_out.x");
    CHECK_ERR(odin_lm_layout_of(g, false, &l), "shapes differ");
    odin_graph_set_meta(g, "odin.state", "state.x");
    CHECK_ERR(odin_lm_layout_of(g, false, &l), "is not INPUT=OUTPUT");
    odin_graph_set_meta(g, "odin.state", "state.x=state_out.x");
    CHECK_ERR(odin_lm_layout_of(g, false, &l), "input 'state.h' is not tokens, pos or a state input");
    odin_graph_rename_tensor(g, g->inputs[0], "ids");
    CHECK_ERR(odin_lm_layout_of(g, false, &l), "no input named 'tokens'");
    odin_graph_free(g);
}

/* The in-place rule holds for RWKV-v6's TokenShift/WKV6 pairs. */
static void test_rwkv6_in_place(void) {
    const char *set[] = {"n_layer=1", "n_embd=16", "head_size=8", "vocab=20", "d_mix=4", "d_decay=4"};
    odin_graph *g = NULL;
    odin_status st = odin_model_build("rwkv6", set, 6, &g);
    CHECK_OK(st);
    if (!g) return;
    odin_lm_layout l;
    CHECK_OK(odin_lm_layout_of(g, true, &l));
    for (int i = 0; i < l.n_state; i++) CHECK(l.state[i].in_place, "pair %d in place", i);
    CHECK(l.n_state == 3 && l.vocab == 20 && l.pos < 0, "rwkv6 layout: %d pairs", l.n_state);
    odin_lm_layout_free(&l);
    odin_graph_free(g);
}

/* The model builders' LM graphs: sessions on the JIT (in-place state ops, pos, KV cache)
 * against one reference call. Tiny configurations keep compiles short. */
static void check_model(const char *name, const char *const *set, int n_set, int vocab) {
    odin_graph *g = NULL;
    CHECK_OK(odin_model_build(name, set, n_set, &g));
    if (!g) return;
    int64_t tokens[11];
    for (int i = 0; i < 11; i++) tokens[i] = (i * 7 + 3) % vocab;
    check_session(g, ODIN_ENGINE_REF, 4, ODIN_PREFILL_POW2, tokens, 11, 1e-5); /* 4,4,2 + 1 */
    check_session(g, ODIN_ENGINE_JIT, 4, ODIN_PREFILL_POW2, tokens, 11, 2e-4);
    odin_graph_free(g);
}

static void test_models(void) {
    const char *rwkv[] = {"n_layer=2", "n_embd=32", "head_size=8", "vocab=40", "d_mix=4", "d_decay=8"};
    check_model("rwkv6", rwkv, 6, 40);
    const char *gpt2[] = {"kv=1", "n_layer=2", "n_embd=32", "n_head=4", "vocab=40", "n_ctx=32"};
    check_model("gpt2", gpt2, 6, 40);
    const char *llama[] = {"n_layer=2", "n_embd=32", "n_head=4", "n_kv_head=2", "ffn=48",
                           "vocab=40", "max_ctx=32", "all_logits=1"};
    check_model("llama", llama, 8, 40);
}

/* ------------------------------------------------------------------ sampling */

typedef struct ranked {
    double p;
    int64_t id;
} ranked;

static int ranked_desc(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

/* allowed[i] for softmax(logits/t) cut to the top k, then to the top-p nucleus. */
static void allowed_set(const float *logits, int n, float t, int k, float p, bool *allowed) {
    ranked r[256];
    double mx = -INFINITY, sum = 0;
    for (int i = 0; i < n; i++) mx = fmax(mx, logits[i]);
    for (int i = 0; i < n; i++) sum += r[i].p = exp((logits[i] - mx) / t), r[i].id = i;
    for (int i = 0; i < n; i++) r[i].p /= sum;
    qsort(r, (size_t)n, sizeof *r, ranked_desc);
    int keep = k > 0 && k < n ? k : n;
    if (p > 0 && p < 1) {
        double tot = 0, acc = 0;
        for (int i = 0; i < keep; i++) tot += r[i].p;
        int m = 0;
        while (m < keep && acc < p * tot) acc += r[m++].p;
        keep = m;
    }
    memset(allowed, 0, sizeof(bool) * (size_t)n);
    for (int i = 0; i < keep; i++) allowed[r[i].id] = true;
}

static void test_sampling(void) {
    enum { N = 200 };
    float logits[N];
    odin_rng r;
    odin_rng_seed(&r, 3);
    for (int i = 0; i < N; i++) logits[i] = 3 * rnd(&r);
    /* greedy is argmax */
    odin_sampler *s = NULL;
    CHECK_OK(odin_sampler_create(N, &(odin_sampler_options){.temperature = 0}, &s));
    int64_t best = 0;
    for (int i = 1; i < N; i++)
        if (logits[i] > logits[best]) best = i;
    CHECK(s && odin_sample(s, logits) == best, "greedy");
    odin_sampler_free(s);
    /* top-k / top-p keep to the allowed set */
    struct { float t; int k; float p; } cases[] = {{1, 5, 1}, {0.7f, 0, 0.5f}, {1.3f, 20, 0.8f}, {1, 1, 1},
                                                   {2, 0, 0.95f}, {1, 0, 0.0001f}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        bool allowed[N];
        allowed_set(logits, N, cases[c].t, cases[c].k, cases[c].p, allowed);
        odin_sampler_options o = {.temperature = cases[c].t, .top_k = cases[c].k, .top_p = cases[c].p, .seed = c};
        CHECK_OK(odin_sampler_create(N, &o, &s));
        int bad = 0, hits[N] = {0}, n_allowed = 0, n_hit = 0;
        for (int i = 0; i < 2000 && s; i++) {
            int64_t id = odin_sample(s, logits);
            if (id < 0 || id >= N || !allowed[id]) bad++;
            else hits[id]++;
        }
        for (int i = 0; i < N; i++) n_allowed += allowed[i], n_hit += hits[i] > 0;
        CHECK(bad == 0, "case %zu: %d draws outside the allowed set", c, bad);
        /* small sets are covered: the sampler does not collapse to one token */
        if (n_allowed <= 10) CHECK(n_hit == n_allowed, "case %zu: %d of %d allowed tokens drawn", c, n_hit, n_allowed);
        odin_sampler_free(s);
    }
    /* seeded: same seed, same draws; another seed, other draws */
    int64_t a[50], b[50], d[50];
    odin_sampler_options o = {.temperature = 1, .seed = 42};
    for (int pass = 0; pass < 3; pass++) {
        o.seed = pass == 2 ? 43 : 42;
        CHECK_OK(odin_sampler_create(N, &o, &s));
        for (int i = 0; i < 50 && s; i++) (pass == 0 ? a : pass == 1 ? b : d)[i] = odin_sample(s, logits);
        odin_sampler_free(s);
    }
    CHECK(!memcmp(a, b, sizeof a), "same seed, same tokens");
    CHECK(memcmp(a, d, sizeof a) != 0, "another seed, other tokens");
    /* frequencies follow softmax(logits / t) on a small vocabulary */
    float small[4] = {0, 1, 2, -1};
    double p[4], sum = 0;
    for (int i = 0; i < 4; i++) sum += p[i] = exp(small[i] / 0.8);
    CHECK_OK(odin_sampler_create(4, &(odin_sampler_options){.temperature = 0.8f, .seed = 5}, &s));
    int count[4] = {0};
    for (int i = 0; i < 20000 && s; i++) count[odin_sample(s, small)]++;
    for (int i = 0; i < 4; i++)
        CHECK_NEAR(count[i] / 20000.0, p[i] / sum, 0.015);
    odin_sampler_free(s);
    /* NaN and -inf logits are never drawn */
    float odd[4] = {NAN, -INFINITY, 0.5f, 0.4f};
    CHECK_OK(odin_sampler_create(4, &(odin_sampler_options){.temperature = 1, .seed = 1}, &s));
    int badodd = 0;
    for (int i = 0; i < 500 && s; i++) badodd += odin_sample(s, odd) < 2;
    CHECK(badodd == 0, "NaN/-inf drawn %d times", badodd);
    odin_sampler_free(s);
    CHECK(odin_argmax(odd, 4) == 2, "argmax skips NaN");
}

int main(void) {
    RUN(test_chunks);
    RUN(test_state_contract);
    RUN(test_session_ref);
    RUN(test_session_jit);
    RUN(test_rwkv6_in_place);
    RUN(test_models);
    RUN(test_sampling);
    TEST_DONE();
}
