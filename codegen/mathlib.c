/* Branch-free f32 math in LLVM IR. Special values come out of the arithmetic itself where
 * possible (clamps that keep NaN, overflow to inf, underflow to 0) and otherwise from
 * selects, so a loop around any of these routines vectorizes. No libm, no llvm.fma on
 * targets without FMA (llvm.fmuladd instead), nothing that lowers to a libc call on
 * wasm32 (e.g. llvm.maxnum becomes fmaxf there, so clamps are fcmp + select).
 *
 * Polynomial coefficients marked "fitted" are near-minimax fits of the stated function
 * on the stated interval (Lawson-iterated least squares in 40-digit arithmetic, then
 * rounded to f32). tests/test_mathlib.c measures every routine against libm in double;
 * docs/mathlib.md has the resulting error table. */
#include "mathlib.h"

#include <math.h>

#include "irgen.h"

LLVMValueRef odin_fmuladd(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b, LLVMValueRef d) {
    LLVMValueRef args[3] = {a, b, d};
    return odin_intrinsic(c, "llvm.fmuladd", LLVMTypeOf(a), args, 3);
}

static LLVMValueRef k(odin_lower_ctx *c, double v) { return LLVMConstReal(c->t_f32, v); }
static LLVMValueRef ki(odin_lower_ctx *c, int v) { return LLVMConstInt(c->t_i32, (unsigned long long)v, 1); }

static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(c->b, a, b, ""); }
static LLVMValueRef sub(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFSub(c->b, a, b, ""); }
static LLVMValueRef mul(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(c->b, a, b, ""); }
static LLVMValueRef fdiv_(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFDiv(c->b, a, b, ""); }
static LLVMValueRef cmp(odin_lower_ctx *c, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildFCmp(c->b, p, a, b, "");
}
static LLVMValueRef sel(odin_lower_ctx *c, LLVMValueRef cond, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, cond, a, b, "");
}

/* Horner: coef[0] + x*(coef[1] + x*(...)) */
static LLVMValueRef poly(odin_lower_ctx *c, LLVMValueRef x, const double *coef, int n) {
    LLVMValueRef acc = k(c, coef[n - 1]);
    for (int i = n - 2; i >= 0; i--) acc = odin_fmuladd(c, acc, x, k(c, coef[i]));
    return acc;
}

static LLVMValueRef fabs_(odin_lower_ctx *c, LLVMValueRef x) {
    return odin_intrinsic(c, "llvm.fabs", c->t_f32, &x, 1);
}

static LLVMValueRef copysign_(odin_lower_ctx *c, LLVMValueRef mag, LLVMValueRef sgn) {
    LLVMValueRef args[2] = {mag, sgn};
    return odin_intrinsic(c, "llvm.copysign", c->t_f32, args, 2);
}

/* min(x, hi) that keeps NaN (fcmp false on NaN) */
static LLVMValueRef clamp_hi(odin_lower_ctx *c, LLVMValueRef x, double hi) {
    return sel(c, cmp(c, LLVMRealOGT, x, k(c, hi)), k(c, hi), x);
}

static bool target_fma(odin_lower_ctx *c) { return c->target && c->target->fma; }

/* a*b = *hi + *lo exactly (no overflow assumed): one FMA where the target has it
 * (llvm.fma is an instruction there, never a libcall); elsewhere Dekker's product with
 * Veltkamp splitting, in plain multiplies and adds that LLVM never contracts. */
static void two_prod(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b, LLVMValueRef *hi,
                     LLVMValueRef *lo) {
    *hi = mul(c, a, b);
    if (target_fma(c)) {
        LLVMValueRef args[3] = {a, b, LLVMBuildFNeg(c->b, *hi, "")};
        *lo = odin_intrinsic(c, "llvm.fma", c->t_f32, args, 3);
        return;
    }
    LLVMValueRef parts[2][2], v[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        LLVMValueRef t = mul(c, v[i], k(c, 4097.0)); /* 2^12 + 1: 12-bit halves */
        parts[i][0] = sub(c, t, sub(c, t, v[i]));
        parts[i][1] = sub(c, v[i], parts[i][0]);
    }
    LLVMValueRef e = sub(c, mul(c, parts[0][0], parts[1][0]), *hi);
    e = add(c, e, mul(c, parts[0][0], parts[1][1]));
    e = add(c, e, mul(c, parts[0][1], parts[1][0]));
    *lo = add(c, e, mul(c, parts[0][1], parts[1][1]));
}

/* e^(hi + lo) = big * small for |lo| <~ 2 (lo carries the low part of an argument
 * computed in two pieces; NULL: none); callers that scale the result multiply the scale
 * into `big` before `small`, so a subnormal result is rounded once. x = n ln2 + r, |r| <= ln2/2; e^r = 1 + r + r^2 q(r) (Taylor to r^7, truncation
 * < 1e-8 relative); 2^n as two normal factors 2^(n/2) 2^(n - n/2), so results between
 * 2^-150 and 2^-126 round once, correctly, into subnormals, and e^x past FLT_MAX
 * overflows to inf by itself. hi is clamped to [-160, 89] first (NaN goes to -160; the
 * select restores it): below -104 the result rounds to 0 (also when scaled by up to
 * e^50), above 89 to inf. */
static void exp_parts(odin_lower_ctx *c, LLVMValueRef hi, LLVMValueRef lo, LLVMValueRef *big,
                      LLVMValueRef *small) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef xc = sel(c, cmp(c, LLVMRealULT, hi, k(c, -160.0)), k(c, -160.0), hi);
    xc = clamp_hi(c, xc, 89.0);
    LLVMValueRef s = lo ? add(c, xc, lo) : xc;
    LLVMValueRef t = mul(c, s, k(c, 1.4426950408889634));
    LLVMValueRef n = odin_intrinsic(c, "llvm.rint", c->t_f32, &t, 1);
    /* ln2 = 0.693145751953125 (16 bits, so n*ln2_hi is exact) + 1.42860677e-6 */
    LLVMValueRef r = odin_fmuladd(c, n, k(c, -0.693145751953125), xc);
    r = odin_fmuladd(c, n, k(c, -1.428606765330187e-06), r);
    if (lo) r = add(c, r, lo);
    static const double q[] = {1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040};
    LLVMValueRef p = odin_fmuladd(c, mul(c, r, r), poly(c, r, q, 6), r);
    p = add(c, p, k(c, 1.0));
    LLVMValueRef ni = LLVMBuildFPToSI(b, n, c->t_i32, "");
    LLVMValueRef half = LLVMBuildAShr(b, ni, ki(c, 1), "");
    LLVMValueRef rest = LLVMBuildSub(b, ni, half, "");
    LLVMValueRef s1 = LLVMBuildBitCast(b, LLVMBuildShl(b, LLVMBuildAdd(b, half, ki(c, 127), ""), ki(c, 23), ""), c->t_f32, "");
    LLVMValueRef s2 = LLVMBuildBitCast(b, LLVMBuildShl(b, LLVMBuildAdd(b, rest, ki(c, 127), ""), ki(c, 23), ""), c->t_f32, "");
    *big = sel(c, cmp(c, LLVMRealUNO, hi, hi), hi, mul(c, p, s1));
    *small = s2;
}

static LLVMValueRef exp_hilo(odin_lower_ctx *c, LLVMValueRef hi, LLVMValueRef lo) {
    LLVMValueRef p, s2;
    exp_parts(c, hi, lo, &p, &s2);
    return mul(c, p, s2);
}

LLVMValueRef odin_math_exp(odin_lower_ctx *c, LLVMValueRef x) { return exp_hilo(c, x, NULL); }

/* log(1 + f) + ef ln2 for f in [sqrt(1/2) - 1, sqrt(2) - 1] */
static LLVMValueRef log_reduced(odin_lower_ctx *c, LLVMValueRef f, LLVMValueRef ef) {
    LLVMValueRef s = fdiv_(c, f, add(c, f, k(c, 2.0)));
    LLVMValueRef z = mul(c, s, s), w = mul(c, z, z);
    LLVMValueRef t1 = mul(c, w, odin_fmuladd(c, w, k(c, 0.24279078841), k(c, 0.40000972152)));
    LLVMValueRef t2 = mul(c, z, odin_fmuladd(c, w, k(c, 0.28498786688), k(c, 0.66666662693)));
    LLVMValueRef hfsq = mul(c, mul(c, k(c, 0.5), f), f);
    /* ln2 = 0.69313812256 (16 bits: ef*ln2_hi exact) + 9.0580006145e-6 */
    LLVMValueRef y = odin_fmuladd(c, s, add(c, hfsq, add(c, t2, t1)), mul(c, ef, k(c, 9.0580006145e-06)));
    y = add(c, sub(c, y, hfsq), f);
    return odin_fmuladd(c, ef, k(c, 0.69313812256), y);
}

/* log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), f = m - 1 (exact); log(1+f) =
 * f - f^2/2 + s (f^2/2 + R(s^2)), s = f/(2+f), the fdlibm/musl logf scheme with its
 * minimax coefficients Lg1..Lg4; subnormals are scaled by 2^23 first. */
LLVMValueRef odin_math_log(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef tiny = cmp(c, LLVMRealOLT, x, k(c, 1.17549435e-38f));
    LLVMValueRef xs = sel(c, tiny, mul(c, x, k(c, 8388608.0)), x);
    LLVMValueRef bits = LLVMBuildBitCast(b, xs, c->t_i32, "");
    LLVMValueRef off = LLVMBuildSub(b, bits, ki(c, 0x3f3504f3), "");
    LLVMValueRef e = LLVMBuildAShr(b, off, ki(c, 23), "");
    LLVMValueRef m = LLVMBuildBitCast(b, LLVMBuildSub(b, bits, LLVMBuildShl(b, e, ki(c, 23), ""), ""), c->t_f32, "");
    LLVMValueRef ef = LLVMBuildSIToFP(b, e, c->t_f32, "");
    ef = sel(c, tiny, sub(c, ef, k(c, 23.0)), ef);
    LLVMValueRef y = log_reduced(c, sub(c, m, k(c, 1.0)), ef);
    y = sel(c, cmp(c, LLVMRealOEQ, x, k(c, 0.0)), k(c, -INFINITY), y);
    y = sel(c, cmp(c, LLVMRealOLT, x, k(c, 0.0)), k(c, NAN), y);
    y = sel(c, cmp(c, LLVMRealOEQ, x, k(c, INFINITY)), x, y);
    return sel(c, cmp(c, LLVMRealUNO, x, x), x, y);
}


/* tanh: |x| < 0.625: x + x^3 P(x^2) (fitted: (tanh(x)/x - 1)/x^2 on x in [0, 0.625]);
 * else 1 - 2/(e^{2|x|}+1), whose cancellation is mild there (the quotient is < 0.45);
 * |x| is clamped at 9.5, where tanh is 1 in f32. The sign comes from x (tanh(-0) = -0). */
LLVMValueRef odin_math_tanh(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMValueRef ax = fabs_(c, x);
    LLVMValueRef z = mul(c, x, x);
    static const double p[] = {-0.3333333134651184, 0.1333320587873459, -0.05394676327705383,
                               0.021700697019696236, -0.008177383802831173, 0.0021429494954645634};
    LLVMValueRef small = odin_fmuladd(c, mul(c, ax, z), poly(c, z, p, 6), ax);
    LLVMValueRef e = exp_hilo(c, mul(c, clamp_hi(c, ax, 9.5), k(c, 2.0)), NULL);
    LLVMValueRef big = sub(c, k(c, 1.0), fdiv_(c, k(c, 2.0), add(c, e, k(c, 1.0))));
    return copysign_(c, sel(c, cmp(c, LLVMRealOLT, ax, k(c, 0.625)), small, big), x);
}

/* a + b = *hi + *lo exactly (Knuth's two-sum) */
static void two_sum(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b, LLVMValueRef *hi, LLVMValueRef *lo) {
    *hi = add(c, a, b);
    LLVMValueRef bb = sub(c, *hi, a);
    *lo = add(c, sub(c, a, sub(c, *hi, bb)), sub(c, b, bb));
}

/* scale * sigmoid(hi + lo) (lo, scale: NULL for 0 and 1): 1/(1+e) for v >= 0 and
 * e/(1+e) for v < 0, e = e^-|v|, so nothing overflows and results for v < -87.3 come
 * out as the subnormals they are (the scale enters before the last factor of e: one
 * rounding). 1 + e is carried as u + ul exactly; the quotient is corrected by -ul/u. */
static LLVMValueRef sigmoid_scaled(odin_lower_ctx *c, LLVMValueRef hi, LLVMValueRef lo, LLVMValueRef scale) {
    LLVMValueRef neg = cmp(c, LLVMRealOLT, hi, k(c, 0.0));
    LLVMValueRef elo = lo ? sel(c, neg, lo, LLVMBuildFNeg(c->b, lo, "")) : NULL;
    LLVMValueRef big, small;
    exp_parts(c, LLVMBuildFNeg(c->b, fabs_(c, hi), ""), elo, &big, &small);
    LLVMValueRef e = mul(c, big, small);
    LLVMValueRef u = add(c, e, k(c, 1.0));
    LLVMValueRef ul = sub(c, e, sub(c, u, k(c, 1.0)));
    LLVMValueRef num = sel(c, neg, mul(c, scale ? mul(c, scale, big) : big, small), scale ? scale : k(c, 1.0));
    LLVMValueRef y0 = fdiv_(c, num, u);
    LLVMValueRef y = odin_fmuladd(c, y0, LLVMBuildFNeg(c->b, fdiv_(c, ul, u), ""), y0);
    return sel(c, cmp(c, LLVMRealOEQ, ul, k(c, 0.0)), y0, y); /* inf * 0 */
}

LLVMValueRef odin_math_sigmoid(odin_lower_ctx *c, LLVMValueRef x) { return sigmoid_scaled(c, x, NULL, NULL); }

/* erf on |z| < ERF_SMALL: z + z P(z^2) (fitted: erf(z)/z - 1 on [0, 1]) */
#define ERF_SMALL 1.0
static LLVMValueRef erf_small(odin_lower_ctx *c, LLVMValueRef z) {
    static const double p[] = {0.12837916612625122, -0.3761262595653534, 0.1128358542919159,
                               -0.026853810995817184, 0.00518832728266716, -0.0008010189048945904,
                               7.853846909711137e-05};
    return odin_fmuladd(c, z, poly(c, mul(c, z, z), p, 7), z);
}

/* erfc(z) = *big * *small for z in [0.5, 10.61], with z^2 = sq_hi + sq_lo given exactly:
 * erfc(z) = t e^{-z^2 + P(t)}, t = 1/(1 + z/2) (the form of Numerical Recipes' erfcc;
 * P fitted to log(erfc(z)/t) + z^2 on that interval, in powers of t - 0.4793 for a
 * well-conditioned f32 evaluation). Exact z^2 matters: e^{-z^2} has a relative error of
 * z^2 times that of z^2, 100x at z = 10. */
static void erfc_tail(odin_lower_ctx *c, LLVMValueRef z, LLVMValueRef sq_hi, LLVMValueRef sq_lo,
                      LLVMValueRef *big, LLVMValueRef *small) {
    static const double p[] = {-0.6995542049407959, 1.3369708061218262, 0.21223759651184082,
                               -0.3608897924423218, -0.1863539218902588, 0.2652610242366791,
                               0.15488098561763763, -0.278164267539978, -0.09884819388389587,
                               0.2522122263908386};
    LLVMValueRef t = fdiv_(c, k(c, 1.0), odin_fmuladd(c, z, k(c, 0.5), k(c, 1.0)));
    LLVMValueRef u = sub(c, t, k(c, 0.47930213809013367));
    LLVMValueRef arg_lo = sub(c, poly(c, u, p, 10), sq_lo);
    exp_parts(c, LLVMBuildFNeg(c->b, sq_hi, ""), arg_lo, big, small);
    *big = mul(c, *big, t);
}

/* erf: the odd polynomial for |x| < 1, 1 - erfc(|x|) beyond; |x| clamped at 10 (erf is
 * 1 from 3.92 on) so the exact square cannot overflow. */
LLVMValueRef odin_math_erf(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMValueRef ax = fabs_(c, x);
    LLVMValueRef axc = clamp_hi(c, ax, 10.0);
    LLVMValueRef hi, lo;
    two_prod(c, axc, axc, &hi, &lo);
    LLVMValueRef tb, ts;
    erfc_tail(c, axc, hi, lo, &tb, &ts);
    LLVMValueRef big = sub(c, k(c, 1.0), mul(c, tb, ts));
    LLVMValueRef y = sel(c, cmp(c, LLVMRealOLT, ax, k(c, ERF_SMALL)), erf_small(c, ax), big);
    return copysign_(c, y, x);
}

/* gelu = x Phi(x), Phi(x) = erfc(-x/sqrt2)/2, so the negative tail is a product of
 * accurate factors instead of 1 + erf(..) cancelling to nothing: with z = x/sqrt2,
 * Phi = (1 + erf_small(z))/2 for |z| < 0.5, erfc(|z|)/2 for z <= -0.5 and
 * 1 - erfc(z)/2 for z >= 0.5; z^2 = x^2/2 is formed exactly from x. */
LLVMValueRef odin_math_gelu(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMValueRef xc = clamp_hi(c, fabs_(c, x), 15.0); /* erfc(15/sqrt2) is 0 in f32 */
    LLVMValueRef z = mul(c, xc, k(c, 0.7071067811865476));
    LLVMValueRef hi, lo, tb, ts;
    two_prod(c, xc, xc, &hi, &lo);
    erfc_tail(c, z, mul(c, hi, k(c, 0.5)), mul(c, lo, k(c, 0.5)), &tb, &ts);
    LLVMValueRef half_x = mul(c, x, k(c, 0.5));
    LLVMValueRef neg_y = mul(c, mul(c, half_x, tb), ts);
    LLVMValueRef pos_y = mul(c, x, sub(c, k(c, 1.0), mul(c, mul(c, tb, k(c, 0.5)), ts)));
    LLVMValueRef tail_y = sel(c, cmp(c, LLVMRealOLT, x, k(c, 0.0)), neg_y, pos_y);
    LLVMValueRef small_y = mul(c, half_x, add(c, erf_small(c, mul(c, x, k(c, 0.7071067811865476))), k(c, 1.0)));
    LLVMValueRef y = sel(c, cmp(c, LLVMRealOLT, z, k(c, 0.5)), small_y, tail_y);
    /* -inf * 0 would be NaN; the limit is 0 */
    return sel(c, cmp(c, LLVMRealOEQ, x, k(c, -INFINITY)), k(c, -0.0), y);
}

/* 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): no 1 + tanh
 * cancellation for negative x. 2u = A x + B x^3 is formed in double-f32 (hi + lo): in the
 * tail, e^{2u} has a relative error of |2u| times that of 2u (up to 100x). */
LLVMValueRef odin_math_gelu_tanh(odin_lower_ctx *c, LLVMValueRef x) {
    const double A = 2 * 0.7978845608028654, B = 2 * 0.044715 * 0.7978845608028654;
    const float a_hi = (float)A, b_hi = (float)B;
    LLVMValueRef xc = sel(c, cmp(c, LLVMRealOLT, x, k(c, -30.0)), k(c, -30.0), clamp_hi(c, x, 30.0));
    LLVMValueRef s, sl, c3, c3l, b3, b3l, a1, a1l, hi, lo;
    two_prod(c, xc, xc, &s, &sl);
    two_prod(c, xc, s, &c3, &c3l);
    c3l = odin_fmuladd(c, xc, sl, c3l);
    two_prod(c, k(c, b_hi), c3, &b3, &b3l);
    b3l = odin_fmuladd(c, k(c, b_hi), c3l, odin_fmuladd(c, k(c, B - b_hi), c3, b3l));
    two_prod(c, k(c, a_hi), xc, &a1, &a1l);
    a1l = odin_fmuladd(c, k(c, A - a_hi), xc, a1l);
    two_sum(c, a1, b3, &hi, &lo);
    lo = add(c, lo, add(c, a1l, b3l));
    /* for x < -30 the result is 0; the clamped scale keeps scale * e^-160 there 0 too */
    LLVMValueRef y = sigmoid_scaled(c, hi, lo, sel(c, cmp(c, LLVMRealOLT, x, k(c, -30.0)), k(c, -30.0), x));
    return sel(c, cmp(c, LLVMRealOEQ, x, k(c, -INFINITY)), k(c, -0.0), y);
}

LLVMValueRef odin_math_silu(odin_lower_ctx *c, LLVMValueRef x) {
    /* below -200 silu is 0; the clamped scale keeps scale * e^-160 there 0 too */
    LLVMValueRef y = sigmoid_scaled(c, x, NULL, sel(c, cmp(c, LLVMRealOLT, x, k(c, -200.0)), k(c, -200.0), x));
    return sel(c, cmp(c, LLVMRealOEQ, x, k(c, -INFINITY)), k(c, -0.0), y);
}

/* softplus = max(x,0) + log1p(e), e = e^{-|x|} in (0, 1]: log1p(e) is the log kernel at
 * f = e (exact) for e < sqrt2 - 1, else ln2 + log(1 + f) with f = (1+e)/2 - 1 = e/2 - 1/2,
 * also exact; so no rounding of 1 + e is ever taken a log of. */
LLVMValueRef odin_math_softplus(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMValueRef e = exp_hilo(c, LLVMBuildFNeg(c->b, fabs_(c, x), ""), NULL);
    LLVMValueRef big = cmp(c, LLVMRealOGE, e, k(c, 0.41421356237309503));
    LLVMValueRef f = sel(c, big, sub(c, mul(c, e, k(c, 0.5)), k(c, 0.5)), e);
    LLVMValueRef l = log_reduced(c, f, sel(c, big, k(c, 1.0), k(c, 0.0)));
    LLVMValueRef m = sel(c, cmp(c, LLVMRealOGT, x, k(c, 0.0)), x, k(c, 0.0));
    return add(c, m, l);
}

/* sin/cos: q = rint(x 2/pi), r = x - q pi/2 with pi/2 split in two short pieces (q*piece
 * exact for |q| < 2^16, i.e. |x| < 1e5, with or without FMA) and a two-f32 rest whose
 * product with q is formed exactly (two_prod); r is carried as rh + rl, so it stays
 * accurate even next to the zeros of sin and cos. Then
 * the Taylor polynomials on |r| <= pi/4 by quadrant, with the first-order term of rl:
 * sin(rh + rl) ~ sin(rh) + rl (1 - rh^2/2), cos(rh + rl) ~ cos(rh) - rh rl. Beyond 1e5
 * the result loses accuracy gradually; inf and NaN give NaN. */
static LLVMValueRef sincos_(odin_lower_ctx *c, LLVMValueRef x, int quadrant_shift) {
    LLVMBuilderRef b = c->b;
    LLVMValueRef q = mul(c, x, k(c, 0.6366197723675814));
    q = odin_intrinsic(c, "llvm.rint", c->t_f32, &q, 1);
    /* pi/2 = 1.5703125 + 0.000484466552734375 (8 and 7 bits: q*piece exact for
     * |q| < 2^16, both subtractions exact) + t_hi + t_lo (f32 each; rest 1e-22) */
    LLVMValueRef r = odin_fmuladd(c, q, k(c, -1.5703125), x);
    r = odin_fmuladd(c, q, k(c, -0.000484466552734375), r);
    LLVMValueRef ph, pl, hi, lo;
    two_prod(c, q, k(c, 6.397578431460715e-07), &ph, &pl); /* -q t_hi */
    two_sum(c, r, ph, &hi, &lo);
    lo = odin_fmuladd(c, q, k(c, -5.390302953474238e-15), add(c, lo, pl));
    LLVMValueRef rh = add(c, hi, lo);
    LLVMValueRef rl = sub(c, lo, sub(c, rh, hi));
    /* |q| >= 2^24 (or inf/NaN) would make fptosi poison; r is NaN or meaningless there */
    LLVMValueRef qs = sel(c, cmp(c, LLVMRealOLT, fabs_(c, q), k(c, 16777216.0)), q, k(c, 0.0));
    LLVMValueRef qi = LLVMBuildAdd(b, LLVMBuildFPToSI(b, qs, c->t_i32, ""), ki(c, quadrant_shift), "");
    LLVMValueRef r2 = mul(c, rh, rh);
    static const double sc[] = {-1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880};
    static const double cc[] = {-0.5, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800};
    LLVMValueRef s_lo = mul(c, rl, odin_fmuladd(c, r2, k(c, -0.5), k(c, 1.0)));
    LLVMValueRef s = add(c, rh, odin_fmuladd(c, mul(c, rh, r2), poly(c, r2, sc, 4), s_lo));
    LLVMValueRef co_lo = LLVMBuildFNeg(b, mul(c, rh, rl), "");
    LLVMValueRef co = add(c, k(c, 1.0), odin_fmuladd(c, r2, poly(c, r2, cc, 5), co_lo));
    LLVMValueRef odd = LLVMBuildTrunc(b, qi, c->t_i1, "");
    LLVMValueRef y = sel(c, odd, co, s);
    LLVMValueRef neg = LLVMBuildTrunc(b, LLVMBuildLShr(b, qi, ki(c, 1), ""), c->t_i1, "");
    y = sel(c, neg, LLVMBuildFNeg(b, y, ""), y);
    /* sin(x) = x in f32 for |x| < 2^-12; also keeps sin(-0) = -0 and subnormals exact */
    if (quadrant_shift == 0) y = sel(c, cmp(c, LLVMRealOLT, fabs_(c, x), k(c, 0x1p-12)), x, y);
    return y;
}

LLVMValueRef odin_math_sin(odin_lower_ctx *c, LLVMValueRef x) { return sincos_(c, x, 0); }
LLVMValueRef odin_math_cos(odin_lower_ctx *c, LLVMValueRef x) { return sincos_(c, x, 1); }
