/* codegen/lower_misc_elem.c — scalar lowerings (fused into elementwise loops by
 * codegen/lower_elementwise.c) of the smaller elementwise ops: Sign, Mod, BitShift, IsNaN,
 * IsInf, ThresholdedRelu, Shrink, Selu, Celu, Mish, Sinh, Cosh and CastLike. Each follows
 * its eval in ops/elementwise*.c (f32 math: transcendental ones agree to ~1e-6). */
#include <math.h>
#include <string.h>

#include "irgen.h"
#include "lower_cast.h"
#include "mathlib.h"

static odin_dtype in_t(odin_lower_ctx *c, const odin_node *n, int i) {
    odin_dtype t = c->g->tensors[n->inputs[i]].dtype;
    return t == ODIN_F16 || t == ODIN_BF16 ? ODIN_F32 : t; /* computed on in f32 */
}
static bool is_f(odin_dtype t) { return t == ODIN_F32 || t == ODIN_F64; }
static LLVMValueRef fc(LLVMValueRef like, double v) { return LLVMConstReal(LLVMTypeOf(like), v); }
static LLVMValueRef ic(LLVMValueRef like, long long v) {
    return LLVMConstInt(LLVMTypeOf(like), (unsigned long long)v, 1);
}
static LLVMValueRef sel(odin_lower_ctx *c, LLVMValueRef k, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, k, a, b, "");
}
static LLVMValueRef fcmp(odin_lower_ctx *c, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildFCmp(c->b, p, a, b, "");
}
static LLVMValueRef icmp(odin_lower_ctx *c, LLVMIntPredicate p, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildICmp(c->b, p, a, b, "");
}
static LLVMValueRef to_bool(odin_lower_ctx *c, LLVMValueRef i1) {
    return LLVMBuildZExt(c->b, i1, c->t_i8, "");
}

static LLVMValueRef l_sign(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef x = a[0];
    if (is_f(in_t(c, n, 0))) /* 0 and NaN stay as they are */
        return sel(c, fcmp(c, LLVMRealOGT, x, fc(x, 0)), fc(x, 1),
                   sel(c, fcmp(c, LLVMRealOLT, x, fc(x, 0)), fc(x, -1), x));
    bool s = odin_dtype_is_signed(in_t(c, n, 0));
    LLVMValueRef pos = icmp(c, s ? LLVMIntSGT : LLVMIntUGT, x, ic(x, 0));
    LLVMValueRef neg = s ? icmp(c, LLVMIntSLT, x, ic(x, 0)) : LLVMConstInt(c->t_i1, 0, 0);
    return sel(c, pos, ic(x, 1), sel(c, neg, ic(x, -1), ic(x, 0)));
}

/* Mod: fmod=1 keeps the dividend's sign, else the divisor's; an integer divisor of 0
 * gives 0 (the eval reports it as an error) and -1 gives 0 (no INT_MIN % -1 trap). */
static LLVMValueRef l_mod(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef x = a[0], y = a[1];
    bool python = odin_attr_i(n, "fmod") == 0;
    if (is_f(in_t(c, n, 0))) {
        LLVMValueRef r = LLVMBuildFRem(c->b, x, y, "");
        if (!python) return r;
        LLVMValueRef fix = LLVMBuildAnd(c->b, fcmp(c, LLVMRealONE, r, fc(r, 0)),
                                        LLVMBuildXor(c->b, fcmp(c, LLVMRealOLT, r, fc(r, 0)),
                                                     fcmp(c, LLVMRealOLT, y, fc(y, 0)), ""), "");
        return sel(c, fix, LLVMBuildFAdd(c->b, r, y, ""), r);
    }
    bool s = odin_dtype_is_signed(in_t(c, n, 0));
    LLVMValueRef zero = ic(y, 0);
    LLVMValueRef trivial = icmp(c, LLVMIntEQ, y, zero);
    if (s) trivial = LLVMBuildOr(c->b, trivial, icmp(c, LLVMIntEQ, y, ic(y, -1)), "");
    LLVMValueRef safe = sel(c, trivial, ic(y, 1), y);
    LLVMValueRef r = s ? LLVMBuildSRem(c->b, x, safe, "") : LLVMBuildURem(c->b, x, safe, "");
    if (s && python) {
        LLVMValueRef fix = LLVMBuildAnd(c->b, icmp(c, LLVMIntNE, r, zero),
                                        LLVMBuildXor(c->b, icmp(c, LLVMIntSLT, r, zero),
                                                     icmp(c, LLVMIntSLT, safe, zero), ""), "");
        r = sel(c, fix, LLVMBuildAdd(c->b, r, safe, ""), r);
    }
    return sel(c, trivial, zero, r);
}

/* BitShift on unsigned ints: shifts of the width or more give 0 (the eval's truncation) */
static LLVMValueRef l_bitshift(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    const char *dir = odin_attr_s(n, "direction");
    bool left = dir && !strcmp(dir, "LEFT");
    LLVMValueRef x = a[0], s = a[1];
    unsigned width = LLVMGetIntTypeWidth(LLVMTypeOf(x));
    LLVMValueRef big = icmp(c, LLVMIntUGE, s, ic(s, width));
    LLVMValueRef ss = sel(c, big, ic(s, 0), s);
    LLVMValueRef r = left ? LLVMBuildShl(c->b, x, ss, "") : LLVMBuildLShr(c->b, x, ss, "");
    return sel(c, big, ic(x, 0), r);
}

static LLVMValueRef l_isnan(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return to_bool(c, fcmp(c, LLVMRealUNO, a[0], a[0]));
}

static LLVMValueRef l_isinf(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    bool pos = odin_attr_i(n, "detect_positive") != 0, neg = odin_attr_i(n, "detect_negative") != 0;
    LLVMValueRef f = LLVMConstInt(c->t_i1, 0, 0);
    LLVMValueRef r = pos ? fcmp(c, LLVMRealOEQ, a[0], fc(a[0], INFINITY)) : f;
    if (neg) r = LLVMBuildOr(c->b, r, fcmp(c, LLVMRealOEQ, a[0], fc(a[0], -INFINITY)), "");
    return to_bool(c, r);
}

static LLVMValueRef l_thresholded(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return sel(c, fcmp(c, LLVMRealOGT, a[0], fc(a[0], odin_attr_f(n, "alpha"))), a[0], fc(a[0], 0));
}

static LLVMValueRef l_shrink(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    double lambd = odin_attr_f(n, "lambd"), bias = odin_attr_f(n, "bias");
    LLVMValueRef x = a[0];
    return sel(c, fcmp(c, LLVMRealOLT, x, fc(x, -lambd)), LLVMBuildFAdd(c->b, x, fc(x, bias), ""),
               sel(c, fcmp(c, LLVMRealOGT, x, fc(x, lambd)), LLVMBuildFSub(c->b, x, fc(x, bias), ""),
                   fc(x, 0)));
}

static LLVMValueRef expm1ish(odin_lower_ctx *c, LLVMValueRef x) {
    return LLVMBuildFSub(c->b, odin_math_exp(c, x), fc(x, 1), "");
}

static LLVMValueRef l_selu(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    double alpha = odin_attr_f(n, "alpha"), gamma = odin_attr_f(n, "gamma");
    LLVMValueRef x = a[0];
    LLVMValueRef negv = LLVMBuildFMul(c->b, fc(x, gamma * alpha), expm1ish(c, x), "");
    return sel(c, fcmp(c, LLVMRealOGT, x, fc(x, 0)), LLVMBuildFMul(c->b, x, fc(x, gamma), ""), negv);
}

static LLVMValueRef l_celu(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    double alpha = odin_attr_f(n, "alpha");
    LLVMValueRef x = a[0];
    LLVMValueRef e = LLVMBuildFMul(c->b, fc(x, alpha),
                                   expm1ish(c, LLVMBuildFDiv(c->b, x, fc(x, alpha), "")), "");
    LLVMValueRef p = odin_intrinsic(c, "llvm.maxnum", LLVMTypeOf(x), (LLVMValueRef[]){x, fc(x, 0)}, 2);
    LLVMValueRef q = odin_intrinsic(c, "llvm.minnum", LLVMTypeOf(x), (LLVMValueRef[]){e, fc(x, 0)}, 2);
    return LLVMBuildFAdd(c->b, p, q, "");
}

static LLVMValueRef l_mish(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return LLVMBuildFMul(c->b, a[0], odin_math_tanh(c, odin_math_softplus(c, a[0])), "");
}

static LLVMValueRef l_sinh(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef e = odin_math_exp(c, a[0]), ei = odin_math_exp(c, LLVMBuildFNeg(c->b, a[0], ""));
    return LLVMBuildFMul(c->b, LLVMBuildFSub(c->b, e, ei, ""), fc(e, 0.5), "");
}

static LLVMValueRef l_cosh(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef e = odin_math_exp(c, a[0]), ei = odin_math_exp(c, LLVMBuildFNeg(c->b, a[0], ""));
    return LLVMBuildFMul(c->b, LLVMBuildFAdd(c->b, e, ei, ""), fc(e, 0.5), "");
}

static LLVMValueRef l_castlike(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return odin_convert(c, a[0], in_t(c, n, 0), c->g->tensors[n->outputs[0]].dtype);
}

/* any_dtype: the lowering also takes integer / bool operands */
const odin_lowering odin_lowerings_misc_elem[] = {
    {"Sign", NULL, l_sign, true},          {"Mod", NULL, l_mod, true},
    {"BitShift", NULL, l_bitshift, true},  {"IsNaN", NULL, l_isnan, true},
    {"IsInf", NULL, l_isinf, true},        {"ThresholdedRelu", NULL, l_thresholded, false},
    {"Shrink", NULL, l_shrink, false},     {"Selu", NULL, l_selu, false},
    {"Celu", NULL, l_celu, false},         {"Mish", NULL, l_mish, false},
    {"Sinh", NULL, l_sinh, false},         {"Cosh", NULL, l_cosh, false},
    {"CastLike", odin_lower_cast_kernel, l_castlike, true, odin_cast_kernel_accepts},  {NULL, NULL, NULL, false},
};
