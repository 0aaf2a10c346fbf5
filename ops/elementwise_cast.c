/* ops/elementwise_cast.c — op family 'elementwise_cast': Cast and CastLike between all
 * numeric dtypes and bool (ONNX semantics: float -> int truncates toward zero, nonzero
 * -> true). String tensors and float8 (the only users of `saturate`) are unsupported. */
#include <math.h>
#include <string.h>

#include "elementwise.h"

static odin_status check_castable(odin_dtype t, const char *what, int code) {
    if (t == ODIN_STRING) return odin_errorf("cast %s string tensors is not supported", what);
    if (t == ODIN_UNDEFINED || odin_ew_kind_of(t) == ODIN_EW_KIND_OTHER) {
        if (code >= 0)
            return odin_errorf("cast %s ONNX dtype code %d is not supported", what, code);
        return odin_errorf("cast %s dtype %s is not supported", what, odin_dtype_name(t));
    }
    return ODIN_OK;
}

static odin_status cast_to(odin_op_ctx *ctx, odin_dtype to, int code) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_castable(x->dtype, "from", -1));
    ODIN_TRY(check_castable(to, "to", code));
    odin_op_set_output(ctx, 0, to, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status convert_all(odin_op_ctx *ctx) {
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    odin_value *y = &ctx->out[0];
    int64_t n = odin_value_numel(x);
    /* Float -> bfloat16 before opset 19 truncates: that is what the ONNX reference of
     * those opsets computed (and their conformance data holds); Cast-19 rounds to
     * nearest even, as odin_ew_convert does. */
    if (y->dtype == ODIN_BF16 && odin_dtype_is_float(x->dtype) && x->dtype != ODIN_BF16 &&
        ctx->opset < 19) {
        for (int64_t e = 0; e < n; e++) {
            float f = (float)odin_load_as_f64(x->data, x->dtype, e);
            uint32_t u;
            memcpy(&u, &f, 4);
            if (isnan(f)) u |= 0x400000u; /* stay NaN after dropping the low bits */
            ((uint16_t *)y->data)[e] = (uint16_t)(u >> 16);
        }
        return ODIN_OK;
    }
    for (int64_t e = 0; e < n; e++) odin_ew_convert(x->data, x->dtype, e, y->data, y->dtype, e);
    return ODIN_OK;
}

static odin_status cast_infer(odin_op_ctx *ctx) {
    int code = (int)odin_attr_i(ctx->node, "to");
    return cast_to(ctx, odin_dtype_from_onnx(code), code);
}

static odin_status cast_eval(odin_op_ctx *ctx) {
    ODIN_TRY(cast_infer(ctx));
    return convert_all(ctx);
}

static odin_status castlike_infer(odin_op_ctx *ctx) {
    return cast_to(ctx, ctx->in[1].dtype, -1);
}

static odin_status castlike_eval(odin_op_ctx *ctx) {
    ODIN_TRY(castlike_infer(ctx));
    return convert_all(ctx);
}

static const odin_attr_schema cast_attrs[] = {
    {"to", ODIN_ATTR_INT, true, 0, 0, 0}, {"saturate", ODIN_ATTR_INT, false, 1, 0, 0}, {0}};
static const odin_attr_schema castlike_attrs[] = {
    {"saturate", ODIN_ATTR_INT, false, 1, 0, 0}, {0}};

static const odin_op_def def_Cast = {
    .name = "Cast", .domain = "", .since_version = 1, .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, .attrs = cast_attrs, .infer = cast_infer,
    .eval = cast_eval, .flags = ODIN_OP_ELEMENTWISE,
    .doc = "y = x converted to dtype `to` (an ONNX TensorProto code)"};

static const odin_op_def def_CastLike = {
    .name = "CastLike", .domain = "", .since_version = 15, .min_inputs = 2, .max_inputs = 2,
    .min_outputs = 1, .max_outputs = 1, .attrs = castlike_attrs, .infer = castlike_infer,
    .eval = castlike_eval, .flags = ODIN_OP_ELEMENTWISE,
    .doc = "y = x converted to the dtype of input 1"};

const odin_op_def *const odin_ops_elementwise_cast[] = {&def_Cast, &def_CastLike, NULL};
