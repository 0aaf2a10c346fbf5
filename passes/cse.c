/* passes/cse.c — common subexpression elimination. Constants with identical content
 * (dtype, shape, bytes) are merged first, then nodes: two nodes with the same op, domain,
 * attributes and input tensors compute the same outputs, so the later one's readers are
 * pointed at the earlier one's outputs. Candidates are found by XXH3 structural hashes
 * (ir/hash.h) and confirmed by exact comparison, so a hash collision never merges. */
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "../ir/edit.h"
#include "../ir/hash.h"
#include "pass.h"

/* ---- constants ---- */

typedef struct keyed {
    uint64_t hash;
    int index;
} keyed;

static int by_hash(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static bool same_constant(const odin_tensor *a, const odin_tensor *b) {
    if (a->dtype != b->dtype || a->rank != b->rank || a->nbytes != b->nbytes) return false;
    if (memcmp(a->dims, b->dims, sizeof a->dims[0] * (size_t)(a->rank > 0 ? a->rank : 0)))
        return false;
    return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
}

static odin_status merge_constants(odin_graph *g, int *merged) {
    keyed *ks = malloc(sizeof *ks * (size_t)(g->n_tensors ? g->n_tensors : 1));
    if (!ks) return odin_errorf("out of memory");
    int n = 0;
    for (int t = 0; t < g->n_tensors; t++) {
        /* strings are pointers: equal bytes would not mean equal content */
        if (!odin_pass_is_const(g, t) || g->tensors[t].dtype == ODIN_STRING) continue;
        odin_value v = odin_tensor_value(g, t);
        ks[n++] = (keyed){odin_value_hash(&v), t};
    }
    qsort(ks, (size_t)n, sizeof *ks, by_hash);
    odin_status st = ODIN_OK;
    /* Within a run of equal hashes each tensor goes to the first equal one that was not
     * itself merged away (a negative index marks those), so equal constants end up as one. */
    for (int start = 0; start < n && !st; start++) {
        int end = start;
        while (end + 1 < n && ks[end + 1].hash == ks[start].hash) end++;
        for (int i = start + 1; i <= end && !st; i++)
            for (int j = start; j < i; j++) {
                if (ks[j].index < 0) continue;
                const odin_tensor *a = &g->tensors[ks[j].index], *b = &g->tensors[ks[i].index];
                if (!same_constant(a, b)) continue;
                int changed = 0;
                st = odin_graph_replace_node_uses(g, ks[i].index, ks[j].index, &changed);
                if (changed) (*merged)++;
                ks[i].index = -1 - ks[i].index; /* merged: not a representative */
                break;
            }
        start = end;
    }
    free(ks);
    return st;
}

/* ---- nodes ---- */

static bool same_attr(const odin_attr *a, const odin_attr *b) {
    if (a->kind != b->kind) return false;
    size_t cnt = a->count > 0 ? (size_t)a->count : 0;
    switch (a->kind) {
    case ODIN_ATTR_INT: return a->i == b->i;
    case ODIN_ATTR_FLOAT: return memcmp(&a->f, &b->f, sizeof a->f) == 0;
    case ODIN_ATTR_STRING: {
        size_t la = a->s ? (a->s_len ? a->s_len : strlen(a->s)) : 0;
        size_t lb = b->s ? (b->s_len ? b->s_len : strlen(b->s)) : 0;
        return la == lb && (la == 0 || memcmp(a->s, b->s, la) == 0);
    }
    case ODIN_ATTR_INTS:
        return a->count == b->count && (!cnt || !memcmp(a->ints, b->ints, cnt * sizeof *a->ints));
    case ODIN_ATTR_FLOATS:
        return a->count == b->count &&
               (!cnt || !memcmp(a->floats, b->floats, cnt * sizeof *a->floats));
    case ODIN_ATTR_STRINGS:
        if (a->count != b->count) return false;
        for (size_t i = 0; i < cnt; i++)
            if (strcmp(a->strings[i] ? a->strings[i] : "", b->strings[i] ? b->strings[i] : ""))
                return false;
        return true;
    case ODIN_ATTR_TENSOR: {
        const odin_value *x = &a->t, *y = &b->t;
        if (x->dtype != y->dtype || x->rank != y->rank || x->dtype == ODIN_STRING) return false;
        for (int i = 0; i < x->rank; i++)
            if (x->dims[i] != y->dims[i]) return false;
        size_t nb = odin_value_nbytes(x);
        return nb == 0 || (x->data && y->data && memcmp(x->data, y->data, nb) == 0);
    }
    default: return false;
    }
}

static const char *domain_of(const odin_node *n) {
    return strcmp(n->domain, "ai.onnx") == 0 ? "" : n->domain;
}

static bool same_node(const odin_graph *g, const odin_node *a, const odin_node *b) {
    if (strcmp(a->op, b->op) || strcmp(domain_of(a), domain_of(b))) return false;
    if (a->n_inputs != b->n_inputs || a->n_outputs != b->n_outputs || a->n_attrs != b->n_attrs)
        return false;
    for (int i = 0; i < a->n_inputs; i++)
        if (a->inputs[i] != b->inputs[i]) return false;
    for (int i = 0; i < a->n_outputs; i++) {
        if ((a->outputs[i] >= 0) != (b->outputs[i] >= 0)) return false;
        if (a->outputs[i] >= 0 &&
            g->tensors[a->outputs[i]].dtype != g->tensors[b->outputs[i]].dtype)
            return false;
    }
    for (int i = 0; i < a->n_attrs; i++) {
        const odin_attr *other = odin_node_attr(b, a->attrs[i].name);
        if (!other || !same_attr(&a->attrs[i], other)) return false;
    }
    return true;
}

/* Whether every output of dup can be forwarded to keep's. */
static bool can_merge(const odin_graph *g, const odin_node *keep, const odin_node *dup) {
    for (int i = 0; i < dup->n_outputs; i++)
        if (dup->outputs[i] >= 0 && !odin_pass_can_forward(g, dup->outputs[i], keep->outputs[i]))
            return false;
    return true;
}

typedef struct seen_node {
    uint64_t hash;
    int first;     /* first node with this hash */
    UT_hash_handle hh;
} seen_node;

static odin_status merge_nodes(odin_graph *g, bool *dead, int *merged) {
    uint64_t *th = malloc(sizeof *th * (size_t)(g->n_tensors ? g->n_tensors : 1));
    int *next = malloc(sizeof *next * (size_t)(g->n_nodes ? g->n_nodes : 1));
    seen_node *table = NULL, *e, *tmp;
    odin_status st = th && next ? ODIN_OK : odin_errorf("out of memory");
    if (!st) st = odin_graph_tensor_hashes(g, th);
    /* The hashes are structural: merging a node into an equal one changes no tensor's hash,
     * so one sweep in order sees every later duplicate already rewired. */
    for (int ni = 0; ni < g->n_nodes && !st; ni++) {
        next[ni] = -1;
        const odin_node *n = &g->nodes[ni];
        if (!n->def || odin_pass_op_is_random(n) || n->n_outputs == 0) continue;
        uint64_t h = odin_node_hash(g, ni, th);
        HASH_FIND(hh, table, &h, sizeof h, e);
        if (!e) {
            e = calloc(1, sizeof *e);
            if (!e) {
                st = odin_errorf("out of memory");
                break;
            }
            e->hash = h;
            e->first = ni;
            HASH_ADD(hh, table, hash, sizeof e->hash, e);
            continue;
        }
        int k = e->first, last = -1;
        for (; k >= 0; last = k, k = next[k])
            if (!dead[k] && same_node(g, &g->nodes[k], n) && can_merge(g, &g->nodes[k], n)) break;
        if (k < 0) { /* a new variant under this hash: chain it */
            next[last] = ni;
            continue;
        }
        const odin_node *keep = &g->nodes[k];
        for (int i = 0; i < n->n_outputs; i++)
            if (n->outputs[i] >= 0) odin_pass_forward(g, n->outputs[i], keep->outputs[i]);
        odin_pass_kill_node(g, ni, dead);
        (*merged)++;
    }
    HASH_ITER(hh, table, e, tmp) {
        HASH_DEL(table, e);
        free(e);
    }
    free(th);
    free(next);
    return st;
}

odin_status odin_pass_cse(odin_graph *g, bool *changed) {
    *changed = false;
    int merged = 0;
    ODIN_TRY(merge_constants(g, &merged));
    bool *dead = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *dead);
    if (!dead) return odin_errorf("out of memory");
    odin_status st = merge_nodes(g, dead, &merged);
    if (!st && merged) st = odin_graph_remove_nodes(g, dead);
    *changed = merged > 0;
    free(dead);
    return st;
}
