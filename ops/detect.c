/* ops/detect.c — op family 'detect': the detection / spatial-sampling ops
 * NonMaxSuppression (greedy per batch and class), RoiAlign (average or max of bilinear
 * samples per output bin, as onnxruntime computes it) and GridSample (bilinear, nearest
 * or bicubic sampling at normalized grid points, padding zeros / border / reflection,
 * as torch.nn.functional.grid_sample computes it). Math in double, rounded to the dtype. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "shape_util.h"

static double ld(const odin_value *v, int64_t i) {
    return odin_load_as_f64(v->data, v->dtype, (size_t)i);
}

/* ---- NonMaxSuppression -------------------------------------------------------------- */

static odin_status nms_infer(odin_op_ctx *ctx) {
    const odin_value *b = &ctx->in[0], *s = &ctx->in[1];
    char sb[128], ss[128];
    if (!odin_dtype_is_float(b->dtype) || s->dtype != b->dtype)
        return odin_errorf("boxes and scores must share a float dtype (got %s and %s)",
                           odin_dtype_name(b->dtype), odin_dtype_name(s->dtype));
    if (b->rank >= 0 && (b->rank != 3 || (b->dims[2] >= 0 && b->dims[2] != 4)))
        return odin_errorf("boxes has shape %s, expected [batch,boxes,4]", odin_shape_str(b, sb, sizeof sb));
    if (s->rank >= 0 && s->rank != 3)
        return odin_errorf("scores has shape %s, expected [batch,classes,boxes]",
                           odin_shape_str(s, ss, sizeof ss));
    if (b->rank == 3 && s->rank == 3 &&
        ((b->dims[0] >= 0 && s->dims[0] >= 0 && b->dims[0] != s->dims[0]) ||
         (b->dims[1] >= 0 && s->dims[2] >= 0 && b->dims[1] != s->dims[2])))
        return odin_errorf("boxes %s and scores %s disagree on batch or box count",
                           odin_shape_str(b, sb, sizeof sb), odin_shape_str(s, ss, sizeof ss));
    for (int i = 2; i < 5; i++)
        if (odin_op_has_input(ctx, i) && ctx->in[i].rank > 0 && odin_value_numel(&ctx->in[i]) > 1)
            return odin_errorf("input %d must be a scalar or hold one element", i);
    if (odin_op_has_input(ctx, 2) && !odin_dtype_is_int(ctx->in[2].dtype))
        return odin_errorf("max_output_boxes_per_class has dtype %s, expected int64",
                           odin_dtype_name(ctx->in[2].dtype));
    int64_t cpb = odin_attr_i(ctx->node, "center_point_box");
    if (cpb != 0 && cpb != 1) return odin_errorf("center_point_box %lld is not 0 or 1", (long long)cpb);
    odin_op_set_output(ctx, 0, ODIN_I64, 2, (int64_t[]){-1, 3});
    return ODIN_OK;
}

typedef struct nms_box {
    double y1, x1, y2, x2; /* min corner, max corner */
} nms_box;

static nms_box nms_read_box(const odin_value *b, int64_t at, bool center) {
    double v[4];
    for (int k = 0; k < 4; k++) v[k] = ld(b, at + k);
    nms_box r;
    if (center) { /* [x_center, y_center, width, height] */
        r.x1 = v[0] - v[2] / 2, r.x2 = v[0] + v[2] / 2;
        r.y1 = v[1] - v[3] / 2, r.y2 = v[1] + v[3] / 2;
    } else { /* [y1, x1, y2, x2], either diagonal */
        r.y1 = fmin(v[0], v[2]), r.y2 = fmax(v[0], v[2]);
        r.x1 = fmin(v[1], v[3]), r.x2 = fmax(v[1], v[3]);
    }
    return r;
}

static double nms_iou(const nms_box *a, const nms_box *b) {
    double area_a = (a->y2 - a->y1) * (a->x2 - a->x1), area_b = (b->y2 - b->y1) * (b->x2 - b->x1);
    if (area_a <= 0 || area_b <= 0) return 0;
    double ih = fmin(a->y2, b->y2) - fmax(a->y1, b->y1), iw = fmin(a->x2, b->x2) - fmax(a->x1, b->x1);
    if (ih <= 0 || iw <= 0) return 0;
    double inter = ih * iw;
    return inter / (area_a + area_b - inter);
}

typedef struct nms_cand {
    double score;
    int64_t index;
} nms_cand;

/* Highest score first; equal scores keep the lower box index first. */
static int nms_cmp(const void *pa, const void *pb) {
    const nms_cand *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static odin_status nms_eval(odin_op_ctx *ctx) {
    ODIN_TRY(nms_infer(ctx));
    const odin_value *bx = &ctx->in[0], *sc = &ctx->in[1];
    int64_t nb = bx->dims[0], nbox = bx->dims[1], ncls = sc->dims[1];
    if (sc->dims[0] != nb || sc->dims[2] != nbox)
        return odin_errorf("boxes and scores disagree on batch or box count");
    int64_t max_out = 0;
    double iou_th = 0, score_th = 0;
    bool has_score_th = odin_op_has_input(ctx, 4) && odin_value_numel(&ctx->in[4]) == 1;
    if (odin_op_has_input(ctx, 2) && odin_value_numel(&ctx->in[2]) == 1)
        max_out = odin_load_as_i64(ctx->in[2].data, ctx->in[2].dtype, 0);
    if (odin_op_has_input(ctx, 3) && odin_value_numel(&ctx->in[3]) == 1) iou_th = ld(&ctx->in[3], 0);
    if (has_score_th) score_th = ld(&ctx->in[4], 0);
    if (max_out < 0) max_out = 0;
    if (max_out > nbox) max_out = nbox;
    bool center = odin_attr_i(ctx->node, "center_point_box") == 1;

    nms_box *boxes = malloc((size_t)(nbox > 0 ? nbox : 1) * sizeof *boxes);
    nms_cand *cand = malloc((size_t)(nbox > 0 ? nbox : 1) * sizeof *cand);
    int64_t *sel = malloc((size_t)(nbox > 0 ? nbox : 1) * sizeof *sel);
    int64_t total_cap = nb * ncls * max_out, n_sel_all = 0;
    int64_t *out = malloc((size_t)(total_cap > 0 ? total_cap : 1) * 3 * sizeof *out);
    odin_status st = (!boxes || !cand || !sel || !out) ? odin_errorf("out of memory") : ODIN_OK;
    for (int64_t b = 0; !st && b < nb; b++) {
        for (int64_t i = 0; i < nbox; i++) boxes[i] = nms_read_box(bx, (b * nbox + i) * 4, center);
        for (int64_t c = 0; c < ncls; c++) {
            int64_t nc = 0, ns = 0;
            for (int64_t i = 0; i < nbox; i++) {
                double s = ld(sc, (b * ncls + c) * nbox + i);
                if (!has_score_th || s > score_th) cand[nc++] = (nms_cand){s, i};
            }
            qsort(cand, (size_t)nc, sizeof *cand, nms_cmp);
            for (int64_t k = 0; k < nc && ns < max_out; k++) {
                bool keep = true;
                for (int64_t j = 0; keep && j < ns; j++)
                    if (nms_iou(&boxes[cand[k].index], &boxes[sel[j]]) > iou_th) keep = false;
                if (keep) sel[ns++] = cand[k].index;
            }
            for (int64_t j = 0; j < ns; j++, n_sel_all++) {
                out[n_sel_all * 3] = b;
                out[n_sel_all * 3 + 1] = c;
                out[n_sel_all * 3 + 2] = sel[j];
            }
        }
    }
    if (!st) {
        odin_op_set_output(ctx, 0, ODIN_I64, 2, (int64_t[]){n_sel_all, 3});
        st = odin_op_alloc_output(ctx, 0);
        if (!st && n_sel_all) memcpy(ctx->out[0].data, out, (size_t)n_sel_all * 3 * sizeof *out);
    }
    free(boxes);
    free(cand);
    free(sel);
    free(out);
    return st;
}

static const odin_attr_schema nms_attrs[] = {{"center_point_box", ODIN_ATTR_INT, false, 0}, {NULL}};
static const odin_op_def nms_def = {
    "NonMaxSuppression", "", 10, 0, 2, 5, 1, 1, nms_attrs, nms_infer, nms_eval, NULL, 0,
    "greedy non-maximum suppression per batch and class -> [k,3] (batch, class, box)"};

/* ---- RoiAlign ------------------------------------------------------------------------ */

static odin_status roialign_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *r = &ctx->in[1], *bi = &ctx->in[2];
    char s[128];
    if (!odin_dtype_is_float(x->dtype) || r->dtype != x->dtype)
        return odin_errorf("X and rois must share a float dtype (got %s and %s)",
                           odin_dtype_name(x->dtype), odin_dtype_name(r->dtype));
    if (!odin_dtype_is_int(bi->dtype))
        return odin_errorf("batch_indices has dtype %s, expected int64", odin_dtype_name(bi->dtype));
    if (x->rank >= 0 && x->rank != 4)
        return odin_errorf("X has shape %s, expected [N,C,H,W]", odin_shape_str(x, s, sizeof s));
    if (r->rank >= 0 && (r->rank != 2 || (r->dims[1] >= 0 && r->dims[1] != 4)))
        return odin_errorf("rois has shape %s, expected [num_rois,4]", odin_shape_str(r, s, sizeof s));
    if (bi->rank >= 0 && bi->rank != 1)
        return odin_errorf("batch_indices has shape %s, expected [num_rois]", odin_shape_str(bi, s, sizeof s));
    int64_t nr = r->rank == 2 ? r->dims[0] : bi->rank == 1 ? bi->dims[0] : -1;
    if (r->rank == 2 && bi->rank == 1 && r->dims[0] >= 0 && bi->dims[0] >= 0 && r->dims[0] != bi->dims[0])
        return odin_errorf("rois has %lld rows, batch_indices %lld", (long long)r->dims[0],
                           (long long)bi->dims[0]);
    int64_t oh = odin_attr_i(ctx->node, "output_height"), ow = odin_attr_i(ctx->node, "output_width");
    if (oh <= 0 || ow <= 0)
        return odin_errorf("output_height %lld and output_width %lld must be positive",
                           (long long)oh, (long long)ow);
    const char *mode = odin_attr_s(ctx->node, "mode");
    if (mode && strcmp(mode, "avg") != 0 && strcmp(mode, "max") != 0)
        return odin_errorf("mode '%s' is not avg or max", mode);
    const char *ctm = odin_attr_s(ctx->node, "coordinate_transformation_mode");
    if (ctm && strcmp(ctm, "half_pixel") != 0 && strcmp(ctm, "output_half_pixel") != 0)
        return odin_errorf("coordinate_transformation_mode '%s' is not half_pixel or "
                           "output_half_pixel", ctm);
    if (odin_attr_i(ctx->node, "sampling_ratio") < 0)
        return odin_errorf("sampling_ratio is negative");
    odin_op_set_output(ctx, 0, x->dtype, 4,
                       (int64_t[]){nr, x->rank == 4 ? x->dims[1] : -1, oh, ow});
    return ODIN_OK;
}

/* One bilinear sample of plane p (h x w) at (y, x), onnxruntime's rules: outside
 * [-1, size] is 0; the weighted corners are returned for avg (sum) and max (max). */
static void roi_sample(const double *p, int64_t h, int64_t w, double y, double x, double wc[4],
                       double vc[4]) {
    for (int k = 0; k < 4; k++) wc[k] = vc[k] = 0;
    if (!(y >= -1.0 && y <= (double)h && x >= -1.0 && x <= (double)w)) return; /* NaN too */
    if (y <= 0) y = 0;
    if (x <= 0) x = 0;
    int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1, x1;
    if (y0 >= h - 1) y1 = y0 = h - 1, y = (double)y0;
    else y1 = y0 + 1;
    if (x0 >= w - 1) x1 = x0 = w - 1, x = (double)x0;
    else x1 = x0 + 1;
    double ly = y - (double)y0, lx = x - (double)x0, hy = 1 - ly, hx = 1 - lx;
    wc[0] = hy * hx, wc[1] = hy * lx, wc[2] = ly * hx, wc[3] = ly * lx;
    vc[0] = p[y0 * w + x0], vc[1] = p[y0 * w + x1], vc[2] = p[y1 * w + x0], vc[3] = p[y1 * w + x1];
}

static odin_status roialign_eval(odin_op_ctx *ctx) {
    ODIN_TRY(roialign_infer(ctx));
    const odin_value *x = &ctx->in[0], *rois = &ctx->in[1], *bidx = &ctx->in[2];
    int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    int64_t nr = rois->dims[0], oh = ctx->out[0].dims[2], ow = ctx->out[0].dims[3];
    if (bidx->dims[0] != nr) return odin_errorf("batch_indices and rois disagree on the roi count");
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const char *mode = odin_attr_s(ctx->node, "mode");
    bool is_max = mode && strcmp(mode, "max") == 0;
    const char *ctm = odin_attr_s(ctx->node, "coordinate_transformation_mode");
    /* opset 10 knows only the output_half_pixel behaviour */
    bool half_pixel = ctx->opset >= 16 && (!ctm || strcmp(ctm, "half_pixel") == 0);
    double scale = odin_attr_f(ctx->node, "spatial_scale"), off = half_pixel ? 0.5 : 0.0;
    int64_t ratio = odin_attr_i(ctx->node, "sampling_ratio");
    double *plane = malloc((size_t)(h * w > 0 ? h * w : 1) * sizeof *plane);
    if (!plane) return odin_errorf("out of memory");
    for (int64_t r = 0; r < nr; r++) {
        int64_t b = odin_load_as_i64(bidx->data, bidx->dtype, (size_t)r);
        if (b < 0 || b >= n) {
            free(plane);
            return odin_errorf("batch_indices[%lld] = %lld is outside [0,%lld)", (long long)r,
                               (long long)b, (long long)n);
        }
        double x1 = ld(rois, r * 4) * scale - off, y1 = ld(rois, r * 4 + 1) * scale - off;
        double x2 = ld(rois, r * 4 + 2) * scale - off, y2 = ld(rois, r * 4 + 3) * scale - off;
        double rw = x2 - x1, rh = y2 - y1;
        if (!half_pixel) rw = fmax(rw, 1.0), rh = fmax(rh, 1.0);
        double bh = rh / (double)oh, bw = rw / (double)ow;
        int64_t gh = ratio > 0 ? ratio : (int64_t)ceil(rh / (double)oh);
        int64_t gw = ratio > 0 ? ratio : (int64_t)ceil(rw / (double)ow);
        if (gh < 0) gh = 0;
        if (gw < 0) gw = 0;
        double count = (double)(gh * gw > 1 ? gh * gw : 1);
        for (int64_t ch = 0; ch < c; ch++) {
            for (int64_t i = 0; i < h * w; i++) plane[i] = ld(x, ((b * c + ch) * h) * w + i);
            for (int64_t py = 0; py < oh; py++)
                for (int64_t px = 0; px < ow; px++) {
                    double acc = 0;
                    bool first = true;
                    for (int64_t iy = 0; iy < gh; iy++) {
                        double yy = y1 + (double)py * bh + ((double)iy + 0.5) * bh / (double)gh;
                        for (int64_t ix = 0; ix < gw; ix++) {
                            double xx = x1 + (double)px * bw + ((double)ix + 0.5) * bw / (double)gw;
                            double wc[4], vc[4];
                            roi_sample(plane, h, w, yy, xx, wc, vc);
                            if (is_max) {
                                for (int k = 0; k < 4; k++) {
                                    double v = wc[k] * vc[k];
                                    if (first || v > acc) acc = v;
                                    first = false;
                                }
                            } else {
                                for (int k = 0; k < 4; k++) acc += wc[k] * vc[k];
                            }
                        }
                    }
                    if (!is_max) acc /= count;
                    odin_store_from_f64(ctx->out[0].data, ctx->out[0].dtype,
                                        (size_t)(((r * c + ch) * oh + py) * ow + px), acc);
                }
        }
    }
    free(plane);
    return ODIN_OK;
}

static const odin_attr_schema roialign_attrs[] = {
    {"coordinate_transformation_mode", ODIN_ATTR_STRING, false, 0, 0, "half_pixel"},
    {"mode", ODIN_ATTR_STRING, false, 0, 0, "avg"},
    {"output_height", ODIN_ATTR_INT, false, 1},
    {"output_width", ODIN_ATTR_INT, false, 1},
    {"sampling_ratio", ODIN_ATTR_INT, false, 0},
    {"spatial_scale", ODIN_ATTR_FLOAT, false, 0, 1.0f},
    {NULL}};
static const odin_op_def roialign_def = {
    "RoiAlign", "", 10, 0, 3, 3, 1, 1, roialign_attrs, roialign_infer, roialign_eval, NULL, 0,
    "average / max of bilinear samples over each region of interest's output bins"};

/* ---- GridSample ---------------------------------------------------------------------- */

typedef enum { GS_LINEAR, GS_NEAREST, GS_CUBIC } gs_mode;
typedef enum { GS_ZEROS, GS_BORDER, GS_REFLECTION } gs_pad;

static odin_status gs_attrs_parse(const odin_node *n, gs_mode *m, gs_pad *p) {
    const char *mode = odin_attr_s(n, "mode"), *pad = odin_attr_s(n, "padding_mode");
    /* opset 16 says bilinear / bicubic, opset 20 linear / cubic */
    if (!mode || !strcmp(mode, "bilinear") || !strcmp(mode, "linear")) *m = GS_LINEAR;
    else if (!strcmp(mode, "nearest")) *m = GS_NEAREST;
    else if (!strcmp(mode, "bicubic") || !strcmp(mode, "cubic")) *m = GS_CUBIC;
    else return odin_errorf("mode '%s' is not bilinear, nearest or bicubic", mode);
    if (!pad || !strcmp(pad, "zeros")) *p = GS_ZEROS;
    else if (!strcmp(pad, "border")) *p = GS_BORDER;
    else if (!strcmp(pad, "reflection")) *p = GS_REFLECTION;
    else return odin_errorf("padding_mode '%s' is not zeros, border or reflection", pad);
    return ODIN_OK;
}

static odin_status gs_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *g = &ctx->in[1];
    char sx[128], sg[128];
    gs_mode m;
    gs_pad p;
    ODIN_TRY(gs_attrs_parse(ctx->node, &m, &p));
    if (!odin_dtype_is_float(g->dtype))
        return odin_errorf("grid has dtype %s, expected a float type", odin_dtype_name(g->dtype));
    if (x->rank >= 0 && x->rank != 4)
        return odin_errorf("X has shape %s; only [N,C,H,W] (2 spatial dims) is supported",
                           odin_shape_str(x, sx, sizeof sx));
    if (g->rank >= 0 && (g->rank != 4 || (g->dims[3] >= 0 && g->dims[3] != 2)))
        return odin_errorf("grid has shape %s, expected [N,H_out,W_out,2]", odin_shape_str(g, sg, sizeof sg));
    if (x->rank == 4 && g->rank == 4 && x->dims[0] >= 0 && g->dims[0] >= 0 && x->dims[0] != g->dims[0])
        return odin_errorf("X %s and grid %s disagree on the batch size",
                           odin_shape_str(x, sx, sizeof sx), odin_shape_str(g, sg, sizeof sg));
    odin_op_set_output(ctx, 0, x->dtype, 4,
                       (int64_t[]){x->rank == 4 ? x->dims[0] : g->rank == 4 ? g->dims[0] : -1,
                                   x->rank == 4 ? x->dims[1] : -1, g->rank == 4 ? g->dims[1] : -1,
                                   g->rank == 4 ? g->dims[2] : -1});
    return ODIN_OK;
}

static double gs_unnormalize(double c, int64_t size, bool align) {
    return align ? (c + 1) / 2 * (double)(size - 1) : ((c + 1) * (double)size - 1) / 2;
}

/* Reflect c into [lo2/2, hi2/2] (bounds given doubled, as torch does). */
static double gs_reflect(double c, double lo2, double hi2) {
    if (lo2 == hi2) return 0;
    double lo = lo2 / 2, span = (hi2 - lo2) / 2;
    c = fabs(c - lo);
    double extra = fmod(c, span);
    int64_t flips = (int64_t)floor(c / span);
    return flips % 2 == 0 ? extra + lo : span - extra + lo;
}

static double gs_pad_coord(double c, int64_t size, gs_pad p, bool align) {
    if (p == GS_BORDER) return fmin(fmax(c, 0), (double)(size - 1));
    if (p == GS_REFLECTION) {
        c = align ? gs_reflect(c, 0, 2.0 * (double)(size - 1)) : gs_reflect(c, -1, 2.0 * (double)size - 1);
        return fmin(fmax(c, 0), (double)(size - 1));
    }
    return c;
}

/* Pixel (y, x) of a plane (integral coordinates held in doubles), 0 outside it or for
 * a non-finite coordinate. */
static double gs_pixel(const double *pl, int64_t h, int64_t w, double y, double x) {
    if (!(y >= 0 && y < (double)h && x >= 0 && x < (double)w)) return 0;
    return pl[(int64_t)y * w + (int64_t)x];
}

static double cubic_w1(double x, double a) { return ((a + 2) * x - (a + 3)) * x * x + 1; }
static double cubic_w2(double x, double a) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; }

static double cubic_interp(const double v[4], double t) {
    const double a = -0.75;
    return v[0] * cubic_w2(t + 1, a) + v[1] * cubic_w1(t, a) + v[2] * cubic_w1(1 - t, a) +
           v[3] * cubic_w2(2 - t, a);
}

static double gs_sample(const double *pl, int64_t h, int64_t w, double gx, double gy, gs_mode m,
                        gs_pad p, bool align) {
    double x = gs_unnormalize(gx, w, align), y = gs_unnormalize(gy, h, align);
    if (!isfinite(x) || !isfinite(y)) return 0;
    if (m == GS_CUBIC) { /* padding applies to each of the 4x4 taps */
        double x0 = floor(x), y0 = floor(y), rows[4];
        for (int i = 0; i < 4; i++) {
            double v[4];
            for (int j = 0; j < 4; j++) {
                double ty = gs_pad_coord(y0 - 1 + i, h, p, align), tx = gs_pad_coord(x0 - 1 + j, w, p, align);
                v[j] = gs_pixel(pl, h, w, floor(ty), floor(tx));
            }
            rows[i] = cubic_interp(v, x - x0);
        }
        return cubic_interp(rows, y - y0);
    }
    x = gs_pad_coord(x, w, p, align);
    y = gs_pad_coord(y, h, p, align);
    if (m == GS_NEAREST) return gs_pixel(pl, h, w, nearbyint(y), nearbyint(x));
    double x0 = floor(x), y0 = floor(y), lx = x - x0, ly = y - y0;
    return gs_pixel(pl, h, w, y0, x0) * (1 - ly) * (1 - lx) + gs_pixel(pl, h, w, y0, x0 + 1) * (1 - ly) * lx +
           gs_pixel(pl, h, w, y0 + 1, x0) * ly * (1 - lx) + gs_pixel(pl, h, w, y0 + 1, x0 + 1) * ly * lx;
}

static odin_status gs_eval(odin_op_ctx *ctx) {
    ODIN_TRY(gs_infer(ctx));
    gs_mode m;
    gs_pad p;
    ODIN_TRY(gs_attrs_parse(ctx->node, &m, &p));
    bool align = odin_attr_i(ctx->node, "align_corners") != 0;
    const odin_value *x = &ctx->in[0], *g = &ctx->in[1];
    int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3];
    int64_t oh = g->dims[1], ow = g->dims[2];
    if (g->dims[0] != n) return odin_errorf("X and grid disagree on the batch size");
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    double *pl = malloc((size_t)(h * w > 0 ? h * w : 1) * sizeof *pl);
    if (!pl) return odin_errorf("out of memory");
    for (int64_t b = 0; b < n; b++)
        for (int64_t ch = 0; ch < c; ch++) {
            for (int64_t i = 0; i < h * w; i++) pl[i] = ld(x, (b * c + ch) * h * w + i);
            for (int64_t i = 0; i < oh * ow; i++) {
                double gx = ld(g, (b * oh * ow + i) * 2), gy = ld(g, (b * oh * ow + i) * 2 + 1);
                double v = gs_sample(pl, h, w, gx, gy, m, p, align);
                odin_store_from_f64(ctx->out[0].data, ctx->out[0].dtype,
                                    (size_t)((b * c + ch) * oh * ow + i), v);
            }
        }
    free(pl);
    return ODIN_OK;
}

static const odin_attr_schema gs_attrs[] = {
    {"align_corners", ODIN_ATTR_INT, false, 0},
    {"mode", ODIN_ATTR_STRING, false, 0, 0, "bilinear"},
    {"padding_mode", ODIN_ATTR_STRING, false, 0, 0, "zeros"},
    {NULL}};
static const odin_op_def gridsample_def = {
    "GridSample", "", 16, 0, 2, 2, 1, 1, gs_attrs, gs_infer, gs_eval, NULL, 0,
    "samples X at normalized grid points (bilinear/nearest/bicubic; zeros/border/reflection)"};

const odin_op_def *const odin_ops_detect[] = {&nms_def, &roialign_def, &gridsample_def, NULL};
