#include "jit.h"

#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <stdlib.h>
#include <string.h>

struct odin_jit {
    LLVMOrcLLJITRef lljit;
    LLVMOrcJITDylibRef dylib;
};

/* Consume an LLVMErrorRef into an odin_status. */
static odin_status llvm_error(LLVMErrorRef err, const char *what) {
    if (!err) return ODIN_OK;
    char *msg = LLVMGetErrorMessage(err);
    odin_status st = odin_errorf("%s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
    return st;
}

odin_status odin_jit_create(const odin_target *host, odin_jit **out) {
    *out = NULL;
    LLVMTargetMachineRef tm;
    ODIN_TRY(odin_target_machine(host, LLVMCodeGenLevelAggressive, &tm));
    LLVMOrcJITTargetMachineBuilderRef jtmb =
        LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm); /* takes tm */
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb); /* takes jtmb */
    odin_jit *j = calloc(1, sizeof *j);
    if (!j) {
        LLVMOrcDisposeLLJITBuilder(builder);
        return odin_errorf("out of memory");
    }
    odin_status st = llvm_error(LLVMOrcCreateLLJIT(&j->lljit, builder), "JIT"); /* takes builder */
    if (st) {
        free(j);
        return st;
    }
    j->dylib = LLVMOrcLLJITGetMainJITDylib(j->lljit);
    *out = j;
    return ODIN_OK;
}

void odin_jit_free(odin_jit *j) {
    if (!j) return;
    if (j->lljit) {
        LLVMErrorRef err = LLVMOrcDisposeLLJIT(j->lljit);
        if (err) LLVMConsumeError(err);
    }
    free(j);
}

odin_status odin_jit_define(odin_jit *j, const char *name, void *addr) {
    LLVMOrcCSymbolMapPair pair = {
        .Name = LLVMOrcLLJITMangleAndIntern(j->lljit, name),
        .Sym = {.Address = (LLVMOrcExecutorAddress)(uintptr_t)addr,
                .Flags = {.GenericFlags = LLVMJITSymbolGenericFlagsExported |
                                          LLVMJITSymbolGenericFlagsCallable}},
    };
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(&pair, 1);
    LLVMErrorRef err = LLVMOrcJITDylibDefine(j->dylib, mu);
    if (err) LLVMOrcDisposeMaterializationUnit(mu);
    return llvm_error(err, name);
}

odin_status odin_jit_add_object(odin_jit *j, const void *obj, size_t size, const char *what) {
    LLVMMemoryBufferRef buf =
        LLVMCreateMemoryBufferWithMemoryRangeCopy(obj, size, what ? what : "odin-object");
    return llvm_error(LLVMOrcLLJITAddObjectFile(j->lljit, j->dylib, buf), "JIT add object");
}

odin_status odin_jit_lookup(odin_jit *j, const char *name, void **addr) {
    LLVMOrcExecutorAddress a = 0;
    ODIN_TRY(llvm_error(LLVMOrcLLJITLookup(j->lljit, &a, name), name));
    *addr = (void *)(uintptr_t)a;
    return ODIN_OK;
}
