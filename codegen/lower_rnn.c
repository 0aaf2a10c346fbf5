/* codegen/lower_rnn.c — RNN, GRU and LSTM (f32): the eval's time loop (ops/rnn.c) as code.
 * Directions are unrolled at compile time (their activations and time order become
 * literals); per batch item the hidden (and cell) state lives in stack buffers, and each
 * step computes the gate pre-activations x W^T + b and h R^T + b as contiguous dot
 * products (vectorized reductions), then the gate math with the f32 mathlib. Layout 1,
 * sequence_lens (steps past an item's length leave Y zero), initial states, peepholes,
 * clip, input_forget and linear_before_reset follow the eval; every ONNX activation is
 * supported. Bad sequence_lens go to the eval, which reports them. */
#include <math.h>
#include <string.h>

#include "../ops/rnn.h"
#include "lower_util.h"
#include "mathlib.h"

#define MAX_STATE (1 << 15) /* gates * hidden floats kept on the stack per buffer */

enum { IN_X, IN_W, IN_R, IN_B, IN_SEQ_LENS, IN_H0, IN_C0, IN_P };

static bool accept_rnn(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0) continue;
        odin_dtype t = g->tensors[n->inputs[i]].dtype;
        if (i == IN_SEQ_LENS ? !(t == ODIN_I32 || t == ODIN_I64) : t != ODIN_F32) return false;
    }
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0 && g->tensors[n->outputs[i]].dtype != ODIN_F32) return false;
    odin_rnn_info r;
    odin_status st = odin_rnn_info_of_node(g, node, &r);
    if (st) {
        odin_status_free(st);
        return false;
    }
    return r.gates * r.hidden <= MAX_STATE && r.input <= MAX_STATE;
}

static LLVMValueRef fk(odin_lower_ctx *c, double v) { return LLVMConstReal(c->t_f32, v); }
static LLVMValueRef fmax_(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    LLVMValueRef args[2] = {a, b};
    return odin_intrinsic(c, "llvm.maxnum", c->t_f32, args, 2);
}
static LLVMValueRef fmin_(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    LLVMValueRef args[2] = {a, b};
    return odin_intrinsic(c, "llvm.minnum", c->t_f32, args, 2);
}
static LLVMValueRef sel(odin_lower_ctx *c, LLVMRealPredicate p, LLVMValueRef a, LLVMValueRef b,
                        LLVMValueRef t, LLVMValueRef f) {
    return LLVMBuildSelect(c->b, LLVMBuildFCmp(c->b, p, a, b, ""), t, f, "");
}
static LLVMValueRef f_mul(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(c->b, a, b, ""); }
static LLVMValueRef f_add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(c->b, a, b, ""); }

/* act_apply of ops/rnn.c */
static LLVMValueRef act(odin_lower_ctx *c, const odin_rnn_act *a, LLVMValueRef x) {
    LLVMValueRef zero = fk(c, 0), al = fk(c, a->alpha), be = fk(c, a->beta);
    switch (a->fn) {
    case ODIN_RNN_ACT_RELU: return sel(c, LLVMRealOGT, x, zero, x, zero);
    case ODIN_RNN_ACT_TANH: return odin_math_tanh(c, x);
    case ODIN_RNN_ACT_SIGMOID: return odin_math_sigmoid(c, x);
    case ODIN_RNN_ACT_AFFINE: return f_add(c, f_mul(c, al, x), be);
    case ODIN_RNN_ACT_LEAKY_RELU: return sel(c, LLVMRealOGE, x, zero, x, f_mul(c, al, x));
    case ODIN_RNN_ACT_THRESHOLDED_RELU: return sel(c, LLVMRealOGT, x, al, x, zero);
    case ODIN_RNN_ACT_SCALED_TANH: return f_mul(c, al, odin_math_tanh(c, f_mul(c, be, x)));
    case ODIN_RNN_ACT_HARD_SIGMOID: {
        LLVMValueRef y = f_add(c, f_mul(c, al, x), be);
        return sel(c, LLVMRealOLT, y, zero, zero, sel(c, LLVMRealOGT, y, fk(c, 1), fk(c, 1), y));
    }
    case ODIN_RNN_ACT_ELU:
        return sel(c, LLVMRealOGE, x, zero, x, f_mul(c, al, LLVMBuildFSub(c->b, odin_math_exp(c, x), fk(c, 1), "")));
    case ODIN_RNN_ACT_SOFTSIGN: {
        LLVMValueRef ax = odin_intrinsic(c, "llvm.fabs", c->t_f32, &x, 1);
        return LLVMBuildFDiv(c->b, x, f_add(c, fk(c, 1), ax), "");
    }
    case ODIN_RNN_ACT_SOFTPLUS: return sel(c, LLVMRealOGT, x, fk(c, 30), x, odin_math_softplus(c, x));
    }
    return x;
}

static LLVMValueRef clipped(odin_lower_ctx *c, const odin_rnn_info *r, LLVMValueRef x) {
    if (!r->has_clip) return x;
    return fmin_(c, fmax_(c, x, fk(c, -r->clip)), fk(c, r->clip));
}

static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAdd(c->b, a, b, ""); }
static LLVMValueRef mulk(odin_lower_ctx *c, LLVMValueRef a, int64_t k) { return LLVMBuildMul(c->b, a, odin_i64(c, k), ""); }
static LLVMValueRef ld(odin_lower_ctx *c, LLVMValueRef base, LLVMValueRef i) { return odin_load(c, c->t_f32, base, i); }

/* dot(a[ao .. ao+n), b[bo .. bo+n)) + init, a vectorizable reduction */
static LLVMValueRef dot(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef ao, LLVMValueRef b, LLVMValueRef bo,
                        int64_t n, LLVMValueRef init) {
    LLVMValueRef acc = odin_entry_alloca(c, c->t_f32, "dot");
    LLVMBuildStore(c->b, fk(c, 0), acc);
    odin_loop l;
    LLVMValueRef k = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, n), 1, "k");
    LLVMValueRef p = odin_fmul_reassoc(c, ld(c, a, add(c, ao, k)), ld(c, b, add(c, bo, k)));
    LLVMBuildStore(c->b, odin_fadd_reassoc(c, LLVMBuildLoad2(c->b, c->t_f32, acc, ""), p), acc);
    odin_loop_end(c, &l);
    return f_add(c, init, LLVMBuildLoad2(c->b, c->t_f32, acc, ""));
}

typedef struct rnn_emit {
    odin_rnn_info r;
    LLVMValueRef h, hn, cst, gx, gh; /* stack buffers */
    LLVMValueRef bad;
    LLVMValueRef y, yh, yc;          /* outputs (NULL: absent) */
} rnn_emit;

/* Offset of [d][bi] rows of H floats in a state tensor (initial_h / Y_h layout). */
static LLVMValueRef state_off(odin_lower_ctx *c, const odin_rnn_info *r, int d, LLVMValueRef bi) {
    LLVMValueRef row = r->layout ? add(c, mulk(c, bi, r->dirs), odin_i64(c, d))
                                 : add(c, odin_i64(c, d * r->batch), bi);
    return mulk(c, row, r->hidden);
}

static void copy_row(odin_lower_ctx *c, LLVMValueRef dst, LLVMValueRef doff, LLVMValueRef src,
                     LLVMValueRef soff, int64_t n) {
    odin_loop l;
    LLVMValueRef j = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, n), 1, "j");
    odin_store(c, src ? ld(c, src, add(c, soff, j)) : fk(c, 0), dst, add(c, doff, j));
    odin_loop_end(c, &l);
}

/* One time step t of direction d for batch item bi: h (and cst) updated. */
static void step(odin_lower_ctx *c, rnn_emit *e, int d, LLVMValueRef bi, LLVMValueRef t) {
    const odin_rnn_info *r = &e->r;
    int64_t H = r->hidden, G = r->gates, I = r->input;
    const odin_rnn_act *a = r->acts[d];
    LLVMValueRef x = c->in[IN_X], w = c->in[IN_W], rr = c->in[IN_R];
    LLVMValueRef b = r->gates && c->in[IN_B] ? c->in[IN_B] : NULL;
    LLVMValueRef xo = r->layout ? mulk(c, add(c, mulk(c, bi, r->seq), t), I) : mulk(c, add(c, mulk(c, t, r->batch), bi), I);
    odin_loop l;
    LLVMValueRef j = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, G * H), 1, "g");
    LLVMValueRef wb = b ? ld(c, b, add(c, odin_i64(c, d * 2 * G * H), j)) : fk(c, 0);
    LLVMValueRef rb = b ? ld(c, b, add(c, odin_i64(c, d * 2 * G * H + G * H), j)) : fk(c, 0);
    odin_store(c, dot(c, x, xo, w, mulk(c, add(c, odin_i64(c, d * G * H), j), I), I, wb), e->gx, j);
    odin_store(c, dot(c, e->h, odin_i64(c, 0), rr, mulk(c, add(c, odin_i64(c, d * G * H), j), H), H, rb), e->gh, j);
    odin_loop_end(c, &l);

    j = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, H), 1, "j");
#define GX(k) ld(c, e->gx, add(c, j, odin_i64(c, (k) * H)))
#define GH(k) ld(c, e->gh, add(c, j, odin_i64(c, (k) * H)))
    LLVMValueRef hn;
    if (r->kind == 0) {
        hn = act(c, &a[0], clipped(c, r, f_add(c, GX(0), GH(0))));
    } else if (r->kind == 1) {
        LLVMValueRef z = act(c, &a[0], clipped(c, r, f_add(c, GX(0), GH(0))));
        LLVMValueRef rg = act(c, &a[0], clipped(c, r, f_add(c, GX(1), GH(1))));
        LLVMValueRef pre;
        if (r->linear_before_reset) {
            pre = f_add(c, GX(2), f_mul(c, rg, GH(2)));
        } else { /* (r * h) R_h^T + Rb_h */
            LLVMValueRef rbh = b ? ld(c, b, add(c, odin_i64(c, d * 2 * G * H + G * H + 2 * H), j)) : fk(c, 0);
            LLVMValueRef s = dot(c, e->h, odin_i64(c, 0), rr, mulk(c, add(c, odin_i64(c, d * G * H + 2 * H), j), H), H, fk(c, 0));
            pre = f_add(c, f_add(c, GX(2), rbh), f_mul(c, rg, s));
        }
        LLVMValueRef hh = act(c, &a[1], clipped(c, r, pre));
        LLVMValueRef hp = ld(c, e->h, j);
        hn = f_add(c, f_mul(c, LLVMBuildFSub(c->b, fk(c, 1), z, ""), hh), f_mul(c, z, hp));
    } else {
        LLVMValueRef p = c->in[IN_P];
        LLVMValueRef cp = ld(c, e->cst, j);
#define PEEP(k) (p ? f_mul(c, ld(c, p, add(c, j, odin_i64(c, d * 3 * H + (k) * H))), cp) : fk(c, 0))
        LLVMValueRef ig = act(c, &a[0], clipped(c, r, f_add(c, f_add(c, GX(0), GH(0)), PEEP(0))));
        LLVMValueRef fg = r->input_forget ? LLVMBuildFSub(c->b, fk(c, 1), ig, "")
                                          : act(c, &a[0], clipped(c, r, f_add(c, f_add(c, GX(2), GH(2)), PEEP(2))));
        LLVMValueRef gg = act(c, &a[1], clipped(c, r, f_add(c, GX(3), GH(3))));
        LLVMValueRef cn = f_add(c, f_mul(c, fg, cp), f_mul(c, ig, gg));
        LLVMValueRef pc = p ? f_mul(c, ld(c, p, add(c, j, odin_i64(c, d * 3 * H + H))), cn) : fk(c, 0);
        LLVMValueRef og = act(c, &a[0], clipped(c, r, f_add(c, f_add(c, GX(1), GH(1)), pc)));
        odin_store(c, cn, e->cst, j);
        hn = f_mul(c, og, act(c, &a[2], cn));
#undef PEEP
    }
#undef GX
#undef GH
    odin_store(c, hn, e->hn, j);
    odin_loop_end(c, &l);
    copy_row(c, e->h, odin_i64(c, 0), e->hn, odin_i64(c, 0), H);
}

static odin_status l_rnn(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    rnn_emit e = {0};
    ODIN_TRY(odin_rnn_info_of_node(c->g, c->node, &e.r));
    const odin_rnn_info *r = &e.r;
    int64_t H = r->hidden, S = r->seq, N = r->batch, D = r->dirs;
    for (int i = IN_B; i <= IN_P; i++)
        if (i >= n->n_inputs || n->inputs[i] < 0) c->in[i] = NULL;
    e.y = n->n_outputs > 0 && n->outputs[0] >= 0 ? c->out[0] : NULL;
    e.yh = n->n_outputs > 1 && n->outputs[1] >= 0 ? c->out[1] : NULL;
    e.yc = r->kind == 2 && n->n_outputs > 2 && n->outputs[2] >= 0 ? c->out[2] : NULL;
    LLVMTypeRef hv = LLVMArrayType2(c->t_f32, (uint64_t)(H > 0 ? H : 1));
    LLVMTypeRef gv = LLVMArrayType2(c->t_f32, (uint64_t)(r->gates * H > 0 ? r->gates * H : 1));
    e.h = odin_entry_alloca(c, hv, "h");
    e.hn = odin_entry_alloca(c, hv, "hn");
    e.cst = odin_entry_alloca(c, hv, "cell");
    e.gx = odin_entry_alloca(c, gv, "gx");
    e.gh = odin_entry_alloca(c, gv, "gh");
    e.bad = odin_entry_alloca(c, c->t_i1, "bad");
    LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), e.bad);
    /* steps past an item's sequence length leave Y zero, as the eval */
    if (e.y && c->in[IN_SEQ_LENS]) copy_row(c, e.y, odin_i64(c, 0), NULL, NULL, S * D * N * H);
    odin_dtype slt = c->in[IN_SEQ_LENS] ? c->g->tensors[n->inputs[IN_SEQ_LENS]].dtype : ODIN_I64;
    for (int d = 0; d < D; d++) {
        bool rev = r->reverse_only || d == 1;
        odin_loop lb, ls;
        LLVMValueRef bi = odin_loop_begin(c, &lb, odin_i64(c, 0), odin_i64(c, N), 1, "b");
        LLVMValueRef len = odin_i64(c, S);
        if (c->in[IN_SEQ_LENS]) {
            len = odin_load(c, odin_llvm_type(c, slt), c->in[IN_SEQ_LENS], bi);
            if (slt != ODIN_I64) len = LLVMBuildSExt(c->b, len, c->t_i64, "");
            LLVMValueRef oob = LLVMBuildICmp(c->b, LLVMIntUGT, len, odin_i64(c, S), "");
            LLVMBuildStore(c->b, LLVMBuildOr(c->b, LLVMBuildLoad2(c->b, c->t_i1, e.bad, ""), oob, ""), e.bad);
            len = LLVMBuildSelect(c->b, oob, odin_i64(c, 0), len, "");
        }
        LLVMValueRef so = state_off(c, r, d, bi);
        copy_row(c, e.h, odin_i64(c, 0), c->in[IN_H0], so, H);
        copy_row(c, e.cst, odin_i64(c, 0), r->kind == 2 ? c->in[IN_C0] : NULL, so, H);
        LLVMValueRef s = odin_loop_begin(c, &ls, odin_i64(c, 0), len, 1, "s");
        LLVMValueRef t = rev ? LLVMBuildSub(c->b, LLVMBuildSub(c->b, len, odin_i64(c, 1), ""), s, "") : s;
        step(c, &e, d, bi, t);
        if (e.y) {
            LLVMValueRef row = r->layout ? add(c, mulk(c, add(c, mulk(c, bi, S), t), D), odin_i64(c, d))
                                         : add(c, mulk(c, add(c, mulk(c, t, D), odin_i64(c, d)), N), bi);
            copy_row(c, e.y, mulk(c, row, H), e.h, odin_i64(c, 0), H);
        }
        odin_loop_end(c, &ls);
        if (e.yh) copy_row(c, e.yh, so, e.h, odin_i64(c, 0), H);
        if (e.yc) copy_row(c, e.yc, so, e.cst, odin_i64(c, 0), H);
        odin_loop_end(c, &lb);
    }
    odin_emit_error_exit(c, LLVMBuildLoad2(c->b, c->t_i1, e.bad, ""));
    return ODIN_OK;
}

const odin_lowering odin_lowerings_rnn[] = {
    {"RNN", l_rnn, NULL, false, accept_rnn},
    {"GRU", l_rnn, NULL, false, accept_rnn},
    {"LSTM", l_rnn, NULL, false, accept_rnn},
    {NULL, NULL, NULL, false, NULL},
};
