/* codegen/lower_norm.c — compiled normalizations on f32: LayerNormalization and
 * RMSNormalization (rows over the dims from `axis` on), BatchNormalization in inference
 * mode (per-channel scale and shift, folded at compile time when the four parameters are
 * constants; training mode is codegen/lower_bn_train.c), InstanceNormalization and GroupNormalization (statistics per contiguous
 * (sample, group) block). Statistics take two vectorized passes (sum, then squared
 * deviations, as the reference does) and one pass writes the output; rows or blocks are
 * split across threads when the tensor is large. Other dtypes and parameter layouts the
 * loops do not cover are declined and run through the reference eval. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower_bn_train.h"
#include "lower_util.h"
#include "mathlib.h"

static const odin_tensor *tensor_in(const odin_graph *g, int node, int i) {
    int t = odin_node_in(g, node, i);
    return t >= 0 ? &g->tensors[t] : NULL;
}

static bool all_f32(const odin_graph *g, int node, int from, int to) {
    for (int i = from; i < to; i++) {
        const odin_tensor *t = tensor_in(g, node, i);
        if (t && t->dtype != ODIN_F32) return false;
    }
    return true;
}

/* Optional outputs 1.. must be absent, or f32 when `allowed`. */
static bool extra_outputs_ok(const odin_graph *g, int node, bool allowed) {
    const odin_node *n = &g->nodes[node];
    if (n->n_outputs < 1 || n->outputs[0] < 0 || g->tensors[n->outputs[0]].dtype != ODIN_F32)
        return false;
    for (int i = 1; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0 && (!allowed || g->tensors[n->outputs[i]].dtype != ODIN_F32))
            return false;
    return true;
}

/* Mean and 1/sqrt(var + eps) of n floats at base (stride 1), two passes as the reference.
 * rms: no mean; 1/sqrt(mean(x^2) + eps). */
static void row_stats(odin_lower_ctx *c, LLVMValueRef base, int64_t n, double eps, bool rms,
                      LLVMValueRef *mean, LLVMValueRef *inv) {
    LLVMValueRef acc = odin_entry_alloca(c, c->t_f32, "acc");
    LLVMValueRef m = odin_f32c(c, 0);
    odin_loop l;
    LLVMValueRef k;
    if (!rms) {
        LLVMBuildStore(c->b, odin_f32c(c, 0), acc);
        k = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, n), 1, "k");
        LLVMValueRef v = odin_load(c, c->t_f32, c->in[0], LLVMBuildNSWAdd(c->b, base, k, ""));
        LLVMBuildStore(c->b, odin_fadd_reassoc(c, LLVMBuildLoad2(c->b, c->t_f32, acc, ""), v), acc);
        odin_loop_end(c, &l);
        m = LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, c->t_f32, acc, ""), odin_f32c(c, (float)n), "");
    }
    LLVMBuildStore(c->b, odin_f32c(c, 0), acc);
    k = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, n), 1, "k");
    LLVMValueRef v = odin_load(c, c->t_f32, c->in[0], LLVMBuildNSWAdd(c->b, base, k, ""));
    if (!rms) v = LLVMBuildFSub(c->b, v, m, "");
    LLVMBuildStore(c->b, odin_fadd_reassoc(c, LLVMBuildLoad2(c->b, c->t_f32, acc, ""), LLVMBuildFMul(c->b, v, v, "")), acc);
    odin_loop_end(c, &l);
    LLVMValueRef var = LLVMBuildFDiv(c->b, LLVMBuildLoad2(c->b, c->t_f32, acc, ""), odin_f32c(c, (float)n), "");
    var = LLVMBuildFAdd(c->b, var, odin_f32c(c, (float)eps), "");
    LLVMValueRef sd = odin_intrinsic(c, "llvm.sqrt", c->t_f32, &var, 1);
    *mean = m;
    *inv = LLVMBuildFDiv(c->b, odin_f32c(c, 1), sd, "");
}

/* ---- LayerNormalization / RMSNormalization ---- */

typedef struct rows_user {
    bool rms, has_bias, stats_out[3];
    int64_t rows, cols, pn; /* pn: parameter elements, repeating every pn columns */
    double eps;
} rows_user;

/* The parameter's dims with leading 1s dropped must equal X's trailing dims: then it
 * repeats every numel(param) columns. */
static bool param_suffix(const odin_tensor *p, const odin_tensor *x, int axis, int64_t *pn) {
    int r = 0;
    while (r < p->rank && p->dims[r] == 1) r++;
    int k = p->rank - r;
    if (k > x->rank - axis) return false;
    for (int i = 0; i < k; i++)
        if (p->dims[r + i] != x->dims[x->rank - k + i]) return false;
    *pn = odin_tensor_numel(p);
    return true;
}

static bool rows_plan(const odin_graph *g, int node, rows_user *u) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = tensor_in(g, node, 0), *s = tensor_in(g, node, 1), *b = tensor_in(g, node, 2);
    memset(u, 0, sizeof *u);
    u->rms = !strcmp(n->op, "RMSNormalization");
    if (!x || !s || x->rank < 1 || !all_f32(g, node, 0, 3)) return false;
    if (!extra_outputs_ok(g, node, !u->rms)) return false;
    int axis;
    odin_status st = odin_norm_axis(odin_attr_i(n, "axis"), x->rank, &axis);
    odin_status_free(st);
    if (st || !param_suffix(s, x, axis, &u->pn)) return false;
    if (b && !u->rms) {
        int64_t bn;
        if (!param_suffix(b, x, axis, &bn) || bn != u->pn) return false;
        u->has_bias = true;
    }
    u->rows = odin_dims_product(x->dims, 0, axis);
    u->cols = odin_dims_product(x->dims, axis, x->rank);
    u->eps = odin_attr_f(n, "epsilon");
    for (int i = 1; i < n->n_outputs && i < 3; i++) u->stats_out[i] = n->outputs[i] >= 0;
    return u->pn > 0 && u->cols % u->pn == 0;
}

static bool accept_rows(const odin_graph *g, int node) {
    rows_user u;
    return rows_plan(g, node, &u);
}

static odin_status rows_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    rows_user *u = user;
    odin_loop lr, lj, lk;
    LLVMValueRef r = odin_loop_begin(c, &lr, lo, hi, 1, "row");
    LLVMValueRef base = LLVMBuildNSWMul(c->b, r, odin_i64(c, u->cols), "");
    LLVMValueRef mean, inv;
    row_stats(c, base, u->cols, u->eps, u->rms, &mean, &inv);
    if (u->stats_out[1]) odin_store(c, mean, c->out[1], r);
    if (u->stats_out[2]) odin_store(c, inv, c->out[2], r);
    LLVMValueRef j = odin_loop_begin(c, &lj, odin_i64(c, 0), odin_i64(c, u->cols / u->pn), 1, "j");
    LLVMValueRef jb = LLVMBuildNSWAdd(c->b, base, LLVMBuildNSWMul(c->b, j, odin_i64(c, u->pn), ""), "");
    LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, u->pn), 1, "k");
    LLVMValueRef at = LLVMBuildNSWAdd(c->b, jb, k, "");
    LLVMValueRef v = odin_load(c, c->t_f32, c->in[0], at);
    if (!u->rms) v = LLVMBuildFSub(c->b, v, mean, "");
    v = LLVMBuildFMul(c->b, v, inv, "");
    LLVMValueRef s = odin_load(c, c->t_f32, c->in[1], k);
    v = u->has_bias ? odin_fmuladd(c, v, s, odin_load(c, c->t_f32, c->in[2], k)) : LLVMBuildFMul(c->b, v, s, "");
    odin_store(c, v, c->out[0], at);
    odin_loop_end(c, &lk);
    odin_loop_end(c, &lj);
    odin_loop_end(c, &lr);
    return ODIN_OK;
}

static odin_status l_rows(odin_lower_ctx *c) {
    rows_user u;
    if (!rows_plan(c->g, c->node, &u)) return odin_errorf("unsupported parameter layout");
    if (u.rows == 0 || u.cols == 0) return ODIN_OK;
    int64_t bytes = u.rows * u.cols * 4;
    if (u.rows >= 2 && bytes >= ODIN_PARALLEL_MIN_BYTES) {
        int64_t per = u.cols * 4, grain = (32 * 1024 + per - 1) / per;
        return odin_parallel_range(c, u.rows, grain < 1 ? 1 : grain, rows_body, &u);
    }
    return rows_body(c, odin_i64(c, 0), odin_i64(c, u.rows), &u);
}

/* ---- BatchNormalization (inference) ---- */

typedef struct bn_user {
    int64_t n, ch, sp;
    double eps;
    LLVMValueRef scale_g, shift_g; /* folded per-channel constants, or NULL */
} bn_user;

static bool bn_plan(const odin_graph *g, int node, bn_user *u) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = tensor_in(g, node, 0);
    memset(u, 0, sizeof *u);
    if (!x || x->rank < 2 || n->n_inputs < 5 || !all_f32(g, node, 0, 5)) return false;
    if (g->opset >= 14 && odin_attr_i(n, "training_mode")) return false;
    if (!extra_outputs_ok(g, node, false)) return false;
    for (int i = 1; i < 5; i++) {
        const odin_tensor *p = tensor_in(g, node, i);
        if (!p || p->rank != 1 || p->dims[0] != x->dims[1]) return false;
    }
    u->n = x->dims[0];
    u->ch = x->dims[1];
    u->sp = odin_dims_product(x->dims, 2, x->rank);
    u->eps = odin_attr_f(n, "epsilon");
    return true;
}

static bool accept_bn(const odin_graph *g, int node) {
    bn_user u;
    return bn_plan(g, node, &u) || odin_bn_training_accepts(g, node);
}

static LLVMValueRef f32_global(odin_lower_ctx *c, const float *v, int64_t n, const char *what) {
    LLVMValueRef *elems = malloc(sizeof *elems * (size_t)(n ? n : 1));
    if (!elems) return NULL;
    for (int64_t i = 0; i < n; i++) elems[i] = odin_f32c(c, v[i]);
    char name[96];
    snprintf(name, sizeof name, "odin_bn%d_%s", c->node, what);
    LLVMValueRef gv = LLVMAddGlobal(c->m, LLVMArrayType2(c->t_f32, (uint64_t)n), name);
    LLVMSetInitializer(gv, LLVMConstArray2(c->t_f32, elems, (uint64_t)n));
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetAlignment(gv, 64);
    free(elems);
    return gv;
}

/* scale / sqrt(var + eps) and B - mean * that, in double, from constant parameters. */
static odin_status bn_fold(odin_lower_ctx *c, bn_user *u) {
    for (int i = 1; i < 5; i++)
        if (!odin_node_in_const(c->g, c->node, i)) return ODIN_OK;
    const float *p[4];
    for (int i = 0; i < 4; i++) p[i] = tensor_in(c->g, c->node, i + 1)->data;
    float *a = malloc(sizeof *a * (size_t)(2 * u->ch + 1));
    if (!a) return odin_errorf("out of memory");
    for (int64_t k = 0; k < u->ch; k++) {
        double sc = p[0][k] / sqrt((double)p[3][k] + u->eps);
        a[k] = (float)sc;
        a[u->ch + k] = (float)(p[1][k] - p[2][k] * sc);
    }
    u->scale_g = f32_global(c, a, u->ch, "scale");
    u->shift_g = f32_global(c, a + u->ch, u->ch, "shift");
    free(a);
    if (!u->scale_g || !u->shift_g) return odin_errorf("out of memory");
    return ODIN_OK;
}

static odin_status bn_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    bn_user *u = user;
    odin_loop lp, lk;
    LLVMValueRef nc = odin_loop_begin(c, &lp, lo, hi, 1, "nc");
    LLVMValueRef ch = LLVMBuildURem(c->b, nc, odin_i64(c, u->ch), "");
    LLVMValueRef a, b;
    if (u->scale_g) {
        a = odin_load(c, c->t_f32, u->scale_g, ch);
        b = odin_load(c, c->t_f32, u->shift_g, ch);
    } else {
        LLVMValueRef var = LLVMBuildFAdd(c->b, odin_load(c, c->t_f32, c->in[4], ch), odin_f32c(c, (float)u->eps), "");
        LLVMValueRef sd = odin_intrinsic(c, "llvm.sqrt", c->t_f32, &var, 1);
        a = LLVMBuildFDiv(c->b, odin_load(c, c->t_f32, c->in[1], ch), sd, "");
        b = LLVMBuildFSub(c->b, odin_load(c, c->t_f32, c->in[2], ch),
                          LLVMBuildFMul(c->b, odin_load(c, c->t_f32, c->in[3], ch), a, ""), "");
    }
    LLVMValueRef base = LLVMBuildNSWMul(c->b, nc, odin_i64(c, u->sp), "");
    LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, u->sp), 1, "k");
    LLVMValueRef at = LLVMBuildNSWAdd(c->b, base, k, "");
    odin_store(c, odin_fmuladd(c, odin_load(c, c->t_f32, c->in[0], at), a, b), c->out[0], at);
    odin_loop_end(c, &lk);
    odin_loop_end(c, &lp);
    return ODIN_OK;
}

static odin_status l_bn(odin_lower_ctx *c) {
    bn_user u;
    if (odin_bn_training_accepts(c->g, c->node)) return odin_lower_bn_training(c);
    if (!bn_plan(c->g, c->node, &u)) return odin_errorf("unsupported parameter layout");
    ODIN_TRY(bn_fold(c, &u));
    int64_t blocks = u.n * u.ch, bytes = blocks * u.sp * 4;
    if (blocks == 0 || u.sp == 0) return ODIN_OK;
    if (blocks >= 2 && bytes >= ODIN_PARALLEL_MIN_BYTES) {
        int64_t per = u.sp * 4, grain = (64 * 1024 + per - 1) / per;
        return odin_parallel_range(c, blocks, grain < 1 ? 1 : grain, bn_body, &u);
    }
    return bn_body(c, odin_i64(c, 0), odin_i64(c, blocks), &u);
}

/* ---- InstanceNormalization / GroupNormalization ---- */

typedef struct group_user {
    int64_t n, ch, groups, cpg, sp;
    bool per_group; /* scale/bias have one value per group (GroupNormalization-18) */
    double eps;
} group_user;

static bool group_plan(const odin_graph *g, int node, group_user *u) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = tensor_in(g, node, 0), *s = tensor_in(g, node, 1), *b = tensor_in(g, node, 2);
    memset(u, 0, sizeof *u);
    if (!x || !s || !b || x->rank < 2 || !all_f32(g, node, 0, 3) || !extra_outputs_ok(g, node, false))
        return false;
    u->n = x->dims[0];
    u->ch = x->dims[1];
    u->sp = odin_dims_product(x->dims, 2, x->rank);
    u->eps = odin_attr_f(n, "epsilon");
    u->groups = !strcmp(n->op, "GroupNormalization") ? odin_attr_i(n, "num_groups") : u->ch;
    if (u->groups <= 0 || u->ch % u->groups) return false;
    u->cpg = u->ch / u->groups;
    if (s->rank != 1 || b->rank != 1 || s->dims[0] != b->dims[0]) return false;
    if (s->dims[0] == u->ch) return true;
    u->per_group = true;
    return s->dims[0] == u->groups;
}

static bool accept_group(const odin_graph *g, int node) {
    group_user u;
    return group_plan(g, node, &u);
}

static odin_status group_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    group_user *u = user;
    odin_loop lb, lc, lk;
    LLVMValueRef blk = odin_loop_begin(c, &lb, lo, hi, 1, "blk");
    LLVMValueRef base = LLVMBuildNSWMul(c->b, blk, odin_i64(c, u->cpg * u->sp), "");
    LLVMValueRef mean, inv;
    row_stats(c, base, u->cpg * u->sp, u->eps, false, &mean, &inv);
    LLVMValueRef grp = LLVMBuildURem(c->b, blk, odin_i64(c, u->groups), "");
    LLVMValueRef j = odin_loop_begin(c, &lc, odin_i64(c, 0), odin_i64(c, u->cpg), 1, "c");
    LLVMValueRef pi = u->per_group ? grp : LLVMBuildNSWAdd(c->b, LLVMBuildNSWMul(c->b, grp, odin_i64(c, u->cpg), ""), j, "");
    LLVMValueRef a = LLVMBuildFMul(c->b, inv, odin_load(c, c->t_f32, c->in[1], pi), "");
    LLVMValueRef bias = odin_load(c, c->t_f32, c->in[2], pi);
    LLVMValueRef cb = LLVMBuildNSWAdd(c->b, base, LLVMBuildNSWMul(c->b, j, odin_i64(c, u->sp), ""), "");
    LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, u->sp), 1, "k");
    LLVMValueRef at = LLVMBuildNSWAdd(c->b, cb, k, "");
    LLVMValueRef d = LLVMBuildFSub(c->b, odin_load(c, c->t_f32, c->in[0], at), mean, "");
    odin_store(c, odin_fmuladd(c, d, a, bias), c->out[0], at);
    odin_loop_end(c, &lk);
    odin_loop_end(c, &lc);
    odin_loop_end(c, &lb);
    return ODIN_OK;
}

static odin_status l_group(odin_lower_ctx *c) {
    group_user u;
    if (!group_plan(c->g, c->node, &u)) return odin_errorf("unsupported parameter layout");
    int64_t blocks = u.n * u.groups, per = u.cpg * u.sp * 4;
    if (blocks == 0 || per == 0) return ODIN_OK;
    if (blocks >= 2 && blocks * per >= ODIN_PARALLEL_MIN_BYTES) {
        int64_t grain = (32 * 1024 + per - 1) / per;
        return odin_parallel_range(c, blocks, grain < 1 ? 1 : grain, group_body, &u);
    }
    return group_body(c, odin_i64(c, 0), odin_i64(c, blocks), &u);
}

const odin_lowering odin_lowerings_norm[] = {
    {"LayerNormalization", l_rows, NULL, false, accept_rows},
    {"RMSNormalization", l_rows, NULL, false, accept_rows},
    {"BatchNormalization", l_bn, NULL, false, accept_bn},
    {"InstanceNormalization", l_group, NULL, false, accept_group},
    {"GroupNormalization", l_group, NULL, false, accept_group},
    {NULL, NULL, NULL, false, NULL},
};
