/* codegen/lower_dft.c — DFT and STFT as the eval's direct transforms (ops/signal.c): for
 * every output bin k, sum over the samples j of x[j] e^(-+2 pi i (jk mod n)/n) in double.
 * The transform length is known at compile time, so the twiddles cos / sin of every
 * (jk mod n) are computed here with the eval's own expression into constant tables, and
 * the sums run in the eval's order: results match it bit for bit. Real ([...,1]) or
 * complex ([...,2]) input; DFT's axis, inverse, onesided and dft_length; STFT's frame
 * step, window and frame length. Parameters that are not constants keep the eval. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower_util.h"

#define PI 3.14159265358979323846
#define MAX_N (1 << 16) /* twiddle table entries */

static bool const_scalar(const odin_graph *g, int node, int i, int64_t *v) {
    int n;
    return odin_node_const_ints(g, node, i, v, 1, &n) && n == 1;
}

/* One transform's geometry, from the node's constants and static shapes. */
typedef struct dft_geom {
    bool stft, inverse;
    int axis;                  /* DFT: the signal axis */
    int64_t n, nout, len;      /* transform length, output bins, samples read */
    int64_t outer, inner, comps;
    int64_t step, frames;      /* STFT */
} dft_geom;

static bool geom_of(const odin_graph *g, int node, dft_geom *q) {
    const odin_node *nd = &g->nodes[node];
    const odin_tensor *x = odin_node_in_tensor(g, node, 0);
    if (!x || nd->n_outputs != 1 || nd->outputs[0] < 0) return false;
    const odin_tensor *y = &g->tensors[nd->outputs[0]];
    if ((x->dtype != ODIN_F32 && x->dtype != ODIN_F64) || y->dtype != x->dtype || x->rank < 2) return false;
    memset(q, 0, sizeof *q);
    q->comps = x->dims[x->rank - 1];
    if (q->comps != 1 && q->comps != 2) return false;
    q->stft = !strcmp(nd->op, "STFT");
    if (q->stft) {
        if (x->rank != 3 || y->rank != 4 || !const_scalar(g, node, 1, &q->step) || q->step <= 0) return false;
        const odin_tensor *w = odin_node_in_tensor(g, node, 2);
        int64_t fl = -1;
        if (odin_node_in_tensor(g, node, 3) && !const_scalar(g, node, 3, &fl)) return false;
        if (w && (w->rank != 1 || (fl >= 0 && fl != w->dims[0]))) return false;
        q->n = fl >= 0 ? fl : w ? w->dims[0] : -1;
        if (q->n <= 0 || q->n > x->dims[1]) return false;
        q->len = q->n;
        q->frames = (x->dims[1] - q->n) / q->step + 1;
        q->nout = odin_attr_i(nd, "onesided") ? q->n / 2 + 1 : q->n;
        return y->dims[0] == x->dims[0] && y->dims[1] == q->frames && y->dims[2] == q->nout && q->n <= MAX_N;
    }
    int64_t axis = odin_attr_i(nd, "axis");
    if (g->opset >= 20) {
        axis = -2;
        if (odin_node_in_tensor(g, node, 2) && !const_scalar(g, node, 2, &axis)) return false;
    }
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= x->rank - 1) return false;
    q->axis = (int)axis;
    q->len = x->dims[axis];
    q->n = q->len;
    if (odin_node_in_tensor(g, node, 1) && !const_scalar(g, node, 1, &q->n)) return false;
    if (q->n <= 0 || q->n > MAX_N) return false;
    q->inverse = odin_attr_i(nd, "inverse") != 0;
    q->nout = odin_attr_i(nd, "onesided") ? q->n / 2 + 1 : q->n;
    q->outer = odin_dims_product(x->dims, 0, q->axis);
    q->inner = odin_dims_product(x->dims, q->axis + 1, x->rank - 1);
    return y->rank == x->rank && y->dims[q->axis] == q->nout && y->dims[y->rank - 1] == 2;
}

static bool accept_dft(const odin_graph *g, int node) {
    dft_geom q;
    return geom_of(g, node, &q);
}

static LLVMValueRef add(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAdd(c->b, a, b, ""); }
static LLVMValueRef mulk(odin_lower_ctx *c, LLVMValueRef a, int64_t k) { return LLVMBuildMul(c->b, a, odin_i64(c, k), ""); }
static LLVMValueRef to_f64(odin_lower_ctx *c, LLVMValueRef v) {
    return LLVMTypeOf(v) == c->t_f64 ? v : LLVMBuildFPExt(c->b, v, c->t_f64, "");
}

static odin_status l_dft(odin_lower_ctx *c) {
    dft_geom q;
    if (!geom_of(c->g, c->node, &q)) return odin_errorf("unsupported configuration");
    const odin_tensor *x = odin_node_in_tensor(c->g, c->node, 0);
    LLVMTypeRef et = odin_llvm_type(c, x->dtype);
    /* twiddles of m = jk mod n, with the eval's expression */
    double *tc = malloc(sizeof *tc * (size_t)q.n), *ts = malloc(sizeof *ts * (size_t)q.n);
    if (!tc || !ts) {
        free(tc), free(ts);
        return odin_errorf("out of memory");
    }
    double sign = q.inverse ? 1.0 : -1.0;
    for (int64_t m = 0; m < q.n; m++) {
        double ang = sign * 2 * PI * (double)m / (double)q.n;
        tc[m] = cos(ang), ts[m] = sin(ang);
    }
    LLVMValueRef gc = odin_const_table(c, c->t_f64, tc, q.n, "dft.cos"), gs = odin_const_table(c, c->t_f64, ts, q.n, "dft.sin");
    free(tc), free(ts);
    if (!gc || !gs) return odin_errorf("out of memory");
    LLVMValueRef win = q.stft && odin_node_in_tensor(c->g, c->node, 2) ? c->in[2] : NULL;
    LLVMTypeRef wt = win ? odin_llvm_type(c, odin_node_in_tensor(c->g, c->node, 2)->dtype) : NULL;
    if (win && wt != c->t_f32 && wt != c->t_f64) return odin_errorf("window dtype");
    int64_t rows = q.stft ? x->dims[0] * q.frames : q.outer * q.inner;
    if (rows == 0 || q.nout == 0) return ODIN_OK;
    LLVMValueRef re_a = odin_entry_alloca(c, c->t_f64, "re"), im_a = odin_entry_alloca(c, c->t_f64, "im");
    odin_loop lr, lk, lj;
    LLVMValueRef r = odin_loop_begin(c, &lr, odin_i64(c, 0), odin_i64(c, rows), 1, "row");
    /* sample j of this row sits at base + j * jstride (in elements of comps) */
    LLVMValueRef base, out_base;
    int64_t jstride, kstride;
    if (q.stft) {
        LLVMValueRef b = LLVMBuildUDiv(c->b, r, odin_i64(c, q.frames), ""), f = LLVMBuildURem(c->b, r, odin_i64(c, q.frames), "");
        base = mulk(c, add(c, mulk(c, b, x->dims[1]), mulk(c, f, q.step)), q.comps);
        jstride = q.comps;
        out_base = mulk(c, r, q.nout * 2);
        kstride = 2;
    } else {
        LLVMValueRef o = LLVMBuildUDiv(c->b, r, odin_i64(c, q.inner), ""), i = LLVMBuildURem(c->b, r, odin_i64(c, q.inner), "");
        base = mulk(c, add(c, mulk(c, o, q.len * q.inner), i), q.comps);
        jstride = q.inner * q.comps;
        out_base = mulk(c, add(c, mulk(c, o, q.nout * q.inner), i), 2);
        kstride = q.inner * 2;
    }
    LLVMValueRef k = odin_loop_begin(c, &lk, odin_i64(c, 0), odin_i64(c, q.nout), 1, "k");
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 0), re_a);
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 0), im_a);
    LLVMValueRef j = odin_loop_begin(c, &lj, odin_i64(c, 0), odin_i64(c, q.len < q.n ? q.len : q.n), 1, "j");
    LLVMValueRef m = LLVMBuildURem(c->b, LLVMBuildMul(c->b, j, k, ""), odin_i64(c, q.n), "");
    LLVMValueRef cv = odin_load(c, c->t_f64, gc, m), sv = odin_load(c, c->t_f64, gs, m);
    LLVMValueRef at = add(c, base, mulk(c, j, jstride));
    LLVMValueRef xr = to_f64(c, odin_load(c, et, c->in[0], at));
    LLVMValueRef xi = q.comps == 2 ? to_f64(c, odin_load(c, et, c->in[0], add(c, at, odin_i64(c, 1)))) : LLVMConstReal(c->t_f64, 0);
    if (win) {
        LLVMValueRef wv = to_f64(c, odin_load(c, wt, win, j));
        xr = LLVMBuildFMul(c->b, wv, xr, "");
        if (q.comps == 2) xi = LLVMBuildFMul(c->b, wv, xi, "");
    }
    LLVMValueRef re = LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f64, re_a, ""),
                                    LLVMBuildFSub(c->b, LLVMBuildFMul(c->b, xr, cv, ""), LLVMBuildFMul(c->b, xi, sv, ""), ""), "");
    LLVMValueRef im = LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f64, im_a, ""),
                                    LLVMBuildFAdd(c->b, LLVMBuildFMul(c->b, xr, sv, ""), LLVMBuildFMul(c->b, xi, cv, ""), ""), "");
    LLVMBuildStore(c->b, re, re_a);
    LLVMBuildStore(c->b, im, im_a);
    odin_loop_end(c, &lj);
    LLVMValueRef rv = LLVMBuildLoad2(c->b, c->t_f64, re_a, ""), iv = LLVMBuildLoad2(c->b, c->t_f64, im_a, "");
    if (q.inverse) {
        rv = LLVMBuildFDiv(c->b, rv, LLVMConstReal(c->t_f64, (double)q.n), "");
        iv = LLVMBuildFDiv(c->b, iv, LLVMConstReal(c->t_f64, (double)q.n), "");
    }
    if (et != c->t_f64) rv = LLVMBuildFPTrunc(c->b, rv, et, ""), iv = LLVMBuildFPTrunc(c->b, iv, et, "");
    LLVMValueRef yo = add(c, out_base, mulk(c, k, kstride));
    odin_store(c, rv, c->out[0], yo);
    odin_store(c, iv, c->out[0], add(c, yo, odin_i64(c, 1)));
    odin_loop_end(c, &lk);
    odin_loop_end(c, &lr);
    return ODIN_OK;
}

const odin_lowering odin_lowerings_dft[] = {
    {"DFT", l_dft, NULL, false, accept_dft},
    {"STFT", l_dft, NULL, false, accept_dft},
    {NULL, NULL, NULL, false, NULL},
};
