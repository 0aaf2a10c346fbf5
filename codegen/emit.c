#include "emit.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static LLVMCodeGenOptLevel cg_level(int opt) {
    return opt <= 0 ? LLVMCodeGenLevelNone : opt == 1 ? LLVMCodeGenLevelLess
           : opt == 2 ? LLVMCodeGenLevelDefault : LLVMCodeGenLevelAggressive;
}

odin_status odin_module_set_target(LLVMModuleRef m, const odin_target *t) {
    LLVMTargetMachineRef tm;
    ODIN_TRY(odin_target_machine(t, LLVMCodeGenLevelDefault, &tm));
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    char *layout = LLVMCopyStringRepOfTargetData(td);
    LLVMSetDataLayout(m, layout);
    LLVMSetTarget(m, t->triple);
    LLVMDisposeMessage(layout);
    LLVMDisposeTargetData(td);
    LLVMDisposeTargetMachine(tm);
    return ODIN_OK;
}

odin_status odin_module_verify(LLVMModuleRef m) {
    char *msg = NULL;
    if (LLVMVerifyModule(m, LLVMReturnStatusAction, &msg)) {
        odin_status st = odin_errorf("generated LLVM IR is invalid: %s", msg ? msg : "?");
        LLVMDisposeMessage(msg);
        return st;
    }
    LLVMDisposeMessage(msg);
    return ODIN_OK;
}

odin_status odin_module_optimize(LLVMModuleRef m, const odin_target *t, int opt_level) {
    if (opt_level <= 0) return ODIN_OK;
    LLVMTargetMachineRef tm;
    ODIN_TRY(odin_target_machine(t, cg_level(opt_level), &tm));
    LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
    LLVMPassBuilderOptionsSetLoopVectorization(opts, 1);
    LLVMPassBuilderOptionsSetSLPVectorization(opts, 1);
    LLVMPassBuilderOptionsSetLoopUnrolling(opts, 1);
    char passes[32];
    snprintf(passes, sizeof passes, "default<O%d>", opt_level > 3 ? 3 : opt_level);
    LLVMErrorRef err = LLVMRunPasses(m, passes, tm, opts);
    LLVMDisposePassBuilderOptions(opts);
    LLVMDisposeTargetMachine(tm);
    if (err) {
        char *msg = LLVMGetErrorMessage(err);
        odin_status st = odin_errorf("LLVM optimization failed: %s", msg);
        LLVMDisposeErrorMessage(msg);
        return st;
    }
    return ODIN_OK;
}

odin_status odin_module_emit(LLVMModuleRef m, const odin_target *t, odin_emit_kind kind,
                             void **buf, size_t *size) {
    *buf = NULL;
    *size = 0;
    if (kind == ODIN_EMIT_LLVM) {
        char *ir = LLVMPrintModuleToString(m);
        *size = strlen(ir);
        *buf = malloc(*size + 1);
        if (*buf) memcpy(*buf, ir, *size + 1);
        LLVMDisposeMessage(ir);
        return *buf ? ODIN_OK : odin_errorf("out of memory");
    }
    LLVMTargetMachineRef tm;
    /* Machine code at LLVM's "Less" level: the IR is already optimized (-O1..-O3 above);
     * the back end's remaining level differences are a few machine passes. Against
     * "Aggressive" on the 2-core dev machine: GPT-2 small's emission 518 -> 500 ms (median
     * of 5; before copybox's memcpy runs, 0.90 -> 0.58 s), mobilenet_v2 compile CPU
     * 1.43 -> 1.24 s, and run time the same within noise (best of 3-5 processes, 1 thread:
     * gpt2 builder 2.95 / 2.94 ms, mlp_b64 0.748 / 0.745, MatMul 128x768x768 1.30 / 1.32,
     * resnet18 39.2 / 39.1, mobilenet_v2 8.78 / 8.46). */
    ODIN_TRY(odin_target_machine(t, LLVMCodeGenLevelLess, &tm));
    char *err = NULL;
    LLVMMemoryBufferRef mb = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, m, kind == ODIN_EMIT_ASM ? LLVMAssemblyFile
                                                                          : LLVMObjectFile,
                                            &err, &mb)) {
        odin_status st = odin_errorf("code emission for %s failed: %s", t->triple, err ? err : "?");
        LLVMDisposeMessage(err);
        LLVMDisposeTargetMachine(tm);
        return st;
    }
    LLVMDisposeTargetMachine(tm);
    *size = LLVMGetBufferSize(mb);
    /* one byte more, NUL, so assembly text can be searched as a C string */
    *buf = malloc(*size + 1);
    if (*buf) {
        memcpy(*buf, LLVMGetBufferStart(mb), *size);
        ((char *)*buf)[*size] = '\0';
    }
    LLVMDisposeMemoryBuffer(mb);
    return *buf ? ODIN_OK : odin_errorf("out of memory");
}
