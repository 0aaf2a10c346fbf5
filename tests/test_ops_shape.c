/* tests/test_ops_shape.c — edge cases of the shape family the ONNX node tests miss:
 * Reshape's 0 / -1 / allowzero rules, static shapes from constant shape inputs and
 * partial shapes from computed ones, Slice with extreme bounds and negative steps,
 * uneven Split at opset 18, Pad modes with negative pads and axes, Expand both ways,
 * DepthToSpace DCR vs CRD, Trilu with extreme k and error paths. Expected values are
 * worked out by hand from the ONNX spec. */
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../ops/interpret.h"
#include "test.h"

/* Marks t as the only graph output and runs the graph (all inputs are constants). */
static odin_status run(odin_graph *g, int t, odin_value *out) {
    odin_status st = odin_graph_take_error(g);
    if (st) return st;
    odin_output(g, t, "y");
    st = odin_graph_take_error(g);
    if (st) return st;
    return odin_interpret(g, NULL, 0, out);
}

static int i64s(odin_graph *g, const char *name, int n, const int64_t *v) {
    int64_t d[1] = {n};
    return odin_constant_i64(g, odin_graph_unique_name(g, name), 1, d, v);
}

static bool same_dims(const odin_value *v, int rank, const int64_t *dims) {
    if (v->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (v->dims[i] != dims[i]) return false;
    return true;
}

static bool f32_equal(const odin_value *v, int n, const float *want) {
    if (odin_value_numel(v) != n) return false;
    for (int i = 0; i < n; i++)
        if (((const float *)v->data)[i] != want[i]) return false;
    return true;
}

static void iota(float *v, int n) {
    for (int i = 0; i < n; i++) v[i] = (float)i;
}

/* 0 copies the input dim, -1 takes the rest: [2,3,4] with [0,-1] is [2,12]. */
static void test_reshape_zero_and_infer(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[24];
    iota(xv, 24);
    int64_t dims[3] = {2, 3, 4}, shape[2] = {0, -1};
    int x = odin_constant_f32(g, "x", 3, dims, xv);
    int y = odin_reshape(g, x, 2, shape);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(same_dims(&out, 2, (int64_t[]){2, 12}), "shape");
        CHECK(f32_equal(&out, 24, xv), "values unchanged");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* A constant shape gives the output a static shape at build time; a computed shape of
 * known length gives the rank with unknown dims. */
static void test_reshape_static_and_partial_shapes(void) {
    odin_graph *g = odin_graph_new("t");
    int64_t dims[2] = {4, 6}, shape[3] = {2, -1, 3};
    int x = odin_input(g, "x", ODIN_F32, 2, dims);
    int y = odin_reshape(g, x, 3, shape);
    int64_t sd[1] = {3};
    int s = odin_input(g, "s", ODIN_I64, 1, sd);
    int ins[2] = {x, s};
    int z = odin_build(g, "Reshape", ins, 2, NULL, 0, 1, NULL);
    CHECK_OK(odin_graph_take_error(g));
    if (y >= 0 && z >= 0) {
        const odin_tensor *ty = &g->tensors[y], *tz = &g->tensors[z];
        CHECK(ty->rank == 3 && ty->dims[0] == 2 && ty->dims[1] == 4 && ty->dims[2] == 3,
              "static shape from a constant shape input");
        CHECK(tz->rank == 3 && tz->dims[0] == -1 && tz->dims[2] == -1, "rank only from input");
    }
    odin_graph_free(g);
}

static void test_reshape_errors(void) {
    int64_t dims[1] = {6};
    float xv[6] = {0};
    struct {
        int n;
        int64_t shape[3];
        int allowzero;
        const char *needle;
    } cases[] = {{2, {-1, -1}, 0, "more than one -1"},
                 {2, {4, -1}, 0, "do not divide"},
                 {2, {4, 2}, 0, "cannot reshape"},
                 {2, {0, 6}, 1, "cannot reshape"}, /* allowzero: 0 is a real zero */
                 {2, {0, -1}, 1, "both 0 and -1"},
                 {2, {-2, 3}, 0, "negative"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        odin_graph *g = odin_graph_new("t");
        int x = odin_constant_f32(g, "x", 1, dims, xv);
        int ins[2] = {x, i64s(g, "shape", cases[c].n, cases[c].shape)};
        odin_attr a = ODIN_ATTR_I("allowzero", cases[c].allowzero);
        odin_build(g, "Reshape", ins, 2, &a, 1, 1, NULL);
        CHECK_ERR(odin_graph_take_error(g), cases[c].needle);
        odin_graph_free(g);
    }
}

/* Negative step from the end down past the start: INT64_MIN clamps to "before 0". */
static void test_slice_extreme_bounds(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[10];
    iota(xv, 10);
    int64_t dims[1] = {10}, starts[1] = {-1}, ends[1] = {INT64_MIN}, axes[1] = {0},
            steps[1] = {-3};
    int x = odin_constant_f32(g, "x", 1, dims, xv);
    int y = odin_slice(g, x, 1, starts, ends, axes, steps);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(f32_equal(&out, 4, (float[]){9, 6, 3, 0}), "9,6,3,0");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    /* start past the end with a positive step: empty; INT64_MAX end clamps */
    g = odin_graph_new("t");
    int64_t s2[2] = {1, 20}, e2[2] = {INT64_MAX, INT64_MAX}, a2[2] = {1, 0};
    int64_t d2[2] = {2, 5};
    x = odin_constant_f32(g, "x", 2, d2, xv);
    y = odin_slice(g, x, 2, s2, e2, a2, NULL);
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(same_dims(&out, 2, (int64_t[]){0, 4}), "empty rows, 4 columns");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t zero[1] = {0};
    x = odin_constant_f32(g, "x", 1, dims, xv);
    odin_slice(g, x, 1, zero, dims, axes, zero);
    CHECK_ERR(odin_graph_take_error(g), "steps[0] is 0");
    odin_graph_free(g);
}

/* Opset 18: num_outputs splits 7 into ceil(7/3) = 3, 3, 1; before 18 it is an error. */
static void test_split_uneven(void) {
    for (int opset = 13; opset <= 18; opset += 5) {
        odin_graph *g = odin_graph_new("t");
        g->opset = opset;
        float xv[7];
        iota(xv, 7);
        int64_t dims[1] = {7};
        int x = odin_constant_f32(g, "x", 1, dims, xv);
        int outs[3];
        odin_attr a[2] = {ODIN_ATTR_I("axis", 0), ODIN_ATTR_I("num_outputs", 3)};
        odin_build(g, "Split", &x, 1, a, opset >= 18 ? 2 : 1, 3, outs);
        odin_status st = odin_graph_take_error(g);
        if (opset < 18) {
            CHECK_ERR(st, "equal parts");
        } else {
            CHECK_OK(st);
            for (int i = 0; i < 3; i++) odin_output(g, outs[i], NULL);
            odin_value out[3];
            CHECK_OK(odin_interpret(g, NULL, 0, out));
            if (out[0].data) {
                CHECK(out[0].dims[0] == 3 && out[1].dims[0] == 3 && out[2].dims[0] == 1, "sizes");
                CHECK(f32_equal(&out[1], 3, (float[]){3, 4, 5}) &&
                      f32_equal(&out[2], 1, (float[]){6}), "values");
                odin_values_free(out, 3);
            }
        }
        odin_graph_free(g);
    }
}

static void check_pad(const char *mode, int n, const float *xv, int64_t pb, int64_t pe,
                      int n_want, const float *want) {
    odin_graph *g = odin_graph_new("t");
    int64_t dims[1] = {n}, pads[2] = {pb, pe};
    int ins[2] = {odin_constant_f32(g, "x", 1, dims, xv), i64s(g, "pads", 2, pads)};
    odin_attr a = ODIN_ATTR_S("mode", mode);
    int y = odin_build(g, "Pad", ins, 2, &a, 1, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(f32_equal(&out, n_want, want), "%s pads %lld,%lld", mode, (long long)pb,
              (long long)pe);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* Negative pads crop before the padding; reflect does not repeat the edge. */
static void test_pad_modes(void) {
    float x[4] = {1, 2, 3, 4};
    check_pad("reflect", 4, x, -1, 2, 5, (float[]){2, 3, 4, 3, 2});
    check_pad("edge", 4, x, 2, -3, 3, (float[]){1, 1, 1});
    check_pad("wrap", 3, x, 2, 1, 6, (float[]){2, 3, 1, 2, 3, 1});
    check_pad("reflect", 2, x, 3, 0, 5, (float[]){2, 1, 2, 1, 2});
    check_pad("constant", 4, x, 1, -1, 4, (float[]){0, 1, 2, 3});

    /* opset 18 axes input: pad only axis 1 (-1), with constant 9 */
    odin_graph *g = odin_graph_new("t");
    int64_t dims[2] = {2, 2}, pads[2] = {1, 0}, axes[1] = {-1};
    float cv = 9;
    int ins[4] = {odin_constant_f32(g, "x", 2, dims, x), i64s(g, "pads", 2, pads),
                  odin_scalar_f32(g, "c", cv), i64s(g, "axes", 1, axes)};
    int y = odin_build(g, "Pad", ins, 4, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(same_dims(&out, 2, (int64_t[]){2, 3}), "shape");
        CHECK(f32_equal(&out, 6, (float[]){9, 1, 2, 9, 3, 4}), "values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t d1[1] = {4}, bad[2] = {-3, -2};
    int ins2[2] = {odin_constant_f32(g, "x", 1, d1, x), i64s(g, "pads", 2, bad)};
    odin_build(g, "Pad", ins2, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "crop more");
    odin_graph_free(g);
}

/* Expand is bidirectional: [3,1] to [2,1,4] gives [2,3,4]; [3] cannot become [2]. */
static void test_expand(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[3] = {1, 2, 3};
    int64_t dims[2] = {3, 1}, shape[3] = {2, 1, 4};
    int ins[2] = {odin_constant_f32(g, "x", 2, dims, xv), i64s(g, "shape", 3, shape)};
    int y = odin_build(g, "Expand", ins, 2, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(same_dims(&out, 3, (int64_t[]){2, 3, 4}), "shape");
        const float *v = out.data;
        CHECK(v[0] == 1 && v[3] == 1 && v[4] == 2 && v[11] == 3 && v[12] == 1 && v[23] == 3,
              "broadcast values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t d1[1] = {3}, s1[1] = {2};
    int ins2[2] = {odin_constant_f32(g, "x", 1, d1, xv), i64s(g, "shape", 1, s1)};
    odin_build(g, "Expand", ins2, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "not broadcastable");
    odin_graph_free(g);
}

/* C = 8, blocksize 2: DCR takes channel (b1*2 + b2)*2 + c, CRD takes c*4 + b1*2 + b2. */
static void test_depth_to_space_modes(void) {
    static const float want_dcr[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    static const float want_crd[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int crd = 0; crd < 2; crd++) {
        odin_graph *g = odin_graph_new("t");
        float xv[8];
        iota(xv, 8);
        int64_t dims[4] = {1, 8, 1, 1};
        int x = odin_constant_f32(g, "x", 4, dims, xv);
        odin_attr a[2] = {ODIN_ATTR_I("blocksize", 2), ODIN_ATTR_S("mode", crd ? "CRD" : "DCR")};
        int y = odin_build(g, "DepthToSpace", &x, 1, a, 2, 1, NULL);
        odin_value out;
        CHECK_OK(run(g, y, &out));
        if (out.data) {
            CHECK(same_dims(&out, 4, (int64_t[]){1, 2, 2, 2}), "shape");
            CHECK(f32_equal(&out, 8, crd ? want_crd : want_dcr), "%s values", crd ? "CRD" : "DCR");
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
}

/* j - i >= k: k = INT64_MIN keeps everything, INT64_MAX nothing (no overflow). */
static void test_trilu_extreme_k(void) {
    int64_t ks[2] = {INT64_MIN, INT64_MAX};
    for (int c = 0; c < 2; c++) {
        odin_graph *g = odin_graph_new("t");
        float xv[6] = {1, 2, 3, 4, 5, 6};
        int64_t dims[2] = {2, 3};
        int y = odin_trilu(g, odin_constant_f32(g, "x", 2, dims, xv), true, ks[c]);
        odin_value out;
        CHECK_OK(run(g, y, &out));
        if (out.data) {
            float none[6] = {0};
            CHECK(f32_equal(&out, 6, c == 0 ? xv : none), "k=%lld", (long long)ks[c]);
            odin_values_free(&out, 1);
        }
        odin_graph_free(g);
    }
}

/* Transpose without perm reverses dims; Squeeze refuses a dim that is not 1;
 * Unsqueeze normalizes axes against the output rank. */
static void test_transpose_squeeze_unsqueeze(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3};
    int x = odin_constant_f32(g, "x", 2, dims, xv);
    int y = odin_build(g, "Transpose", &x, 1, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(same_dims(&out, 2, (int64_t[]){3, 2}), "shape");
        CHECK(f32_equal(&out, 6, (float[]){1, 4, 2, 5, 3, 6}), "values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    x = odin_constant_f32(g, "x", 2, dims, xv);
    int64_t perm[2] = {0, 0};
    odin_transpose(g, x, 2, perm);
    CHECK_ERR(odin_graph_take_error(g), "not a permutation");
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t ax[1] = {1};
    x = odin_constant_f32(g, "x", 2, dims, xv);
    int ins[2] = {x, i64s(g, "axes", 1, ax)};
    odin_build(g, "Squeeze", ins, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "cannot squeeze axis 1");
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t d1[1] = {3}, axes[2] = {-1, 0};
    x = odin_constant_f32(g, "x", 1, d1, xv);
    int ins2[2] = {x, i64s(g, "axes", 2, axes)};
    y = odin_build(g, "Unsqueeze", ins2, 2, NULL, 0, 1, NULL);
    CHECK_OK(odin_graph_take_error(g));
    if (y >= 0) {
        const odin_tensor *t = &g->tensors[y];
        CHECK(t->rank == 3 && t->dims[0] == 1 && t->dims[1] == 3 && t->dims[2] == 1, "[1,3,1]");
    }
    odin_graph_free(g);
}

/* Shape clamps start/end; Tile with a zero repeat gives an empty axis. */
static void test_shape_and_tile(void) {
    odin_graph *g = odin_graph_new("t");
    float xv[6] = {0};
    int64_t dims[3] = {1, 2, 3};
    int x = odin_constant_f32(g, "x", 3, dims, xv);
    odin_attr a[2] = {ODIN_ATTR_I("start", -10), ODIN_ATTR_I("end", -1)};
    int y = odin_build(g, "Shape", &x, 1, a, 2, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(out.dtype == ODIN_I64 && out.dims[0] == 2, "two dims");
        CHECK(((int64_t *)out.data)[0] == 1 && ((int64_t *)out.data)[1] == 2, "values 1,2");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t d2[2] = {2, 3}, reps[2] = {0, 2};
    int ins[2] = {odin_constant_f32(g, "x", 2, d2, xv), i64s(g, "repeats", 2, reps)};
    y = odin_build(g, "Tile", ins, 2, NULL, 0, 1, NULL);
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(same_dims(&out, 2, (int64_t[]){0, 6}), "shape [0,6]");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    /* a hostile repeat count is refused before any allocation */
    g = odin_graph_new("t");
    int64_t huge[2] = {INT64_MAX / 2, INT64_MAX / 2};
    int ins3[2] = {odin_constant_f32(g, "x", 2, d2, xv), i64s(g, "repeats", 2, huge)};
    odin_build(g, "Tile", ins3, 2, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "too large");
    odin_graph_free(g);
}

/* Concat checks non-axis dims and handles empty inputs. */
static void test_concat(void) {
    odin_graph *g = odin_graph_new("t");
    float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
    int64_t da[2] = {2, 2}, db[2] = {2, 1}, de[2] = {2, 0};
    int xs[3] = {odin_constant_f32(g, "a", 2, da, a), odin_constant_f32(g, "e", 2, de, a),
                 odin_constant_f32(g, "b", 2, db, b)};
    int y = odin_concat(g, xs, 3, -1);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(f32_equal(&out, 6, (float[]){1, 2, 5, 3, 4, 6}), "values");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    int xs2[2] = {odin_constant_f32(g, "a", 2, da, a), odin_constant_f32(g, "b", 2, db, b)};
    odin_concat(g, xs2, 2, 0);
    CHECK_ERR(odin_graph_take_error(g), "dim 1 differs");
    odin_graph_free(g);
}

/* Old opsets carry shape-like arguments as attributes: Slice-9 starts/ends/axes,
 * Pad-2 pads/value, Split-11 split, Squeeze-11 axes. */
static void test_attribute_forms_of_old_opsets(void) {
    float xv[6] = {1, 2, 3, 4, 5, 6};
    int64_t dims[2] = {2, 3};
    odin_value out;

    odin_graph *g = odin_graph_new("t");
    g->opset = 9;
    int64_t st[1] = {-2}, en[1] = {100}, ax[1] = {1};
    odin_attr sa[3] = {ODIN_ATTR_INTS("starts", st, 1), ODIN_ATTR_INTS("ends", en, 1),
                       ODIN_ATTR_INTS("axes", ax, 1)};
    int x = odin_constant_f32(g, "x", 2, dims, xv);
    int y = odin_build(g, "Slice", &x, 1, sa, 3, 1, NULL);
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(f32_equal(&out, 4, (float[]){2, 3, 5, 6}), "Slice-9");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    g->opset = 2;
    int64_t pads[4] = {0, 1, 0, 0};
    odin_attr pa[2] = {ODIN_ATTR_INTS("pads", pads, 4), ODIN_ATTR_F("value", 7)};
    x = odin_constant_f32(g, "x", 2, dims, xv);
    y = odin_build(g, "Pad", &x, 1, pa, 2, 1, NULL);
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(f32_equal(&out, 8, (float[]){7, 1, 2, 3, 7, 4, 5, 6}), "Pad-2");
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);

    g = odin_graph_new("t");
    g->opset = 11;
    int64_t split[2] = {1, 2};
    odin_attr spa[2] = {ODIN_ATTR_I("axis", 1), ODIN_ATTR_INTS("split", split, 2)};
    x = odin_constant_f32(g, "x", 2, dims, xv);
    int outs[2];
    odin_build(g, "Split", &x, 1, spa, 2, 2, outs);
    CHECK_OK(odin_graph_take_error(g));
    if (outs[0] >= 0)
        CHECK(g->tensors[outs[0]].dims[1] == 1 && g->tensors[outs[1]].dims[1] == 2, "Split-11");
    odin_graph_free(g);

    g = odin_graph_new("t");
    g->opset = 11;
    int64_t d3[3] = {1, 6, 1}, sq[2] = {0, -1};
    odin_attr qa = ODIN_ATTR_INTS("axes", sq, 2);
    x = odin_constant_f32(g, "x", 3, d3, xv);
    y = odin_build(g, "Squeeze", &x, 1, &qa, 1, 1, NULL);
    CHECK_OK(odin_graph_take_error(g));
    if (y >= 0) CHECK(g->tensors[y].rank == 1 && g->tensors[y].dims[0] == 6, "Squeeze-11");
    odin_graph_free(g);
}

int main(void) {
    RUN(test_reshape_zero_and_infer);
    RUN(test_reshape_static_and_partial_shapes);
    RUN(test_reshape_errors);
    RUN(test_slice_extreme_bounds);
    RUN(test_split_uneven);
    RUN(test_pad_modes);
    RUN(test_expand);
    RUN(test_depth_to_space_modes);
    RUN(test_trilu_extreme_k);
    RUN(test_transpose_squeeze_unsqueeze);
    RUN(test_shape_and_tile);
    RUN(test_concat);
    RUN(test_attribute_forms_of_old_opsets);
    TEST_DONE();
}
