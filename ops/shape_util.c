/* ops/shape_util.c — see shape_util.h. */
#include "shape_util.h"

#include <string.h>

/* Largest element count an op may produce: keeps count * 16 bytes far from overflow. */
#define MAX_ELEMENTS ((int64_t)1 << 48)

odin_status odin_value_ints(const odin_value *v, const char *what, int64_t *out, int max,
                            int *n) {
    if (!odin_dtype_is_int(v->dtype))
        return odin_errorf("%s must be an integer tensor, got %s", what, odin_dtype_name(v->dtype));
    if (v->rank > 1)
        return odin_errorf("%s must be a scalar or 1-D tensor, got rank %d", what, v->rank);
    int64_t count = odin_value_numel(v);
    if (count < 0) return odin_errorf("%s has an unknown length", what);
    if (count > max) return odin_errorf("%s has %lld values, at most %d allowed", what,
                                        (long long)count, max);
    for (int64_t i = 0; i < count; i++) out[i] = odin_load_as_i64(v->data, v->dtype, (size_t)i);
    *n = (int)count;
    return ODIN_OK;
}

odin_status odin_op_set_output_checked(odin_op_ctx *ctx, int i, odin_dtype dtype, int rank,
                                       const int64_t *dims) {
    if (rank > ODIN_MAX_RANK)
        return odin_errorf("output %d would have rank %d, more than %d", i, rank, ODIN_MAX_RANK);
    int64_t total = 1;
    for (int d = 0; d < rank && dims; d++) {
        if (dims[d] < -1) return odin_errorf("output %d would have negative dim %lld", i,
                                             (long long)dims[d]);
        if (dims[d] < 0) continue;
        if (dims[d] > MAX_ELEMENTS || (dims[d] && total > MAX_ELEMENTS / dims[d])) {
            char buf[160];
            odin_format_shape(buf, sizeof buf, rank, dims, NULL);
            return odin_errorf("output %d shape %s is too large", i, buf);
        }
        total *= dims[d];
    }
    odin_op_set_output(ctx, i, dtype, rank, dims);
    return ODIN_OK;
}

void odin_strides(int rank, const int64_t *dims, int64_t *strides) {
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        strides[d] = s;
        s *= dims[d];
    }
}

int64_t odin_dims_prod(const int64_t *dims, int lo, int hi) {
    int64_t p = 1;
    for (int d = lo; d < hi; d++) p *= dims[d];
    return p;
}

void odin_strided_copy(void *dst, const void *src, size_t esize, int rank, const int64_t *dims,
                       const int64_t *strides, int64_t offset) {
    int64_t n = odin_dims_prod(dims, 0, rank);
    if (n <= 0) return;
    int64_t idx[2 * ODIN_MAX_RANK] = {0};
    int64_t off = offset;
    char *d = dst;
    const char *s = src;
    for (int64_t o = 0; o < n; o++) {
        memcpy(d + (size_t)o * esize, s + (size_t)off * esize, esize);
        /* odometer: advance the last axis, carry into earlier ones */
        for (int k = rank - 1; k >= 0; k--) {
            off += strides[k];
            if (++idx[k] < dims[k]) break;
            off -= strides[k] * dims[k];
            idx[k] = 0;
        }
    }
}
