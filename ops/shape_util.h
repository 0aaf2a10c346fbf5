/* ops/shape_util.h — helpers shared by the data-movement op families (shape, gather,
 * misc): reading shape-like integer inputs, checked output shapes, strides and a
 * strided element copy. Also declares the op definitions that live in their own files
 * (pad.c, layout.c, scatter.c, topk.c, resize.c) but are listed in a family table. */
#ifndef ODIN_OPS_SHAPE_UTIL_H
#define ODIN_OPS_SHAPE_UTIL_H

#include "op.h"

/* Read an integer tensor (any int dtype, rank 0 or 1) with known data into out[0..max).
 * `what` names the input in errors ("shape", "starts"). */
odin_status odin_value_ints(const odin_value *v, const char *what, int64_t *out, int max,
                            int *n);
/* True when the value's data is known (constant during infer, always during eval). */
static inline bool odin_value_known(const odin_value *v) {
    return v->data != NULL || odin_value_numel(v) == 0;
}
/* Set out[i] after checking that every known dim is >= 0 and that the element count
 * stays allocatable (so a hostile shape input cannot overflow a size computation). */
odin_status odin_op_set_output_checked(odin_op_ctx *ctx, int i, odin_dtype dtype, int rank,
                                       const int64_t *dims);
/* C-order strides (in elements) of dims[0..rank). */
void odin_strides(int rank, const int64_t *dims, int64_t *strides);
/* dst[o] = src[offset + sum_d idx_d(o) * strides[d]] for every o of the C-order box
 * dims[0..rank) (rank <= 2*ODIN_MAX_RANK); strides may be 0 or negative. */
void odin_strided_copy(void *dst, const void *src, size_t esize, int rank, const int64_t *dims,
                       const int64_t *strides, int64_t offset);
/* Product of dims[lo..hi). */
int64_t odin_dims_prod(const int64_t *dims, int lo, int hi);

/* Definitions listed in a family table but defined in their own file. */
extern const odin_op_def odin_op_pad, odin_op_depth_to_space, odin_op_space_to_depth,
    odin_op_trilu, odin_op_scatter_nd, odin_op_scatter_elements, odin_op_scatter,
    odin_op_topk, odin_op_unique, odin_op_resize, odin_op_upsample;

#endif
