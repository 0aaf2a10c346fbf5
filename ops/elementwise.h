/* ops/elementwise.h — helpers shared by the elementwise op families (elementwise.c,
 * elementwise_binary.c, elementwise_cast.c) and quant.c: dtype sets, element conversion
 * with ONNX Cast semantics, and the dtype check every infer starts with. */
#ifndef ODIN_ELEMENTWISE_H
#define ODIN_ELEMENTWISE_H

#include "op.h"

/* Sets of dtypes, one bit per odin_dtype. */
#define ODIN_EW_BIT(t) (1u << (t))
#define ODIN_EW_FLOATS                                                                     \
    (ODIN_EW_BIT(ODIN_F32) | ODIN_EW_BIT(ODIN_F64) | ODIN_EW_BIT(ODIN_F16) | ODIN_EW_BIT(ODIN_BF16))
#define ODIN_EW_SINTS                                                                      \
    (ODIN_EW_BIT(ODIN_I8) | ODIN_EW_BIT(ODIN_I16) | ODIN_EW_BIT(ODIN_I32) | ODIN_EW_BIT(ODIN_I64))
#define ODIN_EW_UINTS                                                                      \
    (ODIN_EW_BIT(ODIN_U8) | ODIN_EW_BIT(ODIN_U16) | ODIN_EW_BIT(ODIN_U32) | ODIN_EW_BIT(ODIN_U64))
#define ODIN_EW_INTS (ODIN_EW_SINTS | ODIN_EW_UINTS)
#define ODIN_EW_NUMERIC (ODIN_EW_FLOATS | ODIN_EW_INTS)
#define ODIN_EW_BOOLS ODIN_EW_BIT(ODIN_BOOL)
#define ODIN_EW_ALL (ODIN_EW_NUMERIC | ODIN_EW_BOOLS)

/* How an element is computed on: as double, int64 (signed ints) or uint64 (unsigned
 * ints and bool). Arithmetic in the wide type then wrapping on store gives ONNX's
 * (numpy's) modular integer results. */
typedef enum odin_ew_kind { ODIN_EW_KIND_FLOAT, ODIN_EW_KIND_SINT, ODIN_EW_KIND_UINT,
                            ODIN_EW_KIND_OTHER } odin_ew_kind;
odin_ew_kind odin_ew_kind_of(odin_dtype t);

/* Store v into element i of a buffer of dtype t. Integer targets wrap (two's complement);
 * from double: truncate toward zero, NaN -> 0, beyond int64/uint64 range saturates
 * before wrapping (C leaves that undefined); float16/bfloat16 round to nearest even
 * directly from double (no double rounding). */
void odin_ew_store_f64(void *data, odin_dtype t, size_t i, double v);
void odin_ew_store_i64(void *data, odin_dtype t, size_t i, int64_t v);
void odin_ew_store_u64(void *data, odin_dtype t, size_t i, uint64_t v);
static inline uint64_t odin_ew_load_u64(const void *data, odin_dtype t, size_t i) {
    return (uint64_t)odin_load_as_i64(data, t, i);
}

/* Element src[i] (dtype st) converted to dst[j] (dtype dt) with ONNX Cast semantics. */
void odin_ew_convert(const void *src, odin_dtype st, size_t i, void *dst, odin_dtype dt,
                     size_t j);

/* Error unless input idx's dtype is in `mask`; the message lists what is allowed. */
odin_status odin_ew_check_dtype(const odin_op_ctx *ctx, int idx, unsigned mask);

#endif
