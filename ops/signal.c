/* ops/signal.c — op family 'signal': DFT and STFT (direct O(n^2) transforms in double,
 * real [...,1] or complex [...,2] input, complex [...,2] output), the window generators
 * HannWindow / HammingWindow / BlackmanWindow, and MelWeightMatrix (the triangular mel
 * filter bank as the ONNX reference builds it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "shape_util.h"

#define PI 3.14159265358979323846
/* The reference transforms are O(n^2); longer ones (and j*k overflow) are refused. */
#define MAX_DFT ((int64_t)1 << 24)

/* A scalar (or one-element) integer input's value. */
static odin_status scalar_int(const odin_value *v, const char *what, int64_t *out) {
    if (!odin_dtype_is_int(v->dtype))
        return odin_errorf("%s has dtype %s, expected an integer", what, odin_dtype_name(v->dtype));
    if (odin_value_numel(v) != 1) return odin_errorf("%s must hold exactly one value", what);
    *out = odin_load_as_i64(v->data, v->dtype, 0);
    return ODIN_OK;
}

/* A scalar float-or-int input's value. */
static odin_status scalar_num(const odin_value *v, const char *what, double *out) {
    if (odin_value_numel(v) != 1) return odin_errorf("%s must hold exactly one value", what);
    *out = odin_load_as_f64(v->data, v->dtype, 0);
    return ODIN_OK;
}

/* output_datatype attribute (an ONNX TensorProto code) as a float dtype. */
static odin_status out_dtype(const odin_node *n, odin_dtype *t) {
    int64_t code = odin_attr_i(n, "output_datatype");
    *t = odin_dtype_from_onnx((int)code);
    if (*t == ODIN_UNDEFINED || *t == ODIN_STRING || *t == ODIN_BOOL)
        return odin_errorf("output_datatype %lld is not a supported numeric type", (long long)code);
    return ODIN_OK;
}

/* y[k] = sum_j x[j] e^(-+2 pi i jk/n) for k < nout; x holds `len` interleaved complex
 * samples (the rest of the n are zeros, extra ones are cut); inverse scales by 1/n. */
static void dft1(const double *x, int64_t len, int64_t n, int64_t nout, bool inverse, double *y) {
    double sign = inverse ? 1.0 : -1.0;
    for (int64_t k = 0; k < nout; k++) {
        double re = 0, im = 0;
        for (int64_t j = 0; j < len && j < n; j++) {
            /* jk mod n keeps the angle small, so the twiddles stay exact for large n */
            double ang = sign * 2 * PI * (double)((j * k) % n) / (double)n;
            double c = cos(ang), s = sin(ang);
            re += x[2 * j] * c - x[2 * j + 1] * s;
            im += x[2 * j] * s + x[2 * j + 1] * c;
        }
        if (inverse) re /= (double)n, im /= (double)n;
        y[2 * k] = re;
        y[2 * k + 1] = im;
    }
}

/* ---- DFT ----------------------------------------------------------------------------- */

typedef struct dft_cfg {
    int axis;
    int64_t n;  /* transform length, -1 when unknown */
    int64_t nout;
    bool inverse, onesided;
} dft_cfg;

static odin_status dft_config(const odin_op_ctx *ctx, dft_cfg *c) {
    const odin_value *x = &ctx->in[0];
    char s[128];
    if (!odin_dtype_is_float(x->dtype))
        return odin_errorf("input has dtype %s, expected a float type", odin_dtype_name(x->dtype));
    if (x->rank >= 0 && (x->rank < 2 || (x->dims[x->rank - 1] >= 0 && x->dims[x->rank - 1] != 1 &&
                                         x->dims[x->rank - 1] != 2)))
        return odin_errorf("input has shape %s, expected [...,1] (real) or [...,2] (complex)",
                           odin_shape_str(x, s, sizeof s));
    c->inverse = odin_attr_i(ctx->node, "inverse") != 0;
    c->onesided = odin_attr_i(ctx->node, "onesided") != 0;
    int64_t axis = odin_attr_i(ctx->node, "axis");
    if (ctx->opset >= 20) { /* axis became input 2, default -2 */
        axis = -2;
        if (odin_op_has_input(ctx, 2)) {
            if (!odin_value_known(&ctx->in[2])) return odin_errorf("axis input must be a constant");
            ODIN_TRY(scalar_int(&ctx->in[2], "axis", &axis));
        }
    }
    c->axis = -1;
    c->n = -1;
    if (x->rank < 0) return ODIN_OK;
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= x->rank - 1)
        return odin_errorf("axis %lld is not a signal dim of input shape %s", (long long)axis,
                           odin_shape_str(x, s, sizeof s));
    c->axis = (int)axis;
    c->n = x->dims[axis];
    if (odin_op_has_input(ctx, 1)) {
        c->n = -1;
        if (odin_value_known(&ctx->in[1])) {
            ODIN_TRY(scalar_int(&ctx->in[1], "dft_length", &c->n));
            if (c->n <= 0) return odin_errorf("dft_length %lld is not positive", (long long)c->n);
        }
    }
    if (c->n == 0 || c->n > MAX_DFT)
        return odin_errorf("transform length %lld is outside [1,%lld]", (long long)c->n, (long long)MAX_DFT);
    c->nout = c->n < 0 ? -1 : c->onesided ? c->n / 2 + 1 : c->n;
    return ODIN_OK;
}

static odin_status dft_infer(odin_op_ctx *ctx) {
    dft_cfg c;
    ODIN_TRY(dft_config(ctx, &c));
    const odin_value *x = &ctx->in[0];
    if (x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    int64_t dims[ODIN_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[c.axis] = c.nout;
    dims[x->rank - 1] = 2;
    return odin_op_set_output_checked(ctx, 0, x->dtype, x->rank, dims);
}

static odin_status dft_eval(odin_op_ctx *ctx) {
    ODIN_TRY(dft_infer(ctx));
    dft_cfg c;
    ODIN_TRY(dft_config(ctx, &c));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int r = x->rank;
    int64_t comps = x->dims[r - 1], len = x->dims[c.axis];
    int64_t outer = odin_dims_prod(x->dims, 0, c.axis), inner = odin_dims_prod(x->dims, c.axis + 1, r - 1);
    double *buf = malloc((size_t)(len > 0 ? len : 1) * 2 * sizeof *buf);
    double *res = malloc((size_t)c.nout * 2 * sizeof *res);
    if (!buf || !res) {
        free(buf);
        free(res);
        return odin_errorf("out of memory");
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            for (int64_t j = 0; j < len; j++) {
                int64_t at = ((o * len + j) * inner + i) * comps;
                buf[2 * j] = odin_load_as_f64(x->data, x->dtype, (size_t)at);
                buf[2 * j + 1] = comps == 2 ? odin_load_as_f64(x->data, x->dtype, (size_t)at + 1) : 0;
            }
            dft1(buf, len, c.n, c.nout, c.inverse, res);
            for (int64_t k = 0; k < c.nout; k++)
                for (int q = 0; q < 2; q++)
                    odin_store_from_f64(ctx->out[0].data, x->dtype,
                                        (size_t)(((o * c.nout + k) * inner + i) * 2 + q), res[2 * k + q]);
        }
    free(buf);
    free(res);
    return ODIN_OK;
}

static const odin_attr_schema dft_attrs[] = {
    {"axis", ODIN_ATTR_INT, false, 1}, {"inverse", ODIN_ATTR_INT, false, 0},
    {"onesided", ODIN_ATTR_INT, false, 0}, {NULL}};
static const odin_op_def dft_def = {
    "DFT", "", 17, 0, 1, 3, 1, 1, dft_attrs, dft_infer, dft_eval, NULL, 0,
    "discrete Fourier transform along one axis (inverse, onesided, dft_length)"};

/* ---- STFT ---------------------------------------------------------------------------- */

typedef struct stft_cfg {
    int64_t step, flen, frames, bins;
} stft_cfg;

static odin_status stft_config(const odin_op_ctx *ctx, stft_cfg *c) {
    const odin_value *x = &ctx->in[0];
    char s[128];
    if (!odin_dtype_is_float(x->dtype))
        return odin_errorf("signal has dtype %s, expected a float type", odin_dtype_name(x->dtype));
    if (x->rank >= 0 && (x->rank != 3 || (x->dims[2] >= 0 && x->dims[2] != 1 && x->dims[2] != 2)))
        return odin_errorf("signal has shape %s, expected [batch,length,1|2]", odin_shape_str(x, s, sizeof s));
    c->step = c->flen = c->frames = c->bins = -1;
    if (odin_value_known(&ctx->in[1])) {
        ODIN_TRY(scalar_int(&ctx->in[1], "frame_step", &c->step));
        if (c->step <= 0) return odin_errorf("frame_step %lld is not positive", (long long)c->step);
    }
    if (odin_op_has_input(ctx, 2)) {
        const odin_value *w = &ctx->in[2];
        if (w->rank >= 0 && w->rank != 1)
            return odin_errorf("window has shape %s, expected rank 1", odin_shape_str(w, s, sizeof s));
        if (w->rank == 1) c->flen = w->dims[0];
    }
    if (odin_op_has_input(ctx, 3)) {
        int64_t fl = -1;
        if (odin_value_known(&ctx->in[3])) ODIN_TRY(scalar_int(&ctx->in[3], "frame_length", &fl));
        if (fl >= 0 && c->flen >= 0 && fl != c->flen)
            return odin_errorf("frame_length %lld differs from the window length %lld",
                               (long long)fl, (long long)c->flen);
        if (fl >= 0) c->flen = fl;
        else c->flen = -1;
    } else if (!odin_op_has_input(ctx, 2)) {
        return odin_errorf("neither window nor frame_length is given");
    }
    if (c->flen == 0 || c->flen > MAX_DFT)
        return odin_errorf("frame_length %lld is outside [1,%lld]", (long long)c->flen, (long long)MAX_DFT);
    int64_t len = x->rank == 3 ? x->dims[1] : -1;
    if (c->flen > 0 && len >= 0 && c->flen > len)
        return odin_errorf("frame_length %lld exceeds the signal length %lld", (long long)c->flen,
                           (long long)len);
    if (c->flen > 0 && len >= 0 && c->step > 0) c->frames = (len - c->flen) / c->step + 1;
    bool onesided = odin_attr_i(ctx->node, "onesided") != 0;
    if (c->flen > 0) c->bins = onesided ? c->flen / 2 + 1 : c->flen;
    return ODIN_OK;
}

static odin_status stft_infer(odin_op_ctx *ctx) {
    stft_cfg c;
    ODIN_TRY(stft_config(ctx, &c));
    const odin_value *x = &ctx->in[0];
    return odin_op_set_output_checked(
        ctx, 0, x->dtype, 4, (int64_t[]){x->rank == 3 ? x->dims[0] : -1, c.frames, c.bins, 2});
}

static odin_status stft_eval(odin_op_ctx *ctx) {
    ODIN_TRY(stft_infer(ctx));
    stft_cfg c;
    ODIN_TRY(stft_config(ctx, &c));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *w = &ctx->in[2];
    bool has_w = odin_op_has_input(ctx, 2);
    int64_t nb = x->dims[0], len = x->dims[1], comps = x->dims[2];
    double *buf = malloc((size_t)c.flen * 2 * sizeof *buf), *res = malloc((size_t)c.bins * 2 * sizeof *res);
    if (!buf || !res) {
        free(buf);
        free(res);
        return odin_errorf("out of memory");
    }
    for (int64_t b = 0; b < nb; b++)
        for (int64_t f = 0; f < c.frames; f++) {
            for (int64_t j = 0; j < c.flen; j++) {
                int64_t at = (b * len + f * c.step + j) * comps;
                double wv = has_w ? odin_load_as_f64(w->data, w->dtype, (size_t)j) : 1.0;
                buf[2 * j] = wv * odin_load_as_f64(x->data, x->dtype, (size_t)at);
                buf[2 * j + 1] = comps == 2 ? wv * odin_load_as_f64(x->data, x->dtype, (size_t)at + 1) : 0;
            }
            dft1(buf, c.flen, c.flen, c.bins, false, res);
            for (int64_t k = 0; k < c.bins * 2; k++)
                odin_store_from_f64(ctx->out[0].data, x->dtype,
                                    (size_t)((b * c.frames + f) * c.bins * 2 + k), res[k]);
        }
    free(buf);
    free(res);
    return ODIN_OK;
}

static const odin_attr_schema stft_attrs[] = {{"onesided", ODIN_ATTR_INT, false, 1}, {NULL}};
static const odin_op_def stft_def = {
    "STFT", "", 17, 0, 2, 4, 1, 1, stft_attrs, stft_infer, stft_eval, NULL, 0,
    "short-time Fourier transform: DFT of windowed frames -> [batch,frames,bins,2]"};

/* ---- HannWindow / HammingWindow / BlackmanWindow ------------------------------------- */

typedef enum { WIN_HANN, WIN_HAMMING, WIN_BLACKMAN } window_kind;

static odin_status window_infer_kind(odin_op_ctx *ctx) {
    odin_dtype t;
    ODIN_TRY(out_dtype(ctx->node, &t));
    int64_t n = -1;
    if (odin_value_known(&ctx->in[0])) {
        ODIN_TRY(scalar_int(&ctx->in[0], "size", &n));
        if (n < 0) return odin_errorf("size %lld is negative", (long long)n);
    }
    return odin_op_set_output_checked(ctx, 0, t, 1, &n);
}

static odin_status window_eval_kind(odin_op_ctx *ctx, window_kind k) {
    ODIN_TRY(window_infer_kind(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    int64_t size = ctx->out[0].dims[0];
    bool periodic = odin_attr_i(ctx->node, "periodic") != 0;
    double n = (double)(periodic ? size : size - 1);
    for (int64_t i = 0; i < size; i++) {
        double a = n > 0 ? 2 * PI * (double)i / n : 0, v;
        if (k == WIN_HANN) v = 0.5 - 0.5 * cos(a);
        else if (k == WIN_HAMMING) v = 25.0 / 46.0 - (1 - 25.0 / 46.0) * cos(a);
        else v = 0.42 - 0.5 * cos(a) + 0.08 * cos(2 * a);
        if (n <= 0) v = 1; /* a one-point symmetric window */
        odin_store_from_f64(ctx->out[0].data, ctx->out[0].dtype, (size_t)i, v);
    }
    return ODIN_OK;
}

static odin_status hann_eval(odin_op_ctx *ctx) { return window_eval_kind(ctx, WIN_HANN); }
static odin_status hamming_eval(odin_op_ctx *ctx) { return window_eval_kind(ctx, WIN_HAMMING); }
static odin_status blackman_eval(odin_op_ctx *ctx) { return window_eval_kind(ctx, WIN_BLACKMAN); }

static const odin_attr_schema window_attrs[] = {
    {"output_datatype", ODIN_ATTR_INT, false, 1}, {"periodic", ODIN_ATTR_INT, false, 1}, {NULL}};
static const odin_op_def hann_def = {
    "HannWindow", "", 17, 0, 1, 1, 1, 1, window_attrs, window_infer_kind, hann_eval, NULL, 0,
    "Hann window 0.5 - 0.5 cos(2 pi n / N) (periodic: N = size, else size - 1)"};
static const odin_op_def hamming_def = {
    "HammingWindow", "", 17, 0, 1, 1, 1, 1, window_attrs, window_infer_kind, hamming_eval, NULL, 0,
    "Hamming window 25/46 - 21/46 cos(2 pi n / N)"};
static const odin_op_def blackman_def = {
    "BlackmanWindow", "", 17, 0, 1, 1, 1, 1, window_attrs, window_infer_kind, blackman_eval, NULL, 0,
    "Blackman window 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)"};

/* ---- MelWeightMatrix ----------------------------------------------------------------- */

static odin_status mel_infer(odin_op_ctx *ctx) {
    odin_dtype t;
    ODIN_TRY(out_dtype(ctx->node, &t));
    int64_t dims[2] = {-1, -1};
    if (odin_value_known(&ctx->in[0])) ODIN_TRY(scalar_int(&ctx->in[0], "num_mel_bins", &dims[1]));
    if (odin_value_known(&ctx->in[1])) {
        int64_t dft;
        ODIN_TRY(scalar_int(&ctx->in[1], "dft_length", &dft));
        if (dft <= 0) return odin_errorf("dft_length %lld is not positive", (long long)dft);
        dims[0] = dft / 2 + 1;
    }
    if (dims[1] == 0 || dims[1] < -1) return odin_errorf("num_mel_bins %lld is not positive", (long long)dims[1]);
    return odin_op_set_output_checked(ctx, 0, t, 2, dims);
}

static double hz_to_mel(double hz) { return 2595.0 * log10(1 + hz / 700.0); }
static double mel_to_hz(double mel) { return 700.0 * (pow(10, mel / 2595.0) - 1); }

static odin_status mel_eval(odin_op_ctx *ctx) {
    ODIN_TRY(mel_infer(ctx));
    int64_t bins = ctx->out[0].dims[1], spec = ctx->out[0].dims[0], dft, rate;
    double lo, hi;
    ODIN_TRY(scalar_int(&ctx->in[1], "dft_length", &dft));
    ODIN_TRY(scalar_int(&ctx->in[2], "sample_rate", &rate));
    ODIN_TRY(scalar_num(&ctx->in[3], "lower_edge_hertz", &lo));
    ODIN_TRY(scalar_num(&ctx->in[4], "upper_edge_hertz", &hi));
    if (rate <= 0) return odin_errorf("sample_rate %lld is not positive", (long long)rate);
    if (!(lo >= 0 && lo <= hi && hi <= 1e9))
        return odin_errorf("edges [%g, %g] Hz are not 0 <= lower <= upper", lo, hi);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    int64_t *fb = malloc((size_t)(bins + 2) * sizeof *fb);
    if (!fb) return odin_errorf("out of memory");
    /* num_mel_bins + 2 points spaced evenly in mel, as spectrogram bin indices (the ONNX
     * reference divides the mel span by the point count) */
    double mlo = hz_to_mel(lo), step = (hz_to_mel(hi) - mlo) / (double)(bins + 2);
    for (int64_t i = 0; i < bins + 2; i++)
        fb[i] = (int64_t)floor((double)(dft + 1) * mel_to_hz((double)i * step + mlo) / (double)rate);
    odin_status st = ODIN_OK;
    void *out = ctx->out[0].data;
    odin_dtype t = ctx->out[0].dtype;
    for (int64_t i = 0; i < bins && !st; i++) {
        int64_t l = fb[i], c = fb[i + 1], h = fb[i + 2];
        if (l < 0 || c >= spec || h > spec) {
            st = odin_errorf("mel bin %lld reaches spectrogram bin %lld of %lld", (long long)i,
                             (long long)h, (long long)spec);
            break;
        }
        if (c == l) odin_store_from_f64(out, t, (size_t)(c * bins + i), 1.0);
        else
            for (int64_t j = l; j <= c; j++)
                odin_store_from_f64(out, t, (size_t)(j * bins + i), (double)(j - l) / (double)(c - l));
        for (int64_t j = c; j < h; j++)
            odin_store_from_f64(out, t, (size_t)(j * bins + i), (double)(h - j) / (double)(h - c));
    }
    free(fb);
    return st;
}

static const odin_attr_schema mel_attrs[] = {{"output_datatype", ODIN_ATTR_INT, false, 1}, {NULL}};
static const odin_op_def mel_def = {
    "MelWeightMatrix", "", 17, 0, 5, 5, 1, 1, mel_attrs, mel_infer, mel_eval, NULL, 0,
    "triangular mel filter bank [dft_length/2+1, num_mel_bins]"};

const odin_op_def *const odin_ops_signal[] = {&dft_def, &stft_def, &hann_def, &hamming_def,
                                             &blackman_def, &mel_def, NULL};
