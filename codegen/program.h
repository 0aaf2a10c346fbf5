/* codegen/program.h — the JIT program interface without LLVM types, for callers outside
 * codegen/ (the CLI, the engine API): compile options, compile or load a program, run it,
 * and what it knows about itself (plan, arena, fallbacks, compile time). */
#ifndef ODIN_PROGRAM_H
#define ODIN_PROGRAM_H

#include <stddef.h>

#include "../passes/plan.h"

struct odin_target;

typedef struct odin_compile_options {
    int opt_level;       /* LLVM optimization 0..3 */
    bool fuse;           /* fuse elementwise chains into one loop */
    bool allow_fallback; /* JIT only: ops without a lowering run their reference eval */
    bool profile;        /* entry calls odin_rt_profile_begin/end(kernel) around kernels */
} odin_compile_options;

odin_compile_options odin_compile_defaults(void);

/* A JIT program: the loaded code, its plan, arena and weights table. The weights table
 * holds the plan's constants then the graph itself (read by eval fallbacks), so the code
 * holds no host address and its object file can be cached on disk. */
typedef struct odin_program odin_program;

/* Plan + LLVM (codegen, optimize, emit): the object file for g, malloc'ed. */
odin_status odin_program_object(const odin_graph *g, const odin_compile_options *o,
                                const struct odin_target *t, void **obj, size_t *size);
/* Load an object made by odin_program_object for g (or for a graph of the same
 * structure, node order and plan) into a fresh JIT. No LLVM optimization runs here. */
odin_status odin_program_load(const odin_graph *g, const odin_compile_options *o,
                              const struct odin_target *host, const void *obj, size_t size,
                              odin_program **out);
/* Object + load; compile_ms covers both. */
odin_status odin_program_compile(const odin_graph *g, const odin_compile_options *o,
                                 odin_program **out);
/* Point p at another graph of the same structure (a cache hit): plan and weights are
 * recomputed from g, the code is kept. */
odin_status odin_program_rebind(odin_program *p, const odin_graph *g,
                                const odin_compile_options *o);
/* inputs/outputs: one buffer per graph input/output, sized by their static shapes. */
odin_status odin_program_run(odin_program *p, void *const *inputs, void *const *outputs);
void odin_program_free(odin_program *p);
size_t odin_program_arena_bytes(const odin_program *p);
double odin_program_compile_ms(const odin_program *p);
void odin_program_set_compile_ms(odin_program *p, double ms);
int odin_program_fallback_count(const odin_program *p);
/* Kernel functions in the code: groups whose generated code is equal (the same layer
 * repeated) share one, so this is at most the plan's group count. */
int odin_program_kernel_count(const odin_program *p);
const odin_plan *odin_program_plan(const odin_program *p);
const odin_graph *odin_program_graph(const odin_program *p);

#endif
