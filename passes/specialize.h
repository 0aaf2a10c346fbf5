/* passes/specialize.h — shape specialization: bind symbolic or unknown input dims to
 * concrete extents (from actual inputs or `--shape name=d0,d1,...`) and re-run shape
 * inference through the graph, so codegen sees static shapes. */
#ifndef ODIN_SPECIALIZE_H
#define ODIN_SPECIALIZE_H

#include "../ir/graph.h"

/* Re-run every node's infer in order (after inputs or constants changed). */
odin_status odin_reinfer(odin_graph *g);
/* inputs: one value per graph input (shape only is used); checks dtype and known dims. */
odin_status odin_specialize_inputs(odin_graph *g, const odin_value *inputs);
/* One binding "name=d0,d1,..." for a graph input. */
odin_status odin_specialize_binding(odin_graph *g, const char *binding);

#endif
