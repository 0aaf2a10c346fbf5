/* codegen/engine.h — run a graph on given inputs with a named engine: "ref" (the
 * reference interpreter) or "jit" (specialize shapes, compile through LLVM, run). JIT
 * programs are cached in memory by XXH3 of the graph, shapes, target and options. */
#ifndef ODIN_ENGINE_H
#define ODIN_ENGINE_H

#include "compile.h"

typedef enum odin_engine { ODIN_ENGINE_REF, ODIN_ENGINE_JIT } odin_engine;

odin_status odin_engine_parse(const char *name, odin_engine *out);
/* outputs: g->n_outputs values with malloc'ed data (odin_values_free). g may be
 * specialized in place to the inputs' shapes. */
odin_status odin_execute(odin_graph *g, odin_engine e, const odin_value *inputs,
                         odin_value *outputs);

#endif
