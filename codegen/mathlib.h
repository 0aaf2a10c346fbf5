/* codegen/mathlib.h — math functions emitted as branch-free LLVM IR (range reduction +
 * polynomial, selects for special values), with no libm calls, so loops that use them
 * vectorize on x86 and compile to wasm32 without a libc. Scalar f32 in, f32 out; LLVM's
 * vectorizer widens them with the loop. Accuracy is measured by tests/test_mathlib.c. */
#ifndef ODIN_MATHLIB_H
#define ODIN_MATHLIB_H

#include "lower.h"

LLVMValueRef odin_math_exp(odin_lower_ctx *c, LLVMValueRef x);
LLVMValueRef odin_math_log(odin_lower_ctx *c, LLVMValueRef x);
LLVMValueRef odin_math_tanh(odin_lower_ctx *c, LLVMValueRef x);
LLVMValueRef odin_math_sigmoid(odin_lower_ctx *c, LLVMValueRef x);
LLVMValueRef odin_math_erf(odin_lower_ctx *c, LLVMValueRef x);
LLVMValueRef odin_math_gelu(odin_lower_ctx *c, LLVMValueRef x);      /* erf form */
LLVMValueRef odin_math_gelu_tanh(odin_lower_ctx *c, LLVMValueRef x); /* tanh form */
LLVMValueRef odin_math_silu(odin_lower_ctx *c, LLVMValueRef x);
LLVMValueRef odin_math_softplus(odin_lower_ctx *c, LLVMValueRef x);
LLVMValueRef odin_math_sin(odin_lower_ctx *c, LLVMValueRef x);
LLVMValueRef odin_math_cos(odin_lower_ctx *c, LLVMValueRef x);

/* a*b + c that fuses where the target has FMA and never becomes a libc call */
LLVMValueRef odin_fmuladd(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b, LLVMValueRef d);

#endif
