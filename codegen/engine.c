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

odin_status odin_execute(odin_graph *g, odin_engine e, const odin_value *inputs,
                         odin_value *outputs) {
    if (e == ODIN_ENGINE_REF) return odin_interpret(g, inputs, g->n_inputs, outputs);
    ODIN_TRY(odin_specialize_inputs(g, inputs));
    ODIN_TRY(odin_run_passes(g, NULL)); /* -O2 before planning */
    odin_program *p;
    odin_compile_options o = odin_compile_defaults();
    ODIN_TRY(odin_program_compile(g, &o, &p));
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
    odin_program_free(p);
    return st;
}
