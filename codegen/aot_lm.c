/* codegen/aot_lm.c — `odinc compile` of a language model: the decode (seq = 1) and the
 * prefill (seq = P) programs compiled into one module (two entries, one weights blob with
 * the constants they share stored once), their two model descriptors, the odin_aot_lm
 * descriptor of runtime/aot_session.h and the C API around it: NAME_create/run/... on the
 * decode entry as for any model, NAME_session_* for sessions, and for an executable a
 * main() with the greedy --prompt-ids mode (runtime/aot_lm_main.c). */
#include <llvm-c/Linker.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../runtime/aot_session.h"
#include "aot_emit.h"
#include "compile.h"
#include "emit.h"
#include "lm_entries.h"
#include "lower.h"

/* NAME_lm: the odin_aot_lm descriptor (every field 8 bytes). */
static LLVMValueRef lm_descriptor(odin_aot_emitter *e, const odin_lm_entries *lm, LLVMValueRef decode,
                                  LLVMValueRef prefill) {
    const odin_lm_layout *l = &lm->layout;
    LLVMTypeRef sf[] = {e->i64, e->i64, e->i64, e->i64};
    LLVMTypeRef state_ty = LLVMStructCreateNamed(e->c, "odin_aot_lm_state");
    LLVMStructSetBody(state_ty, sf, 4, 0);
    LLVMValueRef *states = calloc((size_t)l->n_state + 1, sizeof *states);
    if (!states) return NULL;
    for (int i = 0; i < l->n_state; i++) {
        const odin_lm_state *s = &l->state[i];
        LLVMValueRef f[] = {odin_aot_i64c(e, s->input), odin_aot_i64c(e, s->output),
                            odin_aot_i64c(e, (int64_t)s->nbytes), odin_aot_i64c(e, s->in_place)};
        states[i] = LLVMConstNamedStruct(state_ty, f, 4);
    }
    LLVMValueRef state_gv = odin_aot_const_global(e, "odin.lm_state",
                                                  LLVMConstArray(state_ty, states, (unsigned)l->n_state), false);
    free(states);
    LLVMTypeRef mf[] = {e->i64, e->ptr, e->ptr, e->ptr, e->i64, e->i64, e->i64, e->i64,
                        e->i64, e->i64, e->i64, e->i64, e->ptr};
    LLVMTypeRef lm_ty = LLVMStructCreateNamed(e->c, "odin_aot_lm");
    LLVMStructSetBody(lm_ty, mf, sizeof mf / sizeof mf[0], 0);
    LLVMValueRef fields[] = {odin_aot_i64c(e, ODIN_AOT_LM_ABI), odin_aot_cstring(e, e->name), decode, prefill,
                             odin_aot_i64c(e, lm->T[1]), odin_aot_i64c(e, l->tokens), odin_aot_i64c(e, l->pos),
                             odin_aot_i64c(e, l->logits), odin_aot_i64c(e, l->vocab),
                             odin_aot_i64c(e, l->all_logits), odin_aot_i64c(e, l->max_ctx),
                             odin_aot_i64c(e, l->n_state), state_gv};
    char sym[160];
    snprintf(sym, sizeof sym, "%s_lm", e->name);
    return odin_aot_const_global(e, sym, LLVMConstNamedStruct(lm_ty, fields, sizeof fields / sizeof fields[0]),
                                 true);
}

/* NAME_session_* forwarding to runtime/aot_session.h. */
static void session_api(odin_aot_emitter *e, LLVMValueRef d, bool with_main) {
    LLVMTypeRef vd = LLVMVoidTypeInContext(e->c), p2[2] = {e->ptr, e->ptr};
    LLVMTypeRef prefill[3] = {e->ptr, e->ptr, e->i64}, step[2] = {e->ptr, e->i32};
    odin_aot_forward_fn(e, "session_create", e->i32, p2, 1, "odin_aot_session_create_default", d, true, false);
    odin_aot_forward_fn(e, "session_create_from", e->i32, p2, 2, "odin_aot_session_create", d, true, false);
    odin_aot_forward_fn(e, "session_prefill", e->i32, prefill, 3, "odin_aot_session_prefill", d, false, false);
    odin_aot_forward_fn(e, "session_step", e->i32, step, 2, "odin_aot_session_step", d, false, false);
    odin_aot_forward_fn(e, "session_logits", e->ptr, p2, 1, "odin_aot_session_logits", d, false, false);
    odin_aot_forward_fn(e, "session_pos", e->i64, p2, 1, "odin_aot_session_pos", d, false, false);
    odin_aot_forward_fn(e, "session_vocab", e->i64, p2, 1, "odin_aot_session_vocab", d, false, false);
    odin_aot_forward_fn(e, "session_reset", vd, p2, 1, "odin_aot_session_reset", d, false, false);
    odin_aot_forward_fn(e, "session_destroy", vd, p2, 1, "odin_aot_session_destroy", d, false, false);
    if (with_main) {
        LLVMTypeRef pm[2] = {e->i32, e->ptr};
        odin_aot_forward_fn(e, "", e->i32, pm, 2, "odin_aot_lm_main", d, false, true);
    }
}

odin_status odin_aot_lm_object(const odin_lm_entries *lm, const odin_target *t,
                               const odin_aot_options *o, odin_aot_emit kind, void **buf,
                               size_t *size, void **weights, size_t *weights_size) {
    static const char *const role[2] = {"decode", "prefill"};
    odin_plan plans[2] = {0};
    int64_t *offsets[2] = {NULL, NULL};
    uint8_t *blob = NULL;
    size_t blob_size = 0;
    char entry[2][160], prefix[2][160];
    odin_status st = ODIN_OK;
    for (int k = 0; k < 2 && !st; k++) {
        snprintf(entry[k], sizeof entry[k], "%s_%s_entry", o->name, role[k]);
        snprintf(prefix[k], sizeof prefix[k], k ? "%s_prefill" : "%s", o->name);
        st = odin_status_prefix(odin_plan_build(lm->g[k], odin_elem_fusable, true, &plans[k]),
                                "the %s program", role[k]);
    }
    if (!st) st = odin_lm_weights_blob(lm, plans, &blob, &blob_size, offsets);
    uint64_t hash = st ? 0 : XXH3_64bits(blob, blob_size);
    odin_compile_options co = odin_compile_defaults();
    co.opt_level = o->opt_level;
    co.allow_fallback = false;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = NULL, m1 = NULL;
    if (!st) st = odin_codegen_module(lm->g[0], &plans[0], t, &co, ctx, entry[0], &m, NULL);
    if (!st) st = odin_codegen_module(lm->g[1], &plans[1], t, &co, ctx, entry[1], &m1, NULL);
    if (!st) {
        /* Kernels and their tables are internal: the linker renames colliding names. */
        if (LLVMLinkModules2(m, m1)) st = odin_errorf("linking the decode and prefill programs failed");
        m1 = NULL;
    }
    if (!st) st = odin_module_optimize(m, t, o->opt_level);
    odin_aot_emitter e = {.c = ctx, .m = m, .i32 = LLVMInt32TypeInContext(ctx),
                          .i64 = LLVMInt64TypeInContext(ctx), .ptr = LLVMPointerTypeInContext(ctx, 0),
                          .name = o->name};
    LLVMValueRef blob_gv, file_name, model[2], d = NULL;
    if (!st) {
        odin_aot_emitter_types(&e);
        st = odin_aot_weights_global(&e, o, blob, blob_size, &blob_gv, &file_name);
    }
    for (int k = 0; k < 2 && !st; k++)
        st = odin_aot_descriptor(&e, lm->g[k], &plans[k], prefix[k], entry[k], blob_gv, file_name,
                                 offsets[k], blob_size, hash, &model[k]);
    if (!st && !(d = lm_descriptor(&e, lm, model[0], model[1]))) st = odin_errorf("out of memory");
    if (!st) {
        odin_aot_model_api(&e, model[0], false);
        session_api(&e, d, kind == ODIN_AOT_EMIT_EXE);
        st = odin_module_verify(m);
    }
    if (!st) st = odin_aot_finish_object(m, t, o, kind, blob, blob_size, hash, buf, size, weights,
                                         weights_size);
    if (m) LLVMDisposeModule(m);
    if (m1) LLVMDisposeModule(m1);
    LLVMContextDispose(ctx);
    free(blob);
    free(offsets[0]);
    free(offsets[1]);
    odin_plan_free(&plans[0]);
    odin_plan_free(&plans[1]);
    return st;
}

odin_status odin_aot_lm_write_header(FILE *f, const odin_lm_entries *lm, const char *n) {
    char up[160];
    size_t k = 0;
    for (; n[k] && k + 1 < sizeof up; k++) up[k] = (n[k] >= 'a' && n[k] <= 'z') ? (char)(n[k] - 32) : n[k];
    up[k] = '\0';
    fprintf(f,
            "/* ---- language-model sessions ----\n"
            " * The model is a language model compiled twice: a decode entry (1 token; %s_run\n"
            " * above runs it) and a prefill entry (%d tokens), sharing the weights. A session\n"
            " * owns the state (recurrent state / KV caches, zeroed at create and reset) and the\n"
            " * position; prefill feeds n >= 1 tokens (chunks of %d through the prefill entry,\n"
            " * the rest one by one), step one token; both leave the last token's logits in\n"
            " * %s_session_logits (%lld floats, valid until the next call). Token ids are in\n"
            " * [0, %lld)%s. Functions return ODIN_MODEL_* codes; %s_last_error() says why.\n"
            " * A bad argument (ERR_ARGUMENT: token id, full context) leaves the state as it\n"
            " * was; after ERR_RUN it is undefined: reset.%s */\n"
            "#define %s_VOCAB %lld\n#define %s_PREFILL_TOKENS %d\n"
            "#ifndef ODIN_MODEL_LM_TYPES\n#define ODIN_MODEL_LM_TYPES\n"
            "typedef struct odin_lm_session odin_lm_session;\n#endif\n"
            "int %s_session_create(odin_lm_session **out);\n"
            "int %s_session_create_from(const char *weights_path, odin_lm_session **out);\n"
            "int %s_session_prefill(odin_lm_session *s, const int32_t *tokens, int64_t n);\n"
            "int %s_session_step(odin_lm_session *s, int32_t token);\n"
            "const float *%s_session_logits(const odin_lm_session *s);\n"
            "int64_t %s_session_pos(const odin_lm_session *s);   /* tokens fed since reset */\n"
            "int64_t %s_session_vocab(const odin_lm_session *s);\n"
            "void %s_session_reset(odin_lm_session *s);\n"
            "void %s_session_destroy(odin_lm_session *s);\n\n",
            n, lm->T[1], lm->T[1], n, (long long)lm->layout.vocab, (long long)lm->layout.vocab,
            lm->layout.max_ctx > 0 ? "; at most max_ctx tokens fit a session" : "", n,
            lm->layout.max_ctx > 0 ? "\n * A direct call (the _run entry, no session) with pos + T past max_ctx fails\n"
                                     " * with ERR_RUN; the last error names pos, T and max_ctx."
                                   : "",
            up,
            (long long)lm->layout.vocab, up, lm->T[1], n, n, n, n, n, n, n, n, n);
    return ODIN_OK;
}
