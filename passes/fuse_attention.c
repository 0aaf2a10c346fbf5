/* passes/fuse_attention.c — scaled-dot-product attention into one ai.odin Attention node
 * (ops/lm.c), whose kernel never materializes the [Tq,Tk] score matrix. Recognized, from the
 * last MatMul back: MatMul(Softmax(last axis)(S), V), where S is QK = MatMul(Q, Kt) (Kt any
 * [...,D,Tk] tensor: a Transpose of K or pre-transposed) scaled by a constant scalar Mul or
 * Div on the scores or on Q, plus an optional mask: an Add of an f32 tensor broadcastable
 * to the scores, or a Where(bool, S, fill) / Where(bool, fill, S) with a scalar fill of
 * -inf or <= -1e30 (then an additive mask where(cond, 0, fill) stands in). A constant mask
 * that is exactly causal (0 where key j <= i + Tk - Tq, <= -1e9 elsewhere) becomes the
 * attribute causal=1 and is not read at all. Every intermediate must have the chain as
 * its only reader; anything else is left alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ir/edit.h"
#include "../ops/op.h"
#include "pass.h"

static bool is_op(const odin_node *n, const char *op, int n_in) {
    return !n->domain[0] && !strcmp(n->op, op) && n->n_inputs == n_in && n->n_outputs == 1 &&
           n->outputs[0] >= 0;
}

/* The producer of t when t's only reader is `reader`, else NULL. */
static const odin_node *sole_producer(const odin_graph *g, int t, int reader, int *idx) {
    if (t < 0) return NULL;
    int p = g->tensors[t].producer;
    if (p < 0 || odin_pass_only_reader(g, t) != reader) return NULL;
    *idx = p;
    return &g->nodes[p];
}

static bool static_f32(const odin_tensor *t) {
    if (t->dtype != ODIN_F32 || t->rank < 0) return false;
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d] < 0) return false;
    return true;
}

/* A constant f32 tensor with one element. */
static bool const_scalar(const odin_graph *g, int t, float *v) {
    if (t < 0 || !odin_pass_is_const(g, t)) return false;
    const odin_tensor *x = &g->tensors[t];
    if (x->dtype != ODIN_F32 || !x->data || odin_tensor_numel(x) != 1) return false;
    *v = *(const float *)x->data;
    return true;
}

/* Mul(x, c) / Mul(c, x) / Div(x, c) with c a constant scalar: sets *x and multiplies
 * *scale by c (or 1/c). */
static bool scaled_by_const(const odin_graph *g, const odin_node *n, int *x, double *scale) {
    float c;
    if (is_op(n, "Mul", 2)) {
        for (int s = 0; s < 2; s++)
            if (const_scalar(g, n->inputs[s], &c) && n->inputs[1 - s] >= 0) {
                *x = n->inputs[1 - s];
                *scale *= c;
                return true;
            }
        return false;
    }
    if (is_op(n, "Div", 2) && const_scalar(g, n->inputs[1], &c) && c != 0 && n->inputs[0] >= 0) {
        *x = n->inputs[0];
        *scale /= c;
        return true;
    }
    return false;
}

typedef struct match {
    int final_mm, softmax, mask_node, scale_node, qk, q_scale; /* nodes (-1: none) */
    int q, kt, v, mask;     /* tensors (mask -1: none) */
    int where_cond;         /* Where's condition tensor, or -1 */
    float where_fill;       /* the fill value of a Where mask */
    bool where_keep_true;   /* Where(cond, S, fill): cond true keeps the score */
    double scale;
} match;

static bool same_dims(const odin_tensor *a, const odin_tensor *b) {
    if (a->rank != b->rank) return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d]) return false;
    return true;
}

/* s: the scores before the mask: an optional constant scale over MatMul(Q, Kt). */
static bool match_scores(const odin_graph *g, int s, int reader, match *m) {
    int pi;
    const odin_node *n = sole_producer(g, s, reader, &pi);
    if (!n) return false;
    int x;
    if (scaled_by_const(g, n, &x, &m->scale)) {
        m->scale_node = pi;
        n = sole_producer(g, x, pi, &pi);
        if (!n) return false;
    }
    if (!is_op(n, "MatMul", 2)) return false;
    m->qk = pi;
    m->q = n->inputs[0];
    m->kt = n->inputs[1];
    /* a scale on Q (torch divides q by sqrt(D) before the product) */
    int qi;
    const odin_node *qn = sole_producer(g, m->q, pi, &qi);
    if (qn && scaled_by_const(g, qn, &x, &m->scale)) {
        m->q_scale = qi;
        m->q = x;
    }
    return m->q >= 0 && m->kt >= 0;
}

/* Ranks equal (>= 2), leading dims identical, Q [..,Tq,D], Kt [..,D,Tk], V [..,Tk,Dv], the
 * QK product's shape [..,Tq,Tk], and a mask that broadcasts to it. */
static bool shapes_ok(const odin_graph *g, const match *m) {
    const odin_tensor *q = &g->tensors[m->q], *kt = &g->tensors[m->kt], *v = &g->tensors[m->v];
    const odin_tensor *s = &g->tensors[g->nodes[m->qk].outputs[0]];
    const odin_tensor *p = &g->tensors[g->nodes[m->softmax].outputs[0]];
    if (!static_f32(q) || !static_f32(kt) || !static_f32(v) || !static_f32(s) || !static_f32(p))
        return false;
    int r = q->rank;
    if (r < 2 || kt->rank != r || v->rank != r || !same_dims(s, p)) return false;
    for (int d = 0; d < r - 2; d++)
        if (kt->dims[d] != q->dims[d] || v->dims[d] != q->dims[d] || s->dims[d] != q->dims[d])
            return false;
    if (kt->dims[r - 2] != q->dims[r - 1] || v->dims[r - 2] != kt->dims[r - 1] ||
        s->dims[r - 2] != q->dims[r - 2] || s->dims[r - 1] != kt->dims[r - 1])
        return false;
    int mt = m->where_cond >= 0 ? m->where_cond : m->mask;
    if (mt >= 0) {
        const odin_tensor *mk = &g->tensors[mt];
        if (mk->rank < 0 || mk->rank > r) return false;
        if (m->where_cond < 0 && mk->dtype != ODIN_F32) return false;
        if (m->where_cond >= 0 && mk->dtype != ODIN_BOOL) return false;
        for (int d = r - 1, md = mk->rank - 1; md >= 0; d--, md--)
            if (mk->dims[md] != 1 && mk->dims[md] != s->dims[d]) return false;
    }
    return true;
}

/* From the final MatMul mi back to Q, Kt, V; fills m. */
static bool match_at(const odin_graph *g, int mi, match *m) {
    memset(m, 0, sizeof *m);
    m->final_mm = mi;
    m->mask_node = m->scale_node = m->qk = m->q_scale = m->mask = m->where_cond = -1;
    m->scale = 1.0;
    const odin_node *mm = &g->nodes[mi];
    if (!is_op(mm, "MatMul", 2) || mm->inputs[0] < 0 || mm->inputs[1] < 0) return false;
    m->v = mm->inputs[1];
    int si;
    const odin_node *sm = sole_producer(g, mm->inputs[0], mi, &si);
    if (!sm || !is_op(sm, "Softmax", 1) || sm->inputs[0] < 0) return false;
    m->softmax = si;
    const odin_tensor *st = &g->tensors[sm->inputs[0]];
    int64_t axis = odin_node_has_attr(sm, "axis") ? odin_attr_i(sm, "axis") : g->opset >= 13 ? -1 : 1;
    if (st->rank < 2 || (axis != -1 && axis != st->rank - 1)) return false;
    int ai;
    const odin_node *an = sole_producer(g, sm->inputs[0], si, &ai);
    if (!an) return false;
    if (is_op(an, "Add", 2)) {
        for (int s = 0; s < 2; s++) {
            match t = *m;
            if (an->inputs[1 - s] < 0 || !match_scores(g, an->inputs[s], ai, &t)) continue;
            *m = t;
            m->mask_node = ai;
            m->mask = an->inputs[1 - s];
            break;
        }
        if (m->mask_node < 0) return false;
    } else if (is_op(an, "Where", 3)) {
        float fill;
        for (int s = 1; s <= 2; s++) {
            match t = *m;
            if (!const_scalar(g, an->inputs[3 - s], &fill) || !(fill <= -1e30f) || an->inputs[0] < 0 ||
                !match_scores(g, an->inputs[s], ai, &t))
                continue;
            *m = t;
            m->mask_node = ai;
            m->where_cond = an->inputs[0];
            m->where_fill = fill;
            m->where_keep_true = s == 1;
            break;
        }
        if (m->mask_node < 0) return false;
    } else if (!match_scores(g, sm->inputs[0], si, m)) {
        return false;
    }
    if (!(fabs(m->scale) > 0) || !isfinite(m->scale)) return false;
    return shapes_ok(g, m);
}

/* The constant additive mask (mask tensor or Where condition) expanded to [N?,Tq,Tk]
 * positions is exactly causal: 0 where j <= i + Tk - Tq and <= -1e9 elsewhere. */
static bool mask_is_causal(const odin_graph *g, const match *m) {
    int mt = m->where_cond >= 0 ? m->where_cond : m->mask;
    if (!odin_pass_is_const(g, mt) || !g->tensors[mt].data) return false;
    const odin_tensor *mk = &g->tensors[mt], *s = &g->tensors[g->nodes[m->qk].outputs[0]];
    int r = s->rank;
    int64_t Tq = s->dims[r - 2], Tk = s->dims[r - 1];
    if (Tq > Tk) return false; /* some query would see no key at all */
    int64_t mTq = mk->rank >= 2 ? mk->dims[mk->rank - 2] : 1, mTk = mk->rank >= 1 ? mk->dims[mk->rank - 1] : 1;
    if (mTq != Tq || mTk != Tk) return false; /* a broadcast row or column cannot be causal */
    int64_t planes = odin_tensor_numel(mk) / (Tq * Tk ? Tq * Tk : 1);
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t i = 0; i < Tq; i++)
            for (int64_t j = 0; j < Tk; j++) {
                int64_t at = (pl * Tq + i) * Tk + j;
                float v;
                if (m->where_cond >= 0) {
                    bool c = ((const uint8_t *)mk->data)[at] != 0;
                    v = c == m->where_keep_true ? 0.0f : m->where_fill;
                } else {
                    v = ((const float *)mk->data)[at];
                }
                bool visible = j <= i + Tk - Tq;
                if (visible ? v != 0.0f : !(v <= -1e9f)) return false;
            }
    return true;
}

static odin_status add_scalar_const(odin_graph *g, const char *base, float v, int *out) {
    const char *name = odin_graph_unique_name(g, base);
    if (!name) return odin_errorf("out of memory");
    ODIN_TRY(odin_graph_add_tensor(g, name, ODIN_F32, 0, NULL, out));
    return odin_tensor_set_data(g, *out, &v, sizeof v);
}

/* A Where mask that is not causal: the Where node itself is rewritten into
 * Where(cond, 0, fill) (or (cond, fill, 0)), an additive mask of cond's shape. */
static odin_status where_to_additive(odin_graph *g, match *m) {
    char base[256];
    snprintf(base, sizeof base, "%s.mask", g->nodes[m->mask_node].name ? g->nodes[m->mask_node].name : "attention");
    int zero, fill;
    ODIN_TRY(add_scalar_const(g, base, 0.0f, &zero));
    ODIN_TRY(add_scalar_const(g, base, m->where_fill, &fill));
    odin_node *w = &g->nodes[m->mask_node];
    int *ins = odin_arena_alloc(&g->arena, sizeof(int) * 3, 8);
    if (!ins) return odin_errorf("out of memory");
    ins[0] = m->where_cond;
    ins[1] = m->where_keep_true ? zero : fill;
    ins[2] = m->where_keep_true ? fill : zero;
    w->inputs = ins;
    odin_tensor *out = &g->tensors[w->outputs[0]];
    const odin_tensor *cond = &g->tensors[m->where_cond];
    out->rank = cond->rank;
    memcpy(out->dims, cond->dims, sizeof(int64_t) * (size_t)cond->rank);
    for (int d = 0; d < cond->rank; d++) out->dim_params[d] = NULL;
    m->mask = w->outputs[0];
    m->mask_node = -1; /* kept */
    return ODIN_OK;
}

static odin_status rewrite(odin_graph *g, match *m, bool *dead) {
    bool causal = m->mask >= 0 || m->where_cond >= 0 ? mask_is_causal(g, m) : false;
    if (causal) m->mask = -1;
    else if (m->where_cond >= 0) ODIN_TRY(where_to_additive(g, m));
    int n_in = m->mask >= 0 ? 4 : 3;
    int *ins = odin_arena_alloc(&g->arena, sizeof(int) * 4, 8);
    odin_attr *attrs = odin_arena_alloc(&g->arena, sizeof(odin_attr) * 3, 8);
    if (!ins || !attrs) return odin_errorf("out of memory");
    ins[0] = m->q, ins[1] = m->kt, ins[2] = m->v, ins[3] = m->mask;
    odin_attr a[3] = {ODIN_ATTR_F("scale", (float)m->scale), ODIN_ATTR_I("causal", causal),
                      ODIN_ATTR_I("k_transposed", 1)};
    for (int i = 0; i < 3; i++) ODIN_TRY(odin_attr_copy(g, &attrs[i], &a[i]));
    int kill[5] = {m->softmax, m->mask_node, m->scale_node, m->qk, m->q_scale};
    for (int i = 0; i < 5; i++)
        if (kill[i] >= 0) odin_pass_kill_node(g, kill[i], dead);
    odin_node *n = &g->nodes[m->final_mm];
    n->op = "Attention";
    n->domain = "ai.odin";
    n->inputs = ins;
    n->n_inputs = n_in;
    n->attrs = attrs;
    n->n_attrs = 3;
    n->def = odin_op_find(n->op, n->domain, g->opset);
    if (!n->def) return odin_errorf("node '%s': ai.odin Attention is not registered", n->name);
    return ODIN_OK;
}

odin_status odin_pass_fuse_attention(odin_graph *g, bool *changed) {
    *changed = false;
    if (!odin_op_find("Attention", "ai.odin", g->opset)) return ODIN_OK;
    bool *dead = calloc((size_t)g->n_nodes + 1, sizeof *dead);
    if (!dead) return odin_errorf("out of memory");
    odin_status st = ODIN_OK;
    bool any = false;
    for (int i = 0; !st && i < g->n_nodes; i++) {
        match m;
        if (dead[i] || !match_at(g, i, &m)) continue;
        st = rewrite(g, &m, dead);
        any = true;
    }
    if (!st && any) st = odin_graph_remove_nodes(g, dead);
    free(dead);
    if (!st) *changed = any;
    return st;
}
