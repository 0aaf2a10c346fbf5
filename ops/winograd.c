/* ops/winograd.c — op family 'winograd': the ai.odin ops a 3x3 stride-1 convolution is
 * decomposed into by passes/winograd.c (transforms in ops/winograd.h):
 *   WinogradInput(X [N, C, H, W]) -> V [T, C, P] (stored as [1, T*C, P, 1]): every a x a input tile (zero padded)
 *     transformed to B^T d B; T = a * a transform points, P = N * TH * TW tiles, tile
 *     p = (n * TH + ty) * TW + tx reads input rows ty*m - pads[0] .. + a-1 and columns
 *     tx*m - pads[1] .. + a-1;
 *   (a 1x1 Conv with T groups, the constant filter transform U [T*K, C, 1, 1] as weights,
 *     is the batched GEMM U V = M [T, K, P], stored as [1, T*K, P, 1])
 *   WinogradOutput(M, B? [K], R? [N, K, OH, OW]) -> Y = clamp(A^T m A + B + R, act_min,
 *     act_max), the FusedConv epilogue, written as NCHW.
 * The evals are the plain reference (double sums); codegen/lower_winograd.c compiles them. */
#include <math.h>
#include <string.h>

#include "op.h"
#include "winograd.h"

static const odin_wino_mats mats2 = {
    2, 4,
    {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
    {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
    {{1, 1, 1, 0}, {0, 1, -1, -1}}};

static const odin_wino_mats mats4 = {
    4, 6,
    {{4, 0, -5, 0, 1, 0},
     {0, -4, -4, 1, 1, 0},
     {0, 4, -4, -1, 1, 0},
     {0, -2, -1, 2, 1, 0},
     {0, 2, -1, -2, 1, 0},
     {0, 4, 0, -5, 0, 1}},
    {{1.0 / 4, 0, 0},
     {-1.0 / 6, -1.0 / 6, -1.0 / 6},
     {-1.0 / 6, 1.0 / 6, -1.0 / 6},
     {1.0 / 24, 1.0 / 12, 1.0 / 6},
     {1.0 / 24, -1.0 / 12, 1.0 / 6},
     {0, 0, 1}},
    {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}}};

const odin_wino_mats *odin_wino_mats_get(int64_t m) {
    return m == 2 ? &mats2 : m == 4 ? &mats4 : NULL;
}

/* m and out_hw [OH, OW] of a node, checked; pads [top, left] when asked. */
static odin_status read_geometry(const odin_node *n, const odin_wino_mats **w, int64_t *oh,
                                 int64_t *ow, int64_t pads[2]) {
    const int64_t *o = NULL, *p = NULL;
    *w = odin_wino_mats_get(odin_attr_i(n, "m"));
    if (!*w) return odin_errorf("%s: m must be 2 or 4 (got %lld)", n->op, (long long)odin_attr_i(n, "m"));
    if (odin_attr_ints(n, "out_hw", &o) != 2 || o[0] < 1 || o[1] < 1)
        return odin_errorf("%s: out_hw must be two positive extents", n->op);
    *oh = o[0];
    *ow = o[1];
    if (pads) {
        if (odin_attr_ints(n, "pads", &p) != 2 || p[0] < 0 || p[1] < 0 || p[0] > 16 || p[1] > 16)
            return odin_errorf("%s: pads must be [top, left] in 0..16", n->op);
        pads[0] = p[0];
        pads[1] = p[1];
    }
    return ODIN_OK;
}

/* ---- WinogradInput ---- */

static const odin_attr_schema input_attrs[] = {
    {"m", ODIN_ATTR_INT, true, 0, 0, NULL},
    {"pads", ODIN_ATTR_INTS, true, 0, 0, NULL},
    {"out_hw", ODIN_ATTR_INTS, true, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static odin_status input_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    const odin_wino_mats *w;
    int64_t oh, ow, pads[2];
    char sx[128];
    ODIN_TRY(read_geometry(ctx->node, &w, &oh, &ow, pads));
    if (x->dtype != ODIN_F32 || x->rank != 4 || x->dims[0] < 1 || x->dims[1] < 1 ||
        x->dims[2] < 1 || x->dims[3] < 1)
        return odin_errorf("WinogradInput takes a float32 [N, C, H, W] input (got %s %s)",
                           odin_dtype_name(x->dtype), odin_shape_str(x, sx, sizeof sx));
    int64_t dims[4] = {1, w->a * w->a * x->dims[1],
                       x->dims[0] * odin_wino_tiles(oh, w->m) * odin_wino_tiles(ow, w->m), 1};
    odin_op_set_output(ctx, 0, ODIN_F32, 4, dims);
    return ODIN_OK;
}

static odin_status input_eval(odin_op_ctx *ctx) {
    ODIN_TRY(input_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_wino_mats *w;
    int64_t oh, ow, pads[2];
    ODIN_TRY(read_geometry(ctx->node, &w, &oh, &ow, pads));
    const odin_value *x = &ctx->in[0];
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t m = w->m, a = w->a, TH = odin_wino_tiles(oh, m), TW = odin_wino_tiles(ow, m);
    int64_t P = N * TH * TW;
    const float *X = x->data;
    float *V = ctx->out[0].data;
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t ty = 0; ty < TH; ty++)
                for (int64_t tx = 0; tx < TW; tx++) {
                    double d[ODIN_WINO_MAX_A][ODIN_WINO_MAX_A], t[ODIN_WINO_MAX_A][ODIN_WINO_MAX_A];
                    for (int64_t r = 0; r < a; r++)
                        for (int64_t q = 0; q < a; q++) {
                            int64_t iy = ty * m - pads[0] + r, ix = tx * m - pads[1] + q;
                            d[r][q] = iy >= 0 && iy < H && ix >= 0 && ix < W
                                          ? X[((n * C + c) * H + iy) * W + ix] : 0.0;
                        }
                    for (int64_t i = 0; i < a; i++)
                        for (int64_t q = 0; q < a; q++) {
                            double s = 0;
                            for (int64_t r = 0; r < a; r++) s += w->bt[i][r] * d[r][q];
                            t[i][q] = s;
                        }
                    int64_t p = (n * TH + ty) * TW + tx;
                    for (int64_t i = 0; i < a; i++)
                        for (int64_t j = 0; j < a; j++) {
                            double s = 0;
                            for (int64_t q = 0; q < a; q++) s += t[i][q] * w->bt[j][q];
                            V[((i * a + j) * C + c) * P + p] = (float)s;
                        }
                }
    return ODIN_OK;
}

static const odin_op_def input_def = {
    .name = "WinogradInput", .domain = "ai.odin", .since_version = 1, .min_inputs = 1,
    .max_inputs = 1, .min_outputs = 1, .max_outputs = 1, .attrs = input_attrs,
    .infer = input_infer, .eval = input_eval,
    .doc = "3x3 conv input tiles to the Winograd domain B^T d B: [N,C,H,W] -> [T,C,P] "
           "(passes/winograd.c)"};

/* ---- WinogradOutput ---- */

static const odin_attr_schema output_attrs[] = {
    {"m", ODIN_ATTR_INT, true, 0, 0, NULL},
    {"out_hw", ODIN_ATTR_INTS, true, 0, 0, NULL},
    {"act_min", ODIN_ATTR_FLOAT, false, 0, -INFINITY, NULL},
    {"act_max", ODIN_ATTR_FLOAT, false, 0, INFINITY, NULL},
    {NULL, 0, false, 0, 0, NULL}};

static odin_status output_infer(odin_op_ctx *ctx) {
    const odin_value *mm = &ctx->in[0];
    const odin_wino_mats *w;
    int64_t oh, ow;
    char s[128];
    ODIN_TRY(read_geometry(ctx->node, &w, &oh, &ow, NULL));
    int64_t tiles = odin_wino_tiles(oh, w->m) * odin_wino_tiles(ow, w->m), T = w->a * w->a;
    if (mm->dtype != ODIN_F32 || mm->rank != 4 || mm->dims[0] != 1 || mm->dims[1] < T ||
        mm->dims[1] % T || mm->dims[2] < 1 || mm->dims[2] % tiles || mm->dims[3] != 1)
        return odin_errorf("WinogradOutput input 0 has shape %s, expected [1, %lld * K, N * %lld, 1]",
                           odin_shape_str(mm, s, sizeof s), (long long)T, (long long)tiles);
    int64_t dims[4] = {mm->dims[2] / tiles, mm->dims[1] / T, oh, ow};
    if (odin_op_has_input(ctx, 1)) {
        const odin_value *b = &ctx->in[1];
        if (b->dtype != ODIN_F32 || b->rank != 1 || b->dims[0] != dims[1])
            return odin_errorf("WinogradOutput bias has shape %s, expected [%lld]",
                               odin_shape_str(b, s, sizeof s), (long long)dims[1]);
    }
    if (ctx->n_in > 2 && odin_op_has_input(ctx, 2)) {
        const odin_value *r = &ctx->in[2];
        bool same = r->dtype == ODIN_F32 && r->rank == 4;
        for (int i = 0; same && i < 4; i++) same = r->dims[i] == dims[i];
        if (!same)
            return odin_errorf("WinogradOutput residual has shape %s, expected [%lld,%lld,%lld,%lld]",
                               odin_shape_str(r, s, sizeof s), (long long)dims[0],
                               (long long)dims[1], (long long)dims[2], (long long)dims[3]);
    }
    odin_op_set_output(ctx, 0, ODIN_F32, 4, dims);
    return ODIN_OK;
}

static odin_status output_eval(odin_op_ctx *ctx) {
    ODIN_TRY(output_infer(ctx));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_wino_mats *w;
    int64_t oh, ow;
    ODIN_TRY(read_geometry(ctx->node, &w, &oh, &ow, NULL));
    const odin_value *y = &ctx->out[0];
    int64_t N = y->dims[0], K = y->dims[1], m = w->m, a = w->a;
    int64_t TH = odin_wino_tiles(oh, m), TW = odin_wino_tiles(ow, m), P = N * TH * TW;
    const float *M = ctx->in[0].data;
    const float *B = odin_op_has_input(ctx, 1) ? ctx->in[1].data : NULL;
    const float *R = ctx->n_in > 2 && odin_op_has_input(ctx, 2) ? ctx->in[2].data : NULL;
    float lo = odin_attr_f(ctx->node, "act_min"), hi = odin_attr_f(ctx->node, "act_max");
    float *Y = y->data;
    for (int64_t n = 0; n < N; n++)
        for (int64_t k = 0; k < K; k++)
            for (int64_t ty = 0; ty < TH; ty++)
                for (int64_t tx = 0; tx < TW; tx++) {
                    int64_t p = (n * TH + ty) * TW + tx;
                    double t[4][ODIN_WINO_MAX_A];
                    for (int64_t i = 0; i < m; i++)
                        for (int64_t q = 0; q < a; q++) {
                            double s = 0;
                            for (int64_t r = 0; r < a; r++)
                                s += w->at[i][r] * M[((r * a + q) * K + k) * P + p];
                            t[i][q] = s;
                        }
                    for (int64_t i = 0; i < m; i++)
                        for (int64_t j = 0; j < m; j++) {
                            int64_t oy = ty * m + i, ox = tx * m + j;
                            if (oy >= oh || ox >= ow) continue;
                            double s = 0;
                            for (int64_t q = 0; q < a; q++) s += t[i][q] * w->at[j][q];
                            int64_t at = ((n * K + k) * oh + oy) * ow + ox;
                            float v = (float)s + (B ? B[k] : 0.0f);
                            if (R) v += R[at];
                            Y[at] = v < lo ? lo : v > hi ? hi : v;
                        }
                }
    return ODIN_OK;
}

static const odin_op_def output_def = {
    .name = "WinogradOutput", .domain = "ai.odin", .since_version = 1, .min_inputs = 1,
    .max_inputs = 3, .min_outputs = 1, .max_outputs = 1, .attrs = output_attrs,
    .infer = output_infer, .eval = output_eval,
    .doc = "Winograd-domain products [T,K,P] back to NCHW A^T m A, + bias, + residual, clamp "
           "(passes/winograd.c)"};

const odin_op_def *const odin_ops_winograd[] = {&input_def, &output_def, NULL};
