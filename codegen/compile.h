/* codegen/compile.h — graph → LLVM module → machine code. The module holds one kernel
 * function per plan group and an entry `i32 NAME(ptr io, ptr arena, ptr weights)` that
 * calls them in order: io holds the graph inputs then outputs, arena is the planned
 * scratch memory, weights the constant tensors in plan order. The JIT program wraps it
 * for in-process use. */
#ifndef ODIN_COMPILE_H
#define ODIN_COMPILE_H

#include <llvm-c/Core.h>

#include "../passes/plan.h"
#include "target.h"

typedef struct odin_compile_options {
    int opt_level;       /* LLVM optimization 0..3 */
    bool fuse;           /* fuse elementwise chains into one loop */
    bool allow_fallback; /* JIT only: ops without a lowering run their reference eval */
} odin_compile_options;

odin_compile_options odin_compile_defaults(void);

odin_status odin_codegen_module(const odin_graph *g, const odin_plan *plan,
                                const odin_target *t, const odin_compile_options *o,
                                LLVMContextRef c, const char *entry_name, LLVMModuleRef *out,
                                int *n_fallback);

typedef struct odin_program odin_program;

odin_status odin_program_compile(const odin_graph *g, const odin_compile_options *o,
                                 odin_program **out);
/* inputs/outputs: one buffer per graph input/output, sized by their static shapes. */
odin_status odin_program_run(odin_program *p, void *const *inputs, void *const *outputs);
void odin_program_free(odin_program *p);
size_t odin_program_arena_bytes(const odin_program *p);
double odin_program_compile_ms(const odin_program *p);
int odin_program_fallback_count(const odin_program *p);

#endif
