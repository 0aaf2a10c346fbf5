/* codegen/lower_pool.c — compiled MaxPool (without the Indices output), AveragePool,
 * GlobalAveragePool and GlobalMaxPool for f32, 1-D to 3-D. Windowed pools run per plane
 * and output row: each window tap sweeps the row over the output positions where it is
 * in range (a compile-time interval), so the inner loop is contiguous in the output and
 * vectorizes; averages scale by reciprocal window counts precomputed per axis. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "irgen.h"
#include "lower_gemm.h"

typedef enum pool_kind { POOL_MAX, POOL_AVG } pool_kind;

static bool f32_static(const odin_graph *g, int t) {
    return t >= 0 && g->tensors[t].dtype == ODIN_F32 && odin_tensor_numel(&g->tensors[t]) >= 0;
}

static odin_status pool_geom(const odin_graph *gr, int node, odin_conv_geom *g3) {
    const odin_node *n = &gr->nodes[node];
    const odin_tensor *x = &gr->tensors[n->inputs[0]];
    int nsp = x->rank - 2;
    odin_conv_geom g;
    ODIN_TRY(odin_conv_read_attrs(n, nsp, &g));
    bool has_k;
    ODIN_TRY(odin_conv_read_kernel(n, nsp, &g, true, &has_k));
    for (int i = 0; i < nsp; i++) g.in[i] = x->dims[2 + i];
    ODIN_TRY(odin_conv_forward_out(&g, odin_attr_i(n, "ceil_mode") != 0));
    return odin_conv_geom3(&g, g3);
}

static bool window_accepts(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || !f32_static(g, n->inputs[0]) || !f32_static(g, n->outputs[0])) return false;
    if (n->n_outputs > 1 && n->outputs[1] >= 0) return false; /* MaxPool Indices */
    int r = g->tensors[n->inputs[0]].rank;
    if (r < 3 || r > 5) return false;
    odin_conv_geom g3;
    odin_status st = pool_geom(g, node, &g3);
    if (st) {
        odin_status_free(st);
        return false;
    }
    return odin_tensor_numel(&g->tensors[n->outputs[0]]) > 0;
}

typedef struct pool_ctx {
    odin_conv_geom g;
    pool_kind kind;
    int64_t IS, OS;
    LLVMValueRef inv[3]; /* AVG: globals of reciprocal window counts per axis */
} pool_ctx;

/* Reciprocal count of in-range window taps for each output position on one axis. */
static LLVMValueRef inv_count_table(odin_lower_ctx *c, const odin_conv_geom *g, int ax,
                                    bool include_pad) {
    int64_t n = g->out[ax];
    LLVMValueRef *vals = malloc((size_t)n * sizeof *vals);
    if (!vals) return NULL;
    for (int64_t o = 0; o < n; o++) {
        int64_t cnt = 0;
        for (int64_t k = 0; k < g->k[ax]; k++) {
            int64_t i = o * g->stride[ax] - g->pad0[ax] + k * g->dil[ax];
            if (include_pad ? (i >= -g->pad0[ax] && i < g->in[ax] + g->pad1[ax]) : (i >= 0 && i < g->in[ax]))
                cnt++;
        }
        vals[o] = LLVMConstReal(c->t_f32, cnt ? 1.0 / (double)cnt : 0.0);
    }
    LLVMTypeRef at = LLVMArrayType(c->t_f32, (unsigned)n);
    LLVMValueRef gv = LLVMAddGlobal(c->m, at, "pool.inv");
    LLVMSetInitializer(gv, LLVMConstArray(c->t_f32, vals, (unsigned)n));
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    free(vals);
    return gv;
}

static LLVMValueRef combine(odin_lower_ctx *c, pool_kind k, LLVMValueRef a, LLVMValueRef b) {
    if (k == POOL_AVG) return LLVMBuildFAdd(c->b, a, b, "");
    LLVMValueRef args[2] = {a, b};
    return odin_intrinsic(c, "llvm.maxnum", c->t_f32, args, 2);
}

static odin_status pool_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const pool_ctx *p = user;
    const odin_conv_geom *g = &p->g;
    int64_t OH = g->out[1], OW = g->out[2];
    odin_loop lp, lr, ld, lh, li;
    LLVMValueRef pl = odin_loop_begin(c, &lp, lo, hi, 1, "plane");
    LLVMValueRef xp = odin_gep(c, c->t_f32, c->in[0], odin_mul_i64(c, pl, p->IS));
    LLVMValueRef yp = odin_gep(c, c->t_f32, c->out[0], odin_mul_i64(c, pl, p->OS));
    LLVMValueRef r = odin_loop_begin(c, &lr, odin_i64(c, 0), odin_i64(c, g->out[0] * OH), 1, "row");
    LLVMValueRef od = LLVMBuildSDiv(c->b, r, odin_i64(c, OH), "");
    LLVMValueRef oh = LLVMBuildSRem(c->b, r, odin_i64(c, OH), "");
    LLVMValueRef yrow = odin_gep(c, c->t_f32, yp, odin_mul_i64(c, r, OW));
    LLVMValueRef init = odin_f32c(c, p->kind == POOL_MAX ? -INFINITY : 0.0f);
    LLVMValueRef ow = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, OW), 1, "init");
    odin_store(c, init, yrow, ow);
    odin_loop_end(c, &li);
    LLVMValueRef kd = odin_loop_begin(c, &ld, odin_i64(c, 0), odin_i64(c, g->k[0]), 1, "kd");
    LLVMValueRef id = odin_add_i64(c, LLVMBuildNSWAdd(c->b, odin_mul_i64(c, od, g->stride[0]),
                                                      odin_mul_i64(c, kd, g->dil[0]), ""), -g->pad0[0]);
    LLVMValueRef kh = odin_loop_begin(c, &lh, odin_i64(c, 0), odin_i64(c, g->k[1]), 1, "kh");
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
    for (int64_t kw = 0; kw < g->k[2]; kw++) {
        int64_t shift = kw * g->dil[2] - g->pad0[2], a = 0, b = OW;
        while (a < OW && a * g->stride[2] + shift < 0) a++;
        while (b > a && (b - 1) * g->stride[2] + shift >= g->in[2]) b--;
        if (a >= b) continue;
        odin_loop lw;
        LLVMValueRef o = odin_loop_begin(c, &lw, odin_i64(c, a), odin_i64(c, b), 1, "ow");
        LLVMValueRef xv = odin_load(c, c->t_f32, xrow, odin_add_i64(c, odin_mul_i64(c, o, g->stride[2]), shift));
        odin_store(c, combine(c, p->kind, odin_load(c, c->t_f32, yrow, o), xv), yrow, o);
        odin_loop_end(c, &lw);
    }
    LLVMBuildBr(c->b, skip);
    LLVMPositionBuilderAtEnd(c->b, skip);
    odin_loop_end(c, &lh);
    odin_loop_end(c, &ld);
    if (p->kind == POOL_AVG) {
        LLVMTypeRef at0 = LLVMArrayType(c->t_f32, (unsigned)g->out[0]);
        LLVMTypeRef at1 = LLVMArrayType(c->t_f32, (unsigned)g->out[1]);
        LLVMValueRef z = odin_i64(c, 0);
        LLVMValueRef i0[2] = {z, od}, i1[2] = {z, oh};
        LLVMValueRef s0 = LLVMBuildLoad2(c->b, c->t_f32, LLVMBuildInBoundsGEP2(c->b, at0, p->inv[0], i0, 2, ""), "");
        LLVMValueRef s1 = LLVMBuildLoad2(c->b, c->t_f32, LLVMBuildInBoundsGEP2(c->b, at1, p->inv[1], i1, 2, ""), "");
        LLVMValueRef srow = LLVMBuildFMul(c->b, s0, s1, "");
        odin_loop lw;
        LLVMValueRef o = odin_loop_begin(c, &lw, odin_i64(c, 0), odin_i64(c, OW), 1, "scale");
        LLVMValueRef sw = odin_load(c, c->t_f32, p->inv[2], o);
        LLVMValueRef v = LLVMBuildFMul(c->b, odin_load(c, c->t_f32, yrow, o), LLVMBuildFMul(c->b, srow, sw, ""), "");
        odin_store(c, v, yrow, o);
        odin_loop_end(c, &lw);
    }
    odin_loop_end(c, &lr);
    odin_loop_end(c, &lp);
    return ODIN_OK;
}

static odin_status lower_window(odin_lower_ctx *c, pool_kind kind) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]];
    pool_ctx p = {.kind = kind};
    ODIN_TRY(pool_geom(c->g, c->node, &p.g));
    p.IS = p.g.in[0] * p.g.in[1] * p.g.in[2];
    p.OS = p.g.out[0] * p.g.out[1] * p.g.out[2];
    if (kind == POOL_AVG) {
        bool include_pad = odin_attr_i(n, "count_include_pad") != 0;
        for (int ax = 0; ax < 3; ax++)
            if (!(p.inv[ax] = inv_count_table(c, &p.g, ax, include_pad))) return odin_errorf("out of memory");
    }
    return odin_parallel_range(c, x->dims[0] * x->dims[1], 1, pool_body, &p);
}

static odin_status lower_maxpool(odin_lower_ctx *c) { return lower_window(c, POOL_MAX); }
static odin_status lower_avgpool(odin_lower_ctx *c) { return lower_window(c, POOL_AVG); }

/* ---- global pools ---- */

static bool global_accepts(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || !f32_static(g, n->inputs[0]) || !f32_static(g, n->outputs[0])) return false;
    const odin_tensor *x = &g->tensors[n->inputs[0]];
    if (x->rank < 3) return false;
    for (int i = 2; i < x->rank; i++)
        if (x->dims[i] < 1) return false;
    return odin_tensor_numel(x) > 0;
}

typedef struct global_ctx {
    pool_kind kind;
    int64_t size;
} global_ctx;

static odin_status global_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    const global_ctx *p = user;
    odin_loop lp, li;
    LLVMValueRef acc_slot = LLVMBuildAlloca(c->b, c->t_f32, "acc"); /* entry block: promoted */
    LLVMValueRef pl = odin_loop_begin(c, &lp, lo, hi, 1, "plane");
    LLVMValueRef xp = odin_gep(c, c->t_f32, c->in[0], odin_mul_i64(c, pl, p->size));
    /* the first element seeds the accumulator */
    LLVMBuildStore(c->b, odin_load(c, c->t_f32, xp, odin_i64(c, 0)), acc_slot);
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 1), odin_i64(c, p->size), 1, "i");
    LLVMValueRef v = odin_load(c, c->t_f32, xp, i);
    LLVMValueRef acc = LLVMBuildLoad2(c->b, c->t_f32, acc_slot, "");
    LLVMValueRef r = combine(c, p->kind, acc, v);
    /* the sum may be reassociated so the loop vectorizes (as any BLAS reduction does) */
    if (p->kind == POOL_AVG) LLVMSetFastMathFlags(r, LLVMFastMathAllowReassoc);
    else LLVMSetFastMathFlags(r, LLVMFastMathNoSignedZeros);
    LLVMBuildStore(c->b, r, acc_slot);
    odin_loop_end(c, &li);
    LLVMValueRef res = LLVMBuildLoad2(c->b, c->t_f32, acc_slot, "");
    if (p->kind == POOL_AVG) res = LLVMBuildFMul(c->b, res, odin_f32c(c, (float)(1.0 / (double)p->size)), "");
    odin_store(c, res, c->out[0], pl);
    odin_loop_end(c, &lp);
    return ODIN_OK;
}

static odin_status lower_global(odin_lower_ctx *c, pool_kind kind) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = &c->g->tensors[n->inputs[0]];
    global_ctx p = {.kind = kind, .size = 1};
    for (int i = 2; i < x->rank; i++) p.size *= x->dims[i];
    return odin_parallel_range(c, x->dims[0] * x->dims[1], 1, global_body, &p);
}

static odin_status lower_gavg(odin_lower_ctx *c) { return lower_global(c, POOL_AVG); }
static odin_status lower_gmax(odin_lower_ctx *c) { return lower_global(c, POOL_MAX); }

const odin_lowering odin_lowerings_pool[] = {
    {"MaxPool", lower_maxpool, NULL, false, window_accepts},
    {"AveragePool", lower_avgpool, NULL, false, window_accepts},
    {"GlobalAveragePool", lower_gavg, NULL, false, global_accepts},
    {"GlobalMaxPool", lower_gmax, NULL, false, global_accepts},
    {NULL, NULL, NULL, false, NULL},
};
