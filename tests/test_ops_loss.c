/* tests/test_ops_loss.c — edge cases of the loss family the ONNX node tests miss:
 * NegativeLogLikelihoodLoss weighted mean over the counted targets only, ignore_index
 * with weights, targets outside [0,C), bad target shapes, int32 targets, and
 * SoftmaxCrossEntropyLoss on equal scores (loss ln C, log_prob -ln C). Expected values are
 * worked out by hand from the ONNX spec. */
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../ops/interpret.h"
#include "test.h"

static odin_status run_n(odin_graph *g, const int *outs, int n, odin_value *out) {
    odin_status st = odin_graph_take_error(g);
    if (st) return st;
    for (int i = 0; i < n; i++) odin_output(g, outs[i], NULL);
    st = odin_graph_take_error(g);
    if (st) return st;
    return odin_interpret(g, NULL, 0, out);
}

static int cf32(odin_graph *g, int rank, const int64_t *dims, const float *v) {
    return odin_constant_f32(g, odin_graph_unique_name(g, "c"), rank, dims, v);
}

static int ci64(odin_graph *g, int rank, const int64_t *dims, const int64_t *v) {
    return odin_constant_i64(g, odin_graph_unique_name(g, "c"), rank, dims, v);
}

static const float logp[6] = {-1, -2, -3, -4, -5, -6}; /* [2,3] */

/* One NLL node on logp with target [0,2] and weight [1,2,3]; reduction and ignore_index
 * (-100 = none) vary. Returns loss element 0 in *v. */
static odin_status nll(const char *reduction, int64_t ignore, float *v) {
    odin_graph *g = odin_graph_new("t");
    int64_t d23[2] = {2, 3}, d2[1] = {2}, d3[1] = {3};
    int64_t tgt[2] = {0, 2};
    float w[3] = {1, 2, 3};
    int ins[3] = {cf32(g, 2, d23, logp), ci64(g, 1, d2, tgt), cf32(g, 1, d3, w)};
    odin_attr a[2] = {ODIN_ATTR_S("reduction", reduction), ODIN_ATTR_I("ignore_index", ignore)};
    int y = odin_build(g, "NegativeLogLikelihoodLoss", ins, 3, a, ignore == -100 ? 1 : 2, 1, NULL);
    odin_value out = {0};
    odin_status st = run_n(g, &y, 1, &out);
    if (!st) *v = ((float *)out.data)[0];
    if (!st) odin_values_free(&out, 1);
    odin_graph_free(g);
    return st;
}

/* loss = -logp[n, t[n]] * w[t[n]]: 1*1 and 6*3; mean divides by the weights 1 + 3. */
static void test_nll_weighted_reductions(void) {
    float v = 0;
    CHECK_OK(nll("sum", -100, &v));
    CHECK_NEAR(v, 19, 1e-5);
    CHECK_OK(nll("mean", -100, &v));
    CHECK_NEAR(v, 19.0 / 4, 1e-5);
    /* ignoring class 2 drops both its loss and its weight from the mean */
    CHECK_OK(nll("mean", 2, &v));
    CHECK_NEAR(v, 1, 1e-5);
    CHECK_OK(nll("none", 0, &v));
    CHECK_NEAR(v, 0, 0); /* the ignored target's loss is 0 */
    CHECK_ERR(nll("avg", -100, &v), "reduction 'avg'");
}

/* A target outside [0,C) that is not ignored is an error, not a read out of bounds. */
static void test_nll_target_out_of_range(void) {
    odin_graph *g = odin_graph_new("t");
    int64_t d23[2] = {2, 3}, d2[1] = {2}, tgt[2] = {0, 3};
    int ins[2] = {cf32(g, 2, d23, logp), ci64(g, 1, d2, tgt)};
    int y = odin_build(g, "NegativeLogLikelihoodLoss", ins, 2, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_ERR(run_n(g, &y, 1, &out), "not a class");
    odin_graph_free(g);
}

/* Target [2,1] for input [2,3] (rank 1 expected) fails in the builder. */
static void test_nll_bad_target_shape(void) {
    odin_graph *g = odin_graph_new("t");
    int64_t d23[2] = {2, 3}, d21[2] = {2, 1}, tgt[2] = {0, 1};
    int ins[2] = {cf32(g, 2, d23, logp), ci64(g, 2, d21, tgt)};
    odin_build(g, "NegativeLogLikelihoodLoss", ins, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "target has shape");
    odin_graph_free(g);
}

/* int32 targets on [1,2,2] (N,C,d1): per-position losses. */
static void test_nll_int32_target_spatial(void) {
    odin_graph *g = odin_graph_new("t");
    float x[4] = {-1, -2, -3, -4}; /* [n=0][c][d]: c0 = {-1,-2}, c1 = {-3,-4} */
    int32_t tgt[2] = {1, 0};
    int64_t d122[3] = {1, 2, 2}, d12[2] = {1, 2};
    int ins[2] = {cf32(g, 3, d122, x),
                  odin_constant(g, "t32", ODIN_I32, 2, d12, tgt)};
    odin_attr a[1] = {ODIN_ATTR_S("reduction", "none")};
    int y = odin_build(g, "NegativeLogLikelihoodLoss", ins, 2, a, 1, 1, NULL);
    odin_value out = {0};
    CHECK_OK(run_n(g, &y, 1, &out));
    if (out.data) {
        CHECK(out.rank == 2 && out.dims[0] == 1 && out.dims[1] == 2, "shape");
        CHECK_NEAR(((float *)out.data)[0], 3, 1e-6); /* d0: class 1 -> -(-3) */
        CHECK_NEAR(((float *)out.data)[1], 2, 1e-6); /* d1: class 0 -> -(-2) */
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* Equal scores over C = 4 classes: log_softmax = -ln 4 everywhere, loss ln 4. */
static void test_sce_uniform_log_prob(void) {
    odin_graph *g = odin_graph_new("t");
    float x[4] = {7, 7, 7, 7};
    int64_t d14[2] = {1, 4}, d1[1] = {1}, tgt[1] = {3};
    int ins[2] = {cf32(g, 2, d14, x), ci64(g, 1, d1, tgt)};
    int outs[2];
    odin_build(g, "SoftmaxCrossEntropyLoss", ins, 2, NULL, 0, 2, outs);
    odin_value out[2] = {{0}};
    CHECK_OK(run_n(g, outs, 2, out));
    if (out[0].data && out[1].data) {
        CHECK(out[0].rank == 0, "mean is a scalar");
        CHECK_NEAR(((float *)out[0].data)[0], log(4.0), 1e-6);
        for (int i = 0; i < 4; i++) CHECK_NEAR(((float *)out[1].data)[i], -log(4.0), 1e-6);
        odin_values_free(out, 2);
    }
    odin_graph_free(g);
}

int main(void) {
    RUN(test_nll_weighted_reductions);
    RUN(test_nll_target_out_of_range);
    RUN(test_nll_bad_target_shape);
    RUN(test_nll_int32_target_spatial);
    RUN(test_sce_uniform_log_prob);
    TEST_DONE();
}
