/* tests/test_ops_misc2.c — edge cases of the misc2 family the ONNX node tests miss: Det
 * with row pivoting, singular and 3x3 matrices; LRN's channel window at the edges;
 * ReverseSequence lengths (partial, full, out of range) with batch_axis 0. Also PRelu
 * before opset 7, whose [C] slope is per channel (a fix made alongside this family).
 * Expected values are worked out by hand from the ONNX spec. */
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

/* det [[0,1],[1,0]] = -1 (needs a row swap), [[1,2],[2,4]] = 0, [[2,0],[0,3]] = 6. */
static void test_det_pivot_singular(void) {
    odin_graph *g = odin_graph_new("t");
    float x[12] = {0, 1, 1, 0, 1, 2, 2, 4, 2, 0, 0, 3};
    int64_t dx[3] = {3, 2, 2};
    int y = odin_build(g, "Det", (int[]){cf32(g, 3, dx, x)}, 1, NULL, 0, 1, NULL);
    odin_value out = {0};
    CHECK_OK(run(g, y, &out));
    CHECK(out.rank == 1 && f32_near(&out, 3, (float[]){-1, 0, 6}), "batched dets");
    odin_values_free(&out, 1);
    odin_graph_free(g);
}

/* det [[1,2,3],[4,5,6],[7,8,10]] = 1(50-48) - 2(40-42) + 3(32-35) = -3; a [2,3] input fails. */
static void test_det_3x3_and_error(void) {
    odin_graph *g = odin_graph_new("t");
    float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 10};
    int64_t dx[2] = {3, 3}, bad[2] = {2, 3};
    int y = odin_build(g, "Det", (int[]){cf32(g, 2, dx, x)}, 1, NULL, 0, 1, NULL);
    odin_value out = {0};
    CHECK_OK(run(g, y, &out));
    CHECK(out.rank == 0 && f32_near(&out, 1, (float[]){-3}), "3x3");
    odin_values_free(&out, 1);
    odin_graph_free(g);
    g = odin_graph_new("t");
    odin_build(g, "Det", (int[]){cf32(g, 2, bad, x)}, 1, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "expected [...,M,M]");
    odin_graph_free(g);
}

/* x = [1,2] over channels, size 3, alpha 3, beta 1, bias 1: both windows see 1 + 4 = 5,
 * so y = x / (1 + 3/3 * 5) = x / 6. */
static void test_lrn_channel_edges(void) {
    odin_graph *g = odin_graph_new("t");
    float x[2] = {1, 2};
    int64_t dx[3] = {1, 2, 1};
    odin_attr a[4] = {ODIN_ATTR_I("size", 3), ODIN_ATTR_F("alpha", 3), ODIN_ATTR_F("beta", 1),
                      ODIN_ATTR_F("bias", 1)};
    int y = odin_build(g, "LRN", (int[]){cf32(g, 3, dx, x)}, 1, a, 4, 1, NULL);
    odin_value out = {0};
    CHECK_OK(run(g, y, &out));
    CHECK(f32_near(&out, 2, (float[]){1.0f / 6, 2.0f / 6}), "y");
    odin_values_free(&out, 1);
    odin_graph_free(g);
}

static odin_status revseq(const int64_t *lens, odin_value *out) {
    odin_graph *g = odin_graph_new("t");
    float x[6] = {1, 2, 3, 4, 5, 6};
    int64_t dx[2] = {2, 3}, dl[1] = {2};
    int ins[2] = {cf32(g, 2, dx, x), odin_constant_i64(g, "lens", 1, dl, lens)};
    odin_attr a[2] = {ODIN_ATTR_I("batch_axis", 0), ODIN_ATTR_I("time_axis", 1)};
    int y = odin_build(g, "ReverseSequence", ins, 2, a, 2, 1, NULL);
    odin_status st = run(g, y, out);
    odin_graph_free(g);
    return st;
}

/* rows [1,2,3] with len 2 -> [2,1,3]; [4,5,6] with len 3 -> [6,5,4]; len 4 is an error. */
static void test_reverse_sequence_lengths(void) {
    odin_value out = {0};
    CHECK_OK(revseq((int64_t[]){2, 3}, &out));
    CHECK(f32_near(&out, 6, (float[]){2, 1, 3, 6, 5, 4}), "reversed prefixes");
    odin_values_free(&out, 1);
    CHECK_ERR(revseq((int64_t[]){2, 4}, &out), "sequence_lens[1] = 4");
}

/* Opset 6: x [1,2,2] = [[-1,-2],[-3,4]] with slope [C=2] = {0.5, 10}: channel 0 scales by
 * 0.5, channel 1 by 10 (numpy alignment would pair the slope with the last dim). */
static void test_prelu_opset6_per_channel(void) {
    odin_graph *g = odin_graph_new("t");
    g->opset = 6;
    float x[4] = {-1, -2, -3, 4}, s[2] = {0.5f, 10};
    int64_t dx[3] = {1, 2, 2}, ds[1] = {2};
    int ins[2] = {cf32(g, 3, dx, x), cf32(g, 1, ds, s)};
    int y = odin_build(g, "PRelu", ins, 2, NULL, 0, 1, NULL);
    odin_value out = {0};
    CHECK_OK(run(g, y, &out));
    CHECK(f32_near(&out, 4, (float[]){-0.5f, -1, -30, 4}), "per-channel slope");
    odin_values_free(&out, 1);
    odin_graph_free(g);
}

int main(void) {
    RUN(test_det_pivot_singular);
    RUN(test_det_3x3_and_error);
    RUN(test_lrn_channel_edges);
    RUN(test_reverse_sequence_lengths);
    RUN(test_prelu_opset6_per_channel);
    TEST_DONE();
}
