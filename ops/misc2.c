/* ops/misc2.c — op family 'misc2': ops with no better home — Det (determinant of the
 * trailing square matrices, LU with partial pivoting in double), LRN (local response
 * normalization across channels) and ReverseSequence (reverse the first len[b] steps
 * of each batch entry along the time axis). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "shape_util.h"

/* ---- Det ----------------------------------------------------------------------------- */

static odin_status det_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    char s[128];
    if (!odin_dtype_is_float(x->dtype))
        return odin_errorf("input has dtype %s, expected a float type", odin_dtype_name(x->dtype));
    if (x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    if (x->rank < 2 || (x->dims[x->rank - 1] >= 0 && x->dims[x->rank - 2] >= 0 &&
                        x->dims[x->rank - 1] != x->dims[x->rank - 2]))
        return odin_errorf("input has shape %s, expected [...,M,M]", odin_shape_str(x, s, sizeof s));
    odin_op_set_output(ctx, 0, x->dtype, x->rank - 2, x->dims);
    return ODIN_OK;
}

/* Determinant of the m x m matrix a (destroyed). */
static double det_lu(double *a, int64_t m) {
    double det = 1;
    for (int64_t k = 0; k < m; k++) {
        int64_t p = k;
        for (int64_t i = k + 1; i < m; i++)
            if (fabs(a[i * m + k]) > fabs(a[p * m + k])) p = i;
        if (a[p * m + k] == 0) return 0;
        if (p != k) {
            for (int64_t j = 0; j < m; j++) {
                double t = a[k * m + j];
                a[k * m + j] = a[p * m + j];
                a[p * m + j] = t;
            }
            det = -det;
        }
        double piv = a[k * m + k];
        det *= piv;
        for (int64_t i = k + 1; i < m; i++) {
            double f = a[i * m + k] / piv;
            for (int64_t j = k + 1; j < m; j++) a[i * m + j] -= f * a[k * m + j];
        }
    }
    return det;
}

static odin_status det_eval(odin_op_ctx *ctx) {
    ODIN_TRY(det_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int64_t m = x->dims[x->rank - 1], batch = odin_dims_prod(x->dims, 0, x->rank - 2);
    double *a = malloc((size_t)(m * m > 0 ? m * m : 1) * sizeof *a);
    if (!a) return odin_errorf("out of memory");
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t i = 0; i < m * m; i++) a[i] = odin_load_as_f64(x->data, x->dtype, (size_t)(b * m * m + i));
        odin_store_from_f64(ctx->out[0].data, x->dtype, (size_t)b, det_lu(a, m));
    }
    free(a);
    return ODIN_OK;
}

static const odin_op_def det_def = {
    "Det", "", 11, 0, 1, 1, 1, 1, NULL, det_infer, det_eval, NULL, 0,
    "determinant of each trailing [M,M] matrix"};

/* ---- LRN ----------------------------------------------------------------------------- */

static odin_status lrn_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    char s[128];
    if (!odin_dtype_is_float(x->dtype))
        return odin_errorf("input has dtype %s, expected a float type", odin_dtype_name(x->dtype));
    if (x->rank >= 0 && x->rank < 3)
        return odin_errorf("input has shape %s, expected [N,C,D1,...]", odin_shape_str(x, s, sizeof s));
    if (odin_attr_i(ctx->node, "size") <= 0)
        return odin_errorf("size %lld is not positive", (long long)odin_attr_i(ctx->node, "size"));
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status lrn_eval(odin_op_ctx *ctx) {
    ODIN_TRY(lrn_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int64_t size = odin_attr_i(ctx->node, "size");
    double alpha = odin_attr_f(ctx->node, "alpha"), beta = odin_attr_f(ctx->node, "beta"),
           bias = odin_attr_f(ctx->node, "bias");
    int64_t n = x->dims[0], c = x->dims[1], inner = odin_dims_prod(x->dims, 2, x->rank);
    /* the window over channels: [c - floor((size-1)/2), c + ceil((size-1)/2)] */
    int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t i = 0; i < inner; i++) {
                double sq = 0;
                for (int64_t k = ch - lo; k <= ch + hi; k++) {
                    if (k < 0 || k >= c) continue;
                    double v = odin_load_as_f64(x->data, x->dtype, (size_t)((b * c + k) * inner + i));
                    sq += v * v;
                }
                size_t at = (size_t)((b * c + ch) * inner + i);
                double v = odin_load_as_f64(x->data, x->dtype, at);
                odin_store_from_f64(ctx->out[0].data, x->dtype, at,
                                    v / pow(bias + alpha / (double)size * sq, beta));
            }
    return ODIN_OK;
}

static const odin_attr_schema lrn_attrs[] = {
    {"alpha", ODIN_ATTR_FLOAT, false, 0, 0.0001f}, {"beta", ODIN_ATTR_FLOAT, false, 0, 0.75f},
    {"bias", ODIN_ATTR_FLOAT, false, 0, 1.0f},     {"size", ODIN_ATTR_INT, true},
    {NULL}};
static const odin_op_def lrn_def = {
    "LRN", "", 1, 0, 1, 1, 1, 1, lrn_attrs, lrn_infer, lrn_eval, NULL, 0,
    "x / (bias + alpha/size * sum of squares over `size` neighbouring channels)^beta"};

/* ---- ReverseSequence ----------------------------------------------------------------- */

static odin_status revseq_axes(const odin_op_ctx *ctx, int *batch_axis, int *time_axis) {
    const odin_value *x = &ctx->in[0];
    int64_t ba = odin_attr_i(ctx->node, "batch_axis"), ta = odin_attr_i(ctx->node, "time_axis");
    if ((ba != 0 && ba != 1) || (ta != 0 && ta != 1) || ba == ta)
        return odin_errorf("batch_axis %lld and time_axis %lld must be 0 and 1 in some order",
                           (long long)ba, (long long)ta);
    *batch_axis = (int)ba;
    *time_axis = (int)ta;
    char s[128];
    if (x->rank >= 0 && x->rank < 2)
        return odin_errorf("input has shape %s, expected rank >= 2", odin_shape_str(x, s, sizeof s));
    const odin_value *l = &ctx->in[1];
    if (!odin_dtype_is_int(l->dtype))
        return odin_errorf("sequence_lens has dtype %s, expected int64", odin_dtype_name(l->dtype));
    if (l->rank >= 0 && (l->rank != 1 || (x->rank >= 2 && l->dims[0] >= 0 && x->dims[ba] >= 0 &&
                                          l->dims[0] != x->dims[ba])))
        return odin_errorf("sequence_lens has shape %s, expected [batch] of the input's axis %d",
                           odin_shape_str(l, s, sizeof s), (int)ba);
    return ODIN_OK;
}

static odin_status revseq_infer(odin_op_ctx *ctx) {
    int ba, ta;
    ODIN_TRY(revseq_axes(ctx, &ba, &ta));
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, ctx->in[0].rank, ctx->in[0].dims);
    return ODIN_OK;
}

static odin_status revseq_eval(odin_op_ctx *ctx) {
    int ba, ta;
    ODIN_TRY(revseq_infer(ctx));
    ODIN_TRY(revseq_axes(ctx, &ba, &ta));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *l = &ctx->in[1];
    int64_t d1 = x->dims[1], inner = odin_dims_prod(x->dims, 2, x->rank);
    int64_t nb = x->dims[ba], nt = x->dims[ta];
    size_t es = odin_dtype_size(x->dtype);
    for (int64_t b = 0; b < nb; b++) {
        int64_t len = odin_load_as_i64(l->data, l->dtype, (size_t)b);
        if (len < 0 || len > nt)
            return odin_errorf("sequence_lens[%lld] = %lld is outside [0,%lld]", (long long)b,
                               (long long)len, (long long)nt);
        for (int64_t t = 0; t < nt; t++) {
            int64_t src_t = t < len ? len - 1 - t : t;
            int64_t i0 = ba == 0 ? b : t, i1 = ba == 0 ? t : b;
            int64_t s0 = ba == 0 ? b : src_t, s1 = ba == 0 ? src_t : b;
            memcpy((char *)ctx->out[0].data + (size_t)((i0 * d1 + i1) * inner) * es,
                   (const char *)x->data + (size_t)((s0 * d1 + s1) * inner) * es, (size_t)inner * es);
        }
    }
    return ODIN_OK;
}

static const odin_attr_schema revseq_attrs[] = {
    {"batch_axis", ODIN_ATTR_INT, false, 1}, {"time_axis", ODIN_ATTR_INT, false, 0}, {NULL}};
static const odin_op_def revseq_def = {
    "ReverseSequence", "", 10, 0, 2, 2, 1, 1, revseq_attrs, revseq_infer, revseq_eval, NULL, 0,
    "reverses the first sequence_lens[b] elements along time_axis for each batch entry"};

const odin_op_def *const odin_ops_misc2[] = {&det_def, &lrn_def, &revseq_def, NULL};
