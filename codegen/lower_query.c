/* codegen/lower_query.c — odin_op_lowering_state: reads the same lowering tables the
 * compile driver uses (odin_lowering_find), so listings never disagree with codegen. */
#include "lower_query.h"

#include "../passes/plan.h"
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

bool odin_node_lowered(const odin_graph *g, int node) {
    const odin_lowering *l = odin_lowering_find(&g->nodes[node]);
    if (l && l->kernel) return !l->accepts || l->accepts(g, node);
    return odin_elem_fusable(g, node);
}

int odin_program_fallback_nodes(const odin_program *p, int *nodes, int max) {
    const odin_plan *plan = odin_program_plan(p);
    const odin_graph *g = odin_program_graph(p);
    int count = 0;
    for (int gi = 0; gi < plan->n_groups; gi++) {
        const odin_kernel_group *grp = &plan->groups[gi];
        if (grp->elementwise) continue; /* fused loops are always compiled */
        int node = plan->group_nodes[grp->first];
        if (odin_node_lowered(g, node)) continue;
        if (count < max) nodes[count] = node;
        count++;
    }
    return count;
}
