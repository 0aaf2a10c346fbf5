#include "dtype.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtype_info[ODIN_DTYPE_COUNT] = {
    [ODIN_UNDEFINED] = {"undefined", 0}, [ODIN_F32] = {"f32", 4},  [ODIN_F64] = {"f64", 8},
    [ODIN_F16] = {"f16", 2},             [ODIN_BF16] = {"bf16", 2}, [ODIN_I8] = {"i8", 1},
    [ODIN_U8] = {"u8", 1},               [ODIN_I16] = {"i16", 2},  [ODIN_U16] = {"u16", 2},
    [ODIN_I32] = {"i32", 4},             [ODIN_U32] = {"u32", 4},  [ODIN_I64] = {"i64", 8},
    [ODIN_U64] = {"u64", 8},             [ODIN_BOOL] = {"bool", 1},
    [ODIN_STRING] = {"string", sizeof(char *)},
};

size_t odin_dtype_size(odin_dtype t) {
    return (unsigned)t < ODIN_DTYPE_COUNT ? dtype_info[t].size : 0;
}

const char *odin_dtype_name(odin_dtype t) {
    return (unsigned)t < ODIN_DTYPE_COUNT ? dtype_info[t].name : "invalid";
}

odin_dtype odin_dtype_from_name(const char *name) {
    for (int t = 1; t < ODIN_DTYPE_COUNT; t++)
        if (strcmp(dtype_info[t].name, name) == 0) return (odin_dtype)t;
    return ODIN_UNDEFINED;
}

int odin_dtype_is_float(odin_dtype t) {
    return t == ODIN_F32 || t == ODIN_F64 || t == ODIN_F16 || t == ODIN_BF16;
}

int odin_dtype_is_int(odin_dtype t) { return t >= ODIN_I8 && t <= ODIN_U64; }

int odin_dtype_is_signed(odin_dtype t) {
    return t == ODIN_I8 || t == ODIN_I16 || t == ODIN_I32 || t == ODIN_I64 || odin_dtype_is_float(t);
}

static const odin_dtype onnx_codes[] = {
    [1] = ODIN_F32, [2] = ODIN_U8,   [3] = ODIN_I8,   [4] = ODIN_U16,  [5] = ODIN_I16,
    [6] = ODIN_I32, [7] = ODIN_I64,  [8] = ODIN_STRING, [9] = ODIN_BOOL, [10] = ODIN_F16,
    [11] = ODIN_F64, [12] = ODIN_U32, [13] = ODIN_U64, [16] = ODIN_BF16,
};

odin_dtype odin_dtype_from_onnx(int code) {
    if (code < 0 || code >= (int)(sizeof onnx_codes / sizeof onnx_codes[0])) return ODIN_UNDEFINED;
    return onnx_codes[code];
}

int odin_dtype_to_onnx(odin_dtype t) {
    for (int c = 1; c < (int)(sizeof onnx_codes / sizeof onnx_codes[0]); c++)
        if (onnx_codes[c] == t && t != ODIN_UNDEFINED) return c;
    return 0;
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float odin_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    if (exp == 0x1f) return bits_f32(sign | 0x7f800000u | (man << 13)); /* inf / nan */
    if (exp == 0) {
        /* zero or subnormal: value = man * 2^-24 */
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t odin_f32_to_f16(float f) {
    uint32_t u = f32_bits(f);
    uint16_t sign = (u >> 16) & 0x8000;
    uint32_t absu = u & 0x7fffffffu;
    if (absu >= 0x7f800000u) /* inf or nan */
        return sign | 0x7c00 | (absu > 0x7f800000u ? 0x200 : 0);
    if (absu >= 0x477ff000u) return sign | 0x7c00; /* rounds to >= 65520: overflow */
    if (absu < 0x38800000u) {
        /* result is subnormal (or zero): round absu * 2^24 to an integer, ties even */
        float a = bits_f32(absu) * 0x1p24f;
        return sign | (uint16_t)nearbyintf(a);
    }
    /* normal: drop 13 mantissa bits with round-to-nearest-even */
    uint32_t rounded = absu + 0xfffu + ((absu >> 13) & 1);
    return sign | (uint16_t)((rounded - 0x38000000u) >> 13);
}

float odin_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

uint16_t odin_f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet nan */
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

double odin_load_as_f64(const void *data, odin_dtype t, size_t i) {
    switch (t) {
    case ODIN_F32: return ((const float *)data)[i];
    case ODIN_F64: return ((const double *)data)[i];
    case ODIN_F16: return odin_f16_to_f32(((const uint16_t *)data)[i]);
    case ODIN_BF16: return odin_bf16_to_f32(((const uint16_t *)data)[i]);
    case ODIN_I8: return ((const int8_t *)data)[i];
    case ODIN_U8: return ((const uint8_t *)data)[i];
    case ODIN_I16: return ((const int16_t *)data)[i];
    case ODIN_U16: return ((const uint16_t *)data)[i];
    case ODIN_I32: return ((const int32_t *)data)[i];
    case ODIN_U32: return ((const uint32_t *)data)[i];
    case ODIN_I64: return (double)((const int64_t *)data)[i];
    case ODIN_U64: return (double)((const uint64_t *)data)[i];
    case ODIN_BOOL: return ((const uint8_t *)data)[i] != 0;
    default: return 0;
    }
}

int64_t odin_load_as_i64(const void *data, odin_dtype t, size_t i) {
    switch (t) {
    case ODIN_I64: return ((const int64_t *)data)[i];
    case ODIN_U64: return (int64_t)((const uint64_t *)data)[i];
    case ODIN_I32: return ((const int32_t *)data)[i];
    case ODIN_U32: return ((const uint32_t *)data)[i];
    case ODIN_I16: return ((const int16_t *)data)[i];
    case ODIN_U16: return ((const uint16_t *)data)[i];
    case ODIN_I8: return ((const int8_t *)data)[i];
    case ODIN_U8: return ((const uint8_t *)data)[i];
    case ODIN_BOOL: return ((const uint8_t *)data)[i] != 0;
    default: {
        double v = odin_load_as_f64(data, t, i);
        if (isnan(v)) return 0;
        if (v >= 9.2233720368547758e18) return INT64_MAX;
        if (v <= -9.2233720368547758e18) return INT64_MIN;
        return (int64_t)v;
    }
    }
}

void odin_store_from_f64(void *data, odin_dtype t, size_t i, double v) {
    switch (t) {
    case ODIN_F32: ((float *)data)[i] = (float)v; break;
    case ODIN_F64: ((double *)data)[i] = v; break;
    case ODIN_F16: ((uint16_t *)data)[i] = odin_f32_to_f16((float)v); break;
    case ODIN_BF16: ((uint16_t *)data)[i] = odin_f32_to_bf16((float)v); break;
    /* integer stores truncate toward zero and wrap like a C cast of the int64 value */
    case ODIN_I8: ((int8_t *)data)[i] = (int8_t)(int64_t)v; break;
    case ODIN_U8: ((uint8_t *)data)[i] = (uint8_t)(int64_t)v; break;
    case ODIN_I16: ((int16_t *)data)[i] = (int16_t)(int64_t)v; break;
    case ODIN_U16: ((uint16_t *)data)[i] = (uint16_t)(int64_t)v; break;
    case ODIN_I32: ((int32_t *)data)[i] = (int32_t)(int64_t)v; break;
    case ODIN_U32: ((uint32_t *)data)[i] = (uint32_t)(int64_t)v; break;
    case ODIN_I64: ((int64_t *)data)[i] = (int64_t)v; break;
    case ODIN_U64: ((uint64_t *)data)[i] = v < 0 ? (uint64_t)(int64_t)v : (uint64_t)v; break;
    case ODIN_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    default: break;
    }
}
