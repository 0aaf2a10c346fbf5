/* tests/test_ops_detect.c — edge cases of the detect family the ONNX node tests miss:
 * NonMaxSuppression score_threshold (strictly greater), the omitted max_output input
 * (selects nothing), GridSample corner mapping under align_corners and border padding of
 * far-out points, RoiAlign batch index checks and max mode. Expected values are worked
 * out by hand from the ONNX spec. */
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

static int ci64(odin_graph *g, int rank, const int64_t *dims, const int64_t *v) {
    return odin_constant_i64(g, odin_graph_unique_name(g, "c"), rank, dims, v);
}

static bool f32_near(const odin_value *v, int n, const float *want) {
    if (!v->data || odin_value_numel(v) != n) return false;
    for (int i = 0; i < n; i++)
        if (!(fabs(((const float *)v->data)[i] - want[i]) <= 1e-5)) return false;
    return true;
}

/* Boxes 0 and 1 overlap with IoU 0.81 (0..10 and 1..10 squares), box 2 is apart.
 * Scores 0.9, 0.8, 0.5 with score_threshold 0.5: box 2 (score == threshold) is dropped,
 * box 1 is suppressed by box 0 at IoU threshold 0.5. */
static odin_status nms(bool with_max, odin_value *out) {
    odin_graph *g = odin_graph_new("t");
    float boxes[12] = {0, 0, 10, 10, 1, 1, 10, 10, 20, 20, 30, 30}, scores[3] = {0.9f, 0.8f, 0.5f};
    int64_t db[3] = {1, 3, 4}, ds[3] = {1, 1, 3}, d1[1] = {1}, maxv[1] = {10};
    float iou[1] = {0.5f}, sth[1] = {0.5f};
    int ins[5] = {cf32(g, 3, db, boxes), cf32(g, 3, ds, scores), with_max ? ci64(g, 1, d1, maxv) : -2,
                  cf32(g, 1, d1, iou), cf32(g, 1, d1, sth)};
    int y = odin_build(g, "NonMaxSuppression", ins, 5, NULL, 0, 1, NULL);
    odin_status st = run(g, y, out);
    odin_graph_free(g);
    return st;
}

static void test_nms_thresholds(void) {
    odin_value out = {0};
    CHECK_OK(nms(true, &out));
    if (out.data) {
        CHECK(out.rank == 2 && out.dims[0] == 1 && out.dims[1] == 3, "one box selected");
        int64_t *v = out.data;
        CHECK(v[0] == 0 && v[1] == 0 && v[2] == 0, "batch 0, class 0, box 0");
        odin_values_free(&out, 1);
    }
    /* max_output_boxes_per_class omitted means 0: nothing is selected */
    out = (odin_value){0};
    CHECK_OK(nms(false, &out));
    CHECK(out.rank == 2 && out.dims[0] == 0, "empty selection");
    odin_values_free(&out, 1);
}

/* X = [[1,2],[3,4]]. align_corners=1: (-1,-1) is pixel (0,0), (1,1) pixel (1,1), (0,0)
 * the mean 2.5. Border padding: (5,-5) clamps to pixel (row 0, col 1) = 2. */
static void test_gridsample_corners_border(void) {
    odin_graph *g = odin_graph_new("t");
    float x[4] = {1, 2, 3, 4}, grid[8] = {-1, -1, 1, 1, 0, 0, 5, -5};
    int64_t dx[4] = {1, 1, 2, 2}, dg[4] = {1, 1, 4, 2};
    int ins[2] = {cf32(g, 4, dx, x), cf32(g, 4, dg, grid)};
    odin_attr a[2] = {ODIN_ATTR_I("align_corners", 1), ODIN_ATTR_S("padding_mode", "border")};
    int y = odin_build(g, "GridSample", ins, 2, a, 2, 1, NULL);
    odin_value out = {0};
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(f32_near(&out, 4, (float[]){1, 4, 2.5f, 2}), "samples");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* A roi that names batch 1 of a one-image batch is an error. */
static void test_roialign_bad_batch_index(void) {
    odin_graph *g = odin_graph_new("t");
    float x[4] = {1, 2, 3, 4}, rois[4] = {0, 0, 1, 1};
    int64_t dx[4] = {1, 1, 2, 2}, dr[2] = {1, 4}, d1[1] = {1}, bi[1] = {1};
    int ins[3] = {cf32(g, 4, dx, x), cf32(g, 2, dr, rois), ci64(g, 1, d1, bi)};
    int y = odin_build(g, "RoiAlign", ins, 3, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_ERR(run(g, y, &out), "batch_indices[0] = 1");
    odin_graph_free(g);
}

/* Roi (0,0)-(1,1) on X = [[1,2],[3,4]], output 1x1, sampling_ratio 1, output_half_pixel:
 * one sample at (0.5, 0.5): avg = bilinear mean 2.5; max mode keeps the largest weighted
 * corner, 0.25 * 4 = 1 (onnxruntime's definition). */
static void test_roialign_avg_max(void) {
    for (int m = 0; m < 2; m++) {
        odin_graph *g = odin_graph_new("t");
        float x[4] = {1, 2, 3, 4}, rois[4] = {0, 0, 1, 1};
        int64_t dx[4] = {1, 1, 2, 2}, dr[2] = {1, 4}, d1[1] = {1}, bi[1] = {0};
        int ins[3] = {cf32(g, 4, dx, x), cf32(g, 2, dr, rois), ci64(g, 1, d1, bi)};
        odin_attr a[3] = {ODIN_ATTR_S("mode", m ? "max" : "avg"), ODIN_ATTR_I("sampling_ratio", 1),
                          ODIN_ATTR_S("coordinate_transformation_mode", "output_half_pixel")};
        int y = odin_build(g, "RoiAlign", ins, 3, a, 3, 1, NULL);
        odin_value out = {0};
        CHECK_OK(run(g, y, &out));
        if (out.data) {
            CHECK(f32_near(&out, 1, (float[]){m ? 1.0f : 2.5f}), "mode %s", m ? "max" : "avg");
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
}

int main(void) {
    RUN(test_nms_thresholds);
    RUN(test_gridsample_corners_border);
    RUN(test_roialign_bad_batch_index);
    RUN(test_roialign_avg_max);
    TEST_DONE();
}
