/* ir/hash.h — structural hashing with XXH3. A graph's hash depends on its structure only
 * (ops, domains, attributes, wiring, dtypes, shapes, constant bytes, input/output lists),
 * never on tensor or node names, pointers or arena layout: CSE uses node hashes to find
 * duplicate computations, weight dedup uses value hashes, compile caches the graph hash. */
#ifndef ODIN_HASH_H
#define ODIN_HASH_H

#include <stdint.h>

#include "graph.h"

/* Content hash of a value: dtype, shape and data bytes (strings by content). */
uint64_t odin_value_hash(const odin_value *v);

/* Hash of every tensor into out[g->n_tensors]: a graph input by its position and type, a
 * constant by its content, a node output by its producer's hash, slot and type. */
odin_status odin_graph_tensor_hashes(const odin_graph *g, uint64_t *out);

/* Hash of node `node`: op, domain, attributes (order-independent) and the hashes of its
 * inputs taken from tensor_hashes (indexed by tensor). Two nodes with equal hashes compute
 * the same thing (up to hash collisions), which is what CSE needs. */
uint64_t odin_node_hash(const odin_graph *g, int node, const uint64_t *tensor_hashes);

/* Hash of the whole graph (0 only if out of memory). */
uint64_t odin_graph_hash(const odin_graph *g);

#endif
