/* codegen/lower_gemm.h — the f32 GEMM engine shared by MatMul, Gemm and Conv:
 * Y(i,j) = alpha * sum_k A(i,k) B(k,j) + beta * C(i,j), over a (possibly broadcast)
 * batch. Every extent and stride is a compile-time literal. B is packed per k-block and
 * column chunk into a stack panel (read in place from a matrix, or gathered from a conv
 * input as an implicit im2col), then a register-blocked micro-kernel of explicit target
 * vectors (MR rows x NV vectors held across the k loop, llvm.fmuladd) sweeps it.
 * M == 1 and N == 1 use streaming GEMV kernels instead. */
#ifndef ODIN_LOWER_GEMM_H
#define ODIN_LOWER_GEMM_H

#include "../ops/conv_util.h"
#include "lower.h"

typedef struct odin_gemm_spec {
    int64_t M, N, K;
    /* batch: row-major decomposition of the batch index over bdims; per-dim element
     * strides of each operand (0 = broadcast) */
    int n_bdims;
    int64_t bdims[ODIN_MAX_RANK];
    int64_t a_bs[ODIN_MAX_RANK], b_bs[ODIN_MAX_RANK], c_bs[ODIN_MAX_RANK], y_bs[ODIN_MAX_RANK];
    int a_arg, b_arg, c_arg; /* ctx->in index of A, B (or conv X), C (-1: no C term) */
    int y_arg;               /* ctx->out index of Y */
    int64_t a_si, a_sk;      /* A(i,k) = A[i*a_si + k*a_sk] */
    int64_t b_sk, b_sj;      /* B(k,j) = B[k*b_sk + j*b_sj] (matrix B) */
    int64_t y_si;            /* Y(i,j) = Y[i*y_si + j] */
    int64_t c_si, c_sj;      /* C(i,j) = C[i*c_si + j*c_sj] (0 = broadcast) */
    float alpha, beta;
    /* Implicit im2col (Conv): non-NULL means B(k,j) is input X[ci, window tap] at output
     * pixel j, with k = ci*taps + tap; geometry padded to 3 spatial axes
     * (odin_conv_geom3). b_bs then steps X per batch dim. */
    const odin_conv_geom *conv;
    /* Pre-packed B (passes/pack.c): > 0 means B is a constant in panels of b_panel
     * columns, B(k,j) = B[(j / W) * K * W + k * W + j % W], zero-padded to whole panels;
     * b_sk/b_sj are then unused and the kernels read the panels in place. */
    int64_t b_panel;
    /* Pre-packed A (passes/pack.c, conv weights): > 0 means A is in row panels of a_panel
     * rows, A(i,k) = A[(i / R) * K * R + k * R + i % R] (a_si = 1, a_sk = R; a_bs steps
     * whole panel sets); the micro-kernel heights then divide R. */
    int64_t a_panel;
    /* Fused epilogue (Conv): Y = clamp(alpha AB + beta C + R, act_lo, act_hi), with R
     * (r_arg: ctx->in index, -1 none) laid out like Y. */
    int r_arg;
    float act_lo, act_hi;
} odin_gemm_spec;

/* A spec with unit alpha/beta, no batch, no C and no fused epilogue. */
odin_gemm_spec odin_gemm_spec_init(int64_t M, int64_t N, int64_t K);

/* Emit the whole GEMM (parallel over batch x row groups x column chunks). */
odin_status odin_emit_gemm(odin_lower_ctx *c, const odin_gemm_spec *s);

/* Small integer IR helpers shared by the conv and pool lowerings. */
LLVMValueRef odin_smin(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef odin_smax(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b);
/* floor(x / d) for x >= -bound (d > 0, bound a compile-time bound on -x). */
LLVMValueRef odin_floor_div(odin_lower_ctx *c, LLVMValueRef x, int64_t d, int64_t bound);
LLVMValueRef odin_mul_i64(odin_lower_ctx *c, LLVMValueRef a, int64_t k);
LLVMValueRef odin_add_i64(odin_lower_ctx *c, LLVMValueRef a, int64_t k);

#endif
