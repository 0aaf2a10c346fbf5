/* codegen/lower_qconv.c — ConvInteger and QLinearConv (u8 / i8, 1-D to 3-D, groups,
 * strides, dilations, pads). Each output element sums (x - x_zp) * (w - w_zp[m]) over its
 * channels and in-range window taps in 64-bit integers (the eval's exact double sums;
 * padding contributes zero after the zero point is removed); the (input, tap) pairs of
 * every output coordinate are compile-time tables per spatial axis, so the kernel has no
 * bounds tests. ConvInteger keeps the low 32 bits; QLinearConv adds the int32 bias and
 * rescales in double by x_scale * w_scale / y_scale, then rounds, offsets and saturates as
 * the eval does. */
#include <stdlib.h>
#include <string.h>

#include "../ops/conv_util.h"
#include "lower_util.h"

#define NSP 3

typedef struct qc_plan {
    bool qlinear;
    int x, w, xz, wz, xs, ws, ys, yz, bias;   /* input indices, -1 none */
    odin_conv_geom g;                         /* padded to 3 spatial axes */
    int64_t N, C, M, G, IS, KS, OS;
    odin_dtype xt, wt, yt;
    bool wz_per, ws_per;                      /* per output channel */
    int64_t cap[NSP];
    LLVMValueRef cnt[NSP], xoff[NSP], woff[NSP];
} qc_plan;

static bool q8(odin_dtype t) { return t == ODIN_U8 || t == ODIN_I8; }

static bool qc_of(const odin_graph *g, int node, qc_plan *p) {
    const odin_node *n = &g->nodes[node];
    memset(p, 0, sizeof *p);
    p->qlinear = !strcmp(n->op, "QLinearConv");
    if (p->qlinear) p->x = 0, p->xs = 1, p->xz = 2, p->w = 3, p->ws = 4, p->wz = 5, p->ys = 6, p->yz = 7, p->bias = 8;
    else p->x = 0, p->w = 1, p->xz = 2, p->wz = 3, p->xs = p->ws = p->ys = p->yz = p->bias = -1;
    const odin_tensor *x = odin_node_in_tensor(g, node, p->x), *w = odin_node_in_tensor(g, node, p->w);
    if (!x || !w || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    p->xt = x->dtype, p->wt = w->dtype, p->yt = g->tensors[n->outputs[0]].dtype;
    if (!q8(p->xt) || !q8(p->wt)) return false;
    odin_conv_geom geo;
    odin_status st = odin_conv_forward_geometry(g, node, p->x, p->w, &geo);
    if (!st) st = odin_conv_geom3(&geo, &p->g);
    if (st) {
        odin_status_free(st);
        return false;
    }
    p->N = x->dims[0], p->C = x->dims[1], p->M = w->dims[0];
    p->G = odin_attr_i(n, "group");
    const odin_tensor *xz = odin_node_in_tensor(g, node, p->xz), *wz = odin_node_in_tensor(g, node, p->wz);
    if (xz && (xz->dtype != p->xt || odin_tensor_numel(xz) != 1)) return false;
    if (wz) {
        int64_t c = odin_tensor_numel(wz);
        if (wz->dtype != p->wt || (c != 1 && c != p->M)) return false;
        p->wz_per = c == p->M && p->M > 1;
    }
    if (!p->qlinear) return p->yt == ODIN_I32;
    const odin_tensor *xs = odin_node_in_tensor(g, node, p->xs), *ws = odin_node_in_tensor(g, node, p->ws), *ys = odin_node_in_tensor(g, node, p->ys),
                      *yz = odin_node_in_tensor(g, node, p->yz), *b = odin_node_in_tensor(g, node, p->bias);
    if (!xs || !ws || !ys || xs->dtype != ODIN_F32 || ws->dtype != ODIN_F32 || ys->dtype != ODIN_F32) return false;
    if (odin_tensor_numel(xs) != 1 || odin_tensor_numel(ys) != 1) return false;
    int64_t c = odin_tensor_numel(ws);
    if (c != 1 && c != p->M) return false;
    p->ws_per = c == p->M && p->M > 1;
    if (yz && (yz->dtype != p->yt || odin_tensor_numel(yz) != 1)) return false;
    if (b && (b->dtype != ODIN_I32 || odin_tensor_numel(b) != p->M)) return false;
    return q8(p->yt) && (yz || p->yt == p->xt);
}

static bool accept_qc(const odin_graph *g, int node) {
    qc_plan p;
    return qc_of(g, node, &p);
}

/* For output o on axis a: the in-range (input offset, weight offset) pairs. */
static odin_status axis_tables(odin_lower_ctx *c, qc_plan *p, int a, int64_t xstride, int64_t wstride) {
    const odin_conv_geom *g = &p->g;
    int64_t out = g->out[a], cap = g->k[a] > 0 ? g->k[a] : 1;
    int64_t *cnt = calloc((size_t)(out ? out : 1), sizeof *cnt), *xo = calloc((size_t)(out * cap + 1), sizeof *xo),
            *wo = calloc((size_t)(out * cap + 1), sizeof *wo);
    if (!cnt || !xo || !wo) {
        free(cnt), free(xo), free(wo);
        return odin_errorf("out of memory");
    }
    for (int64_t o = 0; o < out; o++)
        for (int64_t k = 0; k < g->k[a]; k++) {
            int64_t i = o * g->stride[a] - g->pad0[a] + k * g->dil[a];
            if (i < 0 || i >= g->in[a]) continue;
            xo[o * cap + cnt[o]] = i * xstride;
            wo[o * cap + cnt[o]] = k * wstride;
            cnt[o]++;
        }
    p->cap[a] = cap;
    p->cnt[a] = odin_const_table_i64(c, cnt, out, "qconv.cnt");
    p->xoff[a] = odin_const_table_i64(c, xo, out * cap, "qconv.x");
    p->woff[a] = odin_const_table_i64(c, wo, out * cap, "qconv.w");
    free(cnt), free(xo), free(wo);
    return p->cnt[a] && p->xoff[a] && p->woff[a] ? ODIN_OK : odin_errorf("out of memory");
}

static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAdd(c->b, a, b, ""); }
static LLVMValueRef mulk(odin_lower_ctx *c, LLVMValueRef a, int64_t k) { return LLVMBuildMul(c->b, a, odin_i64(c, k), ""); }
static LLVMValueRef wide(odin_lower_ctx *c, LLVMValueRef v, odin_dtype t) {
    return t == ODIN_I8 ? LLVMBuildSExt(c->b, v, c->t_i64, "") : LLVMBuildZExt(c->b, v, c->t_i64, "");
}
static LLVMValueRef load_q(odin_lower_ctx *c, int arg, odin_dtype t, LLVMValueRef i) {
    return arg >= 0 && c->in[arg] ? wide(c, odin_load(c, c->t_i8, c->in[arg], i), t) : odin_i64(c, 0);
}
static LLVMValueRef load_f(odin_lower_ctx *c, int arg, LLVMValueRef i) {
    return LLVMBuildFPExt(c->b, odin_load(c, c->t_f32, c->in[arg], i), c->t_f64, "");
}

static odin_status l_qc(odin_lower_ctx *c) {
    const odin_node *nd = &c->g->nodes[c->node];
    qc_plan p;
    if (!qc_of(c->g, c->node, &p)) return odin_errorf("unsupported layout");
    for (int i = 0; i < 9; i++)
        if (i >= nd->n_inputs || nd->inputs[i] < 0) c->in[i] = NULL;
    const odin_conv_geom *g = &p.g;
    p.IS = g->in[0] * g->in[1] * g->in[2];
    p.KS = g->k[0] * g->k[1] * g->k[2];
    p.OS = g->out[0] * g->out[1] * g->out[2];
    int64_t xs3[NSP] = {g->in[1] * g->in[2], g->in[2], 1}, ws3[NSP] = {g->k[1] * g->k[2], g->k[2], 1};
    for (int a = 0; a < NSP; a++) ODIN_TRY(axis_tables(c, &p, a, xs3[a], ws3[a]));
    if (p.N * p.M * p.OS == 0) return ODIN_OK;
    int64_t Cg = p.C / p.G, Mg = p.M / p.G;
    LLVMValueRef acc = odin_entry_alloca(c, c->t_i64, "acc");
    LLVMValueRef xz = load_q(c, p.xz, p.xt, odin_i64(c, 0));
    odin_loop ln, lm, lo[NSP], lc, lt[NSP];
    LLVMValueRef n = odin_loop_begin(c, &ln, odin_i64(c, 0), odin_i64(c, p.N), 1, "n");
    LLVMValueRef m = odin_loop_begin(c, &lm, odin_i64(c, 0), odin_i64(c, p.M), 1, "m");
    LLVMValueRef gi = LLVMBuildUDiv(c->b, m, odin_i64(c, Mg), "");
    LLVMValueRef wz = load_q(c, p.wz, p.wt, p.wz_per ? m : odin_i64(c, 0));
    LLVMValueRef o[NSP];
    for (int a = 0; a < NSP; a++) o[a] = odin_loop_begin(c, &lo[a], odin_i64(c, 0), odin_i64(c, g->out[a]), 1, "o");
    LLVMBuildStore(c->b, odin_i64(c, 0), acc);
    LLVMValueRef ci = odin_loop_begin(c, &lc, odin_i64(c, 0), odin_i64(c, Cg), 1, "c");
    LLVMValueRef xb = mulk(c, add(c, mulk(c, n, p.C), add(c, mulk(c, gi, Cg), ci)), p.IS);
    LLVMValueRef wb = mulk(c, add(c, mulk(c, m, Cg), ci), p.KS);
    for (int a = 0; a < NSP; a++) {
        LLVMValueRef t = odin_loop_begin(c, &lt[a], odin_i64(c, 0), odin_load(c, c->t_i64, p.cnt[a], o[a]), 1, "t");
        LLVMValueRef at = add(c, mulk(c, o[a], p.cap[a]), t);
        xb = add(c, xb, odin_load(c, c->t_i64, p.xoff[a], at));
        wb = add(c, wb, odin_load(c, c->t_i64, p.woff[a], at));
    }
    LLVMValueRef xv = LLVMBuildSub(c->b, load_q(c, p.x, p.xt, xb), xz, "");
    LLVMValueRef wv = LLVMBuildSub(c->b, load_q(c, p.w, p.wt, wb), wz, "");
    LLVMBuildStore(c->b, add(c, LLVMBuildLoad2(c->b, c->t_i64, acc, ""), LLVMBuildMul(c->b, xv, wv, "")), acc);
    for (int a = NSP - 1; a >= 0; a--) odin_loop_end(c, &lt[a]);
    odin_loop_end(c, &lc);
    LLVMValueRef sum = LLVMBuildLoad2(c->b, c->t_i64, acc, "");
    LLVMValueRef yo = add(c, mulk(c, add(c, mulk(c, n, p.M), m), p.OS),
                          add(c, mulk(c, add(c, mulk(c, o[0], g->out[1]), o[1]), g->out[2]), o[2]));
    if (!p.qlinear) {
        odin_store(c, LLVMBuildTrunc(c->b, sum, c->t_i32, ""), c->out[0], yo);
    } else {
        LLVMValueRef v = LLVMBuildSIToFP(c->b, sum, c->t_f64, "");
        if (c->in[p.bias])
            v = LLVMBuildFAdd(c->b, LLVMBuildSIToFP(c->b, odin_load(c, c->t_i32, c->in[p.bias], m), c->t_f64, ""), v, "");
        LLVMValueRef scale = LLVMBuildFDiv(c->b, LLVMBuildFMul(c->b, load_f(c, p.xs, odin_i64(c, 0)),
                                                               load_f(c, p.ws, p.ws_per ? m : odin_i64(c, 0)), ""),
                                           load_f(c, p.ys, odin_i64(c, 0)), "");
        LLVMValueRef yz = LLVMBuildSIToFP(c->b, load_q(c, p.yz, p.yt, odin_i64(c, 0)), c->t_f64, "");
        v = LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, v, scale, ""), yz, "");
        LLVMValueRef r = odin_intrinsic(c, "llvm.rint", c->t_f64, &v, 1);
        LLVMValueRef lov = LLVMConstReal(c->t_f64, p.yt == ODIN_U8 ? 0 : -128);
        LLVMValueRef hiv = LLVMConstReal(c->t_f64, p.yt == ODIN_U8 ? 255 : 127);
        r = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, r, lov, ""), lov, r, "");
        r = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, r, hiv, ""), hiv, r, "");
        r = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealUNO, r, r, ""), LLVMConstReal(c->t_f64, 0), r, "");
        odin_store(c, LLVMBuildTrunc(c->b, LLVMBuildFPToSI(c->b, r, c->t_i32, ""), c->t_i8, ""), c->out[0], yo);
    }
    for (int a = NSP - 1; a >= 0; a--) odin_loop_end(c, &lo[a]);
    odin_loop_end(c, &lm);
    odin_loop_end(c, &ln);
    return ODIN_OK;
}

const odin_lowering odin_lowerings_qconv[] = {
    {"ConvInteger", l_qc, NULL, false, accept_qc},
    {"QLinearConv", l_qc, NULL, false, accept_qc},
    {NULL, NULL, NULL, false, NULL},
};
