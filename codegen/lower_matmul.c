/* codegen/lower_matmul.c — compiled MatMul (numpy batching with broadcast batch dims,
 * 1-D promotion), Gemm (transA/transB, alpha, beta, broadcast C) and PackedMatMul (B
 * pre-packed in panels by passes/pack.c) for f32, mapped onto the GEMM engine (lower_gemm.h). Other dtypes keep the reference eval. */
#include <string.h>

#include "irgen.h"
#include "lower_gemm.h"

static const odin_tensor *tensor_in(const odin_graph *g, const odin_node *n, int i) {
    return i < n->n_inputs && n->inputs[i] >= 0 ? &g->tensors[n->inputs[i]] : NULL;
}

static bool all_f32(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    for (int i = 0; i < n->n_inputs; i++) {
        const odin_tensor *t = tensor_in(g, n, i);
        if (t && (t->dtype != ODIN_F32 || t->rank < 0)) return false;
    }
    const odin_tensor *y = &g->tensors[n->outputs[0]];
    return y->dtype == ODIN_F32 && odin_tensor_numel(y) >= 0;
}

/* ---- MatMul ---- */

static bool matmul_accepts(const odin_graph *g, int node) {
    if (!all_f32(g, node)) return false;
    const odin_node *n = &g->nodes[node];
    const odin_tensor *a = tensor_in(g, n, 0), *b = tensor_in(g, n, 1);
    if (!a || !b || a->rank < 1 || b->rank < 1) return false;
    return a->dims[a->rank - 1] > 0; /* K = 0 (all-zero output) stays on the fallback */
}

static odin_status lower_matmul(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *a = tensor_in(c->g, n, 0), *b = tensor_in(c->g, n, 1);
    const odin_tensor *y = &c->g->tensors[n->outputs[0]];
    int64_t K = a->dims[a->rank - 1];
    int64_t M = a->rank == 1 ? 1 : a->dims[a->rank - 2];
    int64_t N = b->rank == 1 ? 1 : b->dims[b->rank - 1];
    odin_gemm_spec s = odin_gemm_spec_init(M, N, K);
    s.a_arg = 0;
    s.b_arg = 1;
    s.y_arg = 0;
    /* batch dims: the output's leading dims, right-aligned against each operand's */
    int ab = a->rank > 2 ? a->rank - 2 : 0, bb = b->rank > 2 ? b->rank - 2 : 0;
    int yb = ab > bb ? ab : bb;
    s.n_bdims = yb;
    int64_t as = M * K, bs = K * N, ys = M * N;
    for (int i = yb - 1; i >= 0; i--) {
        int ia = i - (yb - ab), ib = i - (yb - bb);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        s.bdims[i] = da > db ? da : db;
        if (y->rank >= 0 && i < y->rank) s.bdims[i] = y->dims[i];
        s.a_bs[i] = da == 1 ? 0 : as;
        s.b_bs[i] = db == 1 ? 0 : bs;
        s.y_bs[i] = ys;
        as *= da;
        bs *= db;
        ys *= s.bdims[i];
    }
    return odin_emit_gemm(c, &s);
}

/* ---- Gemm ---- */

/* Gemm's C term (input 2, broadcast to [M,N] from rank 0..2); Gemm ignores C when beta
 * is 0. Shared by Gemm and PackedMatMul. */
static void add_c_term(odin_gemm_spec *s, const odin_tensor *ct) {
    if (!ct || s->beta == 0.0f) return;
    s->c_arg = 2;
    if (ct->rank == 2) {
        s->c_si = ct->dims[0] == 1 ? 0 : ct->dims[1];
        s->c_sj = ct->dims[1] == 1 ? 0 : 1;
    } else if (ct->rank == 1) {
        s->c_sj = ct->dims[0] == 1 ? 0 : 1;
    }
}

static bool gemm_accepts(const odin_graph *g, int node) {
    if (!all_f32(g, node)) return false;
    const odin_node *n = &g->nodes[node];
    const odin_tensor *a = tensor_in(g, n, 0), *b = tensor_in(g, n, 1);
    if (!a || !b || a->rank != 2 || b->rank != 2) return false;
    bool ta = odin_attr_i(n, "transA") != 0;
    return a->dims[ta ? 0 : 1] > 0;
}

static odin_status lower_gemm(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *a = tensor_in(c->g, n, 0), *b = tensor_in(c->g, n, 1),
                      *ct = tensor_in(c->g, n, 2);
    bool ta = odin_attr_i(n, "transA") != 0, tb = odin_attr_i(n, "transB") != 0;
    int64_t M = a->dims[ta ? 1 : 0], K = a->dims[ta ? 0 : 1], N = b->dims[tb ? 0 : 1];
    odin_gemm_spec s = odin_gemm_spec_init(M, N, K);
    s.a_arg = 0;
    s.b_arg = 1;
    s.y_arg = 0;
    s.a_si = ta ? 1 : K;
    s.a_sk = ta ? M : 1;
    s.b_sk = tb ? 1 : N;
    s.b_sj = tb ? K : 1;
    s.alpha = odin_attr_f(n, "alpha");
    s.beta = odin_attr_f(n, "beta");
    add_c_term(&s, ct);
    return odin_emit_gemm(c, &s);
}

/* ---- PackedMatMul (passes/pack.c): B already in panels; A's leading dims are rows ---- */

static bool packed_accepts(const odin_graph *g, int node) {
    if (!all_f32(g, node)) return false;
    const odin_node *n = &g->nodes[node];
    const odin_tensor *a = tensor_in(g, n, 0), *p = tensor_in(g, n, 1), *ct = tensor_in(g, n, 2);
    if (!a || !p || p->rank != 3 || a->rank < 1 || p->dims[1] < 1 || p->dims[2] < 1) return false;
    if (odin_attr_i(n, "trans_a") && a->rank != 2) return false;
    const odin_tensor *r = tensor_in(g, n, 3), *y = n->outputs[0] >= 0 ? &g->tensors[n->outputs[0]] : NULL;
    if (r && (!y || odin_tensor_numel(r) != odin_tensor_numel(y))) return false; /* residual: Y's shape */
    return !ct || ct->rank <= 2;
}

static odin_status lower_packed(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *a = tensor_in(c->g, n, 0), *p = tensor_in(c->g, n, 1),
                      *ct = tensor_in(c->g, n, 2);
    bool ta = odin_attr_i(n, "trans_a") != 0;
    int64_t K = p->dims[1], N = odin_attr_i(n, "n");
    int64_t M = ta ? a->dims[1] : odin_tensor_numel(a) / K;
    odin_gemm_spec s = odin_gemm_spec_init(M, N, K);
    s.a_arg = 0;
    s.b_arg = 1;
    s.y_arg = 0;
    s.b_panel = p->dims[2];
    s.a_si = ta ? 1 : K;
    s.a_sk = ta ? M : 1;
    s.alpha = odin_attr_f(n, "alpha");
    s.beta = odin_attr_f(n, "beta");
    add_c_term(&s, ct);
    /* the fused epilogue (passes/fuse_gemm.c): residual laid out like Y, then the clamp */
    if (tensor_in(c->g, n, 3)) s.r_arg = 3;
    s.act_lo = odin_attr_f(n, "act_min");
    s.act_hi = odin_attr_f(n, "act_max");
    return odin_emit_gemm(c, &s);
}

const odin_lowering odin_lowerings_matmul[] = {
    {"ai.odin::PackedMatMul", lower_packed, NULL, false, packed_accepts},
    {"MatMul", lower_matmul, NULL, false, matmul_accepts},
    {"Gemm", lower_gemm, NULL, false, gemm_accepts},
    {NULL, NULL, NULL, false, NULL},
};
