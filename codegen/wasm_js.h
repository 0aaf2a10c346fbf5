/* codegen/wasm_js.h — OUT.mjs for a wasm module: one line of metadata (file names,
 * inputs and outputs with dtype and shape) followed by the loader text of
 * runtime/wasm_loader.mjs. */
#ifndef ODIN_WASM_JS_H
#define ODIN_WASM_JS_H

#include <stdbool.h>
#include <stddef.h>

#include "../ir/graph.h"

/* The first line after the metadata; everything after it is runtime/wasm_loader.mjs. */
#define ODIN_WASM_LOADER_MARK "// ---- runtime/wasm_loader.mjs ----\n"

/* wasm_path: the module the loader runs by default (relaxed SIMD when wasm_relaxed);
 * relaxed_path: a relaxed-SIMD twin it runs instead where the engine validates relaxed
 * SIMD, or NULL. bin_path NULL: weights embedded in the module. Paths are written as base
 * names: the loader finds the files next to itself. */
odin_status odin_wasm_write_loader(const odin_graph *g, const char *mjs_path,
                                   const char *wasm_path, const char *relaxed_path,
                                   bool wasm_relaxed, const char *bin_path,
                                   size_t weight_bytes);

#endif
