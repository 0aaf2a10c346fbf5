/* ir/edit.h — graph surgery for passes: rewire the uses of a tensor, delete nodes, and drop
 * tensors nothing refers to. Tensors and nodes are indices, so deletion renumbers them;
 * these functions remap every reference (node inputs/outputs, graph inputs/outputs,
 * producer fields, the name table) so callers never patch indices by hand. */
#ifndef ODIN_EDIT_H
#define ODIN_EDIT_H

#include "graph.h"

/* Every node input reading tensor `from` and every graph output entry naming it now refers
 * to `to` (the OUTPUT flag moves with the entries). Returns the number of references
 * changed in *n_changed (may be NULL). Types are not checked: the caller knows `to`
 * computes the same value. */
odin_status odin_graph_replace_uses(odin_graph *g, int from, int to, int *n_changed);

/* Same, for node inputs only: graph outputs keep naming `from`. */
odin_status odin_graph_replace_node_uses(odin_graph *g, int from, int to, int *n_changed);

/* Delete the nodes with remove[i] true (remove has g->n_nodes entries), keeping the order
 * of the rest, and recompute every tensor's producer from the remaining nodes. Tensors are
 * left in place (odin_graph_compact drops the unused ones). */
odin_status odin_graph_remove_nodes(odin_graph *g, const bool *remove);

/* Drop tensors that no node reads or writes and that are not graph inputs or outputs;
 * renumber the rest (order kept) everywhere, recompute producers and rebuild the name
 * table. *n_removed (may be NULL) gets the number of tensors dropped. */
odin_status odin_graph_compact(odin_graph *g, int *n_removed);

/* Number of node inputs reading each tensor, into uses[g->n_tensors] (graph outputs are
 * not counted). */
void odin_graph_count_uses(const odin_graph *g, int *uses);

#endif
