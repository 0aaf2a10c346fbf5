/* ops/pool.c — op family 'pool': MaxPool (with Indices), AveragePool, LpPool, their
 * Global* forms, and MaxUnpool. The reference kernel converts to double and walks each
 * output window over 3 spatial axes (1-D and 2-D are padded with unit axes); padding
 * never contributes a value: max skips it, average counts it only with
 * count_include_pad, Lp treats it as zero. Also MaxRoiPool. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_util.h"
#include "op.h"

typedef enum pool_kind { POOL_MAX, POOL_AVG, POOL_LP } pool_kind;

static bool pool_dtype_ok(odin_dtype t, pool_kind kind) {
    if (t == ODIN_F32 || t == ODIN_F64 || t == ODIN_F16 || t == ODIN_BF16) return true;
    return kind == POOL_MAX && (t == ODIN_U8 || t == ODIN_I8); /* MaxPool-12 */
}

static odin_status to_f64(const odin_value *v, double **out) {
    int64_t n = odin_value_numel(v);
    if (n < 0) return odin_errorf("input of unknown shape at evaluation");
    double *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    if (!d) return odin_errorf("out of memory converting %lld elements", (long long)n);
    for (int64_t i = 0; i < n; i++) d[i] = odin_load_as_f64(v->data, v->dtype, (size_t)i);
    *out = d;
    return ODIN_OK;
}

/* Store a pooled value; an empty max window (-inf) saturates to an integer dtype's low end. */
static void store(odin_value *o, int64_t i, double v) {
    if (odin_dtype_is_int(o->dtype) && !isfinite(v)) v = o->dtype == ODIN_U8 ? 0 : -128;
    odin_store_from_f64(o->data, o->dtype, (size_t)i, v);
}

/* Output shape of a windowed pool over x; fills g (pads resolved). */
static odin_status pool_geometry(const odin_op_ctx *ctx, pool_kind kind, odin_conv_geom *g,
                                 int *rank, int64_t *dims) {
    const odin_value *x = &ctx->in[0];
    char sx[128];
    if (!pool_dtype_ok(x->dtype, kind))
        return odin_errorf("input has dtype %s, which this pool does not support",
                           odin_dtype_name(x->dtype));
    *rank = x->rank;
    if (x->rank < 0) return ODIN_OK;
    if (x->rank < 3)
        return odin_errorf("input has shape %s, expected rank >= 3 (N, C, spatial...)",
                           odin_shape_str(x, sx, sizeof sx));
    int nsp = x->rank - 2;
    ODIN_TRY(odin_conv_read_attrs(ctx->node, nsp, g));
    bool has_k;
    ODIN_TRY(odin_conv_read_kernel(ctx->node, nsp, g, true, &has_k));
    for (int i = 0; i < nsp; i++) g->in[i] = x->dims[2 + i];
    bool ceil_mode = odin_attr_i(ctx->node, "ceil_mode") != 0;
    ODIN_TRY(odin_conv_forward_out(g, ceil_mode));
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int i = 0; i < nsp; i++) dims[2 + i] = g->out[i];
    return ODIN_OK;
}

/* One window per output element over `planes` (N*C) planes. idx (MaxPool Indices) gets the
 * flat input index of each max, row-major or, with col_major, column-major spatially. */
static void pool3(const double *x, double *y, int64_t *idx, int64_t planes,
                  const odin_conv_geom *g, pool_kind kind, bool include_pad, double p,
                  bool col_major) {
    int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2];
    int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2];
    int64_t IS = ID * IH * IW, OS = OD * OH * OW;
    for (int64_t pl = 0; pl < planes; pl++) {
        const double *xp = x + pl * IS;
        for (int64_t od = 0; od < OD; od++)
        for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++) {
            int64_t o = pl * OS + (od * OH + oh) * OW + ow;
            double acc = kind == POOL_MAX ? -INFINITY : 0.0;
            int64_t best = -1, valid = 0, in_pad = 0;
            for (int64_t kd = 0; kd < g->k[0]; kd++) {
                int64_t id = od * g->stride[0] - g->pad0[0] + kd * g->dil[0];
                if (id < -g->pad0[0] || id >= ID + g->pad1[0]) continue;
                for (int64_t kh = 0; kh < g->k[1]; kh++) {
                    int64_t ih = oh * g->stride[1] - g->pad0[1] + kh * g->dil[1];
                    if (ih < -g->pad0[1] || ih >= IH + g->pad1[1]) continue;
                    for (int64_t kw = 0; kw < g->k[2]; kw++) {
                        int64_t iw = ow * g->stride[2] - g->pad0[2] + kw * g->dil[2];
                        if (iw < -g->pad0[2] || iw >= IW + g->pad1[2]) continue;
                        in_pad++;
                        if (id < 0 || id >= ID || ih < 0 || ih >= IH || iw < 0 || iw >= IW)
                            continue;
                        valid++;
                        int64_t s = (id * IH + ih) * IW + iw;
                        double v = xp[s];
                        if (kind == POOL_MAX) {
                            if (best < 0 || v > acc) {
                                acc = v;
                                best = col_major ? (iw * IH + ih) * ID + id : s;
                            }
                        } else if (kind == POOL_AVG) {
                            acc += v;
                        } else {
                            acc += pow(fabs(v), p);
                        }
                    }
                }
            }
            if (kind == POOL_AVG) {
                int64_t cnt = include_pad ? in_pad : valid;
                acc = cnt ? acc / (double)cnt : 0.0;
            } else if (kind == POOL_LP) {
                acc = pow(acc, 1.0 / p);
            }
            y[o] = acc;
            if (idx) idx[o] = best < 0 ? 0 : pl * IS + best;
        }
    }
}

static odin_status pool_infer_kind(odin_op_ctx *ctx, pool_kind kind) {
    odin_conv_geom g;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(pool_geometry(ctx, kind, &g, &rank, dims));
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, rank, dims);
    if (ctx->n_out > 1) odin_op_set_output(ctx, 1, ODIN_I64, rank, dims);
    return ODIN_OK;
}

static odin_status pool_eval_kind(odin_op_ctx *ctx, pool_kind kind) {
    odin_conv_geom g, g3;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(pool_geometry(ctx, kind, &g, &rank, dims));
    ODIN_TRY(odin_conv_geom3(&g, &g3));
    int64_t storage_order = kind == POOL_MAX ? odin_attr_i(ctx->node, "storage_order") : 0;
    if (storage_order != 0 && storage_order != 1)
        return odin_errorf("storage_order %lld must be 0 or 1", (long long)storage_order);
    double p = kind == POOL_LP ? odin_attr_f(ctx->node, "p") : 0.0;
    if (kind == POOL_LP && !(p > 0)) return odin_errorf("p %g must be positive", p);
    bool include_pad = kind == POOL_AVG && odin_attr_i(ctx->node, "count_include_pad") != 0;
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, rank, dims);
    bool want_idx = ctx->n_out > 1 && ctx->node->outputs[1] >= 0;
    if (ctx->n_out > 1) odin_op_set_output(ctx, 1, ODIN_I64, rank, dims);
    double *x = NULL, *y = NULL;
    odin_status st = to_f64(&ctx->in[0], &x);
    int64_t n = odin_value_numel(&ctx->out[0]);
    if (!st) {
        y = malloc((size_t)(n ? n : 1) * sizeof *y);
        if (!y) st = odin_errorf("out of memory for %lld outputs", (long long)n);
    }
    if (!st) st = odin_op_alloc_output(ctx, 0);
    if (!st && ctx->n_out > 1) st = odin_op_alloc_output(ctx, 1);
    if (!st) {
        pool3(x, y, want_idx ? ctx->out[1].data : NULL, dims[0] * dims[1], &g3, kind,
              include_pad, p, storage_order == 1);
        for (int64_t i = 0; i < n; i++) store(&ctx->out[0], i, y[i]);
    }
    free(x);
    free(y);
    return st;
}

static odin_status maxpool_infer(odin_op_ctx *ctx) { return pool_infer_kind(ctx, POOL_MAX); }
static odin_status maxpool_eval(odin_op_ctx *ctx) { return pool_eval_kind(ctx, POOL_MAX); }
static odin_status avgpool_infer(odin_op_ctx *ctx) { return pool_infer_kind(ctx, POOL_AVG); }
static odin_status avgpool_eval(odin_op_ctx *ctx) { return pool_eval_kind(ctx, POOL_AVG); }
static odin_status lppool_infer(odin_op_ctx *ctx) { return pool_infer_kind(ctx, POOL_LP); }
static odin_status lppool_eval(odin_op_ctx *ctx) { return pool_eval_kind(ctx, POOL_LP); }

static const odin_attr_schema maxpool_attrs[] = {
    {"auto_pad", ODIN_ATTR_STRING, false, 0, 0, "NOTSET"},
    {"ceil_mode", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"dilations", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"kernel_shape", ODIN_ATTR_INTS, true, 0, 0, NULL},
    {"pads", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"storage_order", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"strides", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static const odin_attr_schema avgpool_attrs[] = {
    {"auto_pad", ODIN_ATTR_STRING, false, 0, 0, "NOTSET"},
    {"ceil_mode", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"count_include_pad", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"dilations", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"kernel_shape", ODIN_ATTR_INTS, true, 0, 0, NULL},
    {"pads", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"strides", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

/* LpPool-1 had a float p, later opsets an int one: both read through odin_attr_f. */
static const odin_attr_schema lppool_attrs[] = {
    {"auto_pad", ODIN_ATTR_STRING, false, 0, 0, "NOTSET"},
    {"ceil_mode", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"dilations", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"kernel_shape", ODIN_ATTR_INTS, true, 0, 0, NULL},
    {"p", ODIN_ATTR_INT, false, 2, 2.0f, NULL},
    {"pads", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"strides", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static const odin_op_def op_maxpool = {
    .name = "MaxPool", .domain = "", .since_version = 1,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 2,
    .attrs = maxpool_attrs, .infer = maxpool_infer, .eval = maxpool_eval,
    .doc = "max over windows (pads, auto_pad, ceil_mode, dilations, optional Indices)"};

static const odin_op_def op_avgpool = {
    .name = "AveragePool", .domain = "", .since_version = 1,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .attrs = avgpool_attrs, .infer = avgpool_infer, .eval = avgpool_eval,
    .doc = "mean over windows (count_include_pad, ceil_mode, dilations)"};

static const odin_op_def op_lppool = {
    .name = "LpPool", .domain = "", .since_version = 1,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .attrs = lppool_attrs, .infer = lppool_infer, .eval = lppool_eval,
    .doc = "p-norm over windows: (sum |x|^p)^(1/p)"};

/* ---- Global pools: one window covering all spatial axes ---- */

static odin_status global_infer_kind(odin_op_ctx *ctx, pool_kind kind) {
    const odin_value *x = &ctx->in[0];
    char sx[128];
    if (!pool_dtype_ok(x->dtype, kind) || odin_dtype_is_int(x->dtype))
        return odin_errorf("input has dtype %s, expected a float type", odin_dtype_name(x->dtype));
    if (x->rank >= 0 && x->rank < 3)
        return odin_errorf("input has shape %s, expected rank >= 3 (N, C, spatial...)",
                           odin_shape_str(x, sx, sizeof sx));
    int64_t dims[ODIN_MAX_RANK];
    for (int i = 0; i < x->rank; i++) dims[i] = i < 2 ? x->dims[i] : 1;
    odin_op_set_output(ctx, 0, x->dtype, x->rank, dims);
    return ODIN_OK;
}

static odin_status global_eval_kind(odin_op_ctx *ctx, pool_kind kind) {
    ODIN_TRY(global_infer_kind(ctx, kind));
    const odin_value *x = &ctx->in[0];
    double p = kind == POOL_LP ? odin_attr_f(ctx->node, "p") : 0.0;
    if (kind == POOL_LP && !(p > 0)) return odin_errorf("p %g must be positive", p);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    int64_t planes = x->dims[0] * x->dims[1], size = 1;
    for (int i = 2; i < x->rank; i++) size *= x->dims[i];
    for (int64_t pl = 0; pl < planes; pl++) {
        double acc = kind == POOL_MAX ? -INFINITY : 0.0;
        for (int64_t i = 0; i < size; i++) {
            double v = odin_load_as_f64(x->data, x->dtype, (size_t)(pl * size + i));
            if (kind == POOL_MAX) acc = (i == 0 || v > acc) ? v : acc;
            else if (kind == POOL_AVG) acc += v;
            else acc += pow(fabs(v), p);
        }
        if (kind == POOL_AVG) acc = size ? acc / (double)size : 0.0;
        if (kind == POOL_LP) acc = pow(acc, 1.0 / p);
        odin_store_from_f64(ctx->out[0].data, ctx->out[0].dtype, (size_t)pl, acc);
    }
    return ODIN_OK;
}

static odin_status gmax_infer(odin_op_ctx *ctx) { return global_infer_kind(ctx, POOL_MAX); }
static odin_status gmax_eval(odin_op_ctx *ctx) { return global_eval_kind(ctx, POOL_MAX); }
static odin_status gavg_infer(odin_op_ctx *ctx) { return global_infer_kind(ctx, POOL_AVG); }
static odin_status gavg_eval(odin_op_ctx *ctx) { return global_eval_kind(ctx, POOL_AVG); }
static odin_status glp_infer(odin_op_ctx *ctx) { return global_infer_kind(ctx, POOL_LP); }
static odin_status glp_eval(odin_op_ctx *ctx) { return global_eval_kind(ctx, POOL_LP); }

static const odin_attr_schema no_attrs[] = {{NULL, 0, false, 0, 0, NULL}};
static const odin_attr_schema glp_attrs[] = {{"p", ODIN_ATTR_INT, false, 2, 2.0f, NULL},
                                             {NULL, 0, false, 0, 0, NULL}};

static const odin_op_def op_gmax = {
    .name = "GlobalMaxPool", .domain = "", .since_version = 1,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .attrs = no_attrs, .infer = gmax_infer, .eval = gmax_eval,
    .doc = "max over all spatial axes"};

static const odin_op_def op_gavg = {
    .name = "GlobalAveragePool", .domain = "", .since_version = 1,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .attrs = no_attrs, .infer = gavg_infer, .eval = gavg_eval,
    .doc = "mean over all spatial axes"};

static const odin_op_def op_glp = {
    .name = "GlobalLpPool", .domain = "", .since_version = 1,
    .min_inputs = 1, .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
    .attrs = glp_attrs, .infer = glp_infer, .eval = glp_eval,
    .doc = "p-norm over all spatial axes"};

/* ---- MaxUnpool: scatter X into zeros at the flat positions given by I ---- */

/* The unpooled shape MaxPool's indices refer to: (in - 1) * stride + k - pads. */
static odin_status unpool_default_shape(const odin_op_ctx *ctx, int64_t *dims) {
    const odin_value *x = &ctx->in[0];
    odin_conv_geom g;
    int nsp = x->rank - 2;
    ODIN_TRY(odin_conv_read_attrs(ctx->node, nsp, &g));
    bool has_k;
    ODIN_TRY(odin_conv_read_kernel(ctx->node, nsp, &g, true, &has_k));
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int i = 0; i < nsp; i++) {
        int64_t in = x->dims[2 + i];
        dims[2 + i] = in < 0 ? -1 : (in - 1) * g.stride[i] + g.k[i] - g.pad0[i] - g.pad1[i];
        if (in >= 0 && dims[2 + i] < 1)
            return odin_errorf("spatial axis %d: output extent %lld is not positive", i,
                               (long long)dims[2 + i]);
    }
    return ODIN_OK;
}

static odin_status unpool_shape(const odin_op_ctx *ctx, int *rank, int64_t *dims) {
    const odin_value *x = &ctx->in[0], *ind = &ctx->in[1];
    char sx[128], si[128];
    if (ind->dtype != ODIN_I64)
        return odin_errorf("indices have dtype %s, expected i64", odin_dtype_name(ind->dtype));
    *rank = x->rank;
    if (x->rank < 0) return ODIN_OK;
    if (x->rank < 3)
        return odin_errorf("input has shape %s, expected rank >= 3 (N, C, spatial...)",
                           odin_shape_str(x, sx, sizeof sx));
    if (ind->rank >= 0) {
        bool same = ind->rank == x->rank;
        for (int i = 0; same && i < x->rank; i++)
            if (ind->dims[i] >= 0 && x->dims[i] >= 0 && ind->dims[i] != x->dims[i]) same = false;
        if (!same)
            return odin_errorf("indices shape %s differs from input shape %s",
                               odin_shape_str(ind, si, sizeof si), odin_shape_str(x, sx, sizeof sx));
    }
    ODIN_TRY(unpool_default_shape(ctx, dims));
    if (odin_op_has_input(ctx, 2)) {
        const odin_value *os = &ctx->in[2];
        if (os->rank != 1 || os->dims[0] != x->rank)
            return odin_errorf("output_shape has shape %s, expected [%d]",
                               odin_shape_str(os, si, sizeof si), x->rank);
        for (int i = 0; i < x->rank; i++)
            dims[i] = os->data ? odin_load_as_i64(os->data, os->dtype, (size_t)i) : -1;
    }
    return ODIN_OK;
}

static odin_status unpool_infer(odin_op_ctx *ctx) {
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(unpool_shape(ctx, &rank, dims));
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, rank, dims);
    return ODIN_OK;
}

/* Indices are flat positions in the default unpooled shape; with an explicit
 * output_shape each lands at the same coordinates of the larger output (the extra
 * extent is zeros at the end), as the ONNX test data expect. */
static odin_status unpool_eval(odin_op_ctx *ctx) {
    int rank;
    int64_t dims[ODIN_MAX_RANK], def[ODIN_MAX_RANK];
    ODIN_TRY(unpool_shape(ctx, &rank, dims));
    ODIN_TRY(unpool_default_shape(ctx, def));
    const odin_value *x = &ctx->in[0];
    for (int i = 0; i < rank; i++)
        if ((i < 2 && dims[i] != x->dims[i]) || dims[i] < def[i])
            return odin_errorf("output_shape must keep N and C and be at least the unpooled "
                               "shape");
    odin_op_set_output(ctx, 0, x->dtype, rank, dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    int64_t n = odin_value_numel(x), def_total = 1;
    for (int i = 0; i < rank; i++) def_total *= def[i];
    size_t es = odin_dtype_size(x->dtype);
    const int64_t *ind = ctx->in[1].data;
    for (int64_t i = 0; i < n; i++) {
        if (ind[i] < 0 || ind[i] >= def_total)
            return odin_errorf("index %lld at position %lld is out of range [0, %lld)",
                               (long long)ind[i], (long long)i, (long long)def_total);
        int64_t rem = ind[i], dst = 0, mul = 1;
        for (int d = rank - 1; d >= 0; d--) {
            dst += (rem % def[d]) * mul;
            rem /= def[d];
            mul *= dims[d];
        }
        memcpy((char *)ctx->out[0].data + dst * es, (const char *)x->data + i * es, es);
    }
    return ODIN_OK;
}

static const odin_attr_schema unpool_attrs[] = {
    {"kernel_shape", ODIN_ATTR_INTS, true, 0, 0, NULL},
    {"pads", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"strides", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static const odin_op_def op_maxunpool = {
    .name = "MaxUnpool", .domain = "", .since_version = 9,
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .attrs = unpool_attrs, .infer = unpool_infer, .eval = unpool_eval,
    .doc = "scatter pooled values back to the positions MaxPool's Indices name"};

/* ---- MaxRoiPool: max over a pooled_shape grid of bins inside each region ---- */
/* rois [R, 5] = (batch, x1, y1, x2, y2) in input coordinates before spatial_scale; bin
 * edges follow the Caffe / onnxruntime formulas (round the corners, floor/ceil the bins). */

static odin_status roipool_shape(const odin_op_ctx *ctx, int64_t *dims) {
    const odin_value *x = &ctx->in[0], *r = &ctx->in[1];
    char sx[128], sr[128];
    if (!pool_dtype_ok(x->dtype, POOL_AVG) || r->dtype != x->dtype)
        return odin_errorf("inputs have dtypes %s and %s, expected the same float type",
                           odin_dtype_name(x->dtype), odin_dtype_name(r->dtype));
    if ((x->rank >= 0 && x->rank != 4) || (r->rank >= 0 && (r->rank != 2 || (r->dims[1] >= 0 && r->dims[1] != 5))))
        return odin_errorf("inputs have shapes %s and %s, expected [N,C,H,W] and [R,5]",
                           odin_shape_str(x, sx, sizeof sx), odin_shape_str(r, sr, sizeof sr));
    const int64_t *ps = NULL;
    if (odin_attr_ints(ctx->node, "pooled_shape", &ps) != 2 || ps[0] < 1 || ps[1] < 1)
        return odin_errorf("pooled_shape must hold 2 positive values");
    dims[0] = r->rank >= 0 ? r->dims[0] : -1;
    dims[1] = x->rank >= 0 ? x->dims[1] : -1;
    dims[2] = ps[0];
    dims[3] = ps[1];
    return ODIN_OK;
}

static odin_status roipool_infer(odin_op_ctx *ctx) {
    int64_t dims[4];
    ODIN_TRY(roipool_shape(ctx, dims));
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, 4, dims);
    return ODIN_OK;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static odin_status roipool_eval(odin_op_ctx *ctx) {
    int64_t dims[4];
    ODIN_TRY(roipool_shape(ctx, dims));
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, 4, dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *r = &ctx->in[1];
    odin_value *y = &ctx->out[0];
    double scale = odin_attr_f(ctx->node, "spatial_scale");
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t PH = dims[2], PW = dims[3];
    for (int64_t n = 0; n < dims[0]; n++) {
        double roi[5];
        for (int i = 0; i < 5; i++) roi[i] = odin_load_as_f64(r->data, r->dtype, (size_t)(n * 5 + i));
        if (!(roi[0] >= 0 && roi[0] < (double)N))
            return odin_errorf("roi %lld has batch index %g outside [0, %lld)", (long long)n,
                               roi[0], (long long)N);
        for (int i = 1; i < 5; i++)
            if (!(fabs(roi[i] * scale) < 1e15))
                return odin_errorf("roi %lld has a non-finite or huge coordinate", (long long)n);
        int64_t b = (int64_t)roi[0];
        int64_t sw = (int64_t)round(roi[1] * scale), sh = (int64_t)round(roi[2] * scale);
        int64_t ew = (int64_t)round(roi[3] * scale), eh = (int64_t)round(roi[4] * scale);
        int64_t rh = eh - sh + 1 > 1 ? eh - sh + 1 : 1, rw = ew - sw + 1 > 1 ? ew - sw + 1 : 1;
        /* float bin arithmetic, as onnxruntime: it decides the ceil at exact bin edges */
        float bh = (float)rh / (float)PH, bw = (float)rw / (float)PW;
        for (int64_t c = 0; c < C; c++) {
            int64_t plane = (b * C + c) * H * W;
            for (int64_t ph = 0; ph < PH; ph++)
                for (int64_t pw = 0; pw < PW; pw++) {
                    int64_t h0 = clamp64((int64_t)floorf((float)ph * bh) + sh, 0, H);
                    int64_t h1 = clamp64((int64_t)ceilf((float)(ph + 1) * bh) + sh, 0, H);
                    int64_t w0 = clamp64((int64_t)floorf((float)pw * bw) + sw, 0, W);
                    int64_t w1 = clamp64((int64_t)ceilf((float)(pw + 1) * bw) + sw, 0, W);
                    double m = (h1 <= h0 || w1 <= w0) ? 0.0 : -INFINITY;
                    for (int64_t h = h0; h < h1; h++)
                        for (int64_t w = w0; w < w1; w++) {
                            double v = odin_load_as_f64(x->data, x->dtype, (size_t)(plane + h * W + w));
                            if (v > m) m = v;
                        }
                    odin_store_from_f64(y->data, y->dtype,
                                        (size_t)(((n * C + c) * PH + ph) * PW + pw), m);
                }
        }
    }
    return ODIN_OK;
}

static const odin_attr_schema roipool_attrs[] = {
    {"pooled_shape", ODIN_ATTR_INTS, true, 0, 0, NULL},
    {"spatial_scale", ODIN_ATTR_FLOAT, false, 0, 1.0f, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static const odin_op_def op_maxroipool = {
    .name = "MaxRoiPool", .domain = "", .since_version = 1,
    .min_inputs = 2, .max_inputs = 2, .min_outputs = 1, .max_outputs = 1,
    .attrs = roipool_attrs, .infer = roipool_infer, .eval = roipool_eval,
    .doc = "max over a pooled_shape grid inside each region of interest"};

const odin_op_def *const odin_ops_pool[] = {&op_maxpool, &op_avgpool,  &op_lppool,
                                            &op_gmax,    &op_gavg,     &op_glp,
                                            &op_maxunpool, &op_maxroipool, NULL};
