/* codegen/irgen.h — small IR-building helpers: counted loops, constants, address
 * arithmetic, and outlining a loop into a parallel_for body. */
#ifndef ODIN_IRGEN_H
#define ODIN_IRGEN_H

#include "lower.h"

typedef struct odin_loop {
    LLVMBasicBlockRef preheader, header, body, exit;
    LLVMValueRef iv, end;
    int64_t step;
} odin_loop;

/* for (iv = begin; iv < end; iv += step) — positions the builder in the body and
 * returns iv (i64). Close with odin_loop_end. */
LLVMValueRef odin_loop_begin(odin_lower_ctx *c, odin_loop *l, LLVMValueRef begin,
                             LLVMValueRef end, int64_t step, const char *name);
void odin_loop_end(odin_lower_ctx *c, odin_loop *l);

LLVMValueRef odin_i64(odin_lower_ctx *c, int64_t v);
LLVMValueRef odin_f32c(odin_lower_ctx *c, float v);
/* &base[index] for elements of `elem` type */
LLVMValueRef odin_gep(odin_lower_ctx *c, LLVMTypeRef elem, LLVMValueRef base, LLVMValueRef index);
LLVMValueRef odin_load(odin_lower_ctx *c, LLVMTypeRef elem, LLVMValueRef base, LLVMValueRef index);
void odin_store(odin_lower_ctx *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef index);
/* A call to an intrinsic overloaded on the type of its first argument (llvm.fabs...). */
LLVMValueRef odin_intrinsic(odin_lower_ctx *c, const char *name, LLVMTypeRef overload,
                            LLVMValueRef *args, int n);
/* Convert a scalar between dtypes with ONNX Cast semantics for the common cases. */
LLVMValueRef odin_convert(odin_lower_ctx *c, LLVMValueRef v, odin_dtype from, odin_dtype to);

/* Split `n` iterations across the runtime's threads: body(ctx, lo, hi) is emitted by
 * `emit` into a fresh function that sees the kernel's in/out pointers as c->in/c->out.
 * Falls back to a direct call for small n. */
typedef odin_status (*odin_range_body_fn)(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi,
                                          void *user);
odin_status odin_parallel_range(odin_lower_ctx *c, int64_t n, int64_t grain,
                                odin_range_body_fn emit, void *user);

/* if (cond) { ... }: branches on cond into a fresh "then" block and returns the join
 * block; close the body with odin_if_end, which branches to join and continues there. */
LLVMBasicBlockRef odin_if_begin(odin_lower_ctx *c, LLVMValueRef cond);
void odin_if_end(odin_lower_ctx *c, LLVMBasicBlockRef join);

#endif
