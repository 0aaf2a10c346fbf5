/* codegen/lower_query.h — what the compiler can lower, asked without LLVM types (for the
 * CLI's `odinc ops`, `odinc check --fallbacks` and tests): whether an op definition or a
 * node has a compiled lowering, and which nodes of a program run their eval instead. */
#ifndef ODIN_LOWER_QUERY_H
#define ODIN_LOWER_QUERY_H

#include "../ops/op.h"
#include "program.h"

typedef enum odin_lowering_state {
    ODIN_LOWERING_NONE,    /* every node of this op runs its reference eval */
    ODIN_LOWERING_PARTIAL, /* some attributes/dtypes are declined and run the eval */
    ODIN_LOWERING_FULL     /* every node is compiled */
} odin_lowering_state;

odin_lowering_state odin_op_lowering_state(const odin_op_def *def);
const char *odin_lowering_state_name(odin_lowering_state s); /* "no", "partial", "yes" */

/* The node runs compiled code (a kernel whose accepts hook takes it, or a fusable
 * elementwise op), as the compile driver decides; false: it would run its eval. */
bool odin_node_lowered(const odin_graph *g, int node);
/* Nodes of a compiled program's graph that run their eval fallback: writes up to max
 * node indices, returns how many there are. */
int odin_program_fallback_nodes(const odin_program *p, int *nodes, int max);

#endif
