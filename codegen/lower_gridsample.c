/* codegen/lower_gridsample.c — GridSample over [N,C,H,W] (f32 / f64 data and grid), every
 * mode (bilinear, nearest, bicubic) and padding (zeros, border, reflection), with and
 * without align_corners: the eval's sampling (ops/detect.c) in double, step for step,
 * except that reflection's fmod is c - span * floor(c / span) (no libm in generated code;
 * it can differ from fmod in the last bit). Pixels outside the plane, and non-finite grid
 * points, read as zero through clamped (memory-safe) indices. */
#include <string.h>

#include "lower_util.h"

typedef enum { GS_LINEAR, GS_NEAREST, GS_CUBIC } gs_mode;
typedef enum { GS_ZEROS, GS_BORDER, GS_REFLECTION } gs_pad;

static bool gs_modes(const odin_node *n, gs_mode *m, gs_pad *p) {
    const char *mode = odin_attr_s(n, "mode"), *pad = odin_attr_s(n, "padding_mode");
    if (!mode || !strcmp(mode, "bilinear") || !strcmp(mode, "linear")) *m = GS_LINEAR;
    else if (!strcmp(mode, "nearest")) *m = GS_NEAREST;
    else if (!strcmp(mode, "bicubic") || !strcmp(mode, "cubic")) *m = GS_CUBIC;
    else return false;
    if (!pad || !strcmp(pad, "zeros")) *p = GS_ZEROS;
    else if (!strcmp(pad, "border")) *p = GS_BORDER;
    else if (!strcmp(pad, "reflection")) *p = GS_REFLECTION;
    else return false;
    return true;
}

static bool accept_gs(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    gs_mode m;
    gs_pad p;
    if (n->n_inputs != 2 || n->inputs[0] < 0 || n->inputs[1] < 0 || n->n_outputs != 1 || n->outputs[0] < 0)
        return false;
    const odin_tensor *x = &g->tensors[n->inputs[0]], *gr = &g->tensors[n->inputs[1]], *y = &g->tensors[n->outputs[0]];
    bool fx = x->dtype == ODIN_F32 || x->dtype == ODIN_F64, fg = gr->dtype == ODIN_F32 || gr->dtype == ODIN_F64;
    return fx && fg && y->dtype == x->dtype && x->rank == 4 && gr->rank == 4 && gr->dims[3] == 2 &&
           gr->dims[0] == x->dims[0] && gs_modes(n, &m, &p);
}

typedef struct gs_emit {
    gs_mode mode;
    gs_pad pad;
    bool align;
    int64_t h, w;
    LLVMTypeRef xt;
    LLVMValueRef plane; /* i64 offset of the current (b, ch) plane */
} gs_emit;

static LLVMValueRef d(odin_lower_ctx *c, double v) { return LLVMConstReal(c->t_f64, v); }
static LLVMValueRef fadd(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(c->b, a, b, ""); }
static LLVMValueRef fsub(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFSub(c->b, a, b, ""); }
static LLVMValueRef fmul(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(c->b, a, b, ""); }
static LLVMValueRef fdiv(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFDiv(c->b, a, b, ""); }
static LLVMValueRef f1(odin_lower_ctx *c, const char *name, LLVMValueRef x) {
    return odin_intrinsic(c, name, c->t_f64, &x, 1);
}
static LLVMValueRef fcmp(odin_lower_ctx *c, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildFCmp(c->b, p, a, b, "");
}
static LLVMValueRef sel(odin_lower_ctx *c, LLVMValueRef k, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, k, a, b, "");
}
/* fmin / fmax as C's (a NaN operand yields the other) */
static LLVMValueRef cmin(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    LLVMValueRef args[2] = {a, b};
    return odin_intrinsic(c, "llvm.minnum", c->t_f64, args, 2);
}
static LLVMValueRef cmax(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    LLVMValueRef args[2] = {a, b};
    return odin_intrinsic(c, "llvm.maxnum", c->t_f64, args, 2);
}

static LLVMValueRef unnormalize(odin_lower_ctx *c, const gs_emit *e, LLVMValueRef g, int64_t size) {
    if (e->align) return fmul(c, fdiv(c, fadd(c, g, d(c, 1)), d(c, 2)), d(c, (double)(size - 1)));
    return fdiv(c, fsub(c, fmul(c, fadd(c, g, d(c, 1)), d(c, (double)size)), d(c, 1)), d(c, 2));
}

static LLVMValueRef reflect(odin_lower_ctx *c, LLVMValueRef v, double lo2, double hi2) {
    if (lo2 == hi2) return d(c, 0);
    double lo = lo2 / 2, span = (hi2 - lo2) / 2;
    v = f1(c, "llvm.fabs", fsub(c, v, d(c, lo)));
    LLVMValueRef flips = f1(c, "llvm.floor", fdiv(c, v, d(c, span)));
    LLVMValueRef extra = fsub(c, v, fmul(c, flips, d(c, span)));
    LLVMValueRef half = f1(c, "llvm.floor", fmul(c, flips, d(c, 0.5)));
    LLVMValueRef even = fcmp(c, LLVMRealOEQ, fmul(c, half, d(c, 2)), flips);
    return sel(c, even, fadd(c, extra, d(c, lo)), fadd(c, fsub(c, d(c, span), extra), d(c, lo)));
}

static LLVMValueRef pad_coord(odin_lower_ctx *c, const gs_emit *e, LLVMValueRef v, int64_t size) {
    if (e->pad == GS_BORDER) return cmin(c, cmax(c, v, d(c, 0)), d(c, (double)(size - 1)));
    if (e->pad == GS_REFLECTION) {
        v = e->align ? reflect(c, v, 0, 2.0 * (double)(size - 1)) : reflect(c, v, -1, 2.0 * (double)size - 1);
        return cmin(c, cmax(c, v, d(c, 0)), d(c, (double)(size - 1)));
    }
    return v;
}

/* Pixel at integral (y, x) held in doubles; 0 outside the plane or for NaN. */
static LLVMValueRef pixel(odin_lower_ctx *c, const gs_emit *e, LLVMValueRef y, LLVMValueRef x) {
    LLVMValueRef in = LLVMBuildAnd(c->b, LLVMBuildAnd(c->b, fcmp(c, LLVMRealOGE, y, d(c, 0)), fcmp(c, LLVMRealOLT, y, d(c, (double)e->h)), ""),
                                   LLVMBuildAnd(c->b, fcmp(c, LLVMRealOGE, x, d(c, 0)), fcmp(c, LLVMRealOLT, x, d(c, (double)e->w)), ""), "");
    LLVMValueRef ys = sel(c, in, y, d(c, 0)), xs = sel(c, in, x, d(c, 0));
    LLVMValueRef at = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildFPToSI(c->b, ys, c->t_i64, ""), odin_i64(c, e->w), ""),
                                   LLVMBuildFPToSI(c->b, xs, c->t_i64, ""), "");
    LLVMValueRef v = odin_load(c, e->xt, c->in[0], LLVMBuildAdd(c->b, e->plane, at, ""));
    if (e->xt != c->t_f64) v = LLVMBuildFPExt(c->b, v, c->t_f64, "");
    return sel(c, in, v, d(c, 0));
}

static LLVMValueRef cw1(odin_lower_ctx *c, LLVMValueRef x) { /* ((a+2)x - (a+3)) x x + 1, a = -0.75 */
    return fadd(c, fmul(c, fmul(c, fsub(c, fmul(c, d(c, 1.25), x), d(c, 2.25)), x), x), d(c, 1));
}
static LLVMValueRef cw2(odin_lower_ctx *c, LLVMValueRef x) { /* ((a x - 5a) x + 8a) x - 4a */
    LLVMValueRef t = fsub(c, fmul(c, d(c, -0.75), x), d(c, -3.75));
    return fsub(c, fmul(c, fadd(c, fmul(c, t, x), d(c, -6.0)), x), d(c, -3.0));
}
static LLVMValueRef cubic(odin_lower_ctx *c, LLVMValueRef *v, LLVMValueRef t) {
    LLVMValueRef r = fmul(c, v[0], cw2(c, fadd(c, t, d(c, 1))));
    r = fadd(c, r, fmul(c, v[1], cw1(c, t)));
    r = fadd(c, r, fmul(c, v[2], cw1(c, fsub(c, d(c, 1), t))));
    return fadd(c, r, fmul(c, v[3], cw2(c, fsub(c, d(c, 2), t))));
}

static LLVMValueRef sample(odin_lower_ctx *c, const gs_emit *e, LLVMValueRef gx, LLVMValueRef gy) {
    LLVMValueRef x = unnormalize(c, e, gx, e->w), y = unnormalize(c, e, gy, e->h);
    LLVMValueRef inf = d(c, __builtin_inf());
    LLVMValueRef finite = LLVMBuildAnd(c->b, fcmp(c, LLVMRealOLT, f1(c, "llvm.fabs", x), inf),
                                       fcmp(c, LLVMRealOLT, f1(c, "llvm.fabs", y), inf), "");
    LLVMValueRef r;
    if (e->mode == GS_CUBIC) {
        LLVMValueRef x0 = f1(c, "llvm.floor", x), y0 = f1(c, "llvm.floor", y), rows[4];
        for (int i = 0; i < 4; i++) {
            LLVMValueRef v[4];
            LLVMValueRef ty = f1(c, "llvm.floor", pad_coord(c, e, fadd(c, y0, d(c, i - 1)), e->h));
            for (int j = 0; j < 4; j++) {
                LLVMValueRef tx = f1(c, "llvm.floor", pad_coord(c, e, fadd(c, x0, d(c, j - 1)), e->w));
                v[j] = pixel(c, e, ty, tx);
            }
            rows[i] = cubic(c, v, fsub(c, x, x0));
        }
        r = cubic(c, rows, fsub(c, y, y0));
    } else {
        x = pad_coord(c, e, x, e->w);
        y = pad_coord(c, e, y, e->h);
        if (e->mode == GS_NEAREST) {
            r = pixel(c, e, f1(c, "llvm.rint", y), f1(c, "llvm.rint", x));
        } else {
            LLVMValueRef x0 = f1(c, "llvm.floor", x), y0 = f1(c, "llvm.floor", y);
            LLVMValueRef lx = fsub(c, x, x0), ly = fsub(c, y, y0), one = d(c, 1);
            LLVMValueRef x1 = fadd(c, x0, one), y1 = fadd(c, y0, one), mx = fsub(c, one, lx), my = fsub(c, one, ly);
            r = fmul(c, fmul(c, pixel(c, e, y0, x0), my), mx);
            r = fadd(c, r, fmul(c, fmul(c, pixel(c, e, y0, x1), my), lx));
            r = fadd(c, r, fmul(c, fmul(c, pixel(c, e, y1, x0), ly), mx));
            r = fadd(c, r, fmul(c, fmul(c, pixel(c, e, y1, x1), ly), lx));
        }
    }
    return sel(c, finite, r, d(c, 0));
}

static odin_status l_gs(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]], *gr = &c->g->tensors[n->inputs[1]];
    gs_emit e = {.align = odin_attr_i(n, "align_corners") != 0, .h = x->dims[2], .w = x->dims[3],
                 .xt = odin_llvm_type(c, x->dtype)};
    if (!gs_modes(n, &e.mode, &e.pad)) return odin_errorf("unsupported mode");
    LLVMTypeRef gt = odin_llvm_type(c, gr->dtype);
    int64_t N = x->dims[0], C = x->dims[1], OP = gr->dims[1] * gr->dims[2];
    if (N * C * OP == 0) return ODIN_OK;
    odin_loop lb, lc, li;
    LLVMValueRef b = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, N), 1, "b");
    LLVMValueRef ch = odin_loop_begin(c, &lc, odin_i64(c, 0), odin_i64(c, C), 1, "c");
    LLVMValueRef bc = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, b, odin_i64(c, C), ""), ch, "");
    e.plane = LLVMBuildMul(c->b, bc, odin_i64(c, e.h * e.w), "");
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, OP), 1, "i");
    LLVMValueRef gi = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, b, odin_i64(c, OP), ""), i, ""), odin_i64(c, 2), "");
    LLVMValueRef gx = odin_load(c, gt, c->in[1], gi), gy = odin_load(c, gt, c->in[1], LLVMBuildAdd(c->b, gi, odin_i64(c, 1), ""));
    if (gt != c->t_f64) gx = LLVMBuildFPExt(c->b, gx, c->t_f64, ""), gy = LLVMBuildFPExt(c->b, gy, c->t_f64, "");
    LLVMValueRef v = sample(c, &e, gx, gy);
    if (e.xt != c->t_f64) v = LLVMBuildFPTrunc(c->b, v, e.xt, "");
    odin_store(c, v, c->out[0], LLVMBuildAdd(c->b, LLVMBuildMul(c->b, bc, odin_i64(c, OP), ""), i, ""));
    odin_loop_end(c, &li);
    odin_loop_end(c, &lc);
    odin_loop_end(c, &lb);
    return ODIN_OK;
}

const odin_lowering odin_lowerings_gridsample[] = {
    {"GridSample", l_gs, NULL, false, accept_gs},
    {NULL, NULL, NULL, false, NULL},
};
