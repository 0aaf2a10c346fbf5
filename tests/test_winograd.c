/* tests/test_winograd.c — the winograd pass (passes/winograd.c): a 3x3 stride-1 Conv with
 * bias / residual Add / Relu or Clip, run through the -O2 pipeline, must match the
 * original graph's reference (ops/conv.c's direct convolution) both through the new ops'
 * evals (the interpreter on the rewritten graph) and compiled (JIT). Shapes with tile
 * remainders (odd H/W), pads 0/1/asymmetric, channel counts no multiple of anything, batch
 * 2, F(2x2) and F(4x4) (forced with ODIN_WINOGRAD=2/4), the automatic rule, and convs the
 * pass must leave alone (stride 2, dilation 2, groups, 5x5, few channels, switched off).
 * Prints the worst abs / rel error per tile size (rel = |got - ref| / (1 + |ref|)). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../passes/pass.h"
#include "../runtime/rng.h"
#include "codegen_check.h"

typedef struct wcase {
    int64_t n, c, k, h, w;
    int64_t pads[4];      /* top, left, bottom, right */
    int64_t stride, dil, group, ksize;
    bool bias, residual;
    int act;              /* 0 none, 1 Relu, 2 Clip(-0.5, 0.75) */
    const char *mode;     /* ODIN_WINOGRAD value, NULL: unset (the rule) */
    int expect_m;         /* tile size the pass must pick, 0: must not fire */
} wcase;

static double worst_abs[5], worst_rel[5];

static odin_graph *build(const wcase *wc) {
    odin_graph *g = odin_graph_new("wino");
    int64_t xd[4] = {wc->n, wc->c, wc->h, wc->w};
    int64_t wd[4] = {wc->k, wc->c / wc->group, wc->ksize, wc->ksize}, bd[1] = {wc->k};
    int x = odin_input(g, "x", ODIN_F32, 4, xd);
    int64_t nw = wd[0] * wd[1] * wd[2] * wd[3];
    float *w = malloc(sizeof(float) * (size_t)(nw + wc->k));
    odin_rng r;
    odin_rng_seed(&r, 7);
    for (int64_t i = 0; i < nw + wc->k; i++) w[i] = 2 * odin_rng_uniform(&r) - 1;
    int ins[3] = {x, odin_constant_f32(g, "w", 4, wd, w), wc->bias ? odin_constant_f32(g, "b", 1, bd, w + nw) : -1};
    free(w);
    int64_t strides[2] = {wc->stride, wc->stride}, dils[2] = {wc->dil, wc->dil};
    odin_attr at[4] = {ODIN_ATTR_INTS("pads", wc->pads, 4), ODIN_ATTR_INTS("strides", strides, 2),
                       ODIN_ATTR_INTS("dilations", dils, 2), ODIN_ATTR_I("group", wc->group)};
    int y = odin_build(g, "Conv", ins, wc->bias ? 3 : 2, at, 4, 1, NULL);
    if (wc->residual) {
        const odin_tensor *t = &g->tensors[y];
        int add_in[2] = {y, odin_input(g, "r", ODIN_F32, 4, t->dims)};
        y = odin_build(g, "Add", add_in, 2, NULL, 0, 1, NULL);
    }
    if (wc->act == 1) y = odin_build(g, "Relu", &y, 1, NULL, 0, 1, NULL);
    if (wc->act == 2) {
        float lo = -0.5f, hi = 0.75f;
        int clip_in[3] = {y, odin_constant_f32(g, "lo", 0, NULL, &lo), odin_constant_f32(g, "hi", 0, NULL, &hi)};
        y = odin_build(g, "Clip", clip_in, 3, NULL, 0, 1, NULL);
    }
    odin_output(g, y, "y");
    return g;
}

/* worst |a - b| and |a - b| / (1 + |b|) over n floats */
static void errors(const float *a, const float *b, int64_t n, double *ab, double *rel) {
    *ab = *rel = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]), e = d / (1 + fabs((double)b[i]));
        if (!(d <= *ab)) *ab = d;
        if (!(e <= *rel)) *rel = e;
    }
}

static void run_case(const wcase *wc) {
    char what[200];
    snprintf(what, sizeof what, "x[%lld,%lld,%lld,%lld] k%lld %lldx%lld pads %lld,%lld,%lld,%lld s%lld d%lld g%lld%s%s%s mode %s",
             (long long)wc->n, (long long)wc->c, (long long)wc->h, (long long)wc->w, (long long)wc->k,
             (long long)wc->ksize, (long long)wc->ksize, (long long)wc->pads[0], (long long)wc->pads[1],
             (long long)wc->pads[2], (long long)wc->pads[3], (long long)wc->stride, (long long)wc->dil,
             (long long)wc->group, wc->bias ? " +bias" : "", wc->residual ? " +res" : "",
             wc->act == 1 ? " relu" : wc->act == 2 ? " clip" : "", wc->mode ? wc->mode : "auto");
    odin_graph *g = build(wc);
    odin_status st = odin_graph_take_error(g);
    CHECK(!st, "%s: build: %s", what, odin_status_message(st));
    odin_status_free(st);
    if (st) {
        odin_graph_free(g);
        return;
    }
    check_opts o = check_defaults();
    odin_value in[2], ref[1], got[1];
    check_fill(g, in, &o);
    st = odin_interpret(g, in, g->n_inputs, ref);
    CHECK(!st, "%s: interpret: %s", what, odin_status_message(st));
    odin_status_free(st);
    if (wc->mode) setenv("ODIN_WINOGRAD", wc->mode, 1);
    else unsetenv("ODIN_WINOGRAD");
    odin_status pst = odin_run_passes(g, NULL);
    unsetenv("ODIN_WINOGRAD");
    CHECK(!pst, "%s: passes: %s", what, odin_status_message(pst));
    odin_status_free(pst);
    if (st || pst) goto done;
    int n_in = 0, n_out = 0;
    int64_t m = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (!strcmp(g->nodes[i].op, "WinogradInput")) n_in++, m = odin_attr_i(&g->nodes[i], "m");
        if (!strcmp(g->nodes[i].op, "WinogradOutput")) n_out++;
    }
    if (!wc->expect_m) {
        CHECK(n_in == 0 && n_out == 0, "%s: the pass fired (%d WinogradInput)", what, n_in);
        /* and what it left still compiles to the reference's result */
        check_opts lo = check_defaults();
        lo.tol = 1e-4;
        double err = check_graph(g, what, &lo, NULL);
        CHECK(err <= lo.tol, "%s: left alone: jit rel err %g", what, err);
        goto done;
    }
    CHECK(n_in == 1 && n_out == 1 && m == wc->expect_m, "%s: %d WinogradInput, %d WinogradOutput, m %lld (expected one pair, m %d)",
          what, n_in, n_out, (long long)m, wc->expect_m);
    int64_t n = odin_value_numel(&ref[0]);
    /* F(4x4)'s points +-2 and infinity scale rounding errors up (coefficients 4, 5, 8 in
     * the transforms): about 2e-4 of (1 + |y|) at 48 channels of inputs in [-2, 2] */
    double ab, rel, tol = wc->expect_m == 4 ? 5e-4 : 5e-5;
    /* the new ops' evals */
    st = odin_interpret(g, in, g->n_inputs, got);
    CHECK(!st, "%s: interpret rewritten: %s", what, odin_status_message(st));
    odin_status_free(st);
    if (!st) {
        errors(got[0].data, ref[0].data, n, &ab, &rel);
        CHECK(rel <= tol, "%s: eval abs err %g rel %g", what, ab, rel);
        odin_values_free(got, 1);
    }
    /* compiled */
    odin_program *p = NULL;
    odin_compile_options co = odin_compile_defaults();
    st = odin_program_compile(g, &co, &p);
    CHECK(!st, "%s: compile: %s", what, odin_status_message(st));
    odin_status_free(st);
    if (!st) {
        void *ins[2] = {in[0].data, g->n_inputs > 1 ? in[1].data : NULL}, *outs[1];
        float *y = calloc((size_t)n + 1, sizeof *y);
        outs[0] = y;
        st = odin_program_run(p, ins, outs);
        CHECK(!st, "%s: run: %s", what, odin_status_message(st));
        odin_status_free(st);
        errors(y, ref[0].data, n, &ab, &rel);
        CHECK(!st && rel <= tol, "%s: jit abs err %g rel %g", what, ab, rel);
        CHECK(odin_program_fallback_count(p) == 0, "%s: a kernel fell back to eval", what);
        if (ab > worst_abs[wc->expect_m]) worst_abs[wc->expect_m] = ab;
        if (rel > worst_rel[wc->expect_m]) worst_rel[wc->expect_m] = rel;
        free(y);
        odin_program_free(p);
    }
done:
    odin_values_free(ref, st ? 0 : 1);
    odin_values_free(in, g->n_inputs);
    odin_graph_free(g);
}

static const wcase forced[] = {
    /* n  c   k   h   w   pads          s  d  g  ks bias   res    act mode  m */
    {1, 16, 16, 8, 8, {1, 1, 1, 1}, 1, 1, 1, 3, true, false, 0, "4", 4},
    {2, 17, 19, 13, 11, {1, 1, 1, 1}, 1, 1, 1, 3, true, true, 1, "4", 4},
    {2, 17, 19, 13, 11, {1, 1, 1, 1}, 1, 1, 1, 3, true, true, 1, "2", 2},
    {1, 20, 33, 9, 23, {0, 0, 0, 0}, 1, 1, 1, 3, false, false, 0, "4", 4},
    {1, 20, 33, 9, 23, {0, 0, 0, 0}, 1, 1, 1, 3, false, true, 2, "2", 2},
    {2, 24, 18, 7, 7, {1, 1, 1, 1}, 1, 1, 1, 3, true, false, 1, "2", 2},
    {1, 31, 40, 5, 6, {1, 0, 2, 1}, 1, 1, 1, 3, true, true, 2, "4", 4},
    {1, 31, 40, 5, 6, {2, 2, 0, 1}, 1, 1, 1, 3, true, false, 1, "2", 2},
    {2, 16, 21, 3, 3, {1, 1, 1, 1}, 1, 1, 1, 3, true, true, 0, "4", 4},
    {1, 16, 16, 1, 40, {1, 1, 1, 1}, 1, 1, 1, 3, false, false, 1, "4", 4},
    {1, 19, 16, 70, 3, {1, 1, 1, 1}, 1, 1, 1, 3, true, false, 1, "2", 2},
    {1, 48, 37, 61, 67, {1, 1, 1, 1}, 1, 1, 1, 3, true, true, 1, "4", 4}, /* wide rows */
    /* channels x tiles a multiple of 1024 floats: planes staged on the stack */
    {1, 64, 64, 16, 16, {1, 1, 1, 1}, 1, 1, 1, 3, true, true, 1, "4", 4},
    {2, 32, 64, 16, 16, {1, 1, 1, 1}, 1, 1, 1, 3, true, false, 2, "4", 4},
    {2, 64, 32, 8, 8, {1, 1, 1, 1}, 1, 1, 1, 3, false, true, 1, "2", 2},
};

/* the rule: F(4x4) on 28x28 (49 tiles), F(2x2) on 14x14, none on 7x7 (16 tiles) or 3x3 */
static const wcase by_rule[] = {
    {1, 64, 64, 28, 28, {1, 1, 1, 1}, 1, 1, 1, 3, true, true, 1, NULL, 4},
    {1, 64, 32, 14, 14, {1, 1, 1, 1}, 1, 1, 1, 3, true, false, 1, NULL, 2},
    {1, 32, 32, 7, 7, {1, 1, 1, 1}, 1, 1, 1, 3, true, false, 1, NULL, 0},
    {1, 64, 64, 3, 3, {1, 1, 1, 1}, 1, 1, 1, 3, true, false, 1, NULL, 0},
};

/* forms the pass must leave alone */
static const wcase left_alone[] = {
    {1, 16, 16, 12, 12, {1, 1, 1, 1}, 2, 1, 1, 3, true, false, 1, "4", 0}, /* stride 2 */
    {1, 16, 16, 12, 12, {2, 2, 2, 2}, 1, 2, 1, 3, true, false, 1, "4", 0}, /* dilation 2 */
    {1, 32, 32, 12, 12, {1, 1, 1, 1}, 1, 1, 2, 3, true, false, 1, "4", 0}, /* 2 groups */
    {1, 16, 16, 12, 12, {2, 2, 2, 2}, 1, 1, 1, 5, true, false, 1, "4", 0}, /* 5x5 */
    {1, 8, 16, 12, 12, {1, 1, 1, 1}, 1, 1, 1, 3, true, false, 1, "4", 0},  /* 8 channels */
    {1, 64, 64, 28, 28, {1, 1, 1, 1}, 1, 1, 1, 3, true, false, 1, "0", 0}, /* switched off */
};

#define RUN_ALL(arr) for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) run_case(&arr[i])

static void test_forced(void) { RUN_ALL(forced); }
static void test_rule(void) { RUN_ALL(by_rule); }
static void test_left_alone(void) { RUN_ALL(left_alone); }

int main(void) {
    RUN(test_forced);
    RUN(test_rule);
    RUN(test_left_alone);
    printf("worst error vs direct conv: F(2x2,3x3) abs %.3g rel %.3g; F(4x4,3x3) abs %.3g rel %.3g\n",
           worst_abs[2], worst_rel[2], worst_abs[4], worst_rel[4]);
    TEST_DONE();
}
