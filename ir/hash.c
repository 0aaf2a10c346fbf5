/* ir/hash.c — structural XXH3 hashes of values, nodes and graphs. Each field is folded
 * into the running hash as the seed of the next XXH3 call, so every field (and its length)
 * counts and no intermediate buffer is needed. Tensors are identified by structure, not
 * name: see hash.h. */
#include "hash.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Distinct starting points for the kinds of things hashed, so that e.g. a graph input and
 * a constant of equal bits cannot collide by construction. */
enum {
    SEED_VALUE = 0x6f64696e76616c31,  /* "odinval1" */
    SEED_INPUT = 0x6f64696e696e7031,  /* "odininp1" */
    SEED_CONST = 0x6f64696e636f6e31,  /* "odincon1" */
    SEED_OUTPUT = 0x6f64696e6f757431, /* "odinout1" */
    SEED_FREE = 0x6f64696e66726531,   /* "odinfre1": no producer, not input or constant */
    SEED_CYCLE = 0x6f64696e63796331,  /* "odincyc1": output of a node on a cycle */
    SEED_NODE = 0x6f64696e6e6f6431,   /* "odinnod1" */
    SEED_ATTR = 0x6f64696e61747431,   /* "odinatt1" */
    SEED_GRAPH = 0x6f64696e67726131   /* "odingra1" */
};
#define OMITTED_INPUT 0x6f6d6974746564ull /* an omitted optional input (-1) */

static uint64_t mix(uint64_t h, const void *p, size_t n) { return XXH3_64bits_withSeed(p, n, h); }
static uint64_t mix_u64(uint64_t h, uint64_t v) { return mix(h, &v, sizeof v); }
static uint64_t mix_str(uint64_t h, const char *s, size_t len) {
    h = mix_u64(h, len);
    return len ? mix(h, s, len) : h;
}
static uint64_t mix_cstr(uint64_t h, const char *s) {
    return s ? mix_str(h, s, strlen(s)) : mix_u64(h, UINT64_MAX);
}

static uint64_t mix_type(uint64_t h, odin_dtype dt, int rank, const int64_t *dims,
                         const char *const *dim_params) {
    h = mix_u64(h, (uint64_t)dt);
    h = mix_u64(h, (uint64_t)(int64_t)rank);
    for (int i = 0; i < rank && i < ODIN_MAX_RANK; i++) {
        h = mix_u64(h, (uint64_t)dims[i]);
        if (dim_params) h = mix_cstr(h, dim_params[i]);
    }
    return h;
}

static uint64_t mix_data(uint64_t h, odin_dtype dt, const void *data, size_t nbytes) {
    if (!data) return mix_u64(h, UINT64_MAX);
    if (dt != ODIN_STRING) return mix_u64(h, XXH3_64bits(data, nbytes));
    /* strings are pointers: hash what they point to */
    const char *const *ss = data;
    size_t n = nbytes / sizeof(char *);
    h = mix_u64(h, n);
    for (size_t i = 0; i < n; i++) h = mix_cstr(h, ss[i]);
    return h;
}

uint64_t odin_value_hash(const odin_value *v) {
    uint64_t h = mix_type(SEED_VALUE, v->dtype, v->rank, v->dims, NULL);
    return mix_data(h, v->dtype, v->data, odin_value_nbytes(v));
}

static uint64_t attr_hash(const odin_attr *a) {
    uint64_t h = mix_cstr(SEED_ATTR, a->name);
    h = mix_u64(h, (uint64_t)a->kind);
    size_t cnt = a->count > 0 ? (size_t)a->count : 0;
    switch (a->kind) {
    case ODIN_ATTR_INT: return mix_u64(h, (uint64_t)a->i);
    case ODIN_ATTR_FLOAT: return mix(h, &a->f, sizeof a->f);
    case ODIN_ATTR_STRING:
        return mix_str(h, a->s, a->s ? (a->s_len ? a->s_len : strlen(a->s)) : 0);
    case ODIN_ATTR_INTS:
        h = mix_u64(h, cnt);
        return a->ints && cnt ? mix(h, a->ints, cnt * sizeof *a->ints) : h;
    case ODIN_ATTR_FLOATS:
        h = mix_u64(h, cnt);
        return a->floats && cnt ? mix(h, a->floats, cnt * sizeof *a->floats) : h;
    case ODIN_ATTR_STRINGS:
        h = mix_u64(h, cnt);
        for (size_t i = 0; a->strings && i < cnt; i++) h = mix_cstr(h, a->strings[i]);
        return h;
    case ODIN_ATTR_TENSOR: return mix_u64(h, odin_value_hash(&a->t));
    default: return h;
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

uint64_t odin_node_hash(const odin_graph *g, int node, const uint64_t *tensor_hashes) {
    const odin_node *n = &g->nodes[node];
    uint64_t h = mix_cstr(SEED_NODE, n->op);
    /* "ai.onnx" is the default domain's long spelling, as in the op registry */
    const char *dom = n->domain && strcmp(n->domain, "ai.onnx") != 0 ? n->domain : "";
    h = mix_cstr(h, dom);
    h = mix_u64(h, (uint64_t)n->n_inputs);
    for (int i = 0; i < n->n_inputs; i++) {
        int t = n->inputs[i];
        h = mix_u64(h, t >= 0 && t < g->n_tensors ? tensor_hashes[t] : OMITTED_INPUT);
    }
    /* which output slots exist matters (Split into 2 vs 3, an omitted optional output) */
    h = mix_u64(h, (uint64_t)n->n_outputs);
    for (int i = 0; i < n->n_outputs; i++) h = mix_u64(h, n->outputs[i] >= 0);
    /* attributes are a set: sort their hashes so their order does not count */
    if (n->n_attrs > 0) {
        uint64_t small[16], *ah = n->n_attrs <= 16 ? small : malloc(sizeof *ah * n->n_attrs);
        if (!ah) return 0;
        for (int i = 0; i < n->n_attrs; i++) ah[i] = attr_hash(&n->attrs[i]);
        qsort(ah, (size_t)n->n_attrs, sizeof *ah, cmp_u64);
        h = mix_u64(h, (uint64_t)n->n_attrs);
        h = mix(h, ah, sizeof *ah * (size_t)n->n_attrs);
        if (ah != small) free(ah);
    }
    return h;
}

static uint64_t tensor_type_hash(uint64_t h, const odin_tensor *t) {
    return mix_type(h, t->dtype, t->rank, t->dims, t->dim_params);
}

/* Hashes of the tensors no node writes: inputs, constants, free tensors. */
static void source_hashes(const odin_graph *g, uint64_t *out) {
    for (int t = 0; t < g->n_tensors; t++) {
        const odin_tensor *tt = &g->tensors[t];
        if (tt->flags & ODIN_TENSOR_CONST)
            out[t] = mix_data(tensor_type_hash(SEED_CONST, tt), tt->dtype, tt->data, tt->nbytes);
        else out[t] = tensor_type_hash(SEED_FREE, tt);
    }
    /* an input is its position (plus type, plus default value when also a constant) */
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        if (t < 0 || t >= g->n_tensors) continue;
        uint64_t h = mix_u64(SEED_INPUT, (uint64_t)i);
        h = tensor_type_hash(h, &g->tensors[t]);
        out[t] = (g->tensors[t].flags & ODIN_TENSOR_CONST) ? mix_u64(h, out[t]) : h;
    }
}

static void hash_node_outputs(const odin_graph *g, int ni, uint64_t *out) {
    const odin_node *n = &g->nodes[ni];
    uint64_t nh = odin_node_hash(g, ni, out);
    for (int i = 0; i < n->n_outputs; i++) {
        int t = n->outputs[i];
        if (t < 0 || t >= g->n_tensors) continue;
        uint64_t h = mix_u64(mix_u64(SEED_OUTPUT, nh), (uint64_t)i);
        out[t] = tensor_type_hash(h, &g->tensors[t]);
    }
}

/* Kahn's algorithm over producer -> consumer edges, so a node is hashed after all the
 * nodes it reads from, whatever the node order; nodes on a cycle are hashed last, in
 * index order, reading SEED_CYCLE placeholders. */
odin_status odin_graph_tensor_hashes(const odin_graph *g, uint64_t *out) {
    source_hashes(g, out);
    int nn = g->n_nodes, nt = g->n_tensors;
    if (!nn) return ODIN_OK;
    int *prod = malloc(sizeof *prod * (size_t)(nt ? nt : 1));
    int *pending = calloc((size_t)nn, sizeof *pending);
    int *start = calloc((size_t)nn + 1, sizeof *start);
    int *queue = malloc(sizeof *queue * (size_t)nn);
    int *edges = NULL;
    char *done = calloc((size_t)nn, 1);
    odin_status st = ODIN_OK;
    if (!prod || !pending || !start || !queue || !done) {
        st = odin_errorf("out of memory hashing graph '%s'", g->name);
        goto out;
    }
    for (int t = 0; t < nt; t++) prod[t] = -1;
    for (int ni = 0; ni < nn; ni++)
        for (int i = 0; i < g->nodes[ni].n_outputs; i++) {
            int t = g->nodes[ni].outputs[i];
            if (t >= 0 && t < nt && prod[t] < 0 && !(g->tensors[t].flags & ODIN_TENSOR_CONST)) {
                prod[t] = ni;
                out[t] = SEED_CYCLE;
            }
        }
    /* edges in CSR form: start[p]..start[p+1] lists the consumers of node p */
    size_t n_edges = 0;
    for (int ni = 0; ni < nn; ni++)
        for (int i = 0; i < g->nodes[ni].n_inputs; i++) {
            int t = g->nodes[ni].inputs[i];
            if (t >= 0 && t < nt && prod[t] >= 0) {
                start[prod[t] + 1]++;
                pending[ni]++;
                n_edges++;
            }
        }
    for (int p = 0; p < nn; p++) start[p + 1] += start[p];
    edges = malloc(sizeof *edges * (n_edges ? n_edges : 1));
    int *fill = malloc(sizeof *fill * (size_t)nn);
    if (!edges || !fill) {
        free(fill);
        st = odin_errorf("out of memory hashing graph '%s'", g->name);
        goto out;
    }
    memcpy(fill, start, sizeof *fill * (size_t)nn);
    for (int ni = 0; ni < nn; ni++)
        for (int i = 0; i < g->nodes[ni].n_inputs; i++) {
            int t = g->nodes[ni].inputs[i];
            if (t >= 0 && t < nt && prod[t] >= 0) edges[fill[prod[t]]++] = ni;
        }
    free(fill);
    int head = 0, tail = 0;
    for (int ni = 0; ni < nn; ni++)
        if (!pending[ni]) queue[tail++] = ni;
    while (head < tail) {
        int p = queue[head++];
        hash_node_outputs(g, p, out);
        done[p] = 1;
        for (int e = start[p]; e < start[p + 1]; e++)
            if (--pending[edges[e]] == 0) queue[tail++] = edges[e];
    }
    for (int ni = 0; ni < nn; ni++)
        if (!done[ni]) hash_node_outputs(g, ni, out);
out:
    free(prod);
    free(pending);
    free(start);
    free(queue);
    free(edges);
    free(done);
    return st;
}

uint64_t odin_graph_hash(const odin_graph *g) {
    int nt = g->n_tensors, nn = g->n_nodes;
    uint64_t *th = malloc(sizeof *th * (size_t)(nt ? nt : 1));
    uint64_t *sorted = malloc(sizeof *sorted * (size_t)((nt > nn ? nt : nn) + 1));
    uint64_t h = 0;
    odin_status st = th && sorted ? odin_graph_tensor_hashes(g, th) : odin_errorf("out of memory");
    if (st) {
        odin_status_free(st);
        goto out;
    }
    h = mix_u64(SEED_GRAPH, (uint64_t)g->opset);
    h = mix_u64(h, (uint64_t)g->opset_ms);
    h = mix_u64(h, (uint64_t)g->n_inputs);
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        h = mix_u64(h, t >= 0 && t < nt ? th[t] : OMITTED_INPUT);
    }
    h = mix_u64(h, (uint64_t)g->n_outputs);
    for (int i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        h = mix_u64(h, t >= 0 && t < nt ? th[t] : OMITTED_INPUT);
    }
    /* Nodes and tensors as multisets (sorted hashes): node order and tensor order are
     * layout, but dead nodes and unused constants are still part of the structure. */
    for (int i = 0; i < nn; i++) sorted[i] = odin_node_hash(g, i, th);
    qsort(sorted, (size_t)nn, sizeof *sorted, cmp_u64);
    h = mix_u64(h, (uint64_t)nn);
    if (nn) h = mix(h, sorted, sizeof *sorted * (size_t)nn);
    memcpy(sorted, th, sizeof *th * (size_t)nt);
    qsort(sorted, (size_t)nt, sizeof *sorted, cmp_u64);
    h = mix_u64(h, (uint64_t)nt);
    if (nt) h = mix(h, sorted, sizeof *sorted * (size_t)nt);
    if (!h) h = 1; /* 0 is reserved for failure */
out:
    free(th);
    free(sorted);
    return h;
}
