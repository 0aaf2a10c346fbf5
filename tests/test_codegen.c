/* Compiled code against the reference interpreter: model graphs and single ops run
 * through the JIT (fused elementwise loops, kernels, eval fallbacks) and must match
 * odin_interpret within fp32 tolerance. */
#include <stdlib.h>

#include "../codegen/compile.h"
#include "../ir/builder.h"
#include "../models/models.h"
#include "../ops/interpret.h"
#include "../runtime/rng.h"
#include "test.h"

/* Random inputs by dtype; token-like ints stay below `int_bound`. */
static void make_inputs(const odin_graph *g, odin_value *in, uint64_t seed, int64_t int_bound) {
    odin_rng r;
    odin_rng_seed(&r, seed);
    for (int i = 0; i < g->n_inputs; i++) {
        in[i] = odin_tensor_value(g, g->inputs[i]);
        int64_t n = odin_value_numel(&in[i]);
        in[i].data = calloc(n ? n : 1, odin_dtype_size(in[i].dtype));
        for (int64_t k = 0; k < n; k++) {
            if (in[i].dtype == ODIN_F32) ((float *)in[i].data)[k] = 4 * odin_rng_uniform(&r) - 2;
            else if (in[i].dtype == ODIN_I64)
                ((int64_t *)in[i].data)[k] = (int64_t)(odin_rng_next(&r) % (uint64_t)int_bound);
        }
    }
}

/* max |jit - ref| / (1 + |ref|) over all outputs */
static double compare_engines(const odin_graph *g, int64_t int_bound, int *fallbacks) {
    odin_value in[16], ref[16], got[16];
    make_inputs(g, in, 7, int_bound);
    odin_status st = odin_interpret(g, in, g->n_inputs, ref);
    if (st) {
        fprintf(stderr, "  interpret: %s\n", odin_status_message(st));
        odin_status_free(st);
        odin_values_free(in, g->n_inputs);
        return INFINITY;
    }
    odin_program *p = NULL;
    odin_compile_options o = odin_compile_defaults();
    st = odin_program_compile(g, &o, &p);
    double worst = INFINITY;
    if (!st) {
        void *ins[16], *outs[16];
        for (int i = 0; i < g->n_inputs; i++) ins[i] = in[i].data;
        for (int i = 0; i < g->n_outputs; i++) {
            got[i] = ref[i];
            got[i].data = calloc(1, odin_value_nbytes(&ref[i]) + 1);
            outs[i] = got[i].data;
        }
        st = odin_program_run(p, ins, outs);
        if (!st) {
            worst = 0;
            for (int i = 0; i < g->n_outputs; i++) {
                int64_t n = odin_value_numel(&ref[i]);
                for (int64_t k = 0; k < n; k++) {
                    double a = odin_load_as_f64(got[i].data, ref[i].dtype, k);
                    double b = odin_load_as_f64(ref[i].data, ref[i].dtype, k);
                    double e = fabs(a - b) / (1 + fabs(b));
                    if (!(e <= worst)) worst = e;
                }
            }
        }
        if (fallbacks) *fallbacks = odin_program_fallback_count(p);
        odin_values_free(got, g->n_outputs);
    }
    if (st) {
        fprintf(stderr, "  jit: %s\n", odin_status_message(st));
        odin_status_free(st);
    }
    odin_program_free(p);
    odin_values_free(in, g->n_inputs);
    odin_values_free(ref, g->n_outputs);
    return worst;
}

static void test_mlp(void) {
    const char *set[] = {"in=37", "hidden=29", "out=5", "batch=3"};
    odin_graph *g;
    CHECK_OK(odin_model_build("mlp", set, 4, &g));
    if (!g) return;
    int fb = -1;
    double err = compare_engines(g, 1, &fb);
    CHECK(err < 1e-5, "mlp max rel err %g", err);
    odin_graph_free(g);
}

static void test_gpt2(void) {
    const char *set[] = {"vocab=97", "n_embd=32", "n_head=4", "n_layer=2", "seq=7", "n_ctx=16"};
    odin_graph *g;
    CHECK_OK(odin_model_build("gpt2", set, 6, &g));
    if (!g) return;
    int fb = -1;
    double err = compare_engines(g, 97, &fb);
    CHECK(err < 1e-4, "gpt2 max rel err %g", err);
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
        odin_status st = odin_graph_take_error(g);
        CHECK(!st, "%s: %s", unary[u], odin_status_message(st));
        odin_status_free(st);
        if (!st) {
            double err = compare_engines(g, 1, NULL);
            CHECK(err < 2e-6, "%s chain max rel err %g", unary[u], err);
        }
        odin_graph_free(g);
    }
}

int main(void) {
    RUN(test_elementwise_chain);
    RUN(test_mlp);
    RUN(test_gpt2);
    TEST_DONE();
}
