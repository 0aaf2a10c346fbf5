/* codegen/lower_cast.h — the whole-kernel Cast / CastLike lowering (codegen/lower_cast.c)
 * for the dtype pairs the fused scalar lowering turns down (f16, bf16, f64); registered on
 * the Cast and CastLike entries of the elementwise tables. */
#ifndef ODIN_LOWER_CAST_H
#define ODIN_LOWER_CAST_H

#include "lower.h"

/* Input and output are numeric or bool (any pair). */
bool odin_cast_kernel_accepts(const odin_graph *g, int node);
odin_status odin_lower_cast_kernel(odin_lower_ctx *ctx);

#endif
