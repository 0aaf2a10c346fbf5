/* ir/serialize_read.c — reads a .odin file (schema ir/odin.fbs) into an odin_graph.
 * Everything is verified before use (fb_reader.c does the FlatBuffers level; this file
 * checks what the schema means: enums, ranks, indices, data placement). read_file maps
 * the file and leaves constant tensors pointing into the mapping; read_mem copies. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fb_reader.h"
#include "odin_format.h"
#include "serialize.h"

typedef struct reader {
    odin_fb_reader fb;
    const char *what;   /* file name for messages */
    char where[160];    /* the object being read: "tensor 3 'w'" */
    uint8_t *map;       /* non-NULL: constant data stays in this mapping */
    odin_graph *g;
    odin_arena scratch; /* per-node temporaries, freed after each node */
} reader;

/* One-line error: "<file>: <where>: <reason>". */
static odin_status fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static odin_status fail(reader *r, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->where[0]) return odin_errorf("%s: %s: %s", r->what, r->where, msg);
    return odin_errorf("%s: %s", r->what, msg);
}

/* A name from the file, made safe for a one-line message (control bytes escaped,
 * long names cut). */
static const char *printable(const char *s, char *buf, size_t size) {
    size_t o = 0;
    for (; s && *s && o + 5 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != 0x7f) buf[o++] = (char)c;
        else o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
    }
    buf[o] = 0;
    return buf;
}

/* An error from the graph API, re-issued with the file and object it concerns. */
static odin_status wrap(reader *r, odin_status st) {
    if (!st) return ODIN_OK;
    odin_status e = fail(r, "%s", odin_status_message(st));
    odin_status_free(st);
    return e;
}

/* The FlatBuffers-level error recorded by fb_reader, if any. */
#define FB_CHECK(r)                                                                        \
    do {                                                                                   \
        if ((r)->fb.failed) return fail((r), "%s", (r)->fb.err);                           \
    } while (0)

static odin_status read_dtype(reader *r, const odin_fb_table *t, int id, odin_dtype *out) {
    uint64_t v;
    odin_fb_scalar(&r->fb, t, id, "dtype", 1, 0, &v);
    FB_CHECK(r);
    int code = (int8_t)v;
    if (code < 0 || code >= ODIN_FB_N_DTYPES) return fail(r, "bad dtype enum value %d", code);
    *out = odin_fb_dtypes[code];
    return ODIN_OK;
}

/* dims / unknown_rank of a Tensor or AttrTensor; min_dim is the smallest extent allowed. */
static odin_status read_shape(reader *r, const odin_fb_table *t, int id_unknown, int id_dims,
                              int *rank, int64_t *dims) {
    uint64_t unknown;
    odin_fb_vec v;
    odin_fb_scalar(&r->fb, t, id_unknown, "unknown_rank", 1, 0, &unknown);
    odin_fb_vector_field(&r->fb, t, id_dims, "dims", 8, &v);
    FB_CHECK(r);
    if (unknown && v.len) return fail(r, "unknown rank but %u dims given", v.len);
    if (v.len > ODIN_MAX_RANK) return fail(r, "rank %u exceeds the maximum %d", v.len, ODIN_MAX_RANK);
    *rank = unknown ? -1 : (int)v.len;
    for (int i = 0; i < ODIN_MAX_RANK; i++) dims[i] = -1;
    for (uint32_t i = 0; i < v.len; i++) {
        dims[i] = (int64_t)odin_fb_vec_scalar(&r->fb, &v, i);
        if (dims[i] < -1) return fail(r, "dim %u is %lld (must be >= 0, or -1 if unknown)", i, (long long)dims[i]);
    }
    return ODIN_OK;
}

/* Element count of a known shape, -1 if any dim is unknown; errors on overflow. */
static odin_status shape_numel(reader *r, int rank, const int64_t *dims, int64_t *numel) {
    int64_t n = 1;
    *numel = -1;
    if (rank < 0) return ODIN_OK;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0) return ODIN_OK;
    for (int i = 0; i < rank; i++)
        if (__builtin_mul_overflow(n, dims[i], &n) || n > ((int64_t)1 << 56))
            return fail(r, "shape has too many elements");
    *numel = n;
    return ODIN_OK;
}

/* A vector of strings into an arena array of n pointers (strings copied or in place). */
static odin_status read_strings(reader *r, const odin_fb_vec *v, odin_arena *a, bool copy,
                                const char ***out) {
    const char **ss = odin_arena_alloc(a, sizeof *ss * (v->len ? v->len : 1), 8);
    if (!ss) return fail(r, "out of memory");
    for (uint32_t i = 0; i < v->len; i++) {
        uint32_t len;
        odin_fb_vec_string(&r->fb, v, i, &ss[i], &len);
        FB_CHECK(r);
        if (copy && !(ss[i] = odin_arena_strdup(a, ss[i]))) return fail(r, "out of memory");
    }
    *out = ss;
    return ODIN_OK;
}

static odin_status read_tensor_data(reader *r, const odin_fb_table *t, int idx, int64_t numel) {
    odin_graph *g = r->g;
    odin_tensor *tt = &g->tensors[idx];
    uint64_t off, size;
    odin_fb_vec sv;
    odin_fb_scalar(&r->fb, t, TENSOR_DATA_OFFSET, "data_offset", 8, 0, &off);
    odin_fb_scalar(&r->fb, t, TENSOR_DATA_SIZE, "data_size", 8, 0, &size);
    odin_fb_vector_field(&r->fb, t, TENSOR_STRING_DATA, "string_data", 4, &sv);
    FB_CHECK(r);
    if (!(tt->flags & ODIN_TENSOR_CONST)) {
        if (off || size || sv.len) return fail(r, "has data but is not flagged Constant");
        return ODIN_OK;
    }
    if (tt->dtype == ODIN_STRING) {
        if (off || size) return fail(r, "string tensor with a data section blob");
        if (numel < 0) return fail(r, "string constant needs a known shape");
        if ((int64_t)sv.len != numel)
            return fail(r, "string_data has %u strings, shape needs %lld", sv.len, (long long)numel);
        const char **ss;
        ODIN_TRY(read_strings(r, &sv, &g->arena, true, &ss));
        tt->data = ss;
        tt->nbytes = sv.len * sizeof(char *);
        return ODIN_OK;
    }
    if (sv.len) return fail(r, "string_data on a tensor of dtype %s", odin_dtype_name(tt->dtype));
    uint64_t fsize = r->fb.size;
    if (off > fsize || size > fsize - off)
        return fail(r, "data [offset %llu, size %llu] runs past end of file (size %llu)",
                    (unsigned long long)off, (unsigned long long)size, (unsigned long long)fsize);
    if (off % ODIN_DATA_ALIGN)
        return fail(r, "data offset %llu is not %d-byte aligned", (unsigned long long)off,
                    ODIN_DATA_ALIGN);
    size_t esize = odin_dtype_size(tt->dtype);
    if (numel >= 0 && esize && size < (uint64_t)numel * esize) {
        char shape[128];
        odin_format_shape(shape, sizeof shape, tt->rank, tt->dims, NULL);
        return fail(r, "data size %llu is smaller than %s %s needs (%llu bytes)",
                    (unsigned long long)size, odin_dtype_name(tt->dtype), shape,
                    (unsigned long long)numel * esize);
    }
    if (r->map && size) {
        odin_tensor_set_external_data(g, idx, r->map + off, (size_t)size);
        return ODIN_OK;
    }
    return wrap(r, odin_tensor_set_data(g, idx, r->fb.buf + off, (size_t)size));
}

static odin_status read_tensor(reader *r, const odin_fb_vec *tensors, uint32_t i) {
    odin_fb_table t;
    snprintf(r->where, sizeof r->where, "tensor %u", i);
    odin_fb_vec_table(&r->fb, tensors, i, "Tensor", &t);
    const char *name;
    uint32_t nlen;
    odin_fb_string_field(&r->fb, &t, TENSOR_NAME, "name", &name, &nlen);
    FB_CHECK(r);
    if (!name || !*name) return fail(r, "tensor has no name");
    char pn[80];
    snprintf(r->where, sizeof r->where, "tensor %u '%s'", i, printable(name, pn, sizeof pn));
    odin_dtype dtype;
    int rank;
    int64_t dims[ODIN_MAX_RANK], numel;
    ODIN_TRY(read_dtype(r, &t, TENSOR_DTYPE, &dtype));
    ODIN_TRY(read_shape(r, &t, TENSOR_UNKNOWN_RANK, TENSOR_DIMS, &rank, dims));
    ODIN_TRY(shape_numel(r, rank, dims, &numel));
    odin_fb_vec params;
    uint64_t flags;
    odin_fb_vector_field(&r->fb, &t, TENSOR_DIM_PARAMS, "dim_params", 4, &params);
    odin_fb_scalar(&r->fb, &t, TENSOR_FLAGS, "flags", 4, 0, &flags);
    FB_CHECK(r);
    if (params.len && (rank < 0 || params.len != (uint32_t)rank))
        return fail(r, "%u dim_params for rank %d", params.len, rank);
    if (flags & ~(uint64_t)(FB_FLAG_INPUT | FB_FLAG_OUTPUT | FB_FLAG_CONST | FB_FLAG_EXTERNAL))
        return fail(r, "unknown tensor flags 0x%llx", (unsigned long long)flags);
    odin_graph *g = r->g;
    int idx;
    ODIN_TRY(wrap(r, odin_graph_add_tensor(g, name, dtype, rank, dims, &idx)));
    odin_tensor *tt = &g->tensors[idx];
    /* External describes memory, not the model: it is never taken from a file. */
    tt->flags = (uint32_t)flags & (FB_FLAG_INPUT | FB_FLAG_OUTPUT | FB_FLAG_CONST);
    for (uint32_t d = 0; d < params.len; d++) {
        const char *p;
        uint32_t plen;
        odin_fb_vec_string(&r->fb, &params, d, &p, &plen);
        FB_CHECK(r);
        if (*p && !(tt->dim_params[d] = odin_arena_strdup(&g->arena, p)))
            return fail(r, "out of memory");
    }
    return read_tensor_data(r, &t, idx, numel);
}

static odin_status read_attr_tensor(reader *r, const odin_fb_table *t, odin_value *v) {
    if (!t->pos) return fail(r, "tensor attribute without a value");
    ODIN_TRY(read_dtype(r, t, ATT_DTYPE, &v->dtype));
    ODIN_TRY(read_shape(r, t, ATT_UNKNOWN_RANK, ATT_DIMS, &v->rank, v->dims));
    int64_t numel;
    ODIN_TRY(shape_numel(r, v->rank, v->dims, &numel));
    odin_fb_vec data, strs;
    odin_fb_vector_field(&r->fb, t, ATT_DATA, "data", 1, &data);
    odin_fb_vector_field(&r->fb, t, ATT_STRINGS, "strings", 4, &strs);
    FB_CHECK(r);
    if (v->dtype == ODIN_STRING) {
        if (data.len) return fail(r, "string tensor with byte data");
        if ((int64_t)strs.len != (numel < 0 ? 0 : numel))
            return fail(r, "%u strings for %lld elements", strs.len, (long long)numel);
        const char **ss;
        ODIN_TRY(read_strings(r, &strs, &r->scratch, false, &ss));
        v->data = ss;
        return ODIN_OK;
    }
    if (strs.len) return fail(r, "strings in a tensor of dtype %s", odin_dtype_name(v->dtype));
    uint64_t need = numel < 0 ? 0 : (uint64_t)numel * odin_dtype_size(v->dtype);
    if (data.len != need)
        return fail(r, "tensor value has %u data bytes, dtype %s and shape need %llu", data.len,
                    odin_dtype_name(v->dtype), (unsigned long long)need);
    /* odin_attr_copy copies exactly that many bytes into the graph arena. */
    v->data = (void *)odin_fb_vec_bytes(&r->fb, &data);
    return ODIN_OK;
}

static odin_status read_attr(reader *r, const odin_fb_table *t, const char *node_where,
                             uint32_t index, odin_attr *a) {
    memset(a, 0, sizeof *a);
    const char *name;
    uint32_t len;
    uint64_t kind, bits;
    odin_fb_string_field(&r->fb, t, ATTR_NAME, "name", &name, &len);
    odin_fb_scalar(&r->fb, t, ATTR_KIND, "kind", 1, 0, &kind);
    FB_CHECK(r);
    char pn[64];
    snprintf(r->where, sizeof r->where, "%s: attribute %u '%s'", node_where, index,
             printable(name, pn, sizeof pn));
    if (!name || !*name) return fail(r, "attribute without a name");
    a->name = name;
    int k = (int8_t)kind;
    if (k < 0 || k > ODIN_ATTR_TENSOR) return fail(r, "unknown attribute kind %d", k);
    a->kind = (odin_attr_kind)k;
    odin_fb_vec v;
    odin_status st = ODIN_OK;
    switch (a->kind) {
    case ODIN_ATTR_INT:
        odin_fb_scalar(&r->fb, t, ATTR_I, "i", 8, 0, &bits);
        a->i = (int64_t)bits;
        break;
    case ODIN_ATTR_FLOAT: {
        odin_fb_scalar(&r->fb, t, ATTR_F, "f", 4, 0, &bits);
        uint32_t u = (uint32_t)bits;
        memcpy(&a->f, &u, 4);
        break;
    }
    case ODIN_ATTR_STRING:
        odin_fb_string_field(&r->fb, t, ATTR_S, "s", &a->s, &len);
        a->s_len = len;
        if (!a->s) a->s = "";
        break;
    case ODIN_ATTR_INTS:
    case ODIN_ATTR_FLOATS: {
        bool ints = a->kind == ODIN_ATTR_INTS;
        odin_fb_vector_field(&r->fb, t, ints ? ATTR_INTS : ATTR_FLOATS, ints ? "ints" : "floats",
                             ints ? 8 : 4, &v);
        FB_CHECK(r);
        void *arr = odin_arena_alloc(&r->scratch, (size_t)v.len * v.elem_size + 8, 8);
        if (!arr) return fail(r, "out of memory");
        for (uint32_t i = 0; i < v.len; i++) {
            uint64_t x = odin_fb_vec_scalar(&r->fb, &v, i);
            if (ints) ((int64_t *)arr)[i] = (int64_t)x;
            else {
                uint32_t u = (uint32_t)x;
                memcpy((float *)arr + i, &u, 4);
            }
        }
        if (ints) a->ints = arr;
        else a->floats = arr;
        a->count = (int)v.len;
        break;
    }
    case ODIN_ATTR_STRINGS:
        odin_fb_vector_field(&r->fb, t, ATTR_STRINGS, "strings", 4, &v);
        FB_CHECK(r);
        st = read_strings(r, &v, &r->scratch, false, &a->strings);
        a->count = (int)v.len;
        break;
    case ODIN_ATTR_TENSOR: {
        odin_fb_table tt;
        odin_fb_table_field(&r->fb, t, ATTR_T, "t", "AttrTensor", &tt);
        FB_CHECK(r);
        st = read_attr_tensor(r, &tt, &a->t);
        break;
    }
    default: break;
    }
    if (st) return st;
    FB_CHECK(r);
    return ODIN_OK;
}

/* Tensor indices of a node's inputs or outputs, into a scratch array. */
static odin_status read_indices(reader *r, const odin_fb_table *t, int id, const char *field,
                                const char *what, int **out, int *n) {
    odin_fb_vec v;
    odin_fb_vector_field(&r->fb, t, id, field, 4, &v);
    FB_CHECK(r);
    int *arr = odin_arena_alloc(&r->scratch, sizeof(int) * (v.len ? v.len : 1), 4);
    if (!arr) return fail(r, "out of memory");
    for (uint32_t i = 0; i < v.len; i++) {
        arr[i] = (int32_t)(uint32_t)odin_fb_vec_scalar(&r->fb, &v, i);
        if (arr[i] < -1 || arr[i] >= r->g->n_tensors)
            return fail(r, "%s %u is tensor index %d, out of range (%d tensors)", what, i, arr[i],
                        r->g->n_tensors);
    }
    *out = arr;
    *n = (int)v.len;
    return ODIN_OK;
}

static odin_status read_node_body(reader *r, const odin_fb_vec *nodes, uint32_t i) {
    odin_fb_table t;
    snprintf(r->where, sizeof r->where, "node %u", i);
    odin_fb_vec_table(&r->fb, nodes, i, "Node", &t);
    const char *name, *op, *domain;
    uint32_t len;
    odin_fb_string_field(&r->fb, &t, NODE_NAME, "name", &name, &len);
    odin_fb_string_field(&r->fb, &t, NODE_OP, "op", &op, &len);
    odin_fb_string_field(&r->fb, &t, NODE_DOMAIN, "domain", &domain, &len);
    FB_CHECK(r);
    char pn[64], po[40];
    snprintf(r->where, sizeof r->where, "node %u '%s' (%s)", i, printable(name, pn, sizeof pn),
             op ? printable(op, po, sizeof po) : "?");
    if (!op || !*op) return fail(r, "node has no op type");
    char node_where[sizeof r->where];
    memcpy(node_where, r->where, sizeof node_where);
    int *ins, *outs, n_in, n_out;
    ODIN_TRY(read_indices(r, &t, NODE_INPUTS, "inputs", "input", &ins, &n_in));
    ODIN_TRY(read_indices(r, &t, NODE_OUTPUTS, "outputs", "output", &outs, &n_out));
    odin_fb_vec av;
    odin_fb_vector_field(&r->fb, &t, NODE_ATTRS, "attrs", 4, &av);
    FB_CHECK(r);
    odin_attr *attrs = odin_arena_alloc(&r->scratch, sizeof *attrs * (av.len ? av.len : 1), 8);
    if (!attrs) return fail(r, "out of memory");
    for (uint32_t k = 0; k < av.len; k++) {
        odin_fb_table at;
        snprintf(r->where, sizeof r->where, "%s: attribute %u", node_where, k);
        odin_fb_vec_table(&r->fb, &av, k, "Attr", &at);
        FB_CHECK(r);
        ODIN_TRY(read_attr(r, &at, node_where, k, &attrs[k]));
    }
    memcpy(r->where, node_where, sizeof r->where); /* errors below concern the node */
    return wrap(r, odin_graph_add_node(r->g, name, op, domain, ins, n_in, outs, n_out, attrs,
                                       (int)av.len, NULL));
}

static odin_status read_node(reader *r, const odin_fb_vec *nodes, uint32_t i) {
    odin_arena_init(&r->scratch);
    odin_status st = read_node_body(r, nodes, i);
    odin_arena_free(&r->scratch);
    return st;
}

static odin_status read_graph_io(reader *r, const odin_fb_table *m, int id, const char *field) {
    odin_fb_vec v;
    odin_fb_vector_field(&r->fb, m, id, field, 4, &v);
    FB_CHECK(r);
    for (uint32_t i = 0; i < v.len; i++) {
        int t = (int32_t)(uint32_t)odin_fb_vec_scalar(&r->fb, &v, i);
        if (t < 0 || t >= r->g->n_tensors)
            return fail(r, "graph %s %u is tensor index %d, out of range (%d tensors)", field, i,
                        t, r->g->n_tensors);
        ODIN_TRY(wrap(r, id == MODEL_INPUTS ? odin_graph_add_input(r->g, t)
                                            : odin_graph_add_output(r->g, t)));
    }
    return ODIN_OK;
}

static void ident_text(const uint8_t *p, char out[17]) {
    char *o = out;
    for (int i = 0; i < 4; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\'' && p[i] != '\\') *o++ = (char)p[i];
        else o += sprintf(o, "\\x%02x", p[i]);
    }
    *o = 0;
}

static odin_status read_model(reader *r) {
    const uint8_t *buf = r->fb.buf;
    size_t size = r->fb.size;
    if (size < 8) return fail(r, "truncated (%zu bytes)", size);
    if (memcmp(buf + 4, ODIN_FORMAT_IDENT, 4) != 0) {
        char id[17];
        ident_text(buf + 4, id);
        return fail(r, "not an ODIN file (file identifier is '%s', expected '%s')", id,
                    ODIN_FORMAT_IDENT);
    }
    odin_fb_table m;
    odin_fb_root(&r->fb, "Model", &m);
    uint64_t version, opset, opset_ms;
    odin_fb_scalar(&r->fb, &m, MODEL_FORMAT_VERSION, "format_version", 4, 0, &version);
    FB_CHECK(r);
    if (version != ODIN_FORMAT_VERSION)
        return fail(r, "unsupported format version %llu (this reader knows %d)",
                    (unsigned long long)version, ODIN_FORMAT_VERSION);
    const char *name;
    uint32_t len;
    odin_fb_string_field(&r->fb, &m, MODEL_NAME, "name", &name, &len);
    odin_fb_scalar(&r->fb, &m, MODEL_OPSET, "opset", 4, 0, &opset);
    odin_fb_scalar(&r->fb, &m, MODEL_OPSET_MS, "opset_ms", 4, 0, &opset_ms);
    odin_fb_vec meta, tensors, nodes;
    odin_fb_vector_field(&r->fb, &m, MODEL_METADATA, "metadata", 4, &meta);
    odin_fb_vector_field(&r->fb, &m, MODEL_TENSORS, "tensors", 4, &tensors);
    odin_fb_vector_field(&r->fb, &m, MODEL_NODES, "nodes", 4, &nodes);
    FB_CHECK(r);
    if (tensors.len > (uint32_t)INT32_MAX / 2 || nodes.len > (uint32_t)INT32_MAX / 2)
        return fail(r, "too many tensors or nodes");
    odin_graph *g = r->g = odin_graph_new(name);
    if (!g) return fail(r, "out of memory");
    g->opset = (int32_t)(uint32_t)opset;
    g->opset_ms = (int32_t)(uint32_t)opset_ms;
    for (uint32_t i = 0; i < meta.len; i++) {
        odin_fb_table kv;
        const char *k, *v;
        snprintf(r->where, sizeof r->where, "metadata %u", i);
        odin_fb_vec_table(&r->fb, &meta, i, "KeyValue", &kv);
        odin_fb_string_field(&r->fb, &kv, KV_KEY, "key", &k, &len);
        odin_fb_string_field(&r->fb, &kv, KV_VALUE, "value", &v, &len);
        FB_CHECK(r);
        if (!k) return fail(r, "entry without a key");
        ODIN_TRY(wrap(r, odin_graph_set_meta(g, k, v ? v : "")));
    }
    for (uint32_t i = 0; i < tensors.len; i++) ODIN_TRY(read_tensor(r, &tensors, i));
    for (uint32_t i = 0; i < nodes.len; i++) ODIN_TRY(read_node(r, &nodes, i));
    r->where[0] = 0;
    ODIN_TRY(read_graph_io(r, &m, MODEL_INPUTS, "inputs"));
    ODIN_TRY(read_graph_io(r, &m, MODEL_OUTPUTS, "outputs"));
    return ODIN_OK;
}

/* Shared by read_mem and read_file; map != NULL keeps constant data in the mapping. */
static odin_status read_buffer(const void *buf, size_t size, const char *what, uint8_t *map,
                               odin_graph **out) {
    reader r;
    memset(&r, 0, sizeof r);
    odin_fb_reader_init(&r.fb, buf, size);
    r.what = what ? what : "<memory>";
    r.map = map;
    odin_status st = read_model(&r);
    if (st) {
        odin_graph_free(r.g);
        return st;
    }
    *out = r.g;
    return ODIN_OK;
}

odin_status odin_graph_read_mem(const void *buf, size_t size, const char *what,
                                odin_graph **out) {
    *out = NULL;
    if (!buf && size) return odin_errorf("%s: no buffer", what ? what : "<memory>");
    return read_buffer(buf ? buf : "", size, what, NULL, out);
}

odin_status odin_graph_read_file(const char *path, odin_graph **out) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return odin_errorf("%s: cannot open: %m", path);
    struct stat stt;
    if (fstat(fd, &stt) != 0) {
        close(fd);
        return odin_errorf("%s: cannot stat: %m", path);
    }
    if (!S_ISREG(stt.st_mode)) {
        close(fd);
        return odin_errorf("%s: not a regular file", path);
    }
    size_t size = (size_t)stt.st_size;
    if (size < 8) {
        close(fd);
        return odin_errorf("%s: truncated (%zu bytes)", path, size);
    }
    /* Private and writable: a pass that rewrites weights in place gets its own pages,
     * never the file's. */
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return odin_errorf("%s: cannot map %zu bytes: %m", path, size);
    odin_graph *g = NULL;
    odin_status st = read_buffer(map, size, path, map, &g);
    if (st) {
        munmap(map, size);
        return st;
    }
    g->external_map = map;
    g->external_size = size;
    *out = g;
    return ODIN_OK;
}
