/* ops/pad.c — Pad (listed in the 'shape' family): constant / reflect / edge / wrap
 * padding, negative pads crop, pads as an attribute (opset < 11) or input, axes input
 * from opset 18. Negative pads crop first; the cropped tensor is then padded (the
 * order only matters for reflect / wrap). */
#include <string.h>

#include "op.h"
#include "shape_util.h"

#define MAXR ODIN_MAX_RANK

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

/* Per axis: begin/end pads (negative = crop). *known = false when pads are not constant. */
static odin_status pad_amounts(odin_op_ctx *ctx, int rank, int64_t *pb, int64_t *pe,
                               bool *known) {
    int64_t pads[2 * MAXR];
    int n;
    *known = true;
    for (int d = 0; d < rank; d++) pb[d] = pe[d] = 0;
    if (ctx->opset < 11) {
        const int64_t *a;
        n = odin_attr_ints(ctx->node, "pads", &a);
        if (n > 2 * MAXR) return odin_errorf("pads has too many values");
        if (n) memcpy(pads, a, sizeof *a * n);
    } else {
        if (ctx->n_in < 2) return odin_errorf("the pads input is required");
        if (!odin_value_known(&ctx->in[1]) ||
            (odin_op_has_input(ctx, 3) && !odin_value_known(&ctx->in[3]))) {
            *known = false;
            return ODIN_OK;
        }
        ODIN_TRY(odin_value_ints(&ctx->in[1], "pads", pads, 2 * MAXR, &n));
    }
    int axes[MAXR];
    int n_axes = rank;
    for (int d = 0; d < rank; d++) axes[d] = d;
    if (ctx->opset >= 18 && odin_op_has_input(ctx, 3)) {
        int64_t a[MAXR];
        ODIN_TRY(odin_value_ints(&ctx->in[3], "axes", a, MAXR, &n_axes));
        for (int i = 0; i < n_axes; i++) ODIN_TRY(odin_norm_axis(a[i], rank, &axes[i]));
    }
    if (n != 2 * n_axes)
        return odin_errorf("pads has %d values, expected %d (2 per padded axis)", n, 2 * n_axes);
    for (int i = 0; i < n_axes; i++) {
        pb[axes[i]] = pads[i];
        pe[axes[i]] = pads[i + n_axes];
    }
    return ODIN_OK;
}

static odin_status pad_mode_of(odin_op_ctx *ctx, pad_mode *m) {
    const char *s = odin_attr_s(ctx->node, "mode");
    if (!s || !strcmp(s, "constant")) *m = PAD_CONSTANT;
    else if (!strcmp(s, "reflect")) *m = PAD_REFLECT;
    else if (!strcmp(s, "edge")) *m = PAD_EDGE;
    else if (!strcmp(s, "wrap")) *m = PAD_WRAP;
    else return odin_errorf("unknown mode '%s'", s);
    return ODIN_OK;
}

static odin_status pad_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    pad_mode mode;
    ODIN_TRY(pad_mode_of(ctx, &mode));
    if (x->rank < 0) {
        odin_op_set_output(ctx, 0, x->dtype, -1, NULL);
        return ODIN_OK;
    }
    int64_t pb[MAXR], pe[MAXR], out[MAXR];
    bool known;
    ODIN_TRY(pad_amounts(ctx, x->rank, pb, pe, &known));
    if (!known) {
        odin_op_set_output(ctx, 0, x->dtype, x->rank, NULL);
        return ODIN_OK;
    }
    for (int d = 0; d < x->rank; d++) {
        if (x->dims[d] < 0) {
            out[d] = -1;
            continue;
        }
        if (pb[d] > ((int64_t)1 << 48) || pe[d] > ((int64_t)1 << 48) ||
            pb[d] < -x->dims[d] || pe[d] < -x->dims[d])
            return odin_errorf("pads %lld,%lld are out of range for axis %d of extent %lld",
                               (long long)pb[d], (long long)pe[d], d, (long long)x->dims[d]);
        out[d] = x->dims[d] + pb[d] + pe[d];
        if (out[d] < 0)
            return odin_errorf("pads %lld,%lld crop more than axis %d's extent %lld",
                               (long long)pb[d], (long long)pe[d], d, (long long)x->dims[d]);
        int64_t kept = x->dims[d] - (pb[d] < 0 ? -pb[d] : 0) - (pe[d] < 0 ? -pe[d] : 0);
        if (mode != PAD_CONSTANT && kept == 0 && out[d] > 0)
            return odin_errorf("cannot pad an empty axis %d in this mode", d);
    }
    return odin_op_set_output_checked(ctx, 0, x->dtype, x->rank, out);
}

/* Index into a kept extent n for a padded coordinate j (outside [0,n)); -1 = constant. */
static int64_t pad_source(pad_mode mode, int64_t j, int64_t n) {
    switch (mode) {
    case PAD_EDGE: return j < 0 ? 0 : n - 1;
    case PAD_WRAP: return ((j % n) + n) % n;
    case PAD_REFLECT: {
        if (n == 1) return 0;
        int64_t p = 2 * (n - 1), m = ((j % p) + p) % p;
        return m >= n ? p - m : m;
    }
    default: return -1;
    }
}

static odin_status pad_eval(odin_op_ctx *ctx) {
    ODIN_TRY(pad_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    odin_value *y = &ctx->out[0];
    pad_mode mode;
    ODIN_TRY(pad_mode_of(ctx, &mode));
    int64_t pb[MAXR], pe[MAXR];
    bool known;
    ODIN_TRY(pad_amounts(ctx, x->rank, pb, pe, &known));
    size_t es = odin_dtype_size(x->dtype);
    unsigned char cval[16] = {0};
    if (ctx->opset < 11) {
        odin_store_from_f64(cval, x->dtype, 0, odin_attr_f(ctx->node, "value"));
    } else if (odin_op_has_input(ctx, 2) && odin_value_numel(&ctx->in[2]) > 0) {
        const odin_value *c = &ctx->in[2];
        if (c->dtype != x->dtype)
            return odin_errorf("constant_value has dtype %s, data %s", odin_dtype_name(c->dtype),
                               odin_dtype_name(x->dtype));
        memcpy(cval, c->data, es);
    }
    int r = x->rank;
    int64_t lo[MAXR], kept[MAXR], padb[MAXR], xs[MAXR], idx[MAXR] = {0};
    odin_strides(r, x->dims, xs);
    for (int d = 0; d < r; d++) {
        lo[d] = pb[d] < 0 ? -pb[d] : 0;
        padb[d] = pb[d] > 0 ? pb[d] : 0;
        kept[d] = x->dims[d] - lo[d] - (pe[d] < 0 ? -pe[d] : 0);
    }
    int64_t n = odin_value_numel(y);
    char *dst = y->data;
    for (int64_t o = 0; o < n; o++) {
        int64_t off = 0;
        bool constant = false;
        for (int d = 0; d < r && !constant; d++) {
            int64_t j = idx[d] - padb[d];
            if (j < 0 || j >= kept[d]) {
                j = pad_source(mode, j, kept[d]);
                if (j < 0) constant = true;
            }
            off += (lo[d] + j) * xs[d];
        }
        memcpy(dst + (size_t)o * es, constant ? (const void *)cval
                                               : (const char *)x->data + (size_t)off * es, es);
        for (int d = r - 1; d >= 0; d--) {
            if (++idx[d] < y->dims[d]) break;
            idx[d] = 0;
        }
    }
    return ODIN_OK;
}

static const odin_attr_schema pad_attrs[] = {{"mode", ODIN_ATTR_STRING, false, 0, 0, "constant"},
                                             {"pads", ODIN_ATTR_INTS, false},
                                             {"value", ODIN_ATTR_FLOAT, false, 0, 0.0f},
                                             {NULL}};
const odin_op_def odin_op_pad = {
    "Pad", "", 1, 0, 1, 4, 1, 1, pad_attrs, pad_infer, pad_eval, NULL, ODIN_OP_SHAPE_ONLY,
    "pad (constant/reflect/edge/wrap); negative pads crop"};
