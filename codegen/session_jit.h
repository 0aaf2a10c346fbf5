/* codegen/session_jit.h — runners for LM sessions (runtime/session.h) over a loaded graph:
 * the JIT runner compiles one program per chunk length T (a copy of the graph with seq
 * bound to T, sharing the weights), each once, through the disk cache when one is given;
 * the ref runner runs the reference interpreter (the oracle in tests). */
#ifndef ODIN_SESSION_JIT_H
#define ODIN_SESSION_JIT_H

#include "../runtime/session.h"
#include "engine.h"

/* A runner for g (which must outlive it) with the layout from odin_lm_layout_of(g).
 * o->engine picks JIT or ref; o->opt_level and o->cache_dir apply to the JIT. The JIT
 * runner owns its programs (not the process-wide memory cache, whose entries can be
 * evicted or rebound to another graph while a session still runs them). */
odin_status odin_lm_runner_create(const odin_graph *g, const odin_lm_layout *layout,
                                  const odin_engine_options *o, odin_lm_runner *out);

/* Settle layout->all_logits when g's logits rows are not inferred (logits_rows_unknown):
 * specialize a copy of g to two tokens and look. */
odin_status odin_lm_layout_resolve(const odin_graph *g, odin_lm_layout *layout);

/* Layout (resolved) + runner + session in one call; g must outlive the session. strict: a state
 * pair that breaks the in-place rule is an error instead of a double-buffered pair. */
odin_status odin_lm_session_open(const odin_graph *g, const odin_engine_options *eo,
                                 const odin_session_options *so, bool strict,
                                 odin_session **out);

#endif
