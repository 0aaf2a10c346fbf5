/* codegen/lower_gemm.c — the f32 GEMM engine (see lower_gemm.h).
 *
 * Blocking: the output is cut into work units (batch x row group x column chunk) run by
 * odin_rt_parallel_for. A unit walks K in blocks of Kc; per block it packs
 * B[k0:k0+Kc, chunk] into a stack panel whose row stride avoids power-of-two cache-set
 * aliasing (zero-padded to whole vectors, so the micro-kernel never masks B), then runs
 * the micro-kernel over MR-row x NV-vector tiles. The micro-kernel keeps MR*NV vector
 * accumulators in registers across its k loop and folds them into Y: the first k block
 * stores, later ones add, the last applies alpha and beta*C. Row and column tails use
 * compile-time variants of the same micro-kernel (masked stores on the last vector). */
#include "lower_gemm.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <llvm-c/DebugInfo.h>

#include "irgen.h"
#include "lower_util.h"

odin_gemm_spec odin_gemm_spec_init(int64_t M, int64_t N, int64_t K) {
    odin_gemm_spec s;
    memset(&s, 0, sizeof s);
    s.M = M;
    s.N = N;
    s.K = K;
    s.c_arg = -1;
    s.r_arg = -1;
    s.act_lo = -INFINITY;
    s.act_hi = INFINITY;
    s.alpha = s.beta = 1.0f;
    s.a_si = K;
    s.a_sk = 1;
    s.b_sk = N;
    s.b_sj = 1;
    s.y_si = N;
    return s;
}

/* ---- small IR helpers ---- */

LLVMValueRef odin_mul_i64(odin_lower_ctx *c, LLVMValueRef a, int64_t k) {
    if (k == 0) return odin_i64(c, 0);
    if (k == 1) return a;
    return LLVMBuildNSWMul(c->b, a, odin_i64(c, k), "");
}

LLVMValueRef odin_add_i64(odin_lower_ctx *c, LLVMValueRef a, int64_t k) {
    return k ? LLVMBuildNSWAdd(c->b, a, odin_i64(c, k), "") : a;
}

LLVMValueRef odin_smin(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, a, b, ""), a, b, "");
}

LLVMValueRef odin_smax(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, a, b, ""), a, b, "");
}

LLVMValueRef odin_floor_div(odin_lower_ctx *c, LLVMValueRef x, int64_t d, int64_t bound) {
    if (d == 1) return x;
    int64_t off = (bound / d + 1) * d; /* x + off >= 0, and a multiple of d */
    LLVMValueRef q = LLVMBuildSDiv(c->b, odin_add_i64(c, x, off), odin_i64(c, d), "");
    return odin_add_i64(c, q, -off / d);
}

static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildNSWAdd(c->b, a, b, "");
}

static LLVMValueRef fptr(odin_lower_ctx *c, LLVMValueRef base, LLVMValueRef idx) {
    return odin_gep(c, c->t_f32, base, idx);
}

static LLVMValueRef splat(odin_lower_ctx *c, LLVMTypeRef vt, LLVMValueRef s) {
    unsigned n = LLVMGetVectorSize(vt);
    LLVMValueRef v = LLVMBuildInsertElement(c->b, LLVMGetPoison(vt), s, LLVMConstInt(c->t_i32, 0, 0), "");
    LLVMValueRef mask = LLVMConstNull(LLVMVectorType(c->t_i32, n));
    return LLVMBuildShuffleVector(c->b, v, LLVMGetPoison(vt), mask, "");
}

static LLVMValueRef call_intrinsic(odin_lower_ctx *c, const char *name, LLVMTypeRef *tys, int nty,
                                   LLVMValueRef *args, int n) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(c->m, id, tys, (size_t)nty);
    LLVMTypeRef fty = LLVMIntrinsicGetType(c->c, id, tys, (size_t)nty);
    return LLVMBuildCall2(c->b, fty, fn, args, (unsigned)n, "");
}

static LLVMValueRef lane_mask(odin_lower_ctx *c, int n, int active) {
    LLVMValueRef bits[64];
    LLVMTypeRef i1 = c->t_i1;
    for (int i = 0; i < n; i++) bits[i] = LLVMConstInt(i1, i < active, 0);
    return LLVMConstVector(bits, (unsigned)n);
}

/* Load/store `lanes` leading floats of a vector at p (masked when partial). */
static LLVMValueRef vload(odin_lower_ctx *c, LLVMTypeRef vt, LLVMValueRef p, int lanes) {
    int n = (int)LLVMGetVectorSize(vt);
    if (lanes >= n) {
        LLVMValueRef l = LLVMBuildLoad2(c->b, vt, p, "");
        LLVMSetAlignment(l, 4);
        return l;
    }
    LLVMTypeRef tys[2] = {vt, c->t_ptr};
    LLVMValueRef args[4] = {p, LLVMConstInt(c->t_i32, 4, 0), lane_mask(c, n, lanes),
                            LLVMConstNull(vt)};
    return call_intrinsic(c, "llvm.masked.load", tys, 2, args, 4);
}

static void vstore(odin_lower_ctx *c, LLVMValueRef v, LLVMValueRef p, int lanes) {
    LLVMTypeRef vt = LLVMTypeOf(v);
    int n = (int)LLVMGetVectorSize(vt);
    if (lanes >= n) {
        LLVMSetAlignment(LLVMBuildStore(c->b, v, p), 4);
        return;
    }
    LLVMTypeRef tys[2] = {vt, c->t_ptr};
    LLVMValueRef args[4] = {v, p, LLVMConstInt(c->t_i32, 4, 0), lane_mask(c, n, lanes)};
    call_intrinsic(c, "llvm.masked.store", tys, 2, args, 4);
}

static LLVMValueRef fma3(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b, LLVMValueRef acc) {
    LLVMValueRef args[3] = {a, b, acc};
    return odin_intrinsic(c, "llvm.fmuladd", LLVMTypeOf(a), args, 3);
}

/* A fresh internal function with its own builder, sharing c's module and types. */
static odin_lower_ctx sub_function(odin_lower_ctx *c, const char *name, LLVMTypeRef *params,
                                   int n) {
    odin_lower_ctx f = *c;
    f.fn = LLVMAddFunction(c->m, name, LLVMFunctionType(c->t_void, params, (unsigned)n, 0));
    LLVMSetLinkage(f.fn, LLVMInternalLinkage);
    f.b = LLVMCreateBuilderInContext(c->c);
    LLVMPositionBuilderAtEnd(f.b, LLVMAppendBasicBlockInContext(c->c, f.fn, "entry"));
    return f;
}

/* ---- the blocked GEMM ---- */

typedef struct gemm_plan {
    const odin_gemm_spec *s;
    int VL, MR, NV, NRW;
    int64_t Kc, nkb, NC, ldp, RG, n_rg, n_cc, nbatch;
    int64_t ldb;       /* micro-kernel B row stride: ldp (stack panel) or b_panel */
    int64_t voff[8];   /* offset of B vector v of a tile from the tile's base */
    LLVMTypeRef vt;
    LLVMValueRef mk[2][2]; /* [row tail][column tail] micro-kernels */
} gemm_plan;

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
static int64_t ceil_div64(int64_t x, int64_t m) { return (x + m - 1) / m; }

static void plan_blocks(odin_lower_ctx *c, const odin_gemm_spec *s, gemm_plan *p) {
    p->s = s;
    p->VL = odin_target_vector_floats(c->target);
    if (p->VL < 1) p->VL = 4;
    p->NV = 2;
    /* MR rows x NV vectors of accumulators plus NV B vectors and one broadcast must fit
     * the registers; of the row counts that fit, the one leaving the smallest row tail
     * (a short tail strip runs latency-bound), ties to the taller tile */
    static const int mr_choices[] = {8, 6, 4};
    p->MR = 4;
    int64_t best_waste = -1;
    /* wasm: V8 on x86-64 keeps one of the 16 xmm registers as scratch, and without fused
     * multiply-add each product needs a temporary: a 6x2 tile (16 live vectors) spilled
     * and ran 1.5x slower than 4x2 on 128x768x768 */
    int regs = c->target->vector_regs - (c->target->is_wasm ? 1 : 0);
    int temps = c->target->is_wasm && !c->target->fma ? 1 : 0;
    for (int i = 0; i < 3; i++) {
        int mr = mr_choices[i];
        if (mr * p->NV + p->NV + 1 + temps > regs) continue;
        if (s->a_panel > 0 && s->a_panel % mr) continue; /* a strip stays in one panel */
        int64_t waste = (s->M + mr - 1) / mr * mr - s->M;
        if (best_waste < 0 || waste < best_waste) {
            best_waste = waste;
            p->MR = mr;
        }
    }
    /* wasm, B in packed panels of four vectors: 2 rows x 4 vectors, a whole panel row per
     * k step and 2 broadcasts instead of 4 per 8 multiply-adds, in the same 14 registers
     * (matmuls and gpt2 1-3% faster in V8; convolutions, whose pixel counts leave column
     * tails, ran slower and keep 4x2) */
    if (c->target->is_wasm && !s->conv && s->a_panel <= 0 && s->b_panel == 4 * p->VL) {
        p->NV = 4;
        p->MR = 2;
    }
    p->NRW = p->NV * p->VL;
    p->vt = LLVMVectorType(c->t_f32, (unsigned)p->VL);
    size_t l1 = c->target->l1d ? c->target->l1d : 32 << 10;
    /* a Kc x NRW sliver of the panel stays in L1 while A streams past it */
    p->Kc = (int64_t)(l1 * 3 / 4) / (p->NRW * 4);
    p->Kc = p->Kc < 64 ? 64 : p->Kc > 512 ? 512 : p->Kc / 8 * 8;
    if (s->K <= p->Kc + p->Kc / 4) p->Kc = s->K;
    p->nkb = ceil_div64(s->K, p->Kc);
    /* the panel (Kc x NC) lives on the stack and in L2: at most 256 KiB */
    size_t l2 = c->target->l2 ? c->target->l2 : 512 << 10;
    int64_t panel_bytes = (int64_t)(l2 / 2 < (256 << 10) ? l2 / 2 : (256 << 10));
    int64_t nc = panel_bytes / 4 / p->Kc / p->NRW * p->NRW;
    if (nc < p->NRW) nc = p->NRW;
    p->NC = nc < round_up(s->N, p->NRW) ? nc : round_up(s->N, p->NRW);
    p->nbatch = 1;
    for (int i = 0; i < s->n_bdims; i++) p->nbatch *= s->bdims[i];
    /* enough units for the thread pool. A thread packs B once per column chunk however
     * many of its contiguous units split the rows (gemm_body's segments), so finer row
     * groups cost no packing; wasm modules run single-threaded. */
    int64_t want = 32;
    p->RG = round_up(s->M, p->MR);
    for (; !c->target->is_wasm;) {
        p->n_rg = ceil_div64(s->M, p->RG);
        p->n_cc = ceil_div64(s->N, p->NC);
        if (p->nbatch * p->n_rg * p->n_cc >= want) break;
        /* shorter row groups first: a thread's segment merges them again, while narrower
         * chunks would re-stream A once per chunk even on one thread */
        if (p->RG > 2 * p->MR) p->RG = round_up(p->RG / 2, p->MR);
        else if (p->NC > 2 * p->NRW) p->NC = round_up(p->NC / 2, p->NRW);
        else break;
    }
    p->n_rg = ceil_div64(s->M, p->RG);
    /* chunks start on panel boundaries when B is pre-packed (a tile's vector v sits in
     * panel (v*VL)/W) */
    int64_t unit = p->NRW;
    while (s->b_panel > 0 && unit % s->b_panel) unit += p->NRW;
    p->NC = round_up(p->NC, unit);
    /* equal chunks: threads take equal unit counts, so a narrow last chunk would leave
     * one thread with more columns (512 = 224+224+64 became 4 x 128) */
    int64_t tiles = ceil_div64(s->N, unit), n = ceil_div64(s->N, p->NC), d = 0;
    for (int64_t k = n; k <= 2 * n && !d; k++)
        if (tiles % k == 0) d = k;
    p->NC = (d ? tiles / d : ceil_div64(tiles, n)) * unit;
    p->n_cc = ceil_div64(s->N, p->NC);
    p->ldp = p->NC % 256 == 0 ? p->NC + p->VL : p->NC;
    if (s->b_panel > 0) {
        int64_t W = s->b_panel;
        p->ldb = W;
        for (int v = 0; v < p->NV; v++) p->voff[v] = (v * p->VL) / W * s->K * W + (v * p->VL) % W;
    } else {
        p->ldb = p->ldp;
        for (int v = 0; v < p->NV; v++) p->voff[v] = (int64_t)v * p->VL;
    }
}

/* Address of column jj (a multiple of the tile width) of a packed panel block. */
static LLVMValueRef panel_col(odin_lower_ctx *c, const gemm_plan *p, LLVMValueRef base,
                              LLVMValueRef jj) {
    if (p->s->b_panel <= 0) return fptr(c, base, jj);
    int64_t W = p->s->b_panel;
    LLVMValueRef pi = LLVMBuildSDiv(c->b, jj, odin_i64(c, W), "");
    LLVMValueRef in = LLVMBuildSRem(c->b, jj, odin_i64(c, W), "");
    return fptr(c, base, add(c, odin_mul_i64(c, pi, p->s->K * W), in));
}

/* Marks the loop whose back edge is `br` llvm.loop.unroll.disable. On wasm an unrolled
 * micro-kernel loop is slower: the selection DAG scheduler then groups each accumulator's
 * products of all unrolled steps, which keeps every B vector and splat of those steps
 * live at once, and V8 (16 xmm registers) spills them (relaxed SIMD, whose smaller body
 * LLVM unrolls by 2 at known kc, ran 1.45x slower than plain SIMD128 this way). */
static void no_unroll(odin_lower_ctx *c, LLVMValueRef br) {
    LLVMMetadataRef self = LLVMTemporaryMDNode(c->c, NULL, 0);
    LLVMMetadataRef key = LLVMMDStringInContext2(c->c, "llvm.loop.unroll.disable", 24);
    LLVMMetadataRef ops[2] = {self, LLVMMDNodeInContext2(c->c, &key, 1)};
    LLVMMetadataRef id = LLVMMDNodeInContext2(c->c, ops, 2);
    LLVMMetadataReplaceAllUsesWith(self, id); /* a loop ID's first operand is itself */
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(c->c, "llvm.loop", 9), LLVMMetadataAsValue(c->c, id));
}

/* Packed A (a_panel rows per k, contiguous) streams through the micro-kernel a line
 * every two k steps, a pace the hardware prefetcher falls behind on when A comes from L3
 * or memory (packed resnet18 layer4 filters ran ~25% slower than unpacked rows without
 * this; with it, on par), so the line A_PREFETCH_BYTES ahead is asked for explicitly. */
#define A_PREFETCH_BYTES 2048
static void a_prefetch(odin_lower_ctx *f, LLVMValueRef arow) {
    LLVMValueRef off = odin_i64(f, A_PREFETCH_BYTES);
    LLVMValueRef args[4] = {LLVMBuildGEP2(f->b, f->t_i8, arow, &off, 1, ""), LLVMConstInt(f->t_i32, 0, 0),
                            LLVMConstInt(f->t_i32, 3, 0), LLVMConstInt(f->t_i32, 1, 0)};
    odin_intrinsic(f, "llvm.prefetch", f->t_ptr, args, 4);
}

/* void mk(ptr a, ptr b, ptr y, ptr cp, i64 kc, i32 flags): flags bit 0 = first k block
 * (store, don't add), bit 1 = last k block (apply alpha, beta*C). */
static LLVMValueRef build_microkernel(odin_lower_ctx *c, const gemm_plan *p, int mr, int nv,
                                      int last_lanes) {
    const odin_gemm_spec *s = p->s;
    char name[160];
    snprintf(name, sizeof name, "%s.mk%dx%d_%d", LLVMGetValueName(c->fn), mr, nv, last_lanes);
    LLVMTypeRef params[7] = {c->t_ptr, c->t_ptr, c->t_ptr, c->t_ptr, c->t_i64, c->t_i32, c->t_ptr};
    odin_lower_ctx f = sub_function(c, name, params, 7);
    LLVMValueRef a = LLVMGetParam(f.fn, 0), b = LLVMGetParam(f.fn, 1), y = LLVMGetParam(f.fn, 2),
                 cp = LLVMGetParam(f.fn, 3), kc = LLVMGetParam(f.fn, 4), flags = LLVMGetParam(f.fn, 5),
                 rp = LLVMGetParam(f.fn, 6);
    for (int i = 0; i < 4; i++) LLVMAddAttributeAtIndex(f.fn, (LLVMAttributeIndex)(1 + i), LLVMCreateEnumAttribute(c->c, LLVMGetEnumAttributeKindForName("noalias", 7), 0));
    LLVMTypeRef vt = p->vt;
    LLVMBasicBlockRef entry = LLVMGetInsertBlock(f.b);
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c->c, f.fn, "k");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(c->c, f.fn, "fold");
    LLVMBuildBr(f.b, loop);
    LLVMPositionBuilderAtEnd(f.b, loop);
    LLVMValueRef k = LLVMBuildPhi(f.b, c->t_i64, "k");
    LLVMValueRef zero64 = odin_i64(&f, 0);
    LLVMAddIncoming(k, &zero64, &entry, 1);
    /* a partial last vector computes in the narrowest power-of-two vector (>= 4 lanes)
     * holding its lanes: where wide vectors split into halves (512-bit FMAs on Zen 4) a
     * narrower one costs less, so a 49-column tile (16 + 16 + 16 + 1) wastes 3 lanes
     * instead of 15 */
    LLVMTypeRef vtv[8];
    for (int v = 0; v < nv; v++) {
        int w = p->VL;
        while (v == nv - 1 && w / 2 >= last_lanes && w / 2 >= 4) w /= 2;
        vtv[v] = w == p->VL ? vt : LLVMVectorType(c->t_f32, (unsigned)w);
    }
    LLVMValueRef acc[8][8], phi[8][8];
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) {
            LLVMValueRef zv = LLVMConstNull(vtv[v]);
            phi[r][v] = acc[r][v] = LLVMBuildPhi(f.b, vtv[v], "acc");
            LLVMAddIncoming(phi[r][v], &zv, &entry, 1);
        }
    LLVMValueRef brow, arow, pa = NULL, pb = NULL;
    if (c->target->is_wasm) {
        /* wasm: A and B pointers are loop-carried and advanced through integers, so loop
         * strength reduction cannot re-derive them as its own induction variables: its
         * rewritten addresses lose `inbounds`, and then the constant offsets below stay
         * separate i32.add instead of folding into the loads' offset immediates */
        pa = LLVMBuildPhi(f.b, c->t_ptr, "pa");
        pb = LLVMBuildPhi(f.b, c->t_ptr, "pb");
        LLVMAddIncoming(pa, &a, &entry, 1);
        LLVMAddIncoming(pb, &b, &entry, 1);
        arow = pa;
        brow = pb;
    } else {
        brow = fptr(&f, b, odin_mul_i64(&f, k, p->ldb));
        arow = fptr(&f, a, odin_mul_i64(&f, k, s->a_sk));
    }
    LLVMValueRef bv[8];
    for (int v = 0; v < nv; v++) bv[v] = vload(&f, vtv[v], fptr(&f, brow, odin_i64(&f, p->voff[v])), p->VL);
    if (s->a_panel > 0 && !c->target->is_wasm) a_prefetch(&f, arow);
    for (int r = 0; r < mr; r++) {
        LLVMValueRef av = odin_load(&f, c->t_f32, arow, odin_i64(&f, r * s->a_si));
        LLVMValueRef sv = splat(&f, vt, av), svn = vtv[nv - 1] != vt ? splat(&f, vtv[nv - 1], av) : sv;
        for (int v = 0; v < nv; v++) acc[r][v] = fma3(&f, vtv[v] == vt ? sv : svn, bv[v], acc[r][v]);
    }
    LLVMValueRef knext = odin_add_i64(&f, k, 1);
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(f.b);
    if (pa) {
        LLVMValueRef next[2] = {pa, pb};
        int64_t step[2] = {s->a_sk * 4, p->ldb * 4};
        for (int i = 0; i < 2; i++) {
            LLVMValueRef n = LLVMBuildPtrToInt(f.b, next[i], c->t_i64, "");
            n = LLVMBuildIntToPtr(f.b, odin_add_i64(&f, n, step[i]), c->t_ptr, "");
            LLVMAddIncoming(next[i], &n, &latch, 1);
        }
    }
    LLVMAddIncoming(k, &knext, &latch, 1);
    for (int r = 0; r < mr; r++)
        for (int v = 0; v < nv; v++) LLVMAddIncoming(phi[r][v], &acc[r][v], &latch, 1);
    LLVMValueRef back = LLVMBuildCondBr(f.b, LLVMBuildICmp(f.b, LLVMIntSLT, knext, kc, ""), loop, exit);
    if (pa) no_unroll(c, back);

    LLVMPositionBuilderAtEnd(f.b, exit);
    LLVMValueRef one = LLVMConstInt(c->t_i32, 1, 0), two = LLVMConstInt(c->t_i32, 2, 0);
    LLVMValueRef first = LLVMBuildICmp(f.b, LLVMIntNE, LLVMBuildAnd(f.b, flags, one, ""),
                                       LLVMConstInt(c->t_i32, 0, 0), "");
    LLVMValueRef last = LLVMBuildICmp(f.b, LLVMIntNE, LLVMBuildAnd(f.b, flags, two, ""),
                                      LLVMConstInt(c->t_i32, 0, 0), "");
    bool has_c = s->c_arg >= 0, has_r = s->r_arg >= 0;
    bool epilogue = s->alpha != 1.0f || has_c || has_r || s->act_lo > -INFINITY || s->act_hi < INFINITY;
    for (int r = 0; r < mr; r++) {
        LLVMValueRef cs = NULL; /* scalar C of row r when C broadcasts along j */
        if (has_c && s->c_sj == 0) {
            cs = odin_load(&f, c->t_f32, cp, odin_i64(&f, r * s->c_si));
            if (s->beta != 1.0f) cs = LLVMBuildFMul(f.b, cs, odin_f32c(&f, s->beta), "");
        }
        for (int v = 0; v < nv; v++) {
            int lanes = v == nv - 1 ? last_lanes : p->VL;
            LLVMTypeRef vt = vtv[v];
            LLVMValueRef yp = fptr(&f, y, odin_i64(&f, r * s->y_si + v * p->VL));
            LLVMValueRef old = vload(&f, vt, yp, lanes);
            LLVMValueRef x = LLVMBuildSelect(f.b, first, acc[r][v],
                                             LLVMBuildFAdd(f.b, acc[r][v], old, ""), "");
            if (epilogue) {
                LLVMValueRef e = x;
                if (s->alpha != 1.0f) e = LLVMBuildFMul(f.b, e, splat(&f, vt, odin_f32c(&f, s->alpha)), "");
                if (has_c) {
                    LLVMValueRef cv = cs ? splat(&f, vt, cs) : NULL;
                    if (!cv) {
                        cv = vload(&f, vt, fptr(&f, cp, odin_i64(&f, r * s->c_si + v * p->VL)), lanes);
                        if (s->beta != 1.0f)
                            cv = LLVMBuildFMul(f.b, cv, splat(&f, vt, odin_f32c(&f, s->beta)), "");
                    }
                    e = LLVMBuildFAdd(f.b, e, cv, "");
                }
                if (has_r)
                    e = LLVMBuildFAdd(f.b, e, vload(&f, vt, fptr(&f, rp, odin_i64(&f, r * s->y_si + v * p->VL)), lanes), "");
                e = odin_clamp_f32(&f, e, s->act_lo, s->act_hi);
                x = LLVMBuildSelect(f.b, last, e, x, "");
            }
            vstore(&f, x, yp, lanes);
        }
    }
    LLVMBuildRetVoid(f.b);
    LLVMDisposeBuilder(f.b);
    return f.fn;
}

/* Pack B[k0:k0+kc, j0:j0+nc] of a matrix into buf (row stride ldp). */
static void pack_matrix(odin_lower_ctx *c, const gemm_plan *p, LLVMValueRef buf, LLVMValueRef bb,
                        LLVMValueRef k0, LLVMValueRef kc, LLVMValueRef j0, LLVMValueRef nc) {
    const odin_gemm_spec *s = p->s;
    odin_loop l1, l2;
    if (s->b_sj == 1 || s->N == 1) {
        LLVMValueRef kk = odin_loop_begin(c, &l1, odin_i64(c, 0), kc, 1, "pk");
        LLVMValueRef src = fptr(c, bb, add(c, odin_mul_i64(c, add(c, k0, kk), s->b_sk), j0));
        LLVMValueRef dst = fptr(c, buf, odin_mul_i64(c, kk, p->ldp));
        LLVMValueRef jj = odin_loop_begin(c, &l2, odin_i64(c, 0), nc, 1, "pj");
        odin_store(c, odin_load(c, c->t_f32, src, jj), dst, jj);
        odin_loop_end(c, &l2);
        odin_loop_end(c, &l1);
    } else { /* B(k, j) contiguous along k: read rows of B^T, write panel columns */
        LLVMValueRef jj = odin_loop_begin(c, &l1, odin_i64(c, 0), nc, 1, "pj");
        LLVMValueRef src = fptr(c, bb, add(c, odin_mul_i64(c, add(c, j0, jj), s->b_sj),
                                           odin_mul_i64(c, k0, s->b_sk)));
        LLVMValueRef kk = odin_loop_begin(c, &l2, odin_i64(c, 0), kc, 1, "pk");
        odin_store(c, odin_load(c, c->t_f32, src, odin_mul_i64(c, kk, s->b_sk)), buf,
                   add(c, odin_mul_i64(c, kk, p->ldp), jj));
        odin_loop_end(c, &l2);
        odin_loop_end(c, &l1);
    }
}

static void zero_range(odin_lower_ctx *c, LLVMValueRef base, LLVMValueRef from, LLVMValueRef to) {
    odin_loop l;
    LLVMValueRef i = odin_loop_begin(c, &l, from, to, 1, "z");
    odin_store(c, odin_f32c(c, 0.0f), base, i);
    odin_loop_end(c, &l);
}

/* Pack the implicit im2col of conv input xb: row k = (ci, kd, kh, kw), column j = output
 * pixel. Each output row splits into zero / copy / zero segments, so the copy loop has
 * no per-element bounds test and vectorizes. */
static void pack_conv(odin_lower_ctx *c, const gemm_plan *p, LLVMValueRef buf, LLVMValueRef xb,
                      LLVMValueRef k0, LLVMValueRef kc, LLVMValueRef j0, LLVMValueRef nc) {
    const odin_conv_geom *g = p->s->conv;
    int64_t KD = g->k[0], KH = g->k[1], KW = g->k[2], KS = KD * KH * KW;
    int64_t ID = g->in[0], IH = g->in[1], IW = g->in[2], IS = ID * IH * IW;
    int64_t OH = g->out[1], OW = g->out[2];
    int64_t sw = g->stride[2];
    odin_loop lk, lr;
    LLVMValueRef kk = odin_loop_begin(c, &lk, odin_i64(c, 0), kc, 1, "pk");
    LLVMValueRef k = add(c, k0, kk);
    LLVMValueRef ci = LLVMBuildSDiv(c->b, k, odin_i64(c, KS), "");
    LLVMValueRef tap = LLVMBuildSRem(c->b, k, odin_i64(c, KS), "");
    LLVMValueRef kd = LLVMBuildSDiv(c->b, tap, odin_i64(c, KH * KW), "");
    LLVMValueRef t2 = LLVMBuildSRem(c->b, tap, odin_i64(c, KH * KW), "");
    LLVMValueRef kh = LLVMBuildSDiv(c->b, t2, odin_i64(c, KW), "");
    LLVMValueRef kw = LLVMBuildSRem(c->b, t2, odin_i64(c, KW), "");
    LLVMValueRef xc = fptr(c, xb, odin_mul_i64(c, ci, IS));
    LLVMValueRef dst = fptr(c, buf, odin_mul_i64(c, kk, p->ldp));
    LLVMValueRef shift = odin_add_i64(c, odin_mul_i64(c, kw, g->dil[2]), -g->pad0[2]);
    int64_t bound = (KW - 1) * g->dil[2] + g->pad0[2] + IW + 2 * sw;
    LLVMValueRef nshift = LLVMBuildNSWSub(c->b, odin_i64(c, 0), shift, "");
    LLVMValueRef lo = odin_floor_div(c, odin_add_i64(c, nshift, sw - 1), sw, bound);
    LLVMValueRef hi = odin_add_i64(c, odin_floor_div(c, odin_add_i64(c, nshift, IW - 1), sw, bound), 1);
    LLVMValueRef zero = odin_i64(c, 0), ow_n = odin_i64(c, OW);
    lo = odin_smin(c, odin_smax(c, lo, zero), ow_n);
    hi = odin_smin(c, odin_smax(c, hi, zero), ow_n);
    LLVMValueRef idoff = odin_add_i64(c, odin_mul_i64(c, kd, g->dil[0]), -g->pad0[0]);
    LLVMValueRef ihoff = odin_add_i64(c, odin_mul_i64(c, kh, g->dil[1]), -g->pad0[1]);
    LLVMValueRef j1 = add(c, j0, nc);
    LLVMValueRef r0 = LLVMBuildSDiv(c->b, j0, ow_n, "");
    LLVMValueRef r1 = odin_add_i64(c, LLVMBuildSDiv(c->b, odin_add_i64(c, j1, -1), ow_n, ""), 1);
    LLVMValueRef row = odin_loop_begin(c, &lr, r0, r1, 1, "prow");
    LLVMValueRef od = LLVMBuildSDiv(c->b, row, odin_i64(c, OH), "");
    LLVMValueRef oh = LLVMBuildSRem(c->b, row, odin_i64(c, OH), "");
    LLVMValueRef id = add(c, odin_mul_i64(c, od, g->stride[0]), idoff);
    LLVMValueRef ih = add(c, odin_mul_i64(c, oh, g->stride[1]), ihoff);
    LLVMValueRef rowbase = odin_mul_i64(c, row, OW);
    LLVMValueRef start = odin_smax(c, j0, rowbase);
    LLVMValueRef a0 = LLVMBuildNSWSub(c->b, start, rowbase, "");
    LLVMValueRef a1 = LLVMBuildNSWSub(c->b, odin_smin(c, j1, odin_add_i64(c, rowbase, OW)), rowbase, "");
    LLVMValueRef valid = LLVMBuildAnd(c->b, LLVMBuildICmp(c->b, LLVMIntULT, id, odin_i64(c, ID), ""),
                                      LLVMBuildICmp(c->b, LLVMIntULT, ih, odin_i64(c, IH), ""), "");
    LLVMValueRef lo2 = LLVMBuildSelect(c->b, valid, odin_smin(c, odin_smax(c, lo, a0), a1), a1, "");
    LLVMValueRef hi2 = LLVMBuildSelect(c->b, valid, odin_smin(c, odin_smax(c, hi, lo2), a1), a1, "");
    /* dst column of ow in this row: (start - j0) + (ow - a0) */
    LLVMValueRef drow = fptr(c, dst, LLVMBuildNSWSub(c->b, LLVMBuildNSWSub(c->b, start, j0, ""), a0, ""));
    zero_range(c, drow, a0, lo2);
    zero_range(c, drow, hi2, a1);
    LLVMBasicBlockRef join = odin_if_begin(c, LLVMBuildICmp(c->b, LLVMIntSLT, lo2, hi2, ""));
    {
        LLVMValueRef xrow = fptr(c, xc, add(c, odin_mul_i64(c, add(c, odin_mul_i64(c, id, IH), ih), IW), shift));
        odin_loop lw;
        LLVMValueRef ow = odin_loop_begin(c, &lw, lo2, hi2, 1, "pw");
        odin_store(c, odin_load(c, c->t_f32, xrow, odin_mul_i64(c, ow, sw)), drow, ow);
        odin_loop_end(c, &lw);
    }
    odin_if_end(c, join);
    odin_loop_end(c, &lr);
    odin_loop_end(c, &lk);
}

typedef struct tile_args {
    LLVMValueRef a, y, cp, rp, buf, kc, flags, nc;
} tile_args;

/* All column tiles of one MR-row (or tail) strip. */
static void emit_strip(odin_lower_ctx *c, const gemm_plan *p, int rv, const tile_args *t) {
    const odin_gemm_spec *s = p->s;
    LLVMTypeRef params[7] = {c->t_ptr, c->t_ptr, c->t_ptr, c->t_ptr, c->t_i64, c->t_i32, c->t_ptr};
    LLVMTypeRef fty = LLVMFunctionType(c->t_void, params, 7, 0);
    LLVMValueRef nfull = LLVMBuildSDiv(c->b, t->nc, odin_i64(c, p->NRW), "");
    odin_loop l;
    LLVMValueRef ti = odin_loop_begin(c, &l, odin_i64(c, 0), nfull, 1, "tile");
    LLVMValueRef jj = odin_mul_i64(c, ti, p->NRW);
    LLVMValueRef args[7] = {t->a, panel_col(c, p, t->buf, jj), fptr(c, t->y, jj),
                            t->cp ? fptr(c, t->cp, odin_mul_i64(c, jj, s->c_sj)) : LLVMConstNull(c->t_ptr),
                            t->kc, t->flags, t->rp ? fptr(c, t->rp, jj) : LLVMConstNull(c->t_ptr)};
    LLVMBuildCall2(c->b, fty, p->mk[rv][0], args, 7, "");
    odin_loop_end(c, &l);
    if (p->mk[rv][1]) {
        LLVMValueRef jt = odin_mul_i64(c, nfull, p->NRW);
        LLVMBasicBlockRef join = odin_if_begin(c, LLVMBuildICmp(c->b, LLVMIntSLT, jt, t->nc, ""));
        LLVMValueRef a2[7] = {t->a, panel_col(c, p, t->buf, jt), fptr(c, t->y, jt),
                              t->cp ? fptr(c, t->cp, odin_mul_i64(c, jt, s->c_sj)) : LLVMConstNull(c->t_ptr),
                              t->kc, t->flags, t->rp ? fptr(c, t->rp, jt) : LLVMConstNull(c->t_ptr)};
        LLVMBuildCall2(c->b, fty, p->mk[rv][1], a2, 7, "");
        odin_if_end(c, join);
    }
}

/* Offset of A's row i (a multiple of the micro-kernel height) in elements. */
static LLVMValueRef a_row(odin_lower_ctx *c, const odin_gemm_spec *s, LLVMValueRef i) {
    if (s->a_panel <= 0) return odin_mul_i64(c, i, s->a_si);
    LLVMValueRef pi = LLVMBuildSDiv(c->b, i, odin_i64(c, s->a_panel), "");
    LLVMValueRef in = LLVMBuildSRem(c->b, i, odin_i64(c, s->a_panel), "");
    return add(c, odin_mul_i64(c, pi, s->K * s->a_panel), in);
}

/* Offsets of batch element bi in each operand (elements). */
static void batch_offsets(odin_lower_ctx *c, const odin_gemm_spec *s, LLVMValueRef bi,
                          LLVMValueRef off[4]) {
    for (int i = 0; i < 4; i++) off[i] = odin_i64(c, 0);
    LLVMValueRef t = bi;
    for (int d = s->n_bdims - 1; d >= 0; d--) {
        LLVMValueRef coord = d ? LLVMBuildSRem(c->b, t, odin_i64(c, s->bdims[d]), "") : t;
        if (d) t = LLVMBuildSDiv(c->b, t, odin_i64(c, s->bdims[d]), "");
        const int64_t *st[4] = {s->a_bs, s->b_bs, s->c_bs, s->y_bs};
        for (int i = 0; i < 4; i++) off[i] = add(c, off[i], odin_mul_i64(c, coord, st[i][d]));
    }
}

static odin_status gemm_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const gemm_plan *p = user;
    const odin_gemm_spec *s = p->s;
    bool packed = s->b_panel > 0;
    LLVMValueRef buf = NULL;
    if (!packed) {
        buf = LLVMBuildArrayAlloca(c->b, c->t_f32, odin_i64(c, p->Kc * p->ldp), "panel");
        LLVMSetAlignment(buf, 64);
    }
    /* A thread's units are contiguous and row groups vary fastest: the units sharing one
     * (batch, column chunk) form a segment that runs as one row range, so B is packed
     * once per thread and chunk however finely the rows were split. */
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(c->c, c->fn, "seg");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(c->c, c->fn, "seg.body");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c->c, c->fn, "seg.done");
    LLVMBuildBr(c->b, head);
    LLVMPositionBuilderAtEnd(c->b, head);
    LLVMValueRef u = LLVMBuildPhi(c->b, c->t_i64, "u");
    LLVMAddIncoming(u, &lo, &pre, 1);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, u, hi, ""), body, done);
    LLVMPositionBuilderAtEnd(c->b, body);
    LLVMValueRef group = LLVMBuildSDiv(c->b, u, odin_i64(c, p->n_rg), ""); /* batch * n_cc + cc */
    LLVMValueRef seg_end = odin_smin(c, hi, odin_mul_i64(c, odin_add_i64(c, group, 1), p->n_rg));
    LLVMValueRef bi = LLVMBuildSDiv(c->b, group, odin_i64(c, p->n_cc), "");
    LLVMValueRef cc = LLVMBuildSRem(c->b, group, odin_i64(c, p->n_cc), "");
    LLVMValueRef rg = LLVMBuildSRem(c->b, u, odin_i64(c, p->n_rg), "");
    LLVMValueRef rg_end = LLVMBuildNSWSub(c->b, seg_end, odin_mul_i64(c, group, p->n_rg), "");
    LLVMValueRef off[4];
    batch_offsets(c, s, bi, off);
    LLVMValueRef i0 = odin_mul_i64(c, rg, p->RG);
    LLVMValueRef i1 = odin_smin(c, odin_mul_i64(c, rg_end, p->RG), odin_i64(c, s->M));
    LLVMValueRef j0 = odin_mul_i64(c, cc, p->NC);
    LLVMValueRef nc = odin_smin(c, odin_i64(c, p->NC), LLVMBuildNSWSub(c->b, odin_i64(c, s->N), j0, ""));
    LLVMValueRef ab = fptr(c, c->in[s->a_arg], off[0]);
    LLVMValueRef bb = fptr(c, c->in[s->b_arg], off[1]);
    LLVMValueRef yb = fptr(c, c->out[s->y_arg], add(c, off[3], j0));
    LLVMValueRef rb = s->r_arg >= 0 ? fptr(c, c->in[s->r_arg], add(c, off[3], j0)) : NULL;
    LLVMValueRef cb = s->c_arg >= 0 ? fptr(c, c->in[s->c_arg], add(c, off[2], odin_mul_i64(c, j0, s->c_sj))) : NULL;
    LLVMValueRef ncpad = LLVMBuildAnd(c->b, odin_add_i64(c, nc, p->VL - 1), odin_i64(c, -(int64_t)p->VL), "");

    odin_loop lk;
    LLVMValueRef kb = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, p->nkb), 1, "kb");
    LLVMValueRef k0 = odin_mul_i64(c, kb, p->Kc);
    LLVMValueRef kc = odin_smin(c, odin_i64(c, p->Kc), LLVMBuildNSWSub(c->b, odin_i64(c, s->K), k0, ""));
    LLVMValueRef kbuf = buf;
    if (packed) /* the chunk's first panel at row k0 */
        kbuf = fptr(c, bb, add(c, odin_mul_i64(c, LLVMBuildSDiv(c->b, j0, odin_i64(c, s->b_panel), ""),
                                               s->K * s->b_panel),
                               odin_mul_i64(c, k0, s->b_panel)));
    else if (s->conv) pack_conv(c, p, buf, bb, k0, kc, j0, nc);
    else pack_matrix(c, p, buf, bb, k0, kc, j0, nc);
    if (!packed && s->N % p->VL) { /* only the last chunk has a partial vector: zero its padding */
        odin_loop lz;
        LLVMValueRef kk = odin_loop_begin(c, &lz, odin_i64(c, 0), kc, 1, "zk");
        zero_range(c, fptr(c, buf, odin_mul_i64(c, kk, p->ldp)), nc, ncpad);
        odin_loop_end(c, &lz);
    }
    LLVMValueRef is_first = LLVMBuildZExt(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, kb, odin_i64(c, 0), ""), c->t_i32, "");
    LLVMValueRef is_last = LLVMBuildZExt(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, kb, odin_i64(c, p->nkb - 1), ""), c->t_i32, "");
    LLVMValueRef flags = LLVMBuildOr(c->b, is_first, LLVMBuildShl(c->b, is_last, LLVMConstInt(c->t_i32, 1, 0), ""), "");
    LLVMValueRef rows = LLVMBuildNSWSub(c->b, i1, i0, "");
    LLVMValueRef full_end = add(c, i0, odin_mul_i64(c, LLVMBuildSDiv(c->b, rows, odin_i64(c, p->MR), ""), p->MR));
    odin_loop lr;
    LLVMValueRef i = odin_loop_begin(c, &lr, i0, full_end, p->MR, "rows");
    tile_args t = {.a = fptr(c, ab, add(c, a_row(c, s, i), odin_mul_i64(c, k0, s->a_sk))),
                   .y = fptr(c, yb, odin_mul_i64(c, i, s->y_si)),
                   .cp = cb ? fptr(c, cb, odin_mul_i64(c, i, s->c_si)) : NULL,
                   .rp = rb ? fptr(c, rb, odin_mul_i64(c, i, s->y_si)) : NULL,
                   .buf = kbuf, .kc = kc, .flags = flags, .nc = nc};
    emit_strip(c, p, 0, &t);
    odin_loop_end(c, &lr);
    if (p->mk[1][0]) {
        LLVMBasicBlockRef join = odin_if_begin(c, LLVMBuildICmp(c->b, LLVMIntSLT, full_end, i1, ""));
        tile_args t2 = t;
        t2.a = fptr(c, ab, add(c, a_row(c, s, full_end), odin_mul_i64(c, k0, s->a_sk)));
        t2.y = fptr(c, yb, odin_mul_i64(c, full_end, s->y_si));
        t2.cp = cb ? fptr(c, cb, odin_mul_i64(c, full_end, s->c_si)) : NULL;
        t2.rp = rb ? fptr(c, rb, odin_mul_i64(c, full_end, s->y_si)) : NULL;
        emit_strip(c, p, 1, &t2);
        odin_if_end(c, join);
    }
    odin_loop_end(c, &lk);
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMAddIncoming(u, &seg_end, &latch, 1);
    LLVMBuildBr(c->b, head);
    LLVMPositionBuilderAtEnd(c->b, done);
    return ODIN_OK;
}

/* ---- GEMV: one output row (M == 1) streaming B row by row ---- */

typedef struct gemv_plan {
    const odin_gemm_spec *s;
    int VL, NV;
    int64_t JW, n_jb, nbatch;
    LLVMTypeRef vt;
} gemv_plan;

/* y[j0 : j0 + nv vectors] for one batch element; lanes: floats in the last vector. */
static void gemv_block(odin_lower_ctx *c, const gemv_plan *p, LLVMValueRef a, const LLVMValueRef *vb,
                       int64_t rs, LLVMValueRef y, LLVMValueRef cp, int nv, int lanes) {
    const odin_gemm_spec *s = p->s;
    LLVMTypeRef vt = p->vt;
    LLVMBasicBlockRef entry = LLVMGetInsertBlock(c->b);
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c->c, c->fn, "gk");
    LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(c->c, c->fn, "gfold");
    LLVMBuildBr(c->b, loop);
    LLVMPositionBuilderAtEnd(c->b, loop);
    LLVMValueRef k = LLVMBuildPhi(c->b, c->t_i64, "k");
    LLVMValueRef z = odin_i64(c, 0), zv = LLVMConstNull(vt);
    LLVMAddIncoming(k, &z, &entry, 1);
    LLVMValueRef phi[8], acc[8];
    for (int v = 0; v < nv; v++) {
        phi[v] = acc[v] = LLVMBuildPhi(c->b, vt, "acc");
        LLVMAddIncoming(phi[v], &zv, &entry, 1);
    }
    LLVMValueRef sv = splat(c, vt, odin_load(c, c->t_f32, a, odin_mul_i64(c, k, s->a_sk)));
    LLVMValueRef krow = odin_mul_i64(c, k, rs);
    for (int v = 0; v < nv; v++) {
        LLVMValueRef bv = vload(c, vt, fptr(c, vb[v], krow), v == nv - 1 ? lanes : p->VL);
        /* wasm: the k loop is bound by each accumulator's dependency chain; a separate
         * multiply leaves only the add on it (3 cycles; relaxed SIMD's fused multiply-add
         * takes 4: matmul 1x768x2304 0.130 -> 0.117 ms in V8), and more accumulators
         * spill in V8, which loads every vector of a k row before the first add */
        if (c->target->is_wasm) acc[v] = LLVMBuildFAdd(c->b, acc[v], LLVMBuildFMul(c->b, sv, bv, ""), "");
        else acc[v] = fma3(c, sv, bv, acc[v]);
    }
    LLVMValueRef knext = odin_add_i64(c, k, 1);
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMAddIncoming(k, &knext, &latch, 1);
    for (int v = 0; v < nv; v++) LLVMAddIncoming(phi[v], &acc[v], &latch, 1);
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, knext, odin_i64(c, s->K), ""), loop, exit);
    LLVMPositionBuilderAtEnd(c->b, exit);
    for (int v = 0; v < nv; v++) {
        int ln = v == nv - 1 ? lanes : p->VL;
        LLVMValueRef x = acc[v];
        if (s->alpha != 1.0f) x = LLVMBuildFMul(c->b, x, splat(c, vt, odin_f32c(c, s->alpha)), "");
        if (cp) {
            LLVMValueRef cv = s->c_sj == 0 ? splat(c, vt, odin_load(c, c->t_f32, cp, odin_i64(c, 0)))
                                           : vload(c, vt, fptr(c, cp, odin_i64(c, v * p->VL)), ln);
            if (s->beta != 1.0f) cv = LLVMBuildFMul(c->b, cv, splat(c, vt, odin_f32c(c, s->beta)), "");
            x = LLVMBuildFAdd(c->b, x, cv, "");
        }
        vstore(c, x, fptr(c, y, odin_i64(c, v * p->VL)), ln);
    }
}

static odin_status gemv_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const gemv_plan *p = user;
    const odin_gemm_spec *s = p->s;
    odin_loop lu;
    LLVMValueRef u = odin_loop_begin(c, &lu, lo, hi, 1, "unit");
    LLVMValueRef bi = LLVMBuildSDiv(c->b, u, odin_i64(c, p->n_jb), "");
    LLVMValueRef jb = LLVMBuildSRem(c->b, u, odin_i64(c, p->n_jb), "");
    LLVMValueRef off[4];
    batch_offsets(c, s, bi, off);
    LLVMValueRef j0 = odin_mul_i64(c, jb, p->JW);
    LLVMValueRef a = fptr(c, c->in[s->a_arg], off[0]);
    /* each vector's column stream: B rows (stride b_sk) or a packed panel (stride W) */
    LLVMValueRef vb[8];
    int64_t rs = s->b_sk;
    if (s->b_panel > 0) {
        int64_t W = s->b_panel;
        rs = W;
        LLVMValueRef pb = fptr(c, c->in[s->b_arg], add(c, off[1], odin_mul_i64(c, jb, p->JW / W * s->K * W)));
        for (int v = 0; v < p->NV; v++)
            vb[v] = fptr(c, pb, odin_i64(c, (int64_t)v * p->VL / W * s->K * W + (int64_t)v * p->VL % W));
    } else {
        LLVMValueRef b = fptr(c, c->in[s->b_arg], add(c, off[1], j0));
        for (int v = 0; v < p->NV; v++) vb[v] = fptr(c, b, odin_i64(c, (int64_t)v * p->VL));
    }
    LLVMValueRef y = fptr(c, c->out[s->y_arg], add(c, off[3], j0));
    LLVMValueRef cp = s->c_arg >= 0 ? fptr(c, c->in[s->c_arg], add(c, off[2], odin_mul_i64(c, j0, s->c_sj))) : NULL;
    int64_t rem = s->N % p->JW;
    if (!rem) {
        gemv_block(c, p, a, vb, rs, y, cp, p->NV, p->VL);
    } else {
        LLVMValueRef is_tail = LLVMBuildICmp(c->b, LLVMIntEQ, jb, odin_i64(c, p->n_jb - 1), "");
        LLVMBasicBlockRef full = LLVMAppendBasicBlockInContext(c->c, c->fn, "full");
        LLVMBasicBlockRef tail = LLVMAppendBasicBlockInContext(c->c, c->fn, "tail");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->c, c->fn, "join");
        LLVMBuildCondBr(c->b, is_tail, tail, full);
        LLVMPositionBuilderAtEnd(c->b, full);
        gemv_block(c, p, a, vb, rs, y, cp, p->NV, p->VL);
        LLVMBuildBr(c->b, join);
        LLVMPositionBuilderAtEnd(c->b, tail);
        int nv = (int)ceil_div64(rem, p->VL);
        gemv_block(c, p, a, vb, rs, y, cp, nv, (int)(rem - (nv - 1) * p->VL));
        LLVMBuildBr(c->b, join);
        LLVMPositionBuilderAtEnd(c->b, join);
    }
    odin_loop_end(c, &lu);
    return ODIN_OK;
}

/* ---- dot form: Y(r) = sum_k X[k] W[r*w_r + k] (contiguous k): M == 1 with B^T, N == 1 ---- */

typedef struct dot_plan {
    const odin_gemm_spec *s;
    int VL, R;
    int64_t n_rows, n_rb, nbatch;
    bool rows_are_n;    /* rows index N (M == 1) or M (N == 1) */
    LLVMTypeRef vt;
} dot_plan;

static void dot_block(odin_lower_ctx *c, const dot_plan *p, LLVMValueRef x, LLVMValueRef w,
                      int64_t w_r, LLVMValueRef y, int64_t y_r, LLVMValueRef cp, int64_t c_r, int nr) {
    const odin_gemm_spec *s = p->s;
    LLVMTypeRef vt = p->vt;
    int64_t K = s->K, kfull = K / p->VL * p->VL;
    int tail = (int)(K - kfull);
    LLVMValueRef acc[8];
    for (int r = 0; r < nr; r++) acc[r] = LLVMConstNull(vt);
    if (kfull > 0) {
        LLVMBasicBlockRef entry = LLVMGetInsertBlock(c->b);
        LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c->c, c->fn, "dk");
        LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(c->c, c->fn, "dfold");
        LLVMBuildBr(c->b, loop);
        LLVMPositionBuilderAtEnd(c->b, loop);
        LLVMValueRef k = LLVMBuildPhi(c->b, c->t_i64, "k"), z = odin_i64(c, 0), phi[8];
        LLVMAddIncoming(k, &z, &entry, 1);
        for (int r = 0; r < nr; r++) {
            phi[r] = LLVMBuildPhi(c->b, vt, "acc");
            LLVMAddIncoming(phi[r], &acc[r], &entry, 1);
        }
        LLVMValueRef xv = vload(c, vt, fptr(c, x, k), p->VL);
        for (int r = 0; r < nr; r++)
            acc[r] = fma3(c, xv, vload(c, vt, fptr(c, w, add(c, odin_i64(c, r * w_r), k)), p->VL), phi[r]);
        LLVMValueRef knext = odin_add_i64(c, k, p->VL);
        LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
        LLVMAddIncoming(k, &knext, &latch, 1);
        for (int r = 0; r < nr; r++) LLVMAddIncoming(phi[r], &acc[r], &latch, 1);
        LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, knext, odin_i64(c, kfull), ""), loop, exit);
        LLVMPositionBuilderAtEnd(c->b, exit);
    }
    if (tail) {
        LLVMValueRef xv = vload(c, vt, fptr(c, x, odin_i64(c, kfull)), tail);
        for (int r = 0; r < nr; r++)
            acc[r] = fma3(c, xv, vload(c, vt, fptr(c, w, odin_i64(c, r * w_r + kfull)), tail), acc[r]);
    }
    for (int r = 0; r < nr; r++) {
        LLVMValueRef args[2] = {odin_f32c(c, -0.0f), acc[r]};
        LLVMValueRef sum = odin_intrinsic(c, "llvm.vector.reduce.fadd", vt, args, 2);
        LLVMSetFastMathFlags(sum, LLVMFastMathAllowReassoc);
        if (s->alpha != 1.0f) sum = LLVMBuildFMul(c->b, sum, odin_f32c(c, s->alpha), "");
        if (cp) {
            LLVMValueRef cv = odin_load(c, c->t_f32, cp, odin_i64(c, r * c_r));
            if (s->beta != 1.0f) cv = LLVMBuildFMul(c->b, cv, odin_f32c(c, s->beta), "");
            sum = LLVMBuildFAdd(c->b, sum, cv, "");
        }
        odin_store(c, sum, y, odin_i64(c, r * y_r));
    }
}

static odin_status dot_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const dot_plan *p = user;
    const odin_gemm_spec *s = p->s;
    odin_loop lu;
    LLVMValueRef u = odin_loop_begin(c, &lu, lo, hi, 1, "unit");
    LLVMValueRef bi = LLVMBuildSDiv(c->b, u, odin_i64(c, p->n_rb), "");
    LLVMValueRef rb = LLVMBuildSRem(c->b, u, odin_i64(c, p->n_rb), "");
    LLVMValueRef off[4];
    batch_offsets(c, s, bi, off);
    LLVMValueRef r0 = odin_mul_i64(c, rb, p->R);
    /* X is the vector operand, W the matrix whose rows are contiguous in k */
    LLVMValueRef x, w, y, cp = NULL;
    int64_t w_r, y_r, c_r;
    if (p->rows_are_n) {
        x = fptr(c, c->in[s->a_arg], off[0]);
        w_r = s->b_sj;
        w = fptr(c, c->in[s->b_arg], add(c, off[1], odin_mul_i64(c, r0, w_r)));
        y_r = 1;
        c_r = s->c_sj;
    } else {
        x = fptr(c, c->in[s->b_arg], off[1]);
        w_r = s->a_si;
        w = fptr(c, c->in[s->a_arg], add(c, off[0], odin_mul_i64(c, r0, w_r)));
        y_r = s->y_si;
        c_r = s->c_si;
    }
    y = fptr(c, c->out[s->y_arg], add(c, off[3], odin_mul_i64(c, r0, y_r)));
    if (s->c_arg >= 0) cp = fptr(c, c->in[s->c_arg], add(c, off[2], odin_mul_i64(c, r0, c_r)));
    int rem = (int)(p->n_rows % p->R);
    if (!rem) {
        dot_block(c, p, x, w, w_r, y, y_r, cp, c_r, p->R);
    } else {
        LLVMValueRef is_tail = LLVMBuildICmp(c->b, LLVMIntEQ, rb, odin_i64(c, p->n_rb - 1), "");
        LLVMBasicBlockRef full = LLVMAppendBasicBlockInContext(c->c, c->fn, "full");
        LLVMBasicBlockRef tail = LLVMAppendBasicBlockInContext(c->c, c->fn, "tail");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->c, c->fn, "join");
        LLVMBuildCondBr(c->b, is_tail, tail, full);
        LLVMPositionBuilderAtEnd(c->b, full);
        dot_block(c, p, x, w, w_r, y, y_r, cp, c_r, p->R);
        LLVMBuildBr(c->b, join);
        LLVMPositionBuilderAtEnd(c->b, tail);
        dot_block(c, p, x, w, w_r, y, y_r, cp, c_r, rem);
        LLVMBuildBr(c->b, join);
        LLVMPositionBuilderAtEnd(c->b, join);
    }
    odin_loop_end(c, &lu);
    return ODIN_OK;
}

/* parallel_for grain of a GEMV / dot kernel whose units each stream `floats` weights:
 * chunks of at least 32 KiB, negative (independent units: the pool may cut the range
 * finely, so a thread descheduled mid-kernel leaves its rows to the others) */
static int64_t stream_grain(int64_t floats) {
    int64_t per = floats * 4 > 0 ? floats * 4 : 1;
    return -((32 * 1024 + per - 1) / per);
}

odin_status odin_emit_gemm(odin_lower_ctx *c, const odin_gemm_spec *s) {
    if (s->M <= 0 || s->N <= 0) return ODIN_OK;
    int64_t nbatch = 1;
    for (int i = 0; i < s->n_bdims; i++) nbatch *= s->bdims[i];
    if (nbatch <= 0) return ODIN_OK;
    if (s->K <= 0) { /* empty sum: Y = beta * C (or 0) */
        odin_gemm_spec z = *s;
        (void)z;
        return odin_errorf("GEMM with K = 0 is not lowered");
    }
    int VL = odin_target_vector_floats(c->target);
    if (VL < 1) VL = 4;
    LLVMTypeRef vt = LLVMVectorType(c->t_f32, (unsigned)VL);
    bool fused = s->r_arg >= 0 || s->act_lo > -INFINITY || s->act_hi < INFINITY;
    if (!s->conv && !fused && s->M == 1 && (s->b_sj == 1 || s->b_panel > 0) && s->N > 1) {
        gemv_plan p = {.s = s, .VL = VL, .NV = 4, .vt = vt, .nbatch = nbatch};
        p.JW = (int64_t)p.NV * VL;
        if (s->b_panel > 0 && p.JW % s->b_panel) return odin_errorf("GEMV block %lld is not whole panels of %lld", (long long)p.JW, (long long)s->b_panel);
        p.n_jb = ceil_div64(s->N, p.JW);
        return odin_parallel_range(c, nbatch * p.n_jb, stream_grain(s->K * p.JW), gemv_body, &p);
    }
    bool dot_m1 = s->M == 1 && s->b_sk == 1, dot_n1 = s->N == 1 && s->a_sk == 1;
    if (!s->conv && !fused && s->b_panel <= 0 && s->a_panel <= 0 && (dot_m1 || dot_n1)) {
        dot_plan p = {.s = s, .VL = VL, .R = 4, .vt = vt, .nbatch = nbatch, .rows_are_n = dot_m1};
        p.n_rows = dot_m1 ? s->N : s->M;
        p.n_rb = ceil_div64(p.n_rows, p.R);
        return odin_parallel_range(c, nbatch * p.n_rb, stream_grain(s->K * p.R), dot_body, &p);
    }
    gemm_plan p;
    memset(&p, 0, sizeof p);
    plan_blocks(c, s, &p);
    int mr_tail = (int)(s->M % p.MR);
    int n_tail = (int)(s->N % p.NRW);
    int nv_tail = (int)ceil_div64(n_tail, p.VL);
    for (int rv = 0; rv < 2; rv++) {
        int mr = rv ? mr_tail : p.MR;
        if (!mr) continue;
        p.mk[rv][0] = build_microkernel(c, &p, mr, p.NV, p.VL);
        if (n_tail) p.mk[rv][1] = build_microkernel(c, &p, mr, nv_tail, n_tail - (nv_tail - 1) * p.VL);
    }
    /* when N < NRW there is no full tile: the tail kernel does all the work */
    if (!p.mk[0][0] && !p.mk[1][0]) return odin_errorf("GEMM plan has no micro-kernel");
    /* Pre-packed B costs nothing to start a chunk with, so the units go out in several
     * chunks per thread: a worker that wakes late (a futex wake-up of an idle vCPU takes
     * 20-100 us here) or is descheduled mid-job leaves its share to the others in pieces
     * instead of doubling the caller's time. Packing GEMMs keep one chunk per thread (a
     * chunk packs B again for each column chunk it starts). */
    int64_t grain = s->b_panel > 0 ? -1 : 1;
    return odin_parallel_range(c, p.nbatch * p.n_rg * p.n_cc, grain, gemm_body, &p);
}
