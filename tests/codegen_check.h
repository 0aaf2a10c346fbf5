/* tests/codegen_check.h — shared by the codegen lowering tests: run a graph through the
 * reference interpreter and through the JIT with the same random inputs and compare.
 * Header-only (static functions) so each test binary stays one .c file. */
#ifndef ODIN_TEST_CODEGEN_CHECK_H
#define ODIN_TEST_CODEGEN_CHECK_H

#include <math.h>
#include <stdlib.h>

#include "../codegen/compile.h"
#include "../ir/builder.h"
#include "../ops/interpret.h"
#include "../runtime/rng.h"
#include "test.h"

/* Integer inputs are drawn from [int_lo, int_hi); floats from [-2, 2), or from small
 * integers when float_ties is set (so extrema repeat). */
typedef struct check_opts {
    int64_t int_lo, int_hi;
    bool float_ties;
    double tol;          /* max |jit - ref| / (1 + |ref|); 0: bit-exact */
    bool allow_fallback; /* the lowering may decline (else fallbacks must be 0) */
    uint64_t seed;
} check_opts;

static check_opts check_defaults(void) {
    return (check_opts){.int_lo = -100, .int_hi = 100, .tol = 0, .seed = 11};
}

static void check_fill(const odin_graph *g, odin_value *in, const check_opts *o) {
    odin_rng r;
    odin_rng_seed(&r, o->seed);
    for (int i = 0; i < g->n_inputs; i++) {
        in[i] = odin_tensor_value(g, g->inputs[i]);
        int64_t n = odin_value_numel(&in[i]);
        in[i].data = calloc((size_t)(n ? n : 1), odin_dtype_size(in[i].dtype));
        for (int64_t k = 0; k < n; k++) {
            double v;
            if (odin_dtype_is_float(in[i].dtype))
                v = o->float_ties ? (double)(odin_rng_next(&r) % 5) - 2 : 4 * odin_rng_uniform(&r) - 2;
            else if (in[i].dtype == ODIN_BOOL)
                v = (double)(odin_rng_next(&r) & 1);
            else
                v = (double)(o->int_lo + (int64_t)(odin_rng_next(&r) % (uint64_t)(o->int_hi - o->int_lo)));
            odin_store_from_f64(in[i].data, in[i].dtype, (size_t)k, v);
        }
    }
}

/* Compile and run g, compare with odin_interpret. Returns the worst relative error
 * (INFINITY on any failure, printed to stderr with `what`). */
static double check_graph(const odin_graph *g, const char *what, const check_opts *o, int *fallbacks) {
    odin_value in[16], ref[16], got[16];
    check_fill(g, in, o);
    odin_status st = odin_interpret(g, in, g->n_inputs, ref);
    if (st) {
        fprintf(stderr, "  %s: interpret: %s\n", what, odin_status_message(st));
        odin_status_free(st);
        odin_values_free(in, g->n_inputs);
        return INFINITY;
    }
    odin_program *p = NULL;
    odin_compile_options co = odin_compile_defaults();
    st = odin_program_compile(g, &co, &p);
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
                    double a = odin_load_as_f64(got[i].data, ref[i].dtype, (size_t)k);
                    double b = odin_load_as_f64(ref[i].data, ref[i].dtype, (size_t)k);
                    double e = (isnan(a) && isnan(b)) ? 0 : a == b ? 0 : fabs(a - b) / (1 + fabs(b));
                    if (!(e <= worst)) worst = e;
                    if (!(e <= o->tol) && worst == e)
                        fprintf(stderr, "  %s: output %d [%lld]: jit %.9g ref %.9g\n", what, i,
                                (long long)k, a, b);
                }
            }
        }
        int fb = odin_program_fallback_count(p);
        if (fallbacks) *fallbacks = fb;
        if (fb && !o->allow_fallback) {
            fprintf(stderr, "  %s: %d kernels fell back to eval\n", what, fb);
            worst = INFINITY;
        }
        odin_values_free(got, g->n_outputs);
    }
    if (st) {
        fprintf(stderr, "  %s: jit: %s\n", what, odin_status_message(st));
        odin_status_free(st);
    }
    odin_program_free(p);
    odin_values_free(in, g->n_inputs);
    odin_values_free(ref, g->n_outputs);
    return worst;
}

/* Check g (takes ownership), expecting no fallback and error <= o->tol. */
#define CHECK_GRAPH(g, o, ...)                                                             \
    do {                                                                                   \
        char what_[160];                                                                   \
        snprintf(what_, sizeof what_, __VA_ARGS__);                                        \
        odin_status gst_ = odin_graph_take_error(g);                                       \
        CHECK(!gst_, "%s: build: %s", what_, odin_status_message(gst_));                   \
        odin_status_free(gst_);                                                            \
        if (!gst_) {                                                                       \
            double err_ = check_graph(g, what_, &(o), NULL);                               \
            CHECK(err_ <= (o).tol, "%s: max rel err %g", what_, err_);                     \
        }                                                                                  \
        odin_graph_free(g);                                                                \
    } while (0)

#endif
