/* codegen/lower_query.c — odin_op_lowering_state: reads the same lowering tables the
 * compile driver uses (odin_lowering_find), so listings never disagree with codegen. */
#include "lower_query.h"

#include "lower.h"

odin_lowering_state odin_op_lowering_state(const odin_op_def *def) {
    odin_node n = {.op = def->name, .domain = def->domain};
    const odin_lowering *l = odin_lowering_find(&n);
    if (!l || (!l->kernel && !l->elem)) return ODIN_LOWERING_NONE;
    /* an accepts hook declines some nodes; a scalar lowering without any_dtype is f32 only */
    if (l->accepts || (!l->kernel && !l->any_dtype)) return ODIN_LOWERING_PARTIAL;
    return ODIN_LOWERING_FULL;
}

const char *odin_lowering_state_name(odin_lowering_state s) {
    return s == ODIN_LOWERING_FULL ? "yes" : s == ODIN_LOWERING_PARTIAL ? "partial" : "no";
}
