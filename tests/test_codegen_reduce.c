/* Compiled reductions, softmax and normalizations (codegen/lower_reduce.c,
 * codegen/lower_norm.c) against the reference interpreter: every axes subset of a 4-D
 * tensor with keepdims both ways and negative axes, ArgMax/ArgMin with ties and NaN
 * rules, Softmax family in both opset semantics, LayerNorm/RMSNorm/BatchNorm/
 * InstanceNorm/GroupNorm with parameter layouts and sizes large enough for threads. */
#include "codegen_check.h"

static const char *reduce_ops[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin",
                                   "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare",
                                   "ReduceLogSum"};
#define N_REDUCE (int)(sizeof reduce_ops / sizeof reduce_ops[0])

/* Reduce op over axes (given as an input from opset 18, as the attribute at 13). */
static int reduce(odin_graph *g, const char *op, int x, int n_axes, const int64_t *axes, bool keep) {
    odin_attr a[2] = {ODIN_ATTR_I("keepdims", keep), ODIN_ATTR_INTS("axes", axes, n_axes)};
    if (g->opset >= 18) {
        int ins[2] = {x, n_axes ? odin_constant_i64(g, "axes", 1, (int64_t[]){n_axes}, axes) : -2};
        return odin_build(g, op, ins, n_axes ? 2 : 1, a, 1, 1, NULL);
    }
    return odin_build(g, op, &x, 1, a, n_axes ? 2 : 1, 1, NULL);
}

static void test_reduce_all_axes_subsets(void) {
    check_opts o = check_defaults();
    o.tol = 2e-5;
    int64_t xd[4] = {3, 5, 4, 7};
    for (int op = 0; op < N_REDUCE; op++)
        for (int mask = 0; mask < 16; mask++)
            for (int keep = 0; keep < 2; keep++) {
                int64_t axes[4];
                int n = 0;
                for (int d = 0; d < 4; d++)
                    if (mask & (1 << d)) axes[n++] = (mask + d) % 2 ? d - 4 : d; /* mix signs */
                odin_graph *g = odin_graph_new("reduce");
                g->opset = (mask + keep) % 3 ? 18 : 13;
                if (g->opset == 13 && !strcmp(reduce_ops[op], "ReduceSum")) g->opset = 18;
                int x = odin_input(g, "x", ODIN_F32, 4, xd);
                odin_output(g, reduce(g, reduce_ops[op], x, n, axes, keep), "y");
                CHECK_GRAPH(g, o, "%s mask %d keepdims %d", reduce_ops[op], mask, keep);
            }
}

static void test_reduce_shapes(void) {
    check_opts o = check_defaults();
    o.tol = 2e-5;
    struct {
        int rank;
        int64_t dims[4];
        int n;
        int64_t axes[3];
    } cases[] = {
        {2, {600, 301}, 1, {-1}},  /* rows: threads, vector accumulators */
        {2, {600, 301}, 1, {0}},   /* columns: output rows updated */
        {3, {40, 77, 50}, 1, {1}}, /* middle axis, threads */
        {1, {1}, 1, {0}},          /* a single element */
        {3, {1, 5, 1}, 2, {0, 2}}, /* unit axes only */
        {2, {4, 0}, 1, {1}},       /* empty reduction */
    };
    const char *ops[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceL2"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int op = 0; op < 4; op++) {
            odin_graph *g = odin_graph_new("reduce");
            int x = odin_input(g, "x", ODIN_F32, cases[i].rank, cases[i].dims);
            odin_output(g, reduce(g, ops[op], x, cases[i].n, cases[i].axes, i % 2), "y");
            CHECK_GRAPH(g, o, "%s case %zu", ops[op], i);
        }
    /* noop_with_empty_axes: the identity, even for L2 */
    odin_graph *g = odin_graph_new("reduce_noop");
    int64_t xd[2] = {3, 4};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    odin_attr a = ODIN_ATTR_I("noop_with_empty_axes", 1);
    odin_output(g, odin_build(g, "ReduceL2", &x, 1, &a, 1, 1, NULL), "y");
    CHECK_GRAPH(g, o, "ReduceL2 noop");
    /* integer data is declined: the eval runs it */
    g = odin_graph_new("reduce_int");
    x = odin_input(g, "x", ODIN_I32, 2, xd);
    odin_output(g, reduce(g, "ReduceSum", x, 1, (int64_t[]){1}, false), "y");
    check_opts of = o;
    of.allow_fallback = true;
    CHECK_GRAPH(g, of, "ReduceSum i32 (fallback)");
}

static void test_argmax(void) {
    const char *ops[2] = {"ArgMax", "ArgMin"};
    odin_dtype types[3] = {ODIN_F32, ODIN_I32, ODIN_I64};
    int64_t xd[3] = {4, 6, 9};
    for (int op = 0; op < 2; op++)
        for (int t = 0; t < 3; t++)
            for (int axis = -3; axis < 3; axis += 2)
                for (int last = 0; last < 2; last++) {
                    check_opts o = check_defaults();
                    o.float_ties = true; /* small integers: ties decide first vs last */
                    o.int_lo = -3;
                    o.int_hi = 3;
                    odin_graph *g = odin_graph_new("arg");
                    int x = odin_input(g, "x", types[t], 3, xd);
                    odin_attr a[3] = {ODIN_ATTR_I("axis", axis), ODIN_ATTR_I("keepdims", axis & 1),
                                      ODIN_ATTR_I("select_last_index", last)};
                    odin_output(g, odin_build(g, ops[op], &x, 1, a, 3, 1, NULL), "y");
                    CHECK_GRAPH(g, o, "%s %s axis %d last %d", ops[op], odin_dtype_name(types[t]),
                                axis, last);
                }
}

/* NaN beats every number and the first NaN wins (numpy), for ArgMin too. */
static void test_argmax_nan(void) {
    odin_graph *g = odin_graph_new("arg_nan");
    int64_t xd[2] = {3, 4};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    odin_attr a = ODIN_ATTR_I("axis", -1);
    odin_output(g, odin_build(g, "ArgMax", &x, 1, &a, 1, 1, NULL), "mx");
    odin_output(g, odin_build(g, "ArgMin", &x, 1, &a, 1, 1, NULL), "mn");
    odin_program *p = NULL;
    odin_compile_options co = odin_compile_defaults();
    CHECK_OK(odin_program_compile(g, &co, &p));
    if (p) {
        CHECK(odin_program_fallback_count(p) == 0, "fell back");
        float data[12] = {1, NAN, 3, NAN, 5, 2, 9, 0, -1, -7, -7, NAN};
        int64_t mx[3], mn[3];
        void *ins[1] = {data}, *outs[2] = {mx, mn};
        CHECK_OK(odin_program_run(p, ins, outs));
        int64_t want_mx[3] = {1, 2, 3}, want_mn[3] = {1, 3, 3};
        for (int i = 0; i < 3; i++) {
            CHECK(mx[i] == want_mx[i], "argmax row %d = %lld", i, (long long)mx[i]);
            CHECK(mn[i] == want_mn[i], "argmin row %d = %lld", i, (long long)mn[i]);
        }
    }
    odin_program_free(p);
    odin_graph_free(g);
}

static void test_softmax(void) {
    check_opts o = check_defaults();
    o.tol = 3e-6;
    const char *ops[3] = {"Softmax", "LogSoftmax", "Hardmax"};
    struct {
        int opset, rank;
        int64_t dims[4];
        int axis;
    } cases[] = {
        {13, 3, {3, 5, 67}, -1}, {13, 3, {3, 5, 67}, 1}, {13, 4, {2, 3, 4, 5}, 0},
        {11, 3, {3, 5, 7}, 1},   /* flatten at the axis */
        {11, 3, {3, 5, 7}, 3},   /* axis == rank: one column per row */
        {11, 3, {3, 5, 7}, -2},
        {21, 2, {300, 257}, -1}, /* threads */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int op = 0; op < 3; op++) {
            odin_graph *g = odin_graph_new("softmax");
            g->opset = cases[i].opset;
            int x = odin_input(g, "x", ODIN_F32, cases[i].rank, cases[i].dims);
            odin_attr a = ODIN_ATTR_I("axis", cases[i].axis);
            odin_output(g, odin_build(g, ops[op], &x, 1, &a, 1, 1, NULL), "y");
            check_opts oc = o;
            oc.float_ties = op == 2 && i == 0; /* Hardmax: first of tied maxima */
            CHECK_GRAPH(g, oc, "%s opset %d case %zu", ops[op], cases[i].opset, i);
        }
    /* the default axis: 1 before opset 13, -1 after */
    for (int opset = 11; opset <= 13; opset += 2) {
        odin_graph *g = odin_graph_new("softmax_default");
        g->opset = opset;
        int64_t xd[3] = {2, 3, 5};
        int x = odin_input(g, "x", ODIN_F32, 3, xd);
        odin_output(g, odin_build(g, "Softmax", &x, 1, NULL, 0, 1, NULL), "y");
        CHECK_GRAPH(g, o, "Softmax default axis opset %d", opset);
    }
}

static void test_layernorm(void) {
    check_opts o = check_defaults();
    o.tol = 1e-5;
    struct {
        int rank;
        int64_t dims[4];
        int axis;
        int srank;
        int64_t sdims[3];
        bool bias;
    } cases[] = {
        {3, {2, 7, 67}, -1, 1, {67}, true},
        {3, {2, 7, 67}, -1, 1, {67}, false},
        {3, {2, 7, 33}, -2, 1, {33}, true},       /* parameters repeat per row of 33 */
        {3, {2, 7, 33}, 1, 2, {7, 33}, true},
        {3, {2, 7, 33}, 0, 3, {1, 7, 33}, true},  /* leading unit dim */
        {2, {512, 384}, -1, 1, {384}, true},      /* threads */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        odin_graph *g = odin_graph_new("layernorm");
        int x = odin_input(g, "x", ODIN_F32, cases[i].rank, cases[i].dims);
        int s = odin_input(g, "s", ODIN_F32, cases[i].srank, cases[i].sdims);
        int b = cases[i].bias ? odin_input(g, "b", ODIN_F32, cases[i].srank, cases[i].sdims) : -2;
        odin_output(g, odin_layernorm(g, x, s, b, cases[i].axis, 1e-5f), "y");
        CHECK_GRAPH(g, o, "LayerNormalization case %zu", i);
    }
    /* Mean and InvStdDev outputs */
    odin_graph *g = odin_graph_new("layernorm_stats");
    int64_t xd[2] = {5, 19}, sd[1] = {19};
    int ins[3] = {odin_input(g, "x", ODIN_F32, 2, xd), odin_input(g, "s", ODIN_F32, 1, sd),
                  odin_input(g, "b", ODIN_F32, 1, sd)};
    int outs[3];
    odin_attr eps = ODIN_ATTR_F("epsilon", 1e-3f);
    odin_build(g, "LayerNormalization", ins, 3, &eps, 1, 3, outs);
    odin_output(g, outs[0], "y");
    odin_output(g, outs[1], "mean");
    odin_output(g, outs[2], "inv");
    CHECK_GRAPH(g, o, "LayerNormalization with statistics");
    /* RMSNormalization */
    g = odin_graph_new("rmsnorm");
    int64_t rd[3] = {3, 4, 37}, rs[1] = {37};
    int rins[2] = {odin_input(g, "x", ODIN_F32, 3, rd), odin_input(g, "s", ODIN_F32, 1, rs)};
    odin_output(g, odin_build(g, "RMSNormalization", rins, 2, NULL, 0, 1, NULL), "y");
    CHECK_GRAPH(g, o, "RMSNormalization");
}

static void test_batchnorm(void) {
    check_opts o = check_defaults();
    o.tol = 2e-5;
    int64_t xd[4] = {2, 5, 7, 9}, cd[1] = {5};
    for (int folded = 0; folded < 2; folded++) {
        odin_graph *g = odin_graph_new("batchnorm");
        int ins[5];
        ins[0] = odin_input(g, "x", ODIN_F32, 4, xd);
        const char *names[4] = {"scale", "B", "mean", "var"};
        for (int k = 0; k < 4; k++) {
            if (folded) {
                float v[5];
                for (int i = 0; i < 5; i++) v[i] = k == 3 ? 0.5f + 0.3f * (float)i : 0.7f * (float)(i - 2) + 0.1f * (float)k;
                ins[1 + k] = odin_constant_f32(g, names[k], 1, cd, v);
            } else {
                ins[1 + k] = odin_input(g, names[k], ODIN_F32, 1, cd);
            }
        }
        if (!folded) ins[4] = odin_add(g, odin_abs(g, ins[4]), odin_scalar_f32(g, "one", 1.0f));
        odin_output(g, odin_build(g, "BatchNormalization", ins, 5, NULL, 0, 1, NULL), "y");
        CHECK_GRAPH(g, o, "BatchNormalization %s", folded ? "folded" : "runtime parameters");
    }
    /* large: threads */
    odin_graph *g = odin_graph_new("batchnorm_big");
    int64_t bd[4] = {2, 16, 67, 67}, bc[1] = {16};
    int ins[5] = {odin_input(g, "x", ODIN_F32, 4, bd)};
    for (int k = 0; k < 4; k++) {
        float v[16];
        for (int i = 0; i < 16; i++) v[i] = k == 3 ? 1.0f + 0.1f * (float)i : 0.25f * (float)(i % 5) - 0.5f;
        char name[8] = {'p', (char)('0' + k), 0};
        ins[1 + k] = odin_constant_f32(g, name, 1, bc, v);
    }
    odin_output(g, odin_build(g, "BatchNormalization", ins, 5, NULL, 0, 1, NULL), "y");
    CHECK_GRAPH(g, o, "BatchNormalization big");
}

static void test_instance_group_norm(void) {
    check_opts o = check_defaults();
    o.tol = 1e-5;
    int64_t xd[4] = {2, 6, 5, 7}, cd[1] = {6}, gd[1] = {3};
    odin_graph *g = odin_graph_new("instnorm");
    int ins[3] = {odin_input(g, "x", ODIN_F32, 4, xd), odin_input(g, "s", ODIN_F32, 1, cd),
                  odin_input(g, "b", ODIN_F32, 1, cd)};
    odin_output(g, odin_build(g, "InstanceNormalization", ins, 3, NULL, 0, 1, NULL), "y");
    CHECK_GRAPH(g, o, "InstanceNormalization");
    for (int per_group = 0; per_group < 2; per_group++) {
        g = odin_graph_new("groupnorm");
        int64_t *pd = per_group ? gd : cd;
        int gins[3] = {odin_input(g, "x", ODIN_F32, 4, xd), odin_input(g, "s", ODIN_F32, 1, pd),
                       odin_input(g, "b", ODIN_F32, 1, pd)};
        odin_attr a = ODIN_ATTR_I("num_groups", 3);
        odin_output(g, odin_build(g, "GroupNormalization", gins, 3, &a, 1, 1, NULL), "y");
        CHECK_GRAPH(g, o, "GroupNormalization per %s", per_group ? "group" : "channel");
    }
    g = odin_graph_new("instnorm_big");
    int64_t bd[3] = {4, 32, 1111}, bc[1] = {32};
    int bins[3] = {odin_input(g, "x", ODIN_F32, 3, bd), odin_input(g, "s", ODIN_F32, 1, bc),
                   odin_input(g, "b", ODIN_F32, 1, bc)};
    odin_output(g, odin_build(g, "InstanceNormalization", bins, 3, NULL, 0, 1, NULL), "y");
    CHECK_GRAPH(g, o, "InstanceNormalization big");
}

int main(void) {
    RUN(test_reduce_all_axes_subsets);
    RUN(test_reduce_shapes);
    RUN(test_argmax);
    RUN(test_argmax_nan);
    RUN(test_softmax);
    RUN(test_layernorm);
    RUN(test_batchnorm);
    RUN(test_instance_group_norm);
    TEST_DONE();
}
