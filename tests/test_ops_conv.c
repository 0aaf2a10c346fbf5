/* tests/test_ops_conv.c — edge cases of the conv and pool families the ONNX node tests
 * miss: SAME_LOWER vs SAME_UPPER padding, groups, the kernel_shape / weight mismatch
 * error, ConvTranspose output_padding and output_shape, ConvInteger zero points,
 * QLinearConv rounding, MaxPool Indices in both storage orders, ceil_mode dropping a
 * window that starts in the padding, count_include_pad, LpPool, MaxUnpool. Expected
 * values are worked out by hand from the ONNX spec. */
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../ops/interpret.h"
#include "test.h"

static odin_status run(odin_graph *g, int t, odin_value *out) {
    odin_status st = odin_graph_take_error(g);
    if (st) return st;
    odin_output(g, t, "y");
    st = odin_graph_take_error(g);
    if (st) return st;
    return odin_interpret(g, NULL, 0, out);
}

static int cdt(odin_graph *g, odin_dtype t, int rank, const int64_t *dims, const void *v) {
    return odin_constant(g, odin_graph_unique_name(g, "c"), t, rank, dims, v);
}

static int cf32(odin_graph *g, int rank, const int64_t *dims, const float *v) {
    return cdt(g, ODIN_F32, rank, dims, v);
}

static bool shape_is(const odin_value *v, int rank, const int64_t *dims) {
    if (v->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (v->dims[i] != dims[i]) return false;
    return true;
}

static void check_f32(const odin_value *v, const float *want, int n) {
    for (int i = 0; i < n; i++) CHECK_NEAR(((float *)v->data)[i], want[i], 1e-5);
}

/* One op on constant inputs (-2 = omitted), output 0 into *out. */
static odin_status run_op(const char *op, int n_in, const odin_dtype *t, const int *ranks,
                          const int64_t *const *dims, const void *const *vals,
                          const odin_attr *attrs, int n_attrs, odin_value *out) {
    odin_graph *g = odin_graph_new("t");
    int ins[16];
    for (int i = 0; i < n_in; i++) ins[i] = vals[i] ? cdt(g, t[i], ranks[i], dims[i], vals[i]) : -2;
    int y = odin_build(g, op, ins, n_in, attrs, n_attrs, 1, NULL);
    odin_status st = run(g, y, out);
    odin_graph_free(g);
    return st;
}

static const odin_dtype f3[3] = {ODIN_F32, ODIN_F32, ODIN_F32};

/* x = [1,2,3,4,5], w = [1,1]: the odd pad goes first with SAME_LOWER, last with
 * SAME_UPPER. */
static void test_conv_same_lower_upper(void) {
    float x[5] = {1, 2, 3, 4, 5}, w[2] = {1, 1};
    int64_t dx[3] = {1, 1, 5}, dw[3] = {1, 1, 2};
    odin_value out;
    odin_attr lo[1] = {ODIN_ATTR_S("auto_pad", "SAME_LOWER")};
    CHECK_OK(run_op("Conv", 2, f3, (int[]){3, 3}, (const int64_t *[]){dx, dw},
                    (const void *[]){x, w}, lo, 1, &out));
    if (out.data) {
        CHECK(shape_is(&out, 3, dx), "shape");
        check_f32(&out, (float[]){1, 3, 5, 7, 9}, 5);
        odin_values_free(&out, 1);
    }
    odin_attr up[1] = {ODIN_ATTR_S("auto_pad", "SAME_UPPER")};
    CHECK_OK(run_op("Conv", 2, f3, (int[]){3, 3}, (const int64_t *[]){dx, dw},
                    (const void *[]){x, w}, up, 1, &out));
    if (out.data) {
        check_f32(&out, (float[]){3, 5, 7, 9, 5}, 5);
        odin_values_free(&out, 1);
    }
}

/* group = 2: channel 0 is scaled by 2, channel 1 by -1, plus bias [10, 20]. */
static void test_conv_groups_bias(void) {
    float x[4] = {1, 2, 3, 4}, w[2] = {2, -1}, b[2] = {10, 20};
    int64_t dx[4] = {1, 2, 1, 2}, dw[4] = {2, 1, 1, 1}, db[1] = {2};
    odin_attr at[1] = {ODIN_ATTR_I("group", 2)};
    odin_value out;
    CHECK_OK(run_op("Conv", 3, f3, (int[]){4, 4, 1}, (const int64_t *[]){dx, dw, db},
                    (const void *[]){x, w, b}, at, 1, &out));
    if (out.data) {
        CHECK(shape_is(&out, 4, dx), "shape");
        check_f32(&out, (float[]){12, 14, 17, 16}, 4);
        odin_values_free(&out, 1);
    }
}

static void test_conv_shape_errors(void) {
    static const float v[256] = {0}; /* large enough for every operand below */
    int64_t dx[4] = {1, 3, 8, 8}, dw[4] = {4, 3, 3, 3}, dw2[4] = {4, 2, 3, 3};
    int64_t ks[2] = {2, 2};
    odin_attr at[1] = {ODIN_ATTR_INTS("kernel_shape", ks, 2)};
    odin_value out;
    CHECK_ERR(run_op("Conv", 2, f3, (int[]){4, 4}, (const int64_t *[]){dx, dw},
                     (const void *[]){v, v}, at, 1, &out),
              "kernel_shape [2,2] does not match weight shape [4,3,3,3]");
    CHECK_ERR(run_op("Conv", 2, f3, (int[]){4, 4}, (const int64_t *[]){dx, dw2},
                     (const void *[]){v, v}, NULL, 0, &out),
              "3 channels");
    int64_t db[1] = {5};
    CHECK_ERR(run_op("Conv", 3, f3, (int[]){4, 4, 1}, (const int64_t *[]){dx, dw, db},
                     (const void *[]){v, v, v}, NULL, 0, &out),
              "bias has shape [5]");
    int64_t big[2] = {9, 9};
    odin_attr at2[1] = {ODIN_ATTR_INTS("kernel_shape", big, 2)};
    int64_t dwb[4] = {1, 3, 9, 9};
    CHECK_ERR(run_op("Conv", 2, f3, (int[]){4, 4}, (const int64_t *[]){dx, dwb},
                     (const void *[]){v, v}, at2, 1, &out),
              "exceeds padded input");
}

/* x = [1,2,3], w = [1,1], stride 2 -> [1,1,2,2,3,3]; output_padding 1 adds a trailing 0;
 * output_shape [5] trims one element at the start (pads begin = 1 - 1/2 = 1). */
static void test_convtranspose_outpad_outshape(void) {
    float x[3] = {1, 2, 3}, w[2] = {1, 1};
    int64_t dx[3] = {1, 1, 3}, dw[3] = {1, 1, 2};
    int64_t s2[1] = {2}, op1[1] = {1}, os5[1] = {5};
    odin_value out;
    odin_attr a1[2] = {ODIN_ATTR_INTS("strides", s2, 1), ODIN_ATTR_INTS("output_padding", op1, 1)};
    CHECK_OK(run_op("ConvTranspose", 2, f3, (int[]){3, 3}, (const int64_t *[]){dx, dw},
                    (const void *[]){x, w}, a1, 2, &out));
    if (out.data) {
        CHECK(shape_is(&out, 3, (int64_t[]){1, 1, 7}), "output_padding shape");
        check_f32(&out, (float[]){1, 1, 2, 2, 3, 3, 0}, 7);
        odin_values_free(&out, 1);
    }
    odin_attr a2[2] = {ODIN_ATTR_INTS("strides", s2, 1), ODIN_ATTR_INTS("output_shape", os5, 1)};
    CHECK_OK(run_op("ConvTranspose", 2, f3, (int[]){3, 3}, (const int64_t *[]){dx, dw},
                    (const void *[]){x, w}, a2, 2, &out));
    if (out.data) {
        CHECK(shape_is(&out, 3, (int64_t[]){1, 1, 5}), "output_shape shape");
        check_f32(&out, (float[]){1, 2, 2, 3, 3}, 5);
        odin_values_free(&out, 1);
    }
}

/* ConvInteger: (x - 3) * (w - w_zp[m]) with a per-output-channel weight zero point. */
static void test_convinteger_zero_points(void) {
    uint8_t x[2] = {5, 1}, xz = 3;
    int8_t w[2] = {4, 4}, wz[2] = {1, 6}; /* w - wz = [3, -2] */
    int64_t dx[3] = {1, 1, 2}, dw[3] = {2, 1, 1}, dwz[1] = {2};
    odin_value out;
    CHECK_OK(run_op("ConvInteger", 4, (odin_dtype[]){ODIN_U8, ODIN_I8, ODIN_U8, ODIN_I8},
                    (int[]){3, 3, 0, 1}, (const int64_t *[]){dx, dw, NULL, dwz},
                    (const void *[]){x, w, &xz, wz}, NULL, 0, &out));
    if (out.data) {
        int32_t *o = out.data;
        CHECK(out.dtype == ODIN_I32 && shape_is(&out, 3, (int64_t[]){1, 2, 2}), "shape");
        CHECK(o[0] == 6 && o[1] == -6 && o[2] == -4 && o[3] == 4, "got %d %d %d %d", o[0],
              o[1], o[2], o[3]);
        odin_values_free(&out, 1);
    }
}

/* QLinearConv with a 1x1 kernel: acc * 0.5 / 1 + 0 rounds half to even and saturates;
 * the i32 bias is added before rescaling. */
static void test_qlinearconv_round(void) {
    uint8_t x[4] = {5, 7, 250, 0}, w[1] = {2}, xz = 0, wz = 0, yz = 0;
    float xs = 0.25f, ws = 1.0f, ys = 1.0f;
    int32_t b[1] = {0};
    int64_t dx[3] = {1, 1, 4}, dw[3] = {1, 1, 1}, db[1] = {1};
    odin_value out;
    odin_dtype t[9] = {ODIN_U8, ODIN_F32, ODIN_U8, ODIN_U8, ODIN_F32, ODIN_U8, ODIN_F32, ODIN_U8, ODIN_I32};
    CHECK_OK(run_op("QLinearConv", 9, t, (int[]){3, 0, 0, 3, 0, 0, 0, 0, 1},
                    (const int64_t *[]){dx, NULL, NULL, dw, NULL, NULL, NULL, NULL, db},
                    (const void *[]){x, &xs, &xz, w, &ws, &wz, &ys, &yz, b}, NULL, 0, &out));
    if (out.data) {
        uint8_t *o = out.data;
        /* acc = 10, 14, 500, 0; * 0.25 = 2.5 -> 2, 3.5 -> 4, 125, 0 */
        CHECK(o[0] == 2 && o[1] == 4 && o[2] == 125 && o[3] == 0, "got %d %d %d %d", o[0],
              o[1], o[2], o[3]);
        odin_values_free(&out, 1);
    }
    b[0] = 1000; /* (acc + 1000) * 0.25: 252.5 -> 252, 375 saturates, 250 */
    CHECK_OK(run_op("QLinearConv", 9, t, (int[]){3, 0, 0, 3, 0, 0, 0, 0, 1},
                    (const int64_t *[]){dx, NULL, NULL, dw, NULL, NULL, NULL, NULL, db},
                    (const void *[]){x, &xs, &xz, w, &ws, &wz, &ys, &yz, b}, NULL, 0, &out));
    if (out.data) {
        uint8_t *o = out.data;
        CHECK(o[0] == 252 && o[2] == 255 && o[3] == 250, "got %d %d %d", o[0], o[2], o[3]);
        odin_values_free(&out, 1);
    }
}

/* x = [[1,4],[3,2]]: max 4 at (h=0, w=1): flat index 1 row-major, w*H + h = 2 column-major. */
static void test_maxpool_indices_storage_order(void) {
    float x[4] = {1, 4, 3, 2};
    int64_t dx[4] = {1, 1, 2, 2}, k[2] = {2, 2};
    for (int so = 0; so <= 1; so++) {
        odin_graph *g = odin_graph_new("t");
        int xi = cf32(g, 4, dx, x);
        odin_attr at[2] = {ODIN_ATTR_INTS("kernel_shape", k, 2), ODIN_ATTR_I("storage_order", so)};
        int outs[2];
        odin_build(g, "MaxPool", &xi, 1, at, 2, 2, outs);
        odin_value out;
        CHECK_OK(run(g, outs[1], &out));
        if (out.data) {
            CHECK(out.dtype == ODIN_I64 && shape_is(&out, 4, (int64_t[]){1, 1, 1, 1}), "shape");
            CHECK(((int64_t *)out.data)[0] == (so ? 2 : 1), "storage_order %d: index %lld", so,
                  (long long)((int64_t *)out.data)[0]);
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
}

/* ceil_mode on length 4, kernel 2, stride 2, pads [0,1]: ceil((4+1-2)/2)+1 = 3 windows, but
 * the third would start at 4, inside the end padding, so it is dropped: [2, 4]. */
static void test_maxpool_ceil_drops_pad_window(void) {
    float x[4] = {1, 2, 3, 4};
    int64_t dx[3] = {1, 1, 4}, k[1] = {2}, s[1] = {2}, p[2] = {0, 1};
    odin_attr at[4] = {ODIN_ATTR_INTS("kernel_shape", k, 1), ODIN_ATTR_INTS("strides", s, 1),
                       ODIN_ATTR_INTS("pads", p, 2), ODIN_ATTR_I("ceil_mode", 1)};
    odin_value out;
    CHECK_OK(run_op("MaxPool", 1, f3, (int[]){3}, (const int64_t *[]){dx}, (const void *[]){x},
                    at, 4, &out));
    if (out.data) {
        CHECK(shape_is(&out, 3, (int64_t[]){1, 1, 2}), "shape [1,1,%lld]", (long long)out.dims[2]);
        check_f32(&out, (float[]){2, 4}, 2);
        odin_values_free(&out, 1);
    }
    /* int8 input keeps its dtype */
    int8_t xi[4] = {-5, -7, 3, -1};
    odin_attr at2[1] = {ODIN_ATTR_INTS("kernel_shape", k, 1)};
    CHECK_OK(run_op("MaxPool", 1, (odin_dtype[]){ODIN_I8}, (int[]){3}, (const int64_t *[]){dx},
                    (const void *[]){xi}, at2, 1, &out));
    if (out.data) {
        int8_t *o = out.data;
        CHECK(out.dtype == ODIN_I8 && o[0] == -5 && o[1] == 3 && o[2] == 3, "got %d %d %d",
              o[0], o[1], o[2]);
        odin_values_free(&out, 1);
    }
    CHECK_ERR(run_op("MaxPool", 1, f3, (int[]){3}, (const int64_t *[]){dx}, (const void *[]){x},
                     NULL, 0, &out),
              "kernel_shape");
}

/* x = [1,2,3], kernel 2, pads [1,1]: windows {pad,1}, {1,2}, {2,3}, {3,pad}. */
static void test_averagepool_count_include_pad(void) {
    float x[3] = {1, 2, 3};
    int64_t dx[3] = {1, 1, 3}, k[1] = {2}, p[2] = {1, 1};
    odin_value out;
    for (int cip = 0; cip <= 1; cip++) {
        odin_attr at[3] = {ODIN_ATTR_INTS("kernel_shape", k, 1), ODIN_ATTR_INTS("pads", p, 2),
                           ODIN_ATTR_I("count_include_pad", cip)};
        CHECK_OK(run_op("AveragePool", 1, f3, (int[]){3}, (const int64_t *[]){dx},
                        (const void *[]){x}, at, 3, &out));
        if (out.data) {
            CHECK(shape_is(&out, 3, (int64_t[]){1, 1, 4}), "shape");
            if (cip) check_f32(&out, (float[]){0.5f, 1.5f, 2.5f, 1.5f}, 4);
            else check_f32(&out, (float[]){1, 1.5f, 2.5f, 3}, 4);
            odin_values_free(&out, 1);
        }
    }
}

/* LpPool p = 1 sums magnitudes; p = 2 is the Euclidean norm (3-4-5). GlobalLpPool too. */
static void test_lppool(void) {
    float x[4] = {3, -4, 0, 0};
    int64_t dx[3] = {1, 1, 4}, k[1] = {2}, s[1] = {2};
    odin_value out;
    for (int p = 1; p <= 2; p++) {
        odin_attr at[3] = {ODIN_ATTR_INTS("kernel_shape", k, 1), ODIN_ATTR_INTS("strides", s, 1),
                           ODIN_ATTR_I("p", p)};
        CHECK_OK(run_op("LpPool", 1, f3, (int[]){3}, (const int64_t *[]){dx},
                        (const void *[]){x}, at, 3, &out));
        if (out.data) {
            check_f32(&out, (float[]){p == 1 ? 7.0f : 5.0f, 0}, 2);
            odin_values_free(&out, 1);
        }
    }
    CHECK_OK(run_op("GlobalLpPool", 1, f3, (int[]){3}, (const int64_t *[]){dx},
                    (const void *[]){x}, NULL, 0, &out));
    if (out.data) {
        CHECK(shape_is(&out, 3, (int64_t[]){1, 1, 1}), "global shape");
        check_f32(&out, (float[]){5}, 1);
        odin_values_free(&out, 1);
    }
    CHECK_OK(run_op("GlobalMaxPool", 1, f3, (int[]){3}, (const int64_t *[]){dx},
                    (const void *[]){x}, NULL, 0, &out));
    if (out.data) {
        check_f32(&out, (float[]){3}, 1);
        odin_values_free(&out, 1);
    }
}

/* MaxPool indices feed MaxUnpool: maxima return to their places, the rest is zero; an
 * index past the unpooled size is an error. */
static void test_maxunpool_roundtrip(void) {
    float x[4] = {1, 4, 3, 2};
    int64_t dx[4] = {1, 1, 1, 4}, k[2] = {1, 2}, s[2] = {1, 2};
    odin_graph *g = odin_graph_new("t");
    int xi = cf32(g, 4, dx, x);
    odin_attr at[2] = {ODIN_ATTR_INTS("kernel_shape", k, 2), ODIN_ATTR_INTS("strides", s, 2)};
    int po[2];
    odin_build(g, "MaxPool", &xi, 1, at, 2, 2, po);
    int y = odin_build(g, "MaxUnpool", po, 2, at, 2, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(shape_is(&out, 4, dx), "shape");
        check_f32(&out, (float[]){0, 4, 3, 0}, 4);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
    float v[2] = {1, 2};
    int64_t bad[2] = {0, 9}, dv[4] = {1, 1, 1, 2};
    CHECK_ERR(run_op("MaxUnpool", 2, (odin_dtype[]){ODIN_F32, ODIN_I64}, (int[]){4, 4},
                     (const int64_t *[]){dv, dv}, (const void *[]){v, bad}, at, 2, &out),
              "out of range");
}

/* x = 0..15 on a 4x4 grid. roi (0,0,0,3,3) in 2x2 bins of 2: maxima 5, 7, 13, 15; roi
 * (0,1,1,2,2) in one bin: rows/cols 1..2, max 10; with spatial_scale 0.5, (0,2,2,6,6)
 * becomes rows/cols 1..3: max 15. An roi naming batch 1 of a batch of 1 is an error. */
static void test_maxroipool(void) {
    float x[16];
    for (int i = 0; i < 16; i++) x[i] = (float)i;
    int64_t dx[4] = {1, 1, 4, 4}, dr[2] = {1, 5}, p22[2] = {2, 2}, p11[2] = {1, 1};
    odin_value out;
    odin_attr a22[1] = {ODIN_ATTR_INTS("pooled_shape", p22, 2)};
    CHECK_OK(run_op("MaxRoiPool", 2, f3, (int[]){4, 2}, (const int64_t *[]){dx, dr},
                    (const void *[]){x, (float[]){0, 0, 0, 3, 3}}, a22, 1, &out));
    if (out.data) {
        CHECK(shape_is(&out, 4, (int64_t[]){1, 1, 2, 2}), "shape");
        check_f32(&out, (float[]){5, 7, 13, 15}, 4);
        odin_values_free(&out, 1);
    }
    odin_attr a11[1] = {ODIN_ATTR_INTS("pooled_shape", p11, 2)};
    CHECK_OK(run_op("MaxRoiPool", 2, f3, (int[]){4, 2}, (const int64_t *[]){dx, dr},
                    (const void *[]){x, (float[]){0, 1, 1, 2, 2}}, a11, 1, &out));
    if (out.data) {
        check_f32(&out, (float[]){10}, 1);
        odin_values_free(&out, 1);
    }
    odin_attr as[2] = {ODIN_ATTR_INTS("pooled_shape", p11, 2), ODIN_ATTR_F("spatial_scale", 0.5f)};
    CHECK_OK(run_op("MaxRoiPool", 2, f3, (int[]){4, 2}, (const int64_t *[]){dx, dr},
                    (const void *[]){x, (float[]){0, 2, 2, 6, 6}}, as, 2, &out));
    if (out.data) {
        check_f32(&out, (float[]){15}, 1);
        odin_values_free(&out, 1);
    }
    CHECK_ERR(run_op("MaxRoiPool", 2, f3, (int[]){4, 2}, (const int64_t *[]){dx, dr},
                     (const void *[]){x, (float[]){1, 0, 0, 1, 1}}, a11, 1, &out),
              "batch index");
}

int main(void) {
    RUN(test_conv_same_lower_upper);
    RUN(test_conv_groups_bias);
    RUN(test_conv_shape_errors);
    RUN(test_convtranspose_outpad_outshape);
    RUN(test_convinteger_zero_points);
    RUN(test_qlinearconv_round);
    RUN(test_maxpool_indices_storage_order);
    RUN(test_maxpool_ceil_drops_pad_window);
    RUN(test_averagepool_count_include_pad);
    RUN(test_lppool);
    RUN(test_maxunpool_roundtrip);
    RUN(test_maxroipool);
    TEST_DONE();
}
