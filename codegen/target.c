#include "target.h"

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_llvm_targets(void) {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86Target();
    LLVMInitializeX86TargetMC();
    LLVMInitializeX86AsmPrinter();
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64Target();
    LLVMInitializeAArch64TargetMC();
    LLVMInitializeAArch64AsmPrinter();
    LLVMInitializeWebAssemblyTargetInfo();
    LLVMInitializeWebAssemblyTarget();
    LLVMInitializeWebAssemblyTargetMC();
    LLVMInitializeWebAssemblyAsmPrinter();
}

static bool has_feature(const char *features, const char *f) {
    size_t n = strlen(f);
    for (const char *p = features; (p = strstr(p, f)); p += n)
        if ((p == features || p[-1] == ',') && (p[n] == ',' || p[n] == '\0')) return true;
    return false;
}

/* Cache size of level `level` from sysfs; `fallback` when unreadable. */
static size_t sys_cache_size(int level, const char *type, size_t fallback) {
    for (int idx = 0; idx < 8; idx++) {
        char path[128], buf[64];
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        FILE *f = fopen(path, "r");
        if (!f) break;
        int lv = 0;
        if (fscanf(f, "%d", &lv) != 1) lv = 0;
        fclose(f);
        if (lv != level) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        f = fopen(path, "r");
        if (!f) continue;
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
        if (strncmp(buf, type, strlen(type)) != 0 && strncmp(buf, "Unified", 7) != 0) continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        f = fopen(path, "r");
        if (!f) continue;
        size_t kb = 0;
        char unit = 'K';
        if (fscanf(f, "%zu%c", &kb, &unit) < 1) kb = 0;
        fclose(f);
        if (kb) return unit == 'M' ? kb << 20 : kb << 10;
    }
    return fallback;
}

static void set_str(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src); }

odin_status odin_target_host(odin_target *t) {
    pthread_once(&init_once, init_llvm_targets);
    memset(t, 0, sizeof *t);
    set_str(t->name, sizeof t->name, "host");
    char *triple = LLVMGetDefaultTargetTriple(), *cpu = LLVMGetHostCPUName(),
         *feats = LLVMGetHostCPUFeatures();
    set_str(t->triple, sizeof t->triple, triple);
    set_str(t->cpu, sizeof t->cpu, cpu);
    set_str(t->features, sizeof t->features, feats);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(feats);
    bool x86 = strncmp(t->triple, "x86_64", 6) == 0;
    if (x86) {
        bool avx512 = has_feature(t->features, "+avx512f");
        t->vector_bits = avx512 ? 512 : has_feature(t->features, "+avx") ? 256 : 128;
        t->vector_regs = avx512 ? 32 : 16;
        t->fma = has_feature(t->features, "+fma");
        if (avx512 && has_feature(t->features, "+avx512vnni")) t->int8_dot = ODIN_DOT_AVX512_VNNI;
        else if (has_feature(t->features, "+avxvnni")) t->int8_dot = ODIN_DOT_AVX_VNNI;
    } else { /* aarch64 and others: 128-bit vectors, 32 registers */
        t->vector_bits = 128;
        t->vector_regs = 32;
        t->fma = true;
    }
    t->l1d = sys_cache_size(1, "Data", 32 << 10);
    t->l2 = sys_cache_size(2, "Unified", 1 << 20);
    t->l3 = sys_cache_size(3, "Unified", 8 << 20);
    return ODIN_OK;
}

odin_status odin_target_x86_64_v3(odin_target *t) {
    pthread_once(&init_once, init_llvm_targets);
    memset(t, 0, sizeof *t);
    set_str(t->name, sizeof t->name, "x86-64-v3");
    set_str(t->triple, sizeof t->triple, "x86_64-pc-linux-gnu");
    set_str(t->cpu, sizeof t->cpu, "x86-64-v3");
    set_str(t->features, sizeof t->features, "");
    t->vector_bits = 256;
    t->vector_regs = 16;
    t->fma = true;
    t->l1d = 32 << 10;
    t->l2 = 512 << 10;
    t->l3 = 8 << 20;
    return ODIN_OK;
}

odin_status odin_target_wasm32(odin_target *t, bool relaxed_simd) {
    pthread_once(&init_once, init_llvm_targets);
    memset(t, 0, sizeof *t);
    set_str(t->name, sizeof t->name, "wasm32");
    set_str(t->triple, sizeof t->triple, "wasm32-unknown-unknown");
    set_str(t->cpu, sizeof t->cpu, "generic");
    set_str(t->features, sizeof t->features,
            relaxed_simd ? "+simd128,+relaxed-simd,+bulk-memory" : "+simd128,+bulk-memory");
    t->vector_bits = 128;
    t->vector_regs = 16;
    t->fma = false; /* llvm.fma becomes a libc call: generators use fmuladd */
    t->int8_dot = relaxed_simd ? ODIN_DOT_WASM_RELAXED : ODIN_DOT_WASM_I16;
    t->l1d = 32 << 10;
    t->l2 = 256 << 10;
    t->l3 = 4 << 20;
    t->is_wasm = true;
    return ODIN_OK;
}

odin_status odin_target_aarch64(odin_target *t) {
    pthread_once(&init_once, init_llvm_targets);
    memset(t, 0, sizeof *t);
    set_str(t->name, sizeof t->name, "aarch64");
    set_str(t->triple, sizeof t->triple, "aarch64-unknown-linux-gnu");
    set_str(t->cpu, sizeof t->cpu, "generic");
    set_str(t->features, sizeof t->features, "+neon");
    t->vector_bits = 128;
    t->vector_regs = 32;
    t->fma = true;
    t->l1d = 64 << 10;
    t->l2 = 1 << 20;
    t->l3 = 8 << 20;
    return ODIN_OK;
}

odin_status odin_target_by_name(const char *name, odin_target *t) {
    if (!strcmp(name, "host") || !strcmp(name, "native")) return odin_target_host(t);
    if (!strcmp(name, "x86-64-v3")) return odin_target_x86_64_v3(t);
    if (!strcmp(name, "wasm32") || !strncmp(name, "wasm32-", 7)) return odin_target_wasm32(t, false);
    if (!strcmp(name, "aarch64") || !strncmp(name, "aarch64-", 8)) {
        ODIN_TRY(odin_target_aarch64(t));
        if (strchr(name, '-')) set_str(t->triple, sizeof t->triple, name);
        return ODIN_OK;
    }
    if (!strncmp(name, "x86_64-", 7)) {
        ODIN_TRY(odin_target_x86_64_v3(t));
        set_str(t->triple, sizeof t->triple, name);
        return ODIN_OK;
    }
    return odin_errorf("unknown target '%s' (host, native, x86-64-v3, wasm32, aarch64, or a "
                       "triple starting with x86_64-/aarch64-/wasm32-)", name);
}

int odin_target_vector_floats(const odin_target *t) { return t->vector_bits / 32; }

odin_status odin_target_machine(const odin_target *t, LLVMCodeGenOptLevel level,
                                LLVMTargetMachineRef *out) {
    pthread_once(&init_once, init_llvm_targets);
    LLVMTargetRef target;
    char *err = NULL;
    if (LLVMGetTargetFromTriple(t->triple, &target, &err)) {
        odin_status st = odin_errorf("target '%s': %s", t->triple, err ? err : "unknown");
        LLVMDisposeMessage(err);
        return st;
    }
    *out = LLVMCreateTargetMachine(target, t->triple, t->cpu, t->features, level,
                                   t->is_wasm ? LLVMRelocStatic : LLVMRelocPIC,
                                   LLVMCodeModelDefault);
    if (!*out) return odin_errorf("target '%s': cannot create a target machine", t->triple);
    return ODIN_OK;
}
