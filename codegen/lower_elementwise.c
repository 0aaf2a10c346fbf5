/* codegen/lower_elementwise.c — scalar lowerings of elementwise ops, and the loop-nest
 * emitter that runs a fused group of them over one output shape (broadcast inputs are
 * read with zero strides; values internal to the group never touch memory). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../passes/plan.h"
#include "irgen.h"
#include "lower_cast.h"
#include "mathlib.h"

/* ---- scalar lowerings ---- */

/* f16 / bf16 tensors are computed on in f32 (converted at loads and stores) */
static odin_dtype compute_dtype(odin_dtype t) { return t == ODIN_F16 || t == ODIN_BF16 ? ODIN_F32 : t; }

static odin_dtype in_dtype(odin_lower_ctx *c, const odin_node *n, int i) {
    return compute_dtype(c->g->tensors[n->inputs[i]].dtype);
}

static odin_dtype out_dtype(odin_lower_ctx *c, const odin_node *n) {
    return compute_dtype(c->g->tensors[n->outputs[0]].dtype);
}

static bool is_half(odin_dtype t) { return t == ODIN_F16 || t == ODIN_BF16; }

static bool is_float(odin_lower_ctx *c, const odin_node *n) {
    odin_dtype t = in_dtype(c, n, 0);
    return t == ODIN_F32 || t == ODIN_F64;
}

static LLVMValueRef fconst(LLVMValueRef like, double v) { return LLVMConstReal(LLVMTypeOf(like), v); }

#define BINARY(name, fop, iop)                                                             \
    static LLVMValueRef name(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) { \
        return is_float(c, n) ? fop(c->b, a[0], a[1], "") : iop(c->b, a[0], a[1], "");     \
    }
BINARY(l_add, LLVMBuildFAdd, LLVMBuildAdd)
BINARY(l_sub, LLVMBuildFSub, LLVMBuildSub)
BINARY(l_mul, LLVMBuildFMul, LLVMBuildMul)

static LLVMValueRef l_div(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    if (is_float(c, n)) return LLVMBuildFDiv(c->b, a[0], a[1], "");
    /* integer division by zero is undefined in ONNX; define it as 0 instead of UB */
    LLVMValueRef zero = LLVMConstNull(LLVMTypeOf(a[1]));
    LLVMValueRef is0 = LLVMBuildICmp(c->b, LLVMIntEQ, a[1], zero, "");
    LLVMValueRef safe = LLVMBuildSelect(c->b, is0, LLVMConstInt(LLVMTypeOf(a[1]), 1, 0), a[1], "");
    LLVMValueRef q = odin_dtype_is_signed(in_dtype(c, n, 0)) ? LLVMBuildSDiv(c->b, a[0], safe, "")
                                                            : LLVMBuildUDiv(c->b, a[0], safe, "");
    return LLVMBuildSelect(c->b, is0, zero, q, "");
}

static LLVMValueRef intrinsic1(odin_lower_ctx *c, const char *name, LLVMValueRef x) {
    return odin_intrinsic(c, name, LLVMTypeOf(x), &x, 1);
}

static LLVMValueRef intrinsic2(odin_lower_ctx *c, const char *name, LLVMValueRef x, LLVMValueRef y) {
    LLVMValueRef args[2] = {x, y};
    return odin_intrinsic(c, name, LLVMTypeOf(x), args, 2);
}

static LLVMValueRef l_max(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef r = a[0];
    for (int i = 1; i < na; i++)
        r = is_float(c, n) ? intrinsic2(c, "llvm.maximum", r, a[i])
            : intrinsic2(c, odin_dtype_is_signed(in_dtype(c, n, 0)) ? "llvm.smax" : "llvm.umax", r, a[i]);
    return r;
}

static LLVMValueRef l_min(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef r = a[0];
    for (int i = 1; i < na; i++)
        r = is_float(c, n) ? intrinsic2(c, "llvm.minimum", r, a[i])
            : intrinsic2(c, odin_dtype_is_signed(in_dtype(c, n, 0)) ? "llvm.smin" : "llvm.umin", r, a[i]);
    return r;
}

static LLVMValueRef l_sum(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef r = a[0];
    for (int i = 1; i < na; i++) r = LLVMBuildFAdd(c->b, r, a[i], "");
    return r;
}

static LLVMValueRef l_mean(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return LLVMBuildFDiv(c->b, l_sum(c, n, a, na), fconst(a[0], na), "");
}

static LLVMValueRef l_neg(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return is_float(c, n) ? LLVMBuildFNeg(c->b, a[0], "") : LLVMBuildNeg(c->b, a[0], "");
}

static LLVMValueRef l_abs(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    if (is_float(c, n)) return intrinsic1(c, "llvm.fabs", a[0]);
    if (!odin_dtype_is_signed(in_dtype(c, n, 0))) return a[0];
    LLVMValueRef args[2] = {a[0], LLVMConstInt(c->t_i1, 0, 0)};
    return odin_intrinsic(c, "llvm.abs", LLVMTypeOf(a[0]), args, 2);
}

static LLVMValueRef l_relu(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    if (!is_float(c, n))
        return intrinsic2(c, "llvm.smax", a[0], LLVMConstNull(LLVMTypeOf(a[0])));
    LLVMValueRef gt = LLVMBuildFCmp(c->b, LLVMRealOGT, a[0], fconst(a[0], 0), "");
    return LLVMBuildSelect(c->b, gt, a[0], fconst(a[0], 0), "");
}

static LLVMValueRef l_leaky(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef neg = LLVMBuildFMul(c->b, a[0], fconst(a[0], odin_attr_f(n, "alpha")), "");
    LLVMValueRef lt = LLVMBuildFCmp(c->b, LLVMRealOLT, a[0], fconst(a[0], 0), "");
    return LLVMBuildSelect(c->b, lt, neg, a[0], "");
}

static LLVMValueRef l_prelu(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef lt = LLVMBuildFCmp(c->b, LLVMRealOLT, a[0], fconst(a[0], 0), "");
    return LLVMBuildSelect(c->b, lt, LLVMBuildFMul(c->b, a[0], a[1], ""), a[0], "");
}

#define F32_ONLY(name, expr)                                                               \
    static LLVMValueRef name(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) { \
        LLVMValueRef x = a[0];                                                             \
        return expr;                                                                       \
    }
F32_ONLY(l_exp, odin_math_exp(c, x))
F32_ONLY(l_log, odin_math_log(c, x))
F32_ONLY(l_tanh, odin_math_tanh(c, x))
F32_ONLY(l_sigmoid, odin_math_sigmoid(c, x))
F32_ONLY(l_erf, odin_math_erf(c, x))
F32_ONLY(l_softplus, odin_math_softplus(c, x))
F32_ONLY(l_sin, odin_math_sin(c, x))
F32_ONLY(l_cos, odin_math_cos(c, x))
F32_ONLY(l_sqrt, intrinsic1(c, "llvm.sqrt", x))
F32_ONLY(l_floor, intrinsic1(c, "llvm.floor", x))
F32_ONLY(l_ceil, intrinsic1(c, "llvm.ceil", x))
F32_ONLY(l_round, intrinsic1(c, "llvm.roundeven", x))
F32_ONLY(l_reciprocal, LLVMBuildFDiv(c->b, fconst(x, 1.0), x, ""))
F32_ONLY(l_softsign, LLVMBuildFDiv(c->b, x, LLVMBuildFAdd(c->b, fconst(x, 1.0), intrinsic1(c, "llvm.fabs", x), ""), ""))
F32_ONLY(l_identity, x)

static LLVMValueRef l_gelu(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    const char *approx = odin_attr_s(n, "approximate");
    return approx && !strcmp(approx, "tanh") ? odin_math_gelu_tanh(c, a[0]) : odin_math_gelu(c, a[0]);
}

static LLVMValueRef l_elu(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef em1 = LLVMBuildFSub(c->b, odin_math_exp(c, a[0]), fconst(a[0], 1.0), "");
    LLVMValueRef neg = LLVMBuildFMul(c->b, em1, fconst(a[0], odin_attr_f(n, "alpha")), "");
    LLVMValueRef lt = LLVMBuildFCmp(c->b, LLVMRealOLT, a[0], fconst(a[0], 0), "");
    return LLVMBuildSelect(c->b, lt, neg, a[0], "");
}

static LLVMValueRef l_hardsigmoid(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef y = odin_fmuladd(c, a[0], fconst(a[0], odin_attr_f(n, "alpha")),
                                  fconst(a[0], odin_attr_f(n, "beta")));
    y = intrinsic2(c, "llvm.maxnum", y, fconst(a[0], 0));
    return intrinsic2(c, "llvm.minnum", y, fconst(a[0], 1));
}

static LLVMValueRef l_hardswish(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef y = odin_fmuladd(c, a[0], fconst(a[0], 1.0 / 6), fconst(a[0], 0.5));
    y = intrinsic2(c, "llvm.maxnum", y, fconst(a[0], 0));
    y = intrinsic2(c, "llvm.minnum", y, fconst(a[0], 1));
    return LLVMBuildFMul(c->b, a[0], y, "");
}

/* Integer power as the eval's ipow: by squaring in 64 bits (wrapping), one unrolled step
 * per exponent bit; negative exponents truncate 1/a^n (0 unless a is 1 or -1). */
static LLVMValueRef int_pow(odin_lower_ctx *c, LLVMValueRef a, odin_dtype ta, LLVMValueRef n,
                            odin_dtype tn) {
    LLVMTypeRef out = LLVMTypeOf(a);
    if (ta != ODIN_I64) a = LLVMBuildSExt(c->b, a, c->t_i64, "");
    if (tn != ODIN_I64 && tn != ODIN_U64)
        n = odin_dtype_is_signed(tn) ? LLVMBuildSExt(c->b, n, c->t_i64, "") : LLVMBuildZExt(c->b, n, c->t_i64, "");
    LLVMValueRef zero = odin_i64(c, 0), one = odin_i64(c, 1);
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, n, zero, "");
    if (tn == ODIN_U64) { /* a huge unsigned exponent */
        n = LLVMBuildSelect(c->b, neg, odin_i64(c, INT64_MAX), n, "");
        neg = LLVMConstInt(c->t_i1, 0, 0);
    }
    LLVMValueRef r = one, base = a;
    for (int bit = 0; bit < 63; bit++) {
        LLVMValueRef set = LLVMBuildICmp(c->b, LLVMIntNE, LLVMBuildAnd(c->b, LLVMBuildLShr(c->b, n, odin_i64(c, bit), ""), one, ""), zero, "");
        r = LLVMBuildSelect(c->b, set, LLVMBuildMul(c->b, r, base, ""), r, "");
        base = LLVMBuildMul(c->b, base, base, "");
    }
    LLVMValueRef odd = LLVMBuildICmp(c->b, LLVMIntNE, LLVMBuildAnd(c->b, n, one, ""), zero, "");
    LLVMValueRef m1 = odin_i64(c, -1);
    LLVMValueRef negr = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, a, one, ""), one,
                        LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, a, m1, ""),
                                        LLVMBuildSelect(c->b, odd, m1, one, ""), zero, ""), "");
    r = LLVMBuildSelect(c->b, neg, negr, r, "");
    return out == c->t_i64 ? r : LLVMBuildTrunc(c->b, r, out, "");
}

static LLVMValueRef l_pow(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    odin_dtype ta = in_dtype(c, n, 0), tb = in_dtype(c, n, 1);
    /* integer bases take integer exponents (odin_elem_fusable turns float ones down) */
    if (ta != ODIN_F32) return int_pow(c, a[0], ta, a[1], tb);
    if (tb != ODIN_F32) a[1] = odin_convert(c, a[1], tb, ODIN_F32);
    /* x^y = exp(y log|x|), sign for odd integer y; exact for y == 2 via the common case */
    LLVMValueRef ax = intrinsic1(c, "llvm.fabs", a[0]);
    LLVMValueRef y = odin_math_exp(c, LLVMBuildFMul(c->b, a[1], odin_math_log(c, ax), ""));
    LLVMValueRef yhalf = LLVMBuildFMul(c->b, a[1], fconst(a[1], 0.5), "");
    LLVMValueRef odd = LLVMBuildFCmp(c->b, LLVMRealONE, intrinsic1(c, "llvm.floor", yhalf), yhalf, "");
    LLVMValueRef isint = LLVMBuildFCmp(c->b, LLVMRealOEQ, intrinsic1(c, "llvm.floor", a[1]), a[1], "");
    LLVMValueRef neg = LLVMBuildFCmp(c->b, LLVMRealOLT, a[0], fconst(a[0], 0), "");
    LLVMValueRef flip = LLVMBuildAnd(c->b, neg, LLVMBuildAnd(c->b, odd, isint, ""), "");
    y = LLVMBuildSelect(c->b, flip, LLVMBuildFNeg(c->b, y, ""), y, "");
    /* negative base with a non-integer exponent is NaN */
    y = LLVMBuildSelect(c->b, LLVMBuildAnd(c->b, neg, LLVMBuildNot(c->b, isint, ""), ""),
                        fconst(y, NAN), y, "");
    LLVMValueRef sq = LLVMBuildFCmp(c->b, LLVMRealOEQ, a[1], fconst(a[1], 2.0), "");
    y = LLVMBuildSelect(c->b, sq, LLVMBuildFMul(c->b, a[0], a[0], ""), y, "");
    LLVMValueRef y0 = LLVMBuildFCmp(c->b, LLVMRealOEQ, a[1], fconst(a[1], 0.0), "");
    return LLVMBuildSelect(c->b, y0, fconst(y, 1.0), y, "");
}

static LLVMValueRef to_bool(odin_lower_ctx *c, LLVMValueRef i1) {
    return LLVMBuildZExt(c->b, i1, c->t_i8, "");
}

static LLVMValueRef compare(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a,
                            LLVMRealPredicate fp, LLVMIntPredicate sp, LLVMIntPredicate up) {
    odin_dtype t = in_dtype(c, n, 0);
    if (is_float(c, n)) return to_bool(c, LLVMBuildFCmp(c->b, fp, a[0], a[1], ""));
    return to_bool(c, LLVMBuildICmp(c->b, odin_dtype_is_signed(t) ? sp : up, a[0], a[1], ""));
}
static LLVMValueRef l_equal(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return compare(c, n, a, LLVMRealOEQ, LLVMIntEQ, LLVMIntEQ);
}
static LLVMValueRef l_less(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return compare(c, n, a, LLVMRealOLT, LLVMIntSLT, LLVMIntULT);
}
static LLVMValueRef l_greater(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return compare(c, n, a, LLVMRealOGT, LLVMIntSGT, LLVMIntUGT);
}
static LLVMValueRef l_less_eq(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return compare(c, n, a, LLVMRealOLE, LLVMIntSLE, LLVMIntULE);
}
static LLVMValueRef l_greater_eq(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return compare(c, n, a, LLVMRealOGE, LLVMIntSGE, LLVMIntUGE);
}
static LLVMValueRef l_not(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return LLVMBuildXor(c->b, a[0], LLVMConstInt(c->t_i8, 1, 0), "");
}
static LLVMValueRef l_and(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return LLVMBuildAnd(c->b, a[0], a[1], "");
}
static LLVMValueRef l_or(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return LLVMBuildOr(c->b, a[0], a[1], "");
}
static LLVMValueRef l_xor(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return LLVMBuildXor(c->b, a[0], a[1], "");
}
static LLVMValueRef l_where(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef cond = LLVMBuildICmp(c->b, LLVMIntNE, a[0], LLVMConstNull(c->t_i8), "");
    return LLVMBuildSelect(c->b, cond, a[1], a[2], "");
}
static LLVMValueRef l_cast(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    return odin_convert(c, a[0], in_dtype(c, n, 0), out_dtype(c, n));
}
static LLVMValueRef l_clip(odin_lower_ctx *c, const odin_node *n, LLVMValueRef *a, int na) {
    LLVMValueRef y = a[0];
    bool f = is_float(c, n);
    bool s = odin_dtype_is_signed(in_dtype(c, n, 0));
    if (c->g->opset < 11) {
        y = intrinsic2(c, "llvm.maxnum", y, fconst(y, n->def ? odin_attr_f(n, "min") : -INFINITY));
        return intrinsic2(c, "llvm.minnum", y, fconst(y, odin_attr_f(n, "max")));
    }
    if (na > 1 && a[1]) y = f ? intrinsic2(c, "llvm.maxnum", y, a[1]) : intrinsic2(c, s ? "llvm.smax" : "llvm.umax", y, a[1]);
    if (na > 2 && a[2]) y = f ? intrinsic2(c, "llvm.minnum", y, a[2]) : intrinsic2(c, s ? "llvm.smin" : "llvm.umin", y, a[2]);
    return y;
}

/* any_dtype marks lowerings that also handle integer and bool operands */
const odin_lowering odin_lowerings_elementwise[] = {
    {"Add", NULL, l_add, true}, {"Sub", NULL, l_sub, true}, {"Mul", NULL, l_mul, true},
    {"Div", NULL, l_div, true}, {"Max", NULL, l_max, true}, {"Min", NULL, l_min, true},
    {"Sum", NULL, l_sum, false}, {"Mean", NULL, l_mean, false}, {"Neg", NULL, l_neg, true},
    {"Abs", NULL, l_abs, true}, {"Relu", NULL, l_relu, true},
    {"LeakyRelu", NULL, l_leaky, false}, {"PRelu", NULL, l_prelu, false},
    {"Exp", NULL, l_exp, false}, {"Log", NULL, l_log, false}, {"Tanh", NULL, l_tanh, false},
    {"Sigmoid", NULL, l_sigmoid, false}, {"Erf", NULL, l_erf, false},
    {"Softplus", NULL, l_softplus, false}, {"Sin", NULL, l_sin, false},
    {"Cos", NULL, l_cos, false}, {"Sqrt", NULL, l_sqrt, false}, {"Floor", NULL, l_floor, false},
    {"Ceil", NULL, l_ceil, false}, {"Round", NULL, l_round, false},
    {"Reciprocal", NULL, l_reciprocal, false}, {"Softsign", NULL, l_softsign, false},
    {"Identity", NULL, l_identity, true}, {"Gelu", NULL, l_gelu, false},
    {"Elu", NULL, l_elu, false}, {"HardSigmoid", NULL, l_hardsigmoid, false},
    {"HardSwish", NULL, l_hardswish, false}, {"Pow", NULL, l_pow, true},
    {"Equal", NULL, l_equal, true}, {"Less", NULL, l_less, true},
    {"Greater", NULL, l_greater, true}, {"LessOrEqual", NULL, l_less_eq, true},
    {"GreaterOrEqual", NULL, l_greater_eq, true}, {"Not", NULL, l_not, true},
    {"And", NULL, l_and, true}, {"Or", NULL, l_or, true}, {"Xor", NULL, l_xor, true},
    {"Where", NULL, l_where, true}, {"Cast", odin_lower_cast_kernel, l_cast, true, odin_cast_kernel_accepts}, {"Clip", NULL, l_clip, true},
    {NULL, NULL, NULL, false},
};

/* dtypes the scalar lowerings handle: f32, and for any_dtype ops (whose code follows the
 * operands' LLVM types) f64, ints and bool */
static bool elem_dtype_ok(odin_dtype t, bool any_dtype) {
    if (t == ODIN_F32 || is_half(t)) return true;
    if (!any_dtype) return false;
    if (t == ODIN_F64) return true;
    return t == ODIN_I8 || t == ODIN_U8 || t == ODIN_I16 || t == ODIN_I32 || t == ODIN_I64 ||
           t == ODIN_U16 || t == ODIN_U32 || t == ODIN_U64 || t == ODIN_BOOL;
}

bool odin_elem_fusable(const odin_graph *g, int ni) {
    const odin_node *n = &g->nodes[ni];
    const odin_lowering *l = odin_lowering_find(n);
    if (!l || !l->elem || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0) continue;
        odin_dtype t = g->tensors[n->inputs[i]].dtype;
        bool cond = !strcmp(n->op, "Where") && i == 0 && t == ODIN_BOOL;
        if (!cond && !elem_dtype_ok(t, l->any_dtype)) return false;
    }
    if (!elem_dtype_ok(g->tensors[n->outputs[0]].dtype, l->any_dtype)) return false;
    /* casts from or to half precision keep their exact kernel (bf16 truncation rules) */
    if ((!strcmp(n->op, "Cast") || !strcmp(n->op, "CastLike")) &&
        (is_half(g->tensors[n->outputs[0]].dtype) || (n->inputs[0] >= 0 && is_half(g->tensors[n->inputs[0]].dtype))))
        return false;
    /* Pow: f32 bases with any exponent, int32 / int64 bases with integer exponents only
     * (a float exponent of an integer base keeps the eval's exact double pow) */
    if (!strcmp(n->op, "Pow") && n->n_inputs == 2 && n->inputs[0] >= 0 && n->inputs[1] >= 0) {
        odin_dtype ta = compute_dtype(g->tensors[n->inputs[0]].dtype), tb = g->tensors[n->inputs[1]].dtype;
        if (ta != ODIN_F32 && (!(ta == ODIN_I32 || ta == ODIN_I64) || !odin_dtype_is_int(tb) || tb == ODIN_BOOL))
            return false;
    }
    /* Clip before opset 11 reads attributes; from 11 its bounds are inputs (handled) */
    return true;
}

/* ---- the loop nest of a fused group ---- */

typedef struct group_emit {
    const int *nodes;
    int n_nodes;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    int par_dim;                     /* the dim a parallel range splits (all before are 1) */
    int n_mem;                       /* tensors read from memory */
    int mem_tensor[128];
    int64_t mem_stride[128][ODIN_MAX_RANK];
    LLVMValueRef mem_ptr[128];
} group_emit;

static int mem_slot(group_emit *e, int t) {
    for (int i = 0; i < e->n_mem; i++)
        if (e->mem_tensor[i] == t) return i;
    return -1;
}

/* Per-dim element strides of tensor t broadcast to the loop shape (0 where broadcast). */
static void broadcast_strides(const odin_tensor *t, const group_emit *e, int64_t *stride) {
    int64_t s = 1;
    for (int d = e->rank - 1; d >= 0; d--) {
        int td = d - (e->rank - t->rank);
        int64_t dim = td >= 0 ? t->dims[td] : 1;
        stride[d] = dim == 1 ? 0 : s;
        s *= dim;
    }
}

/* The innermost computation at flat offsets off[slot] (one per memory tensor) and the
 * output's flat index `oi`. */
static odin_status emit_point(odin_lower_ctx *c, group_emit *e, LLVMValueRef *off, LLVMValueRef oi) {
    LLVMValueRef value_of[256] = {0};
    int value_tensor[256], n_values = 0;
    for (int k = 0; k < e->n_nodes; k++) {
        const odin_node *n = &c->g->nodes[e->nodes[k]];
        LLVMValueRef args[ODIN_LOWER_MAX_ARGS];
        for (int i = 0; i < n->n_inputs && i < ODIN_LOWER_MAX_ARGS; i++) {
            int t = n->inputs[i];
            args[i] = NULL;
            if (t < 0) continue;
            for (int v = 0; v < n_values; v++)
                if (value_tensor[v] == t) args[i] = value_of[v];
            if (!args[i]) {
                int slot = mem_slot(e, t);
                odin_dtype dt = c->g->tensors[t].dtype;
                args[i] = odin_load(c, odin_llvm_type(c, dt), e->mem_ptr[slot], off[slot]);
                if (is_half(dt)) args[i] = odin_half_to_f32(c, args[i], dt);
            }
        }
        const odin_lowering *l = odin_lowering_find(n);
        LLVMValueRef r = l->elem(c, n, args, n->n_inputs);
        int out = n->outputs[0];
        if (n_values < 256) {
            value_tensor[n_values] = out;
            value_of[n_values++] = r;
        }
        LLVMValueRef p = odin_tensor_ptr(c, out);
        if (p) odin_store(c, is_half(c->g->tensors[out].dtype) ? odin_f32_to_half(c, r, c->g->tensors[out].dtype) : r, p, oi);
    }
    return ODIN_OK;
}

/* Loops over dims [d, rank); offsets advance by each tensor's stride per dim. */
static odin_status emit_dims(odin_lower_ctx *c, group_emit *e, int d, LLVMValueRef *off,
                             LLVMValueRef oi, LLVMValueRef lo, LLVMValueRef hi) {
    if (d == e->rank) return emit_point(c, e, off, oi);
    /* unit dims ahead of the split dim: index 0, offsets unchanged, the range passes on */
    if (d < e->par_dim) return emit_dims(c, e, d + 1, off, oi, lo, hi);
    odin_loop l;
    LLVMValueRef i = odin_loop_begin(c, &l, lo ? lo : odin_i64(c, 0),
                                     hi ? hi : odin_i64(c, e->dims[d]), 1, "i");
    LLVMValueRef noff[128];
    for (int s = 0; s < e->n_mem; s++)
        noff[s] = e->mem_stride[s][d] == 0 ? off[s]
                  : LLVMBuildNSWAdd(c->b, off[s], LLVMBuildNSWMul(c->b, i, odin_i64(c, e->mem_stride[s][d]), ""), "");
    int64_t inner = 1;
    for (int k = d + 1; k < e->rank; k++) inner *= e->dims[k];
    LLVMValueRef noi = LLVMBuildNSWAdd(c->b, oi, LLVMBuildNSWMul(c->b, i, odin_i64(c, inner), ""), "");
    ODIN_TRY(emit_dims(c, e, d + 1, noff, noi, NULL, NULL));
    odin_loop_end(c, &l);
    return ODIN_OK;
}

static void bind_mem(odin_lower_ctx *c, group_emit *e) {
    for (int s = 0; s < e->n_mem; s++) e->mem_ptr[s] = odin_tensor_ptr(c, e->mem_tensor[s]);
}

static odin_status range_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    group_emit *e = user;
    bind_mem(c, e);
    LLVMValueRef off[128];
    for (int s = 0; s < e->n_mem; s++) off[s] = odin_i64(c, 0);
    return emit_dims(c, e, 0, off, odin_i64(c, 0), lo, hi);
}

odin_status odin_emit_elementwise_group(odin_lower_ctx *c, const int *nodes, int n) {
    group_emit *e = calloc(1, sizeof *e);
    if (!e) return odin_errorf("out of memory");
    e->nodes = nodes;
    e->n_nodes = n;
    const odin_tensor *out = &c->g->tensors[c->g->nodes[nodes[n - 1]].outputs[0]];
    e->rank = out->rank;
    memcpy(e->dims, out->dims, sizeof e->dims);
    /* tensors read from memory: inputs not produced inside the group */
    for (int k = 0; k < n; k++) {
        const odin_node *node = &c->g->nodes[nodes[k]];
        for (int i = 0; i < node->n_inputs; i++) {
            int t = node->inputs[i];
            if (t < 0 || mem_slot(e, t) >= 0) continue;
            bool internal = false;
            for (int j = 0; j < k; j++)
                if (c->g->nodes[nodes[j]].outputs[0] == t) internal = true;
            if (internal) continue;
            if (e->n_mem == 128) {
                free(e);
                return odin_errorf("fused group reads more than 128 tensors");
            }
            const odin_tensor *tt = &c->g->tensors[t];
            if (tt->rank > e->rank) {
                free(e);
                return odin_errorf("input '%s' has a higher rank than the output", tt->name);
            }
            e->mem_tensor[e->n_mem] = t;
            broadcast_strides(tt, e, e->mem_stride[e->n_mem]);
            e->n_mem++;
        }
    }
    int64_t total = 1;
    for (int d = 0; d < e->rank; d++) total *= e->dims[d];
    odin_status st;
    /* Large loops run in parallel over the outermost dim that is not 1 (a transformer's
     * [1, tokens, features] activations split by tokens, the rows a GEMM before them
     * split the same way, so each thread mostly reads what it wrote). */
    while (e->par_dim < e->rank - 1 && e->dims[e->par_dim] == 1) e->par_dim++;
    if (e->rank > 0 && e->dims[e->par_dim] > 1 && total >= (1 << 16)) {
        int64_t per_row = total / e->dims[e->par_dim];
        int64_t grain = (1 << 14) / (per_row ? per_row : 1);
        st = odin_parallel_range(c, e->dims[e->par_dim], grain > 0 ? grain : 1, range_body, e);
    } else {
        bind_mem(c, e);
        LLVMValueRef off[128];
        for (int s = 0; s < e->n_mem; s++) off[s] = odin_i64(c, 0);
        st = emit_dims(c, e, 0, off, odin_i64(c, 0), NULL, NULL);
    }
    free(e);
    return st;
}
