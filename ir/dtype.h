/* ir/dtype.h — element types of ODIN tensors, their sizes and names, and the
 * float16 / bfloat16 storage conversions (both are converted to f32 on load). */
#ifndef ODIN_DTYPE_H
#define ODIN_DTYPE_H

#include <stddef.h>
#include <stdint.h>

typedef enum odin_dtype {
    ODIN_UNDEFINED = 0,
    ODIN_F32,
    ODIN_F64,
    ODIN_F16,
    ODIN_BF16,
    ODIN_I8,
    ODIN_U8,
    ODIN_I16,
    ODIN_U16,
    ODIN_I32,
    ODIN_U32,
    ODIN_I64,
    ODIN_U64,
    ODIN_BOOL, /* one byte, 0 or 1 */
    ODIN_STRING, /* element is a const char * (only in Constant/attribute data) */
    ODIN_DTYPE_COUNT
} odin_dtype;

size_t odin_dtype_size(odin_dtype t);        /* bytes per element; 0 for UNDEFINED */
const char *odin_dtype_name(odin_dtype t);   /* "f32", "i64", "bool", ... */
odin_dtype odin_dtype_from_name(const char *name); /* ODIN_UNDEFINED if unknown */
int odin_dtype_is_float(odin_dtype t);
int odin_dtype_is_int(odin_dtype t);  /* signed or unsigned integer, not bool */
int odin_dtype_is_signed(odin_dtype t);

/* ONNX TensorProto.DataType codes. ONNX ops keep ONNX attribute semantics in the IR
 * (Cast's `to` is such a code), so the mapping lives with the dtypes. */
odin_dtype odin_dtype_from_onnx(int code); /* ODIN_UNDEFINED if unsupported */
int odin_dtype_to_onnx(odin_dtype t);      /* 0 if none */

float odin_f16_to_f32(uint16_t h);
uint16_t odin_f32_to_f16(float f);   /* round to nearest even */
float odin_bf16_to_f32(uint16_t h);
uint16_t odin_f32_to_bf16(float f);  /* round to nearest even */

/* Element i of a buffer of dtype t, read as double / written from double
 * (the slow generic path used by reference kernels and printers). */
double odin_load_as_f64(const void *data, odin_dtype t, size_t i);
void odin_store_from_f64(void *data, odin_dtype t, size_t i, double v);
int64_t odin_load_as_i64(const void *data, odin_dtype t, size_t i);

#endif
