/* tests/test_ops_reduce.c — edge cases of the reduce family the ONNX node tests miss:
 * empty-set reductions, integer exactness, noop_with_empty_axes, the axes attribute of
 * old opsets, ties in ArgMax/Hardmax, the Softmax axis change at opset 13, CumSum modes
 * and error paths. Expected values are worked out by hand from the ONNX spec. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../ops/interpret.h"
#include "test.h"

/* Data pointer for constants with no elements. */
static const double no_data[1];

/* Marks t as the only graph output and runs the graph (all inputs are constants). */
static odin_status run(odin_graph *g, int t, odin_value *out) {
    odin_status st = odin_graph_take_error(g);
    if (st) return st;
    odin_output(g, t, "y");
    st = odin_graph_take_error(g);
    if (st) return st;
    return odin_interpret(g, NULL, 0, out);
}

static int reduce_node(odin_graph *g, const char *op, int x, int n_axes, const int64_t *axes,
                       int keepdims, int noop) {
    int ins[2] = {x, -2};
    int n_in = 1;
    if (n_axes >= 0) {
        int64_t d[1] = {n_axes};
        ins[1] = odin_constant_i64(g, odin_graph_unique_name(g, "axes"), 1, d, axes);
        n_in = 2;
    }
    odin_attr a[2] = {ODIN_ATTR_I("keepdims", keepdims), ODIN_ATTR_I("noop_with_empty_axes", noop)};
    return odin_build(g, op, ins, n_in, a, 2, 1, NULL);
}

static void test_reduce_sum_int32_axis1(void) {
    odin_graph *g = odin_graph_new("t");
    int32_t xv[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3}, axes[1] = {1};
    int x = odin_constant(g, "x", ODIN_I32, 2, dims, xv);
    int y = reduce_node(g, "ReduceSum", x, 1, axes, 0, 0);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(out.dtype == ODIN_I32 && out.rank == 1 && out.dims[0] == 2, "shape");
        CHECK(((int32_t *)out.data)[0] == 6 && ((int32_t *)out.data)[1] == 15, "values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* Empty set: sum 0, prod 1, max -inf, min +inf, log-sum-exp log(0) = -inf; an integer
 * max is the type's minimum. */
static void test_reduce_empty_set(void) {
    static const struct {
        const char *op;
        double want;
    } cases[] = {{"ReduceSum", 0},          {"ReduceProd", 1},
                 {"ReduceMax", -INFINITY},  {"ReduceMin", INFINITY},
                 {"ReduceLogSumExp", -INFINITY}, {"ReduceL2", 0},
                 {"ReduceSumSquare", 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        odin_graph *g = odin_graph_new("t");
        int64_t dims[2] = {2, 0}, axes[1] = {1};
        int x = odin_constant(g, "x", ODIN_F32, 2, dims, no_data);
        int y = reduce_node(g, cases[c].op, x, 1, axes, 1, 0);
        odin_value out;
        CHECK_OK(run(g, y, &out));
        if (out.data) {
            CHECK(out.rank == 2 && out.dims[0] == 2 && out.dims[1] == 1, "%s shape", cases[c].op);
            float *v = out.data;
            CHECK(v[0] == (float)cases[c].want && v[1] == (float)cases[c].want, "%s: %g",
                  cases[c].op, (double)v[0]);
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
    odin_graph *g = odin_graph_new("t");
    int64_t dims[2] = {1, 0}, axes[1] = {1};
    int x = odin_constant(g, "x", ODIN_I32, 2, dims, no_data);
    int y = reduce_node(g, "ReduceMax", x, 1, axes, 0, 0);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(((int32_t *)out.data)[0] == INT32_MIN, "int max of nothing");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* Integer sums stay exact beyond 2^53, where a double path would round. */
static void test_reduce_sum_int64_exact(void) {
    odin_graph *g = odin_graph_new("t");
    int64_t xv[2] = {(1LL << 53) + 1, 1}, dims[1] = {2};
    int x = odin_constant_i64(g, "x", 1, dims, xv);
    int y = reduce_node(g, "ReduceSum", x, -1, NULL, 0, 0);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(out.rank == 0, "reduce-all without keepdims is a scalar");
        CHECK(((int64_t *)out.data)[0] == (1LL << 53) + 2, "exact");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* ReduceMean of integers truncates (the reference casts the float mean back). */
static void test_reduce_mean_int_truncates(void) {
    odin_graph *g = odin_graph_new("t");
    int32_t xv[2] = {1, 2};
    int64_t dims[1] = {2};
    int x = odin_constant(g, "x", ODIN_I32, 1, dims, xv);
    int y = reduce_node(g, "ReduceMean", x, -1, NULL, 1, 0);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(out.rank == 1 && out.dims[0] == 1, "keepdims shape");
        CHECK(((int32_t *)out.data)[0] == 1, "1.5 truncates to 1");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

static void test_reduce_noop_with_empty_axes(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[3] = {1, 2, 3};
    int64_t dims[1] = {3};
    int x = odin_constant_f32(g, "x", 1, dims, xv);
    int y = reduce_node(g, "ReduceSum", x, 0, NULL, 1, 1);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(out.rank == 1 && out.dims[0] == 3, "identity shape");
        float *v = out.data;
        CHECK(v[0] == 1 && v[1] == 2 && v[2] == 3, "identity values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* Before opset 18 (13 for ReduceSum) axes are an attribute. */
static void test_reduce_axes_attribute_old_opset(void) {
    odin_graph *g = odin_graph_new("t");
    g->opset = 11;
    float xv[4] = {1, 5, 3, 2};
    int64_t dims[2] = {2, 2}, axes[1] = {-2};
    int x = odin_constant_f32(g, "x", 2, dims, xv);
    odin_attr a[2] = {ODIN_ATTR_INTS("axes", axes, 1), ODIN_ATTR_I("keepdims", 0)};
    int y = odin_build(g, "ReduceMax", &x, 1, a, 2, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        float *v = out.data;
        CHECK(out.rank == 1 && out.dims[0] == 2 && v[0] == 3 && v[1] == 5, "max over dim 0");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

static void test_reduce_bad_axis(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[2] = {1, 2};
    int64_t dims[1] = {2}, axes[1] = {3};
    int x = odin_constant_f32(g, "x", 1, dims, xv);
    reduce_node(g, "ReduceSum", x, 1, axes, 1, 0);
    CHECK_ERR(odin_graph_take_error(g), "out of range");
    odin_graph_free(g);
}

static void test_argmax_ties(void) {
    for (int last = 0; last <= 1; last++) {
        odin_graph *g = odin_graph_new("t");
        float xv[6] = {1, 3, 3, 2, 0, 0};
        int64_t dims[2] = {2, 3};
        int x = odin_constant_f32(g, "x", 2, dims, xv);
        odin_attr a[3] = {ODIN_ATTR_I("axis", -1), ODIN_ATTR_I("keepdims", 0),
                          ODIN_ATTR_I("select_last_index", last)};
        int ymax = odin_build(g, "ArgMax", &x, 1, a, 3, 1, NULL);
        int ymin = odin_build(g, "ArgMin", &x, 1, a, 3, 1, NULL);
        odin_output(g, ymin, "ymin");
        odin_value out[2];
        CHECK_OK(run(g, ymax, out));
        /* outputs: ymin first (marked first), then y */
        if (out[0].data) {
            int64_t *mn = out[0].data, *mx = out[1].data;
            CHECK(out[1].dtype == ODIN_I64 && out[1].rank == 1 && out[1].dims[0] == 2, "shape");
            CHECK(mx[0] == (last ? 2 : 1) && mx[1] == 0, "argmax %lld %lld", (long long)mx[0],
                  (long long)mx[1]);
            CHECK(mn[0] == 0 && mn[1] == (last ? 2 : 1), "argmin %lld %lld", (long long)mn[0],
                  (long long)mn[1]);
            odin_values_free(out, 2);
        }
        odin_graph_free(g);
    }
}

static void test_argmax_empty_axis_errors(void) {
    odin_graph *g = odin_graph_new("t");
    int64_t dims[2] = {2, 0};
    int x = odin_constant(g, "x", ODIN_F32, 2, dims, no_data);
    odin_attr a = ODIN_ATTR_I("axis", 1);
    int y = odin_build(g, "ArgMax", &x, 1, &a, 1, 1, NULL);
    odin_value out;
    CHECK_ERR(run(g, y, &out), "empty");
    odin_graph_free(g);
}

/* Opset 11 flattens [1,2,2] at axis 1 into rows of 4; opset 13 normalizes along dim 1. */
static void test_softmax_axis_semantics(void) {
    static const int opsets[2] = {11, 13};
    static const float want[2] = {0.25f, 0.5f};
    for (int k = 0; k < 2; k++) {
        odin_graph *g = odin_graph_new("t");
        g->opset = opsets[k];
        float xv[4] = {0, 0, 0, 0};
        int64_t dims[3] = {1, 2, 2};
        int x = odin_constant_f32(g, "x", 3, dims, xv);
        int y = odin_softmax(g, x, 1);
        odin_value out;
        CHECK_OK(run(g, y, &out));
        if (out.data) {
            float *v = out.data;
            for (int i = 0; i < 4; i++) CHECK_NEAR(v[i], want[k], 1e-6);
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
}

/* Before opset 13, axis == rank is valid (rows of one element): softmax is 1 everywhere;
 * from 13 on it is out of range. */
static void test_softmax_axis_equal_rank(void) {
    odin_graph *g = odin_graph_new("t");
    g->opset = 11;
    float xv[2] = {3, -7};
    int64_t dims[1] = {2};
    int x = odin_constant_f32(g, "x", 1, dims, xv);
    int y = odin_softmax(g, x, 1);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(((float *)out.data)[0] == 1 && ((float *)out.data)[1] == 1, "ones");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
    g = odin_graph_new("t");
    x = odin_constant_f32(g, "x", 1, dims, xv);
    odin_softmax(g, x, 1);
    CHECK_ERR(odin_graph_take_error(g), "out of range");
    odin_graph_free(g);
}

/* Opset 13's default axis is the last one; opset 11's is 1 (whole rows of the 2-D view). */
static void test_logsoftmax_defaults_and_large_values(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[2] = {1000, 1000};
    int64_t dims[2] = {1, 2};
    int x = odin_constant_f32(g, "x", 2, dims, xv);
    int y = odin_build(g, "LogSoftmax", &x, 1, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        float *v = out.data;
        CHECK_NEAR(v[0], -log(2.0), 1e-6);
        CHECK_NEAR(v[1], -log(2.0), 1e-6);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

static void test_hardmax_first_max(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[3] = {1, 3, 3};
    int64_t dims[1] = {3};
    int x = odin_constant_f32(g, "x", 1, dims, xv);
    int y = odin_build(g, "Hardmax", &x, 1, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        float *v = out.data;
        CHECK(v[0] == 0 && v[1] == 1 && v[2] == 0, "one-hot at the first max");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

static void test_cumsum_int_reverse_exclusive(void) {
    odin_graph *g = odin_graph_new("t");
    int32_t xv[3] = {1, 2, 3}, ax = 0;
    int64_t dims[1] = {3};
    int ins[2] = {odin_constant(g, "x", ODIN_I32, 1, dims, xv),
                  odin_constant(g, "axis", ODIN_I32, 0, NULL, &ax)};
    odin_attr a[2] = {ODIN_ATTR_I("exclusive", 1), ODIN_ATTR_I("reverse", 1)};
    int y = odin_build(g, "CumSum", ins, 2, a, 2, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        int32_t *v = out.data;
        CHECK(out.dtype == ODIN_I32 && v[0] == 5 && v[1] == 3 && v[2] == 0, "%d %d %d", v[0],
              v[1], v[2]);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

static void test_cumsum_bad_axis(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[2] = {1, 2}, fax = 0;
    int64_t dims[1] = {2}, ax = 1;
    int x = odin_constant_f32(g, "x", 1, dims, xv);
    int ins[2] = {x, odin_constant_f32(g, "axis", 0, NULL, &fax)};
    odin_build(g, "CumSum", ins, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "expected i32 or i64");
    ins[1] = odin_constant_i64(g, "axis2", 0, NULL, &ax);
    odin_build(g, "CumSum", ins, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "out of range");
    odin_graph_free(g);
}

static void test_reduce_rejects_bool(void) {
    odin_graph *g = odin_graph_new("t");
    uint8_t xv[2] = {1, 0};
    int64_t dims[1] = {2};
    int x = odin_constant(g, "x", ODIN_BOOL, 1, dims, xv);
    reduce_node(g, "ReduceSum", x, -1, NULL, 1, 0);
    CHECK_ERR(odin_graph_take_error(g), "expected a numeric tensor");
    odin_graph_free(g);
}

int main(void) {
    RUN(test_reduce_sum_int32_axis1);
    RUN(test_reduce_empty_set);
    RUN(test_reduce_sum_int64_exact);
    RUN(test_reduce_mean_int_truncates);
    RUN(test_reduce_noop_with_empty_axes);
    RUN(test_reduce_axes_attribute_old_opset);
    RUN(test_reduce_bad_axis);
    RUN(test_argmax_ties);
    RUN(test_argmax_empty_axis_errors);
    RUN(test_softmax_axis_semantics);
    RUN(test_softmax_axis_equal_rank);
    RUN(test_logsoftmax_defaults_and_large_values);
    RUN(test_hardmax_first_max);
    RUN(test_cumsum_int_reverse_exclusive);
    RUN(test_cumsum_bad_axis);
    RUN(test_reduce_rejects_bool);
    TEST_DONE();
}
