/* ops/misc.c — op family 'misc': tensors made from attributes or scalars (Constant,
 * ConstantOfShape, Range, EyeLike) and Dropout. Resize and Upsample live
 * in resize.c and are listed here. */
#include <math.h>
#include <string.h>

#include "dropout.h"
#include "op.h"
#include "shape_util.h"

#define MAXR ODIN_MAX_RANK

/* ---- Constant --------------------------------------------------------------------- */

/* The one value attribute a Constant node carries, as a value (data may point into the
 * attribute); scalar holds inline data for value_float / value_int. */
static odin_status constant_value(const odin_node *n, odin_value *v, int64_t *scalar) {
    const odin_attr *a;
    memset(v, 0, sizeof *v);
    if ((a = odin_node_attr(n, "value")) && a->kind == ODIN_ATTR_TENSOR) {
        *v = a->t;
    } else if ((a = odin_node_attr(n, "value_float"))) {
        *v = (odin_value){.dtype = ODIN_F32, .rank = 0};
        float f = a->kind == ODIN_ATTR_INT ? (float)a->i : a->f;
        memcpy(scalar, &f, sizeof f);
        v->data = scalar;
    } else if ((a = odin_node_attr(n, "value_int"))) {
        *v = (odin_value){.dtype = ODIN_I64, .rank = 0, .data = scalar};
        *scalar = a->i;
    } else if ((a = odin_node_attr(n, "value_floats")) && a->kind == ODIN_ATTR_FLOATS) {
        *v = (odin_value){.dtype = ODIN_F32, .rank = 1, .dims = {a->count}, .data = a->floats};
    } else if ((a = odin_node_attr(n, "value_ints")) && a->kind == ODIN_ATTR_INTS) {
        *v = (odin_value){.dtype = ODIN_I64, .rank = 1, .dims = {a->count}, .data = a->ints};
    } else if ((a = odin_node_attr(n, "value_string")) && a->kind == ODIN_ATTR_STRING) {
        *v = (odin_value){.dtype = ODIN_STRING, .rank = 0, .data = (void *)&a->s};
    } else if ((a = odin_node_attr(n, "value_strings")) && a->kind == ODIN_ATTR_STRINGS) {
        *v = (odin_value){.dtype = ODIN_STRING, .rank = 1, .dims = {a->count}, .data = a->strings};
    } else if (odin_node_has_attr(n, "sparse_value")) {
        return odin_errorf("sparse_value is not supported");
    } else {
        return odin_errorf("no value attribute (value, value_float(s), value_int(s), "
                           "value_string(s))");
    }
    return ODIN_OK;
}

static odin_status constant_infer(odin_op_ctx *ctx) {
    odin_value v;
    int64_t scalar;
    ODIN_TRY(constant_value(ctx->node, &v, &scalar));
    odin_op_set_output(ctx, 0, v.dtype, v.rank, v.dims);
    return ODIN_OK;
}

static odin_status constant_eval(odin_op_ctx *ctx) {
    odin_value v;
    int64_t scalar;
    ODIN_TRY(constant_value(ctx->node, &v, &scalar));
    odin_op_set_output(ctx, 0, v.dtype, v.rank, v.dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    size_t nb = odin_value_nbytes(&v);
    if (nb) memcpy(ctx->out[0].data, v.data, nb); /* strings: the pointers, into the graph */
    return ODIN_OK;
}

static const odin_attr_schema constant_attrs[] = {
    {"value", ODIN_ATTR_TENSOR, false},        {"value_float", ODIN_ATTR_FLOAT, false},
    {"value_floats", ODIN_ATTR_FLOATS, false}, {"value_int", ODIN_ATTR_INT, false},
    {"value_ints", ODIN_ATTR_INTS, false},     {"value_string", ODIN_ATTR_STRING, false},
    {"value_strings", ODIN_ATTR_STRINGS, false}, {"sparse_value", ODIN_ATTR_UNDEFINED, false},
    {NULL}};
static const odin_op_def constant_def = {
    "Constant", "", 1, 0, 0, 0, 1, 1, constant_attrs, constant_infer, constant_eval, NULL, 0,
    "a tensor from an attribute (value or value_float(s)/int(s)/string(s))"};

/* ---- ConstantOfShape -------------------------------------------------------------- */

static odin_status cos_fill(const odin_node *n, odin_value *fill, float *zero) {
    const odin_attr *a = odin_node_attr(n, "value");
    if (!a || a->kind != ODIN_ATTR_TENSOR) {
        *zero = 0.0f;
        *fill = (odin_value){.dtype = ODIN_F32, .rank = 1, .dims = {1}, .data = zero};
        return ODIN_OK;
    }
    if (odin_value_numel(&a->t) != 1) return odin_errorf("value must hold exactly one element");
    *fill = a->t;
    return ODIN_OK;
}

static odin_status cos_infer(odin_op_ctx *ctx) {
    const odin_value *s = &ctx->in[0];
    odin_value fill;
    float zero;
    ODIN_TRY(cos_fill(ctx->node, &fill, &zero));
    if (!odin_value_known(s)) {
        int r = s->rank == 1 && s->dims[0] >= 0 ? (int)s->dims[0] : -1;
        if (r > MAXR) return odin_errorf("shape has %d values, more than rank %d", r, MAXR);
        odin_op_set_output(ctx, 0, fill.dtype, r, NULL);
        return ODIN_OK;
    }
    int64_t dims[MAXR];
    int n;
    ODIN_TRY(odin_value_ints(s, "shape", dims, MAXR, &n));
    for (int i = 0; i < n; i++)
        if (dims[i] < 0) return odin_errorf("shape[%d] = %lld is negative", i, (long long)dims[i]);
    return odin_op_set_output_checked(ctx, 0, fill.dtype, n, dims);
}

static odin_status cos_eval(odin_op_ctx *ctx) {
    ODIN_TRY(cos_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    odin_value fill;
    float zero;
    ODIN_TRY(cos_fill(ctx->node, &fill, &zero));
    size_t es = odin_dtype_size(fill.dtype);
    int64_t n = odin_value_numel(&ctx->out[0]);
    for (int64_t i = 0; i < n; i++) memcpy((char *)ctx->out[0].data + (size_t)i * es, fill.data, es);
    return ODIN_OK;
}

static const odin_attr_schema cos_attrs[] = {{"value", ODIN_ATTR_TENSOR, false}, {NULL}};
static const odin_op_def constant_of_shape_def = {
    "ConstantOfShape", "", 9, 0, 1, 1, 1, 1, cos_attrs, cos_infer, cos_eval, NULL, 0,
    "a tensor of a given shape filled with one value (default float 0)"};

/* ---- Range ------------------------------------------------------------------------ */

static odin_status range_count(const odin_value *in, int64_t *count) {
    odin_dtype t = in[0].dtype;
    if (odin_dtype_is_int(t)) {
        int64_t s = odin_load_as_i64(in[0].data, t, 0), l = odin_load_as_i64(in[1].data, t, 0),
                d = odin_load_as_i64(in[2].data, t, 0);
        if (d == 0) return odin_errorf("delta is 0");
        /* ceil((l - s) / d), exact: the span of two int64 values fits in 128 bits */
        __int128 span = (__int128)l - s, q = span / d;
        if (q * d != span && ((span < 0) == (d < 0))) q++;
        *count = q > 0 ? (int64_t)(q > ((__int128)1 << 48) ? ((__int128)1 << 48) + 1 : q) : 0;
    } else {
        double s = odin_load_as_f64(in[0].data, t, 0), l = odin_load_as_f64(in[1].data, t, 0),
               d = odin_load_as_f64(in[2].data, t, 0);
        if (d == 0 || d != d) return odin_errorf("delta is %g", d);
        double c = ceil((l - s) / d);
        if (!(c >= 0)) c = 0;
        *count = c > (double)((int64_t)1 << 48) ? ((int64_t)1 << 48) + 1 : (int64_t)c;
    }
    return ODIN_OK;
}

static odin_status range_infer(odin_op_ctx *ctx) {
    odin_dtype t = ctx->in[0].dtype;
    for (int i = 0; i < 3; i++) {
        if (ctx->in[i].dtype != t)
            return odin_errorf("start, limit and delta must share a dtype (input %d is %s, "
                               "start %s)", i, odin_dtype_name(ctx->in[i].dtype), odin_dtype_name(t));
        if (ctx->in[i].rank > 0 && odin_value_numel(&ctx->in[i]) != 1)
            return odin_errorf("input %d must be a scalar", i);
    }
    int64_t n = -1;
    if (odin_value_known(&ctx->in[0]) && odin_value_known(&ctx->in[1]) &&
        odin_value_known(&ctx->in[2]))
        ODIN_TRY(range_count(ctx->in, &n));
    return odin_op_set_output_checked(ctx, 0, t, 1, &n);
}

static odin_status range_eval(odin_op_ctx *ctx) {
    ODIN_TRY(range_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    odin_dtype t = ctx->in[0].dtype;
    int64_t n = ctx->out[0].dims[0];
    if (odin_dtype_is_int(t)) {
        uint64_t s = (uint64_t)odin_load_as_i64(ctx->in[0].data, t, 0),
                 d = (uint64_t)odin_load_as_i64(ctx->in[2].data, t, 0);
        for (int64_t i = 0; i < n; i++) {
            int64_t v = (int64_t)(s + (uint64_t)i * d); /* wraps, no UB */
            if (t == ODIN_I64) ((int64_t *)ctx->out[0].data)[i] = v;
            else odin_store_from_f64(ctx->out[0].data, t, (size_t)i, (double)v);
        }
    } else {
        double s = odin_load_as_f64(ctx->in[0].data, t, 0), d = odin_load_as_f64(ctx->in[2].data, t, 0);
        for (int64_t i = 0; i < n; i++) odin_store_from_f64(ctx->out[0].data, t, (size_t)i, s + (double)i * d);
    }
    return ODIN_OK;
}

static const odin_op_def range_def = {
    "Range", "", 11, 0, 3, 3, 1, 1, NULL, range_infer, range_eval, NULL, 0,
    "start, start+delta, ... up to (not including) limit"};

/* ---- EyeLike ---------------------------------------------------------------------- */

static odin_status eyelike_dtype(odin_op_ctx *ctx, odin_dtype *t) {
    *t = ctx->in[0].dtype;
    if (odin_node_has_attr(ctx->node, "dtype")) {
        int64_t code = odin_attr_i(ctx->node, "dtype");
        *t = odin_dtype_from_onnx((int)code);
        if (*t == ODIN_UNDEFINED || *t == ODIN_STRING)
            return odin_errorf("dtype %lld is not supported", (long long)code);
    }
    return ODIN_OK;
}

static odin_status eyelike_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    if (x->rank >= 0 && x->rank != 2) return odin_errorf("input must be 2-D, got rank %d", x->rank);
    odin_dtype t;
    ODIN_TRY(eyelike_dtype(ctx, &t));
    odin_op_set_output(ctx, 0, t, 2, x->rank == 2 ? x->dims : NULL);
    return ODIN_OK;
}

static odin_status eyelike_eval(odin_op_ctx *ctx) {
    ODIN_TRY(eyelike_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    odin_value *y = &ctx->out[0];
    int64_t k = odin_attr_i(ctx->node, "k"), rows = y->dims[0], cols = y->dims[1];
    for (int64_t i = 0; i < rows; i++) {
        if (k < -rows || k > cols) break;
        int64_t j = i + k;
        if (j >= 0 && j < cols) odin_store_from_f64(y->data, y->dtype, (size_t)(i * cols + j), 1.0);
    }
    return ODIN_OK;
}

static const odin_attr_schema eyelike_attrs[] = {{"dtype", ODIN_ATTR_INT, false, 0},
                                                 {"k", ODIN_ATTR_INT, false, 0},
                                                 {NULL}};
static const odin_op_def eyelike_def = {
    "EyeLike", "", 9, 0, 1, 1, 1, 1, eyelike_attrs, eyelike_infer, eyelike_eval, NULL, 0,
    "identity-like matrix of the input's shape (diagonal offset k)"};

/* ---- Dropout ---------------------------------------------------------------------- */

static odin_status dropout_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    if (ctx->n_out > 1)
        odin_op_set_output(ctx, 1, ctx->opset >= 10 ? ODIN_BOOL : x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

/* Training mode draws keep/drop decisions from MT19937 seeded with the `seed`
 * attribute exactly as numpy's legacy np.random.seed / uniform do (the ONNX reference),
 * so a given seed gives the reference's mask. */
typedef struct mt19937 {
    uint32_t mt[624];
    int i;
} mt19937;

static void mt_seed(mt19937 *m, uint32_t seed) {
    m->mt[0] = seed;
    for (int i = 1; i < 624; i++)
        m->mt[i] = 1812433253u * (m->mt[i - 1] ^ (m->mt[i - 1] >> 30)) + (uint32_t)i;
    m->i = 624;
}

static uint32_t mt_next(mt19937 *m) {
    if (m->i >= 624) {
        for (int k = 0; k < 624; k++) {
            uint32_t y = (m->mt[k] & 0x80000000u) | (m->mt[(k + 1) % 624] & 0x7fffffffu);
            m->mt[k] = m->mt[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        m->i = 0;
    }
    uint32_t y = m->mt[m->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

/* numpy's random_sample: 53 random bits in [0, 1) */
static double mt_uniform(mt19937 *m) {
    uint32_t a = mt_next(m) >> 5, b = mt_next(m) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

void odin_dropout_uniforms(int64_t seed, int64_t n, double *u) {
    mt19937 rng;
    mt_seed(&rng, (uint32_t)seed);
    for (int64_t i = 0; i < n; i++) u[i] = mt_uniform(&rng);
}

/* Inference (the default): identity with an all-true mask. */
static odin_status dropout_eval(odin_op_ctx *ctx) {
    ODIN_TRY(dropout_infer(ctx));
    bool training = ctx->opset >= 12 && odin_op_has_input(ctx, 2) &&
                    odin_value_numel(&ctx->in[2]) > 0 &&
                    odin_load_as_f64(ctx->in[2].data, ctx->in[2].dtype, 0) != 0;
    double ratio = odin_op_has_input(ctx, 1) && odin_value_numel(&ctx->in[1]) > 0
                       ? odin_load_as_f64(ctx->in[1].data, ctx->in[1].dtype, 0)
                       : 0.5;
    if (training && !(ratio >= 0 && ratio < 1))
        return odin_errorf("ratio %g is outside [0, 1)", ratio);
    if (ratio == 0) training = false;
    for (int i = 0; i < ctx->n_out; i++) ODIN_TRY(odin_op_alloc_output(ctx, i));
    const odin_value *x = &ctx->in[0];
    int64_t n = odin_value_numel(x);
    if (!training) {
        size_t nb = odin_value_nbytes(x);
        if (nb) memcpy(ctx->out[0].data, x->data, nb);
        for (int64_t i = 0; i < n && ctx->n_out > 1; i++)
            odin_store_from_f64(ctx->out[1].data, ctx->out[1].dtype, (size_t)i, 1.0);
        return ODIN_OK;
    }
    mt19937 rng;
    mt_seed(&rng, (uint32_t)odin_attr_i(ctx->node, "seed"));
    double scale = 1 / (1 - ratio);
    for (int64_t i = 0; i < n; i++) {
        bool keep = mt_uniform(&rng) >= ratio;
        double v = keep ? odin_load_as_f64(x->data, x->dtype, (size_t)i) * scale : 0;
        odin_store_from_f64(ctx->out[0].data, x->dtype, (size_t)i, v);
        if (ctx->n_out > 1) odin_store_from_f64(ctx->out[1].data, ctx->out[1].dtype, (size_t)i, keep);
    }
    return ODIN_OK;
}

static const odin_attr_schema dropout_attrs[] = {{"ratio", ODIN_ATTR_FLOAT, false, 0, 0.5f},
                                                 {"seed", ODIN_ATTR_INT, false, 0},
                                                 {"is_test", ODIN_ATTR_INT, false, 0},
                                                 {NULL}};
static const odin_op_def dropout_def = {
    "Dropout", "", 1, 0, 1, 3, 1, 2, dropout_attrs, dropout_infer, dropout_eval, NULL, 0,
    "dropout: identity in inference; seeded (numpy MT19937) masks in training mode"};

const odin_op_def *const odin_ops_misc[] = {&constant_def, &constant_of_shape_def, &range_def,
                                            &eyelike_def,  &dropout_def, &odin_op_resize,
                                            &odin_op_upsample, NULL};
