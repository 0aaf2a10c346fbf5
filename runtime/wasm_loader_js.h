/* runtime/wasm_loader_js.h — the JS loader of wasm modules (runtime/wasm_loader.mjs) as
 * text; codegen/wasm_js.c writes it after each model's metadata line. */
#ifndef ODIN_WASM_LOADER_JS_H
#define ODIN_WASM_LOADER_JS_H

extern const char odin_wasm_loader_js[];

#endif
