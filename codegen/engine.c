#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "../ops/interpret.h"
#include "../passes/pass.h"
#include "../passes/specialize.h"

odin_status odin_engine_parse(const char *name, odin_engine *out) {
    if (!strcmp(name, "ref")) *out = ODIN_ENGINE_REF;
    else if (!strcmp(name, "jit")) *out = ODIN_ENGINE_JIT;
    else return odin_errorf("unknown engine '%s' (ref or jit)", name);
    return ODIN_OK;
}

odin_engine_options odin_engine_defaults(odin_engine e) {
    return (odin_engine_options){.engine = e, .opt_level = -1};
}

odin_status odin_engine_prepare(odin_graph *g, const odin_value *inputs,
                                const odin_engine_options *o, odin_program **out,
                                odin_cache_result *how) {
    *out = NULL;
    if (inputs) ODIN_TRY(odin_specialize_inputs(g, inputs));
    odin_pass_options po = odin_pass_defaults();
    odin_compile_options co = odin_compile_defaults();
    if (o->opt_level >= 0) po.opt_level = co.opt_level = o->opt_level;
    co.profile = o->profile;
    ODIN_TRY(odin_run_passes(g, &po));
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
