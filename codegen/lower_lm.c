/* codegen/lower_lm.c — compiled kernels for the language-model ops (ops/lm.c, contract in
 * docs/language-models.md): TokenShift, WKV6 (sequential decode and chunked prefill),
 * RoPE (sin/cos computed in the kernel), CachedAttention (flash-style online softmax over
 * the KV cache, pos read at run time), PositionIds and Attention (prefill-length attention
 * made by passes/fuse_attention.c, register-tiled like a GEMM). All f32 (positions int64).
 *
 * Explicit vectors: rows of N (or D) floats are held as "segments" of the target's vector
 * width, the last one masked, so a WKV6 state row or an attention accumulator stays in
 * registers while the loops around it run. Element-wise helper loops (decays, sin/cos
 * tables, exp of scores) are plain scalar loops over the mathlib, which LLVM vectorizes.
 *
 * In-place state: state outputs may be the very buffers of the state inputs (a session
 * passes one buffer for both). Every kernel reads a state element before it writes the
 * same element and never reads it again afterwards; when the buffers differ the first pass
 * reads the input and writes the output, so no separate copy is needed (the KV caches
 * are copied first, since most of their rows are only carried over). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lower_gemm.h"
#include "lower_util.h"
#include "mathlib.h"

#define MAX_SEGS 256 /* vectors per row: N (or D) <= 1024 floats, 4 lanes at least */

/* ---- small IR helpers (vectors, pointers, branches) ---- */

static bool is_f32(const odin_tensor *t, int rank) {
    if (!t || t->dtype != ODIN_F32 || t->rank != rank) return false;
    for (int d = 0; d < rank; d++)
        if (t->dims[d] < 0) return false;
    return true;
}

static bool is_pos(const odin_tensor *t) {
    return t && t->dtype == ODIN_I64 && t->rank <= 1 && odin_tensor_numel(t) == 1;
}

static int vector_lanes(odin_lower_ctx *c) {
    int vl = odin_target_vector_floats(c->target);
    return vl < 1 ? 4 : vl;
}

static LLVMValueRef fp(odin_lower_ctx *c, LLVMValueRef base, LLVMValueRef idx) {
    return odin_gep(c, c->t_f32, base, idx);
}

static LLVMValueRef fpc(odin_lower_ctx *c, LLVMValueRef base, int64_t idx) {
    return idx ? fp(c, base, odin_i64(c, idx)) : base;
}

static LLVMValueRef add64(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildNSWAdd(c->b, a, b, "");
}

static LLVMValueRef mul64(odin_lower_ctx *c, LLVMValueRef a, int64_t k) { return odin_mul_i64(c, a, k); }

static LLVMValueRef lf(odin_lower_ctx *c, LLVMValueRef base, LLVMValueRef idx) {
    return odin_load(c, c->t_f32, base, idx);
}

static LLVMValueRef splat(odin_lower_ctx *c, LLVMTypeRef vt, LLVMValueRef s) {
    unsigned n = LLVMGetVectorSize(vt);
    LLVMValueRef v = LLVMBuildInsertElement(c->b, LLVMGetPoison(vt), s, LLVMConstInt(c->t_i32, 0, 0), "");
    return LLVMBuildShuffleVector(c->b, v, LLVMGetPoison(vt), LLVMConstNull(LLVMVectorType(c->t_i32, n)), "");
}

static LLVMValueRef masked_call(odin_lower_ctx *c, const char *name, LLVMTypeRef vt, LLVMValueRef *args) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef tys[2] = {vt, c->t_ptr};
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(c->m, id, tys, 2);
    return LLVMBuildCall2(c->b, LLVMIntrinsicGetType(c->c, id, tys, 2), fn, args, 4, "");
}

static LLVMValueRef lane_mask(odin_lower_ctx *c, int n, int active) {
    LLVMValueRef bits[64];
    for (int i = 0; i < n; i++) bits[i] = LLVMConstInt(c->t_i1, i < active, 0);
    return LLVMConstVector(bits, (unsigned)n);
}

/* `lanes` leading floats at p as a vector (masked when partial; never reads past them). */
static LLVMValueRef vload(odin_lower_ctx *c, LLVMTypeRef vt, LLVMValueRef p, int lanes) {
    int n = (int)LLVMGetVectorSize(vt);
    if (lanes >= n) {
        LLVMValueRef l = LLVMBuildLoad2(c->b, vt, p, "");
        LLVMSetAlignment(l, 4);
        return l;
    }
    LLVMValueRef args[4] = {p, LLVMConstInt(c->t_i32, 4, 0), lane_mask(c, n, lanes), LLVMConstNull(vt)};
    return masked_call(c, "llvm.masked.load", vt, args);
}

static void vstore(odin_lower_ctx *c, LLVMValueRef v, LLVMValueRef p, int lanes) {
    int n = (int)LLVMGetVectorSize(LLVMTypeOf(v));
    if (lanes >= n) {
        LLVMSetAlignment(LLVMBuildStore(c->b, v, p), 4);
        return;
    }
    LLVMValueRef args[4] = {v, p, LLVMConstInt(c->t_i32, 4, 0), lane_mask(c, n, lanes)};
    masked_call(c, "llvm.masked.store", LLVMTypeOf(v), args);
}

static LLVMValueRef mulf(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(c->b, a, b, ""); }

/* A row of n floats cut into vectors of vl lanes; segment s starts at s*vl. */
typedef struct segs {
    int n, vl, count;
    LLVMTypeRef vt;
} segs;

static segs make_segs(odin_lower_ctx *c, int64_t n) {
    segs s = {.n = (int)n, .vl = vector_lanes(c)};
    s.count = (int)((n + s.vl - 1) / s.vl);
    s.vt = LLVMVectorType(c->t_f32, (unsigned)s.vl);
    return s;
}

static int seg_lanes(const segs *s, int i) {
    int left = s->n - i * s->vl;
    return left < s->vl ? left : s->vl;
}

static LLVMValueRef seg_load(odin_lower_ctx *c, const segs *s, LLVMValueRef row, int i) {
    return vload(c, s->vt, fpc(c, row, (int64_t)i * s->vl), seg_lanes(s, i));
}

static void seg_store(odin_lower_ctx *c, const segs *s, LLVMValueRef v, LLVMValueRef row, int i) {
    vstore(c, v, fpc(c, row, (int64_t)i * s->vl), seg_lanes(s, i));
}

/* Stack array of n floats in the current function's entry block. */
static LLVMValueRef scratch(odin_lower_ctx *c, int64_t n, const char *name) {
    return odin_entry_alloca(c, LLVMArrayType2(c->t_f32, (uint64_t)(n ? n : 1)), name);
}

/* A loop-carried value held in an entry alloca (mem2reg turns it into a phi). */
static LLVMValueRef var(odin_lower_ctx *c, LLVMTypeRef ty, LLVMValueRef init) {
    LLVMValueRef a = odin_entry_alloca(c, ty, "var");
    LLVMBuildStore(c->b, init, a);
    return a;
}

static LLVMValueRef get(odin_lower_ctx *c, LLVMValueRef a) {
    return LLVMBuildLoad2(c->b, LLVMGetAllocatedType(a), a, "");
}

static LLVMValueRef load_pos(odin_lower_ctx *c, int input) {
    return odin_load(c, c->t_i64, c->in[input], odin_i64(c, 0));
}

/* body over [0, n), split across threads when `bytes` of work make it worth it */
static odin_status run_range(odin_lower_ctx *c, int64_t n, int64_t bytes, odin_range_body_fn body,
                             void *user) {
    if (n >= 2 && bytes >= ODIN_PARALLEL_MIN_BYTES) return odin_parallel_range(c, n, 1, body, user);
    return body(c, odin_i64(c, 0), odin_i64(c, n), user);
}

/* dst[0..n) = src[0..n) (a plain loop: LLVM makes it a vector copy) */
static void copy_floats(odin_lower_ctx *c, LLVMValueRef dst, LLVMValueRef src, int64_t n) {
    odin_loop l;
    LLVMValueRef i = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, n), 1, "cp");
    odin_store(c, lf(c, src, i), dst, i);
    odin_loop_end(c, &l);
}

/* ---- TokenShift ---- */

static bool accept_tokenshift(const odin_graph *g, int node) {
    const odin_tensor *x = odin_node_in_tensor(g, node, 0), *s = odin_node_in_tensor(g, node, 1);
    return is_f32(x, 3) && is_f32(s, 2) && x->dims[1] >= 1 && s->dims[0] == x->dims[0] &&
           s->dims[1] == x->dims[2] && odin_node_out_tensor(g, node, 0) && odin_node_out_tensor(g, node, 1);
}

static odin_status l_tokenshift(odin_lower_ctx *c) {
    const int64_t *d = odin_node_in_tensor(c->g, c->node, 0)->dims;
    int64_t B = d[0], T = d[1], C = d[2];
    odin_loop lb;
    LLVMValueRef b = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, B), 1, "b");
    LLVMValueRef x = fp(c, c->in[0], mul64(c, b, T * C)), y = fp(c, c->out[0], mul64(c, b, T * C));
    LLVMValueRef s = fp(c, c->in[1], mul64(c, b, C)), s_out = fp(c, c->out[1], mul64(c, b, C));
    copy_floats(c, y, s, C); /* reads the old state before s_out (maybe the same) is written */
    copy_floats(c, fpc(c, y, C), x, (T - 1) * C);
    copy_floats(c, s_out, fpc(c, x, (T - 1) * C), C);
    odin_loop_end(c, &lb);
    return ODIN_OK;
}

/* ---- PositionIds ---- */

static bool accept_posids(const odin_graph *g, int node) {
    const odin_tensor *y = odin_node_out_tensor(g, node, 0);
    return is_pos(odin_node_in_tensor(g, node, 1)) && y && y->dtype == ODIN_I64 && y->rank == 1 && y->dims[0] >= 0;
}

static odin_status l_posids(odin_lower_ctx *c) {
    int64_t T = odin_node_out_tensor(c->g, c->node, 0)->dims[0];
    LLVMValueRef pos = load_pos(c, 1);
    odin_loop l;
    LLVMValueRef t = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, T), 1, "t");
    LLVMBuildStore(c->b, add64(c, pos, t), LLVMBuildGEP2(c->b, c->t_i64, c->out[0], &t, 1, ""));
    odin_loop_end(c, &l);
    return ODIN_OK;
}

/* ---- RoPE ---- */

typedef struct rope_user {
    int64_t B, T, H, D, rd, half;
    bool interleaved;
    LLVMValueRef inv_freq; /* global [half x double]: theta^(-2i/rd) */
} rope_user;

static bool rope_plan(const odin_graph *g, int node, rope_user *u) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = odin_node_in_tensor(g, node, 0);
    if (!is_f32(x, 4) || !is_pos(odin_node_in_tensor(g, node, 1)) || !odin_node_out_tensor(g, node, 0)) return false;
    memset(u, 0, sizeof *u);
    u->B = x->dims[0], u->T = x->dims[1], u->H = x->dims[2], u->D = x->dims[3];
    u->rd = odin_attr_i(n, "rotary_dim");
    if (u->rd == 0) u->rd = u->D;
    u->half = u->rd / 2;
    u->interleaved = odin_attr_i(n, "interleaved") != 0;
    return u->rd >= 0 && u->rd <= u->D && u->rd % 2 == 0 && odin_attr_f(n, "theta") > 0;
}

static bool accept_rope(const odin_graph *g, int node) {
    rope_user u;
    return rope_plan(g, node, &u);
}

/* Per token: cos/sin of (pos + t) * inv_freq[i] into a table (angles in double, reduced
 * to [-pi, pi] before the f32 sin/cos, so large positions keep their accuracy), then every
 * (b, h) row of that token is rotated with it. */
static odin_status rope_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    rope_user *u = user;
    LLVMValueRef cos_t = scratch(c, u->half, "cos"), sin_t = scratch(c, u->half, "sin");
    LLVMValueRef pos = load_pos(c, 1);
    odin_loop lt, li, lr, lj;
    LLVMValueRef t = odin_loop_begin(c, &lt, lo, hi, 1, "t");
    LLVMValueRef p = LLVMBuildSIToFP(c->b, add64(c, pos, t), c->t_f64, "");
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, u->half), 1, "i");
    LLVMValueRef ang = LLVMBuildFMul(c->b, p, odin_load(c, c->t_f64, u->inv_freq, i), "");
    LLVMValueRef turns = LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, ang, LLVMConstReal(c->t_f64, 1 / (2 * M_PI)), ""),
                                       LLVMConstReal(c->t_f64, 0.5), "");
    turns = odin_intrinsic(c, "llvm.floor", c->t_f64, &turns, 1);
    LLVMValueRef red = LLVMBuildFSub(c->b, ang, LLVMBuildFMul(c->b, turns, LLVMConstReal(c->t_f64, 2 * M_PI), ""), "");
    red = LLVMBuildFPTrunc(c->b, red, c->t_f32, "");
    odin_store(c, odin_math_cos(c, red), cos_t, i);
    odin_store(c, odin_math_sin(c, red), sin_t, i);
    odin_loop_end(c, &li);
    LLVMValueRef r = odin_loop_begin(c, &lr, odin_i64(c, 0), odin_i64(c, u->B * u->H), 1, "bh");
    LLVMValueRef bb = LLVMBuildSDiv(c->b, r, odin_i64(c, u->H), "");
    LLVMValueRef h = LLVMBuildSRem(c->b, r, odin_i64(c, u->H), "");
    LLVMValueRef row = mul64(c, add64(c, mul64(c, add64(c, mul64(c, bb, u->T), t), u->H), h), u->D);
    LLVMValueRef x = fp(c, c->in[0], row), y = fp(c, c->out[0], row);
    LLVMValueRef j = odin_loop_begin(c, &lj, odin_i64(c, 0), odin_i64(c, u->half), 1, "j");
    LLVMValueRef ia = u->interleaved ? mul64(c, j, 2) : j;
    LLVMValueRef ib = u->interleaved ? odin_add_i64(c, ia, 1) : odin_add_i64(c, j, u->half);
    LLVMValueRef a = lf(c, x, ia), b = lf(c, x, ib);
    LLVMValueRef cs = lf(c, cos_t, j), sn = lf(c, sin_t, j);
    odin_store(c, LLVMBuildFSub(c->b, mulf(c, a, cs), mulf(c, b, sn), ""), y, ia);
    odin_store(c, odin_fmuladd(c, b, cs, mulf(c, a, sn)), y, ib);
    odin_loop_end(c, &lj);
    if (u->rd < u->D) copy_floats(c, fpc(c, y, u->rd), fpc(c, x, u->rd), u->D - u->rd);
    odin_loop_end(c, &lr);
    odin_loop_end(c, &lt);
    return ODIN_OK;
}

static odin_status l_rope(odin_lower_ctx *c) {
    rope_user u;
    if (!rope_plan(c->g, c->node, &u)) return odin_errorf("unsupported shapes or attributes");
    if (u.B * u.T * u.H * u.D == 0) return ODIN_OK;
    double theta = odin_attr_f(&c->g->nodes[c->node], "theta");
    int64_t nf = u.half ? u.half : 1;
    LLVMValueRef vals[4096];
    if (nf > 4096) return odin_errorf("rotary_dim %lld too large", (long long)u.rd);
    for (int64_t i = 0; i < nf; i++)
        vals[i] = LLVMConstReal(c->t_f64, i < u.half ? pow(theta, -2.0 * (double)i / (double)u.rd) : 0);
    /* named by its contents, so nodes with the same table share it (and their kernels
     * stay identical IR, which the driver deduplicates) */
    char name[96];
    float theta_f = (float)theta;
    uint32_t bits;
    memcpy(&bits, &theta_f, sizeof bits);
    snprintf(name, sizeof name, "odin_rope_inv_freq_%lld_%08x", (long long)u.rd, bits);
    u.inv_freq = LLVMGetNamedGlobal(c->m, name);
    if (!u.inv_freq) {
        u.inv_freq = LLVMAddGlobal(c->m, LLVMArrayType2(c->t_f64, (uint64_t)nf), name);
        LLVMSetInitializer(u.inv_freq, LLVMConstArray2(c->t_f64, vals, (uint64_t)nf));
        LLVMSetGlobalConstant(u.inv_freq, 1);
        LLVMSetLinkage(u.inv_freq, LLVMPrivateLinkage);
    }
    return run_range(c, u.T, u.B * u.T * u.H * u.D * 8, rope_body, &u);
}

/* ---- WKV6 ----
 *
 * Per head (b, h), state S [N,N] (rows: key channels i, columns: value channels j).
 * Decode (T = 1, or chunk = 1): one pass over S per token: for each row i, with the
 * row's decay d_i, y += r_i * S[i] and S[i] = d_i * S[i] + k_i * v, y starting at
 * (sum_i r_i u_i k_i) * v. The columns of y, v and one row of S are vector segments held
 * in registers; S streams once through memory.
 *
 * Prefill (chunks of L tokens, t = 0..L-1 inside the chunk, D_t = prod_{tau<t} d_tau the
 * cumulative decay, exp of the cumulative log decay -sum exp(w)):
 *   y[t]  = (r[t] * D_t) . S  +  sum_{s<=t} P[t][s] v[s]
 *   P[t][s] = sum_i r[t][i] k[s][i] prod_{s<tau<t} d[tau][i]   (s < t),  P[t][t] = r[t].(u*k[t])
 *   S'    = D_L * S  +  sum_s G[s] v[s]^T,   G[s][i] = k[s][i] prod_{s<tau<L} d[tau][i]
 * The products of decays between s and t are carried as running products (k[s] times one
 * more decay per step), never as exp(A[t]) / exp(A[s]) ratios: every factor is <= 1, so
 * decays near 0 underflow harmlessly to 0 instead of overflowing (a ratio of cumulative
 * decays overflows fp32 once a chunk's summed log decay passes -88, which real RWKV
 * channels reach). Costs O(L^2 N) for P, the two O(L N^2) products are register-blocked. */

typedef struct wkv_user {
    int64_t B, T, H, N;
    int64_t L;        /* chunk length; 0: sequential for every token */
    segs sg;          /* the N value channels as vector segments */
    int dec_group;    /* segments per pass of the decode loop */
    int mm_group, mr; /* segments and rows of a register block in the chunk products */
} wkv_user;

static bool wkv_plan(const odin_graph *g, int node, wkv_user *u, odin_lower_ctx *c) {
    const odin_tensor *r = odin_node_in_tensor(g, node, 0), *uu = odin_node_in_tensor(g, node, 4), *s = odin_node_in_tensor(g, node, 5);
    if (!is_f32(r, 4) || !is_f32(uu, 2) || !is_f32(s, 4) || !odin_node_out_tensor(g, node, 0) || !odin_node_out_tensor(g, node, 1))
        return false;
    for (int i = 1; i < 4; i++) {
        const odin_tensor *t = odin_node_in_tensor(g, node, i);
        if (!is_f32(t, 4) || memcmp(t->dims, r->dims, sizeof(int64_t) * 4)) return false;
    }
    memset(u, 0, sizeof *u);
    u->B = r->dims[0], u->T = r->dims[1], u->H = r->dims[2], u->N = r->dims[3];
    if (uu->dims[0] != u->H || uu->dims[1] != u->N || s->dims[0] != u->B || s->dims[1] != u->H ||
        s->dims[2] != u->N || s->dims[3] != u->N)
        return false;
    if (u->N > 1024) return false; /* scratch rows live on the stack */
    int64_t chunk = odin_attr_i(&g->nodes[node], "chunk");
    u->L = chunk == 1 ? 0 : chunk > 1 ? chunk : 16;
    if (u->L * u->N > 16384) u->L = 16384 / u->N;
    if (u->L < 2 || u->T < 2) u->L = 0;
    if (c) {
        u->sg = make_segs(c, u->N);
        if (u->sg.count > MAX_SEGS) return false;
        bool wide = c->target->vector_regs >= 32;
        u->dec_group = wide ? 8 : 4;
        u->mm_group = wide ? 4 : 2;
        u->mr = (c->target->vector_regs - u->mm_group - 2) / u->mm_group;
        if (u->mr > 6) u->mr = 6;
        if (u->mr < 1) u->mr = 1;
    }
    return true;
}

static bool accept_wkv(const odin_graph *g, int node) {
    wkv_user u;
    return wkv_plan(g, node, &u, NULL) && u.N <= 1024 && u.N >= 1;
}

/* Element index of row (b, t, h) of r/k/v/w/y. */
static LLVMValueRef wkv_row(odin_lower_ctx *c, const wkv_user *u, LLVMValueRef b, LLVMValueRef t,
                            LLVMValueRef h) {
    return mul64(c, add64(c, mul64(c, add64(c, mul64(c, b, u->T), t), u->H), h), u->N);
}

/* One token, sequential form: reads the state at src, writes it at dst (maybe equal). */
static void wkv_decode_token(odin_lower_ctx *c, const wkv_user *u, LLVMValueRef row, LLVMValueRef h,
                             LLVMValueRef src, LLVMValueRef dst, LLVMValueRef decay) {
    const segs *sg = &u->sg;
    LLVMValueRef r = fp(c, c->in[0], row), k = fp(c, c->in[1], row), v = fp(c, c->in[2], row);
    LLVMValueRef w = fp(c, c->in[3], row), uh = fp(c, c->in[4], mul64(c, h, u->N));
    LLVMValueRef y = fp(c, c->out[0], row);
    /* decays and the bonus sum_i r_i u_i k_i: one vectorizable loop over i */
    LLVMValueRef bonus = var(c, c->t_f32, odin_f32c(c, 0));
    odin_loop li;
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, u->N), 1, "i");
    LLVMValueRef neg = LLVMBuildFNeg(c->b, odin_math_exp(c, lf(c, w, i)), "");
    odin_store(c, odin_math_exp(c, neg), decay, i);
    LLVMValueRef ruk = mulf(c, mulf(c, lf(c, r, i), lf(c, uh, i)), lf(c, k, i));
    LLVMBuildStore(c->b, odin_fadd_reassoc(c, get(c, bonus), ruk), bonus);
    odin_loop_end(c, &li);
    LLVMValueRef bonus_v = splat(c, sg->vt, get(c, bonus));
    for (int s0 = 0; s0 < sg->count; s0 += u->dec_group) {
        int ns = sg->count - s0 < u->dec_group ? sg->count - s0 : u->dec_group;
        LLVMValueRef vv[MAX_SEGS], acc[MAX_SEGS];
        for (int s = 0; s < ns; s++) {
            vv[s] = seg_load(c, sg, v, s0 + s);
            acc[s] = var(c, sg->vt, mulf(c, bonus_v, vv[s]));
        }
        odin_loop lr;
        LLVMValueRef ir = odin_loop_begin(c, &lr, odin_i64(c, 0), odin_i64(c, u->N), 1, "row");
        LLVMValueRef ri = splat(c, sg->vt, lf(c, r, ir)), ki = splat(c, sg->vt, lf(c, k, ir));
        LLVMValueRef di = splat(c, sg->vt, lf(c, decay, ir));
        LLVMValueRef srow = fp(c, src, mul64(c, ir, u->N)), drow = fp(c, dst, mul64(c, ir, u->N));
        for (int s = 0; s < ns; s++) {
            LLVMValueRef sv = seg_load(c, sg, srow, s0 + s);
            LLVMBuildStore(c->b, odin_fmuladd(c, ri, sv, get(c, acc[s])), acc[s]);
            seg_store(c, sg, odin_fmuladd(c, ki, vv[s], mulf(c, di, sv)), drow, s0 + s);
        }
        odin_loop_end(c, &lr);
        for (int s = 0; s < ns; s++) seg_store(c, sg, get(c, acc[s]), y, s0 + s);
    }
}

/* One term of a small product: out[m][:] += sum_{k<K} A[m*a_rs + k*a_cs] * Bm[k*b_rs + :]. */
typedef struct mm_term {
    LLVMValueRef a, bm;
    int64_t a_rs, a_cs, b_rs;
    LLVMValueRef K;   /* run-time length */
    bool causal;      /* k only up to the block's last row (lower-triangular A) */
} mm_term;

/* Rows m0..m0+mr-1 of out (row stride o_rs) = init + terms; init is zero, or
 * scale[m] * in[m][:] (in row stride i_rs) when `in` is set. Columns: u->sg. */
static void mm_block(odin_lower_ctx *c, const wkv_user *u, LLVMValueRef m0, int mr, LLVMValueRef out,
                     int64_t o_rs, LLVMValueRef in, int64_t i_rs, LLVMValueRef scale,
                     const mm_term *terms, int nterms) {
    const segs *sg = &u->sg;
    for (int s0 = 0; s0 < sg->count; s0 += u->mm_group) {
        int ns = sg->count - s0 < u->mm_group ? sg->count - s0 : u->mm_group;
        LLVMValueRef acc[8][MAX_SEGS];
        for (int r = 0; r < mr; r++) {
            LLVMValueRef m = odin_add_i64(c, m0, r);
            LLVMValueRef sc = in ? splat(c, sg->vt, lf(c, scale, m)) : NULL;
            LLVMValueRef irow = in ? fp(c, in, mul64(c, m, i_rs)) : NULL;
            for (int s = 0; s < ns; s++)
                acc[r][s] = var(c, sg->vt, in ? mulf(c, sc, seg_load(c, sg, irow, s0 + s))
                                              : LLVMConstNull(sg->vt));
        }
        for (int t = 0; t < nterms; t++) {
            const mm_term *tm = &terms[t];
            LLVMValueRef K = tm->K;
            if (tm->causal) K = odin_smin(c, K, odin_add_i64(c, m0, mr));
            odin_loop lk;
            LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 0), K, 1, "k");
            LLVMValueRef brow = fp(c, tm->bm, mul64(c, k, tm->b_rs));
            LLVMValueRef bv[MAX_SEGS];
            for (int s = 0; s < ns; s++) bv[s] = seg_load(c, sg, brow, s0 + s);
            LLVMValueRef acol = fp(c, tm->a, mul64(c, k, tm->a_cs));
            for (int r = 0; r < mr; r++) {
                LLVMValueRef av = splat(c, sg->vt, lf(c, acol, mul64(c, odin_add_i64(c, m0, r), tm->a_rs)));
                for (int s = 0; s < ns; s++)
                    LLVMBuildStore(c->b, odin_fmuladd(c, av, bv[s], get(c, acc[r][s])), acc[r][s]);
            }
            odin_loop_end(c, &lk);
        }
        for (int r = 0; r < mr; r++) {
            LLVMValueRef orow = fp(c, out, mul64(c, odin_add_i64(c, m0, r), o_rs));
            for (int s = 0; s < ns; s++) seg_store(c, sg, get(c, acc[r][s]), orow, s0 + s);
        }
    }
}

/* All M rows: blocks of u->mr rows in a run-time loop, then the remainder block. */
static void mm_rows(odin_lower_ctx *c, const wkv_user *u, int64_t M, LLVMValueRef out, int64_t o_rs,
                    LLVMValueRef in, int64_t i_rs, LLVMValueRef scale, const mm_term *terms, int nterms) {
    int64_t full = M / u->mr, rem = M % u->mr;
    if (full) {
        odin_loop lb;
        LLVMValueRef blk = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, full), 1, "mblk");
        mm_block(c, u, mul64(c, blk, u->mr), u->mr, out, o_rs, in, i_rs, scale, terms, nterms);
        odin_loop_end(c, &lb);
    }
    if (rem)
        mm_block(c, u, odin_i64(c, full * u->mr), (int)rem, out, o_rs, in, i_rs, scale, terms, nterms);
}

typedef struct wkv_scratch {
    LLVMValueRef decay, q, g, p, cum; /* [L*N], [L*N], [L*N], [L*L], [N] */
} wkv_scratch;

/* One chunk of `len` tokens starting at token t0 (run time) of head (b, h). */
static void wkv_chunk(odin_lower_ctx *c, const wkv_user *u, const wkv_scratch *sc, int64_t len,
                      LLVMValueRef b, LLVMValueRef h, LLVMValueRef t0, LLVMValueRef src,
                      LLVMValueRef dst) {
    int64_t N = u->N, HN = u->H * u->N;
    LLVMValueRef row0 = wkv_row(c, u, b, t0, h); /* token t of the chunk: row0 + t*HN */
    LLVMValueRef r = fp(c, c->in[0], row0), k = fp(c, c->in[1], row0), v = fp(c, c->in[2], row0);
    LLVMValueRef w = fp(c, c->in[3], row0), uh = fp(c, c->in[4], mul64(c, h, N));
    odin_loop lt, li, ls;
    /* decays, q[t] = r[t] * D_t, and cum = D_len */
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, N), 1, "i");
    odin_store(c, odin_f32c(c, 1), sc->cum, i);
    odin_loop_end(c, &li);
    LLVMValueRef t = odin_loop_begin(c, &lt, odin_i64(c, 0), odin_i64(c, len), 1, "t");
    LLVMValueRef tr = mul64(c, t, HN), tn = mul64(c, t, N);
    i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, N), 1, "i");
    LLVMValueRef ti = add64(c, tr, i), tni = add64(c, tn, i);
    LLVMValueRef d = odin_math_exp(c, LLVMBuildFNeg(c->b, odin_math_exp(c, lf(c, w, ti)), ""));
    odin_store(c, d, sc->decay, tni);
    LLVMValueRef cum = lf(c, sc->cum, i);
    odin_store(c, mulf(c, lf(c, r, ti), cum), sc->q, tni);
    odin_store(c, mulf(c, cum, d), sc->cum, i);
    odin_loop_end(c, &li);
    odin_loop_end(c, &lt);
    /* P (lower triangular, zero above) and G, by running products of the decays */
    LLVMValueRef e = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, len * len), 1, "z");
    odin_store(c, odin_f32c(c, 0), sc->p, e);
    odin_loop_end(c, &li);
    LLVMValueRef s = odin_loop_begin(c, &ls, odin_i64(c, 0), odin_i64(c, len), 1, "s");
    LLVMValueRef sr = mul64(c, s, HN), sn = mul64(c, s, N);
    LLVMValueRef bonus = var(c, c->t_f32, odin_f32c(c, 0));
    i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, N), 1, "i");
    LLVMValueRef ki = lf(c, k, add64(c, sr, i));
    odin_store(c, ki, sc->g, add64(c, sn, i));
    LLVMValueRef ruk = mulf(c, mulf(c, lf(c, r, add64(c, sr, i)), lf(c, uh, i)), ki);
    LLVMBuildStore(c->b, odin_fadd_reassoc(c, get(c, bonus), ruk), bonus);
    odin_loop_end(c, &li);
    odin_store(c, get(c, bonus), sc->p, add64(c, mul64(c, s, len), s));
    t = odin_loop_begin(c, &lt, odin_add_i64(c, s, 1), odin_i64(c, len), 1, "t");
    tr = mul64(c, t, HN), tn = mul64(c, t, N);
    LLVMValueRef dot = var(c, c->t_f32, odin_f32c(c, 0));
    i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, N), 1, "i");
    LLVMValueRef gi = lf(c, sc->g, add64(c, sn, i));
    LLVMBuildStore(c->b, odin_fadd_reassoc(c, get(c, dot), mulf(c, lf(c, r, add64(c, tr, i)), gi)), dot);
    odin_store(c, mulf(c, gi, lf(c, sc->decay, add64(c, tn, i))), sc->g, add64(c, sn, i));
    odin_loop_end(c, &li);
    odin_store(c, get(c, dot), sc->p, add64(c, mul64(c, t, len), s));
    odin_loop_end(c, &lt);
    odin_loop_end(c, &ls);
    /* y rows: q . S_old + P . V; then S_new = D_len * S_old + G^T V (reads S_old first) */
    mm_term ty[2] = {
        {.a = sc->q, .a_rs = N, .a_cs = 1, .bm = src, .b_rs = N, .K = odin_i64(c, N)},
        {.a = sc->p, .a_rs = len, .a_cs = 1, .bm = v, .b_rs = HN, .K = odin_i64(c, len), .causal = true},
    };
    mm_rows(c, u, len, fp(c, c->out[0], row0), HN, NULL, 0, NULL, ty, 2);
    mm_term ts = {.a = sc->g, .a_rs = 1, .a_cs = N, .bm = v, .b_rs = HN, .K = odin_i64(c, len)};
    mm_rows(c, u, N, dst, N, src, N, sc->cum, &ts, 1);
}

static odin_status wkv_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    wkv_user *u = user;
    int64_t NN = u->N * u->N;
    LLVMValueRef decay = scratch(c, u->N, "decay");
    wkv_scratch sc = {0};
    if (u->L) {
        sc.decay = scratch(c, u->L * u->N, "chunk_decay");
        sc.q = scratch(c, u->L * u->N, "chunk_q");
        sc.g = scratch(c, u->L * u->N, "chunk_g");
        sc.p = scratch(c, u->L * u->L, "chunk_p");
        sc.cum = scratch(c, u->N, "chunk_cum");
    }
    odin_loop lh, lt;
    LLVMValueRef bh = odin_loop_begin(c, &lh, lo, hi, 1, "bh");
    LLVMValueRef b = LLVMBuildSDiv(c->b, bh, odin_i64(c, u->H), "");
    LLVMValueRef h = LLVMBuildSRem(c->b, bh, odin_i64(c, u->H), "");
    LLVMValueRef s_in = fp(c, c->in[5], mul64(c, bh, NN)), s_out = fp(c, c->out[1], mul64(c, bh, NN));
    if (!u->L) {
        LLVMValueRef t = odin_loop_begin(c, &lt, odin_i64(c, 0), odin_i64(c, u->T), 1, "t");
        LLVMValueRef first = LLVMBuildICmp(c->b, LLVMIntEQ, t, odin_i64(c, 0), "");
        LLVMValueRef src = LLVMBuildSelect(c->b, first, s_in, s_out, "");
        wkv_decode_token(c, u, wkv_row(c, u, b, t, h), h, src, s_out, decay);
        odin_loop_end(c, &lt);
    } else {
        int64_t full = u->T / u->L, rem = u->T % u->L;
        LLVMValueRef ci = odin_loop_begin(c, &lt, odin_i64(c, 0), odin_i64(c, full), 1, "chunk");
        LLVMValueRef first = LLVMBuildICmp(c->b, LLVMIntEQ, ci, odin_i64(c, 0), "");
        LLVMValueRef src = LLVMBuildSelect(c->b, first, s_in, s_out, "");
        wkv_chunk(c, u, &sc, u->L, b, h, mul64(c, ci, u->L), src, s_out);
        odin_loop_end(c, &lt);
        LLVMValueRef t0 = odin_i64(c, full * u->L), src_rem = full ? s_out : s_in;
        if (rem == 1) wkv_decode_token(c, u, wkv_row(c, u, b, t0, h), h, src_rem, s_out, decay);
        else if (rem) wkv_chunk(c, u, &sc, rem, b, h, t0, src_rem, s_out);
    }
    odin_loop_end(c, &lh);
    return ODIN_OK;
}

static odin_status l_wkv(odin_lower_ctx *c) {
    wkv_user u;
    if (!wkv_plan(c->g, c->node, &u, c)) return odin_errorf("unsupported shapes");
    int64_t heads = u.B * u.H;
    if (heads == 0) return ODIN_OK;
    if (u.T == 0) { /* no tokens: the state passes through */
        if (u.N) {
            LLVMValueRef same = LLVMBuildICmp(c->b, LLVMIntEQ, c->in[5], c->out[1], "");
            LLVMBasicBlockRef join = odin_if_begin(c, LLVMBuildNot(c->b, same, ""));
            copy_floats(c, c->out[1], c->in[5], heads * u.N * u.N);
            odin_if_end(c, join);
        }
        return ODIN_OK;
    }
    if (u.N == 0) return ODIN_OK;
    return run_range(c, heads, heads * u.T * u.N * u.N * 4, wkv_body, &u);
}

/* ---- CachedAttention ----
 *
 * The kernel checks pos, copies the caches when the output buffers are not the inputs,
 * writes the new k, v rows, then runs the attention in parallel over work items
 * (b, KV head, block of query tokens). An item holds the queries of all Hq/Hkv query
 * heads that share its KV head for its tokens, so the cache streams through memory once
 * per KV head; it walks the cache in blocks of rows: scores of one query against the
 * block (dot products over D in vector segments), then the online-softmax update of that
 * query's running max, sum and D-float accumulator (in registers over the block). No
 * T x M score matrix exists; scratch is per item and per block. */

typedef struct attn_user {
    int64_t B, T, Hq, Hkv, D, M, group;
    int64_t qb, nqb, rb; /* query tokens per item, items per (b, kv head), rows per block */
    float scale;
    segs sg;
} attn_user;

static bool attn_plan(const odin_graph *g, int node, attn_user *u, odin_lower_ctx *c) {
    const odin_tensor *q = odin_node_in_tensor(g, node, 0), *k = odin_node_in_tensor(g, node, 1), *v = odin_node_in_tensor(g, node, 2);
    const odin_tensor *kc = odin_node_in_tensor(g, node, 3), *vc = odin_node_in_tensor(g, node, 4);
    if (!is_f32(q, 4) || !is_f32(k, 4) || !is_f32(v, 4) || !is_f32(kc, 4) || !is_f32(vc, 4) ||
        !is_pos(odin_node_in_tensor(g, node, 5)))
        return false;
    for (int i = 0; i < 3; i++)
        if (!odin_node_out_tensor(g, node, i)) return false;
    memset(u, 0, sizeof *u);
    u->B = q->dims[0], u->T = q->dims[1], u->Hq = q->dims[2], u->D = q->dims[3];
    u->Hkv = k->dims[2], u->M = kc->dims[2];
    if (memcmp(k->dims, v->dims, sizeof(int64_t) * 4) || memcmp(kc->dims, vc->dims, sizeof(int64_t) * 4))
        return false;
    if (k->dims[0] != u->B || k->dims[1] != u->T || k->dims[3] != u->D || kc->dims[0] != u->B ||
        kc->dims[1] != u->Hkv || kc->dims[3] != u->D || u->Hkv < 1 || u->Hq % u->Hkv)
        return false;
    if (u->D < 1 || u->D > 1024) return false;
    u->group = u->Hq / u->Hkv;
    float scale = odin_attr_f(&g->nodes[node], "scale");
    u->scale = scale != 0 ? scale : (float)(1.0 / sqrt((double)u->D));
    u->qb = u->group >= 32 ? 1 : 32 / u->group;
    if (u->qb > u->T) u->qb = u->T;
    if (u->qb < 1) u->qb = 1;
    u->nqb = (u->T + u->qb - 1) / u->qb;
    u->rb = 64;
    if (c) {
        u->sg = make_segs(c, u->D);
        if (u->sg.count > MAX_SEGS) return false;
    }
    return true;
}

static bool accept_attn(const odin_graph *g, int node) {
    attn_user u;
    return attn_plan(g, node, &u, NULL);
}

static LLVMValueRef reduce_add(odin_lower_ctx *c, LLVMValueRef v) {
    LLVMValueRef args[2] = {odin_f32c(c, 0), v};
    LLVMValueRef r = odin_intrinsic(c, "llvm.vector.reduce.fadd", LLVMTypeOf(v), args, 2);
    LLVMSetFastMathFlags(r, LLVMFastMathAllowReassoc);
    return r;
}

static LLVMValueRef fmax_(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, a, b, ""), a, b, "");
}

/* q . row as a vector of partial sums (q pre-loaded as segments) */
static LLVMValueRef dot_partial(odin_lower_ctx *c, const segs *sg, const LLVMValueRef *qv, LLVMValueRef row) {
    LLVMValueRef dv = mulf(c, qv[0], seg_load(c, sg, row, 0));
    for (int s = 1; s < sg->count; s++) dv = odin_fmuladd(c, qv[s], seg_load(c, sg, row, s), dv);
    return dv;
}

/* n vectors of n lanes (n a power of two), each the partial sums of one row, to one
 * vector whose lane r is the sum of vector r: pairs of vectors are folded level by level
 * (lane halves of both added into one vector holding twice the rows), n - 1 folds of two
 * shuffles and an add instead of n horizontal reductions. */
static LLVMValueRef fold_rows(odin_lower_ctx *c, LLVMValueRef *v, int n) {
    int count = n, rows = 1, parts = n; /* each vector: `rows` rows x `parts` partial sums */
    while (count > 1) {
        int half = parts / 2;
        LLVMValueRef lo[64], hi[64];
        for (int lane = 0; lane < n; lane++) {
            int row = lane / half, k = lane % half;
            int src = row < rows ? row * parts + k : n + (row - rows) * parts + k;
            lo[lane] = LLVMConstInt(c->t_i32, (unsigned long long)src, 0);
            hi[lane] = LLVMConstInt(c->t_i32, (unsigned long long)(src + half), 0);
        }
        LLVMValueRef mlo = LLVMConstVector(lo, (unsigned)n), mhi = LLVMConstVector(hi, (unsigned)n);
        for (int i = 0; i < count / 2; i++) {
            LLVMValueRef x = v[2 * i], y = v[2 * i + 1];
            v[i] = LLVMBuildFAdd(c->b, LLVMBuildShuffleVector(c->b, x, y, mlo, ""),
                                 LLVMBuildShuffleVector(c->b, x, y, mhi, ""), "");
        }
        count /= 2, rows *= 2, parts = half;
    }
    return v[0];
}

/* the largest lane (a NaN lane loses every comparison) */
static LLVMValueRef hmax(odin_lower_ctx *c, LLVMValueRef v, int n) {
    LLVMValueRef m = LLVMBuildExtractElement(c->b, v, LLVMConstInt(c->t_i32, 0, 0), "");
    for (int i = 1; i < n; i++)
        m = fmax_(c, LLVMBuildExtractElement(c->b, v, LLVMConstInt(c->t_i32, (unsigned long long)i, 0), ""), m);
    return m;
}

static odin_status attn_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    attn_user *u = user;
    const segs *sg = &u->sg;
    int64_t D = u->D, nq_max = u->qb * u->group;
    LLVMValueRef m_run = scratch(c, nq_max, "m"), l_run = scratch(c, nq_max, "l");
    LLVMValueRef acc = scratch(c, nq_max * D, "acc"), p = scratch(c, u->rb, "p");
    LLVMValueRef pos = load_pos(c, 5);
    odin_loop lw, lz, lr, lq, lj, lx;
    LLVMValueRef item = odin_loop_begin(c, &lw, lo, hi, 1, "item");
    LLVMValueRef qblk = LLVMBuildSRem(c->b, item, odin_i64(c, u->nqb), "");
    LLVMValueRef bk = LLVMBuildSDiv(c->b, item, odin_i64(c, u->nqb), ""); /* b * Hkv + kv head */
    LLVMValueRef b = LLVMBuildSDiv(c->b, bk, odin_i64(c, u->Hkv), "");
    LLVMValueRef hk = LLVMBuildSRem(c->b, bk, odin_i64(c, u->Hkv), "");
    LLVMValueRef t_lo = mul64(c, qblk, u->qb);
    LLVMValueRef t_hi = odin_smin(c, odin_add_i64(c, t_lo, u->qb), odin_i64(c, u->T));
    LLVMValueRef nq = mul64(c, LLVMBuildNSWSub(c->b, t_hi, t_lo, ""), u->group);
    LLVMValueRef kcache = fp(c, c->out[1], mul64(c, bk, u->M * D));
    LLVMValueRef vcache = fp(c, c->out[2], mul64(c, bk, u->M * D));
    LLVMValueRef qi = odin_loop_begin(c, &lz, odin_i64(c, 0), nq, 1, "init");
    odin_store(c, odin_f32c(c, -1e30f), m_run, qi); /* exp(-1e30 - m) is exactly 0 */
    odin_store(c, odin_f32c(c, 0), l_run, qi);
    for (int s = 0; s < sg->count; s++)
        seg_store(c, sg, LLVMConstNull(sg->vt), fp(c, acc, mul64(c, qi, D)), s);
    odin_loop_end(c, &lz);
    LLVMValueRef rows = add64(c, pos, t_hi); /* rows 0..pos+t_hi-1 are read by some query */
    LLVMValueRef r0 = odin_loop_begin(c, &lr, odin_i64(c, 0), rows, u->rb, "rblk");
    LLVMValueRef r_end = odin_smin(c, odin_add_i64(c, r0, u->rb), rows);
    qi = odin_loop_begin(c, &lq, odin_i64(c, 0), nq, 1, "q");
    LLVMValueRef t = add64(c, t_lo, LLVMBuildSDiv(c->b, qi, odin_i64(c, u->group), ""));
    LLVMValueRef h = add64(c, mul64(c, hk, u->group), LLVMBuildSRem(c->b, qi, odin_i64(c, u->group), ""));
    LLVMValueRef limit = odin_smin(c, r_end, odin_add_i64(c, add64(c, pos, t), 1));
    LLVMValueRef nr = LLVMBuildNSWSub(c->b, limit, r0, "");
    LLVMBasicBlockRef skip = odin_if_begin(c, LLVMBuildICmp(c->b, LLVMIntSGT, nr, odin_i64(c, 0), ""));
    /* scores of this query against rows r0..limit-1, and their max */
    LLVMValueRef qrow = fp(c, c->in[0], mul64(c, add64(c, mul64(c, add64(c, mul64(c, b, u->T), t), u->Hq), h), D));
    LLVMValueRef qv[MAX_SEGS];
    LLVMValueRef scale_v = splat(c, sg->vt, odin_f32c(c, u->scale));
    for (int s = 0; s < sg->count; s++) qv[s] = mulf(c, seg_load(c, sg, qrow, s), scale_v);
    /* whole groups of vl rows: vl partial-sum vectors folded into one vector of vl scores */
    int vl = sg->vl;
    LLVMValueRef bmax_v = var(c, sg->vt, splat(c, sg->vt, odin_f32c(c, -1e30f)));
    LLVMValueRef ngroups = LLVMBuildSDiv(c->b, nr, odin_i64(c, vl), "");
    LLVMValueRef gi = odin_loop_begin(c, &lj, odin_i64(c, 0), ngroups, 1, "grp");
    LLVMValueRef j0 = mul64(c, gi, vl), parts[64];
    for (int rr = 0; rr < vl; rr++) {
        LLVMValueRef krow = fp(c, kcache, mul64(c, add64(c, r0, odin_add_i64(c, j0, rr)), D));
        parts[rr] = dot_partial(c, sg, qv, krow);
    }
    LLVMValueRef sv = fold_rows(c, parts, vl);
    vstore(c, sv, fp(c, p, j0), vl);
    LLVMBuildStore(c->b, fmax_(c, sv, get(c, bmax_v)), bmax_v);
    odin_loop_end(c, &lj);
    /* the remaining rows one by one */
    LLVMValueRef bmax = var(c, c->t_f32, hmax(c, get(c, bmax_v), vl));
    LLVMValueRef j = odin_loop_begin(c, &lj, mul64(c, ngroups, vl), nr, 1, "j");
    LLVMValueRef krow = fp(c, kcache, mul64(c, add64(c, r0, j), D));
    LLVMValueRef score = reduce_add(c, dot_partial(c, sg, qv, krow));
    odin_store(c, score, p, j);
    LLVMBuildStore(c->b, fmax_(c, score, get(c, bmax)), bmax);
    odin_loop_end(c, &lj);
    /* online softmax: rescale the running sum and accumulator to the new max */
    LLVMValueRef m_old = lf(c, m_run, qi);
    LLVMValueRef m_new = fmax_(c, get(c, bmax), m_old);
    LLVMValueRef corr = odin_math_exp(c, LLVMBuildFSub(c->b, m_old, m_new, ""));
    odin_store(c, m_new, m_run, qi);
    LLVMValueRef sum = var(c, c->t_f32, odin_f32c(c, 0));
    LLVMValueRef x = odin_loop_begin(c, &lx, odin_i64(c, 0), nr, 1, "x");
    LLVMValueRef px = odin_math_exp(c, LLVMBuildFSub(c->b, lf(c, p, x), m_new, ""));
    odin_store(c, px, p, x);
    LLVMBuildStore(c->b, odin_fadd_reassoc(c, get(c, sum), px), sum);
    odin_loop_end(c, &lx);
    odin_store(c, odin_fmuladd(c, lf(c, l_run, qi), corr, get(c, sum)), l_run, qi);
    LLVMValueRef arow = fp(c, acc, mul64(c, qi, D));
    /* acc = corr * acc + sum_j p_j v_j, rows in pairs with two accumulator sets (two
     * independent FMA chains per segment) */
    LLVMValueRef corr_v = splat(c, sg->vt, corr), av[MAX_SEGS], bv[MAX_SEGS];
    for (int s = 0; s < sg->count; s++) {
        av[s] = var(c, sg->vt, mulf(c, seg_load(c, sg, arow, s), corr_v));
        bv[s] = var(c, sg->vt, LLVMConstNull(sg->vt));
    }
    LLVMValueRef npairs = LLVMBuildSDiv(c->b, nr, odin_i64(c, 2), "");
    LLVMValueRef jp = odin_loop_begin(c, &lj, odin_i64(c, 0), npairs, 1, "pair");
    for (int half = 0; half < 2; half++) {
        LLVMValueRef jj = odin_add_i64(c, mul64(c, jp, 2), half);
        LLVMValueRef vrow = fp(c, vcache, mul64(c, add64(c, r0, jj), D));
        LLVMValueRef pj = splat(c, sg->vt, lf(c, p, jj));
        LLVMValueRef *a = half ? bv : av;
        for (int s = 0; s < sg->count; s++)
            LLVMBuildStore(c->b, odin_fmuladd(c, pj, seg_load(c, sg, vrow, s), get(c, a[s])), a[s]);
    }
    odin_loop_end(c, &lj);
    LLVMValueRef odd = LLVMBuildICmp(c->b, LLVMIntNE, LLVMBuildSRem(c->b, nr, odin_i64(c, 2), ""), odin_i64(c, 0), "");
    LLVMBasicBlockRef even = odin_if_begin(c, odd);
    LLVMValueRef jl = odin_add_i64(c, nr, -1);
    LLVMValueRef vlast = fp(c, vcache, mul64(c, add64(c, r0, jl), D));
    LLVMValueRef pl = splat(c, sg->vt, lf(c, p, jl));
    for (int s = 0; s < sg->count; s++)
        LLVMBuildStore(c->b, odin_fmuladd(c, pl, seg_load(c, sg, vlast, s), get(c, av[s])), av[s]);
    odin_if_end(c, even);
    for (int s = 0; s < sg->count; s++)
        seg_store(c, sg, LLVMBuildFAdd(c->b, get(c, av[s]), get(c, bv[s]), ""), arow, s);
    odin_if_end(c, skip);
    odin_loop_end(c, &lq);
    odin_loop_end(c, &lr);
    /* y = acc / l */
    qi = odin_loop_begin(c, &lz, odin_i64(c, 0), nq, 1, "out");
    t = add64(c, t_lo, LLVMBuildSDiv(c->b, qi, odin_i64(c, u->group), ""));
    h = add64(c, mul64(c, hk, u->group), LLVMBuildSRem(c->b, qi, odin_i64(c, u->group), ""));
    LLVMValueRef yrow = fp(c, c->out[0], mul64(c, add64(c, mul64(c, add64(c, mul64(c, b, u->T), t), u->Hq), h), D));
    LLVMValueRef inv = splat(c, sg->vt, LLVMBuildFDiv(c->b, odin_f32c(c, 1), lf(c, l_run, qi), ""));
    arow = fp(c, acc, mul64(c, qi, D));
    for (int s = 0; s < sg->count; s++) seg_store(c, sg, mulf(c, seg_load(c, sg, arow, s), inv), yrow, s);
    odin_loop_end(c, &lz);
    odin_loop_end(c, &lw);
    return ODIN_OK;
}

static odin_status l_attn(odin_lower_ctx *c) {
    attn_user u;
    if (!attn_plan(c->g, c->node, &u, c)) return odin_errorf("unsupported shapes");
    int64_t D = u.D, M = u.M, T = u.T;
    LLVMValueRef pos = load_pos(c, 5);
    /* pos < 0 or pos + T > M (written so that it cannot overflow) */
    LLVMValueRef bad = LLVMBuildOr(c->b, LLVMBuildICmp(c->b, LLVMIntSLT, pos, odin_i64(c, 0), ""),
                                   LLVMBuildICmp(c->b, LLVMIntSGT, pos, odin_i64(c, M - T), ""), "");
    /* the message cannot name the node: layers whose kernels are equal share one */
    char suffix[200];
    if (T <= M)
        snprintf(suffix, sizeof suffix,
                 " + T %lld > max_ctx %lld (the KV cache's rows): pos must be in [0, %lld]",
                 (long long)T, (long long)M, (long long)(M - T));
    else
        snprintf(suffix, sizeof suffix, ": T %lld > max_ctx %lld (the KV cache's rows)",
                 (long long)T, (long long)M);
    odin_emit_input_error(c, bad, "CachedAttention: pos ", pos, suffix);
    int64_t cache_floats = u.B * u.Hkv * M * D;
    for (int i = 0; i < 2; i++) { /* carry the caches over unless updated in place */
        LLVMValueRef same = LLVMBuildICmp(c->b, LLVMIntEQ, c->in[3 + i], c->out[1 + i], "");
        LLVMBasicBlockRef join = odin_if_begin(c, LLVMBuildNot(c->b, same, ""));
        if (cache_floats)
            LLVMBuildMemCpy(c->b, c->out[1 + i], 4, c->in[3 + i], 4, odin_i64(c, cache_floats * 4));
        odin_if_end(c, join);
    }
    if (u.B * T * u.Hkv * D == 0) return ODIN_OK;
    /* rows pos..pos+T-1 of each (b, kv head) */
    odin_loop lb;
    LLVMValueRef bt = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, u.B * T * u.Hkv), 1, "bth");
    LLVMValueRef hk = LLVMBuildSRem(c->b, bt, odin_i64(c, u.Hkv), "");
    LLVMValueRef btt = LLVMBuildSDiv(c->b, bt, odin_i64(c, u.Hkv), "");
    LLVMValueRef b = LLVMBuildSDiv(c->b, btt, odin_i64(c, T), "");
    LLVMValueRef t = LLVMBuildSRem(c->b, btt, odin_i64(c, T), "");
    LLVMValueRef crow = mul64(c, add64(c, mul64(c, add64(c, mul64(c, b, u.Hkv), hk), M), add64(c, pos, t)), D);
    LLVMValueRef src = mul64(c, bt, D);
    copy_floats(c, fp(c, c->out[1], crow), fp(c, c->in[1], src), D);
    copy_floats(c, fp(c, c->out[2], crow), fp(c, c->in[2], src), D);
    odin_loop_end(c, &lb);
    if (u.Hq == 0) return ODIN_OK;
    /* Threads only when the rows actually read (pos + T of them, known at run time) are
     * worth waking them for: a short cache is faster on the calling thread alone. The bar
     * is 4x the usual one: measured on a 16-core Xeon, a 12-head decode over 100 rows
     * took 11 us alone and 22 us with 8 threads (waking them), over 1000 rows 242 vs 40. */
    int64_t items = u.B * u.Hkv * u.nqb;
    const int64_t min_bytes = 4 * ODIN_PARALLEL_MIN_BYTES;
    if (items < 2 || u.B * u.Hkv * M * D * 8 * T < min_bytes)
        return attn_body(c, odin_i64(c, 0), odin_i64(c, items), &u);
    LLVMValueRef bytes = mul64(c, odin_add_i64(c, pos, T), u.B * u.Hkv * D * 8 * (T > 1 ? T / 2 + 1 : 1));
    LLVMValueRef big = LLVMBuildICmp(c->b, LLVMIntSGE, bytes, odin_i64(c, min_bytes), "");
    LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(c->c, c->fn, "threads");
    LLVMBasicBlockRef alone = LLVMAppendBasicBlockInContext(c->c, c->fn, "alone");
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->c, c->fn, "attn_done");
    LLVMBuildCondBr(c->b, big, then, alone);
    LLVMPositionBuilderAtEnd(c->b, then);
    ODIN_TRY(odin_parallel_range(c, items, 1, attn_body, &u));
    LLVMBuildBr(c->b, join);
    LLVMPositionBuilderAtEnd(c->b, alone);
    ODIN_TRY(attn_body(c, odin_i64(c, 0), odin_i64(c, items), &u));
    LLVMBuildBr(c->b, join);
    LLVMPositionBuilderAtEnd(c->b, join);
    return ODIN_OK;
}

/* ---- Attention (prefill-length scaled-dot-product attention) ----
 *
 * Flash-style and GEMM-like: work items are (batch index n, block of QB query rows). An
 * item walks the keys in blocks of KB: (1) scores S[QB x KB] = Q Kt by register tiles of
 * MR query rows x KB keys (KB/vl vectors, one Kt row load per d shared by MR broadcast
 * q values: MR x KB/vl independent FMA chains); (2) per row, scale, mask (or the causal
 * cut) and the online-softmax update of the running max m, sum l and the correction of
 * the accumulator; (3) y[QB x Dv] = corr * y + P V by tiles of MR rows x up to 4 vectors
 * of Dv, V rows loaded once per key and shared by the MR rows. The accumulator is the
 * item's own rows of y, divided by l at the end. Kt rows are read in place when the input
 * is already [...,D,Tk] (k_transposed); a [...,Tk,D] k is transposed block by block into
 * stack scratch first. Causal items stop at the last key block any of their rows sees.
 * Block lengths are compile-time constants (the last key block and the last query block
 * are emitted separately), so partial vectors are constant masks. */

#define SDPA_MAX_QB 64

typedef struct sdpa_user {
    int r;
    int64_t N, Tq, Tk, D, Dv, lead[ODIN_MAX_RANK];
    int64_t mstride[ODIN_MAX_RANK]; /* mask element stride per dim of [lead..., Tq, Tk] */
    bool kt, causal, has_mask;
    float scale;
    int vl, nt, mr;   /* lanes, key vectors per tile row (KB = nt*vl), rows per tile */
    int64_t kb, qb, nqb;
    LLVMTypeRef vt;
    /* per item, set by the body */
    LLVMValueRef s, ktmp, m, l, corr;      /* scratch */
    LLVMValueRef qn, kn, vn, yn, mn;       /* this batch index's bases (mn: mask, or NULL) */
    LLVMValueRef t0;                       /* first query row of the item */
} sdpa_user;

static bool sdpa_plan(const odin_graph *g, int node, sdpa_user *u, odin_lower_ctx *c) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *q = odin_node_in_tensor(g, node, 0), *k = odin_node_in_tensor(g, node, 1), *v = odin_node_in_tensor(g, node, 2);
    const odin_tensor *mk = n->n_inputs > 3 ? odin_node_in_tensor(g, node, 3) : NULL, *y = odin_node_out_tensor(g, node, 0);
    if (!q || !k || !v || !y) return false;
    int r = q->rank;
    if (r < 2 || !is_f32(q, r) || !is_f32(k, r) || !is_f32(v, r) || !is_f32(y, r)) return false;
    memset(u, 0, sizeof *u);
    u->r = r;
    u->kt = odin_attr_i(n, "k_transposed") != 0;
    u->causal = odin_attr_i(n, "causal") != 0;
    u->N = 1;
    for (int d = 0; d < r - 2; d++) {
        if (k->dims[d] != q->dims[d] || v->dims[d] != q->dims[d] || y->dims[d] != q->dims[d]) return false;
        u->lead[d] = q->dims[d];
        u->N *= q->dims[d];
    }
    u->Tq = q->dims[r - 2], u->D = q->dims[r - 1];
    u->Tk = u->kt ? k->dims[r - 1] : k->dims[r - 2];
    if ((u->kt ? k->dims[r - 2] : k->dims[r - 1]) != u->D || v->dims[r - 2] != u->Tk) return false;
    u->Dv = v->dims[r - 1];
    if (y->dims[r - 2] != u->Tq || y->dims[r - 1] != u->Dv) return false;
    if (u->Tk < 1 || u->D < 1 || u->D > 512 || u->Dv < 1 || u->Tk > INT32_MAX / 2 ||
        u->Tq > INT32_MAX / 2)
        return false;
    if (mk) {
        if (mk->dtype != ODIN_F32 || mk->rank > r || !is_f32(mk, mk->rank)) return false;
        int64_t stride = 1;
        for (int d = r - 1, md = mk->rank - 1; md >= 0; d--, md--) {
            int64_t want = d == r - 1 ? u->Tk : d == r - 2 ? u->Tq : q->dims[d];
            if (mk->dims[md] != 1 && mk->dims[md] != want) return false;
            u->mstride[d] = mk->dims[md] == 1 ? 0 : stride;
            stride *= mk->dims[md];
        }
        u->has_mask = true;
    }
    float scale = odin_attr_f(n, "scale");
    u->scale = scale != 0 ? scale : (float)(1.0 / sqrt((double)u->D));
    if (c) {
        u->vl = vector_lanes(c);
        if (u->vl > 64) return false;
        u->vt = LLVMVectorType(c->t_f32, (unsigned)u->vl);
        int regs = c->target->vector_regs > 0 ? c->target->vector_regs : 16;
        u->nt = 4;
        u->mr = (regs - u->nt - 2) / u->nt;
        if (u->mr > 8) u->mr = 8;
        if (u->mr < 1) u->mr = 1;
        u->kb = (int64_t)u->nt * u->vl;
        int64_t qb = (32 + u->mr - 1) / u->mr * u->mr;
        if (qb > SDPA_MAX_QB) qb = u->mr;
        u->qb = u->Tq < qb ? u->Tq : qb;
        u->nqb = u->qb ? (u->Tq + u->qb - 1) / u->qb : 0;
    }
    return true;
}

static bool accept_sdpa(const odin_graph *g, int node) {
    sdpa_user u;
    return sdpa_plan(g, node, &u, NULL);
}

/* S rows [i0, i0+mr) x keys [0, len) of block j0 = Q Kt (unscaled). */
static void sdpa_scores_tile(odin_lower_ctx *c, sdpa_user *u, LLVMValueRef i0, int mr,
                             LLVMValueRef ktb, int64_t kstride, int64_t len) {
    int nvec = (int)((len + u->vl - 1) / u->vl);
    LLVMValueRef acc[8][4];
    for (int rr = 0; rr < mr; rr++)
        for (int v = 0; v < nvec; v++) acc[rr][v] = var(c, u->vt, LLVMConstNull(u->vt));
    LLVMValueRef qrow = fp(c, u->qn, mul64(c, add64(c, u->t0, i0), u->D));
    odin_loop ld;
    LLVMValueRef d = odin_loop_begin(c, &ld, odin_i64(c, 0), odin_i64(c, u->D), 1, "d");
    LLVMValueRef krow = fp(c, ktb, mul64(c, d, kstride)), kv[4];
    for (int v = 0; v < nvec; v++) {
        int64_t left = len - (int64_t)v * u->vl;
        kv[v] = vload(c, u->vt, fpc(c, krow, (int64_t)v * u->vl), left < u->vl ? (int)left : u->vl);
    }
    for (int rr = 0; rr < mr; rr++) {
        LLVMValueRef qs = splat(c, u->vt, lf(c, qrow, add64(c, d, odin_i64(c, rr * u->D))));
        for (int v = 0; v < nvec; v++)
            LLVMBuildStore(c->b, odin_fmuladd(c, qs, kv[v], get(c, acc[rr][v])), acc[rr][v]);
    }
    odin_loop_end(c, &ld);
    for (int rr = 0; rr < mr; rr++) {
        LLVMValueRef srow = fp(c, u->s, mul64(c, odin_add_i64(c, i0, rr), u->kb));
        for (int v = 0; v < nvec; v++) vstore(c, get(c, acc[rr][v]), fpc(c, srow, (int64_t)v * u->vl), u->vl);
    }
}

/* y rows [i0, i0+mr) = corr * y + P V over keys [j0, j0+len), Dv in chunks of 4 vectors. */
static void sdpa_pv_tile(odin_lower_ctx *c, sdpa_user *u, LLVMValueRef i0, int mr, LLVMValueRef j0,
                         int64_t len) {
    segs sg = make_segs(c, u->Dv);
    LLVMValueRef yrow = fp(c, u->yn, mul64(c, i0, u->Dv));
    for (int s0 = 0; s0 < sg.count; s0 += 4) {
        int ns = sg.count - s0 < 4 ? sg.count - s0 : 4;
        LLVMValueRef acc[8][4];
        for (int rr = 0; rr < mr; rr++) {
            LLVMValueRef cs = splat(c, u->vt, lf(c, u->corr, odin_add_i64(c, i0, rr)));
            for (int v = 0; v < ns; v++)
                acc[rr][v] = var(c, u->vt, mulf(c, seg_load(c, &sg, fpc(c, yrow, rr * u->Dv), s0 + v), cs));
        }
        odin_loop lj;
        LLVMValueRef j = odin_loop_begin(c, &lj, odin_i64(c, 0), odin_i64(c, len), 1, "j");
        LLVMValueRef vrow = fp(c, u->vn, mul64(c, add64(c, j0, j), u->Dv)), vv[4];
        for (int v = 0; v < ns; v++) vv[v] = seg_load(c, &sg, vrow, s0 + v);
        for (int rr = 0; rr < mr; rr++) {
            LLVMValueRef ps = splat(c, u->vt, lf(c, u->s, add64(c, mul64(c, odin_add_i64(c, i0, rr), u->kb), j)));
            for (int v = 0; v < ns; v++)
                LLVMBuildStore(c->b, odin_fmuladd(c, ps, vv[v], get(c, acc[rr][v])), acc[rr][v]);
        }
        odin_loop_end(c, &lj);
        for (int rr = 0; rr < mr; rr++)
            for (int v = 0; v < ns; v++) seg_store(c, &sg, get(c, acc[rr][v]), fpc(c, yrow, rr * u->Dv), s0 + v);
    }
}

/* Scale, mask, causal cut and online-softmax update of rows [0, rows) over keys
 * [j0, j0+len): S becomes P, and m, l, corr are updated. */
static void sdpa_softmax_rows(odin_lower_ctx *c, sdpa_user *u, int64_t rows, LLVMValueRef j0, int64_t len) {
    int vl = u->vl, nvec = (int)((len + vl - 1) / vl);
    LLVMValueRef ninf = splat(c, u->vt, odin_f32c(c, -INFINITY)), scale = splat(c, u->vt, odin_f32c(c, u->scale));
    LLVMTypeRef it = LLVMVectorType(c->t_i32, (unsigned)vl);
    LLVMValueRef iota[64];
    for (int i = 0; i < vl; i++) iota[i] = LLVMConstInt(c->t_i32, (unsigned long long)i, 0);
    LLVMValueRef iota_v = LLVMConstVector(iota, (unsigned)vl);
    odin_loop li, lx;
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, rows), 1, "row");
    LLVMValueRef t = add64(c, u->t0, i), srow = fp(c, u->s, mul64(c, i, u->kb));
    LLVMValueRef mrow = NULL, jmax = NULL;
    if (u->has_mask)
        mrow = fp(c, u->mn, add64(c, mul64(c, t, u->mstride[u->r - 2]), mul64(c, j0, u->mstride[u->r - 1])));
    if (u->causal) /* keys j <= t + Tk - Tq are visible: lane index j - j0 <= jmax */
        jmax = splat(c, it, LLVMBuildTrunc(c->b, LLVMBuildNSWSub(c->b, odin_add_i64(c, t, u->Tk - u->Tq), j0, ""), c->t_i32, ""));
    LLVMValueRef bmax = ninf;
    for (int v = 0; v < nvec; v++) {
        int lanes = len - (int64_t)v * vl < vl ? (int)(len - (int64_t)v * vl) : vl;
        LLVMValueRef sv = mulf(c, vload(c, u->vt, fpc(c, srow, (int64_t)v * vl), vl), scale);
        if (mrow) {
            LLVMValueRef mv = u->mstride[u->r - 1] ? vload(c, u->vt, fpc(c, mrow, (int64_t)v * vl), lanes)
                                                   : splat(c, u->vt, lf(c, mrow, odin_i64(c, 0)));
            sv = LLVMBuildFAdd(c->b, sv, mv, "");
        }
        if (jmax) {
            LLVMValueRef idx = LLVMBuildAdd(c->b, iota_v, splat(c, it, LLVMConstInt(c->t_i32, (unsigned long long)v * vl, 0)), "");
            sv = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntSGT, idx, jmax, ""), ninf, sv, "");
        }
        if (lanes < vl) sv = LLVMBuildSelect(c->b, lane_mask(c, vl, lanes), sv, ninf, "");
        vstore(c, sv, fpc(c, srow, (int64_t)v * vl), vl);
        bmax = fmax_(c, sv, bmax);
    }
    LLVMValueRef m_old = lf(c, u->m, i);
    LLVMValueRef m_new = fmax_(c, hmax(c, bmax, vl), m_old);
    /* a row that has seen only -inf so far subtracts 0 instead (no inf - inf) */
    LLVMValueRef m_use = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOEQ, m_new, odin_f32c(c, -INFINITY), ""),
                                         odin_f32c(c, 0), m_new, "");
    LLVMValueRef corr = odin_math_exp(c, LLVMBuildFSub(c->b, m_old, m_use, ""));
    odin_store(c, m_new, u->m, i);
    odin_store(c, corr, u->corr, i);
    LLVMValueRef sum = var(c, c->t_f32, odin_f32c(c, 0));
    LLVMValueRef x = odin_loop_begin(c, &lx, odin_i64(c, 0), odin_i64(c, len), 1, "x");
    LLVMValueRef px = odin_math_exp(c, LLVMBuildFSub(c->b, lf(c, srow, x), m_use, ""));
    odin_store(c, px, srow, x);
    LLVMBuildStore(c->b, odin_fadd_reassoc(c, get(c, sum), px), sum);
    odin_loop_end(c, &lx);
    odin_store(c, odin_fmuladd(c, lf(c, u->l, i), corr, get(c, sum)), u->l, i);
    odin_loop_end(c, &li);
}

/* Tiles of mr rows over [0, rows): a loop of full tiles and one remainder tile. */
typedef void (*sdpa_tile_fn)(odin_lower_ctx *c, sdpa_user *u, LLVMValueRef i0, int mr, void *arg);

static void sdpa_row_tiles(odin_lower_ctx *c, sdpa_user *u, int64_t rows, sdpa_tile_fn fn, void *arg) {
    int64_t full = rows / u->mr;
    int rem = (int)(rows % u->mr);
    if (full) {
        odin_loop lt;
        LLVMValueRef tile = odin_loop_begin(c, &lt, odin_i64(c, 0), odin_i64(c, full), 1, "tile");
        fn(c, u, mul64(c, tile, u->mr), u->mr, arg);
        odin_loop_end(c, &lt);
    }
    if (rem) fn(c, u, odin_i64(c, full * u->mr), rem, arg);
}

typedef struct sdpa_block {
    LLVMValueRef j0, ktb;
    int64_t kstride, len;
} sdpa_block;

static void scores_fn(odin_lower_ctx *c, sdpa_user *u, LLVMValueRef i0, int mr, void *arg) {
    sdpa_block *b = arg;
    sdpa_scores_tile(c, u, i0, mr, b->ktb, b->kstride, b->len);
}

static void pv_fn(odin_lower_ctx *c, sdpa_user *u, LLVMValueRef i0, int mr, void *arg) {
    sdpa_block *b = arg;
    sdpa_pv_tile(c, u, i0, mr, b->j0, b->len);
}

/* One key block [j0, j0+len) for the item's `rows` query rows. */
static void sdpa_key_block(odin_lower_ctx *c, sdpa_user *u, int64_t rows, LLVMValueRef j0, int64_t len) {
    sdpa_block b = {.j0 = j0, .len = len};
    if (u->kt) {
        b.ktb = fp(c, u->kn, j0);
        b.kstride = u->Tk;
    } else { /* transpose k rows j0..j0+len into ktmp [D x KB] */
        odin_loop lj, ld;
        LLVMValueRef j = odin_loop_begin(c, &lj, odin_i64(c, 0), odin_i64(c, len), 1, "kj");
        LLVMValueRef krow = fp(c, u->kn, mul64(c, add64(c, j0, j), u->D));
        LLVMValueRef d = odin_loop_begin(c, &ld, odin_i64(c, 0), odin_i64(c, u->D), 1, "kd");
        odin_store(c, lf(c, krow, d), u->ktmp, add64(c, mul64(c, d, u->kb), j));
        odin_loop_end(c, &ld);
        odin_loop_end(c, &lj);
        b.ktb = u->ktmp;
        b.kstride = u->kb;
    }
    sdpa_row_tiles(c, u, rows, scores_fn, &b);
    sdpa_softmax_rows(c, u, rows, j0, len);
    sdpa_row_tiles(c, u, rows, pv_fn, &b);
}

/* The item's query rows [t0, t0 + rows) of batch index n (bases already set). */
static void sdpa_query_block(odin_lower_ctx *c, sdpa_user *u, int64_t rows) {
    odin_loop li, lb;
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, rows), 1, "init");
    odin_store(c, odin_f32c(c, -INFINITY), u->m, i);
    odin_store(c, odin_f32c(c, 0), u->l, i);
    odin_loop_end(c, &li);
    LLVMValueRef yb = fp(c, u->yn, odin_i64(c, 0));
    {
        odin_loop lz;
        LLVMValueRef e = odin_loop_begin(c, &lz, odin_i64(c, 0), odin_i64(c, rows * u->Dv), 1, "zero");
        odin_store(c, odin_f32c(c, 0), yb, e);
        odin_loop_end(c, &lz);
    }
    /* key blocks: all of them, or (causal) up to the last key the last row sees */
    int64_t nfull = u->Tk / u->kb, tail = u->Tk % u->kb;
    LLVMValueRef nblk = odin_i64(c, nfull + (tail ? 1 : 0));
    if (u->causal) {
        LLVMValueRef keys = odin_smin(c, odin_add_i64(c, u->t0, rows + u->Tk - u->Tq), odin_i64(c, u->Tk));
        nblk = LLVMBuildSDiv(c->b, odin_add_i64(c, keys, u->kb - 1), odin_i64(c, u->kb), "");
    }
    if (nfull) {
        LLVMValueRef nf = odin_smin(c, nblk, odin_i64(c, nfull));
        LLVMValueRef jb = odin_loop_begin(c, &lb, odin_i64(c, 0), nf, 1, "kblk");
        sdpa_key_block(c, u, rows, mul64(c, jb, u->kb), u->kb);
        odin_loop_end(c, &lb);
    }
    if (tail) {
        LLVMBasicBlockRef join = odin_if_begin(c, LLVMBuildICmp(c->b, LLVMIntSGT, nblk, odin_i64(c, nfull), ""));
        sdpa_key_block(c, u, rows, odin_i64(c, nfull * u->kb), tail);
        odin_if_end(c, join);
    }
    /* y = acc / l */
    i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, rows), 1, "fin");
    segs sg = make_segs(c, u->Dv);
    LLVMValueRef inv = splat(c, u->vt, LLVMBuildFDiv(c->b, odin_f32c(c, 1), lf(c, u->l, i), ""));
    LLVMValueRef yrow = fp(c, u->yn, mul64(c, i, u->Dv));
    for (int s = 0; s < sg.count; s++) seg_store(c, &sg, mulf(c, seg_load(c, &sg, yrow, s), inv), yrow, s);
    odin_loop_end(c, &li);
}

static odin_status sdpa_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    sdpa_user *u = user;
    u->s = scratch(c, u->qb * u->kb, "scores");
    u->ktmp = u->kt ? NULL : scratch(c, u->D * u->kb, "kt");
    u->m = scratch(c, u->qb, "m");
    u->l = scratch(c, u->qb, "l");
    u->corr = scratch(c, u->qb, "corr");
    odin_loop lw;
    LLVMValueRef item = odin_loop_begin(c, &lw, lo, hi, 1, "item");
    LLVMValueRef qblk = LLVMBuildSRem(c->b, item, odin_i64(c, u->nqb), "");
    LLVMValueRef n = LLVMBuildSDiv(c->b, item, odin_i64(c, u->nqb), "");
    u->t0 = mul64(c, qblk, u->qb);
    u->qn = fp(c, c->in[0], mul64(c, n, u->Tq * u->D));
    u->kn = fp(c, c->in[1], mul64(c, n, u->Tk * u->D));
    u->vn = fp(c, c->in[2], mul64(c, n, u->Tk * u->Dv));
    u->yn = fp(c, c->out[0], mul64(c, add64(c, mul64(c, n, u->Tq), u->t0), u->Dv));
    u->mn = NULL;
    if (u->has_mask) { /* offset of batch index n in the (broadcast) mask */
        LLVMValueRef off = odin_i64(c, 0), rest = n;
        for (int d = u->r - 3; d >= 0; d--) {
            LLVMValueRef idx = LLVMBuildSRem(c->b, rest, odin_i64(c, u->lead[d]), "");
            rest = LLVMBuildSDiv(c->b, rest, odin_i64(c, u->lead[d]), "");
            if (u->mstride[d]) off = add64(c, off, mul64(c, idx, u->mstride[d]));
        }
        u->mn = fp(c, c->in[3], off);
    }
    int64_t last = u->Tq - (u->nqb - 1) * u->qb;
    if (last == u->qb) {
        sdpa_query_block(c, u, u->qb);
    } else {
        LLVMValueRef is_last = LLVMBuildICmp(c->b, LLVMIntEQ, qblk, odin_i64(c, u->nqb - 1), "");
        LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(c->c, c->fn, "last_qblk");
        LLVMBasicBlockRef other = LLVMAppendBasicBlockInContext(c->c, c->fn, "full_qblk");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->c, c->fn, "qblk_done");
        LLVMBuildCondBr(c->b, is_last, then, other);
        LLVMPositionBuilderAtEnd(c->b, then);
        sdpa_query_block(c, u, last);
        LLVMBuildBr(c->b, join);
        LLVMPositionBuilderAtEnd(c->b, other);
        sdpa_query_block(c, u, u->qb);
        LLVMBuildBr(c->b, join);
        LLVMPositionBuilderAtEnd(c->b, join);
    }
    odin_loop_end(c, &lw);
    return ODIN_OK;
}

static odin_status l_sdpa(odin_lower_ctx *c) {
    sdpa_user u;
    if (!sdpa_plan(c->g, c->node, &u, c)) return odin_errorf("unsupported shapes");
    if (u.N == 0 || u.Tq == 0 || u.Dv == 0) return ODIN_OK;
    int64_t items = u.N * u.nqb;
    int64_t work = u.N * u.Tq * u.Tk * (u.D + u.Dv) * 4 / (u.causal ? 2 : 1);
    return run_range(c, items, work, sdpa_body, &u);
}

odin_status odin_lm_kernel_limit(const odin_graph *g, int node) {
    /* the widths the plans above accept: accumulators and scratch rows live in registers
     * and on the stack */
    static const struct { const char *op; int64_t limit; } limits[] = {
        {"CachedAttention", 1024}, {"Attention", 512}, {"WKV6", 1024}};
    const odin_node *n = &g->nodes[node];
    const odin_tensor *q = odin_node_in_tensor(g, node, 0);
    if (!n->domain || strcmp(n->domain, "ai.odin") || !q || q->rank < 1) return ODIN_OK;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        int64_t width = q->dims[q->rank - 1];
        if (!strcmp(n->op, limits[i].op) && width > limits[i].limit)
            return odin_errorf("head size %lld is wider than the compiled kernel's limit of %lld "
                               "(the JIT runs such a node on the reference interpreter)",
                               (long long)width, (long long)limits[i].limit);
    }
    return ODIN_OK;
}

const odin_lowering odin_lowerings_lm[] = {
    {"ai.odin::TokenShift", l_tokenshift, NULL, false, accept_tokenshift},
    {"ai.odin::WKV6", l_wkv, NULL, false, accept_wkv},
    {"ai.odin::RoPE", l_rope, NULL, false, accept_rope},
    {"ai.odin::CachedAttention", l_attn, NULL, false, accept_attn},
    {"ai.odin::PositionIds", l_posids, NULL, false, accept_posids},
    {"ai.odin::Attention", l_sdpa, NULL, false, accept_sdpa},
    {NULL, NULL, NULL, false, NULL},
};
