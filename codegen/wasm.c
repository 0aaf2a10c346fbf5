/* codegen/wasm.c — the wasm32 module: the graph's kernels (codegen/compile.c) plus what a
 * libc-free module needs around them, all emitted as LLVM IR into the same module:
 *  - static regions in linear memory: the arena, one buffer per graph input and output,
 *    and the weights blob (each tensor 64-byte aligned) with its pointer table;
 *  - the single-threaded odin_rt_parallel_for (fn(ctx, 0, n)): defined here in IR rather
 *    than compiled from C, so `odinc wasm` needs no C compiler and the call inlines;
 *  - the exported entry points (wasm.h).
 * With +bulk-memory LLVM's memcpy/memset become memory.copy/memory.fill, so the linked
 * module imports nothing; any other external the kernels declare is an error here. */
#include "wasm.h"

#include <errno.h>
#include <llvm-c/Core.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile.h"
#include "emit.h"
#include "lower.h"
#include "wasm_internal.h"
#include "wasm_js.h"

extern char **environ;

#define WASM_ALIGN 64
#define WASM_STACK_BYTES (8u << 20) /* GEMM packs B panels on the stack */

odin_wasm_options odin_wasm_defaults(void) {
    return (odin_wasm_options){.simd = ODIN_WASM_SIMD_BOTH, .weights = ODIN_WASM_WEIGHTS_EMBED,
                               .opt_level = 3, .fuse = true, .linker = NULL};
}

static size_t align_up(size_t n) { return (n + WASM_ALIGN - 1) & ~(size_t)(WASM_ALIGN - 1); }

static size_t tensor_bytes(const odin_graph *g, int t) {
    odin_value v = odin_tensor_value(g, t);
    return odin_value_nbytes(&v);
}

/* Byte offset of every weight in the blob (64-byte aligned) and the blob's size. */
static odin_status weight_layout(const odin_graph *g, const odin_plan *plan, size_t *offsets,
                                 size_t *total) {
    size_t off = 0;
    for (int i = 0; i < plan->n_weights; i++) {
        const odin_tensor *t = &g->tensors[plan->weights[i]];
        size_t nb = tensor_bytes(g, plan->weights[i]);
        if (!t->data && nb)
            return odin_errorf("constant '%s' has no data", t->name ? t->name : "?");
        if (t->dtype == ODIN_STRING)
            return odin_errorf("constant '%s': string tensors cannot be compiled to wasm", t->name);
        offsets[i] = off;
        off = align_up(off + nb);
    }
    *total = off;
    if (off > 0xffffffffu - (64u << 20))
        return odin_errorf("the weights (%zu bytes) do not fit a 32-bit wasm memory", off);
    return ODIN_OK;
}

static void fill_blob(const odin_graph *g, const odin_plan *plan, const size_t *offsets,
                      unsigned char *blob) {
    for (int i = 0; i < plan->n_weights; i++) {
        const odin_tensor *t = &g->tensors[plan->weights[i]];
        size_t nb = tensor_bytes(g, plan->weights[i]);
        if (nb) memcpy(blob + offsets[i], t->data, nb);
    }
}

typedef struct wasm_mod {
    LLVMContextRef c;
    LLVMModuleRef m;
    LLVMBuilderRef b;
    LLVMTypeRef i8, i32, i64, ptr, v;
} wasm_mod;

/* A zero-initialized (or initialized) byte array global, internal, 64-byte aligned. */
static LLVMValueRef byte_global(wasm_mod *w, const char *name, size_t size, const void *init,
                                bool constant) {
    if (!size) size = 1;
    LLVMTypeRef ty = LLVMArrayType2(w->i8, size);
    LLVMValueRef gv = LLVMAddGlobal(w->m, ty, name);
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    LLVMSetAlignment(gv, WASM_ALIGN);
    LLVMSetInitializer(gv, init ? LLVMConstStringInContext2(w->c, init, size, 1)
                                : LLVMConstNull(ty));
    LLVMSetGlobalConstant(gv, constant);
    return gv;
}

LLVMValueRef odin_wasm_byte_offset(LLVMModuleRef m, LLVMValueRef base, size_t off) {
    if (!off) return base;
    LLVMContextRef c = LLVMGetModuleContext(m);
    LLVMValueRef idx = LLVMConstInt(LLVMInt32TypeInContext(c), off, 0);
    return LLVMConstInBoundsGEP2(LLVMInt8TypeInContext(c), base, &idx, 1);
}

LLVMValueRef odin_wasm_ptr_table(LLVMModuleRef m, const char *name, LLVMValueRef *ptrs, int n) {
    LLVMTypeRef ptr = LLVMPointerTypeInContext(LLVMGetModuleContext(m), 0);
    LLVMValueRef null = LLVMConstNull(ptr);
    LLVMValueRef init = LLVMConstArray2(ptr, n ? ptrs : &null, n ? (uint64_t)n : 1);
    LLVMValueRef gv = LLVMAddGlobal(m, LLVMTypeOf(init), name);
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    return gv;
}

static LLVMValueRef add_export(wasm_mod *w, const char *name, LLVMTypeRef ret,
                               LLVMTypeRef *params, unsigned n) {
    LLVMValueRef fn = LLVMAddFunction(w->m, name, LLVMFunctionType(ret, params, n, 0));
    LLVMPositionBuilderAtEnd(w->b, LLVMAppendBasicBlockInContext(w->c, fn, "entry"));
    return fn;
}

/* The kernels' thread pool on a single thread: fn(ctx, 0, n) when n > 0. */
static void define_parallel_for(wasm_mod *w) {
    LLVMValueRef pf = LLVMGetNamedFunction(w->m, "odin_rt_parallel_for");
    if (!pf || !LLVMIsDeclaration(pf)) return;
    LLVMSetLinkage(pf, LLVMInternalLinkage);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(w->c, pf, "entry");
    LLVMBasicBlockRef call = LLVMAppendBasicBlockInContext(w->c, pf, "call");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(w->c, pf, "done");
    LLVMPositionBuilderAtEnd(w->b, entry);
    LLVMValueRef n = LLVMGetParam(pf, 2);
    LLVMBuildCondBr(w->b, LLVMBuildICmp(w->b, LLVMIntSGT, n, LLVMConstInt(w->i64, 0, 0), ""),
                    call, done);
    LLVMPositionBuilderAtEnd(w->b, call);
    LLVMTypeRef body_params[3] = {w->ptr, w->i64, w->i64};
    LLVMTypeRef body_ty = LLVMFunctionType(w->v, body_params, 3, 0);
    LLVMValueRef args[3] = {LLVMGetParam(pf, 1), LLVMConstInt(w->i64, 0, 0), n};
    LLVMBuildCall2(w->b, body_ty, LLVMGetParam(pf, 0), args, 3, "");
    LLVMBuildBr(w->b, done);
    LLVMPositionBuilderAtEnd(w->b, done);
    LLVMBuildRetVoid(w->b);
}

/* Intrinsics wasm has no instruction for become libm calls (fmaxf, roundevenf), which a
 * module without libc cannot link. Each is replaced by the one wasm does have:
 * maxnum/minnum -> maximum/minimum (f32.max, f32x4.max; they differ only in returning NaN
 * when one operand is NaN), roundeven -> rint (f32.nearest: wasm rounds to even). Run
 * before and after optimization, which may form new ones (vector reductions); after it,
 * with relaxed SIMD, vector fmuladd becomes relaxed_madd. */
static odin_status wasm_legalize_intrinsics(LLVMModuleRef m, bool relaxed_simd) {
    static const char *const map[][2] = {
        /* relaxed SIMD only (the table ends before it otherwise): a*b+c fused where the
         * hardware has FMA, as fmuladd allows */
        {"llvm.fmuladd.v4f32", "llvm.wasm.relaxed.madd"},
        {"llvm.fmuladd.v2f64", "llvm.wasm.relaxed.madd"},
        {"llvm.maxnum.", "llvm.maximum"}, {"llvm.minnum.", "llvm.minimum"},
        {"llvm.roundeven.", "llvm.rint"},
        {"llvm.vector.reduce.fmax.", "llvm.vector.reduce.fmaximum"},
        {"llvm.vector.reduce.fmin.", "llvm.vector.reduce.fminimum"},
    };
    LLVMValueRef next;
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = next) {
        next = LLVMGetNextFunction(f);
        size_t len;
        const char *name = LLVMGetValueName2(f, &len);
        for (size_t k = relaxed_simd ? 0 : 2; k < sizeof map / sizeof map[0]; k++) {
            if (strncmp(name, map[k][0], strlen(map[k][0])) != 0) continue;
            LLVMTypeRef fty = LLVMGlobalGetValueType(f);
            /* overloaded on the first parameter (the vector for reductions) */
            LLVMTypeRef over = LLVMCountParamTypes(fty) ? NULL : LLVMGetReturnType(fty);
            LLVMTypeRef params[4];
            if (!over && LLVMCountParamTypes(fty) <= 4) {
                LLVMGetParamTypes(fty, params);
                over = params[0];
            }
            unsigned id = LLVMLookupIntrinsicID(map[k][1], strlen(map[k][1]));
            if (!over || !id) return odin_errorf("cannot map %s to a wasm instruction", name);
            LLVMValueRef repl = LLVMGetIntrinsicDeclaration(m, id, &over, 1);
            if (LLVMGlobalGetValueType(repl) != fty)
                return odin_errorf("cannot map %s to %s: signatures differ", name, map[k][1]);
            LLVMReplaceAllUsesWith(f, repl);
            LLVMDeleteFunction(f);
            break;
        }
    }
    return ODIN_OK;
}

/* Every function the module calls must be defined in it or be an LLVM intrinsic. */
static odin_status check_externals(LLVMModuleRef m) {
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
        if (!LLVMIsDeclaration(f) || LLVMGetIntrinsicID(f)) continue;
        size_t len;
        const char *name = LLVMGetValueName2(f, &len);
        if (!strcmp(name, "odin_rt_eval_fallback"))
            return odin_errorf("generated code calls the reference-eval fallback, which a wasm "
                               "module cannot contain");
        return odin_errorf("generated code calls '%s', which the wasm runtime does not provide",
                           name);
    }
    return ODIN_OK;
}

/* Globals, the parallel_for runtime and the exports around the kernels' odin_main. */
static odin_status add_runtime(wasm_mod *w, const odin_graph *g, const odin_plan *plan,
                               const odin_wasm_options *o, const unsigned char *blob,
                               const size_t *offsets, size_t blob_bytes) {
    int n_io = g->n_inputs + g->n_outputs;
    LLVMValueRef *io = calloc((size_t)n_io + 1, sizeof *io);
    LLVMValueRef *wptrs = calloc((size_t)plan->n_weights + 1, sizeof *wptrs);
    if (!io || !wptrs) {
        free(io);
        free(wptrs);
        return odin_errorf("out of memory");
    }
    bool embed = o->weights == ODIN_WASM_WEIGHTS_EMBED;
    /* Side weights are a zeroed region the loader writes: mutable, and its address escapes
     * through odin_weights(), so LLVM cannot fold its loads to zero. */
    LLVMValueRef wblob = byte_global(w, "odin_weight_blob", blob_bytes, embed ? blob : NULL, embed);
    for (int i = 0; i < plan->n_weights; i++) wptrs[i] = odin_wasm_byte_offset(w->m, wblob, offsets[i]);
    LLVMValueRef wtable = odin_wasm_ptr_table(w->m, "odin_weight_table", wptrs, plan->n_weights);
    LLVMValueRef arena = byte_global(w, "odin_arena", plan->arena_bytes, NULL, false);
    for (int i = 0; i < n_io; i++) {
        int t = i < g->n_inputs ? g->inputs[i] : g->outputs[i - g->n_inputs];
        char name[48];
        snprintf(name, sizeof name, "odin_io_%d", i);
        io[i] = byte_global(w, name, tensor_bytes(g, t), NULL, false);
    }
    LLVMValueRef iotable = odin_wasm_ptr_table(w->m, "odin_io_table", io, n_io);

    LLVMValueRef main_fn = LLVMGetNamedFunction(w->m, "odin_main");
    LLVMSetLinkage(main_fn, LLVMInternalLinkage);
    LLVMTypeRef main_params[3] = {w->ptr, w->ptr, w->ptr};
    LLVMTypeRef main_ty = LLVMFunctionType(w->i32, main_params, 3, 0);

    /* i32 odin_run(): the kernels, then outputs the plan placed elsewhere (an input, a
     * constant, another output) are copied into their own buffers. */
    LLVMValueRef run = add_export(w, "odin_run", w->i32, NULL, 0);
    LLVMValueRef args[3] = {iotable, arena, wtable};
    LLVMValueRef rc = LLVMBuildCall2(w->b, main_ty, main_fn, args, 3, "rc");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(w->c, run, "ok");
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(w->c, run, "fail");
    LLVMBuildCondBr(w->b, LLVMBuildICmp(w->b, LLVMIntEQ, rc, LLVMConstInt(w->i32, 0, 0), ""), ok,
                    fail);
    LLVMPositionBuilderAtEnd(w->b, fail);
    LLVMBuildRet(w->b, rc);
    LLVMPositionBuilderAtEnd(w->b, ok);
    for (int i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        const odin_tensor_place *pl = &plan->place[t];
        if (pl->kind == ODIN_STORE_OUTPUT && pl->index == i) continue;
        LLVMValueRef src = pl->kind == ODIN_STORE_INPUT    ? io[pl->index]
                           : pl->kind == ODIN_STORE_CONST  ? wptrs[pl->index]
                           : pl->kind == ODIN_STORE_OUTPUT ? io[g->n_inputs + pl->index]
                           : pl->kind == ODIN_STORE_ARENA  ? odin_wasm_byte_offset(w->m, arena, (size_t)pl->index)
                                                           : NULL;
        size_t nb = tensor_bytes(g, t);
        if (!src || !nb) continue;
        LLVMBuildMemCpy(w->b, io[g->n_inputs + i], WASM_ALIGN, src, 1,
                        LLVMConstInt(w->i32, nb, 0));
    }
    LLVMBuildRet(w->b, LLVMConstInt(w->i32, 0, 0));

    /* ptr odin_io(i32 i): io[i], or null out of range. */
    LLVMValueRef io_fn = add_export(w, "odin_io", w->ptr, &w->i32, 1);
    LLVMValueRef idx = LLVMGetParam(io_fn, 0);
    LLVMValueRef in_range = LLVMBuildICmp(w->b, LLVMIntULT, idx,
                                          LLVMConstInt(w->i32, (unsigned)n_io, 0), "");
    LLVMValueRef safe = LLVMBuildSelect(w->b, in_range, idx, LLVMConstInt(w->i32, 0, 0), "");
    LLVMValueRef slot = LLVMBuildGEP2(w->b, w->ptr, iotable, &safe, 1, "");
    LLVMValueRef p = LLVMBuildLoad2(w->b, w->ptr, slot, "");
    LLVMBuildRet(w->b, LLVMBuildSelect(w->b, in_range, p, LLVMConstNull(w->ptr), ""));

    add_export(w, "odin_weights", w->ptr, NULL, 0);
    LLVMBuildRet(w->b, wblob);
    add_export(w, "odin_weights_size", w->i32, NULL, 0);
    LLVMBuildRet(w->b, LLVMConstInt(w->i32, blob_bytes, 0));

    define_parallel_for(w);
    free(io);
    free(wptrs);
    return ODIN_OK;
}

static odin_status write_file(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return odin_errorf("%s: cannot write: %s", path, strerror(errno));
    bool ok = fwrite(data, 1, size, f) == size;
    ok = (fclose(f) == 0) && ok;
    return ok ? ODIN_OK : odin_errorf("%s: write failed", path);
}

/* wasm-ld: no entry, the exports of wasm.h, no undefined symbols allowed (so nothing can
 * be imported), the stack first so an overflow traps instead of corrupting data. */
static odin_status link_wasm(const char *linker, const char *obj, const char *out) {
    char stack[48];
    snprintf(stack, sizeof stack, "stack-size=%u", WASM_STACK_BYTES);
    char *argv[] = {(char *)linker, "--no-entry", "--export-memory", "--export=odin_run",
                    "--export=odin_io", "--export=odin_weights", "--export=odin_weights_size",
                    "--stack-first", "-z", stack, "--strip-all", "-O2", (char *)obj, "-o",
                    (char *)out, NULL};
    pid_t pid;
    int err = posix_spawnp(&pid, linker, NULL, NULL, argv, environ);
    if (err)
        return odin_errorf("cannot run the wasm linker '%s': %s (install lld-19)", linker,
                           strerror(err));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return odin_errorf("waiting for '%s': %s", linker, strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return odin_errorf("'%s' failed linking %s (exit status %d)", linker, out,
                           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return ODIN_OK;
}

/* "dir/model.wasm" or "dir/model" -> "dir/model" (malloc'ed). */
static char *path_stem(const char *out_path) {
    size_t n = strlen(out_path);
    if (n > 5 && !strcmp(out_path + n - 5, ".wasm")) n -= 5;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, out_path, n);
        s[n] = '\0';
    }
    return s;
}

static char *with_suffix(const char *stem, const char *suffix) {
    size_t n = strlen(stem), m = strlen(suffix);
    char *s = malloc(n + m + 1);
    if (s) {
        memcpy(s, stem, n);
        memcpy(s + n, suffix, m + 1);
    }
    return s;
}

odin_status odin_wasm_codegen_setup(const odin_wasm_options *o, bool relaxed, odin_target *t,
                                    odin_compile_options *co) {
    ODIN_TRY(odin_target_wasm32(t, relaxed));
    *co = odin_compile_defaults();
    co->opt_level = o->opt_level;
    co->fuse = o->fuse;
    co->allow_fallback = false;
    co->profile = false;
    return ODIN_OK;
}

/* Plan, codegen (no fallback), wasm runtime, optimize, emit the object. */
static odin_status compile_object(const odin_graph *g, const odin_plan *plan,
                                  const odin_wasm_options *o, bool relaxed,
                                  const unsigned char *blob, const size_t *offsets,
                                  size_t blob_bytes, void **obj, size_t *obj_size) {
    odin_target t;
    odin_compile_options co;
    ODIN_TRY(odin_wasm_codegen_setup(o, relaxed, &t, &co));
    wasm_mod w = {.c = LLVMContextCreate()};
    w.i8 = LLVMInt8TypeInContext(w.c);
    w.i32 = LLVMInt32TypeInContext(w.c);
    w.i64 = LLVMInt64TypeInContext(w.c);
    w.ptr = LLVMPointerTypeInContext(w.c, 0);
    w.v = LLVMVoidTypeInContext(w.c);
    odin_status st = odin_codegen_module(g, plan, &t, &co, w.c, "odin_main", &w.m, NULL);
    if (!st) {
        w.b = LLVMCreateBuilderInContext(w.c);
        st = add_runtime(&w, g, plan, o, blob, offsets, blob_bytes);
        LLVMDisposeBuilder(w.b);
    }
    if (!st) st = odin_wasm_finish_object(w.m, &t, o, relaxed, obj, obj_size);
    if (w.m) LLVMDisposeModule(w.m);
    LLVMContextDispose(w.c);
    return st;
}

/* What odin_wasm_build compiles, for each module it writes. */
typedef struct graph_build {
    const odin_graph *g;
    const odin_plan *plan;
    const odin_wasm_options *o;
    const unsigned char *blob;
    const size_t *offsets;
    size_t blob_bytes;
} graph_build;

static odin_status compile_graph(void *ctx, bool relaxed, void **obj, size_t *obj_size) {
    const graph_build *b = ctx;
    return compile_object(b->g, b->plan, b->o, relaxed, b->blob, b->offsets, b->blob_bytes,
                          obj, obj_size);
}

odin_status odin_wasm_finish_object(LLVMModuleRef m, const odin_target *t,
                                    const odin_wasm_options *o, bool relaxed, void **obj,
                                    size_t *obj_size) {
    wasm_mod w = {.c = LLVMGetModuleContext(m), .m = m};
    w.i64 = LLVMInt64TypeInContext(w.c);
    w.ptr = LLVMPointerTypeInContext(w.c, 0);
    w.v = LLVMVoidTypeInContext(w.c);
    w.b = LLVMCreateBuilderInContext(w.c);
    define_parallel_for(&w); /* no-op when already defined */
    LLVMDisposeBuilder(w.b);
    ODIN_TRY(wasm_legalize_intrinsics(m, false));
    ODIN_TRY(check_externals(m));
    ODIN_TRY(odin_module_verify(m));
    ODIN_TRY(odin_module_optimize(m, t, o->opt_level));
    ODIN_TRY(wasm_legalize_intrinsics(m, relaxed));
    ODIN_TRY(odin_module_verify(m));
    return odin_module_emit(m, t, ODIN_EMIT_OBJECT, obj, obj_size);
}

odin_status odin_wasm_link(const odin_wasm_options *o, const char *obj, const char *out) {
    return link_wasm(o->linker ? o->linker : "wasm-ld-19", obj, out);
}

int odin_wasm_variants(const odin_wasm_options *o, odin_wasm_variant out[2]) {
    switch (o->simd) {
    case ODIN_WASM_SIMD_PLAIN: out[0] = (odin_wasm_variant){false, ".wasm"}; return 1;
    case ODIN_WASM_SIMD_RELAXED: out[0] = (odin_wasm_variant){true, ".wasm"}; return 1;
    default:
        out[0] = (odin_wasm_variant){false, ".wasm"};
        out[1] = (odin_wasm_variant){true, ".relaxed.wasm"};
        return 2;
    }
}

odin_status odin_wasm_build_variants(const odin_wasm_options *o, const char *stem,
                                     odin_wasm_compile_fn compile, void *ctx,
                                     char *paths[2]) {
    odin_wasm_variant v[2];
    int n = odin_wasm_variants(o, v);
    paths[0] = paths[1] = NULL;
    char *obj_path = with_suffix(stem, ".wasm.o");
    odin_status st = obj_path ? ODIN_OK : odin_errorf("out of memory");
    for (int k = 0; !st && k < n; k++) {
        void *obj = NULL;
        size_t obj_size = 0;
        paths[k] = with_suffix(stem, v[k].suffix);
        if (!paths[k]) st = odin_errorf("out of memory");
        if (!st) st = compile(ctx, v[k].relaxed, &obj, &obj_size);
        if (!st) st = write_file(obj_path, obj, obj_size);
        free(obj);
        if (!st) {
            st = odin_wasm_link(o, obj_path, paths[k]);
            remove(obj_path);
        }
        if (st && n > 1) st = odin_status_prefix(st, "the %s module", v[k].relaxed ? "relaxed-SIMD" : "SIMD128");
    }
    free(obj_path);
    return st;
}

static odin_status check_static(const odin_graph *g) {
    for (int t = 0; t < g->n_tensors; t++) {
        const odin_tensor *tt = &g->tensors[t];
        bool used = (tt->flags & (ODIN_TENSOR_INPUT | ODIN_TENSOR_OUTPUT)) || tt->producer >= 0;
        if (!used) continue;
        bool known = tt->rank >= 0;
        for (int d = 0; known && d < tt->rank; d++) known = tt->dims[d] >= 0;
        if (!known)
            return odin_errorf("tensor '%s' has no static shape: bind the inputs' shapes "
                               "(--shape NAME=d0,d1,...)", tt->name ? tt->name : "?");
        if (tt->dtype == ODIN_STRING && (tt->flags & (ODIN_TENSOR_INPUT | ODIN_TENSOR_OUTPUT)))
            return odin_errorf("tensor '%s': string inputs and outputs cannot be compiled to "
                               "wasm", tt->name ? tt->name : "?");
    }
    return ODIN_OK;
}

odin_status odin_wasm_build(const odin_graph *g, const odin_wasm_options *o,
                            const char *out_path) {
    odin_wasm_options defaults = odin_wasm_defaults();
    if (!o) o = &defaults;
    ODIN_TRY(check_static(g));
    odin_plan plan;
    ODIN_TRY(odin_plan_build(g, odin_elem_fusable, o->fuse, &plan));
    char *stem = path_stem(out_path);
    char *mjs_path = stem ? with_suffix(stem, ".mjs") : NULL;
    char *bin_path = stem ? with_suffix(stem, ".bin") : NULL;
    char *wasm_paths[2] = {NULL, NULL};
    size_t *offsets = calloc((size_t)plan.n_weights + 1, sizeof *offsets);
    unsigned char *blob = NULL;
    size_t blob_bytes = 0;
    odin_status st = stem && mjs_path && bin_path && offsets ? ODIN_OK
                                                             : odin_errorf("out of memory");
    if (!st) st = weight_layout(g, &plan, offsets, &blob_bytes);
    if (!st && !(blob = calloc(1, blob_bytes ? blob_bytes : 1))) st = odin_errorf("out of memory");
    if (!st) fill_blob(g, &plan, offsets, blob);
    if (!st) {
        graph_build b = {g, &plan, o, blob, offsets, blob_bytes};
        st = odin_wasm_build_variants(o, stem, compile_graph, &b, wasm_paths);
    }
    if (!st && o->weights == ODIN_WASM_WEIGHTS_SIDE) st = write_file(bin_path, blob, blob_bytes);
    if (!st) st = odin_wasm_write_loader(g, mjs_path, wasm_paths[0], wasm_paths[1],
                                         o->simd == ODIN_WASM_SIMD_RELAXED,
                                         o->weights == ODIN_WASM_WEIGHTS_SIDE ? bin_path : NULL,
                                         blob_bytes);
    free(blob);
    free(offsets);
    free(stem);
    free(wasm_paths[0]);
    free(wasm_paths[1]);
    free(mjs_path);
    free(bin_path);
    odin_plan_free(&plan);
    return st;
}
