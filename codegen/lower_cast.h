/* codegen/lower_cast.h — the whole-kernel Cast / CastLike lowering (codegen/lower_cast.c)
 * for the dtype pairs the fused scalar lowering turns down (f16, bf16, f64); registered on
 * the Cast and CastLike entries of the elementwise tables. Also the half-precision
 * conversions the fused loops use. */
#ifndef ODIN_LOWER_CAST_H
#define ODIN_LOWER_CAST_H

#include "lower.h"

/* Input and output are numeric or bool (any pair). */
bool odin_cast_kernel_accepts(const odin_graph *g, int node);
odin_status odin_lower_cast_kernel(odin_lower_ctx *ctx);

/* f16 / bf16 bits (i16) <-> float, rounding to nearest even: fused elementwise loops on
 * half-precision tensors compute in f32 and convert at loads and stores. */
LLVMValueRef odin_half_to_f32(odin_lower_ctx *ctx, LLVMValueRef bits, odin_dtype t);
LLVMValueRef odin_f32_to_half(odin_lower_ctx *ctx, LLVMValueRef f, odin_dtype t);

#endif
