/* ir/odin_format.h — private to ir/serialize*.c: the constants of the .odin format
 * (schema ir/odin.fbs): field ids, enum values and the data-section alignment. The ids
 * are the fields' positions in their tables in odin.fbs; keep the two in step. */
#ifndef ODIN_FORMAT_H
#define ODIN_FORMAT_H

#include "dtype.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the .odin reader/writer assume a little-endian host (weights are used in place)"
#endif

#define ODIN_FORMAT_IDENT "ODIN"
enum { ODIN_FORMAT_VERSION = 1, ODIN_DATA_ALIGN = 64 };

enum { KV_KEY, KV_VALUE };
enum {
    TENSOR_NAME, TENSOR_DTYPE, TENSOR_UNKNOWN_RANK, TENSOR_DIMS, TENSOR_DIM_PARAMS,
    TENSOR_FLAGS, TENSOR_DATA_OFFSET, TENSOR_DATA_SIZE, TENSOR_STRING_DATA
};
enum { ATT_DTYPE, ATT_UNKNOWN_RANK, ATT_DIMS, ATT_DATA, ATT_STRINGS };
enum { ATTR_NAME, ATTR_KIND, ATTR_I, ATTR_F, ATTR_S, ATTR_INTS, ATTR_FLOATS, ATTR_STRINGS, ATTR_T };
enum { NODE_NAME, NODE_OP, NODE_DOMAIN, NODE_INPUTS, NODE_OUTPUTS, NODE_ATTRS };
enum {
    MODEL_FORMAT_VERSION, MODEL_NAME, MODEL_OPSET, MODEL_OPSET_MS, MODEL_METADATA,
    MODEL_TENSORS, MODEL_NODES, MODEL_INPUTS, MODEL_OUTPUTS
};

/* TensorFlags bits in the file (odin.fbs); equal to odin_tensor_flags by design. */
enum { FB_FLAG_INPUT = 1, FB_FLAG_OUTPUT = 2, FB_FLAG_CONST = 4, FB_FLAG_EXTERNAL = 8 };

/* DType in the file <-> odin_dtype. The file values are frozen; odin_dtype may change. */
static const odin_dtype odin_fb_dtypes[] = {
    ODIN_UNDEFINED, ODIN_F32, ODIN_F64, ODIN_F16, ODIN_BF16, ODIN_I8,   ODIN_U8,    ODIN_I16,
    ODIN_U16,       ODIN_I32, ODIN_U32, ODIN_I64, ODIN_U64,  ODIN_BOOL, ODIN_STRING};
enum { ODIN_FB_N_DTYPES = sizeof odin_fb_dtypes / sizeof odin_fb_dtypes[0] };

static inline int odin_fb_dtype_code(odin_dtype t) {
    for (int i = 0; i < ODIN_FB_N_DTYPES; i++)
        if (odin_fb_dtypes[i] == t) return i;
    return -1;
}

#endif
