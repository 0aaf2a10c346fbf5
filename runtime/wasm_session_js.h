/* runtime/wasm_session_js.h — LM sessions for wasm modules (runtime/wasm_session.mjs) as
 * text; codegen/wasm_lm.c appends it to the loader of a language model. */
#ifndef ODIN_WASM_SESSION_JS_H
#define ODIN_WASM_SESSION_JS_H

/* The line before the session text in OUT.mjs. */
#define ODIN_WASM_SESSION_MARK "// ---- runtime/wasm_session.mjs ----\n"

extern const char odin_wasm_session_js[];

#endif
