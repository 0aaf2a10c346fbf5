/* tests/test_serialize.c — .odin files: round trips of every attribute kind and dtype,
 * byte-identical rewrites, mmap'ed 64-byte aligned weights, and malformed input
 * (truncation at every length, random corruption with a fixed seed, bad identifier,
 * out-of-range offsets and indices, huge vector lengths, bad enums) that must give a
 * one-line error naming the file and never crash.
 * Helper modes for scripts: --write PATH (the sample model), --dump PATH (read with
 * odin_graph_read_file and print a canonical text form), --corpus DIR (fuzz seeds). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "../ir/fb_builder.h"
#include "../ir/graph.h"
#include "../ir/serialize.h"
#include "test.h"

static char tmp_dir[512];

static const char *tmp_path(const char *name) {
    static char buf[4][600];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp_dir, name);
    return buf[k];
}

static void make_tmp_dir(void) {
    const char *b = getenv("BUILD");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/tmp", b && *b ? b : "build");
    mkdir(b && *b ? b : "build", 0777);
    mkdir(tmp_dir, 0777);
}

/* ---- the sample graph: every dtype, every attribute kind, symbolic dims ---- */

static const float w_data[12] = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f,
                                 2.0f,  2.5f,  3.0f, 3.5f, 4.0f, 4.5f};
static const uint16_t f16_data[5] = {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000};
static const uint16_t bf16_data[2] = {0x3F80, 0x4049};
static const double f64_data[2] = {3.141592653589793, -1e300};
static const int8_t i8_data[3] = {-128, 0, 127};
static const uint8_t u8_data[2] = {0, 255};
static const int16_t i16_data[2] = {-32768, 32767};
static const uint16_t u16_data[1] = {65535};
static const int32_t i32_data[2] = {INT32_MIN, 7};
static const uint32_t u32_data[1] = {4000000000u};
static const int64_t i64_data[2] = {INT64_MIN, INT64_MAX};
static const uint64_t u64_data[1] = {UINT64_MAX};
static const uint8_t bool_data[3] = {1, 0, 1};
static const float scalar_data[1] = {2.5f};
static const int64_t big_dims[2] = {1234567, 7654321}; /* found by byte search in tests */

static int add_t(odin_graph *g, const char *name, odin_dtype dt, int rank, const int64_t *dims,
                 const void *data, size_t nbytes) {
    int t = -1;
    CHECK_OK(odin_graph_add_tensor(g, name, dt, rank, dims, &t));
    if (data) CHECK_OK(odin_tensor_set_data(g, t, data, nbytes));
    return t;
}

static odin_graph *make_sample(void) {
    odin_graph *g = odin_graph_new("sample");
    g->opset = 17;
    g->opset_ms = 1;
    CHECK_OK(odin_graph_set_meta(g, "producer", "odin-test"));
    CHECK_OK(odin_graph_set_meta(g, "doc", "hello \"world\""));
    int64_t xd[3] = {-1, 3, 4};
    int x = add_t(g, "x", ODIN_F32, 3, xd, NULL, 0);
    g->tensors[x].dim_params[0] = "batch";
    int64_t wd[2] = {3, 4};
    int w = add_t(g, "w", ODIN_F32, 2, wd, w_data, sizeof w_data);
    add_t(g, "h", ODIN_F16, 1, (int64_t[]){5}, f16_data, sizeof f16_data);
    add_t(g, "bf", ODIN_BF16, 1, (int64_t[]){2}, bf16_data, sizeof bf16_data);
    add_t(g, "d", ODIN_F64, 1, (int64_t[]){2}, f64_data, sizeof f64_data);
    add_t(g, "i8", ODIN_I8, 1, (int64_t[]){3}, i8_data, sizeof i8_data);
    add_t(g, "u8", ODIN_U8, 1, (int64_t[]){2}, u8_data, sizeof u8_data);
    add_t(g, "i16", ODIN_I16, 1, (int64_t[]){2}, i16_data, sizeof i16_data);
    add_t(g, "u16", ODIN_U16, 1, (int64_t[]){1}, u16_data, sizeof u16_data);
    add_t(g, "i32", ODIN_I32, 1, (int64_t[]){2}, i32_data, sizeof i32_data);
    add_t(g, "u32", ODIN_U32, 1, (int64_t[]){1}, u32_data, sizeof u32_data);
    add_t(g, "i64", ODIN_I64, 1, (int64_t[]){2}, i64_data, sizeof i64_data);
    add_t(g, "u64", ODIN_U64, 1, (int64_t[]){1}, u64_data, sizeof u64_data);
    add_t(g, "flags", ODIN_BOOL, 1, (int64_t[]){3}, bool_data, sizeof bool_data);
    add_t(g, "scalar", ODIN_F32, 0, NULL, scalar_data, sizeof scalar_data);
    int unk = add_t(g, "unk", ODIN_F32, -1, NULL, NULL, 0);
    int sc = add_t(g, "names", ODIN_STRING, 1, (int64_t[]){2}, NULL, 0);
    const char **ss = odin_arena_alloc(&g->arena, 2 * sizeof(char *), 8);
    ss[0] = "alpha";
    ss[1] = "beta";
    g->tensors[sc].data = ss;
    g->tensors[sc].nbytes = 2 * sizeof(char *);
    g->tensors[sc].flags |= ODIN_TENSOR_CONST;
    int64_t yd[3] = {-1, 3, -1};
    int y = add_t(g, "y", ODIN_F32, 3, yd, NULL, 0);
    g->tensors[y].dim_params[0] = "batch";
    g->tensors[y].dim_params[2] = "seq";
    add_t(g, "empty", ODIN_F32, 1, (int64_t[]){0}, "", 0);
    add_t(g, "big", ODIN_U8, 2, big_dims, NULL, 0);

    CHECK_OK(odin_graph_add_node(g, "mm", "MatMul", "", (int[]){x, w}, 2, (int[]){y}, 1, NULL, 0,
                                 NULL));
    static const int64_t ints[3] = {1, -1, INT64_MAX};
    static const float floats[2] = {1.5f, -2.25f};
    static const char *strs[3] = {"a", "", "ccc"};
    static const float tdata[4] = {1, 2, 3, 4};
    static const char *tstrs[2] = {"p", "q"};
    static const int64_t tscalar = 42;
    odin_attr attrs[] = {
        ODIN_ATTR_I("i", -123456789012LL),
        ODIN_ATTR_F("f", 0.1f),
        ODIN_ATTR_F("negzero", -0.0f),
        {.name = "s", .kind = ODIN_ATTR_STRING, .s = "hello\0world", .s_len = 11},
        ODIN_ATTR_S("empty_s", ""),
        ODIN_ATTR_INTS("ints", ints, 3),
        {.name = "floats", .kind = ODIN_ATTR_FLOATS, .floats = (float *)floats, .count = 2},
        {.name = "strings", .kind = ODIN_ATTR_STRINGS, .strings = strs, .count = 3},
        {.name = "t", .kind = ODIN_ATTR_TENSOR,
         .t = {.dtype = ODIN_F32, .rank = 2, .dims = {2, 2}, .data = (void *)tdata}},
        {.name = "ts", .kind = ODIN_ATTR_TENSOR,
         .t = {.dtype = ODIN_STRING, .rank = 1, .dims = {2}, .data = (void *)tstrs}},
        {.name = "t0", .kind = ODIN_ATTR_TENSOR,
         .t = {.dtype = ODIN_I64, .rank = 0, .data = (void *)&tscalar}},
        ODIN_ATTR_INTS("no_ints", NULL, 0),
        {.name = "u", .kind = ODIN_ATTR_UNDEFINED},
    };
    CHECK_OK(odin_graph_add_node(g, "all_attrs", "CustomOp", "ai.odin", (int[]){x, -1, w}, 3,
                                 (int[]){unk, -1}, 2, attrs, (int)(sizeof attrs / sizeof attrs[0]),
                                 NULL));
    CHECK_OK(odin_graph_add_input(g, x));
    CHECK_OK(odin_graph_add_output(g, y));
    CHECK_OK(odin_graph_add_output(g, unk));
    return g;
}

/* ---- field-by-field comparison ---- */

static int str_eq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static int attr_eq(const odin_attr *a, const odin_attr *b) {
    if (!str_eq(a->name, b->name) || a->kind != b->kind) return 0;
    switch (a->kind) {
    case ODIN_ATTR_INT: return a->i == b->i;
    case ODIN_ATTR_FLOAT: return memcmp(&a->f, &b->f, 4) == 0;
    case ODIN_ATTR_STRING:
        return a->s_len == b->s_len && memcmp(a->s, b->s, a->s_len) == 0 && b->s[b->s_len] == 0;
    case ODIN_ATTR_INTS:
        return a->count == b->count && (!a->count || !memcmp(a->ints, b->ints, 8 * a->count));
    case ODIN_ATTR_FLOATS:
        return a->count == b->count && (!a->count || !memcmp(a->floats, b->floats, 4 * a->count));
    case ODIN_ATTR_STRINGS:
        if (a->count != b->count) return 0;
        for (int i = 0; i < a->count; i++)
            if (!str_eq(a->strings[i], b->strings[i])) return 0;
        return 1;
    case ODIN_ATTR_TENSOR: {
        if (a->t.dtype != b->t.dtype || a->t.rank != b->t.rank) return 0;
        for (int i = 0; i < a->t.rank; i++)
            if (a->t.dims[i] != b->t.dims[i]) return 0;
        int64_t n = odin_value_numel(&a->t);
        if (a->t.dtype == ODIN_STRING) {
            for (int64_t i = 0; i < n; i++)
                if (!str_eq(((const char **)a->t.data)[i], ((const char **)b->t.data)[i])) return 0;
            return 1;
        }
        return memcmp(a->t.data, b->t.data, odin_value_nbytes(&a->t)) == 0;
    }
    default: return 1;
    }
}

/* Checks b (read back) against a (the original), one CHECK per differing field. */
static void check_graph_eq(const odin_graph *a, const odin_graph *b) {
    CHECK(str_eq(a->name, b->name), "name %s vs %s", a->name, b->name);
    CHECK(a->opset == b->opset && a->opset_ms == b->opset_ms, "opsets");
    CHECK(a->n_meta == b->n_meta, "n_meta %d vs %d", a->n_meta, b->n_meta);
    for (int i = 0; i < a->n_meta && i < b->n_meta; i++)
        CHECK(str_eq(a->meta[i].key, b->meta[i].key) && str_eq(a->meta[i].value, b->meta[i].value),
              "meta %d", i);
    CHECK(a->n_tensors == b->n_tensors, "n_tensors %d vs %d", a->n_tensors, b->n_tensors);
    for (int i = 0; i < a->n_tensors && i < b->n_tensors; i++) {
        const odin_tensor *x = &a->tensors[i], *y = &b->tensors[i];
        CHECK(str_eq(x->name, y->name), "tensor %d name", i);
        CHECK(x->dtype == y->dtype && x->rank == y->rank, "tensor %s dtype/rank", x->name);
        for (int d = 0; d < x->rank && d < ODIN_MAX_RANK; d++) {
            CHECK(x->dims[d] == y->dims[d], "tensor %s dim %d", x->name, d);
            CHECK(str_eq(x->dim_params[d], y->dim_params[d]), "tensor %s dim_param %d", x->name, d);
        }
        CHECK((x->flags & ~ODIN_TENSOR_EXTERNAL) == (y->flags & ~ODIN_TENSOR_EXTERNAL),
              "tensor %s flags %u vs %u", x->name, x->flags, y->flags);
        CHECK(x->nbytes == y->nbytes, "tensor %s nbytes %zu vs %zu", x->name, x->nbytes, y->nbytes);
        if (x->dtype == ODIN_STRING && x->data && y->data) {
            for (size_t k = 0; k < x->nbytes / sizeof(char *); k++)
                CHECK(str_eq(((const char **)x->data)[k], ((const char **)y->data)[k]),
                      "tensor %s string %zu", x->name, k);
        } else if (x->nbytes == y->nbytes && x->nbytes) {
            CHECK(y->data && memcmp(x->data, y->data, x->nbytes) == 0, "tensor %s data", x->name);
        }
        CHECK(x->producer == y->producer, "tensor %s producer", x->name);
    }
    CHECK(a->n_nodes == b->n_nodes, "n_nodes %d vs %d", a->n_nodes, b->n_nodes);
    for (int i = 0; i < a->n_nodes && i < b->n_nodes; i++) {
        const odin_node *x = &a->nodes[i], *y = &b->nodes[i];
        CHECK(str_eq(x->name, y->name) && str_eq(x->op, y->op) && str_eq(x->domain, y->domain),
              "node %d name/op/domain", i);
        CHECK(x->def == y->def, "node %s op def", x->name);
        CHECK(x->n_inputs == y->n_inputs && x->n_outputs == y->n_outputs &&
                  x->n_attrs == y->n_attrs,
              "node %s counts", x->name);
        for (int k = 0; k < x->n_inputs && k < y->n_inputs; k++)
            CHECK(x->inputs[k] == y->inputs[k], "node %s input %d", x->name, k);
        for (int k = 0; k < x->n_outputs && k < y->n_outputs; k++)
            CHECK(x->outputs[k] == y->outputs[k], "node %s output %d", x->name, k);
        for (int k = 0; k < x->n_attrs && k < y->n_attrs; k++)
            CHECK(attr_eq(&x->attrs[k], &y->attrs[k]), "node %s attr %s", x->name, x->attrs[k].name);
    }
    CHECK(a->n_inputs == b->n_inputs && a->n_outputs == b->n_outputs, "graph io counts");
    for (int i = 0; i < a->n_inputs && i < b->n_inputs; i++) CHECK(a->inputs[i] == b->inputs[i], "input %d", i);
    for (int i = 0; i < a->n_outputs && i < b->n_outputs; i++)
        CHECK(a->outputs[i] == b->outputs[i], "output %d", i);
}

/* ---- round trips ---- */

static void test_roundtrip_mem(void) {
    odin_graph *g = make_sample();
    uint8_t *buf = NULL, *buf2 = NULL;
    size_t size = 0, size2 = 0;
    odin_graph *h = NULL;
    CHECK_OK(odin_graph_write_mem(g, &buf, &size));
    CHECK_OK(odin_graph_read_mem(buf, size, "sample.odin", &h));
    if (h) {
        check_graph_eq(g, h);
        /* spot checks against the literal values, independent of the writer */
        int w = odin_graph_find_tensor(h, "w");
        CHECK(w >= 0 && ((const float *)h->tensors[w].data)[11] == 4.5f, "w[11]");
        CHECK(w >= 0 && ((uintptr_t)h->tensors[w].data % 64) == 0, "copied data 64-aligned");
        CHECK(w >= 0 && !(h->tensors[w].flags & ODIN_TENSOR_EXTERNAL), "read_mem copies");
        const odin_node *n = &h->nodes[1];
        CHECK(odin_attr_i(n, "i") == -123456789012LL, "attr i");
        CHECK(odin_attr_f(n, "f") == 0.1f, "attr f");
        CHECK(strcmp(odin_attr_s(n, "empty_s"), "") == 0, "attr empty_s");
        const odin_attr *s = odin_node_attr(n, "s");
        CHECK(s && s->s_len == 11 && memcmp(s->s, "hello\0world", 11) == 0, "attr s with NUL");
        const odin_attr *nz = odin_node_attr(n, "negzero");
        CHECK(nz && signbit(nz->f), "-0.0 keeps its sign");
        CHECK(strcmp(odin_graph_get_meta(h, "doc"), "hello \"world\"") == 0, "meta doc");
        int x = odin_graph_find_tensor(h, "x");
        CHECK(x >= 0 && str_eq(h->tensors[x].dim_params[0], "batch") && !h->tensors[x].dim_params[1],
              "dim params");
        CHECK_OK(odin_graph_write_mem(h, &buf2, &size2));
        CHECK(size == size2 && memcmp(buf, buf2, size) == 0, "write-read-write differs (%zu vs %zu)",
              size, size2);
    }
    /* deterministic: writing the same graph twice gives the same bytes */
    uint8_t *buf3 = NULL;
    size_t size3 = 0;
    CHECK_OK(odin_graph_write_mem(g, &buf3, &size3));
    CHECK(size3 == size && memcmp(buf, buf3, size) == 0, "two writes differ");
    free(buf);
    free(buf2);
    free(buf3);
    odin_graph_free(h);
    odin_graph_free(g);
}

static void test_roundtrip_file_mmap(void) {
    odin_graph *g = make_sample();
    const char *path = tmp_path("test_serialize_sample.odin");
    CHECK_OK(odin_graph_write_file(g, path));
    odin_graph *h = NULL;
    CHECK_OK(odin_graph_read_file(path, &h));
    if (h) {
        check_graph_eq(g, h);
        CHECK(h->external_map && h->external_size > 0, "mapping kept");
        int blobs = 0;
        for (int i = 0; i < h->n_tensors; i++) {
            const odin_tensor *t = &h->tensors[i];
            if (!(t->flags & ODIN_TENSOR_CONST) || t->dtype == ODIN_STRING || !t->nbytes) continue;
            blobs++;
            const uint8_t *base = h->external_map;
            CHECK(t->flags & ODIN_TENSOR_EXTERNAL, "%s external", t->name);
            CHECK((const uint8_t *)t->data >= base &&
                      (const uint8_t *)t->data + t->nbytes <= base + h->external_size,
                  "%s inside mapping", t->name);
            CHECK((uintptr_t)t->data % 64 == 0, "%s pointer 64-aligned", t->name);
        }
        CHECK(blobs == 14, "blobs %d", blobs);
        uint8_t *a = NULL, *b = NULL;
        size_t as = 0, bs = 0;
        CHECK_OK(odin_graph_write_mem(g, &a, &as));
        CHECK_OK(odin_graph_write_mem(h, &b, &bs));
        CHECK(as == bs && a && b && memcmp(a, b, as) == 0, "rewrite of mmap'ed graph differs");
        free(a);
        free(b);
    }
    odin_graph_free(h);
    odin_graph_free(g);
    CHECK_ERR(odin_graph_read_file(tmp_path("does-not-exist.odin"), &h), "does-not-exist.odin: cannot open");
}

/* Facts of the format checked on the raw bytes, without our reader. */
static void test_layout(void) {
    odin_graph *g = make_sample();
    uint8_t *buf = NULL;
    size_t size = 0;
    CHECK_OK(odin_graph_write_mem(g, &buf, &size));
    if (buf) {
        CHECK(memcmp(buf + 4, "ODIN", 4) == 0, "identifier");
        uint32_t root;
        memcpy(&root, buf, 4);
        CHECK(root >= 8 && root < size && root % 4 == 0, "root offset %u", root);
        const uint8_t *w = memmem(buf, size, w_data, sizeof w_data);
        CHECK(w && (w - buf) % 64 == 0, "w's blob at a 64-byte boundary");
        const uint8_t *d = memmem(buf, size, f64_data, sizeof f64_data);
        CHECK(d && (d - buf) % 64 == 0 && d > w, "d's blob aligned and after w");
        CHECK(d && (size_t)(d - buf) + sizeof f64_data <= size, "in file");
    }
    free(buf);
    odin_graph_free(g);
}

static void test_empty_graph(void) {
    odin_graph *g = odin_graph_new("empty");
    g->opset = 0;
    uint8_t *buf = NULL, *buf2 = NULL;
    size_t size = 0, size2 = 0;
    odin_graph *h = NULL;
    CHECK_OK(odin_graph_write_mem(g, &buf, &size));
    CHECK_OK(odin_graph_read_mem(buf, size, "empty.odin", &h));
    if (h) {
        check_graph_eq(g, h);
        CHECK_OK(odin_graph_write_mem(h, &buf2, &size2));
        CHECK(size == size2 && !memcmp(buf, buf2, size), "rewrite");
    }
    free(buf);
    free(buf2);
    odin_graph_free(h);
    odin_graph_free(g);
}

/* Zero-length writes into a builder that has no buffer yet (found by fuzzing). */
static void test_builder_edge_cases(void) {
    odin_fb_builder b;
    odin_fb_builder_init(&b);
    odin_fb_ref s = odin_fb_string(&b, "abc", 3); /* needs no padding */
    odin_fb_ref v = odin_fb_vector_scalars(&b, NULL, 0, 8);
    odin_fb_table_start(&b);
    odin_fb_add_ref(&b, 0, s);
    odin_fb_add_ref(&b, 1, v);
    odin_fb_ref root = odin_fb_table_end(&b);
    size_t size = 0;
    const uint8_t *buf = odin_fb_finish(&b, root, "TEST", &size);
    CHECK(buf && size % 4 == 0 && memcmp(buf + 4, "TEST", 4) == 0, "finished buffer");
    odin_fb_builder_free(&b);
    odin_fb_builder_init(&b);
    odin_fb_ref e = odin_fb_vector_scalars(&b, NULL, 0, 4); /* first write is empty */
    CHECK(e != 0 && !b.failed, "empty vector");
    odin_fb_builder_free(&b);
    odin_graph *g = odin_graph_new("abc"), *h = NULL;
    g->opset = 0;
    uint8_t *out = NULL;
    size_t n = 0;
    CHECK_OK(odin_graph_write_mem(g, &out, &n));
    CHECK_OK(odin_graph_read_mem(out, n, "abc.odin", &h));
    CHECK(h && strcmp(h->name, "abc") == 0, "name");
    free(out);
    odin_graph_free(g);
    odin_graph_free(h);
}

/* ---- malformed input ---- */

static void test_truncated_every_length(void) {
    odin_graph *g = make_sample();
    uint8_t *buf = NULL;
    size_t size = 0;
    CHECK_OK(odin_graph_write_mem(g, &buf, &size));
    int errors = 0;
    for (size_t n = 0; buf && n < size; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees any overread */
        memcpy(copy, buf, n);
        odin_graph *h = NULL;
        odin_status st = odin_graph_read_mem(copy, n, "trunc.odin", &h);
        if (st) {
            errors++;
            if (strncmp(odin_status_message(st), "trunc.odin: ", 12) != 0)
                CHECK(0, "message lacks file: %s", odin_status_message(st));
            if (n < 8) CHECK(strstr(odin_status_message(st), "truncated"), "%s", odin_status_message(st));
        } else {
            CHECK(0, "truncated to %zu of %zu bytes was accepted", n, size);
        }
        CHECK(!h == !!st, "graph only on success");
        odin_status_free(st);
        odin_graph_free(h);
        free(copy);
    }
    CHECK((size_t)errors == size, "%d errors for %zu lengths", errors, size);
    free(buf);
    odin_graph_free(g);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) { /* xorshift64*, fixed seed */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static void test_corrupt_random_bytes(void) {
    odin_graph *g = make_sample();
    uint8_t *buf = NULL;
    size_t size = 0;
    CHECK_OK(odin_graph_write_mem(g, &buf, &size));
    int ok = 0, bad = 0;
    for (int it = 0; buf && it < 4000; it++) {
        uint8_t *copy = malloc(size);
        memcpy(copy, buf, size);
        int flips = 1 + (int)(rng() % 4);
        for (int k = 0; k < flips; k++) {
            size_t pos = rng() % size;
            if (it % 2 == 0) pos %= (size < 1024 ? size : 1024); /* favour the FlatBuffer */
            copy[pos] = (it % 3 == 0) ? (uint8_t)rng() : (uint8_t)(copy[pos] ^ (1u << (rng() % 8)));
        }
        odin_graph *h = NULL;
        odin_status st = odin_graph_read_mem(copy, size, "corrupt.odin", &h);
        if (st) {
            bad++;
            if (strncmp(odin_status_message(st), "corrupt.odin: ", 14) != 0 ||
                strchr(odin_status_message(st), '\n'))
                CHECK(0, "bad message: %s", odin_status_message(st));
        } else {
            ok++;
            /* whatever was accepted must be a usable graph */
            uint8_t *b2 = NULL;
            size_t s2 = 0;
            CHECK_OK(odin_graph_write_mem(h, &b2, &s2));
            free(b2);
        }
        odin_status_free(st);
        odin_graph_free(h);
        free(copy);
    }
    printf("  corrupt: %d accepted, %d rejected\n", ok, bad);
    CHECK(bad > 1000, "only %d rejected", bad);
    free(buf);
    odin_graph_free(g);
}

static void test_wrong_identifier(void) {
    odin_graph *g = make_sample();
    uint8_t *buf = NULL;
    size_t size = 0;
    CHECK_OK(odin_graph_write_mem(g, &buf, &size));
    odin_graph *h = NULL;
    if (buf) {
        memcpy(buf + 4, "XXXX", 4);
        CHECK_ERR(odin_graph_read_mem(buf, size, "model.odin", &h),
                  "model.odin: not an ODIN file (file identifier is 'XXXX', expected 'ODIN')");
        memcpy(buf + 4, "\x01OD\n", 4);
        CHECK_ERR(odin_graph_read_mem(buf, size, "model.odin", &h), "'\\x01OD\\x0a'");
    }
    CHECK_ERR(odin_graph_read_mem("", 0, "model.odin", &h), "model.odin: truncated (0 bytes)");
    CHECK_ERR(odin_graph_read_mem("ODINODINODIN", 12, "model.odin", &h), "model.odin: ");
    CHECK(h == NULL, "no graph");
    /* an empty file on disk */
    const char *p = tmp_path("empty_file.odin");
    FILE *f = fopen(p, "wb");
    if (f) fclose(f);
    CHECK_ERR(odin_graph_read_file(p, &h), "empty_file.odin: truncated (0 bytes)");
    free(buf);
    odin_graph_free(g);
}

/* ---- hand-built models (through the generic builder, with schema field ids) ---- */

typedef struct custom {
    int version;        /* format_version */
    int dtype;          /* Tensor.dtype enum value */
    int64_t dims[2];
    int rank;
    uint32_t flags;
    uint64_t off, size; /* Tensor.data_offset / data_size */
    size_t file_size;   /* pad the file to this size (0: FlatBuffer only) */
    int node_input;     /* Node.inputs[0] (a node is written when != -99) */
    int attr_kind;      /* Attr.kind of the node's one attribute (-99: no attribute) */
    int graph_output;   /* Model.outputs[0] */
} custom;

static uint8_t *build_custom(const custom *c, size_t *size) {
    odin_fb_builder b;
    odin_fb_builder_init(&b);
    odin_fb_ref tname = odin_fb_string(&b, "w", 1);
    odin_fb_ref dims = c->rank ? odin_fb_vector_scalars(&b, c->dims, (size_t)c->rank, 8) : 0;
    odin_fb_table_start(&b);
    odin_fb_add_ref(&b, 0, tname);                      /* name */
    odin_fb_add_scalar(&b, 1, (uint64_t)c->dtype, 1);   /* dtype */
    if (dims) odin_fb_add_ref(&b, 3, dims);             /* dims */
    odin_fb_add_scalar(&b, 5, c->flags, 4);             /* flags */
    odin_fb_add_scalar(&b, 6, c->off, 8);               /* data_offset */
    odin_fb_add_scalar(&b, 7, c->size, 8);              /* data_size */
    odin_fb_ref tensor = odin_fb_table_end(&b);
    odin_fb_ref tensors = odin_fb_vector_refs(&b, &tensor, 1);
    odin_fb_ref nodes = 0;
    if (c->node_input != -99) {
        odin_fb_ref attrs = 0;
        if (c->attr_kind != -99) {
            odin_fb_ref an = odin_fb_string(&b, "a", 1);
            odin_fb_table_start(&b);
            odin_fb_add_ref(&b, 0, an);
            odin_fb_add_scalar(&b, 1, (uint64_t)c->attr_kind, 1);
            odin_fb_ref attr = odin_fb_table_end(&b);
            attrs = odin_fb_vector_refs(&b, &attr, 1);
        }
        int32_t in = c->node_input, out = 0;
        odin_fb_ref ins = odin_fb_vector_scalars(&b, &in, 1, 4);
        odin_fb_ref outs = odin_fb_vector_scalars(&b, &out, 1, 4);
        odin_fb_ref nname = odin_fb_string(&b, "n", 1), op = odin_fb_string(&b, "Relu", 4);
        odin_fb_table_start(&b);
        odin_fb_add_ref(&b, 0, nname);
        odin_fb_add_ref(&b, 1, op);
        odin_fb_add_ref(&b, 3, ins);
        odin_fb_add_ref(&b, 4, outs);
        if (attrs) odin_fb_add_ref(&b, 5, attrs);
        odin_fb_ref node = odin_fb_table_end(&b);
        nodes = odin_fb_vector_refs(&b, &node, 1);
    }
    int32_t gout = c->graph_output;
    odin_fb_ref outs = odin_fb_vector_scalars(&b, &gout, 1, 4);
    odin_fb_ref name = odin_fb_string(&b, "custom", 6);
    odin_fb_table_start(&b);
    odin_fb_add_scalar(&b, 0, (uint64_t)c->version, 4);
    odin_fb_add_ref(&b, 1, name);
    odin_fb_add_ref(&b, 5, tensors);
    if (nodes) odin_fb_add_ref(&b, 6, nodes);
    odin_fb_add_ref(&b, 8, outs);
    odin_fb_ref root = odin_fb_table_end(&b);
    size_t fb_size = 0;
    const uint8_t *fb = odin_fb_finish(&b, root, "ODIN", &fb_size);
    CHECK(fb != NULL, "builder failed");
    size_t total = c->file_size > fb_size ? c->file_size : fb_size;
    uint8_t *out = calloc(1, total);
    if (fb) memcpy(out, fb, fb_size);
    for (size_t i = fb_size; i < total; i++) out[i] = (uint8_t)i; /* recognisable data */
    odin_fb_builder_free(&b);
    *size = total;
    return out;
}

static custom good_custom(void) {
    return (custom){.version = 1, .dtype = 1 /* F32 */, .rank = 1, .dims = {4},
                    .flags = 4 /* Constant */, .off = 512, .size = 16, .file_size = 576,
                    .node_input = 0, .attr_kind = 1 /* Int */, .graph_output = 0};
}

/* Expect the custom model to fail with a message containing `needle`. */
static void expect_custom_error(const custom *c, const char *needle) {
    size_t size;
    uint8_t *buf = build_custom(c, &size);
    odin_graph *h = NULL;
    CHECK_ERR(odin_graph_read_mem(buf, size, "model.odin", &h), needle);
    CHECK(!h, "no graph on error");
    free(buf);
}

static void test_custom_valid(void) {
    custom c = good_custom();
    size_t size;
    uint8_t *buf = build_custom(&c, &size);
    odin_graph *h = NULL;
    CHECK_OK(odin_graph_read_mem(buf, size, "model.odin", &h));
    if (h) {
        CHECK(h->n_tensors == 1 && h->tensors[0].nbytes == 16, "tensor");
        CHECK(memcmp(h->tensors[0].data, buf + 512, 16) == 0, "data from offset 512");
        CHECK(h->n_nodes == 1 && h->nodes[0].n_attrs == 1 && h->nodes[0].attrs[0].kind == ODIN_ATTR_INT,
              "node");
        CHECK(h->n_outputs == 1 && h->outputs[0] == 0, "outputs");
    }
    odin_graph_free(h);
    free(buf);
}

static void test_bad_data_offsets(void) {
    custom c = good_custom();
    c.dims[0] = 1024;
    c.off = 1024, c.size = 4096, c.file_size = 2048;
    expect_custom_error(&c, "model.odin: tensor 0 'w': data [offset 1024, size 4096] runs past "
                            "end of file (size 2048)");
    c = good_custom();
    c.off = 64, c.size = UINT64_MAX - 10;
    expect_custom_error(&c, "runs past end of file");
    c = good_custom();
    c.off = UINT64_MAX - 63, c.size = 128;
    expect_custom_error(&c, "runs past end of file");
    c = good_custom();
    c.off = 500;
    expect_custom_error(&c, "model.odin: tensor 0 'w': data offset 500 is not 64-byte aligned");
    c = good_custom();
    c.size = 8; /* f32 [4] needs 16 */
    expect_custom_error(&c, "data size 8 is smaller than f32 [4] needs (16 bytes)");
    c = good_custom();
    c.flags = 0; /* data but not Constant */
    expect_custom_error(&c, "not flagged Constant");
}

static void test_bad_enums_and_indices(void) {
    custom c = good_custom();
    c.dtype = 99;
    expect_custom_error(&c, "model.odin: tensor 0 'w': bad dtype enum value 99");
    c.dtype = -3;
    expect_custom_error(&c, "bad dtype enum value -3");
    c = good_custom();
    c.flags = 0x104;
    expect_custom_error(&c, "unknown tensor flags 0x104");
    c = good_custom();
    c.node_input = 5;
    expect_custom_error(&c, "model.odin: node 0 'n' (Relu): input 0 is tensor index 5, out of range (1 tensors)");
    c.node_input = -2;
    expect_custom_error(&c, "input 0 is tensor index -2");
    c = good_custom();
    c.attr_kind = 42;
    expect_custom_error(&c, "model.odin: node 0 'n' (Relu): attribute 0 'a': unknown attribute kind 42");
    c = good_custom();
    c.graph_output = 1;
    expect_custom_error(&c, "model.odin: graph outputs 0 is tensor index 1, out of range (1 tensors)");
    c = good_custom();
    c.version = 2;
    expect_custom_error(&c, "model.odin: unsupported format version 2");
    c = good_custom();
    c.rank = 2, c.dims[0] = 4, c.dims[1] = -5;
    expect_custom_error(&c, "dim 1 is -5");
    c = good_custom();
    c.rank = 2, c.dims[0] = INT64_MAX / 2, c.dims[1] = 1000;
    expect_custom_error(&c, "too many elements");
}

/* Patch a vector length in a real file: the u32 before big_dims' 16 bytes. */
static void test_huge_vector_length(void) {
    odin_graph *g = make_sample();
    uint8_t *buf = NULL;
    size_t size = 0;
    CHECK_OK(odin_graph_write_mem(g, &buf, &size));
    uint8_t *p = buf ? memmem(buf, size, big_dims, sizeof big_dims) : NULL;
    CHECK(p && p - buf >= 4, "dims found");
    if (p) {
        uint32_t len;
        memcpy(&len, p - 4, 4);
        CHECK(len == 2, "length word %u", len);
        static const uint32_t huge[] = {0x7fffffffu, 0xffffffffu, 0x20000000u, 3000};
        for (int k = 0; k < 4; k++) {
            memcpy(p - 4, &huge[k], 4);
            odin_graph *h = NULL;
            CHECK_ERR(odin_graph_read_mem(buf, size, "model.odin", &h),
                      "model.odin: tensor 19 'big': Tensor.dims: vector of length");
            odin_graph_free(h);
        }
        len = 9; /* fits the buffer but exceeds the maximum rank */
        memcpy(p - 4, &len, 4);
        odin_graph *h = NULL;
        CHECK_ERR(odin_graph_read_mem(buf, size, "model.odin", &h), "rank 9 exceeds the maximum 8");
        odin_graph_free(h);
        /* the root offset pointing far away */
        uint32_t root = 0xfffffff0u;
        memcpy(buf, &root, 4);
        CHECK_ERR(odin_graph_read_mem(buf, size, "model.odin", &h), "outside the buffer");
    }
    free(buf);
    odin_graph_free(g);
}

/* ---- helper modes for scripts and fuzzing ---- */

static void dump_graph(const odin_graph *g) {
    printf("graph %s opset %d opset_ms %d\n", g->name, g->opset, g->opset_ms);
    for (int i = 0; i < g->n_meta; i++) printf("meta %s=%s\n", g->meta[i].key, g->meta[i].value);
    for (int i = 0; i < g->n_tensors; i++) {
        const odin_tensor *t = &g->tensors[i];
        char shape[256];
        odin_format_shape(shape, sizeof shape, t->rank, t->dims, t->dim_params);
        printf("tensor %d %s %s %s flags %u", i, t->name, odin_dtype_name(t->dtype), shape,
               t->flags & ~(unsigned)ODIN_TENSOR_EXTERNAL);
        if (t->data && t->dtype == ODIN_STRING) {
            for (size_t k = 0; k < t->nbytes / sizeof(char *); k++)
                printf(" \"%s\"", ((const char **)t->data)[k]);
        } else if (t->data) {
            printf(" data");
            for (size_t k = 0; k < t->nbytes; k++) printf(" %02x", ((const uint8_t *)t->data)[k]);
            printf(" aligned %d", (int)((uintptr_t)t->data % 64 == 0));
        }
        printf("\n");
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const odin_node *n = &g->nodes[i];
        printf("node %d %s %s domain '%s' in", i, n->name, n->op, n->domain);
        for (int k = 0; k < n->n_inputs; k++) printf(" %d", n->inputs[k]);
        printf(" out");
        for (int k = 0; k < n->n_outputs; k++) printf(" %d", n->outputs[k]);
        printf("\n");
        for (int k = 0; k < n->n_attrs; k++) {
            const odin_attr *a = &n->attrs[k];
            printf("  attr %s %s", a->name, odin_attr_kind_name(a->kind));
            switch (a->kind) {
            case ODIN_ATTR_INT: printf(" %" PRId64, a->i); break;
            case ODIN_ATTR_FLOAT: printf(" %.9g", a->f); break;
            case ODIN_ATTR_STRING: printf(" \"%s\"", a->s); break;
            case ODIN_ATTR_INTS:
                for (int j = 0; j < a->count; j++) printf(" %" PRId64, a->ints[j]);
                break;
            case ODIN_ATTR_FLOATS:
                for (int j = 0; j < a->count; j++) printf(" %.9g", a->floats[j]);
                break;
            case ODIN_ATTR_STRINGS:
                for (int j = 0; j < a->count; j++) printf(" \"%s\"", a->strings[j]);
                break;
            case ODIN_ATTR_TENSOR: {
                char shape[128];
                odin_format_shape(shape, sizeof shape, a->t.rank, a->t.dims, NULL);
                printf(" %s %s", odin_dtype_name(a->t.dtype), shape);
                int64_t ne = odin_value_numel(&a->t);
                for (int64_t j = 0; j < ne; j++) {
                    if (a->t.dtype == ODIN_STRING) printf(" \"%s\"", ((const char **)a->t.data)[j]);
                    else printf(" %.9g", odin_load_as_f64(a->t.data, a->t.dtype, (size_t)j));
                }
                break;
            }
            default: break;
            }
            printf("\n");
        }
    }
    printf("inputs");
    for (int i = 0; i < g->n_inputs; i++) printf(" %d", g->inputs[i]);
    printf("\noutputs");
    for (int i = 0; i < g->n_outputs; i++) printf(" %d", g->outputs[i]);
    printf("\n");
}

static int write_corpus(const char *dir) {
    mkdir(dir, 0777);
    char path[1024];
    odin_graph *gs[3] = {make_sample(), odin_graph_new("empty"), odin_graph_new("small")};
    int64_t d[2] = {2, 2};
    int t0 = -1, t1 = -1;
    odin_graph_add_tensor(gs[2], "a", ODIN_F32, 2, d, &t0);
    odin_graph_add_tensor(gs[2], "b", ODIN_F32, 2, d, &t1);
    odin_tensor_set_data(gs[2], t0, w_data, 16);
    odin_graph_add_node(gs[2], "r", "Relu", "", &t0, 1, &t1, 1,
                        &ODIN_ATTR_INTS("perm", ((int64_t[]){1, 0}), 2), 1, NULL);
    odin_graph_add_output(gs[2], t1);
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/seed_%d.odin", dir, i);
        odin_status st = odin_graph_write_file(gs[i], path);
        if (st) {
            fprintf(stderr, "%s\n", odin_status_message(st));
            odin_status_free(st);
            rc = 1;
        }
        odin_graph_free(gs[i]);
    }
    return rc;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--write") == 0) {
        odin_graph *g = make_sample();
        odin_status st = odin_graph_write_file(g, argv[2]);
        odin_graph_free(g);
        if (st) fprintf(stderr, "%s\n", odin_status_message(st));
        int rc = st ? 1 : 0;
        odin_status_free(st);
        return rc;
    }
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
        odin_graph *g = NULL;
        odin_status st = odin_graph_read_file(argv[2], &g);
        if (st) {
            printf("error: %s\n", odin_status_message(st));
            odin_status_free(st);
            return 1;
        }
        dump_graph(g);
        odin_graph_free(g);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--corpus") == 0) return write_corpus(argv[2]);

    make_tmp_dir();
    RUN(test_roundtrip_mem);
    RUN(test_roundtrip_file_mmap);
    RUN(test_layout);
    RUN(test_empty_graph);
    RUN(test_builder_edge_cases);
    RUN(test_truncated_every_length);
    RUN(test_corrupt_random_bytes);
    RUN(test_wrong_identifier);
    RUN(test_custom_valid);
    RUN(test_bad_data_offsets);
    RUN(test_bad_enums_and_indices);
    RUN(test_huge_vector_length);
    TEST_DONE();
}
