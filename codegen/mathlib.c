#include "mathlib.h"

#include <math.h>

#include "irgen.h"

LLVMValueRef odin_fmuladd(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b, LLVMValueRef d) {
    LLVMValueRef args[3] = {a, b, d};
    return odin_intrinsic(c, "llvm.fmuladd", LLVMTypeOf(a), args, 3);
}

static LLVMValueRef k(odin_lower_ctx *c, double v) { return LLVMConstReal(c->t_f32, v); }

/* Horner: coef[0] + x*(coef[1] + x*(...)) */
static LLVMValueRef poly(odin_lower_ctx *c, LLVMValueRef x, const double *coef, int n) {
    LLVMValueRef acc = k(c, coef[n - 1]);
    for (int i = n - 2; i >= 0; i--) acc = odin_fmuladd(c, acc, x, k(c, coef[i]));
    return acc;
}

static LLVMValueRef fabs_(odin_lower_ctx *c, LLVMValueRef x) {
    return odin_intrinsic(c, "llvm.fabs", c->t_f32, &x, 1);
}

static LLVMValueRef select_(odin_lower_ctx *c, LLVMValueRef cond, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, cond, a, b, "");
}

static LLVMValueRef copysign_(odin_lower_ctx *c, LLVMValueRef mag, LLVMValueRef sgn) {
    LLVMValueRef args[2] = {mag, sgn};
    return odin_intrinsic(c, "llvm.copysign", c->t_f32, args, 2);
}

/* exp: x = n*ln2 + r, |r| <= ln2/2; e^r by a degree-7 polynomial; 2^n by exponent bits. */
LLVMValueRef odin_math_exp(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef xc = x;
    /* clamp so 2^n stays a normal number; the selects below fix the ends */
    LLVMValueRef lo = k(c, -87.33654f), hi = k(c, 88.72283f);
    xc = select_(c, LLVMBuildFCmp(b, LLVMRealOLT, xc, lo, ""), lo, xc);
    xc = select_(c, LLVMBuildFCmp(b, LLVMRealOGT, xc, hi, ""), hi, xc);
    LLVMValueRef t = LLVMBuildFMul(b, xc, k(c, 1.4426950408889634), "");
    LLVMValueRef n = odin_intrinsic(c, "llvm.rint", c->t_f32, &t, 1);
    LLVMValueRef r = odin_fmuladd(c, n, k(c, -0.693145751953125), xc); /* ln2 high part */
    r = odin_fmuladd(c, n, k(c, -1.428606765330187e-06), r);           /* ln2 low part */
    static const double coef[] = {1.0, 1.0, 0.5, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040};
    LLVMValueRef p = poly(c, r, coef, 8);
    /* 2^n, split in two factors so n = 128 (x near 88.72) does not overflow the exponent */
    LLVMValueRef ni = LLVMBuildFPToSI(b, n, c->t_i32, "");
    LLVMValueRef half = LLVMBuildAShr(b, ni, LLVMConstInt(c->t_i32, 1, 0), "");
    LLVMValueRef rest = LLVMBuildSub(b, ni, half, "");
    LLVMValueRef bias = LLVMConstInt(c->t_i32, 127, 0), sh = LLVMConstInt(c->t_i32, 23, 0);
    LLVMValueRef s1 = LLVMBuildBitCast(b, LLVMBuildShl(b, LLVMBuildAdd(b, half, bias, ""), sh, ""), c->t_f32, "");
    LLVMValueRef s2 = LLVMBuildBitCast(b, LLVMBuildShl(b, LLVMBuildAdd(b, rest, bias, ""), sh, ""), c->t_f32, "");
    LLVMValueRef y = LLVMBuildFMul(b, LLVMBuildFMul(b, p, s1, ""), s2, "");
    y = select_(c, LLVMBuildFCmp(b, LLVMRealOLT, x, k(c, -103.97208f), ""), k(c, 0.0), y);
    y = select_(c, LLVMBuildFCmp(b, LLVMRealOGT, x, hi, ""), k(c, INFINITY), y);
    return select_(c, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), x, y);
}

/* log: x = m * 2^e with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m-1)/(m+1). */
LLVMValueRef odin_math_log(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMBuilderRef b = c->b;
    /* scale subnormals up by 2^23 so the exponent trick sees a normal number */
    LLVMValueRef tiny = LLVMBuildFCmp(b, LLVMRealOLT, x, k(c, 1.17549435e-38f), "");
    LLVMValueRef xs = select_(c, tiny, LLVMBuildFMul(b, x, k(c, 8388608.0), ""), x);
    LLVMValueRef bits = LLVMBuildBitCast(b, xs, c->t_i32, "");
    /* shift by sqrt(1/2) so m lands in [sqrt(1/2), sqrt(2)) */
    LLVMValueRef off = LLVMBuildSub(b, bits, LLVMConstInt(c->t_i32, 0x3f3504f3, 0), "");
    LLVMValueRef e = LLVMBuildAShr(b, off, LLVMConstInt(c->t_i32, 23, 0), "");
    LLVMValueRef mbits = LLVMBuildSub(b, bits, LLVMBuildShl(b, e, LLVMConstInt(c->t_i32, 23, 0), ""), "");
    LLVMValueRef m = LLVMBuildBitCast(b, mbits, c->t_f32, "");
    LLVMValueRef ef = LLVMBuildSIToFP(b, e, c->t_f32, "");
    ef = select_(c, tiny, LLVMBuildFSub(b, ef, k(c, 23.0), ""), ef);
    LLVMValueRef f = LLVMBuildFSub(b, m, k(c, 1.0), "");
    LLVMValueRef s = LLVMBuildFDiv(b, f, LLVMBuildFAdd(b, m, k(c, 1.0), ""), "");
    LLVMValueRef s2 = LLVMBuildFMul(b, s, s, "");
    static const double coef[] = {2.0, 2.0 / 3, 2.0 / 5, 2.0 / 7, 2.0 / 9, 2.0 / 11};
    LLVMValueRef lm = LLVMBuildFMul(b, s, poly(c, s2, coef, 6), "");
    LLVMValueRef y = odin_fmuladd(c, ef, k(c, 0.693145751953125), lm);
    y = odin_fmuladd(c, ef, k(c, 1.428606765330187e-06), y);
    y = select_(c, LLVMBuildFCmp(b, LLVMRealOEQ, x, k(c, 0.0), ""), k(c, -INFINITY), y);
    y = select_(c, LLVMBuildFCmp(b, LLVMRealOLT, x, k(c, 0.0), ""), k(c, NAN), y);
    y = select_(c, LLVMBuildFCmp(b, LLVMRealOEQ, x, k(c, INFINITY), ""), x, y);
    return select_(c, LLVMBuildFCmp(b, LLVMRealUNO, x, x, ""), x, y);
}

/* tanh: odd Taylor polynomial for |x| < 0.625, else 1 - 2/(e^{2|x|}+1); sign restored. */
LLVMValueRef odin_math_tanh(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef ax = fabs_(c, x);
    LLVMValueRef x2 = LLVMBuildFMul(b, x, x, "");
    static const double coef[] = {1.0, -1.0 / 3, 2.0 / 15, -17.0 / 315, 62.0 / 2835,
                                  -1382.0 / 155925, 21844.0 / 6081075, -929569.0 / 638512875};
    LLVMValueRef small = LLVMBuildFMul(b, x, poly(c, x2, coef, 8), "");
    LLVMValueRef e = odin_math_exp(c, LLVMBuildFMul(b, ax, k(c, 2.0), ""));
    LLVMValueRef big = LLVMBuildFSub(b, k(c, 1.0),
                                     LLVMBuildFDiv(b, k(c, 2.0), LLVMBuildFAdd(b, e, k(c, 1.0), ""), ""), "");
    big = copysign_(c, big, x);
    return select_(c, LLVMBuildFCmp(b, LLVMRealOLT, ax, k(c, 0.625), ""), small, big);
}

LLVMValueRef odin_math_sigmoid(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMValueRef e = odin_math_exp(c, LLVMBuildFNeg(c->b, x, ""));
    return LLVMBuildFDiv(c->b, k(c, 1.0), LLVMBuildFAdd(c->b, e, k(c, 1.0), ""), "");
}

/* erf: Taylor series for |x| < 1; for larger |x| 1 - t*poly(t)*e^{-x^2} with
 * t = 1/(1+p|x|) (Abramowitz & Stegun 7.1.26, absolute error < 1.5e-7). */
LLVMValueRef odin_math_erf(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef ax = fabs_(c, x);
    LLVMValueRef x2 = LLVMBuildFMul(b, x, x, "");
    /* 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)) */
    double coef[12];
    double fact = 1;
    for (int n = 0; n < 12; n++) {
        if (n) fact *= n;
        coef[n] = (n % 2 ? -1.0 : 1.0) / (fact * (2 * n + 1)) * 1.1283791670955126;
    }
    LLVMValueRef small = LLVMBuildFMul(b, x, poly(c, x2, coef, 12), "");
    LLVMValueRef t = LLVMBuildFDiv(b, k(c, 1.0), odin_fmuladd(c, ax, k(c, 0.3275911), k(c, 1.0)), "");
    static const double a[] = {0.0, 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429};
    LLVMValueRef pt = poly(c, t, a, 6);
    LLVMValueRef e = odin_math_exp(c, LLVMBuildFNeg(b, x2, ""));
    LLVMValueRef big = LLVMBuildFSub(b, k(c, 1.0), LLVMBuildFMul(b, pt, e, ""), "");
    big = copysign_(c, big, x);
    return select_(c, LLVMBuildFCmp(b, LLVMRealOLT, ax, k(c, 1.0), ""), small, big);
}

LLVMValueRef odin_math_gelu(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef e = odin_math_erf(c, LLVMBuildFMul(b, x, k(c, 0.7071067811865476), ""));
    return LLVMBuildFMul(b, LLVMBuildFMul(b, x, k(c, 0.5), ""), LLVMBuildFAdd(b, e, k(c, 1.0), ""), "");
}

LLVMValueRef odin_math_gelu_tanh(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef x3 = LLVMBuildFMul(b, LLVMBuildFMul(b, x, x, ""), x, "");
    LLVMValueRef inner = LLVMBuildFMul(b, odin_fmuladd(c, x3, k(c, 0.044715), x),
                                       k(c, 0.7978845608028654), "");
    LLVMValueRef t = odin_math_tanh(c, inner);
    return LLVMBuildFMul(b, LLVMBuildFMul(b, x, k(c, 0.5), ""), LLVMBuildFAdd(b, t, k(c, 1.0), ""), "");
}

LLVMValueRef odin_math_silu(odin_lower_ctx *c, LLVMValueRef x) {
    return LLVMBuildFMul(c->b, x, odin_math_sigmoid(c, x), "");
}

/* softplus = max(x,0) + log(1 + e^{-|x|}) — no overflow for large |x| */
LLVMValueRef odin_math_softplus(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef e = odin_math_exp(c, LLVMBuildFNeg(b, fabs_(c, x), ""));
    LLVMValueRef l = odin_math_log(c, LLVMBuildFAdd(b, e, k(c, 1.0), ""));
    LLVMValueRef args[2] = {x, k(c, 0.0)};
    LLVMValueRef m = odin_intrinsic(c, "llvm.maxnum", c->t_f32, args, 2);
    return LLVMBuildFAdd(b, m, l, "");
}

/* sin/cos: reduce by pi/2 (three-part Cody-Waite), then the sin or cos polynomial of the
 * quadrant. Accurate for |x| up to ~1e5; beyond, precision degrades gracefully. */
static LLVMValueRef sincos_(odin_lower_ctx *c, LLVMValueRef x, int quadrant_shift) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef q = LLVMBuildFMul(b, x, k(c, 0.6366197723675814), "");
    q = odin_intrinsic(c, "llvm.rint", c->t_f32, &q, 1);
    LLVMValueRef r = odin_fmuladd(c, q, k(c, -1.5703125), x);
    r = odin_fmuladd(c, q, k(c, -4.837512969970703125e-4), r);
    r = odin_fmuladd(c, q, k(c, -7.549789948768648e-8), r);
    LLVMValueRef qi = LLVMBuildAdd(b, LLVMBuildFPToSI(b, q, c->t_i32, ""),
                                   LLVMConstInt(c->t_i32, quadrant_shift, 0), "");
    LLVMValueRef r2 = LLVMBuildFMul(b, r, r, "");
    static const double sc[] = {1.0, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880};
    static const double cc[] = {1.0, -0.5, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800};
    LLVMValueRef s = LLVMBuildFMul(b, r, poly(c, r2, sc, 5), "");
    LLVMValueRef co = poly(c, r2, cc, 6);
    LLVMValueRef odd = LLVMBuildTrunc(b, qi, c->t_i1, "");
    LLVMValueRef y = select_(c, odd, co, s);
    LLVMValueRef neg = LLVMBuildTrunc(b, LLVMBuildLShr(b, qi, LLVMConstInt(c->t_i32, 1, 0), ""), c->t_i1, "");
    return select_(c, neg, LLVMBuildFNeg(b, y, ""), y);
}

LLVMValueRef odin_math_sin(odin_lower_ctx *c, LLVMValueRef x) { return sincos_(c, x, 0); }
LLVMValueRef odin_math_cos(odin_lower_ctx *c, LLVMValueRef x) { return sincos_(c, x, 1); }
