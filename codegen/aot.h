/* codegen/aot.h — ahead-of-time compilation: a graph with static shapes becomes an
 * object file holding the compiled entry, the weights (embedded as one 64-byte aligned
 * blob, or written to a separate weights file), the model descriptor the runtime reads
 * (runtime/aot.h) and the C API functions NAME_create/run/destroy; then, with clang-19 and
 * the runtime built for the target triple, an executable, a shared or a static library
 * plus its C header. No eval fallback exists here: an op without a compiled lowering is
 * an error naming the node and op. */
#ifndef ODIN_AOT_H
#define ODIN_AOT_H

#include <stddef.h>

#include "../ir/graph.h"

struct odin_target;
struct odin_lm_entries;

typedef enum odin_aot_emit {
    ODIN_AOT_EMIT_EXE,
    ODIN_AOT_EMIT_SHARED,
    ODIN_AOT_EMIT_STATIC,
    ODIN_AOT_EMIT_OBJ,
    ODIN_AOT_EMIT_LLVM,
    ODIN_AOT_EMIT_ASM
} odin_aot_emit;

typedef struct odin_aot_options {
    odin_aot_emit emit;
    const char *name;         /* C identifier prefixing the API (odin_aot_default_name) */
    const char *weights_file; /* NULL: embed the weights; else write them to this file */
    const char *target;       /* odin_target_by_name: host (NULL), x86-64-v3, aarch64, a triple */
    const char *cpu;          /* NULL, "native" (this machine) or an LLVM CPU name */
    int opt_level;            /* LLVM 0..3 */
    bool verbose;             /* print the tool commands run */
    /* A language model (codegen/lm_entries.h): a decode and a prefill entry sharing one
     * weights blob, a session API (header) and the greedy command line (exe). NULL: the
     * graph as it is. */
    const struct odin_lm_entries *lm;
} odin_aot_options;

/* "exe", "shared", "static", "obj", "llvm", "asm". */
odin_status odin_aot_emit_parse(const char *text, odin_aot_emit *out);
/* A C identifier from an output path: basename without extension (and "lib" prefix of a
 * library), other characters as '_'. */
void odin_aot_default_name(const char *out_path, odin_aot_emit emit, char *name, size_t size);
/* The header written next to a library: OUT without .so/.a/.o extension, plus ".h". */
void odin_aot_header_path(const char *out_path, char *path, size_t size);

/* g: every shape static, passes already run. Writes out_path (and its header for
 * libraries, the weights file when o->weights_file is set). */
odin_status odin_aot_compile(const odin_graph *g, const odin_aot_options *o, const char *out_path);

/* Internals shared by codegen/aot*.c. */
/* The object file (or IR / assembly text) for g: malloc'ed; *weights / *weights_size: the
 * blob (malloc'ed, with the file header when o->weights_file is set, else NULL). */
odin_status odin_aot_object(const odin_graph *g, const struct odin_target *t, const odin_aot_options *o,
                            odin_aot_emit kind, void **buf, size_t *size, void **weights,
                            size_t *weights_size);
/* The C header of a library built from g. */
odin_status odin_aot_write_header(const odin_graph *g, const odin_aot_options *o,
                                  const char *path);
/* Link obj (a file) into out_path for o->emit, with the runtime built for t. */
odin_status odin_aot_link(const struct odin_target *t, const odin_aot_options *o, const char *obj_path,
                          const char *out_path);

#endif
