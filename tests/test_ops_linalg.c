/* tests/test_ops_linalg.c — edge cases of the linalg family the ONNX node tests miss:
 * MatMul 1-D promotion and batch broadcasting, 64-bit integer exactness, Gemm
 * transposes with C broadcasting, general Einsum equations (implicit output, diagonals,
 * '...', full reductions), zero points of MatMulInteger, QLinearMatMul rounding and
 * saturation, and shape errors. Expected values are worked out by hand from the spec. */
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

static int cf32(odin_graph *g, int rank, const int64_t *dims, const float *v) {
    return odin_constant_f32(g, odin_graph_unique_name(g, "c"), rank, dims, v);
}

static int cdt(odin_graph *g, odin_dtype t, int rank, const int64_t *dims, const void *v) {
    return odin_constant(g, odin_graph_unique_name(g, "c"), t, rank, dims, v);
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

/* [3] x [3,2] -> [2]; [2,3] x [3] -> [2]; [3] x [3] -> scalar. */
static void test_matmul_1d_promotion(void) {
    float a[3] = {1, 2, 3}, m[6] = {1, 2, 3, 4, 5, 6};
    int64_t d3[1] = {3}, d32[2] = {3, 2}, d23[2] = {2, 3}, d2[1] = {2};
    odin_value out;
    odin_graph *g = odin_graph_new("t");
    int y = odin_matmul(g, cf32(g, 1, d3, a), cf32(g, 2, d32, m));
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(shape_is(&out, 1, d2), "vec x mat shape");
        check_f32(&out, (float[]){1 + 6 + 15, 2 + 8 + 18}, 2);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
    g = odin_graph_new("t");
    y = odin_matmul(g, cf32(g, 2, d23, m), cf32(g, 1, d3, a));
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(shape_is(&out, 1, d2), "mat x vec shape");
        check_f32(&out, (float[]){1 + 4 + 9, 4 + 10 + 18}, 2);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
    g = odin_graph_new("t");
    y = odin_matmul(g, cf32(g, 1, d3, a), cf32(g, 1, d3, a));
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(out.rank == 0, "vec x vec is a scalar, rank %d", out.rank);
        check_f32(&out, (float[]){14}, 1);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* A [2,1,1,2] and B [3,2,1]: batch dims [2,1] and [3] broadcast to [2,3]. */
static void test_matmul_batch_broadcast(void) {
    float a[4] = {1, 2, 3, 4}, b[6] = {1, 0, 0, 1, 1, 1};
    int64_t da[4] = {2, 1, 1, 2}, db[3] = {3, 2, 1}, want_dims[4] = {2, 3, 1, 1};
    odin_graph *g = odin_graph_new("t");
    int y = odin_matmul(g, cf32(g, 4, da, a), cf32(g, 3, db, b));
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(shape_is(&out, 4, want_dims), "shape");
        /* row [1,2] or [3,4] dotted with columns [1,0], [0,1], [1,1] */
        check_f32(&out, (float[]){1, 2, 3, 3, 4, 7}, 6);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* int64 products beyond 2^53 must stay exact (a double accumulator would round). */
static void test_matmul_int64_exact(void) {
    int64_t a[2] = {((int64_t)1 << 53) + 1, 1}, b[2] = {1, 2};
    int64_t da[2] = {1, 2}, db[2] = {2, 1};
    odin_graph *g = odin_graph_new("t");
    int y = odin_matmul(g, cdt(g, ODIN_I64, 2, da, a), cdt(g, ODIN_I64, 2, db, b));
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(((int64_t *)out.data)[0] == ((int64_t)1 << 53) + 3, "got %lld",
              (long long)((int64_t *)out.data)[0]);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

static void test_matmul_shape_errors(void) {
    static const float v[32] = {0}; /* large enough for every operand below */
    int64_t d23[2] = {2, 3}, d42[2] = {4, 2}, b1[3] = {2, 3, 3}, b2[3] = {3, 3, 2};
    odin_graph *g = odin_graph_new("t");
    odin_matmul(g, cf32(g, 2, d23, v), cf32(g, 2, d42, v));
    CHECK_ERR(odin_graph_take_error(g), "inner dimensions 3 and 4 differ");
    odin_graph_free(g);
    g = odin_graph_new("t");
    odin_matmul(g, cf32(g, 3, b1, v), cf32(g, 3, b2, v));
    CHECK_ERR(odin_graph_take_error(g), "not broadcastable");
    odin_graph_free(g);
    g = odin_graph_new("t");
    int64_t d2[1] = {2};
    int32_t iv[2] = {1, 2};
    odin_matmul(g, cf32(g, 1, d2, v), cdt(g, ODIN_I32, 1, d2, iv));
    CHECK_ERR(odin_graph_take_error(g), "differ");
    odin_graph_free(g);
}

/* Y = 0.5 * A^T B^T + 2 * C with A [3,2] (so A^T is [2,3]), B [2,3] (B^T [3,2]) and
 * C [2,1] broadcast along columns. */
static void test_gemm_trans_alpha_beta_cbroadcast(void) {
    float a[6] = {1, 2, 3, 4, 5, 6}; /* A^T = [[1,3,5],[2,4,6]] */
    float b[6] = {1, 0, 1, 0, 1, 0}; /* B^T = [[1,0],[0,1],[1,0]] */
    float c[2] = {10, 20};
    int64_t da[2] = {3, 2}, db[2] = {2, 3}, dc[2] = {2, 1}, want[2] = {2, 2};
    odin_graph *g = odin_graph_new("t");
    int ins[3] = {cf32(g, 2, da, a), cf32(g, 2, db, b), cf32(g, 2, dc, c)};
    odin_attr at[4] = {ODIN_ATTR_I("transA", 1), ODIN_ATTR_I("transB", 1),
                       ODIN_ATTR_F("alpha", 0.5f), ODIN_ATTR_F("beta", 2.0f)};
    int y = odin_build(g, "Gemm", ins, 3, at, 4, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        CHECK(shape_is(&out, 2, want), "shape");
        /* A^T B^T = [[1+5, 3], [2+6, 4]] = [[6,3],[8,4]] */
        check_f32(&out, (float[]){3 + 20, 1.5f + 20, 4 + 40, 2 + 40}, 4);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

static void test_gemm_bad_c(void) {
    static const float v[6] = {0};
    int64_t d22[2] = {2, 2}, dc[1] = {3};
    odin_graph *g = odin_graph_new("t");
    int ins[3] = {cf32(g, 2, d22, v), cf32(g, 2, d22, v), cf32(g, 1, dc, v)};
    odin_build(g, "Gemm", ins, 3, NULL, 0, 1, NULL);
    CHECK_ERR(odin_graph_take_error(g), "does not broadcast to [2,2]");
    odin_graph_free(g);
}

static odin_status einsum(const char *eq, int n, const int *ranks, const int64_t *const *dims,
                          const float *const *vals, odin_value *out) {
    odin_graph *g = odin_graph_new("t");
    int ins[4];
    for (int i = 0; i < n; i++) ins[i] = cf32(g, ranks[i], dims[i], vals[i]);
    odin_attr at[1] = {ODIN_ATTR_S("equation", eq)};
    int y = odin_build(g, "Einsum", ins, n, at, 1, 1, NULL);
    odin_status st = run(g, y, out);
    odin_graph_free(g);
    return st;
}

static void test_einsum_equations(void) {
    float m[6] = {1, 2, 3, 4, 5, 6}, sq[4] = {1, 2, 3, 4}, v2[2] = {1, 10};
    int64_t d23[2] = {2, 3}, d22[2] = {2, 2}, d2[1] = {2};
    odin_value out;
    /* implicit output of "ba" is "ab": a transpose */
    CHECK_OK(einsum("ba", 1, (int[]){2}, (const int64_t *[]){d23}, (const float *[]){m}, &out));
    if (out.data) {
        CHECK(shape_is(&out, 2, (int64_t[]){3, 2}), "ba shape");
        check_f32(&out, (float[]){1, 4, 2, 5, 3, 6}, 6);
        odin_values_free(&out, 1);
    }
    /* diagonal */
    CHECK_OK(einsum("ii->i", 1, (int[]){2}, (const int64_t *[]){d22}, (const float *[]){sq}, &out));
    if (out.data) {
        CHECK(shape_is(&out, 1, d2), "ii->i shape");
        check_f32(&out, (float[]){1, 4}, 2);
        odin_values_free(&out, 1);
    }
    /* trace in implicit form: repeated label is summed, output is a scalar */
    CHECK_OK(einsum("ii", 1, (int[]){2}, (const int64_t *[]){d22}, (const float *[]){sq}, &out));
    if (out.data) {
        CHECK(out.rank == 0, "trace rank %d", out.rank);
        check_f32(&out, (float[]){5}, 1);
        odin_values_free(&out, 1);
    }
    /* full sum and outer product */
    CHECK_OK(einsum("ij->", 1, (int[]){2}, (const int64_t *[]){d23}, (const float *[]){m}, &out));
    if (out.data) {
        check_f32(&out, (float[]){21}, 1);
        odin_values_free(&out, 1);
    }
    CHECK_OK(einsum("i,j->ji", 2, (int[]){1, 1}, (const int64_t *[]){d2, d2},
                    (const float *[]){v2, (float[]){2, 3}}, &out));
    if (out.data) {
        CHECK(shape_is(&out, 2, d22), "outer shape");
        check_f32(&out, (float[]){2, 20, 3, 30}, 4);
        odin_values_free(&out, 1);
    }
    /* mismatched label extents */
    CHECK_ERR(einsum("ij,jk->ik", 2, (int[]){2, 2}, (const int64_t *[]){d23, d23},
                     (const float *[]){m, m}, &out),
              "extent");
    CHECK_ERR(einsum("ij->k", 1, (int[]){2}, (const int64_t *[]){d23}, (const float *[]){m}, &out),
              "not in any input");
    CHECK_ERR(einsum("ijk", 1, (int[]){2}, (const int64_t *[]){d23}, (const float *[]){m}, &out),
              "rank 2");
    /* malformed equations are errors, never crashes */
    static const char *const bad[] = {"i.j", "ij->ii", "ij,", "ij..", "->", "i$", "......ij", "ij->i->j"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        odin_status st = einsum(bad[i], 1, (int[]){2}, (const int64_t *[]){d23},
                                (const float *[]){m}, &out);
        CHECK(st != ODIN_OK, "'%s' accepted", bad[i]);
        if (!st) odin_values_free(&out, 1);
        odin_status_free(st);
    }
}

/* '...' maps to the broadcast of the two batch shapes, [2,1] with [3] -> [2,3]. */
static void test_einsum_ellipsis_values(void) {
    float a[4] = {1, 2, 3, 4}, b[6] = {1, 0, 0, 1, 1, 1};
    odin_value out;
    CHECK_OK(einsum(" ...j , ...jk -> ...k", 2, (int[]){3, 3},
                    (const int64_t *[]){(int64_t[]){2, 1, 2}, (int64_t[]){3, 2, 1}},
                    (const float *[]){a, b}, &out));
    if (out.data) {
        CHECK(shape_is(&out, 3, (int64_t[]){2, 3, 1}), "shape");
        check_f32(&out, (float[]){1, 2, 3, 3, 4, 7}, 6);
        odin_values_free(&out, 1);
    }
}

/* MatMulInteger with a per-row A zero point [M] and a per-column B zero point [N]. */
static void test_matmulinteger_zero_points(void) {
    uint8_t a[4] = {10, 12, 5, 7}, za[2] = {10, 5};  /* A - za = [[0,2],[0,2]] */
    int8_t b[4] = {1, -2, 3, 4}, zb[2] = {1, -2};    /* B - zb = [[0,0],[2,6]] */
    int64_t d22[2] = {2, 2}, d2[1] = {2};
    odin_graph *g = odin_graph_new("t");
    int ins[4] = {cdt(g, ODIN_U8, 2, d22, a), cdt(g, ODIN_I8, 2, d22, b),
                  cdt(g, ODIN_U8, 1, d2, za), cdt(g, ODIN_I8, 1, d2, zb)};
    int y = odin_build(g, "MatMulInteger", ins, 4, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        int32_t *o = out.data;
        CHECK(out.dtype == ODIN_I32, "dtype");
        CHECK(o[0] == 4 && o[1] == 12 && o[2] == 4 && o[3] == 12, "got %d %d %d %d", o[0], o[1],
              o[2], o[3]);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

/* acc * a_scale * b_scale / y_scale + y_zp: 5 * 0.5 = 2.5 -> 2 and 7 * 0.5 = 3.5 -> 4 (half
 * to even); 1000 * 0.5 saturates to 255; a negative result saturates to 0. */
static void test_qlinearmatmul_round_saturate(void) {
    uint8_t b[1] = {1};            /* [1,1] */
    float as = 0.5f, bs = 1.0f, ys = 1.0f;
    uint8_t za = 0, zb = 0, zy = 0;
    int64_t da[2] = {4, 1}, db[2] = {1, 1};
    odin_graph *g = odin_graph_new("t");
    uint8_t a2[4] = {5, 7, 250, 0}; /* [4,1] */
    int ins[8] = {cdt(g, ODIN_U8, 2, da, a2), cdt(g, ODIN_F32, 0, NULL, &as),
                  cdt(g, ODIN_U8, 0, NULL, &za), cdt(g, ODIN_U8, 2, db, b),
                  cdt(g, ODIN_F32, 0, NULL, &bs), cdt(g, ODIN_U8, 0, NULL, &zb),
                  cdt(g, ODIN_F32, 0, NULL, &ys), cdt(g, ODIN_U8, 0, NULL, &zy)};
    int y = odin_build(g, "QLinearMatMul", ins, 8, NULL, 0, 1, NULL);
    odin_value out;
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        uint8_t *o = out.data;
        CHECK(o[0] == 2 && o[1] == 4 && o[2] == 125 && o[3] == 0, "got %d %d %d %d", o[0], o[1],
              o[2], o[3]);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
    /* y_scale 0.1 pushes 250 * 0.5 / 0.1 = 1250 past 255; y_zp 10 with a zero result gives 10 */
    g = odin_graph_new("t");
    float ys2 = 0.1f;
    uint8_t zy2 = 10;
    int ins2[8] = {cdt(g, ODIN_U8, 2, da, a2), cdt(g, ODIN_F32, 0, NULL, &as),
                   cdt(g, ODIN_U8, 0, NULL, &za), cdt(g, ODIN_U8, 2, db, b),
                   cdt(g, ODIN_F32, 0, NULL, &bs), cdt(g, ODIN_U8, 0, NULL, &zb),
                   cdt(g, ODIN_F32, 0, NULL, &ys2), cdt(g, ODIN_U8, 0, NULL, &zy2)};
    y = odin_build(g, "QLinearMatMul", ins2, 8, NULL, 0, 1, NULL);
    CHECK_OK(run(g, y, &out));
    if (out.data) {
        uint8_t *o = out.data;
        CHECK(o[2] == 255 && o[3] == 10, "got %d %d", o[2], o[3]);
        odin_values_free(&out, 1);
    }
    odin_graph_free(g);
}

int main(void) {
    RUN(test_matmul_1d_promotion);
    RUN(test_matmul_batch_broadcast);
    RUN(test_matmul_int64_exact);
    RUN(test_matmul_shape_errors);
    RUN(test_gemm_trans_alpha_beta_cbroadcast);
    RUN(test_gemm_bad_c);
    RUN(test_einsum_equations);
    RUN(test_einsum_ellipsis_values);
    RUN(test_matmulinteger_zero_points);
    RUN(test_qlinearmatmul_round_saturate);
    TEST_DONE();
}
