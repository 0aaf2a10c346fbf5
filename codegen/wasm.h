/* codegen/wasm.h — a graph as a WebAssembly module plus its ES-module loader.
 * The graph is compiled for wasm32 (SIMD128, optional relaxed SIMD) with every op
 * lowered (no reference-eval fallback), linked by wasm-ld with no libc: the arena and
 * the I/O buffers are static regions of linear memory, the weights one aligned blob in
 * a data segment (or a side file the loader copies in). OUT.mjs runs it in Node and
 * browsers, and as `node OUT.mjs IN.npy... --out DIR` like an AOT executable. */
#ifndef ODIN_WASM_H
#define ODIN_WASM_H

#include <stdbool.h>
#include <stddef.h>

#include "../ir/graph.h"

typedef enum odin_wasm_weights {
    ODIN_WASM_WEIGHTS_EMBED = 0, /* in the module's data segment */
    ODIN_WASM_WEIGHTS_SIDE       /* OUT.bin, fetched and copied in by the loader */
} odin_wasm_weights;

typedef struct odin_wasm_options {
    bool relaxed_simd;         /* +relaxed-simd (Chrome 114+, Node 22+; not Node 20) */
    odin_wasm_weights weights;
    int opt_level;             /* LLVM -O level, 0..3 */
    bool fuse;                 /* fuse elementwise chains */
    const char *linker;        /* NULL: "wasm-ld-19" (found on PATH) */
} odin_wasm_options;

odin_wasm_options odin_wasm_defaults(void);

/* Files written from out_path ("dir/model.wasm", or "dir/model" to which .wasm is added):
 * dir/model.wasm, dir/model.mjs and, for side weights, dir/model.bin.
 * g must have static shapes (bind them and run the pass pipeline first); it is not
 * changed. An op without a wasm lowering is an error naming the node and op. */
odin_status odin_wasm_build(const odin_graph *g, const odin_wasm_options *o,
                            const char *out_path);

/* The exports of the module, for loaders:
 *   i32 odin_run(void)            run the graph once on the I/O buffers (0: success)
 *   ptr odin_io(i32 i)            buffer of input i, or of output i - n_inputs
 *   ptr odin_weights(void)        the weights blob (side weights are copied here)
 *   i32 odin_weights_size(void)   its size in bytes
 *   memory                        the linear memory */

#endif
