/* passes/dce.c — dead-code elimination: a node lives when a graph output depends on it;
 * the others go, then tensors nothing refers to any more (constants folded away,
 * outputs of removed nodes). Graph inputs stay even when unused: they are the caller's
 * calling convention. */
#include <stdlib.h>

#include "../ir/edit.h"
#include "pass.h"

/* Marks live nodes in dead[] (false = live). Sweeps backwards from the graph outputs; the
 * sweep repeats until stable so a graph whose nodes are out of order is still handled. */
static void mark_live(const odin_graph *g, bool *live_t, bool *dead) {
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] >= 0) live_t[g->outputs[i]] = true;
    for (int ni = 0; ni < g->n_nodes; ni++) dead[ni] = true;
    bool grew = true;
    while (grew) {
        grew = false;
        for (int ni = g->n_nodes - 1; ni >= 0; ni--) {
            if (!dead[ni]) continue;
            const odin_node *n = &g->nodes[ni];
            bool live = false;
            for (int i = 0; i < n->n_outputs && !live; i++)
                live = n->outputs[i] >= 0 && live_t[n->outputs[i]];
            if (!live) continue;
            dead[ni] = false;
            grew = true;
            for (int i = 0; i < n->n_inputs; i++)
                if (n->inputs[i] >= 0) live_t[n->inputs[i]] = true;
        }
    }
}

odin_status odin_pass_dce(odin_graph *g, bool *changed) {
    *changed = false;
    bool *dead = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *dead);
    bool *live_t = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *live_t);
    odin_status st = dead && live_t ? ODIN_OK : odin_errorf("out of memory");
    if (!st) {
        mark_live(g, live_t, dead);
        int before = g->n_nodes, removed = 0;
        st = odin_graph_remove_nodes(g, dead);
        if (!st) st = odin_graph_compact(g, &removed);
        *changed = g->n_nodes != before || removed > 0;
    }
    free(dead);
    free(live_t);
    return st;
}
