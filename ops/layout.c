/* ops/layout.c — DepthToSpace, SpaceToDepth and Trilu (listed in the 'shape' family):
 * fixed rearrangements of NCHW data and triangular masking of matrices. */
#include <string.h>

#include "op.h"
#include "shape_util.h"

static odin_status blocksize_of(odin_op_ctx *ctx, int64_t *b) {
    *b = odin_attr_i(ctx->node, "blocksize");
    if (*b <= 0 || *b > 65536) return odin_errorf("blocksize %lld is invalid", (long long)*b);
    return ODIN_OK;
}

static odin_status check_nchw(const odin_value *x) {
    if (x->rank != 4) {
        char s[128];
        return odin_errorf("input has shape %s, expected rank 4 (NCHW)", odin_shape_str(x, s, sizeof s));
    }
    return ODIN_OK;
}

static bool dcr_mode(odin_op_ctx *ctx, odin_status *st) {
    const char *m = odin_attr_s(ctx->node, "mode");
    *st = ODIN_OK;
    if (!m || !strcmp(m, "DCR")) return true;
    if (!strcmp(m, "CRD")) return false;
    *st = odin_errorf("unknown mode '%s' (expected DCR or CRD)", m);
    return false;
}

static odin_status d2s_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    int64_t b;
    ODIN_TRY(blocksize_of(ctx, &b));
    odin_status st;
    dcr_mode(ctx, &st);
    ODIN_TRY(st);
    if (x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, 4, NULL);
        return ODIN_OK;
    }
    ODIN_TRY(check_nchw(x));
    int64_t c = x->dims[1], out[4] = {x->dims[0], -1, -1, -1};
    if (c >= 0) {
        if (c % (b * b)) return odin_errorf("channels %lld do not divide by blocksize^2 = %lld",
                                            (long long)c, (long long)(b * b));
        out[1] = c / (b * b);
    }
    out[2] = x->dims[2] < 0 ? -1 : x->dims[2] * b;
    out[3] = x->dims[3] < 0 ? -1 : x->dims[3] * b;
    return odin_op_set_output_checked(ctx, 0, x->dtype, 4, out);
}

static odin_status d2s_eval(odin_op_ctx *ctx) {
    ODIN_TRY(d2s_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int64_t b;
    ODIN_TRY(blocksize_of(ctx, &b));
    odin_status st;
    bool dcr = dcr_mode(ctx, &st);
    int64_t n = x->dims[0], c = x->dims[1] / (b * b), h = x->dims[2], w = x->dims[3];
    /* input viewed 6-D, then permuted to the output's [N, C', H, b, W, b] order */
    int64_t in6[6], s6[6], dims[6], st6[6];
    int perm[6];
    if (dcr) {
        int64_t t[6] = {n, b, b, c, h, w};
        int p[6] = {0, 3, 4, 1, 5, 2};
        memcpy(in6, t, sizeof t);
        memcpy(perm, p, sizeof p);
    } else {
        int64_t t[6] = {n, c, b, b, h, w};
        int p[6] = {0, 1, 4, 2, 5, 3};
        memcpy(in6, t, sizeof t);
        memcpy(perm, p, sizeof p);
    }
    odin_strides(6, in6, s6);
    for (int d = 0; d < 6; d++) {
        dims[d] = in6[perm[d]];
        st6[d] = s6[perm[d]];
    }
    odin_strided_copy(ctx->out[0].data, x->data, odin_dtype_size(x->dtype), 6, dims, st6, 0);
    return ODIN_OK;
}

static const odin_attr_schema d2s_attrs[] = {{"blocksize", ODIN_ATTR_INT, true},
                                             {"mode", ODIN_ATTR_STRING, false, 0, 0, "DCR"},
                                             {NULL}};
const odin_op_def odin_op_depth_to_space = {
    "DepthToSpace", "", 1, 0, 1, 1, 1, 1, d2s_attrs, d2s_infer, d2s_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "move channel blocks into spatial blocks (DCR or CRD)"};

static odin_status s2d_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    int64_t b;
    ODIN_TRY(blocksize_of(ctx, &b));
    if (x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, 4, NULL);
        return ODIN_OK;
    }
    ODIN_TRY(check_nchw(x));
    int64_t out[4] = {x->dims[0], x->dims[1] < 0 ? -1 : x->dims[1] * b * b, -1, -1};
    for (int d = 2; d < 4; d++) {
        if (x->dims[d] < 0) continue;
        if (x->dims[d] % b)
            return odin_errorf("dim %d (%lld) does not divide by blocksize %lld", d,
                               (long long)x->dims[d], (long long)b);
        out[d] = x->dims[d] / b;
    }
    return odin_op_set_output_checked(ctx, 0, x->dtype, 4, out);
}

static odin_status s2d_eval(odin_op_ctx *ctx) {
    ODIN_TRY(s2d_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int64_t b;
    ODIN_TRY(blocksize_of(ctx, &b));
    int64_t in6[6] = {x->dims[0], x->dims[1], x->dims[2] / b, b, x->dims[3] / b, b};
    int perm[6] = {0, 3, 5, 1, 2, 4};
    int64_t s6[6], dims[6], st6[6];
    odin_strides(6, in6, s6);
    for (int d = 0; d < 6; d++) {
        dims[d] = in6[perm[d]];
        st6[d] = s6[perm[d]];
    }
    odin_strided_copy(ctx->out[0].data, x->data, odin_dtype_size(x->dtype), 6, dims, st6, 0);
    return ODIN_OK;
}

static const odin_attr_schema s2d_attrs[] = {{"blocksize", ODIN_ATTR_INT, true}, {NULL}};
const odin_op_def odin_op_space_to_depth = {
    "SpaceToDepth", "", 1, 0, 1, 1, 1, 1, s2d_attrs, s2d_infer, s2d_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "move spatial blocks into channels"};

static odin_status trilu_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    if (x->rank >= 0 && x->rank < 2) return odin_errorf("input must have rank >= 2, got %d", x->rank);
    if (odin_op_has_input(ctx, 1)) {
        const odin_value *k = &ctx->in[1];
        if (!odin_dtype_is_int(k->dtype) || (k->rank > 0 && odin_value_numel(k) != 1))
            return odin_errorf("k must be an integer scalar");
    }
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status trilu_eval(odin_op_ctx *ctx) {
    ODIN_TRY(trilu_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int64_t k = odin_op_has_input(ctx, 1) ? odin_load_as_i64(ctx->in[1].data, ctx->in[1].dtype, 0) : 0;
    bool upper = odin_attr_i(ctx->node, "upper") != 0;
    int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
    /* j - i lies in [-rows, cols]: clamping k there keeps the comparison exact */
    if (k < -rows - 1) k = -rows - 1;
    if (k > cols + 1) k = cols + 1;
    int64_t mats = odin_dims_prod(x->dims, 0, x->rank - 2);
    size_t es = odin_dtype_size(x->dtype);
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                bool keep = upper ? j - i >= k : j - i <= k;
                if (!keep) continue;
                size_t off = (size_t)((m * rows + i) * cols + j) * es;
                memcpy((char *)ctx->out[0].data + off, (const char *)x->data + off, es);
            }
    return ODIN_OK;
}

static const odin_attr_schema trilu_attrs[] = {{"upper", ODIN_ATTR_INT, false, 1}, {NULL}};
const odin_op_def odin_op_trilu = {
    "Trilu", "", 14, 0, 1, 2, 1, 1, trilu_attrs, trilu_infer, trilu_eval, NULL, 0,
    "keep the upper or lower triangle of the last two dims (offset k)"};
