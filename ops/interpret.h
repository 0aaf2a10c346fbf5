/* ops/interpret.h — the reference engine: runs a graph node by node through each op's
 * plain-C `eval`. The oracle for tests and `odinc run --engine ref`. */
#ifndef ODIN_INTERPRET_H
#define ODIN_INTERPRET_H

#include "op.h"

/* inputs: one value per graph input, in graph order (dtype must match; dims may bind
 * symbolic dims). outputs: n = g->n_outputs values whose data is malloc'ed; free them
 * with odin_values_free. Errors name the node and op. */
odin_status odin_interpret(const odin_graph *g, const odin_value *inputs, int n_inputs,
                           odin_value *outputs);
void odin_values_free(odin_value *v, int n);

/* Evaluate one node on given input values (constant folding uses this); outputs' data
 * is malloc'ed. */
odin_status odin_eval_node(const odin_graph *g, int node, const odin_value *in,
                           odin_value *out);

#endif
