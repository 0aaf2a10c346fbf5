/* The JIT's compile cache and engine API (codegen/cache.h, codegen/engine.h): memory hits
 * return the same program, rebound to a new graph of the same structure (the first graph
 * freed: ASan catches any read of it); other weights, options or profiling make other
 * keys; object files on disk load without LLVM and compute the same results; a damaged
 * file is recompiled; profiling counts every kernel once per run; graphs whose shapes
 * depend on input values (Range) are specialized to the values, and other values are
 * refused. Results are checked against the reference interpreter. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../codegen/engine.h"
#include "../codegen/target.h"
#include "../ir/builder.h"
#include "../models/models.h"
#include "../ops/interpret.h"
#include "../runtime/profile.h"
#include "../runtime/values.h"
#include "test.h"

static odin_graph *mlp(const char *seed) {
    const char *set[] = {"in=13", "hidden=11", "out=5", "batch=2", seed};
    odin_graph *g = NULL;
    CHECK_OK(odin_model_build("mlp", set, 5, &g));
    return g;
}

/* Runs p on seeded inputs and compares with odin_interpret on g: max abs error. */
static double run_vs_ref(odin_program *p, odin_graph *g) {
    odin_value in[4], ref[4], got[4];
    for (int i = 0; i < g->n_inputs; i++) {
        in[i] = odin_tensor_value(g, g->inputs[i]);
        in[i].data = NULL;
        CHECK_OK(odin_value_fill_random(&in[i], 42 + (uint64_t)i));
    }
    double worst = INFINITY;
    odin_status st = odin_interpret(g, in, g->n_inputs, ref);
    if (!st) st = odin_engine_run(p, in, got);
    if (!st) {
        worst = 0;
        for (int i = 0; i < g->n_outputs; i++) {
            int64_t n = odin_value_numel(&ref[i]);
            for (int64_t k = 0; k < n; k++) {
                double e = fabs(odin_load_as_f64(got[i].data, ref[i].dtype, k) -
                                odin_load_as_f64(ref[i].data, ref[i].dtype, k));
                if (!(e <= worst)) worst = e;
            }
        }
        odin_values_free(got, g->n_outputs);
        odin_values_free(ref, g->n_outputs);
    }
    CHECK_OK(st);
    odin_values_free(in, g->n_inputs);
    return worst;
}

static void test_memory_cache(void) {
    odin_compile_options o = odin_compile_defaults();
    o.opt_level = 1;
    odin_graph *g1 = mlp("seed=1");
    odin_program *p1 = NULL, *p2 = NULL, *p3 = NULL;
    odin_cache_result how = ODIN_CACHE_DISK;
    CHECK_OK(odin_jit_get(g1, &o, NULL, &p1, &how));
    CHECK(how == ODIN_CACHE_MISS, "first get: %d", how);
    if (p1) CHECK(run_vs_ref(p1, g1) < 1e-5, "mlp");
    CHECK_OK(odin_jit_get(g1, &o, NULL, &p2, &how));
    CHECK(how == ODIN_CACHE_MEMORY && p2 == p1, "second get: %d", how);
    /* The same model built again: a hit, rebound to the new graph's weights. */
    odin_graph_free(g1);
    odin_graph *g2 = mlp("seed=1");
    CHECK_OK(odin_jit_get(g2, &o, NULL, &p3, &how));
    CHECK(how == ODIN_CACHE_MEMORY && p3 == p1, "rebuilt graph: %d", how);
    if (p3) CHECK(run_vs_ref(p3, g2) < 1e-5, "mlp after rebind");
    /* Other weights: another key. */
    odin_graph *g3 = mlp("seed=2");
    CHECK_OK(odin_jit_get(g3, &o, NULL, &p3, &how));
    CHECK(how == ODIN_CACHE_MISS && p3 != p1, "other weights: %d", how);
    if (p3) CHECK(run_vs_ref(p3, g3) < 1e-5, "mlp seed 2");
    odin_jit_cache_clear();
    odin_graph_free(g2);
    odin_graph_free(g3);
}

static void test_keys(void) {
    odin_graph *g = mlp("seed=1");
    odin_target host;
    CHECK_OK(odin_target_host(&host));
    odin_compile_options o = odin_compile_defaults(), prof = o, o1 = o;
    prof.profile = true;
    o1.opt_level = 1;
    uint64_t a = 0, b = 1, c = 2, d = 3;
    CHECK_OK(odin_compile_key(g, &host, &o, &a));
    CHECK_OK(odin_compile_key(g, &host, &o, &b));
    CHECK_OK(odin_compile_key(g, &host, &prof, &c));
    CHECK_OK(odin_compile_key(g, &host, &o1, &d));
    CHECK(a == b, "same graph and options, same key");
    CHECK(a != c && a != d && c != d, "options change the key");
    odin_target other = host;
    snprintf(other.features, sizeof other.features, "-avx512f");
    CHECK_OK(odin_compile_key(g, &other, &o, &b));
    CHECK(a != b, "target features change the key");
    /* weights are in the key: code may bake constant values in (codegen/cache.c) */
    odin_graph *g2 = mlp("seed=2");
    CHECK_OK(odin_compile_key(g2, &host, &o, &b));
    CHECK(a != b, "other weights, other key");
    odin_graph_free(g2);
    odin_graph_free(g);
}

static void test_disk_cache(void) {
    char dir[] = "/tmp/odin-jit-cache.XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(false, "mkdtemp");
        return;
    }
    odin_compile_options o = odin_compile_defaults();
    o.opt_level = 1;
    odin_graph *g = mlp("seed=3");
    odin_target host;
    uint64_t key = 0;
    CHECK_OK(odin_target_host(&host));
    CHECK_OK(odin_compile_key(g, &host, &o, &key));
    char path[256];
    snprintf(path, sizeof path, "%s/%016llx.o", dir, (unsigned long long)key);
    odin_program *p = NULL;
    odin_cache_result how;
    CHECK_OK(odin_jit_get(g, &o, dir, &p, &how));
    CHECK(how == ODIN_CACHE_MISS && access(path, R_OK) == 0, "object file %s written", path);
    odin_jit_cache_clear();
    CHECK_OK(odin_jit_get(g, &o, dir, &p, &how));
    CHECK(how == ODIN_CACHE_DISK, "loaded from disk: %d", how);
    if (p) CHECK(run_vs_ref(p, g) < 1e-5, "mlp from the object file");
    odin_jit_cache_clear();
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs("not an object file", f);
        fclose(f);
    }
    CHECK_OK(odin_jit_get(g, &o, dir, &p, &how));
    CHECK(how == ODIN_CACHE_MISS, "a damaged file is compiled again: %d", how);
    if (p) CHECK(run_vs_ref(p, g) < 1e-5, "mlp recompiled");
    odin_jit_cache_clear();
    CHECK_OK(odin_jit_get(g, &o, dir, &p, &how));
    CHECK(how == ODIN_CACHE_DISK, "the damaged file was replaced: %d", how);
    odin_jit_cache_clear();
    remove(path);
    rmdir(dir);
    odin_graph_free(g);
}

static void test_profile(void) {
    odin_graph *g = mlp("seed=1");
    odin_compile_options o = odin_compile_defaults();
    o.opt_level = 1;
    o.profile = true;
    odin_program *p = NULL;
    odin_cache_result how;
    CHECK_OK(odin_jit_get(g, &o, NULL, &p, &how));
    if (p) {
        int n = odin_program_plan(p)->n_groups;
        odin_rt_profile_reset(n);
        CHECK(run_vs_ref(p, g) < 1e-5, "profiled mlp");
        CHECK(run_vs_ref(p, g) < 1e-5, "profiled mlp");
        uint64_t ns = 0;
        for (int k = 0; k < n; k++) {
            CHECK(odin_rt_profile_calls(k) == 2, "kernel %d ran %llu times", k,
                  (unsigned long long)odin_rt_profile_calls(k));
            ns += odin_rt_profile_ns(k);
        }
        CHECK(n >= 2 && ns > 0, "%d kernels, %llu ns", n, (unsigned long long)ns);
        CHECK(odin_rt_profile_calls(n) == 0, "no kernel beyond the plan");
    }
    odin_jit_cache_clear();
    odin_graph_free(g);
}

/* y = Range(0, limit, 1) * 2: the output length is the value of `limit`. */
static void test_value_specialization(void) {
    odin_graph *g = odin_graph_new("range");
    int start = odin_input(g, "start", ODIN_I64, 0, NULL);
    int limit = odin_input(g, "limit", ODIN_I64, 0, NULL);
    int delta = odin_input(g, "delta", ODIN_I64, 0, NULL);
    int ins[3] = {start, limit, delta};
    int r = odin_build(g, "Range", ins, 3, NULL, 0, 1, NULL);
    odin_output(g, odin_add(g, r, r), "y");
    CHECK_OK(odin_graph_take_error(g));
    int64_t v[3] = {3, 10, 2}, other = 12;
    odin_value in[3];
    for (int i = 0; i < 3; i++) in[i] = (odin_value){.dtype = ODIN_I64, .rank = 0, .data = &v[i]};
    odin_value out[1];
    odin_status st = odin_execute(g, ODIN_ENGINE_JIT, in, out);
    CHECK_OK(st);
    if (!st) {
        CHECK(out[0].rank == 1 && out[0].dims[0] == 4, "Range(3, 10, 2) has 4 values");
        const int64_t *y = out[0].data;
        for (int i = 0; i < 4 && out[0].dims[0] == 4; i++) CHECK(y[i] == 2 * (3 + 2 * i), "y[%d] = %lld", i, (long long)y[i]);
        odin_values_free(out, 1);
    }
    CHECK_OK(odin_execute(g, ODIN_ENGINE_JIT, in, out)); /* same values: fine */
    odin_values_free(out, 1);
    in[1].data = &other;
    CHECK_ERR(odin_execute(g, ODIN_ENGINE_JIT, in, out), "input 'limit' sets shapes");
    odin_jit_cache_clear();
    odin_graph_free(g);
}

int main(void) {
    RUN(test_memory_cache);
    RUN(test_keys);
    RUN(test_disk_cache);
    RUN(test_profile);
    RUN(test_value_specialization);
    TEST_DONE();
}
