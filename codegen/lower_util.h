/* codegen/lower_util.h — helpers shared by the whole-kernel lowerings of data movement,
 * reductions and normalizations: reading a node's constant integer inputs at compile
 * time, entry-block allocas (promoted to registers by LLVM), reassociable float ops (so
 * the loop vectorizer may widen reductions into vector accumulators), and the run-time
 * error path that lets a kernel report bad input through the node's reference eval. */
#ifndef ODIN_LOWER_UTIL_H
#define ODIN_LOWER_UTIL_H

#include "irgen.h"

/* Tensor of input i of node n (-1 when omitted or absent). */
int odin_node_in(const odin_graph *g, int node, int i);
/* The tensor of input i / output i of node n; NULL when i is negative, omitted or absent. */
const odin_tensor *odin_node_in_tensor(const odin_graph *g, int node, int i);
const odin_tensor *odin_node_out_tensor(const odin_graph *g, int node, int i);
/* Input i is present and holds constant data. */
bool odin_node_in_const(const odin_graph *g, int node, int i);
/* Read the constant integer input i (rank 0 or 1, any int dtype) into out[0..max). False
 * when it is absent, not constant or too long. */
bool odin_node_const_ints(const odin_graph *g, int node, int i, int64_t *out, int max, int *n);

/* Which dims of a Reduce* node's input 0 are reduced, into reduce[0..ODIN_MAX_RANK): from
 * the constant axes input or the axes attribute (none: all). *noop when the op is an
 * identity (empty axes with noop_with_empty_axes). False when the axes are not static or
 * out of range. */
bool odin_reduce_axes(const odin_graph *g, int node, bool *reduce, bool *noop);

/* Product of dims[lo..hi). */
int64_t odin_dims_product(const int64_t *dims, int lo, int hi);

/* An alloca in the entry block of the function being built (mem2reg promotes it). */
LLVMValueRef odin_entry_alloca(odin_lower_ctx *c, LLVMTypeRef ty, const char *name);

/* Float add / mul marked reassociable: reductions built from them vectorize. */
LLVMValueRef odin_fadd_reassoc(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef odin_fmul_reassoc(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b);

/* Integer type of `bytes` bytes (1, 2, 4, 8): data movement copies elements as bits. */
LLVMTypeRef odin_bits_type(odin_lower_ctx *c, size_t bytes);
/* The dtype can be moved as plain bits (1, 2, 4 or 8 bytes, not a string). */
bool odin_dtype_movable(odin_dtype t);

/* When `bad` (i1) is true at run time: in the JIT, run the node's reference eval (which
 * reports the precise error) and return its status from the kernel; otherwise nothing
 * happens (the caller's code must already be safe, e.g. clamped). Must be called in the
 * kernel function itself, not in a parallel body. */
void odin_emit_error_exit(odin_lower_ctx *c, LLVMValueRef bad);
/* The same for a run-time input the kernel refuses (say CachedAttention's pos + T >
 * max_ctx): in the JIT the eval reports it; compiled without fallbacks the kernel writes
 * the message `prefix value suffix` into the module's error record (runtime/aot.h's
 * odin_aot_error, read by the AOT runtime and the wasm loader) and returns code 2, writing
 * nothing. Texts equal across nodes keep their kernels shareable. */
void odin_emit_input_error(odin_lower_ctx *c, LLVMValueRef bad, const char *prefix,
                           LLVMValueRef value, const char *suffix);
/* The module's error record, made by the compile driver before any kernel (a global made
 * with a kernel would be renamed as that kernel's own); NULL when there is none. */
LLVMValueRef odin_error_record(odin_lower_ctx *c, bool create);

/* A private constant array global of n values converted to elem (an integer or float
 * type): index and weight tables that a lowering computes at compile time. NULL when out
 * of memory. */
LLVMValueRef odin_const_table(odin_lower_ctx *c, LLVMTypeRef elem, const double *v, int64_t n,
                              const char *name);
LLVMValueRef odin_const_table_i64(odin_lower_ctx *c, const int64_t *v, int64_t n, const char *name);

/* The Relu/Clip epilogue of the fused kernels: max(v, lo) then min(v, hi) by compare and
 * select, so NaN passes through as Relu and Clip let it; v is f32 or a vector of f32, and
 * an infinite bound emits nothing. */
LLVMValueRef odin_clamp_f32(odin_lower_ctx *c, LLVMValueRef v, float lo, float hi);

/* Threads pay off above this many bytes of work for one kernel. */
#define ODIN_PARALLEL_MIN_BYTES (256 * 1024)

#endif
