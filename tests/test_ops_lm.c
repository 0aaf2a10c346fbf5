/* The language-model ops (ops/lm.c, codegen/lower_lm.c; docs/language-models.md):
 * (1) the reference eval against an independent PyTorch computation (tools/
 * lm_ops_reference.py, run at test time), (2) the compiled kernels against the eval on
 * many shapes, (3) WKV6 prefill in chunks against token-by-token decode, (4) state
 * updated in place (the state output buffer is the state input buffer), (5) one compiled
 * CachedAttention for several run-time positions, (6) clear errors for bad input. */
#include <unistd.h>

#include "../runtime/npy.h"
#include "codegen_check.h"

static char tmpdir[64];

/* ---- graphs ---- */

static void outputs(odin_graph *g, const int *outs, int n, const char *const *names) {
    for (int i = 0; i < n; i++) odin_output(g, outs[i], names[i]);
}

static odin_graph *g_tokenshift(int64_t B, int64_t T, int64_t C) {
    odin_graph *g = odin_graph_new("tokenshift");
    int ins[2] = {odin_input(g, "x", ODIN_F32, 3, (int64_t[]){B, T, C}),
                  odin_input(g, "s", ODIN_F32, 2, (int64_t[]){B, C})};
    int outs[2] = {-1, -1};
    odin_build(g, "ai.odin::TokenShift", ins, 2, NULL, 0, 2, outs);
    outputs(g, outs, 2, (const char *[]){"y", "s_out"});
    return g;
}

/* wide_decay: w = 3 * w_in - 3, so random inputs in [-2, 2) give decays exp(-exp(w))
 * from 0.9999 (w = -9) to 2e-9 (w = 3). */
static odin_graph *g_wkv(int64_t B, int64_t T, int64_t H, int64_t N, int64_t chunk, bool wide_decay) {
    odin_graph *g = odin_graph_new("wkv6");
    int64_t x[4] = {B, T, H, N};
    int ins[6] = {odin_input(g, "r", ODIN_F32, 4, x), odin_input(g, "k", ODIN_F32, 4, x),
                  odin_input(g, "v", ODIN_F32, 4, x), odin_input(g, "w", ODIN_F32, 4, x),
                  odin_input(g, "u", ODIN_F32, 2, (int64_t[]){H, N}),
                  odin_input(g, "s", ODIN_F32, 4, (int64_t[]){B, H, N, N})};
    if (wide_decay)
        ins[3] = odin_add(g, odin_mul(g, ins[3], odin_scalar_f32(g, "three", 3)),
                          odin_scalar_f32(g, "minus3", -3));
    odin_attr a = ODIN_ATTR_I("chunk", chunk);
    int outs[2] = {-1, -1};
    odin_build(g, "ai.odin::WKV6", ins, 6, &a, 1, 2, outs);
    outputs(g, outs, 2, (const char *[]){"y", "s_out"});
    return g;
}

static odin_graph *g_rope(int64_t B, int64_t T, int64_t H, int64_t D, int64_t rd, int64_t il,
                          float theta) {
    odin_graph *g = odin_graph_new("rope");
    int ins[2] = {odin_input(g, "x", ODIN_F32, 4, (int64_t[]){B, T, H, D}),
                  odin_input(g, "pos", ODIN_I64, 1, (int64_t[]){1})};
    odin_attr a[3] = {ODIN_ATTR_I("rotary_dim", rd), ODIN_ATTR_I("interleaved", il),
                      ODIN_ATTR_F("theta", theta)};
    odin_output(g, odin_build(g, "ai.odin::RoPE", ins, 2, a, 3, 1, NULL), "y");
    return g;
}

static odin_graph *g_attn(int64_t B, int64_t T, int64_t Hq, int64_t Hkv, int64_t D, int64_t M,
                          float scale) {
    odin_graph *g = odin_graph_new("attn");
    int64_t kv[4] = {B, T, Hkv, D}, cache[4] = {B, Hkv, M, D};
    int ins[6] = {odin_input(g, "q", ODIN_F32, 4, (int64_t[]){B, T, Hq, D}),
                  odin_input(g, "k", ODIN_F32, 4, kv), odin_input(g, "v", ODIN_F32, 4, kv),
                  odin_input(g, "k_cache", ODIN_F32, 4, cache),
                  odin_input(g, "v_cache", ODIN_F32, 4, cache),
                  odin_input(g, "pos", ODIN_I64, 1, (int64_t[]){1})};
    odin_attr a = ODIN_ATTR_F("scale", scale);
    int outs[3] = {-1, -1, -1};
    odin_build(g, "ai.odin::CachedAttention", ins, 6, &a, 1, 3, outs);
    outputs(g, outs, 3, (const char *[]){"y", "k_cache_out", "v_cache_out"});
    return g;
}

static odin_graph *g_posids(int64_t B, int64_t T) {
    odin_graph *g = odin_graph_new("posids");
    int ins[2] = {odin_input(g, "x", ODIN_F32, 3, (int64_t[]){B, T, 4}),
                  odin_input(g, "pos", ODIN_I64, 1, (int64_t[]){1})};
    odin_output(g, odin_build(g, "ai.odin::PositionIds", ins, 2, NULL, 0, 1, NULL), "ids");
    return g;
}

/* ---- running and comparing ---- */

/* max |a - b| / (1 + |b|) over all elements (INFINITY on a shape/dtype mismatch) */
static double rel_err(const odin_value *a, const odin_value *b, const char *what) {
    int64_t n = odin_value_numel(b);
    if (odin_value_numel(a) != n) {
        fprintf(stderr, "  %s: %lld vs %lld elements\n", what, (long long)odin_value_numel(a), (long long)n);
        return INFINITY;
    }
    double worst = 0;
    int64_t at = 0;
    for (int64_t k = 0; k < n; k++) {
        double x = odin_load_as_f64(a->data, a->dtype, (size_t)k);
        double y = odin_load_as_f64(b->data, b->dtype, (size_t)k);
        double e = x == y ? 0 : fabs(x - y) / (1 + fabs(y));
        if (!(e <= worst)) worst = e, at = k;
    }
    if (worst > 1e-6 && n)
        fprintf(stderr, "  %s: worst at [%lld]: %.9g vs %.9g (err %.3g)\n", what, (long long)at,
                odin_load_as_f64(a->data, a->dtype, (size_t)at),
                odin_load_as_f64(b->data, b->dtype, (size_t)at), worst);
    return worst;
}

static odin_program *compile_ok(const odin_graph *g, bool fallback) {
    odin_compile_options co = odin_compile_defaults();
    co.allow_fallback = fallback;
    odin_program *p = NULL;
    odin_status st = odin_program_compile(g, &co, &p);
    CHECK(!st, "compile %s: %s", g->name, odin_status_message(st));
    odin_status_free(st);
    if (p) CHECK(odin_program_fallback_count(p) == 0, "%s: fell back to eval", g->name);
    return p;
}

/* Run p on `in`; out[] gets fresh buffers. Pairs (state_in[i] -> state_out[i]) share one
 * buffer (a copy of the input) when `in_place`. */
static odin_status run_jit(odin_program *p, const odin_graph *g, const odin_value *in, odin_value *out,
                           const int *state_in, const int *state_out, int n_state, bool in_place) {
    void *ins[16], *outs[16];
    for (int i = 0; i < g->n_inputs; i++) ins[i] = in[i].data;
    for (int i = 0; i < g->n_outputs; i++) {
        out[i] = odin_tensor_value(g, g->outputs[i]);
        out[i].data = calloc(1, odin_value_nbytes(&out[i]) + 4);
        outs[i] = out[i].data;
    }
    for (int s = 0; in_place && s < n_state; s++) {
        size_t nb = odin_value_nbytes(&in[state_in[s]]);
        memcpy(out[state_out[s]].data, in[state_in[s]].data, nb);
        ins[state_in[s]] = out[state_out[s]].data; /* the same buffer both ways */
    }
    return odin_program_run(p, ins, outs);
}

static void fill(odin_rng *r, odin_value *v, float lo, float hi) {
    int64_t n = odin_value_numel(v);
    float *f = v->data;
    for (int64_t k = 0; k < n; k++) f[k] = lo + (hi - lo) * odin_rng_uniform(r);
}

/* Fresh input values for g (floats uniform in [-1, 1), int64 inputs = pos). */
static void make_inputs(const odin_graph *g, odin_value *in, uint64_t seed, int64_t pos) {
    odin_rng r;
    odin_rng_seed(&r, seed);
    for (int i = 0; i < g->n_inputs; i++) {
        in[i] = odin_tensor_value(g, g->inputs[i]);
        in[i].data = calloc(1, odin_value_nbytes(&in[i]) + 4);
        if (in[i].dtype == ODIN_I64) ((int64_t *)in[i].data)[0] = pos;
        else fill(&r, &in[i], -1, 1);
    }
}

/* eval and JIT (separate state buffers, then in place) on the same inputs: the JIT matches
 * the eval within tol, and in place equals separate buffers exactly. */
static void check_jit_vs_eval(odin_program *p, const odin_graph *g, const odin_value *in, double tol,
                              const int *state_in, const int *state_out, int n_state, const char *what) {
    odin_value ref[16], sep[16], inpl[16];
    odin_status st = odin_interpret(g, in, g->n_inputs, ref);
    CHECK(!st, "%s: eval: %s", what, odin_status_message(st));
    if (st) {
        odin_status_free(st);
        return;
    }
    for (int mode = 0; mode < 2; mode++) {
        odin_value *got = mode ? inpl : sep;
        st = run_jit(p, g, in, got, state_in, state_out, n_state, mode == 1);
        CHECK(!st, "%s: jit%s: %s", what, mode ? " in place" : "", odin_status_message(st));
        odin_status_free(st);
        for (int i = 0; !st && i < g->n_outputs; i++) {
            char w[200];
            snprintf(w, sizeof w, "%s output %d%s", what, i, mode ? " (in place)" : "");
            double e = mode ? rel_err(&got[i], &sep[i], w) : rel_err(&got[i], &ref[i], w);
            CHECK(mode ? e == 0 : e <= tol, "%s: err %g", w, e);
        }
    }
    odin_values_free(ref, g->n_outputs);
    odin_values_free(sep, g->n_outputs);
    odin_values_free(inpl, g->n_outputs);
}

/* ---- (1) eval against PyTorch ---- */

typedef struct torch_case {
    const char *name, *op;
    int64_t B, T, C, H, N, D, Hq, Hkv, M, pos, rd, il;
    float theta, scale;
} torch_case;

static const torch_case torch_cases[] = {
    {"ts1", "TokenShift", .B = 2, .T = 5, .C = 7},
    {"ts2", "TokenShift", .B = 1, .T = 1, .C = 3},
    {"wkv1", "WKV6", .B = 2, .T = 9, .H = 3, .N = 8},
    {"wkv2", "WKV6", .B = 1, .T = 40, .H = 2, .N = 16},
    {"wkv3", "WKV6", .B = 1, .T = 1, .H = 2, .N = 5},
    {"rope1", "RoPE", .B = 2, .T = 5, .H = 3, .D = 16, .pos = 37, .theta = 10000},
    {"rope2", "RoPE", .B = 1, .T = 4, .H = 2, .D = 12, .rd = 8, .il = 1, .theta = 500, .pos = 1000},
    {"rope3", "RoPE", .B = 1, .T = 3, .H = 2, .D = 10, .rd = 6, .theta = 10000, .pos = 0},
    {"rope4", "RoPE", .B = 1, .T = 2, .H = 1, .D = 8, .il = 1, .theta = 10000, .pos = 100000},
    {"att1", "CachedAttention", .B = 2, .T = 3, .Hq = 4, .Hkv = 2, .D = 8, .M = 12, .pos = 5},
    {"att2", "CachedAttention", .B = 1, .T = 1, .Hq = 4, .Hkv = 1, .D = 16, .M = 20, .pos = 19},
    {"att3", "CachedAttention", .B = 1, .T = 6, .Hq = 3, .Hkv = 3, .D = 5, .M = 6, .pos = 0, .scale = 0.3f},
};
#define N_TORCH (int)(sizeof torch_cases / sizeof torch_cases[0])

static odin_graph *torch_graph(const torch_case *c) {
    if (!strcmp(c->op, "TokenShift")) return g_tokenshift(c->B, c->T, c->C);
    if (!strcmp(c->op, "WKV6")) return g_wkv(c->B, c->T, c->H, c->N, 0, false);
    if (!strcmp(c->op, "RoPE")) return g_rope(c->B, c->T, c->H, c->D, c->rd, c->il, c->theta);
    return g_attn(c->B, c->T, c->Hq, c->Hkv, c->D, c->M, c->scale);
}

static bool have_torch(void) {
    return system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") == 0;
}

static void test_eval_matches_torch(void) {
    if (!have_torch()) {
        printf("SKIP test_eval_matches_torch: /usr/bin/python3 cannot import torch\n");
        return;
    }
    char path[160], cmd[512];
    snprintf(path, sizeof path, "%s/cases.txt", tmpdir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f) return;
    for (int i = 0; i < N_TORCH; i++) {
        const torch_case *c = &torch_cases[i];
        fprintf(f, "%s %s B=%lld T=%lld C=%lld H=%lld N=%lld D=%lld Hq=%lld Hkv=%lld M=%lld "
                   "pos=%lld rotary_dim=%lld interleaved=%lld theta=%.1f scale=%.6f\n",
                c->name, c->op, (long long)c->B, (long long)c->T, (long long)c->C, (long long)c->H,
                (long long)c->N, (long long)c->D, (long long)c->Hq, (long long)c->Hkv,
                (long long)c->M, (long long)c->pos, (long long)c->rd, (long long)c->il,
                (double)c->theta, (double)c->scale);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tools/lm_ops_reference.py %s 7 %s", tmpdir, path);
    int rc = system(cmd);
    CHECK(rc == 0, "%s failed (%d)", cmd, rc);
    if (rc) return;
    for (int i = 0; i < N_TORCH; i++) {
        const torch_case *c = &torch_cases[i];
        odin_graph *g = torch_graph(c);
        odin_status st = odin_graph_take_error(g);
        CHECK(!st, "%s: build: %s", c->name, odin_status_message(st));
        odin_value in[8], want[4], ref[4], got[4];
        int n_in = 0, n_want = 0;
        for (int k = 0; !st && k < g->n_inputs; k++, n_in++) {
            snprintf(path, sizeof path, "%s/%s_in%d.npy", tmpdir, c->name, k);
            st = odin_npy_read_file(path, &in[k]);
        }
        for (int k = 0; !st && k < g->n_outputs; k++, n_want++) {
            snprintf(path, sizeof path, "%s/%s_out%d.npy", tmpdir, c->name, k);
            st = odin_npy_read_file(path, &want[k]);
        }
        CHECK(!st, "%s: %s", c->name, odin_status_message(st));
        if (!st) {
            st = odin_interpret(g, in, g->n_inputs, ref);
            CHECK(!st, "%s: eval: %s", c->name, odin_status_message(st));
            for (int k = 0; !st && k < g->n_outputs; k++) {
                char w[64];
                snprintf(w, sizeof w, "%s eval output %d", c->name, k);
                double e = rel_err(&ref[k], &want[k], w);
                CHECK(e <= 2e-6, "%s: err %g vs torch", w, e);
            }
            if (!st) odin_values_free(ref, g->n_outputs);
            odin_status_free(st);
            st = ODIN_OK;
            /* the compiled kernels on the same inputs, against torch too */
            odin_program *p = compile_ok(g, true);
            if (p) {
                st = run_jit(p, g, in, got, NULL, NULL, 0, false);
                CHECK(!st, "%s: jit: %s", c->name, odin_status_message(st));
                for (int k = 0; !st && k < g->n_outputs; k++) {
                    char w[64];
                    snprintf(w, sizeof w, "%s jit output %d", c->name, k);
                    double e = rel_err(&got[k], &want[k], w);
                    CHECK(e <= 1e-5, "%s: err %g vs torch", w, e);
                }
                odin_values_free(got, g->n_outputs);
            }
            odin_program_free(p);
        }
        odin_status_free(st);
        odin_values_free(in, n_in);
        odin_values_free(want, n_want);
        odin_graph_free(g);
    }
}

/* ---- (2) compiled kernels against the eval (shared harness) ---- */

static check_opts opts(double tol, int64_t pos) {
    check_opts o = check_defaults();
    o.tol = tol;
    o.int_lo = pos; /* the only integer input is pos */
    o.int_hi = pos + 1;
    return o;
}

static void test_lower_tokenshift_posids(void) {
    int64_t shapes[][3] = {{1, 1, 1}, {2, 5, 3}, {1, 33, 17}, {3, 130, 64}};
    check_opts o = opts(0, 0);
    for (int i = 0; i < 4; i++) {
        odin_graph *g = g_tokenshift(shapes[i][0], shapes[i][1], shapes[i][2]);
        CHECK_GRAPH(g, o, "TokenShift [%lld,%lld,%lld]", (long long)shapes[i][0],
                    (long long)shapes[i][1], (long long)shapes[i][2]);
    }
    for (int64_t T = 1; T <= 9; T += 8) {
        o = opts(0, 5 * T);
        odin_graph *g = g_posids(2, T);
        CHECK_GRAPH(g, o, "PositionIds T=%lld", (long long)T);
    }
}

static void test_lower_wkv6(void) {
    struct { int64_t B, T, H, N, chunk; } cases[] = {
        {1, 1, 1, 1, 0},   {2, 1, 3, 3, 0},    {1, 1, 2, 17, 0},  {1, 1, 12, 64, 0},
        {1, 5, 2, 3, 0},   {2, 33, 1, 17, 0},  {1, 130, 2, 64, 0}, {1, 33, 2, 64, 0},
        {1, 257, 1, 64, 0}, {1, 17, 3, 16, 1}, {1, 31, 1, 8, 7},   {1, 70, 2, 24, 32},
        {1, 2, 1, 5, 0},   {1, 18, 1, 5, 0},   {1, 130, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_opts o = opts(1e-4, 0);
        o.seed = 100 + i;
        odin_graph *g = g_wkv(cases[i].B, cases[i].T, cases[i].H, cases[i].N, cases[i].chunk, true);
        CHECK_GRAPH(g, o, "WKV6 B=%lld T=%lld H=%lld N=%lld chunk=%lld", (long long)cases[i].B,
                    (long long)cases[i].T, (long long)cases[i].H, (long long)cases[i].N,
                    (long long)cases[i].chunk);
    }
}

static void test_lower_rope(void) {
    struct { int64_t T, H, D, rd, il, pos; } cases[] = {
        {1, 1, 2, 0, 0, 0},   {5, 3, 6, 0, 1, 7},     {33, 2, 64, 0, 0, 1000},
        {5, 4, 64, 32, 1, 3}, {3, 2, 17, 16, 0, 40000}, {130, 1, 8, 4, 1, 1},
        {1, 8, 128, 0, 0, 4095},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_opts o = opts(2e-6, cases[i].pos);
        odin_graph *g = g_rope(2, cases[i].T, cases[i].H, cases[i].D, cases[i].rd, cases[i].il,
                               i % 2 ? 500000.0f : 10000.0f);
        CHECK_GRAPH(g, o, "RoPE T=%lld H=%lld D=%lld rd=%lld il=%lld pos=%lld", (long long)cases[i].T,
                    (long long)cases[i].H, (long long)cases[i].D, (long long)cases[i].rd,
                    (long long)cases[i].il, (long long)cases[i].pos);
    }
}

static void test_lower_attention(void) {
    struct { int64_t B, T, Hq, Hkv, D, M, pos; } cases[] = {
        {1, 1, 1, 1, 1, 1, 0},    {1, 1, 2, 1, 3, 9, 8},     {2, 5, 4, 2, 17, 12, 0},
        {1, 5, 4, 1, 64, 80, 70}, {1, 33, 2, 2, 64, 40, 3},  {1, 130, 4, 2, 16, 200, 0},
        {1, 1, 8, 2, 64, 300, 257}, {2, 33, 6, 3, 17, 100, 60}, {1, 130, 4, 4, 3, 131, 1},
        {1, 1, 8, 2, 64, 2100, 2}, /* big cache, few rows: no threads at run time */
        {1, 1, 8, 2, 64, 2100, 2050}, /* decode over many rows: threads */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_opts o = opts(2e-5, cases[i].pos);
        o.seed = 300 + i;
        odin_graph *g = g_attn(cases[i].B, cases[i].T, cases[i].Hq, cases[i].Hkv, cases[i].D,
                               cases[i].M, i == 2 ? 0.25f : 0);
        CHECK_GRAPH(g, o, "CachedAttention B=%lld T=%lld Hq=%lld Hkv=%lld D=%lld M=%lld pos=%lld",
                    (long long)cases[i].B, (long long)cases[i].T, (long long)cases[i].Hq,
                    (long long)cases[i].Hkv, (long long)cases[i].D, (long long)cases[i].M,
                    (long long)cases[i].pos);
    }
}

/* ---- (3) WKV6: T tokens at once (chunked) = T single-token steps ---- */

static void test_wkv6_chunked_equals_steps(void) {
    const int64_t T = 37, H = 2, N = 64;
    odin_graph *gp = g_wkv(1, T, H, N, 0, true), *gd = g_wkv(1, 1, H, N, 0, true);
    odin_program *pp = compile_ok(gp, false), *pd = compile_ok(gd, false);
    odin_value in[6], yp[2];
    make_inputs(gp, in, 5, 0);
    odin_status st = pp ? run_jit(pp, gp, in, yp, NULL, NULL, 0, false) : odin_errorf("no program");
    CHECK(!st, "prefill: %s", odin_status_message(st));
    float *state = calloc((size_t)(H * N * N), sizeof(float));
    memcpy(state, in[5].data, sizeof(float) * (size_t)(H * N * N));
    float *ystep = calloc((size_t)(T * H * N), sizeof(float));
    for (int64_t t = 0; !st && pd && t < T; t++) {
        void *ins[6], *outs[2] = {ystep + t * H * N, state};
        for (int i = 0; i < 4; i++) ins[i] = (float *)in[i].data + t * H * N;
        ins[4] = in[4].data;
        ins[5] = state; /* in place, as a session does */
        st = odin_program_run(pd, ins, outs);
        CHECK(!st, "step %lld: %s", (long long)t, odin_status_message(st));
    }
    if (!st && pp && pd) {
        odin_value vy = yp[0], vs = yp[1];
        vy.data = ystep;
        vs.data = state;
        double ey = rel_err(&vy, &yp[0], "steps y vs prefill y");
        double es = rel_err(&vs, &yp[1], "steps state vs prefill state");
        CHECK(ey <= 1e-4 && es <= 1e-4, "y err %g, state err %g", ey, es);
    }
    odin_status_free(st);
    if (pp) odin_values_free(yp, 2);
    odin_values_free(in, 6);
    free(state);
    free(ystep);
    odin_program_free(pp);
    odin_program_free(pd);
    odin_graph_free(gp);
    odin_graph_free(gd);
}

/* ---- (4) in place, (5) run-time pos ---- */

static void test_state_in_place(void) {
    odin_value in[8];
    /* TokenShift */
    odin_graph *g = g_tokenshift(2, 4, 5);
    odin_program *p = compile_ok(g, false);
    make_inputs(g, in, 1, 0);
    if (p) check_jit_vs_eval(p, g, in, 0, (int[]){1}, (int[]){1}, 1, "TokenShift");
    odin_values_free(in, g->n_inputs);
    odin_program_free(p);
    odin_graph_free(g);
    /* WKV6 decode, chunked prefill, sequential prefill */
    int64_t wt[3][2] = {{1, 0}, {45, 0}, {9, 1}};
    for (int i = 0; i < 3; i++) {
        g = g_wkv(2, wt[i][0], 3, 16, wt[i][1], true);
        p = compile_ok(g, false);
        make_inputs(g, in, 2 + i, 0);
        char what[64];
        snprintf(what, sizeof what, "WKV6 T=%lld chunk=%lld", (long long)wt[i][0], (long long)wt[i][1]);
        if (p) check_jit_vs_eval(p, g, in, 1e-4, (int[]){5}, (int[]){1}, 1, what);
        odin_values_free(in, g->n_inputs);
        odin_program_free(p);
        odin_graph_free(g);
    }
    /* CachedAttention */
    for (int64_t T = 1; T <= 7; T += 6) {
        g = g_attn(1, T, 4, 2, 16, 24, 0);
        p = compile_ok(g, false);
        make_inputs(g, in, 7, 10);
        if (p) check_jit_vs_eval(p, g, in, 2e-5, (int[]){3, 4}, (int[]){1, 2}, 2, "CachedAttention");
        odin_values_free(in, g->n_inputs);
        odin_program_free(p);
        odin_graph_free(g);
    }
}

static void test_attention_runtime_pos(void) {
    const int64_t M = 40;
    for (int64_t T = 1; T <= 3; T += 2) {
        odin_graph *g = g_attn(1, T, 4, 2, 16, M, 0);
        odin_program *p = compile_ok(g, false);
        int64_t positions[] = {0, 1, 17, M - T};
        for (int i = 0; p && i < 4; i++) {
            odin_value in[6];
            make_inputs(g, in, 11, positions[i]);
            char what[64];
            snprintf(what, sizeof what, "CachedAttention T=%lld pos=%lld", (long long)T,
                     (long long)positions[i]);
            check_jit_vs_eval(p, g, in, 2e-5, (int[]){3, 4}, (int[]){1, 2}, 2, what);
            odin_values_free(in, 6);
        }
        odin_program_free(p);
        odin_graph_free(g);
    }
    /* the same for RoPE and PositionIds: pos is read at run time */
    odin_graph *g = g_rope(1, 3, 2, 8, 0, 0, 10000);
    odin_program *p = compile_ok(g, false);
    for (int64_t pos = 0; p && pos < 3000; pos += 1499) {
        odin_value in[2];
        make_inputs(g, in, 3, pos);
        check_jit_vs_eval(p, g, in, 2e-6, NULL, NULL, 0, "RoPE run-time pos");
        odin_values_free(in, 2);
    }
    odin_program_free(p);
    odin_graph_free(g);
}

/* ---- (6) errors ---- */

static void check_build_error(odin_graph *g, const char *needle1, const char *needle2) {
    odin_status st = odin_graph_take_error(g);
    CHECK(st && strstr(odin_status_message(st), needle1) && strstr(odin_status_message(st), needle2),
          "expected an error with '%s' and '%s', got '%s'", needle1, needle2, odin_status_message(st));
    odin_status_free(st);
    odin_graph_free(g);
}

static void test_errors(void) {
    /* shapes: the message names the node's op and both shapes */
    odin_graph *g = odin_graph_new("bad");
    int x = odin_input(g, "x", ODIN_F32, 3, (int64_t[]){1, 4, 8});
    int s = odin_input(g, "s", ODIN_F32, 2, (int64_t[]){1, 7});
    int outs[3];
    odin_build(g, "ai.odin::TokenShift", (int[]){x, s}, 2, NULL, 0, 2, outs);
    check_build_error(g, "[1,4,8]", "[1,7]");

    g = odin_graph_new("bad");
    int64_t d[4] = {1, 2, 3, 8};
    int ins[6];
    for (int i = 0; i < 4; i++) ins[i] = odin_input(g, (const char *[]){"r", "k", "v", "w"}[i], ODIN_F32, 4, d);
    ins[4] = odin_input(g, "u", ODIN_F32, 2, (int64_t[]){3, 4});
    ins[5] = odin_input(g, "s", ODIN_F32, 4, (int64_t[]){1, 3, 8, 8});
    odin_build(g, "ai.odin::WKV6", ins, 6, NULL, 0, 2, outs);
    check_build_error(g, "[3,4]", "[1,2,3,8]");

    g = odin_graph_new("bad");
    ins[0] = odin_input(g, "q", ODIN_F32, 4, (int64_t[]){1, 2, 3, 8});
    ins[1] = odin_input(g, "k", ODIN_F32, 4, (int64_t[]){1, 2, 2, 8});
    ins[2] = odin_input(g, "v", ODIN_F32, 4, (int64_t[]){1, 2, 2, 8});
    ins[3] = odin_input(g, "kc", ODIN_F32, 4, (int64_t[]){1, 2, 16, 8});
    ins[4] = odin_input(g, "vc", ODIN_F32, 4, (int64_t[]){1, 2, 16, 8});
    ins[5] = odin_input(g, "pos", ODIN_I64, 1, (int64_t[]){1});
    odin_build(g, "ai.odin::CachedAttention", ins, 6, NULL, 0, 3, outs);
    check_build_error(g, "[1,2,3,8]", "does not divide");

    g = odin_graph_new("bad");
    ins[0] = odin_input(g, "x", ODIN_F32, 4, (int64_t[]){1, 2, 3, 8});
    ins[1] = odin_input(g, "pos", ODIN_F32, 1, (int64_t[]){1});
    odin_build(g, "ai.odin::RoPE", ins, 2, NULL, 0, 1, NULL);
    check_build_error(g, "pos", "int64");

    g = odin_graph_new("bad");
    ins[0] = odin_input(g, "x", ODIN_F32, 4, (int64_t[]){1, 2, 3, 8});
    ins[1] = odin_input(g, "pos", ODIN_I64, 1, (int64_t[]){1});
    odin_attr a = ODIN_ATTR_I("rotary_dim", 5);
    odin_build(g, "ai.odin::RoPE", ins, 2, &a, 1, 1, NULL);
    check_build_error(g, "rotary_dim", "5");

    /* pos + T > M at run time: eval, JIT (precise message from the eval), and compiled
     * without fallbacks (AOT-like: an error code, no crash, no write past the cache) */
    g = g_attn(1, 3, 2, 1, 8, 12, 0);
    odin_value in[6], out[3];
    int64_t bad_pos[2] = {10, -1};
    for (int i = 0; i < 2; i++) {
        make_inputs(g, in, 9, bad_pos[i]);
        char needle[64];
        snprintf(needle, sizeof needle, "pos %lld + T 3", (long long)bad_pos[i]);
        odin_value ref[3];
        CHECK_ERR(odin_interpret(g, in, 6, ref), needle);
        odin_status st = odin_interpret(g, in, 6, ref);
        CHECK(st && strstr(odin_status_message(st), "(CachedAttention)") &&
                  strstr(odin_status_message(st), "M 12"),
              "eval error: %s", odin_status_message(st));
        odin_status_free(st);
        for (int fb = 1; fb >= 0; fb--) {
            odin_program *p = compile_ok(g, fb);
            if (!p) continue;
            st = run_jit(p, g, in, out, NULL, NULL, 0, false);
            const char *want = fb ? needle : "failed";
            CHECK(st && strstr(odin_status_message(st), want), "jit (fallback %d): '%s' lacks '%s'", fb,
                  odin_status_message(st), want);
            if (fb) CHECK(st && strstr(odin_status_message(st), "M 12"), "%s", odin_status_message(st));
            odin_status_free(st);
            odin_values_free(out, 3);
            odin_program_free(p);
        }
        odin_values_free(in, 6);
    }
    odin_graph_free(g);
}

/* A head wider than a compiled kernel's limit (lower_lm.c): the JIT runs the node's eval;
 * compiled without fallbacks (AOT, wasm) the error names the node, the head size and the
 * limit instead of a bare "no compiled kernel". */
static void test_wide_heads(void) {
    odin_graph *sdpa = odin_graph_new("wide_sdpa");
    int64_t qd[4] = {1, 2, 3, 600};
    int ins[3] = {odin_input(sdpa, "q", ODIN_F32, 4, qd), odin_input(sdpa, "k", ODIN_F32, 4, qd),
                  odin_input(sdpa, "v", ODIN_F32, 4, qd)};
    odin_output(sdpa, odin_build(sdpa, "ai.odin::Attention", ins, 3, NULL, 0, 1, NULL), "y");
    struct {
        odin_graph *g;
        const char *op, *want;
    } cases[3] = {
        {g_attn(1, 1, 1, 1, 1100, 4, 0), "CachedAttention", "head size 1100 is wider than the compiled kernel's limit of 1024"},
        {sdpa, "Attention", "head size 600 is wider than the compiled kernel's limit of 512"},
        {g_wkv(1, 2, 1, 1100, 0, false), "WKV6", "head size 1100 is wider than the compiled kernel's limit of 1024"},
    };
    for (int i = 0; i < 3; i++) {
        odin_graph *g = cases[i].g;
        CHECK(!g->error, "%s: build failed", cases[i].op);
        char node[160];
        snprintf(node, sizeof node, "node '%s' (%s)", g->nodes[g->n_nodes - 1].name, cases[i].op);
        odin_compile_options co = odin_compile_defaults();
        co.allow_fallback = false;
        odin_program *p = NULL;
        odin_status st = odin_program_compile(g, &co, &p);
        const char *msg = st ? odin_status_message(st) : "(compiled)";
        CHECK(st && strstr(msg, node) && strstr(msg, cases[i].want), "%s: '%s' lacks '%s' or '%s'",
              cases[i].op, msg, node, cases[i].want);
        odin_status_free(st);
        odin_program_free(p);
        co.allow_fallback = true; /* the JIT: compiles, the node on its eval */
        st = odin_program_compile(g, &co, &p);
        CHECK(!st && p && odin_program_fallback_count(p) == 1, "%s: JIT with fallback: %s", cases[i].op,
              st ? odin_status_message(st) : "no fallback");
        odin_status_free(st);
        odin_program_free(p);
        odin_graph_free(g);
    }
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/odin_lm_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_eval_matches_torch);
    RUN(test_lower_tokenshift_posids);
    RUN(test_lower_wkv6);
    RUN(test_lower_rope);
    RUN(test_lower_attention);
    RUN(test_wkv6_chunked_equals_steps);
    RUN(test_state_in_place);
    RUN(test_attention_runtime_pos);
    RUN(test_errors);
    RUN(test_wide_heads);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    TEST_DONE();
}
