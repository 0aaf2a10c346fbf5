/* ops/reduce.c — op family 'reduce': reductions over axes (ReduceSum ... ReduceLogSumExp),
 * ArgMax / ArgMin, the softmax family (Softmax, LogSoftmax, Hardmax) and CumSum.
 * Reference kernels accumulate floats in double; integer sums, products and extrema run
 * in 64-bit integers so large values stay exact (wrapping like the C cast of the result). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

/* ---- shared helpers ---- */

static bool dtype_is_numeric(odin_dtype t) {
    return odin_dtype_is_float(t) || odin_dtype_is_int(t);
}

static odin_status check_numeric(const odin_value *v, const char *what) {
    if (!dtype_is_numeric(v->dtype))
        return odin_errorf("%s has dtype %s, expected a numeric tensor", what,
                           odin_dtype_name(v->dtype));
    return ODIN_OK;
}

static odin_status check_float(const odin_value *v, const char *what) {
    if (!odin_dtype_is_float(v->dtype))
        return odin_errorf("%s has dtype %s, expected a floating-point tensor", what,
                           odin_dtype_name(v->dtype));
    return ODIN_OK;
}

/* Store an int64 into an integer buffer of dtype t with C-cast wrapping. */
static void store_i64(void *data, odin_dtype t, size_t i, int64_t v) {
    switch (t) {
    case ODIN_I8: ((int8_t *)data)[i] = (int8_t)v; break;
    case ODIN_U8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case ODIN_I16: ((int16_t *)data)[i] = (int16_t)v; break;
    case ODIN_U16: ((uint16_t *)data)[i] = (uint16_t)v; break;
    case ODIN_I32: ((int32_t *)data)[i] = (int32_t)v; break;
    case ODIN_U32: ((uint32_t *)data)[i] = (uint32_t)v; break;
    case ODIN_I64: ((int64_t *)data)[i] = v; break;
    case ODIN_U64: ((uint64_t *)data)[i] = (uint64_t)v; break;
    case ODIN_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    default: odin_store_from_f64(data, t, i, (double)v); break;
    }
}

/* Store a double; for integer dtypes NaN becomes 0 and infinities saturate, because a
 * C cast of a non-representable double is undefined behaviour. */
static void store_f64_safe(void *data, odin_dtype t, size_t i, double v) {
    if (odin_dtype_is_float(t)) {
        odin_store_from_f64(data, t, i, v);
        return;
    }
    int64_t iv;
    if (isnan(v)) iv = 0;
    else if (v >= 9.2233720368547758e18) iv = INT64_MAX;
    else if (v <= -9.2233720368547758e18) iv = INT64_MIN;
    else iv = (int64_t)v;
    store_i64(data, t, i, iv);
}

/* Numbers of elements before, along and after `axis` of v (all dims known). */
static void split_at_axis(const odin_value *v, int axis, int64_t *outer, int64_t *len,
                          int64_t *inner) {
    *outer = *len = *inner = 1;
    for (int d = 0; d < v->rank; d++) {
        if (d < axis) *outer *= v->dims[d];
        else if (d == axis) *len = v->dims[d];
        else *inner *= v->dims[d];
    }
}

/* ---- Reduce* ---- */

typedef enum reduce_kind {
    R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP, R_SUMSQUARE
} reduce_kind;

static const struct {
    const char *op;
    reduce_kind kind;
} reduce_names[] = {
    {"ReduceSum", R_SUM},       {"ReduceMean", R_MEAN},         {"ReduceMax", R_MAX},
    {"ReduceMin", R_MIN},       {"ReduceProd", R_PROD},         {"ReduceL1", R_L1},
    {"ReduceL2", R_L2},         {"ReduceLogSum", R_LOGSUM},     {"ReduceLogSumExp", R_LOGSUMEXP},
    {"ReduceSumSquare", R_SUMSQUARE},
};

static reduce_kind reduce_kind_of(const odin_node *n) {
    for (size_t i = 0; i < sizeof reduce_names / sizeof reduce_names[0]; i++)
        if (strcmp(n->op, reduce_names[i].op) == 0) return reduce_names[i].kind;
    return R_SUM;
}

typedef struct reduce_plan {
    bool axes_known;          /* false during infer when the axes input is not constant */
    int64_t n_axes;           /* number of listed axes (-1 when unknown) */
    bool noop;                /* empty axes with noop_with_empty_axes: identity */
    bool reduce[ODIN_MAX_RANK];
} reduce_plan;

/* Which axes to reduce. Axes come from the optional input 1 (ReduceSum from opset 13,
 * the others from 18) or from the `axes` attribute (earlier opsets); a model that uses
 * either form is accepted at any opset. Empty axes reduce everything unless
 * noop_with_empty_axes is set. */
static odin_status reduce_axes(const odin_op_ctx *ctx, int rank, reduce_plan *p) {
    memset(p, 0, sizeof *p);
    p->axes_known = true;
    const int64_t *axes = NULL;
    int64_t n = 0;
    if (odin_op_has_input(ctx, 1)) {
        const odin_value *a = &ctx->in[1];
        if (a->dtype != ODIN_I64)
            return odin_errorf("axes (input 1) has dtype %s, expected i64",
                               odin_dtype_name(a->dtype));
        if (a->rank > 1)
            return odin_errorf("axes (input 1) has rank %d, expected a 1-D tensor", a->rank);
        n = a->rank < 0 ? -1 : odin_value_numel(a);
        if (!a->data && n != 0) {
            p->axes_known = false;
            p->n_axes = n;
            return ODIN_OK;
        }
        axes = a->data;
    } else {
        n = odin_attr_ints(ctx->node, "axes", &axes);
    }
    p->n_axes = n;
    if (n == 0) {
        if (odin_attr_i(ctx->node, "noop_with_empty_axes")) p->noop = true;
        else
            for (int d = 0; d < rank; d++) p->reduce[d] = true;
        return ODIN_OK;
    }
    if (rank < 0) {
        p->axes_known = false; /* values known, but not which dims they name */
        return ODIN_OK;
    }
    for (int64_t i = 0; i < n; i++) {
        int ax;
        if (rank == 0 && (axes[i] == 0 || axes[i] == -1)) continue; /* a scalar's only "axis" */
        ODIN_TRY(odin_norm_axis(axes[i], rank, &ax));
        p->reduce[ax] = true;
    }
    return ODIN_OK;
}

/* Output shape of a reduction; *out_rank -1 when not known yet. */
static void reduce_out_shape(const odin_value *x, const reduce_plan *p, bool keepdims,
                             int *out_rank, int64_t *dims) {
    if (x->rank < 0) {
        *out_rank = -1;
        return;
    }
    if (p->noop) {
        *out_rank = x->rank;
        memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
        return;
    }
    if (!p->axes_known) {
        if (keepdims) {
            *out_rank = x->rank;
            for (int d = 0; d < x->rank; d++) dims[d] = -1;
        } else if (p->n_axes > 0 && p->n_axes <= x->rank) {
            *out_rank = x->rank - (int)p->n_axes; /* assumes distinct axes, as ONNX requires */
            for (int d = 0; d < *out_rank; d++) dims[d] = -1;
        } else {
            *out_rank = -1;
        }
        return;
    }
    int r = 0;
    for (int d = 0; d < x->rank; d++) {
        if (!p->reduce[d]) dims[r++] = x->dims[d];
        else if (keepdims) dims[r++] = 1;
    }
    *out_rank = r;
}

static odin_status reduce_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_numeric(x, "input 0"));
    reduce_plan p;
    ODIN_TRY(reduce_axes(ctx, x->rank, &p));
    int r;
    int64_t dims[ODIN_MAX_RANK];
    reduce_out_shape(x, &p, odin_attr_i(ctx->node, "keepdims") != 0, &r, dims);
    odin_op_set_output(ctx, 0, x->dtype, r, dims);
    return ODIN_OK;
}

/* Integer accumulation: wrapping sums/products in uint64, extrema compared as the
 * dtype's signedness says. */
static bool int_path(reduce_kind k, odin_dtype t) {
    return odin_dtype_is_int(t) && (k == R_SUM || k == R_MEAN || k == R_MAX || k == R_MIN ||
                                    k == R_PROD || k == R_L1 || k == R_SUMSQUARE);
}

static int64_t int_min_of(odin_dtype t) {
    switch (t) {
    case ODIN_I8: return INT8_MIN;
    case ODIN_I16: return INT16_MIN;
    case ODIN_I32: return INT32_MIN;
    case ODIN_I64: return INT64_MIN;
    default: return 0;
    }
}

static int64_t int_max_of(odin_dtype t) {
    switch (t) {
    case ODIN_I8: return INT8_MAX;
    case ODIN_U8: return UINT8_MAX;
    case ODIN_I16: return INT16_MAX;
    case ODIN_U16: return UINT16_MAX;
    case ODIN_I32: return INT32_MAX;
    case ODIN_U32: return UINT32_MAX;
    case ODIN_I64: return INT64_MAX;
    case ODIN_U64: return -1; /* all bits set: UINT64_MAX */
    default: return 0;
    }
}

static bool int_less(odin_dtype t, int64_t a, int64_t b) {
    return t == ODIN_U64 ? (uint64_t)a < (uint64_t)b : a < b;
}

static odin_status reduce_eval(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_numeric(x, "input 0"));
    reduce_kind kind = reduce_kind_of(ctx->node);
    reduce_plan p;
    ODIN_TRY(reduce_axes(ctx, x->rank, &p));
    int r;
    int64_t dims[ODIN_MAX_RANK];
    reduce_out_shape(x, &p, odin_attr_i(ctx->node, "keepdims") != 0, &r, dims);
    odin_op_set_output(ctx, 0, x->dtype, r, dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    odin_value *y = &ctx->out[0];
    int64_t n_in = odin_value_numel(x), n_out = odin_value_numel(y);
    if (p.noop) {
        memcpy(y->data, x->data, odin_value_nbytes(x));
        return ODIN_OK;
    }
    /* out_stride[d]: step in the output for a step along input dim d (0 when reduced) */
    int64_t out_stride[ODIN_MAX_RANK], s = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        out_stride[d] = p.reduce[d] ? 0 : s;
        if (!p.reduce[d]) s *= x->dims[d];
    }
    int64_t count = n_out > 0 ? n_in / n_out : 0; /* elements per output */
    odin_dtype t = x->dtype;
    bool ip = int_path(kind, t);
    double *acc = calloc((size_t)(n_out ? n_out : 1), sizeof *acc);
    int64_t *iacc = ip ? calloc((size_t)(n_out ? n_out : 1), sizeof *iacc) : NULL;
    double *mx = kind == R_LOGSUMEXP ? calloc((size_t)(n_out ? n_out : 1), sizeof *mx) : NULL;
    if (!acc || (ip && !iacc) || (kind == R_LOGSUMEXP && !mx)) {
        free(acc), free(iacc), free(mx);
        return odin_errorf("out of memory");
    }
    for (int64_t o = 0; o < n_out; o++) {
        if (ip) {
            iacc[o] = kind == R_PROD ? 1 : kind == R_MAX ? int_min_of(t)
                    : kind == R_MIN ? int_max_of(t) : 0;
        } else {
            acc[o] = kind == R_PROD ? 1.0 : kind == R_MAX ? -INFINITY
                   : kind == R_MIN ? INFINITY : 0.0;
        }
        if (mx) mx[o] = -INFINITY;
    }
    /* LogSumExp subtracts each group's max first so large inputs do not overflow. */
    for (int pass = mx ? 0 : 1; pass < 2; pass++) {
        int64_t idx[ODIN_MAX_RANK] = {0}, o = 0;
        for (int64_t i = 0; i < n_in; i++) {
            if (ip) {
                int64_t v = odin_load_as_i64(x->data, t, (size_t)i);
                uint64_t a = (uint64_t)iacc[o], u = (uint64_t)v;
                switch (kind) {
                case R_SUM: case R_MEAN: iacc[o] = (int64_t)(a + u); break;
                case R_PROD: iacc[o] = (int64_t)(a * u); break;
                case R_L1: iacc[o] = (int64_t)(a + (v < 0 ? 0 - u : u)); break;
                case R_SUMSQUARE: iacc[o] = (int64_t)(a + u * u); break;
                case R_MAX: if (int_less(t, iacc[o], v)) iacc[o] = v; break;
                case R_MIN: if (int_less(t, v, iacc[o])) iacc[o] = v; break;
                default: break;
                }
            } else {
                double v = odin_load_as_f64(x->data, t, (size_t)i);
                switch (kind) {
                case R_SUM: case R_MEAN: case R_LOGSUM: acc[o] += v; break;
                case R_PROD: acc[o] *= v; break;
                case R_L1: acc[o] += fabs(v); break;
                case R_L2: case R_SUMSQUARE: acc[o] += v * v; break;
                /* NaN wins, as numpy's maximum/minimum propagate it */
                case R_MAX: if (isnan(v) || v > acc[o]) acc[o] = v; break;
                case R_MIN: if (isnan(v) || v < acc[o]) acc[o] = v; break;
                case R_LOGSUMEXP:
                    if (pass == 0) {
                        if (isnan(v) || v > mx[o]) mx[o] = v;
                    } else if (isfinite(mx[o])) {
                        acc[o] += exp(v - mx[o]);
                    }
                    break;
                }
            }
            /* advance the input multi-index and the matching output offset */
            for (int d = x->rank - 1; d >= 0; d--) {
                o += out_stride[d];
                if (++idx[d] < x->dims[d]) break;
                o -= out_stride[d] * idx[d];
                idx[d] = 0;
            }
        }
    }
    for (int64_t o = 0; o < n_out; o++) {
        if (ip) {
            int64_t v = iacc[o];
            if (kind == R_MEAN) {
                if (count == 0) v = 0;
                else if (t == ODIN_U64) v = (int64_t)((uint64_t)v / (uint64_t)count);
                else v = v / count;
            }
            store_i64(y->data, t, (size_t)o, v);
            continue;
        }
        double v = acc[o];
        switch (kind) {
        case R_MEAN: v = count ? v / (double)count : NAN; break;
        case R_L2: v = sqrt(v); break;
        case R_LOGSUM: v = log(v); break;
        case R_LOGSUMEXP: v = isfinite(mx[o]) ? mx[o] + log(v) : mx[o]; break;
        default: break;
        }
        store_f64_safe(y->data, t, (size_t)o, v);
    }
    free(acc), free(iacc), free(mx);
    return ODIN_OK;
}

static const odin_attr_schema reduce_attrs[] = {
    {"axes", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"keepdims", ODIN_ATTR_INT, false, 1, 0, NULL},
    {"noop_with_empty_axes", ODIN_ATTR_INT, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

#define REDUCE_DEF(var, opname, text)                                                      \
    static const odin_op_def var = {                                                       \
        .name = opname, .domain = "", .since_version = 1, .max_version = 0,                \
        .min_inputs = 1, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,              \
        .attrs = reduce_attrs, .infer = reduce_infer, .eval = reduce_eval, .lower = NULL,  \
        .flags = 0, .doc = text}

REDUCE_DEF(reduce_sum_def, "ReduceSum", "sum over axes");
REDUCE_DEF(reduce_mean_def, "ReduceMean", "mean over axes");
REDUCE_DEF(reduce_max_def, "ReduceMax", "maximum over axes (-inf for an empty set)");
REDUCE_DEF(reduce_min_def, "ReduceMin", "minimum over axes (+inf for an empty set)");
REDUCE_DEF(reduce_prod_def, "ReduceProd", "product over axes");
REDUCE_DEF(reduce_l1_def, "ReduceL1", "sum of absolute values over axes");
REDUCE_DEF(reduce_l2_def, "ReduceL2", "Euclidean norm over axes");
REDUCE_DEF(reduce_logsum_def, "ReduceLogSum", "log of the sum over axes");
REDUCE_DEF(reduce_logsumexp_def, "ReduceLogSumExp", "log of the sum of exponentials over axes");
REDUCE_DEF(reduce_sumsquare_def, "ReduceSumSquare", "sum of squares over axes");

/* ---- ArgMax / ArgMin ---- */

static bool is_argmax(const odin_node *n) { return strcmp(n->op, "ArgMax") == 0; }

static odin_status arg_shape(odin_op_ctx *ctx, int *axis, int *r, int64_t *dims) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_numeric(x, "input 0"));
    bool keep = odin_attr_i(ctx->node, "keepdims") != 0;
    if (x->rank < 0) {
        *r = -1;
        return ODIN_OK;
    }
    if (x->rank == 0) return odin_errorf("input 0 is a scalar; it has no axis to reduce");
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, axis));
    int k = 0;
    for (int d = 0; d < x->rank; d++) {
        if (d != *axis) dims[k++] = x->dims[d];
        else if (keep) dims[k++] = 1;
    }
    *r = k;
    return ODIN_OK;
}

static odin_status arg_infer(odin_op_ctx *ctx) {
    int axis = 0, r;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(arg_shape(ctx, &axis, &r, dims));
    odin_op_set_output(ctx, 0, ODIN_I64, r, dims);
    return ODIN_OK;
}

/* -1, 0, 1 as element i compares to element j; NaN sorts above every number so the
 * first NaN is chosen, as numpy does. */
static int compare_elems(const void *data, odin_dtype t, size_t i, size_t j) {
    if (odin_dtype_is_float(t)) {
        double a = odin_load_as_f64(data, t, i), b = odin_load_as_f64(data, t, j);
        if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
        return (a > b) - (a < b);
    }
    int64_t a = odin_load_as_i64(data, t, i), b = odin_load_as_i64(data, t, j);
    if (t == ODIN_U64) return ((uint64_t)a > (uint64_t)b) - ((uint64_t)a < (uint64_t)b);
    return (a > b) - (a < b);
}

static odin_status arg_eval(odin_op_ctx *ctx) {
    int axis = 0, r;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(arg_shape(ctx, &axis, &r, dims));
    const odin_value *x = &ctx->in[0];
    if (x->dims[axis] == 0)
        return odin_errorf("axis %d of input 0 is empty; there is no index to return", axis);
    odin_op_set_output(ctx, 0, ODIN_I64, r, dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    int64_t outer, len, inner;
    split_at_axis(x, axis, &outer, &len, &inner);
    bool want_max = is_argmax(ctx->node);
    bool last = odin_attr_i(ctx->node, "select_last_index") != 0;
    int64_t *y = ctx->out[0].data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            size_t base = (size_t)(o * len * inner + in);
            int64_t best = 0;
            for (int64_t k = 1; k < len; k++) {
                int c = compare_elems(x->data, x->dtype, base + (size_t)(k * inner),
                                      base + (size_t)(best * inner));
                if (!want_max) c = -c;
                /* argmin: NaN still wins (numpy returns the first NaN for both) */
                if (!want_max && odin_dtype_is_float(x->dtype)) {
                    bool kn = isnan(odin_load_as_f64(x->data, x->dtype, base + (size_t)(k * inner)));
                    bool bn = isnan(odin_load_as_f64(x->data, x->dtype, base + (size_t)(best * inner)));
                    if (kn || bn) c = (int)kn - (int)bn;
                }
                if (c > 0 || (c == 0 && last)) best = k;
            }
            y[o * inner + in] = best;
        }
    return ODIN_OK;
}

static const odin_attr_schema arg_attrs[] = {
    {"axis", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"keepdims", ODIN_ATTR_INT, false, 1, 0, NULL},
    {"select_last_index", ODIN_ATTR_INT, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def argmax_def = {
    .name = "ArgMax", .domain = "", .since_version = 1, .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, .attrs = arg_attrs, .infer = arg_infer,
    .eval = arg_eval, .doc = "index (i64) of the largest element along an axis"};
static const odin_op_def argmin_def = {
    .name = "ArgMin", .domain = "", .since_version = 1, .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, .attrs = arg_attrs, .infer = arg_infer,
    .eval = arg_eval, .doc = "index (i64) of the smallest element along an axis"};

/* ---- Softmax / LogSoftmax / Hardmax ---- */

/* The axis in force: default 1 before opset 13, -1 from 13 on. Before 13 the input is
 * coerced to 2-D at the axis, so axis == rank (one column per row) is valid there too. */
static odin_status softmax_axis(const odin_op_ctx *ctx, int rank, int *axis) {
    int64_t def = ctx->opset < 13 ? 1 : -1;
    int64_t a = odin_node_has_attr(ctx->node, "axis") ? odin_attr_i(ctx->node, "axis") : def;
    if (ctx->opset < 13) {
        int64_t n = a < 0 ? a + rank : a;
        if (n < 0 || n > rank)
            return odin_errorf("axis %lld is out of range for rank %d", (long long)a, rank);
        *axis = (int)n;
        return ODIN_OK;
    }
    return odin_norm_axis(a, rank, axis);
}

static odin_status softmax_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_float(x, "input 0"));
    int axis;
    if (x->rank > 0) ODIN_TRY(softmax_axis(ctx, x->rank, &axis));
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

typedef enum { SM_SOFTMAX, SM_LOGSOFTMAX, SM_HARDMAX } softmax_kind;

/* Before opset 13 the input is flattened to 2-D at the axis and the op works on whole
 * rows; from 13 on it works along the single axis. */
static odin_status softmax_eval(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(softmax_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    softmax_kind kind = strcmp(ctx->node->op, "LogSoftmax") == 0 ? SM_LOGSOFTMAX
                      : strcmp(ctx->node->op, "Hardmax") == 0 ? SM_HARDMAX : SM_SOFTMAX;
    int64_t outer = 1, len = 1, inner = 1;
    if (x->rank > 0) {
        int axis;
        ODIN_TRY(softmax_axis(ctx, x->rank, &axis));
        if (ctx->opset < 13) {
            for (int d = 0; d < x->rank; d++) {
                if (d < axis) outer *= x->dims[d];
                else len *= x->dims[d];
            }
        } else {
            split_at_axis(x, axis, &outer, &len, &inner);
        }
    }
    odin_value *y = &ctx->out[0];
    odin_dtype t = x->dtype;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            size_t base = (size_t)(o * len * inner + in), step = (size_t)inner;
            if (len == 0) continue;
            /* the max (first index wins for Hardmax) keeps exp() in range */
            double mx = odin_load_as_f64(x->data, t, base);
            int64_t arg = 0;
            for (int64_t k = 1; k < len; k++) {
                double v = odin_load_as_f64(x->data, t, base + (size_t)k * step);
                if (v > mx) mx = v, arg = k;
            }
            if (kind == SM_HARDMAX) {
                for (int64_t k = 0; k < len; k++)
                    odin_store_from_f64(y->data, t, base + (size_t)k * step, k == arg ? 1.0 : 0.0);
                continue;
            }
            double sum = 0;
            for (int64_t k = 0; k < len; k++)
                sum += exp(odin_load_as_f64(x->data, t, base + (size_t)k * step) - mx);
            double lsum = log(sum);
            for (int64_t k = 0; k < len; k++) {
                size_t i = base + (size_t)k * step;
                double v = odin_load_as_f64(x->data, t, i) - mx;
                odin_store_from_f64(y->data, t, i, kind == SM_LOGSOFTMAX ? v - lsum : exp(v) / sum);
            }
        }
    return ODIN_OK;
}

static const odin_attr_schema softmax_attrs[] = {
    /* default -1 from opset 13, 1 before (handled in code) */
    {"axis", ODIN_ATTR_INT, false, -1, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def softmax_def = {
    .name = "Softmax", .domain = "", .since_version = 1, .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, .attrs = softmax_attrs, .infer = softmax_infer,
    .eval = softmax_eval, .doc = "exp(x - max) / sum along an axis"};
static const odin_op_def logsoftmax_def = {
    .name = "LogSoftmax", .domain = "", .since_version = 1, .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, .attrs = softmax_attrs, .infer = softmax_infer,
    .eval = softmax_eval, .doc = "log of softmax along an axis"};
static const odin_op_def hardmax_def = {
    .name = "Hardmax", .domain = "", .since_version = 1, .min_inputs = 1, .max_inputs = 1,
    .min_outputs = 1, .max_outputs = 1, .attrs = softmax_attrs, .infer = softmax_infer,
    .eval = softmax_eval, .doc = "1 at the first maximum along an axis, 0 elsewhere"};

/* ---- CumSum ---- */

static odin_status cumsum_axis(const odin_op_ctx *ctx, int rank, int *axis, bool *known) {
    const odin_value *a = &ctx->in[1];
    if (a->dtype != ODIN_I32 && a->dtype != ODIN_I64)
        return odin_errorf("axis (input 1) has dtype %s, expected i32 or i64",
                           odin_dtype_name(a->dtype));
    if (a->rank > 1 || (a->rank == 1 && a->dims[0] >= 0 && a->dims[0] != 1))
        return odin_errorf("axis (input 1) must be a scalar or a 1-element tensor");
    *known = a->data != NULL && rank >= 0;
    if (!*known) return ODIN_OK;
    if (rank == 0) return odin_errorf("input 0 is a scalar; it has no axis to sum along");
    return odin_norm_axis(odin_load_as_i64(a->data, a->dtype, 0), rank, axis);
}

static odin_status cumsum_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_numeric(x, "input 0"));
    int axis;
    bool known;
    ODIN_TRY(cumsum_axis(ctx, x->rank, &axis, &known));
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status cumsum_eval(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_numeric(x, "input 0"));
    int axis = 0;
    bool known;
    ODIN_TRY(cumsum_axis(ctx, x->rank, &axis, &known));
    if (!known) return odin_errorf("axis (input 1) has no value");
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    bool exclusive = odin_attr_i(ctx->node, "exclusive") != 0;
    bool reverse = odin_attr_i(ctx->node, "reverse") != 0;
    int64_t outer, len, inner;
    split_at_axis(x, axis, &outer, &len, &inner);
    odin_dtype t = x->dtype;
    bool ints = odin_dtype_is_int(t);
    void *y = ctx->out[0].data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            size_t base = (size_t)(o * len * inner + in);
            double fsum = 0;
            uint64_t isum = 0; /* wraps like the C cast of the exact sum */
            for (int64_t j = 0; j < len; j++) {
                int64_t k = reverse ? len - 1 - j : j;
                size_t i = base + (size_t)(k * inner);
                if (ints) {
                    uint64_t v = (uint64_t)odin_load_as_i64(x->data, t, i);
                    if (!exclusive) isum += v;
                    store_i64(y, t, i, (int64_t)isum);
                    if (exclusive) isum += v;
                } else {
                    double v = odin_load_as_f64(x->data, t, i);
                    if (!exclusive) fsum += v;
                    odin_store_from_f64(y, t, i, fsum);
                    if (exclusive) fsum += v;
                }
            }
        }
    return ODIN_OK;
}

static const odin_attr_schema cumsum_attrs[] = {
    {"exclusive", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"reverse", ODIN_ATTR_INT, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def cumsum_def = {
    .name = "CumSum", .domain = "", .since_version = 11, .min_inputs = 2, .max_inputs = 2,
    .min_outputs = 1, .max_outputs = 1, .attrs = cumsum_attrs, .infer = cumsum_infer,
    .eval = cumsum_eval, .doc = "cumulative sum along an axis (exclusive / reverse)"};

const odin_op_def *const odin_ops_reduce[] = {
    &reduce_sum_def, &reduce_mean_def, &reduce_max_def, &reduce_min_def,
    &reduce_prod_def, &reduce_l1_def, &reduce_l2_def, &reduce_logsum_def,
    &reduce_logsumexp_def, &reduce_sumsquare_def,
    &argmax_def, &argmin_def,
    &softmax_def, &logsoftmax_def, &hardmax_def,
    &cumsum_def,
    NULL,
};
