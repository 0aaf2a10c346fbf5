/* tests/test_ops_quant.c — QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear edge
 * cases: round half to even, saturation, per-axis and blocked scales, int32 input, shape
 * errors. Expected values are worked out by hand from the ONNX formulas. */
#include <stdint.h>

#include "../ir/builder.h"
#include "../ops/interpret.h"
#include "test.h"

/* Run node `op` on constant inputs; outputs land in ys (n_out of them). */
static odin_status eval_op(odin_graph *g, const char *op, const int *ins, int n_in,
                           const odin_attr *attrs, int n_attrs, int n_out, odin_value *ys) {
    int outs[3];
    odin_build(g, op, ins, n_in, attrs, n_attrs, n_out, outs);
    odin_status st = odin_graph_take_error(g);
    if (st) return st;
    for (int i = 0; i < n_out; i++) odin_output(g, outs[i], NULL);
    st = odin_graph_take_error(g);
    if (st) return st;
    return odin_interpret(g, NULL, 0, ys);
}

static void test_quantize_per_tensor_u8(void) {
    odin_graph *g = odin_graph_new("t");
    float x[6] = {0, 2.5f, 3.5f, -1, 1000, -100}, s = 1;
    uint8_t zp = 10;
    int ins[3] = {odin_constant_f32(g, "x", 1, (int64_t[]){6}, x), odin_scalar_f32(g, "s", s),
                  odin_constant(g, "zp", ODIN_U8, 0, NULL, &zp)};
    odin_value y = {0};
    CHECK_OK(eval_op(g, "QuantizeLinear", ins, 3, NULL, 0, 1, &y));
    const uint8_t *o = y.data;
    CHECK(y.dtype == ODIN_U8, "dtype");
    /* ties to even: 2.5 -> 2, 3.5 -> 4; saturation at 0 and 255 */
    if (o) CHECK(o[0] == 10 && o[1] == 12 && o[2] == 14 && o[3] == 9 && o[4] == 255 && o[5] == 0,
                 "%d %d %d %d %d %d", o[0], o[1], o[2], o[3], o[4], o[5]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_quantize_i8_no_zp_default_u8(void) {
    odin_graph *g = odin_graph_new("t");
    float x[3] = {-200, 127.5f, -0.5f};
    int8_t zp = 0;
    int ins[3] = {odin_constant_f32(g, "x", 1, (int64_t[]){3}, x), odin_scalar_f32(g, "s", 1),
                  odin_constant(g, "zp", ODIN_I8, 0, NULL, &zp)};
    odin_value y = {0};
    CHECK_OK(eval_op(g, "QuantizeLinear", ins, 3, NULL, 0, 1, &y));
    const int8_t *o = y.data;
    CHECK(y.dtype == ODIN_I8, "dtype");
    if (o) CHECK(o[0] == -128 && o[1] == 127 && o[2] == 0, "%d %d %d", o[0], o[1], o[2]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
    /* without a zero point the output is uint8 */
    g = odin_graph_new("t");
    int ins2[2] = {odin_constant_f32(g, "x", 1, (int64_t[]){3}, x), odin_scalar_f32(g, "s", 1)};
    CHECK_OK(eval_op(g, "QuantizeLinear", ins2, 2, NULL, 0, 1, &y));
    CHECK(y.dtype == ODIN_U8, "default dtype %s", odin_dtype_name(y.dtype));
    if (y.data) CHECK(((uint8_t *)y.data)[1] == 128, "127.5 -> 128 (even)");
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_quantize_per_axis(void) {
    odin_graph *g = odin_graph_new("t");
    float x[4] = {1, 2, 4, 6}, s[2] = {1, 2};
    uint8_t zp[2] = {0, 1};
    int ins[3] = {odin_constant_f32(g, "x", 2, (int64_t[]){2, 2}, x),
                  odin_constant_f32(g, "s", 1, (int64_t[]){2}, s),
                  odin_constant(g, "zp", ODIN_U8, 1, (int64_t[]){2}, zp)};
    odin_attr axis = ODIN_ATTR_I("axis", 0);
    odin_value y = {0};
    CHECK_OK(eval_op(g, "QuantizeLinear", ins, 3, &axis, 1, 1, &y));
    const uint8_t *o = y.data;
    if (o) CHECK(o[0] == 1 && o[1] == 2 && o[2] == 3 && o[3] == 4, "%d %d %d %d", o[0], o[1], o[2], o[3]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_quantize_blocked(void) {
    odin_graph *g = odin_graph_new("t"); /* builder graphs are opset 21 */
    float x[6] = {1, 2, 4, 6, 9, 12}, s[3] = {1, 2, 3};
    int ins[2] = {odin_constant_f32(g, "x", 2, (int64_t[]){1, 6}, x),
                  odin_constant_f32(g, "s", 2, (int64_t[]){1, 3}, s)};
    odin_attr at[2] = {ODIN_ATTR_I("axis", 1), ODIN_ATTR_I("block_size", 2)};
    odin_value y = {0};
    CHECK_OK(eval_op(g, "QuantizeLinear", ins, 2, at, 2, 1, &y));
    const uint8_t *o = y.data;
    if (o) CHECK(o[0] == 1 && o[1] == 2 && o[2] == 2 && o[3] == 3 && o[4] == 3 && o[5] == 4,
                 "%d %d %d %d %d %d", o[0], o[1], o[2], o[3], o[4], o[5]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
    /* a scale with the wrong block count is refused */
    g = odin_graph_new("t");
    int bad[2] = {odin_constant_f32(g, "x", 2, (int64_t[]){1, 6}, x),
                  odin_constant_f32(g, "s", 2, (int64_t[]){1, 2}, s)};
    odin_build(g, "QuantizeLinear", bad, 2, at, 2, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "block_size 2");
    odin_graph_free(g);
}

static void test_dequantize_int32_and_axis(void) {
    odin_graph *g = odin_graph_new("t");
    int32_t x[2] = {-5, 1 << 20};
    int ins[2] = {odin_constant(g, "x", ODIN_I32, 1, (int64_t[]){2}, x), odin_scalar_f32(g, "s", 0.5f)};
    odin_value y = {0};
    CHECK_OK(eval_op(g, "DequantizeLinear", ins, 2, NULL, 0, 1, &y));
    const float *o = y.data;
    CHECK(y.dtype == ODIN_F32, "dtype");
    if (o) CHECK(o[0] == -2.5f && o[1] == 524288.0f, "%g %g", o[0], o[1]);
    odin_values_free(&y, 1);
    odin_graph_free(g);

    g = odin_graph_new("t");
    uint8_t q[4] = {10, 20, 30, 40}, zp[2] = {10, 0};
    float s[2] = {1, 0.5f};
    int ins2[3] = {odin_constant(g, "x", ODIN_U8, 2, (int64_t[]){2, 2}, q),
                   odin_constant_f32(g, "s", 1, (int64_t[]){2}, s),
                   odin_constant(g, "zp", ODIN_U8, 1, (int64_t[]){2}, zp)};
    odin_attr axis = ODIN_ATTR_I("axis", -1);
    CHECK_OK(eval_op(g, "DequantizeLinear", ins2, 3, &axis, 1, 1, &y));
    o = y.data;
    if (o) CHECK(o[0] == 0 && o[1] == 10 && o[2] == 20 && o[3] == 20, "%g %g %g %g", o[0], o[1], o[2], o[3]);
    odin_values_free(&y, 1);
    odin_graph_free(g);
}

static void test_dequantize_errors(void) {
    odin_graph *g = odin_graph_new("t");
    uint8_t q[4] = {0};
    float s[3] = {1, 1, 1};
    int8_t zp = 0;
    int ins[2] = {odin_constant(g, "x", ODIN_U8, 2, (int64_t[]){2, 2}, q),
                  odin_constant_f32(g, "s", 1, (int64_t[]){3}, s)};
    odin_build(g, "DequantizeLinear", ins, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "does not match x shape");
    odin_graph_free(g);
    g = odin_graph_new("t");
    int ins2[3] = {odin_constant(g, "x", ODIN_U8, 2, (int64_t[]){2, 2}, q),
                   odin_scalar_f32(g, "s", 1), odin_constant(g, "zp", ODIN_I8, 0, NULL, &zp)};
    odin_build(g, "DequantizeLinear", ins2, 3, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "zero point has dtype i8");
    odin_graph_free(g);
}

static void test_dynamic_quantize(void) {
    /* range [-51, 204] -> scale 255/255 = 1, zero point 51; 2.5 ties to 2 */
    odin_graph *g = odin_graph_new("t");
    float x[4] = {-51, 0, 2.5f, 204};
    int in = odin_constant_f32(g, "x", 1, (int64_t[]){4}, x);
    odin_value ys[3] = {{0}};
    CHECK_OK(eval_op(g, "DynamicQuantizeLinear", &in, 1, NULL, 0, 3, ys));
    const uint8_t *o = ys[0].data;
    if (o) CHECK(o[0] == 0 && o[1] == 51 && o[2] == 53 && o[3] == 255, "%d %d %d %d", o[0], o[1], o[2], o[3]);
    if (ys[1].data) CHECK(*(float *)ys[1].data == 1.0f, "scale %g", *(float *)ys[1].data);
    if (ys[2].data) CHECK(*(uint8_t *)ys[2].data == 51, "zp %d", *(uint8_t *)ys[2].data);
    CHECK(ys[1].rank == 0 && ys[2].rank == 0, "scalar outputs");
    odin_values_free(ys, 3);
    odin_graph_free(g);
    /* all zeros: scale 0, zero point 0, no NaN */
    g = odin_graph_new("t");
    float z[2] = {0, 0};
    in = odin_constant_f32(g, "x", 1, (int64_t[]){2}, z);
    CHECK_OK(eval_op(g, "DynamicQuantizeLinear", &in, 1, NULL, 0, 3, ys));
    if (ys[0].data) CHECK(((uint8_t *)ys[0].data)[0] == 0, "y");
    if (ys[1].data) CHECK(*(float *)ys[1].data == 0.0f, "scale");
    if (ys[2].data) CHECK(*(uint8_t *)ys[2].data == 0, "zp");
    odin_values_free(ys, 3);
    odin_graph_free(g);
}

int main(void) {
    RUN(test_quantize_per_tensor_u8);
    RUN(test_quantize_i8_no_zp_default_u8);
    RUN(test_quantize_per_axis);
    RUN(test_quantize_blocked);
    RUN(test_dequantize_int32_and_axis);
    RUN(test_dequantize_errors);
    RUN(test_dynamic_quantize);
    TEST_DONE();
}
