/* codegen/wasm_lm.h — `odinc wasm` of a language model (codegen/wasm_lm.c): one module
 * with a decode and a prefill entry, its loader with sessions (runtime/wasm_session.mjs). */
#ifndef ODIN_WASM_LM_H
#define ODIN_WASM_LM_H

#include "lm_entries.h"
#include "wasm.h"

/* Writes OUT.wasm, OUT.mjs (and OUT.bin for side weights) as odin_wasm_build does. */
odin_status odin_wasm_build_lm(const odin_lm_entries *lm, const odin_wasm_options *o,
                               const char *out_path);

#endif
