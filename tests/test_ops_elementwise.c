/* tests/test_ops_elementwise.c — edge cases of the elementwise ops the ONNX conformance
 * data misses: broadcasting rules and errors, integer wrap/truncation/division by zero,
 * Mod sign rules, Cast rounding, Round ties, Clip/Where/variadic/BitShift corners.
 * Expected values come from the ONNX spec and hand arithmetic. */
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../ops/broadcast.h"
#include "../ops/interpret.h"
#include "test.h"

/* Mark t as the single output, run the graph (all inputs are constants), return y. */
static odin_status run(odin_graph *g, int t, odin_value *y) {
    odin_output(g, t, "y");
    odin_status st = odin_graph_take_error(g);
    if (st) return st;
    return odin_interpret(g, NULL, 0, y);
}

/* Build op over constant inputs; on success *y holds the result (free with odin_values_free). */
static odin_status eval_op(const char *op, const int *ins, int n_in, const odin_attr *attrs,
                           int n_attrs, odin_graph *g, odin_value *y) {
    int t = odin_build(g, op, ins, n_in, attrs, n_attrs, 1, NULL);
    return run(g, t, y);
}

static void test_broadcast_add(void) {
    odin_graph *g = odin_graph_new("t");
    float a[6] = {0, 10, 20, 30, 40, 50}, b[4] = {1, 2, 3, 4};
    int64_t da[3] = {2, 3, 1}, db[1] = {4};
    int ins[2] = {odin_constant_f32(g, "a", 3, da, a), odin_constant_f32(g, "b", 1, db, b)};
    odin_value y = {0};
    CHECK_OK(eval_op("Add", ins, 2, NULL, 0, g, &y));
    CHECK(y.rank == 3 && y.dims[0] == 2 && y.dims[1] == 3 && y.dims[2] == 4, "shape");
    const float *o = y.data;
    if (o) {
        /* y[i,j,k] = a[i,j] + b[k] */
        CHECK(o[0] == 1 && o[3] == 4 && o[4] == 11 && o[23] == 54, "values %g %g %g %g", o[0],
              o[3], o[4], o[23]);
    }
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_broadcast_error(void) {
    odin_graph *g = odin_graph_new("t");
    float a[6] = {0}, b[4] = {0};
    int64_t da[2] = {2, 3}, db[1] = {4};
    int ins[2] = {odin_constant_f32(g, "a", 2, da, a), odin_constant_f32(g, "b", 1, db, b)};
    odin_build(g, "Mul", ins, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "not broadcastable");
    odin_graph_free(g);
}

static void test_bcast_index(void) {
    odin_value a = {.dtype = ODIN_F32, .rank = 2, .dims = {3, 1}};
    odin_value b = {.dtype = ODIN_F32, .rank = 1, .dims = {4}};
    odin_value v[2] = {a, b};
    odin_bcast bc;
    CHECK_OK(odin_bcast_init(&bc, v, 2));
    CHECK(bc.numel == 12 && bc.rank == 2, "numel %lld", (long long)bc.numel);
    /* output [2,3] -> a[2,0] = 2, b[3] = 3; the iterator must agree with random access */
    int64_t idx[2];
    odin_bcast_index(&bc, 11, idx);
    CHECK(idx[0] == 2 && idx[1] == 3, "index %lld %lld", (long long)idx[0], (long long)idx[1]);
    bool agree = true;
    for (int64_t e = 0; e < bc.numel; e++, odin_bcast_next(&bc)) {
        odin_bcast_index(&bc, e, idx);
        if (idx[0] != bc.off[0] || idx[1] != bc.off[1]) agree = false;
    }
    CHECK(agree, "iterator and odin_bcast_index disagree");
}

static void test_int_wrap_and_exact(void) {
    odin_graph *g = odin_graph_new("t");
    int8_t a[2] = {100, -128}, b[2] = {100, -1};
    int64_t d[1] = {2};
    int ins[2] = {odin_constant(g, "a", ODIN_I8, 1, d, a), odin_constant(g, "b", ODIN_I8, 1, d, b)};
    odin_value y = {0};
    CHECK_OK(eval_op("Add", ins, 2, NULL, 0, g, &y));
    if (y.data) CHECK(((int8_t *)y.data)[0] == -56 && ((int8_t *)y.data)[1] == 127, "int8 wrap");
    odin_values_free(&y, 1);
    odin_graph_free(g);

    /* int64 beyond 2^53 must stay exact */
    g = odin_graph_new("t");
    int64_t big[1] = {(INT64_C(1) << 62) + 1}, one[1] = {1};
    int ins2[2] = {odin_constant_i64(g, "a", 1, (int64_t[]){1}, big),
                   odin_constant_i64(g, "b", 1, (int64_t[]){1}, one)};
    CHECK_OK(eval_op("Add", ins2, 2, NULL, 0, g, &y));
    if (y.data) CHECK(((int64_t *)y.data)[0] == (INT64_C(1) << 62) + 2, "int64 exact");
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_int_div(void) {
    odin_graph *g = odin_graph_new("t");
    int32_t a[3] = {-7, 7, INT32_MIN}, b[3] = {2, -2, -1};
    int64_t d[1] = {3};
    int ins[2] = {odin_constant(g, "a", ODIN_I32, 1, d, a), odin_constant(g, "b", ODIN_I32, 1, d, b)};
    odin_value y = {0};
    CHECK_OK(eval_op("Div", ins, 2, NULL, 0, g, &y));
    const int32_t *o = y.data;
    if (o) CHECK(o[0] == -3 && o[1] == -3 && o[2] == INT32_MIN, "%d %d %d", o[0], o[1], o[2]);
    odin_values_free(&y, 1);
    odin_graph_free(g);

    g = odin_graph_new("t");
    int32_t z[3] = {1, 0, 1};
    int ins2[2] = {odin_constant(g, "a", ODIN_I32, 1, d, a), odin_constant(g, "b", ODIN_I32, 1, d, z)};
    CHECK_ERR(eval_op("Div", ins2, 2, NULL, 0, g, &y), "division by zero");
    odin_graph_free(g);
}

static void test_mod_signs(void) {
    int64_t d[1] = {4};
    int32_t a[4] = {-7, 7, -7, 7}, b[4] = {3, -3, -3, 3};
    for (int fm = 0; fm < 2; fm++) {
        odin_graph *g = odin_graph_new("t");
        int ins[2] = {odin_constant(g, "a", ODIN_I32, 1, d, a),
                      odin_constant(g, "b", ODIN_I32, 1, d, b)};
        odin_attr at = ODIN_ATTR_I("fmod", fm);
        odin_value y = {0};
        CHECK_OK(eval_op("Mod", ins, 2, &at, 1, g, &y));
        const int32_t *o = y.data;
        /* fmod=0: sign of the divisor (Python); fmod=1: sign of the dividend (C) */
        if (o && fm == 0) CHECK(o[0] == 2 && o[1] == -2 && o[2] == -1 && o[3] == 1, "mod");
        if (o && fm == 1) CHECK(o[0] == -1 && o[1] == 1 && o[2] == -1 && o[3] == 1, "fmod");
        odin_values_free(&y, 1);
        odin_graph_free(g);
    }
}

static odin_status cast(const void *x, odin_dtype from, int n, odin_dtype to, odin_value *y) {
    odin_graph *g = odin_graph_new("t");
    int64_t d[1] = {n};
    int t = odin_cast(g, odin_constant(g, "x", from, 1, d, x), to);
    odin_status st = run(g, t, y);
    odin_graph_free(g);
    return st;
}

static void test_cast(void) {
    float f[5] = {-2.7f, 2.7f, 0.0f, -0.5f, NAN};
    odin_value y = {0};
    CHECK_OK(cast(f, ODIN_F32, 2, ODIN_I32, &y));
    if (y.data) CHECK(((int32_t *)y.data)[0] == -2 && ((int32_t *)y.data)[1] == 2, "truncation");
    odin_values_free(&y, 1);
    CHECK_OK(cast(f + 2, ODIN_F32, 3, ODIN_BOOL, &y));
    const uint8_t *bo = y.data;
    if (bo) CHECK(bo[0] == 0 && bo[1] == 1 && bo[2] == 1, "to bool %d %d %d", bo[0], bo[1], bo[2]);
    odin_values_free(&y, 1);
    /* 1 + 2^-11 + 2^-40 is just above an f16 tie: rounds up to 1 + 2^-10 (0x3C01); a
     * double -> float -> half path would lose 2^-40 and round the tie to even (0x3C00). */
    double dv[1] = {1.0 + 0x1p-11 + 0x1p-40};
    CHECK_OK(cast(dv, ODIN_F64, 1, ODIN_F16, &y));
    if (y.data) CHECK(((uint16_t *)y.data)[0] == 0x3C01, "f16 bits %#x", ((uint16_t *)y.data)[0]);
    odin_values_free(&y, 1);
    int64_t neg[1] = {-1};
    CHECK_OK(cast(neg, ODIN_I64, 1, ODIN_U8, &y));
    if (y.data) CHECK(((uint8_t *)y.data)[0] == 255, "wrap to u8");
    odin_values_free(&y, 1);
    /* string casts are refused with a clear message */
    odin_graph *g = odin_graph_new("t");
    odin_attr a = ODIN_ATTR_I("to", 8);
    int x = odin_constant_f32(g, "x", 1, (int64_t[]){1}, f);
    odin_build(g, "Cast", &x, 1, &a, 1, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "string");
    odin_graph_free(g);
}

/* float -> bfloat16: Cast-19 rounds to nearest even; older opsets truncate (what the
 * ONNX reference of those opsets did). 1 + 3/4 ulp: RNE 0x3F81, truncation 0x3F80. */
static void test_cast_bf16_opsets(void) {
    float x[1] = {1.0f + 0x1p-8f + 0x1p-9f};
    for (int k = 0; k < 2; k++) {
        odin_graph *g = odin_graph_new("t");
        g->opset = k ? 13 : 21;
        int t = odin_cast(g, odin_constant_f32(g, "x", 1, (int64_t[]){1}, x), ODIN_BF16);
        odin_value y = {0};
        CHECK_OK(run(g, t, &y));
        uint16_t want = k ? 0x3F80 : 0x3F81;
        if (y.data) CHECK(((uint16_t *)y.data)[0] == want, "opset %d: %#x", g->opset, ((uint16_t *)y.data)[0]);
        odin_values_free(&y, 1);
        odin_graph_free(g);
    }
}

static void test_round_ties(void) {
    odin_graph *g = odin_graph_new("t");
    float x[6] = {0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 2.6f};
    int t = odin_build(g, "Round", (int[]){odin_constant_f32(g, "x", 1, (int64_t[]){6}, x)}, 1,
                       NULL, 0, 1, NULL);
    odin_value y = {0};
    CHECK_OK(run(g, t, &y));
    const float *o = y.data;
    if (o) CHECK(o[0] == 0 && o[1] == 2 && o[2] == 2 && o[3] == -2 && o[4] == 0 && o[5] == 3,
                 "%g %g %g %g %g %g", o[0], o[1], o[2], o[3], o[4], o[5]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_clip_int(void) {
    odin_graph *g = odin_graph_new("t");
    int8_t x[3] = {-128, 0, 127}, lo = 5, hi = 3;
    int ins[3] = {odin_constant(g, "x", ODIN_I8, 1, (int64_t[]){3}, x),
                  odin_constant(g, "lo", ODIN_I8, 0, NULL, &lo),
                  odin_constant(g, "hi", ODIN_I8, 0, NULL, &hi)};
    odin_value y = {0};
    /* min > max: numpy.clip semantics, every element becomes max */
    CHECK_OK(eval_op("Clip", ins, 3, NULL, 0, g, &y));
    const int8_t *o = y.data;
    if (o) CHECK(o[0] == 3 && o[1] == 3 && o[2] == 3, "%d %d %d", o[0], o[1], o[2]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
    /* no bounds: identity on the full int8 range; only max given */
    g = odin_graph_new("t");
    int ins2[3] = {odin_constant(g, "x", ODIN_I8, 1, (int64_t[]){3}, x), -2,
                   odin_constant(g, "hi", ODIN_I8, 0, NULL, &hi)};
    CHECK_OK(eval_op("Clip", ins2, 3, NULL, 0, g, &y));
    o = y.data;
    if (o) CHECK(o[0] == -128 && o[1] == 0 && o[2] == 3, "%d %d %d", o[0], o[1], o[2]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_where_bcast(void) {
    odin_graph *g = odin_graph_new("t");
    uint8_t c[2] = {1, 0};
    int64_t a[3] = {1, 2, 3}, b = -1;
    int ins[3] = {odin_constant(g, "c", ODIN_BOOL, 2, (int64_t[]){2, 1}, c),
                  odin_constant_i64(g, "a", 1, (int64_t[]){3}, a), odin_constant_i64(g, "b", 0, NULL, &b)};
    odin_value y = {0};
    CHECK_OK(eval_op("Where", ins, 3, NULL, 0, g, &y));
    const int64_t *o = y.data;
    CHECK(y.rank == 2 && y.dims[0] == 2 && y.dims[1] == 3, "shape");
    if (o) CHECK(o[0] == 1 && o[2] == 3 && o[3] == -1 && o[5] == -1, "values");
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_variadic_max(void) {
    odin_graph *g = odin_graph_new("t");
    float a[2] = {1, NAN}, b[1] = {2}, c[2] = {3, 0};
    int ins[3] = {odin_constant_f32(g, "a", 1, (int64_t[]){2}, a),
                  odin_constant_f32(g, "b", 1, (int64_t[]){1}, b),
                  odin_constant_f32(g, "c", 2, (int64_t[]){1, 2}, c)};
    odin_value y = {0};
    CHECK_OK(eval_op("Max", ins, 3, NULL, 0, g, &y));
    const float *o = y.data;
    CHECK(y.rank == 2 && y.dims[0] == 1 && y.dims[1] == 2, "shape");
    if (o) CHECK(o[0] == 3 && isnan(o[1]), "%g %g (NaN propagates like numpy.maximum)", o[0], o[1]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
    /* mixed dtypes are an error */
    g = odin_graph_new("t");
    int64_t i[1] = {1};
    int bad[2] = {odin_constant_f32(g, "a", 1, (int64_t[]){1}, a), odin_constant_i64(g, "b", 1, (int64_t[]){1}, i)};
    odin_build(g, "Sum", bad, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "dtype");
    odin_graph_free(g);
}

static void test_bitshift(void) {
    odin_graph *g = odin_graph_new("t");
    uint8_t a[3] = {255, 1, 128}, b[3] = {1, 8, 7};
    int ins[2] = {odin_constant(g, "a", ODIN_U8, 1, (int64_t[]){3}, a),
                  odin_constant(g, "b", ODIN_U8, 1, (int64_t[]){3}, b)};
    odin_attr dir = ODIN_ATTR_S("direction", "LEFT");
    odin_value y = {0};
    CHECK_OK(eval_op("BitShift", ins, 2, &dir, 1, g, &y));
    const uint8_t *o = y.data;
    if (o) CHECK(o[0] == 254 && o[1] == 0 && o[2] == 0, "%d %d %d", o[0], o[1], o[2]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_pow_int(void) {
    odin_graph *g = odin_graph_new("t");
    int32_t a[3] = {3, 2, -2}, b[3] = {4, -1, 3};
    int ins[2] = {odin_constant(g, "a", ODIN_I32, 1, (int64_t[]){3}, a),
                  odin_constant(g, "b", ODIN_I32, 1, (int64_t[]){3}, b)};
    odin_value y = {0};
    CHECK_OK(eval_op("Pow", ins, 2, NULL, 0, g, &y));
    const int32_t *o = y.data;
    CHECK(y.dtype == ODIN_I32, "dtype");
    if (o) CHECK(o[0] == 81 && o[1] == 0 && o[2] == -8, "%d %d %d", o[0], o[1], o[2]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_prelu_shape(void) {
    odin_graph *g = odin_graph_new("t");
    float x[2] = {-2, 3}, s[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    int ins[2] = {odin_constant_f32(g, "x", 1, (int64_t[]){2}, x),
                  odin_constant_f32(g, "s", 2, (int64_t[]){2, 2}, s)};
    odin_build(g, "PRelu", ins, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "does not broadcast to X");
    odin_graph_free(g);
}

static void test_gelu_mish(void) {
    /* references: Python math with the spec formulas */
    float x[2] = {1.0f, -2.0f};
    for (int k = 0; k < 3; k++) {
        odin_graph *g = odin_graph_new("t");
        int c = odin_constant_f32(g, "x", 1, (int64_t[]){2}, x);
        int t = k == 2 ? odin_build(g, "Mish", &c, 1, NULL, 0, 1, NULL) : odin_gelu(g, c, k == 1);
        odin_value y = {0};
        CHECK_OK(run(g, t, &y));
        const float *o = y.data;
        if (o && k == 0) {
            CHECK_NEAR(o[0], 0.8413447460685429, 1e-6);
            CHECK_NEAR(o[1], -0.04550026389635842, 1e-6);
        }
        if (o && k == 1) CHECK_NEAR(o[0], 0.8411919906082768, 1e-6);
        if (o && k == 2) CHECK_NEAR(o[0], 0.8650983882673103, 1e-6);
        odin_values_free(&y, 1);
        odin_graph_free(g);
    }
}

static void test_isinf_attrs(void) {
    odin_graph *g = odin_graph_new("t");
    float x[3] = {INFINITY, -INFINITY, 1};
    int c = odin_constant_f32(g, "x", 1, (int64_t[]){3}, x);
    odin_attr a = ODIN_ATTR_I("detect_negative", 0);
    int t = odin_build(g, "IsInf", &c, 1, &a, 1, 1, NULL);
    odin_value y = {0};
    CHECK_OK(run(g, t, &y));
    const uint8_t *o = y.data;
    CHECK(y.dtype == ODIN_BOOL, "dtype");
    if (o) CHECK(o[0] == 1 && o[1] == 0 && o[2] == 0, "%d %d %d", o[0], o[1], o[2]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_bad_dtype(void) {
    odin_graph *g = odin_graph_new("t");
    int32_t x[1] = {1};
    int c = odin_constant(g, "x", ODIN_I32, 1, (int64_t[]){1}, x);
    odin_build(g, "Sqrt", &c, 1, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "input 0 has dtype i32");
    odin_graph_free(g);
}

int main(void) {
    RUN(test_broadcast_add);
    RUN(test_broadcast_error);
    RUN(test_bcast_index);
    RUN(test_int_wrap_and_exact);
    RUN(test_int_div);
    RUN(test_mod_signs);
    RUN(test_cast);
    RUN(test_cast_bf16_opsets);
    RUN(test_round_ties);
    RUN(test_clip_int);
    RUN(test_where_bcast);
    RUN(test_variadic_max);
    RUN(test_bitshift);
    RUN(test_pow_int);
    RUN(test_prelu_shape);
    RUN(test_gelu_mish);
    RUN(test_isinf_attrs);
    RUN(test_bad_dtype);
    TEST_DONE();
}
