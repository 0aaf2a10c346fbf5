/* codegen/lower_conv.c — compiled Conv for f32, 1-D to 3-D, any group/stride/dilation/
 * padding (auto_pad already resolved into the geometry by ops/conv_util). Three forms:
 *  - 1x1 with unit stride and no padding: a GEMM per (image, group) on X in place;
 *  - one input channel per group (depthwise, channel multipliers): a direct kernel per
 *    output plane, vectorized over the output row, taps unrolled at compile time;
 *  - everything else: implicit GEMM (W as A, an im2col panel of X gathered per block as B),
 *    with the bias folded into the micro-kernel's epilogue.
 * ai.odin FusedConv (passes/fuse_conv.c) adds a residual and a clamp to every form's
 * epilogue. */
#include <math.h>
#include <string.h>

#include "irgen.h"
#include "lower_gemm.h"

typedef struct conv_info {
    odin_conv_geom g3;
    int64_t N, C, M, G, Cg, Mg, KS, IS, OS;
    bool has_bias;
    int r_arg;            /* FusedConv: residual input (-1 none) */
    float act_lo, act_hi; /* FusedConv: clamp bounds (infinite: none) */
} conv_info;

static odin_status conv_read(const odin_graph *gr, int node, conv_info *ci) {
    const odin_node *n = &gr->nodes[node];
    const odin_tensor *x = &gr->tensors[n->inputs[0]], *w = &gr->tensors[n->inputs[1]];
    int nsp = x->rank - 2;
    odin_conv_geom g;
    ODIN_TRY(odin_conv_read_attrs(n, nsp, &g));
    for (int i = 0; i < nsp; i++) {
        g.k[i] = w->dims[2 + i];
        g.in[i] = x->dims[2 + i];
    }
    ODIN_TRY(odin_conv_forward_out(&g, false));
    ODIN_TRY(odin_conv_geom3(&g, &ci->g3));
    ci->N = x->dims[0];
    ci->C = x->dims[1];
    ci->M = w->dims[0];
    ci->G = odin_attr_i(n, "group");
    if (ci->G < 1 || ci->C % ci->G || ci->M % ci->G) return odin_errorf("bad group %lld", (long long)ci->G);
    ci->Cg = ci->C / ci->G;
    ci->Mg = ci->M / ci->G;
    const odin_conv_geom *g3 = &ci->g3;
    ci->KS = g3->k[0] * g3->k[1] * g3->k[2];
    ci->IS = g3->in[0] * g3->in[1] * g3->in[2];
    ci->OS = g3->out[0] * g3->out[1] * g3->out[2];
    ci->has_bias = n->n_inputs > 2 && n->inputs[2] >= 0;
    bool fused = !strcmp(n->op, "FusedConv");
    ci->r_arg = fused && n->n_inputs > 3 && n->inputs[3] >= 0 ? 3 : -1;
    ci->act_lo = fused ? odin_attr_f(n, "act_min") : -INFINITY;
    ci->act_hi = fused ? odin_attr_f(n, "act_max") : INFINITY;
    return ODIN_OK;
}

static bool conv_accepts(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 2 || n->inputs[0] < 0 || n->inputs[1] < 0) return false;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && (g->tensors[n->inputs[i]].dtype != ODIN_F32 ||
                                  odin_tensor_numel(&g->tensors[n->inputs[i]]) < 0))
            return false;
    const odin_tensor *x = &g->tensors[n->inputs[0]], *w = &g->tensors[n->inputs[1]];
    if (x->rank < 3 || x->rank > 5 || w->rank != x->rank) return false;
    if (g->tensors[n->outputs[0]].dtype != ODIN_F32) return false;
    conv_info ci;
    odin_status st = conv_read(g, node, &ci);
    if (st) {
        odin_status_free(st);
        return false;
    }
    return ci.N > 0 && ci.M > 0 && ci.OS > 0 && ci.Cg > 0 && ci.Cg == w->dims[1];
}

/* ---- depthwise (one input channel per group) ---- */

typedef struct dw_ctx {
    const conv_info *ci;
} dw_ctx;

/* Output positions ow whose input column ow*s + kw*d - p0 lies in [0, IW): [lo, hi). */
static void tap_range(const odin_conv_geom *g, int64_t kw, int64_t *lo, int64_t *hi) {
    int64_t OW = g->out[2], s = g->stride[2], shift = kw * g->dil[2] - g->pad0[2];
    *lo = 0;
    while (*lo < OW && *lo * s + shift < 0) ++*lo;
    *hi = OW;
    while (*hi > *lo && (*hi - 1) * s + shift >= g->in[2]) --*hi;
}

static void emit_taps(odin_lower_ctx *c, LLVMValueRef yrow, LLVMValueRef xrow, LLVMValueRef *wv,
                      const odin_conv_geom *g, int64_t from, int64_t to, const int64_t *kws, int nk) {
    if (from >= to || nk == 0) return;
    odin_loop l;
    LLVMValueRef ow = odin_loop_begin(c, &l, odin_i64(c, from), odin_i64(c, to), 1, "ow");
    LLVMValueRef acc = odin_load(c, c->t_f32, yrow, ow);
    LLVMValueRef base = odin_mul_i64(c, ow, g->stride[2]);
    for (int t = 0; t < nk; t++) {
        int64_t shift = kws[t] * g->dil[2] - g->pad0[2];
        LLVMValueRef xv = odin_load(c, c->t_f32, xrow, odin_add_i64(c, base, shift));
        LLVMValueRef args[3] = {wv[kws[t]], xv, acc};
        acc = odin_intrinsic(c, "llvm.fmuladd", c->t_f32, args, 3);
    }
    odin_store(c, acc, yrow, ow);
    odin_loop_end(c, &l);
}

static odin_status dw_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const conv_info *ci = ((dw_ctx *)user)->ci;
    const odin_conv_geom *g = &ci->g3;
    int64_t KH = g->k[1], KW = g->k[2], OH = g->out[1], OW = g->out[2];
    odin_loop lp, lr, ld, lh;
    LLVMValueRef pl = odin_loop_begin(c, &lp, lo, hi, 1, "plane"); /* n * M + m */
    LLVMValueRef m = LLVMBuildSRem(c->b, pl, odin_i64(c, ci->M), "");
    LLVMValueRef n = LLVMBuildSDiv(c->b, pl, odin_i64(c, ci->M), "");
    LLVMValueRef cin = LLVMBuildSDiv(c->b, m, odin_i64(c, ci->Mg), "");
    LLVMValueRef xp = odin_gep(c, c->t_f32, c->in[0],
                               odin_mul_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, n, ci->C), cin, ""), ci->IS));
    LLVMValueRef yp = odin_gep(c, c->t_f32, c->out[0], odin_mul_i64(c, pl, ci->OS));
    LLVMValueRef wp = odin_gep(c, c->t_f32, c->in[1], odin_mul_i64(c, m, ci->KS));
    LLVMValueRef bias = ci->has_bias ? odin_load(c, c->t_f32, c->in[2], m) : odin_f32c(c, 0.0f);
    LLVMValueRef r = odin_loop_begin(c, &lr, odin_i64(c, 0), odin_i64(c, g->out[0] * OH), 1, "row");
    LLVMValueRef od = LLVMBuildSDiv(c->b, r, odin_i64(c, OH), "");
    LLVMValueRef oh = LLVMBuildSRem(c->b, r, odin_i64(c, OH), "");
    LLVMValueRef yrow = odin_gep(c, c->t_f32, yp, odin_mul_i64(c, r, OW));
    {
        odin_loop li;
        LLVMValueRef ow = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, OW), 1, "init");
        odin_store(c, bias, yrow, ow);
        odin_loop_end(c, &li);
    }
    LLVMValueRef kd = odin_loop_begin(c, &ld, odin_i64(c, 0), odin_i64(c, g->k[0]), 1, "kd");
    LLVMValueRef id = odin_add_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, od, g->stride[0]),
                                                      odin_mul_i64(c, kd, g->dil[0]), ""), -g->pad0[0]);
    LLVMValueRef kh = odin_loop_begin(c, &lh, odin_i64(c, 0), odin_i64(c, KH), 1, "kh");
    LLVMValueRef ih = odin_add_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, oh, g->stride[1]),
                                                      odin_mul_i64(c, kh, g->dil[1]), ""), -g->pad0[1]);
    LLVMValueRef ok = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntULT, id, odin_i64(c, g->in[0]), ""),
                                   LLVMBuildICmp(c->b, LLVMIntULT, ih, odin_i64(c, g->in[1]), ""), "");
    LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(c->c, c->fn, "tap");
    LLVMBasicBlockRef skip = LLVMAppendBasicBlockInContext(c->c, c->fn, "notap");
    LLVMBuildCondBr(c->b, ok, then, skip);
    LLVMPositionBuilderAtEnd(c->b, then);
    LLVMValueRef xrow = odin_gep(c, c->t_f32, xp,
                                 odin_mul_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, id, g->in[1]), ih, ""), g->in[2]));
    LLVMValueRef wrow = odin_gep(c, c->t_f32, wp, odin_mul_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, kd, KH), kh, ""), KW));
    LLVMValueRef wv[64];
    int64_t tlo[64], thi[64], L = 0, H = OW, all[64];
    int nk = (int)(KW < 64 ? KW : 64);
    for (int t = 0; t < nk; t++) {
        wv[t] = odin_load(c, c->t_f32, wrow, odin_i64(c, t));
        tap_range(g, t, &tlo[t], &thi[t]);
        if (tlo[t] > L) L = tlo[t];
        if (thi[t] < H) H = thi[t];
        all[t] = t;
    }
    if (KW <= 64 && L < H) {
        /* interior: every tap in range, all taps in one pass */
        emit_taps(c, yrow, xrow, wv, g, L, H, all, nk);
        for (int t = 0; t < nk; t++) {
            emit_taps(c, yrow, xrow, wv, g, tlo[t], L < thi[t] ? L : thi[t], &all[t], 1);
            emit_taps(c, yrow, xrow, wv, g, H > tlo[t] ? H : tlo[t], thi[t], &all[t], 1);
        }
    } else {
        for (int64_t t = 0; t < KW; t++) {
            int64_t a, b;
            tap_range(g, t, &a, &b);
            LLVMValueRef w1 = odin_load(c, c->t_f32, wrow, odin_i64(c, t));
            LLVMValueRef wtmp[1] = {w1};
            int64_t zero = 0;
            /* emit_taps indexes wv by tap: give it a one-entry table shifted to tap 0 */
            odin_conv_geom gs = *g;
            gs.pad0[2] = g->pad0[2] - t * g->dil[2];
            emit_taps(c, yrow, xrow, wtmp, &gs, a, b, &zero, 1);
        }
    }
    LLVMBuildBr(c->b, skip);
    LLVMPositionBuilderAtEnd(c->b, skip);
    odin_loop_end(c, &lh);
    odin_loop_end(c, &ld);
    if (ci->r_arg >= 0 || ci->act_lo > -INFINITY || ci->act_hi < INFINITY) {
        /* FusedConv epilogue on the finished row: + residual, clamp */
        LLVMValueRef rrow = ci->r_arg >= 0 ? odin_gep(c, c->t_f32, c->in[ci->r_arg],
                                                      LLVMBuildNSWAdd(c->b, odin_mul_i64(c, pl, ci->OS), odin_mul_i64(c, r, OW), ""))
                                           : NULL;
        odin_loop le;
        LLVMValueRef ow = odin_loop_begin(c, &le, odin_i64(c, 0), odin_i64(c, OW), 1, "epi");
        LLVMValueRef v = odin_load(c, c->t_f32, yrow, ow);
        if (rrow) v = LLVMBuildFAdd(c->b, v, odin_load(c, c->t_f32, rrow, ow), "");
        if (ci->act_lo > -INFINITY) {
            LLVMValueRef l = odin_f32c(c, ci->act_lo);
            v = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, v, l, ""), l, v, "");
        }
        if (ci->act_hi < INFINITY) {
            LLVMValueRef h = odin_f32c(c, ci->act_hi);
            v = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, v, h, ""), h, v, "");
        }
        odin_store(c, v, yrow, ow);
        odin_loop_end(c, &le);
    }
    odin_loop_end(c, &lr);
    odin_loop_end(c, &lp);
    return ODIN_OK;
}

static odin_status lower_conv(odin_lower_ctx *c) {
    conv_info ci;
    ODIN_TRY(conv_read(c->g, c->node, &ci));
    if (ci.Cg == 1) {
        dw_ctx d = {&ci};
        return odin_parallel_range(c, ci.N * ci.M, 1, dw_body, &d);
    }
    const odin_conv_geom *g = &ci.g3;
    bool pointwise = ci.KS == 1;
    for (int i = 0; i < 3; i++)
        if (g->stride[i] != 1 || g->pad0[i] != 0 || g->in[i] != g->out[i]) pointwise = false;
    odin_gemm_spec s = odin_gemm_spec_init(ci.Mg, ci.OS, ci.Cg * ci.KS);
    s.a_arg = 0 + 1; /* W */
    s.b_arg = 0;     /* X */
    s.y_arg = 0;
    s.a_si = ci.Cg * ci.KS;
    s.a_sk = 1;
    s.y_si = ci.OS;
    s.n_bdims = 2;
    s.bdims[0] = ci.N;
    s.bdims[1] = ci.G;
    s.a_bs[0] = 0;
    s.a_bs[1] = ci.Mg * ci.Cg * ci.KS;
    s.b_bs[0] = ci.C * ci.IS;
    s.b_bs[1] = ci.Cg * ci.IS;
    s.y_bs[0] = ci.M * ci.OS;
    s.y_bs[1] = ci.Mg * ci.OS;
    if (ci.has_bias) {
        s.c_arg = 2;
        s.c_si = 1;
        s.c_sj = 0;
        s.c_bs[0] = 0;
        s.c_bs[1] = ci.Mg;
    }
    s.r_arg = ci.r_arg;
    s.act_lo = ci.act_lo;
    s.act_hi = ci.act_hi;
    if (pointwise) {
        s.b_sk = ci.IS;
        s.b_sj = 1;
    } else {
        s.conv = &ci.g3;
    }
    return odin_emit_gemm(c, &s);
}

const odin_lowering odin_lowerings_conv[] = {
    {"Conv", lower_conv, NULL, false, conv_accepts},
    {"ai.odin::FusedConv", lower_conv, NULL, false, conv_accepts},
    {NULL, NULL, NULL, false, NULL},
};
