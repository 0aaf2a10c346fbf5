/* ops/linalg.c — op family 'linalg': MatMul, Gemm, Einsum, MatMulInteger, QLinearMatMul.
 * Float kernels accumulate each output row in double and round once to the output dtype;
 * integer kernels accumulate in 64 bits with wrap-around (never signed overflow) and
 * truncate to the output dtype like a C cast. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "einsum.h"
#include "op.h"

/* ---- shared helpers ---- */

static bool is_float_dtype(odin_dtype t) {
    return t == ODIN_F32 || t == ODIN_F64 || t == ODIN_F16 || t == ODIN_BF16;
}

static bool is_q8(odin_dtype t) { return t == ODIN_U8 || t == ODIN_I8; }

static inline double ld(const void *p, odin_dtype t, int64_t i) {
    return t == ODIN_F32 ? ((const float *)p)[i] : odin_load_as_f64(p, t, (size_t)i);
}

/* Store the low bits of v as integer dtype t (two's complement wrap, like a C cast). */
static void store_int(void *data, odin_dtype t, int64_t i, uint64_t v) {
    switch (t) {
    case ODIN_I8: case ODIN_U8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case ODIN_I16: case ODIN_U16: ((uint16_t *)data)[i] = (uint16_t)v; break;
    case ODIN_I32: case ODIN_U32: ((uint32_t *)data)[i] = (uint32_t)v; break;
    case ODIN_I64: case ODIN_U64: ((uint64_t *)data)[i] = v; break;
    case ODIN_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    default: break;
    }
}

/* Round half to even and saturate to an 8-bit dtype (QLinearMatMul output). */
static double round_saturate(double v, odin_dtype t) {
    double r = nearbyint(v);
    double lo = t == ODIN_U8 ? 0 : -128, hi = t == ODIN_U8 ? 255 : 127;
    return r < lo ? lo : r > hi ? hi : r;
}

/* ---- numpy matmul shapes ---- */

typedef struct mm_shape {
    int rank;                       /* output rank, -1 unknown */
    int64_t dims[ODIN_MAX_RANK];    /* output dims */
    int64_t M, K, N;
    int brank;                      /* broadcast batch rank */
    int64_t batch[ODIN_MAX_RANK];   /* broadcast batch dims */
    int64_t astr[ODIN_MAX_RANK], bstr[ODIN_MAX_RANK]; /* batch strides in matrices, 0 = bcast */
    int64_t nbatch;
} mm_shape;

static odin_status matmul_shape(const odin_value *a, const odin_value *b, mm_shape *s) {
    char sa[128], sb[128];
    memset(s, 0, sizeof *s);
    if (a->rank == 0 || b->rank == 0)
        return odin_errorf("inputs have shapes %s and %s; MatMul needs rank >= 1",
                           odin_shape_str(a, sa, sizeof sa), odin_shape_str(b, sb, sizeof sb));
    if (a->rank < 0 || b->rank < 0) {
        s->rank = -1;
        return ODIN_OK;
    }
    /* 1-D operands are promoted: a [K] -> [1, K], b [K] -> [K, 1]; the unit dim is dropped */
    int64_t ak = a->dims[a->rank - 1], bk = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
    if (ak >= 0 && bk >= 0 && ak != bk)
        return odin_errorf("shapes %s and %s: inner dimensions %lld and %lld differ",
                           odin_shape_str(a, sa, sizeof sa), odin_shape_str(b, sb, sizeof sb),
                           (long long)ak, (long long)bk);
    s->K = ak >= 0 ? ak : bk;
    s->M = a->rank == 1 ? 1 : a->dims[a->rank - 2];
    s->N = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    int ab = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0;
    odin_value va = {.rank = ab}, vb = {.rank = bb};
    memcpy(va.dims, a->dims, sizeof(int64_t) * ab);
    memcpy(vb.dims, b->dims, sizeof(int64_t) * bb);
    odin_status st = odin_broadcast_shape(&va, &vb, &s->brank, s->batch);
    if (st)
        return odin_status_prefix(st, "batch dimensions of %s and %s",
                                  odin_shape_str(a, sa, sizeof sa), odin_shape_str(b, sb, sizeof sb));
    int64_t as = 1, bs = 1;
    s->nbatch = 1;
    for (int i = s->brank - 1; i >= 0; i--) {
        int ia = i - (s->brank - ab), ib = i - (s->brank - bb);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        s->astr[i] = da == 1 ? 0 : as;
        s->bstr[i] = db == 1 ? 0 : bs;
        as *= da;
        bs *= db;
        s->nbatch *= s->batch[i];
    }
    s->rank = 0;
    for (int i = 0; i < s->brank; i++) s->dims[s->rank++] = s->batch[i];
    if (a->rank > 1) s->dims[s->rank++] = s->M;
    if (b->rank > 1) s->dims[s->rank++] = s->N;
    return ODIN_OK;
}

/* Matrix indices of batch element bi in a and b. */
static void batch_offsets(const mm_shape *s, int64_t bi, int64_t *ao, int64_t *bo) {
    *ao = *bo = 0;
    for (int i = s->brank - 1; i >= 0; i--) {
        int64_t c = bi % s->batch[i];
        bi /= s->batch[i];
        *ao += c * s->astr[i];
        *bo += c * s->bstr[i];
    }
}

/* Float matmul: out element (batch, i, j) stored through odin_store_from_f64. */
static odin_status matmul_float(const odin_value *a, const odin_value *b, const mm_shape *s,
                                odin_value *y) {
    double *acc = malloc((size_t)(s->N ? s->N : 1) * sizeof *acc);
    if (!acc) return odin_errorf("out of memory");
    for (int64_t bi = 0; bi < s->nbatch; bi++) {
        int64_t ao, bo;
        batch_offsets(s, bi, &ao, &bo);
        ao *= s->M * s->K;
        bo *= s->K * s->N;
        for (int64_t i = 0; i < s->M; i++) {
            for (int64_t j = 0; j < s->N; j++) acc[j] = 0.0;
            for (int64_t k = 0; k < s->K; k++) {
                double av = ld(a->data, a->dtype, ao + i * s->K + k);
                int64_t br = bo + k * s->N;
                if (b->dtype == ODIN_F32) {
                    const float *bp = (const float *)b->data + br;
                    for (int64_t j = 0; j < s->N; j++) acc[j] += av * bp[j];
                } else {
                    for (int64_t j = 0; j < s->N; j++) acc[j] += av * ld(b->data, b->dtype, br + j);
                }
            }
            int64_t yo = (bi * s->M + i) * s->N;
            if (y->dtype == ODIN_F32)
                for (int64_t j = 0; j < s->N; j++) ((float *)y->data)[yo + j] = (float)acc[j];
            else
                for (int64_t j = 0; j < s->N; j++)
                    odin_store_from_f64(y->data, y->dtype, (size_t)(yo + j), acc[j]);
        }
    }
    free(acc);
    return ODIN_OK;
}

/* Zero point layouts of MatMulInteger / QLinearMatMul: absent, scalar, per row of A
 * ([M], or [..., M, 1] per batch) / per column of B ([N], or [..., 1, N]). */
typedef struct zero_point {
    const odin_value *v; /* NULL: zero */
    int mode;            /* 0 scalar, 1 per row/col, 2 per batch and row/col */
} zero_point;

static odin_status zero_point_init(const odin_op_ctx *ctx, int zi, odin_dtype want,
                                   int64_t per, int64_t per_batch, const char *what,
                                   zero_point *z) {
    z->v = NULL;
    z->mode = 0;
    if (!odin_op_has_input(ctx, zi)) return ODIN_OK;
    const odin_value *v = &ctx->in[zi];
    char sv[128];
    if (v->dtype != want)
        return odin_errorf("%s has dtype %s, expected %s", what, odin_dtype_name(v->dtype),
                           odin_dtype_name(want));
    int64_t n = odin_value_numel(v);
    z->v = v;
    if (n < 0 || n == 1) return ODIN_OK;
    if (v->rank == 1 && n == per) z->mode = 1;
    else if (v->rank > 1 && n == per_batch) z->mode = 2;
    else
        return odin_errorf("%s has shape %s, expected a scalar, [%lld] or %lld elements", what,
                           odin_shape_str(v, sv, sizeof sv), (long long)per, (long long)per_batch);
    return ODIN_OK;
}

static inline int64_t zp_at(const zero_point *z, int64_t idx, int64_t batch_idx) {
    if (!z->v || !z->v->data) return 0;
    size_t i = z->mode == 0 ? 0 : z->mode == 1 ? (size_t)idx : (size_t)batch_idx;
    return odin_load_as_i64(z->v->data, z->v->dtype, i);
}

/* Integer matmul into acc (nbatch*M*N, wrapping 64-bit), zero points subtracted. */
static odin_status matmul_int(const odin_value *a, const odin_value *b, const mm_shape *s,
                              const zero_point *za, const zero_point *zb, uint64_t **acc_out) {
    int64_t total = s->nbatch * s->M * s->N;
    uint64_t *acc = calloc((size_t)(total ? total : 1), sizeof *acc);
    if (!acc) return odin_errorf("out of memory");
    for (int64_t bi = 0; bi < s->nbatch; bi++) {
        int64_t am, bm;
        batch_offsets(s, bi, &am, &bm);
        int64_t ao = am * s->M * s->K, bo = bm * s->K * s->N;
        for (int64_t i = 0; i < s->M; i++) {
            uint64_t *row = acc + (bi * s->M + i) * s->N;
            uint64_t zai = (uint64_t)zp_at(za, i, am * s->M + i);
            for (int64_t k = 0; k < s->K; k++) {
                uint64_t av = (uint64_t)odin_load_as_i64(a->data, a->dtype, (size_t)(ao + i * s->K + k)) - zai;
                for (int64_t j = 0; j < s->N; j++) {
                    uint64_t bv = (uint64_t)odin_load_as_i64(b->data, b->dtype,
                                                             (size_t)(bo + k * s->N + j));
                    row[j] += av * (bv - (uint64_t)zp_at(zb, j, bm * s->N + j));
                }
            }
        }
    }
    *acc_out = acc;
    return ODIN_OK;
}

/* ---- MatMul ---- */

static bool matmul_dtype_ok(odin_dtype t) {
    return is_float_dtype(t) || t == ODIN_I32 || t == ODIN_I64 || t == ODIN_U32 ||
           t == ODIN_U64;
}

static odin_status matmul_infer(odin_op_ctx *ctx) {
    const odin_value *a = &ctx->in[0], *b = &ctx->in[1];
    if (!matmul_dtype_ok(a->dtype))
        return odin_errorf("input A has dtype %s, which MatMul does not support",
                           odin_dtype_name(a->dtype));
    if (b->dtype != a->dtype)
        return odin_errorf("input dtypes %s and %s differ", odin_dtype_name(a->dtype),
                           odin_dtype_name(b->dtype));
    mm_shape s;
    ODIN_TRY(matmul_shape(a, b, &s));
    odin_op_set_output(ctx, 0, a->dtype, s.rank, s.dims);
    return ODIN_OK;
}

static odin_status matmul_eval(odin_op_ctx *ctx) {
    ODIN_TRY(matmul_infer(ctx));
    const odin_value *a = &ctx->in[0], *b = &ctx->in[1];
    mm_shape s;
    ODIN_TRY(matmul_shape(a, b, &s));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    odin_value *y = &ctx->out[0];
    if (is_float_dtype(a->dtype)) return matmul_float(a, b, &s, y);
    uint64_t *acc;
    zero_point none = {0};
    ODIN_TRY(matmul_int(a, b, &s, &none, &none, &acc));
    int64_t n = odin_value_numel(y);
    for (int64_t i = 0; i < n; i++) store_int(y->data, y->dtype, i, acc[i]);
    free(acc);
    return ODIN_OK;
}

static const odin_attr_schema no_attrs[] = {{NULL, 0, false, 0, 0, NULL}};

static const odin_op_def op_matmul = {
    .name = "MatMul", .domain = "", .since_version = 1,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .attrs = no_attrs, .infer = matmul_infer, .eval = matmul_eval,
    .doc = "numpy matmul: 1-D promotion, broadcast batch dimensions"};

/* ---- MatMulInteger ---- */

static odin_status mmint_setup(const odin_op_ctx *ctx, int ai, int azi, int bi, int bzi,
                               mm_shape *s, zero_point *za, zero_point *zb) {
    const odin_value *a = &ctx->in[ai], *b = &ctx->in[bi];
    if (!is_q8(a->dtype) || !is_q8(b->dtype))
        return odin_errorf("inputs have dtypes %s and %s, expected u8 or i8",
                           odin_dtype_name(a->dtype), odin_dtype_name(b->dtype));
    ODIN_TRY(matmul_shape(a, b, s));
    int64_t na = odin_value_numel(a), nb = odin_value_numel(b);
    ODIN_TRY(zero_point_init(ctx, azi, a->dtype, s->M, s->K > 0 && na >= 0 ? na / s->K : -1,
                             "A zero point", za));
    ODIN_TRY(zero_point_init(ctx, bzi, b->dtype, s->N, s->K > 0 && nb >= 0 ? nb / s->K : -1,
                             "B zero point", zb));
    return ODIN_OK;
}

static odin_status mmint_infer(odin_op_ctx *ctx) {
    mm_shape s;
    zero_point za, zb;
    ODIN_TRY(mmint_setup(ctx, 0, 2, 1, 3, &s, &za, &zb));
    odin_op_set_output(ctx, 0, ODIN_I32, s.rank, s.dims);
    return ODIN_OK;
}

static odin_status mmint_eval(odin_op_ctx *ctx) {
    mm_shape s;
    zero_point za, zb;
    ODIN_TRY(mmint_setup(ctx, 0, 2, 1, 3, &s, &za, &zb));
    odin_op_set_output(ctx, 0, ODIN_I32, s.rank, s.dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    uint64_t *acc;
    ODIN_TRY(matmul_int(&ctx->in[0], &ctx->in[1], &s, &za, &zb, &acc));
    int64_t n = odin_value_numel(&ctx->out[0]);
    for (int64_t i = 0; i < n; i++) store_int(ctx->out[0].data, ODIN_I32, i, acc[i]);
    free(acc);
    return ODIN_OK;
}

static const odin_op_def op_matmulinteger = {
    .name = "MatMulInteger", .domain = "", .since_version = 10,
    .min_inputs = 2, .max_inputs = 4, .min_outputs = 1, .max_outputs = 1,
    .attrs = no_attrs, .infer = mmint_infer, .eval = mmint_eval,
    .doc = "u8/i8 matmul with zero points, i32 output"};

/* ---- QLinearMatMul ---- */
/* inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point */

static odin_status check_scale(const odin_op_ctx *ctx, int si, int64_t per, int64_t per_batch,
                               const char *what, zero_point *z) {
    const odin_value *v = &ctx->in[si];
    if (v->dtype != ODIN_F32)
        return odin_errorf("%s has dtype %s, expected f32", what, odin_dtype_name(v->dtype));
    return zero_point_init(ctx, si, ODIN_F32, per, per_batch, what, z);
}

static inline double scale_at(const zero_point *z, int64_t idx, int64_t batch_idx) {
    size_t i = z->mode == 0 ? 0 : z->mode == 1 ? (size_t)idx : (size_t)batch_idx;
    return ((const float *)z->v->data)[i];
}

static odin_status qlmm_setup(const odin_op_ctx *ctx, mm_shape *s, zero_point *za,
                              zero_point *zb, zero_point *sa, zero_point *sb, odin_dtype *yt) {
    ODIN_TRY(mmint_setup(ctx, 0, 2, 3, 5, s, za, zb));
    int64_t na = odin_value_numel(&ctx->in[0]), nb = odin_value_numel(&ctx->in[3]);
    zero_point sy;
    ODIN_TRY(check_scale(ctx, 1, s->M, s->K > 0 && na >= 0 ? na / s->K : -1, "a_scale", sa));
    ODIN_TRY(check_scale(ctx, 4, s->N, s->K > 0 && nb >= 0 ? nb / s->K : -1, "b_scale", sb));
    ODIN_TRY(check_scale(ctx, 6, 1, 1, "y_scale", &sy));
    *yt = odin_op_has_input(ctx, 7) ? ctx->in[7].dtype : ctx->in[0].dtype;
    if (!is_q8(*yt))
        return odin_errorf("y_zero_point has dtype %s, expected u8 or i8", odin_dtype_name(*yt));
    if (odin_op_has_input(ctx, 7) && odin_value_numel(&ctx->in[7]) != 1 &&
        odin_value_numel(&ctx->in[7]) != -1)
        return odin_errorf("y_zero_point must be a scalar");
    return ODIN_OK;
}

static odin_status qlmm_infer(odin_op_ctx *ctx) {
    mm_shape s;
    zero_point za, zb, sa, sb;
    odin_dtype yt;
    ODIN_TRY(qlmm_setup(ctx, &s, &za, &zb, &sa, &sb, &yt));
    odin_op_set_output(ctx, 0, yt, s.rank, s.dims);
    return ODIN_OK;
}

static odin_status qlmm_eval(odin_op_ctx *ctx) {
    mm_shape s;
    zero_point za, zb, sa, sb;
    odin_dtype yt;
    ODIN_TRY(qlmm_setup(ctx, &s, &za, &zb, &sa, &sb, &yt));
    odin_op_set_output(ctx, 0, yt, s.rank, s.dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    uint64_t *acc;
    ODIN_TRY(matmul_int(&ctx->in[0], &ctx->in[3], &s, &za, &zb, &acc));
    double ys = ((const float *)ctx->in[6].data)[0];
    double yz = odin_op_has_input(ctx, 7) ? (double)odin_load_as_i64(ctx->in[7].data, yt, 0) : 0;
    for (int64_t bi = 0; bi < s.nbatch; bi++) {
        int64_t am, bm;
        batch_offsets(&s, bi, &am, &bm);
        for (int64_t i = 0; i < s.M; i++)
            for (int64_t j = 0; j < s.N; j++) {
                int64_t o = (bi * s.M + i) * s.N + j;
                double scale = scale_at(&sa, i, am * s.M + i) * scale_at(&sb, j, bm * s.N + j);
                double v = (double)(int64_t)acc[o] * scale / ys + yz;
                odin_store_from_f64(ctx->out[0].data, yt, (size_t)o, round_saturate(v, yt));
            }
    }
    free(acc);
    return ODIN_OK;
}

static const odin_op_def op_qlinearmatmul = {
    .name = "QLinearMatMul", .domain = "", .since_version = 10,
    .min_inputs = 8, .max_inputs = 8, .min_outputs = 1, .max_outputs = 1,
    .attrs = no_attrs, .infer = qlmm_infer, .eval = qlmm_eval,
    .doc = "quantized matmul: int accumulate, rescale, round half to even, saturate"};

/* ---- Gemm: Y = alpha * op(A) op(B) + beta * C ---- */

/* Dot product in double with four independent accumulators, so the loop is not bound
 * by the latency of one long chain of dependent adds. */
static double dot_f64_f32(const double *a, const float *b, int64_t n) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int64_t k = 0;
    for (; k + 4 <= n; k += 4) {
        s0 += a[k] * b[k];
        s1 += a[k + 1] * b[k + 1];
        s2 += a[k + 2] * b[k + 2];
        s3 += a[k + 3] * b[k + 3];
    }
    for (; k < n; k++) s0 += a[k] * b[k];
    return (s0 + s1) + (s2 + s3);
}

static odin_status gemm_shape(const odin_op_ctx *ctx, int64_t *M, int64_t *K, int64_t *N) {
    const odin_value *a = &ctx->in[0], *b = &ctx->in[1];
    char sa[128], sb[128];
    if (!matmul_dtype_ok(a->dtype))
        return odin_errorf("input A has dtype %s, which Gemm does not support",
                           odin_dtype_name(a->dtype));
    if (b->dtype != a->dtype)
        return odin_errorf("input dtypes %s and %s differ", odin_dtype_name(a->dtype),
                           odin_dtype_name(b->dtype));
    if ((a->rank >= 0 && a->rank != 2) || (b->rank >= 0 && b->rank != 2))
        return odin_errorf("inputs have shapes %s and %s, expected 2-D matrices",
                           odin_shape_str(a, sa, sizeof sa), odin_shape_str(b, sb, sizeof sb));
    bool ta = odin_attr_i(ctx->node, "transA") != 0, tb = odin_attr_i(ctx->node, "transB") != 0;
    *M = a->rank < 0 ? -1 : a->dims[ta ? 1 : 0];
    int64_t ka = a->rank < 0 ? -1 : a->dims[ta ? 0 : 1];
    int64_t kb = b->rank < 0 ? -1 : b->dims[tb ? 1 : 0];
    *N = b->rank < 0 ? -1 : b->dims[tb ? 0 : 1];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return odin_errorf("shapes %s (transA=%d) and %s (transB=%d): inner dimensions %lld "
                           "and %lld differ", odin_shape_str(a, sa, sizeof sa), ta,
                           odin_shape_str(b, sb, sizeof sb), tb, (long long)ka, (long long)kb);
    *K = ka >= 0 ? ka : kb;
    if (odin_op_has_input(ctx, 2)) {
        const odin_value *c = &ctx->in[2];
        if (c->dtype != a->dtype)
            return odin_errorf("C has dtype %s, expected %s", odin_dtype_name(c->dtype),
                               odin_dtype_name(a->dtype));
        if (c->rank > 2)
            return odin_errorf("C has shape %s, expected rank <= 2",
                               odin_shape_str(c, sa, sizeof sa));
        int64_t want[2] = {*M, *N};
        for (int i = 0; c->rank > 0 && i < c->rank; i++) {
            int64_t d = c->dims[i], w = want[2 - c->rank + i];
            if (d >= 0 && w >= 0 && d != 1 && d != w)
                return odin_errorf("C has shape %s, which does not broadcast to [%lld,%lld]",
                                   odin_shape_str(c, sa, sizeof sa), (long long)*M, (long long)*N);
        }
    }
    return ODIN_OK;
}

static odin_status gemm_infer(odin_op_ctx *ctx) {
    int64_t M, K, N;
    ODIN_TRY(gemm_shape(ctx, &M, &K, &N));
    int64_t dims[2] = {M, N};
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, 2, dims);
    return ODIN_OK;
}

static odin_status gemm_eval(odin_op_ctx *ctx) {
    int64_t M, K, N;
    ODIN_TRY(gemm_shape(ctx, &M, &K, &N));
    int64_t dims[2] = {M, N};
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, 2, dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *a = &ctx->in[0], *b = &ctx->in[1];
    odin_value *y = &ctx->out[0];
    bool ta = odin_attr_i(ctx->node, "transA") != 0, tb = odin_attr_i(ctx->node, "transB") != 0;
    double alpha = odin_attr_f(ctx->node, "alpha"), beta = odin_attr_f(ctx->node, "beta");
    const odin_value *c = odin_op_has_input(ctx, 2) ? &ctx->in[2] : NULL;
    /* C broadcast: strides over (i, j), 0 along broadcast axes */
    int64_t cs_i = 0, cs_j = 0;
    if (c && c->rank == 2) {
        cs_i = c->dims[0] == 1 ? 0 : c->dims[1];
        cs_j = c->dims[1] == 1 ? 0 : 1;
    } else if (c && c->rank == 1) {
        cs_j = c->dims[0] == 1 ? 0 : 1;
    }
    double *acc = malloc((size_t)(N ? N : 1) * sizeof *acc);
    double *arow = malloc((size_t)(K ? K : 1) * sizeof *arow);
    if (!acc || !arow) {
        free(acc);
        free(arow);
        return odin_errorf("out of memory");
    }
    for (int64_t i = 0; i < M; i++) {
        /* row i of op(A), contiguous whatever transA says */
        for (int64_t k = 0; k < K; k++) arow[k] = ld(a->data, a->dtype, ta ? k * M + i : i * K + k);
        if (tb) { /* B is [N, K]: one dot product per output along contiguous rows */
            for (int64_t j = 0; j < N; j++) {
                if (b->dtype == ODIN_F32) acc[j] = dot_f64_f32(arow, (const float *)b->data + j * K, K);
                else {
                    double sum = 0.0;
                    for (int64_t k = 0; k < K; k++) sum += arow[k] * ld(b->data, b->dtype, j * K + k);
                    acc[j] = sum;
                }
            }
        } else {
            for (int64_t j = 0; j < N; j++) acc[j] = 0.0;
            for (int64_t k = 0; k < K; k++) {
                double av = arow[k];
                if (b->dtype == ODIN_F32) {
                    const float *bp = (const float *)b->data + k * N;
                    for (int64_t j = 0; j < N; j++) acc[j] += av * bp[j];
                } else {
                    for (int64_t j = 0; j < N; j++) acc[j] += av * ld(b->data, b->dtype, k * N + j);
                }
            }
        }
        for (int64_t j = 0; j < N; j++) {
            double v = alpha * acc[j];
            if (c) v += beta * ld(c->data, c->dtype, i * cs_i + j * cs_j);
            if (is_float_dtype(y->dtype))
                odin_store_from_f64(y->data, y->dtype, (size_t)(i * N + j), v);
            else /* integer Gemm: the exact product sum, wrapped like the integer type */
                store_int(y->data, y->dtype, i * N + j,
                          (uint64_t)(int64_t)fmax(fmin(nearbyint(v), 9.2e18), -9.2e18));
        }
    }
    free(arow);
    free(acc);
    return ODIN_OK;
}

static const odin_attr_schema gemm_attrs[] = {
    {"alpha", ODIN_ATTR_FLOAT, false, 0, 1.0f, NULL},
    {"beta", ODIN_ATTR_FLOAT, false, 0, 1.0f, NULL},
    {"broadcast", ODIN_ATTR_INT, false, 0, 0, NULL}, /* opset < 7; broadcasting is always on */
    {"transA", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"transB", ODIN_ATTR_INT, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static const odin_op_def op_gemm = {
    .name = "Gemm", .domain = "", .since_version = 1,
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .attrs = gemm_attrs, .infer = gemm_infer, .eval = gemm_eval,
    .doc = "alpha * op(A) op(B) + beta * C, C broadcast to [M, N]"};

/* ---- Einsum ---- */

/* Labels: 'a'-'z' -> 0..25, 'A'-'Z' -> 26..51, ellipsis dims -> 52.. (right-aligned). */
#define EIN_LETTERS 52
#define EIN_LABELS (EIN_LETTERS + ODIN_MAX_RANK)

typedef struct einsum_plan {
    int n_in;
    int64_t dim[EIN_LABELS];           /* extent of each label, -1 unknown */
    bool used[EIN_LABELS];
    int out_rank;
    int out_labels[ODIN_MAX_RANK];
    int64_t out_dims[ODIN_MAX_RANK];
    int in_rank[64];
    int in_labels[64][ODIN_MAX_RANK];  /* label of each input axis */
} einsum_plan;

static int letter_id(char c) {
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
    return -1;
}

/* Parses one term into labels; ellipsis dims get ids EIN_LETTERS + (max_ell - n_ell) + t. */
static odin_status einsum_term(const char *t, size_t len, int rank, int max_ell, int *labels,
                               int *n_labels, int *n_ell_out, bool count_only) {
    int letters = 0, ell = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '.') {
            if (i + 2 >= len || t[i + 1] != '.' || t[i + 2] != '.')
                return odin_errorf("malformed '...' in equation");
            if (ell) return odin_errorf("more than one '...' in a term");
            ell = 1;
            i += 2;
        } else if (letter_id(t[i]) >= 0) {
            letters++;
        } else {
            return odin_errorf("unexpected character '%c' in equation", t[i]);
        }
    }
    int n_ell = rank >= 0 ? rank - letters : 0;
    if (rank >= 0 && (n_ell < 0 || (!ell && n_ell != 0)))
        return odin_errorf("term '%.*s' does not match an input of rank %d", (int)len, t, rank);
    *n_ell_out = ell ? n_ell : 0;
    if (count_only) return ODIN_OK;
    int k = 0;
    for (size_t i = 0; i < len; i++) {
        if (t[i] == '.') {
            for (int e = 0; e < n_ell; e++) labels[k++] = EIN_LETTERS + (max_ell - n_ell) + e;
            i += 2;
        } else {
            labels[k++] = letter_id(t[i]);
        }
    }
    *n_labels = k;
    return ODIN_OK;
}

static odin_status einsum_plan_make(const odin_op_ctx *ctx, einsum_plan *p) {
    const char *eq0 = odin_attr_s(ctx->node, "equation");
    if (!eq0) return odin_errorf("attribute 'equation' is missing");
    char eq[512];
    size_t n = 0;
    for (const char *c = eq0; *c && n + 1 < sizeof eq; c++)
        if (*c != ' ' && *c != '\t') eq[n++] = *c;
    eq[n] = 0;
    memset(p, 0, sizeof *p);
    p->n_in = ctx->n_in;
    if (p->n_in > 64) return odin_errorf("too many inputs");
    for (int l = 0; l < EIN_LABELS; l++) p->dim[l] = -2; /* -2: not seen yet */
    const char *arrow = strstr(eq, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : n;
    /* terms of the left-hand side */
    const char *term[64];
    size_t tlen[64];
    int nt = 0;
    for (size_t s = 0, i = 0; i <= lhs_len; i++) {
        if (i == lhs_len || eq[i] == ',') {
            if (nt >= 64) return odin_errorf("too many terms in equation");
            term[nt] = eq + s;
            tlen[nt++] = i - s;
            s = i + 1;
        }
    }
    if (nt != ctx->n_in)
        return odin_errorf("equation '%s' has %d input terms for %d inputs", eq0, nt, ctx->n_in);
    int max_ell = 0, n_ell;
    bool unknown_rank = false;
    for (int i = 0; i < nt; i++) {
        if (ctx->in[i].rank < 0) unknown_rank = true;
        ODIN_TRY(einsum_term(term[i], tlen[i], ctx->in[i].rank, 0, NULL, NULL, &n_ell, true));
        if (n_ell > max_ell) max_ell = n_ell;
    }
    if (unknown_rank) {
        p->out_rank = -1;
        return ODIN_OK;
    }
    int count[EIN_LABELS] = {0};
    for (int i = 0; i < nt; i++) {
        const odin_value *v = &ctx->in[i];
        int nl;
        ODIN_TRY(einsum_term(term[i], tlen[i], v->rank, max_ell, p->in_labels[i], &nl, &n_ell, false));
        p->in_rank[i] = nl;
        for (int ax = 0; ax < nl; ax++) {
            int l = p->in_labels[i][ax];
            int64_t d = v->dims[ax];
            count[l]++;
            p->used[l] = true;
            /* extents must agree; 1 broadcasts against anything */
            if (p->dim[l] == -2 || p->dim[l] == 1 || (p->dim[l] == -1 && d > 1)) p->dim[l] = d;
            else if (d >= 0 && d != 1 && p->dim[l] >= 0 && d != p->dim[l]) {
                char sv[128];
                return odin_errorf("equation '%s': input %d of shape %s has extent %lld for a "
                                   "label of extent %lld", eq0, i, odin_shape_str(v, sv, sizeof sv),
                                   (long long)d, (long long)p->dim[l]);
            }
        }
    }
    if (arrow) {
        const char *o = arrow + 2;
        int nl;
        ODIN_TRY(einsum_term(o, strlen(o), -1, max_ell, NULL, NULL, &n_ell, true));
        /* output ellipsis takes all max_ell broadcast dims */
        int k = 0;
        for (const char *c = o; *c; c++) {
            if (*c == '.') {
                for (int e = 0; e < max_ell; e++) p->out_labels[k++] = EIN_LETTERS + e;
                c += 2;
            } else {
                int l = letter_id(*c);
                if (!p->used[l])
                    return odin_errorf("equation '%s': output label '%c' is not in any input", eq0, *c);
                for (int j = 0; j < k; j++)
                    if (p->out_labels[j] == l)
                        return odin_errorf("equation '%s': output label '%c' repeats", eq0, *c);
                if (k >= ODIN_MAX_RANK) return odin_errorf("output rank exceeds %d", ODIN_MAX_RANK);
                p->out_labels[k++] = l;
            }
        }
        nl = k;
        p->out_rank = nl;
    } else {
        /* implicit: broadcast dims first, then labels seen once, in ASCII order */
        int k = 0;
        for (int e = 0; e < max_ell; e++) p->out_labels[k++] = EIN_LETTERS + e;
        static const int ascii_order[EIN_LETTERS] = {
            26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
            48, 49, 50, 51, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,
            18, 19, 20, 21, 22, 23, 24, 25};
        for (int i = 0; i < EIN_LETTERS; i++) {
            int l = ascii_order[i];
            if (count[l] == 1) {
                if (k >= ODIN_MAX_RANK) return odin_errorf("output rank exceeds %d", ODIN_MAX_RANK);
                p->out_labels[k++] = l;
            }
        }
        p->out_rank = k;
    }
    for (int i = 0; i < p->out_rank; i++) p->out_dims[i] = p->dim[p->out_labels[i]];
    return ODIN_OK;
}

static odin_status einsum_infer(odin_op_ctx *ctx) {
    if (ctx->n_in < 1) return odin_errorf("Einsum needs at least one input");
    odin_dtype t = ctx->in[0].dtype;
    for (int i = 1; i < ctx->n_in; i++)
        if (ctx->in[i].dtype != t)
            return odin_errorf("input %d has dtype %s, expected %s", i,
                               odin_dtype_name(ctx->in[i].dtype), odin_dtype_name(t));
    if (!is_float_dtype(t) && !odin_dtype_is_int(t))
        return odin_errorf("dtype %s is not supported by Einsum", odin_dtype_name(t));
    einsum_plan *p = malloc(sizeof *p);
    if (!p) return odin_errorf("out of memory");
    odin_status st = einsum_plan_make(ctx, p);
    if (!st) odin_op_set_output(ctx, 0, t, p->out_rank, p->out_dims);
    free(p);
    return st;
}

/* out[o] = sum over the other labels of the product of the inputs. Offsets are kept
 * incrementally while an odometer walks the reduced labels. */
static odin_status einsum_run(odin_op_ctx *ctx, const einsum_plan *p) {
    int n_in = p->n_in;
    int64_t stride[64][EIN_LABELS];
    memset(stride, 0, sizeof(int64_t) * (size_t)n_in * EIN_LABELS);
    for (int i = 0; i < n_in; i++) {
        int64_t s = 1;
        for (int ax = p->in_rank[i] - 1; ax >= 0; ax--) {
            int64_t d = ctx->in[i].dims[ax];
            if (d != 1) stride[i][p->in_labels[i][ax]] += s; /* extent 1 broadcasts */
            s *= d;
        }
    }
    bool is_out[EIN_LABELS] = {0};
    for (int k = 0; k < p->out_rank; k++) is_out[p->out_labels[k]] = true;
    int red[EIN_LABELS], nred = 0;
    int64_t red_total = 1;
    for (int l = 0; l < EIN_LABELS; l++)
        if (p->used[l] && !is_out[l]) {
            red[nred++] = l;
            red_total *= p->dim[l];
        }
    odin_value *y = &ctx->out[0];
    int64_t n_out = odin_value_numel(y);
    bool fl = is_float_dtype(y->dtype);
    int64_t base[64], off[64], ridx[EIN_LABELS];
    for (int64_t o = 0; o < n_out; o++) {
        int64_t rem = o;
        for (int i = 0; i < n_in; i++) base[i] = 0;
        for (int k = p->out_rank - 1; k >= 0; k--) {
            int l = p->out_labels[k];
            int64_t c = rem % p->dim[l];
            rem /= p->dim[l];
            for (int i = 0; i < n_in; i++) base[i] += c * stride[i][l];
        }
        for (int i = 0; i < n_in; i++) off[i] = base[i];
        for (int r = 0; r < nred; r++) ridx[r] = 0;
        double accf = 0.0;
        uint64_t acci = 0;
        for (int64_t it = 0; it < red_total; it++) {
            if (fl) {
                double prod = 1.0;
                for (int i = 0; i < n_in; i++) prod *= ld(ctx->in[i].data, ctx->in[i].dtype, off[i]);
                accf += prod;
            } else {
                uint64_t prod = 1;
                for (int i = 0; i < n_in; i++)
                    prod *= (uint64_t)odin_load_as_i64(ctx->in[i].data, ctx->in[i].dtype, (size_t)off[i]);
                acci += prod;
            }
            for (int r = nred - 1; r >= 0; r--) { /* odometer step */
                int l = red[r];
                for (int i = 0; i < n_in; i++) off[i] += stride[i][l];
                if (++ridx[r] < p->dim[l]) break;
                for (int i = 0; i < n_in; i++) off[i] -= stride[i][l] * p->dim[l];
                ridx[r] = 0;
            }
        }
        if (fl) odin_store_from_f64(y->data, y->dtype, (size_t)o, accf);
        else store_int(y->data, y->dtype, o, acci);
    }
    return ODIN_OK;
}

static odin_status einsum_eval(odin_op_ctx *ctx) {
    ODIN_TRY(einsum_infer(ctx));
    einsum_plan *p = malloc(sizeof *p);
    if (!p) return odin_errorf("out of memory");
    odin_status st = einsum_plan_make(ctx, p);
    if (!st) {
        odin_op_set_output(ctx, 0, ctx->in[0].dtype, p->out_rank, p->out_dims);
        st = odin_op_alloc_output(ctx, 0);
    }
    if (!st) st = einsum_run(ctx, p);
    free(p);
    return st;
}

odin_status odin_einsum_loops_of_node(const odin_graph *g, int node, odin_einsum_loops *e) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || n->n_inputs > ODIN_EINSUM_MAX_IN) return odin_errorf("unsupported input count");
    odin_value in[ODIN_EINSUM_MAX_IN];
    for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0) return odin_errorf("omitted input");
        in[i] = odin_tensor_value(g, n->inputs[i]);
        for (int d = 0; d < in[i].rank; d++)
            if (in[i].dims[d] < 0) return odin_errorf("shapes are not static");
    }
    odin_op_ctx ctx = {.node = n, .opset = g->opset, .n_in = n->n_inputs, .n_out = 1, .in = in};
    einsum_plan *p = malloc(sizeof *p);
    if (!p) return odin_errorf("out of memory");
    odin_status st = einsum_plan_make(&ctx, p);
    if (!st && p->out_rank < 0) st = odin_errorf("ranks are not known");
    memset(e, 0, sizeof *e);
    bool is_out[EIN_LABELS] = {0};
    if (!st) {
        e->n_in = n->n_inputs;
        e->n_out = p->out_rank;
        for (int k = 0; k < p->out_rank; k++) is_out[p->out_labels[k]] = true, e->out_dim[k] = p->out_dims[k];
        for (int l = 0; l < EIN_LABELS && !st; l++) {
            if (!p->used[l] || is_out[l]) continue;
            if (e->n_red >= ODIN_EINSUM_MAX_RED) st = odin_errorf("too many summed labels");
            else e->red_dim[e->n_red++] = p->dim[l];
        }
    }
    for (int i = 0; i < e->n_in && !st; i++) {
        int64_t s = 1;
        for (int ax = p->in_rank[i] - 1; ax >= 0; ax--) {
            int64_t d = in[i].dims[ax];
            int l = p->in_labels[i][ax];
            if (d != 1) { /* as einsum_run: extent 1 broadcasts */
                for (int k = 0; k < e->n_out; k++)
                    if (p->out_labels[k] == l) e->out_stride[i][k] += s;
                for (int r = 0, ri = 0; r < EIN_LABELS; r++) {
                    if (!p->used[r] || is_out[r]) continue;
                    if (r == l) e->red_stride[i][ri] += s;
                    ri++;
                }
            }
            s *= d;
        }
    }
    free(p);
    return st;
}

static const odin_attr_schema einsum_attrs[] = {
    {"equation", ODIN_ATTR_STRING, true, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static const odin_op_def op_einsum = {
    .name = "Einsum", .domain = "", .since_version = 12,
    .min_inputs = 1, .max_inputs = -1, .min_outputs = 1, .max_outputs = 1,
    .attrs = einsum_attrs, .infer = einsum_infer, .eval = einsum_eval,
    .doc = "Einstein summation over labelled axes (explicit/implicit output, '...')"};

const odin_op_def *const odin_ops_linalg[] = {&op_matmul, &op_gemm, &op_einsum,
                                              &op_matmulinteger, &op_qlinearmatmul, NULL};
