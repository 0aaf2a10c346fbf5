/* codegen/aot_module.c — the LLVM module of an ahead-of-time build: the compiled kernels
 * and entry (codegen/compile.h, no eval fallback), then, after optimization, the weights
 * blob, the model descriptor (the layout of runtime/aot.h, every field 8 bytes) and the
 * exported C API functions that forward to the runtime with the descriptor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../runtime/aot.h"
#include "aot.h"
#include "aot_emit.h"
#include "compile.h"
#include "emit.h"
#include "lower.h"

/* The weights blob: every plan constant at a 64-byte aligned offset. */
static odin_status build_blob(const odin_graph *g, const odin_plan *plan, uint8_t **blob,
                              size_t *size, int64_t *offsets) {
    size_t total = 0;
    for (int i = 0; i < plan->n_weights; i++) {
        int t = plan->weights[i];
        odin_value v = odin_tensor_value(g, t);
        if (v.dtype == ODIN_STRING)
            return odin_errorf("constant '%s': string tensors cannot be compiled", g->tensors[t].name);
        size_t nb = odin_value_nbytes(&v);
        if (nb && (!v.data || g->tensors[t].nbytes < nb))
            return odin_errorf("constant '%s': %zu bytes of data for %zu needed", g->tensors[t].name,
                               v.data ? g->tensors[t].nbytes : 0, nb);
        offsets[i] = (int64_t)total;
        total += (nb + 63) & ~(size_t)63;
    }
    *size = total;
    *blob = calloc(1, total ? total : 1);
    if (!*blob) return odin_errorf("out of memory (%zu bytes of weights)", total);
    for (int i = 0; i < plan->n_weights; i++) {
        odin_value v = odin_tensor_value(g, plan->weights[i]);
        size_t nb = odin_value_nbytes(&v);
        if (nb) memcpy(*blob + offsets[i], v.data, nb);
    }
    return ODIN_OK;
}

typedef odin_aot_emitter aot_emitter;

LLVMValueRef odin_aot_i64c(aot_emitter *e, int64_t v) { return LLVMConstInt(e->i64, (unsigned long long)v, 1); }

LLVMValueRef odin_aot_const_global(aot_emitter *e, const char *name, LLVMValueRef init, bool exported) {
    LLVMValueRef gv = LLVMAddGlobal(e->m, LLVMTypeOf(init), name);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, exported ? LLVMExternalLinkage : LLVMPrivateLinkage);
    if (!exported) LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    return gv;
}

LLVMValueRef odin_aot_cstring(aot_emitter *e, const char *text) {
    return odin_aot_const_global(e, "odin.str", LLVMConstStringInContext(e->c, text, (unsigned)strlen(text), 0),
                        false);
}

/* Where output i's value comes from when the code did not write io[n_in + i] itself. */
static void output_source(const odin_graph *g, const odin_plan *plan, int i, int64_t *kind,
                          int64_t *index) {
    const odin_tensor_place *pl = &plan->place[g->outputs[i]];
    *index = pl->index;
    switch (pl->kind) {
    case ODIN_STORE_INPUT: *kind = ODIN_AOT_SRC_INPUT; break;
    case ODIN_STORE_CONST: *kind = ODIN_AOT_SRC_WEIGHT; break;
    case ODIN_STORE_ARENA: *kind = ODIN_AOT_SRC_ARENA; break;
    case ODIN_STORE_OUTPUT: *kind = pl->index == i ? ODIN_AOT_SRC_COMPUTED : ODIN_AOT_SRC_OUTPUT; break;
    default: *kind = ODIN_AOT_SRC_COMPUTED; break;
    }
}

/* odin_aot_tensor[] for the graph inputs (outputs = false) or outputs: PREFIX_inputs /
 * PREFIX_outputs. */
static LLVMValueRef tensor_array(aot_emitter *e, const odin_graph *g, const odin_plan *plan,
                                 const char *prefix, bool outputs, int *count) {
    int n = outputs ? g->n_outputs : g->n_inputs;
    *count = n;
    LLVMValueRef *items = calloc((size_t)n + 1, sizeof *items);
    if (!items) return NULL;
    for (int i = 0; i < n; i++) {
        int t = outputs ? g->outputs[i] : g->inputs[i];
        const odin_tensor *tt = &g->tensors[t];
        odin_value v = odin_tensor_value(g, t);
        LLVMValueRef dims[ODIN_AOT_MAX_RANK];
        for (int d = 0; d < ODIN_AOT_MAX_RANK; d++) dims[d] = odin_aot_i64c(e, d < tt->rank ? tt->dims[d] : 0);
        int64_t kind = ODIN_AOT_SRC_COMPUTED, index = 0;
        if (outputs) output_source(g, plan, i, &kind, &index);
        LLVMValueRef fields[] = {odin_aot_cstring(e, tt->name), odin_aot_cstring(e, odin_dtype_name(tt->dtype)),
                                 odin_aot_i64c(e, tt->dtype), odin_aot_i64c(e, tt->rank),
                                 LLVMConstArray(e->i64, dims, ODIN_AOT_MAX_RANK),
                                 odin_aot_i64c(e, (int64_t)odin_value_nbytes(&v)), odin_aot_i64c(e, kind), odin_aot_i64c(e, index)};
        items[i] = LLVMConstNamedStruct(e->tensor_ty, fields, sizeof fields / sizeof fields[0]);
    }
    char sym[160];
    snprintf(sym, sizeof sym, "%s_%s", prefix, outputs ? "outputs" : "inputs");
    LLVMValueRef gv = odin_aot_const_global(e, sym, LLVMConstArray(e->tensor_ty, items, (unsigned)n), true);
    free(items);
    return gv;
}

void odin_aot_forward_fn(aot_emitter *e, const char *suffix, LLVMTypeRef ret, LLVMTypeRef *params,
                       int n_params, const char *runtime_fn, LLVMValueRef model, bool model_first,
                       bool model_last) {
    char sym[160];
    if (suffix[0] == '\0') snprintf(sym, sizeof sym, "main");
    else snprintf(sym, sizeof sym, "%s_%s", e->name, suffix);
    LLVMValueRef fn = LLVMAddFunction(e->m, sym, LLVMFunctionType(ret, params, (unsigned)n_params, 0));
    LLVMTypeRef rparams[8];
    LLVMValueRef args[8];
    int na = 0;
    if (model_first) rparams[na] = e->ptr, args[na++] = model;
    for (int i = 0; i < n_params; i++) rparams[na] = params[i], args[na++] = LLVMGetParam(fn, (unsigned)i);
    if (model_last) rparams[na] = e->ptr, args[na++] = model;
    LLVMTypeRef rty = LLVMFunctionType(ret, rparams, (unsigned)na, 0);
    LLVMValueRef target = LLVMGetNamedFunction(e->m, runtime_fn);
    if (!target) target = LLVMAddFunction(e->m, runtime_fn, rty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(e->c);
    LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(e->c, fn, "entry"));
    LLVMValueRef r = LLVMBuildCall2(b, rty, target, args, (unsigned)na, "");
    if (LLVMGetTypeKind(ret) == LLVMVoidTypeKind) LLVMBuildRetVoid(b);
    else LLVMBuildRet(b, r);
    LLVMDisposeBuilder(b);
}

void odin_aot_emitter_types(aot_emitter *e) {
    LLVMTypeRef tf[] = {e->ptr, e->ptr, e->i64, e->i64, LLVMArrayType2(e->i64, ODIN_AOT_MAX_RANK),
                        e->i64, e->i64, e->i64};
    e->tensor_ty = LLVMStructCreateNamed(e->c, "odin_aot_tensor");
    LLVMStructSetBody(e->tensor_ty, tf, sizeof tf / sizeof tf[0], 0);
    LLVMTypeRef mf[] = {e->i64, e->ptr, e->i64, e->i64, e->ptr, e->ptr, e->ptr, e->i64,
                        e->i64, e->ptr, e->i64, e->ptr, e->ptr, e->i64, e->ptr};
    e->model_ty = LLVMStructCreateNamed(e->c, "odin_aot_model");
    LLVMStructSetBody(e->model_ty, mf, sizeof mf / sizeof mf[0], 0);
}

odin_status odin_aot_weights_global(aot_emitter *e, const odin_aot_options *o, const uint8_t *blob,
                                    size_t blob_size, LLVMValueRef *blob_gv, LLVMValueRef *file_name) {
    *blob_gv = *file_name = LLVMConstPointerNull(e->ptr);
    if (o->weights_file) {
        const char *base = strrchr(o->weights_file, '/');
        *file_name = odin_aot_cstring(e, base ? base + 1 : o->weights_file);
    } else if (blob_size > UINT32_MAX) {
        return odin_errorf("%zu bytes of weights are too many to embed: use --weights FILE", blob_size);
    } else if (blob_size) {
        char sym[160];
        snprintf(sym, sizeof sym, "%s_weights_blob", e->name);
        LLVMValueRef init = LLVMConstStringInContext(e->c, (const char *)blob, (unsigned)blob_size, 1);
        *blob_gv = odin_aot_const_global(e, sym, init, false);
        LLVMSetAlignment(*blob_gv, 64);
    }
    return ODIN_OK;
}

odin_status odin_aot_descriptor(aot_emitter *e, const odin_graph *g, const odin_plan *plan,
                                const char *prefix, const char *entry_fn, LLVMValueRef blob_gv,
                                LLVMValueRef file_name, const int64_t *offsets, size_t blob_size,
                                uint64_t hash, LLVMValueRef *model) {
    LLVMValueRef *offs = calloc((size_t)plan->n_weights + 1, sizeof *offs);
    if (!offs) return odin_errorf("out of memory");
    for (int i = 0; i < plan->n_weights; i++) offs[i] = odin_aot_i64c(e, offsets[i]);
    LLVMValueRef offsets_gv =
        odin_aot_const_global(e, "odin.weight_offsets", LLVMConstArray(e->i64, offs, (unsigned)plan->n_weights), false);
    free(offs);
    int n_in, n_out;
    LLVMValueRef ins = tensor_array(e, g, plan, prefix, false, &n_in);
    LLVMValueRef outs = tensor_array(e, g, plan, prefix, true, &n_out);
    if (!ins || !outs) return odin_errorf("out of memory");
    LLVMValueRef entry = LLVMGetNamedFunction(e->m, entry_fn);
    if (!entry) return odin_errorf("AOT module: no entry function '%s'", entry_fn);
    LLVMValueRef error_gv = LLVMGetNamedGlobal(e->m, ODIN_AOT_ERROR_SYMBOL);
    if (!error_gv) error_gv = LLVMConstPointerNull(e->ptr);
    LLVMValueRef fields[] = {odin_aot_i64c(e, ODIN_AOT_ABI), odin_aot_cstring(e, prefix), odin_aot_i64c(e, n_in), odin_aot_i64c(e, n_out),
                             ins, outs, entry, odin_aot_i64c(e, (int64_t)plan->arena_bytes),
                             odin_aot_i64c(e, plan->n_weights), offsets_gv, odin_aot_i64c(e, (int64_t)blob_size),
                             blob_gv, file_name, LLVMConstInt(e->i64, hash, 0), error_gv};
    char sym[160];
    snprintf(sym, sizeof sym, "%s_model", prefix);
    *model = odin_aot_const_global(
        e, sym, LLVMConstNamedStruct(e->model_ty, fields, sizeof fields / sizeof fields[0]), true);
    return ODIN_OK;
}

void odin_aot_model_api(aot_emitter *e, LLVMValueRef model, bool with_main) {
    LLVMTypeRef vd = LLVMVoidTypeInContext(e->c), p3[3] = {e->ptr, e->ptr, e->ptr};
    odin_aot_forward_fn(e, "create", e->ptr, NULL, 0, "odin_aot_create_default", model, true, false);
    odin_aot_forward_fn(e, "create_from", e->i32, p3, 2, "odin_aot_create", model, true, false);
    odin_aot_forward_fn(e, "run", e->i32, p3, 3, "odin_aot_run", model, false, false);
    odin_aot_forward_fn(e, "destroy", vd, p3, 1, "odin_aot_destroy", model, false, false);
    odin_aot_forward_fn(e, "last_error", e->ptr, NULL, 0, "odin_aot_last_error", model, false, false);
    odin_aot_forward_fn(e, "status_string", e->ptr, &e->i32, 1, "odin_aot_status_string", model, false, false);
    odin_aot_forward_fn(e, "set_threads", vd, &e->i32, 1, "odin_aot_set_threads", model, false, false);
    if (with_main) {
        LLVMTypeRef pm[2] = {e->i32, e->ptr};
        odin_aot_forward_fn(e, "", e->i32, pm, 2, "odin_aot_main", model, false, true);
    }
}

/* Blob, descriptor and API functions, added to the optimized module. */
static odin_status add_model(aot_emitter *e, const odin_graph *g, const odin_plan *plan,
                             const odin_aot_options *o, odin_aot_emit kind, const uint8_t *blob,
                             size_t blob_size, const int64_t *offsets, uint64_t hash) {
    odin_aot_emitter_types(e);
    LLVMValueRef blob_gv, file_name, model;
    ODIN_TRY(odin_aot_weights_global(e, o, blob, blob_size, &blob_gv, &file_name));
    ODIN_TRY(odin_aot_descriptor(e, g, plan, e->name, e->name, blob_gv, file_name, offsets,
                                 blob_size, hash, &model));
    odin_aot_model_api(e, model, kind == ODIN_AOT_EMIT_EXE);
    return odin_module_verify(e->m);
}

odin_status odin_aot_finish_object(LLVMModuleRef m, const odin_target *t, const odin_aot_options *o,
                                   odin_aot_emit kind, const uint8_t *blob, size_t blob_size,
                                   uint64_t hash, void **buf, size_t *size, void **weights,
                                   size_t *weights_size) {
    odin_emit_kind ek = kind == ODIN_AOT_EMIT_LLVM ? ODIN_EMIT_LLVM
                        : kind == ODIN_AOT_EMIT_ASM ? ODIN_EMIT_ASM : ODIN_EMIT_OBJECT;
    ODIN_TRY(odin_module_emit(m, t, ek, buf, size));
    if (!o->weights_file) return ODIN_OK;
    /* file image: 64-byte header (magic, size, hash), blob */
    uint8_t *img = calloc(1, ODIN_AOT_WEIGHTS_HEADER + blob_size);
    if (!img) return odin_errorf("out of memory");
    uint64_t n = blob_size;
    memcpy(img, ODIN_AOT_WEIGHTS_MAGIC, 8);
    memcpy(img + 8, &n, 8);
    memcpy(img + 16, &hash, 8);
    if (blob_size) memcpy(img + ODIN_AOT_WEIGHTS_HEADER, blob, blob_size);
    *weights = img;
    *weights_size = ODIN_AOT_WEIGHTS_HEADER + blob_size;
    return ODIN_OK;
}

odin_status odin_aot_object(const odin_graph *g, const odin_target *t, const odin_aot_options *o,
                            odin_aot_emit kind, void **buf, size_t *size, void **weights,
                            size_t *weights_size) {
    *buf = *weights = NULL;
    *size = *weights_size = 0;
    if (o->lm) return odin_aot_lm_object(o->lm, t, o, kind, buf, size, weights, weights_size);
    for (int i = 0; i < g->n_inputs; i++) {
        const odin_tensor *tt = &g->tensors[g->inputs[i]];
        bool known = tt->rank >= 0;
        for (int d = 0; known && d < tt->rank; d++) known = tt->dims[d] >= 0;
        if (!known)
            return odin_errorf("input '%s' has a symbolic or unknown shape: bind it with "
                               "--shape %s=d0,d1,...", tt->name, tt->name);
    }
    odin_plan plan;
    ODIN_TRY(odin_plan_build(g, odin_elem_fusable, true, &plan));
    odin_compile_options co = odin_compile_defaults();
    co.opt_level = o->opt_level;
    co.allow_fallback = false;
    uint8_t *blob = NULL;
    size_t blob_size = 0;
    int64_t *offsets = calloc((size_t)plan.n_weights + 1, sizeof *offsets);
    odin_status st = offsets ? build_blob(g, &plan, &blob, &blob_size, offsets) : odin_errorf("out of memory");
    uint64_t hash = st ? 0 : XXH3_64bits(blob, blob_size);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = NULL;
    if (!st) st = odin_codegen_module(g, &plan, t, &co, ctx, o->name, &m, NULL);
    if (!st) st = odin_module_optimize(m, t, o->opt_level);
    if (!st) {
        aot_emitter e = {.c = ctx, .m = m, .i32 = LLVMInt32TypeInContext(ctx),
                         .i64 = LLVMInt64TypeInContext(ctx), .ptr = LLVMPointerTypeInContext(ctx, 0),
                         .name = o->name};
        st = add_model(&e, g, &plan, o, kind, blob, blob_size, offsets, hash);
    }
    if (!st) st = odin_aot_finish_object(m, t, o, kind, blob, blob_size, hash, buf, size, weights,
                                         weights_size);
    if (st) {
        free(*buf);
        *buf = NULL;
        *size = 0;
    }
    if (m) LLVMDisposeModule(m);
    LLVMContextDispose(ctx);
    free(blob);
    free(offsets);
    odin_plan_free(&plan);
    return st;
}
