/* ir/edit.c — graph surgery (see edit.h). Node and tensor deletion rebuild the index
 * references in one pass each, so the cost is linear in the graph size whatever the
 * number of deletions. */
#include "edit.h"

#include <stdlib.h>
#include <string.h>

static odin_status check_tensor_index(const odin_graph *g, int t, const char *what) {
    if (t < 0 || t >= g->n_tensors)
        return odin_errorf("graph '%s': replace uses: %s tensor index %d is out of range "
                           "(graph has %d tensors)", g->name, what, t, g->n_tensors);
    return ODIN_OK;
}

odin_status odin_graph_replace_node_uses(odin_graph *g, int from, int to, int *n_changed) {
    ODIN_TRY(check_tensor_index(g, from, "source"));
    ODIN_TRY(check_tensor_index(g, to, "target"));
    int n = 0;
    for (int ni = 0; ni < g->n_nodes && from != to; ni++) {
        odin_node *node = &g->nodes[ni];
        for (int i = 0; i < node->n_inputs; i++)
            if (node->inputs[i] == from) {
                node->inputs[i] = to;
                n++;
            }
    }
    if (n_changed) *n_changed = n;
    return ODIN_OK;
}

odin_status odin_graph_replace_uses(odin_graph *g, int from, int to, int *n_changed) {
    int n = 0;
    ODIN_TRY(odin_graph_replace_node_uses(g, from, to, &n));
    bool moved = false;
    for (int i = 0; i < g->n_outputs && from != to; i++)
        if (g->outputs[i] == from) {
            g->outputs[i] = to;
            moved = true;
            n++;
        }
    if (moved) {
        g->tensors[from].flags &= ~ODIN_TENSOR_OUTPUT;
        g->tensors[to].flags |= ODIN_TENSOR_OUTPUT;
    }
    if (n_changed) *n_changed = n;
    return ODIN_OK;
}

/* The node list is the truth about who writes what; a constant or graph input keeps no
 * producer even if a (removed-later) node still lists it. */
static void recompute_producers(odin_graph *g) {
    for (int t = 0; t < g->n_tensors; t++) g->tensors[t].producer = -1;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const odin_node *n = &g->nodes[ni];
        for (int i = 0; i < n->n_outputs; i++)
            if (n->outputs[i] >= 0 && n->outputs[i] < g->n_tensors)
                g->tensors[n->outputs[i]].producer = ni;
    }
}

odin_status odin_graph_remove_nodes(odin_graph *g, const bool *remove) {
    int kept = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (remove[ni]) continue;
        if (kept != ni) g->nodes[kept] = g->nodes[ni];
        kept++;
    }
    g->n_nodes = kept;
    recompute_producers(g);
    return ODIN_OK;
}

void odin_graph_count_uses(const odin_graph *g, int *uses) {
    memset(uses, 0, sizeof *uses * (size_t)g->n_tensors);
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const odin_node *n = &g->nodes[ni];
        for (int i = 0; i < n->n_inputs; i++)
            if (n->inputs[i] >= 0 && n->inputs[i] < g->n_tensors) uses[n->inputs[i]]++;
    }
}

static void remap_list(int *list, int n, const int *map) {
    for (int i = 0; i < n; i++)
        if (list[i] >= 0) list[i] = map[list[i]];
}

odin_status odin_graph_compact(odin_graph *g, int *n_removed) {
    int nt = g->n_tensors;
    int *map = malloc(sizeof *map * (size_t)(nt ? nt : 1));
    if (!map) return odin_errorf("out of memory compacting graph '%s'", g->name);
    /* map[t] first marks whether t is referenced, then holds its new index (-1: dropped) */
    memset(map, 0, sizeof *map * (size_t)(nt ? nt : 1));
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const odin_node *n = &g->nodes[ni];
        for (int i = 0; i < n->n_inputs; i++)
            if (n->inputs[i] >= 0 && n->inputs[i] < nt) map[n->inputs[i]] = 1;
        for (int i = 0; i < n->n_outputs; i++)
            if (n->outputs[i] >= 0 && n->outputs[i] < nt) map[n->outputs[i]] = 1;
    }
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] >= 0 && g->inputs[i] < nt) map[g->inputs[i]] = 1;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] >= 0 && g->outputs[i] < nt) map[g->outputs[i]] = 1;
    int kept = 0;
    for (int t = 0; t < nt; t++) {
        if (!map[t]) {
            map[t] = -1;
            continue;
        }
        map[t] = kept;
        if (kept != t) g->tensors[kept] = g->tensors[t];
        kept++;
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        odin_node *n = &g->nodes[ni];
        remap_list(n->inputs, n->n_inputs, map);
        remap_list(n->outputs, n->n_outputs, map);
    }
    remap_list(g->inputs, g->n_inputs, map);
    remap_list(g->outputs, g->n_outputs, map);
    free(map);
    if (n_removed) *n_removed = nt - kept;
    g->n_tensors = kept;
    recompute_producers(g);
    if (kept == nt) return ODIN_OK;
    return odin_status_prefix(odin_graph_rebuild_names(g), "graph '%s': compact", g->name);
}
