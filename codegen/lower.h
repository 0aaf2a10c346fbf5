/* codegen/lower.h — the contract between the compile driver and the op lowerings.
 * A plan group (one node, or a fused chain of elementwise nodes) becomes one kernel
 * function `i32 kernel(ptr weights, i64 node, ptr slots)`. slots holds the addresses of
 * the group's materialized tensors, computed by the entry; the kernel loads them on entry
 * into ctx->slot_ptr, and ctx->in/ctx->out (and odin_tensor_ptr) hand them out. node is
 * the group's first node (ctx->node_index), weights the weights table (only eval
 * fallbacks read it, for the graph pointer). Shapes are literals taken from the graph
 * (every shape is static by the time code is generated).
 *
 * Kernel sharing: groups whose generated IR is identical (the same layer repeated) share
 * one kernel: codegen/compile.c prints each new kernel, with every function and global
 * made while lowering it, and compares the text with the kernels made before. So:
 *  - tensor addresses come only from ctx->in/out, the node index only from
 *    ctx->node_index (for odin_rt_eval_fallback); neither may be baked in as a literal;
 *  - anything read at compile time (attributes, shapes, constant data folded into
 *    literals or constant tables) is part of the comparison by construction;
 *  - names of helper functions and globals do not matter (they are renamed); a kernel
 *    whose IR carries metadata (!N) is never shared (its text does not identify it);
 *  - there is no plan scratch memory: a kernel that needs some uses its stack
 *    (odin_entry_alloca) or writes its outputs.
 * Elementwise ops instead provide a scalar lowering: the driver emits one loop nest for a
 * chain of them (fusion), and LLVM's loop vectorizer widens the loop to the target's
 * vectors.
 *
 * Lowerings live in codegen/lower_*.c, registered by op name in per-file tables
 * (odin_lowerings_*), not in the op definitions: ops/ and the reference interpreter stay
 * free of LLVM. */
#ifndef ODIN_LOWER_H
#define ODIN_LOWER_H

#include <llvm-c/Core.h>

#include "../ops/op.h"
#include "target.h"

#define ODIN_LOWER_MAX_ARGS 64

struct odin_plan;

typedef struct odin_lower_ctx {
    const struct odin_plan *plan;  /* where each tensor lives (passes/plan.h) */
    LLVMValueRef weights;          /* the weights table (only odin_graph_ptr reads it) */
    LLVMValueRef node_index;       /* i64: the group's first node, a kernel parameter */
    /* The group's tensors (slots) and their address in the function being built. */
    int n_slots;
    const int *slot_tensor;
    LLVMValueRef *slot_ptr;
    bool allow_fallback;           /* JIT only: ops without lowering call their eval */
    LLVMContextRef c;
    LLVMModuleRef m;
    LLVMBuilderRef b;
    const odin_target *target;
    const odin_graph *g;
    int node;                      /* node being lowered (its structure; not for IR) */
    LLVMValueRef fn;               /* kernel function being built */
    LLVMValueRef in[ODIN_LOWER_MAX_ARGS];  /* pointer to each node input (NULL: omitted) */
    LLVMValueRef out[ODIN_LOWER_MAX_ARGS]; /* pointer to each node output */
    /* common types */
    LLVMTypeRef t_void, t_i1, t_i8, t_i16, t_i32, t_i64, t_f32, t_f64, t_ptr;
} odin_lower_ctx;

/* Whole-kernel lowering: emit code at the builder's position computing the node's
 * outputs from ctx->in/out; the driver adds the return. */
typedef odin_status (*odin_kernel_lower_fn)(odin_lower_ctx *ctx);
/* Scalar lowering of an elementwise op: args are scalars of the input dtypes; returns
 * the output scalar (of the output dtype). */
typedef LLVMValueRef (*odin_elem_lower_fn)(odin_lower_ctx *ctx, const odin_node *n,
                                           LLVMValueRef *args, int n_args);

typedef struct odin_lowering {
    const char *op;     /* op name (default domain unless "domain::Op") */
    odin_kernel_lower_fn kernel;
    odin_elem_lower_fn elem;
    bool any_dtype;     /* elem handles integer/bool operands too (else f32 only) */
    /* Optional: whether `kernel` handles this node (dtypes, attributes); when it says no,
     * the node runs its eval fallback instead. NULL: always. */
    bool (*accepts)(const odin_graph *g, int node);
} odin_lowering;

const odin_lowering *odin_lowering_find(const odin_node *n);
/* The node can join a fused elementwise loop: it has a scalar lowering for its dtypes. */
bool odin_elem_fusable(const odin_graph *g, int node);
/* Emit the loop nest computing a fused group (nodes in order, one output shape). */
odin_status odin_emit_elementwise_group(odin_lower_ctx *ctx, const int *nodes, int n);

/* Tables contributed by the lower_*.c files (NULL-terminated by op == NULL). */
extern const odin_lowering odin_lowerings_elementwise[];
extern const odin_lowering odin_lowerings_kernels[];
extern const odin_lowering odin_lowerings_matmul[];
extern const odin_lowering odin_lowerings_conv[];
extern const odin_lowering odin_lowerings_winograd[];
extern const odin_lowering odin_lowerings_pool[];
extern const odin_lowering odin_lowerings_movement[];
extern const odin_lowering odin_lowerings_reduce[];
extern const odin_lowering odin_lowerings_norm[];
extern const odin_lowering odin_lowerings_lm[];
/* Why lower_lm.c has no kernel for a node its accepts hook refused, for compilers without
 * the eval fallback: an error naming the head size and the kernel's limit when the head is
 * too wide, ODIN_OK when there is nothing specific to say. */
odin_status odin_lm_kernel_limit(const odin_graph *g, int node);
extern const odin_lowering odin_lowerings_misc[];
extern const odin_lowering odin_lowerings_misc_elem[];
extern const odin_lowering odin_lowerings_quant[];
extern const odin_lowering odin_lowerings_logsumexp[];
extern const odin_lowering odin_lowerings_loss[];
extern const odin_lowering odin_lowerings_resize[];
extern const odin_lowering odin_lowerings_dropout[];
extern const odin_lowering odin_lowerings_convtranspose[];
extern const odin_lowering odin_lowerings_rnn[];
extern const odin_lowering odin_lowerings_einsum[];
extern const odin_lowering odin_lowerings_qmatmul[];
extern const odin_lowering odin_lowerings_qconv[];
extern const odin_lowering odin_lowerings_trig[];
extern const odin_lowering odin_lowerings_misc2[];
extern const odin_lowering odin_lowerings_lpnorm[];
extern const odin_lowering odin_lowerings_gridsample[];
extern const odin_lowering odin_lowerings_dft[];
extern const odin_lowering odin_lowerings_unpool[];
extern const odin_lowering odin_lowerings_roialign[];
extern const odin_lowering odin_lowerings_lppool[];
extern const odin_lowering odin_lowerings_roipool[];

/* Address of tensor t in the current function: its slot pointer; NULL when t is not
 * materialized (internal to a fused group) or not one of the group's tensors. */
LLVMValueRef odin_tensor_ptr(odin_lower_ctx *ctx, int t);
/* Fill ctx->in / ctx->out for ctx->node. */
void odin_bind_node(odin_lower_ctx *ctx);
/* The graph pointer for odin_rt_eval_fallback calls (JIT only; read from the weights
 * table in the kernel function, never baked into code). Pass ctx->node_index with it. */
LLVMValueRef odin_graph_ptr(odin_lower_ctx *ctx);

/* LLVM type of a dtype's scalar (bool is i8 in memory; i1 in registers is never used
 * across ops). */
LLVMTypeRef odin_llvm_type(odin_lower_ctx *ctx, odin_dtype t);

#endif
