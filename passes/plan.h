/* passes/plan.h — the execution plan codegen consumes: which nodes form each kernel
 * (elementwise fusion groups), which tensors live in the arena and at what offset
 * (liveness-based reuse), and the arena size. */
#ifndef ODIN_PLAN_H
#define ODIN_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "../ir/graph.h"

typedef struct odin_kernel_group {
    int first, count; /* range in odin_plan.group_nodes */
    bool elementwise; /* a fused elementwise loop; else a single-node kernel */
} odin_kernel_group;

typedef enum odin_storage {
    ODIN_STORE_NONE = 0, /* never materialized (internal to a fused group) or unused */
    ODIN_STORE_INPUT,    /* graph input: io[index] */
    ODIN_STORE_OUTPUT,   /* graph output: io[n_inputs + index] */
    ODIN_STORE_CONST,    /* weights[index] */
    ODIN_STORE_ARENA     /* arena + offset */
} odin_storage;

typedef struct odin_tensor_place {
    odin_storage kind;
    int64_t index;       /* io/weights index, or arena byte offset */
} odin_tensor_place;

typedef struct odin_plan {
    odin_kernel_group *groups;
    int n_groups;
    int *group_nodes;
    int n_group_nodes;
    odin_tensor_place *place; /* per tensor */
    int *weights;             /* tensor index of each weights[] slot */
    int n_weights;
    size_t arena_bytes;
} odin_plan;

/* is_fusable(node) tells whether a node may join an elementwise group (codegen knows
 * which ops have scalar lowerings). Every tensor shape must be static. */
odin_status odin_plan_build(const odin_graph *g, bool (*is_fusable)(const odin_graph *, int),
                            bool fuse, odin_plan *plan);
void odin_plan_free(odin_plan *plan);

#endif
