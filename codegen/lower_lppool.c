/* codegen/lower_lppool.c — LpPool and GlobalLpPool (f32, f64): (sum |x|^p)^(1/p) over each
 * window (padding contributes nothing) or over all spatial axes, summed in double in the
 * eval's order. The in-range window taps of every output coordinate are compile-time
 * tables per spatial axis. Powers: p = 1 and 2 exactly (|x|, x*x; the root is the sum or
 * its square root); other p through the f32 mathlib's exp / log. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/conv_util.h"
#include "lower_util.h"
#include "mathlib.h"

#define NSP 3

typedef struct lp_plan {
    bool global;
    double p;
    odin_conv_geom g; /* 3 spatial axes */
    int64_t planes, IS, OS, cap[NSP];
    LLVMValueRef cnt[NSP], xoff[NSP];
} lp_plan;

static bool plan_of(const odin_graph *gr, int node, lp_plan *q) {
    const odin_node *n = &gr->nodes[node];
    memset(q, 0, sizeof *q);
    if (n->n_inputs != 1 || n->inputs[0] < 0 || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    const odin_tensor *x = &gr->tensors[n->inputs[0]], *y = &gr->tensors[n->outputs[0]];
    if ((x->dtype != ODIN_F32 && x->dtype != ODIN_F64) || y->dtype != x->dtype || x->rank < 3) return false;
    q->global = !strcmp(n->op, "GlobalLpPool");
    q->p = odin_attr_f(n, "p");
    if (!(q->p > 0)) return false;
    int nsp = x->rank - 2;
    odin_conv_geom geo;
    odin_status st = ODIN_OK;
    if (q->global) {
        memset(&geo, 0, sizeof geo);
        geo.nsp = nsp;
        for (int i = 0; i < nsp; i++)
            geo.in[i] = geo.k[i] = x->dims[2 + i], geo.stride[i] = geo.dil[i] = 1, geo.out[i] = 1;
    } else {
        bool has_k;
        st = odin_conv_read_attrs(n, nsp, &geo);
        if (!st) st = odin_conv_read_kernel(n, nsp, &geo, true, &has_k);
        for (int i = 0; !st && i < nsp; i++) geo.in[i] = x->dims[2 + i];
        if (!st) st = odin_conv_forward_out(&geo, odin_attr_i(n, "ceil_mode") != 0);
    }
    if (!st) st = odin_conv_geom3(&geo, &q->g);
    if (st) {
        odin_status_free(st);
        return false;
    }
    for (int i = 0; i < nsp; i++)
        if (y->dims[2 + i] != geo.out[i] || geo.in[i] < 0) return false;
    q->planes = x->dims[0] * x->dims[1];
    return true;
}

static bool accept_lppool(const odin_graph *g, int node) {
    lp_plan q;
    return plan_of(g, node, &q);
}

static odin_status axis_tables(odin_lower_ctx *c, lp_plan *q, int a, int64_t xstride) {
    const odin_conv_geom *g = &q->g;
    int64_t out = g->out[a], cap = g->k[a] > 0 ? g->k[a] : 1;
    int64_t *cnt = calloc((size_t)(out ? out : 1), sizeof *cnt), *xo = calloc((size_t)(out * cap + 1), sizeof *xo);
    if (!cnt || !xo) {
        free(cnt), free(xo);
        return odin_errorf("out of memory");
    }
    for (int64_t o = 0; o < out; o++)
        for (int64_t k = 0; k < g->k[a]; k++) {
            int64_t i = o * g->stride[a] - g->pad0[a] + k * g->dil[a];
            if (i < 0 || i >= g->in[a]) continue;
            xo[o * cap + cnt[o]++] = i * xstride;
        }
    q->cap[a] = cap;
    q->cnt[a] = odin_const_table_i64(c, cnt, out, "lppool.cnt");
    q->xoff[a] = odin_const_table_i64(c, xo, out * cap, "lppool.x");
    free(cnt), free(xo);
    return q->cnt[a] && q->xoff[a] ? ODIN_OK : odin_errorf("out of memory");
}

static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAdd(c->b, a, b, ""); }
static LLVMValueRef mulk(odin_lower_ctx *c, LLVMValueRef a, int64_t k) { return LLVMBuildMul(c->b, a, odin_i64(c, k), ""); }

/* v^e for v >= 0 (double) through the f32 mathlib */
static LLVMValueRef pow_f32(odin_lower_ctx *c, LLVMValueRef v, double e) {
    LLVMValueRef f = LLVMBuildFPTrunc(c->b, v, c->t_f32, "");
    LLVMValueRef r = odin_math_exp(c, LLVMBuildFMul(c->b, odin_math_log(c, f), LLVMConstReal(c->t_f32, e), ""));
    return LLVMBuildFPExt(c->b, r, c->t_f64, "");
}

static odin_status l_lppool(odin_lower_ctx *c) {
    lp_plan q;
    if (!plan_of(c->g, c->node, &q)) return odin_errorf("unsupported geometry");
    const odin_tensor *x = &c->g->tensors[c->g->nodes[c->node].inputs[0]];
    LLVMTypeRef et = odin_llvm_type(c, x->dtype);
    const odin_conv_geom *g = &q.g;
    q.IS = g->in[0] * g->in[1] * g->in[2];
    q.OS = g->out[0] * g->out[1] * g->out[2];
    int64_t xs[NSP] = {g->in[1] * g->in[2], g->in[2], 1};
    for (int a = 0; a < NSP; a++) ODIN_TRY(axis_tables(c, &q, a, xs[a]));
    if (q.planes * q.OS == 0) return ODIN_OK;
    LLVMValueRef acc = odin_entry_alloca(c, c->t_f64, "acc");
    odin_loop lp, lo[NSP], lt[NSP];
    LLVMValueRef pl = odin_loop_begin(c, &lp, odin_i64(c, 0), odin_i64(c, q.planes), 1, "pl");
    LLVMValueRef o[NSP];
    for (int a = 0; a < NSP; a++) o[a] = odin_loop_begin(c, &lo[a], odin_i64(c, 0), odin_i64(c, g->out[a]), 1, "o");
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 0), acc);
    LLVMValueRef xb = mulk(c, pl, q.IS);
    for (int a = 0; a < NSP; a++) {
        LLVMValueRef t = odin_loop_begin(c, &lt[a], odin_i64(c, 0), odin_load(c, c->t_i64, q.cnt[a], o[a]), 1, "t");
        xb = add(c, xb, odin_load(c, c->t_i64, q.xoff[a], add(c, mulk(c, o[a], q.cap[a]), t)));
    }
    LLVMValueRef v = odin_load(c, et, c->in[0], xb);
    if (et != c->t_f64) v = LLVMBuildFPExt(c->b, v, c->t_f64, "");
    v = odin_intrinsic(c, "llvm.fabs", c->t_f64, &v, 1);
    LLVMValueRef term = q.p == 1 ? v : q.p == 2 ? LLVMBuildFMul(c->b, v, v, "") : pow_f32(c, v, q.p);
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f64, acc, ""), term, ""), acc);
    for (int a = NSP - 1; a >= 0; a--) odin_loop_end(c, &lt[a]);
    LLVMValueRef s = LLVMBuildLoad2(c->b, c->t_f64, acc, "");
    LLVMValueRef y = q.p == 1 ? s : q.p == 2 ? odin_intrinsic(c, "llvm.sqrt", c->t_f64, &s, 1) : pow_f32(c, s, 1.0 / q.p);
    if (et != c->t_f64) y = LLVMBuildFPTrunc(c->b, y, et, "");
    LLVMValueRef yo = add(c, mulk(c, pl, q.OS), add(c, mulk(c, add(c, mulk(c, o[0], g->out[1]), o[1]), g->out[2]), o[2]));
    odin_store(c, y, c->out[0], yo);
    for (int a = NSP - 1; a >= 0; a--) odin_loop_end(c, &lo[a]);
    odin_loop_end(c, &lp);
    return ODIN_OK;
}

const odin_lowering odin_lowerings_lppool[] = {
    {"LpPool", l_lppool, NULL, false, accept_lppool},
    {"GlobalLpPool", l_lppool, NULL, false, accept_lppool},
    {NULL, NULL, NULL, false, NULL},
};
