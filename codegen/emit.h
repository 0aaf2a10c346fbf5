/* codegen/emit.h — from an LLVM module to machine code: verify, optimize with the new
 * pass manager (default<O0..O3>) for a target, and emit an object file, assembly or
 * LLVM IR into memory. */
#ifndef ODIN_EMIT_H
#define ODIN_EMIT_H

#include <llvm-c/Core.h>
#include <stddef.h>

#include "target.h"

typedef enum odin_emit_kind { ODIN_EMIT_OBJECT, ODIN_EMIT_ASM, ODIN_EMIT_LLVM } odin_emit_kind;

/* Set triple and data layout of m for t (before building functions that depend on it). */
odin_status odin_module_set_target(LLVMModuleRef m, const odin_target *t);
odin_status odin_module_verify(LLVMModuleRef m);
odin_status odin_module_optimize(LLVMModuleRef m, const odin_target *t, int opt_level);
/* Emit into a malloc'ed buffer, followed by a NUL byte not counted in *size. */
odin_status odin_module_emit(LLVMModuleRef m, const odin_target *t, odin_emit_kind kind,
                             void **buf, size_t *size);

#endif
