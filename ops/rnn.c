/* ops/rnn.c — op family 'rnn': the recurrent layers RNN, GRU and LSTM, through one
 * reference engine. Each takes X [seq,batch,input] (layout 1: [batch,seq,input]),
 * W [dirs,G*H,input], R [dirs,G*H,H], optional B [dirs,2*G*H], sequence_lens [batch],
 * initial_h / initial_c [dirs,batch,H] (layout 1: [batch,dirs,H]) and, for LSTM,
 * peepholes P [dirs,3H]; G is 1 (RNN), 3 (GRU: z,r,h) or 4 (LSTM: i,o,f,c). Outputs
 * Y [seq,dirs,batch,H] (layout 1: [batch,seq,dirs,H]), Y_h and, for LSTM, Y_c. Math is
 * done in double and rounded to the input dtype. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rnn.h"
#include "shape_util.h"

typedef enum { KIND_RNN, KIND_GRU, KIND_LSTM } rnn_kind;

/* Input indices shared by the three ops. */
enum { IN_X, IN_W, IN_R, IN_B, IN_SEQ_LENS, IN_H0, IN_C0, IN_P };

typedef enum {
    ACT_RELU, ACT_TANH, ACT_SIGMOID, ACT_AFFINE, ACT_LEAKY_RELU, ACT_THRESHOLDED_RELU,
    ACT_SCALED_TANH, ACT_HARD_SIGMOID, ACT_ELU, ACT_SOFTSIGN, ACT_SOFTPLUS
} act_fn;
/* ops/rnn.h lists the same functions in the same order */
_Static_assert((int)ACT_SOFTPLUS == (int)ODIN_RNN_ACT_SOFTPLUS && (int)ACT_ELU == (int)ODIN_RNN_ACT_ELU,
               "act_fn and odin_rnn_act_fn differ");

typedef struct act {
    act_fn fn;
    double alpha, beta;
} act;

/* Name, whether it takes alpha / beta, and their defaults (those of the ONNX ops of the
 * same name). */
static const struct act_info {
    const char *name;
    act_fn fn;
    bool has_alpha, has_beta;
    double alpha, beta;
} act_table[] = {
    {"Relu", ACT_RELU, false, false, 0, 0},
    {"Tanh", ACT_TANH, false, false, 0, 0},
    {"Sigmoid", ACT_SIGMOID, false, false, 0, 0},
    {"Affine", ACT_AFFINE, true, true, 1.0, 0.0},
    {"LeakyRelu", ACT_LEAKY_RELU, true, false, 0.01, 0},
    {"ThresholdedRelu", ACT_THRESHOLDED_RELU, true, false, 1.0, 0},
    {"ScaledTanh", ACT_SCALED_TANH, true, true, 1.0, 1.0},
    {"HardSigmoid", ACT_HARD_SIGMOID, true, true, 0.2, 0.5},
    {"Elu", ACT_ELU, true, false, 1.0, 0},
    {"Softsign", ACT_SOFTSIGN, false, false, 0, 0},
    {"Softplus", ACT_SOFTPLUS, false, false, 0, 0},
};

static double act_apply(const act *a, double x) {
    switch (a->fn) {
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_TANH: return tanh(x);
    case ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case ACT_AFFINE: return a->alpha * x + a->beta;
    case ACT_LEAKY_RELU: return x >= 0 ? x : a->alpha * x;
    case ACT_THRESHOLDED_RELU: return x > a->alpha ? x : 0;
    case ACT_SCALED_TANH: return a->alpha * tanh(a->beta * x);
    case ACT_HARD_SIGMOID: {
        double y = a->alpha * x + a->beta;
        return y < 0 ? 0 : y > 1 ? 1 : y;
    }
    case ACT_ELU: return x >= 0 ? x : a->alpha * (exp(x) - 1);
    case ACT_SOFTSIGN: return x / (1 + fabs(x));
    case ACT_SOFTPLUS: return x > 30 ? x : log1p(exp(x));
    }
    return x;
}

#define MAX_ACTS 6 /* 3 per direction (LSTM), 2 directions */

typedef struct rnn_cfg {
    rnn_kind kind;
    int gates, n_acts;     /* gates G; activations per direction */
    int dirs, layout;
    bool reverse_only, lbr, input_forget, has_clip;
    double clip;
    int64_t seq, batch, input, hid;
    act acts[2][3];        /* per direction */
} rnn_cfg;

static odin_status parse_acts(const odin_node *n, rnn_cfg *c) {
    static const act_fn defaults[3][3] = {{ACT_TANH}, {ACT_SIGMOID, ACT_TANH},
                                          {ACT_SIGMOID, ACT_TANH, ACT_TANH}};
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < c->n_acts; i++)
            c->acts[d][i] = (act){defaults[c->kind][i], 0, 0};
    const odin_attr *a = odin_node_attr(n, "activations");
    if (!a || a->kind != ODIN_ATTR_STRINGS || a->count == 0) return ODIN_OK;
    int want = c->n_acts * c->dirs;
    /* one direction's list given for a bidirectional layer: both use it */
    if (a->count != want && !(c->dirs == 2 && a->count == c->n_acts))
        return odin_errorf("activations has %d entries, expected %d", a->count, want);
    const float *alphas = NULL, *betas = NULL;
    int n_alpha = odin_attr_floats(n, "activation_alpha", &alphas);
    int n_beta = odin_attr_floats(n, "activation_beta", &betas);
    int ia = 0, ib = 0;
    for (int k = 0; k < want; k++) {
        const char *name = a->strings[k % a->count];
        const struct act_info *info = NULL;
        for (size_t t = 0; t < sizeof act_table / sizeof act_table[0]; t++)
            if (strcasecmp(name, act_table[t].name) == 0) info = &act_table[t];
        if (!info) return odin_errorf("activation '%s' is not supported", name);
        act *dst = &c->acts[k / c->n_acts][k % c->n_acts];
        dst->fn = info->fn;
        dst->alpha = info->alpha;
        dst->beta = info->beta;
        /* alphas and betas are consumed in order by the functions that take them */
        if (info->has_alpha && ia < n_alpha) dst->alpha = alphas[ia++];
        if (info->has_beta && ib < n_beta) dst->beta = betas[ib++];
    }
    return ODIN_OK;
}

static bool dims_match(const odin_value *v, int rank, const int64_t *want) {
    if (v->rank < 0) return true;
    if (v->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (v->dims[i] >= 0 && want[i] >= 0 && v->dims[i] != want[i]) return false;
    return true;
}

static odin_status check_input(const odin_op_ctx *ctx, int i, const char *what, int rank,
                               const int64_t *want) {
    if (!odin_op_has_input(ctx, i)) return ODIN_OK;
    if (dims_match(&ctx->in[i], rank, want)) return ODIN_OK;
    char got[128], exp[128];
    odin_format_shape(exp, sizeof exp, rank, want, NULL);
    return odin_errorf("%s has shape %s, expected %s", what,
                       odin_shape_str(&ctx->in[i], got, sizeof got), exp);
}

/* Reads attributes and checks every input's shape; unknown dims stay -1. */
static odin_status rnn_config(const odin_op_ctx *ctx, rnn_kind kind, rnn_cfg *c) {
    const odin_node *n = ctx->node;
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->gates = kind == KIND_RNN ? 1 : kind == KIND_GRU ? 3 : 4;
    c->n_acts = kind == KIND_RNN ? 1 : kind == KIND_GRU ? 2 : 3;
    const char *dir = odin_attr_s(n, "direction");
    if (!dir || strcmp(dir, "forward") == 0) c->dirs = 1;
    else if (strcmp(dir, "reverse") == 0) c->dirs = 1, c->reverse_only = true;
    else if (strcmp(dir, "bidirectional") == 0) c->dirs = 2;
    else return odin_errorf("direction '%s' is not forward, reverse or bidirectional", dir);
    c->layout = (int)odin_attr_i(n, "layout");
    if (c->layout != 0 && c->layout != 1)
        return odin_errorf("layout %d is not 0 or 1", c->layout);
    c->lbr = kind == KIND_GRU && odin_attr_i(n, "linear_before_reset") != 0;
    c->input_forget = kind == KIND_LSTM && odin_attr_i(n, "input_forget") != 0;
    c->has_clip = odin_node_has_attr(n, "clip");
    c->clip = c->has_clip ? odin_attr_f(n, "clip") : 0;
    if (c->has_clip && !(c->clip >= 0)) return odin_errorf("clip %g is negative", c->clip);
    ODIN_TRY(parse_acts(n, c));

    const odin_value *x = &ctx->in[IN_X], *w = &ctx->in[IN_W], *r = &ctx->in[IN_R];
    char s[128];
    if (!odin_dtype_is_float(x->dtype))
        return odin_errorf("X has dtype %s, expected a float type", odin_dtype_name(x->dtype));
    for (int i = IN_W; i < ctx->n_in; i++)
        if (i != IN_SEQ_LENS && odin_op_has_input(ctx, i) && ctx->in[i].dtype != x->dtype)
            return odin_errorf("input %d has dtype %s, X %s", i, odin_dtype_name(ctx->in[i].dtype),
                               odin_dtype_name(x->dtype));
    if (x->rank >= 0 && x->rank != 3)
        return odin_errorf("X has shape %s, expected rank 3", odin_shape_str(x, s, sizeof s));
    if (w->rank >= 0 && w->rank != 3)
        return odin_errorf("W has shape %s, expected rank 3", odin_shape_str(w, s, sizeof s));
    c->seq = x->rank == 3 ? x->dims[c->layout ? 1 : 0] : -1;
    c->batch = x->rank == 3 ? x->dims[c->layout ? 0 : 1] : -1;
    c->input = x->rank == 3 ? x->dims[2] : -1;
    if (odin_node_has_attr(n, "hidden_size")) {
        c->hid = odin_attr_i(n, "hidden_size");
        if (c->hid <= 0) return odin_errorf("hidden_size %lld is not positive", (long long)c->hid);
    } else {
        c->hid = w->rank == 3 && w->dims[1] >= 0 ? w->dims[1] / c->gates : -1;
    }
    int64_t gh = c->hid >= 0 ? c->gates * c->hid : -1;
    ODIN_TRY(check_input(ctx, IN_W, "W", 3, (int64_t[]){c->dirs, gh, c->input}));
    ODIN_TRY(check_input(ctx, IN_R, "R", 3, (int64_t[]){c->dirs, gh, c->hid}));
    ODIN_TRY(check_input(ctx, IN_B, "B", 2, (int64_t[]){c->dirs, gh >= 0 ? 2 * gh : -1}));
    if (odin_op_has_input(ctx, IN_SEQ_LENS)) {
        if (!odin_dtype_is_int(ctx->in[IN_SEQ_LENS].dtype))
            return odin_errorf("sequence_lens has dtype %s, expected int32",
                               odin_dtype_name(ctx->in[IN_SEQ_LENS].dtype));
        ODIN_TRY(check_input(ctx, IN_SEQ_LENS, "sequence_lens", 1, (int64_t[]){c->batch}));
    }
    int64_t state[3] = {c->layout ? c->batch : c->dirs, c->layout ? c->dirs : c->batch, c->hid};
    ODIN_TRY(check_input(ctx, IN_H0, "initial_h", 3, state));
    if (kind == KIND_LSTM) {
        ODIN_TRY(check_input(ctx, IN_C0, "initial_c", 3, state));
        ODIN_TRY(check_input(ctx, IN_P, "P", 2, (int64_t[]){c->dirs, c->hid >= 0 ? 3 * c->hid : -1}));
    }
    (void)r;
    return ODIN_OK;
}

static void set_outputs(odin_op_ctx *ctx, const rnn_cfg *c) {
    odin_dtype t = ctx->in[IN_X].dtype;
    int64_t y[4], st[3];
    if (c->layout) {
        y[0] = c->batch, y[1] = c->seq, y[2] = c->dirs, y[3] = c->hid;
        st[0] = c->batch, st[1] = c->dirs, st[2] = c->hid;
    } else {
        y[0] = c->seq, y[1] = c->dirs, y[2] = c->batch, y[3] = c->hid;
        st[0] = c->dirs, st[1] = c->batch, st[2] = c->hid;
    }
    for (int i = 0; i < ctx->n_out; i++) {
        if (ctx->node->outputs[i] < 0) continue; /* omitted optional output */
        if (i == 0) odin_op_set_output(ctx, 0, t, 4, y);
        else odin_op_set_output(ctx, i, t, 3, st);
    }
}

static odin_status rnn_infer_kind(odin_op_ctx *ctx, rnn_kind kind) {
    rnn_cfg c;
    ODIN_TRY(rnn_config(ctx, kind, &c));
    set_outputs(ctx, &c);
    return ODIN_OK;
}

/* Input i as doubles, or zeros (n elements) when it is omitted; NULL when out of memory. */
static double *load(const odin_op_ctx *ctx, int i, int64_t n) {
    double *v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
    if (!v || i < 0 || !odin_op_has_input(ctx, i)) return v;
    for (int64_t k = 0; k < n; k++) v[k] = odin_load_as_f64(ctx->in[i].data, ctx->in[i].dtype, (size_t)k);
    return v;
}

static double clipped(const rnn_cfg *c, double x) {
    if (!c->has_clip) return x;
    return x < -c->clip ? -c->clip : x > c->clip ? c->clip : x;
}

/* The working buffers of one evaluation, in [dir][batch][...] order whatever the layout. */
typedef struct rnn_bufs {
    double *x, *w, *r, *b, *p, *h0, *c0; /* inputs (b, p, h0, c0 zero when omitted) */
    double *y, *yh, *yc;                 /* outputs */
    double *gx, *gh, *h, *cst, *hn;      /* per-step scratch */
} rnn_bufs;

/* One step of direction d, batch item bi at time t: h (and cst) updated in place. */
static void rnn_step(const rnn_cfg *c, rnn_bufs *B, int d, int64_t bi, int64_t t) {
    int64_t H = c->hid, G = c->gates, I = c->input;
    const double *xt = B->x + (t * c->batch + bi) * I;
    const double *w = B->w + d * G * H * I, *r = B->r + d * G * H * H;
    const double *wb = B->b + d * 2 * G * H, *rb = wb + G * H;
    for (int64_t j = 0; j < G * H; j++) {
        double sx = wb[j], sh = rb[j];
        for (int64_t k = 0; k < I; k++) sx += xt[k] * w[j * I + k];
        for (int64_t k = 0; k < H; k++) sh += B->h[k] * r[j * H + k];
        B->gx[j] = sx;
        B->gh[j] = sh;
    }
    const act *a = c->acts[d];
    if (c->kind == KIND_RNN) {
        for (int64_t j = 0; j < H; j++) B->hn[j] = act_apply(&a[0], clipped(c, B->gx[j] + B->gh[j]));
    } else if (c->kind == KIND_GRU) {
        const double *rh = r + 2 * H * H;
        for (int64_t j = 0; j < H; j++) {
            double z = act_apply(&a[0], clipped(c, B->gx[j] + B->gh[j]));
            double rr = act_apply(&a[0], clipped(c, B->gx[H + j] + B->gh[H + j]));
            double pre;
            if (c->lbr) {
                pre = B->gx[2 * H + j] + rr * B->gh[2 * H + j];
            } else { /* (r ⊙ H) R_h^T + Rb_h: the recurrent product after the reset */
                pre = B->gx[2 * H + j] + rb[2 * H + j];
                for (int64_t k = 0; k < H; k++) pre += rr * B->h[k] * rh[j * H + k];
            }
            double hh = act_apply(&a[1], clipped(c, pre));
            B->hn[j] = (1 - z) * hh + z * B->h[j];
        }
    } else {
        const double *p = B->p + d * 3 * H; /* peepholes i, o, f */
        for (int64_t j = 0; j < H; j++) {
            double cp = B->cst[j];
            double i = act_apply(&a[0], clipped(c, B->gx[j] + B->gh[j] + p[j] * cp));
            double f = c->input_forget ? 1 - i
                                       : act_apply(&a[0], clipped(c, B->gx[2 * H + j] +
                                                                        B->gh[2 * H + j] +
                                                                        p[2 * H + j] * cp));
            double g = act_apply(&a[1], clipped(c, B->gx[3 * H + j] + B->gh[3 * H + j]));
            double cn = f * cp + i * g;
            double o = act_apply(&a[0], clipped(c, B->gx[H + j] + B->gh[H + j] + p[H + j] * cn));
            B->cst[j] = cn;
            B->hn[j] = o * act_apply(&a[2], cn);
        }
    }
    memcpy(B->h, B->hn, (size_t)H * sizeof *B->h);
}

static odin_status run_all(odin_op_ctx *ctx, const rnn_cfg *c, rnn_bufs *B) {
    int64_t H = c->hid, S = c->seq, N = c->batch;
    const odin_value *sl = &ctx->in[IN_SEQ_LENS];
    for (int d = 0; d < c->dirs; d++) {
        bool rev = c->reverse_only || d == 1;
        for (int64_t bi = 0; bi < N; bi++) {
            int64_t len = S;
            if (odin_op_has_input(ctx, IN_SEQ_LENS)) {
                len = odin_load_as_i64(sl->data, sl->dtype, (size_t)bi);
                if (len < 0 || len > S)
                    return odin_errorf("sequence_lens[%lld] = %lld is outside [0,%lld]",
                                       (long long)bi, (long long)len, (long long)S);
            }
            memcpy(B->h, B->h0 + (d * N + bi) * H, (size_t)H * sizeof *B->h);
            memcpy(B->cst, B->c0 + (d * N + bi) * H, (size_t)H * sizeof *B->cst);
            for (int64_t s = 0; s < len; s++) {
                int64_t t = rev ? len - 1 - s : s;
                rnn_step(c, B, d, bi, t);
                memcpy(B->y + ((t * c->dirs + d) * N + bi) * H, B->h, (size_t)H * sizeof *B->h);
            }
            memcpy(B->yh + (d * N + bi) * H, B->h, (size_t)H * sizeof *B->h);
            memcpy(B->yc + (d * N + bi) * H, B->cst, (size_t)H * sizeof *B->cst);
        }
    }
    return ODIN_OK;
}

/* Swap the first two dims of a [a,b,inner] double array (layout 1 <-> layout 0). */
static double *swap01(const double *src, int64_t a, int64_t b, int64_t inner) {
    double *dst = malloc((size_t)(a * b * inner > 0 ? a * b * inner : 1) * sizeof *dst);
    if (!dst) return NULL;
    for (int64_t i = 0; i < a; i++)
        for (int64_t j = 0; j < b; j++)
            memcpy(dst + (j * a + i) * inner, src + (i * b + j) * inner, (size_t)inner * sizeof *dst);
    return dst;
}

static odin_status store(odin_op_ctx *ctx, int i, const double *v) {
    if (i >= ctx->n_out || ctx->node->outputs[i] < 0) return ODIN_OK;
    ODIN_TRY(odin_op_alloc_output(ctx, i));
    int64_t n = odin_value_numel(&ctx->out[i]);
    for (int64_t k = 0; k < n; k++) odin_store_from_f64(ctx->out[i].data, ctx->out[i].dtype, (size_t)k, v[k]);
    return ODIN_OK;
}

static odin_status rnn_eval_kind(odin_op_ctx *ctx, rnn_kind kind) {
    rnn_cfg c;
    ODIN_TRY(rnn_config(ctx, kind, &c));
    set_outputs(ctx, &c);
    int64_t S = c.seq, N = c.batch, I = c.input, H = c.hid, D = c.dirs, G = c.gates;
    if (S < 0 || N < 0 || I < 0 || H < 0) return odin_errorf("input shapes are not known");
    if (S * N * I > ((int64_t)1 << 40) || D * G * H * (I + H) > ((int64_t)1 << 40))
        return odin_errorf("input sizes are too large");
    rnn_bufs B = {0};
    odin_status st = ODIN_OK;
    B.x = load(ctx, IN_X, S * N * I);
    B.w = load(ctx, IN_W, D * G * H * I);
    B.r = load(ctx, IN_R, D * G * H * H);
    B.b = load(ctx, IN_B, D * 2 * G * H);
    B.p = load(ctx, IN_P, kind == KIND_LSTM ? D * 3 * H : 0);
    B.h0 = load(ctx, IN_H0, D * N * H);
    B.c0 = load(ctx, kind == KIND_LSTM ? IN_C0 : -1, D * N * H);
    B.y = calloc((size_t)(S * D * N * H > 0 ? S * D * N * H : 1), sizeof *B.y);
    B.yh = calloc((size_t)(D * N * H > 0 ? D * N * H : 1), sizeof *B.yh);
    B.yc = calloc((size_t)(D * N * H > 0 ? D * N * H : 1), sizeof *B.yc);
    B.gx = calloc((size_t)(G * H > 0 ? G * H : 1), sizeof *B.gx);
    B.gh = calloc((size_t)(G * H > 0 ? G * H : 1), sizeof *B.gh);
    B.h = calloc((size_t)(H > 0 ? H : 1), sizeof *B.h);
    B.cst = calloc((size_t)(H > 0 ? H : 1), sizeof *B.cst);
    B.hn = calloc((size_t)(H > 0 ? H : 1), sizeof *B.hn);
    if (!B.x || !B.w || !B.r || !B.b || !B.p || !B.h0 || !B.c0 || !B.y || !B.yh || !B.yc ||
        !B.gx || !B.gh || !B.h || !B.cst || !B.hn)
        st = odin_errorf("out of memory");
    /* layout 1: bring X to [seq,batch,input] and the initial states to [dirs,batch,H] */
    double *tmp;
    if (!st && c.layout) {
        if ((tmp = swap01(B.x, N, S, I))) free(B.x), B.x = tmp;
        else st = odin_errorf("out of memory");
        if (!st && (tmp = swap01(B.h0, N, D, H))) free(B.h0), B.h0 = tmp;
        else if (!st) st = odin_errorf("out of memory");
        if (!st && (tmp = swap01(B.c0, N, D, H))) free(B.c0), B.c0 = tmp;
        else if (!st) st = odin_errorf("out of memory");
    }
    if (!st) st = run_all(ctx, &c, &B);
    if (!st && c.layout) { /* Y [seq,dirs,batch,H] -> [batch,seq,dirs,H] */
        double *y = malloc((size_t)(S * D * N * H > 0 ? S * D * N * H : 1) * sizeof *y);
        if (!y) st = odin_errorf("out of memory");
        for (int64_t t = 0; y && t < S; t++)
            for (int64_t d = 0; d < D; d++)
                for (int64_t bi = 0; bi < N; bi++)
                    memcpy(y + ((bi * S + t) * D + d) * H, B.y + ((t * D + d) * N + bi) * H,
                           (size_t)H * sizeof *y);
        if (y) free(B.y), B.y = y;
        if (!st && (tmp = swap01(B.yh, D, N, H))) free(B.yh), B.yh = tmp;
        else if (!st) st = odin_errorf("out of memory");
        if (!st && (tmp = swap01(B.yc, D, N, H))) free(B.yc), B.yc = tmp;
        else if (!st) st = odin_errorf("out of memory");
    }
    if (!st) st = store(ctx, 0, B.y);
    if (!st) st = store(ctx, 1, B.yh);
    if (!st && kind == KIND_LSTM) st = store(ctx, 2, B.yc);
    double *all[] = {B.x, B.w, B.r, B.b, B.p, B.h0, B.c0, B.y, B.yh, B.yc, B.gx, B.gh, B.h, B.cst, B.hn};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
    return st;
}

static odin_status rnn_infer(odin_op_ctx *ctx) { return rnn_infer_kind(ctx, KIND_RNN); }
static odin_status gru_infer(odin_op_ctx *ctx) { return rnn_infer_kind(ctx, KIND_GRU); }
static odin_status lstm_infer(odin_op_ctx *ctx) { return rnn_infer_kind(ctx, KIND_LSTM); }
static odin_status rnn_eval(odin_op_ctx *ctx) { return rnn_eval_kind(ctx, KIND_RNN); }
static odin_status gru_eval(odin_op_ctx *ctx) { return rnn_eval_kind(ctx, KIND_GRU); }
static odin_status lstm_eval(odin_op_ctx *ctx) { return rnn_eval_kind(ctx, KIND_LSTM); }

odin_status odin_rnn_info_of_node(const odin_graph *g, int node, odin_rnn_info *info) {
    const odin_node *n = &g->nodes[node];
    rnn_kind kind = !strcmp(n->op, "RNN") ? KIND_RNN : !strcmp(n->op, "GRU") ? KIND_GRU : KIND_LSTM;
    if (n->n_inputs < 3 || n->n_inputs > 8) return odin_errorf("unexpected inputs");
    odin_value in[8];
    for (int i = 0; i < n->n_inputs; i++)
        in[i] = n->inputs[i] < 0 ? (odin_value){.dtype = ODIN_UNDEFINED, .rank = -1}
                                 : odin_tensor_value(g, n->inputs[i]);
    odin_op_ctx ctx = {.node = n, .opset = g->opset, .n_in = n->n_inputs, .n_out = n->n_outputs, .in = in};
    rnn_cfg c;
    ODIN_TRY(rnn_config(&ctx, kind, &c));
    if (c.seq < 0 || c.batch < 0 || c.input < 0 || c.hid < 0) return odin_errorf("shapes are not static");
    memset(info, 0, sizeof *info);
    info->kind = (int)kind;
    info->gates = c.gates, info->n_acts = c.n_acts, info->dirs = c.dirs, info->layout = c.layout;
    info->reverse_only = c.reverse_only, info->linear_before_reset = c.lbr;
    info->input_forget = c.input_forget, info->has_clip = c.has_clip, info->clip = c.clip;
    info->seq = c.seq, info->batch = c.batch, info->input = c.input, info->hidden = c.hid;
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < 3; i++)
            info->acts[d][i] = (odin_rnn_act){(odin_rnn_act_fn)c.acts[d][i].fn, c.acts[d][i].alpha,
                                              c.acts[d][i].beta};
    return ODIN_OK;
}

#define COMMON_ATTRS                                                                       \
    {"activation_alpha", ODIN_ATTR_FLOATS, false}, {"activation_beta", ODIN_ATTR_FLOATS, false}, \
    {"activations", ODIN_ATTR_STRINGS, false}, {"clip", ODIN_ATTR_FLOAT, false},            \
    {"direction", ODIN_ATTR_STRING, false, 0, 0, "forward"},                                \
    {"hidden_size", ODIN_ATTR_INT, false}, {"layout", ODIN_ATTR_INT, false, 0},              \
    {"output_sequence", ODIN_ATTR_INT, false, 0} /* opset 1 only; Y is always computed */

static const odin_attr_schema rnn_attrs[] = {COMMON_ATTRS, {NULL}};
static const odin_attr_schema gru_attrs[] = {
    COMMON_ATTRS, {"linear_before_reset", ODIN_ATTR_INT, false, 0}, {NULL}};
static const odin_attr_schema lstm_attrs[] = {
    COMMON_ATTRS, {"input_forget", ODIN_ATTR_INT, false, 0}, {NULL}};

static const odin_op_def rnn_def = {
    "RNN", "", 1, 0, 3, 6, 0, 2, rnn_attrs, rnn_infer, rnn_eval, NULL, 0,
    "simple recurrent layer H = f(X W^T + H R^T + b), forward/reverse/bidirectional"};
static const odin_op_def gru_def = {
    "GRU", "", 1, 0, 3, 6, 0, 2, gru_attrs, gru_infer, gru_eval, NULL, 0,
    "gated recurrent unit (gates z, r, h; linear_before_reset)"};
static const odin_op_def lstm_def = {
    "LSTM", "", 1, 0, 3, 8, 0, 3, lstm_attrs, lstm_infer, lstm_eval, NULL, 0,
    "long short-term memory (gates i, o, f, c; peepholes; outputs Y, Y_h, Y_c)"};

const odin_op_def *const odin_ops_rnn[] = {&rnn_def, &gru_def, &lstm_def, NULL};
