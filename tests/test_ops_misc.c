/* tests/test_ops_misc.c — edge cases of the misc family the ONNX node tests miss:
 * Resize nearest rounding modes, N-D linear on a linear function, antialias,
 * keep_aspect_ratio_policy, tf_crop_and_resize extrapolation; Range with exact int64
 * extremes; Constant attribute forms; ConstantOfShape scalars; EyeLike off-diagonals;
 * Dropout masks. Expected values are worked out by hand from the ONNX spec. */
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

static odin_status run(odin_graph *g, int t, odin_value *out) { return run_n(g, &t, 1, out); }

static int i64s(odin_graph *g, const char *name, int n, const int64_t *v) {
    int64_t d[1] = {n};
    return odin_constant_i64(g, odin_graph_unique_name(g, name), 1, d, v);
}

static int f32s(odin_graph *g, const char *name, int n, const float *v) {
    int64_t d[1] = {n};
    return odin_constant_f32(g, odin_graph_unique_name(g, name), 1, d, v);
}

static bool f32_near(const odin_value *v, int n, const float *want) {
    if (odin_value_numel(v) != n) return false;
    for (int i = 0; i < n; i++)
        if (fabs(((const float *)v->data)[i] - want[i]) > 1e-5) return false;
    return true;
}

/* Resize 1-D [0,1,2,3] to 8 with asymmetric coordinates o/2 under each nearest_mode. */
static void test_resize_nearest_modes(void) {
    static const char *modes[4] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    static const float want[4][8] = {{0, 0, 1, 1, 2, 2, 3, 3},
                                     {0, 1, 1, 2, 2, 3, 3, 3},
                                     {0, 0, 1, 1, 2, 2, 3, 3},
                                     {0, 1, 1, 2, 2, 3, 3, 3}};
    for (int m = 0; m < 4; m++) {
        odin_graph *g = odin_graph_new("t");
        float xv[4] = {0, 1, 2, 3};
        int64_t sizes[1] = {8};
        int ins[4] = {f32s(g, "x", 4, xv), -2, -2, i64s(g, "sizes", 1, sizes)};
        odin_attr a[3] = {ODIN_ATTR_S("mode", "nearest"),
                          ODIN_ATTR_S("coordinate_transformation_mode", "asymmetric"),
                          ODIN_ATTR_S("nearest_mode", modes[m])};
        int y = odin_build(g, "Resize", ins, 4, a, 3, 1, NULL);
        odin_value out;
        CHECK_OK(run(g, y, &out));
        if (out.data) {
            CHECK(f32_near(&out, 8, want[m]), "%s", modes[m]);
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
}

/* Trilinear interpolation reproduces a linear function: f = i + 2j + 4k on 2x2x2,
 * align_corners to 3x3x3 samples at half steps, so y[a,b,c] = a/2 + b + 2c. */
static void test_resize_trilinear(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[8];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 2; k++) xv[(i * 2 + j) * 2 + k] = (float)(i + 2 * j + 4 * k);
    int64_t dims[3] = {2, 2, 2}, sizes[3] = {3, 3, 3};
    int ins[4] = {odin_constant_f32(g, "x", 3, dims, xv), -2, -2, i64s(g, "sizes", 3, sizes)};
    odin_attr a[2] = {ODIN_ATTR_S("mode", "linear"),
                      ODIN_ATTR_S("coordinate_transformation_mode", "align_corners")};
    int y = odin_build(g, "Resize", ins, 4, a, 2, 1, NULL);
    CHECK_OK(odin_graph_take_error(g));
    if (y >= 0) CHECK(g->tensors[y].dims[0] == 3 && g->tensors[y].dims[2] == 3, "static shape");
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        float want[27];
        for (int p = 0; p < 3; p++)
            for (int q = 0; q < 3; q++)
                for (int r = 0; r < 3; r++) want[(p * 3 + q) * 3 + r] = p / 2.0f + q + 2.0f * r;
        CHECK(f32_near(&out, 27, want), "linear function reproduced");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* Antialias (opset 18) halving [0,1,2,3]: the linear kernel widens to 4 taps with
 * weights 1/8, 3/8, 3/8, 1/8 around 0.5 and 2.5 (edge-clamped). */
static void test_resize_antialias(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[4] = {0, 1, 2, 3}, sc[1] = {0.5f};
    int ins[3] = {f32s(g, "x", 4, xv), -2, f32s(g, "scales", 1, sc)};
    odin_attr a[2] = {ODIN_ATTR_S("mode", "linear"), ODIN_ATTR_I("antialias", 1)};
    int y = odin_build(g, "Resize", ins, 3, a, 2, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(f32_near(&out, 2, (float[]){0.625f, 2.375f}), "%g %g", ((float *)out.data)[0],
              ((float *)out.data)[1]);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* sizes [4,4] for a 2x4 image: not_larger keeps scale min(2,1) = 1, not_smaller 2. */
static void test_resize_keep_aspect_ratio(void) {
    for (int larger = 0; larger < 2; larger++) {
        odin_graph *g = odin_graph_new("t");
        float xv[8] = {0};
        int64_t dims[4] = {1, 1, 2, 4}, sizes[2] = {4, 4}, axes[2] = {2, 3};
        int ins[4] = {odin_constant_f32(g, "x", 4, dims, xv), -2, -2, i64s(g, "sizes", 2, sizes)};
        odin_attr a[2] = {ODIN_ATTR_S("keep_aspect_ratio_policy", larger ? "not_smaller" : "not_larger"),
                          ODIN_ATTR_INTS("axes", axes, 2)};
        int y = odin_build(g, "Resize", ins, 4, a, 2, 1, NULL);
        CHECK_OK(odin_graph_take_error(g));
        if (y >= 0) {
            const odin_tensor *t = &g->tensors[y];
            CHECK(t->dims[2] == (larger ? 4 : 2) && t->dims[3] == (larger ? 8 : 4), "%s",
                  larger ? "not_smaller" : "not_larger");
        }
        odin_graph_free(g);
    }
}

/* tf_crop_and_resize with roi [0, 2] on 4 samples: x = 3o, so o = 2 falls outside
 * and takes extrapolation_value. */
static void test_resize_crop_extrapolation(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[4] = {0, 1, 2, 3}, roi[2] = {0, 2};
    int64_t sizes[1] = {3};
    int ins[4] = {f32s(g, "x", 4, xv), f32s(g, "roi", 2, roi), -2, i64s(g, "sizes", 1, sizes)};
    odin_attr a[3] = {ODIN_ATTR_S("mode", "linear"),
                      ODIN_ATTR_S("coordinate_transformation_mode", "tf_crop_and_resize"),
                      ODIN_ATTR_F("extrapolation_value", 10)};
    int y = odin_build(g, "Resize", ins, 4, a, 3, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(f32_near(&out, 3, (float[]){0, 3, 10}), "values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    float sc[2] = {2, 2};
    int ins2[3] = {f32s(g, "x", 4, xv), -2, f32s(g, "scales", 2, sc)};
    odin_build(g, "Resize", ins2, 3, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "scales has 2 values for 1 axes");
    odin_graph_free(g);
}

/* Upsample: opset 7 takes scales as an attribute (nearest repeats), opset 9 as an
 * input; linear uses asymmetric coordinates x/2 with the edge clamped: 1, 1.5, 2, 2. */
static void test_upsample(void) {
    for (int opset = 7; opset <= 9; opset += 2) {
        odin_graph *g = odin_graph_new("t");
        g->opset = opset;
        float xv[2] = {1, 2}, sc[1] = {2};
        int ins[2] = {f32s(g, "x", 2, xv), opset >= 9 ? f32s(g, "scales", 1, sc) : -2};
        odin_attr a[2] = {ODIN_ATTR_S("mode", opset >= 9 ? "linear" : "nearest"),
                          {.name = "scales", .kind = ODIN_ATTR_FLOATS, .floats = sc, .count = 1}};
        int y = odin_build(g, "Upsample", ins, opset >= 9 ? 2 : 1, a, opset >= 9 ? 1 : 2, 1, NULL);
        odin_value out;
        CHECK_OK(run(g, y, &out));
        if (out.data) {
            CHECK(f32_near(&out, 4, opset >= 9 ? (float[]){1, 1.5f, 2, 2} : (float[]){1, 1, 2, 2}),
                  "opset %d", opset);
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
}

/* Range count is ceil((limit - start) / delta), exact even across the int64 range. */
static void test_range(void) {
    odin_graph *g = odin_graph_new("t");
    int64_t s = INT64_MIN, l = INT64_MAX, d = INT64_MAX;
    int ins[3] = {odin_constant_i64(g, "s", 0, NULL, &s), odin_constant_i64(g, "l", 0, NULL, &l),
                  odin_constant_i64(g, "d", 0, NULL, &d)};
    int y = odin_build(g, "Range", ins, 3, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        const int64_t *v = out.data;
        CHECK(out.dims[0] == 3 && v[0] == INT64_MIN && v[1] == -1 && v[2] == INT64_MAX - 1,
              "3 values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    int32_t a = 10, b = 1, c = -3;
    int ins2[3] = {odin_constant(g, "s", ODIN_I32, 0, NULL, &a), odin_constant(g, "l", ODIN_I32, 0, NULL, &b),
                   odin_constant(g, "d", ODIN_I32, 0, NULL, &c)};
    y = odin_build(g, "Range", ins2, 3, NULL, 0, 1, NULL);
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        const int32_t *v = out.data;
        CHECK(out.dims[0] == 3 && v[0] == 10 && v[1] == 7 && v[2] == 4, "10,7,4");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    float f0 = 0, f1 = 1, fz = 0;
    int ins3[3] = {odin_scalar_f32(g, "s", f0), odin_scalar_f32(g, "l", f1), odin_scalar_f32(g, "d", fz)};
    odin_build(g, "Range", ins3, 3, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "delta is 0");
    odin_graph_free(g);
}

/* Constant's value_ints / value_float forms; ConstantOfShape with an empty shape is a
 * scalar of the value's dtype. */
static void test_constants(void) {
    odin_graph *g = odin_graph_new("t");
    int64_t iv[3] = {4, 5, 6};
    odin_attr a = ODIN_ATTR_INTS("value_ints", iv, 3);
    int y0 = odin_build(g, "Constant", NULL, 0, &a, 1, 1, NULL);
    odin_attr b = ODIN_ATTR_F("value_float", 2.5f);
    int y1 = odin_build(g, "Constant", NULL, 0, &b, 1, 1, NULL);
    int64_t seven = 7;
    odin_attr c = {.name = "value", .kind = ODIN_ATTR_TENSOR,
                   .t = {.dtype = ODIN_I64, .rank = 1, .dims = {1}, .data = &seven}};
    int64_t none[1];
    int y2 = odin_build(g, "ConstantOfShape", (int[]){i64s(g, "shape", 0, none)}, 1, &c, 1, 1, NULL);
    int64_t shp[2] = {2, 1};
    int y3 = odin_build(g, "ConstantOfShape", (int[]){i64s(g, "shape", 2, shp)}, 1, NULL, 0, 1, NULL);
    int outs[4] = {y0, y1, y2, y3};
    odin_value out[4];
    CHECK_OK(run_n(g, outs, 4, out));
    if (out[0].data) {
        CHECK(out[0].dtype == ODIN_I64 && out[0].rank == 1 && ((int64_t *)out[0].data)[2] == 6, "ints");
        CHECK(out[1].dtype == ODIN_F32 && out[1].rank == 0 && *(float *)out[1].data == 2.5f, "float");
        CHECK(out[2].dtype == ODIN_I64 && out[2].rank == 0 && *(int64_t *)out[2].data == 7, "scalar 7");
        CHECK(out[3].dtype == ODIN_F32 && out[3].rank == 2 && ((float *)out[3].data)[1] == 0,
              "default float zeros");
        odin_values_free(out, 4);
    }
    odin_graph_free(g);
}

/* EyeLike on 2x3 with k = 1 and dtype int32 (ONNX code 6); k beyond the width is empty. */
static void test_eyelike(void) {
    for (int far = 0; far < 2; far++) {
        odin_graph *g = odin_graph_new("t");
        float xv[6] = {0};
        int64_t dims[2] = {2, 3};
        int x = odin_constant_f32(g, "x", 2, dims, xv);
        odin_attr a[2] = {ODIN_ATTR_I("k", far ? 5 : 1), ODIN_ATTR_I("dtype", 6)};
        int y = odin_build(g, "EyeLike", &x, 1, a, 2, 1, NULL);
        odin_value out;
        CHECK_OK(run(g, y, &out));
        if (out.data) {
            const int32_t *v = out.data;
            int32_t want[6] = {0, far ? 0 : 1, 0, 0, 0, far ? 0 : 1};
            CHECK(out.dtype == ODIN_I32 && !memcmp(v, want, sizeof want), "k=%d", far ? 5 : 1);
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
}

/* Inference Dropout: output equals input, mask all true (bool from opset 10). */
static void test_dropout(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[3] = {1, -2, 3}, r = 0.9f;
    int ins[2] = {f32s(g, "x", 3, xv), odin_scalar_f32(g, "r", r)};
    int outs[2];
    odin_build(g, "Dropout", ins, 2, NULL, 0, 2, outs);
    odin_value out[2];
    CHECK_OK(run_n(g, outs, 2, out));
    if (out[0].data) {
        CHECK(f32_near(&out[0], 3, xv), "identity");
        const uint8_t *m = out[1].data;
        CHECK(out[1].dtype == ODIN_BOOL && m[0] == 1 && m[1] == 1 && m[2] == 1, "mask");
        odin_values_free(out, 2);
    }
    odin_graph_free(g);
}

/* Training mode with seed 0: numpy's np.random.seed(0); uniform(size=3) gives
 * 0.5488, 0.7152, 0.6028, so ratio 0.6 drops the first and scales the rest by 2.5. */
static void test_dropout_training_seeded(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[3] = {1, 1, 1}, r = 0.6f;
    uint8_t t = 1;
    int ins[3] = {f32s(g, "x", 3, xv), odin_scalar_f32(g, "r", r),
                  odin_constant(g, "t", ODIN_BOOL, 0, NULL, &t)};
    odin_attr a = ODIN_ATTR_I("seed", 0);
    int outs[2];
    odin_build(g, "Dropout", ins, 3, &a, 1, 2, outs);
    odin_value out[2];
    CHECK_OK(run_n(g, outs, 2, out));
    if (out[0].data) {
        CHECK(f32_near(&out[0], 3, (float[]){0, 2.5f, 2.5f}), "values");
        const uint8_t *m = out[1].data;
        CHECK(m[0] == 0 && m[1] == 1 && m[2] == 1, "mask");
        odin_values_free(out, 2);
    }
    odin_graph_free(g);
}

int main(void) {
    RUN(test_resize_nearest_modes);
    RUN(test_resize_trilinear);
    RUN(test_resize_antialias);
    RUN(test_resize_keep_aspect_ratio);
    RUN(test_resize_crop_extrapolation);
    RUN(test_upsample);
    RUN(test_range);
    RUN(test_constants);
    RUN(test_eyelike);
    RUN(test_dropout);
    RUN(test_dropout_training_seeded);
    TEST_DONE();
}
