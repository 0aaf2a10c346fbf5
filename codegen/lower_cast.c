/* codegen/lower_cast.c — Cast / CastLike between any numeric dtypes and bool, f16, bf16
 * and f64 included (the scalar lowering in lower_elementwise.c covers f32, ints and bool
 * inside fused loops). Mirrors odin_ew_convert: every value goes through double (floats),
 * int64 (signed) or uint64 (unsigned); float -> int saturates to int64 (NaN -> 0) and
 * wraps to the target; narrowing to f16 / bf16 rounds double to float "to odd" first so
 * the second rounding equals a direct one; bf16 before Cast-19 truncates a float. */
#include "lower_cast.h"

#include <string.h>

#include "lower_util.h"

typedef enum { K_FLOAT, K_SINT, K_UINT, K_BOOL, K_OTHER } kind;

static kind kind_of(odin_dtype t) {
    switch (t) {
    case ODIN_F16: case ODIN_BF16: case ODIN_F32: case ODIN_F64: return K_FLOAT;
    case ODIN_I8: case ODIN_I16: case ODIN_I32: case ODIN_I64: return K_SINT;
    case ODIN_U8: case ODIN_U16: case ODIN_U32: case ODIN_U64: return K_UINT;
    case ODIN_BOOL: return K_BOOL;
    default: return K_OTHER;
    }
}

bool odin_cast_kernel_accepts(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || n->inputs[0] < 0 || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    return kind_of(g->tensors[n->inputs[0]].dtype) != K_OTHER &&
           kind_of(g->tensors[n->outputs[0]].dtype) != K_OTHER;
}

static LLVMValueRef i32c(odin_lower_ctx *c, uint32_t v) { return LLVMConstInt(c->t_i32, v, 0); }
static LLVMValueRef sel(odin_lower_ctx *c, LLVMValueRef cond, LLVMValueRef a, LLVMValueRef b) {
    return LLVMBuildSelect(c->b, cond, a, b, "");
}
static LLVMValueRef ucmp(odin_lower_ctx *c, LLVMIntPredicate p, LLVMValueRef a, uint32_t k) {
    return LLVMBuildICmp(c->b, p, a, i32c(c, k), "");
}
static LLVMValueRef f32_bits(odin_lower_ctx *c, LLVMValueRef f) { return LLVMBuildBitCast(c->b, f, c->t_i32, ""); }
static LLVMValueRef bits_f32(odin_lower_ctx *c, LLVMValueRef u) { return LLVMBuildBitCast(c->b, u, c->t_f32, ""); }

/* f16 bits (i16) -> float (exact), as odin_f16_to_f32. */
static LLVMValueRef f16_to_f32(odin_lower_ctx *c, LLVMValueRef h16) {
    LLVMValueRef h = LLVMBuildZExt(c->b, h16, c->t_i32, "");
    LLVMValueRef sign = LLVMBuildShl(c->b, LLVMBuildAnd(c->b, h, i32c(c, 0x8000), ""), i32c(c, 16), "");
    LLVMValueRef ex = LLVMBuildAnd(c->b, LLVMBuildLShr(c->b, h, i32c(c, 10), ""), i32c(c, 0x1f), "");
    LLVMValueRef man = LLVMBuildAnd(c->b, h, i32c(c, 0x3ff), "");
    LLVMValueRef man13 = LLVMBuildShl(c->b, man, i32c(c, 13), "");
    LLVMValueRef normal = LLVMBuildOr(c->b, LLVMBuildShl(c->b, LLVMBuildAdd(c->b, ex, i32c(c, 112), ""),
                                                         i32c(c, 23), ""), man13, "");
    LLVMValueRef special = LLVMBuildOr(c->b, i32c(c, 0x7f800000u), man13, "");
    LLVMValueRef sub = f32_bits(c, LLVMBuildFMul(c->b, LLVMBuildUIToFP(c->b, man, c->t_f32, ""),
                                                 LLVMConstReal(c->t_f32, 0x1p-24), ""));
    LLVMValueRef mag = sel(c, ucmp(c, LLVMIntEQ, ex, 0x1f), special,
                           sel(c, ucmp(c, LLVMIntEQ, ex, 0), sub, normal));
    return bits_f32(c, LLVMBuildOr(c->b, mag, sign, ""));
}

/* float -> f16 bits (i16), round to nearest even, as odin_f32_to_f16. */
static LLVMValueRef f32_to_f16(odin_lower_ctx *c, LLVMValueRef f) {
    LLVMValueRef u = f32_bits(c, f);
    LLVMValueRef sign = LLVMBuildAnd(c->b, LLVMBuildLShr(c->b, u, i32c(c, 16), ""), i32c(c, 0x8000), "");
    LLVMValueRef a = LLVMBuildAnd(c->b, u, i32c(c, 0x7fffffffu), "");
    LLVMValueRef nan_inf = sel(c, ucmp(c, LLVMIntUGT, a, 0x7f800000u), i32c(c, 0x7e00), i32c(c, 0x7c00));
    /* subnormal result: round a * 2^24 to an integer, ties to even */
    LLVMValueRef scaled = LLVMBuildFMul(c->b, bits_f32(c, a), LLVMConstReal(c->t_f32, 0x1p24), "");
    LLVMValueRef rounded = odin_intrinsic(c, "llvm.rint", c->t_f32, &scaled, 1);
    LLVMValueRef sub = LLVMBuildFPToUI(c->b, rounded, c->t_i32, "");
    LLVMValueRef odd = LLVMBuildAnd(c->b, LLVMBuildLShr(c->b, a, i32c(c, 13), ""), i32c(c, 1), "");
    LLVMValueRef r = LLVMBuildAdd(c->b, LLVMBuildAdd(c->b, a, i32c(c, 0xfff), ""), odd, "");
    LLVMValueRef normal = LLVMBuildLShr(c->b, LLVMBuildSub(c->b, r, i32c(c, 0x38000000u), ""), i32c(c, 13), "");
    LLVMValueRef h = sel(c, ucmp(c, LLVMIntUGE, a, 0x7f800000u), nan_inf,
                         sel(c, ucmp(c, LLVMIntUGE, a, 0x477ff000u), i32c(c, 0x7c00),
                             sel(c, ucmp(c, LLVMIntULT, a, 0x38800000u), sub, normal)));
    return LLVMBuildTrunc(c->b, LLVMBuildOr(c->b, h, sign, ""), c->t_i16, "");
}

/* float -> bf16 bits: round to nearest even (quiet NaN), or truncation (before opset 19). */
static LLVMValueRef f32_to_bf16(odin_lower_ctx *c, LLVMValueRef f, bool truncate) {
    LLVMValueRef u = f32_bits(c, f);
    LLVMValueRef is_nan = ucmp(c, LLVMIntUGT, LLVMBuildAnd(c->b, u, i32c(c, 0x7fffffffu), ""), 0x7f800000u);
    LLVMValueRef r;
    if (truncate) {
        r = sel(c, is_nan, LLVMBuildOr(c->b, u, i32c(c, 0x400000u), ""), u);
    } else {
        LLVMValueRef odd = LLVMBuildAnd(c->b, LLVMBuildLShr(c->b, u, i32c(c, 16), ""), i32c(c, 1), "");
        LLVMValueRef rn = LLVMBuildAdd(c->b, LLVMBuildAdd(c->b, u, i32c(c, 0x7fff), ""), odd, "");
        r = sel(c, is_nan, LLVMBuildOr(c->b, u, i32c(c, 0x400000u), ""), rn);
    }
    return LLVMBuildTrunc(c->b, LLVMBuildLShr(c->b, r, i32c(c, 16), ""), c->t_i16, "");
}

/* double -> float rounded toward zero with the last bit set when inexact. */
static LLVMValueRef round_to_odd(odin_lower_ctx *c, LLVMValueRef d) {
    LLVMValueRef f = LLVMBuildFPTrunc(c->b, d, c->t_f32, "");
    LLVMValueRef back = LLVMBuildFPExt(c->b, f, c->t_f64, "");
    LLVMValueRef exact = LLVMBuildFCmp(c->b, LLVMRealUEQ, back, d, ""); /* NaN: keep */
    LLVMValueRef ad = odin_intrinsic(c, "llvm.fabs", c->t_f64, &d, 1);
    LLVMValueRef ab = odin_intrinsic(c, "llvm.fabs", c->t_f64, &back, 1);
    LLVMValueRef over = LLVMBuildFCmp(c->b, LLVMRealOGT, ab, ad, "");
    LLVMValueRef u = f32_bits(c, f);
    u = sel(c, over, LLVMBuildSub(c->b, u, i32c(c, 1), ""), u);
    u = LLVMBuildOr(c->b, u, i32c(c, 1), "");
    return sel(c, exact, f, bits_f32(c, u));
}

/* llvm.fptosi.sat / llvm.fptoui.sat: i64 result of a double (NaN -> 0, saturating). */
static LLVMValueRef fp_to_int_sat(odin_lower_ctx *c, const char *name, LLVMValueRef d) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef types[2] = {c->t_i64, c->t_f64};
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(c->m, id, types, 2);
    LLVMTypeRef fty = LLVMIntrinsicGetType(c->c, id, types, 2);
    return LLVMBuildCall2(c->b, fty, fn, &d, 1, "");
}

LLVMValueRef odin_half_to_f32(odin_lower_ctx *c, LLVMValueRef bits, odin_dtype t) {
    if (t == ODIN_F16) return f16_to_f32(c, bits);
    return bits_f32(c, LLVMBuildShl(c->b, LLVMBuildZExt(c->b, bits, c->t_i32, ""), i32c(c, 16), ""));
}

LLVMValueRef odin_f32_to_half(odin_lower_ctx *c, LLVMValueRef f, odin_dtype t) {
    return t == ODIN_F16 ? f32_to_f16(c, f) : f32_to_bf16(c, f, false);
}

/* Load element i of dtype t as a double / i64 / u64 per its kind (bool as u64). */
static LLVMValueRef load_wide(odin_lower_ctx *c, odin_dtype t, LLVMValueRef i) {
    LLVMValueRef v = odin_load(c, odin_llvm_type(c, t), c->in[0], i);
    switch (t) {
    case ODIN_F16: return LLVMBuildFPExt(c->b, f16_to_f32(c, v), c->t_f64, "");
    case ODIN_BF16: {
        LLVMValueRef u = LLVMBuildShl(c->b, LLVMBuildZExt(c->b, v, c->t_i32, ""), i32c(c, 16), "");
        return LLVMBuildFPExt(c->b, bits_f32(c, u), c->t_f64, "");
    }
    case ODIN_F32: return LLVMBuildFPExt(c->b, v, c->t_f64, "");
    case ODIN_F64: return v;
    default:
        if (t == ODIN_I64 || t == ODIN_U64) return v;
        return kind_of(t) == K_SINT ? LLVMBuildSExt(c->b, v, c->t_i64, "") : LLVMBuildZExt(c->b, v, c->t_i64, "");
    }
}

/* A double stored as a narrow float dtype. */
static LLVMValueRef store_double_as(odin_lower_ctx *c, LLVMValueRef d, odin_dtype to, bool bf16_truncate) {
    switch (to) {
    case ODIN_F64: return d;
    case ODIN_F32: return LLVMBuildFPTrunc(c->b, d, c->t_f32, "");
    case ODIN_F16: return f32_to_f16(c, round_to_odd(c, d));
    default: return f32_to_bf16(c, round_to_odd(c, d), bf16_truncate);
    }
}

static LLVMValueRef convert(odin_lower_ctx *c, LLVMValueRef v, odin_dtype from, odin_dtype to, int opset) {
    kind kf = kind_of(from), kt = kind_of(to);
    LLVMTypeRef ty = odin_llvm_type(c, to);
    if (kt == K_BOOL) {
        LLVMValueRef nz = kf == K_FLOAT ? LLVMBuildFCmp(c->b, LLVMRealUNE, v, LLVMConstReal(c->t_f64, 0), "")
                                        : LLVMBuildICmp(c->b, LLVMIntNE, v, odin_i64(c, 0), "");
        return LLVMBuildZExt(c->b, nz, ty, "");
    }
    if (kf == K_FLOAT) {
        if (to == ODIN_BF16 && from != ODIN_BF16 && opset < 19) /* truncation of the float */
            return f32_to_bf16(c, LLVMBuildFPTrunc(c->b, v, c->t_f32, ""), true);
        if (kt == K_FLOAT) return from == to && to == ODIN_F64 ? v : store_double_as(c, v, to, false);
        /* NaN -> 0, saturate to int64 (u64: to uint64 from 2^63 up), then wrap */
        LLVMValueRef s = fp_to_int_sat(c, "llvm.fptosi.sat", v);
        if (to == ODIN_U64) {
            LLVMValueRef big = LLVMBuildFCmp(c->b, LLVMRealOGE, v, LLVMConstReal(c->t_f64, 9223372036854775808.0), "");
            s = sel(c, big, fp_to_int_sat(c, "llvm.fptoui.sat", v), s);
        }
        return to == ODIN_I64 || to == ODIN_U64 ? s : LLVMBuildTrunc(c->b, s, ty, "");
    }
    bool s = kf == K_SINT;
    if (kt == K_FLOAT) {
        if (to == ODIN_F32 || to == ODIN_F64)
            return s ? LLVMBuildSIToFP(c->b, v, ty, "") : LLVMBuildUIToFP(c->b, v, ty, "");
        LLVMValueRef d = s ? LLVMBuildSIToFP(c->b, v, c->t_f64, "") : LLVMBuildUIToFP(c->b, v, c->t_f64, "");
        return store_double_as(c, d, to, false);
    }
    return to == ODIN_I64 || to == ODIN_U64 ? v : LLVMBuildTrunc(c->b, v, ty, "");
}

odin_status odin_lower_cast_kernel(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    odin_dtype from = c->g->tensors[n->inputs[0]].dtype, to = c->g->tensors[n->outputs[0]].dtype;
    if (!odin_cast_kernel_accepts(c->g, c->node)) return odin_errorf("unsupported cast");
    int64_t count = odin_tensor_numel(&c->g->tensors[n->outputs[0]]);
    if (count == 0) return ODIN_OK;
    odin_loop l;
    LLVMValueRef i = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, count), 1, "i");
    LLVMValueRef v = convert(c, load_wide(c, from, i), from, to, c->g->opset);
    odin_store(c, v, c->out[0], i);
    odin_loop_end(c, &l);
    return ODIN_OK;
}
