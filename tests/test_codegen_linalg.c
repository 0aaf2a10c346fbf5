/* Compiled MatMul, Gemm, Conv and pools against the reference interpreter on random
 * inputs (odd sizes for every tail), plus the ONNX backend node tests of these ops run
 * through the JIT. `--bench` instead reports single-thread MatMul GFLOP/s. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../codegen/compile.h"
#include "../frontend/onnx.h"
#include "../ir/builder.h"
#include "../frontend/onnx_tensor.h"
#include "../ops/interpret.h"
#include "../passes/pass.h"
#include "../runtime/compare.h"
#include "../runtime/rng.h"
#include "../runtime/threads.h"
#include "codegen_check.h"

/* Check a one-op graph (shared harness, tests/codegen_check.h): compiled (no fallback
 * unless expect_compiled is false) and within 1e-4 of the reference interpreter. */
static void check_linalg(odin_graph *g, const char *what, bool expect_compiled) {
    odin_status st = odin_graph_take_error(g);
    CHECK(!st, "%s: build: %s", what, odin_status_message(st));
    odin_status_free(st);
    if (st) return;
    check_opts o = check_defaults();
    o.tol = 1e-4;
    o.allow_fallback = !expect_compiled;
    double err = check_graph(g, what, &o, NULL);
    CHECK(err <= o.tol, "%s: max rel err %g", what, err);
}

/* A rewriting pass on g: the reference outputs of the graph as built must match both the
 * rewritten graph's interpreter (the new op's eval) and its compiled form, and the rewrite
 * must have made an `expect_op` node. full_o2 runs the whole -O2 pipeline, else only the
 * weight-packing pass (passes/pack.c) and DCE. Takes ownership of g. */
static void check_rewritten(odin_graph *g, const char *what, bool full_o2, const char *expect_op) {
    check_opts o = check_defaults();
    o.tol = 1e-4;
    odin_value in[4], ref[4], pref[4];
    check_fill(g, in, &o);
    odin_status st = odin_interpret(g, in, g->n_inputs, ref);
    CHECK(!st, "%s: interpret: %s", what, odin_status_message(st));
    odin_status_free(st);
    if (st) goto done_in;
    bool changed = false, dch = false;
    if (full_o2) {
        st = odin_run_passes(g, NULL);
        changed = true;
    } else {
        st = odin_pass_pack(g, &changed);
        if (!st) st = odin_pass_dce(g, &dch);
    }
    CHECK(!st && changed, "%s: passes: %s", what, st ? odin_status_message(st) : "no change");
    odin_status_free(st);
    if (st || !changed) goto done_ref;
    bool found = false;
    for (int i = 0; i < g->n_nodes; i++) found |= !strcmp(g->nodes[i].op, expect_op);
    CHECK(found && g->n_nodes == 1, "%s: %d nodes, first %s, expected one %s", what, g->n_nodes,
          g->n_nodes ? g->nodes[0].op : "-", expect_op);
    st = odin_interpret(g, in, g->n_inputs, pref);
    CHECK(!st, "%s: packed interpret: %s", what, odin_status_message(st));
    odin_status_free(st);
    if (!st) {
        int64_t n = odin_value_numel(&ref[0]);
        double worst = 0;
        for (int64_t k = 0; k < n; k++) {
            double a = ((float *)pref[0].data)[k], b = ((float *)ref[0].data)[k];
            double e = fabs(a - b) / (1 + fabs(b));
            if (e > worst) worst = e;
        }
        CHECK(worst <= o.tol, "%s: packed eval err %g", what, worst);
        odin_values_free(pref, 1);
    }
    odin_program *p = NULL;
    odin_compile_options co = odin_compile_defaults();
    st = odin_program_compile(g, &co, &p);
    CHECK(!st, "%s: compile packed: %s", what, odin_status_message(st));
    odin_status_free(st);
    if (!st) {
        void *ins[4], *outs[1];
        for (int i = 0; i < g->n_inputs; i++) ins[i] = in[i].data;
        int64_t n = odin_value_numel(&ref[0]);
        float *got = calloc((size_t)n + 1, sizeof *got);
        outs[0] = got;
        st = odin_program_run(p, ins, outs);
        CHECK(!st, "%s: run packed: %s", what, odin_status_message(st));
        odin_status_free(st);
        double worst = 0;
        for (int64_t k = 0; !st && k < n; k++) {
            double b = ((float *)ref[0].data)[k], e = fabs(got[k] - b) / (1 + fabs(b));
            if (!(e <= worst)) worst = e;
        }
        CHECK(worst <= o.tol, "%s: packed jit err %g", what, worst);
        CHECK(odin_program_fallback_count(p) == 0, "%s: rewritten kernel fell back", what);
        free(got);
        odin_program_free(p);
    }
done_ref:
    odin_values_free(ref, g->n_outputs);
done_in:
    odin_values_free(in, g->n_inputs);
    odin_graph_free(g);
}

/* ---- MatMul / Gemm ---- */

static odin_graph *matmul_graph(int ra, const int64_t *da, int rb, const int64_t *db, bool b_const) {
    odin_graph *g = odin_graph_new("mm");
    int a = odin_input(g, "a", ODIN_F32, ra, da);
    int b;
    if (b_const) {
        int64_t n = 1;
        for (int i = 0; i < rb; i++) n *= db[i];
        float *w = malloc(n * sizeof *w);
        odin_rng r;
        odin_rng_seed(&r, 5);
        for (int64_t i = 0; i < n; i++) w[i] = 2 * odin_rng_uniform(&r) - 1;
        b = odin_constant_f32(g, "b", rb, db, w);
        free(w);
    } else {
        b = odin_input(g, "b", ODIN_F32, rb, db);
    }
    int ins[2] = {a, b};
    odin_output(g, odin_build(g, "MatMul", ins, 2, NULL, 0, 1, NULL), "y");
    return g;
}

static void matmul_case(int ra, const int64_t *da, int rb, const int64_t *db, bool b_const) {
    odin_graph *g = matmul_graph(ra, da, rb, db, b_const);
    char sa[64], sb[64], what[160];
    odin_format_shape(sa, sizeof sa, ra, da, NULL);
    odin_format_shape(sb, sizeof sb, rb, db, NULL);
    snprintf(what, sizeof what, "MatMul %s x %s%s", sa, sb, b_const ? " (const B)" : "");
    check_linalg(g, what, true);
    odin_graph_free(g);
    /* a constant 2-D B (N >= 2) is what the packing pass rewrites */
    if (b_const && rb == 2 && db[1] >= 2) {
        snprintf(what + strlen(what), sizeof what - strlen(what), " packed");
        check_rewritten(matmul_graph(ra, da, rb, db, true), what, false, "PackedMatMul");
    }
}

static void test_matmul_2d(void) {
    const int64_t sizes[] = {1, 3, 17, 65, 130};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            for (int k = 0; k < 5; k++) {
                int64_t da[2] = {sizes[i], sizes[k]}, db[2] = {sizes[k], sizes[j]};
                matmul_case(2, da, 2, db, (i + j + k) % 2 == 0);
            }
    const int64_t big[][3] = {{257, 3, 17}, {3, 257, 65}, {17, 65, 257}, {257, 257, 257}};
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 2; c++) {
            int64_t da[2] = {big[i][0], big[i][2]}, db[2] = {big[i][2], big[i][1]};
            matmul_case(2, da, 2, db, c);
        }
    /* several k blocks and column chunks */
    int64_t da[2] = {37, 700}, db[2] = {700, 333};
    matmul_case(2, da, 2, db, false);
    int64_t da2[2] = {1, 1000}, db2[2] = {1000, 517};
    matmul_case(2, da2, 2, db2, true);
    int64_t da3[2] = {37, 700}, db3[2] = {700, 333}; /* packed: several k blocks, chunks */
    matmul_case(2, da3, 2, db3, true);
}

static void test_matmul_batched(void) {
    int64_t a3[3] = {4, 17, 33}, b3[3] = {4, 33, 19};
    matmul_case(3, a3, 3, b3, false);
    int64_t b2[2] = {33, 19}; /* B broadcast over the batch */
    matmul_case(3, a3, 2, b2, true);
    int64_t a4[4] = {2, 1, 5, 7}, b4[4] = {1, 3, 7, 6}; /* both broadcast */
    matmul_case(4, a4, 4, b4, false);
    int64_t a2[2] = {5, 7}, b5[3] = {3, 7, 18}; /* A broadcast */
    matmul_case(2, a2, 3, b5, false);
    int64_t v[1] = {33}, m[2] = {33, 21}, m2[2] = {9, 33}, bt[3] = {2, 33, 40};
    matmul_case(1, v, 2, m, false);  /* 1-D A */
    matmul_case(2, m2, 1, v, false); /* 1-D B */
    matmul_case(1, v, 1, v, false);  /* dot */
    matmul_case(1, v, 3, bt, false); /* 1-D A, batched B */
    int64_t a1[3] = {3, 1, 40}, b1[2] = {40, 70}; /* decode: M = 1 per batch */
    matmul_case(3, a1, 2, b1, true);
}

static odin_graph *gemm_graph(int64_t M, int64_t N, int64_t K, bool ta, bool tb, float alpha,
                              float beta, int c_rank, const int64_t *c_dims, bool b_const) {
    odin_graph *g = odin_graph_new("gemm");
    int64_t da[2] = {ta ? K : M, ta ? M : K}, db[2] = {tb ? N : K, tb ? K : N};
    int b;
    if (b_const) {
        float *w = malloc((size_t)(N * K) * sizeof *w);
        odin_rng r;
        odin_rng_seed(&r, 7);
        for (int64_t i = 0; i < N * K; i++) w[i] = 2 * odin_rng_uniform(&r) - 1;
        b = odin_constant_f32(g, "b", 2, db, w);
        free(w);
    } else {
        b = odin_input(g, "b", ODIN_F32, 2, db);
    }
    int ins[3] = {odin_input(g, "a", ODIN_F32, 2, da), b, -1};
    int n_in = 2;
    if (c_rank >= 0) {
        ins[2] = odin_input(g, "c", ODIN_F32, c_rank, c_dims);
        n_in = 3;
    }
    odin_attr at[4] = {ODIN_ATTR_I("transA", ta), ODIN_ATTR_I("transB", tb),
                       ODIN_ATTR_F("alpha", alpha), ODIN_ATTR_F("beta", beta)};
    odin_output(g, odin_build(g, "Gemm", ins, n_in, at, 4, 1, NULL), "y");
    return g;
}

static void gemm_case(int64_t M, int64_t N, int64_t K, bool ta, bool tb, float alpha, float beta,
                      int c_rank, const int64_t *c_dims) {
    odin_graph *g = gemm_graph(M, N, K, ta, tb, alpha, beta, c_rank, c_dims, false);
    char what[160];
    snprintf(what, sizeof what, "Gemm M=%lld N=%lld K=%lld tA=%d tB=%d a=%g b=%g C rank %d",
             (long long)M, (long long)N, (long long)K, ta, tb, alpha, beta, c_rank);
    check_linalg(g, what, true);
    odin_graph_free(g);
    if (N >= 2 && c_rank != 0 && (c_rank < 0 || beta != 1.0f)) {
        snprintf(what + strlen(what), sizeof what - strlen(what), " packed");
        check_rewritten(gemm_graph(M, N, K, ta, tb, alpha, beta, c_rank, c_dims, true), what, false, "PackedMatMul");
    }
}

static void test_gemm(void) {
    const int64_t sizes[][3] = {{1, 17, 65}, {3, 65, 17}, {17, 130, 3}, {65, 1, 33},
                                {130, 33, 130}, {1, 1, 5}, {7, 40, 300}, {64, 257, 784},
                                {1, 2304, 257}, {257, 10, 3}};
    for (int s = 0; s < 10; s++) {
        int64_t M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
        for (int f = 0; f < 4; f++) {
            bool ta = f & 1, tb = f & 2;
            int64_t cm[2] = {M, N}, crow[2] = {1, N}, ccol[2] = {M, 1}, cv[1] = {N}, c1[1] = {1};
            gemm_case(M, N, K, ta, tb, 1.0f, 1.0f, -1, NULL);
            gemm_case(M, N, K, ta, tb, 0.5f, -2.0f, 2, cm);
            gemm_case(M, N, K, ta, tb, 1.0f, 1.0f, 2, crow);
            gemm_case(M, N, K, ta, tb, 2.0f, 0.25f, 2, ccol);
            gemm_case(M, N, K, ta, tb, 1.0f, 1.0f, 1, cv);
            gemm_case(M, N, K, ta, tb, 1.0f, 3.0f, 1, c1);
            gemm_case(M, N, K, ta, tb, 1.0f, 1.0f, 0, NULL);
        }
    }
}

/* Non-f32 MatMul stays on the eval fallback and still agrees. */
static void test_matmul_other_dtype(void) {
    odin_graph *g = odin_graph_new("mm64");
    int64_t da[2] = {3, 4}, db[2] = {4, 5};
    int ins[2] = {odin_input(g, "a", ODIN_F64, 2, da), odin_input(g, "b", ODIN_F64, 2, db)};
    odin_output(g, odin_build(g, "MatMul", ins, 2, NULL, 0, 1, NULL), "y");
    check_opts o = check_defaults();
    o.tol = 1e-12, o.allow_fallback = true;
    int fb = -1;
    double err = check_graph(g, "f64 MatMul", &o, &fb);
    CHECK(err <= o.tol, "f64 MatMul err %g", err);
    CHECK(fb == 1, "f64 MatMul: %d fallbacks, expected 1", fb);
    odin_graph_free(g);
}


/* ---- Conv ---- */

typedef struct conv_case {
    int nsp;
    int64_t n, c, m, group;
    int64_t in[3], k[3], stride[3], dil[3], pads[6];
    const char *auto_pad;
    bool bias, w_const;
} conv_case;

/* The Conv of cc; its description into what. */
static odin_graph *conv_graph(const conv_case *cc, char *what, size_t what_size) {
    odin_graph *g = odin_graph_new("conv");
    int r = cc->nsp + 2;
    int64_t xd[5] = {cc->n, cc->c}, wd[5] = {cc->m, cc->c / cc->group}, bd[1] = {cc->m};
    for (int i = 0; i < cc->nsp; i++) {
        xd[2 + i] = cc->in[i];
        wd[2 + i] = cc->k[i];
    }
    int ins[3] = {odin_input(g, "x", ODIN_F32, r, xd), -1, -1};
    if (cc->w_const) {
        int64_t nw = 1;
        for (int i = 0; i < r; i++) nw *= wd[i];
        float *w = malloc(nw * sizeof *w);
        odin_rng rg;
        odin_rng_seed(&rg, 9);
        for (int64_t i = 0; i < nw; i++) w[i] = 2 * odin_rng_uniform(&rg) - 1;
        ins[1] = odin_constant_f32(g, "w", r, wd, w);
        free(w);
    } else {
        ins[1] = odin_input(g, "w", ODIN_F32, r, wd);
    }
    if (cc->bias) ins[2] = odin_input(g, "b", ODIN_F32, 1, bd);
    int64_t strides[3], dils[3], pads[6];
    for (int i = 0; i < cc->nsp; i++) {
        strides[i] = cc->stride[i] ? cc->stride[i] : 1;
        dils[i] = cc->dil[i] ? cc->dil[i] : 1;
        pads[i] = cc->pads[i];
        pads[cc->nsp + i] = cc->pads[3 + i];
    }
    odin_attr at[5] = {ODIN_ATTR_I("group", cc->group), ODIN_ATTR_INTS("strides", strides, cc->nsp),
                       ODIN_ATTR_INTS("dilations", dils, cc->nsp),
                       ODIN_ATTR_INTS("pads", pads, 2 * cc->nsp),
                       ODIN_ATTR_S("auto_pad", cc->auto_pad ? cc->auto_pad : "NOTSET")};
    odin_output(g, odin_build(g, "Conv", ins, cc->bias ? 3 : 2, at, cc->auto_pad ? 5 : 4, 1, NULL), "y");
    char sx[64], sw[64];
    odin_format_shape(sx, sizeof sx, r, xd, NULL);
    odin_format_shape(sw, sizeof sw, r, wd, NULL);
    snprintf(what, what_size, "Conv x%s w%s group %lld stride %lld dil %lld pad %lld,%lld %s",
             sx, sw, (long long)cc->group, (long long)strides[cc->nsp - 1],
             (long long)dils[cc->nsp - 1], (long long)cc->pads[0], (long long)cc->pads[3],
             cc->auto_pad ? cc->auto_pad : "");
    return g;
}

static void run_conv(const conv_case *cc) {
    char what[200];
    odin_graph *g = conv_graph(cc, what, sizeof what);
    check_linalg(g, what, true);
    odin_graph_free(g);
}

/* Constant conv weights packed into row panels (passes/pack.c): the packed FusedConv's
 * eval and compiled kernel against the Conv as built. Output channels per group that are
 * no multiple of the panel height (zero rows), groups, strides, dilations, pads, 1x1,
 * 1-D and 3-D. */
static void test_conv_packed(void) {
    const conv_case cases[] = {
        {2, 1, 3, 8, 1, {17, 19}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 2, 5, 17, 1, {13, 11}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 0, 1, 1}, NULL, false, true},
        {2, 1, 4, 7, 1, {16, 15}, {3, 2}, {1, 2}, {2, 1}, {2, 0, 0, 1, 3}, NULL, true, true},
        {2, 2, 16, 33, 1, {9, 10}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, true, true},
        {2, 1, 16, 65, 1, {7, 7}, {1, 1}, {2, 2}, {1, 1}, {0}, NULL, true, true},
        {2, 1, 64, 130, 1, {12, 12}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 1, 3, 6, 1, {20, 20}, {5, 5}, {1, 1}, {1, 1}, {0}, "SAME_UPPER", true, true},
        {2, 2, 8, 12, 4, {11, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 1, 12, 36, 3, {9, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1, 1, 1}, NULL, false, true},
        {2, 1, 320, 9, 1, {7, 7}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, true, true},
        {2, 1, 32, 1, 1, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true}, /* M = 1 */
        {1, 2, 5, 9, 1, {67}, {3}, {1}, {1}, {1, 0, 0, 1}, NULL, true, true},
        {3, 1, 3, 5, 1, {6, 7, 8}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1, 1, 1, 1}, NULL, true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char what[240];
        odin_graph *g = conv_graph(&cases[i], what, sizeof what - 16);
        strcat(what, " packed W");
        check_rewritten(g, what, false, "FusedConv");
    }
}

static void test_conv(void) {
    const conv_case cases[] = {
        /* 2-D: 3x3 pad 1, stride 2, dilation 2, asymmetric pads, 1x1 (GEMM), odd channels */
        {2, 1, 3, 8, 1, {17, 19}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 2, 5, 17, 1, {13, 11}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 0, 1, 1}, NULL, false, false},
        {2, 1, 4, 7, 1, {16, 15}, {3, 2}, {1, 2}, {2, 1}, {2, 0, 0, 1, 3}, NULL, true, false},
        {2, 2, 16, 33, 1, {9, 10}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, true, true},
        {2, 1, 16, 65, 1, {7, 7}, {1, 1}, {2, 2}, {1, 1}, {0}, NULL, true, true},
        {2, 1, 64, 130, 1, {12, 12}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 1, 3, 6, 1, {20, 20}, {5, 5}, {1, 1}, {1, 1}, {0}, "SAME_UPPER", true, true},
        {2, 1, 3, 6, 1, {9, 8}, {4, 4}, {2, 2}, {1, 1}, {0}, "SAME_LOWER", false, true},
        /* groups, depthwise, channel multiplier */
        {2, 2, 8, 12, 4, {11, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 1, 32, 32, 32, {23, 21}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 2, 17, 17, 17, {14, 13}, {5, 5}, {2, 2}, {1, 1}, {2, 2, 0, 2, 2}, NULL, false, true},
        {2, 1, 6, 12, 6, {10, 10}, {3, 3}, {1, 2}, {2, 2}, {2, 2, 0, 2, 2}, NULL, true, false},
        {2, 1, 4, 4, 4, {8, 8}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 0, 0}, NULL, true, true},
        /* depthwise rows whose interior is no whole number of vectors (overlapping last
         * vector), stride 1 and 2 */
        {2, 1, 5, 5, 5, {6, 61}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 1, 3, 6, 3, {7, 45}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 2, 4, 4, 4, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, false, true},
        /* 1-D and 3-D */
        {1, 2, 5, 9, 1, {67}, {3}, {1}, {1}, {1, 0, 0, 1}, NULL, true, true},
        {1, 1, 4, 6, 2, {40}, {5}, {3}, {2}, {2, 0, 0, 0}, NULL, false, false},
        {1, 1, 8, 8, 8, {33}, {7}, {1}, {1}, {3, 0, 0, 3}, NULL, true, true},
        {3, 1, 3, 5, 1, {6, 7, 8}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1, 1, 1, 1}, NULL, true, true},
        {3, 1, 4, 4, 4, {5, 6, 7}, {2, 3, 3}, {1, 2, 1}, {1, 1, 1}, {0, 1, 1, 1, 0, 1}, NULL, true, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_conv(&cases[i]);
}

/* Conv (constant W and bias) -> BatchNormalization -> [Add residual input] -> Relu |
 * Clip(0, 6) | nothing: -O2 folds BN into the conv and fuses the rest into one FusedConv;
 * compared with the interpreter on the graph as built (tests/codegen_check.h inputs). */
static odin_graph *conv_bn_graph(const conv_case *cc, bool residual, int act) {
    odin_graph *g = odin_graph_new("conv_bn");
    int r = cc->nsp + 2;
    int64_t xd[5] = {cc->n, cc->c}, wd[5] = {cc->m, cc->c / cc->group}, cd[1] = {cc->m};
    for (int i = 0; i < cc->nsp; i++) {
        xd[2 + i] = cc->in[i];
        wd[2 + i] = cc->k[i];
    }
    int x = odin_input(g, "x", ODIN_F32, r, xd);
    int64_t nw = 1;
    for (int i = 0; i < r; i++) nw *= wd[i];
    float *w = malloc((size_t)(nw + 5 * cc->m) * sizeof *w), *v = w + nw;
    odin_rng rg;
    odin_rng_seed(&rg, 13);
    for (int64_t i = 0; i < nw + 5 * cc->m; i++) w[i] = 2 * odin_rng_uniform(&rg) - 1;
    for (int64_t i = 0; i < cc->m; i++) v[4 * cc->m + i] = 0.5f + v[4 * cc->m + i] * v[4 * cc->m + i];
    int ins[3] = {x, odin_constant_f32(g, "w", r, wd, w), odin_constant_f32(g, "b", 1, cd, v)};
    int64_t pads[6];
    for (int i = 0; i < cc->nsp; i++) {
        pads[i] = cc->pads[i];
        pads[cc->nsp + i] = cc->pads[3 + i];
    }
    odin_attr at[2] = {ODIN_ATTR_I("group", cc->group), ODIN_ATTR_INTS("pads", pads, 2 * cc->nsp)};
    int y = odin_build(g, "Conv", ins, 3, at, 2, 1, NULL);
    int bn_in[5] = {y, odin_constant_f32(g, "scale", 1, cd, v + cc->m),
                    odin_constant_f32(g, "shift", 1, cd, v + 2 * cc->m),
                    odin_constant_f32(g, "mean", 1, cd, v + 3 * cc->m),
                    odin_constant_f32(g, "var", 1, cd, v + 4 * cc->m)};
    odin_attr eps[1] = {ODIN_ATTR_F("epsilon", 1e-3f)};
    y = odin_build(g, "BatchNormalization", bn_in, 5, eps, 1, 1, NULL);
    free(w);
    if (residual) {
        int64_t yd[5];
        const odin_tensor *t = &g->tensors[y];
        for (int i = 0; i < t->rank; i++) yd[i] = t->dims[i];
        int add_in[2] = {odin_input(g, "r", ODIN_F32, t->rank, yd), y};
        y = odin_build(g, "Add", add_in, 2, NULL, 0, 1, NULL);
    }
    if (act == 1) {
        y = odin_build(g, "Relu", &y, 1, NULL, 0, 1, NULL);
    } else if (act == 2) {
        float lo = 0.0f, hi = 6.0f;
        int clip_in[3] = {y, odin_constant_f32(g, "lo", 0, NULL, &lo), odin_constant_f32(g, "hi", 0, NULL, &hi)};
        y = odin_build(g, "Clip", clip_in, 3, NULL, 0, 1, NULL);
    }
    odin_output(g, y, "y");
    return g;
}

static void test_conv_fused(void) {
    const conv_case cases[] = {
        {2, 1, 8, 12, 1, {13, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true},
        {2, 2, 16, 33, 1, {9, 10}, {1, 1}, {1, 1}, {1, 1}, {0}, NULL, true, true},      /* 1x1 */
        {2, 1, 17, 17, 17, {14, 13}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 0, 1, 1}, NULL, true, true}, /* dw */
        {1, 1, 3, 1, 1, {1}, {1}, {1}, {1}, {0}, NULL, true, true}, /* M = N = 1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int f = 0; f < 6; f++) {
            bool res = f & 1;
            int act = f >> 1;
            char what[160];
            snprintf(what, sizeof what, "Conv+BN%s%s case %zu", res ? "+Add" : "",
                     act == 1 ? "+Relu" : act == 2 ? "+Clip" : "", i);
            if (!res && !act) continue; /* nothing to fuse: BN folding alone is Conv's test */
            check_rewritten(conv_bn_graph(&cases[i], res, act), what, true, "FusedConv");
        }
}

/* ---- GEMM epilogue (passes/fuse_gemm.c) ---- */

/* x [rows] x constant W [K,N] (MatMul, or Gemm with a bias), then + r and/or Relu / Clip:
 * one PackedMatMul after -O2. */
static odin_graph *gemm_epilogue_graph(int rank, const int64_t *xd, int64_t N, bool gemm,
                                       bool res, int act) {
    odin_graph *g = odin_graph_new("gemm_epilogue");
    int64_t K = xd[rank - 1], wd[2] = {K, N}, bd[1] = {N}, yd[ODIN_MAX_RANK];
    memcpy(yd, xd, sizeof(int64_t) * (size_t)rank);
    yd[rank - 1] = N;
    int x = odin_input(g, "x", ODIN_F32, rank, xd);
    int r = res ? odin_input(g, "r", ODIN_F32, rank, yd) : -1;
    float *w = malloc(sizeof(float) * (size_t)(K * N + N));
    odin_rng rng;
    odin_rng_seed(&rng, 5);
    for (int64_t i = 0; i < K * N + N; i++) w[i] = (float)odin_rng_uniform(&rng) - 0.5f;
    int wt = odin_constant_f32(g, "w", 2, wd, w);
    int y;
    if (gemm) {
        int ins[3] = {x, wt, odin_constant_f32(g, "bias", 1, bd, w + K * N)};
        y = odin_build(g, "Gemm", ins, 3, NULL, 0, 1, NULL);
    } else {
        y = odin_matmul(g, x, wt);
    }
    free(w);
    if (res) y = odin_add(g, r, y);
    if (act == 1) y = odin_relu(g, y);
    if (act == 2) {
        int ins[3] = {y, odin_scalar_f32(g, "lo", -0.25f), odin_scalar_f32(g, "hi", 0.5f)};
        y = odin_build(g, "Clip", ins, 3, NULL, 0, 1, NULL);
    }
    odin_output(g, y, "y");
    return g;
}

static void test_gemm_epilogue(void) {
    static const int64_t shapes[][3] = {{37, 29, 0}, {1, 67, 130}, {130, 70, 0}};
    static const int ranks[] = {2, 3, 2};
    static const int64_t ns[] = {45, 99, 17};
    for (int threads = 1; threads <= 2; threads++) {
        odin_rt_set_threads(threads);
        for (int c = 0; c < 3; c++)
            for (int f = 1; f < 6; f++) {
                bool res = f & 1, gemm = c == 2;
                int act = f >> 1;
                char what[160];
                snprintf(what, sizeof what, "%s%s%s case %d, %d threads", gemm ? "Gemm" : "MatMul",
                         res ? "+Add" : "", act == 1 ? "+Relu" : act == 2 ? "+Clip" : "", c, threads);
                check_rewritten(gemm_epilogue_graph(ranks[c], shapes[c], ns[c], gemm, res, act), what,
                                true, "PackedMatMul");
            }
    }
    odin_rt_set_threads(0);
}

/* ---- pools ---- */

static void run_pool(const char *op, int nsp, const int64_t *xd, const int64_t *k, const int64_t *s,
                     const int64_t *pads, int ceil_mode, int include_pad, const int64_t *dil) {
    odin_graph *g = odin_graph_new("pool");
    int x = odin_input(g, "x", ODIN_F32, nsp + 2, xd);
    odin_attr at[6];
    int na = 0;
    at[na++] = ODIN_ATTR_INTS("kernel_shape", k, nsp);
    at[na++] = ODIN_ATTR_INTS("strides", s, nsp);
    at[na++] = ODIN_ATTR_INTS("pads", pads, 2 * nsp);
    at[na++] = ODIN_ATTR_I("ceil_mode", ceil_mode);
    if (!strcmp(op, "AveragePool")) at[na++] = ODIN_ATTR_I("count_include_pad", include_pad);
    if (dil) at[na++] = ODIN_ATTR_INTS("dilations", dil, nsp);
    odin_output(g, odin_build(g, op, &x, 1, at, na, 1, NULL), "y");
    char sx[64], what[160];
    odin_format_shape(sx, sizeof sx, nsp + 2, xd, NULL);
    snprintf(what, sizeof what, "%s x%s k%lld s%lld pad %lld ceil %d incl %d dil %lld", op, sx,
             (long long)k[0], (long long)s[0], (long long)pads[0], ceil_mode, include_pad,
             (long long)(dil ? dil[0] : 1));
    check_linalg(g, what, true);
    odin_graph_free(g);
}

static void test_pools(void) {
    const char *ops[2] = {"MaxPool", "AveragePool"};
    for (int o = 0; o < 2; o++)
        for (int incl = 0; incl < 2; incl++)
            for (int ceil = 0; ceil < 2; ceil++) {
                int64_t x2[4] = {2, 3, 17, 18}, k2[2] = {3, 3}, s2[2] = {2, 2}, p2[4] = {1, 1, 1, 0};
                run_pool(ops[o], 2, x2, k2, s2, p2, ceil, incl, NULL);
                int64_t k3[2] = {2, 3}, s1[2] = {1, 1}, p0[4] = {0, 0, 0, 0};
                run_pool(ops[o], 2, x2, k3, s1, p0, ceil, incl, NULL);
                int64_t x1[3] = {1, 4, 35}, k1[1] = {4}, s3[1] = {3}, p1[2] = {2, 1};
                run_pool(ops[o], 1, x1, k1, s3, p1, ceil, incl, NULL);
                int64_t x3[5] = {1, 2, 7, 8, 9}, k33[3] = {3, 2, 3}, s33[3] = {2, 1, 2},
                        p3[6] = {1, 0, 1, 1, 1, 0};
                run_pool(ops[o], 3, x3, k33, s33, p3, ceil, incl, NULL);
                int64_t d2[2] = {2, 2};
                run_pool(ops[o], 2, x2, k2, s1, p2, ceil, incl, d2);
                if (o == 0) break; /* count_include_pad is AveragePool's */
            }
    const char *gops[2] = {"GlobalAveragePool", "GlobalMaxPool"};
    for (int o = 0; o < 2; o++) {
        int64_t shapes[3][5] = {{2, 5, 7, 9, 0}, {1, 3, 300, 0, 0}, {2, 2, 3, 4, 5}};
        int ranks[3] = {4, 3, 5};
        for (int i = 0; i < 3; i++) {
            odin_graph *g = odin_graph_new("gpool");
            int x = odin_input(g, "x", ODIN_F32, ranks[i], shapes[i]);
            odin_output(g, odin_build(g, gops[o], &x, 1, NULL, 0, 1, NULL), "y");
            char what[64];
            snprintf(what, sizeof what, "%s rank %d", gops[o], ranks[i]);
            check_linalg(g, what, true);
            odin_graph_free(g);
        }
    }
}

/* ---- ONNX backend node tests of these ops through the JIT ---- */

#define NODE_DIR "/usr/share/libonnx-testdata/data/node"

static bool wanted_test(const char *name) {
    const char *prefixes[] = {"test_matmul_", "test_gemm_", "test_conv_", "test_basic_conv",
                              "test_averagepool_", "test_maxpool_", "test_globalaveragepool",
                              "test_globalmaxpool"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i]))) return true;
    return false;
}

/* Returns 1 pass, 0 fail, -1 skipped (not f32 / not importable). */
static int run_backend_test(const char *name, int *compiled) {
    char path[512];
    snprintf(path, sizeof path, NODE_DIR "/%s/model.onnx", name);
    odin_graph *g = NULL;
    odin_status st = odin_onnx_import_file(path, &g);
    if (st) {
        odin_status_free(st);
        return -1;
    }
    odin_value in[8], exp[8], got[8];
    int n_in = 0, n_exp = 0, result = 1;
    for (; n_in < g->n_inputs && n_in < 8; n_in++) {
        snprintf(path, sizeof path, NODE_DIR "/%s/test_data_set_0/input_%d.pb", name, n_in);
        if ((st = odin_pb_read_tensor(path, &in[n_in], NULL))) break;
    }
    for (; !st && n_exp < g->n_outputs && n_exp < 8; n_exp++) {
        snprintf(path, sizeof path, NODE_DIR "/%s/test_data_set_0/output_%d.pb", name, n_exp);
        if ((st = odin_pb_read_tensor(path, &exp[n_exp], NULL))) break;
    }
    odin_program *p = NULL;
    odin_compile_options o = odin_compile_defaults();
    if (!st) st = odin_program_compile(g, &o, &p);
    if (!st) {
        void *ins[8], *outs[8];
        for (int i = 0; i < n_in; i++) ins[i] = in[i].data;
        for (int i = 0; i < n_exp; i++) {
            got[i] = exp[i];
            got[i].data = calloc(1, odin_value_nbytes(&exp[i]) + 1);
            outs[i] = got[i].data;
        }
        st = odin_program_run(p, ins, outs);
        for (int i = 0; !st && i < n_exp; i++) {
            odin_compare_result r;
            if (!odin_value_compare(&got[i], &exp[i], 1e-4, 1e-5, &r)) {
                fprintf(stderr, "  %s output %d: %s\n", name, i, r.message);
                result = 0;
            }
        }
        *compiled = odin_program_fallback_count(p) == 0;
        for (int i = 0; i < n_exp; i++) free(got[i].data);
    }
    if (st) {
        fprintf(stderr, "  %s: %s\n", name, odin_status_message(st));
        odin_status_free(st);
        result = 0;
    }
    odin_program_free(p);
    for (int i = 0; i < n_in; i++) odin_onnx_value_free(&in[i]);
    for (int i = 0; i < n_exp; i++) odin_onnx_value_free(&exp[i]);
    odin_graph_free(g);
    return result;
}

static void test_onnx_backend(void) {
    DIR *d = opendir(NODE_DIR);
    if (!d) {
        printf("  (no %s: skipped)\n", NODE_DIR);
        return;
    }
    int pass = 0, fail = 0, compiled = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!wanted_test(e->d_name)) continue;
        int comp = 0, r = run_backend_test(e->d_name, &comp);
        if (r < 0) continue;
        if (r) pass++;
        else fail++;
        compiled += comp;
        CHECK(r == 1, "%s", e->d_name);
    }
    closedir(d);
    printf("  onnx backend tests: %d passed, %d failed, %d fully compiled\n", pass, fail, compiled);
    CHECK(pass > 40, "only %d backend tests ran", pass);
}

/* ---- benchmark ---- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void bench_matmul(int64_t M, int64_t K, int64_t N, bool b_const) {
    odin_graph *g = odin_graph_new("bench");
    int64_t da[2] = {M, K}, db[2] = {K, N};
    int a = odin_input(g, "a", ODIN_F32, 2, da);
    float *w = calloc(K * N, sizeof *w);
    for (int64_t i = 0; i < K * N; i++) w[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    int b = b_const ? odin_constant_f32(g, "b", 2, db, w) : odin_input(g, "b", ODIN_F32, 2, db);
    int ins[2] = {a, b};
    odin_output(g, odin_build(g, "MatMul", ins, 2, NULL, 0, 1, NULL), "y");
    odin_program *p = NULL;
    odin_compile_options o = odin_compile_defaults();
    odin_status st = odin_program_compile(g, &o, &p);
    if (st) {
        printf("compile: %s\n", odin_status_message(st));
        odin_status_free(st);
        odin_graph_free(g);
        free(w);
        return;
    }
    float *x = calloc(M * K, sizeof *x), *y = calloc(M * N, sizeof *y);
    for (int64_t i = 0; i < M * K; i++) x[i] = (float)(i % 13) * 0.1f;
    void *ins_p[2] = {x, w}, *outs[1] = {y};
    odin_program_run(p, ins_p, outs);
    double flops = 2.0 * M * N * K, best = 1e30;
    int reps = (int)(2e9 / flops) + 3;
    for (int r = 0; r < 5; r++) {
        double t0 = now_s();
        for (int i = 0; i < reps; i++) odin_program_run(p, ins_p, outs);
        double t = (now_s() - t0) / reps;
        if (t < best) best = t;
    }
    printf("MatMul %4lldx%4lldx%4lld%s: %8.3f ms  %7.1f GFLOP/s\n", (long long)M, (long long)K,
           (long long)N, b_const ? " (const B)" : "          ", best * 1e3, flops / best * 1e-9);
    odin_program_free(p);
    odin_graph_free(g);
    free(w);
    free(x);
    free(y);
}

static int run_bench(int threads) {
    odin_rt_set_threads(threads);
    printf("threads: %d\n", odin_rt_threads());
    bench_matmul(512, 512, 512, false);
    bench_matmul(128, 768, 768, false);
    bench_matmul(128, 768, 768, true);
    bench_matmul(1, 768, 2304, false);
    bench_matmul(1, 768, 2304, true);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--bench")) return run_bench(argc > 2 ? atoi(argv[2]) : 1);
    RUN(test_matmul_2d);
    RUN(test_matmul_batched);
    RUN(test_gemm);
    RUN(test_matmul_other_dtype);
    RUN(test_conv);
    RUN(test_conv_fused);
    RUN(test_conv_packed);
    RUN(test_gemm_epilogue);
    RUN(test_pools);
    RUN(test_onnx_backend);
    TEST_DONE();
}
