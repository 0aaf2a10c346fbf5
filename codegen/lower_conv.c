/* codegen/lower_conv.c — compiled Conv for f32, 1-D to 3-D, any group/stride/dilation/
 * padding (auto_pad already resolved into the geometry by ops/conv_util). Three forms:
 *  - 1x1 with unit stride and no padding: a GEMM per (image, group) on X in place;
 *  - one input channel per group (depthwise, channel multipliers): a direct kernel per
 *    output plane, taps unrolled at compile time, explicit vectors over the output row's
 *    interior (stride 1 or 2; other strides and > 64 taps keep a scalar loop);
 *  - everything else: implicit GEMM (W as A, an im2col panel of X gathered per block as B),
 *    with the bias folded into the micro-kernel's epilogue.
 * ai.odin FusedConv (passes/fuse_conv.c) adds a residual and a clamp to every form's
 * epilogue; its W may come pre-packed in row panels (passes/pack.c), which the GEMM forms
 * read in place as A (the depthwise form never gets packed weights). */
#include <math.h>
#include <string.h>

#include "irgen.h"
#include "lower_gemm.h"
#include "lower_util.h"

typedef struct conv_info {
    odin_conv_geom g3;
    int64_t N, C, M, G, Cg, Mg, KS, IS, OS;
    int64_t w_rows;       /* FusedConv: W pre-packed in row panels (0: plain [M, Cg, k...]) */
    bool has_bias;
    int r_arg;            /* FusedConv: residual input (-1 none) */
    float act_lo, act_hi; /* FusedConv: clamp bounds (infinite: none) */
} conv_info;

/* The Conv weight's shape: W's own, or w_shape when W is packed (ops/odin.c). */
static int weight_shape(const odin_graph *gr, const odin_node *n, const int64_t **dims) {
    const odin_tensor *w = &gr->tensors[n->inputs[1]];
    if (!strcmp(n->op, "FusedConv") && odin_attr_i(n, "w_rows") > 0) return odin_attr_ints(n, "w_shape", dims);
    *dims = w->dims;
    return w->rank;
}

static odin_status conv_read(const odin_graph *gr, int node, conv_info *ci) {
    const odin_node *n = &gr->nodes[node];
    const odin_tensor *x = &gr->tensors[n->inputs[0]];
    const int64_t *wd;
    int nsp = x->rank - 2;
    if (weight_shape(gr, n, &wd) != x->rank) return odin_errorf("weight rank differs from X's");
    odin_conv_geom g;
    ODIN_TRY(odin_conv_read_attrs(n, nsp, &g));
    for (int i = 0; i < nsp; i++) {
        g.k[i] = wd[2 + i];
        g.in[i] = x->dims[2 + i];
    }
    ODIN_TRY(odin_conv_forward_out(&g, false));
    ODIN_TRY(odin_conv_geom3(&g, &ci->g3));
    ci->N = x->dims[0];
    ci->C = x->dims[1];
    ci->M = wd[0];
    ci->w_rows = !strcmp(n->op, "FusedConv") ? odin_attr_i(n, "w_rows") : 0;
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
    const odin_tensor *x = &g->tensors[n->inputs[0]];
    const int64_t *wd;
    if (x->rank < 3 || x->rank > 5 || weight_shape(g, n, &wd) != x->rank) return false;
    if (g->tensors[n->outputs[0]].dtype != ODIN_F32) return false;
    conv_info ci;
    odin_status st = conv_read(g, node, &ci);
    if (st) {
        odin_status_free(st);
        return false;
    }
    if (ci.w_rows > 0) { /* packed: the GEMM forms only, and P's shape as ops/odin.c checks */
        const odin_tensor *p = &g->tensors[n->inputs[1]];
        int64_t nb = (ci.Mg + ci.w_rows - 1) / ci.w_rows;
        if (ci.Cg == 1 || p->rank != 4 || p->dims[0] != ci.G || p->dims[1] != nb ||
            p->dims[2] != ci.Cg * ci.KS || p->dims[3] != ci.w_rows)
            return false;
    }
    return ci.N > 0 && ci.M > 0 && ci.OS > 0 && ci.Cg > 0 && ci.Cg == wd[1];
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
        v = odin_clamp_f32(c, v, ci->act_lo, ci->act_hi);
        odin_store(c, v, yrow, ow);
        odin_loop_end(c, &le);
    }
    odin_loop_end(c, &lr);
    odin_loop_end(c, &lp);
    return ODIN_OK;
}

/* ---- depthwise, vectorized over the output row ----
 * Per output row: each tap row (kd, kh) is valid or not as a whole (one branch); inside
 * the interior [L, H) of output columns where every horizontal tap is in range, V outputs
 * at a time accumulate in a vector (stride 2 reads 2V inputs and keeps the even lanes);
 * the columns outside it take a scalar path that tests each tap. The bias, residual and
 * clamp are applied in registers before the single store. */

#define DW_MAX_TAPS 64

typedef struct dwv_plan {
    const conv_info *ci;
    int V;            /* vector lanes of the interior loop (0: scalar only) */
    int64_t L, H;     /* interior output columns */
} dwv_plan;

/* Whether the vector kernel handles ci (2-D geometry, taps and stride small). */
static bool dwv_fits(const conv_info *ci) {
    const odin_conv_geom *g = &ci->g3;
    return ci->KS <= DW_MAX_TAPS && (g->stride[2] == 1 || g->stride[2] == 2);
}

static LLVMValueRef dw_epilogue(odin_lower_ctx *c, const conv_info *ci, LLVMValueRef v,
                                LLVMValueRef rrow, LLVMValueRef ow, int lanes) {
    LLVMTypeRef t = LLVMTypeOf(v);
    if (rrow) {
        LLVMValueRef p = odin_gep(c, c->t_f32, rrow, ow), r;
        if (lanes > 1) {
            r = LLVMBuildLoad2(c->b, t, p, "");
            LLVMSetAlignment(r, 4);
        } else {
            r = LLVMBuildLoad2(c->b, c->t_f32, p, "");
        }
        v = LLVMBuildFAdd(c->b, v, r, "");
    }
    return odin_clamp_f32(c, v, ci->act_lo, ci->act_hi);
}

static LLVMValueRef splat_f(odin_lower_ctx *c, LLVMValueRef s, int lanes) {
    LLVMTypeRef vt = LLVMVectorType(c->t_f32, (unsigned)lanes);
    LLVMValueRef v = LLVMBuildInsertElement(c->b, LLVMGetPoison(vt), s, LLVMConstInt(c->t_i32, 0, 0), "");
    return LLVMBuildShuffleVector(c->b, v, LLVMGetPoison(vt),
                                  LLVMConstNull(LLVMVectorType(c->t_i32, (unsigned)lanes)), "");
}

/* V inputs for outputs ow..ow+V-1 of tap offset `shift` in row xrow (stride 1 or 2). */
static LLVMValueRef dw_xvec(odin_lower_ctx *c, LLVMValueRef xrow, LLVMValueRef ow, int64_t s,
                            int64_t shift, int V) {
    LLVMTypeRef vt = LLVMVectorType(c->t_f32, (unsigned)V);
    LLVMValueRef p = odin_gep(c, c->t_f32, xrow, odin_add_i64(c, odin_mul_i64(c, ow, s), shift));
    LLVMValueRef a = LLVMBuildLoad2(c->b, vt, p, "");
    LLVMSetAlignment(a, 4);
    if (s == 1) return a;
    LLVMValueRef b = LLVMBuildLoad2(c->b, vt, odin_gep(c, c->t_f32, p, odin_i64(c, V)), "");
    LLVMSetAlignment(b, 4);
    LLVMValueRef idx[64];
    for (int i = 0; i < V; i++) idx[i] = LLVMConstInt(c->t_i32, (unsigned long long)(2 * i), 0);
    return LLVMBuildShuffleVector(c->b, a, b, LLVMConstVector(idx, (unsigned)V), "");
}

static odin_status dwv_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const dwv_plan *p = user;
    const conv_info *ci = p->ci;
    const odin_conv_geom *g = &ci->g3;
    int64_t KD = g->k[0], KH = g->k[1], KW = g->k[2], OH = g->out[1], OW = g->out[2];
    int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2], s = g->stride[2];
    odin_loop lp, lr;
    LLVMValueRef pl = odin_loop_begin(c, &lp, lo, hi, 1, "plane"); /* n * M + m */
    LLVMValueRef m = LLVMBuildSRem(c->b, pl, odin_i64(c, ci->M), "");
    LLVMValueRef n = LLVMBuildSDiv(c->b, pl, odin_i64(c, ci->M), "");
    LLVMValueRef cin = LLVMBuildSDiv(c->b, m, odin_i64(c, ci->Mg), "");
    LLVMValueRef xp = odin_gep(c, c->t_f32, c->in[0],
                               odin_mul_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, n, ci->C), cin, ""), ci->IS));
    LLVMValueRef yp = odin_gep(c, c->t_f32, c->out[0], odin_mul_i64(c, pl, ci->OS));
    LLVMValueRef rp = ci->r_arg >= 0 ? odin_gep(c, c->t_f32, c->in[ci->r_arg], odin_mul_i64(c, pl, ci->OS)) : NULL;
    LLVMValueRef wp = odin_gep(c, c->t_f32, c->in[1], odin_mul_i64(c, m, ci->KS));
    LLVMValueRef bias = ci->has_bias ? odin_load(c, c->t_f32, c->in[2], m) : odin_f32c(c, 0.0f);
    LLVMValueRef w[DW_MAX_TAPS];
    for (int64_t t = 0; t < ci->KS; t++) w[t] = odin_load(c, c->t_f32, wp, odin_i64(c, t));
    LLVMValueRef r = odin_loop_begin(c, &lr, odin_i64(c, 0), odin_i64(c, g->out[0] * OH), 1, "row");
    LLVMValueRef od = LLVMBuildSDiv(c->b, r, odin_i64(c, OH), "");
    LLVMValueRef oh = LLVMBuildSRem(c->b, r, odin_i64(c, OH), "");
    LLVMValueRef yrow = odin_gep(c, c->t_f32, yp, odin_mul_i64(c, r, OW));
    LLVMValueRef rrow = rp ? odin_gep(c, c->t_f32, rp, odin_mul_i64(c, r, OW)) : NULL;
    /* each tap row: valid flag and its input row (row 0 when invalid: never read) */
    LLVMValueRef valid[DW_MAX_TAPS], xrow[DW_MAX_TAPS];
    for (int64_t kd = 0; kd < KD; kd++)
        for (int64_t kh = 0; kh < KH; kh++) {
            LLVMValueRef id = odin_add_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, od, g->stride[0]),
                                                              odin_i64(c, kd * g->dil[0]), ""), -g->pad0[0]);
            LLVMValueRef ih = odin_add_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, oh, g->stride[1]),
                                                              odin_i64(c, kh * g->dil[1]), ""), -g->pad0[1]);
            int64_t t = kd * KH + kh;
            valid[t] = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntULT, id, odin_i64(c, ID), ""),
                                    LLVMBuildICmp(c->b, LLVMIntULT, ih, odin_i64(c, IH), ""), "");
            LLVMValueRef off = odin_mul_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, id, IH), ih, ""), IW);
            xrow[t] = odin_gep(c, c->t_f32, xp, LLVMBuildSelect(c->b, valid[t], off, odin_i64(c, 0), ""));
        }
    /* one output column range [from, to) with V lanes (V == 1: scalar, taps tested):
     * part 0 the left edge, 1 the interior's whole vectors, 2 one more vector ending at H
     * that overlaps part 1 (recomputing a few columns to the same values: Y never aliases
     * X or R, the plan gives a kernel's output its own memory) instead of a scalar
     * remainder of up to V-1 columns, 3 the right edge */
    int64_t nvec = p->V ? (p->H - p->L) / p->V : 0;
    int64_t vec_end = p->L + nvec * p->V;
    bool overlap = nvec > 0 && vec_end < p->H;
    for (int part = 0; part < 4; part++) {
        int64_t from = part == 0 ? 0 : part == 1 ? p->L : part == 2 ? p->H - p->V : overlap ? p->H : vec_end;
        int64_t to = part == 0 ? p->L : part == 1 ? vec_end : part == 2 ? p->H - p->V + 1 : OW;
        if (part == 0 && !nvec) to = OW;
        if (part > 0 && !nvec) continue;
        if (part == 2 && !overlap) continue;
        if (from >= to) continue;
        int V = part == 1 || part == 2 ? p->V : 1;
        odin_loop lw;
        LLVMValueRef ow = odin_loop_begin(c, &lw, odin_i64(c, from), odin_i64(c, to), V, "ow");
        LLVMValueRef acc = V > 1 ? splat_f(c, bias, V) : bias;
        for (int64_t tr = 0; tr < KD * KH; tr++) {
            /* skip an invalid tap row by a branch (vector) or select (scalar) */
            LLVMBasicBlockRef before = LLVMGetInsertBlock(c->b);
            LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(c->c, c->fn, "taprow");
            LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->c, c->fn, "taprow.end");
            LLVMBuildCondBr(c->b, valid[tr], then, join);
            LLVMPositionBuilderAtEnd(c->b, then);
            LLVMValueRef a = acc;
            for (int64_t kw = 0; kw < KW; kw++) {
                int64_t shift = kw * g->dil[2] - g->pad0[2];
                LLVMValueRef wt = w[tr * KW + kw];
                if (V > 1) {
                    LLVMValueRef args[3] = {splat_f(c, wt, V), dw_xvec(c, xrow[tr], ow, s, shift, V), a};
                    a = odin_intrinsic(c, "llvm.fmuladd", LLVMTypeOf(a), args, 3);
                } else {
                    LLVMValueRef iw = odin_add_i64(c, odin_mul_i64(c, ow, s), shift);
                    LLVMValueRef in = LLVMBuildICmp(c->b, LLVMIntULT, iw, odin_i64(c, IW), "");
                    LLVMValueRef xv = odin_load(c, c->t_f32, xrow[tr], LLVMBuildSelect(c->b, in, iw, odin_i64(c, 0), ""));
                    LLVMValueRef args[3] = {wt, xv, a};
                    a = LLVMBuildSelect(c->b, in, odin_intrinsic(c, "llvm.fmuladd", c->t_f32, args, 3), a, "");
                }
            }
            LLVMBasicBlockRef then_end = LLVMGetInsertBlock(c->b);
            LLVMBuildBr(c->b, join);
            LLVMPositionBuilderAtEnd(c->b, join);
            LLVMValueRef phi = LLVMBuildPhi(c->b, LLVMTypeOf(acc), "acc");
            LLVMValueRef vals[2] = {acc, a};
            LLVMBasicBlockRef blocks[2] = {before, then_end};
            LLVMAddIncoming(phi, vals, blocks, 2);
            acc = phi;
        }
        acc = dw_epilogue(c, ci, acc, rrow, ow, V);
        LLVMValueRef yptr = odin_gep(c, c->t_f32, yrow, ow);
        LLVMSetAlignment(LLVMBuildStore(c->b, acc, yptr), 4);
        odin_loop_end(c, &lw);
    }
    odin_loop_end(c, &lr);
    odin_loop_end(c, &lp);
    return ODIN_OK;
}

/* The interior [L, H): columns where every tap's reads (2 per output at stride 2: the
 * vector load covers the odd lane too) stay inside [0, IW). */
static void dwv_plan_init(odin_lower_ctx *c, const conv_info *ci, dwv_plan *p) {
    const odin_conv_geom *g = &ci->g3;
    int64_t OW = g->out[2], IW = g->in[2], s = g->stride[2];
    p->ci = ci;
    p->L = 0;
    p->H = OW;
    for (int64_t kw = 0; kw < g->k[2]; kw++) {
        int64_t shift = kw * g->dil[2] - g->pad0[2];
        while (p->L < OW && p->L * s + shift < 0) p->L++;
        while (p->H > p->L && (p->H - 1) * s + shift + (s - 1) >= IW) p->H--;
    }
    int VL = odin_target_vector_floats(c->target);
    if (VL < 4) VL = 4;
    p->V = VL;
    while (p->V > 4 && p->V > p->H - p->L) p->V /= 2;
    if (p->H - p->L < p->V) p->V = 0;
}

static odin_status lower_conv(odin_lower_ctx *c) {
    conv_info ci;
    ODIN_TRY(conv_read(c->g, c->node, &ci));
    if (ci.Cg == 1 && dwv_fits(&ci)) {
        dwv_plan d;
        dwv_plan_init(c, &ci, &d);
        return odin_parallel_range(c, ci.N * ci.M, 1, dwv_body, &d);
    }
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
    if (ci.w_rows > 0) { /* row panels [G, ceil(Mg/R), K, R] */
        s.a_panel = ci.w_rows;
        s.a_si = 1;
        s.a_sk = ci.w_rows;
        s.a_bs[1] = (ci.Mg + ci.w_rows - 1) / ci.w_rows * ci.w_rows * ci.Cg * ci.KS;
    }
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
