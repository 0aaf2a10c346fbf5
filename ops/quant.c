/* ops/quant.c — op family 'quant': QuantizeLinear, DequantizeLinear (per-tensor,
 * per-axis and, from opset 21, blocked scales) and DynamicQuantizeLinear.
 * Arithmetic is in float32 like the ONNX reference (x / scale, then round half to even),
 * so values on a rounding tie quantize identically. */
#include <math.h>
#include <string.h>

#include "elementwise.h"

#define QUANT_INTS                                                                         \
    (ODIN_EW_BIT(ODIN_I8) | ODIN_EW_BIT(ODIN_U8) | ODIN_EW_BIT(ODIN_I16) | ODIN_EW_BIT(ODIN_U16))

/* Where the scale of each element of x comes from. */
typedef struct scale_map {
    int mode;            /* 0 per-tensor, 1 per-axis, 2 blocked */
    int axis;
    int64_t block;       /* block size along axis (mode 2) */
    int64_t axis_dim;    /* x.dims[axis] */
    int64_t inner;       /* product of x dims after axis */
    int64_t scale_axis;  /* scale.dims[axis] (mode 2) */
} scale_map;

/* Check scale (input 1) and zero point (input 2, optional) against x (input 0) and work
 * out the scale layout. Shapes must be known (eval) unless `partial` (infer). */
static odin_status plan_scales(const odin_op_ctx *ctx, scale_map *m) {
    memset(m, 0, sizeof *m);
    const odin_value *x = &ctx->in[0], *s = &ctx->in[1];
    ODIN_TRY(odin_ew_check_dtype(ctx, 1, ODIN_EW_FLOATS));
    if (odin_op_has_input(ctx, 2)) {
        const odin_value *zp = &ctx->in[2];
        bool same = zp->rank == s->rank;
        for (int d = 0; same && d < s->rank; d++) same = zp->dims[d] == s->dims[d];
        if (!same && zp->rank >= 0 && s->rank >= 0) {
            char a[128], b[128];
            return odin_errorf("zero point shape %s does not match scale shape %s",
                               odin_shape_str(zp, a, sizeof a), odin_shape_str(s, b, sizeof b));
        }
    }
    if (s->rank < 0 || x->rank < 0) return ODIN_OK; /* infer: nothing more to check */
    int64_t sn = odin_value_numel(s);
    int64_t block = ctx->opset >= 21 ? odin_attr_i(ctx->node, "block_size") : 0;
    if (s->rank == 0 || (sn == 1 && s->rank == 1 && block == 0)) return ODIN_OK;
    if (ctx->opset < 13) {
        char b[128];
        return odin_errorf("scale has shape %s; opset %d allows only a scalar scale",
                           odin_shape_str(s, b, sizeof b), ctx->opset);
    }
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &m->axis));
    m->axis_dim = x->dims[m->axis];
    m->inner = 1;
    for (int d = m->axis + 1; d < x->rank; d++) m->inner *= x->dims[d];
    char sb[128], xb[128];
    if (block > 0) {
        bool ok = s->rank == x->rank;
        for (int d = 0; ok && d < x->rank; d++) {
            int64_t want = d == m->axis ? (x->dims[d] + block - 1) / block : x->dims[d];
            if (s->dims[d] >= 0 && want >= 0 && s->dims[d] != want) ok = false;
        }
        if (!ok)
            return odin_errorf("scale shape %s does not fit x shape %s with block_size %lld on axis %d",
                               odin_shape_str(s, sb, sizeof sb), odin_shape_str(x, xb, sizeof xb),
                               (long long)block, m->axis);
        m->mode = 2;
        m->block = block;
        m->scale_axis = s->dims[m->axis];
        return ODIN_OK;
    }
    if (block < 0) return odin_errorf("block_size %lld is negative", (long long)block);
    if (s->rank != 1 || (s->dims[0] >= 0 && m->axis_dim >= 0 && s->dims[0] != m->axis_dim))
        return odin_errorf("scale shape %s does not match x shape %s on axis %d (per-axis scales "
                           "are 1-D)", odin_shape_str(s, sb, sizeof sb),
                           odin_shape_str(x, xb, sizeof xb), m->axis);
    m->mode = 1;
    return ODIN_OK;
}

static int64_t scale_index(const scale_map *m, int64_t e) {
    if (m->mode == 0) return 0;
    int64_t inner = m->inner ? m->inner : 1;
    int64_t a = (e / inner) % (m->axis_dim ? m->axis_dim : 1);
    if (m->mode == 1) return a;
    int64_t outer = e / inner / (m->axis_dim ? m->axis_dim : 1);
    return (outer * m->scale_axis + a / m->block) * inner + e % inner;
}

static void qrange(odin_dtype t, int64_t *lo, int64_t *hi) {
    switch (t) {
    case ODIN_I8: *lo = -128; *hi = 127; break;
    case ODIN_U8: *lo = 0; *hi = 255; break;
    case ODIN_I16: *lo = -32768; *hi = 32767; break;
    case ODIN_U16: *lo = 0; *hi = 65535; break;
    default: *lo = INT32_MIN; *hi = INT32_MAX; break;
    }
}

/* round half to even, add the zero point, saturate to t's range */
static int64_t quantize_one(float q, int64_t zp, int64_t lo, int64_t hi) {
    float r = nearbyintf(q);
    if (isnan(r)) return zp < lo ? lo : zp > hi ? hi : zp;
    double v = (double)r + (double)zp;
    if (v < (double)lo) return lo;
    if (v > (double)hi) return hi;
    return (int64_t)v;
}

/* ---- QuantizeLinear ------------------------------------------------------------ */

static odin_status quantize_infer(odin_op_ctx *ctx) {
    ODIN_TRY(odin_ew_check_dtype(ctx, 0, ODIN_EW_FLOATS | ODIN_EW_BIT(ODIN_I32)));
    odin_dtype out = ODIN_U8;
    if (odin_op_has_input(ctx, 2)) {
        ODIN_TRY(odin_ew_check_dtype(ctx, 2, QUANT_INTS));
        out = ctx->in[2].dtype;
    } else if (ctx->opset >= 21 && odin_attr_i(ctx->node, "output_dtype") != 0) {
        int code = (int)odin_attr_i(ctx->node, "output_dtype");
        out = odin_dtype_from_onnx(code);
        if (out == ODIN_UNDEFINED || !(QUANT_INTS & ODIN_EW_BIT(out)))
            return odin_errorf("output_dtype %d is not supported (int8, uint8, int16, uint16 are)", code);
    }
    scale_map m;
    ODIN_TRY(plan_scales(ctx, &m));
    odin_op_set_output(ctx, 0, out, ctx->in[0].rank, ctx->in[0].dims);
    return ODIN_OK;
}

static odin_status quantize_eval(odin_op_ctx *ctx) {
    ODIN_TRY(quantize_infer(ctx));
    scale_map m;
    ODIN_TRY(plan_scales(ctx, &m));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *s = &ctx->in[1];
    const odin_value *zp = odin_op_has_input(ctx, 2) ? &ctx->in[2] : NULL;
    odin_value *y = &ctx->out[0];
    int64_t lo, hi;
    qrange(y->dtype, &lo, &hi);
    int64_t n = odin_value_numel(x);
    if (n > 0 && odin_value_numel(s) < 1) return odin_errorf("scale is empty");
    for (int64_t e = 0; e < n; e++) {
        int64_t si = scale_index(&m, e);
        float sc = (float)odin_load_as_f64(s->data, s->dtype, si);
        float xv = (float)odin_load_as_f64(x->data, x->dtype, e);
        int64_t z = zp ? odin_load_as_i64(zp->data, zp->dtype, si) : 0;
        odin_ew_store_i64(y->data, y->dtype, e, quantize_one(xv / sc, z, lo, hi));
    }
    return ODIN_OK;
}

static const odin_attr_schema quantize_attrs[] = {
    {"axis", ODIN_ATTR_INT, false, 1, 0, 0},
    {"saturate", ODIN_ATTR_INT, false, 1, 0, 0},
    {"block_size", ODIN_ATTR_INT, false, 0, 0, 0},
    {"output_dtype", ODIN_ATTR_INT, false, 0, 0, 0}, {0}};

static const odin_op_def def_QuantizeLinear = {
    .name = "QuantizeLinear", .domain = "", .since_version = 10, .min_inputs = 2,
    .max_inputs = 3, .min_outputs = 1, .max_outputs = 1, .attrs = quantize_attrs,
    .infer = quantize_infer, .eval = quantize_eval, .flags = ODIN_OP_ELEMENTWISE,
    .doc = "y = saturate(round(x / scale) + zero_point) (per-tensor, per-axis, blocked)"};

/* ---- DequantizeLinear ---------------------------------------------------------- */

static odin_status dequantize_infer(odin_op_ctx *ctx) {
    ODIN_TRY(odin_ew_check_dtype(ctx, 0, QUANT_INTS | ODIN_EW_BIT(ODIN_I32)));
    if (odin_op_has_input(ctx, 2) && ctx->in[2].dtype != ctx->in[0].dtype)
        return odin_errorf("zero point has dtype %s, expected %s like x",
                           odin_dtype_name(ctx->in[2].dtype), odin_dtype_name(ctx->in[0].dtype));
    scale_map m;
    ODIN_TRY(plan_scales(ctx, &m));
    /* before opset 19 the output is float32 whatever the scale */
    odin_dtype out = ctx->opset >= 19 ? ctx->in[1].dtype : ODIN_F32;
    odin_op_set_output(ctx, 0, out, ctx->in[0].rank, ctx->in[0].dims);
    return ODIN_OK;
}

static odin_status dequantize_eval(odin_op_ctx *ctx) {
    ODIN_TRY(dequantize_infer(ctx));
    scale_map m;
    ODIN_TRY(plan_scales(ctx, &m));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *s = &ctx->in[1];
    const odin_value *zp = odin_op_has_input(ctx, 2) ? &ctx->in[2] : NULL;
    odin_value *y = &ctx->out[0];
    int64_t n = odin_value_numel(x);
    if (n > 0 && odin_value_numel(s) < 1) return odin_errorf("scale is empty");
    for (int64_t e = 0; e < n; e++) {
        int64_t si = scale_index(&m, e);
        float sc = (float)odin_load_as_f64(s->data, s->dtype, si);
        int64_t z = zp ? odin_load_as_i64(zp->data, zp->dtype, si) : 0;
        float d = (float)(odin_load_as_i64(x->data, x->dtype, e) - z);
        odin_ew_store_f64(y->data, y->dtype, e, (double)(d * sc));
    }
    return ODIN_OK;
}

static const odin_attr_schema dequantize_attrs[] = {
    {"axis", ODIN_ATTR_INT, false, 1, 0, 0},
    {"block_size", ODIN_ATTR_INT, false, 0, 0, 0}, {0}};

static const odin_op_def def_DequantizeLinear = {
    .name = "DequantizeLinear", .domain = "", .since_version = 10, .min_inputs = 2,
    .max_inputs = 3, .min_outputs = 1, .max_outputs = 1, .attrs = dequantize_attrs,
    .infer = dequantize_infer, .eval = dequantize_eval, .flags = ODIN_OP_ELEMENTWISE,
    .doc = "y = (x - zero_point) * scale (per-tensor, per-axis, blocked)"};

/* ---- DynamicQuantizeLinear ----------------------------------------------------- */

static odin_status dynquant_infer(odin_op_ctx *ctx) {
    ODIN_TRY(odin_ew_check_dtype(ctx, 0, ODIN_EW_BIT(ODIN_F32)));
    odin_op_set_output(ctx, 0, ODIN_U8, ctx->in[0].rank, ctx->in[0].dims);
    if (ctx->n_out > 1) odin_op_set_output(ctx, 1, ODIN_F32, 0, NULL);
    if (ctx->n_out > 2) odin_op_set_output(ctx, 2, ODIN_U8, 0, NULL);
    return ODIN_OK;
}

static odin_status dynquant_eval(odin_op_ctx *ctx) {
    ODIN_TRY(dynquant_infer(ctx));
    for (int i = 0; i < ctx->n_out; i++) ODIN_TRY(odin_op_alloc_output(ctx, i));
    const float *x = ctx->in[0].data;
    int64_t n = odin_value_numel(&ctx->in[0]);
    /* the range always includes 0 so that 0 is exactly representable */
    float lo = 0.0f, hi = 0.0f;
    for (int64_t e = 0; e < n; e++) {
        if (x[e] < lo) lo = x[e];
        if (x[e] > hi) hi = x[e];
    }
    float scale = (hi - lo) / 255.0f;
    int64_t zp = 0;
    if (scale > 0) {
        float izp = 0.0f - lo / scale;
        izp = izp < 0 ? 0 : izp > 255 ? 255 : izp;
        zp = (int64_t)nearbyintf(izp);
    }
    uint8_t *y = ctx->out[0].data;
    for (int64_t e = 0; e < n; e++)
        y[e] = scale > 0 ? (uint8_t)quantize_one(x[e] / scale, zp, 0, 255) : (uint8_t)0;
    if (ctx->n_out > 1) *(float *)ctx->out[1].data = scale;
    if (ctx->n_out > 2) *(uint8_t *)ctx->out[2].data = (uint8_t)zp;
    return ODIN_OK;
}

static const odin_attr_schema no_attrs[] = {{0}};

static const odin_op_def def_DynamicQuantizeLinear = {
    .name = "DynamicQuantizeLinear", .domain = "", .since_version = 11, .min_inputs = 1,
    .max_inputs = 1, .min_outputs = 1, .max_outputs = 3, .attrs = no_attrs,
    .infer = dynquant_infer, .eval = dynquant_eval, .flags = 0,
    .doc = "uint8 quantization of x with scale and zero point from its own range"};

const odin_op_def *const odin_ops_quant[] = {&def_QuantizeLinear, &def_DequantizeLinear,
                                             &def_DynamicQuantizeLinear, NULL};
