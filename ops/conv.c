/* ops/conv.c — op family 'conv': Conv, ConvTranspose, ConvInteger, QLinearConv.
 * The reference kernels convert to double, run one direct-convolution loop nest written
 * for 3 spatial axes (1-D and 2-D are padded with unit axes), and round to the output
 * dtype, so float, double, float16 and the integer variants share one code path. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_util.h"
#include "op.h"

/* ---- shared helpers ---- */

/* A malloc'ed double copy of v's elements, each minus `zero` (a zero point, or 0). */
static odin_status to_f64(const odin_value *v, double **out) {
    int64_t n = odin_value_numel(v);
    if (n < 0) return odin_errorf("input of unknown shape at evaluation");
    double *d = malloc((size_t)(n ? n : 1) * sizeof *d);
    if (!d) return odin_errorf("out of memory converting %lld elements", (long long)n);
    if (v->dtype == ODIN_F32)
        for (int64_t i = 0; i < n; i++) d[i] = ((const float *)v->data)[i];
    else
        for (int64_t i = 0; i < n; i++) d[i] = odin_load_as_f64(v->data, v->dtype, (size_t)i);
    *out = d;
    return ODIN_OK;
}

static bool is_float_dtype(odin_dtype t) {
    return t == ODIN_F32 || t == ODIN_F64 || t == ODIN_F16 || t == ODIN_BF16;
}

static bool is_q8(odin_dtype t) { return t == ODIN_U8 || t == ODIN_I8; }

static const char *shape_of(const odin_value *v, char *buf, size_t n) {
    return odin_shape_str(v, buf, n);
}

/* Number of elements of a value expected to be a scalar or a 1-D vector of length len:
 * 1 (scalar or [1]), len, or -1 when it is neither. */
static int64_t scalar_or_vec(const odin_value *v, int64_t len) {
    if (v->rank < 0) return -2; /* unknown: accept during infer */
    int64_t n = odin_value_numel(v);
    if (v->rank == 0 || (v->rank == 1 && n == 1)) return 1;
    if (v->rank == 1 && (n == len || len < 0 || n < 0)) return n;
    return -1;
}

/* Round half to even and saturate to the range of an 8-bit dtype (QLinear* outputs). */
static double round_saturate(double v, odin_dtype t) {
    double r = nearbyint(v);
    double lo = t == ODIN_U8 ? 0 : -128, hi = t == ODIN_U8 ? 255 : 127;
    return r < lo ? lo : r > hi ? hi : r;
}

/* ---- forward geometry (Conv, ConvInteger, QLinearConv) ---- */

/* Output shape of a forward convolution of input in[xi] by weights in[wi]. */
static odin_status conv_geometry(const odin_op_ctx *ctx, int xi, int wi, odin_conv_geom *g,
                                 int *rank, int64_t *dims) {
    const odin_value *x = &ctx->in[xi], *w = &ctx->in[wi];
    char sx[128], sw[128];
    int r = x->rank >= 0 ? x->rank : w->rank;
    *rank = r;
    if (r < 0) return ODIN_OK;
    if (r < 3)
        return odin_errorf("input has shape %s, expected rank >= 3 (N, C, spatial...)",
                           shape_of(x, sx, sizeof sx));
    if (x->rank >= 0 && w->rank >= 0 && x->rank != w->rank)
        return odin_errorf("weight shape %s does not match input shape %s (ranks differ)",
                           shape_of(w, sw, sizeof sw), shape_of(x, sx, sizeof sx));
    int nsp = r - 2;
    ODIN_TRY(odin_conv_read_attrs(ctx->node, nsp, g));
    int64_t group = odin_attr_i(ctx->node, "group");
    if (group < 1) return odin_errorf("group %lld must be positive", (long long)group);
    bool has_k = false;
    ODIN_TRY(odin_conv_read_kernel(ctx->node, nsp, g, false, &has_k));
    for (int i = 0; i < nsp; i++) {
        int64_t wk = w->rank >= 0 ? w->dims[2 + i] : -1;
        if (has_k && wk >= 0 && wk != g->k[i]) {
            char sk[128];
            const int64_t *kv = NULL;
            int kc = odin_attr_ints(ctx->node, "kernel_shape", &kv);
            odin_format_shape(sk, sizeof sk, kc, kv, NULL);
            return odin_errorf("kernel_shape %s does not match weight shape %s", sk,
                               shape_of(w, sw, sizeof sw));
        }
        if (!has_k && wk == 0)
            return odin_errorf("weight shape %s has an empty kernel", shape_of(w, sw, sizeof sw));
        if (!has_k) g->k[i] = wk;
        g->in[i] = (x->rank >= 0 && g->k[i] >= 0) ? x->dims[2 + i] : -1;
        if (g->k[i] < 0) g->k[i] = 1; /* unknown kernel: out stays unknown via in = -1 */
    }
    int64_t c_in = x->rank >= 0 ? x->dims[1] : -1;
    int64_t c_w = w->rank >= 0 ? w->dims[1] : -1;
    int64_t m = w->rank >= 0 ? w->dims[0] : -1;
    if (c_in >= 0 && c_w >= 0 && c_in != c_w * group)
        return odin_errorf("input shape %s has %lld channels, but weight shape %s with group "
                           "%lld expects %lld", shape_of(x, sx, sizeof sx), (long long)c_in,
                           shape_of(w, sw, sizeof sw), (long long)group,
                           (long long)(c_w * group));
    if (m >= 0 && m % group != 0)
        return odin_errorf("weight shape %s: %lld output channels are not divisible by group "
                           "%lld", shape_of(w, sw, sizeof sw), (long long)m, (long long)group);
    ODIN_TRY(odin_conv_forward_out(g, false));
    dims[0] = x->rank >= 0 ? x->dims[0] : -1;
    dims[1] = m;
    for (int i = 0; i < nsp; i++) dims[2 + i] = g->out[i];
    return ODIN_OK;
}

/* y[n, m, o] = bias[m] + sum_{c, k} x[n, g*Cg + c, o*s - p + k*d] * w[m, c, k], over 3
 * spatial axes. The innermost loop runs over the output positions of one row whose input
 * position is in range, computed up front so it has no per-element branch. */
static void conv3_forward(const double *x, const double *w, const double *bias, double *y,
                          int64_t N, int64_t C, int64_t M, int64_t G, const odin_conv_geom *g) {
    int64_t Cg = C / G, Mg = M / G;
    int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2];
    int64_t KD = g->k[0], KH = g->k[1], KW = g->k[2];
    int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2];
    int64_t IS = ID * IH * IW, KS = KD * KH * KW, OS = OD * OH * OW;
    for (int64_t n = 0; n < N; n++) {
        for (int64_t m = 0; m < M; m++) {
            int64_t gi = m / Mg;
            double *yp = y + (n * M + m) * OS;
            double b = bias ? bias[m] : 0.0;
            for (int64_t i = 0; i < OS; i++) yp[i] = b;
            for (int64_t c = 0; c < Cg; c++) {
                const double *xc = x + (n * C + gi * Cg + c) * IS;
                const double *wc = w + (m * Cg + c) * KS;
                for (int64_t kd = 0; kd < KD; kd++)
                for (int64_t kh = 0; kh < KH; kh++)
                for (int64_t kw = 0; kw < KW; kw++) {
                    double wv = wc[(kd * KH + kh) * KW + kw];
                    int64_t shift = kw * g->dil[2] - g->pad0[2]; /* iw = ow*s + shift */
                    int64_t ow0 = 0, ow1 = OW;
                    while (ow0 < OW && ow0 * g->stride[2] + shift < 0) ow0++;
                    while (ow1 > ow0 && (ow1 - 1) * g->stride[2] + shift >= IW) ow1--;
                    for (int64_t od = 0; od < OD; od++) {
                        int64_t id = od * g->stride[0] + kd * g->dil[0] - g->pad0[0];
                        if (id < 0 || id >= ID) continue;
                        for (int64_t oh = 0; oh < OH; oh++) {
                            int64_t ih = oh * g->stride[1] + kh * g->dil[1] - g->pad0[1];
                            if (ih < 0 || ih >= IH) continue;
                            const double *xr = xc + (id * IH + ih) * IW;
                            double *yr = yp + (od * OH + oh) * OW;
                            int64_t s = g->stride[2];
                            for (int64_t ow = ow0; ow < ow1; ow++)
                                yr[ow] += wv * xr[ow * s + shift];
                        }
                    }
                }
            }
        }
    }
}

/* Runs conv3_forward on already-converted operands; output dims come from conv_geometry. */
static odin_status conv_run(odin_op_ctx *ctx, int xi, int wi, const double *x, const double *w,
                            const double *bias, double **y_out, int *rank, int64_t *dims) {
    odin_conv_geom g, g3;
    ODIN_TRY(conv_geometry(ctx, xi, wi, &g, rank, dims));
    ODIN_TRY(odin_conv_geom3(&g, &g3));
    int64_t n = 1;
    for (int i = 0; i < *rank; i++) n *= dims[i];
    double *y = malloc((size_t)(n ? n : 1) * sizeof *y);
    if (!y) return odin_errorf("out of memory for %lld outputs", (long long)n);
    const odin_value *xv = &ctx->in[xi];
    conv3_forward(x, w, bias, y, xv->dims[0], xv->dims[1], dims[1],
                  odin_attr_i(ctx->node, "group"), &g3);
    *y_out = y;
    return ODIN_OK;
}

/* ---- Conv ---- */

static odin_status check_bias(const odin_op_ctx *ctx, int bi, int64_t m) {
    if (!odin_op_has_input(ctx, bi)) return ODIN_OK;
    const odin_value *b = &ctx->in[bi];
    char sb[128];
    if (b->rank >= 0 && (b->rank != 1 || (m >= 0 && b->dims[0] >= 0 && b->dims[0] != m)))
        return odin_errorf("bias has shape %s, expected [%lld]", shape_of(b, sb, sizeof sb),
                           (long long)m);
    return ODIN_OK;
}

static odin_status conv_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *w = &ctx->in[1];
    if (!is_float_dtype(x->dtype))
        return odin_errorf("input has dtype %s, expected a float type", odin_dtype_name(x->dtype));
    if (w->dtype != x->dtype)
        return odin_errorf("weight dtype %s differs from input dtype %s",
                           odin_dtype_name(w->dtype), odin_dtype_name(x->dtype));
    if (odin_op_has_input(ctx, 2) && ctx->in[2].dtype != x->dtype)
        return odin_errorf("bias dtype %s differs from input dtype %s",
                           odin_dtype_name(ctx->in[2].dtype), odin_dtype_name(x->dtype));
    odin_conv_geom g;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(conv_geometry(ctx, 0, 1, &g, &rank, dims));
    ODIN_TRY(check_bias(ctx, 2, rank >= 0 ? dims[1] : -1));
    odin_op_set_output(ctx, 0, x->dtype, rank, dims);
    return ODIN_OK;
}

static odin_status conv_eval(odin_op_ctx *ctx) {
    ODIN_TRY(conv_infer(ctx));
    double *x = NULL, *w = NULL, *b = NULL, *y = NULL;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    odin_status st = to_f64(&ctx->in[0], &x);
    if (!st) st = to_f64(&ctx->in[1], &w);
    if (!st && odin_op_has_input(ctx, 2)) st = to_f64(&ctx->in[2], &b);
    if (!st) st = conv_run(ctx, 0, 1, x, w, b, &y, &rank, dims);
    if (!st) {
        odin_op_set_output(ctx, 0, ctx->in[0].dtype, rank, dims);
        st = odin_op_alloc_output(ctx, 0);
    }
    if (!st) {
        int64_t n = odin_value_numel(&ctx->out[0]);
        for (int64_t i = 0; i < n; i++)
            odin_store_from_f64(ctx->out[0].data, ctx->out[0].dtype, (size_t)i, y[i]);
    }
    free(x);
    free(w);
    free(b);
    free(y);
    return st;
}

static const odin_attr_schema conv_attrs[] = {
    {"auto_pad", ODIN_ATTR_STRING, false, 0, 0, "NOTSET"},
    {"dilations", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"group", ODIN_ATTR_INT, false, 1, 0, NULL},
    {"kernel_shape", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"pads", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"strides", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static const odin_op_def op_conv = {
    .name = "Conv", .domain = "", .since_version = 1,
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .attrs = conv_attrs, .infer = conv_infer, .eval = conv_eval,
    .doc = "N-d convolution with groups, strides, dilations, pads / auto_pad, optional bias"};

/* ---- ConvInteger ---- */

/* Zero point of an 8-bit operand: absent → 0; scalar; or per output channel (weights). */
static odin_status check_zero_point(const odin_op_ctx *ctx, int zi, odin_dtype want,
                                    int64_t per_len, const char *what) {
    if (!odin_op_has_input(ctx, zi)) return ODIN_OK;
    const odin_value *z = &ctx->in[zi];
    char s[128];
    if (z->dtype != want)
        return odin_errorf("%s zero point has dtype %s, expected %s", what,
                           odin_dtype_name(z->dtype), odin_dtype_name(want));
    if (scalar_or_vec(z, per_len) == -1)
        return odin_errorf("%s zero point has shape %s, expected a scalar or [%lld]", what,
                           shape_of(z, s, sizeof s), (long long)per_len);
    return ODIN_OK;
}

/* Subtract zero points in place: x_zp scalar; w_zp scalar or per output channel. */
static void sub_zero_points(const odin_op_ctx *ctx, int xzi, int wzi, double *x, int64_t nx,
                            double *w, int64_t m, int64_t per_m) {
    if (odin_op_has_input(ctx, xzi)) {
        double z = odin_load_as_f64(ctx->in[xzi].data, ctx->in[xzi].dtype, 0);
        for (int64_t i = 0; i < nx; i++) x[i] -= z;
    }
    if (odin_op_has_input(ctx, wzi)) {
        const odin_value *zv = &ctx->in[wzi];
        bool per = odin_value_numel(zv) == m && m > 1;
        for (int64_t o = 0; o < m; o++) {
            double z = odin_load_as_f64(zv->data, zv->dtype, per ? (size_t)o : 0);
            for (int64_t i = 0; i < per_m; i++) w[o * per_m + i] -= z;
        }
    }
}

static odin_status convinteger_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *w = &ctx->in[1];
    if (!is_q8(x->dtype) || !is_q8(w->dtype))
        return odin_errorf("inputs have dtypes %s and %s, expected u8 or i8",
                           odin_dtype_name(x->dtype), odin_dtype_name(w->dtype));
    odin_conv_geom g;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(conv_geometry(ctx, 0, 1, &g, &rank, dims));
    ODIN_TRY(check_zero_point(ctx, 2, x->dtype, 1, "input"));
    ODIN_TRY(check_zero_point(ctx, 3, w->dtype, rank >= 0 ? dims[1] : -1, "weight"));
    odin_op_set_output(ctx, 0, ODIN_I32, rank, dims);
    return ODIN_OK;
}

static odin_status convinteger_eval(odin_op_ctx *ctx) {
    ODIN_TRY(convinteger_infer(ctx));
    double *x = NULL, *w = NULL, *y = NULL;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    odin_status st = to_f64(&ctx->in[0], &x);
    if (!st) st = to_f64(&ctx->in[1], &w);
    if (!st) {
        int64_t m = ctx->in[1].dims[0];
        int64_t nw = odin_value_numel(&ctx->in[1]);
        sub_zero_points(ctx, 2, 3, x, odin_value_numel(&ctx->in[0]), w, m, m ? nw / m : 0);
        st = conv_run(ctx, 0, 1, x, w, NULL, &y, &rank, dims);
    }
    if (!st) {
        odin_op_set_output(ctx, 0, ODIN_I32, rank, dims);
        st = odin_op_alloc_output(ctx, 0);
    }
    if (!st) {
        int64_t n = odin_value_numel(&ctx->out[0]);
        int32_t *o = ctx->out[0].data;
        /* sums of 8-bit products are exact in double; wrap like int32 accumulation */
        for (int64_t i = 0; i < n; i++) o[i] = (int32_t)(uint32_t)(int64_t)y[i];
    }
    free(x);
    free(w);
    free(y);
    return st;
}

static const odin_op_def op_convinteger = {
    .name = "ConvInteger", .domain = "", .since_version = 10,
    .min_inputs = 2, .max_inputs = 4, .min_outputs = 1, .max_outputs = 1,
    .attrs = conv_attrs, .infer = convinteger_infer, .eval = convinteger_eval,
    .doc = "integer convolution of u8/i8 with zero points, i32 output"};

/* ---- QLinearConv ---- */
/* inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B */

static odin_status check_scale(const odin_op_ctx *ctx, int si, int64_t per_len, const char *what) {
    const odin_value *s = &ctx->in[si];
    char b[128];
    if (s->dtype != ODIN_F32)
        return odin_errorf("%s scale has dtype %s, expected f32", what, odin_dtype_name(s->dtype));
    if (scalar_or_vec(s, per_len) == -1)
        return odin_errorf("%s scale has shape %s, expected a scalar or [%lld]", what,
                           shape_of(s, b, sizeof b), (long long)per_len);
    return ODIN_OK;
}

static odin_status qlinearconv_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *w = &ctx->in[3];
    if (!is_q8(x->dtype) || !is_q8(w->dtype))
        return odin_errorf("x and w have dtypes %s and %s, expected u8 or i8",
                           odin_dtype_name(x->dtype), odin_dtype_name(w->dtype));
    odin_conv_geom g;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(conv_geometry(ctx, 0, 3, &g, &rank, dims));
    int64_t m = rank >= 0 ? dims[1] : -1;
    ODIN_TRY(check_scale(ctx, 1, 1, "x"));
    ODIN_TRY(check_scale(ctx, 4, m, "w"));
    ODIN_TRY(check_scale(ctx, 6, 1, "y"));
    ODIN_TRY(check_zero_point(ctx, 2, x->dtype, 1, "x"));
    ODIN_TRY(check_zero_point(ctx, 5, w->dtype, m, "w"));
    odin_dtype yt = odin_op_has_input(ctx, 7) ? ctx->in[7].dtype : x->dtype;
    if (!is_q8(yt)) return odin_errorf("y zero point has dtype %s, expected u8 or i8", odin_dtype_name(yt));
    ODIN_TRY(check_zero_point(ctx, 7, yt, 1, "y"));
    if (odin_op_has_input(ctx, 8)) {
        if (ctx->in[8].dtype != ODIN_I32)
            return odin_errorf("bias has dtype %s, expected i32", odin_dtype_name(ctx->in[8].dtype));
        ODIN_TRY(check_bias(ctx, 8, m));
    }
    odin_op_set_output(ctx, 0, yt, rank, dims);
    return ODIN_OK;
}

static odin_status qlinearconv_eval(odin_op_ctx *ctx) {
    ODIN_TRY(qlinearconv_infer(ctx));
    double *x = NULL, *w = NULL, *b = NULL, *y = NULL;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    odin_status st = to_f64(&ctx->in[0], &x);
    if (!st) st = to_f64(&ctx->in[3], &w);
    if (!st && odin_op_has_input(ctx, 8)) st = to_f64(&ctx->in[8], &b);
    int64_t m = ctx->in[3].dims[0];
    if (!st) {
        int64_t nw = odin_value_numel(&ctx->in[3]);
        sub_zero_points(ctx, 2, 5, x, odin_value_numel(&ctx->in[0]), w, m, m ? nw / m : 0);
        st = conv_run(ctx, 0, 3, x, w, b, &y, &rank, dims);
    }
    if (!st) {
        odin_op_set_output(ctx, 0, ctx->out[0].dtype, rank, dims);
        st = odin_op_alloc_output(ctx, 0);
    }
    if (!st) {
        odin_value *o = &ctx->out[0];
        int64_t n = odin_value_numel(o), plane = n / (dims[0] * m ? dims[0] * m : 1);
        double xs = ((const float *)ctx->in[1].data)[0];
        double ys = ((const float *)ctx->in[6].data)[0];
        double yz = odin_op_has_input(ctx, 7) ? odin_load_as_f64(ctx->in[7].data, ctx->in[7].dtype, 0) : 0;
        bool per = odin_value_numel(&ctx->in[4]) == m && m > 1;
        for (int64_t i = 0; i < n; i++) {
            int64_t ch = (i / plane) % m;
            double ws = ((const float *)ctx->in[4].data)[per ? ch : 0];
            /* the accumulator is an exact integer; rescale, then round and saturate */
            double v = round_saturate(y[i] * (xs * ws / ys) + yz, o->dtype);
            odin_store_from_f64(o->data, o->dtype, (size_t)i, v);
        }
    }
    free(x);
    free(w);
    free(b);
    free(y);
    return st;
}

static const odin_op_def op_qlinearconv = {
    .name = "QLinearConv", .domain = "", .since_version = 10,
    .min_inputs = 8, .max_inputs = 9, .min_outputs = 1, .max_outputs = 1,
    .attrs = conv_attrs, .infer = qlinearconv_infer, .eval = qlinearconv_eval,
    .doc = "quantized convolution: int accumulate, rescale, round half to even, saturate"};

/* ---- ConvTranspose ---- */

/* Output shape of ConvTranspose; resolves pads into g (from output_shape / auto_pad). */
static odin_status convt_geometry(const odin_op_ctx *ctx, odin_conv_geom *g, int *rank,
                                  int64_t *dims) {
    const odin_value *x = &ctx->in[0], *w = &ctx->in[1];
    char sx[128], sw[128];
    int r = x->rank >= 0 ? x->rank : w->rank;
    *rank = r;
    if (r < 0) return ODIN_OK;
    if (r < 3)
        return odin_errorf("input has shape %s, expected rank >= 3 (N, C, spatial...)",
                           shape_of(x, sx, sizeof sx));
    if (x->rank >= 0 && w->rank >= 0 && x->rank != w->rank)
        return odin_errorf("weight shape %s does not match input shape %s (ranks differ)",
                           shape_of(w, sw, sizeof sw), shape_of(x, sx, sizeof sx));
    int nsp = r - 2;
    ODIN_TRY(odin_conv_read_attrs(ctx->node, nsp, g));
    int64_t group = odin_attr_i(ctx->node, "group");
    if (group < 1) return odin_errorf("group %lld must be positive", (long long)group);
    bool has_k = false;
    ODIN_TRY(odin_conv_read_kernel(ctx->node, nsp, g, false, &has_k));
    for (int i = 0; i < nsp; i++) {
        int64_t wk = w->rank >= 0 ? w->dims[2 + i] : -1;
        if (has_k && wk >= 0 && wk != g->k[i]) {
            char sk[128];
            const int64_t *kv = NULL;
            int kc = odin_attr_ints(ctx->node, "kernel_shape", &kv);
            odin_format_shape(sk, sizeof sk, kc, kv, NULL);
            return odin_errorf("kernel_shape %s does not match weight shape %s", sk,
                               shape_of(w, sw, sizeof sw));
        }
        if (!has_k && wk == 0)
            return odin_errorf("weight shape %s has an empty kernel", shape_of(w, sw, sizeof sw));
        if (!has_k) g->k[i] = wk;
        g->in[i] = x->rank >= 0 ? x->dims[2 + i] : -1;
    }
    int64_t c_in = x->rank >= 0 ? x->dims[1] : -1, c_w = w->rank >= 0 ? w->dims[0] : -1;
    if (c_in >= 0 && c_w >= 0 && c_in != c_w)
        return odin_errorf("input shape %s has %lld channels, weight shape %s expects %lld",
                           shape_of(x, sx, sizeof sx), (long long)c_in,
                           shape_of(w, sw, sizeof sw), (long long)c_w);
    if (c_w >= 0 && c_w % group != 0)
        return odin_errorf("weight shape %s: %lld input channels are not divisible by group "
                           "%lld", shape_of(w, sw, sizeof sw), (long long)c_w, (long long)group);
    int64_t outpad[ODIN_CONV_MAX_SP] = {0};
    const int64_t *v = NULL;
    int c = odin_attr_ints(ctx->node, "output_padding", &v);
    if (c && c != nsp)
        return odin_errorf("output_padding has %d values, expected %d", c, nsp);
    for (int i = 0; i < c; i++) outpad[i] = v[i];
    const int64_t *os = NULL;
    int oc = odin_attr_ints(ctx->node, "output_shape", &os);
    if (oc == nsp + 2) os += 2, oc = nsp; /* some exporters give the full N, C, ... shape */
    if (oc && oc != nsp)
        return odin_errorf("output_shape has %d values, expected %d", oc, nsp);
    bool same = g->auto_pad == ODIN_AUTOPAD_SAME_UPPER || g->auto_pad == ODIN_AUTOPAD_SAME_LOWER;
    for (int i = 0; i < nsp; i++) {
        if (g->in[i] < 0 || g->k[i] < 0) {
            g->out[i] = -1;
            continue;
        }
        int64_t ext = (g->k[i] - 1) * g->dil[i] + 1;
        int64_t full = g->stride[i] * (g->in[i] - 1) + outpad[i] + ext;
        if (oc || same) {
            g->out[i] = oc ? os[i] : g->in[i] * g->stride[i];
            /* an output_shape beyond the natural extent adds zeros at the end: no
             * negative padding (as onnxruntime, whose results the test data hold) */
            int64_t total = full - g->out[i] > 0 ? full - g->out[i] : 0;
            /* the spec: SAME_UPPER puts the larger half at the end, otherwise at the start */
            if (g->auto_pad == ODIN_AUTOPAD_SAME_UPPER) {
                g->pad0[i] = total / 2;
                g->pad1[i] = total - total / 2;
            } else {
                g->pad0[i] = total - total / 2;
                g->pad1[i] = total / 2;
            }
        } else {
            if (g->auto_pad == ODIN_AUTOPAD_VALID) g->pad0[i] = g->pad1[i] = 0;
            g->out[i] = full - g->pad0[i] - g->pad1[i];
        }
        if (g->out[i] < 1)
            return odin_errorf("spatial axis %d: output extent %lld is not positive", i,
                               (long long)g->out[i]);
    }
    dims[0] = x->rank >= 0 ? x->dims[0] : -1;
    dims[1] = w->rank >= 0 ? w->dims[1] * group : -1;
    for (int i = 0; i < nsp; i++) dims[2 + i] = g->out[i];
    return ODIN_OK;
}

/* Scatter form: y[n, g*Mg + mm, i*s - p + k*d] += x[n, c, i] * w[c, mm, k]. */
static void conv3_transpose(const double *x, const double *w, const double *bias, double *y,
                            int64_t N, int64_t C, int64_t M, int64_t G, const odin_conv_geom *g) {
    int64_t Cg = C / G, Mg = M / G;
    int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2];
    int64_t KD = g->k[0], KH = g->k[1], KW = g->k[2];
    int64_t OD = g->out[0], OH = g->out[1], OW = g->out[2];
    int64_t IS = ID * IH * IW, KS = KD * KH * KW, OS = OD * OH * OW;
    for (int64_t n = 0; n < N; n++) {
        for (int64_t m = 0; m < M; m++) {
            int64_t gi = m / Mg, mm = m % Mg;
            double *yp = y + (n * M + m) * OS;
            double b = bias ? bias[m] : 0.0;
            for (int64_t i = 0; i < OS; i++) yp[i] = b;
            for (int64_t c = 0; c < Cg; c++) {
                int64_t ic = gi * Cg + c;
                const double *xc = x + (n * C + ic) * IS;
                const double *wc = w + (ic * Mg + mm) * KS;
                for (int64_t kd = 0; kd < KD; kd++)
                for (int64_t kh = 0; kh < KH; kh++)
                for (int64_t kw = 0; kw < KW; kw++) {
                    double wv = wc[(kd * KH + kh) * KW + kw];
                    int64_t shift = kw * g->dil[2] - g->pad0[2]; /* ow = iw*s + shift */
                    int64_t iw0 = 0, iw1 = IW;
                    while (iw0 < IW && iw0 * g->stride[2] + shift < 0) iw0++;
                    while (iw1 > iw0 && (iw1 - 1) * g->stride[2] + shift >= OW) iw1--;
                    for (int64_t id = 0; id < ID; id++) {
                        int64_t od = id * g->stride[0] + kd * g->dil[0] - g->pad0[0];
                        if (od < 0 || od >= OD) continue;
                        for (int64_t ih = 0; ih < IH; ih++) {
                            int64_t oh = ih * g->stride[1] + kh * g->dil[1] - g->pad0[1];
                            if (oh < 0 || oh >= OH) continue;
                            const double *xr = xc + (id * IH + ih) * IW;
                            double *yr = yp + (od * OH + oh) * OW;
                            int64_t s = g->stride[2];
                            for (int64_t iw = iw0; iw < iw1; iw++)
                                yr[iw * s + shift] += wv * xr[iw];
                        }
                    }
                }
            }
        }
    }
}

static odin_status convt_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *w = &ctx->in[1];
    if (!is_float_dtype(x->dtype))
        return odin_errorf("input has dtype %s, expected a float type", odin_dtype_name(x->dtype));
    if (w->dtype != x->dtype)
        return odin_errorf("weight dtype %s differs from input dtype %s",
                           odin_dtype_name(w->dtype), odin_dtype_name(x->dtype));
    odin_conv_geom g;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(convt_geometry(ctx, &g, &rank, dims));
    ODIN_TRY(check_bias(ctx, 2, rank >= 0 ? dims[1] : -1));
    odin_op_set_output(ctx, 0, x->dtype, rank, dims);
    return ODIN_OK;
}

static odin_status convt_eval(odin_op_ctx *ctx) {
    ODIN_TRY(convt_infer(ctx));
    odin_conv_geom g, g3;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(convt_geometry(ctx, &g, &rank, dims));
    ODIN_TRY(odin_conv_geom3(&g, &g3));
    double *x = NULL, *w = NULL, *b = NULL, *y = NULL;
    odin_status st = to_f64(&ctx->in[0], &x);
    if (!st) st = to_f64(&ctx->in[1], &w);
    if (!st && odin_op_has_input(ctx, 2)) st = to_f64(&ctx->in[2], &b);
    if (!st) {
        odin_op_set_output(ctx, 0, ctx->in[0].dtype, rank, dims);
        int64_t n = odin_value_numel(&ctx->out[0]);
        y = malloc((size_t)(n ? n : 1) * sizeof *y);
        if (!y) st = odin_errorf("out of memory for %lld outputs", (long long)n);
    }
    if (!st) {
        conv3_transpose(x, w, b, y, dims[0], ctx->in[0].dims[1], dims[1],
                        odin_attr_i(ctx->node, "group"), &g3);
        st = odin_op_alloc_output(ctx, 0);
    }
    if (!st) {
        int64_t n = odin_value_numel(&ctx->out[0]);
        for (int64_t i = 0; i < n; i++)
            odin_store_from_f64(ctx->out[0].data, ctx->out[0].dtype, (size_t)i, y[i]);
    }
    free(x);
    free(w);
    free(b);
    free(y);
    return st;
}

odin_status odin_conv_forward_geometry(const odin_graph *gr, int node, int xi, int wi,
                                       odin_conv_geom *g) {
    const odin_node *n = &gr->nodes[node];
    if (n->n_inputs <= xi || n->n_inputs <= wi || n->inputs[xi] < 0 || n->inputs[wi] < 0)
        return odin_errorf("convolution needs an input and a weight");
    int max = xi > wi ? xi : wi;
    odin_value in[16];
    if (max >= 16) return odin_errorf("unexpected inputs");
    for (int i = 0; i <= max; i++)
        in[i] = n->inputs[i] < 0 ? (odin_value){.dtype = ODIN_UNDEFINED, .rank = -1}
                                 : odin_tensor_value(gr, n->inputs[i]);
    odin_op_ctx ctx = {.node = n, .opset = gr->opset, .n_in = max + 1, .n_out = 1, .in = in};
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(conv_geometry(&ctx, xi, wi, g, &rank, dims));
    for (int i = 0; i < g->nsp; i++)
        if (g->in[i] < 0 || g->out[i] < 0) return odin_errorf("shapes are not static");
    return ODIN_OK;
}

odin_status odin_convtranspose_geometry(const odin_graph *gr, int node, odin_conv_geom *g) {
    const odin_node *n = &gr->nodes[node];
    if (n->n_inputs < 2 || n->inputs[0] < 0 || n->inputs[1] < 0)
        return odin_errorf("ConvTranspose needs an input and a weight");
    odin_value in[2] = {odin_tensor_value(gr, n->inputs[0]), odin_tensor_value(gr, n->inputs[1])};
    odin_op_ctx ctx = {.node = n, .opset = gr->opset, .n_in = 2, .n_out = 1, .in = in};
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(convt_geometry(&ctx, g, &rank, dims));
    for (int i = 0; i < g->nsp; i++)
        if (g->in[i] < 0 || g->out[i] < 0) return odin_errorf("shapes are not static");
    return ODIN_OK;
}

static const odin_attr_schema convt_attrs[] = {
    {"auto_pad", ODIN_ATTR_STRING, false, 0, 0, "NOTSET"},
    {"dilations", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"group", ODIN_ATTR_INT, false, 1, 0, NULL},
    {"kernel_shape", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"output_padding", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"output_shape", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"pads", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"strides", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static const odin_op_def op_convtranspose = {
    .name = "ConvTranspose", .domain = "", .since_version = 1,
    .min_inputs = 2, .max_inputs = 3, .min_outputs = 1, .max_outputs = 1,
    .attrs = convt_attrs, .infer = convt_infer, .eval = convt_eval,
    .doc = "transposed convolution with output_padding / output_shape, groups, dilations"};

const odin_op_def *const odin_ops_conv[] = {&op_conv, &op_convtranspose, &op_convinteger,
                                            &op_qlinearconv, NULL};
