/* codegen/lower_roipool.c — MaxRoiPool (f32, f64): per region, the corners rounded half
 * away from zero after spatial_scale, bin edges in float arithmetic (floor / ceil, as
 * onnxruntime and the eval), and the max over each bin (0 for an empty bin). The bins are
 * run-time loops; a region with a bad batch index or a huge coordinate goes to the eval,
 * which reports it. round() is trunc(x + copysign(0.5 - ulp, x)), so no libm call. */
#include <math.h>
#include <string.h>

#include "lower_util.h"

static bool accept_roipool(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs != 2 || n->inputs[0] < 0 || n->inputs[1] < 0 || n->n_outputs != 1 || n->outputs[0] < 0)
        return false;
    const odin_tensor *x = &g->tensors[n->inputs[0]], *r = &g->tensors[n->inputs[1]], *y = &g->tensors[n->outputs[0]];
    const int64_t *ps;
    return (x->dtype == ODIN_F32 || x->dtype == ODIN_F64) && r->dtype == x->dtype && y->dtype == x->dtype &&
           x->rank == 4 && r->rank == 2 && r->dims[1] == 5 && odin_attr_ints(n, "pooled_shape", &ps) == 2 &&
           ps[0] >= 1 && ps[1] >= 1;
}

static LLVMValueRef d(odin_lower_ctx *c, double v) { return LLVMConstReal(c->t_f64, v); }
static LLVMValueRef f1(odin_lower_ctx *c, const char *name, LLVMTypeRef t, LLVMValueRef x) {
    return odin_intrinsic(c, name, t, &x, 1);
}
static LLVMValueRef round_away(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMValueRef args[2] = {d(c, 0.49999999999999994), x};
    LLVMValueRef h = odin_intrinsic(c, "llvm.copysign", c->t_f64, args, 2);
    return LLVMBuildFPToSI(c->b, f1(c, "llvm.trunc", c->t_f64, LLVMBuildFAdd(c->b, x, h, "")), c->t_i64, "");
}
static LLVMValueRef clampi(odin_lower_ctx *c, LLVMValueRef v, int64_t lo, int64_t hi) {
    v = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, v, odin_i64(c, lo), ""), odin_i64(c, lo), v, "");
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, v, odin_i64(c, hi), ""), odin_i64(c, hi), v, "");
}
/* (int64)floorf / ceilf((float)k * bin) + start, clamped into [0, lim] */
static LLVMValueRef edge(odin_lower_ctx *c, LLVMValueRef k, LLVMValueRef bin, LLVMValueRef start, bool up, int64_t lim) {
    LLVMValueRef f = LLVMBuildFMul(c->b, LLVMBuildSIToFP(c->b, k, c->t_f32, ""), bin, "");
    f = f1(c, up ? "llvm.ceil" : "llvm.floor", c->t_f32, f);
    return clampi(c, LLVMBuildAdd(c->b, LLVMBuildFPToSI(c->b, f, c->t_i64, ""), start, ""), 0, lim);
}

static odin_status l_roipool(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]], *rt = &c->g->tensors[n->inputs[1]];
    LLVMTypeRef et = odin_llvm_type(c, x->dtype);
    const int64_t *ps;
    odin_attr_ints(n, "pooled_shape", &ps);
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3], R = rt->dims[0], PH = ps[0], PW = ps[1];
    double scale = odin_attr_f(n, "spatial_scale");
    if (R * C == 0) return ODIN_OK;
    LLVMValueRef bad = odin_entry_alloca(c, c->t_i1, "bad"), m = odin_entry_alloca(c, c->t_f64, "m");
    LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), bad);
    odin_loop lr, lc, lph, lpw, lh, lw;
    LLVMValueRef r = odin_loop_begin(c, &lr, odin_i64(c, 0), odin_i64(c, R), 1, "r");
    LLVMValueRef roi[5];
    for (int i = 0; i < 5; i++) {
        roi[i] = odin_load(c, et, c->in[1], LLVMBuildAdd(c->b, LLVMBuildMul(c->b, r, odin_i64(c, 5), ""), odin_i64(c, i), ""));
        if (et != c->t_f64) roi[i] = LLVMBuildFPExt(c->b, roi[i], c->t_f64, "");
    }
    LLVMValueRef ok = LLVMBuildAnd(c->b, LLVMBuildFCmp(c->b, LLVMRealOGE, roi[0], d(c, 0), ""),
                                   LLVMBuildFCmp(c->b, LLVMRealOLT, roi[0], d(c, (double)N), ""), "");
    LLVMValueRef sc[5];
    for (int i = 1; i < 5; i++) {
        sc[i] = LLVMBuildFMul(c->b, roi[i], d(c, scale), "");
        ok = LLVMBuildAnd(c->b, ok, LLVMBuildFCmp(c->b, LLVMRealOLT, f1(c, "llvm.fabs", c->t_f64, sc[i]), d(c, 1e15), ""), "");
        sc[i] = LLVMBuildSelect(c->b, ok, sc[i], d(c, 0), "");
    }
    LLVMBuildStore(c->b, LLVMBuildOr(c->b, LLVMBuildLoad2(c->b, c->t_i1, bad, ""), LLVMBuildNot(c->b, ok, ""), ""), bad);
    LLVMValueRef b = LLVMBuildSelect(c->b, ok, LLVMBuildFPToSI(c->b, roi[0], c->t_i64, ""), odin_i64(c, 0), "");
    LLVMValueRef sw = round_away(c, sc[1]), sh = round_away(c, sc[2]), ew = round_away(c, sc[3]), eh = round_away(c, sc[4]);
    LLVMValueRef rh = LLVMBuildAdd(c->b, LLVMBuildSub(c->b, eh, sh, ""), odin_i64(c, 1), "");
    LLVMValueRef rw = LLVMBuildAdd(c->b, LLVMBuildSub(c->b, ew, sw, ""), odin_i64(c, 1), "");
    rh = clampi(c, rh, 1, INT64_MAX), rw = clampi(c, rw, 1, INT64_MAX);
    LLVMValueRef bh = LLVMBuildFDiv(c->b, LLVMBuildSIToFP(c->b, rh, c->t_f32, ""), LLVMConstReal(c->t_f32, (double)PH), "");
    LLVMValueRef bw = LLVMBuildFDiv(c->b, LLVMBuildSIToFP(c->b, rw, c->t_f32, ""), LLVMConstReal(c->t_f32, (double)PW), "");
    LLVMValueRef ch = odin_loop_begin(c, &lc, odin_i64(c, 0), odin_i64(c, C), 1, "c");
    LLVMValueRef plane = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, b, odin_i64(c, C), ""), ch, ""), odin_i64(c, H * W), "");
    LLVMValueRef ph = odin_loop_begin(c, &lph, odin_i64(c, 0), odin_i64(c, PH), 1, "ph");
    LLVMValueRef pw = odin_loop_begin(c, &lpw, odin_i64(c, 0), odin_i64(c, PW), 1, "pw");
    LLVMValueRef h0 = edge(c, ph, bh, sh, false, H), h1 = edge(c, LLVMBuildAdd(c->b, ph, odin_i64(c, 1), ""), bh, sh, true, H);
    LLVMValueRef w0 = edge(c, pw, bw, sw, false, W), w1 = edge(c, LLVMBuildAdd(c->b, pw, odin_i64(c, 1), ""), bw, sw, true, W);
    LLVMValueRef empty = LLVMBuildOr(c->b, LLVMBuildICmp(c->b, LLVMIntSLE, h1, h0, ""), LLVMBuildICmp(c->b, LLVMIntSLE, w1, w0, ""), "");
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, empty, d(c, 0), d(c, -INFINITY), ""), m);
    LLVMValueRef h = odin_loop_begin(c, &lh, h0, h1, 1, "h");
    LLVMValueRef w = odin_loop_begin(c, &lw, w0, w1, 1, "w");
    LLVMValueRef v = odin_load(c, et, c->in[0], LLVMBuildAdd(c->b, plane, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, h, odin_i64(c, W), ""), w, ""), ""));
    if (et != c->t_f64) v = LLVMBuildFPExt(c->b, v, c->t_f64, "");
    LLVMValueRef cur = LLVMBuildLoad2(c->b, c->t_f64, m, "");
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, v, cur, ""), v, cur, ""), m);
    odin_loop_end(c, &lw);
    odin_loop_end(c, &lh);
    LLVMValueRef res = LLVMBuildLoad2(c->b, c->t_f64, m, "");
    if (et != c->t_f64) res = LLVMBuildFPTrunc(c->b, res, et, "");
    LLVMValueRef yo = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b,
                      LLVMBuildAdd(c->b, LLVMBuildMul(c->b, r, odin_i64(c, C), ""), ch, ""), odin_i64(c, PH), ""), ph, ""),
                      odin_i64(c, PW), ""), pw, "");
    odin_store(c, res, c->out[0], yo);
    odin_loop_end(c, &lpw);
    odin_loop_end(c, &lph);
    odin_loop_end(c, &lc);
    odin_loop_end(c, &lr);
    odin_emit_error_exit(c, LLVMBuildLoad2(c->b, c->t_i1, bad, ""));
    return ODIN_OK;
}

const odin_lowering odin_lowerings_roipool[] = {
    {"MaxRoiPool", l_roipool, NULL, false, accept_roipool},
    {NULL, NULL, NULL, false, NULL},
};
