#include "graph.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <uthash.h>

#include "../ops/op.h"

struct odin_name_entry {
    const char *name; /* points into the graph arena */
    int index;
    UT_hash_handle hh;
};

/* Product of dims: -1 if any is unknown or the product overflows; 0 if any is 0 (checked
 * first, so [huge, huge, 0] is 0 and not an overflow). */
static int64_t dims_numel(int rank, const int64_t *dims) {
    if (rank < 0) return -1;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0) return -1;
    for (int i = 0; i < rank; i++)
        if (dims[i] == 0) return 0;
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        if (__builtin_mul_overflow(n, dims[i], &n)) return -1;
    return n;
}

int64_t odin_value_numel(const odin_value *v) { return dims_numel(v->rank, v->dims); }

size_t odin_value_nbytes(const odin_value *v) {
    int64_t n = odin_value_numel(v);
    return n < 0 ? 0 : (size_t)n * odin_dtype_size(v->dtype);
}

odin_graph *odin_graph_new(const char *name) {
    odin_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    odin_arena_init(&g->arena);
    g->name = odin_arena_strdup(&g->arena, name ? name : "graph");
    g->opset = 21;
    return g;
}

void odin_graph_free(odin_graph *g) {
    if (!g) return;
    odin_name_entry *e, *tmp;
    HASH_ITER(hh, g->tensor_names, e, tmp) {
        HASH_DEL(g->tensor_names, e);
        free(e);
    }
    free(g->tensors);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g->meta);
    odin_status_free(g->error);
    if (g->external_map) munmap(g->external_map, g->external_size);
    for (int i = g->n_holds - 1; i >= 0; i--) g->holds[i].release(g->holds[i].ctx);
    free(g->holds);
    odin_arena_free(&g->arena);
    free(g);
}

/* Grow a dynamic array to hold at least n+1 elements. */
static odin_status grow(void **arr, int *cap, int n, size_t elem) {
    if (n < *cap) return ODIN_OK;
    int nc = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p) return odin_errorf("out of memory");
    *arr = p;
    *cap = nc;
    return ODIN_OK;
}

odin_status odin_graph_hold(odin_graph *g, void (*release)(void *ctx), void *ctx) {
    ODIN_TRY(grow((void **)&g->holds, &g->cap_holds, g->n_holds, sizeof *g->holds));
    g->holds[g->n_holds++] = (odin_graph_holder){release, ctx};
    return ODIN_OK;
}

int odin_graph_find_tensor(const odin_graph *g, const char *name) {
    odin_name_entry *e = NULL;
    if (!name) return -1;
    HASH_FIND_STR(g->tensor_names, name, e);
    return e ? e->index : -1;
}

const char *odin_graph_unique_name(odin_graph *g, const char *base) {
    if (odin_graph_find_tensor(g, base) < 0) return odin_arena_strdup(&g->arena, base);
    char buf[512];
    for (int i = 1;; i++) {
        snprintf(buf, sizeof buf, "%.480s_%d", base, i);
        if (odin_graph_find_tensor(g, buf) < 0) return odin_arena_strdup(&g->arena, buf);
    }
}

static odin_status name_insert(odin_graph *g, const char *name, int index) {
    odin_name_entry *e = malloc(sizeof *e);
    if (!e) return odin_errorf("out of memory");
    e->name = name;
    e->index = index;
    HASH_ADD_KEYPTR(hh, g->tensor_names, e->name, strlen(e->name), e);
    return ODIN_OK;
}

odin_status odin_graph_add_tensor(odin_graph *g, const char *name, odin_dtype dtype, int rank,
                                  const int64_t *dims, int *out_index) {
    if (!name || !*name) return odin_errorf("tensor with an empty name");
    if (rank > ODIN_MAX_RANK)
        return odin_errorf("tensor '%s': rank %d exceeds the maximum %d", name, rank,
                           ODIN_MAX_RANK);
    if (odin_graph_find_tensor(g, name) >= 0)
        return odin_errorf("duplicate tensor name '%s'", name);
    ODIN_TRY(grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors, sizeof(odin_tensor)));
    odin_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = odin_arena_strdup(&g->arena, name);
    if (!t->name) return odin_errorf("out of memory");
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < ODIN_MAX_RANK; i++) t->dims[i] = (i < rank && dims) ? dims[i] : -1;
    t->producer = -1;
    ODIN_TRY(name_insert(g, t->name, g->n_tensors));
    if (out_index) *out_index = g->n_tensors;
    g->n_tensors++;
    return ODIN_OK;
}

odin_status odin_graph_rename_tensor(odin_graph *g, int t, const char *name) {
    if (t < 0 || t >= g->n_tensors) return odin_errorf("rename: bad tensor index %d", t);
    int other = odin_graph_find_tensor(g, name);
    if (other == t) return ODIN_OK;
    if (other >= 0) return odin_errorf("duplicate tensor name '%s'", name);
    odin_name_entry *e = NULL;
    HASH_FIND_STR(g->tensor_names, g->tensors[t].name, e);
    if (e) {
        HASH_DEL(g->tensor_names, e);
        free(e);
    }
    g->tensors[t].name = odin_arena_strdup(&g->arena, name);
    if (!g->tensors[t].name) return odin_errorf("out of memory");
    return name_insert(g, g->tensors[t].name, t);
}

odin_status odin_graph_rebuild_names(odin_graph *g) {
    odin_name_entry *e, *tmp;
    HASH_ITER(hh, g->tensor_names, e, tmp) {
        HASH_DEL(g->tensor_names, e);
        free(e);
    }
    for (int t = 0; t < g->n_tensors; t++) {
        if (odin_graph_find_tensor(g, g->tensors[t].name) >= 0)
            return odin_errorf("duplicate tensor name '%s'", g->tensors[t].name);
        ODIN_TRY(name_insert(g, g->tensors[t].name, t));
    }
    return ODIN_OK;
}

odin_status odin_tensor_set_data(odin_graph *g, int t, const void *data, size_t nbytes) {
    void *p = odin_arena_memdup(&g->arena, data, nbytes, 64);
    if (!p) return odin_errorf("out of memory copying %zu bytes of '%s'", nbytes,
                               g->tensors[t].name);
    g->tensors[t].data = p;
    g->tensors[t].nbytes = nbytes;
    g->tensors[t].flags |= ODIN_TENSOR_CONST;
    g->tensors[t].flags &= ~ODIN_TENSOR_EXTERNAL;
    return ODIN_OK;
}

void odin_tensor_set_external_data(odin_graph *g, int t, void *data, size_t nbytes) {
    g->tensors[t].data = data;
    g->tensors[t].nbytes = nbytes;
    g->tensors[t].flags |= ODIN_TENSOR_CONST | ODIN_TENSOR_EXTERNAL;
}

odin_value odin_tensor_value(const odin_graph *g, int t) {
    odin_value v = {.dtype = ODIN_UNDEFINED, .rank = -1};
    if (t < 0 || t >= g->n_tensors) return v;
    const odin_tensor *tt = &g->tensors[t];
    v.dtype = tt->dtype;
    v.rank = tt->rank;
    memcpy(v.dims, tt->dims, sizeof v.dims);
    v.data = tt->data;
    return v;
}

int64_t odin_tensor_numel(const odin_tensor *t) { return dims_numel(t->rank, t->dims); }

static odin_status add_index(int **arr, int *n, int *cap, int t) {
    ODIN_TRY(grow((void **)arr, cap, *n, sizeof(int)));
    (*arr)[(*n)++] = t;
    return ODIN_OK;
}

odin_status odin_graph_add_input(odin_graph *g, int t) {
    if (t < 0 || t >= g->n_tensors) return odin_errorf("graph input: bad tensor index %d", t);
    g->tensors[t].flags |= ODIN_TENSOR_INPUT;
    return add_index(&g->inputs, &g->n_inputs, &g->cap_inputs, t);
}

odin_status odin_graph_add_output(odin_graph *g, int t) {
    if (t < 0 || t >= g->n_tensors) return odin_errorf("graph output: bad tensor index %d", t);
    g->tensors[t].flags |= ODIN_TENSOR_OUTPUT;
    return add_index(&g->outputs, &g->n_outputs, &g->cap_outputs, t);
}

odin_status odin_attr_copy(odin_graph *g, odin_attr *dst, const odin_attr *src) {
    odin_arena *a = &g->arena;
    *dst = *src;
    dst->name = odin_arena_strdup(a, src->name);
    if (!dst->name) return odin_errorf("out of memory");
    switch (src->kind) {
    case ODIN_ATTR_STRING: {
        size_t len = src->s ? (src->s_len ? src->s_len : strlen(src->s)) : 0;
        char *s = odin_arena_alloc(a, len + 1, 1);
        if (!s) return odin_errorf("out of memory");
        if (len) memcpy(s, src->s, len);
        dst->s = s;
        dst->s_len = len;
        break;
    }
    case ODIN_ATTR_INTS:
        dst->ints = odin_arena_memdup(a, src->ints, sizeof(int64_t) * src->count, 8);
        break;
    case ODIN_ATTR_FLOATS:
        dst->floats = odin_arena_memdup(a, src->floats, sizeof(float) * src->count, 4);
        break;
    case ODIN_ATTR_STRINGS:
        dst->strings = odin_arena_alloc(a, sizeof(char *) * (src->count ? src->count : 1), 8);
        if (!dst->strings) return odin_errorf("out of memory");
        for (int i = 0; i < src->count; i++)
            dst->strings[i] = odin_arena_strdup(a, src->strings[i] ? src->strings[i] : "");
        break;
    case ODIN_ATTR_TENSOR: {
        size_t nb = odin_value_nbytes(&src->t);
        if (src->t.dtype == ODIN_STRING) {
            int64_t n = odin_value_numel(&src->t);
            const char **ss = odin_arena_alloc(a, sizeof(char *) * (n > 0 ? n : 1), 8);
            if (!ss) return odin_errorf("out of memory");
            for (int64_t i = 0; i < n; i++)
                ss[i] = odin_arena_strdup(a, ((const char **)src->t.data)[i]);
            dst->t.data = ss;
        } else {
            dst->t.data = odin_arena_memdup(a, src->t.data, nb, 64);
        }
        break;
    }
    default: break;
    }
    return ODIN_OK;
}

odin_status odin_graph_add_node(odin_graph *g, const char *name, const char *op,
                                const char *domain, const int *inputs, int n_inputs,
                                const int *outputs, int n_outputs, const odin_attr *attrs,
                                int n_attrs, int *out_index) {
    if (!op || !*op) return odin_errorf("node '%s': empty op type", name ? name : "");
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] < -1 || inputs[i] >= g->n_tensors)
            return odin_errorf("node '%s' (%s): input %d refers to no tensor", name, op, i);
    for (int i = 0; i < n_outputs; i++)
        if (outputs[i] < -1 || outputs[i] >= g->n_tensors)
            return odin_errorf("node '%s' (%s): output %d refers to no tensor", name, op, i);
    ODIN_TRY(grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes, sizeof(odin_node)));
    odin_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    odin_arena *a = &g->arena;
    char autoname[64];
    if (!name || !*name) {
        snprintf(autoname, sizeof autoname, "%s_%d", op, g->n_nodes);
        name = autoname;
    }
    n->name = odin_arena_strdup(a, name);
    n->op = odin_arena_strdup(a, op);
    n->domain = odin_arena_strdup(a, domain ? domain : "");
    n->inputs = odin_arena_memdup(a, inputs, sizeof(int) * n_inputs, 4);
    n->outputs = odin_arena_memdup(a, outputs, sizeof(int) * n_outputs, 4);
    n->attrs = odin_arena_alloc(a, sizeof(odin_attr) * (n_attrs ? n_attrs : 1), 8);
    if (!n->name || !n->op || !n->domain || !n->inputs || !n->outputs || !n->attrs)
        return odin_errorf("out of memory");
    n->n_inputs = n_inputs;
    n->n_outputs = n_outputs;
    for (int i = 0; i < n_attrs; i++) {
        ODIN_TRY(odin_attr_copy(g, &n->attrs[i], &attrs[i]));
        n->n_attrs++;
    }
    n->def = odin_op_find(n->op, n->domain, g->opset);
    for (int i = 0; i < n_outputs; i++)
        if (outputs[i] >= 0) g->tensors[outputs[i]].producer = g->n_nodes;
    if (out_index) *out_index = g->n_nodes;
    g->n_nodes++;
    return ODIN_OK;
}

odin_status odin_graph_set_meta(odin_graph *g, const char *key, const char *value) {
    for (int i = 0; i < g->n_meta; i++)
        if (strcmp(g->meta[i].key, key) == 0) {
            g->meta[i].value = odin_arena_strdup(&g->arena, value);
            return ODIN_OK;
        }
    ODIN_TRY(grow((void **)&g->meta, &g->cap_meta, g->n_meta, sizeof(odin_meta)));
    g->meta[g->n_meta].key = odin_arena_strdup(&g->arena, key);
    g->meta[g->n_meta].value = odin_arena_strdup(&g->arena, value);
    g->n_meta++;
    return ODIN_OK;
}

const char *odin_graph_get_meta(const odin_graph *g, const char *key) {
    for (int i = 0; i < g->n_meta; i++)
        if (strcmp(g->meta[i].key, key) == 0) return g->meta[i].value;
    return NULL;
}

/* ---- attribute lookup ---- */

const odin_attr *odin_node_attr(const odin_node *n, const char *name) {
    for (int i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0) return &n->attrs[i];
    return NULL;
}

bool odin_node_has_attr(const odin_node *n, const char *name) {
    return odin_node_attr(n, name) != NULL;
}

static const odin_attr_schema *schema_of(const odin_node *n, const char *name) {
    return n->def ? odin_op_attr_schema(n->def, name) : NULL;
}

int64_t odin_attr_i(const odin_node *n, const char *name) {
    const odin_attr *a = odin_node_attr(n, name);
    if (a) return a->kind == ODIN_ATTR_FLOAT ? (int64_t)a->f : a->i;
    const odin_attr_schema *s = schema_of(n, name);
    return s ? s->def_i : 0;
}

float odin_attr_f(const odin_node *n, const char *name) {
    const odin_attr *a = odin_node_attr(n, name);
    if (a) return a->kind == ODIN_ATTR_INT ? (float)a->i : a->f;
    const odin_attr_schema *s = schema_of(n, name);
    return s ? s->def_f : 0.0f;
}

const char *odin_attr_s(const odin_node *n, const char *name) {
    const odin_attr *a = odin_node_attr(n, name);
    if (a && a->kind == ODIN_ATTR_STRING) return a->s;
    const odin_attr_schema *s = schema_of(n, name);
    return s ? s->def_s : NULL;
}

int odin_attr_ints(const odin_node *n, const char *name, const int64_t **vals) {
    const odin_attr *a = odin_node_attr(n, name);
    if (a && a->kind == ODIN_ATTR_INTS) {
        *vals = a->ints;
        return a->count;
    }
    *vals = NULL;
    return 0;
}

int odin_attr_floats(const odin_node *n, const char *name, const float **vals) {
    const odin_attr *a = odin_node_attr(n, name);
    if (a && a->kind == ODIN_ATTR_FLOATS) {
        *vals = a->floats;
        return a->count;
    }
    *vals = NULL;
    return 0;
}

void odin_format_shape(char *buf, size_t size, int rank, const int64_t *dims,
                       const char *const *dim_params) {
    if (size == 0) return;
    if (rank < 0) {
        snprintf(buf, size, "[?rank]");
        return;
    }
    size_t off = 0;
    off += snprintf(buf + off, size - off, "[");
    for (int i = 0; i < rank && off < size; i++) {
        const char *sep = i ? "," : "";
        if (dim_params && dim_params[i])
            off += snprintf(buf + off, size - off, "%s%s", sep, dim_params[i]);
        else if (dims[i] < 0)
            off += snprintf(buf + off, size - off, "%s?", sep);
        else
            off += snprintf(buf + off, size - off, "%s%" PRId64, sep, dims[i]);
    }
    if (off < size) snprintf(buf + off, size - off, "]");
}

const char *odin_attr_kind_name(odin_attr_kind k) {
    static const char *names[] = {"undefined", "int",     "float",   "string",
                                  "ints",      "floats",  "strings", "tensor"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "invalid";
}
