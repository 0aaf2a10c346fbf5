/* codegen/wasm_internal.h — the steps of codegen/wasm.c that the language-model build
 * (codegen/wasm_lm.c) shares: finishing a module that holds compiled entries and its own
 * runtime globals, and linking it with wasm-ld. Internal to codegen/wasm*.c. */
#ifndef ODIN_WASM_INTERNAL_H
#define ODIN_WASM_INTERNAL_H

#include <llvm-c/Core.h>

#include "target.h"
#include "wasm.h"

/* m: kernels, entries and runtime globals. Defines the single-threaded parallel_for,
 * maps intrinsics wasm lacks, checks nothing is imported, optimizes and emits the object. */
odin_status odin_wasm_finish_object(LLVMModuleRef m, const odin_target *t,
                                    const odin_wasm_options *o, void **obj, size_t *obj_size);
/* wasm-ld with the exports of wasm.h; a function with the "wasm-export-name" attribute is
 * exported too. */
odin_status odin_wasm_link(const odin_wasm_options *o, const char *obj, const char *out);

/* The constant address off bytes past global base (base itself when off is 0). */
LLVMValueRef odin_wasm_byte_offset(LLVMModuleRef m, LLVMValueRef base, size_t off);
/* An internal constant global array of n pointers (one null pointer when n is 0). */
LLVMValueRef odin_wasm_ptr_table(LLVMModuleRef m, const char *name, LLVMValueRef *ptrs, int n);

#endif
