/* ops/elementwise.c — op family 'elementwise': unary elementwise ops (math, activations,
 * rounding, predicates, Not, Identity) and the helpers of ops/elementwise.h.
 * Floats are computed in double and rounded once to the output dtype; integer paths
 * exist where doubles would lose exactness (Neg/Abs/Relu on int64). */
#include "elementwise.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- helpers (elementwise.h) ---------------------------------------------------- */

odin_ew_kind odin_ew_kind_of(odin_dtype t) {
    if (odin_dtype_is_float(t)) return ODIN_EW_KIND_FLOAT;
    if (t == ODIN_I8 || t == ODIN_I16 || t == ODIN_I32 || t == ODIN_I64) return ODIN_EW_KIND_SINT;
    if (t == ODIN_U8 || t == ODIN_U16 || t == ODIN_U32 || t == ODIN_U64 || t == ODIN_BOOL)
        return ODIN_EW_KIND_UINT;
    return ODIN_EW_KIND_OTHER;
}

void odin_ew_store_u64(void *data, odin_dtype t, size_t i, uint64_t v) {
    switch (t) {
    case ODIN_I8: case ODIN_U8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case ODIN_I16: case ODIN_U16: ((uint16_t *)data)[i] = (uint16_t)v; break;
    case ODIN_I32: case ODIN_U32: ((uint32_t *)data)[i] = (uint32_t)v; break;
    case ODIN_I64: case ODIN_U64: ((uint64_t *)data)[i] = v; break;
    case ODIN_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    case ODIN_F32: ((float *)data)[i] = (float)v; break;
    case ODIN_F64: ((double *)data)[i] = (double)v; break;
    case ODIN_F16: case ODIN_BF16: odin_ew_store_f64(data, t, i, (double)v); break;
    default: break;
    }
}

void odin_ew_store_i64(void *data, odin_dtype t, size_t i, int64_t v) {
    switch (t) {
    case ODIN_F32: ((float *)data)[i] = (float)v; break;
    case ODIN_F64: ((double *)data)[i] = (double)v; break;
    case ODIN_F16: case ODIN_BF16: odin_ew_store_f64(data, t, i, (double)v); break;
    default: odin_ew_store_u64(data, t, i, (uint64_t)v); break;
    }
}

/* double -> float rounding toward zero with the last bit set when inexact ("round to
 * odd"): rounding that float again to a narrower format equals rounding v directly. */
static float round_to_odd_f32(double v) {
    if (isnan(v) || isinf(v)) return (float)v;
    float f = (float)v;
    if ((double)f == v) return f;
    if (fabs((double)f) > fabs(v)) f = nextafterf(f, 0.0f);
    uint32_t u;
    memcpy(&u, &f, 4);
    u |= 1;
    memcpy(&f, &u, 4);
    return f;
}

void odin_ew_store_f64(void *data, odin_dtype t, size_t i, double v) {
    switch (t) {
    case ODIN_F32: ((float *)data)[i] = (float)v; return;
    case ODIN_F64: ((double *)data)[i] = v; return;
    case ODIN_F16: ((uint16_t *)data)[i] = odin_f32_to_f16(round_to_odd_f32(v)); return;
    case ODIN_BF16: ((uint16_t *)data)[i] = odin_f32_to_bf16(round_to_odd_f32(v)); return;
    case ODIN_BOOL: ((uint8_t *)data)[i] = v != 0; return; /* NaN is true, as in numpy */
    default: break;
    }
    if (isnan(v)) v = 0;
    if (t == ODIN_U64 && v >= 9223372036854775808.0) {
        odin_ew_store_u64(data, t, i, v >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)v);
        return;
    }
    int64_t x;
    if (v >= 9223372036854775808.0) x = INT64_MAX;
    else if (v < -9223372036854775808.0) x = INT64_MIN;
    else x = (int64_t)v; /* truncates toward zero */
    odin_ew_store_i64(data, t, i, x);
}

void odin_ew_convert(const void *src, odin_dtype st, size_t i, void *dst, odin_dtype dt,
                     size_t j) {
    switch (odin_ew_kind_of(st)) {
    case ODIN_EW_KIND_FLOAT: odin_ew_store_f64(dst, dt, j, odin_load_as_f64(src, st, i)); break;
    case ODIN_EW_KIND_SINT: odin_ew_store_i64(dst, dt, j, odin_load_as_i64(src, st, i)); break;
    case ODIN_EW_KIND_UINT: odin_ew_store_u64(dst, dt, j, odin_ew_load_u64(src, st, i)); break;
    default: break;
    }
}

odin_status odin_ew_check_dtype(const odin_op_ctx *ctx, int idx, unsigned mask) {
    odin_dtype t = ctx->in[idx].dtype;
    if ((unsigned)t < 32 && (mask & ODIN_EW_BIT(t))) return ODIN_OK;
    char allowed[256] = "";
    size_t len = 0;
    for (int k = 1; k < ODIN_DTYPE_COUNT && len < sizeof allowed; k++)
        if (mask & ODIN_EW_BIT(k))
            len += (size_t)snprintf(allowed + len, sizeof allowed - len, "%s%s", len ? "," : "",
                                    odin_dtype_name((odin_dtype)k));
    return odin_errorf("input %d has dtype %s, expected one of {%s}", idx, odin_dtype_name(t),
                       allowed);
}

/* ---- unary ops ------------------------------------------------------------------ */

/* Attribute values an op's functions may read, fetched once per eval. */
typedef struct ew_params {
    double alpha, beta, gamma, lambd, bias;
    bool detect_negative, detect_positive, tanh_approx;
} ew_params;

typedef struct unary_spec {
    unsigned mask;     /* accepted input dtypes */
    bool out_bool;     /* output is bool (predicates) instead of the input dtype */
    double (*f)(double x, const ew_params *p);     /* float path (also ints without i/u) */
    int64_t (*i)(int64_t x, const ew_params *p);   /* signed-int path or NULL */
    uint64_t (*u)(uint64_t x, const ew_params *p); /* unsigned/bool path or NULL */
} unary_spec;

static void read_params(const odin_node *n, ew_params *p) {
    p->alpha = odin_attr_f(n, "alpha");
    p->beta = odin_attr_f(n, "beta");
    p->gamma = odin_attr_f(n, "gamma");
    p->lambd = odin_attr_f(n, "lambd");
    p->bias = odin_attr_f(n, "bias");
    p->detect_negative = odin_attr_i(n, "detect_negative") != 0;
    p->detect_positive = odin_attr_i(n, "detect_positive") != 0;
    const char *ap = odin_attr_s(n, "approximate");
    p->tanh_approx = ap && strcmp(ap, "tanh") == 0;
}

static odin_status unary_infer(odin_op_ctx *ctx, const unary_spec *s) {
    ODIN_TRY(odin_ew_check_dtype(ctx, 0, s->mask));
    const odin_value *x = &ctx->in[0];
    odin_op_set_output(ctx, 0, s->out_bool ? ODIN_BOOL : x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status unary_eval(odin_op_ctx *ctx, const unary_spec *s) {
    ODIN_TRY(unary_infer(ctx, s));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    odin_value *y = &ctx->out[0];
    ew_params p;
    read_params(ctx->node, &p);
    int64_t n = odin_value_numel(x);
    odin_ew_kind k = odin_ew_kind_of(x->dtype);
    if (k == ODIN_EW_KIND_SINT && s->i) {
        for (int64_t e = 0; e < n; e++)
            odin_ew_store_i64(y->data, y->dtype, e, s->i(odin_load_as_i64(x->data, x->dtype, e), &p));
    } else if (k == ODIN_EW_KIND_UINT && s->u) {
        for (int64_t e = 0; e < n; e++)
            odin_ew_store_u64(y->data, y->dtype, e, s->u(odin_ew_load_u64(x->data, x->dtype, e), &p));
    } else if (s->f) {
        for (int64_t e = 0; e < n; e++)
            odin_ew_store_f64(y->data, y->dtype, e, s->f(odin_load_as_f64(x->data, x->dtype, e), &p));
    } else {
        return odin_errorf("dtype %s is not supported", odin_dtype_name(x->dtype));
    }
    return ODIN_OK;
}

/* Float functions. */
static double f_neg(double x, const ew_params *p) { (void)p; return -x; }
static double f_abs(double x, const ew_params *p) { (void)p; return fabs(x); }
static double f_sqrt(double x, const ew_params *p) { (void)p; return sqrt(x); }
static double f_reciprocal(double x, const ew_params *p) { (void)p; return 1.0 / x; }
static double f_exp(double x, const ew_params *p) { (void)p; return exp(x); }
static double f_log(double x, const ew_params *p) { (void)p; return log(x); }
static double f_erf(double x, const ew_params *p) { (void)p; return erf(x); }
static double f_tanh(double x, const ew_params *p) { (void)p; return tanh(x); }
static double f_sigmoid(double x, const ew_params *p) {
    (void)p;
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}
static double f_relu(double x, const ew_params *p) { (void)p; return x > 0 ? x : (x == x ? 0.0 : x); }
static double f_leakyrelu(double x, const ew_params *p) { return x < 0 ? p->alpha * x : x; }
static double f_elu(double x, const ew_params *p) { return x < 0 ? p->alpha * (exp(x) - 1.0) : x; }
static double f_selu(double x, const ew_params *p) {
    return x > 0 ? p->gamma * x : p->gamma * (p->alpha * exp(x) - p->alpha);
}
static double f_celu(double x, const ew_params *p) {
    return fmax(0.0, x) + fmin(0.0, p->alpha * (exp(x / p->alpha) - 1.0));
}
static double f_hardsigmoid(double x, const ew_params *p) {
    return fmax(0.0, fmin(1.0, p->alpha * x + p->beta));
}
static double f_hardswish(double x, const ew_params *p) {
    (void)p;
    return x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5));
}
static double softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }
static double f_softplus(double x, const ew_params *p) { (void)p; return softplus(x); }
static double f_softsign(double x, const ew_params *p) { (void)p; return x / (1.0 + fabs(x)); }
static double f_gelu(double x, const ew_params *p) {
    if (p->tanh_approx)
        return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    return 0.5 * x * (1.0 + erf(x / M_SQRT2));
}
static double f_mish(double x, const ew_params *p) { (void)p; return x * tanh(softplus(x)); }
static double f_thresholdedrelu(double x, const ew_params *p) { return x > p->alpha ? x : 0.0; }
static double f_shrink(double x, const ew_params *p) {
    if (x < -p->lambd) return x + p->bias;
    if (x > p->lambd) return x - p->bias;
    return 0.0;
}
static double f_floor(double x, const ew_params *p) { (void)p; return floor(x); }
static double f_ceil(double x, const ew_params *p) { (void)p; return ceil(x); }
static double f_round(double x, const ew_params *p) { (void)p; return nearbyint(x); } /* ties to even */
static double f_sign(double x, const ew_params *p) {
    (void)p;
    return x > 0 ? 1.0 : x < 0 ? -1.0 : x; /* 0 stays 0, NaN stays NaN */
}
static double f_sin(double x, const ew_params *p) { (void)p; return sin(x); }
static double f_cos(double x, const ew_params *p) { (void)p; return cos(x); }
static double f_tan(double x, const ew_params *p) { (void)p; return tan(x); }
static double f_asin(double x, const ew_params *p) { (void)p; return asin(x); }
static double f_acos(double x, const ew_params *p) { (void)p; return acos(x); }
static double f_atan(double x, const ew_params *p) { (void)p; return atan(x); }
static double f_sinh(double x, const ew_params *p) { (void)p; return sinh(x); }
static double f_cosh(double x, const ew_params *p) { (void)p; return cosh(x); }
static double f_asinh(double x, const ew_params *p) { (void)p; return asinh(x); }
static double f_acosh(double x, const ew_params *p) { (void)p; return acosh(x); }
static double f_atanh(double x, const ew_params *p) { (void)p; return atanh(x); }
static double f_isnan(double x, const ew_params *p) { (void)p; return isnan(x) ? 1.0 : 0.0; }
static double f_isinf(double x, const ew_params *p) {
    if (!isinf(x)) return 0.0;
    return (x > 0 ? p->detect_positive : p->detect_negative) ? 1.0 : 0.0;
}

/* Integer functions (wrap like numpy: -INT_MIN == INT_MIN). */
static int64_t i_neg(int64_t x, const ew_params *p) { (void)p; return (int64_t)(0u - (uint64_t)x); }
static int64_t i_abs(int64_t x, const ew_params *p) { return x < 0 ? i_neg(x, p) : x; }
static int64_t i_relu(int64_t x, const ew_params *p) { (void)p; return x > 0 ? x : 0; }
static int64_t i_sign(int64_t x, const ew_params *p) { (void)p; return (x > 0) - (x < 0); }
static int64_t i_shrink(int64_t x, const ew_params *p) { return (int64_t)f_shrink((double)x, p); }
static uint64_t u_id(uint64_t x, const ew_params *p) { (void)p; return x; }
static uint64_t u_sign(uint64_t x, const ew_params *p) { (void)p; return x != 0; }
static uint64_t u_not(uint64_t x, const ew_params *p) { (void)p; return !x; }
static uint64_t u_shrink(uint64_t x, const ew_params *p) { return (uint64_t)(int64_t)f_shrink((double)x, p); }

#define F ODIN_EW_FLOATS
#define NUM ODIN_EW_NUMERIC
static const odin_attr_schema no_attrs[] = {{0}};
static const odin_attr_schema alpha_001[] = {{"alpha", ODIN_ATTR_FLOAT, false, 0, 0.01f, 0}, {0}};
static const odin_attr_schema alpha_1[] = {{"alpha", ODIN_ATTR_FLOAT, false, 0, 1.0f, 0}, {0}};
static const odin_attr_schema selu_attrs[] = {
    {"alpha", ODIN_ATTR_FLOAT, false, 0, 1.67326319217681884765625f, 0},
    {"gamma", ODIN_ATTR_FLOAT, false, 0, 1.05070102214813232421875f, 0}, {0}};
static const odin_attr_schema hardsigmoid_attrs[] = {
    {"alpha", ODIN_ATTR_FLOAT, false, 0, 0.2f, 0}, {"beta", ODIN_ATTR_FLOAT, false, 0, 0.5f, 0}, {0}};
static const odin_attr_schema shrink_attrs[] = {
    {"bias", ODIN_ATTR_FLOAT, false, 0, 0.0f, 0}, {"lambd", ODIN_ATTR_FLOAT, false, 0, 0.5f, 0}, {0}};
static const odin_attr_schema gelu_attrs[] = {
    {"approximate", ODIN_ATTR_STRING, false, 0, 0, "none"}, {0}};
static const odin_attr_schema isinf_attrs[] = {
    {"detect_negative", ODIN_ATTR_INT, false, 1, 0, 0},
    {"detect_positive", ODIN_ATTR_INT, false, 1, 0, 0}, {0}};

/* One op: its spec, infer/eval wrappers and definition record. */
#define UNARY(NAME, SINCE, ATTRS, DOC, ...)                                                \
    static const unary_spec spec_##NAME = {__VA_ARGS__};                                  \
    static odin_status infer_##NAME(odin_op_ctx *c) { return unary_infer(c, &spec_##NAME); } \
    static odin_status eval_##NAME(odin_op_ctx *c) { return unary_eval(c, &spec_##NAME); }   \
    static const odin_op_def def_##NAME = {                                               \
        .name = #NAME, .domain = "", .since_version = SINCE, .min_inputs = 1,              \
        .max_inputs = 1, .min_outputs = 1, .max_outputs = 1, .attrs = ATTRS,              \
        .infer = infer_##NAME, .eval = eval_##NAME, .flags = ODIN_OP_ELEMENTWISE, .doc = DOC};

UNARY(Neg, 1, no_attrs, "y = -x", .mask = F | ODIN_EW_SINTS, .f = f_neg, .i = i_neg)
UNARY(Abs, 1, no_attrs, "y = |x|", .mask = NUM, .f = f_abs, .i = i_abs, .u = u_id)
UNARY(Sign, 9, no_attrs, "y = -1, 0 or 1 by the sign of x", .mask = NUM, .f = f_sign,
      .i = i_sign, .u = u_sign)
UNARY(Relu, 1, no_attrs, "y = max(0, x)", .mask = F | ODIN_EW_SINTS, .f = f_relu, .i = i_relu)
UNARY(Sqrt, 1, no_attrs, "y = sqrt(x)", .mask = F, .f = f_sqrt)
UNARY(Reciprocal, 1, no_attrs, "y = 1 / x", .mask = F, .f = f_reciprocal)
UNARY(Exp, 1, no_attrs, "y = e^x", .mask = F, .f = f_exp)
UNARY(Log, 1, no_attrs, "y = ln(x)", .mask = F, .f = f_log)
UNARY(Erf, 9, no_attrs, "y = erf(x)", .mask = NUM, .f = f_erf)
UNARY(Tanh, 1, no_attrs, "y = tanh(x)", .mask = F, .f = f_tanh)
UNARY(Sigmoid, 1, no_attrs, "y = 1 / (1 + e^-x)", .mask = F, .f = f_sigmoid)
UNARY(LeakyRelu, 1, alpha_001, "y = x < 0 ? alpha*x : x", .mask = F, .f = f_leakyrelu)
UNARY(Elu, 1, alpha_1, "y = x < 0 ? alpha*(e^x - 1) : x", .mask = F, .f = f_elu)
UNARY(Selu, 1, selu_attrs, "y = gamma * (x > 0 ? x : alpha*(e^x - 1))", .mask = F, .f = f_selu)
UNARY(Celu, 12, alpha_1, "y = max(0,x) + min(0, alpha*(e^(x/alpha) - 1))", .mask = F, .f = f_celu)
UNARY(HardSigmoid, 1, hardsigmoid_attrs, "y = clamp(alpha*x + beta, 0, 1)", .mask = F,
      .f = f_hardsigmoid)
UNARY(HardSwish, 14, no_attrs, "y = x * clamp(x/6 + 1/2, 0, 1)", .mask = F, .f = f_hardswish)
UNARY(Softplus, 1, no_attrs, "y = ln(e^x + 1)", .mask = F, .f = f_softplus)
UNARY(Softsign, 1, no_attrs, "y = x / (1 + |x|)", .mask = F, .f = f_softsign)
UNARY(Gelu, 20, gelu_attrs, "Gaussian error linear unit (approximate none|tanh)", .mask = F,
      .f = f_gelu)
UNARY(Mish, 18, no_attrs, "y = x * tanh(softplus(x))", .mask = F, .f = f_mish)
UNARY(ThresholdedRelu, 10, alpha_1, "y = x > alpha ? x : 0", .mask = F, .f = f_thresholdedrelu)
UNARY(Shrink, 9, shrink_attrs, "y = x < -lambd ? x+bias : x > lambd ? x-bias : 0", .mask = NUM,
      .f = f_shrink, .i = i_shrink, .u = u_shrink)
UNARY(Floor, 1, no_attrs, "y = floor(x)", .mask = F, .f = f_floor)
UNARY(Ceil, 1, no_attrs, "y = ceil(x)", .mask = F, .f = f_ceil)
UNARY(Round, 11, no_attrs, "y = x rounded to nearest, ties to even", .mask = F, .f = f_round)
UNARY(Sin, 7, no_attrs, "y = sin(x)", .mask = F, .f = f_sin)
UNARY(Cos, 7, no_attrs, "y = cos(x)", .mask = F, .f = f_cos)
UNARY(Tan, 7, no_attrs, "y = tan(x)", .mask = F, .f = f_tan)
UNARY(Asin, 7, no_attrs, "y = asin(x)", .mask = F, .f = f_asin)
UNARY(Acos, 7, no_attrs, "y = acos(x)", .mask = F, .f = f_acos)
UNARY(Atan, 7, no_attrs, "y = atan(x)", .mask = F, .f = f_atan)
UNARY(Sinh, 9, no_attrs, "y = sinh(x)", .mask = F, .f = f_sinh)
UNARY(Cosh, 9, no_attrs, "y = cosh(x)", .mask = F, .f = f_cosh)
UNARY(Asinh, 9, no_attrs, "y = asinh(x)", .mask = F, .f = f_asinh)
UNARY(Acosh, 9, no_attrs, "y = acosh(x)", .mask = F, .f = f_acosh)
UNARY(Atanh, 9, no_attrs, "y = atanh(x)", .mask = F, .f = f_atanh)
UNARY(IsNaN, 9, no_attrs, "y = (x is NaN)", .mask = F, .out_bool = true, .f = f_isnan)
UNARY(IsInf, 10, isinf_attrs, "y = (x is +inf / -inf, as selected)", .mask = F,
      .out_bool = true, .f = f_isinf)
UNARY(Not, 1, no_attrs, "y = !x (bool)", .mask = ODIN_EW_BOOLS, .u = u_not)

/* Identity copies any dtype byte for byte. */
static odin_status identity_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    if (x->dtype == ODIN_UNDEFINED) return odin_errorf("input 0 has no tensor type");
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status identity_eval(odin_op_ctx *ctx) {
    ODIN_TRY(identity_infer(ctx));
    if (ctx->in[0].dtype == ODIN_STRING) return odin_errorf("string tensors are not supported");
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    size_t nb = odin_value_nbytes(&ctx->in[0]);
    if (nb) memcpy(ctx->out[0].data, ctx->in[0].data, nb);
    return ODIN_OK;
}

static const odin_op_def def_Identity = {
    .name = "Identity", .domain = "", .since_version = 1, .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, .attrs = no_attrs, .infer = identity_infer,
    .eval = identity_eval, .flags = ODIN_OP_ELEMENTWISE | ODIN_OP_SHAPE_ONLY,
    .doc = "y = x"};

const odin_op_def *const odin_ops_elementwise[] = {
    &def_Neg, &def_Abs, &def_Sign, &def_Relu, &def_Sqrt, &def_Reciprocal, &def_Exp, &def_Log,
    &def_Erf, &def_Tanh, &def_Sigmoid, &def_LeakyRelu, &def_Elu, &def_Selu, &def_Celu,
    &def_HardSigmoid, &def_HardSwish, &def_Softplus, &def_Softsign, &def_Gelu, &def_Mish,
    &def_ThresholdedRelu, &def_Shrink, &def_Floor, &def_Ceil, &def_Round, &def_Sin, &def_Cos,
    &def_Tan, &def_Asin, &def_Acos, &def_Atan, &def_Sinh, &def_Cosh, &def_Asinh, &def_Acosh,
    &def_Atanh, &def_IsNaN, &def_IsInf, &def_Not, &def_Identity, NULL};
