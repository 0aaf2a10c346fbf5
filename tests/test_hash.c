/* tests/test_hash.c — structural hashing: the same structure hashes equal whatever the
 * names, node order or memory layout; any change of op, attribute, wiring, dtype, shape,
 * weight byte or graph input/output list changes the hash. */
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../ir/hash.h"
#include "test.h"

typedef struct variant {
    const char *scope, *in_name, *out_name; /* names only: must not change the hash */
    const char *act;                        /* activation op */
    int64_t batch;                          /* x's first dim */
    bool swap_add;                          /* Add(b, mm) instead of Add(mm, b) */
    bool extra_output;                      /* also output the Add result */
    int flip_weight_byte;                   /* >= 0: flip one bit of w's byte N */
} variant;

static const variant base = {.scope = NULL, .in_name = "x", .out_name = "y", .act = "Relu",
                             .batch = 2, .flip_weight_byte = -1};

/* y = Transpose(act(MatMul(x, w) + b)) */
static uint64_t mlp_hash(variant v) {
    odin_graph *g = odin_graph_new(v.scope ? v.scope : "g");
    odin_builder_scope(g, v.scope);
    float w[12], b[4] = {0.5f, -1, 2, 0};
    for (int i = 0; i < 12; i++) w[i] = (float)i * 0.25f - 1;
    int x = odin_input(g, v.in_name, ODIN_F32, 2, (int64_t[]){v.batch, 3});
    int wt = odin_constant_f32(g, "w", 2, (int64_t[]){3, 4}, w);
    int bt = odin_constant_f32(g, "b", 1, (int64_t[]){4}, b);
    int mm = odin_matmul(g, x, wt);
    int a = v.swap_add ? odin_add(g, bt, mm) : odin_add(g, mm, bt);
    int r = odin_build(g, v.act, &a, 1, NULL, 0, 1, NULL);
    int64_t perm[2] = {1, 0};
    odin_output(g, odin_transpose(g, r, 2, perm), v.out_name);
    if (v.extra_output) odin_output(g, a, NULL);
    odin_status st = odin_graph_take_error(g);
    CHECK(!st, "building: %s", odin_status_message(st));
    odin_status_free(st);
    if (v.flip_weight_byte >= 0 && wt >= 0) ((uint8_t *)g->tensors[wt].data)[v.flip_weight_byte] ^= 1;
    uint64_t h = odin_graph_hash(g);
    odin_graph_free(g);
    return h;
}

static void test_names_do_not_count(void) {
    uint64_t h = mlp_hash(base);
    CHECK(h != 0, "hash is 0");
    CHECK(mlp_hash(base) == h, "same graph built twice");
    variant renamed = base;
    renamed.scope = "block7.mlp";
    renamed.in_name = "input_ids";
    renamed.out_name = "logits";
    CHECK(mlp_hash(renamed) == h, "renamed graph hashes differently");
}

static void test_changes_count(void) {
    uint64_t h[8];
    int n = 0;
    h[n++] = mlp_hash(base);
    variant v = base;
    v.act = "Abs";
    h[n++] = mlp_hash(v); /* op */
    v = base;
    v.batch = 5;
    h[n++] = mlp_hash(v); /* shape */
    v = base;
    v.swap_add = true;
    h[n++] = mlp_hash(v); /* wiring */
    v = base;
    v.extra_output = true;
    h[n++] = mlp_hash(v); /* output list */
    v = base;
    v.flip_weight_byte = 0;
    h[n++] = mlp_hash(v); /* a weight's first byte */
    v.flip_weight_byte = 47;
    h[n++] = mlp_hash(v); /* a weight's last byte */
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) CHECK(h[i] != h[j], "variants %d and %d collide", i, j);
}

/* y = Transpose(x) with a given perm and dtype: attribute and dtype changes that leave
 * every shape the same. */
static uint64_t transpose_hash(odin_dtype dt, int64_t p0, int64_t p1, bool as_attr_floats) {
    odin_graph *g = odin_graph_new("t");
    int x = odin_input(g, "x", dt, 2, (int64_t[]){3, 3});
    int64_t perm[2] = {p0, p1};
    int y = odin_transpose(g, x, 2, perm);
    odin_output(g, y, "y");
    odin_status st = odin_graph_take_error(g);
    CHECK(!st, "building: %s", odin_status_message(st));
    odin_status_free(st);
    if (as_attr_floats && y >= 0) { /* same name, other kind */
        odin_attr *a = &g->nodes[0].attrs[0];
        static float fperm[2] = {1, 0};
        a->kind = ODIN_ATTR_FLOATS;
        a->floats = fperm;
    }
    uint64_t h = odin_graph_hash(g);
    odin_graph_free(g);
    return h;
}

static void test_attr_and_dtype(void) {
    uint64_t a = transpose_hash(ODIN_F32, 1, 0, false);
    CHECK(a == transpose_hash(ODIN_F32, 1, 0, false), "not deterministic");
    CHECK(a != transpose_hash(ODIN_F32, 0, 1, false), "attribute value change not seen");
    CHECK(a != transpose_hash(ODIN_F32, 1, 0, true), "attribute kind change not seen");
    CHECK(a != transpose_hash(ODIN_F64, 1, 0, false), "dtype change not seen");
    CHECK(a != transpose_hash(ODIN_I64, 1, 0, false), "dtype change not seen");
}

/* Two independent branches added in either order: node order is layout, not structure. */
static uint64_t branches_hash(bool relu_first, bool swap_inputs) {
    odin_graph *g = odin_graph_new("b");
    int a = odin_input(g, "a", ODIN_F32, 1, (int64_t[]){4});
    int b = odin_input(g, "b", ODIN_F32, 1, (int64_t[]){4});
    int r, m;
    if (relu_first) {
        r = odin_relu(g, a);
        m = odin_mul(g, b, b);
    } else {
        m = odin_mul(g, b, b);
        r = odin_relu(g, a);
    }
    odin_output(g, odin_add(g, r, m), "y");
    if (swap_inputs) { /* same tensors, other input order */
        int t = g->inputs[0];
        g->inputs[0] = g->inputs[1];
        g->inputs[1] = t;
    }
    odin_status st = odin_graph_take_error(g);
    CHECK(!st, "building: %s", odin_status_message(st));
    odin_status_free(st);
    uint64_t h = odin_graph_hash(g);
    odin_graph_free(g);
    return h;
}

static void test_node_order_and_input_list(void) {
    uint64_t h = branches_hash(true, false);
    CHECK(h == branches_hash(false, false), "node order changed the hash");
    CHECK(h != branches_hash(true, true), "graph input order not seen");
}

static void test_node_hash_for_cse(void) {
    odin_graph *g = odin_graph_new("cse");
    int x = odin_input(g, "x", ODIN_F32, 1, (int64_t[]){4});
    int z = odin_input(g, "z", ODIN_F32, 1, (int64_t[]){4});
    int r1 = odin_relu(g, x), r2 = odin_relu(g, x), r3 = odin_relu(g, r1), r4 = odin_relu(g, z);
    int s1 = odin_add(g, r1, z), s2 = odin_add(g, r2, z);
    CHECK_OK(odin_graph_take_error(g));
    if (g->n_nodes != 6) {
        CHECK(0, "expected 6 nodes");
        odin_graph_free(g);
        return;
    }
    uint64_t *th = calloc((size_t)g->n_tensors, sizeof *th);
    CHECK_OK(odin_graph_tensor_hashes(g, th));
    uint64_t n[6];
    for (int i = 0; i < 6; i++) n[i] = odin_node_hash(g, i, th);
    CHECK(n[0] == n[1], "Relu(x) twice: equal node hashes");
    CHECK(th[r1] == th[r2], "their outputs hash equal too");
    CHECK(n[4] == n[5], "Add(Relu(x), z) twice: equal, through equal input hashes");
    CHECK(th[s1] == th[s2], "outputs of the Adds");
    CHECK(n[0] != n[2], "Relu(x) vs Relu(Relu(x))");
    CHECK(n[0] != n[3], "Relu(x) vs Relu(z): inputs differ by position");
    CHECK(th[r3] != th[r1] && th[r4] != th[r1], "distinct tensors");
    free(th);
    odin_graph_free(g);
}

static uint64_t attrs_node_hash(const odin_attr *attrs, int n) {
    odin_graph *g = odin_graph_new("a");
    int x = -1, y = -1, node = -1;
    CHECK_OK(odin_graph_add_tensor(g, "x", ODIN_F32, 1, (int64_t[]){2}, &x));
    CHECK_OK(odin_graph_add_tensor(g, "y", ODIN_F32, 1, (int64_t[]){2}, &y));
    CHECK_OK(odin_graph_add_input(g, x));
    CHECK_OK(odin_graph_add_node(g, "n", "Custom", "ai.odin", &x, 1, &y, 1, attrs, n, &node));
    uint64_t th[2];
    CHECK_OK(odin_graph_tensor_hashes(g, th));
    uint64_t h = odin_node_hash(g, node, th);
    odin_graph_free(g);
    return h;
}

static void test_attr_set(void) {
    int64_t ks[3] = {1, 2, 3};
    odin_attr ab[2] = {ODIN_ATTR_I("alpha", 1), ODIN_ATTR_INTS("ks", ks, 3)};
    odin_attr ba[2] = {ODIN_ATTR_INTS("ks", ks, 3), ODIN_ATTR_I("alpha", 1)};
    uint64_t h = attrs_node_hash(ab, 2);
    CHECK(h == attrs_node_hash(ba, 2), "attribute order must not count");
    odin_attr f[2] = {ODIN_ATTR_F("alpha", 1.0f), ODIN_ATTR_INTS("ks", ks, 3)};
    CHECK(h != attrs_node_hash(f, 2), "INT 1 vs FLOAT 1");
    odin_attr renamed[2] = {ODIN_ATTR_I("beta", 1), ODIN_ATTR_INTS("ks", ks, 3)};
    CHECK(h != attrs_node_hash(renamed, 2), "attribute name");
    odin_attr shorter[2] = {ODIN_ATTR_I("alpha", 1), ODIN_ATTR_INTS("ks", ks, 2)};
    CHECK(h != attrs_node_hash(shorter, 2), "INTS length");
    CHECK(h != attrs_node_hash(ab, 1), "attribute dropped");
    odin_attr s1 = ODIN_ATTR_S("mode", "tanh"), s2 = ODIN_ATTR_S("mode", "none");
    CHECK(attrs_node_hash(&s1, 1) != attrs_node_hash(&s2, 1), "string value");
}

static void test_value_hash(void) {
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 2, 3, 4, 5, 6};
    odin_value va = {.dtype = ODIN_F32, .rank = 2, .dims = {2, 3}, .data = a};
    odin_value vb = {.dtype = ODIN_F32, .rank = 2, .dims = {2, 3}, .data = b};
    uint64_t h = odin_value_hash(&va);
    CHECK(h == odin_value_hash(&vb), "same content at another address");
    vb.dims[0] = 3;
    vb.dims[1] = 2;
    CHECK(h != odin_value_hash(&vb), "shape [3,2] vs [2,3]");
    vb = va;
    vb.data = b;
    vb.dtype = ODIN_I32;
    CHECK(h != odin_value_hash(&vb), "dtype");
    vb.dtype = ODIN_F32;
    ((uint8_t *)b)[23] ^= 0x80;
    CHECK(h != odin_value_hash(&vb), "last byte");
    const char *s1[2] = {"ab", "c"}, *s2[2] = {"a", "bc"};
    char buf[3] = "ab";
    const char *s3[2] = {buf, "c"};
    odin_value w1 = {.dtype = ODIN_STRING, .rank = 1, .dims = {2}, .data = s1};
    odin_value w2 = w1, w3 = w1;
    w2.data = s2;
    w3.data = s3;
    CHECK(odin_value_hash(&w1) != odin_value_hash(&w2), "string boundaries");
    CHECK(odin_value_hash(&w1) == odin_value_hash(&w3), "strings by content, not pointer");
}

int main(void) {
    RUN(test_names_do_not_count);
    RUN(test_changes_count);
    RUN(test_attr_and_dtype);
    RUN(test_node_order_and_input_list);
    RUN(test_node_hash_for_cse);
    RUN(test_attr_set);
    RUN(test_value_hash);
    TEST_DONE();
}
