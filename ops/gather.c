/* ops/gather.c — op family 'gather': ops that pick elements by index or by mask
 * (Gather, GatherElements, GatherND, OneHot, NonZero, Compress). Scatter ops live in
 * scatter.c, TopK and Unique in topk.c; this family's table lists them too. Every index
 * is checked: out of range is an error naming the index, never a stray read. */
#include <string.h>

#include "op.h"
#include "shape_util.h"

#define MAXR ODIN_MAX_RANK

static odin_status index_dtype_ok(const odin_value *v, const char *what) {
    if (v->dtype != ODIN_I64 && v->dtype != ODIN_I32)
        return odin_errorf("%s must be int32 or int64, got %s", what, odin_dtype_name(v->dtype));
    return ODIN_OK;
}

/* Index i of `idx`, normalized against extent n (negative counts from the end). */
static odin_status load_index(const odin_value *idx, int64_t i, int64_t n, int64_t *out) {
    int64_t v = odin_load_as_i64(idx->data, idx->dtype, (size_t)i);
    int64_t w = v < 0 ? v + n : v;
    if (w < 0 || w >= n)
        return odin_errorf("index %lld is out of range for an axis of extent %lld", (long long)v,
                           (long long)n);
    *out = w;
    return ODIN_OK;
}

/* ---- Gather ----------------------------------------------------------------------- */

static odin_status gather_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1];
    ODIN_TRY(index_dtype_ok(idx, "indices"));
    if (x->rank < 0 || idx->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    if (x->rank == 0) return odin_errorf("data must have rank >= 1");
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
    int r = x->rank + idx->rank - 1;
    if (r > MAXR) return odin_errorf("output rank %d exceeds %d", r, MAXR);
    int64_t out[MAXR];
    int k = 0;
    for (int d = 0; d < axis; d++) out[k++] = x->dims[d];
    for (int d = 0; d < idx->rank; d++) out[k++] = idx->dims[d];
    for (int d = axis + 1; d < x->rank; d++) out[k++] = x->dims[d];
    odin_op_set_output(ctx, 0, x->dtype, r, out);
    return ODIN_OK;
}

static odin_status gather_eval(odin_op_ctx *ctx) {
    ODIN_TRY(gather_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1];
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
    size_t es = odin_dtype_size(x->dtype);
    int64_t outer = odin_dims_prod(x->dims, 0, axis), n = x->dims[axis];
    int64_t inner = odin_dims_prod(x->dims, axis + 1, x->rank);
    int64_t ni = odin_value_numel(idx);
    size_t chunk = (size_t)inner * es;
    char *dst = ctx->out[0].data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < ni; i++) {
            int64_t j;
            ODIN_TRY(load_index(idx, i, n, &j));
            if (chunk) memcpy(dst, (const char *)x->data + (size_t)(o * n + j) * chunk, chunk);
            dst += chunk;
        }
    return ODIN_OK;
}

static const odin_attr_schema axis0_attrs[] = {{"axis", ODIN_ATTR_INT, false, 0}, {NULL}};
static const odin_op_def gather_def = {
    "Gather", "", 1, 0, 2, 2, 1, 1, axis0_attrs, gather_infer, gather_eval, NULL, 0,
    "take slices along an axis by index"};

/* ---- GatherElements --------------------------------------------------------------- */

static odin_status gather_elements_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1];
    ODIN_TRY(index_dtype_ok(idx, "indices"));
    if (x->rank >= 0 && idx->rank >= 0) {
        if (x->rank != idx->rank || x->rank == 0)
            return odin_errorf("data (rank %d) and indices (rank %d) need the same rank >= 1",
                               x->rank, idx->rank);
        int axis;
        ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
        for (int d = 0; d < x->rank; d++)
            if (d != axis && x->dims[d] >= 0 && idx->dims[d] > x->dims[d])
                return odin_errorf("indices dim %d (%lld) exceeds data's (%lld)", d,
                                   (long long)idx->dims[d], (long long)x->dims[d]);
    }
    odin_op_set_output(ctx, 0, x->dtype, idx->rank, idx->dims);
    return ODIN_OK;
}

static odin_status gather_elements_eval(odin_op_ctx *ctx) {
    ODIN_TRY(gather_elements_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1];
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
    size_t es = odin_dtype_size(x->dtype);
    int64_t xs[MAXR], pos[MAXR] = {0};
    odin_strides(x->rank, x->dims, xs);
    int64_t n = odin_value_numel(idx);
    for (int64_t i = 0; i < n; i++) {
        int64_t j, off = 0;
        ODIN_TRY(load_index(idx, i, x->dims[axis], &j));
        for (int d = 0; d < x->rank; d++) off += (d == axis ? j : pos[d]) * xs[d];
        memcpy((char *)ctx->out[0].data + (size_t)i * es, (const char *)x->data + (size_t)off * es, es);
        for (int d = idx->rank - 1; d >= 0; d--) {
            if (++pos[d] < idx->dims[d]) break;
            pos[d] = 0;
        }
    }
    return ODIN_OK;
}

static const odin_op_def gather_elements_def = {
    "GatherElements", "", 11, 0, 2, 2, 1, 1, axis0_attrs, gather_elements_infer,
    gather_elements_eval, NULL, 0, "take elements along an axis by a same-rank index tensor"};

/* ---- GatherND --------------------------------------------------------------------- */

static odin_status gather_nd_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1];
    if (idx->dtype != ODIN_I64) return odin_errorf("indices must be int64");
    int64_t b = odin_attr_i(ctx->node, "batch_dims");
    if (x->rank < 0 || idx->rank < 0 || idx->dims[idx->rank - 1] < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    if (idx->rank < 1 || x->rank < 1) return odin_errorf("data and indices need rank >= 1");
    if (b < 0 || b >= idx->rank || b >= x->rank)
        return odin_errorf("batch_dims %lld is out of range", (long long)b);
    int64_t m = idx->dims[idx->rank - 1];
    if (m < 1 || b + m > x->rank)
        return odin_errorf("indices tuples of length %lld do not fit data of rank %d with "
                           "batch_dims %lld", (long long)m, x->rank, (long long)b);
    for (int d = 0; d < b; d++)
        if (x->dims[d] >= 0 && idx->dims[d] >= 0 && x->dims[d] != idx->dims[d])
            return odin_errorf("batch dim %d differs: data %lld, indices %lld", d,
                               (long long)x->dims[d], (long long)idx->dims[d]);
    int r = idx->rank - 1 + x->rank - (int)(b + m);
    if (r > MAXR) return odin_errorf("output rank %d exceeds %d", r, MAXR);
    int64_t out[MAXR];
    int k = 0;
    for (int d = 0; d < idx->rank - 1; d++) out[k++] = idx->dims[d];
    for (int d = (int)(b + m); d < x->rank; d++) out[k++] = x->dims[d];
    odin_op_set_output(ctx, 0, x->dtype, r, out);
    return ODIN_OK;
}

static odin_status gather_nd_eval(odin_op_ctx *ctx) {
    ODIN_TRY(gather_nd_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *idx = &ctx->in[1];
    int b = (int)odin_attr_i(ctx->node, "batch_dims");
    int m = (int)idx->dims[idx->rank - 1];
    size_t es = odin_dtype_size(x->dtype);
    int64_t xs[MAXR];
    odin_strides(x->rank, x->dims, xs);
    int64_t batches = odin_dims_prod(x->dims, 0, b);
    int64_t tuples = odin_dims_prod(idx->dims, b, idx->rank - 1);
    int64_t slice = odin_dims_prod(x->dims, b + m, x->rank);
    int64_t batch_stride = b ? xs[b - 1] : 0;
    size_t chunk = (size_t)slice * es;
    char *dst = ctx->out[0].data;
    for (int64_t bi = 0; bi < batches; bi++)
        for (int64_t t = 0; t < tuples; t++) {
            int64_t off = bi * batch_stride;
            for (int k = 0; k < m; k++) {
                int64_t j;
                ODIN_TRY(load_index(idx, (bi * tuples + t) * m + k, x->dims[b + k], &j));
                off += j * xs[b + k];
            }
            if (chunk) memcpy(dst, (const char *)x->data + (size_t)off * es, chunk);
            dst += chunk;
        }
    return ODIN_OK;
}

static const odin_attr_schema gather_nd_attrs[] = {{"batch_dims", ODIN_ATTR_INT, false, 0},
                                                   {NULL}};
static const odin_op_def gather_nd_def = {
    "GatherND", "", 11, 0, 2, 2, 1, 1, gather_nd_attrs, gather_nd_infer, gather_nd_eval, NULL,
    0, "take slices by index tuples (batch_dims leading dims shared)"};

/* ---- OneHot ----------------------------------------------------------------------- */

static odin_status onehot_infer(odin_op_ctx *ctx) {
    const odin_value *idx = &ctx->in[0], *depth = &ctx->in[1], *vals = &ctx->in[2];
    if (vals->rank >= 0 && odin_value_numel(vals) != 2 && odin_value_numel(vals) >= 0)
        return odin_errorf("values must hold 2 elements (off, on)");
    if (depth->rank > 1 || (depth->rank >= 0 && odin_value_numel(depth) > 1))
        return odin_errorf("depth must be a scalar");
    if (idx->rank < 0) {
        odin_op_set_output(ctx, 0, vals->dtype, -1, NULL);
        return ODIN_OK;
    }
    int r = idx->rank + 1;
    if (r > MAXR) return odin_errorf("output rank %d exceeds %d", r, MAXR);
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), r, &axis));
    int64_t d = -1;
    if (odin_value_known(depth)) {
        if (odin_value_numel(depth) != 1) return odin_errorf("depth must be a scalar");
        double dv = odin_load_as_f64(depth->data, depth->dtype, 0);
        if (!(dv >= 1) || dv > (double)((int64_t)1 << 40))
            return odin_errorf("depth %g is invalid", dv);
        d = (int64_t)dv;
    }
    int64_t out[MAXR];
    for (int k = 0, j = 0; k < r; k++) out[k] = k == axis ? d : idx->dims[j++];
    return odin_op_set_output_checked(ctx, 0, vals->dtype, r, out);
}

static odin_status onehot_eval(odin_op_ctx *ctx) {
    ODIN_TRY(onehot_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *idx = &ctx->in[0], *vals = &ctx->in[2];
    odin_value *y = &ctx->out[0];
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), y->rank, &axis));
    size_t es = odin_dtype_size(y->dtype);
    int64_t depth = y->dims[axis], n = odin_value_numel(y);
    const char *off = vals->data, *on = (const char *)vals->data + es;
    for (int64_t i = 0; i < n; i++) memcpy((char *)y->data + (size_t)i * es, off, es);
    int64_t outer = odin_dims_prod(idx->dims, 0, axis);
    int64_t inner = odin_dims_prod(idx->dims, axis, idx->rank);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double v = odin_load_as_f64(idx->data, idx->dtype, (size_t)(o * inner + i));
            if (v < 0) v += (double)depth;
            if (!(v >= 0 && v < (double)depth)) continue; /* out of range: all off */
            int64_t j = (int64_t)v;
            memcpy((char *)y->data + (size_t)((o * depth + j) * inner + i) * es, on, es);
        }
    return ODIN_OK;
}

static const odin_attr_schema onehot_attrs[] = {{"axis", ODIN_ATTR_INT, false, -1}, {NULL}};
static const odin_op_def onehot_def = {
    "OneHot", "", 9, 0, 3, 3, 1, 1, onehot_attrs, onehot_infer, onehot_eval, NULL, 0,
    "one-hot encode indices (negative count from depth)"};

/* ---- NonZero ---------------------------------------------------------------------- */

static int64_t count_nonzero(const odin_value *x) {
    int64_t n = odin_value_numel(x), c = 0;
    for (int64_t i = 0; i < n; i++) c += odin_load_as_f64(x->data, x->dtype, (size_t)i) != 0;
    return c;
}

static odin_status nonzero_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    int64_t dims[2] = {x->rank < 0 ? -1 : (x->rank ? x->rank : 1), -1};
    if (odin_value_known(x)) dims[1] = count_nonzero(x);
    odin_op_set_output(ctx, 0, ODIN_I64, 2, dims);
    return ODIN_OK;
}

static odin_status nonzero_eval(odin_op_ctx *ctx) {
    ODIN_TRY(nonzero_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int64_t n = odin_value_numel(x), nnz = ctx->out[0].dims[1], k = 0;
    int64_t pos[MAXR] = {0};
    int64_t *y = ctx->out[0].data;
    for (int64_t i = 0; i < n; i++) {
        if (odin_load_as_f64(x->data, x->dtype, (size_t)i) != 0) {
            for (int d = 0; d < x->rank; d++) y[d * nnz + k] = pos[d];
            k++;
        }
        for (int d = x->rank - 1; d >= 0; d--) {
            if (++pos[d] < x->dims[d]) break;
            pos[d] = 0;
        }
    }
    return ODIN_OK;
}

static const odin_op_def nonzero_def = {
    "NonZero", "", 9, 0, 1, 1, 1, 1, NULL, nonzero_infer, nonzero_eval, NULL, 0,
    "coordinates of non-zero elements, [rank, count] int64"};

/* ---- Compress --------------------------------------------------------------------- */

static odin_status compress_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *c = &ctx->in[1];
    if (c->rank >= 0 && c->rank != 1) return odin_errorf("condition must be 1-D");
    bool has_axis = odin_node_has_attr(ctx->node, "axis");
    int64_t out[MAXR];
    int r = has_axis ? x->rank : 1;
    if (r < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    int axis = 0;
    int64_t dim = odin_value_numel(x);
    if (has_axis) {
        ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
        memcpy(out, x->dims, sizeof out);
        dim = x->dims[axis];
    }
    out[axis] = -1;
    if (odin_value_known(c) && dim >= 0) {
        int64_t n = c->dims[0], k = 0;
        if (n > dim) return odin_errorf("condition has %lld entries, the axis %lld", (long long)n,
                                        (long long)dim);
        for (int64_t i = 0; i < n; i++) k += odin_load_as_f64(c->data, c->dtype, (size_t)i) != 0;
        out[axis] = k;
    }
    odin_op_set_output(ctx, 0, x->dtype, r, out);
    return ODIN_OK;
}

static odin_status compress_eval(odin_op_ctx *ctx) {
    ODIN_TRY(compress_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *c = &ctx->in[1];
    bool has_axis = odin_node_has_attr(ctx->node, "axis");
    int axis = 0;
    int64_t outer = 1, dim = odin_value_numel(x), inner = 1;
    if (has_axis) {
        ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
        outer = odin_dims_prod(x->dims, 0, axis);
        dim = x->dims[axis];
        inner = odin_dims_prod(x->dims, axis + 1, x->rank);
    }
    size_t chunk = (size_t)inner * odin_dtype_size(x->dtype);
    char *dst = ctx->out[0].data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < c->dims[0]; i++) {
            if (odin_load_as_f64(c->data, c->dtype, (size_t)i) == 0) continue;
            if (chunk) memcpy(dst, (const char *)x->data + (size_t)(o * dim + i) * chunk, chunk);
            dst += chunk;
        }
    return ODIN_OK;
}

static const odin_attr_schema compress_attrs[] = {{"axis", ODIN_ATTR_INT, false, 0}, {NULL}};
static const odin_op_def compress_def = {
    "Compress", "", 9, 0, 2, 2, 1, 1, compress_attrs, compress_infer, compress_eval, NULL, 0,
    "keep slices where a 1-D condition is true (flattened when no axis)"};

const odin_op_def *const odin_ops_gather[] = {
    &gather_def, &gather_elements_def, &gather_nd_def, &onehot_def, &nonzero_def,
    &compress_def, &odin_op_scatter_nd, &odin_op_scatter_elements, &odin_op_scatter,
    &odin_op_topk, &odin_op_unique, NULL};
