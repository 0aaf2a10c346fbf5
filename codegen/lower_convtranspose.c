/* codegen/lower_convtranspose.c — ConvTranspose (1-D to 3-D, groups, dilations, pads,
 * output_padding / output_shape as the eval resolves them), f32 and f64, in gather form:
 * each output element sums x[i] * w[k] over the input positions i and kernel taps k with
 * i * stride - pad + k * dilation = o. Per spatial axis, the (i, k) pairs of every output
 * coordinate are worked out at compile time into constant tables, so the kernel has no
 * divisibility tests; products are summed in double like the eval, then rounded once.
 * Output channel rows run in parallel when the work is large. */
#include <stdlib.h>
#include <string.h>

#include "../ops/conv_util.h"
#include "lower_util.h"

#define NSP 3

typedef struct ct_plan {
    odin_conv_geom g;                  /* padded to 3 spatial axes */
    int64_t N, C, M, G, IS, KS, OS;
    int64_t cap[NSP];
    LLVMValueRef cnt[NSP], xoff[NSP], woff[NSP]; /* per-axis tables */
    LLVMTypeRef et;
    bool has_bias;
} ct_plan;

static bool ct_geometry(const odin_graph *g, int node, odin_conv_geom *g3) {
    odin_conv_geom geo;
    odin_status st = odin_convtranspose_geometry(g, node, &geo);
    if (!st) st = odin_conv_geom3(&geo, g3);
    if (st) {
        odin_status_free(st);
        return false;
    }
    return true;
}

static bool accept_convt(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 2 || n->inputs[0] < 0 || n->inputs[1] < 0 || n->n_outputs != 1 || n->outputs[0] < 0)
        return false;
    odin_dtype t = g->tensors[n->inputs[0]].dtype;
    if ((t != ODIN_F32 && t != ODIN_F64) || g->tensors[n->inputs[1]].dtype != t ||
        g->tensors[n->outputs[0]].dtype != t)
        return false;
    int b = odin_node_in(g, node, 2);
    if (b >= 0 && g->tensors[b].dtype != t) return false;
    odin_conv_geom g3;
    return ct_geometry(g, node, &g3);
}

/* Tables of one axis: for output o, cnt[o] pairs (x offset, w offset) at o * cap. */
static odin_status axis_tables(odin_lower_ctx *c, ct_plan *p, int a, int64_t xstride, int64_t wstride) {
    const odin_conv_geom *g = &p->g;
    int64_t out = g->out[a], cap = 0;
    for (int64_t o = 0; o < out; o++) {
        int64_t n = 0;
        for (int64_t k = 0; k < g->k[a]; k++) {
            int64_t num = o + g->pad0[a] - k * g->dil[a];
            if (num >= 0 && num % g->stride[a] == 0 && num / g->stride[a] < g->in[a]) n++;
        }
        if (n > cap) cap = n;
    }
    if (cap == 0) cap = 1;
    int64_t *cnt = calloc((size_t)out, sizeof *cnt), *xo = calloc((size_t)(out * cap), sizeof *xo),
            *wo = calloc((size_t)(out * cap), sizeof *wo);
    if (!cnt || !xo || !wo) {
        free(cnt), free(xo), free(wo);
        return odin_errorf("out of memory");
    }
    for (int64_t o = 0; o < out; o++)
        for (int64_t k = 0; k < g->k[a]; k++) {
            int64_t num = o + g->pad0[a] - k * g->dil[a];
            if (num < 0 || num % g->stride[a] != 0 || num / g->stride[a] >= g->in[a]) continue;
            xo[o * cap + cnt[o]] = num / g->stride[a] * xstride;
            wo[o * cap + cnt[o]] = k * wstride;
            cnt[o]++;
        }
    p->cap[a] = cap;
    p->cnt[a] = odin_const_table_i64(c, cnt, out, "convt.cnt");
    p->xoff[a] = odin_const_table_i64(c, xo, out * cap, "convt.x");
    p->woff[a] = odin_const_table_i64(c, wo, out * cap, "convt.w");
    free(cnt), free(xo), free(wo);
    return p->cnt[a] && p->xoff[a] && p->woff[a] ? ODIN_OK : odin_errorf("out of memory");
}

static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAdd(c->b, a, b, ""); }
static LLVMValueRef mulk(odin_lower_ctx *c, LLVMValueRef a, int64_t k) { return LLVMBuildMul(c->b, a, odin_i64(c, k), ""); }

/* Rows r = n * M + m in [lo, hi): every output element of those channel planes. */
static odin_status ct_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const ct_plan *p = user;
    const odin_conv_geom *g = &p->g;
    int64_t Cg = p->C / p->G, Mg = p->M / p->G;
    LLVMValueRef acc = odin_entry_alloca(c, c->t_f64, "acc");
    odin_loop lr, lo0, lo1, lo2, lc, lt0, lt1, lt2;
    LLVMValueRef r = odin_loop_begin(c, &lr, lo ? lo : odin_i64(c, 0), hi ? hi : odin_i64(c, p->N * p->M), 1, "row");
    LLVMValueRef n = LLVMBuildUDiv(c->b, r, odin_i64(c, p->M), ""), m = LLVMBuildURem(c->b, r, odin_i64(c, p->M), "");
    LLVMValueRef gi = LLVMBuildUDiv(c->b, m, odin_i64(c, Mg), ""), mm = LLVMBuildURem(c->b, m, odin_i64(c, Mg), "");
    LLVMValueRef bias = LLVMConstReal(c->t_f64, 0);
    if (p->has_bias) {
        bias = odin_load(c, p->et, c->in[2], m);
        if (p->et != c->t_f64) bias = LLVMBuildFPExt(c->b, bias, c->t_f64, "");
    }
    LLVMValueRef o[NSP];
    odin_loop *lo_[NSP] = {&lo0, &lo1, &lo2}, *lt_[NSP] = {&lt0, &lt1, &lt2};
    for (int a = 0; a < NSP; a++) o[a] = odin_loop_begin(c, lo_[a], odin_i64(c, 0), odin_i64(c, g->out[a]), 1, "o");
    LLVMBuildStore(c->b, bias, acc);
    LLVMValueRef ci = odin_loop_begin(c, &lc, odin_i64(c, 0), odin_i64(c, Cg), 1, "c");
    LLVMValueRef ic = add(c, mulk(c, gi, Cg), ci);
    LLVMValueRef xb = mulk(c, add(c, mulk(c, n, p->C), ic), p->IS);
    LLVMValueRef wb = mulk(c, add(c, mulk(c, ic, Mg), mm), p->KS);
    for (int a = 0; a < NSP; a++) {
        LLVMValueRef cnt = odin_load(c, c->t_i64, p->cnt[a], o[a]);
        LLVMValueRef t = odin_loop_begin(c, lt_[a], odin_i64(c, 0), cnt, 1, "t");
        LLVMValueRef at = add(c, mulk(c, o[a], p->cap[a]), t);
        xb = add(c, xb, odin_load(c, c->t_i64, p->xoff[a], at));
        wb = add(c, wb, odin_load(c, c->t_i64, p->woff[a], at));
    }
    LLVMValueRef xv = odin_load(c, p->et, c->in[0], xb), wv = odin_load(c, p->et, c->in[1], wb);
    if (p->et != c->t_f64) xv = LLVMBuildFPExt(c->b, xv, c->t_f64, ""), wv = LLVMBuildFPExt(c->b, wv, c->t_f64, "");
    LLVMValueRef sum = LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f64, acc, ""), LLVMBuildFMul(c->b, wv, xv, ""), "");
    LLVMBuildStore(c->b, sum, acc);
    for (int a = NSP - 1; a >= 0; a--) odin_loop_end(c, lt_[a]);
    odin_loop_end(c, &lc);
    LLVMValueRef y = LLVMBuildLoad2(c->b, c->t_f64, acc, "");
    if (p->et != c->t_f64) y = LLVMBuildFPTrunc(c->b, y, p->et, "");
    LLVMValueRef yo = mulk(c, r, p->OS);
    yo = add(c, yo, mulk(c, add(c, mulk(c, add(c, mulk(c, o[0], g->out[1]), o[1]), g->out[2]), o[2]), 1));
    odin_store(c, y, c->out[0], yo);
    for (int a = NSP - 1; a >= 0; a--) odin_loop_end(c, lo_[a]);
    odin_loop_end(c, &lr);
    return ODIN_OK;
}

static odin_status l_convt(odin_lower_ctx *c) {
    const odin_node *nd = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[nd->inputs[0]], *w = &c->g->tensors[nd->inputs[1]];
    ct_plan p = {0};
    if (!ct_geometry(c->g, c->node, &p.g)) return odin_errorf("unsupported geometry");
    p.N = x->dims[0];
    p.C = x->dims[1];
    p.G = odin_attr_i(nd, "group");
    p.M = w->dims[1] * p.G;
    p.et = odin_llvm_type(c, x->dtype);
    p.has_bias = odin_node_in(c->g, c->node, 2) >= 0;
    const odin_conv_geom *g = &p.g;
    p.IS = g->in[0] * g->in[1] * g->in[2];
    p.KS = g->k[0] * g->k[1] * g->k[2];
    p.OS = g->out[0] * g->out[1] * g->out[2];
    int64_t xs[NSP] = {g->in[1] * g->in[2], g->in[2], 1}, ws[NSP] = {g->k[1] * g->k[2], g->k[2], 1};
    for (int a = 0; a < NSP; a++) ODIN_TRY(axis_tables(c, &p, a, xs[a], ws[a]));
    int64_t rows = p.N * p.M;
    if (rows == 0 || p.OS == 0) return ODIN_OK;
    int64_t work = p.OS * (p.C / p.G) * p.KS * 8; /* rough bytes touched per row */
    if (rows >= 2 && work * rows >= ODIN_PARALLEL_MIN_BYTES) {
        int64_t grain = (64 * 1024 + work - 1) / work;
        return odin_parallel_range(c, rows, grain < 1 ? 1 : grain, ct_body, &p);
    }
    return ct_body(c, NULL, NULL, &p);
}

const odin_lowering odin_lowerings_convtranspose[] = {
    {"ConvTranspose", l_convt, NULL, false, accept_convt},
    {NULL, NULL, NULL, false, NULL},
};
