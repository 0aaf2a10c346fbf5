/* ops/shape.c — op family 'shape': ops that reshape, reorder, join, split, slice or
 * replicate tensors without arithmetic (Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
 * Concat, Split, Slice, Expand, Tile, Shape, Size). Shape-like inputs (Reshape's shape,
 * Slice's starts...) are read when constant, so compiled graphs get static shapes.
 * Pad, DepthToSpace, SpaceToDepth and Trilu live in pad.c / layout.c. */
#include <string.h>

#include "op.h"
#include "shape_util.h"

#define MAXR ODIN_MAX_RANK

static odin_status alloc_all(odin_op_ctx *ctx) {
    for (int i = 0; i < ctx->n_out; i++) ODIN_TRY(odin_op_alloc_output(ctx, i));
    return ODIN_OK;
}

static size_t esize_of(const odin_value *v) { return odin_dtype_size(v->dtype); }

/* ---- Reshape ---------------------------------------------------------------------- */

static odin_status reshape_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    int64_t shape[MAXR];
    int n = 0;
    if (ctx->n_in >= 2) {
        const odin_value *s = &ctx->in[1];
        if (!odin_value_known(s)) {
            int r = (s->rank == 1 && s->dims[0] >= 0) ? (int)s->dims[0] : -1;
            if (r > MAXR) return odin_errorf("shape has %d values, more than rank %d", r, MAXR);
            odin_op_set_output(ctx, 0, x->dtype, r, NULL);
            return ODIN_OK;
        }
        ODIN_TRY(odin_value_ints(s, "shape", shape, MAXR, &n));
    } else {
        const int64_t *a;
        n = odin_attr_ints(ctx->node, "shape", &a);
        if (n > MAXR) return odin_errorf("shape has %d values, more than rank %d", n, MAXR);
        if (n) memcpy(shape, a, sizeof *a * n);
    }
    bool allowzero = ctx->opset >= 14 && odin_attr_i(ctx->node, "allowzero");
    int64_t out[MAXR];
    int infer_at = -1;
    bool has_zero = false;
    for (int i = 0; i < n; i++) {
        int64_t v = shape[i];
        if (v == 0 && !allowzero) {
            if (x->rank >= 0 && i >= x->rank)
                return odin_errorf("shape[%d] = 0 copies a dim the rank-%d input lacks", i,
                                   x->rank);
            out[i] = x->rank >= 0 ? x->dims[i] : -1;
        } else if (v == -1) {
            if (infer_at >= 0) return odin_errorf("shape has more than one -1");
            infer_at = i;
            out[i] = -1;
        } else if (v < -1) {
            return odin_errorf("shape[%d] = %lld is negative", i, (long long)v);
        } else {
            out[i] = v;
        }
        if (v == 0) has_zero = true;
    }
    if (allowzero && has_zero && infer_at >= 0)
        return odin_errorf("shape has both 0 and -1 while allowzero is set");
    int64_t in_n = odin_value_numel(x);
    int64_t prod = 1;
    bool known = true;
    for (int i = 0; i < n; i++) {
        if (i == infer_at) continue;
        if (out[i] < 0) known = false;
        else prod *= out[i];
    }
    char sx[128];
    if (infer_at >= 0) {
        if (known && in_n >= 0) {
            if (prod == 0 || in_n % prod)
                return odin_errorf("cannot reshape input %s: %lld elements do not divide by %lld",
                                   odin_shape_str(x, sx, sizeof sx), (long long)in_n,
                                   (long long)prod);
            out[infer_at] = in_n / prod;
        }
    } else if (known && in_n >= 0 && prod != in_n) {
        char so[128];
        odin_format_shape(so, sizeof so, n, out, NULL);
        return odin_errorf("cannot reshape input %s (%lld elements) to %s",
                           odin_shape_str(x, sx, sizeof sx), (long long)in_n, so);
    }
    return odin_op_set_output_checked(ctx, 0, x->dtype, n, out);
}

/* Reshape, Flatten, Squeeze, Unsqueeze: the bytes stay as they are. */
static odin_status copy_eval(odin_op_ctx *ctx, odin_infer_fn infer) {
    ODIN_TRY(infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    size_t nb = odin_value_nbytes(&ctx->in[0]);
    if (nb != odin_value_nbytes(&ctx->out[0]))
        return odin_errorf("element count changed (internal error)");
    if (nb) memcpy(ctx->out[0].data, ctx->in[0].data, nb);
    return ODIN_OK;
}

static odin_status reshape_eval(odin_op_ctx *ctx) { return copy_eval(ctx, reshape_infer); }

static const odin_attr_schema reshape_attrs[] = {
    {"allowzero", ODIN_ATTR_INT, false, 0},
    {"shape", ODIN_ATTR_INTS, false}, /* opset 1 only */
    {NULL}};
static const odin_op_def reshape_def = {
    "Reshape", "", 1, 0, 1, 2, 1, 1, reshape_attrs, reshape_infer, reshape_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "reshape to a given shape (0 copies a dim, -1 is inferred)"};

/* ---- Flatten ---------------------------------------------------------------------- */

static odin_status flatten_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    int64_t axis = odin_attr_i(ctx->node, "axis");
    if (x->rank < 0) {
        int64_t dims[2] = {-1, -1};
        odin_op_set_output(ctx, 0, x->dtype, 2, dims);
        return ODIN_OK;
    }
    if (axis < -x->rank || axis > x->rank)
        return odin_errorf("axis %lld is out of range for rank %d", (long long)axis, x->rank);
    if (axis < 0) axis += x->rank;
    int64_t dims[2] = {1, 1};
    for (int d = 0; d < x->rank; d++) {
        int64_t *p = d < axis ? &dims[0] : &dims[1];
        if (x->dims[d] < 0 || *p < 0) *p = -1;
        else *p *= x->dims[d];
    }
    odin_op_set_output(ctx, 0, x->dtype, 2, dims);
    return ODIN_OK;
}

static odin_status flatten_eval(odin_op_ctx *ctx) { return copy_eval(ctx, flatten_infer); }

static const odin_attr_schema flatten_attrs[] = {{"axis", ODIN_ATTR_INT, false, 1}, {NULL}};
static const odin_op_def flatten_def = {
    "Flatten", "", 1, 0, 1, 1, 1, 1, flatten_attrs, flatten_infer, flatten_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "flatten to 2-D around an axis"};

/* ---- Squeeze / Unsqueeze ---------------------------------------------------------- */

/* Axes from the attribute (opset < 13) or input 1. *known = false when the input is not
 * constant; *n = -1 when not given at all. */
static odin_status read_axes(odin_op_ctx *ctx, int input, int64_t *axes, int max, int *n,
                             bool *known) {
    *known = true;
    *n = -1;
    if (ctx->opset < 13) {
        const int64_t *a;
        if (!odin_node_has_attr(ctx->node, "axes")) return ODIN_OK;
        int c = odin_attr_ints(ctx->node, "axes", &a);
        if (c > max) return odin_errorf("too many axes (%d)", c);
        if (c) memcpy(axes, a, sizeof *a * c);
        *n = c;
        return ODIN_OK;
    }
    if (!odin_op_has_input(ctx, input)) return ODIN_OK;
    const odin_value *v = &ctx->in[input];
    if (!odin_value_known(v)) {
        *known = false;
        *n = (v->rank == 1 && v->dims[0] >= 0) ? (int)v->dims[0] : (v->rank == 0 ? 1 : -2);
        return ODIN_OK;
    }
    return odin_value_ints(v, "axes", axes, max, n);
}

static odin_status squeeze_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    int64_t axes[MAXR];
    int n;
    bool known;
    ODIN_TRY(read_axes(ctx, 1, axes, MAXR, &n, &known));
    if (x->rank < 0 || !known) {
        int r = (x->rank >= 0 && n >= 0) ? x->rank - n : -1;
        odin_op_set_output(ctx, 0, x->dtype, r, NULL);
        return ODIN_OK;
    }
    bool drop[MAXR] = {false};
    if (n < 0 || n == 0) {
        /* no axes: drop every dim of extent 1 (needs known dims) */
        for (int d = 0; d < x->rank; d++) {
            if (x->dims[d] < 0) {
                odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
                return ODIN_OK;
            }
            drop[d] = x->dims[d] == 1;
        }
    } else {
        for (int i = 0; i < n; i++) {
            int a;
            ODIN_TRY(odin_norm_axis(axes[i], x->rank, &a));
            if (drop[a]) return odin_errorf("axis %lld is repeated", (long long)axes[i]);
            if (x->dims[a] >= 0 && x->dims[a] != 1)
                return odin_errorf("cannot squeeze axis %d of extent %lld", a,
                                   (long long)x->dims[a]);
            drop[a] = true;
        }
    }
    int64_t out[MAXR];
    int r = 0;
    for (int d = 0; d < x->rank; d++)
        if (!drop[d]) out[r++] = x->dims[d];
    odin_op_set_output(ctx, 0, x->dtype, r, out);
    return ODIN_OK;
}

static odin_status squeeze_eval(odin_op_ctx *ctx) { return copy_eval(ctx, squeeze_infer); }

static const odin_attr_schema axes_attrs[] = {{"axes", ODIN_ATTR_INTS, false}, {NULL}};
static const odin_op_def squeeze_def = {
    "Squeeze", "", 1, 0, 1, 2, 1, 1, axes_attrs, squeeze_infer, squeeze_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "remove dims of extent 1"};

static odin_status unsqueeze_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    int64_t axes[MAXR];
    int n;
    bool known;
    ODIN_TRY(read_axes(ctx, 1, axes, MAXR, &n, &known));
    if (n == -1) return odin_errorf("axes are required");
    if (x->rank < 0 || !known) {
        int r = (x->rank >= 0 && n >= 0) ? x->rank + n : -1;
        if (r > MAXR) return odin_errorf("output rank %d exceeds %d", r, MAXR);
        odin_op_set_output(ctx, 0, x->dtype, r, NULL);
        return ODIN_OK;
    }
    int r = x->rank + n;
    if (r > MAXR) return odin_errorf("output rank %d exceeds %d", r, MAXR);
    bool ins[MAXR] = {false};
    for (int i = 0; i < n; i++) {
        int a;
        ODIN_TRY(odin_norm_axis(axes[i], r, &a));
        if (ins[a]) return odin_errorf("axis %lld is repeated", (long long)axes[i]);
        ins[a] = true;
    }
    int64_t out[MAXR];
    for (int d = 0, k = 0; d < r; d++) out[d] = ins[d] ? 1 : x->dims[k++];
    odin_op_set_output(ctx, 0, x->dtype, r, out);
    return ODIN_OK;
}

static odin_status unsqueeze_eval(odin_op_ctx *ctx) { return copy_eval(ctx, unsqueeze_infer); }

static const odin_op_def unsqueeze_def = {
    "Unsqueeze", "", 1, 0, 1, 2, 1, 1, axes_attrs, unsqueeze_infer, unsqueeze_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "insert dims of extent 1"};

/* ---- Transpose -------------------------------------------------------------------- */

static odin_status transpose_perm(odin_op_ctx *ctx, int rank, int *perm) {
    const int64_t *p;
    int n = odin_attr_ints(ctx->node, "perm", &p);
    if (!odin_node_has_attr(ctx->node, "perm")) {
        for (int d = 0; d < rank; d++) perm[d] = rank - 1 - d;
        return ODIN_OK;
    }
    if (n != rank) return odin_errorf("perm has %d entries for a rank-%d input", n, rank);
    bool seen[MAXR] = {false};
    for (int d = 0; d < rank; d++) {
        if (p[d] < 0 || p[d] >= rank || seen[p[d]])
            return odin_errorf("perm is not a permutation of 0..%d", rank - 1);
        seen[p[d]] = true;
        perm[d] = (int)p[d];
    }
    return ODIN_OK;
}

static odin_status transpose_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    if (x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    int perm[MAXR];
    ODIN_TRY(transpose_perm(ctx, x->rank, perm));
    int64_t out[MAXR];
    for (int d = 0; d < x->rank; d++) out[d] = x->dims[perm[d]];
    odin_op_set_output(ctx, 0, x->dtype, x->rank, out);
    return ODIN_OK;
}

static odin_status transpose_eval(odin_op_ctx *ctx) {
    ODIN_TRY(transpose_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int perm[MAXR];
    ODIN_TRY(transpose_perm(ctx, x->rank, perm));
    int64_t xs[MAXR], st[MAXR];
    odin_strides(x->rank, x->dims, xs);
    for (int d = 0; d < x->rank; d++) st[d] = xs[perm[d]];
    odin_strided_copy(ctx->out[0].data, x->data, esize_of(x), x->rank, ctx->out[0].dims, st, 0);
    return ODIN_OK;
}

static const odin_attr_schema transpose_attrs[] = {{"perm", ODIN_ATTR_INTS, false}, {NULL}};
static const odin_op_def transpose_def = {
    "Transpose", "", 1, 0, 1, 1, 1, 1, transpose_attrs, transpose_infer, transpose_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "permute dims (default: reverse them)"};

/* ---- Concat ----------------------------------------------------------------------- */

static odin_status concat_infer(odin_op_ctx *ctx) {
    const odin_value *x0 = &ctx->in[0];
    int rank = -1;
    for (int i = 0; i < ctx->n_in; i++) {
        const odin_value *v = &ctx->in[i];
        if (v->dtype != x0->dtype)
            return odin_errorf("input %d has dtype %s, input 0 has %s", i,
                               odin_dtype_name(v->dtype), odin_dtype_name(x0->dtype));
        if (v->rank >= 0) {
            if (rank >= 0 && v->rank != rank)
                return odin_errorf("input %d has rank %d, others rank %d", i, v->rank, rank);
            rank = v->rank;
        }
    }
    if (rank < 0) {
        odin_op_set_output(ctx, 0, x0->dtype, -1, NULL);
        return ODIN_OK;
    }
    if (rank == 0) return odin_errorf("cannot concatenate scalars");
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), rank, &axis));
    int64_t out[MAXR];
    for (int d = 0; d < rank; d++) out[d] = d == axis ? 0 : -1;
    for (int i = 0; i < ctx->n_in; i++) {
        const odin_value *v = &ctx->in[i];
        if (v->rank < 0) {
            out[axis] = -1;
            continue;
        }
        for (int d = 0; d < rank; d++) {
            if (d == axis) {
                if (v->dims[d] < 0 || out[d] < 0) out[d] = -1;
                else out[d] += v->dims[d];
            } else if (v->dims[d] >= 0) {
                if (out[d] >= 0 && out[d] != v->dims[d]) {
                    char s[128];
                    return odin_errorf("input %d has shape %s: dim %d differs (%lld expected)", i,
                                       odin_shape_str(v, s, sizeof s), d, (long long)out[d]);
                }
                out[d] = v->dims[d];
            }
        }
    }
    return odin_op_set_output_checked(ctx, 0, x0->dtype, rank, out);
}

static odin_status concat_eval(odin_op_ctx *ctx) {
    ODIN_TRY(concat_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    odin_value *y = &ctx->out[0];
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), y->rank, &axis));
    size_t es = esize_of(y);
    int64_t outer = odin_dims_prod(y->dims, 0, axis);
    int64_t inner = odin_dims_prod(y->dims, axis + 1, y->rank);
    char *dst = y->data;
    for (int64_t o = 0; o < outer; o++) {
        for (int i = 0; i < ctx->n_in; i++) {
            const odin_value *v = &ctx->in[i];
            size_t chunk = (size_t)(v->dims[axis] * inner) * es;
            if (chunk) memcpy(dst, (const char *)v->data + (size_t)o * chunk, chunk);
            dst += chunk;
        }
    }
    return ODIN_OK;
}

static const odin_attr_schema concat_attrs[] = {{"axis", ODIN_ATTR_INT, true}, {NULL}};
static const odin_op_def concat_def = {
    "Concat", "", 1, 0, 1, -1, 1, 1, concat_attrs, concat_infer, concat_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "join tensors along an axis"};

/* ---- Split ------------------------------------------------------------------------ */

/* Sizes of the outputs along the axis; sizes[i] = -1 where unknown. */
static odin_status split_sizes(odin_op_ctx *ctx, const odin_value *x, int axis, int64_t *sizes) {
    int n_out = ctx->n_out;
    int64_t dim = x->dims[axis];
    int64_t given[64];
    int n = -1;
    if (ctx->opset < 13 || ctx->n_in < 2) {
        const int64_t *a;
        if (odin_node_has_attr(ctx->node, "split")) {
            n = odin_attr_ints(ctx->node, "split", &a);
            if (n > 64) return odin_errorf("split has too many entries");
            if (n) memcpy(given, a, sizeof *a * n);
        }
    }
    if (odin_op_has_input(ctx, 1)) {
        const odin_value *s = &ctx->in[1];
        if (!odin_value_known(s)) {
            for (int i = 0; i < n_out; i++) sizes[i] = -1;
            return ODIN_OK;
        }
        ODIN_TRY(odin_value_ints(s, "split", given, 64, &n));
    }
    if (n >= 0) {
        if (n != n_out) return odin_errorf("split has %d entries for %d outputs", n, n_out);
        int64_t sum = 0;
        for (int i = 0; i < n; i++) {
            if (given[i] < 0) return odin_errorf("split[%d] = %lld is negative", i,
                                                 (long long)given[i]);
            sizes[i] = given[i];
            sum += given[i];
        }
        if (dim >= 0 && sum != dim)
            return odin_errorf("split sizes sum to %lld, axis %d has %lld", (long long)sum, axis,
                               (long long)dim);
        return ODIN_OK;
    }
    if (ctx->opset >= 18 && odin_node_has_attr(ctx->node, "num_outputs")) {
        int64_t num = odin_attr_i(ctx->node, "num_outputs");
        if (num != n_out)
            return odin_errorf("num_outputs = %lld but the node has %d outputs", (long long)num,
                               n_out);
    }
    if (dim < 0) {
        for (int i = 0; i < n_out; i++) sizes[i] = -1;
        return ODIN_OK;
    }
    /* equal chunks; from opset 18 the last one may be smaller */
    int64_t chunk = (dim + n_out - 1) / n_out;
    if (ctx->opset < 18 && dim % n_out)
        return odin_errorf("axis %d of extent %lld does not split into %d equal parts", axis,
                           (long long)dim, n_out);
    int64_t left = dim;
    for (int i = 0; i < n_out; i++) {
        sizes[i] = left < chunk ? left : chunk;
        left -= sizes[i];
    }
    if (ctx->opset >= 18 && n_out > 1 && sizes[n_out - 1] <= 0 && dim > 0)
        return odin_errorf("axis %d of extent %lld cannot give %d non-empty chunks", axis,
                           (long long)dim, n_out);
    return ODIN_OK;
}

static odin_status split_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    if (ctx->n_out > 64) return odin_errorf("too many outputs (%d)", ctx->n_out);
    if (x->rank < 0) {
        for (int i = 0; i < ctx->n_out; i++) odin_op_set_output(ctx, i, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
    int64_t sizes[64];
    ODIN_TRY(split_sizes(ctx, x, axis, sizes));
    for (int i = 0; i < ctx->n_out; i++) {
        int64_t dims[MAXR];
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = sizes[i];
        odin_op_set_output(ctx, i, x->dtype, x->rank, dims);
    }
    return ODIN_OK;
}

static odin_status split_eval(odin_op_ctx *ctx) {
    ODIN_TRY(split_infer(ctx));
    ODIN_TRY(alloc_all(ctx));
    const odin_value *x = &ctx->in[0];
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
    size_t es = esize_of(x);
    int64_t outer = odin_dims_prod(x->dims, 0, axis);
    int64_t inner = odin_dims_prod(x->dims, axis + 1, x->rank);
    size_t row = (size_t)(x->dims[axis] * inner) * es;
    size_t start = 0;
    for (int i = 0; i < ctx->n_out; i++) {
        size_t chunk = (size_t)(ctx->out[i].dims[axis] * inner) * es;
        for (int64_t o = 0; o < outer && chunk; o++)
            memcpy((char *)ctx->out[i].data + (size_t)o * chunk,
                   (const char *)x->data + (size_t)o * row + start, chunk);
        start += chunk;
    }
    return ODIN_OK;
}

static const odin_attr_schema split_attrs[] = {{"axis", ODIN_ATTR_INT, false, 0},
                                               {"split", ODIN_ATTR_INTS, false},
                                               {"num_outputs", ODIN_ATTR_INT, false, 0},
                                               {NULL}};
static const odin_op_def split_def = {
    "Split", "", 1, 0, 1, 2, 1, -1, split_attrs, split_infer, split_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "split along an axis into given or equal parts"};

/* ---- Slice ------------------------------------------------------------------------ */

typedef struct slice_plan {
    int64_t start[MAXR], step[MAXR], count[MAXR];
} slice_plan;

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Fills plan for every axis; count = -1 where unknown. */
static odin_status slice_plan_make(odin_op_ctx *ctx, const odin_value *x, slice_plan *p) {
    int64_t starts[MAXR], ends[MAXR], axes[MAXR], steps[MAXR];
    int ns, ne, na = -1, nst = -1;
    bool known = true;
    for (int d = 0; d < x->rank; d++) {
        p->start[d] = 0;
        p->step[d] = 1;
        p->count[d] = x->dims[d];
    }
    if (ctx->opset < 10) {
        const int64_t *a;
        ns = odin_attr_ints(ctx->node, "starts", &a);
        if (ns > MAXR) return odin_errorf("too many starts");
        if (ns) memcpy(starts, a, sizeof *a * ns);
        ne = odin_attr_ints(ctx->node, "ends", &a);
        if (ne > MAXR) return odin_errorf("too many ends");
        if (ne) memcpy(ends, a, sizeof *a * ne);
        if (odin_node_has_attr(ctx->node, "axes")) {
            na = odin_attr_ints(ctx->node, "axes", &a);
            if (na > MAXR) return odin_errorf("too many axes");
            if (na) memcpy(axes, a, sizeof *a * na);
        }
    } else {
        if (ctx->n_in < 3) return odin_errorf("starts and ends inputs are required");
        for (int i = 1; i < ctx->n_in && i < 5; i++)
            if (odin_op_has_input(ctx, i) && !odin_value_known(&ctx->in[i])) known = false;
        if (!known) {
            /* unknown bounds: the sliced axes (all, if axes are unknown) get unknown extents */
            bool axes_known = odin_op_has_input(ctx, 3) && odin_value_known(&ctx->in[3]);
            if (axes_known) {
                ODIN_TRY(odin_value_ints(&ctx->in[3], "axes", axes, MAXR, &na));
                for (int i = 0; i < na; i++) {
                    int a;
                    ODIN_TRY(odin_norm_axis(axes[i], x->rank, &a));
                    p->count[a] = -1;
                }
            } else if (odin_op_has_input(ctx, 3) || x->rank >= 0) {
                int64_t n_sl = ctx->in[1].rank == 1 ? ctx->in[1].dims[0] : -1;
                for (int d = 0; d < x->rank; d++)
                    if (odin_op_has_input(ctx, 3) || n_sl < 0 || d < n_sl) p->count[d] = -1;
            }
            return ODIN_OK;
        }
        ODIN_TRY(odin_value_ints(&ctx->in[1], "starts", starts, MAXR, &ns));
        ODIN_TRY(odin_value_ints(&ctx->in[2], "ends", ends, MAXR, &ne));
        if (odin_op_has_input(ctx, 3)) ODIN_TRY(odin_value_ints(&ctx->in[3], "axes", axes, MAXR, &na));
        if (odin_op_has_input(ctx, 4)) ODIN_TRY(odin_value_ints(&ctx->in[4], "steps", steps, MAXR, &nst));
    }
    if (ne != ns) return odin_errorf("starts has %d values, ends %d", ns, ne);
    if (na >= 0 && na != ns) return odin_errorf("axes has %d values, starts %d", na, ns);
    if (nst >= 0 && nst != ns) return odin_errorf("steps has %d values, starts %d", nst, ns);
    bool seen[MAXR] = {false};
    for (int i = 0; i < ns; i++) {
        int a;
        ODIN_TRY(odin_norm_axis(na >= 0 ? axes[i] : i, x->rank, &a));
        if (seen[a]) return odin_errorf("axis %d is sliced twice", a);
        seen[a] = true;
        int64_t step = nst >= 0 ? steps[i] : 1;
        if (step == 0) return odin_errorf("steps[%d] is 0", i);
        int64_t dim = x->dims[a];
        p->step[a] = step;
        if (dim < 0) {
            p->count[a] = -1;
            continue;
        }
        int64_t s = starts[i], e = ends[i];
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        int64_t count;
        if (step > 0) {
            s = clamp64(s, 0, dim);
            e = clamp64(e, 0, dim);
            count = e > s ? (e - s + step - 1) / step : 0;
        } else {
            s = clamp64(s, 0, dim - 1);
            e = clamp64(e, -1, dim - 1);
            count = s > e ? (s - e + (-step) - 1) / (-step) : 0;
        }
        p->start[a] = s;
        p->count[a] = count;
    }
    return ODIN_OK;
}

static odin_status slice_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    if (x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    slice_plan p;
    ODIN_TRY(slice_plan_make(ctx, x, &p));
    odin_op_set_output(ctx, 0, x->dtype, x->rank, p.count);
    return ODIN_OK;
}

static odin_status slice_eval(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    slice_plan p;
    ODIN_TRY(slice_plan_make(ctx, x, &p));
    odin_op_set_output(ctx, 0, x->dtype, x->rank, p.count);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    int64_t xs[MAXR], st[MAXR], off = 0;
    odin_strides(x->rank, x->dims, xs);
    for (int d = 0; d < x->rank; d++) {
        st[d] = xs[d] * p.step[d];
        off += xs[d] * p.start[d];
    }
    odin_strided_copy(ctx->out[0].data, x->data, esize_of(x), x->rank, p.count, st, off);
    return ODIN_OK;
}

static const odin_attr_schema slice_attrs[] = {{"starts", ODIN_ATTR_INTS, false},
                                               {"ends", ODIN_ATTR_INTS, false},
                                               {"axes", ODIN_ATTR_INTS, false},
                                               {NULL}};
static const odin_op_def slice_def = {
    "Slice", "", 1, 0, 1, 5, 1, 1, slice_attrs, slice_infer, slice_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "strided slice (negative and clamped bounds, negative steps)"};

/* ---- Expand ----------------------------------------------------------------------- */

static odin_status expand_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *s = &ctx->in[1];
    odin_value target = {.dtype = ODIN_I64, .rank = -1};
    if (odin_value_known(s)) {
        int n;
        ODIN_TRY(odin_value_ints(s, "shape", target.dims, MAXR, &n));
        target.rank = n;
        for (int i = 0; i < n; i++)
            if (target.dims[i] < 0)
                return odin_errorf("shape[%d] = %lld is negative", i, (long long)target.dims[i]);
    } else if (s->rank == 1 && s->dims[0] >= 0) {
        if (s->dims[0] > MAXR) return odin_errorf("shape has more than %d values", MAXR);
        target.rank = (int)s->dims[0];
        for (int i = 0; i < target.rank; i++) target.dims[i] = -1;
    }
    if (target.rank < 0 || x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    /* unknown target dims may still be 1 (keep x's dim): only known ones broadcast */
    int rank;
    int64_t out[MAXR];
    ODIN_TRY(odin_broadcast_shape(x, &target, &rank, out));
    for (int d = 0; d < rank; d++) {
        int it = d - (rank - target.rank);
        if (it >= 0 && target.dims[it] < 0) out[d] = -1;
    }
    return odin_op_set_output_checked(ctx, 0, x->dtype, rank, out);
}

static odin_status expand_eval(odin_op_ctx *ctx) {
    ODIN_TRY(expand_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    odin_value *y = &ctx->out[0];
    int64_t xs[MAXR], st[MAXR];
    odin_strides(x->rank, x->dims, xs);
    for (int d = 0; d < y->rank; d++) {
        int ix = d - (y->rank - x->rank);
        st[d] = (ix < 0 || x->dims[ix] == 1) ? 0 : xs[ix];
    }
    odin_strided_copy(y->data, x->data, esize_of(x), y->rank, y->dims, st, 0);
    return ODIN_OK;
}

static const odin_op_def expand_def = {
    "Expand", "", 8, 0, 2, 2, 1, 1, NULL, expand_infer, expand_eval, NULL, ODIN_OP_SHAPE_ONLY,
    "broadcast to a shape (numpy rules, both ways)"};

/* ---- Tile ------------------------------------------------------------------------- */

static odin_status tile_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *r = &ctx->in[1];
    if (x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    int64_t out[MAXR];
    if (!odin_value_known(r)) {
        odin_op_set_output(ctx, 0, x->dtype, x->rank, NULL);
        return ODIN_OK;
    }
    int64_t reps[MAXR];
    int n;
    ODIN_TRY(odin_value_ints(r, "repeats", reps, MAXR, &n));
    if (n != x->rank) return odin_errorf("repeats has %d values for a rank-%d input", n, x->rank);
    for (int d = 0; d < n; d++) {
        if (reps[d] < 0) return odin_errorf("repeats[%d] = %lld is negative", d, (long long)reps[d]);
        if (x->dims[d] < 0) out[d] = -1;
        else if (reps[d] && x->dims[d] > INT64_MAX / reps[d])
            return odin_errorf("repeats[%d] = %lld is too large", d, (long long)reps[d]);
        else out[d] = x->dims[d] * reps[d];
    }
    return odin_op_set_output_checked(ctx, 0, x->dtype, x->rank, out);
}

static odin_status tile_eval(odin_op_ctx *ctx) {
    ODIN_TRY(tile_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    odin_value *y = &ctx->out[0];
    /* view the output as [rep0, d0, rep1, d1, ...]: input strides 0 on the rep axes */
    int64_t dims[2 * MAXR], st[2 * MAXR], xs[MAXR];
    odin_strides(x->rank, x->dims, xs);
    for (int d = 0; d < x->rank; d++) {
        dims[2 * d] = x->dims[d] ? y->dims[d] / x->dims[d] : 0;
        dims[2 * d + 1] = x->dims[d];
        st[2 * d] = 0;
        st[2 * d + 1] = xs[d];
    }
    odin_strided_copy(y->data, x->data, esize_of(x), 2 * x->rank, dims, st, 0);
    return ODIN_OK;
}

static const odin_op_def tile_def = {
    "Tile", "", 6, 0, 2, 2, 1, 1, NULL, tile_infer, tile_eval, NULL, ODIN_OP_SHAPE_ONLY,
    "repeat the tensor along each axis"};

/* ---- Shape / Size ----------------------------------------------------------------- */

static void shape_range(odin_op_ctx *ctx, int rank, int64_t *lo, int64_t *hi) {
    int64_t s = 0, e = rank;
    if (ctx->opset >= 15) {
        s = odin_attr_i(ctx->node, "start");
        if (odin_node_has_attr(ctx->node, "end")) e = odin_attr_i(ctx->node, "end");
    }
    if (s < 0) s += rank;
    if (e < 0) e += rank;
    *lo = clamp64(s, 0, rank);
    *hi = clamp64(e, 0, rank);
    if (*hi < *lo) *hi = *lo;
}

static odin_status shape_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    int64_t n = -1;
    if (x->rank >= 0) {
        int64_t lo, hi;
        shape_range(ctx, x->rank, &lo, &hi);
        n = hi - lo;
    }
    odin_op_set_output(ctx, 0, ODIN_I64, 1, &n);
    return ODIN_OK;
}

static odin_status shape_eval(odin_op_ctx *ctx) {
    ODIN_TRY(shape_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    int64_t lo, hi;
    shape_range(ctx, x->rank, &lo, &hi);
    for (int64_t d = lo; d < hi; d++) ((int64_t *)ctx->out[0].data)[d - lo] = x->dims[d];
    return ODIN_OK;
}

static const odin_attr_schema shape_attrs[] = {{"start", ODIN_ATTR_INT, false, 0},
                                               {"end", ODIN_ATTR_INT, false, 0},
                                               {NULL}};
static const odin_op_def shape_def = {
    "Shape", "", 1, 0, 1, 1, 1, 1, shape_attrs, shape_infer, shape_eval, NULL,
    ODIN_OP_SHAPE_ONLY, "the input's dims as a 1-D int64 tensor (start/end from opset 15)"};

static odin_status size_infer(odin_op_ctx *ctx) {
    odin_op_set_output(ctx, 0, ODIN_I64, 0, NULL);
    return ODIN_OK;
}

static odin_status size_eval(odin_op_ctx *ctx) {
    ODIN_TRY(size_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    *(int64_t *)ctx->out[0].data = odin_value_numel(&ctx->in[0]);
    return ODIN_OK;
}

static const odin_op_def size_def = {
    "Size", "", 1, 0, 1, 1, 1, 1, NULL, size_infer, size_eval, NULL, ODIN_OP_SHAPE_ONLY,
    "the input's element count as an int64 scalar"};

const odin_op_def *const odin_ops_shape[] = {
    &reshape_def, &flatten_def, &squeeze_def, &unsqueeze_def, &transpose_def,
    &concat_def,  &split_def,   &slice_def,   &expand_def,    &tile_def,
    &shape_def,   &size_def,    &odin_op_pad, &odin_op_depth_to_space,
    &odin_op_space_to_depth,    &odin_op_trilu, NULL};
