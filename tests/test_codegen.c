/* Compiled code against the reference interpreter: model graphs and single ops run
 * through the JIT (fused elementwise loops, kernels, eval fallbacks) and must match
 * odin_interpret within fp32 tolerance. */
#include "../models/models.h"
#include "../runtime/threads.h"
#include "codegen_check.h"

static void test_mlp(void) {
    const char *set[] = {"in=37", "hidden=29", "out=5", "batch=3"};
    odin_graph *g;
    CHECK_OK(odin_model_build("mlp", set, 4, &g));
    if (!g) return;
    check_opts o = check_defaults();
    o.tol = 1e-5;
    double err = check_graph(g, "mlp", &o, NULL);
    CHECK(err <= o.tol, "mlp max rel err %g", err);
    odin_graph_free(g);
}

static void test_gpt2(void) {
    const char *set[] = {"vocab=97", "n_embd=32", "n_head=4", "n_layer=2", "seq=7", "n_ctx=16"};
    odin_graph *g;
    CHECK_OK(odin_model_build("gpt2", set, 6, &g));
    if (!g) return;
    check_opts o = check_defaults();
    o.int_lo = 0, o.int_hi = 97, o.tol = 1e-4; /* token ids inside the vocabulary */
    int fb = -1;
    double err = check_graph(g, "gpt2", &o, &fb);
    CHECK(err <= o.tol, "gpt2 max rel err %g", err);
    printf("  gpt2: %d fallback kernels\n", fb);
    odin_graph_free(g);
}

/* Each fusable op alone and in a chain with broadcasting, odd sizes for loop tails. */
static void test_elementwise_chain(void) {
    const char *unary[] = {"Exp", "Tanh", "Sigmoid", "Erf", "Relu", "Neg", "Abs", "Softplus",
                           "Sin", "Cos", "Floor", "Ceil", "Softsign", "HardSwish"};
    for (size_t u = 0; u < sizeof unary / sizeof unary[0]; u++) {
        odin_graph *g = odin_graph_new("chain");
        int64_t xd[3] = {3, 5, 67}, bd[1] = {67}, sd[3] = {3, 1, 67};
        int x = odin_input(g, "x", ODIN_F32, 3, xd);
        int b = odin_input(g, "b", ODIN_F32, 1, bd);
        int s = odin_input(g, "s", ODIN_F32, 3, sd);
        int y = odin_build(g, unary[u], &x, 1, NULL, 0, 1, NULL);
        y = odin_mul(g, odin_add(g, y, b), s);
        odin_output(g, odin_sub(g, y, x), "y");
        check_opts o = check_defaults();
        o.tol = 2e-6;
        CHECK_GRAPH(g, o, "%s chain", unary[u]);
    }
}

/* A fused group big enough to run on the thread pool, whose leading dims are 1 (so the
 * range splits a later dim) and whose split dim does not divide into equal chunks. */
static void test_elementwise_parallel(void) {
    static const int64_t shapes[][4] = {{1, 1, 203, 331}, {1, 97, 1, 701}, {257, 263, 1, 1}};
    for (int sh = 0; sh < 3; sh++)
        for (int threads = 1; threads <= 3; threads++) {
            odin_rt_set_threads(threads);
            odin_graph *g = odin_graph_new("par");
            int64_t bd[1] = {shapes[sh][3]};
            int x = odin_input(g, "x", ODIN_F32, 4, shapes[sh]);
            int b = odin_input(g, "b", ODIN_F32, 1, bd);
            odin_attr approx = ODIN_ATTR_S("approximate", "tanh");
            int y = odin_build(g, "Gelu", &x, 1, &approx, 1, 1, NULL);
            odin_output(g, odin_add(g, odin_mul(g, y, b), x), "y");
            check_opts o = check_defaults();
            o.tol = 2e-6;
            CHECK_GRAPH(g, o, "shape %d, %d threads", sh, threads);
        }
    odin_rt_set_threads(0);
}

int main(void) {
    RUN(test_elementwise_chain);
    RUN(test_elementwise_parallel);
    RUN(test_mlp);
    RUN(test_gpt2);
    TEST_DONE();
}
