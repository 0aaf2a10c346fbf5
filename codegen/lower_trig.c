/* codegen/lower_trig.c — scalar lowerings (f32, fused like every elementwise op) of Tan,
 * Asin, Acos, Atan, Asinh, Acosh and Atanh, built from the branch-free mathlib (sin, cos,
 * log) and one arctangent: Cephes' atanf scheme (reduction to |x| <= tan(pi/8) through
 * pi/4 and pi/2 offsets, then an odd degree-9 polynomial). The inverse functions use
 * identities that stay accurate over their domain: asin(x) = atan(x / sqrt((1-x)(1+x))),
 * acos(x) = 2 atan(sqrt((1-x)/(1+x))), asinh(x) = sign(x) log(|x| + sqrt(x^2 + 1)),
 * acosh(x) = log(x + sqrt(x^2 - 1)), atanh(x) = log((1+x)/(1-x)) / 2; out-of-domain
 * inputs give NaN through the square root or the logarithm. */
#include <math.h>

#include "irgen.h"
#include "mathlib.h"

static LLVMValueRef k(odin_lower_ctx *c, double v) { return LLVMConstReal(c->t_f32, v); }
static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(c->b, a, b, ""); }
static LLVMValueRef sub(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFSub(c->b, a, b, ""); }
static LLVMValueRef mul(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(c->b, a, b, ""); }
static LLVMValueRef f_div(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFDiv(c->b, a, b, ""); }
static LLVMValueRef call1(odin_lower_ctx *c, const char *name, LLVMValueRef x) {
    return odin_intrinsic(c, name, c->t_f32, &x, 1);
}
static LLVMValueRef sel(odin_lower_ctx *c, LLVMValueRef cond, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, cond, a, b, "");
}
static LLVMValueRef copysign_(odin_lower_ctx *c, LLVMValueRef mag, LLVMValueRef sign) {
    LLVMValueRef args[2] = {mag, sign};
    return odin_intrinsic(c, "llvm.copysign", c->t_f32, args, 2);
}

static LLVMValueRef atan_f(odin_lower_ctx *c, LLVMValueRef x) {
    LLVMValueRef ax = call1(c, "llvm.fabs", x);
    LLVMValueRef big = LLVMBuildFCmp(c->b, LLVMRealOGT, ax, k(c, 2.414213562373095), "");
    LLVMValueRef mid = LLVMBuildFCmp(c->b, LLVMRealOGT, ax, k(c, 0.4142135623730950), "");
    LLVMValueRef r = sel(c, big, f_div(c, k(c, -1), ax), sel(c, mid, f_div(c, sub(c, ax, k(c, 1)), add(c, ax, k(c, 1))), ax));
    LLVMValueRef y0 = sel(c, big, k(c, M_PI / 2), sel(c, mid, k(c, M_PI / 4), k(c, 0)));
    LLVMValueRef z = mul(c, r, r);
    LLVMValueRef p = odin_fmuladd(c, k(c, 8.05374449538e-2), z, k(c, -1.38776856032e-1));
    p = odin_fmuladd(c, p, z, k(c, 1.99777106478e-1));
    p = odin_fmuladd(c, p, z, k(c, -3.33329491539e-1));
    LLVMValueRef y = add(c, y0, odin_fmuladd(c, mul(c, p, z), r, r));
    return copysign_(c, y, x); /* NaN stays NaN */
}

static LLVMValueRef l_tan(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return f_div(c, odin_math_sin(c, a[0]), odin_math_cos(c, a[0]));
}
static LLVMValueRef l_atan(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return atan_f(c, a[0]);
}
static LLVMValueRef l_asin(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef x = a[0];
    LLVMValueRef d = call1(c, "llvm.sqrt", mul(c, sub(c, k(c, 1), x), add(c, k(c, 1), x)));
    return atan_f(c, f_div(c, x, d));
}
static LLVMValueRef l_acos(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef x = a[0];
    LLVMValueRef q = call1(c, "llvm.sqrt", f_div(c, sub(c, k(c, 1), x), add(c, k(c, 1), x)));
    return mul(c, k(c, 2), atan_f(c, q));
}
/* log(|x| + sqrt(x^2 + s)); past 1e10 the square root is |x| (x^2 would overflow) */
static LLVMValueRef log_hyp(odin_lower_ctx *c, LLVMValueRef ax, double s) {
    LLVMValueRef huge = LLVMBuildFCmp(c->b, LLVMRealOGT, ax, k(c, 1e10), "");
    LLVMValueRef r = call1(c, "llvm.sqrt", add(c, mul(c, ax, ax), k(c, s)));
    LLVMValueRef small = odin_math_log(c, add(c, ax, r));
    LLVMValueRef large = add(c, odin_math_log(c, ax), k(c, M_LN2));
    return sel(c, huge, large, small);
}
static LLVMValueRef l_asinh(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return copysign_(c, log_hyp(c, call1(c, "llvm.fabs", a[0]), 1.0), a[0]);
}
static LLVMValueRef l_acosh(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef x = a[0];
    LLVMValueRef y = log_hyp(c, x, -1.0);
    /* below 1 (and NaN): NaN, as sqrt of a negative number gives inside log_hyp */
    LLVMValueRef ok = LLVMBuildFCmp(c->b, LLVMRealOGE, x, k(c, 1), "");
    return sel(c, ok, y, k(c, NAN));
}
static LLVMValueRef l_atanh(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef x = a[0];
    return mul(c, k(c, 0.5), odin_math_log(c, f_div(c, add(c, k(c, 1), x), sub(c, k(c, 1), x))));
}

const odin_lowering odin_lowerings_trig[] = {
    {"Tan", NULL, l_tan, false},     {"Atan", NULL, l_atan, false},   {"Asin", NULL, l_asin, false},
    {"Acos", NULL, l_acos, false},   {"Asinh", NULL, l_asinh, false}, {"Acosh", NULL, l_acosh, false},
    {"Atanh", NULL, l_atanh, false}, {NULL, NULL, NULL, false},
};
