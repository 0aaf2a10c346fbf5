/* codegen/wasm.h — a graph as a WebAssembly module plus its ES-module loader.
 * The graph is compiled for wasm32 (SIMD128, and by default a relaxed-SIMD twin) with every op
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

/* Which modules to build. Relaxed SIMD (f32x4.relaxed_madd: fused multiply-add where the
 * hardware has it) runs without flags in Chrome 114+, Firefox 120+ and Node 22+; Node 20
 * needs --experimental-wasm-relaxed-simd. BOTH writes OUT.wasm (SIMD128) and
 * OUT.relaxed.wasm, and the loader runs the relaxed one where the engine validates it. */
typedef enum odin_wasm_simd {
    ODIN_WASM_SIMD_BOTH = 0,
    ODIN_WASM_SIMD_PLAIN,  /* OUT.wasm, SIMD128 only */
    ODIN_WASM_SIMD_RELAXED /* OUT.wasm with relaxed SIMD; engines without it cannot run it */
} odin_wasm_simd;

typedef struct odin_wasm_options {
    odin_wasm_simd simd;
    odin_wasm_weights weights;
    int opt_level;             /* LLVM -O level, 0..3 */
    bool fuse;                 /* fuse elementwise chains */
    const char *linker;        /* NULL: "wasm-ld-19" (found on PATH) */
} odin_wasm_options;

odin_wasm_options odin_wasm_defaults(void);

/* Files written from out_path ("dir/model.wasm", or "dir/model" to which .wasm is added):
 * dir/model.wasm, dir/model.relaxed.wasm (simd BOTH), dir/model.mjs and, for side
 * weights, dir/model.bin (one file for both modules).
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
