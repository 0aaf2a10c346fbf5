/* codegen/wasm_internal.h — the steps of codegen/wasm.c that the language-model build
 * (codegen/wasm_lm.c) shares: finishing a module that holds compiled entries and its own
 * runtime globals, and linking it with wasm-ld. Internal to codegen/wasm*.c. */
#ifndef ODIN_WASM_INTERNAL_H
#define ODIN_WASM_INTERNAL_H

#include <llvm-c/Core.h>

#include "target.h"
#include "wasm.h"

#include "compile.h"

/* The wasm32 target (relaxed SIMD or not) and the compile options every wasm module uses:
 * o's optimization level and fusion, no eval fallback, no profiling hooks. */
odin_status odin_wasm_codegen_setup(const odin_wasm_options *o, bool relaxed, odin_target *t,
                                    odin_compile_options *co);

/* m: kernels, entries and runtime globals. Defines the single-threaded parallel_for,
 * maps intrinsics wasm lacks (with relaxed, vector fmuladd becomes relaxed_madd), checks
 * nothing is imported, optimizes and emits the object. */
odin_status odin_wasm_finish_object(LLVMModuleRef m, const odin_target *t,
                                    const odin_wasm_options *o, bool relaxed, void **obj,
                                    size_t *obj_size);
/* wasm-ld with the exports of wasm.h; a function with the "wasm-export-name" attribute is
 * exported too. */
odin_status odin_wasm_link(const odin_wasm_options *o, const char *obj, const char *out);

/* One module of a build: relaxed SIMD or not, and the suffix its file gets after the stem. */
typedef struct odin_wasm_variant {
    bool relaxed;
    const char *suffix; /* ".wasm" or ".relaxed.wasm" */
} odin_wasm_variant;

/* The modules o->simd asks for, the first written as STEM.wasm; returns their count. */
int odin_wasm_variants(const odin_wasm_options *o, odin_wasm_variant out[2]);

/* Compiles one module's object (malloc'ed) for plain or relaxed SIMD. */
typedef odin_status (*odin_wasm_compile_fn)(void *ctx, bool relaxed, void **obj,
                                            size_t *obj_size);

/* Each module of odin_wasm_variants: compile, write STEM.wasm.o, link to STEM + suffix.
 * paths[k] (malloc'ed, NULL when absent): the k-th module's file, to free. */
odin_status odin_wasm_build_variants(const odin_wasm_options *o, const char *stem,
                                     odin_wasm_compile_fn compile, void *ctx, char *paths[2]);

/* The constant address off bytes past global base (base itself when off is 0). */
LLVMValueRef odin_wasm_byte_offset(LLVMModuleRef m, LLVMValueRef base, size_t off);
/* An internal constant global array of n pointers (one null pointer when n is 0). */
LLVMValueRef odin_wasm_ptr_table(LLVMModuleRef m, const char *name, LLVMValueRef *ptrs, int n);

#endif
