/* codegen/compile.h — graph → LLVM module → machine code. The module holds a kernel
 * function per plan group — groups with identical code share one (codegen/lower.h) — and
 * an entry `i32 NAME(ptr io, ptr arena, ptr weights)` that, from constant tables,
 * computes each group's tensor addresses and calls its kernel, in order: io holds the graph inputs then outputs,
 * arena is the planned scratch memory, weights the constant tensors in plan order. The
 * JIT program wraps it for in-process use (codegen/program.h, the part of the interface
 * free of LLVM types). */
#ifndef ODIN_COMPILE_H
#define ODIN_COMPILE_H

#include <llvm-c/Core.h>

#include "../passes/plan.h"
#include "program.h"
#include "target.h"

odin_status odin_codegen_module(const odin_graph *g, const odin_plan *plan,
                                const odin_target *t, const odin_compile_options *o,
                                LLVMContextRef c, const char *entry_name, LLVMModuleRef *out,
                                int *n_fallback);

#endif
