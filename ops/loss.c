/* ops/loss.c — op family 'loss': NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
 * (which is NegativeLogLikelihoodLoss over LogSoftmax along axis 1). Inputs are
 * [N,C,d1..dk] scores, [N,d1..dk] integer targets and an optional [C] class weight;
 * reduction none / sum / mean (mean divides by the summed weights of the counted
 * targets); a target equal to ignore_index contributes nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "shape_util.h"

typedef enum { RED_NONE, RED_SUM, RED_MEAN } reduction;

static odin_status get_reduction(const odin_node *n, reduction *r) {
    const char *s = odin_attr_s(n, "reduction");
    if (!s || strcmp(s, "mean") == 0) *r = RED_MEAN;
    else if (strcmp(s, "sum") == 0) *r = RED_SUM;
    else if (strcmp(s, "none") == 0) *r = RED_NONE;
    else return odin_errorf("reduction '%s' is not one of none, sum, mean", s);
    return ODIN_OK;
}

/* Checks scores [N,C,d...], target [N,d...] and weight [C]; sets the loss output (and
 * the log_prob output, same shape as the scores, when the node has it). */
static odin_status loss_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *t = &ctx->in[1];
    char sx[128], st[128];
    if (!odin_dtype_is_float(x->dtype))
        return odin_errorf("input 0 has dtype %s, expected a float type", odin_dtype_name(x->dtype));
    if (t->dtype != ODIN_I32 && t->dtype != ODIN_I64)
        return odin_errorf("target has dtype %s, expected int32 or int64", odin_dtype_name(t->dtype));
    reduction red;
    ODIN_TRY(get_reduction(ctx->node, &red));
    if (odin_op_has_input(ctx, 2)) {
        const odin_value *w = &ctx->in[2];
        if (w->dtype != x->dtype)
            return odin_errorf("weight has dtype %s, input 0 %s", odin_dtype_name(w->dtype),
                               odin_dtype_name(x->dtype));
        if (w->rank >= 0 && w->rank != 1)
            return odin_errorf("weight has shape %s, expected rank 1", odin_shape_str(w, sx, sizeof sx));
        if (w->rank == 1 && x->rank >= 2 && w->dims[0] >= 0 && x->dims[1] >= 0 &&
            w->dims[0] != x->dims[1])
            return odin_errorf("weight has %lld classes, input 0 %lld", (long long)w->dims[0],
                               (long long)x->dims[1]);
    }
    if (x->rank >= 0 && x->rank < 2)
        return odin_errorf("input 0 has shape %s, expected [N,C,...]", odin_shape_str(x, sx, sizeof sx));
    if (x->rank >= 0 && t->rank >= 0) {
        bool ok = t->rank == x->rank - 1;
        for (int i = 0; ok && i < t->rank; i++) {
            int64_t dx = x->dims[i == 0 ? 0 : i + 1], dt = t->dims[i];
            if (dx >= 0 && dt >= 0 && dx != dt) ok = false;
        }
        if (!ok)
            return odin_errorf("target has shape %s, expected input 0's %s without dim 1",
                               odin_shape_str(t, st, sizeof st), odin_shape_str(x, sx, sizeof sx));
    }
    if (red == RED_NONE) {
        int64_t dims[ODIN_MAX_RANK];
        int r = x->rank < 0 ? -1 : x->rank - 1;
        for (int i = 0; i < r; i++) {
            int64_t dx = x->dims[i == 0 ? 0 : i + 1];
            dims[i] = dx >= 0 ? dx : t->rank == r ? t->dims[i] : -1;
        }
        odin_op_set_output(ctx, 0, x->dtype, r, dims);
    } else {
        odin_op_set_output(ctx, 0, x->dtype, 0, NULL);
    }
    if (ctx->n_out > 1) odin_op_set_output(ctx, 1, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

/* The loss over log-probabilities lp (double, laid out as [N,C,D]) into output 0. */
static odin_status nll_compute(odin_op_ctx *ctx, const double *lp) {
    const odin_value *x = &ctx->in[0], *t = &ctx->in[1];
    reduction red;
    ODIN_TRY(get_reduction(ctx->node, &red));
    bool has_ii = odin_node_has_attr(ctx->node, "ignore_index");
    int64_t ii = has_ii ? odin_attr_i(ctx->node, "ignore_index") : 0;
    bool has_w = odin_op_has_input(ctx, 2);
    int64_t n = x->dims[0], c = x->dims[1], d = odin_dims_prod(x->dims, 2, x->rank);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    double sum = 0, wsum = 0;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            int64_t k = i * d + j;
            int64_t cls = odin_load_as_i64(t->data, t->dtype, (size_t)k);
            double loss = 0, w = 0;
            if (!(has_ii && cls == ii)) {
                if (cls < 0 || cls >= c)
                    return odin_errorf("target[%lld] = %lld is not a class in [0,%lld)",
                                       (long long)k, (long long)cls, (long long)c);
                w = has_w ? odin_load_as_f64(ctx->in[2].data, ctx->in[2].dtype, (size_t)cls) : 1.0;
                loss = -lp[(i * c + cls) * d + j] * w;
            }
            if (red == RED_NONE) odin_store_from_f64(ctx->out[0].data, x->dtype, (size_t)k, loss);
            sum += loss;
            wsum += w;
        }
    if (red == RED_SUM) odin_store_from_f64(ctx->out[0].data, x->dtype, 0, sum);
    /* every target ignored: 0/0, as the reference computes it */
    if (red == RED_MEAN) odin_store_from_f64(ctx->out[0].data, x->dtype, 0, sum / wsum);
    return ODIN_OK;
}

/* Input 0 as doubles (log_softmax along axis 1 when `softmax`); NULL on allocation failure. */
static double *load_scores(const odin_value *x, bool softmax) {
    int64_t numel = odin_value_numel(x);
    double *v = malloc((size_t)(numel > 0 ? numel : 1) * sizeof *v);
    if (!v) return NULL;
    for (int64_t i = 0; i < numel; i++) v[i] = odin_load_as_f64(x->data, x->dtype, (size_t)i);
    if (!softmax) return v;
    int64_t n = x->dims[0], c = x->dims[1], d = odin_dims_prod(x->dims, 2, x->rank);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) {
            double *p = v + i * c * d + j, m = -INFINITY, s = 0;
            for (int64_t k = 0; k < c; k++) m = p[k * d] > m ? p[k * d] : m;
            for (int64_t k = 0; k < c; k++) s += exp(p[k * d] - m);
            double lse = m + log(s);
            for (int64_t k = 0; k < c; k++) p[k * d] -= lse;
        }
    return v;
}

static odin_status loss_eval(odin_op_ctx *ctx, bool softmax) {
    ODIN_TRY(loss_infer(ctx));
    double *lp = load_scores(&ctx->in[0], softmax);
    if (!lp) return odin_errorf("out of memory");
    odin_status st = nll_compute(ctx, lp);
    if (!st && ctx->n_out > 1 && ctx->out[1].dtype != ODIN_UNDEFINED) {
        st = odin_op_alloc_output(ctx, 1);
        int64_t numel = odin_value_numel(&ctx->in[0]);
        for (int64_t i = 0; !st && i < numel; i++)
            odin_store_from_f64(ctx->out[1].data, ctx->out[1].dtype, (size_t)i, lp[i]);
    }
    free(lp);
    return st;
}

static odin_status nll_eval(odin_op_ctx *ctx) { return loss_eval(ctx, false); }
static odin_status sce_eval(odin_op_ctx *ctx) { return loss_eval(ctx, true); }

static const odin_attr_schema loss_attrs[] = {
    {"reduction", ODIN_ATTR_STRING, false, 0, 0, "mean"},
    {"ignore_index", ODIN_ATTR_INT, false},
    {NULL}};

static const odin_op_def nll_def = {
    "NegativeLogLikelihoodLoss", "", 12, 0, 2, 3, 1, 1, loss_attrs, loss_infer, nll_eval, NULL, 0,
    "-input[n, target[n,d], d] * weight[target], reduced by none/sum/weighted mean"};
static const odin_op_def sce_def = {
    "SoftmaxCrossEntropyLoss", "", 12, 0, 2, 3, 1, 2, loss_attrs, loss_infer, sce_eval, NULL, 0,
    "NegativeLogLikelihoodLoss of LogSoftmax(scores, axis 1); optional log_prob output"};

const odin_op_def *const odin_ops_loss[] = {&nll_def, &sce_def, NULL};
