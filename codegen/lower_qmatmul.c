/* codegen/lower_qmatmul.c — MatMulInteger and QLinearMatMul over u8 / i8: the eval's
 * integer matmul (ops/linalg.c) with the zero points subtracted, accumulated in 32-bit
 * wrapping integers (the eval's 64-bit sum stored as int32 keeps the same low bits); for
 * QLinearMatMul the sum is rescaled in double (a_scale * b_scale / y_scale), rounded half
 * to even, offset and saturated exactly as the eval does. Shapes: A [..., M, K] with B
 * [K, N] or B of A's batch shape; zero points and scales per tensor or per row / column
 * (other layouts keep the eval). */
#include <math.h>
#include <string.h>

#include "lower_util.h"

#define MAXR ODIN_MAX_RANK

typedef struct qmm {
    bool qlinear;
    int a, b, za, zb, sa, sb, sy, zy; /* input indices (-1: none) */
    int64_t M, N, K, batch;
    bool b_batched;                   /* B has A's batch dims (else [K, N]) */
    bool za_row, zb_col, sa_row, sb_col; /* per row of A / per column of B (else scalar) */
    odin_dtype at, bt, yt;
} qmm;

static bool q8(odin_dtype t) { return t == ODIN_U8 || t == ODIN_I8; }

/* Scalar (true, *per = false) or a 1-D vector of n (true, *per = true). */
static bool per_or_scalar(const odin_tensor *t, int64_t n, bool *per) {
    *per = false;
    if (!t) return true;
    int64_t c = odin_tensor_numel(t);
    if (c == 1) return true;
    *per = t->rank == 1 && c == n;
    return *per;
}

static bool qmm_of(const odin_graph *g, int node, qmm *q) {
    const odin_node *n = &g->nodes[node];
    memset(q, 0, sizeof *q);
    q->qlinear = !strcmp(n->op, "QLinearMatMul");
    if (q->qlinear) q->a = 0, q->sa = 1, q->za = 2, q->b = 3, q->sb = 4, q->zb = 5, q->sy = 6, q->zy = 7;
    else q->a = 0, q->b = 1, q->za = 2, q->zb = 3, q->sa = q->sb = q->sy = q->zy = -1;
    const odin_tensor *a = odin_node_in_tensor(g, node, q->a), *b = odin_node_in_tensor(g, node, q->b);
    if (!a || !b || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    q->at = a->dtype, q->bt = b->dtype, q->yt = g->tensors[n->outputs[0]].dtype;
    if (!q8(q->at) || !q8(q->bt) || a->rank < 2 || b->rank < 2) return false;
    q->M = a->dims[a->rank - 2], q->K = a->dims[a->rank - 1], q->N = b->dims[b->rank - 1];
    if (b->dims[b->rank - 2] != q->K) return false;
    q->batch = odin_dims_product(a->dims, 0, a->rank - 2);
    if (b->rank == 2) {
        q->b_batched = false;
    } else {
        if (b->rank != a->rank) return false;
        for (int d = 0; d < a->rank - 2; d++)
            if (a->dims[d] != b->dims[d]) return false;
        q->b_batched = true;
    }
    const odin_tensor *za = odin_node_in_tensor(g, node, q->za), *zb = odin_node_in_tensor(g, node, q->zb);
    if ((za && za->dtype != q->at) || (zb && zb->dtype != q->bt)) return false;
    if (!per_or_scalar(za, q->M, &q->za_row) || !per_or_scalar(zb, q->N, &q->zb_col)) return false;
    if (!q->qlinear) return q->yt == ODIN_I32;
    const odin_tensor *sa = odin_node_in_tensor(g, node, q->sa), *sb = odin_node_in_tensor(g, node, q->sb), *sy = odin_node_in_tensor(g, node, q->sy),
                      *zy = odin_node_in_tensor(g, node, q->zy);
    if (!sa || !sb || !sy || sa->dtype != ODIN_F32 || sb->dtype != ODIN_F32 || sy->dtype != ODIN_F32)
        return false;
    if (!per_or_scalar(sa, q->M, &q->sa_row) || !per_or_scalar(sb, q->N, &q->sb_col)) return false;
    if (odin_tensor_numel(sy) != 1 || (zy && (odin_tensor_numel(zy) != 1 || zy->dtype != q->yt))) return false;
    return q8(q->yt) && (zy || q->yt == q->at);
}

static bool accept_qmm(const odin_graph *g, int node) {
    qmm q;
    return qmm_of(g, node, &q);
}

static LLVMValueRef widen(odin_lower_ctx *c, LLVMValueRef v, odin_dtype t) {
    return t == ODIN_I8 ? LLVMBuildSExt(c->b, v, c->t_i32, "") : LLVMBuildZExt(c->b, v, c->t_i32, "");
}
static LLVMValueRef zp(odin_lower_ctx *c, LLVMValueRef base, odin_dtype t, bool per, LLVMValueRef i) {
    if (!base) return LLVMConstInt(c->t_i32, 0, 0);
    return widen(c, odin_load(c, c->t_i8, base, per ? i : odin_i64(c, 0)), t);
}
static LLVMValueRef in_or_null(odin_lower_ctx *c, int i) {
    return i >= 0 && i < c->g->nodes[c->node].n_inputs && c->g->nodes[c->node].inputs[i] >= 0 ? c->in[i] : NULL;
}

static odin_status l_qmm(odin_lower_ctx *c) {
    qmm q;
    if (!qmm_of(c->g, c->node, &q)) return odin_errorf("unsupported layout");
    if (q.batch * q.M * q.N == 0) return ODIN_OK;
    LLVMValueRef za = in_or_null(c, q.za), zb = in_or_null(c, q.zb);
    LLVMValueRef acc = odin_entry_alloca(c, c->t_i32, "acc");
    odin_loop lb, li, lj, lk;
    LLVMValueRef bi = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, q.batch), 1, "b");
    LLVMValueRef i = odin_loop_begin(c, &li, odin_i64(c, 0), odin_i64(c, q.M), 1, "i");
    LLVMValueRef j = odin_loop_begin(c, &lj, odin_i64(c, 0), odin_i64(c, q.N), 1, "j");
    LLVMValueRef zai = zp(c, za, q.at, q.za_row, i), zbj = zp(c, zb, q.bt, q.zb_col, j);
    LLVMValueRef arow = LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, bi, odin_i64(c, q.M), ""), i, ""),
                                     odin_i64(c, q.K), "");
    LLVMValueRef bbase = q.b_batched ? LLVMBuildMul(c->b, bi, odin_i64(c, q.K * q.N), "") : odin_i64(c, 0);
    LLVMBuildStore(c->b, LLVMConstInt(c->t_i32, 0, 0), acc);
    LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, q.K), 1, "k");
    LLVMValueRef av = widen(c, odin_load(c, c->t_i8, c->in[q.a], LLVMBuildAdd(c->b, arow, k, "")), q.at);
    LLVMValueRef bidx = LLVMBuildAdd(c->b, bbase, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, k, odin_i64(c, q.N), ""), j, ""), "");
    LLVMValueRef bv = widen(c, odin_load(c, c->t_i8, c->in[q.b], bidx), q.bt);
    LLVMValueRef p = LLVMBuildMul(c->b, LLVMBuildSub(c->b, av, zai, ""), LLVMBuildSub(c->b, bv, zbj, ""), "");
    LLVMBuildStore(c->b, LLVMBuildAdd(c->b, LLVMBuildLoad2(c->b, c->t_i32, acc, ""), p, ""), acc);
    odin_loop_end(c, &lk);
    LLVMValueRef sum = LLVMBuildLoad2(c->b, c->t_i32, acc, "");
    LLVMValueRef yo = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, LLVMBuildAdd(c->b, LLVMBuildMul(c->b, bi, odin_i64(c, q.M), ""), i, ""),
                                                      odin_i64(c, q.N), ""), j, "");
    if (!q.qlinear) {
        odin_store(c, sum, c->out[0], yo);
    } else {
        /* (double)acc * (a_scale * b_scale) / y_scale + y_zero_point, rounded, saturated */
        LLVMValueRef sa = LLVMBuildFPExt(c->b, odin_load(c, c->t_f32, c->in[q.sa], q.sa_row ? i : odin_i64(c, 0)), c->t_f64, "");
        LLVMValueRef sb = LLVMBuildFPExt(c->b, odin_load(c, c->t_f32, c->in[q.sb], q.sb_col ? j : odin_i64(c, 0)), c->t_f64, "");
        LLVMValueRef sy = LLVMBuildFPExt(c->b, odin_load(c, c->t_f32, c->in[q.sy], odin_i64(c, 0)), c->t_f64, "");
        LLVMValueRef zy = in_or_null(c, q.zy) ? LLVMBuildSIToFP(c->b, zp(c, c->in[q.zy], q.yt, false, NULL), c->t_f64, "")
                                               : LLVMConstReal(c->t_f64, 0);
        LLVMValueRef v = LLVMBuildFMul(c->b, LLVMBuildSIToFP(c->b, sum, c->t_f64, ""), LLVMBuildFMul(c->b, sa, sb, ""), "");
        v = LLVMBuildFAdd(c->b, LLVMBuildFDiv(c->b, v, sy, ""), zy, "");
        LLVMValueRef r = odin_intrinsic(c, "llvm.rint", c->t_f64, &v, 1);
        double lo = q.yt == ODIN_U8 ? 0 : -128, hi = q.yt == ODIN_U8 ? 255 : 127;
        LLVMValueRef lov = LLVMConstReal(c->t_f64, lo), hiv = LLVMConstReal(c->t_f64, hi);
        r = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOLT, r, lov, ""), lov, r, "");
        r = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealOGT, r, hiv, ""), hiv, r, "");
        r = LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, LLVMRealUNO, r, r, ""), LLVMConstReal(c->t_f64, 0), r, "");
        odin_store(c, LLVMBuildTrunc(c->b, LLVMBuildFPToSI(c->b, r, c->t_i32, ""), c->t_i8, ""), c->out[0], yo);
    }
    odin_loop_end(c, &lj);
    odin_loop_end(c, &li);
    odin_loop_end(c, &lb);
    return ODIN_OK;
}

const odin_lowering odin_lowerings_qmatmul[] = {
    {"MatMulInteger", l_qmm, NULL, false, accept_qmm},
    {"QLinearMatMul", l_qmm, NULL, false, accept_qmm},
    {NULL, NULL, NULL, false, NULL},
};
