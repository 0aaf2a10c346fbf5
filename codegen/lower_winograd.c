/* codegen/lower_winograd.c — compiled ai.odin WinogradInput / WinogradOutput (ops/winograd.c;
 * the batched MatMul between them is the GEMM engine's). Both run parallel over (image,
 * channel) planes and, per row of tiles, vectorize ACROSS tiles: VL neighbouring tiles are
 * the lanes, so the transforms are the same adds and multiplies as the scalar reference on
 * <VL x float> values, and the transform-domain tensors [T, C, P] are read and written as
 * contiguous vectors (tiles are consecutive along P).
 *  - input: the a rows of a tile row are copied into a zero-padded stack buffer (padding and
 *    the right/bottom remainder become plain zeros), then for VL tiles each input column q
 *    of the tile is one strided pick (shufflevector) from a contiguous load of m*VL floats;
 *  - output: A^T m A per lane, the m outputs of a tile row interleaved back (shufflevector)
 *    into a row buffer, then bias, residual and clamp on the row as it is stored.
 * A row of fewer tiles than a vector uses narrower vectors (VL 8, 4, 2) or scalars; the last
 * vector of a row overlaps the previous one rather than leaving a scalar remainder. */
#include <math.h>
#include <string.h>

#include "../ops/winograd.h"
#include "irgen.h"
#include "lower_gemm.h"
#include "lower_util.h"

/* stack row buffers above this many floats are not worth it (the pass never makes them) */
#define WINO_MAX_BUF 16384
/* A plane's T x P transform-domain values are staged on the stack (then copied as T
 * contiguous runs) when they fit and C*P floats is a multiple of 4 KiB: written or read in
 * place they are then T streams that all fall into the same L1 sets (256 channels x 16
 * tiles: 16 KiB apart), and each line is evicted between the tile rows that fill it.
 * Otherwise the copy costs more than it saves (measured on ResNet-18's 56x56 and 28x28). */
#define WINO_MAX_STAGE 8192


typedef struct wino_plan {
    const odin_wino_mats *mt;
    int64_t m, a, N, C, H, W, OH, OW, TH, TW, P, pt, pl;
    int VL;
    int b_arg, r_arg;     /* output: bias, residual inputs (-1 none) */
    float lo, hi;         /* output: clamp */
} wino_plan;

static bool wants_stage(const wino_plan *p) {
    return p->a * p->a * p->P <= WINO_MAX_STAGE && (p->C * p->P) % 1024 == 0;
}

static int pick_lanes(odin_lower_ctx *c, int64_t tw) {
    int vf = odin_target_vector_floats(c->target);
    int vl = vf >= 16 ? 16 : vf >= 8 ? 8 : 4;
    while (vl > 1 && vl > tw) vl /= 2;
    return vl;
}

static bool plan_read(const odin_graph *g, int node, bool input, wino_plan *p) {
    const odin_node *n = &g->nodes[node];
    memset(p, 0, sizeof *p);
    const int64_t *o = NULL, *pd = NULL;
    p->mt = odin_wino_mats_get(odin_attr_i(n, "m"));
    if (!p->mt || odin_attr_ints(n, "out_hw", &o) != 2 || n->n_inputs < 1 || n->inputs[0] < 0)
        return false;
    p->m = p->mt->m;
    p->a = p->mt->a;
    p->OH = o[0];
    p->OW = o[1];
    p->TH = odin_wino_tiles(p->OH, p->m);
    p->TW = odin_wino_tiles(p->OW, p->m);
    const odin_tensor *x = &g->tensors[n->inputs[0]], *y = &g->tensors[n->outputs[0]];
    if (x->dtype != ODIN_F32 || y->dtype != ODIN_F32 || odin_tensor_numel(x) < 1 ||
        odin_tensor_numel(y) < 1)
        return false;
    if (input) {
        if (x->rank != 4 || odin_attr_ints(n, "pads", &pd) != 2) return false;
        p->N = x->dims[0];
        p->C = x->dims[1];
        p->H = x->dims[2];
        p->W = x->dims[3];
        p->pt = pd[0];
        p->pl = pd[1];
        if (p->a * (p->TW * p->m + 2) > WINO_MAX_BUF) return false;
    } else {
        if (y->rank != 4) return false;
        p->N = y->dims[0];
        p->C = y->dims[1];
        p->b_arg = n->n_inputs > 1 && n->inputs[1] >= 0 ? 1 : -1;
        p->r_arg = n->n_inputs > 2 && n->inputs[2] >= 0 ? 2 : -1;
        p->lo = odin_attr_f(n, "act_min");
        p->hi = odin_attr_f(n, "act_max");
        if (p->m * p->TW * p->m > WINO_MAX_BUF) return false;
    }
    p->P = p->N * p->TH * p->TW;
    return true;
}

static bool input_accepts(const odin_graph *g, int node) {
    wino_plan p;
    return plan_read(g, node, true, &p);
}

static bool output_accepts(const odin_graph *g, int node) {
    wino_plan p;
    return plan_read(g, node, false, &p);
}

/* ---- value helpers: a "value" is a float or a <VL x float> ---- */

static LLVMTypeRef val_type(odin_lower_ctx *c, int vl) {
    return vl > 1 ? LLVMVectorType(c->t_f32, (unsigned)vl) : c->t_f32;
}

static LLVMValueRef val_const(odin_lower_ctx *c, int vl, double v) {
    LLVMValueRef s = odin_f32c(c, (float)v);
    if (vl == 1) return s;
    LLVMValueRef e[16];
    for (int i = 0; i < vl; i++) e[i] = s;
    return LLVMConstVector(e, (unsigned)vl);
}

static LLVMValueRef val_load(odin_lower_ctx *c, LLVMTypeRef t, LLVMValueRef ptr) {
    LLVMValueRef v = LLVMBuildLoad2(c->b, t, ptr, "");
    LLVMSetAlignment(v, 4);
    return v;
}

static void val_store(odin_lower_ctx *c, LLVMValueRef v, LLVMValueRef ptr) {
    LLVMSetAlignment(LLVMBuildStore(c->b, v, ptr), 4);
}

/* sum_j coef[j * stride] * v[j] over the nonzero coefficients (+-1 as add / sub). */
static LLVMValueRef lin(odin_lower_ctx *c, int vl, const double *coef, int stride,
                        LLVMValueRef *v, int n) {
    LLVMValueRef acc = NULL;
    for (int j = 0; j < n; j++) {
        double k = coef[j * stride];
        if (k == 0) continue;
        if (!acc) {
            acc = k == 1 ? v[j] : k == -1 ? LLVMBuildFNeg(c->b, v[j], "")
                                          : LLVMBuildFMul(c->b, v[j], val_const(c, vl, k), "");
        } else if (k == 1) {
            acc = LLVMBuildFAdd(c->b, acc, v[j], "");
        } else if (k == -1) {
            acc = LLVMBuildFSub(c->b, acc, v[j], "");
        } else {
            LLVMValueRef args[3] = {v[j], val_const(c, vl, k), acc};
            acc = odin_intrinsic(c, "llvm.fmuladd", val_type(c, vl), args, 3);
        }
    }
    return acc ? acc : val_const(c, vl, 0);
}

/* lanes i of `w` at i * step + first, as a <vl> vector */
static LLVMValueRef pick(odin_lower_ctx *c, LLVMValueRef w, int vl, int64_t step, int64_t first) {
    LLVMValueRef idx[16];
    for (int i = 0; i < vl; i++) idx[i] = LLVMConstInt(c->t_i32, (unsigned long long)(i * step + first), 0);
    return LLVMBuildShuffleVector(c->b, w, LLVMGetPoison(LLVMTypeOf(w)), LLVMConstVector(idx, (unsigned)vl), "");
}

static LLVMValueRef fma_c(odin_lower_ctx *c, int vl, LLVMValueRef x, double k, LLVMValueRef acc) {
    LLVMValueRef args[3] = {x, val_const(c, vl, k), acc};
    return odin_intrinsic(c, "llvm.fmuladd", val_type(c, vl), args, 3);
}

/* out = B^T in (a values). F(4x4)'s rows share terms (12 operations instead of 22):
 * rows 1, 2 = (d4 - 4 d2) +- (d3 - 4 d1), rows 3, 4 = (d4 - d2) +- 2 (d3 - d1). */
static void apply_bt(odin_lower_ctx *c, const odin_wino_mats *mt, int vl, LLVMValueRef *d,
                     LLVMValueRef *out) {
    if (mt->m != 4) {
        for (int i = 0; i < mt->a; i++) out[i] = lin(c, vl, mt->bt[i], 1, d, mt->a);
        return;
    }
    LLVMValueRef a = fma_c(c, vl, d[2], -4, d[4]), b = fma_c(c, vl, d[1], -4, d[3]);
    LLVMValueRef e = LLVMBuildFSub(c->b, d[4], d[2], ""), f = LLVMBuildFSub(c->b, d[3], d[1], "");
    out[0] = fma_c(c, vl, d[0], 4, fma_c(c, vl, d[2], -5, d[4]));
    out[1] = LLVMBuildFAdd(c->b, a, b, "");
    out[2] = LLVMBuildFSub(c->b, a, b, "");
    out[3] = fma_c(c, vl, f, 2, e);
    out[4] = fma_c(c, vl, f, -2, e);
    out[5] = fma_c(c, vl, d[1], 4, fma_c(c, vl, d[3], -5, d[5]));
}

/* out = A^T in (m of a values). F(4x4): sums and differences of the +-1 and +-2 pairs. */
static void apply_at(odin_lower_ctx *c, const odin_wino_mats *mt, int vl, LLVMValueRef *d,
                     LLVMValueRef *out) {
    if (mt->m != 4) {
        for (int i = 0; i < mt->m; i++) out[i] = lin(c, vl, mt->at[i], 1, d, mt->a);
        return;
    }
    LLVMValueRef s12 = LLVMBuildFAdd(c->b, d[1], d[2], ""), t12 = LLVMBuildFSub(c->b, d[1], d[2], "");
    LLVMValueRef s34 = LLVMBuildFAdd(c->b, d[3], d[4], ""), t34 = LLVMBuildFSub(c->b, d[3], d[4], "");
    out[0] = LLVMBuildFAdd(c->b, LLVMBuildFAdd(c->b, d[0], s12, ""), s34, "");
    out[1] = fma_c(c, vl, t34, 2, t12);
    out[2] = fma_c(c, vl, s34, 4, s12);
    out[3] = LLVMBuildFAdd(c->b, fma_c(c, vl, t34, 8, t12), d[5], "");
}

/* ---- WinogradInput ---- */

typedef struct in_state {
    const wino_plan *p;
    LLVMValueRef buf, vbase, pbase; /* row buffer [a][BW]; &V[0, c, 0]; first tile of the row */
    int64_t vstride;                /* floats between transform points at vbase */
} in_state;

static void input_tiles(odin_lower_ctx *c, const in_state *s, LLVMValueRef tx0) {
    const wino_plan *p = s->p;
    const odin_wino_mats *mt = p->mt;
    int vl = p->VL, a = (int)p->a, m = (int)p->m;
    int64_t BW = p->TW * p->m + 2;
    LLVMTypeRef wt = LLVMVectorType(c->t_f32, (unsigned)(m * vl));
    LLVMValueRef d[ODIN_WINO_MAX_A][ODIN_WINO_MAX_A], t[ODIN_WINO_MAX_A][ODIN_WINO_MAX_A];
    LLVMValueRef col0 = odin_mul_i64(c, tx0, p->m);
    for (int r = 0; r < a; r++) {
        LLVMValueRef row = odin_gep(c, c->t_f32, s->buf, odin_add_i64(c, col0, r * BW));
        if (vl == 1) {
            for (int q = 0; q < a; q++) d[r][q] = odin_load(c, c->t_f32, row, odin_i64(c, q));
            continue;
        }
        LLVMValueRef w0 = val_load(c, wt, row);
        LLVMValueRef w1 = val_load(c, wt, odin_gep(c, c->t_f32, row, odin_i64(c, 2)));
        for (int q = 0; q < a; q++) d[r][q] = q < m ? pick(c, w0, vl, m, q) : pick(c, w1, vl, m, q - 2);
    }
    for (int q = 0; q < a; q++) {
        LLVMValueRef colv[ODIN_WINO_MAX_A], res[ODIN_WINO_MAX_A];
        for (int r = 0; r < a; r++) colv[r] = d[r][q];
        apply_bt(c, mt, vl, colv, res);
        for (int i = 0; i < a; i++) t[i][q] = res[i];
    }
    LLVMValueRef p0 = LLVMBuildNSWAdd(c->b, s->pbase, tx0, "");
    for (int i = 0; i < a; i++) {
        LLVMValueRef vrow[ODIN_WINO_MAX_A];
        apply_bt(c, mt, vl, t[i], vrow);
        for (int j = 0; j < a; j++) {
            LLVMValueRef v = vrow[j];
            LLVMValueRef at = odin_gep(c, c->t_f32, s->vbase, odin_add_i64(c, p0, (int64_t)(i * a + j) * s->vstride));
            val_store(c, v, at);
        }
    }
}

/* tile vectors of a row: whole vectors, then one overlapping the last whole one */
typedef void (*tiles_fn)(odin_lower_ctx *c, const void *s, LLVMValueRef tx0);

static void for_tile_vectors(odin_lower_ctx *c, int64_t TW, int vl, tiles_fn f, const void *s) {
    int64_t whole = TW / vl;
    odin_loop l;
    LLVMValueRef tx0 = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, whole * vl), vl, "tx");
    f(c, s, tx0);
    odin_loop_end(c, &l);
    if (whole * vl < TW) f(c, s, odin_i64(c, TW - vl));
}

static void input_tiles_cb(odin_lower_ctx *c, const void *s, LLVMValueRef tx0) {
    input_tiles(c, s, tx0);
}

static odin_status input_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const wino_plan *p = user;
    int64_t a = p->a, BW = p->TW * p->m + 2;
    in_state s = {p, NULL, NULL, NULL, 0};
    s.buf = odin_entry_alloca(c, LLVMArrayType2(c->t_f32, (uint64_t)(a * BW)), "rows");
    int64_t T = a * a;
    bool staged = wants_stage(p);
    LLVMValueRef stage = staged ? odin_entry_alloca(c, LLVMArrayType2(c->t_f32, (uint64_t)(T * p->P)), "stage") : NULL;
    /* columns outside the input stay zero for every row */
    int64_t cl = p->pl < BW ? p->pl : BW, ch = p->pl + p->W < BW ? p->pl + p->W : BW;
    for (int64_t r = 0; r < a; r++)
        for (int part = 0; part < 2; part++) {
            int64_t from = part ? ch : 0, to = part ? BW : cl;
            if (from >= to) continue;
            odin_loop lz;
            LLVMValueRef b = odin_loop_begin(c, &lz, odin_i64(c, r * BW + from), odin_i64(c, r * BW + to), 1, "z");
            odin_store(c, odin_f32c(c, 0), s.buf, b);
            odin_loop_end(c, &lz);
        }
    odin_loop lp, lt;
    LLVMValueRef pl = odin_loop_begin(c, &lp, lo, hi, 1, "plane"); /* n * C + c */
    LLVMValueRef n = LLVMBuildSDiv(c->b, pl, odin_i64(c, p->C), "");
    LLVMValueRef ch_ = LLVMBuildSRem(c->b, pl, odin_i64(c, p->C), "");
    LLVMValueRef xp = odin_gep(c, c->t_f32, c->in[0], odin_mul_i64(c, pl, p->H * p->W));
    LLVMValueRef vplane = odin_gep(c, c->t_f32, c->out[0], odin_mul_i64(c, ch_, p->P));
    /* staged: the plane's tiles are [T, N*TH*TW] with only image n's range written */
    s.vbase = staged ? stage : vplane;
    s.vstride = staged ? p->P : p->C * p->P;
    LLVMValueRef ty = odin_loop_begin(c, &lt, odin_i64(c, 0), odin_i64(c, p->TH), 1, "ty");
    s.pbase = odin_mul_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, n, p->TH), ty, ""), p->TW);
    for (int64_t r = 0; r < a; r++) {
        /* row iy of the input, or zeros (the load reads row 0 then, its value unused) */
        LLVMValueRef iy = odin_add_i64(c, odin_mul_i64(c, ty, p->m), r - p->pt);
        LLVMValueRef ok = LLVMBuildICmp(c->b, LLVMIntULT, iy, odin_i64(c, p->H), "");
        LLVMValueRef src = odin_gep(c, c->t_f32, xp, odin_add_i64(c, odin_mul_i64(c, LLVMBuildSelect(c->b, ok, iy, odin_i64(c, 0), ""), p->W), -p->pl));
        odin_loop lc;
        LLVMValueRef b = odin_loop_begin(c, &lc, odin_i64(c, cl), odin_i64(c, ch), 1, "col");
        LLVMValueRef v = LLVMBuildSelect(c->b, ok, odin_load(c, c->t_f32, src, b), odin_f32c(c, 0), "");
        odin_store(c, v, s.buf, odin_add_i64(c, b, r * BW));
        odin_loop_end(c, &lc);
    }
    for_tile_vectors(c, p->TW, p->VL, input_tiles_cb, &s);
    odin_loop_end(c, &lt);
    if (staged) {
        /* image n's tiles of each point: TH*TW floats from stage to V */
        int64_t run = p->TH * p->TW;
        LLVMValueRef first = odin_mul_i64(c, n, run);
        odin_loop lx, lq;
        LLVMValueRef x = odin_loop_begin(c, &lx, odin_i64(c, 0), odin_i64(c, T), 1, "pt");
        LLVMValueRef src = odin_gep(c, c->t_f32, stage, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, x, p->P), first, ""));
        LLVMValueRef dst = odin_gep(c, c->t_f32, vplane, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, x, p->C * p->P), first, ""));
        LLVMValueRef q = odin_loop_begin(c, &lq, odin_i64(c, 0), odin_i64(c, run), 1, "q");
        odin_store(c, odin_load(c, c->t_f32, src, q), dst, q);
        odin_loop_end(c, &lq);
        odin_loop_end(c, &lx);
    }
    odin_loop_end(c, &lp);
    return ODIN_OK;
}

static odin_status lower_input(odin_lower_ctx *c) {
    wino_plan p;
    if (!plan_read(c->g, c->node, true, &p)) return odin_errorf("WinogradInput: unsupported shape");
    p.VL = pick_lanes(c, p.TW);
    return odin_parallel_range(c, p.N * p.C, 1, input_body, &p);
}

/* ---- WinogradOutput ---- */

typedef struct out_state {
    const wino_plan *p;
    LLVMValueRef buf, mbase, pbase; /* row buffer [m][TW*m]; &M[0, k, 0]; first tile */
    int64_t mstride;                /* floats between transform points at mbase */
} out_state;

static void output_tiles(odin_lower_ctx *c, const out_state *s, LLVMValueRef tx0) {
    const wino_plan *p = s->p;
    const odin_wino_mats *mt = p->mt;
    int vl = p->VL, a = (int)p->a, m = (int)p->m;
    int64_t YW = p->TW * p->m;
    LLVMTypeRef vt = val_type(c, vl);
    LLVMValueRef mm[ODIN_WINO_MAX_A][ODIN_WINO_MAX_A], t[4][ODIN_WINO_MAX_A], y[4];
    LLVMValueRef p0 = LLVMBuildNSWAdd(c->b, s->pbase, tx0, "");
    for (int r = 0; r < a; r++)
        for (int q = 0; q < a; q++)
            mm[r][q] = val_load(c, vt, odin_gep(c, c->t_f32, s->mbase, odin_add_i64(c, p0, (int64_t)(r * a + q) * s->mstride)));
    for (int q = 0; q < a; q++) {
        LLVMValueRef colv[ODIN_WINO_MAX_A], res[4];
        for (int r = 0; r < a; r++) colv[r] = mm[r][q];
        apply_at(c, mt, vl, colv, res);
        for (int i = 0; i < m; i++) t[i][q] = res[i];
    }
    LLVMValueRef col0 = odin_mul_i64(c, tx0, p->m);
    for (int i = 0; i < m; i++) {
        apply_at(c, mt, vl, t[i], y);
        LLVMValueRef row = odin_gep(c, c->t_f32, s->buf, odin_add_i64(c, col0, i * YW));
        if (vl == 1) {
            for (int j = 0; j < m; j++) odin_store(c, y[j], row, odin_i64(c, j));
            continue;
        }
        /* lane i of y[j] goes to element i*m + j: concatenate, then one interleaving pick */
        LLVMValueRef cat[2] = {y[0], y[1]};
        if (m == 4) {
            LLVMValueRef idx[32];
            for (int k = 0; k < 2 * vl; k++) idx[k] = LLVMConstInt(c->t_i32, (unsigned long long)k, 0);
            LLVMValueRef mask = LLVMConstVector(idx, (unsigned)(2 * vl));
            cat[0] = LLVMBuildShuffleVector(c->b, y[0], y[1], mask, "");
            cat[1] = LLVMBuildShuffleVector(c->b, y[2], y[3], mask, "");
        }
        LLVMValueRef idx[64];
        for (int i2 = 0; i2 < vl; i2++)
            for (int j = 0; j < m; j++)
                idx[i2 * m + j] = LLVMConstInt(c->t_i32, (unsigned long long)(j * vl + i2), 0);
        LLVMValueRef v = LLVMBuildShuffleVector(c->b, cat[0], cat[1], LLVMConstVector(idx, (unsigned)(m * vl)), "");
        val_store(c, v, row);
    }
}

static void output_tiles_cb(odin_lower_ctx *c, const void *s, LLVMValueRef tx0) {
    output_tiles(c, s, tx0);
}

static odin_status output_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const wino_plan *p = user;
    int64_t m = p->m, YW = p->TW * p->m;
    out_state s = {p, NULL, NULL, NULL, 0};
    s.buf = odin_entry_alloca(c, LLVMArrayType2(c->t_f32, (uint64_t)(m * YW)), "rows");
    int64_t T = p->a * p->a;
    bool staged = wants_stage(p);
    LLVMValueRef stage = staged ? odin_entry_alloca(c, LLVMArrayType2(c->t_f32, (uint64_t)(T * p->P)), "stage") : NULL;
    odin_loop lp, lt;
    LLVMValueRef pl = odin_loop_begin(c, &lp, lo, hi, 1, "plane"); /* n * K + k */
    LLVMValueRef n = LLVMBuildSDiv(c->b, pl, odin_i64(c, p->C), "");
    LLVMValueRef k = LLVMBuildSRem(c->b, pl, odin_i64(c, p->C), "");
    LLVMValueRef mplane = odin_gep(c, c->t_f32, c->in[0], odin_mul_i64(c, k, p->P));
    s.mbase = staged ? stage : mplane;
    s.mstride = staged ? p->P : p->C * p->P;
    if (staged) {
        /* image n's tiles of each point, TH*TW floats from M to the stage */
        int64_t run = p->TH * p->TW;
        LLVMValueRef first = odin_mul_i64(c, n, run);
        odin_loop lx, lq;
        LLVMValueRef x = odin_loop_begin(c, &lx, odin_i64(c, 0), odin_i64(c, T), 1, "pt");
        LLVMValueRef src = odin_gep(c, c->t_f32, mplane, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, x, p->C * p->P), first, ""));
        LLVMValueRef dst = odin_gep(c, c->t_f32, stage, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, x, p->P), first, ""));
        LLVMValueRef q = odin_loop_begin(c, &lq, odin_i64(c, 0), odin_i64(c, run), 1, "q");
        odin_store(c, odin_load(c, c->t_f32, src, q), dst, q);
        odin_loop_end(c, &lq);
        odin_loop_end(c, &lx);
    }
    LLVMValueRef bias = p->b_arg >= 0 ? odin_load(c, c->t_f32, c->in[p->b_arg], k) : NULL;
    LLVMValueRef yp = odin_gep(c, c->t_f32, c->out[0], odin_mul_i64(c, pl, p->OH * p->OW));
    LLVMValueRef rp = p->r_arg >= 0 ? odin_gep(c, c->t_f32, c->in[p->r_arg], odin_mul_i64(c, pl, p->OH * p->OW)) : NULL;
    LLVMValueRef ty = odin_loop_begin(c, &lt, odin_i64(c, 0), odin_i64(c, p->TH), 1, "ty");
    s.pbase = odin_mul_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, n, p->TH), ty, ""), p->TW);
    for_tile_vectors(c, p->TW, p->VL, output_tiles_cb, &s);
    for (int64_t i = 0; i < m; i++) {
        LLVMValueRef oy = odin_add_i64(c, odin_mul_i64(c, ty, m), i);
        LLVMBasicBlockRef join = NULL;
        if (p->OH % m) join = odin_if_begin(c, LLVMBuildICmp(c->b, LLVMIntSLT, oy, odin_i64(c, p->OH), ""));
        LLVMValueRef off = odin_mul_i64(c, oy, p->OW);
        LLVMValueRef yrow = odin_gep(c, c->t_f32, yp, off), rrow = rp ? odin_gep(c, c->t_f32, rp, off) : NULL;
        odin_loop lx;
        LLVMValueRef ox = odin_loop_begin(c, &lx, odin_i64(c, 0), odin_i64(c, p->OW), 1, "ox");
        LLVMValueRef v = odin_load(c, c->t_f32, s.buf, odin_add_i64(c, ox, i * YW));
        if (bias) v = LLVMBuildFAdd(c->b, v, bias, "");
        if (rrow) v = LLVMBuildFAdd(c->b, v, odin_load(c, c->t_f32, rrow, ox), "");
        v = odin_clamp_f32(c, v, p->lo, p->hi);
        odin_store(c, v, yrow, ox);
        odin_loop_end(c, &lx);
        if (join) odin_if_end(c, join);
    }
    odin_loop_end(c, &lt);
    odin_loop_end(c, &lp);
    return ODIN_OK;
}

static odin_status lower_output(odin_lower_ctx *c) {
    wino_plan p;
    if (!plan_read(c->g, c->node, false, &p)) return odin_errorf("WinogradOutput: unsupported shape");
    p.VL = pick_lanes(c, p.TW);
    return odin_parallel_range(c, p.N * p.C, 1, output_body, &p);
}

const odin_lowering odin_lowerings_winograd[] = {
    {"ai.odin::WinogradInput", lower_input, NULL, false, input_accepts},
    {"ai.odin::WinogradOutput", lower_output, NULL, false, output_accepts},
    {NULL, NULL, NULL, false, NULL},
};
