/* codegen/lower_query.h — what the compiler can lower, asked without LLVM types (for the
 * CLI's `odinc ops` and for tests): whether an op definition has a compiled lowering. */
#ifndef ODIN_LOWER_QUERY_H
#define ODIN_LOWER_QUERY_H

#include "../ops/op.h"

typedef enum odin_lowering_state {
    ODIN_LOWERING_NONE,    /* every node of this op runs its reference eval */
    ODIN_LOWERING_PARTIAL, /* some attributes/dtypes are declined and run the eval */
    ODIN_LOWERING_FULL     /* every node is compiled */
} odin_lowering_state;

odin_lowering_state odin_op_lowering_state(const odin_op_def *def);
const char *odin_lowering_state_name(odin_lowering_state s); /* "no", "partial", "yes" */

#endif
