/* tests/test_ops_gather.c — edge cases of the gather family the ONNX node tests miss:
 * index range errors, GatherND batch_dims, scatter reductions (max/min, integer wrap,
 * duplicate indices), OneHot out-of-range indices, static NonZero shapes for constants,
 * TopK ties and exact int64 ordering, Unique with sorted = 0 and Compress with a short
 * condition. Expected values are worked out by hand from the ONNX spec. */
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../ops/interpret.h"
#include "test.h"

/* Marks outs[0..n) as graph outputs and runs the graph (all inputs are constants). */
static odin_status run_n(odin_graph *g, const int *outs, int n, odin_value *out) {
    odin_status st = odin_graph_take_error(g);
    if (st) return st;
    for (int i = 0; i < n; i++) odin_output(g, outs[i], NULL);
    st = odin_graph_take_error(g);
    if (st) return st;
    return odin_interpret(g, NULL, 0, out);
}

static odin_status run(odin_graph *g, int t, odin_value *out) { return run_n(g, &t, 1, out); }

static int i64s(odin_graph *g, const char *name, int rank, const int64_t *dims, const int64_t *v) {
    return odin_constant_i64(g, odin_graph_unique_name(g, name), rank, dims, v);
}

static bool f32_equal(const odin_value *v, int n, const float *want) {
    if (odin_value_numel(v) != n) return false;
    for (int i = 0; i < n; i++)
        if (((const float *)v->data)[i] != want[i]) return false;
    return true;
}

static bool i64_equal(const odin_value *v, int n, const int64_t *want) {
    if (v->dtype != ODIN_I64 || odin_value_numel(v) != n) return false;
    for (int i = 0; i < n; i++)
        if (((const int64_t *)v->data)[i] != want[i]) return false;
    return true;
}

/* Gather: -1 is the last row; 3 on an axis of 3 is an error naming the index. */
static void test_gather_indices(void) {
    float xv[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {3, 2}, idims[1] = {2};
    odin_graph *g = odin_graph_new("t");
    int64_t iv[2] = {-1, 0};
    int y = odin_gather(g, odin_constant_f32(g, "x", 2, dims, xv), i64s(g, "i", 1, idims, iv), 0);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(f32_equal(&out, 4, (float[]){5, 6, 1, 2}), "rows 2, 0");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t bad[2] = {0, 3};
    y = odin_gather(g, odin_constant_f32(g, "x", 2, dims, xv), i64s(g, "i", 1, idims, bad), 0);
    CHECK_ERR(run(g, y, &out), "index 3 is out of range");
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t bad2[2] = {0, -4};
    y = odin_gather(g, odin_constant_f32(g, "x", 2, dims, xv), i64s(g, "i", 1, idims, bad2), 0);
    CHECK_ERR(run(g, y, &out), "index -4 is out of range");
    odin_graph_free(g);
}

/* batch_dims = 1: data [2,2,2], indices [2,1,1] pick data[b, idx[b]] rows. */
static void test_gather_nd_batch_dims(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int64_t dims[3] = {2, 2, 2}, idims[3] = {2, 1, 1}, iv[2] = {1, 0};
    int ins[2] = {odin_constant_f32(g, "x", 3, dims, xv), i64s(g, "i", 3, idims, iv)};
    odin_attr a = ODIN_ATTR_I("batch_dims", 1);
    int y = odin_build(g, "GatherND", ins, 2, &a, 1, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(out.rank == 3 && out.dims[0] == 2 && out.dims[1] == 1 && out.dims[2] == 2, "shape");
        CHECK(f32_equal(&out, 4, (float[]){2, 3, 4, 5}), "values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* ScatterND max / min with duplicate indices: both updates meet the original value. */
static void test_scatter_nd_max_min(void) {
    const char *reds[2] = {"max", "min"};
    /* x[1] meets 9 and -1, x[3] meets 7 and -5 */
    const float want[2][4] = {{1, 9, 3, 7}, {1, -1, 3, -5}};
    for (int r = 0; r < 2; r++) {
        odin_graph *g = odin_graph_new("t");
        float xv[4] = {1, 2, 3, 4}, uv[4] = {9, -1, 7, -5};
        int64_t dims[1] = {4}, idims[2] = {4, 1}, iv[4] = {1, 1, 3, 3}, ud[1] = {4};
        int ins[3] = {odin_constant_f32(g, "x", 1, dims, xv), i64s(g, "i", 2, idims, iv),
                      odin_constant_f32(g, "u", 1, ud, uv)};
        odin_attr a = ODIN_ATTR_S("reduction", reds[r]);
        int y = odin_build(g, "ScatterND", ins, 3, &a, 1, 1, NULL);
        odin_value out;
        CHECK_OK(run(g, y, &out));
        if (out.data) {
            CHECK(f32_equal(&out, 4, want[r]), "%s", reds[r]);
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
}

/* int32 add wraps instead of overflowing (no UB); duplicates accumulate. */
static void test_scatter_elements_int_wrap(void) {
    odin_graph *g = odin_graph_new("t");
    int32_t xv[2] = {INT32_MAX, 5}, uv[3] = {1, 2, 3};
    int64_t dims[1] = {2}, idims[1] = {3}, iv[3] = {0, 1, -1};
    int ins[3] = {odin_constant(g, "x", ODIN_I32, 1, dims, xv), i64s(g, "i", 1, idims, iv),
                  odin_constant(g, "u", ODIN_I32, 1, idims, uv)};
    odin_attr a = ODIN_ATTR_S("reduction", "add");
    int y = odin_build(g, "ScatterElements", ins, 3, &a, 1, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        const int32_t *v = out.data;
        CHECK(v[0] == INT32_MIN && v[1] == 10, "%d %d", v[0], v[1]);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t bad[3] = {0, 2, 0};
    int ins2[3] = {odin_constant(g, "x", ODIN_I32, 1, dims, xv), i64s(g, "i", 1, idims, bad),
                   odin_constant(g, "u", ODIN_I32, 1, idims, uv)};
    y = odin_build(g, "ScatterElements", ins2, 3, NULL, 0, 1, NULL);
    CHECK_ERR(run(g, y, &out), "out of range");
    odin_graph_free(g);
}

/* OneHot: -1 is depth-1, an index >= depth gives an all-off row; axis 0. */
static void test_onehot(void) {
    odin_graph *g = odin_graph_new("t");
    int64_t iv[3] = {-1, 5, 0}, idims[1] = {3}, dd[1] = {2};
    float depth = 3, vals[2] = {-1, 1};
    int ins[3] = {i64s(g, "i", 1, idims, iv), odin_scalar_f32(g, "d", depth),
                  odin_constant_f32(g, "v", 1, dd, vals)};
    odin_attr a = ODIN_ATTR_I("axis", 0);
    int y = odin_build(g, "OneHot", ins, 3, &a, 1, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(out.rank == 2 && out.dims[0] == 3 && out.dims[1] == 3, "shape [depth, 3]");
        /* column c is the one-hot of index c: [2], [none], [0] */
        CHECK(f32_equal(&out, 9, (float[]){-1, -1, 1, -1, -1, -1, 1, -1, -1}), "values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* A constant input gives NonZero a static shape; order is row-major. */
static void test_nonzero_static(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[4] = {0, 3, 2, 0};
    int64_t dims[2] = {2, 2};
    int x = odin_constant_f32(g, "x", 2, dims, xv);
    int y = odin_build(g, "NonZero", &x, 1, NULL, 0, 1, NULL);
    CHECK_OK(odin_graph_take_error(g));
    if (y >= 0) CHECK(g->tensors[y].dims[0] == 2 && g->tensors[y].dims[1] == 2, "static [2,2]");
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(i64_equal(&out, 4, (int64_t[]){0, 1, 1, 0}), "coords (0,1), (1,0)");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* Ties keep the lower index first, for largest and smallest; int64 compares exactly. */
static void test_topk_ties_and_int64(void) {
    for (int largest = 0; largest < 2; largest++) {
        odin_graph *g = odin_graph_new("t");
        float xv[5] = {3, 1, 3, 2, 1};
        int64_t dims[1] = {5}, kd[1] = {1}, k[1] = {2};
        int ins[2] = {odin_constant_f32(g, "x", 1, dims, xv), i64s(g, "k", 1, kd, k)};
        odin_attr a = ODIN_ATTR_I("largest", largest);
        int outs[2];
        odin_build(g, "TopK", ins, 2, &a, 1, 2, outs);
        odin_value out[2];
        CHECK_OK(run_n(g, outs, 2, out));
        if (out[0].data) {
            CHECK(f32_equal(&out[0], 2, largest ? (float[]){3, 3} : (float[]){1, 1}), "values");
            CHECK(i64_equal(&out[1], 2, largest ? (int64_t[]){0, 2} : (int64_t[]){1, 4}),
                  "indices (largest=%d)", largest);
            odin_values_free(out, 2);
        }
        odin_graph_free(g);
    }
    /* 2^53 + 1 and 2^53 are equal as doubles but not as int64 */
    odin_graph *g = odin_graph_new("t");
    int64_t xv[2] = {((int64_t)1 << 53), ((int64_t)1 << 53) + 1}, dims[1] = {2}, kd[1] = {1},
            k[1] = {1};
    int ins[2] = {i64s(g, "x", 1, dims, xv), i64s(g, "k", 1, kd, k)};
    int outs[2];
    odin_build(g, "TopK", ins, 2, NULL, 0, 2, outs);
    odin_value out[2];
    CHECK_OK(run_n(g, outs, 2, out));
    if (out[0].data) {
        CHECK(i64_equal(&out[1], 1, (int64_t[]){1}), "index of 2^53+1");
        odin_values_free(out, 2);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    float fx[2] = {1, 2};
    int64_t k3[1] = {3};
    int ins2[2] = {odin_constant_f32(g, "x", 1, dims, fx), i64s(g, "k", 1, kd, k3)};
    odin_build(g, "TopK", ins2, 2, NULL, 0, 2, outs);
    CHECK_ERR(odin_graph_take_error(g), "exceeds");
    odin_graph_free(g);
}

/* Unique of [2,1,2,3,1]: sorted = 0 keeps first-occurrence order. */
static void test_unique(void) {
    for (int sorted = 0; sorted < 2; sorted++) {
        odin_graph *g = odin_graph_new("t");
        float xv[5] = {2, 1, 2, 3, 1};
        int64_t dims[1] = {5};
        int x = odin_constant_f32(g, "x", 1, dims, xv);
        odin_attr a = ODIN_ATTR_I("sorted", sorted);
        int outs[4];
        odin_build(g, "Unique", &x, 1, &a, 1, 4, outs);
        odin_value out[4];
        CHECK_OK(run_n(g, outs, 4, out));
        if (out[0].data) {
            if (sorted) {
                CHECK(f32_equal(&out[0], 3, (float[]){1, 2, 3}), "Y");
                CHECK(i64_equal(&out[1], 3, (int64_t[]){1, 0, 3}), "indices");
                CHECK(i64_equal(&out[2], 5, (int64_t[]){1, 0, 1, 2, 0}), "inverse");
                CHECK(i64_equal(&out[3], 3, (int64_t[]){2, 2, 1}), "counts");
            } else {
                CHECK(f32_equal(&out[0], 3, (float[]){2, 1, 3}), "Y");
                CHECK(i64_equal(&out[1], 3, (int64_t[]){0, 1, 3}), "indices");
                CHECK(i64_equal(&out[2], 5, (int64_t[]){0, 1, 0, 2, 1}), "inverse");
                CHECK(i64_equal(&out[3], 3, (int64_t[]){2, 2, 1}), "counts");
            }
            odin_values_free(out, 4);
        }
        odin_graph_free(g);
    }
}

/* A condition shorter than the axis leaves the rest out; no axis flattens. */
static void test_compress(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3}, cd[1] = {2};
    uint8_t cv[2] = {0, 1};
    int ins[2] = {odin_constant_f32(g, "x", 2, dims, xv),
                  odin_constant(g, "c", ODIN_BOOL, 1, cd, cv)};
    odin_attr a = ODIN_ATTR_I("axis", 1);
    int y = odin_build(g, "Compress", ins, 2, &a, 1, 1, NULL);
    int z = odin_build(g, "Compress", ins, 2, NULL, 0, 1, NULL);
    int outs[2] = {y, z};
    odin_value out[2];
    CHECK_OK(run_n(g, outs, 2, out));
    if (out[0].data) {
        CHECK(out[0].rank == 2 && out[0].dims[1] == 1 && f32_equal(&out[0], 2, (float[]){2, 5}),
              "column 1");
        CHECK(out[1].rank == 1 && f32_equal(&out[1], 1, (float[]){2}), "flattened element 1");
        odin_values_free(out, 2);
    }
    odin_graph_free(g);
}

/* TopK-1 takes k as an attribute and always returns the largest. */
static void test_topk_opset1(void) {
    odin_graph *g = odin_graph_new("t");
    g->opset = 1;
    float xv[4] = {1, 4, 2, 3};
    int64_t dims[1] = {4};
    int x = odin_constant_f32(g, "x", 1, dims, xv);
    odin_attr a = ODIN_ATTR_I("k", 2);
    int outs[2];
    odin_build(g, "TopK", &x, 1, &a, 1, 2, outs);
    odin_value out[2];
    CHECK_OK(run_n(g, outs, 2, out));
    if (out[0].data) {
        CHECK(f32_equal(&out[0], 2, (float[]){4, 3}), "values");
        CHECK(i64_equal(&out[1], 2, (int64_t[]){1, 3}), "indices");
        odin_values_free(out, 2);
    }
    odin_graph_free(g);
}

int main(void) {
    RUN(test_gather_indices);
    RUN(test_gather_nd_batch_dims);
    RUN(test_scatter_nd_max_min);
    RUN(test_scatter_elements_int_wrap);
    RUN(test_onehot);
    RUN(test_nonzero_static);
    RUN(test_topk_ties_and_int64);
    RUN(test_unique);
    RUN(test_compress);
    RUN(test_topk_opset1);
    TEST_DONE();
}
