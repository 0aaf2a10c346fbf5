/* codegen/target.h — targets are data: a record of the triple, CPU, features and the
 * few numbers the kernel generators need (vector width, register count, FMA, int8 dot
 * instruction, cache sizes). The host record comes from LLVM's host queries. */
#ifndef ODIN_TARGET_H
#define ODIN_TARGET_H

#include <llvm-c/TargetMachine.h>
#include <stdbool.h>
#include <stddef.h>

#include "../ir/status.h"

typedef enum odin_int8_dot {
    ODIN_DOT_NONE = 0,
    ODIN_DOT_AVX512_VNNI, /* vpdpbusd on zmm */
    ODIN_DOT_AVX_VNNI,    /* vpdpbusd on ymm */
    ODIN_DOT_WASM_I16,    /* i32x4.dot_i16x8_s */
    ODIN_DOT_WASM_RELAXED /* i32x4.relaxed_dot_i8x16_i7x16_add_s */
} odin_int8_dot;

typedef struct odin_target {
    char name[32];       /* "host", "x86-64-v3", "wasm32", "aarch64" */
    char triple[64];
    char cpu[64];
    char features[4096]; /* LLVM feature string "+avx2,+fma,..." */
    int vector_bits;     /* widest float vector the generators use: 512, 256, 128 */
    int vector_regs;     /* architectural vector registers */
    bool fma;            /* fused multiply-add in hardware (else use fmuladd) */
    odin_int8_dot int8_dot;
    size_t l1d, l2, l3;  /* data cache bytes per core (l3: shared) */
    bool is_wasm;
} odin_target;

odin_status odin_target_host(odin_target *t);
odin_status odin_target_x86_64_v3(odin_target *t);
odin_status odin_target_wasm32(odin_target *t, bool relaxed_simd);
odin_status odin_target_aarch64(odin_target *t);
/* By name: "host"/"native", "x86-64-v3", "wasm32", "aarch64" or an LLVM triple. */
odin_status odin_target_by_name(const char *name, odin_target *t);
int odin_target_vector_floats(const odin_target *t); /* f32 lanes: vector_bits / 32 */

/* A target machine for t (LLVMDisposeTargetMachine when done). */
odin_status odin_target_machine(const odin_target *t, LLVMCodeGenOptLevel level,
                                LLVMTargetMachineRef *out);

#endif
