/* ops/resize.c — Resize and the deprecated Upsample (listed in the 'misc' family).
 * Follows the ONNX reference implementation: each resized axis maps an output
 * coordinate to an input coordinate (coordinate_transformation_mode), then takes a
 * weighted sum of neighbours (nearest: 1 tap, linear: 2, cubic: 4, more with
 * antialias), with edge clamping; axes combine separably (bilinear, trilinear...). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "resize.h"
#include "shape_util.h"

#define MAXR ODIN_MAX_RANK

typedef enum { M_NEAREST, M_LINEAR, M_CUBIC } interp_mode;
typedef enum {
    C_HALF_PIXEL, C_HALF_PIXEL_SYMMETRIC, C_PYTORCH_HALF_PIXEL, C_ALIGN_CORNERS, C_ASYMMETRIC,
    C_TF_CROP_AND_RESIZE, C_TF_HALF_PIXEL_FOR_NN
} coord_mode;
/* N_SIMPLE: Upsample / Resize-10 as onnxruntime runs them: floor when upsampling an
 * axis, ceil when downsampling it. */
typedef enum { N_ROUND_PREFER_FLOOR, N_ROUND_PREFER_CEIL, N_FLOOR, N_CEIL, N_SIMPLE } nearest_mode;

typedef struct resize_params {
    interp_mode mode;
    coord_mode coord;
    nearest_mode nearest;
    double cubic_a, extrapolation;
    bool exclude_outside, antialias;
    int rank;
    double scale[MAXR];
    double roi_start[MAXR], roi_end[MAXR];
    int64_t out[MAXR];
    bool known; /* scales / sizes were constant */
} resize_params;

static bool is_upsample(const odin_op_ctx *ctx) { return strcmp(ctx->node->op, "Upsample") == 0; }

static odin_status parse_modes(odin_op_ctx *ctx, resize_params *p) {
    const char *m = odin_attr_s(ctx->node, "mode");
    if (!m || !strcmp(m, "nearest")) p->mode = M_NEAREST;
    else if (!strcmp(m, "linear") || !strcmp(m, "bilinear")) p->mode = M_LINEAR;
    else if (!strcmp(m, "cubic") && !is_upsample(ctx)) p->mode = M_CUBIC;
    else return odin_errorf("unknown mode '%s'", m);
    /* Upsample and Resize-10: asymmetric coordinates */
    if (is_upsample(ctx) || ctx->opset < 11) {
        p->coord = C_ASYMMETRIC;
        p->nearest = N_SIMPLE;
        p->cubic_a = -0.75;
        return ODIN_OK;
    }
    const char *c = odin_attr_s(ctx->node, "coordinate_transformation_mode");
    static const char *const coords[] = {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel",
                                         "align_corners", "asymmetric", "tf_crop_and_resize",
                                         "tf_half_pixel_for_nn"};
    p->coord = (coord_mode)-1;
    for (int i = 0; i < 7; i++)
        if (c && !strcmp(c, coords[i])) p->coord = (coord_mode)i;
    if ((int)p->coord < 0) return odin_errorf("unknown coordinate_transformation_mode '%s'", c ? c : "");
    const char *n = odin_attr_s(ctx->node, "nearest_mode");
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    p->nearest = (nearest_mode)-1;
    for (int i = 0; i < 4; i++)
        if (n && !strcmp(n, nearests[i])) p->nearest = (nearest_mode)i;
    if ((int)p->nearest < 0) return odin_errorf("unknown nearest_mode '%s'", n ? n : "");
    p->cubic_a = odin_attr_f(ctx->node, "cubic_coeff_a");
    p->extrapolation = odin_attr_f(ctx->node, "extrapolation_value");
    p->exclude_outside = odin_attr_i(ctx->node, "exclude_outside") != 0;
    p->antialias = ctx->opset >= 18 && odin_attr_i(ctx->node, "antialias") != 0;
    return ODIN_OK;
}

/* A float input of scales, or NULL-equivalent (n = -1) when absent or empty. */
static odin_status read_floats(const odin_value *v, const char *what, double *out, int max, int *n) {
    *n = -1;
    if (v->dtype == ODIN_UNDEFINED || odin_value_numel(v) == 0) return ODIN_OK;
    if (!odin_dtype_is_float(v->dtype)) return odin_errorf("%s must be a float tensor", what);
    int64_t c = odin_value_numel(v);
    if (c < 0 || c > max) return odin_errorf("%s has %lld values, expected at most %d", what,
                                             (long long)c, max);
    for (int64_t i = 0; i < c; i++) out[i] = odin_load_as_f64(v->data, v->dtype, (size_t)i);
    *n = (int)c;
    return ODIN_OK;
}

static const odin_value *input_or_null(odin_op_ctx *ctx, int i) {
    static const odin_value none = {.dtype = ODIN_UNDEFINED, .rank = -1};
    return odin_op_has_input(ctx, i) ? &ctx->in[i] : &none;
}

/* Output dims and per-axis scales from scales / sizes / roi (plus axes and
 * keep_aspect_ratio_policy from opset 18). */
static odin_status resize_params_make(odin_op_ctx *ctx, resize_params *p) {
    const odin_value *x = &ctx->in[0];
    memset(p, 0, sizeof *p);
    ODIN_TRY(parse_modes(ctx, p));
    p->rank = x->rank;
    p->known = false;
    if (x->rank < 0) return ODIN_OK;
    if (x->rank == 0) return odin_errorf("input must have rank >= 1");
    int axes[MAXR], n_axes = x->rank;
    for (int d = 0; d < x->rank; d++) {
        axes[d] = d;
        p->scale[d] = 1;
        p->out[d] = x->dims[d];
        p->roi_start[d] = 0;
        p->roi_end[d] = 1;
    }
    if (ctx->opset >= 18 && !is_upsample(ctx) && odin_node_has_attr(ctx->node, "axes")) {
        const int64_t *a;
        n_axes = odin_attr_ints(ctx->node, "axes", &a);
        if (n_axes > x->rank) return odin_errorf("too many axes");
        for (int i = 0; i < n_axes; i++) ODIN_TRY(odin_norm_axis(a[i], x->rank, &axes[i]));
    }
    /* where each input sits */
    const odin_value *roi = NULL, *scales = NULL, *sizes = NULL;
    double attr_scales[MAXR];
    int n_scales = -1, n_sizes = -1;
    if (is_upsample(ctx) && ctx->opset < 9) {
        const float *f;
        n_scales = odin_attr_floats(ctx->node, "scales", &f);
        if (n_scales > MAXR) return odin_errorf("too many scales");
        for (int i = 0; i < n_scales; i++) attr_scales[i] = f[i];
        if (!n_scales) n_scales = -1;
    } else if (is_upsample(ctx) || ctx->opset < 11) {
        scales = input_or_null(ctx, 1);
    } else {
        roi = input_or_null(ctx, 1);
        scales = input_or_null(ctx, 2);
        sizes = input_or_null(ctx, 3);
    }
    if ((scales && scales->dtype != ODIN_UNDEFINED && !odin_value_known(scales)) ||
        (sizes && sizes->dtype != ODIN_UNDEFINED && !odin_value_known(sizes))) {
        for (int i = 0; i < n_axes; i++) p->out[axes[i]] = -1;
        return ODIN_OK;
    }
    if (scales) ODIN_TRY(read_floats(scales, "scales", attr_scales, MAXR, &n_scales));
    int64_t sz[MAXR];
    if (sizes && sizes->dtype != ODIN_UNDEFINED && odin_value_numel(sizes) > 0) {
        ODIN_TRY(odin_value_ints(sizes, "sizes", sz, MAXR, &n_sizes));
        if (n_scales >= 0) return odin_errorf("only one of scales and sizes may be given");
    }
    if (n_scales < 0 && n_sizes < 0) return odin_errorf("one of scales and sizes is required");
    int n_given = n_scales >= 0 ? n_scales : n_sizes;
    if (n_given != n_axes)
        return odin_errorf("%s has %d values for %d axes", n_scales >= 0 ? "scales" : "sizes",
                           n_given, n_axes);
    /* roi only moves the sampling positions, so shape inference without its data (a graph
     * input) goes on; eval always has it. */
    if (roi && roi->dtype != ODIN_UNDEFINED && odin_value_numel(roi) > 0 &&
        p->coord == C_TF_CROP_AND_RESIZE && odin_value_known(roi)) {
        double r[2 * MAXR];
        int n_roi;
        ODIN_TRY(read_floats(roi, "roi", r, 2 * MAXR, &n_roi));
        if (n_roi != 2 * n_axes) return odin_errorf("roi has %d values, expected %d", n_roi, 2 * n_axes);
        for (int i = 0; i < n_axes; i++) {
            p->roi_start[axes[i]] = r[i];
            p->roi_end[axes[i]] = r[i + n_axes];
        }
    }
    for (int i = 0; i < n_axes; i++) {
        int d = axes[i];
        if (x->dims[d] < 0) {
            p->out[d] = -1;
            continue;
        }
        if (n_scales >= 0) {
            if (!(attr_scales[i] > 0) || attr_scales[i] > 1e6)
                return odin_errorf("scales[%d] = %g is invalid", i, attr_scales[i]);
            p->scale[d] = attr_scales[i];
            p->out[d] = (int64_t)floor((double)x->dims[d] * attr_scales[i]);
        } else {
            if (sz[i] < 0) return odin_errorf("sizes[%d] = %lld is negative", i, (long long)sz[i]);
            p->out[d] = sz[i];
            p->scale[d] = x->dims[d] ? (double)sz[i] / (double)x->dims[d] : 1;
        }
    }
    const char *policy = ctx->opset >= 18 ? odin_attr_s(ctx->node, "keep_aspect_ratio_policy") : NULL;
    if (n_sizes >= 0 && policy && strcmp(policy, "stretch") != 0) {
        bool larger = !strcmp(policy, "not_smaller");
        if (!larger && strcmp(policy, "not_larger"))
            return odin_errorf("unknown keep_aspect_ratio_policy '%s'", policy);
        double s = larger ? 0 : INFINITY;
        for (int i = 0; i < n_axes; i++) {
            double si = p->scale[axes[i]];
            s = larger ? fmax(s, si) : fmin(s, si);
        }
        for (int i = 0; i < n_axes; i++) {
            int d = axes[i];
            p->scale[d] = s;
            if (x->dims[d] >= 0) p->out[d] = (int64_t)floor(s * (double)x->dims[d] + 0.5);
        }
    }
    p->known = true;
    return ODIN_OK;
}

static odin_status resize_infer(odin_op_ctx *ctx) {
    resize_params p;
    ODIN_TRY(resize_params_make(ctx, &p));
    const odin_value *x = &ctx->in[0];
    return odin_op_set_output_checked(ctx, 0, x->dtype, x->rank, x->rank >= 0 ? p.out : NULL);
}

static double cubic_w(double x, double a) {
    x = fabs(x);
    if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    return 0;
}

static double input_coord(const resize_params *p, int d, int64_t o, int64_t in) {
    double s = p->scale[d], x = (double)o, outw = s * (double)in;
    switch (p->coord) {
    case C_ALIGN_CORNERS: return outw == 1 ? 0 : x * (double)(in - 1) / (outw - 1);
    case C_ASYMMETRIC: return x / s;
    case C_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / s; /* opset 11-12 */
    case C_PYTORCH_HALF_PIXEL: return outw == 1 ? -0.5 : (x + 0.5) / s - 0.5;
    case C_HALF_PIXEL_SYMMETRIC: {
        double adj = (double)p->out[d] / outw, center = (double)in / 2;
        return center * (1 - adj) + (x + 0.5) / s - 0.5;
    }
    case C_TF_CROP_AND_RESIZE: {
        double r0 = p->roi_start[d], r1 = p->roi_end[d];
        double xo = outw == 1 ? (r1 - r0) * (double)(in - 1) / 2
                              : x * (r1 - r0) * (double)(in - 1) / (outw - 1);
        return xo + r0 * (double)(in - 1);
    }
    default: return (x + 0.5) / s - 0.5;
    }
}

/* Fill one output coordinate's taps into idx/w (capacity cap); returns the tap count. */
static int make_taps(const resize_params *p, int d, int64_t in, double xo, int64_t *idx,
                     double *w, int cap) {
    double fl = floor(xo);
    int64_t base = (int64_t)fl;
    double ratio = xo - fl;
    if (ratio == 0) { /* integer coordinate: the reference takes ratio 1 on the left pixel */
        ratio = 1;
        base -= 1;
    }
    int n = 0;
    if (p->mode == M_NEAREST) {
        int64_t j;
        if (ratio == 1) j = base + 1;
        else switch (p->nearest) {
            case N_ROUND_PREFER_FLOOR: j = ratio <= 0.5 ? base : base + 1; break;
            case N_ROUND_PREFER_CEIL: j = ratio < 0.5 ? base : base + 1; break;
            case N_FLOOR: j = base; break;
            case N_SIMPLE: j = p->scale[d] < 1 ? base + 1 : base; break;
            default: j = base + 1; break;
            }
        idx[0] = j;
        w[0] = 1;
        n = 1;
    } else {
        double s = p->antialias ? fmin(p->scale[d], 1.0) : 1.0;
        int64_t lo, hi; /* tap offsets from base, inclusive */
        if (p->mode == M_LINEAR) {
            lo = (int64_t)floor(-1 / s) + 1;
            hi = 1 - lo;
        } else {
            lo = (int64_t)floor(-2 / s) + 1;
            hi = 1 - lo;
        }
        for (int64_t k = lo; k <= hi && n < cap; k++, n++) {
            double t = ((double)k - ratio) * s;
            idx[n] = base + k;
            w[n] = p->mode == M_LINEAR ? fmax(0.0, 1 - fabs(t)) : cubic_w(t, p->cubic_a);
        }
        double sum = 0;
        for (int k = 0; k < n; k++) sum += w[k];
        if (p->antialias && sum != 0)
            for (int k = 0; k < n; k++) w[k] /= sum;
    }
    if (p->exclude_outside) {
        double sum = 0;
        for (int k = 0; k < n; k++) {
            if (idx[k] < 0 || idx[k] >= in) w[k] = 0;
            sum += w[k];
        }
        if (sum != 0)
            for (int k = 0; k < n; k++) w[k] /= sum;
    }
    for (int k = 0; k < n; k++) idx[k] = idx[k] < 0 ? 0 : idx[k] >= in ? in - 1 : idx[k];
    return n;
}

typedef struct resize_run {
    const resize_params *p;
    odin_resize_axis taps[MAXR];
    int64_t xs[MAXR];
    const odin_value *x;
} resize_run;

static double interp(const resize_run *r, int d, const int64_t *o, int64_t off) {
    if (d == r->p->rank) return odin_load_as_f64(r->x->data, r->x->dtype, (size_t)off);
    const odin_resize_axis *t = &r->taps[d];
    double acc = 0;
    int64_t s = o[d] * t->cap;
    for (int64_t k = 0; k < t->n[o[d]]; k++) {
        double w = t->w[s + k];
        if (w != 0) acc += w * interp(r, d + 1, o, off + t->idx[s + k] * r->xs[d]);
    }
    return acc;
}

/* Per-axis tap tables of an output of dims out (from p and x's dims). */
static odin_status build_taps(const resize_params *p, const odin_value *x, const int64_t *out_dims,
                              odin_resize_axis *taps) {
    memset(taps, 0, sizeof *taps * (size_t)x->rank);
    for (int d = 0; d < x->rank; d++) {
        int64_t in = x->dims[d], out = out_dims[d];
        double s = p->antialias ? fmin(p->scale[d], 1.0) : 1.0;
        int cap = p->mode == M_NEAREST ? 1 : (int)fmin(4.0 / s + 4, 1 << 20);
        odin_resize_axis *t = &taps[d];
        t->in = in;
        t->out = out;
        t->cap = cap;
        t->n = malloc(sizeof *t->n * (size_t)(out ? out : 1));
        t->outside = malloc(sizeof *t->outside * (size_t)(out ? out : 1));
        t->idx = calloc((size_t)(out ? out : 1) * (size_t)cap, sizeof *t->idx);
        t->w = calloc((size_t)(out ? out : 1) * (size_t)cap, sizeof *t->w);
        if (!t->n || !t->outside || !t->idx || !t->w) return odin_errorf("out of memory");
        for (int64_t o = 0; o < out; o++) {
            double xo = input_coord(p, d, o, in);
            t->outside[o] = p->coord == C_TF_CROP_AND_RESIZE && (xo < 0 || xo > (double)(in - 1));
            t->n[o] = make_taps(p, d, in, xo, t->idx + o * cap, t->w + o * cap, cap);
        }
    }
    return ODIN_OK;
}

static void free_taps(odin_resize_axis *taps, int rank) {
    for (int d = 0; d < rank; d++) {
        free(taps[d].n);
        free(taps[d].outside);
        free(taps[d].idx);
        free(taps[d].w);
        memset(&taps[d], 0, sizeof taps[d]);
    }
}

static odin_status resize_eval(odin_op_ctx *ctx) {
    ODIN_TRY(resize_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    resize_params p;
    ODIN_TRY(resize_params_make(ctx, &p));
    const odin_value *x = &ctx->in[0];
    odin_value *y = &ctx->out[0];
    if (odin_value_numel(y) == 0) return ODIN_OK;
    if (odin_value_numel(x) == 0) return odin_errorf("cannot resize an empty input");
    resize_run r = {.p = &p, .x = x};
    odin_strides(x->rank, x->dims, r.xs);
    odin_status st = build_taps(&p, x, y->dims, r.taps);
    if (!st) {
        int64_t n = odin_value_numel(y), o[MAXR] = {0};
        bool is_int = odin_dtype_is_int(y->dtype);
        for (int64_t i = 0; i < n; i++) {
            bool outside = false;
            for (int d = 0; d < x->rank; d++) outside |= r.taps[d].outside[o[d]];
            double v = outside ? p.extrapolation : interp(&r, 0, o, 0);
            odin_store_from_f64(y->data, y->dtype, (size_t)i, is_int ? nearbyint(v) : v);
            for (int d = x->rank - 1; d >= 0; d--) {
                if (++o[d] < y->dims[d]) break;
                o[d] = 0;
            }
        }
    }
    free_taps(r.taps, x->rank);
    return st;
}

odin_status odin_resize_taps_of_node(const odin_graph *g, int node, odin_resize_taps *t) {
    const odin_node *n = &g->nodes[node];
    memset(t, 0, sizeof *t);
    if (n->n_inputs < 1 || n->n_inputs > 4 || n->n_outputs != 1 || n->inputs[0] < 0 ||
        n->outputs[0] < 0)
        return odin_errorf("Resize node has unexpected inputs or outputs");
    odin_value in[4];
    for (int i = 0; i < n->n_inputs; i++)
        in[i] = n->inputs[i] < 0 ? (odin_value){.dtype = ODIN_UNDEFINED, .rank = -1}
                                 : odin_tensor_value(g, n->inputs[i]);
    odin_op_ctx ctx = {.node = n, .opset = g->opset, .n_in = n->n_inputs, .n_out = 1, .in = in};
    resize_params p;
    ODIN_TRY(resize_params_make(&ctx, &p));
    const odin_tensor *y = &g->tensors[n->outputs[0]];
    if (!p.known || in[0].rank != y->rank) return odin_errorf("scales or sizes are not constant");
    /* roi moves tf_crop_and_resize's sampling points: it must be known too */
    if (p.coord == C_TF_CROP_AND_RESIZE && n->n_inputs > 1 && n->inputs[1] >= 0 &&
        odin_value_numel(&in[1]) > 0 && !odin_value_known(&in[1]))
        return odin_errorf("roi is not constant");
    for (int d = 0; d < y->rank; d++)
        if (p.out[d] != y->dims[d] || y->dims[d] < 0 || in[0].dims[d] <= 0)
            return odin_errorf("output shape is not static");
    t->rank = y->rank;
    t->extrapolation = p.extrapolation;
    odin_status st = build_taps(&p, &in[0], y->dims, t->axis);
    if (st) free_taps(t->axis, t->rank);
    return st;
}

void odin_resize_taps_free(odin_resize_taps *t) { free_taps(t->axis, t->rank); }

static const odin_attr_schema resize_attrs[] = {
    {"mode", ODIN_ATTR_STRING, false, 0, 0, "nearest"},
    {"coordinate_transformation_mode", ODIN_ATTR_STRING, false, 0, 0, "half_pixel"},
    {"nearest_mode", ODIN_ATTR_STRING, false, 0, 0, "round_prefer_floor"},
    {"cubic_coeff_a", ODIN_ATTR_FLOAT, false, 0, -0.75f},
    {"exclude_outside", ODIN_ATTR_INT, false, 0},
    {"extrapolation_value", ODIN_ATTR_FLOAT, false, 0, 0.0f},
    {"antialias", ODIN_ATTR_INT, false, 0},
    {"axes", ODIN_ATTR_INTS, false},
    {"keep_aspect_ratio_policy", ODIN_ATTR_STRING, false, 0, 0, "stretch"},
    {NULL}};
const odin_op_def odin_op_resize = {
    "Resize", "", 10, 0, 1, 4, 1, 1, resize_attrs, resize_infer, resize_eval, NULL, 0,
    "resize by scales or sizes (nearest/linear/cubic, all coordinate modes, antialias)"};

static const odin_attr_schema upsample_attrs[] = {
    {"mode", ODIN_ATTR_STRING, false, 0, 0, "nearest"}, {"scales", ODIN_ATTR_FLOATS, false}, {NULL}};
const odin_op_def odin_op_upsample = {
    "Upsample", "", 7, 9, 1, 2, 1, 1, upsample_attrs, resize_infer, resize_eval, NULL, 0,
    "deprecated Resize: asymmetric nearest (floor) or linear"};
