/* ops/topk.c — TopK and Unique (listed in the 'gather' family): ops that order
 * elements. Both sort with a stable merge sort so ties keep the lower index first. */
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "shape_util.h"

#define MAXR ODIN_MAX_RANK

/* Three-way compare of elements i and j of a buffer, exact for every dtype (integers are
 * not routed through double). NaN sorts above every number, like numpy. */
static int cmp_elem(const void *data, odin_dtype t, int64_t i, int64_t j) {
    if (odin_dtype_is_int(t) && odin_dtype_is_signed(t)) {
        int64_t a = odin_load_as_i64(data, t, (size_t)i), b = odin_load_as_i64(data, t, (size_t)j);
        return (a > b) - (a < b);
    }
    if (t == ODIN_U64) {
        uint64_t a = ((const uint64_t *)data)[i], b = ((const uint64_t *)data)[j];
        return (a > b) - (a < b);
    }
    double a = odin_load_as_f64(data, t, (size_t)i), b = odin_load_as_f64(data, t, (size_t)j);
    if (a != a || b != b) return (a != a) - (b != b);
    return (a > b) - (a < b);
}

/* Stable merge sort of idx[0..n) by cmp(ctx, a, b). */
typedef int (*idx_cmp)(const void *ctx, int64_t a, int64_t b);
static void merge_sort(int64_t *idx, int64_t *tmp, int64_t n, idx_cmp cmp, const void *ctx) {
    if (n < 2) return;
    int64_t h = n / 2;
    merge_sort(idx, tmp, h, cmp, ctx);
    merge_sort(idx + h, tmp, n - h, cmp, ctx);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = cmp(ctx, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
    while (i < h) tmp[k++] = idx[i++];
    while (j < n) tmp[k++] = idx[j++];
    memcpy(idx, tmp, sizeof *idx * n);
}

/* ---- TopK ------------------------------------------------------------------------- */

typedef struct topk_line {
    const void *data;
    odin_dtype t;
    int64_t base, stride;
    bool largest;
} topk_line;

static int topk_cmp(const void *c, int64_t a, int64_t b) {
    const topk_line *l = c;
    int r = cmp_elem(l->data, l->t, l->base + a * l->stride, l->base + b * l->stride);
    return l->largest ? -r : r;
}

static odin_status topk_k(odin_op_ctx *ctx, int64_t *k, bool *known) {
    *known = true;
    if (ctx->opset < 10) {
        *k = odin_attr_i(ctx->node, "k");
    } else {
        if (ctx->n_in < 2) return odin_errorf("the K input is required");
        const odin_value *kv = &ctx->in[1];
        if (!odin_value_known(kv)) {
            *known = false;
            return ODIN_OK;
        }
        int n;
        ODIN_TRY(odin_value_ints(kv, "K", k, 1, &n));
        if (n != 1) return odin_errorf("K must hold one value");
    }
    if (*k < 0) return odin_errorf("K = %lld is negative", (long long)*k);
    return ODIN_OK;
}

static odin_status topk_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    if (x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        odin_op_set_output(ctx, 1, ODIN_I64, -1, NULL);
        return ODIN_OK;
    }
    if (x->rank == 0) return odin_errorf("input must have rank >= 1");
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
    int64_t k;
    bool known;
    ODIN_TRY(topk_k(ctx, &k, &known));
    int64_t out[MAXR];
    memcpy(out, x->dims, sizeof out);
    out[axis] = known ? k : -1;
    if (known && x->dims[axis] >= 0 && k > x->dims[axis])
        return odin_errorf("K = %lld exceeds axis %d's extent %lld", (long long)k, axis,
                           (long long)x->dims[axis]);
    odin_op_set_output(ctx, 0, x->dtype, x->rank, out);
    odin_op_set_output(ctx, 1, ODIN_I64, x->rank, out);
    return ODIN_OK;
}

static odin_status topk_eval(odin_op_ctx *ctx) {
    ODIN_TRY(topk_infer(ctx));
    for (int i = 0; i < ctx->n_out; i++) ODIN_TRY(odin_op_alloc_output(ctx, i));
    const odin_value *x = &ctx->in[0];
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
    int64_t k = ctx->out[0].dims[axis], n = x->dims[axis];
    int64_t outer = odin_dims_prod(x->dims, 0, axis), inner = odin_dims_prod(x->dims, axis + 1, x->rank);
    size_t es = odin_dtype_size(x->dtype);
    int64_t *idx = malloc(sizeof *idx * (size_t)(2 * n + 1));
    if (!idx) return odin_errorf("out of memory");
    topk_line line = {x->data, x->dtype, 0, inner, ctx->opset < 11 || odin_attr_i(ctx->node, "largest")};
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            line.base = o * n * inner + i;
            for (int64_t j = 0; j < n; j++) idx[j] = j;
            merge_sort(idx, idx + n, n, topk_cmp, &line);
            for (int64_t j = 0; j < k; j++) {
                size_t dst = (size_t)((o * k + j) * inner + i);
                memcpy((char *)ctx->out[0].data + dst * es,
                       (const char *)x->data + (size_t)(line.base + idx[j] * inner) * es, es);
                if (ctx->n_out > 1) ((int64_t *)ctx->out[1].data)[dst] = idx[j];
            }
        }
    free(idx);
    return ODIN_OK;
}

static const odin_attr_schema topk_attrs[] = {{"axis", ODIN_ATTR_INT, false, -1},
                                              {"largest", ODIN_ATTR_INT, false, 1},
                                              {"sorted", ODIN_ATTR_INT, false, 1},
                                              {"k", ODIN_ATTR_INT, false, 0},
                                              {NULL}};
const odin_op_def odin_op_topk = {
    "TopK", "", 1, 0, 1, 2, 2, 2, topk_attrs, topk_infer, topk_eval, NULL, 0,
    "K largest (or smallest) along an axis, sorted, ties to the lower index"};

/* ---- Unique ----------------------------------------------------------------------- */

/* Items are elements (no axis) or slices along the axis, compared lexicographically. */
typedef struct unique_items {
    const odin_value *x;
    int64_t outer, n, inner; /* item a covers x[o, a, i] for all o, i */
} unique_items;

static int unique_cmp(const void *c, int64_t a, int64_t b) {
    const unique_items *u = c;
    for (int64_t o = 0; o < u->outer; o++)
        for (int64_t i = 0; i < u->inner; i++) {
            int r = cmp_elem(u->x->data, u->x->dtype, (o * u->n + a) * u->inner + i,
                             (o * u->n + b) * u->inner + i);
            if (r) return r;
        }
    return 0;
}

static odin_status unique_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    bool has_axis = odin_node_has_attr(ctx->node, "axis");
    int64_t dims[MAXR];
    int r = 1;
    dims[0] = -1;
    if (has_axis) {
        if (x->rank < 0) r = -1;
        else {
            int axis;
            ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
            r = x->rank;
            memcpy(dims, x->dims, sizeof dims);
            dims[axis] = -1;
        }
    }
    odin_op_set_output(ctx, 0, x->dtype, r, dims);
    int64_t m = -1;
    for (int i = 1; i < ctx->n_out; i++) odin_op_set_output(ctx, i, ODIN_I64, 1, &m);
    return ODIN_OK;
}

static odin_status unique_eval(odin_op_ctx *ctx) {
    ODIN_TRY(unique_infer(ctx));
    const odin_value *x = &ctx->in[0];
    unique_items u = {x, 1, odin_value_numel(x), 1};
    int axis = 0;
    if (odin_node_has_attr(ctx->node, "axis")) {
        ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), x->rank, &axis));
        u.outer = odin_dims_prod(x->dims, 0, axis);
        u.n = x->dims[axis];
        u.inner = odin_dims_prod(x->dims, axis + 1, x->rank);
    }
    int64_t n = u.n;
    int64_t *buf = malloc(sizeof *buf * (size_t)(5 * n + 1));
    if (!buf) return odin_errorf("out of memory");
    int64_t *order = buf, *tmp = buf + n, *group = buf + 2 * n, *first = buf + 3 * n,
            *count = buf + 4 * n;
    for (int64_t i = 0; i < n; i++) order[i] = i;
    merge_sort(order, tmp, n, unique_cmp, &u);
    /* groups of equal items in sorted order; stability makes order[start] the first seen */
    int64_t ng = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i == 0 || unique_cmp(&u, order[i - 1], order[i])) {
            first[ng] = order[i];
            count[ng] = 0;
            ng++;
        }
        group[order[i]] = ng - 1;
        count[ng - 1]++;
    }
    /* rank[g]: the group's position in the output (sorted, or by first occurrence) */
    int64_t *rank = tmp, *by_pos = order;
    for (int64_t g = 0; g < ng; g++) by_pos[g] = g;
    if (!odin_attr_i(ctx->node, "sorted")) {
        /* order groups by first occurrence: mark each group at its first index, scan */
        int64_t *slot = malloc(sizeof *slot * (size_t)(n + 1));
        if (!slot) {
            free(buf);
            return odin_errorf("out of memory");
        }
        for (int64_t i = 0; i < n; i++) slot[i] = -1;
        for (int64_t g = 0; g < ng; g++) slot[first[g]] = g;
        int64_t p = 0;
        for (int64_t i = 0; i < n; i++)
            if (slot[i] >= 0) by_pos[p++] = slot[i];
        free(slot);
    }
    for (int64_t p = 0; p < ng; p++) rank[by_pos[p]] = p;

    /* outputs */
    odin_value *y = &ctx->out[0];
    if (odin_node_has_attr(ctx->node, "axis")) y->dims[axis] = ng;
    else y->dims[0] = ng;
    for (int i = 1; i < ctx->n_out; i++) ctx->out[i].dims[0] = i == 2 ? n : ng;
    odin_status st = ODIN_OK;
    for (int i = 0; i < ctx->n_out && !st; i++)
        if (ctx->node->outputs[i] >= 0) st = odin_op_alloc_output(ctx, i);
    if (st) {
        free(buf);
        return st;
    }
    size_t es = odin_dtype_size(x->dtype), chunk = (size_t)u.inner * es;
    for (int64_t p = 0; p < ng; p++) {
        int64_t g = by_pos[p], src = first[g];
        for (int64_t o = 0; o < u.outer; o++)
            memcpy((char *)y->data + (size_t)(o * ng + p) * chunk,
                   (const char *)x->data + (size_t)(o * n + src) * chunk, chunk);
        if (ctx->n_out > 1 && ctx->out[1].data) ((int64_t *)ctx->out[1].data)[p] = src;
        if (ctx->n_out > 3 && ctx->out[3].data) ((int64_t *)ctx->out[3].data)[p] = count[g];
    }
    if (ctx->n_out > 2 && ctx->out[2].data)
        for (int64_t i = 0; i < n; i++) ((int64_t *)ctx->out[2].data)[i] = rank[group[i]];
    free(buf);
    return ODIN_OK;
}

static const odin_attr_schema unique_attrs[] = {{"axis", ODIN_ATTR_INT, false, 0},
                                                {"sorted", ODIN_ATTR_INT, false, 1},
                                                {NULL}};
const odin_op_def odin_op_unique = {
    "Unique", "", 11, 0, 1, 1, 1, 4, unique_attrs, unique_infer, unique_eval, NULL, 0,
    "unique elements or slices, with first indices, inverse indices and counts"};
