/* tests/test_ops_signal.c — edge cases of the signal family the ONNX node tests miss:
 * DFT of impulses (real and complex input), onesided output, inverse round trip,
 * dft_length zero padding, periodic vs symmetric windows, STFT argument errors. Expected
 * values are worked out by hand from the DFT definition and the window formulas. */
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

static int cf32(odin_graph *g, int rank, const int64_t *dims, const float *v) {
    return odin_constant_f32(g, odin_graph_unique_name(g, "c"), rank, dims, v);
}

static bool f32_near(const odin_value *v, int n, const float *want) {
    if (!v->data || odin_value_numel(v) != n) return false;
    for (int i = 0; i < n; i++)
        if (!(fabs(((const float *)v->data)[i] - want[i]) <= 1e-5)) return false;
    return true;
}

/* One DFT over x [1,4,comps] along axis 1 with attributes a; dft_length n (0 = none). */
static odin_status dft(const float *x, int comps, const odin_attr *a, int na, int64_t n,
                       odin_value *out) {
    odin_graph *g = odin_graph_new("t");
    g->opset = 17;
    int64_t dx[3] = {1, 4, comps};
    int ins[2] = {cf32(g, 3, dx, x), n ? odin_constant_i64(g, "n", 0, NULL, &n) : -2};
    int y = odin_build(g, "DFT", ins, n ? 2 : 1, a, na, 1, NULL);
    odin_status st = run(g, y, out);
    odin_graph_free(g);
    return st;
}

/* delta at 1: X[k] = e^(-2 pi i k/4) = 1, -i, -1, i. */
static void test_dft_impulse(void) {
    odin_value out = {0};
    CHECK_OK(dft((float[]){0, 1, 0, 0}, 1, NULL, 0, 0, &out));
    CHECK(f32_near(&out, 8, (float[]){1, 0, 0, -1, -1, 0, 0, 1}), "spectrum of a shifted delta");
    odin_values_free(&out, 1);
    /* onesided keeps bins 0..n/2 */
    odin_attr one[1] = {ODIN_ATTR_I("onesided", 1)};
    out = (odin_value){0};
    CHECK_OK(dft((float[]){0, 1, 0, 0}, 1, one, 1, 0, &out));
    CHECK(out.dims[1] == 3 && f32_near(&out, 6, (float[]){1, 0, 0, -1, -1, 0}), "onesided");
    odin_values_free(&out, 1);
}

/* inverse of the spectrum 1, -i, -1, i (complex input) is the delta at 1 again. */
static void test_dft_inverse_complex(void) {
    odin_attr inv[1] = {ODIN_ATTR_I("inverse", 1)};
    odin_value out = {0};
    CHECK_OK(dft((float[]){1, 0, 0, -1, -1, 0, 0, 1}, 2, inv, 1, 0, &out));
    CHECK(f32_near(&out, 8, (float[]){0, 0, 1, 0, 0, 0, 0, 0}), "round trip");
    odin_values_free(&out, 1);
}

/* dft_length 8 zero-pads [1,1,1,1]: X[k] = sum_{j<4} e^(-2 pi i jk/8); X[0] = 4, X[4] = 0,
 * X[2] = 1 - i - 1 + i = 0 and X[1] = 1 + e^(-i pi/4) + e^(-i pi/2) + e^(-3i pi/4). */
static void test_dft_zero_padding(void) {
    odin_value out = {0};
    CHECK_OK(dft((float[]){1, 1, 1, 1}, 1, NULL, 0, 8, &out));
    if (out.data) {
        float *v = out.data;
        double r = sqrt(0.5);
        CHECK(out.dims[1] == 8, "8 bins");
        CHECK_NEAR(v[0], 4, 1e-6);
        CHECK_NEAR(v[2], 1, 1e-6);       /* X[1] real: 1 + r + 0 - r */
        CHECK_NEAR(v[3], -1 - 2 * r, 1e-6); /* X[1] imag: -r - 1 - r */
        CHECK_NEAR(v[4], 0, 1e-6);
        CHECK_NEAR(v[8], 0, 1e-6);
    }
    odin_values_free(&out, 1);
}

/* Hann of size 4: periodic 0, 0.5, 1, 0.5 (N = 4); symmetric 0, 0.75, 0.75, 0 (N = 3). */
static void test_hann_periodic_symmetric(void) {
    for (int p = 0; p < 2; p++) {
        odin_graph *g = odin_graph_new("t");
        int32_t size = 4;
        int s = odin_constant(g, "size", ODIN_I32, 0, NULL, &size);
        odin_attr a[1] = {ODIN_ATTR_I("periodic", p)};
        int y = odin_build(g, "HannWindow", &s, 1, a, 1, 1, NULL);
        odin_value out = {0};
        CHECK_OK(run(g, y, &out));
        CHECK(f32_near(&out, 4, p ? (float[]){0, 0.5f, 1, 0.5f} : (float[]){0, 0.75f, 0.75f, 0}),
              "periodic=%d", p);
        odin_values_free(&out, 1);
        odin_graph_free(g);
    }
}

/* STFT needs a window or a frame_length; a frame longer than the signal is an error. */
static void test_stft_errors(void) {
    odin_graph *g = odin_graph_new("t");
    float x[4] = {1, 2, 3, 4};
    int64_t dx[3] = {1, 4, 1}, step = 1, flen = 8;
    int ins[2] = {cf32(g, 3, dx, x), odin_constant_i64(g, "step", 0, NULL, &step)};
    odin_build(g, "STFT", ins, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "neither window nor frame_length");
    odin_graph_free(g);
    g = odin_graph_new("t");
    int ins2[4] = {cf32(g, 3, dx, x), odin_constant_i64(g, "step", 0, NULL, &step), -2,
                   odin_constant_i64(g, "flen", 0, NULL, &flen)};
    odin_build(g, "STFT", ins2, 4, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "exceeds the signal length");
    odin_graph_free(g);
}

int main(void) {
    RUN(test_dft_impulse);
    RUN(test_dft_inverse_complex);
    RUN(test_dft_zero_padding);
    RUN(test_hann_periodic_symmetric);
    RUN(test_stft_errors);
    TEST_DONE();
}
