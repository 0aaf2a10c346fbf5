/* codegen/wasm_lm.c — `odinc wasm` of a language model: the decode (seq = 1) and prefill
 * (seq = P) programs in one module. They share the weights blob (constants with equal
 * bytes stored once), the arena (they never run at the same time) and the state: one
 * static buffer per state pair serves as state input and output of both entries, so the
 * session's state lives in the module's memory and never moves. Exports, beyond wasm.h's
 * (whose odin_run / odin_io are the decode entry): odin_run_prefill, odin_io_prefill and
 * odin_error_record (the message of a refused run-time input, e.g. pos + T > max_ctx).
 * OUT.mjs is the usual loader plus META.lm and runtime/wasm_session.mjs (m.session()). */
#include <errno.h>
#include <llvm-c/Core.h>
#include <llvm-c/Linker.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/aot.h"
#include "../runtime/wasm_session_js.h"
#include "compile.h"
#include "lm_entries.h"
#include "lower.h"
#include "wasm_internal.h"
#include "wasm_js.h"
#include "wasm_lm.h"

#define ALIGN 64

typedef struct lm_mod {
    LLVMContextRef c;
    LLVMModuleRef m;
    LLVMBuilderRef b;
    LLVMTypeRef i8, i32, ptr;
} lm_mod;

static size_t tensor_bytes(const odin_graph *g, int t) {
    odin_value v = odin_tensor_value(g, t);
    return odin_value_nbytes(&v);
}

static LLVMValueRef region(lm_mod *w, const char *name, size_t size, const void *init, bool constant) {
    LLVMTypeRef ty = LLVMArrayType2(w->i8, size ? size : 1);
    LLVMValueRef gv = LLVMAddGlobal(w->m, ty, name);
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    LLVMSetAlignment(gv, ALIGN);
    LLVMSetInitializer(gv, init && size ? LLVMConstStringInContext2(w->c, init, size, 1) : LLVMConstNull(ty));
    LLVMSetGlobalConstant(gv, constant);
    return gv;
}

static LLVMValueRef function(lm_mod *w, const char *name, LLVMTypeRef ret, LLVMTypeRef *params,
                             unsigned n, bool export_attr) {
    LLVMValueRef fn = LLVMAddFunction(w->m, name, LLVMFunctionType(ret, params, n, 0));
    if (export_attr) {
        LLVMAttributeRef a = LLVMCreateStringAttribute(w->c, "wasm-export-name", 16, name,
                                                       (unsigned)strlen(name));
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, a);
    }
    LLVMPositionBuilderAtEnd(w->b, LLVMAppendBasicBlockInContext(w->c, fn, "entry"));
    return fn;
}

/* The state pair an io slot of the graph belongs to (-1: none). */
static int state_of(const odin_lm_layout *l, const odin_graph *g, int slot) {
    for (int p = 0; p < l->n_state; p++)
        if (slot == l->state[p].input || slot == g->n_inputs + l->state[p].output) return p;
    return -1;
}

/* Entry k's io buffers and table, `odin_run[_prefill]` and `odin_io[_prefill]`. */
static odin_status add_entry(lm_mod *w, const odin_lm_entries *lm, int k, const odin_plan *plan,
                             const LLVMValueRef *states, LLVMValueRef arena, LLVMValueRef wblob,
                             const int64_t *offsets) {
    const odin_graph *g = lm->g[k];
    const char *sfx = k ? "_prefill" : "";
    int n_io = g->n_inputs + g->n_outputs;
    LLVMValueRef *io = calloc((size_t)n_io + 1, sizeof *io);
    LLVMValueRef *wp = calloc((size_t)plan->n_weights + 1, sizeof *wp);
    if (!io || !wp) {
        free(io);
        free(wp);
        return odin_errorf("out of memory");
    }
    for (int i = 0; i < plan->n_weights; i++) wp[i] = odin_wasm_byte_offset(w->m, wblob, (size_t)offsets[i]);
    char name[64];
    snprintf(name, sizeof name, "odin_weight_table%s", sfx);
    LLVMValueRef wtable = odin_wasm_ptr_table(w->m, name, wp, plan->n_weights);
    for (int i = 0; i < n_io; i++) {
        int p = state_of(&lm->layout, g, i);
        int t = i < g->n_inputs ? g->inputs[i] : g->outputs[i - g->n_inputs];
        snprintf(name, sizeof name, "odin_io%s_%d", sfx, i);
        io[i] = p >= 0 ? states[p] : region(w, name, tensor_bytes(g, t), NULL, false);
    }
    snprintf(name, sizeof name, "odin_io_table%s", sfx);
    LLVMValueRef iotable = odin_wasm_ptr_table(w->m, name, io, n_io);

    snprintf(name, sizeof name, "odin_main%s_entry", k ? "_prefill" : "_decode");
    LLVMValueRef main_fn = LLVMGetNamedFunction(w->m, name);
    LLVMSetLinkage(main_fn, LLVMInternalLinkage);
    LLVMTypeRef mp[3] = {w->ptr, w->ptr, w->ptr};
    LLVMTypeRef main_ty = LLVMFunctionType(w->i32, mp, 3, 0);
    snprintf(name, sizeof name, "odin_run%s", sfx);
    LLVMValueRef run = function(w, name, w->i32, NULL, 0, k != 0);
    LLVMValueRef args[3] = {iotable, arena, wtable};
    LLVMValueRef rc = LLVMBuildCall2(w->b, main_ty, main_fn, args, 3, "rc");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(w->c, run, "ok");
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(w->c, run, "fail");
    LLVMBuildCondBr(w->b, LLVMBuildICmp(w->b, LLVMIntEQ, rc, LLVMConstInt(w->i32, 0, 0), ""), ok, fail);
    LLVMPositionBuilderAtEnd(w->b, fail);
    LLVMBuildRet(w->b, rc);
    LLVMPositionBuilderAtEnd(w->b, ok);
    /* outputs the plan placed elsewhere (an input, a constant, another output, the arena) */
    for (int i = 0; i < g->n_outputs; i++) {
        const odin_tensor_place *pl = &plan->place[g->outputs[i]];
        if (pl->kind == ODIN_STORE_OUTPUT && pl->index == i) continue;
        LLVMValueRef src = pl->kind == ODIN_STORE_INPUT    ? io[pl->index]
                           : pl->kind == ODIN_STORE_CONST  ? wp[pl->index]
                           : pl->kind == ODIN_STORE_OUTPUT ? io[g->n_inputs + pl->index]
                           : pl->kind == ODIN_STORE_ARENA  ? odin_wasm_byte_offset(w->m, arena, (size_t)pl->index)
                                                           : NULL;
        size_t nb = tensor_bytes(g, g->outputs[i]);
        if (!src || !nb || src == io[g->n_inputs + i]) continue;
        LLVMBuildMemMove(w->b, io[g->n_inputs + i], 1, src, 1, LLVMConstInt(w->i32, nb, 0));
    }
    LLVMBuildRet(w->b, LLVMConstInt(w->i32, 0, 0));

    snprintf(name, sizeof name, "odin_io%s", sfx);
    LLVMValueRef io_fn = function(w, name, w->ptr, &w->i32, 1, k != 0);
    LLVMValueRef idx = LLVMGetParam(io_fn, 0);
    LLVMValueRef in_range = LLVMBuildICmp(w->b, LLVMIntULT, idx, LLVMConstInt(w->i32, (unsigned)n_io, 0), "");
    LLVMValueRef safe = LLVMBuildSelect(w->b, in_range, idx, LLVMConstInt(w->i32, 0, 0), "");
    LLVMValueRef slot = LLVMBuildGEP2(w->b, w->ptr, iotable, &safe, 1, "");
    LLVMValueRef p = LLVMBuildLoad2(w->b, w->ptr, slot, "");
    LLVMBuildRet(w->b, LLVMBuildSelect(w->b, in_range, p, LLVMConstNull(w->ptr), ""));
    free(io);
    free(wp);
    return ODIN_OK;
}

static odin_status build_module(const odin_lm_entries *lm, const odin_wasm_options *o,
                                bool relaxed, const odin_plan *plans, const uint8_t *blob,
                                size_t blob_bytes, int64_t *const *offsets, void **obj,
                                size_t *obj_size) {
    const odin_lm_layout *l = &lm->layout;
    for (int p = 0; p < l->n_state; p++)
        if (!l->state[p].in_place)
            return odin_errorf("state '%s' is not updated in place (docs/language-models.md): "
                               "wasm sessions keep one buffer per state",
                               lm->g[0]->tensors[lm->g[0]->inputs[l->state[p].input]].name);
    odin_target t;
    odin_compile_options co;
    ODIN_TRY(odin_wasm_codegen_setup(o, relaxed, &t, &co));
    lm_mod w = {.c = LLVMContextCreate()};
    w.i8 = LLVMInt8TypeInContext(w.c);
    w.i32 = LLVMInt32TypeInContext(w.c);
    w.ptr = LLVMPointerTypeInContext(w.c, 0);
    LLVMModuleRef m1 = NULL;
    odin_status st = odin_codegen_module(lm->g[0], &plans[0], &t, &co, w.c, "odin_main_decode_entry", &w.m, NULL);
    if (!st) st = odin_codegen_module(lm->g[1], &plans[1], &t, &co, w.c, "odin_main_prefill_entry", &m1, NULL);
    if (!st) {
        if (LLVMLinkModules2(w.m, m1)) st = odin_errorf("linking the decode and prefill programs failed");
        m1 = NULL;
    }
    if (!st) {
        w.b = LLVMCreateBuilderInContext(w.c);
        bool embed = o->weights == ODIN_WASM_WEIGHTS_EMBED;
        LLVMValueRef wblob = region(&w, "odin_weight_blob", blob_bytes, embed ? blob : NULL, embed);
        size_t arena = plans[0].arena_bytes > plans[1].arena_bytes ? plans[0].arena_bytes : plans[1].arena_bytes;
        LLVMValueRef arena_gv = region(&w, "odin_arena", arena, NULL, false);
        LLVMValueRef *states = calloc((size_t)l->n_state + 1, sizeof *states);
        if (!states) st = odin_errorf("out of memory");
        for (int p = 0; !st && p < l->n_state; p++) {
            char name[48];
            snprintf(name, sizeof name, "odin_state_%d", p);
            states[p] = region(&w, name, l->state[p].nbytes, NULL, false);
        }
        for (int k = 0; !st && k < 2; k++)
            st = add_entry(&w, lm, k, &plans[k], states, arena_gv, wblob, offsets[k]);
        if (!st) {
            function(&w, "odin_weights", w.ptr, NULL, 0, false);
            LLVMBuildRet(w.b, wblob);
            function(&w, "odin_weights_size", w.i32, NULL, 0, false);
            LLVMBuildRet(w.b, LLVMConstInt(w.i32, blob_bytes, 0));
            /* where a kernel that refused a run-time input left its message (runtime/aot.h's
             * odin_aot_error: i64 value, then the prefix and suffix addresses); 0: none */
            function(&w, "odin_error_record", w.ptr, NULL, 0, true);
            LLVMValueRef rec = LLVMGetNamedGlobal(w.m, ODIN_AOT_ERROR_SYMBOL);
            LLVMBuildRet(w.b, rec ? rec : LLVMConstNull(w.ptr));
        }
        free(states);
        LLVMDisposeBuilder(w.b);
    }
    if (!st) st = odin_wasm_finish_object(w.m, &t, o, relaxed, obj, obj_size);
    if (m1) LLVMDisposeModule(m1);
    if (w.m) LLVMDisposeModule(w.m);
    LLVMContextDispose(w.c);
    return st;
}

/* META.lm: what runtime/wasm_session.mjs needs. */
static void lm_meta(FILE *f, const odin_lm_entries *lm) {
    const odin_lm_layout *l = &lm->layout;
    fprintf(f, "META.lm = {\"prefill\":%d,\"vocab\":%lld,\"tokens\":%d,\"pos\":%d,\"logits\":%d,"
               "\"allLogits\":%s,\"maxCtx\":%lld,\"states\":[",
            lm->T[1], (long long)l->vocab, l->tokens, l->pos, l->logits,
            l->all_logits ? "true" : "false", (long long)l->max_ctx);
    for (int p = 0; p < l->n_state; p++)
        fprintf(f, "%s{\"input\":%d,\"output\":%d,\"bytes\":%zu}", p ? "," : "", l->state[p].input,
                l->state[p].output, l->state[p].nbytes);
    fputs("]};\n", f);
}

/* The loader of wasm_js.c for the decode entry, META.lm after its META line, and the
 * session text at the end. */
static odin_status write_loader(const odin_lm_entries *lm, const char *mjs,
                                char *const wasm[2], bool wasm_relaxed, const char *bin,
                                size_t blob_bytes) {
    ODIN_TRY(odin_wasm_write_loader(lm->g[0], mjs, wasm[0], wasm[1], wasm_relaxed, bin,
                                    blob_bytes));
    FILE *f = fopen(mjs, "rb");
    if (!f) return odin_errorf("%s: cannot read: %s", mjs, strerror(errno));
    char *text = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)n + 1)) &&
        fread(text, 1, (size_t)n, f) != (size_t)n) {
        free(text);
        text = NULL;
    }
    fclose(f);
    if (!text) return odin_errorf("%s: cannot read it back", mjs);
    text[n] = '\0';
    char *meta = strstr(text, "\nconst META = ");
    char *eol = meta ? strchr(meta + 1, '\n') : NULL;
    if (!eol) {
        free(text);
        return odin_errorf("%s: no META line in the loader", mjs);
    }
    f = fopen(mjs, "wb");
    if (!f) {
        free(text);
        return odin_errorf("%s: cannot write: %s", mjs, strerror(errno));
    }
    fwrite(text, 1, (size_t)(eol + 1 - text), f);
    lm_meta(f, lm);
    fputs(eol + 1, f);
    fputs("\n" ODIN_WASM_SESSION_MARK, f);
    fputs(odin_wasm_session_js, f);
    free(text);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    return ok ? ODIN_OK : odin_errorf("%s: write failed", mjs);
}

static char *with_suffix(const char *out_path, const char *suffix) {
    size_t n = strlen(out_path);
    if (n > 5 && !strcmp(out_path + n - 5, ".wasm")) n -= 5;
    char *s = malloc(n + strlen(suffix) + 1);
    if (s) {
        memcpy(s, out_path, n);
        strcpy(s + n, suffix);
    }
    return s;
}

static odin_status write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return odin_errorf("%s: cannot write: %s", path, strerror(errno));
    bool ok = fwrite(data, 1, size, f) == size;
    ok = fclose(f) == 0 && ok;
    return ok ? ODIN_OK : odin_errorf("%s: write failed", path);
}

/* What odin_wasm_build_lm compiles, for each module it writes. */
typedef struct lm_build {
    const odin_lm_entries *lm;
    const odin_wasm_options *o;
    const odin_plan *plans;
    const uint8_t *blob;
    size_t blob_bytes;
    int64_t *const *offsets;
} lm_build;

static odin_status compile_lm(void *ctx, bool relaxed, void **obj, size_t *obj_size) {
    const lm_build *b = ctx;
    return build_module(b->lm, b->o, relaxed, b->plans, b->blob, b->blob_bytes, b->offsets,
                        obj, obj_size);
}

odin_status odin_wasm_build_lm(const odin_lm_entries *lm, const odin_wasm_options *o,
                               const char *out_path) {
    odin_plan plans[2] = {0};
    int64_t *offsets[2] = {NULL, NULL};
    uint8_t *blob = NULL;
    size_t blob_bytes = 0;
    char *wasm[2] = {NULL, NULL};
    char *stem = with_suffix(out_path, ""), *mjs = with_suffix(out_path, ".mjs");
    char *bin = with_suffix(out_path, ".bin");
    odin_status st = stem && mjs && bin ? ODIN_OK : odin_errorf("out of memory");
    for (int k = 0; k < 2 && !st; k++)
        st = odin_status_prefix(odin_plan_build(lm->g[k], odin_elem_fusable, o->fuse, &plans[k]),
                                "the %s program", k ? "prefill" : "decode");
    if (!st) st = odin_lm_weights_blob(lm, plans, &blob, &blob_bytes, offsets);
    if (!st && blob_bytes > 0xffffffffu - (64u << 20))
        st = odin_errorf("the weights (%zu bytes) do not fit a 32-bit wasm memory", blob_bytes);
    if (!st) {
        lm_build b = {lm, o, plans, blob, blob_bytes, offsets};
        st = odin_wasm_build_variants(o, stem, compile_lm, &b, wasm);
    }
    bool side = o->weights == ODIN_WASM_WEIGHTS_SIDE;
    if (!st && side) st = write_file(bin, blob, blob_bytes);
    if (!st)
        st = write_loader(lm, mjs, wasm, o->simd == ODIN_WASM_SIMD_RELAXED, side ? bin : NULL,
                          blob_bytes);
    free(blob);
    free(offsets[0]);
    free(offsets[1]);
    odin_plan_free(&plans[0]);
    odin_plan_free(&plans[1]);
    free(wasm[0]);
    free(wasm[1]);
    free(stem);
    free(mjs);
    free(bin);
    return st;
}
