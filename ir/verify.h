/* ir/verify.h — the graph verifier: checks that a graph is well formed (indices in range,
 * one producer per tensor, topological order, unique names, valid dtypes/shapes/constant
 * sizes) and that every recorded output dtype/shape agrees with the op's inference.
 * Passes run it after each rewrite in debug builds and tests; loaders run it on input. */
#ifndef ODIN_VERIFY_H
#define ODIN_VERIFY_H

#include "graph.h"

/* ODIN_OK when g is well formed; otherwise the first problem found, as
 * "graph 'g': node 'MatMul_3' (MatMul): input 1 'w' is used before it is produced". */
odin_status odin_graph_verify(const odin_graph *g);

#endif
