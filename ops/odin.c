/* ops/odin.c — op family 'odin': compiler-internal ops of domain ai.odin that passes
 * create (see ops/op.h for what an op definition holds). PackedMatMul is MatMul/Gemm with
 * a constant right operand stored in the GEMM micro-kernel's panel layout (passes/pack.c);
 * FusedConv is Conv with the elementwise chain that followed it (residual Add, Relu/Clip)
 * applied before the store (passes/fuse_conv.c). Compiled forms: codegen/lower_matmul.c,
 * codegen/lower_conv.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

/* ---- PackedMatMul(A, P, C?, R?) -> Y ----
 * P [ceil(N/W), K, W] holds B [K, N] as column panels of width W: B(k, j) =
 * P[j / W, k, j % W], zero past N. Y = clamp(alpha * op(A) B + beta * C + R, act_min,
 * act_max) with op(A) = A^T when trans_a (A rank 2), else A's leading dims are batch rows:
 * Y = A.dims[:-1] + [N]. C broadcasts to Y unidirectionally (Gemm's rule); R (a residual
 * that passes/fuse_gemm.c folded in, with the Relu/Clip after it) has Y's shape. */

static const odin_attr_schema packed_attrs[] = {
    {"n", ODIN_ATTR_INT, true, 0, 0, NULL},
    {"trans_a", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"alpha", ODIN_ATTR_FLOAT, false, 0, 1.0f, NULL},
    {"beta", ODIN_ATTR_FLOAT, false, 0, 1.0f, NULL},
    {"act_min", ODIN_ATTR_FLOAT, false, 0, -INFINITY, NULL},
    {"act_max", ODIN_ATTR_FLOAT, false, 0, INFINITY, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static odin_status packed_infer(odin_op_ctx *ctx) {
    const odin_value *a = &ctx->in[0], *p = &ctx->in[1];
    int64_t n = odin_attr_i(ctx->node, "n");
    bool ta = odin_attr_i(ctx->node, "trans_a") != 0;
    char sa[128], sp[128];
    if (a->dtype != ODIN_F32 || p->dtype != ODIN_F32)
        return odin_errorf("PackedMatMul takes float32 operands (got %s and %s)",
                           odin_dtype_name(a->dtype), odin_dtype_name(p->dtype));
    if (p->rank != 3 || n < 1 || (p->dims[0] >= 0 && p->dims[2] >= 1 &&
                                  p->dims[0] != (n + p->dims[2] - 1) / p->dims[2]))
        return odin_errorf("PackedMatMul panels have shape %s, expected [ceil(%lld/W), K, W]",
                           odin_shape_str(p, sp, sizeof sp), (long long)n);
    if (a->rank < 1 || (ta && a->rank != 2))
        return odin_errorf("PackedMatMul input 0 has shape %s, expected rank %s",
                           odin_shape_str(a, sa, sizeof sa), ta ? "2 (trans_a)" : ">= 1");
    int64_t k = ta ? a->dims[0] : a->dims[a->rank - 1];
    if (k >= 0 && p->dims[1] >= 0 && k != p->dims[1])
        return odin_errorf("PackedMatMul input 0 has shape %s but the panels %s hold K = %lld",
                           odin_shape_str(a, sa, sizeof sa), odin_shape_str(p, sp, sizeof sp),
                           (long long)p->dims[1]);
    int64_t dims[ODIN_MAX_RANK];
    int rank = ta ? 2 : a->rank;
    if (ta) dims[0] = a->dims[1];
    else memcpy(dims, a->dims, sizeof(int64_t) * (size_t)a->rank);
    dims[rank - 1] = n;
    if (odin_op_has_input(ctx, 3)) {
        const odin_value *r = &ctx->in[3];
        bool same = r->dtype == ODIN_F32 && r->rank == rank;
        for (int i = 0; same && i < rank; i++) same = r->dims[i] == dims[i];
        if (!same)
            return odin_errorf("PackedMatMul residual has shape %s, expected the output's shape",
                               odin_shape_str(r, sa, sizeof sa));
    }
    odin_op_set_output(ctx, 0, ODIN_F32, rank, dims);
    return ODIN_OK;
}

static odin_status packed_eval(odin_op_ctx *ctx) {
    ODIN_TRY(packed_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *a = &ctx->in[0], *p = &ctx->in[1], *c = NULL;
    if (odin_op_has_input(ctx, 2)) c = &ctx->in[2];
    const odin_value *y = &ctx->out[0];
    bool ta = odin_attr_i(ctx->node, "trans_a") != 0;
    float alpha = odin_attr_f(ctx->node, "alpha"), beta = odin_attr_f(ctx->node, "beta");
    int64_t N = odin_attr_i(ctx->node, "n"), K = p->dims[1], W = p->dims[2];
    int64_t M = odin_value_numel(y) / N;
    const float *A = a->data, *P = p->data, *C = c ? c->data : NULL;
    const float *R = odin_op_has_input(ctx, 3) ? ctx->in[3].data : NULL;
    float lo = odin_attr_f(ctx->node, "act_min"), hi = odin_attr_f(ctx->node, "act_max");
    float *Y = y->data;
    /* C's strides over Y's last two dims (0 = broadcast), Gemm's unidirectional rule */
    int64_t c_si = 0, c_sj = 0;
    if (C) {
        if (c->rank > 2 || (c->rank == 2 && c->dims[0] != 1 && c->dims[0] != M) ||
            (c->rank >= 1 && c->dims[c->rank - 1] != 1 && c->dims[c->rank - 1] != N))
            return odin_errorf("PackedMatMul: C does not broadcast to [%lld, %lld]",
                               (long long)M, (long long)N);
        c_sj = c->rank >= 1 && c->dims[c->rank - 1] != 1 ? 1 : 0;
        c_si = c->rank == 2 && c->dims[0] != 1 ? c->dims[1] : 0;
    }
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            const float *col = P + (j / W) * K * W + j % W;
            double s = 0;
            for (int64_t k = 0; k < K; k++)
                s += (double)(ta ? A[k * M + i] : A[i * K + k]) * col[k * W];
            double v = alpha * s;
            if (C) v += (double)beta * C[i * c_si + j * c_sj];
            float f = (float)v;
            if (R) f += R[i * N + j];
            /* compare-and-select: NaN passes through, as Relu/Clip do */
            if (f < lo) f = lo;
            if (f > hi) f = hi;
            Y[i * N + j] = f;
        }
    return ODIN_OK;
}

static const odin_op_def packed_matmul_def = {
    .name = "PackedMatMul", .domain = "ai.odin", .since_version = 1, .min_inputs = 2,
    .max_inputs = 4, .min_outputs = 1, .max_outputs = 1, .attrs = packed_attrs,
    .infer = packed_infer, .eval = packed_eval,
    .doc = "MatMul/Gemm with a constant B in GEMM panel layout [ceil(N/W), K, W] (passes/pack.c)"};

/* ---- FusedConv(X, W, B?, R?) -> Y = clamp(Conv(X, W, B) + R, act_min, act_max) ----
 * Conv's attributes and reference kernel; R (optional) has Y's shape. w_rows > 0: W is
 * pre-packed (passes/pack.c) for the GEMM micro-kernel's A side: the Conv weight of shape
 * w_shape [M, Cg, k...] stored as [G, ceil(Mg/R), Cg*taps, R] (R = w_rows, Mg = M/G),
 * W(g*Mg + i, c, tap) = P[g, i / R, c*taps + tap, i % R], zero rows past Mg. */

static const odin_attr_schema fused_conv_attrs[] = {
    {"auto_pad", ODIN_ATTR_STRING, false, 0, 0, "NOTSET"},
    {"dilations", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"group", ODIN_ATTR_INT, false, 1, 0, NULL},
    {"kernel_shape", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"pads", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"strides", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {"act_min", ODIN_ATTR_FLOAT, false, 0, -INFINITY, NULL},
    {"act_max", ODIN_ATTR_FLOAT, false, 0, INFINITY, NULL},
    {"w_rows", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"w_shape", ODIN_ATTR_INTS, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

/* The Conv weight's shape of a packed W (w_rows > 0) after checking P's shape against it:
 * w gets the dims, no data. */
static odin_status packed_weight_shape(const odin_op_ctx *ctx, odin_value *w) {
    const odin_value *p = &ctx->in[1];
    int64_t R = odin_attr_i(ctx->node, "w_rows"), G = odin_attr_i(ctx->node, "group");
    const int64_t *ws = NULL;
    int rank = odin_attr_ints(ctx->node, "w_shape", &ws);
    char sp[128];
    if (rank < 3 || rank > ODIN_MAX_RANK || G < 1 || ws[0] < 1 || ws[0] % G)
        return odin_errorf("FusedConv: packed weights need w_shape [M, Cg, k...] (rank %d) "
                           "with M a multiple of group %lld", rank, (long long)G);
    int64_t K = 1;
    for (int i = 1; i < rank; i++) {
        if (ws[i] < 1) return odin_errorf("FusedConv: w_shape has a dim %lld", (long long)ws[i]);
        K *= ws[i];
    }
    int64_t Mg = ws[0] / G;
    if (p->dtype != ODIN_F32 || p->rank != 4 || p->dims[0] != G || p->dims[1] != (Mg + R - 1) / R ||
        p->dims[2] != K || p->dims[3] != R)
        return odin_errorf("FusedConv: packed weights have shape %s, expected [%lld, %lld, %lld, %lld]",
                           odin_shape_str(p, sp, sizeof sp), (long long)G, (long long)((Mg + R - 1) / R),
                           (long long)K, (long long)R);
    memset(w, 0, sizeof *w);
    w->dtype = ODIN_F32;
    w->rank = rank;
    memcpy(w->dims, ws, sizeof(int64_t) * (size_t)rank);
    return ODIN_OK;
}

/* ctx narrowed to Conv's inputs (X, W, B?), for Conv's own infer/eval; a packed W is
 * replaced by `w` (its Conv shape, from packed_weight_shape) in ins. */
static const odin_op_def *conv_def(odin_op_ctx *ctx, odin_op_ctx *conv, odin_value ins[3],
                                   const odin_value *w) {
    *conv = *ctx;
    if (conv->n_in > 3) conv->n_in = 3;
    if (w) {
        for (int i = 0; i < conv->n_in; i++) ins[i] = ctx->in[i];
        ins[1] = *w;
        conv->in = ins;
    }
    return odin_op_find("Conv", "", 0);
}

static odin_status fused_conv_infer(odin_op_ctx *ctx) {
    odin_op_ctx cc;
    odin_value ins[3], w;
    bool packed = odin_attr_i(ctx->node, "w_rows") > 0;
    if (packed) ODIN_TRY(packed_weight_shape(ctx, &w));
    const odin_op_def *d = conv_def(ctx, &cc, ins, packed ? &w : NULL);
    if (!d || !d->infer) return odin_errorf("FusedConv needs the Conv definition");
    ODIN_TRY(d->infer(&cc));
    if (ctx->out[0].dtype != ODIN_F32) return odin_errorf("FusedConv is float32 only");
    if (odin_op_has_input(ctx, 3)) {
        const odin_value *r = &ctx->in[3], *y = &ctx->out[0];
        bool same = r->dtype == ODIN_F32 && r->rank == y->rank;
        for (int i = 0; same && i < r->rank; i++) same = r->dims[i] == y->dims[i];
        char sr[128], sy[128];
        if (!same)
            return odin_errorf("FusedConv residual has shape %s, expected the output's %s",
                               odin_shape_str(r, sr, sizeof sr), odin_shape_str(y, sy, sizeof sy));
    }
    return ODIN_OK;
}

/* Unpack P (shape checked) into w->data, a fresh [M, Cg*taps] buffer. */
static odin_status unpack_weight(const odin_op_ctx *ctx, odin_value *w) {
    int64_t R = odin_attr_i(ctx->node, "w_rows"), G = odin_attr_i(ctx->node, "group");
    int64_t M = w->dims[0], Mg = M / G, K = odin_value_numel(w) / M, nb = (Mg + R - 1) / R;
    float *dst = malloc(sizeof(float) * (size_t)(M * K));
    if (!dst) return odin_errorf("FusedConv: out of memory unpacking weights");
    const float *P = ctx->in[1].data;
    for (int64_t g = 0; g < G; g++)
        for (int64_t i = 0; i < Mg; i++)
            for (int64_t k = 0; k < K; k++)
                dst[(g * Mg + i) * K + k] = P[((g * nb + i / R) * K + k) * R + i % R];
    w->data = dst;
    return ODIN_OK;
}

static odin_status fused_conv_eval(odin_op_ctx *ctx) {
    ODIN_TRY(fused_conv_infer(ctx));
    odin_op_ctx cc;
    odin_value ins[3], w;
    bool packed = odin_attr_i(ctx->node, "w_rows") > 0;
    if (packed) {
        ODIN_TRY(packed_weight_shape(ctx, &w));
        ODIN_TRY(unpack_weight(ctx, &w));
    }
    const odin_op_def *d = conv_def(ctx, &cc, ins, packed ? &w : NULL);
    odin_status st = d->eval(&cc);
    if (packed) free(w.data);
    ODIN_TRY(st);
    float lo = odin_attr_f(ctx->node, "act_min"), hi = odin_attr_f(ctx->node, "act_max");
    float *y = ctx->out[0].data;
    const float *r = odin_op_has_input(ctx, 3) ? ctx->in[3].data : NULL;
    int64_t n = odin_value_numel(&ctx->out[0]);
    for (int64_t i = 0; i < n; i++) {
        float v = r ? y[i] + r[i] : y[i];
        y[i] = v < lo ? lo : v > hi ? hi : v;
    }
    return ODIN_OK;
}

static const odin_op_def fused_conv_def = {
    .name = "FusedConv", .domain = "ai.odin", .since_version = 1, .min_inputs = 2,
    .max_inputs = 4, .min_outputs = 1, .max_outputs = 1, .attrs = fused_conv_attrs,
    .infer = fused_conv_infer, .eval = fused_conv_eval,
    .doc = "Conv + residual R + clamp to [act_min, act_max] (Relu/Clip) (passes/fuse_conv.c)"};

const odin_op_def *const odin_ops_odin[] = {&packed_matmul_def, &fused_conv_def, NULL};
