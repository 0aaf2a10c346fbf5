/* codegen/cache.h — compiled JIT programs cached by a key: XXH3 of the graph's structural
 * hash, its node order and execution plan, the input shapes, the target (triple, CPU,
 * features), the compile options and the compiler build (LLVM version, odinc binary).
 * In memory for the life of the process; optionally on disk as DIR/<key>.o object files,
 * which a later process loads into the JIT without running LLVM's optimizer or code
 * generator (the plan and weights table are recomputed from the graph). One caller at a
 * time: the cache is process-global and not locked. */
#ifndef ODIN_CACHE_H
#define ODIN_CACHE_H

#include "program.h"

typedef enum odin_cache_result {
    ODIN_CACHE_MISS,   /* compiled now */
    ODIN_CACHE_MEMORY, /* compiled earlier in this process */
    ODIN_CACHE_DISK    /* object file loaded from the cache folder */
} odin_cache_result;

/* Most programs the memory cache keeps; the oldest is freed when it is full. */
#define ODIN_JIT_CACHE_ENTRIES 16

odin_status odin_compile_key(const odin_graph *g, const struct odin_target *t,
                             const odin_compile_options *o, uint64_t *key);

/* The program for g (static shapes): from memory, from cache_dir (NULL: no disk cache;
 * created if missing), or compiled now and stored in both. The cache owns the program: it
 * stays valid until odin_jit_cache_clear or ODIN_JIT_CACHE_ENTRIES later insertions. Its
 * compile_ms is the time this call took (compile, load from disk, or rebind). */
odin_status odin_jit_get(const odin_graph *g, const odin_compile_options *o,
                         const char *cache_dir, odin_program **out, odin_cache_result *how);
void odin_jit_cache_clear(void);

/* Reads a whole file (*size its length); NULL when it is missing, empty or unreadable. */
void *odin_cache_read_file(const char *path, size_t *size);
/* Writes data to path through a temporary file and rename, so a reader never sees half a
 * file; creates the folder dir first when missing. */
odin_status odin_cache_write_file(const char *dir, const char *path, const void *data, size_t size);

#endif
