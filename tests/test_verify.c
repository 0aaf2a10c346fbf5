/* tests/test_verify.c — the graph verifier: a valid graph built through the builder passes,
 * and each kind of broken graph (built with the raw graph API, or corrupted afterwards)
 * is caught with a message naming the graph, node, op and tensor. */
#include "../ir/builder.h"
#include "../ir/verify.h"
#include "../ops/op.h"
#include "test.h"

static const int64_t d23[2] = {2, 3}, d34[2] = {3, 4}, d24[2] = {2, 4}, d33[2] = {3, 3};
static const int64_t d4[1] = {4};

/* y = Transpose(Relu(MatMul(x, w) + b)), x: f32[2,3] */
static odin_graph *build_mlp(void) {
    odin_graph *g = odin_graph_new("g");
    float w[12], b[4] = {1, 2, 3, 4};
    for (int i = 0; i < 12; i++) w[i] = (float)i - 6;
    int x = odin_input(g, "x", ODIN_F32, 2, d23);
    int wt = odin_constant_f32(g, "w", 2, d34, w);
    int bt = odin_constant_f32(g, "b", 1, d4, b);
    int h = odin_relu(g, odin_add(g, odin_matmul(g, x, wt), bt));
    int64_t perm[2] = {1, 0};
    odin_output(g, odin_transpose(g, h, 2, perm), "y");
    odin_status st = odin_graph_take_error(g);
    CHECK(!st, "building the test graph: %s", odin_status_message(st));
    if (st) {
        odin_status_free(st);
        odin_graph_free(g);
        return NULL;
    }
    return g;
}

/* Index of a named tensor; 0 (and a failed CHECK) when absent, so a test never indexes
 * with -1 after a builder failure. */
static int find(odin_graph *g, const char *name) {
    int t = odin_graph_find_tensor(g, name);
    CHECK(t >= 0, "no tensor '%s'", name);
    return t < 0 ? 0 : t;
}

static int tensor(odin_graph *g, const char *name, int rank, const int64_t *dims) {
    int t = -1;
    CHECK_OK(odin_graph_add_tensor(g, name, ODIN_F32, rank, dims, &t));
    return t;
}

static int node(odin_graph *g, const char *name, const char *op, const int *in, int n_in,
                int out) {
    int n = -1;
    CHECK_OK(odin_graph_add_node(g, name, op, "", in, n_in, &out, 1, NULL, 0, &n));
    return n;
}

static void test_valid_builder_graph(void) {
    odin_graph *g = build_mlp();
    if (!g) return;
    CHECK_OK(odin_graph_verify(g));
    /* unknown dims and unknown rank recorded on an output match whatever inference gives */
    int y = find(g, "y");
    g->tensors[y].dims[1] = -1;
    CHECK_OK(odin_graph_verify(g));
    g->tensors[y].rank = -1;
    CHECK_OK(odin_graph_verify(g));
    odin_graph_free(g);
}

static void test_use_before_def(void) {
    /* MatMul_3 reads w, which Transpose_1 writes only afterwards */
    odin_graph *g = odin_graph_new("g");
    int x = tensor(g, "x", 2, d33), w = tensor(g, "w", 2, d33), y = tensor(g, "y", 2, d33);
    CHECK_OK(odin_graph_add_input(g, x));
    int mm_in[2] = {x, w};
    node(g, "MatMul_3", "MatMul", mm_in, 2, y);
    node(g, "Transpose_1", "Transpose", &x, 1, w);
    CHECK_OK(odin_graph_add_output(g, y));
    CHECK_ERR(odin_graph_verify(g),
              "graph 'g': node 'MatMul_3' (MatMul): input 1 'w' is used before it is produced "
              "(by node 'Transpose_1', #1)");
    odin_graph_free(g);
}

static void test_cycle(void) {
    odin_graph *g = odin_graph_new("g");
    int a = tensor(g, "a", 1, d4), b = tensor(g, "b", 1, d4);
    node(g, "relu_a", "Relu", &b, 1, a);
    node(g, "relu_b", "Relu", &a, 1, b);
    CHECK_OK(odin_graph_add_output(g, b));
    CHECK_ERR(odin_graph_verify(g), "graph 'g': node 'relu_b' (Relu): input 0 'a' is part of a "
                                    "cycle: 'relu_a' -> 'relu_b' -> 'relu_a'");
    odin_graph_free(g);

    g = odin_graph_new("self");
    a = tensor(g, "a", 1, d4);
    node(g, "loop", "Relu", &a, 1, a);
    CHECK_ERR(odin_graph_verify(g), "node 'loop' (Relu): input 0 'a' is part of a cycle: "
                                    "'loop' -> 'loop'");
    odin_graph_free(g);
}

static void test_dangling(void) {
    odin_graph *g = build_mlp();
    if (!g) return;
    g->nodes[1].inputs[1] = 99; /* Add's bias now points past the tensor array */
    CHECK_ERR(odin_graph_verify(g), "node 'Add_1' (Add): input 1 refers to tensor index 99, "
                                    "which does not exist");
    odin_graph_free(g);

    g = build_mlp();
    if (!g) return;
    g->nodes[1].outputs[0] = -7;
    CHECK_ERR(odin_graph_verify(g), "node 'Add_1' (Add): output 0 refers to tensor index -7");
    odin_graph_free(g);

    g = build_mlp();
    if (!g) return;
    g->outputs[0] = 1000;
    CHECK_ERR(odin_graph_verify(g), "graph output 0 refers to tensor index 1000");
    odin_graph_free(g);

    g = build_mlp();
    if (!g) return;
    g->inputs[0] = -3;
    CHECK_ERR(odin_graph_verify(g), "graph input 0 refers to tensor index -3");
    odin_graph_free(g);

    /* a tensor nothing produces: not an input, not a constant, no producer */
    g = odin_graph_new("g");
    int x = tensor(g, "x", 1, d4), y = tensor(g, "y", 1, d4);
    node(g, "r", "Relu", &x, 1, y);
    CHECK_OK(odin_graph_add_output(g, y));
    CHECK_ERR(odin_graph_verify(g), "graph 'g': node 'r' (Relu): input 0 'x' is never produced");
    odin_graph_free(g);

    g = odin_graph_new("g");
    x = tensor(g, "x", 1, d4);
    CHECK_OK(odin_graph_add_output(g, x));
    CHECK_ERR(odin_graph_verify(g), "graph output 0 'x' is never produced");
    odin_graph_free(g);
}

static void test_duplicate_names(void) {
    odin_graph *g = build_mlp();
    if (!g) return;
    /* the graph API refuses duplicate tensor names; corrupt one directly */
    int w = find(g, "w"), b = find(g, "b");
    g->tensors[b].name = g->tensors[w].name;
    CHECK_ERR(odin_graph_verify(g), "graph 'g': duplicate tensor name 'w' (#1 and #2)");
    odin_graph_free(g);

    g = odin_graph_new("g");
    int x = tensor(g, "x", 1, d4), y = tensor(g, "y", 1, d4), z = tensor(g, "z", 1, d4);
    CHECK_OK(odin_graph_add_input(g, x));
    node(g, "act", "Relu", &x, 1, y);
    node(g, "act", "Relu", &y, 1, z);
    CHECK_ERR(odin_graph_verify(g), "graph 'g': duplicate node name 'act' (#0 and #1)");
    odin_graph_free(g);
}

static void test_double_producer(void) {
    odin_graph *g = odin_graph_new("g");
    int x = tensor(g, "x", 1, d4), y = tensor(g, "y", 1, d4);
    CHECK_OK(odin_graph_add_input(g, x));
    node(g, "first", "Relu", &x, 1, y);
    node(g, "second", "Relu", &x, 1, y);
    CHECK_ERR(odin_graph_verify(g), "graph 'g': node 'second' (Relu): output 0 'y' is also "
                                    "produced by node 'first' (Relu)");
    odin_graph_free(g);

    /* a node writing a graph input / a constant */
    g = odin_graph_new("g");
    x = tensor(g, "x", 1, d4), y = tensor(g, "y", 1, d4);
    CHECK_OK(odin_graph_add_input(g, x));
    CHECK_OK(odin_graph_add_input(g, y));
    node(g, "clobber", "Relu", &x, 1, y);
    CHECK_ERR(odin_graph_verify(g), "node 'clobber' (Relu): output 0 'y' is a graph input");
    odin_graph_free(g);

    g = build_mlp();
    if (!g) return;
    int w = find(g, "w");
    g->nodes[2].outputs[0] = w;
    CHECK_ERR(odin_graph_verify(g), "node 'Relu_2' (Relu): output 0 'w' is a constant");
    odin_graph_free(g);

    /* the tensor's producer field disagrees with the node lists */
    g = build_mlp();
    if (!g) return;
    g->tensors[find(g, "y")].producer = 0;
    CHECK_ERR(odin_graph_verify(g), "tensor 'y' records producer node 'MatMul_0' (#0), which "
                                    "does not write it");
    odin_graph_free(g);
}

static void test_constant_size(void) {
    odin_graph *g = odin_graph_new("g");
    int c = tensor(g, "c", 1, (int64_t[]){3});
    float data[2] = {1, 2};
    CHECK_OK(odin_tensor_set_data(g, c, data, sizeof data)); /* 8 bytes for 3 floats */
    CHECK_OK(odin_graph_add_output(g, c));
    CHECK_ERR(odin_graph_verify(g), "graph 'g': constant 'c': data has 8 bytes, f32[3] needs 12");
    odin_graph_free(g);

    g = odin_graph_new("g");
    c = tensor(g, "c", 2, (int64_t[]){-1, 2});
    CHECK_OK(odin_tensor_set_data(g, c, data, sizeof data));
    CHECK_ERR(odin_graph_verify(g), "constant 'c' has an unknown shape f32[?,2]");
    odin_graph_free(g);
}

static void test_dtype_rank(void) {
    odin_graph *g = build_mlp();
    if (!g) return;
    g->tensors[0].rank = ODIN_MAX_RANK + 1;
    CHECK_ERR(odin_graph_verify(g), "tensor 'x': rank 9 is outside -1..8");
    odin_graph_free(g);

    g = build_mlp();
    if (!g) return;
    g->tensors[0].dims[1] = -2;
    CHECK_ERR(odin_graph_verify(g), "tensor 'x': dim 1 is -2 (must be >= -1)");
    odin_graph_free(g);

    g = build_mlp();
    if (!g) return;
    g->tensors[0].dtype = (odin_dtype)77;
    CHECK_ERR(odin_graph_verify(g), "tensor 'x': invalid dtype 77");
    odin_graph_free(g);
}

static void test_wrong_recorded_shape(void) {
    odin_graph *g = build_mlp();
    if (!g) return;
    int y = find(g, "y");
    g->tensors[y].dims[0] = 5; /* Transpose of f32[2,4] is f32[4,2] */
    CHECK_ERR(odin_graph_verify(g), "graph 'g': node 'Transpose_3' (Transpose): output 0 'y' "
                                    "is recorded as f32[5,2] but inference gives f32[4,2]");
    odin_graph_free(g);

    g = build_mlp();
    if (!g) return;
    int h = g->nodes[0].outputs[0];
    g->tensors[h].dtype = ODIN_F64;
    CHECK_ERR(odin_graph_verify(g), "node 'MatMul_0' (MatMul): output 0 'MatMul_0' is recorded "
                                    "as f64[2,4] but inference gives f32[2,4]");
    odin_graph_free(g);

    /* inference itself fails: inner dims of MatMul no longer agree */
    g = build_mlp();
    if (!g) return;
    g->tensors[0].dims[1] = 5;
    CHECK_ERR(odin_graph_verify(g), "graph 'g': node 'MatMul_0' (MatMul)");
    odin_graph_free(g);
}

static void test_unsupported_op(void) {
    odin_graph *g = odin_graph_new("g");
    int x = tensor(g, "x", 1, d4), y = tensor(g, "y", 1, d4);
    CHECK_OK(odin_graph_add_input(g, x));
    node(g, "mystery", "NoSuchOp", &x, 1, y);
    CHECK_OK(odin_graph_add_output(g, y));
    CHECK_ERR(odin_graph_verify(g), "graph 'g': node 'mystery' (NoSuchOp): unsupported op "
                                    "(domain '', opset 21)");
    odin_graph_free(g);
}

/* A test-local op: output = input with dim 0 doubled. The verifier must use the node's
 * own definition, not look the op up again. */
static odin_status twice_infer(odin_op_ctx *ctx) {
    int64_t dims[ODIN_MAX_RANK];
    for (int i = 0; i < ctx->in[0].rank; i++) dims[i] = ctx->in[0].dims[i];
    if (ctx->in[0].rank > 0 && dims[0] >= 0) dims[0] *= 2;
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, ctx->in[0].rank, dims);
    return ODIN_OK;
}
static const odin_op_def twice_def = {.name = "Twice", .domain = "test", .min_inputs = 1,
                                      .max_inputs = 1, .min_outputs = 1, .max_outputs = 1,
                                      .infer = twice_infer};

static void test_local_op_def(void) {
    odin_graph *g = odin_graph_new("g");
    int x = tensor(g, "x", 2, d23), y = tensor(g, "y", 2, (int64_t[]){4, 3});
    CHECK_OK(odin_graph_add_input(g, x));
    int n = -1;
    CHECK_OK(odin_graph_add_node(g, "tw", "Twice", "test", &x, 1, &y, 1, NULL, 0, &n));
    g->nodes[n].def = &twice_def;
    CHECK_OK(odin_graph_add_output(g, y));
    CHECK_OK(odin_graph_verify(g));
    g->tensors[y].dims[0] = 2;
    CHECK_ERR(odin_graph_verify(g), "node 'tw' (Twice): output 0 'y' is recorded as f32[2,3] but "
                                    "inference gives f32[4,3]");
    /* arity comes from the definition too */
    g->tensors[y].dims[0] = 4;
    int two[2] = {x, x};
    g->nodes[n].inputs = two;
    g->nodes[n].n_inputs = 2;
    CHECK_ERR(odin_graph_verify(g), "node 'tw' (Twice): has 2 inputs, expected 1..1");
    g->nodes[n].n_inputs = 1;
    odin_graph_free(g);
}

static void test_omitted_optional_output(void) {
    /* -1 in an output list (an omitted optional output) is fine */
    odin_graph *g = odin_graph_new("g");
    int x = tensor(g, "x", 2, d23), y = tensor(g, "y", 2, d24);
    (void)y;
    CHECK_OK(odin_graph_add_input(g, x));
    int outs[1] = {-1}, n = -1;
    CHECK_OK(odin_graph_add_node(g, "r", "Relu", "", &x, 1, outs, 1, NULL, 0, &n));
    CHECK_OK(odin_graph_verify(g));
    odin_graph_free(g);
}

int main(void) {
    RUN(test_valid_builder_graph);
    RUN(test_use_before_def);
    RUN(test_cycle);
    RUN(test_dangling);
    RUN(test_duplicate_names);
    RUN(test_double_producer);
    RUN(test_constant_size);
    RUN(test_dtype_rank);
    RUN(test_wrong_recorded_shape);
    RUN(test_unsupported_op);
    RUN(test_local_op_def);
    RUN(test_omitted_optional_output);
    TEST_DONE();
}
