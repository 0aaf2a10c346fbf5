/* ops/lm.c — op family 'lm': the language-model ops of domain ai.odin (WKV6, TokenShift,
 * RoPE, CachedAttention, PositionIds, Attention), specified in docs/language-models.md. The reference
 * kernels follow those equations literally and accumulate in double; the compiled forms
 * live in codegen/lower_lm.c. See ops/op.h for what an op definition holds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

/* ---- shape checks shared by the ops ---- */

/* dims known (>= 0) on both sides and different */
static bool dim_differs(int64_t a, int64_t b) { return a >= 0 && b >= 0 && a != b; }

static odin_status check_f32(const odin_value *v, const char *what) {
    if (v->dtype != ODIN_F32)
        return odin_errorf("%s has dtype %s, expected float32", what, odin_dtype_name(v->dtype));
    return ODIN_OK;
}

static odin_status check_rank(const odin_value *v, int rank, const char *what,
                              const char *layout) {
    char s[128];
    if (v->rank >= 0 && v->rank != rank)
        return odin_errorf("%s has shape %s, expected rank %d %s", what,
                           odin_shape_str(v, s, sizeof s), rank, layout);
    return ODIN_OK;
}

/* Dim da of a must equal dim db of b (when both are known); the error names both shapes. */
static odin_status check_same_dim(const odin_value *a, int da, const char *an, const odin_value *b,
                                  int db, const char *bn, const char *dim) {
    if (a->rank <= da || b->rank <= db) return ODIN_OK;
    if (!dim_differs(a->dims[da], b->dims[db])) return ODIN_OK;
    char sa[128], sb[128];
    return odin_errorf("%s has shape %s but %s has shape %s: their %s differ (%lld vs %lld)", an,
                       odin_shape_str(a, sa, sizeof sa), bn, odin_shape_str(b, sb, sizeof sb), dim,
                       (long long)a->dims[da], (long long)b->dims[db]);
}

/* b must have exactly a's shape (when known). */
static odin_status check_same_shape(const odin_value *a, const char *an, const odin_value *b,
                                    const char *bn) {
    char sa[128], sb[128];
    if (a->rank < 0 || b->rank < 0) return ODIN_OK;
    bool differ = a->rank != b->rank;
    for (int d = 0; !differ && d < a->rank; d++) differ = dim_differs(a->dims[d], b->dims[d]);
    if (differ)
        return odin_errorf("%s has shape %s, expected the shape of %s %s", bn,
                           odin_shape_str(b, sb, sizeof sb), an, odin_shape_str(a, sa, sizeof sa));
    return ODIN_OK;
}

/* pos: int64 with one element ([1], or a scalar) */
static odin_status check_pos(const odin_value *v, const char *what) {
    char s[128];
    if (v->dtype != ODIN_I64)
        return odin_errorf("%s has dtype %s, expected int64", what, odin_dtype_name(v->dtype));
    if (v->rank > 1 || (v->rank == 1 && v->dims[0] >= 0 && v->dims[0] != 1))
        return odin_errorf("%s has shape %s, expected [1]", what, odin_shape_str(v, s, sizeof s));
    return ODIN_OK;
}

static int64_t read_pos(const odin_value *v) { return ((const int64_t *)v->data)[0]; }

static odin_status alloc_outputs(odin_op_ctx *ctx) {
    for (int i = 0; i < ctx->n_out; i++) ODIN_TRY(odin_op_alloc_output(ctx, i));
    return ODIN_OK;
}

static const float *fin(const odin_op_ctx *ctx, int i) { return ctx->in[i].data; }
static float *fout(const odin_op_ctx *ctx, int i) { return ctx->out[i].data; }

/* ---- TokenShift(x [B,T,C], s [B,C]) -> (y [B,T,C], s_out [B,C]) ---- */

static odin_status tokenshift_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0], *s = &ctx->in[1];
    ODIN_TRY(check_f32(x, "input 0 (x)"));
    ODIN_TRY(check_f32(s, "input 1 (s)"));
    ODIN_TRY(check_rank(x, 3, "input 0 (x)", "[B,T,C]"));
    ODIN_TRY(check_rank(s, 2, "input 1 (s)", "[B,C]"));
    ODIN_TRY(check_same_dim(x, 0, "input 0 (x)", s, 0, "input 1 (s)", "batch sizes"));
    ODIN_TRY(check_same_dim(x, 2, "input 0 (x)", s, 1, "input 1 (s)", "channel counts"));
    if (x->rank == 3 && x->dims[1] == 0)
        return odin_errorf("input 0 (x) has no tokens (T = 0); the shifted state needs one");
    odin_op_set_output(ctx, 0, ODIN_F32, x->rank, x->dims);
    odin_op_set_output(ctx, 1, ODIN_F32, s->rank, s->dims);
    return ODIN_OK;
}

static odin_status tokenshift_eval(odin_op_ctx *ctx) {
    ODIN_TRY(tokenshift_infer(ctx));
    ODIN_TRY(alloc_outputs(ctx));
    const int64_t *d = ctx->in[0].dims;
    int64_t B = d[0], T = d[1], C = d[2];
    const float *x = fin(ctx, 0), *s = fin(ctx, 1);
    float *y = fout(ctx, 0), *s_out = fout(ctx, 1);
    for (int64_t b = 0; b < B; b++) {
        for (int64_t t = 0; t < T; t++) {
            const float *src = t == 0 ? s + b * C : x + (b * T + t - 1) * C;
            memcpy(y + (b * T + t) * C, src, sizeof(float) * (size_t)C);
        }
        memcpy(s_out + b * C, x + (b * T + T - 1) * C, sizeof(float) * (size_t)C);
    }
    return ODIN_OK;
}

static const odin_attr_schema no_attrs[] = {{NULL, 0, false, 0, 0, NULL}};

static const odin_op_def tokenshift_def = {
    .name = "TokenShift", .domain = "ai.odin", .since_version = 1, .min_inputs = 2,
    .max_inputs = 2, .min_outputs = 2, .max_outputs = 2, .attrs = no_attrs,
    .infer = tokenshift_infer, .eval = tokenshift_eval,
    .doc = "RWKV token shift: y[:,0] = s, y[:,t] = x[:,t-1]; s_out = x[:,T-1]"};

/* ---- WKV6(r, k, v, w [B,T,H,N], u [H,N], s [B,H,N,N]) -> (y [B,T,H,N], s_out) ---- */

static odin_status wkv6_infer(odin_op_ctx *ctx) {
    static const char *names[6] = {"input 0 (r)", "input 1 (k)", "input 2 (v)",
                                   "input 3 (w)", "input 4 (u)", "input 5 (s)"};
    for (int i = 0; i < 6; i++) ODIN_TRY(check_f32(&ctx->in[i], names[i]));
    const odin_value *r = &ctx->in[0], *u = &ctx->in[4], *s = &ctx->in[5];
    ODIN_TRY(check_rank(r, 4, names[0], "[B,T,H,N]"));
    for (int i = 1; i < 4; i++) ODIN_TRY(check_same_shape(r, names[0], &ctx->in[i], names[i]));
    ODIN_TRY(check_rank(u, 2, names[4], "[H,N]"));
    ODIN_TRY(check_same_dim(r, 2, names[0], u, 0, names[4], "head counts"));
    ODIN_TRY(check_same_dim(r, 3, names[0], u, 1, names[4], "head sizes"));
    ODIN_TRY(check_rank(s, 4, names[5], "[B,H,N,N]"));
    ODIN_TRY(check_same_dim(r, 0, names[0], s, 0, names[5], "batch sizes"));
    ODIN_TRY(check_same_dim(r, 2, names[0], s, 1, names[5], "head counts"));
    ODIN_TRY(check_same_dim(r, 3, names[0], s, 2, names[5], "head sizes"));
    ODIN_TRY(check_same_dim(r, 3, names[0], s, 3, names[5], "head sizes"));
    if (odin_attr_i(ctx->node, "chunk") < 0)
        return odin_errorf("attribute chunk is %lld, expected >= 0",
                           (long long)odin_attr_i(ctx->node, "chunk"));
    odin_op_set_output(ctx, 0, ODIN_F32, r->rank, r->dims);
    odin_op_set_output(ctx, 1, ODIN_F32, s->rank, s->dims);
    return ODIN_OK;
}

/* The recurrence of docs/language-models.md, token by token, state kept in double. */
static odin_status wkv6_eval(odin_op_ctx *ctx) {
    ODIN_TRY(wkv6_infer(ctx));
    ODIN_TRY(alloc_outputs(ctx));
    const int64_t *d = ctx->in[0].dims;
    int64_t B = d[0], T = d[1], H = d[2], N = d[3];
    const float *r = fin(ctx, 0), *k = fin(ctx, 1), *v = fin(ctx, 2), *w = fin(ctx, 3),
                *u = fin(ctx, 4), *s_in = fin(ctx, 5);
    float *y = fout(ctx, 0), *s_out = fout(ctx, 1);
    double *S = malloc(sizeof *S * (size_t)(N * N ? N * N : 1));
    double *decay = malloc(sizeof *decay * (size_t)(N ? N : 1));
    if (!S || !decay) {
        free(S);
        free(decay);
        return odin_errorf("out of memory");
    }
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++) {
            const float *s0 = s_in + (b * H + h) * N * N;
            for (int64_t e = 0; e < N * N; e++) S[e] = s0[e];
            for (int64_t t = 0; t < T; t++) {
                int64_t at = ((b * T + t) * H + h) * N; /* row of r, k, v, w, y */
                for (int64_t i = 0; i < N; i++) decay[i] = exp(-exp((double)w[at + i]));
                for (int64_t j = 0; j < N; j++) {
                    double acc = 0;
                    for (int64_t i = 0; i < N; i++)
                        acc += (double)r[at + i] *
                               ((double)u[h * N + i] * k[at + i] * v[at + j] + S[i * N + j]);
                    y[at + j] = (float)acc;
                }
                for (int64_t i = 0; i < N; i++)
                    for (int64_t j = 0; j < N; j++)
                        S[i * N + j] = decay[i] * S[i * N + j] + (double)k[at + i] * v[at + j];
            }
            float *s1 = s_out + (b * H + h) * N * N;
            for (int64_t e = 0; e < N * N; e++) s1[e] = (float)S[e];
        }
    free(S);
    free(decay);
    return ODIN_OK;
}

static const odin_attr_schema wkv6_attrs[] = {
    {"chunk", ODIN_ATTR_INT, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def wkv6_def = {
    .name = "WKV6", .domain = "ai.odin", .since_version = 1, .min_inputs = 6,
    .max_inputs = 6, .min_outputs = 2, .max_outputs = 2, .attrs = wkv6_attrs,
    .infer = wkv6_infer, .eval = wkv6_eval,
    .doc = "RWKV-v6 time mixing with per-token decay exp(-exp(w)) and bonus u"};

/* ---- RoPE(x [B,T,H,D], pos) -> y ---- */

static odin_status rope_shapes(odin_op_ctx *ctx, int64_t *rotary_dim) {
    const odin_value *x = &ctx->in[0];
    ODIN_TRY(check_f32(x, "input 0 (x)"));
    ODIN_TRY(check_rank(x, 4, "input 0 (x)", "[B,T,H,D]"));
    ODIN_TRY(check_pos(&ctx->in[1], "input 1 (pos)"));
    int64_t rd = odin_attr_i(ctx->node, "rotary_dim");
    int64_t D = x->rank == 4 ? x->dims[3] : -1;
    if (rd == 0) rd = D;
    if (rd < 0 && D >= 0)
        return odin_errorf("attribute rotary_dim is %lld, expected >= 0", (long long)rd);
    if (D >= 0 && (rd > D || rd % 2))
        return odin_errorf("attribute rotary_dim is %lld, expected an even number <= head size "
                           "%lld", (long long)rd, (long long)D);
    if (!(odin_attr_f(ctx->node, "theta") > 0))
        return odin_errorf("attribute theta is %g, expected > 0", odin_attr_f(ctx->node, "theta"));
    int64_t il = odin_attr_i(ctx->node, "interleaved");
    if (il != 0 && il != 1)
        return odin_errorf("attribute interleaved is %lld, expected 0 or 1", (long long)il);
    *rotary_dim = rd;
    odin_op_set_output(ctx, 0, ODIN_F32, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status rope_infer(odin_op_ctx *ctx) {
    int64_t rd;
    return rope_shapes(ctx, &rd);
}

static odin_status rope_eval(odin_op_ctx *ctx) {
    int64_t rd;
    ODIN_TRY(rope_shapes(ctx, &rd));
    ODIN_TRY(alloc_outputs(ctx));
    const int64_t *d = ctx->in[0].dims;
    int64_t B = d[0], T = d[1], H = d[2], D = d[3], half = rd / 2;
    double theta = odin_attr_f(ctx->node, "theta");
    bool interleaved = odin_attr_i(ctx->node, "interleaved") != 0;
    int64_t pos = read_pos(&ctx->in[1]);
    const float *x = fin(ctx, 0);
    float *y = fout(ctx, 0);
    memcpy(y, x, sizeof(float) * (size_t)(B * T * H * D)); /* dims past rotary_dim */
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t h = 0; h < H; h++) {
                int64_t row = ((b * T + t) * H + h) * D;
                for (int64_t i = 0; i < half; i++) {
                    double angle = (double)(pos + t) * pow(theta, -2.0 * (double)i / (double)rd);
                    int64_t ia = interleaved ? 2 * i : i, ib = interleaved ? 2 * i + 1 : i + half;
                    double a = x[row + ia], bb = x[row + ib];
                    y[row + ia] = (float)(a * cos(angle) - bb * sin(angle));
                    y[row + ib] = (float)(bb * cos(angle) + a * sin(angle));
                }
            }
    return ODIN_OK;
}

static const odin_attr_schema rope_attrs[] = {
    {"theta", ODIN_ATTR_FLOAT, false, 0, 10000.0f, NULL},
    {"rotary_dim", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"interleaved", ODIN_ATTR_INT, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def rope_def = {
    .name = "RoPE", .domain = "ai.odin", .since_version = 1, .min_inputs = 2, .max_inputs = 2,
    .min_outputs = 1, .max_outputs = 1, .attrs = rope_attrs, .infer = rope_infer,
    .eval = rope_eval,
    .doc = "rotary position embedding at positions pos + t (HF or interleaved pairs)"};

/* ---- CachedAttention(q, k, v, k_cache, v_cache, pos) -> (y, k_cache_out, v_cache_out) ---- */

static odin_status attn_infer(odin_op_ctx *ctx) {
    static const char *names[5] = {"input 0 (q)", "input 1 (k)", "input 2 (v)",
                                   "input 3 (k_cache)", "input 4 (v_cache)"};
    for (int i = 0; i < 5; i++) ODIN_TRY(check_f32(&ctx->in[i], names[i]));
    ODIN_TRY(check_pos(&ctx->in[5], "input 5 (pos)"));
    const odin_value *q = &ctx->in[0], *k = &ctx->in[1], *kc = &ctx->in[3];
    ODIN_TRY(check_rank(q, 4, names[0], "[B,T,Hq,D]"));
    ODIN_TRY(check_rank(k, 4, names[1], "[B,T,Hkv,D]"));
    ODIN_TRY(check_same_shape(k, names[1], &ctx->in[2], names[2]));
    ODIN_TRY(check_same_dim(q, 0, names[0], k, 0, names[1], "batch sizes"));
    ODIN_TRY(check_same_dim(q, 1, names[0], k, 1, names[1], "token counts"));
    ODIN_TRY(check_same_dim(q, 3, names[0], k, 3, names[1], "head sizes"));
    ODIN_TRY(check_rank(kc, 4, names[3], "[B,Hkv,M,D]"));
    ODIN_TRY(check_same_shape(kc, names[3], &ctx->in[4], names[4]));
    ODIN_TRY(check_same_dim(k, 0, names[1], kc, 0, names[3], "batch sizes"));
    ODIN_TRY(check_same_dim(k, 2, names[1], kc, 1, names[3], "KV head counts"));
    ODIN_TRY(check_same_dim(k, 3, names[1], kc, 3, names[3], "head sizes"));
    if (q->rank == 4 && k->rank == 4 && q->dims[2] >= 0 && k->dims[2] >= 0 &&
        (k->dims[2] == 0 || q->dims[2] % k->dims[2])) {
        char sq[128], sk[128];
        return odin_errorf("%s has shape %s and %s has shape %s: the KV head count %lld does "
                           "not divide the query head count %lld", names[0],
                           odin_shape_str(q, sq, sizeof sq), names[1],
                           odin_shape_str(k, sk, sizeof sk), (long long)k->dims[2],
                           (long long)q->dims[2]);
    }
    odin_op_set_output(ctx, 0, ODIN_F32, q->rank, q->dims);
    odin_op_set_output(ctx, 1, ODIN_F32, kc->rank, kc->dims);
    odin_op_set_output(ctx, 2, ODIN_F32, kc->rank, kc->dims);
    return ODIN_OK;
}

static odin_status attn_eval(odin_op_ctx *ctx) {
    ODIN_TRY(attn_infer(ctx));
    const int64_t *qd = ctx->in[0].dims;
    int64_t B = qd[0], T = qd[1], Hq = qd[2], D = qd[3];
    int64_t Hkv = ctx->in[1].dims[2], M = ctx->in[3].dims[2];
    int64_t pos = read_pos(&ctx->in[5]);
    if (pos < 0 || pos > M - T)
        return odin_errorf("pos %lld + T %lld = %lld does not fit the KV cache of M %lld rows",
                           (long long)pos, (long long)T, (long long)(pos + T), (long long)M);
    ODIN_TRY(alloc_outputs(ctx));
    const float *q = fin(ctx, 0), *k = fin(ctx, 1), *v = fin(ctx, 2);
    float *y = fout(ctx, 0), *kc = fout(ctx, 1), *vc = fout(ctx, 2);
    size_t cache_bytes = sizeof(float) * (size_t)(B * Hkv * M * D);
    memcpy(kc, fin(ctx, 3), cache_bytes);
    memcpy(vc, fin(ctx, 4), cache_bytes);
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t h = 0; h < Hkv; h++) {
                int64_t src = ((b * T + t) * Hkv + h) * D, dst = ((b * Hkv + h) * M + pos + t) * D;
                memcpy(kc + dst, k + src, sizeof(float) * (size_t)D);
                memcpy(vc + dst, v + src, sizeof(float) * (size_t)D);
            }
    double scale = odin_attr_f(ctx->node, "scale");
    if (scale == 0) scale = 1.0 / sqrt((double)D);
    int64_t group = Hq / Hkv;
    double *p = malloc(sizeof *p * (size_t)(M ? M : 1));
    if (!p) return odin_errorf("out of memory");
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t h = 0; h < Hq; h++) {
                const float *qr = q + ((b * T + t) * Hq + h) * D;
                int64_t cache = (b * Hkv + h / group) * M * D, rows = pos + t + 1;
                double mx = -INFINITY, sum = 0;
                for (int64_t m = 0; m < rows; m++) {
                    double dot = 0;
                    for (int64_t e = 0; e < D; e++) dot += (double)qr[e] * kc[cache + m * D + e];
                    p[m] = scale * dot;
                    if (p[m] > mx) mx = p[m];
                }
                for (int64_t m = 0; m < rows; m++) sum += p[m] = exp(p[m] - mx);
                float *yr = y + ((b * T + t) * Hq + h) * D;
                for (int64_t e = 0; e < D; e++) {
                    double acc = 0;
                    for (int64_t m = 0; m < rows; m++) acc += p[m] * vc[cache + m * D + e];
                    yr[e] = (float)(acc / sum);
                }
            }
    free(p);
    return ODIN_OK;
}

static const odin_attr_schema attn_attrs[] = {
    {"scale", ODIN_ATTR_FLOAT, false, 0, 0.0f, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def attn_def = {
    .name = "CachedAttention", .domain = "ai.odin", .since_version = 1, .min_inputs = 6,
    .max_inputs = 6, .min_outputs = 3, .max_outputs = 3, .attrs = attn_attrs,
    .infer = attn_infer, .eval = attn_eval,
    .doc = "write k, v into the KV cache at pos, then causal (GQA) attention over it"};

/* ---- Attention(q [...,Tq,D], k [...,Tk,D] | kT [...,D,Tk], v [...,Tk,Dv], mask?) -> y ---- */

/* Shapes of an Attention node: batch (product of the leading dims), Tq, Tk, D, Dv, and the
 * mask's element stride along each dim of [lead..., Tq, Tk] (0 where it broadcasts). */
typedef struct sdpa_shape {
    int rank;
    int64_t N, Tq, Tk, D, Dv;
    int64_t mstride[ODIN_MAX_RANK];
} sdpa_shape;

static odin_status sdpa_shapes(odin_op_ctx *ctx, sdpa_shape *s) {
    static const char *names[4] = {"input 0 (q)", "input 1 (k)", "input 2 (v)", "input 3 (mask)"};
    bool has_mask = odin_op_has_input(ctx, 3);
    for (int i = 0; i < 3 + has_mask; i++) ODIN_TRY(check_f32(&ctx->in[i], names[i]));
    const odin_value *q = &ctx->in[0], *k = &ctx->in[1], *v = &ctx->in[2];
    char sq[128], sx[128];
    int64_t kt = odin_attr_i(ctx->node, "k_transposed"), causal = odin_attr_i(ctx->node, "causal");
    if (kt != 0 && kt != 1)
        return odin_errorf("attribute k_transposed is %lld, expected 0 or 1", (long long)kt);
    if (causal != 0 && causal != 1)
        return odin_errorf("attribute causal is %lld, expected 0 or 1", (long long)causal);
    memset(s, 0, sizeof *s);
    s->rank = q->rank;
    if (q->rank < 0 || k->rank < 0 || v->rank < 0) return ODIN_OK; /* not known yet */
    if (q->rank < 2)
        return odin_errorf("%s has shape %s, expected rank >= 2 [...,Tq,D]", names[0],
                           odin_shape_str(q, sq, sizeof sq));
    for (int i = 1; i < 3; i++)
        if (ctx->in[i].rank != q->rank)
            return odin_errorf("%s has shape %s but %s has shape %s: ranks differ", names[0],
                               odin_shape_str(q, sq, sizeof sq), names[i],
                               odin_shape_str(&ctx->in[i], sx, sizeof sx));
    int r = q->rank;
    s->N = 1;
    for (int d = 0; d < r - 2; d++) {
        for (int i = 1; i < 3; i++)
            ODIN_TRY(check_same_dim(q, d, names[0], &ctx->in[i], d, names[i], "leading dims"));
        s->N = q->dims[d] < 0 || s->N < 0 ? -1 : s->N * q->dims[d];
    }
    s->Tq = q->dims[r - 2];
    s->D = q->dims[r - 1];
    s->Tk = kt ? k->dims[r - 1] : k->dims[r - 2];
    int64_t kd = kt ? k->dims[r - 2] : k->dims[r - 1];
    if (dim_differs(kd, s->D))
        return odin_errorf("%s has shape %s but %s has shape %s: head sizes differ (%lld vs %lld)%s",
                           names[0], odin_shape_str(q, sq, sizeof sq), names[1],
                           odin_shape_str(k, sx, sizeof sx), (long long)s->D, (long long)kd,
                           kt ? " (k_transposed: k is [...,D,Tk])" : "");
    if (dim_differs(v->dims[r - 2], s->Tk))
        return odin_errorf("%s has shape %s but %s has shape %s: key counts differ (%lld vs %lld)",
                           names[1], odin_shape_str(k, sq, sizeof sq), names[2],
                           odin_shape_str(v, sx, sizeof sx), (long long)s->Tk,
                           (long long)v->dims[r - 2]);
    s->Dv = v->dims[r - 1];
    if (has_mask) {
        const odin_value *m = &ctx->in[3];
        if (m->rank > r)
            return odin_errorf("%s has shape %s, more dims than the scores [...,Tq,Tk] (rank %d)",
                               names[3], odin_shape_str(m, sx, sizeof sx), r);
        int64_t stride = 1;
        for (int d = r - 1, md = m->rank - 1; md >= 0; d--, md--) {
            int64_t want = d == r - 1 ? s->Tk : d == r - 2 ? s->Tq : q->dims[d];
            int64_t have = m->dims[md];
            if (have != 1 && dim_differs(have, want))
                return odin_errorf("%s has shape %s, which does not broadcast to the scores "
                                   "[...,%lld,%lld] of %s %s", names[3],
                                   odin_shape_str(m, sx, sizeof sx), (long long)s->Tq,
                                   (long long)s->Tk, names[0], odin_shape_str(q, sq, sizeof sq));
            s->mstride[d] = have == 1 ? 0 : stride;
            stride *= have < 0 ? 1 : have;
        }
    }
    int64_t yd[ODIN_MAX_RANK];
    memcpy(yd, q->dims, sizeof(int64_t) * (size_t)r);
    yd[r - 1] = s->Dv;
    odin_op_set_output(ctx, 0, ODIN_F32, r, yd);
    return ODIN_OK;
}

static odin_status sdpa_infer(odin_op_ctx *ctx) {
    sdpa_shape s;
    return sdpa_shapes(ctx, &s);
}

/* softmax(scale q k^T + mask, hiding keys j > i + Tk - Tq when causal) v, in double, one
 * query row at a time. A row whose every score is -inf comes out NaN, as Softmax gives. */
static odin_status sdpa_eval(odin_op_ctx *ctx) {
    sdpa_shape s;
    ODIN_TRY(sdpa_shapes(ctx, &s));
    ODIN_TRY(alloc_outputs(ctx));
    const odin_value *qv = &ctx->in[0];
    int r = s.rank;
    bool kt = odin_attr_i(ctx->node, "k_transposed") != 0;
    bool causal = odin_attr_i(ctx->node, "causal") != 0;
    const float *mask = odin_op_has_input(ctx, 3) ? fin(ctx, 3) : NULL;
    double scale = odin_attr_f(ctx->node, "scale");
    if (scale == 0) scale = 1.0 / sqrt((double)(s.D ? s.D : 1));
    const float *q = fin(ctx, 0), *k = fin(ctx, 1), *v = fin(ctx, 2);
    float *y = fout(ctx, 0);
    double *p = malloc(sizeof *p * (size_t)(s.Tk ? s.Tk : 1));
    double *acc = malloc(sizeof *acc * (size_t)(s.Dv ? s.Dv : 1));
    if (!p || !acc) {
        free(p);
        free(acc);
        return odin_errorf("out of memory");
    }
    for (int64_t n = 0; n < s.N; n++) {
        int64_t moff = 0, rest = n; /* the mask offset of batch index n */
        for (int d = r - 3; d >= 0; d--) {
            moff += (rest % qv->dims[d]) * s.mstride[d];
            rest /= qv->dims[d];
        }
        const float *qn = q + n * s.Tq * s.D, *kn = k + n * s.Tk * s.D, *vn = v + n * s.Tk * s.Dv;
        for (int64_t i = 0; i < s.Tq; i++) {
            double mx = -INFINITY;
            for (int64_t j = 0; j < s.Tk; j++) {
                double dot = 0;
                for (int64_t e = 0; e < s.D; e++)
                    dot += (double)qn[i * s.D + e] * (kt ? kn[e * s.Tk + j] : kn[j * s.D + e]);
                p[j] = scale * dot;
                if (mask) p[j] += mask[moff + i * s.mstride[r - 2] + j * s.mstride[r - 1]];
                if (causal && j > i + s.Tk - s.Tq) p[j] = -INFINITY;
                if (p[j] > mx) mx = p[j];
            }
            double sum = 0;
            for (int64_t j = 0; j < s.Tk; j++) sum += p[j] = exp(p[j] - mx);
            for (int64_t e = 0; e < s.Dv; e++) acc[e] = 0;
            for (int64_t j = 0; j < s.Tk; j++)
                for (int64_t e = 0; e < s.Dv; e++) acc[e] += p[j] * vn[j * s.Dv + e];
            for (int64_t e = 0; e < s.Dv; e++) y[(n * s.Tq + i) * s.Dv + e] = (float)(acc[e] / sum);
        }
    }
    free(p);
    free(acc);
    return ODIN_OK;
}

static const odin_attr_schema sdpa_attrs[] = {
    {"scale", ODIN_ATTR_FLOAT, false, 0, 0.0f, NULL},
    {"causal", ODIN_ATTR_INT, false, 0, 0, NULL},
    {"k_transposed", ODIN_ATTR_INT, false, 0, 0, NULL},
    {NULL, 0, false, 0, 0, NULL},
};

static const odin_op_def sdpa_def = {
    .name = "Attention", .domain = "ai.odin", .since_version = 1, .min_inputs = 3,
    .max_inputs = 4, .min_outputs = 1, .max_outputs = 1, .attrs = sdpa_attrs,
    .infer = sdpa_infer, .eval = sdpa_eval,
    .doc = "softmax(scale q k^T + mask) v over the last two dims (causal: keys j <= i + Tk - Tq)"};

/* ---- PositionIds(x [B,T,...], pos) -> int64 [T] ---- */

static odin_status posids_infer(odin_op_ctx *ctx) {
    const odin_value *x = &ctx->in[0];
    char s[128];
    if (x->rank >= 0 && x->rank < 2)
        return odin_errorf("input 0 (x) has shape %s, expected rank >= 2 [B,T,...]",
                           odin_shape_str(x, s, sizeof s));
    ODIN_TRY(check_pos(&ctx->in[1], "input 1 (pos)"));
    int64_t T = x->rank >= 2 ? x->dims[1] : -1;
    odin_op_set_output(ctx, 0, ODIN_I64, 1, &T);
    return ODIN_OK;
}

static odin_status posids_eval(odin_op_ctx *ctx) {
    ODIN_TRY(posids_infer(ctx));
    ODIN_TRY(alloc_outputs(ctx));
    int64_t pos = read_pos(&ctx->in[1]), T = ctx->out[0].dims[0];
    int64_t *out = ctx->out[0].data;
    for (int64_t t = 0; t < T; t++) out[t] = pos + t;
    return ODIN_OK;
}

static const odin_op_def posids_def = {
    .name = "PositionIds", .domain = "ai.odin", .since_version = 1, .min_inputs = 2,
    .max_inputs = 2, .min_outputs = 1, .max_outputs = 1, .attrs = no_attrs,
    .infer = posids_infer, .eval = posids_eval,
    .doc = "positions pos + t of the tokens of x, for learned position embeddings"};

const odin_op_def *const odin_ops_lm[] = {&tokenshift_def, &wkv6_def, &rope_def, &attn_def,
                                          &posids_def, &sdpa_def, NULL};
