/* The JIT path end to end on a hand-built function: host target record, optimization,
 * object emission, ORC LLJIT, an absolute runtime symbol, and the host's vector ISA
 * (on an AVX-512 host the optimized loop uses zmm registers). */
#include <llvm-c/Core.h>
#include <stdlib.h>

#include "../codegen/emit.h"
#include "../codegen/jit.h"
#include "test.h"

static float host_scale(void) { return 3.0f; }

/* void axpy(float *y, const float *x, i64 n) { s = host_scale(); y[i] += s * x[i] } */
static LLVMModuleRef build_axpy(LLVMContextRef c) {
    LLVMModuleRef m = LLVMModuleCreateWithNameInContext("t", c);
    LLVMTypeRef f32 = LLVMFloatTypeInContext(c), i64 = LLVMInt64TypeInContext(c);
    LLVMTypeRef ptr = LLVMPointerTypeInContext(c, 0);
    LLVMTypeRef scale_ty = LLVMFunctionType(f32, NULL, 0, 0);
    LLVMValueRef scale_fn = LLVMAddFunction(m, "host_scale", scale_ty);
    LLVMTypeRef params[3] = {ptr, ptr, i64};
    LLVMTypeRef fty = LLVMFunctionType(LLVMVoidTypeInContext(c), params, 3, 0);
    LLVMValueRef fn = LLVMAddFunction(m, "axpy", fty);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c);
    LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(c, fn, "entry");
    LLVMBasicBlockRef loop = LLVMAppendBasicBlockInContext(c, fn, "loop");
    LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(c, fn, "done");
    LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef s = LLVMBuildCall2(b, scale_ty, scale_fn, NULL, 0, "s");
    LLVMValueRef n = LLVMGetParam(fn, 2);
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSGT, n, LLVMConstInt(i64, 0, 0), ""), loop, done);
    LLVMPositionBuilderAtEnd(b, loop);
    LLVMValueRef i = LLVMBuildPhi(b, i64, "i");
    LLVMValueRef xp = LLVMBuildGEP2(b, f32, LLVMGetParam(fn, 1), &i, 1, "");
    LLVMValueRef yp = LLVMBuildGEP2(b, f32, LLVMGetParam(fn, 0), &i, 1, "");
    LLVMValueRef v = LLVMBuildFAdd(b, LLVMBuildLoad2(b, f32, yp, ""),
                                   LLVMBuildFMul(b, s, LLVMBuildLoad2(b, f32, xp, ""), ""), "");
    LLVMBuildStore(b, v, yp);
    LLVMValueRef next = LLVMBuildAdd(b, i, LLVMConstInt(i64, 1, 0), "");
    LLVMValueRef zero = LLVMConstInt(i64, 0, 0);
    LLVMAddIncoming(i, &zero, &entry, 1);
    LLVMAddIncoming(i, &next, &loop, 1);
    LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, next, n, ""), loop, done);
    LLVMPositionBuilderAtEnd(b, done);
    LLVMBuildRetVoid(b);
    LLVMDisposeBuilder(b);
    return m;
}

static void test_jit_axpy(void) {
    odin_target host;
    CHECK_OK(odin_target_host(&host));
    CHECK(host.vector_bits >= 128 && host.triple[0], "host record: %s %s", host.triple, host.cpu);
    LLVMContextRef c = LLVMContextCreate();
    LLVMModuleRef m = build_axpy(c);
    CHECK_OK(odin_module_set_target(m, &host));
    CHECK_OK(odin_module_verify(m));
    CHECK_OK(odin_module_optimize(m, &host, 3));
    void *obj = NULL, *asm_text = NULL;
    size_t obj_size = 0, asm_size = 0;
    CHECK_OK(odin_module_emit(m, &host, ODIN_EMIT_OBJECT, &obj, &obj_size));
    CHECK_OK(odin_module_emit(m, &host, ODIN_EMIT_ASM, &asm_text, &asm_size));
    if (host.vector_bits == 512)
        CHECK(asm_text && strstr(asm_text, "zmm"), "AVX-512 host: the loop uses zmm registers");
    LLVMDisposeModule(m);
    LLVMContextDispose(c);

    odin_jit *j = NULL;
    CHECK_OK(odin_jit_create(&host, &j));
    if (!j) return;
    CHECK_OK(odin_jit_define(j, "host_scale", (void *)host_scale));
    CHECK_OK(odin_jit_add_object(j, obj, obj_size, "axpy"));
    void (*axpy)(float *, const float *, int64_t) = NULL;
    CHECK_OK(odin_jit_lookup(j, "axpy", (void **)&axpy));
    if (axpy) {
        float x[103], y[103];
        for (int i = 0; i < 103; i++) x[i] = (float)i, y[i] = 1.0f;
        axpy(y, x, 103);
        int bad = 0;
        for (int i = 0; i < 103; i++) bad += y[i] != 1.0f + 3.0f * (float)i;
        CHECK(bad == 0, "%d wrong elements", bad);
    }
    void *missing = NULL;
    CHECK_ERR(odin_jit_lookup(j, "no_such_symbol", &missing), "no_such_symbol");
    odin_jit_free(j);
    free(obj);
    free(asm_text);
}

static void test_targets(void) {
    odin_target t;
    CHECK_OK(odin_target_by_name("wasm32", &t));
    CHECK(t.is_wasm && t.vector_bits == 128 && !t.fma, "wasm record");
    CHECK_OK(odin_target_by_name("aarch64-linux-gnu", &t));
    CHECK(!strcmp(t.triple, "aarch64-linux-gnu"), "triple kept");
    CHECK_ERR(odin_target_by_name("z80", &t), "unknown target 'z80'");
    LLVMTargetMachineRef tm;
    CHECK_OK(odin_target_machine(&t, LLVMCodeGenLevelDefault, &tm));
    LLVMDisposeTargetMachine(tm);
}

int main(void) {
    RUN(test_jit_axpy);
    RUN(test_targets);
    TEST_DONE();
}
