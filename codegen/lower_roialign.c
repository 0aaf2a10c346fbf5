/* codegen/lower_roialign.c — RoiAlign (avg and max, half_pixel and output_half_pixel,
 * fixed or adaptive sampling_ratio), f32 / f64: the eval's per-bin bilinear sampling
 * (ops/detect.c, onnxruntime's rules) in double, with the adaptive sample grid read from
 * each region at run time. A batch index outside [0, N) goes to the eval, which reports
 * it. */
#include <string.h>

#include "lower_util.h"

static bool accept_roialign(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs != 3 || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    for (int i = 0; i < 3; i++)
        if (n->inputs[i] < 0) return false;
    const odin_tensor *x = &g->tensors[n->inputs[0]], *r = &g->tensors[n->inputs[1]], *b = &g->tensors[n->inputs[2]];
    const odin_tensor *y = &g->tensors[n->outputs[0]];
    const char *mode = odin_attr_s(n, "mode"), *ctm = odin_attr_s(n, "coordinate_transformation_mode");
    return (x->dtype == ODIN_F32 || x->dtype == ODIN_F64) && r->dtype == x->dtype && y->dtype == x->dtype &&
           (b->dtype == ODIN_I64 || b->dtype == ODIN_I32) && x->rank == 4 && r->rank == 2 && r->dims[1] == 4 &&
           b->rank == 1 && b->dims[0] == r->dims[0] && y->rank == 4 &&
           (!mode || !strcmp(mode, "avg") || !strcmp(mode, "max")) &&
           (!ctm || !strcmp(ctm, "half_pixel") || !strcmp(ctm, "output_half_pixel")) &&
           odin_attr_i(n, "sampling_ratio") >= 0;
}

static LLVMValueRef d(odin_lower_ctx *c, double v) { return LLVMConstReal(c->t_f64, v); }
static LLVMValueRef f_add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(c->b, a, b, ""); }
static LLVMValueRef f_sub(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFSub(c->b, a, b, ""); }
static LLVMValueRef f_mul(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(c->b, a, b, ""); }
static LLVMValueRef f_div(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFDiv(c->b, a, b, ""); }
static LLVMValueRef fcmp(odin_lower_ctx *c, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildFCmp(c->b, p, a, b, "");
}
static LLVMValueRef sel(odin_lower_ctx *c, LLVMValueRef k, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, k, a, b, "");
}
static LLVMValueRef to_f64(odin_lower_ctx *c, LLVMValueRef v) {
    return LLVMTypeOf(v) == c->t_f64 ? v : LLVMBuildFPExt(c->b, v, c->t_f64, "");
}
static LLVMValueRef geti(odin_lower_ctx *c, LLVMTypeRef t, LLVMValueRef p) { return LLVMBuildLoad2(c->b, t, p, ""); }

typedef struct ra_emit {
    int64_t h, w;
    bool is_max;
    LLVMTypeRef et;
    LLVMValueRef plane, acc, first;
} ra_emit;

/* roi_sample + accumulate its four weighted corners (avg: sum; max: running max) */
static void sample(odin_lower_ctx *c, const ra_emit *e, LLVMValueRef y, LLVMValueRef x) {
    LLVMValueRef valid = LLVMBuildAnd(c->b, LLVMBuildAnd(c->b, fcmp(c, LLVMRealOGE, y, d(c, -1)), fcmp(c, LLVMRealOLE, y, d(c, (double)e->h)), ""),
                                      LLVMBuildAnd(c->b, fcmp(c, LLVMRealOGE, x, d(c, -1)), fcmp(c, LLVMRealOLE, x, d(c, (double)e->w)), ""), "");
    y = sel(c, valid, y, d(c, 0));
    x = sel(c, valid, x, d(c, 0));
    y = sel(c, fcmp(c, LLVMRealOLE, y, d(c, 0)), d(c, 0), y);
    x = sel(c, fcmp(c, LLVMRealOLE, x, d(c, 0)), d(c, 0), x);
    LLVMValueRef y0 = LLVMBuildFPToSI(c->b, y, c->t_i64, ""), x0 = LLVMBuildFPToSI(c->b, x, c->t_i64, "");
    LLVMValueRef ylast = LLVMBuildICmp(c->b, LLVMIntSGE, y0, odin_i64(c, e->h - 1), "");
    LLVMValueRef xlast = LLVMBuildICmp(c->b, LLVMIntSGE, x0, odin_i64(c, e->w - 1), "");
    y0 = sel(c, ylast, odin_i64(c, e->h - 1), y0);
    x0 = sel(c, xlast, odin_i64(c, e->w - 1), x0);
    LLVMValueRef y1 = sel(c, ylast, y0, LLVMBuildAdd(c->b, y0, odin_i64(c, 1), ""));
    LLVMValueRef x1 = sel(c, xlast, x0, LLVMBuildAdd(c->b, x0, odin_i64(c, 1), ""));
    y = sel(c, ylast, LLVMBuildSIToFP(c->b, y0, c->t_f64, ""), y);
    x = sel(c, xlast, LLVMBuildSIToFP(c->b, x0, c->t_f64, ""), x);
    LLVMValueRef ly = f_sub(c, y, LLVMBuildSIToFP(c->b, y0, c->t_f64, "")), lx = f_sub(c, x, LLVMBuildSIToFP(c->b, x0, c->t_f64, ""));
    LLVMValueRef hy = f_sub(c, d(c, 1), ly), hx = f_sub(c, d(c, 1), lx);
    LLVMValueRef wc[4] = {f_mul(c, hy, hx), f_mul(c, hy, lx), f_mul(c, ly, hx), f_mul(c, ly, lx)};
    LLVMValueRef ys[2] = {y0, y1}, xs[2] = {x0, x1};
    for (int k = 0; k < 4; k++) {
        LLVMValueRef at = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, ys[k >> 1], odin_i64(c, e->w), ""), xs[k & 1], "");
        LLVMValueRef v = to_f64(c, odin_load(c, e->et, c->in[0], LLVMBuildAdd(c->b, e->plane, at, "")));
        LLVMValueRef t = sel(c, valid, f_mul(c, wc[k], v), d(c, 0)); /* invalid: 0 * 0 */
        LLVMValueRef acc = geti(c, c->t_f64, e->acc);
        if (e->is_max) {
            LLVMValueRef take = LLVMBuildOr(c->b, geti(c, c->t_i1, e->first), fcmp(c, LLVMRealOGT, t, acc), "");
            LLVMBuildStore(c->b, sel(c, take, t, acc), e->acc);
            LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), e->first);
        } else {
            LLVMBuildStore(c->b, f_add(c, acc, t), e->acc);
        }
    }
}

static odin_status l_roialign(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]], *rois = &c->g->tensors[n->inputs[1]];
    const odin_tensor *bt = &c->g->tensors[n->inputs[2]], *yt = &c->g->tensors[n->outputs[0]];
    const char *mode = odin_attr_s(n, "mode"), *ctm = odin_attr_s(n, "coordinate_transformation_mode");
    ra_emit e = {.h = x->dims[2], .w = x->dims[3], .is_max = mode && !strcmp(mode, "max"),
                 .et = odin_llvm_type(c, x->dtype)};
    bool half_pixel = c->g->opset >= 16 && (!ctm || !strcmp(ctm, "half_pixel"));
    double scale = odin_attr_f(n, "spatial_scale"), off = half_pixel ? 0.5 : 0.0;
    int64_t ratio = odin_attr_i(n, "sampling_ratio");
    int64_t N = x->dims[0], C = x->dims[1], R = rois->dims[0], OH = yt->dims[2], OW = yt->dims[3];
    if (R * C * OH * OW == 0) return ODIN_OK;
    e.acc = odin_entry_alloca(c, c->t_f64, "acc");
    e.first = odin_entry_alloca(c, c->t_i1, "first");
    LLVMValueRef bad = odin_entry_alloca(c, c->t_i1, "bad");
    LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), bad);
    odin_loop lr, lc, lpy, lpx, liy, lix;
    LLVMValueRef r = odin_loop_begin(c, &lr, odin_i64(c, 0), odin_i64(c, R), 1, "r");
    LLVMValueRef b = odin_load(c, odin_llvm_type(c, bt->dtype), c->in[2], r);
    if (bt->dtype != ODIN_I64) b = LLVMBuildSExt(c->b, b, c->t_i64, "");
    LLVMValueRef oob = LLVMBuildICmp(c->b, LLVMIntUGE, b, odin_i64(c, N), "");
    LLVMBuildStore(c->b, LLVMBuildOr(c->b, geti(c, c->t_i1, bad), oob, ""), bad);
    b = sel(c, oob, odin_i64(c, 0), b);
    LLVMValueRef coord[4];
    for (int k = 0; k < 4; k++) {
        LLVMValueRef v = to_f64(c, odin_load(c, e.et, c->in[1], LLVMBuildAdd(c->b, LLVMBuildMul(c->b, r, odin_i64(c, 4), ""), odin_i64(c, k), "")));
        coord[k] = f_sub(c, f_mul(c, v, d(c, scale)), d(c, off));
    }
    LLVMValueRef rw = f_sub(c, coord[2], coord[0]), rh = f_sub(c, coord[3], coord[1]);
    if (!half_pixel) {
        LLVMValueRef a1[2] = {rw, d(c, 1)}, a2[2] = {rh, d(c, 1)};
        rw = odin_intrinsic(c, "llvm.maxnum", c->t_f64, a1, 2);
        rh = odin_intrinsic(c, "llvm.maxnum", c->t_f64, a2, 2);
    }
    LLVMValueRef bh = f_div(c, rh, d(c, (double)OH)), bw = f_div(c, rw, d(c, (double)OW));
    LLVMValueRef gh = odin_i64(c, ratio), gw = odin_i64(c, ratio);
    if (ratio == 0) {
        LLVMValueRef ch_ = f_div(c, rh, d(c, (double)OH)), cw_ = f_div(c, rw, d(c, (double)OW));
        gh = LLVMBuildFPToSI(c->b, odin_intrinsic(c, "llvm.ceil", c->t_f64, &ch_, 1), c->t_i64, "");
        gw = LLVMBuildFPToSI(c->b, odin_intrinsic(c, "llvm.ceil", c->t_f64, &cw_, 1), c->t_i64, "");
        gh = sel(c, LLVMBuildICmp(c->b, LLVMIntSLT, gh, odin_i64(c, 0), ""), odin_i64(c, 0), gh);
        gw = sel(c, LLVMBuildICmp(c->b, LLVMIntSLT, gw, odin_i64(c, 0), ""), odin_i64(c, 0), gw);
    }
    LLVMValueRef g2 = LLVMBuildMul(c->b, gh, gw, "");
    LLVMValueRef count = LLVMBuildSIToFP(c->b, sel(c, LLVMBuildICmp(c->b, LLVMIntSGT, g2, odin_i64(c, 1), ""), g2, odin_i64(c, 1)), c->t_f64, "");
    LLVMValueRef ghd = LLVMBuildSIToFP(c->b, gh, c->t_f64, ""), gwd = LLVMBuildSIToFP(c->b, gw, c->t_f64, "");
    LLVMValueRef ch = odin_loop_begin(c, &lc, odin_i64(c, 0), odin_i64(c, C), 1, "c");
    e.plane = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, b, odin_i64(c, C), ""), ch, ""), odin_i64(c, e.h * e.w), "");
    LLVMValueRef py = odin_loop_begin(c, &lpy, odin_i64(c, 0), odin_i64(c, OH), 1, "py");
    LLVMValueRef px = odin_loop_begin(c, &lpx, odin_i64(c, 0), odin_i64(c, OW), 1, "px");
    LLVMBuildStore(c->b, d(c, 0), e.acc);
    LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 1, 0), e.first);
    LLVMValueRef iy = odin_loop_begin(c, &liy, odin_i64(c, 0), gh, 1, "iy");
    /* y1 + py * bh + (iy + 0.5) * bh / gh, in the eval's order */
    LLVMValueRef yy = f_add(c, f_add(c, coord[1], f_mul(c, LLVMBuildSIToFP(c->b, py, c->t_f64, ""), bh)),
                            f_div(c, f_mul(c, f_add(c, LLVMBuildSIToFP(c->b, iy, c->t_f64, ""), d(c, 0.5)), bh), ghd));
    LLVMValueRef ix = odin_loop_begin(c, &lix, odin_i64(c, 0), gw, 1, "ix");
    LLVMValueRef xx = f_add(c, f_add(c, coord[0], f_mul(c, LLVMBuildSIToFP(c->b, px, c->t_f64, ""), bw)),
                            f_div(c, f_mul(c, f_add(c, LLVMBuildSIToFP(c->b, ix, c->t_f64, ""), d(c, 0.5)), bw), gwd));
    sample(c, &e, yy, xx);
    odin_loop_end(c, &lix);
    odin_loop_end(c, &liy);
    LLVMValueRef v = geti(c, c->t_f64, e.acc);
    if (!e.is_max) v = f_div(c, v, count);
    if (e.et != c->t_f64) v = LLVMBuildFPTrunc(c->b, v, e.et, "");
    LLVMValueRef yo = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b,
                                   LLVMBuildAdd(c->b, LLVMBuildMul(c->b, r, odin_i64(c, C), ""), ch, ""), odin_i64(c, OH), ""), py, ""),
                                   odin_i64(c, OW), ""), px, "");
    odin_store(c, v, c->out[0], yo);
    odin_loop_end(c, &lpx);
    odin_loop_end(c, &lpy);
    odin_loop_end(c, &lc);
    odin_loop_end(c, &lr);
    odin_emit_error_exit(c, geti(c, c->t_i1, bad));
    return ODIN_OK;
}

const odin_lowering odin_lowerings_roialign[] = {
    {"RoiAlign", l_roialign, NULL, false, accept_roialign},
    {NULL, NULL, NULL, false, NULL},
};
