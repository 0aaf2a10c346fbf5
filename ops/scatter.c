/* ops/scatter.c — ScatterND, ScatterElements and the deprecated Scatter (listed in the
 * 'gather' family): the output is a copy of data with indexed positions replaced or
 * combined (reduction add / mul / max / min). Duplicate indices apply in index order. */
#include <string.h>

#include "op.h"
#include "shape_util.h"

#define MAXR ODIN_MAX_RANK

typedef enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } reduction;

static odin_status reduction_of(odin_op_ctx *ctx, reduction *r) {
    const char *s = odin_attr_s(ctx->node, "reduction");
    if (!s || !strcmp(s, "none")) *r = RED_NONE;
    else if (!strcmp(s, "add")) *r = RED_ADD;
    else if (!strcmp(s, "mul")) *r = RED_MUL;
    else if (!strcmp(s, "max")) *r = RED_MAX;
    else if (!strcmp(s, "min")) *r = RED_MIN;
    else return odin_errorf("unknown reduction '%s'", s);
    return ODIN_OK;
}

/* Integer combine in the unsigned domain so overflow wraps instead of being UB. */
#define COMBINE_INT(T, UT)                                                                 \
    do {                                                                                   \
        T a = *(T *)dst, b = *(const T *)src;                                              \
        T r2 = red == RED_ADD ? (T)((UT)a + (UT)b)                                         \
             : red == RED_MUL ? (T)((UT)a * (UT)b)                                         \
             : red == RED_MAX ? (a > b ? a : b)                                            \
                              : (a < b ? a : b);                                           \
        *(T *)dst = r2;                                                                    \
    } while (0)

static void combine(void *dst, const void *src, odin_dtype t, size_t es, reduction red) {
    if (red == RED_NONE) {
        memcpy(dst, src, es);
        return;
    }
    switch (t) {
    case ODIN_I8: COMBINE_INT(int8_t, uint8_t); return;
    case ODIN_U8: COMBINE_INT(uint8_t, uint8_t); return;
    case ODIN_I16: COMBINE_INT(int16_t, uint16_t); return;
    case ODIN_U16: COMBINE_INT(uint16_t, uint16_t); return;
    case ODIN_I32: COMBINE_INT(int32_t, uint32_t); return;
    case ODIN_U32: COMBINE_INT(uint32_t, uint32_t); return;
    case ODIN_I64: COMBINE_INT(int64_t, uint64_t); return;
    case ODIN_U64: COMBINE_INT(uint64_t, uint64_t); return;
    case ODIN_BOOL: {
        uint8_t a = *(uint8_t *)dst != 0, b = *(const uint8_t *)src != 0;
        *(uint8_t *)dst = (red == RED_ADD || red == RED_MAX) ? (a | b) : (a & b);
        return;
    }
    default: {
        double a = odin_load_as_f64(dst, t, 0), b = odin_load_as_f64(src, t, 0);
        double r = red == RED_ADD ? a + b : red == RED_MUL ? a * b : red == RED_MAX ? (a > b ? a : b)
                                                                                   : (a < b ? a : b);
        odin_store_from_f64(dst, t, 0, r);
        return;
    }
    }
}

static odin_status load_index(const odin_value *idx, int64_t i, int64_t n, int64_t *out) {
    int64_t v = odin_load_as_i64(idx->data, idx->dtype, (size_t)i);
    int64_t w = v < 0 ? v + n : v;
    if (w < 0 || w >= n)
        return odin_errorf("index %lld is out of range for an axis of extent %lld", (long long)v,
                           (long long)n);
    *out = w;
    return ODIN_OK;
}

static odin_status copy_data_out(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    size_t nb = odin_value_nbytes(x);
    if (nb) memcpy(ctx->out[0].data, x->data, nb);
    return ODIN_OK;
}

/* ---- ScatterND -------------------------------------------------------------------- */

static odin_status scatter_nd_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1], *upd = &ctx->in[2];
    reduction red;
    ODIN_TRY(reduction_of(ctx, &red));
    if (idx->dtype != ODIN_I64) return odin_errorf("indices must be int64");
    if (upd->dtype != x->dtype)
        return odin_errorf("updates have dtype %s, data %s", odin_dtype_name(upd->dtype),
                           odin_dtype_name(x->dtype));
    if (x->rank >= 0 && idx->rank >= 1 && upd->rank >= 0 && idx->dims[idx->rank - 1] >= 0) {
        int64_t m = idx->dims[idx->rank - 1];
        if (m > x->rank) return odin_errorf("index tuples of length %lld exceed data rank %d",
                                            (long long)m, x->rank);
        int want = idx->rank - 1 + x->rank - (int)m;
        bool ok = upd->rank == want;
        for (int d = 0; ok && d < want; d++) {
            int64_t e = d < idx->rank - 1 ? idx->dims[d] : x->dims[m + d - (idx->rank - 1)];
            if (e >= 0 && upd->dims[d] >= 0 && e != upd->dims[d]) ok = false;
        }
        if (!ok) {
            char s[128];
            return odin_errorf("updates have shape %s, which does not match indices and data",
                               odin_shape_str(upd, s, sizeof s));
        }
    } else if (idx->rank == 0) {
        return odin_errorf("indices must have rank >= 1");
    }
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status scatter_nd_eval(odin_op_ctx *ctx) {
    ODIN_TRY(scatter_nd_infer(ctx));
    ODIN_TRY(copy_data_out(ctx));
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1], *upd = &ctx->in[2];
    reduction red;
    ODIN_TRY(reduction_of(ctx, &red));
    int m = (int)idx->dims[idx->rank - 1];
    size_t es = odin_dtype_size(x->dtype);
    int64_t xs[MAXR];
    odin_strides(x->rank, x->dims, xs);
    int64_t tuples = odin_dims_prod(idx->dims, 0, idx->rank - 1);
    int64_t slice = odin_dims_prod(x->dims, m, x->rank);
    char *y = ctx->out[0].data;
    for (int64_t t = 0; t < tuples; t++) {
        int64_t off = 0;
        for (int k = 0; k < m; k++) {
            int64_t j;
            ODIN_TRY(load_index(idx, t * m + k, x->dims[k], &j));
            off += j * xs[k];
        }
        for (int64_t e = 0; e < slice; e++)
            combine(y + (size_t)(off + e) * es, (const char *)upd->data + (size_t)(t * slice + e) * es,
                    x->dtype, es, red);
    }
    return ODIN_OK;
}

static const odin_attr_schema scatter_nd_attrs[] = {
    {"reduction", ODIN_ATTR_STRING, false, 0, 0, "none"}, {NULL}};
const odin_op_def odin_op_scatter_nd = {
    "ScatterND", "", 11, 0, 3, 3, 1, 1, scatter_nd_attrs, scatter_nd_infer, scatter_nd_eval,
    NULL, 0, "write update slices at index tuples (reduction none/add/mul/max/min)"};

/* ---- ScatterElements / Scatter ---------------------------------------------------- */

static odin_status scatter_elements_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1], *upd = &ctx->in[2];
    reduction red;
    ODIN_TRY(reduction_of(ctx, &red));
    if (idx->dtype != ODIN_I64 && idx->dtype != ODIN_I32)
        return odin_errorf("indices must be int32 or int64");
    if (upd->dtype != x->dtype)
        return odin_errorf("updates have dtype %s, data %s", odin_dtype_name(upd->dtype),
                           odin_dtype_name(x->dtype));
    if (x->rank >= 0 && idx->rank >= 0) {
        if (x->rank != idx->rank || x->rank == 0)
            return odin_errorf("data (rank %d) and indices (rank %d) need the same rank >= 1",
                               x->rank, idx->rank);
        ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &(int){0}));
    }
    if (idx->rank >= 0 && upd->rank >= 0) {
        bool ok = idx->rank == upd->rank;
        for (int d = 0; ok && d < idx->rank; d++)
            if (idx->dims[d] >= 0 && upd->dims[d] >= 0 && idx->dims[d] != upd->dims[d]) ok = false;
        if (!ok) return odin_errorf("updates and indices must have the same shape");
    }
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status scatter_elements_eval(odin_op_ctx *ctx) {
    ODIN_TRY(scatter_elements_infer(ctx));
    ODIN_TRY(copy_data_out(ctx));
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1], *upd = &ctx->in[2];
    reduction red;
    ODIN_TRY(reduction_of(ctx, &red));
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
    for (int d = 0; d < x->rank; d++)
        if (d != axis && idx->dims[d] > x->dims[d])
            return odin_errorf("indices dim %d (%lld) exceeds data's (%lld)", d,
                               (long long)idx->dims[d], (long long)x->dims[d]);
    size_t es = odin_dtype_size(x->dtype);
    int64_t xs[MAXR], pos[MAXR] = {0};
    odin_strides(x->rank, x->dims, xs);
    int64_t n = odin_value_numel(idx);
    char *y = ctx->out[0].data;
    for (int64_t i = 0; i < n; i++) {
        int64_t j, off = 0;
        ODIN_TRY(load_index(idx, i, x->dims[axis], &j));
        for (int d = 0; d < x->rank; d++) off += (d == axis ? j : pos[d]) * xs[d];
        combine(y + (size_t)off * es, (const char *)upd->data + (size_t)i * es, x->dtype, es, red);
        for (int d = idx->rank - 1; d >= 0; d--) {
            if (++pos[d] < idx->dims[d]) break;
            pos[d] = 0;
        }
    }
    return ODIN_OK;
}

static const odin_attr_schema scatter_elements_attrs[] = {
    {"axis", ODIN_ATTR_INT, false, 0},
    {"reduction", ODIN_ATTR_STRING, false, 0, 0, "none"},
    {NULL}};
const odin_op_def odin_op_scatter_elements = {
    "ScatterElements", "", 11, 0, 3, 3, 1, 1, scatter_elements_attrs, scatter_elements_infer,
    scatter_elements_eval, NULL, 0,
    "write updates along an axis at same-rank indices (reduction none/add/mul/max/min)"};

static const odin_attr_schema scatter_attrs[] = {{"axis", ODIN_ATTR_INT, false, 0}, {NULL}};
const odin_op_def odin_op_scatter = {
    "Scatter", "", 9, 10, 3, 3, 1, 1, scatter_attrs, scatter_elements_infer,
    scatter_elements_eval, NULL, 0, "deprecated ScatterElements (opset 9-10)"};
