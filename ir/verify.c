/* ir/verify.c — structural and type checks of a graph. Checks run from the cheapest and
 * most basic (indices in range) to the ones that rely on them (order, inference), so a
 * later check never reads through a bad index; the first problem found is returned. */
#include "verify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/op.h"

/* "f32[1,3]" for messages. */
static const char *type_str(odin_dtype dt, int rank, const int64_t *dims, char *buf, size_t size) {
    char shape[256];
    odin_format_shape(shape, sizeof shape, rank, dims, NULL);
    snprintf(buf, size, "%s%s", odin_dtype_name(dt), shape);
    return buf;
}

static const char *tname(const odin_graph *g, int t) {
    const char *n = g->tensors[t].name;
    return n ? n : "";
}

/* ---- duplicate names ---- */

typedef struct named {
    const char *name;
    int index;
} named;

static int cmp_named(const void *a, const void *b) {
    const named *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Sorting beats a hash table here: no allocation per entry, and the first duplicate
 * pair found is reported by its two indices. */
static odin_status check_unique(const named *items, int n, const char *what) {
    if (n < 2) return ODIN_OK;
    named *s = malloc(sizeof *s * (size_t)n);
    if (!s) return odin_errorf("out of memory");
    memcpy(s, items, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_named);
    odin_status st = ODIN_OK;
    for (int i = 1; i < n && !st; i++)
        if (strcmp(s[i - 1].name, s[i].name) == 0)
            st = odin_errorf("duplicate %s name '%s' (#%d and #%d)", what, s[i].name,
                             s[i - 1].index, s[i].index);
    free(s);
    return st;
}

/* ---- tensors ---- */

static odin_status check_shape(const char *what, const char *name, int rank,
                               const int64_t *dims) {
    if (rank < -1 || rank > ODIN_MAX_RANK)
        return odin_errorf("%s '%s': rank %d is outside -1..%d", what, name, rank, ODIN_MAX_RANK);
    for (int i = 0; i < rank; i++)
        if (dims[i] < -1)
            return odin_errorf("%s '%s': dim %d is %" PRId64 " (must be >= -1)", what, name, i,
                               dims[i]);
    return ODIN_OK;
}

static odin_status check_tensor(const odin_graph *g, int ti) {
    const odin_tensor *t = &g->tensors[ti];
    if (!t->name || !*t->name) return odin_errorf("tensor #%d has no name", ti);
    if ((unsigned)t->dtype >= ODIN_DTYPE_COUNT)
        return odin_errorf("tensor '%s': invalid dtype %d", t->name, (int)t->dtype);
    ODIN_TRY(check_shape("tensor", t->name, t->rank, t->dims));
    if (t->producer < -1 || t->producer >= g->n_nodes)
        return odin_errorf("tensor '%s': producer %d is not a node (graph has %d nodes)",
                           t->name, t->producer, g->n_nodes);
    bool is_const = t->flags & ODIN_TENSOR_CONST;
    if (t->data && !is_const)
        return odin_errorf("tensor '%s' has data but is not marked constant", t->name);
    if (!is_const) return ODIN_OK;
    if (t->dtype == ODIN_UNDEFINED)
        return odin_errorf("constant '%s' has an undefined dtype", t->name);
    int64_t numel = odin_tensor_numel(t);
    char ty[300];
    if (numel < 0)
        return odin_errorf("constant '%s' has an unknown shape %s", t->name,
                           type_str(t->dtype, t->rank, t->dims, ty, sizeof ty));
    size_t need = (size_t)numel * odin_dtype_size(t->dtype);
    if (t->nbytes != need)
        return odin_errorf("constant '%s': data has %zu bytes, %s needs %zu", t->name, t->nbytes,
                           type_str(t->dtype, t->rank, t->dims, ty, sizeof ty), need);
    if (need && !t->data) return odin_errorf("constant '%s' has no data", t->name);
    return ODIN_OK;
}

static odin_status check_tensors(const odin_graph *g) {
    for (int i = 0; i < g->n_tensors; i++) ODIN_TRY(check_tensor(g, i));
    named *names = malloc(sizeof *names * (size_t)(g->n_tensors ? g->n_tensors : 1));
    if (!names) return odin_errorf("out of memory");
    for (int i = 0; i < g->n_tensors; i++) names[i] = (named){g->tensors[i].name, i};
    odin_status st = check_unique(names, g->n_tensors, "tensor");
    free(names);
    return st;
}

/* ---- graph input / output lists ---- */

static odin_status check_io_lists(const odin_graph *g) {
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        if (t < 0 || t >= g->n_tensors)
            return odin_errorf("graph input %d refers to tensor index %d, which does not exist "
                               "(graph has %d tensors)", i, t, g->n_tensors);
        for (int j = 0; j < i; j++)
            if (g->inputs[j] == t)
                return odin_errorf("tensor '%s' is listed twice as a graph input (%d and %d)",
                                   tname(g, t), j, i);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        if (t < 0 || t >= g->n_tensors)
            return odin_errorf("graph output %d refers to tensor index %d, which does not exist "
                               "(graph has %d tensors)", i, t, g->n_tensors);
    }
    return ODIN_OK;
}

/* ---- node structure ---- */

static odin_status check_value(const char *what, const odin_value *v) {
    if ((unsigned)v->dtype >= ODIN_DTYPE_COUNT)
        return odin_errorf("%s: invalid dtype %d", what, (int)v->dtype);
    ODIN_TRY(check_shape("value", what, v->rank, v->dims));
    if (odin_value_numel(v) > 0 && !v->data) return odin_errorf("%s has no data", what);
    return ODIN_OK;
}

static odin_status check_attr(const odin_attr *a, int i) {
    if (!a->name || !*a->name) return odin_errorf("attribute %d has no name", i);
    bool has_array = a->count == 0;
    switch (a->kind) {
    case ODIN_ATTR_INT:
    case ODIN_ATTR_FLOAT: return ODIN_OK;
    case ODIN_ATTR_STRING:
        return a->s ? ODIN_OK : odin_errorf("attribute '%s': string without data", a->name);
    case ODIN_ATTR_INTS: has_array = has_array || a->ints; break;
    case ODIN_ATTR_FLOATS: has_array = has_array || a->floats; break;
    case ODIN_ATTR_STRINGS: has_array = has_array || a->strings; break;
    case ODIN_ATTR_TENSOR: return check_value(a->name, &a->t);
    default: return odin_errorf("attribute '%s': invalid kind %d", a->name, (int)a->kind);
    }
    if (a->count < 0) return odin_errorf("attribute '%s': negative count %d", a->name, a->count);
    if (!has_array)
        return odin_errorf("attribute '%s': %d %s without data", a->name, a->count,
                           odin_attr_kind_name(a->kind));
    return ODIN_OK;
}

/* Records in producer[t] the node writing tensor t (from the node lists, the truth the
 * tensors' own `producer` fields must agree with). */
static odin_status check_node(const odin_graph *g, int ni, int *producer) {
    const odin_node *n = &g->nodes[ni];
    for (int i = 0; i < n->n_attrs; i++) {
        ODIN_TRY(check_attr(&n->attrs[i], i));
        for (int j = 0; j < i; j++)
            if (strcmp(n->attrs[j].name, n->attrs[i].name) == 0)
                return odin_errorf("attribute '%s' is set twice", n->attrs[i].name);
    }
    if (n->n_inputs < 0 || n->n_outputs < 0 || n->n_attrs < 0)
        return odin_errorf("negative input/output/attribute count");
    if ((n->n_inputs && !n->inputs) || (n->n_outputs && !n->outputs) || (n->n_attrs && !n->attrs))
        return odin_errorf("missing input/output/attribute array");
    for (int i = 0; i < n->n_inputs; i++) {
        int t = n->inputs[i];
        if (t < -1 || t >= g->n_tensors)
            return odin_errorf("input %d refers to tensor index %d, which does not exist "
                               "(graph has %d tensors)", i, t, g->n_tensors);
    }
    for (int i = 0; i < n->n_outputs; i++) {
        int t = n->outputs[i];
        if (t == -1) continue;
        if (t < -1 || t >= g->n_tensors)
            return odin_errorf("output %d refers to tensor index %d, which does not exist "
                               "(graph has %d tensors)", i, t, g->n_tensors);
        const odin_tensor *tt = &g->tensors[t];
        if (tt->flags & ODIN_TENSOR_INPUT)
            return odin_errorf("output %d '%s' is a graph input; a node cannot produce it", i,
                               tt->name);
        if (tt->flags & ODIN_TENSOR_CONST)
            return odin_errorf("output %d '%s' is a constant; a node cannot produce it", i,
                               tt->name);
        if (producer[t] >= 0) {
            const odin_node *o = &g->nodes[producer[t]];
            return odin_errorf("output %d '%s' is also produced by node '%s' (%s); a tensor "
                               "has at most one producer", i, tt->name, o->name, o->op);
        }
        producer[t] = ni;
    }
    return ODIN_OK;
}

static odin_status node_ctx(const odin_graph *g, int ni, odin_status st) {
    const odin_node *n = &g->nodes[ni];
    return odin_status_prefix(st, "node '%s' (%s)", n->name, n->op);
}

static odin_status check_nodes(const odin_graph *g, int *producer) {
    for (int i = 0; i < g->n_nodes; i++) {
        const odin_node *n = &g->nodes[i];
        if (!n->name || !*n->name) return odin_errorf("node #%d has no name", i);
        if (!n->op || !*n->op) return odin_errorf("node '%s' has no op type", n->name);
        if (!n->domain) return odin_errorf("node '%s' (%s) has no domain", n->name, n->op);
        odin_status st = check_node(g, i, producer);
        if (st) return node_ctx(g, i, st);
    }
    /* Graph inputs are checked here too: their flag may be missing on a listed input. */
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        if (producer[t] >= 0)
            return odin_errorf("graph input '%s' is produced by node '%s' (%s)", tname(g, t),
                               g->nodes[producer[t]].name, g->nodes[producer[t]].op);
    }
    /* after all nodes, so a double producer is reported as such, not as a stale record */
    for (int t = 0; t < g->n_tensors; t++) {
        int p = g->tensors[t].producer;
        if (p >= 0 && producer[t] != p)
            return odin_errorf("tensor '%s' records producer node '%s' (#%d), which does not "
                               "write it", tname(g, t), g->nodes[p].name, p);
        if (p < 0 && producer[t] >= 0)
            return odin_errorf("tensor '%s' is written by node '%s' (#%d) but records no "
                               "producer", tname(g, t), g->nodes[producer[t]].name, producer[t]);
    }
    named *names = malloc(sizeof *names * (size_t)(g->n_nodes ? g->n_nodes : 1));
    if (!names) return odin_errorf("out of memory");
    for (int i = 0; i < g->n_nodes; i++) names[i] = (named){g->nodes[i].name, i};
    odin_status st = check_unique(names, g->n_nodes, "node");
    free(names);
    return st;
}

/* ---- order: cycles, use before definition, dangling references ---- */

/* Depth-first search from consumers to producers; a grey producer reached again closes a
 * cycle, which is reported with its path in data-flow order. */
static odin_status find_cycle(const odin_graph *g, const int *producer) {
    int n = g->n_nodes;
    if (!n) return ODIN_OK;
    char *color = calloc((size_t)n, 1);
    int *stack = malloc(sizeof *stack * (size_t)n), *next = malloc(sizeof *next * (size_t)n);
    odin_status st = ODIN_OK;
    if (!color || !stack || !next) st = odin_errorf("out of memory");
    for (int root = 0; root < n && !st; root++) {
        if (color[root]) continue;
        int sp = 0;
        stack[0] = root;
        next[0] = 0;
        color[root] = 1;
        while (sp >= 0 && !st) {
            const odin_node *nd = &g->nodes[stack[sp]];
            if (next[sp] >= nd->n_inputs) {
                color[stack[sp--]] = 2;
                continue;
            }
            int j = next[sp]++;
            int t = nd->inputs[j];
            int p = t >= 0 ? producer[t] : -1;
            if (p < 0 || color[p] == 2) continue;
            if (color[p] == 0) {
                color[p] = 1;
                stack[++sp] = p;
                next[sp] = 0;
                continue;
            }
            /* p is on the stack at k: p -> stack[sp] -> stack[sp-1] -> ... -> stack[k] = p */
            int k = sp;
            while (stack[k] != p) k--;
            char path[1024];
            size_t off = snprintf(path, sizeof path, "'%s'", g->nodes[p].name);
            for (int s = sp; s >= k && off < sizeof path; s--)
                off += snprintf(path + off, sizeof path - off, " -> '%s'",
                                g->nodes[stack[s]].name);
            st = node_ctx(g, stack[sp],
                          odin_errorf("input %d '%s' is part of a cycle: %s", j, tname(g, t), path));
        }
    }
    free(color);
    free(stack);
    free(next);
    return st;
}

static odin_status check_order(const odin_graph *g, const int *producer) {
    ODIN_TRY(find_cycle(g, producer));
    char *defined = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), 1);
    if (!defined) return odin_errorf("out of memory");
    for (int t = 0; t < g->n_tensors; t++)
        defined[t] = (g->tensors[t].flags & ODIN_TENSOR_CONST) != 0;
    for (int i = 0; i < g->n_inputs; i++) defined[g->inputs[i]] = 1;
    odin_status st = ODIN_OK;
    for (int ni = 0; ni < g->n_nodes && !st; ni++) {
        const odin_node *n = &g->nodes[ni];
        for (int j = 0; j < n->n_inputs && !st; j++) {
            int t = n->inputs[j];
            if (t < 0 || defined[t]) continue;
            if (producer[t] < 0)
                st = odin_errorf("input %d '%s' is never produced (not a graph input, constant "
                                 "or node output)", j, tname(g, t));
            else
                st = odin_errorf("input %d '%s' is used before it is produced (by node '%s', #%d)",
                                 j, tname(g, t), g->nodes[producer[t]].name, producer[t]);
            st = node_ctx(g, ni, st);
        }
        for (int j = 0; j < n->n_outputs; j++)
            if (n->outputs[j] >= 0) defined[n->outputs[j]] = 1;
    }
    for (int i = 0; i < g->n_outputs && !st; i++)
        if (!defined[g->outputs[i]])
            st = odin_errorf("graph output %d '%s' is never produced (not a graph input, "
                             "constant or node output)", i, tname(g, g->outputs[i]));
    free(defined);
    return st;
}

/* ---- inference agreement ---- */

static bool type_matches(const odin_tensor *rec, const odin_value *inf) {
    if (rec->dtype != ODIN_UNDEFINED && inf->dtype != ODIN_UNDEFINED && rec->dtype != inf->dtype)
        return false;
    if (rec->rank < 0 || inf->rank < 0) return true;
    if (rec->rank != inf->rank) return false;
    for (int i = 0; i < rec->rank; i++)
        if (rec->dims[i] >= 0 && inf->dims[i] >= 0 && rec->dims[i] != inf->dims[i]) return false;
    return true;
}

static odin_status run_infer(const odin_graph *g, const odin_node *n, odin_value *in,
                             odin_value *out) {
    const odin_op_def *d = n->def;
    if (n->n_inputs < d->min_inputs || (d->max_inputs >= 0 && n->n_inputs > d->max_inputs))
        return odin_errorf("has %d inputs, expected %d..%d", n->n_inputs, d->min_inputs,
                           d->max_inputs);
    if (n->n_outputs < d->min_outputs || (d->max_outputs >= 0 && n->n_outputs > d->max_outputs))
        return odin_errorf("has %d outputs, expected %d..%d", n->n_outputs, d->min_outputs,
                           d->max_outputs);
    for (const odin_attr_schema *s = d->attrs; s && s->name; s++)
        if (s->required && !odin_node_has_attr(n, s->name))
            return odin_errorf("required attribute '%s' is missing", s->name);
    if (!d->infer) return ODIN_OK; /* nothing to compare against */
    for (int i = 0; i < n->n_inputs; i++)
        in[i] = odin_tensor_value(g, n->inputs[i]); /* -1 gives the "omitted" value */
    for (int i = 0; i < n->n_outputs; i++) out[i] = (odin_value){.dtype = ODIN_UNDEFINED, .rank = -1};
    odin_op_ctx ctx = {.node = n, .opset = g->opset, .n_in = n->n_inputs, .n_out = n->n_outputs,
                       .in = in, .out = out};
    ODIN_TRY(d->infer(&ctx));
    for (int i = 0; i < n->n_outputs; i++) {
        int t = n->outputs[i];
        if (t < 0 || type_matches(&g->tensors[t], &out[i])) continue;
        const odin_tensor *tt = &g->tensors[t];
        char rec[300], inf[300];
        return odin_errorf("output %d '%s' is recorded as %s but inference gives %s", i, tt->name,
                           type_str(tt->dtype, tt->rank, tt->dims, rec, sizeof rec),
                           type_str(out[i].dtype, out[i].rank, out[i].dims, inf, sizeof inf));
    }
    return ODIN_OK;
}

static odin_status check_inference(const odin_graph *g) {
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const odin_node *n = &g->nodes[ni];
        if (!n->def)
            return node_ctx(g, ni, odin_errorf("unsupported op (domain '%s', opset %d)",
                                               n->domain, g->opset));
        size_t cnt = (size_t)(n->n_inputs + n->n_outputs);
        odin_value *vals = calloc(cnt ? cnt : 1, sizeof *vals);
        if (!vals) return odin_errorf("out of memory");
        odin_status st = run_infer(g, n, vals, vals + n->n_inputs);
        free(vals);
        if (st) return node_ctx(g, ni, st);
    }
    return ODIN_OK;
}

odin_status odin_graph_verify(const odin_graph *g) {
    if (!g) return odin_errorf("no graph");
    const char *gname = g->name ? g->name : "";
    if (g->n_tensors < 0 || g->n_nodes < 0 || g->n_inputs < 0 || g->n_outputs < 0)
        return odin_errorf("graph '%s': negative element count", gname);
    odin_status st = check_tensors(g);
    if (!st) st = check_io_lists(g);
    int *producer = NULL;
    if (!st) {
        producer = malloc(sizeof *producer * (size_t)(g->n_tensors ? g->n_tensors : 1));
        if (!producer) st = odin_errorf("out of memory");
        for (int t = 0; producer && t < g->n_tensors; t++) producer[t] = -1;
    }
    if (!st) st = check_nodes(g, producer);
    if (!st) st = check_order(g, producer);
    if (!st) st = check_inference(g);
    free(producer);
    return st ? odin_status_prefix(st, "graph '%s'", gname) : ODIN_OK;
}
