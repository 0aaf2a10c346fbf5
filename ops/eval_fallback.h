/* ops/eval_fallback.h — lets compiled code (JIT only) run a node through its reference
 * `eval` when codegen has no lowering for it yet: correct, not fast. */
#ifndef ODIN_EVAL_FALLBACK_H
#define ODIN_EVAL_FALLBACK_H

#include <stdint.h>

#include "../ir/graph.h"

/* ptrs: the node's input pointers then output pointers (static shapes from g).
 * Returns 0, or 1 with the error kept for odin_eval_fallback_take_error. */
int32_t odin_rt_eval_fallback(const odin_graph *g, int64_t node, void **ptrs);
odin_status odin_eval_fallback_take_error(void);

#endif
