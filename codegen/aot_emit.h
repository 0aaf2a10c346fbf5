/* codegen/aot_emit.h — the pieces of an AOT module's model descriptor and C API
 * (codegen/aot_module.c) that the LM build (codegen/aot_lm.c) reuses for its two entries.
 * Internal to codegen/aot*.c. */
#ifndef ODIN_AOT_EMIT_H
#define ODIN_AOT_EMIT_H

#include <llvm-c/Core.h>
#include <stdio.h>

#include "../passes/plan.h"
#include "aot.h"
#include "target.h"

typedef struct odin_aot_emitter {
    LLVMContextRef c;
    LLVMModuleRef m;
    LLVMTypeRef i32, i64, ptr, tensor_ty, model_ty;
    const char *name; /* the API prefix */
} odin_aot_emitter;

LLVMValueRef odin_aot_i64c(odin_aot_emitter *e, int64_t v);
LLVMValueRef odin_aot_const_global(odin_aot_emitter *e, const char *name, LLVMValueRef init,
                                   bool exported);
LLVMValueRef odin_aot_cstring(odin_aot_emitter *e, const char *text);
/* The odin_aot_tensor / odin_aot_model struct types (runtime/aot.h). */
void odin_aot_emitter_types(odin_aot_emitter *e);
/* The embedded blob (NAME_weights_blob) or, with o->weights_file, its file name. */
odin_status odin_aot_weights_global(odin_aot_emitter *e, const odin_aot_options *o,
                                    const uint8_t *blob, size_t blob_size, LLVMValueRef *blob_gv,
                                    LLVMValueRef *file_name);
/* PREFIX_model (and PREFIX_inputs / PREFIX_outputs) for the compiled function entry_fn. */
odin_status odin_aot_descriptor(odin_aot_emitter *e, const odin_graph *g, const odin_plan *plan,
                                const char *prefix, const char *entry_fn, LLVMValueRef blob_gv,
                                LLVMValueRef file_name, const int64_t *offsets, size_t blob_size,
                                uint64_t hash, LLVMValueRef *model);
/* `RET NAME_suffix(params...)` returning runtime_fn(model?, params..., model?); suffix ""
 * is main(). */
void odin_aot_forward_fn(odin_aot_emitter *e, const char *suffix, LLVMTypeRef ret,
                         LLVMTypeRef *params, int n_params, const char *runtime_fn,
                         LLVMValueRef model, bool model_first, bool model_last);
/* NAME_create, _create_from, _run, _destroy, _last_error, _status_string, _set_threads for
 * model; with_main: main() calling odin_aot_main. */
void odin_aot_model_api(odin_aot_emitter *e, LLVMValueRef model, bool with_main);
/* Emit m as kind; with o->weights_file, *weights gets the file image of blob. */
odin_status odin_aot_finish_object(LLVMModuleRef m, const odin_target *t, const odin_aot_options *o,
                                   odin_aot_emit kind, const uint8_t *blob, size_t blob_size,
                                   uint64_t hash, void **buf, size_t *size, void **weights,
                                   size_t *weights_size);

/* codegen/aot_lm.c: odin_aot_object for an LM (o->lm). */
odin_status odin_aot_lm_object(const struct odin_lm_entries *lm, const odin_target *t,
                               const odin_aot_options *o, odin_aot_emit kind, void **buf,
                               size_t *size, void **weights, size_t *weights_size);
/* codegen/aot_lm.c: the session part of an LM library's header. */
odin_status odin_aot_lm_write_header(FILE *f, const struct odin_lm_entries *lm, const char *name);

#endif
