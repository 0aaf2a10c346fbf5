/* ops/norm.c — op family 'norm': LayerNormalization, BatchNormalization, Instance- and
 * GroupNormalization, LpNormalization, MeanVarianceNormalization, RMSNormalization.
 * Reference kernels load inputs as double, compute statistics in two passes (mean, then
 * mean squared deviation, as the ONNX reference does) and round once to the output dtype. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

/* ---- shared helpers ---- */

static odin_status check_float(const odin_value *v, const char *what) {
    if (!odin_dtype_is_float(v->dtype))
        return odin_errorf("%s has dtype %s, expected a floating-point tensor", what,
                           odin_dtype_name(v->dtype));
    return ODIN_OK;
}

/* Per-dim strides of a parameter p whose dims line up with x's dims start..start+p.rank-1
 * (each equal to x's or 1, which broadcasts); 0 for every other dim of x. Unknown dims
 * (infer) are accepted. `what` names p in errors. */
static odin_status param_strides(const odin_value *p, const odin_value *x, int start,
                                 const char *what, int64_t *strides) {
    char sp[128], sx[128];
    if (p->rank < 0 || x->rank < 0) return ODIN_OK;
    if (start < 0 || start + p->rank > x->rank)
        return odin_errorf("%s has shape %s, which does not fit input shape %s", what,
                           odin_shape_str(p, sp, sizeof sp), odin_shape_str(x, sx, sizeof sx));
    for (int d = 0; d < x->rank; d++) strides[d] = 0;
    int64_t s = 1;
    for (int k = p->rank - 1; k >= 0; k--) {
        int64_t pd = p->dims[k], xd = x->dims[start + k];
        if (pd >= 0 && xd >= 0 && pd != xd && pd != 1)
            return odin_errorf("%s has shape %s, expected it to match input shape %s at dims "
                               "%d..%d", what, odin_shape_str(p, sp, sizeof sp),
                               odin_shape_str(x, sx, sizeof sx), start, start + p->rank - 1);
        strides[start + k] = pd == 1 ? 0 : s;
        s *= pd;
    }
    return ODIN_OK;
}

/* Offset into a parameter for flat element i of x (strides from param_strides). */
static size_t param_offset(const odin_value *x, const int64_t *strides, int64_t i) {
    size_t off = 0;
    for (int d = x->rank - 1; d >= 0; d--) {
        int64_t idx = i % x->dims[d];
        i /= x->dims[d];
        off += (size_t)(idx * strides[d]);
    }
    return off;
}

/* Whole tensor as doubles (malloc'ed; NULL when out of memory). */
static double *load_all(const odin_value *v, int64_t n) {
    double *a = malloc((size_t)(n ? n : 1) * sizeof *a);
    if (!a) return NULL;
    for (int64_t i = 0; i < n; i++) a[i] = odin_load_as_f64(v->data, v->dtype, (size_t)i);
    return a;
}

/* Population mean and variance of a[0..n). */
static void mean_var(const double *a, int64_t n, int64_t stride, double *mean, double *var) {
    double s = 0, q = 0;
    for (int64_t i = 0; i < n; i++) s += a[i * stride];
    double m = n ? s / (double)n : 0;
    for (int64_t i = 0; i < n; i++) q += (a[i * stride] - m) * (a[i * stride] - m);
    *mean = m;
    *var = n ? q / (double)n : 0;
}

static int64_t prod_dims(const odin_value *v, int from, int to) {
    int64_t p = 1;
    for (int d = from; d < to; d++) p *= v->dims[d];
    return p;
}

/* The "stash" dtype of LayerNormalization / RMSNormalization statistics. */
static odin_status stash_dtype(const odin_op_ctx *ctx, odin_dtype *t) {
    int64_t code = odin_attr_i(ctx->node, "stash_type");
    *t = odin_dtype_from_onnx((int)code);
    if (!odin_dtype_is_float(*t))
        return odin_errorf("stash_type %lld is not a floating-point type", (long long)code);
    return ODIN_OK;
}

/* ---- LayerNormalization ---- */

/* Normalizes over dims [axis, rank); Scale and B broadcast (right-aligned) to those dims.
 * Optional outputs Mean and InvStdDev have X's dims before axis and 1 after. */
static odin_status layernorm_shapes(odin_op_ctx *ctx, int *axis, int64_t *ss, int64_t *bs) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_float(x, "input 0 (X)"));
    ODIN_TRY(check_float(&ctx->in[1], "input 1 (Scale)"));
    odin_dtype st;
    ODIN_TRY(stash_dtype(ctx, &st));
    bool has_b = odin_op_has_input(ctx, 2);
    if (has_b) ODIN_TRY(check_float(&ctx->in[2], "input 2 (B)"));
    *axis = 0;
    int64_t stat_dims[ODIN_MAX_RANK];
    if (x->rank >= 0) {
        if (x->rank == 0) return odin_errorf("input 0 (X) is a scalar; expected rank >= 1");
        ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, axis));
        const odin_value *s = &ctx->in[1];
        if (s->rank > x->rank - *axis)
            return odin_errorf("input 1 (Scale) has rank %d, more than the %d normalized dims",
                               s->rank, x->rank - *axis);
        ODIN_TRY(param_strides(s, x, x->rank - (s->rank < 0 ? 0 : s->rank), "input 1 (Scale)", ss));
        if (has_b) {
            const odin_value *b = &ctx->in[2];
            if (b->rank > x->rank - *axis)
                return odin_errorf("input 2 (B) has rank %d, more than the %d normalized dims",
                                   b->rank, x->rank - *axis);
            ODIN_TRY(param_strides(b, x, x->rank - (b->rank < 0 ? 0 : b->rank), "input 2 (B)", bs));
        }
        for (int d = 0; d < x->rank; d++) stat_dims[d] = d < *axis ? x->dims[d] : 1;
    }
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    for (int i = 1; i < ctx->n_out && i < 3; i++) odin_op_set_output(ctx, i, st, x->rank, stat_dims);
    return ODIN_OK;
}

static odin_status layernorm_infer(odin_op_ctx *ctx) {
    int axis;
    int64_t ss[ODIN_MAX_RANK], bs[ODIN_MAX_RANK];
    return layernorm_shapes(ctx, &axis, ss, bs);
}

static odin_status layernorm_eval(odin_op_ctx *ctx) {
    int axis;
    int64_t ss[ODIN_MAX_RANK], bs[ODIN_MAX_RANK];
    ODIN_TRY(layernorm_shapes(ctx, &axis, ss, bs));
    for (int i = 0; i < ctx->n_out && i < 3; i++) ODIN_TRY(odin_op_alloc_output(ctx, i));
    const odin_value *x = &ctx->in[0], *s = &ctx->in[1], *b = &ctx->in[2];
    bool has_b = odin_op_has_input(ctx, 2);
    double eps = odin_attr_f(ctx->node, "epsilon");
    int64_t rows = prod_dims(x, 0, axis), cols = prod_dims(x, axis, x->rank);
    double *a = load_all(x, rows * cols);
    if (!a) return odin_errorf("out of memory");
    for (int64_t r = 0; r < rows; r++) {
        double mean, var;
        mean_var(a + r * cols, cols, 1, &mean, &var);
        double inv = 1.0 / sqrt(var + eps);
        for (int64_t c = 0; c < cols; c++) {
            int64_t i = r * cols + c;
            double y = (a[i] - mean) * inv * odin_load_as_f64(s->data, s->dtype, param_offset(x, ss, i));
            if (has_b) y += odin_load_as_f64(b->data, b->dtype, param_offset(x, bs, i));
            odin_store_from_f64(ctx->out[0].data, x->dtype, (size_t)i, y);
        }
        if (ctx->n_out > 1 && ctx->out[1].data)
            odin_store_from_f64(ctx->out[1].data, ctx->out[1].dtype, (size_t)r, mean);
        if (ctx->n_out > 2 && ctx->out[2].data)
            odin_store_from_f64(ctx->out[2].data, ctx->out[2].dtype, (size_t)r, inv);
    }
    free(a);
    return ODIN_OK;
}

static const odin_attr_schema layernorm_attrs[] = {
    {"axis", ODIN_ATTR_INT, false, -1, 0, NULL},
    {"epsilon", ODIN_ATTR_FLOAT, false, 0, 1e-5f, NULL},
    {"stash_type", ODIN_ATTR_INT, false, 1, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def layernorm_def = {
    .name = "LayerNormalization", .domain = "", .since_version = 1, .min_inputs = 2,
    .max_inputs = 3, .min_outputs = 1, .max_outputs = 3, .attrs = layernorm_attrs,
    .infer = layernorm_infer, .eval = layernorm_eval,
    .doc = "normalize over the dims from axis on, then scale and shift"};

/* ---- BatchNormalization ---- */

/* Parameters (scale, B, mean, var) line up with X from dim 1: shape [C] normally, or
 * X's dims 1.. for spatial=0 (before opset 9). */
static bool bn_training(const odin_op_ctx *ctx) {
    if (ctx->opset >= 14) return odin_attr_i(ctx->node, "training_mode") != 0;
    return false;
}

static odin_status bn_shapes(odin_op_ctx *ctx, int64_t strides[4][ODIN_MAX_RANK]) {
    static const char *names[4] = {"input 1 (scale)", "input 2 (B)", "input 3 (mean)",
                                   "input 4 (var)"};
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_float(x, "input 0 (X)"));
    if (x->rank >= 0 && x->rank < 2)
        return odin_errorf("input 0 (X) has rank %d, expected N x C x ...", x->rank);
    for (int k = 0; k < 4; k++) {
        ODIN_TRY(check_float(&ctx->in[1 + k], names[k]));
        ODIN_TRY(param_strides(&ctx->in[1 + k], x, 1, names[k], strides[k]));
    }
    bool training = bn_training(ctx);
    if (!training && ctx->opset < 14)
        for (int i = 1; i < ctx->n_out; i++)
            if (ctx->node->outputs[i] >= 0)
                return odin_errorf("training outputs (output %d) before opset 14 are not "
                                   "supported; only inference mode is", i);
    if (training) {
        if (ctx->in[3].rank != 1 || (x->rank >= 0 && ctx->in[3].dims[0] != x->dims[1] &&
                                     ctx->in[3].dims[0] >= 0 && x->dims[1] >= 0))
            return odin_errorf("training mode needs per-channel mean of shape [C]");
        if (ctx->n_out == 2)
            return odin_errorf("training mode has outputs Y, running_mean and running_var; "
                               "got 2 outputs");
    } else if (ctx->opset >= 14 && ctx->n_out > 1) {
        return odin_errorf("inference mode (training_mode=0) has one output, got %d",
                           ctx->n_out);
    }
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    for (int i = 1; i < ctx->n_out && i < 3; i++)
        odin_op_set_output(ctx, i, ctx->in[2 + i].dtype, ctx->in[2 + i].rank, ctx->in[2 + i].dims);
    return ODIN_OK;
}

static odin_status bn_infer(odin_op_ctx *ctx) {
    int64_t strides[4][ODIN_MAX_RANK];
    return bn_shapes(ctx, strides);
}

static odin_status bn_eval(odin_op_ctx *ctx) {
    int64_t strides[4][ODIN_MAX_RANK];
    ODIN_TRY(bn_shapes(ctx, strides));
    for (int i = 0; i < ctx->n_out && i < 3; i++) ODIN_TRY(odin_op_alloc_output(ctx, i));
    const odin_value *x = &ctx->in[0];
    double eps = odin_attr_f(ctx->node, "epsilon");
    int64_t n = odin_value_numel(x);
    odin_value *y = &ctx->out[0];
    if (!bn_training(ctx)) {
        for (int64_t i = 0; i < n; i++) {
            double p[4];
            for (int k = 0; k < 4; k++)
                p[k] = odin_load_as_f64(ctx->in[1 + k].data, ctx->in[1 + k].dtype,
                                        param_offset(x, strides[k], i));
            double v = odin_load_as_f64(x->data, x->dtype, (size_t)i);
            odin_store_from_f64(y->data, x->dtype, (size_t)i,
                                (v - p[2]) / sqrt(p[3] + eps) * p[0] + p[1]);
        }
        return ODIN_OK;
    }
    /* Training: statistics of this batch per channel (population variance, as the ONNX
     * reference); running stats blend the inputs with them by momentum. */
    double momentum = odin_attr_f(ctx->node, "momentum");
    int64_t nb = x->dims[0], c = x->dims[1], sp = prod_dims(x, 2, x->rank);
    double *a = load_all(x, n);
    if (!a) return odin_errorf("out of memory");
    for (int64_t ch = 0; ch < c; ch++) {
        double s = 0, q = 0, cnt = (double)(nb * sp);
        for (int64_t b = 0; b < nb; b++)
            for (int64_t k = 0; k < sp; k++) s += a[(b * c + ch) * sp + k];
        double mean = cnt ? s / cnt : 0;
        for (int64_t b = 0; b < nb; b++)
            for (int64_t k = 0; k < sp; k++) {
                double d = a[(b * c + ch) * sp + k] - mean;
                q += d * d;
            }
        double var = cnt ? q / cnt : 0;
        double scale = odin_load_as_f64(ctx->in[1].data, ctx->in[1].dtype, (size_t)ch);
        double bias = odin_load_as_f64(ctx->in[2].data, ctx->in[2].dtype, (size_t)ch);
        double inv = 1.0 / sqrt(var + eps);
        for (int64_t b = 0; b < nb; b++)
            for (int64_t k = 0; k < sp; k++) {
                size_t i = (size_t)((b * c + ch) * sp + k);
                odin_store_from_f64(y->data, x->dtype, i, (a[i] - mean) * inv * scale + bias);
            }
        double in_mean = odin_load_as_f64(ctx->in[3].data, ctx->in[3].dtype, (size_t)ch);
        double in_var = odin_load_as_f64(ctx->in[4].data, ctx->in[4].dtype, (size_t)ch);
        if (ctx->n_out > 1 && ctx->out[1].data)
            odin_store_from_f64(ctx->out[1].data, ctx->out[1].dtype, (size_t)ch,
                                in_mean * momentum + mean * (1 - momentum));
        if (ctx->n_out > 2 && ctx->out[2].data)
            odin_store_from_f64(ctx->out[2].data, ctx->out[2].dtype, (size_t)ch,
                                in_var * momentum + var * (1 - momentum));
    }
    free(a);
    return ODIN_OK;
}

static const odin_attr_schema bn_attrs[] = {
    {"epsilon", ODIN_ATTR_FLOAT, false, 0, 1e-5f, NULL},
    {"momentum", ODIN_ATTR_FLOAT, false, 0, 0.9f, NULL},
    {"training_mode", ODIN_ATTR_INT, false, 0, 0, NULL},
    /* older opsets: spatial (< 9; the parameter shapes say it), is_test (< 7),
     * consumed_inputs (1); accepted and implied by the inputs */
    {"spatial", ODIN_ATTR_INT, false, 1, 0, NULL},
    {"is_test", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"consumed_inputs", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def batchnorm_def = {
    .name = "BatchNormalization", .domain = "", .since_version = 1, .min_inputs = 5,
    .max_inputs = 5, .min_outputs = 1, .max_outputs = 5, .attrs = bn_attrs,
    .infer = bn_infer, .eval = bn_eval,
    .doc = "per-channel (x - mean) / sqrt(var + eps) * scale + B"};

/* ---- InstanceNormalization / GroupNormalization ---- */

/* Both normalize contiguous blocks of X = [N, C, spatial...]: InstanceNorm one block per
 * (n, c), GroupNorm one per (n, group) of C / num_groups channels. Scale and bias are per
 * channel, or per group (GroupNormalization opset 18). */
static odin_status groupwise_shapes(odin_op_ctx *ctx, int64_t groups, bool group_norm) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_float(x, "input 0 (X)"));
    ODIN_TRY(check_float(&ctx->in[1], "input 1 (scale)"));
    ODIN_TRY(check_float(&ctx->in[2], "input 2 (B)"));
    if (x->rank >= 0 && x->rank < 2)
        return odin_errorf("input 0 (X) has rank %d, expected N x C x ...", x->rank);
    int64_t c = x->rank >= 2 ? x->dims[1] : -1;
    if (group_norm) {
        if (groups <= 0) return odin_errorf("num_groups %lld must be positive", (long long)groups);
        if (c >= 0 && c % groups != 0)
            return odin_errorf("channel count %lld is not divisible by num_groups %lld",
                               (long long)c, (long long)groups);
    }
    for (int k = 1; k <= 2; k++) {
        const odin_value *p = &ctx->in[k];
        if (p->rank >= 0 && p->rank != 1)
            return odin_errorf("input %d has rank %d, expected 1", k, p->rank);
        int64_t len = p->rank == 1 ? p->dims[0] : -1;
        if (len >= 0 && c >= 0 && len != c && !(group_norm && len == groups))
            return odin_errorf("input %d has %lld elements, expected %lld (channels)%s", k,
                               (long long)len, (long long)c,
                               group_norm ? " or num_groups" : "");
    }
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status groupwise_eval(odin_op_ctx *ctx, int64_t groups, bool group_norm) {
    ODIN_TRY(groupwise_shapes(ctx, groups, group_norm));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *s = &ctx->in[1], *b = &ctx->in[2];
    double eps = odin_attr_f(ctx->node, "epsilon");
    int64_t n = x->dims[0], c = x->dims[1], sp = prod_dims(x, 2, x->rank);
    if (!group_norm) groups = c;
    int64_t cpg = groups ? c / groups : 0; /* channels per group */
    int64_t total = n * c * sp;
    double *a = load_all(x, total);
    if (!a) return odin_errorf("out of memory");
    for (int64_t bi = 0; bi < n; bi++)
        for (int64_t g = 0; g < groups; g++) {
            int64_t start = (bi * c + g * cpg) * sp, len = cpg * sp;
            double mean, var;
            mean_var(a + start, len, 1, &mean, &var);
            double inv = 1.0 / sqrt(var + eps);
            for (int64_t k = 0; k < len; k++) {
                int64_t ch = g * cpg + k / (sp ? sp : 1);
                size_t ps = (size_t)(s->dims[0] == c ? ch : g);
                size_t pb = (size_t)(b->dims[0] == c ? ch : g);
                double y = (a[start + k] - mean) * inv * odin_load_as_f64(s->data, s->dtype, ps) +
                           odin_load_as_f64(b->data, b->dtype, pb);
                odin_store_from_f64(ctx->out[0].data, x->dtype, (size_t)(start + k), y);
            }
        }
    free(a);
    return ODIN_OK;
}

static odin_status instnorm_infer(odin_op_ctx *ctx) { return groupwise_shapes(ctx, 0, false); }
static odin_status instnorm_eval(odin_op_ctx *ctx) { return groupwise_eval(ctx, 0, false); }
static odin_status groupnorm_infer(odin_op_ctx *ctx) {
    return groupwise_shapes(ctx, odin_attr_i(ctx->node, "num_groups"), true);
}
static odin_status groupnorm_eval(odin_op_ctx *ctx) {
    return groupwise_eval(ctx, odin_attr_i(ctx->node, "num_groups"), true);
}

static const odin_attr_schema instnorm_attrs[] = {
    {"epsilon", ODIN_ATTR_FLOAT, false, 0, 1e-5f, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def instnorm_def = {
    .name = "InstanceNormalization", .domain = "", .since_version = 1, .min_inputs = 3,
    .max_inputs = 3, .min_outputs = 1, .max_outputs = 1, .attrs = instnorm_attrs,
    .infer = instnorm_infer, .eval = instnorm_eval,
    .doc = "normalize each (sample, channel) over its spatial dims, then scale and shift"};

static const odin_attr_schema groupnorm_attrs[] = {
    {"epsilon", ODIN_ATTR_FLOAT, false, 0, 1e-5f, NULL},
    {"num_groups", ODIN_ATTR_INT, true, 0, 0, NULL},
    {"stash_type", ODIN_ATTR_INT, false, 1, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def groupnorm_def = {
    .name = "GroupNormalization", .domain = "", .since_version = 1, .min_inputs = 3,
    .max_inputs = 3, .min_outputs = 1, .max_outputs = 1, .attrs = groupnorm_attrs,
    .infer = groupnorm_infer, .eval = groupnorm_eval,
    .doc = "normalize groups of channels; scale/bias per channel (21) or per group (18)"};

/* ---- LpNormalization ---- */

static odin_status lpnorm_check(odin_op_ctx *ctx, int *axis) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_float(x, "input 0"));
    int64_t p = odin_attr_i(ctx->node, "p");
    if (p != 1 && p != 2) return odin_errorf("p = %lld; only 1 and 2 are defined", (long long)p);
    *axis = 0;
    if (x->rank > 0) ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, axis));
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status lpnorm_infer(odin_op_ctx *ctx) {
    int axis;
    return lpnorm_check(ctx, &axis);
}

/* x / ||x||_p along axis; a zero norm gives NaN like the ONNX reference's 0 / 0. */
static odin_status lpnorm_eval(odin_op_ctx *ctx) {
    int axis;
    ODIN_TRY(lpnorm_check(ctx, &axis));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    bool l1 = odin_attr_i(ctx->node, "p") == 1;
    int64_t outer = 1, len = 1, inner = 1;
    if (x->rank > 0) {
        outer = prod_dims(x, 0, axis);
        len = x->dims[axis];
        inner = prod_dims(x, axis + 1, x->rank);
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            size_t base = (size_t)(o * len * inner + in);
            double norm = 0;
            for (int64_t k = 0; k < len; k++) {
                double v = odin_load_as_f64(x->data, x->dtype, base + (size_t)(k * inner));
                norm += l1 ? fabs(v) : v * v;
            }
            if (!l1) norm = sqrt(norm);
            for (int64_t k = 0; k < len; k++) {
                size_t i = base + (size_t)(k * inner);
                odin_store_from_f64(ctx->out[0].data, x->dtype, i,
                                    odin_load_as_f64(x->data, x->dtype, i) / norm);
            }
        }
    return ODIN_OK;
}

static const odin_attr_schema lpnorm_attrs[] = {
    {"axis", ODIN_ATTR_INT, false, -1, 0, NULL},
    {"p", ODIN_ATTR_INT, false, 2, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def lpnorm_def = {
    .name = "LpNormalization", .domain = "", .since_version = 1, .min_inputs = 1,
    .max_inputs = 1, .min_outputs = 1, .max_outputs = 1, .attrs = lpnorm_attrs,
    .infer = lpnorm_infer, .eval = lpnorm_eval, .doc = "x divided by its L1 or L2 norm along an axis"};

/* ---- MeanVarianceNormalization ---- */

static odin_status mvn_axes(odin_op_ctx *ctx, bool *reduce) {
    static const int64_t def_axes[3] = {0, 2, 3};
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_float(x, "input 0"));
    const int64_t *axes;
    int n = odin_attr_ints(ctx->node, "axes", &axes);
    if (!odin_node_has_attr(ctx->node, "axes")) axes = def_axes, n = 3;
    for (int d = 0; d < ODIN_MAX_RANK; d++) reduce[d] = false;
    if (x->rank >= 0)
        for (int i = 0; i < n; i++) {
            int a;
            ODIN_TRY(odin_norm_axis(axes[i], x->rank, &a));
            reduce[a] = true;
        }
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status mvn_infer(odin_op_ctx *ctx) {
    bool reduce[ODIN_MAX_RANK];
    return mvn_axes(ctx, reduce);
}

/* (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9) over the axes, as the ONNX function body. */
static odin_status mvn_eval(odin_op_ctx *ctx) {
    bool reduce[ODIN_MAX_RANK];
    ODIN_TRY(mvn_axes(ctx, reduce));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int64_t n = odin_value_numel(x);
    /* group index of element i: its multi-index with the reduced dims dropped */
    int64_t gstride[ODIN_MAX_RANK], groups = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        gstride[d] = reduce[d] ? 0 : groups;
        if (!reduce[d]) groups *= x->dims[d];
    }
    double *sum = calloc((size_t)(groups ? groups : 1), sizeof *sum);
    double *sq = calloc((size_t)(groups ? groups : 1), sizeof *sq);
    int64_t *grp = malloc((size_t)(n ? n : 1) * sizeof *grp);
    if (!sum || !sq || !grp) {
        free(sum), free(sq), free(grp);
        return odin_errorf("out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        grp[i] = (int64_t)param_offset(x, gstride, i);
        double v = odin_load_as_f64(x->data, x->dtype, (size_t)i);
        sum[grp[i]] += v;
        sq[grp[i]] += v * v;
    }
    double count = groups ? (double)(n / groups) : 1;
    for (int64_t i = 0; i < n; i++) {
        double mean = sum[grp[i]] / count, var = sq[grp[i]] / count - mean * mean;
        double sd = sqrt(var > 0 ? var : 0);
        double v = odin_load_as_f64(x->data, x->dtype, (size_t)i);
        odin_store_from_f64(ctx->out[0].data, x->dtype, (size_t)i, (v - mean) / (sd + 1e-9));
    }
    free(sum), free(sq), free(grp);
    return ODIN_OK;
}

static const odin_attr_schema mvn_attrs[] = {
    {"axes", ODIN_ATTR_INTS, false, 0, 0, NULL}, /* default [0, 2, 3] (in code) */
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def mvn_def = {
    .name = "MeanVarianceNormalization", .domain = "", .since_version = 1, .min_inputs = 1,
    .max_inputs = 1, .min_outputs = 1, .max_outputs = 1, .attrs = mvn_attrs,
    .infer = mvn_infer, .eval = mvn_eval, .doc = "zero mean, unit variance over axes"};

/* ---- RMSNormalization (opset 23) ---- */

static odin_status rmsnorm_shapes(odin_op_ctx *ctx, int *axis, int64_t *ss) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_float(x, "input 0 (X)"));
    ODIN_TRY(check_float(&ctx->in[1], "input 1 (scale)"));
    odin_dtype st;
    ODIN_TRY(stash_dtype(ctx, &st));
    *axis = 0;
    if (x->rank >= 0) {
        if (x->rank == 0) return odin_errorf("input 0 (X) is a scalar; expected rank >= 1");
        ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, axis));
        const odin_value *s = &ctx->in[1];
        if (s->rank > x->rank - *axis)
            return odin_errorf("input 1 (scale) has rank %d, more than the %d normalized dims",
                               s->rank, x->rank - *axis);
        ODIN_TRY(param_strides(s, x, x->rank - (s->rank < 0 ? 0 : s->rank), "input 1 (scale)", ss));
    }
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status rmsnorm_infer(odin_op_ctx *ctx) {
    int axis;
    int64_t ss[ODIN_MAX_RANK];
    return rmsnorm_shapes(ctx, &axis, ss);
}

static odin_status rmsnorm_eval(odin_op_ctx *ctx) {
    int axis;
    int64_t ss[ODIN_MAX_RANK];
    ODIN_TRY(rmsnorm_shapes(ctx, &axis, ss));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *s = &ctx->in[1];
    double eps = odin_attr_f(ctx->node, "epsilon");
    int64_t rows = prod_dims(x, 0, axis), cols = prod_dims(x, axis, x->rank);
    for (int64_t r = 0; r < rows; r++) {
        double q = 0;
        for (int64_t c = 0; c < cols; c++) {
            double v = odin_load_as_f64(x->data, x->dtype, (size_t)(r * cols + c));
            q += v * v;
        }
        double inv = 1.0 / sqrt((cols ? q / (double)cols : 0) + eps);
        for (int64_t c = 0; c < cols; c++) {
            int64_t i = r * cols + c;
            double v = odin_load_as_f64(x->data, x->dtype, (size_t)i);
            odin_store_from_f64(ctx->out[0].data, x->dtype, (size_t)i,
                                v * inv * odin_load_as_f64(s->data, s->dtype, param_offset(x, ss, i)));
        }
    }
    return ODIN_OK;
}

static const odin_attr_schema rmsnorm_attrs[] = {
    {"axis", ODIN_ATTR_INT, false, -1, 0, NULL},
    {"epsilon", ODIN_ATTR_FLOAT, false, 0, 1e-5f, NULL},
    {"stash_type", ODIN_ATTR_INT, false, 1, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def rmsnorm_def = {
    .name = "RMSNormalization", .domain = "", .since_version = 1, .min_inputs = 2,
    .max_inputs = 2, .min_outputs = 1, .max_outputs = 1, .attrs = rmsnorm_attrs,
    .infer = rmsnorm_infer, .eval = rmsnorm_eval,
    .doc = "x / sqrt(mean(x^2) + eps) * scale over the dims from axis on"};

const odin_op_def *const odin_ops_norm[] = {
    &layernorm_def, &batchnorm_def, &instnorm_def, &groupnorm_def,
    &lpnorm_def, &mvn_def, &rmsnorm_def, NULL,
};
