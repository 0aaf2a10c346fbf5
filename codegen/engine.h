/* codegen/engine.h — run a graph on given inputs with a named engine: "ref" (the
 * reference interpreter) or "jit" (specialize shapes, run the graph passes, compile through
 * LLVM, run). JIT programs are cached (codegen/cache.h): in memory by XXH3 of the graph,
 * shapes, target and options, and on disk when a cache folder is given. */
#ifndef ODIN_ENGINE_H
#define ODIN_ENGINE_H

#include "cache.h"

typedef enum odin_engine { ODIN_ENGINE_REF, ODIN_ENGINE_JIT } odin_engine;

typedef struct odin_engine_options {
    odin_engine engine;
    int opt_level;         /* -O level of the graph passes and LLVM (0..3); -1: 2 */
    bool profile;          /* compile odin_rt_profile_begin/end calls around kernels */
    const char *cache_dir; /* NULL: memory cache only */
} odin_engine_options;

odin_status odin_engine_parse(const char *name, odin_engine *out);
odin_engine_options odin_engine_defaults(odin_engine e);

/* JIT: specialize g in place to the inputs' shapes (NULL: g's shapes are already static),
 * run the pass pipeline and get the compiled program (owned by the cache). */
odin_status odin_engine_prepare(odin_graph *g, const odin_value *inputs,
                                const odin_engine_options *o, odin_program **out,
                                odin_cache_result *how);
/* Run a prepared program; outputs: g->n_outputs values with malloc'ed data. */
odin_status odin_engine_run(odin_program *p, const odin_value *inputs, odin_value *outputs);

/* outputs: g->n_outputs values with malloc'ed data (odin_values_free). g may be
 * specialized in place to the inputs' shapes. */
odin_status odin_execute(odin_graph *g, odin_engine e, const odin_value *inputs,
                         odin_value *outputs);
odin_status odin_execute_with(odin_graph *g, const odin_engine_options *o,
                              const odin_value *inputs, odin_value *outputs);

#endif
