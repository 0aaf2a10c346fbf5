/* passes/simplify.c — algebraic simplification. Removes nodes whose output equals an input:
 * Identity, inference-mode Dropout, x*1, 1*x, x+0, 0+x, x-0, x/1, shape ops that keep
 * the shape (Reshape, Flatten, Squeeze, Unsqueeze, Expand), Transpose with the identity
 * permutation, Cast to the same dtype. Composes Transpose(Transpose(x)) into one
 * Transpose, and Reshape(<shape op>(x)) into one Reshape of x. Each rewrite checks that
 * dtypes and (static) shapes agree, so a broadcasting x+0 is kept.
 * Floating point: x+0 -> x changes -0 to +0 only, as -fno-signed-zeros does. */
#include <stdlib.h>
#include <string.h>

#include "../ir/edit.h"
#include "pass.h"

static bool is_op(const odin_node *n, const char *op) {
    return strcmp(n->op, op) == 0 && (!*n->domain || strcmp(n->domain, "ai.onnx") == 0);
}

static int in0(const odin_node *n) { return n->n_inputs > 0 ? n->inputs[0] : -1; }
static int out0(const odin_node *n) { return n->n_outputs > 0 ? n->outputs[0] : -1; }

/* Every element of constant t equals v (and t has at least one element). */
static bool const_all(const odin_graph *g, int t, double v) {
    if (!odin_pass_is_const(g, t)) return false;
    const odin_tensor *tt = &g->tensors[t];
    if (!odin_dtype_is_float(tt->dtype) && !odin_dtype_is_int(tt->dtype)) return false;
    int64_t n = odin_tensor_numel(tt);
    if (n <= 0) return false;
    for (int64_t i = 0; i < n; i++)
        if (odin_load_as_f64(tt->data, tt->dtype, (size_t)i) != v) return false;
    return true;
}

/* The node's output 0 is input x: removes the node when its readers can read x. */
static bool eliminate(odin_graph *g, int ni, int x, bool *dead) {
    int y = out0(&g->nodes[ni]);
    if (y < 0 || x < 0 || !odin_pass_can_forward(g, y, x)) return false;
    odin_pass_forward(g, y, x);
    odin_pass_kill_node(g, ni, dead);
    return true;
}

static bool only_output_used(const odin_graph *g, const odin_node *n, const int *uses) {
    for (int i = 1; i < n->n_outputs; i++) {
        int t = n->outputs[i];
        if (t >= 0 && (uses[t] > 0 || (g->tensors[t].flags & ODIN_TENSOR_OUTPUT))) return false;
    }
    return true;
}

/* Dropout is the identity unless training_mode (opset 12+) is set with a ratio > 0; a
 * training_mode that is not a constant could be either. */
static bool dropout_is_identity(const odin_graph *g, const odin_node *n) {
    if (g->opset < 12 || n->n_inputs < 3 || n->inputs[2] < 0) return true;
    int tm = n->inputs[2];
    if (!odin_pass_is_const(g, tm)) return false;
    if (const_all(g, tm, 0)) return true;
    if (g->tensors[tm].dtype == ODIN_BOOL && odin_tensor_numel(&g->tensors[tm]) > 0 &&
        ((const uint8_t *)g->tensors[tm].data)[0] == 0)
        return true;
    return n->inputs[1] >= 0 && const_all(g, n->inputs[1], 0);
}

/* x op c == x: for commutative ops c may come first. Returns x or -1. */
static int neutral_operand(const odin_graph *g, const odin_node *n) {
    if (n->n_inputs != 2 || n->inputs[0] < 0 || n->inputs[1] < 0) return -1;
    int a = n->inputs[0], b = n->inputs[1], y = out0(n);
    bool mul = is_op(n, "Mul"), add = is_op(n, "Add");
    if (!mul && !add && !is_op(n, "Sub") && !is_op(n, "Div")) return -1;
    double neutral = mul || is_op(n, "Div") ? 1.0 : 0.0;
    if (const_all(g, b, neutral) && odin_pass_same_static_type(g, y, a)) return a;
    if ((mul || add) && const_all(g, a, neutral) && odin_pass_same_static_type(g, y, b)) return b;
    return -1;
}

/* The permutation a Transpose applies to a rank-`rank` input (default: reversed). */
static bool transpose_perm(const odin_node *n, int rank, int64_t *perm) {
    const int64_t *p;
    int cnt = odin_attr_ints(n, "perm", &p);
    if (!p) {
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return true;
    }
    if (cnt != rank) return false;
    for (int i = 0; i < rank; i++) {
        if (p[i] < 0 || p[i] >= rank) return false;
        perm[i] = p[i];
    }
    return true;
}

static bool is_identity_perm(const int64_t *perm, int rank) {
    for (int i = 0; i < rank; i++)
        if (perm[i] != i) return false;
    return true;
}

/* Sets the node's perm attribute (replacing or adding it). */
static odin_status set_perm(odin_graph *g, odin_node *n, const int64_t *perm, int rank) {
    int na = n->n_attrs, at = -1;
    for (int i = 0; i < na; i++)
        if (strcmp(n->attrs[i].name, "perm") == 0) at = i;
    odin_attr *attrs = odin_arena_alloc(&g->arena, sizeof *attrs * (size_t)(na + 1), 8);
    if (!attrs) return odin_errorf("out of memory");
    if (na) memcpy(attrs, n->attrs, sizeof *attrs * (size_t)na); /* payloads stay in the arena */
    if (at < 0) at = na++;
    ODIN_TRY(odin_attr_copy(g, &attrs[at], &ODIN_ATTR_INTS("perm", perm, rank)));
    n->attrs = attrs;
    n->n_attrs = na;
    return ODIN_OK;
}

/* Transpose(Transpose(x, p1), p2) = Transpose(x, q) with q[i] = p1[p2[i]]. */
static odin_status compose_transposes(odin_graph *g, int ni, bool *done) {
    *done = false;
    odin_node *n = &g->nodes[ni];
    int mid = in0(n);
    if (mid < 0 || g->tensors[mid].producer < 0) return ODIN_OK;
    const odin_node *inner = &g->nodes[g->tensors[mid].producer];
    if (!is_op(inner, "Transpose") || in0(inner) < 0) return ODIN_OK;
    int x = in0(inner), rank = g->tensors[x].rank;
    if (rank < 0 || g->tensors[mid].rank != rank) return ODIN_OK;
    int64_t p1[ODIN_MAX_RANK], p2[ODIN_MAX_RANK], q[ODIN_MAX_RANK];
    if (!transpose_perm(inner, rank, p1) || !transpose_perm(n, rank, p2)) return ODIN_OK;
    for (int i = 0; i < rank; i++) q[i] = p1[p2[i]];
    ODIN_TRY(set_perm(g, n, q, rank));
    n->inputs[0] = x;
    *done = true;
    return ODIN_OK;
}

static bool is_reshape_like(const odin_node *n) {
    return is_op(n, "Reshape") || is_op(n, "Flatten") || is_op(n, "Squeeze") ||
           is_op(n, "Unsqueeze");
}

/* Reshape(<shape op>(x), s) = Reshape(x, static output dims): every one of these ops keeps
 * the C-order element sequence, so only the final shape matters. */
static odin_status fuse_reshapes(odin_graph *g, int ni, bool *done) {
    *done = false;
    const odin_node *n = &g->nodes[ni];
    int mid = in0(n), y = out0(n);
    if (mid < 0 || y < 0 || n->n_inputs != 2 || g->tensors[mid].producer < 0) return ODIN_OK;
    const odin_node *inner = &g->nodes[g->tensors[mid].producer];
    if (!is_reshape_like(inner) || in0(inner) < 0) return ODIN_OK;
    const odin_tensor *ty = &g->tensors[y];
    if (ty->rank < 0 || odin_tensor_numel(ty) < 0) return ODIN_OK;
    int64_t dims[ODIN_MAX_RANK];
    for (int i = 0; i < ty->rank; i++) {
        /* with allowzero=0 a 0 in the shape input copies the input's dim, not 0 */
        if (ty->dims[i] == 0 && !odin_attr_i(n, "allowzero")) return ODIN_OK;
        dims[i] = ty->dims[i];
    }
    int x = in0(inner);
    int64_t len = ty->rank;
    char base[300];
    snprintf(base, sizeof base, "%.280s_shape", ty->name);
    const char *name = odin_graph_unique_name(g, base);
    if (!name) return odin_errorf("out of memory");
    int s;
    ODIN_TRY(odin_graph_add_tensor(g, name, ODIN_I64, 1, &len, &s));
    ODIN_TRY(odin_tensor_set_data(g, s, dims, sizeof dims[0] * (size_t)len));
    odin_node *nn = &g->nodes[ni];
    nn->inputs[0] = x;
    nn->inputs[1] = s;
    *done = true;
    return ODIN_OK;
}

/* One node; *hit when it was rewritten or removed. */
static odin_status simplify_node(odin_graph *g, int ni, const int *uses, bool *dead, bool *hit) {
    const odin_node *n = &g->nodes[ni];
    int x = in0(n), y = out0(n);
    *hit = false;
    if (y < 0 || x < 0) return ODIN_OK;
    const odin_tensor *tx = &g->tensors[x], *ty = &g->tensors[y];
    bool same_dtype = tx->dtype == ty->dtype && tx->dtype != ODIN_UNDEFINED;

    if (is_op(n, "Identity") && same_dtype) {
        *hit = eliminate(g, ni, x, dead);
    } else if (is_op(n, "Dropout") && same_dtype && only_output_used(g, n, uses) &&
               dropout_is_identity(g, n)) {
        *hit = eliminate(g, ni, x, dead);
    } else if (neutral_operand(g, n) >= 0) {
        *hit = eliminate(g, ni, neutral_operand(g, n), dead);
    } else if ((is_op(n, "Cast") || is_op(n, "CastLike")) && same_dtype) {
        *hit = eliminate(g, ni, x, dead);
    } else if ((is_reshape_like(n) || is_op(n, "Expand")) && odin_pass_same_static_type(g, y, x)) {
        *hit = eliminate(g, ni, x, dead);
    } else if (is_op(n, "Transpose") && tx->rank >= 0) {
        ODIN_TRY(compose_transposes(g, ni, hit));
        n = &g->nodes[ni];
        x = in0(n);
        int64_t perm[ODIN_MAX_RANK];
        int rank = g->tensors[x].rank;
        if (transpose_perm(n, rank, perm) && is_identity_perm(perm, rank) &&
            g->tensors[x].dtype == g->tensors[y].dtype && eliminate(g, ni, x, dead))
            *hit = true;
    } else if (is_op(n, "Reshape")) {
        ODIN_TRY(fuse_reshapes(g, ni, hit));
        x = in0(&g->nodes[ni]);
        if (*hit && odin_pass_same_static_type(g, y, x)) eliminate(g, ni, x, dead);
    }
    return ODIN_OK;
}

odin_status odin_pass_simplify(odin_graph *g, bool *changed) {
    *changed = false;
    bool *dead = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *dead);
    int *uses = malloc(sizeof *uses * (size_t)(g->n_tensors ? g->n_tensors : 1));
    odin_status st = dead && uses ? ODIN_OK : odin_errorf("out of memory");
    if (!st) odin_graph_count_uses(g, uses);
    int n_dead = 0;
    for (int ni = 0; ni < g->n_nodes && !st; ni++) {
        if (dead[ni] || !g->nodes[ni].def) continue;
        bool hit = false;
        st = simplify_node(g, ni, uses, dead, &hit);
        if (st) st = odin_status_prefix(st, "node '%s' (%s)", g->nodes[ni].name, g->nodes[ni].op);
        if (hit) *changed = true;
        if (dead[ni]) n_dead++;
    }
    if (!st && n_dead) st = odin_graph_remove_nodes(g, dead);
    free(dead);
    free(uses);
    return st;
}
