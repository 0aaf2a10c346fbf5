/* tests/test_ops_norm.c — normalization ops on small inputs whose results are worked out
 * by hand from the ONNX spec: LayerNormalization with its Mean / InvStdDev outputs,
 * BatchNormalization in inference and training mode, Instance- and GroupNormalization
 * (per-channel and per-group affine), LpNormalization, MeanVarianceNormalization,
 * RMSNormalization, and the shape errors. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../ops/interpret.h"
#include "test.h"

/* Marks outs[0..n) as graph outputs and runs the graph (all inputs are constants). */
static odin_status run(odin_graph *g, const int *outs, int n, odin_value *res) {
    odin_status st = odin_graph_take_error(g);
    if (st) return st;
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "y%d", i);
        odin_output(g, outs[i], name);
    }
    st = odin_graph_take_error(g);
    if (st) return st;
    return odin_interpret(g, NULL, 0, res);
}

static int vec(odin_graph *g, const char *name, int n, const float *v) {
    int64_t d[1] = {n};
    return odin_constant_f32(g, name, 1, d, v);
}

static void check_floats(const odin_value *v, const float *want, int n, double tol) {
    CHECK(odin_value_numel(v) == n, "numel %lld, expected %d", (long long)odin_value_numel(v), n);
    if (odin_value_numel(v) != n || !v->data) return;
    for (int i = 0; i < n; i++) CHECK_NEAR(((float *)v->data)[i], want[i], tol);
}

/* x = [1,2,3,4]: mean 2.5, variance 1.25, InvStdDev 1/sqrt(1.25). */
static void test_layernorm_outputs(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[4] = {1, 2, 3, 4}, sv[4] = {1, 1, 2, 2};
    int64_t dims[2] = {1, 4};
    int ins[2] = {odin_constant_f32(g, "x", 2, dims, xv), vec(g, "s", 4, sv)};
    odin_attr a = ODIN_ATTR_F("epsilon", 0);
    int outs[3];
    odin_build(g, "LayerNormalization", ins, 2, &a, 1, 3, outs);
    odin_value res[3];
    CHECK_OK(run(g, outs, 3, res));
    if (res[0].data) {
        double inv = 1 / sqrt(1.25);
        float want[4] = {(float)(-1.5 * inv), (float)(-0.5 * inv), (float)(0.5 * inv * 2),
                         (float)(1.5 * inv * 2)};
        check_floats(&res[0], want, 4, 1e-6);
        CHECK(res[1].rank == 2 && res[1].dims[0] == 1 && res[1].dims[1] == 1, "Mean shape");
        CHECK_NEAR(((float *)res[1].data)[0], 2.5, 1e-6);
        CHECK_NEAR(((float *)res[2].data)[0], inv, 1e-6);
        odin_values_free(res, 3);
    }
    odin_graph_free(g);
}

static void test_layernorm_bad_scale(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[6] = {0}, sv[2] = {1, 1};
    int64_t dims[2] = {2, 3};
    int ins[2] = {odin_constant_f32(g, "x", 2, dims, xv), vec(g, "s", 2, sv)};
    odin_build(g, "LayerNormalization", ins, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "Scale");
    odin_graph_free(g);
}

/* x = [1, 2] as [N=1, C=2, 1, 1]: y_c = (x - mean) / sqrt(var) * scale + B. */
static void test_batchnorm_inference(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[2] = {1, 2}, s[2] = {2, 3}, b[2] = {0, 1}, m[2] = {3, 1}, v[2] = {4, 1};
    int64_t dims[4] = {1, 2, 1, 1};
    int ins[5] = {odin_constant_f32(g, "x", 4, dims, xv), vec(g, "s", 2, s), vec(g, "b", 2, b),
                  vec(g, "m", 2, m), vec(g, "v", 2, v)};
    odin_attr a = ODIN_ATTR_F("epsilon", 0);
    int y = odin_build(g, "BatchNormalization", ins, 5, &a, 1, 1, NULL);
    odin_value res;
    CHECK_OK(run(g, &y, 1, &res));
    if (res.data) {
        float want[2] = {(1 - 3) / 2.0f * 2 + 0, (2 - 1) / 1.0f * 3 + 1};
        check_floats(&res, want, 2, 1e-6);
        odin_values_free(&res, 1);
    }
    odin_graph_free(g);
}

/* Training mode: batch [1, 3] has mean 2 and (population) variance 1; running stats are
 * input * momentum + batch * (1 - momentum). */
static void test_batchnorm_training(void) {
    odin_graph *g = odin_graph_new("t");
    g->opset = 15;
    float xv[2] = {1, 3}, s[1] = {1}, b[1] = {0}, m[1] = {0}, v[1] = {1};
    int64_t dims[4] = {2, 1, 1, 1};
    int ins[5] = {odin_constant_f32(g, "x", 4, dims, xv), vec(g, "s", 1, s), vec(g, "b", 1, b),
                  vec(g, "m", 1, m), vec(g, "v", 1, v)};
    odin_attr a[3] = {ODIN_ATTR_F("epsilon", 0), ODIN_ATTR_I("training_mode", 1),
                      ODIN_ATTR_F("momentum", 0.9f)};
    int outs[3];
    odin_build(g, "BatchNormalization", ins, 5, a, 3, 3, outs);
    odin_value res[3];
    CHECK_OK(run(g, outs, 3, res));
    if (res[0].data) {
        float want_y[2] = {-1, 1}, want_m[1] = {0.2f}, want_v[1] = {1.0f};
        check_floats(&res[0], want_y, 2, 1e-6);
        check_floats(&res[1], want_m, 1, 1e-6);
        check_floats(&res[2], want_v, 1, 1e-6);
        odin_values_free(res, 3);
    }
    odin_graph_free(g);
}

static void test_batchnorm_bad_channels(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[2] = {1, 2}, p[3] = {1, 1, 1};
    int64_t dims[2] = {1, 2};
    int ins[5] = {odin_constant_f32(g, "x", 2, dims, xv), vec(g, "s", 3, p), vec(g, "b", 3, p),
                  vec(g, "m", 3, p), vec(g, "v", 3, p)};
    odin_build(g, "BatchNormalization", ins, 5, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "input 1 (scale) has shape [3]");
    odin_graph_free(g);
}

/* One (n, c) block [0, 2]: mean 1, variance 1 -> [-1, 1] * 2 + 1. */
static void test_instancenorm(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[2] = {0, 2}, s[1] = {2}, b[1] = {1};
    int64_t dims[3] = {1, 1, 2};
    int ins[3] = {odin_constant_f32(g, "x", 3, dims, xv), vec(g, "s", 1, s), vec(g, "b", 1, b)};
    odin_attr a = ODIN_ATTR_F("epsilon", 0);
    int y = odin_build(g, "InstanceNormalization", ins, 3, &a, 1, 1, NULL);
    odin_value res;
    CHECK_OK(run(g, &y, 1, &res));
    if (res.data) {
        float want[2] = {-1, 3};
        check_floats(&res, want, 2, 1e-6);
        odin_values_free(&res, 1);
    }
    odin_graph_free(g);
}

/* Channels [0, 2 | 10, 14] in 2 groups both normalize to [-1, 1 | -1, 1]; then scale per
 * channel (opset 21: [1,2,3,4]) or per group (opset 18: [1,2]). */
static void test_groupnorm_channel_and_group_affine(void) {
    static const float s_ch[4] = {1, 2, 3, 4}, b_ch[4] = {0, 0, 0, 0};
    static const float s_gr[2] = {1, 2}, b_gr[2] = {0, 0};
    static const float want_ch[4] = {-1, 2, -3, 4}, want_gr[4] = {-1, 1, -2, 2};
    for (int per_group = 0; per_group <= 1; per_group++) {
        odin_graph *g = odin_graph_new("t");
        g->opset = per_group ? 18 : 21;
        float xv[4] = {0, 2, 10, 14};
        int64_t dims[3] = {1, 4, 1};
        int n = per_group ? 2 : 4;
        int ins[3] = {odin_constant_f32(g, "x", 3, dims, xv),
                      vec(g, "s", n, per_group ? s_gr : s_ch), vec(g, "b", n, per_group ? b_gr : b_ch)};
        odin_attr a[2] = {ODIN_ATTR_F("epsilon", 0), ODIN_ATTR_I("num_groups", 2)};
        int y = odin_build(g, "GroupNormalization", ins, 3, a, 2, 1, NULL);
        odin_value res;
        CHECK_OK(run(g, &y, 1, &res));
        if (res.data) {
            check_floats(&res, per_group ? want_gr : want_ch, 4, 1e-6);
            odin_values_free(&res, 1);
        }
        odin_graph_free(g);
    }
}

static void test_groupnorm_indivisible(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[3] = {0}, p[3] = {1, 1, 1};
    int64_t dims[3] = {1, 3, 1};
    int ins[3] = {odin_constant_f32(g, "x", 3, dims, xv), vec(g, "s", 3, p), vec(g, "b", 3, p)};
    odin_attr a = ODIN_ATTR_I("num_groups", 2);
    odin_build(g, "GroupNormalization", ins, 3, &a, 1, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "not divisible by num_groups");
    odin_graph_free(g);
}

static void test_lpnorm(void) {
    static const float want1[4] = {0.25f, -0.75f, 0.5f, 0.5f};
    static const float want2[4] = {0.6f, 0.8f, 0.8f, 0.6f};
    for (int p = 1; p <= 2; p++) {
        odin_graph *g = odin_graph_new("t");
        float x1[4] = {1, -3, 2, 2}, x2[4] = {3, 4, 4, 3};
        int64_t dims[2] = {2, 2};
        int x = odin_constant_f32(g, "x", 2, dims, p == 1 ? x1 : x2);
        odin_attr a[2] = {ODIN_ATTR_I("p", p), ODIN_ATTR_I("axis", 1)};
        int y = odin_build(g, "LpNormalization", &x, 1, a, 2, 1, NULL);
        odin_value res;
        CHECK_OK(run(g, &y, 1, &res));
        if (res.data) {
            check_floats(&res, p == 1 ? want1 : want2, 4, 1e-6);
            odin_values_free(&res, 1);
        }
        odin_graph_free(g);
    }
    odin_graph *g = odin_graph_new("t");
    float xv[2] = {1, 2};
    int x = vec(g, "x", 2, xv);
    odin_attr a = ODIN_ATTR_I("p", 3);
    odin_build(g, "LpNormalization", &x, 1, &a, 1, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "only 1 and 2");
    odin_graph_free(g);
}

/* Default axes [0, 2, 3]: per channel over batch and space; [1, 3] -> [-1, 1]. */
static void test_mvn_default_axes(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[4] = {1, 10, 3, 30};
    int64_t dims[4] = {2, 2, 1, 1};
    int x = odin_constant_f32(g, "x", 4, dims, xv);
    int y = odin_build(g, "MeanVarianceNormalization", &x, 1, NULL, 0, 1, NULL);
    odin_value res;
    CHECK_OK(run(g, &y, 1, &res));
    if (res.data) {
        float want[4] = {-1, -1, 1, 1};
        check_floats(&res, want, 4, 1e-6);
        odin_values_free(&res, 1);
    }
    odin_graph_free(g);
}

/* [3, 4]: rms = sqrt(12.5). */
static void test_rmsnorm(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[2] = {3, 4}, s[2] = {1, 2};
    int64_t dims[2] = {1, 2};
    int ins[2] = {odin_constant_f32(g, "x", 2, dims, xv), vec(g, "s", 2, s)};
    odin_attr a = ODIN_ATTR_F("epsilon", 0);
    int y = odin_build(g, "RMSNormalization", ins, 2, &a, 1, 1, NULL);
    odin_value res;
    CHECK_OK(run(g, &y, 1, &res));
    if (res.data) {
        float want[2] = {(float)(3 / sqrt(12.5)), (float)(8 / sqrt(12.5))};
        check_floats(&res, want, 2, 1e-6);
        odin_values_free(&res, 1);
    }
    odin_graph_free(g);
}

static void test_norm_rejects_int(void) {
    odin_graph *g = odin_graph_new("t");
    int32_t xv[2] = {1, 2};
    int64_t dims[1] = {2};
    int x = odin_constant(g, "x", ODIN_I32, 1, dims, xv);
    odin_build(g, "LpNormalization", &x, 1, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "expected a floating-point tensor");
    odin_graph_free(g);
}

int main(void) {
    RUN(test_layernorm_outputs);
    RUN(test_layernorm_bad_scale);
    RUN(test_batchnorm_inference);
    RUN(test_batchnorm_training);
    RUN(test_batchnorm_bad_channels);
    RUN(test_instancenorm);
    RUN(test_groupnorm_channel_and_group_affine);
    RUN(test_groupnorm_indivisible);
    RUN(test_lpnorm);
    RUN(test_mvn_default_axes);
    RUN(test_rmsnorm);
    RUN(test_norm_rejects_int);
    TEST_DONE();
}
