/* codegen/lower_quant.c — QuantizeLinear, DequantizeLinear (per-tensor, per-axis and
 * blocked scales) and DynamicQuantizeLinear, f32 data and scales. Mirrors ops/quant.c
 * step for step in the same precision (x / scale in float, round half to even, the zero
 * point added in double, saturation; (x - zp) converted to float times the scale), so
 * results are bit-identical. Other dtypes keep the eval. */
#include <string.h>

#include "lower_util.h"

#define MAXR ODIN_MAX_RANK

/* Scale layout of input 1 against x: per-tensor, per-axis or blocked (as plan_scales). */
typedef struct qmap {
    int mode; /* 0 per-tensor, 1 per-axis, 2 blocked */
    int64_t outer, axis_dim, inner, block, scale_axis;
} qmap;

static const odin_tensor *in_t(const odin_graph *g, int node, int i) {
    int t = odin_node_in(g, node, i);
    return t >= 0 ? &g->tensors[t] : NULL;
}

static bool qmap_of(const odin_graph *g, int node, qmap *m) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = in_t(g, node, 0), *s = in_t(g, node, 1), *zp = in_t(g, node, 2);
    memset(m, 0, sizeof *m);
    if (!x || !s || x->rank < 0 || s->rank < 0) return false;
    if (zp) {
        if (zp->rank != s->rank) return false;
        for (int d = 0; d < s->rank; d++)
            if (zp->dims[d] != s->dims[d]) return false;
    }
    int64_t sn = odin_tensor_numel(s);
    int64_t block = g->opset >= 21 ? odin_attr_i(n, "block_size") : 0;
    if (s->rank == 0 || (sn == 1 && s->rank == 1 && block == 0)) return sn == 1;
    if (g->opset < 13 || block < 0 || x->rank < 1) return false;
    int64_t a = odin_attr_i(n, "axis");
    if (a < 0) a += x->rank;
    if (a < 0 || a >= x->rank) return false;
    m->axis_dim = x->dims[a];
    m->outer = odin_dims_product(x->dims, 0, (int)a);
    m->inner = odin_dims_product(x->dims, (int)a + 1, x->rank);
    if (block > 0) {
        if (s->rank != x->rank) return false;
        for (int d = 0; d < x->rank; d++)
            if (s->dims[d] != (d == a ? (x->dims[d] + block - 1) / block : x->dims[d])) return false;
        m->mode = 2;
        m->block = block;
        m->scale_axis = s->dims[a];
        return true;
    }
    if (s->rank != 1 || s->dims[0] != m->axis_dim) return false;
    m->mode = 1;
    return true;
}

static bool is_qint(odin_dtype t) { return t == ODIN_I8 || t == ODIN_U8 || t == ODIN_I16 || t == ODIN_U16; }

static bool accept_quantize(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = in_t(g, node, 0), *s = in_t(g, node, 1), *zp = in_t(g, node, 2);
    qmap m;
    if (!x || !s || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    odin_dtype y = g->tensors[n->outputs[0]].dtype;
    return x->dtype == ODIN_F32 && s->dtype == ODIN_F32 && is_qint(y) && (!zp || zp->dtype == y) &&
           qmap_of(g, node, &m);
}

static bool accept_dequantize(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = in_t(g, node, 0), *s = in_t(g, node, 1), *zp = in_t(g, node, 2);
    qmap m;
    if (!x || !s || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    return (is_qint(x->dtype) || x->dtype == ODIN_I32) && s->dtype == ODIN_F32 &&
           g->tensors[n->outputs[0]].dtype == ODIN_F32 && (!zp || zp->dtype == x->dtype) && qmap_of(g, node, &m);
}

static void qrange(odin_dtype t, int64_t *lo, int64_t *hi) {
    switch (t) {
    case ODIN_I8: *lo = -128, *hi = 127; break;
    case ODIN_U8: *lo = 0, *hi = 255; break;
    case ODIN_I16: *lo = -32768, *hi = 32767; break;
    default: *lo = 0, *hi = 65535; break;
    }
}

static LLVMValueRef widen(odin_lower_ctx *c, LLVMValueRef v, odin_dtype t) {
    if (t == ODIN_I64) return v;
    return odin_dtype_is_signed(t) ? LLVMBuildSExt(c->b, v, c->t_i64, "") : LLVMBuildZExt(c->b, v, c->t_i64, "");
}

/* round half to even, add the zero point (i64) in double, saturate; as quantize_one */
static LLVMValueRef quantize_one(odin_lower_ctx *c, LLVMValueRef q, LLVMValueRef zp, int64_t lo, int64_t hi,
                                 LLVMTypeRef out) {
    LLVMValueRef r = odin_intrinsic(c, "llvm.rint", c->t_f32, &q, 1);
    LLVMValueRef zd = LLVMBuildSIToFP(c->b, zp, c->t_f64, "");
    LLVMValueRef v = LLVMBuildFAdd(c->b, LLVMBuildFPExt(c->b, r, c->t_f64, ""), zd, "");
    LLVMValueRef nan = LLVMBuildFCmp(c->b, LLVMRealUNO, r, r, "");
    v = LLVMBuildSelect(c->b, nan, zd, v, "");
    LLVMValueRef args[2] = {v, LLVMConstReal(c->t_f64, (double)lo)};
    v = odin_intrinsic(c, "llvm.maxnum", c->t_f64, args, 2);
    args[0] = v, args[1] = LLVMConstReal(c->t_f64, (double)hi);
    v = odin_intrinsic(c, "llvm.minnum", c->t_f64, args, 2);
    return LLVMBuildTrunc(c->b, LLVMBuildFPToSI(c->b, v, c->t_i64, ""), out, "");
}

/* Loops over x as [outer, axis, inner]; calls body with the element and scale indices. */
typedef void (*q_body)(odin_lower_ctx *c, LLVMValueRef e, LLVMValueRef si, void *user);

static void scale_loops(odin_lower_ctx *c, const qmap *m, int64_t numel, q_body body, void *user) {
    odin_loop l0, l1, l2;
    if (m->mode == 0) {
        LLVMValueRef e = odin_loop_begin(c, &l0, odin_i64(c, 0), odin_i64(c, numel), 1, "e");
        body(c, e, odin_i64(c, 0), user);
        odin_loop_end(c, &l0);
        return;
    }
    LLVMValueRef o = odin_loop_begin(c, &l0, odin_i64(c, 0), odin_i64(c, m->outer), 1, "o");
    LLVMValueRef a = odin_loop_begin(c, &l1, odin_i64(c, 0), odin_i64(c, m->axis_dim), 1, "a");
    LLVMValueRef i = odin_loop_begin(c, &l2, odin_i64(c, 0), odin_i64(c, m->inner), 1, "i");
    LLVMValueRef oa = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, o, odin_i64(c, m->axis_dim), ""), a, "");
    LLVMValueRef e = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, oa, odin_i64(c, m->inner), ""), i, "");
    LLVMValueRef si;
    if (m->mode == 1) {
        si = a;
    } else {
        LLVMValueRef ab = LLVMBuildUDiv(c->b, a, odin_i64(c, m->block), "");
        LLVMValueRef row = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, o, odin_i64(c, m->scale_axis), ""), ab, "");
        si = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, row, odin_i64(c, m->inner), ""), i, "");
    }
    body(c, e, si, user);
    odin_loop_end(c, &l2);
    odin_loop_end(c, &l1);
    odin_loop_end(c, &l0);
}

typedef struct q_user {
    odin_dtype zt, yt, xt;
    int64_t lo, hi;
    bool has_zp;
} q_user;

static void quantize_body(odin_lower_ctx *c, LLVMValueRef e, LLVMValueRef si, void *user) {
    const q_user *u = user;
    LLVMValueRef sc = odin_load(c, c->t_f32, c->in[1], si);
    LLVMValueRef xv = odin_load(c, c->t_f32, c->in[0], e);
    LLVMValueRef z = u->has_zp ? widen(c, odin_load(c, odin_llvm_type(c, u->zt), c->in[2], si), u->zt) : odin_i64(c, 0);
    LLVMValueRef q = LLVMBuildFDiv(c->b, xv, sc, "");
    odin_store(c, quantize_one(c, q, z, u->lo, u->hi, odin_llvm_type(c, u->yt)), c->out[0], e);
}

static void dequantize_body(odin_lower_ctx *c, LLVMValueRef e, LLVMValueRef si, void *user) {
    const q_user *u = user;
    LLVMValueRef sc = odin_load(c, c->t_f32, c->in[1], si);
    LLVMValueRef x = widen(c, odin_load(c, odin_llvm_type(c, u->xt), c->in[0], e), u->xt);
    LLVMValueRef z = u->has_zp ? widen(c, odin_load(c, odin_llvm_type(c, u->xt), c->in[2], si), u->xt) : odin_i64(c, 0);
    LLVMValueRef d = LLVMBuildSIToFP(c->b, LLVMBuildSub(c->b, x, z, ""), c->t_f32, "");
    odin_store(c, LLVMBuildFMul(c->b, d, sc, ""), c->out[0], e);
}

static odin_status l_quant(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    bool quant = !strcmp(n->op, "QuantizeLinear");
    qmap m;
    if (!qmap_of(c->g, c->node, &m)) return odin_errorf("unsupported scale layout");
    const odin_tensor *x = in_t(c->g, c->node, 0), *zp = in_t(c->g, c->node, 2);
    q_user u = {.xt = x->dtype, .yt = c->g->tensors[n->outputs[0]].dtype, .has_zp = zp != NULL};
    u.zt = zp ? zp->dtype : u.yt;
    qrange(u.yt, &u.lo, &u.hi);
    int64_t numel = odin_tensor_numel(x);
    if (numel == 0) return ODIN_OK;
    scale_loops(c, &m, numel, quant ? quantize_body : dequantize_body, &u);
    return ODIN_OK;
}

/* ---- DynamicQuantizeLinear ---- */

static bool accept_dynquant(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = in_t(g, node, 0);
    return x && x->dtype == ODIN_F32 && n->n_outputs >= 1 && n->outputs[0] >= 0;
}

static odin_status l_dynquant(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    int64_t numel = odin_tensor_numel(in_t(c->g, c->node, 0));
    LLVMValueRef lo = odin_entry_alloca(c, c->t_f32, "lo"), hi = odin_entry_alloca(c, c->t_f32, "hi");
    LLVMValueRef zero = odin_f32c(c, 0);
    LLVMBuildStore(c->b, zero, lo);
    LLVMBuildStore(c->b, zero, hi);
    odin_loop l;
    LLVMValueRef e = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, numel), 1, "e");
    LLVMValueRef v = odin_load(c, c->t_f32, c->in[0], e);
    LLVMValueRef a = LLVMBuildLoad2(c->b, c->t_f32, lo, ""), b = LLVMBuildLoad2(c->b, c->t_f32, hi, "");
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, v, a, ""), v, a, ""), lo);
    LLVMBuildStore(c->b, LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, v, b, ""), v, b, ""), hi);
    odin_loop_end(c, &l);
    LLVMValueRef fl = LLVMBuildLoad2(c->b, c->t_f32, lo, ""), fh = LLVMBuildLoad2(c->b, c->t_f32, hi, "");
    LLVMValueRef scale = LLVMBuildFDiv(c->b, LLVMBuildFSub(c->b, fh, fl, ""), odin_f32c(c, 255.0f), "");
    LLVMValueRef pos = LLVMBuildFCmp(c->b, LLVMRealOGT, scale, zero, "");
    /* zp = rint(clamp(0 - lo / scale, 0, 255)) when scale > 0 */
    LLVMValueRef izp = LLVMBuildFSub(c->b, zero, LLVMBuildFDiv(c->b, fl, scale, ""), "");
    izp = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, izp, zero, ""), zero, izp, "");
    izp = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, izp, odin_f32c(c, 255.0f), ""), odin_f32c(c, 255.0f), izp, "");
    izp = odin_intrinsic(c, "llvm.rint", c->t_f32, &izp, 1);
    LLVMValueRef zp = LLVMBuildSelect(c->b, pos, LLVMBuildFPToSI(c->b, izp, c->t_i64, ""), odin_i64(c, 0), "");
    e = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, numel), 1, "e");
    v = odin_load(c, c->t_f32, c->in[0], e);
    LLVMValueRef q = quantize_one(c, LLVMBuildFDiv(c->b, v, scale, ""), zp, 0, 255, c->t_i8);
    odin_store(c, LLVMBuildSelect(c->b, pos, q, LLVMConstInt(c->t_i8, 0, 0), ""), c->out[0], e);
    odin_loop_end(c, &l);
    if (n->n_outputs > 1 && c->out[1]) odin_store(c, scale, c->out[1], odin_i64(c, 0));
    if (n->n_outputs > 2 && c->out[2]) odin_store(c, LLVMBuildTrunc(c->b, zp, c->t_i8, ""), c->out[2], odin_i64(c, 0));
    return ODIN_OK;
}

const odin_lowering odin_lowerings_quant[] = {
    {"QuantizeLinear", l_quant, NULL, false, accept_quantize},
    {"DequantizeLinear", l_quant, NULL, false, accept_dequantize},
    {"DynamicQuantizeLinear", l_dynquant, NULL, false, accept_dynquant},
    {NULL, NULL, NULL, false, NULL},
};
