#include "engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ir/edit.h"
#include "../ir/hash.h"
#include "../ops/interpret.h"
#include "../passes/pass.h"
#include "../passes/specialize.h"
#include "../runtime/report.h"

odin_status odin_engine_parse(const char *name, odin_engine *out) {
    if (!strcmp(name, "ref")) *out = ODIN_ENGINE_REF;
    else if (!strcmp(name, "jit")) *out = ODIN_ENGINE_JIT;
    else return odin_errorf("unknown engine '%s' (ref or jit)", name);
    return ODIN_OK;
}

odin_engine_options odin_engine_defaults(odin_engine e) {
    return (odin_engine_options){.engine = e, .opt_level = -1};
}

/* Every tensor a node touches has a known rank and extents (what the planner needs). */
static bool shapes_static(const odin_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        const odin_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_inputs + n->n_outputs; k++) {
            int t = k < n->n_inputs ? n->inputs[k] : n->outputs[k - n->n_inputs];
            if (t < 0) continue;
            const odin_tensor *tt = &g->tensors[t];
            if (tt->rank < 0) return false;
            for (int d = 0; d < tt->rank; d++)
                if (tt->dims[d] < 0) return false;
        }
    }
    return true;
}

/* Value specialization, for graphs whose shapes depend on input data (Range limits, TopK's
 * k, window sizes, Reshape targets given as inputs; NonZero or Compress of data): inputs
 * become constants for the nodes, and folding makes the shapes static. First only small
 * integer inputs (the usual shape carriers); when that is not enough, every input. The
 * graph keeps them as inputs (unused), so callers bind inputs as before; graph metadata
 * records a hash of each bound value, and a later call must bring the same values. */
#define SMALL_INT_BYTES 512
#define VALUE_META "odin.jit.value:"

static void value_key(const odin_graph *g, int t, char *key, size_t size) {
    snprintf(key, size, VALUE_META "%s", g->tensors[t].name);
}

static odin_status check_bound_values(const odin_graph *g, const odin_value *inputs) {
    for (int i = 0; i < g->n_inputs; i++) {
        char key[300], hash[24];
        value_key(g, g->inputs[i], key, sizeof key);
        const char *was = odin_graph_get_meta(g, key);
        if (!was) continue;
        snprintf(hash, sizeof hash, "%016llx", (unsigned long long)odin_value_hash(&inputs[i]));
        if (strcmp(hash, was) != 0)
            return odin_errorf("input '%s' sets shapes in this graph, and the JIT compiled it for "
                               "an earlier value; load the model again to run another value",
                               g->tensors[g->inputs[i]].name);
    }
    return ODIN_OK;
}

static odin_status bind_values(odin_graph *g, const odin_value *inputs, bool all, bool *bound) {
    *bound = false;
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        const odin_tensor *tt = &g->tensors[t];
        size_t nb = odin_value_nbytes(&inputs[i]);
        char key[300], hash[24], base[300];
        value_key(g, t, key, sizeof key);
        if ((tt->flags & ODIN_TENSOR_CONST) || !inputs[i].data || tt->dtype == ODIN_STRING ||
            odin_graph_get_meta(g, key))
            continue;
        if (!all && !(odin_dtype_is_int(tt->dtype) && nb <= SMALL_INT_BYTES)) continue;
        snprintf(base, sizeof base, "%s.value", tt->name);
        const char *name = odin_graph_unique_name(g, base);
        int c;
        if (!name) return odin_errorf("out of memory");
        ODIN_TRY(odin_graph_add_tensor(g, name, tt->dtype, inputs[i].rank, inputs[i].dims, &c));
        ODIN_TRY(odin_tensor_set_data(g, c, inputs[i].data, nb));
        int changed = 0;
        ODIN_TRY(odin_graph_replace_node_uses(g, t, c, &changed));
        snprintf(hash, sizeof hash, "%016llx", (unsigned long long)odin_value_hash(&inputs[i]));
        ODIN_TRY(odin_graph_set_meta(g, key, hash));
        *bound = *bound || changed > 0;
    }
    return ODIN_OK;
}

odin_status odin_engine_prepare(odin_graph *g, const odin_value *inputs,
                                const odin_engine_options *o, odin_program **out,
                                odin_cache_result *how) {
    *out = NULL;
    if (inputs) ODIN_TRY(odin_specialize_inputs(g, inputs));
    if (inputs) ODIN_TRY(check_bound_values(g, inputs));
    odin_pass_options po = odin_pass_defaults();
    odin_compile_options co = odin_compile_defaults();
    /* Default -O2 for LLVM too. -O3 is a sane choice since copybox copies contiguous runs
     * with memcpy (before, -O3 unrolled a gpt2 transpose into ~25,000 instructions: 11.7 s
     * against 0.44 s), but it still compiles 15-30 % longer (gpt2 builder 371 -> 481 ms
     * CPU, mlp_b64 140 -> 176 ms) for run times equal within noise (best of 5 processes:
     * gpt2 2.95 / 2.88 ms, mlp_b64 0.748 / 0.744 ms, MatMul 128x768x768 1.30 / 1.30 ms). */
    po.opt_level = co.opt_level = o->opt_level >= 0 ? o->opt_level : 2;
    co.profile = o->profile;
    double t0 = odin_now_ms();
    ODIN_TRY(odin_run_passes(g, &po));
    for (int round = 0; round < 2 && inputs && !shapes_static(g); round++) {
        bool bound = false;
        ODIN_TRY(bind_values(g, inputs, round == 1, &bound));
        if (!bound) continue;
        if (po.opt_level < 1) po.opt_level = 1; /* folding makes the shapes static */
        ODIN_TRY(odin_reinfer(g));
        ODIN_TRY(odin_run_passes(g, &po));
    }
    /* ODIN_COMPILE_TIMES=1 (see codegen/compile.c): the graph passes' share */
    if (getenv("ODIN_COMPILE_TIMES")) fprintf(stderr, "passes %.1f ms\n", odin_now_ms() - t0);
    return odin_jit_get(g, &co, o->cache_dir, out, how);
}

odin_status odin_engine_run(odin_program *p, const odin_value *inputs, odin_value *outputs) {
    const odin_graph *g = odin_program_graph(p);
    void **ins = calloc(g->n_inputs + 1, sizeof *ins), **outs = calloc(g->n_outputs + 1, sizeof *outs);
    odin_status st = ins && outs ? ODIN_OK : odin_errorf("out of memory");
    for (int i = 0; !st && i < g->n_inputs; i++) ins[i] = inputs[i].data;
    int made = 0;
    for (int i = 0; !st && i < g->n_outputs; i++, made++) {
        outputs[i] = odin_tensor_value(g, g->outputs[i]);
        size_t nb = odin_value_nbytes(&outputs[i]);
        outputs[i].data = calloc(1, nb ? nb : 1);
        if (!outputs[i].data) st = odin_errorf("out of memory");
        outs[i] = outputs[i].data;
    }
    if (!st) st = odin_program_run(p, ins, outs);
    if (st) odin_values_free(outputs, made);
    free(ins);
    free(outs);
    return st;
}

odin_status odin_execute_with(odin_graph *g, const odin_engine_options *o,
                              const odin_value *inputs, odin_value *outputs) {
    if (o->engine == ODIN_ENGINE_REF) return odin_interpret(g, inputs, g->n_inputs, outputs);
    odin_program *p;
    odin_cache_result how;
    ODIN_TRY(odin_engine_prepare(g, inputs, o, &p, &how));
    return odin_engine_run(p, inputs, outputs);
}

odin_status odin_execute(odin_graph *g, odin_engine e, const odin_value *inputs,
                         odin_value *outputs) {
    odin_engine_options o = odin_engine_defaults(e);
    return odin_execute_with(g, &o, inputs, outputs);
}
