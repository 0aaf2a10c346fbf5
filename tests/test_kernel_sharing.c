/* Kernel sharing in the JIT: groups whose generated code is equal (repeated layers) call
 * one kernel function, so a model compiles fewer kernels than it has groups, and still
 * matches the reference interpreter; groups that differ only in a constant a lowering
 * bakes into code (Slice bounds, folded BatchNormalization parameters) are not shared. */
#include "../models/models.h"
#include "codegen_check.h"

/* Groups of g's plan and kernel functions of its compiled program (-1 on failure). */
static void counts(const odin_graph *g, int *groups, int *kernels) {
    *groups = *kernels = -1;
    odin_compile_options co = odin_compile_defaults();
    odin_program *p = NULL;
    odin_status st = odin_program_compile(g, &co, &p);
    CHECK(!st, "compile: %s", odin_status_message(st));
    odin_status_free(st);
    if (!p) return;
    *groups = odin_program_plan(p)->n_groups;
    *kernels = odin_program_kernel_count(p);
    odin_program_free(p);
}

static void fill(float *v, int64_t n, uint64_t seed) {
    odin_rng r;
    odin_rng_seed(&r, seed);
    for (int64_t i = 0; i < n; i++) v[i] = (float)(odin_rng_uniform(&r) - 0.5);
}

/* L layers of y = LayerNorm(Relu(x W_l + b_l)), each with its own weights. */
static odin_graph *dense_stack(int layers) {
    enum { T = 6, C = 40 };
    odin_graph *g = odin_graph_new("stack");
    int64_t xd[2] = {T, C}, wd[2] = {C, C}, vd[1] = {C};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    float w[C * C], v[C];
    for (int l = 0; l < layers; l++) {
        char name[32];
        fill(w, C * C, 100 + (uint64_t)l);
        snprintf(name, sizeof name, "w%d", l);
        int wt = odin_constant_f32(g, name, 2, wd, w);
        fill(v, C, 200 + (uint64_t)l);
        snprintf(name, sizeof name, "b%d", l);
        int bt = odin_constant_f32(g, name, 1, vd, v);
        fill(v, C, 300 + (uint64_t)l);
        snprintf(name, sizeof name, "s%d", l);
        int st = odin_constant_f32(g, name, 1, vd, v);
        x = odin_layernorm(g, odin_relu(g, odin_add(g, odin_matmul(g, x, wt), bt)), st, bt, -1, 1e-5f);
    }
    odin_output(g, x, "y");
    return g;
}

static void test_repeated_layers(void) {
    odin_graph *g = dense_stack(4);
    int groups, kernels;
    counts(g, &groups, &kernels);
    /* four equal layers: at most the first layer's kernels plus one per layer boundary
     * effect; in any case far fewer than the groups */
    CHECK(kernels > 0 && 2 * kernels <= groups, "%d kernels for %d groups", kernels, groups);
    printf("  stack of 4: %d groups, %d kernels\n", groups, kernels);
    check_opts o = check_defaults();
    o.tol = 1e-4;
    CHECK_GRAPH(g, o, "stack of 4 layers");
}

static void test_gpt2_layers(void) {
    const char *set[] = {"vocab=97", "n_embd=32", "n_head=4", "n_layer=3", "seq=7", "n_ctx=16"};
    odin_graph *g = NULL;
    CHECK_OK(odin_model_build("gpt2", set, 6, &g));
    if (!g) return;
    int groups, kernels;
    counts(g, &groups, &kernels);
    CHECK(kernels > 0 && kernels < groups, "%d kernels for %d groups", kernels, groups);
    printf("  gpt2, 3 layers: %d groups, %d kernels\n", groups, kernels);
    check_opts o = check_defaults();
    o.int_lo = 0, o.int_hi = 97, o.tol = 1e-4;
    CHECK_GRAPH(g, o, "gpt2 3 layers");
}

/* Two Slices of one input with equal shapes but different starts: the bounds are
 * literals in the code, so the kernels differ (a shared one would copy the same
 * columns twice and the second output would not match the interpreter). */
static void test_slice_bounds_not_shared(void) {
    odin_graph *g = odin_graph_new("slices");
    int64_t xd[2] = {5, 24};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    int64_t s0 = 0, e0 = 9, s1 = 7, e1 = 16, ax = 1;
    odin_output(g, odin_slice(g, x, 1, &s0, &e0, &ax, NULL), "a");
    odin_output(g, odin_slice(g, x, 1, &s1, &e1, &ax, NULL), "b");
    int groups, kernels;
    counts(g, &groups, &kernels);
    CHECK(groups == 2 && kernels == 2, "%d kernels for %d groups", kernels, groups);
    check_opts o = check_defaults();
    CHECK_GRAPH(g, o, "two slices");
}

/* Two BatchNormalizations of one input whose constant parameters differ only in value:
 * the lowering folds them into constant tables of the code. */
static void test_folded_constants_not_shared(void) {
    enum { CH = 6 };
    odin_graph *g = odin_graph_new("bns");
    int64_t xd[4] = {2, CH, 5, 7}, pd[1] = {CH};
    int x = odin_input(g, "x", ODIN_F32, 4, xd);
    for (int k = 0; k < 2; k++) {
        float p[4][CH];
        for (int i = 0; i < 4; i++) fill(p[i], CH, 10 * (uint64_t)k + (uint64_t)i);
        for (int c = 0; c < CH; c++) p[3][c] += 1.0f; /* variance > 0 */
        int ins[5] = {x};
        for (int i = 0; i < 4; i++) {
            char name[16];
            snprintf(name, sizeof name, "p%d_%d", k, i);
            ins[1 + i] = odin_constant_f32(g, name, 1, pd, p[i]);
        }
        odin_output(g, odin_build(g, "BatchNormalization", ins, 5, NULL, 0, 1, NULL), k ? "b" : "a");
    }
    int groups, kernels;
    counts(g, &groups, &kernels);
    CHECK(groups == 2 && kernels == 2, "%d kernels for %d groups", kernels, groups);
    check_opts o = check_defaults();
    o.tol = 1e-5;
    CHECK_GRAPH(g, o, "two batchnorms");
}

/* The same BatchNormalization parameters twice: the folded tables are equal, so one
 * kernel serves both. */
static void test_equal_constants_shared(void) {
    enum { CH = 6 };
    odin_graph *g = odin_graph_new("bns");
    int64_t xd[4] = {2, CH, 5, 7}, pd[1] = {CH};
    int x = odin_input(g, "x", ODIN_F32, 4, xd);
    float p[4][CH];
    for (int i = 0; i < 4; i++) fill(p[i], CH, 50 + (uint64_t)i);
    for (int c = 0; c < CH; c++) p[3][c] += 1.0f;
    int y = x;
    for (int k = 0; k < 2; k++) {
        int ins[5] = {y};
        for (int i = 0; i < 4; i++) {
            char name[16];
            snprintf(name, sizeof name, "p%d_%d", k, i);
            ins[1 + i] = odin_constant_f32(g, name, 1, pd, p[i]);
        }
        y = odin_build(g, "BatchNormalization", ins, 5, NULL, 0, 1, NULL);
    }
    odin_output(g, y, "y");
    int groups, kernels;
    counts(g, &groups, &kernels);
    CHECK(groups == 2 && kernels == 1, "%d kernels for %d groups", kernels, groups);
    check_opts o = check_defaults();
    o.tol = 1e-5;
    CHECK_GRAPH(g, o, "two equal batchnorms");
}

/* Eval fallbacks of different ops with the same tensor layout are one kernel: the node
 * index is a parameter, so each call still runs its own node's eval. Ops without a
 * lowering today (checked through the fallback count, as lowerings keep landing). */
static void test_fallbacks_shared(void) {
    odin_graph *g = odin_graph_new("fallbacks");
    int64_t xd[2] = {3, 11};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    int h = odin_mul(g, x, odin_scalar_f32(g, "half", 0.5f)); /* |h| < 1 for Asin */
    int a = odin_build(g, "Tan", &h, 1, NULL, 0, 1, NULL);
    int b = odin_build(g, "Asin", &h, 1, NULL, 0, 1, NULL);
    odin_output(g, odin_build(g, "Atan", &a, 1, NULL, 0, 1, NULL), "a");
    odin_output(g, b, "b");
    odin_compile_options co = odin_compile_defaults();
    odin_program *p = NULL;
    CHECK_OK(odin_program_compile(g, &co, &p));
    if (p) {
        int fb = odin_program_fallback_count(p), groups = odin_program_plan(p)->n_groups;
        int kernels = odin_program_kernel_count(p);
        printf("  fallbacks: %d groups, %d on the eval fallback, %d kernels\n", groups, fb, kernels);
        CHECK(kernels <= groups - (fb > 1 ? fb - 1 : 0), "%d kernels, %d groups, %d fallbacks",
              kernels, groups, fb);
        odin_program_free(p);
    }
    check_opts o = check_defaults();
    o.tol = 1e-6;
    o.allow_fallback = true;
    CHECK_GRAPH(g, o, "fallback kernels");
}

int main(void) {
    RUN(test_fallbacks_shared);
    RUN(test_repeated_layers);
    RUN(test_gpt2_layers);
    RUN(test_slice_bounds_not_shared);
    RUN(test_folded_constants_not_shared);
    RUN(test_equal_constants_shared);
    TEST_DONE();
}
