/* ops/einsum.h — an Einsum node as loops, for codegen: the output labels and the summed
 * labels with their extents, and each input's element stride along every one of them
 * (0 where the input lacks the label or broadcasts it; repeated labels add strides, which
 * walks diagonals). The eval sums, in double, over the summed labels in this order (the
 * last fastest) for each output element in C order. */
#ifndef ODIN_OPS_EINSUM_H
#define ODIN_OPS_EINSUM_H

#include "op.h"

#define ODIN_EINSUM_MAX_IN 8
#define ODIN_EINSUM_MAX_RED 16

typedef struct odin_einsum_loops {
    int n_in, n_out, n_red;
    int64_t out_dim[ODIN_MAX_RANK], red_dim[ODIN_EINSUM_MAX_RED];
    int64_t out_stride[ODIN_EINSUM_MAX_IN][ODIN_MAX_RANK];
    int64_t red_stride[ODIN_EINSUM_MAX_IN][ODIN_EINSUM_MAX_RED];
} odin_einsum_loops;

/* The loops of Einsum node `node` (static shapes, at most ODIN_EINSUM_MAX_IN inputs and
 * ODIN_EINSUM_MAX_RED summed labels); an error otherwise. */
odin_status odin_einsum_loops_of_node(const odin_graph *g, int node, odin_einsum_loops *e);

#endif
