/* codegen/lower_movement.c — compiled data movement: the reshape family, Transpose,
 * Concat, Split, Slice, Expand, Tile, Pad and Gather. Each op becomes
 * one or more strided boxes (codegen/copybox.h) whose strides and offsets are computed
 * here from the static shapes and the node's constant inputs; elements move as integers
 * of their byte size, so the dtype does not matter. Pad's reflect / edge / wrap modes
 * gather through per-axis source tables instead. A node whose parameters are not
 * compile-time constants is declined (accepts) and runs through its reference eval. */
#include <stdlib.h>
#include <string.h>

#include "copybox.h"

#define MAXR ODIN_MAX_RANK

static const odin_tensor *tin(odin_lower_ctx *c, int i) {
    return &c->g->tensors[c->g->nodes[c->node].inputs[i]];
}
static const odin_tensor *tout(odin_lower_ctx *c, int i) {
    return &c->g->tensors[c->g->nodes[c->node].outputs[i]];
}

/* Input 0 and every present output have a movable dtype. */
static bool movable_io(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || n->inputs[0] < 0 || !odin_dtype_movable(g->tensors[n->inputs[0]].dtype))
        return false;
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0 && g->tensors[n->outputs[i]].dtype != g->tensors[n->inputs[0]].dtype)
            return false;
    return n->n_outputs >= 1 && n->outputs[0] >= 0;
}

/* ---- the reshape family: a flat copy ---- */

static bool accept_flat(const odin_graph *g, int node) {
    if (!movable_io(g, node)) return false;
    const odin_node *n = &g->nodes[node];
    return odin_tensor_numel(&g->tensors[n->inputs[0]]) == odin_tensor_numel(&g->tensors[n->outputs[0]]);
}

static odin_status l_flat(odin_lower_ctx *c) {
    const odin_tensor *x = tin(c, 0);
    int64_t n = odin_tensor_numel(x);
    odin_box b;
    odin_box_init(&b, 1, &n, odin_dtype_size(x->dtype), 0, 0);
    return odin_emit_box(c, &b);
}

/* ---- Transpose ---- */

static bool transpose_perm(const odin_graph *g, int node, int rank, int *perm) {
    const odin_node *n = &g->nodes[node];
    if (!odin_node_has_attr(n, "perm")) {
        for (int d = 0; d < rank; d++) perm[d] = rank - 1 - d;
        return true;
    }
    const int64_t *p;
    if (odin_attr_ints(n, "perm", &p) != rank) return false;
    bool seen[MAXR] = {false};
    for (int d = 0; d < rank; d++) {
        if (p[d] < 0 || p[d] >= rank || seen[p[d]]) return false;
        seen[p[d]] = true;
        perm[d] = (int)p[d];
    }
    return true;
}

static bool accept_transpose(const odin_graph *g, int node) {
    int perm[MAXR];
    return movable_io(g, node) &&
           transpose_perm(g, node, g->tensors[g->nodes[node].inputs[0]].rank, perm);
}

static odin_status l_transpose(odin_lower_ctx *c) {
    const odin_tensor *x = tin(c, 0), *y = tout(c, 0);
    int perm[MAXR];
    if (!transpose_perm(c->g, c->node, x->rank, perm)) return odin_errorf("bad perm");
    int64_t xs[MAXR];
    odin_box_strides(x->rank, x->dims, xs);
    odin_box b;
    odin_box_init(&b, y->rank, y->dims, odin_dtype_size(x->dtype), 0, 0);
    for (int d = 0; d < y->rank; d++) b.src_stride[d] = xs[perm[d]];
    return odin_emit_box(c, &b);
}

/* ---- Concat / Split ---- */

static bool accept_concat(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (!movable_io(g, node)) return false;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] < 0 || g->tensors[n->inputs[i]].dtype != g->tensors[n->outputs[0]].dtype)
            return false;
    int axis;
    odin_status st = odin_norm_axis(odin_attr_i(n, "axis"), g->tensors[n->outputs[0]].rank, &axis);
    odin_status_free(st);
    return !st;
}

static odin_status l_concat(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *y = tout(c, 0);
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(n, "axis"), y->rank, &axis));
    int64_t ys[MAXR], at = 0;
    odin_box_strides(y->rank, y->dims, ys);
    for (int i = 0; i < n->n_inputs; i++) {
        const odin_tensor *x = tin(c, i);
        odin_box b;
        odin_box_init(&b, x->rank, x->dims, odin_dtype_size(x->dtype), i, 0);
        memcpy(b.dst_stride, ys, sizeof ys);
        b.dst_off = at * ys[axis];
        at += x->dims[axis];
        ODIN_TRY(odin_emit_box(c, &b));
    }
    return ODIN_OK;
}

static bool accept_split(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    if (!movable_io(g, node)) return false;
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] < 0) return false;
    int axis;
    odin_status st = odin_norm_axis(odin_attr_i(n, "axis"), g->tensors[n->inputs[0]].rank, &axis);
    odin_status_free(st);
    return !st;
}

static odin_status l_split(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = tin(c, 0);
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(n, "axis"), x->rank, &axis));
    int64_t xs[MAXR], at = 0;
    odin_box_strides(x->rank, x->dims, xs);
    for (int i = 0; i < n->n_outputs; i++) {
        const odin_tensor *y = tout(c, i);
        odin_box b;
        odin_box_init(&b, y->rank, y->dims, odin_dtype_size(x->dtype), 0, i);
        memcpy(b.src_stride, xs, sizeof xs);
        b.src_off = at * xs[axis];
        at += y->dims[axis];
        ODIN_TRY(odin_emit_box(c, &b));
    }
    return ODIN_OK;
}

/* ---- Slice ---- */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* First index and step per axis, from attributes (opset < 10) or constant inputs. The
 * counts they imply must equal the output's static dims. */
static bool slice_params(const odin_graph *g, int node, int64_t *start, int64_t *step) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = &g->tensors[n->inputs[0]], *y = &g->tensors[n->outputs[0]];
    int64_t starts[MAXR], ends[MAXR], axes[MAXR], steps[MAXR];
    int ns = 0, ne = 0, na = -1, nst = -1;
    if (g->opset < 10) {
        const int64_t *a;
        ns = odin_attr_ints(n, "starts", &a);
        if (ns > MAXR) return false;
        if (ns) memcpy(starts, a, sizeof *a * ns);
        ne = odin_attr_ints(n, "ends", &a);
        if (ne > MAXR) return false;
        if (ne) memcpy(ends, a, sizeof *a * ne);
        if (odin_node_has_attr(n, "axes")) {
            na = odin_attr_ints(n, "axes", &a);
            if (na > MAXR) return false;
            if (na) memcpy(axes, a, sizeof *a * na);
        }
    } else {
        if (!odin_node_const_ints(g, node, 1, starts, MAXR, &ns) ||
            !odin_node_const_ints(g, node, 2, ends, MAXR, &ne))
            return false;
        if (odin_node_in(g, node, 3) >= 0 && !odin_node_const_ints(g, node, 3, axes, MAXR, &na))
            return false;
        if (odin_node_in(g, node, 4) >= 0 && !odin_node_const_ints(g, node, 4, steps, MAXR, &nst))
            return false;
    }
    if (ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns)) return false;
    for (int d = 0; d < x->rank; d++) start[d] = 0, step[d] = 1;
    for (int i = 0; i < ns; i++) {
        int64_t a = na >= 0 ? axes[i] : i;
        if (a < 0) a += x->rank;
        if (a < 0 || a >= x->rank) return false;
        int64_t st = nst >= 0 ? steps[i] : 1, dim = x->dims[a], s = starts[i], e = ends[i];
        if (st == 0) return false;
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        int64_t count;
        if (st > 0) {
            s = clamp64(s, 0, dim);
            e = clamp64(e, 0, dim);
            count = e > s ? (e - s + st - 1) / st : 0;
        } else {
            s = clamp64(s, 0, dim - 1);
            e = clamp64(e, -1, dim - 1);
            count = s > e ? (s - e + (-st) - 1) / (-st) : 0;
        }
        if (count != y->dims[a]) return false;
        start[a] = s;
        step[a] = st;
    }
    return true;
}

static bool accept_slice(const odin_graph *g, int node) {
    int64_t start[MAXR], step[MAXR];
    return movable_io(g, node) && g->tensors[g->nodes[node].inputs[0]].rank ==
                                      g->tensors[g->nodes[node].outputs[0]].rank &&
           slice_params(g, node, start, step);
}

static odin_status l_slice(odin_lower_ctx *c) {
    const odin_tensor *x = tin(c, 0), *y = tout(c, 0);
    int64_t start[MAXR], step[MAXR], xs[MAXR];
    if (!slice_params(c->g, c->node, start, step)) return odin_errorf("slice bounds are not constant");
    odin_box_strides(x->rank, x->dims, xs);
    odin_box b;
    odin_box_init(&b, y->rank, y->dims, odin_dtype_size(x->dtype), 0, 0);
    for (int d = 0; d < x->rank; d++) {
        b.src_stride[d] = xs[d] * step[d];
        b.src_off += xs[d] * start[d];
    }
    return odin_emit_box(c, &b);
}

/* ---- Expand / Tile ---- */

static bool accept_expand(const odin_graph *g, int node) {
    if (!movable_io(g, node)) return false;
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = &g->tensors[n->inputs[0]], *y = &g->tensors[n->outputs[0]];
    if (x->rank > y->rank) return false;
    for (int d = 0; d < x->rank; d++) {
        int64_t xd = x->dims[d], yd = y->dims[d + y->rank - x->rank];
        if (xd != yd && xd != 1) return false;
    }
    return true;
}

static odin_status l_expand(odin_lower_ctx *c) {
    const odin_tensor *x = tin(c, 0), *y = tout(c, 0);
    int64_t xs[MAXR];
    odin_box_strides(x->rank, x->dims, xs);
    odin_box b;
    odin_box_init(&b, y->rank, y->dims, odin_dtype_size(x->dtype), 0, 0);
    for (int d = 0; d < y->rank; d++) {
        int ix = d - (y->rank - x->rank);
        b.src_stride[d] = (ix < 0 || x->dims[ix] == 1) ? 0 : xs[ix];
    }
    return odin_emit_box(c, &b);
}

static bool accept_tile(const odin_graph *g, int node) {
    if (!movable_io(g, node)) return false;
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = &g->tensors[n->inputs[0]], *y = &g->tensors[n->outputs[0]];
    if (x->rank != y->rank) return false;
    for (int d = 0; d < x->rank; d++)
        if (x->dims[d] ? y->dims[d] % x->dims[d] != 0 : y->dims[d] != 0) return false;
    return true;
}

/* The output viewed as [rep0, d0, rep1, d1, ...] with source stride 0 on the rep axes. */
static odin_status l_tile(odin_lower_ctx *c) {
    const odin_tensor *x = tin(c, 0), *y = tout(c, 0);
    int64_t xs[MAXR], dims[2 * MAXR];
    odin_box_strides(x->rank, x->dims, xs);
    for (int d = 0; d < x->rank; d++) {
        dims[2 * d] = x->dims[d] ? y->dims[d] / x->dims[d] : 0;
        dims[2 * d + 1] = x->dims[d];
    }
    odin_box b;
    odin_box_init(&b, 2 * x->rank, dims, odin_dtype_size(x->dtype), 0, 0);
    for (int d = 0; d < x->rank; d++) {
        b.src_stride[2 * d] = 0;
        b.src_stride[2 * d + 1] = xs[d];
    }
    return odin_emit_box(c, &b);
}

/* ---- Pad ---- */

/* Non-constant modes (reflect, edge, wrap) read every output element from the input: a
 * per-axis table maps each output coordinate to its source offset (the eval's
 * pad_source rule, evaluated at compile time), and one loop nest gathers. */
typedef enum { PADM_CONSTANT, PADM_REFLECT, PADM_EDGE, PADM_WRAP, PADM_UNKNOWN } pad_mode_kind;

static pad_mode_kind pad_mode(const odin_node *n) {
    const char *m = odin_attr_s(n, "mode");
    if (!m || !strcmp(m, "constant")) return PADM_CONSTANT;
    if (!strcmp(m, "reflect")) return PADM_REFLECT;
    if (!strcmp(m, "edge")) return PADM_EDGE;
    if (!strcmp(m, "wrap")) return PADM_WRAP;
    return PADM_UNKNOWN;
}

static bool pad_params(const odin_graph *g, int node, int64_t *pb, int64_t *pe) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = &g->tensors[n->inputs[0]], *y = &g->tensors[n->outputs[0]];
    if (pad_mode(n) == PADM_UNKNOWN) return false;
    int64_t pads[2 * MAXR];
    int np, rank = x->rank;
    if (g->opset < 11) {
        const int64_t *a;
        np = odin_attr_ints(n, "pads", &a);
        if (np > 2 * MAXR) return false;
        if (np) memcpy(pads, a, sizeof *a * np);
    } else if (!odin_node_const_ints(g, node, 1, pads, 2 * MAXR, &np)) {
        return false;
    }
    int axes[MAXR], n_axes = rank;
    for (int d = 0; d < rank; d++) axes[d] = d, pb[d] = pe[d] = 0;
    if (g->opset >= 18 && odin_node_in(g, node, 3) >= 0) {
        int64_t a[MAXR];
        if (!odin_node_const_ints(g, node, 3, a, MAXR, &n_axes)) return false;
        for (int i = 0; i < n_axes; i++) {
            int64_t v = a[i] < 0 ? a[i] + rank : a[i];
            if (v < 0 || v >= rank) return false;
            axes[i] = (int)v;
        }
    }
    if (np != 2 * n_axes) return false;
    for (int i = 0; i < n_axes; i++) pb[axes[i]] = pads[i], pe[axes[i]] = pads[i + n_axes];
    for (int d = 0; d < rank; d++) {
        if (x->dims[d] + pb[d] + pe[d] != y->dims[d]) return false;
        int64_t kept = x->dims[d] - (pb[d] < 0 ? -pb[d] : 0) - (pe[d] < 0 ? -pe[d] : 0);
        if (pad_mode(n) != PADM_CONSTANT && kept <= 0 && y->dims[d] > 0) return false;
    }
    return true;
}

/* Source coordinate (in the kept extent n) of padded coordinate j outside [0, n). */
static int64_t pad_source_of(pad_mode_kind m, int64_t j, int64_t n) {
    if (m == PADM_EDGE) return j < 0 ? 0 : n - 1;
    if (m == PADM_WRAP) return ((j % n) + n) % n;
    if (n == 1) return 0;
    int64_t p = 2 * (n - 1), r = ((j % p) + p) % p;
    return r >= n ? p - r : r;
}

static odin_status l_pad_gather(odin_lower_ctx *c, const int64_t *pb, const int64_t *pe) {
    const odin_tensor *x = tin(c, 0), *y = tout(c, 0);
    pad_mode_kind m = pad_mode(&c->g->nodes[c->node]);
    LLVMTypeRef et = odin_bits_type(c, odin_dtype_size(x->dtype));
    int64_t xs[MAXR];
    odin_box_strides(x->rank, x->dims, xs);
    LLVMValueRef tab[MAXR];
    for (int d = 0; d < y->rank; d++) {
        int64_t lo = pb[d] < 0 ? -pb[d] : 0, padb = pb[d] > 0 ? pb[d] : 0;
        int64_t kept = x->dims[d] - lo - (pe[d] < 0 ? -pe[d] : 0);
        int64_t *src = malloc(sizeof *src * (size_t)(y->dims[d] ? y->dims[d] : 1));
        if (!src) return odin_errorf("out of memory");
        for (int64_t o = 0; o < y->dims[d]; o++) {
            int64_t j = o - padb;
            if (j < 0 || j >= kept) j = pad_source_of(m, j, kept);
            src[o] = (lo + j) * xs[d];
        }
        tab[d] = odin_const_table_i64(c, src, y->dims[d], "pad.src");
        free(src);
        if (!tab[d]) return odin_errorf("out of memory");
    }
    if (odin_tensor_numel(y) == 0) return ODIN_OK;
    odin_loop loops[MAXR];
    LLVMValueRef off = odin_i64(c, 0), yoff = odin_i64(c, 0);
    for (int d = 0; d < y->rank; d++) {
        LLVMValueRef o = odin_loop_begin(c, &loops[d], odin_i64(c, 0), odin_i64(c, y->dims[d]), 1, "o");
        off = LLVMBuildAdd(c->b, off, odin_load(c, c->t_i64, tab[d], o), "");
        yoff = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, yoff, odin_i64(c, y->dims[d]), ""), o, "");
    }
    odin_store(c, odin_load(c, et, c->in[0], off), c->out[0], yoff);
    for (int d = y->rank - 1; d >= 0; d--) odin_loop_end(c, &loops[d]);
    return ODIN_OK;
}

static bool accept_pad(const odin_graph *g, int node) {
    int64_t pb[MAXR], pe[MAXR];
    if (!movable_io(g, node) || !pad_params(g, node, pb, pe)) return false;
    int v = odin_node_in(g, node, 2);
    /* the constant value: an input of the data's dtype (constant or not), or the attribute */
    return g->opset < 11 || v < 0 || g->tensors[v].dtype == g->tensors[g->nodes[node].inputs[0]].dtype;
}

static odin_status l_pad(odin_lower_ctx *c) {
    const odin_tensor *x = tin(c, 0), *y = tout(c, 0);
    size_t es = odin_dtype_size(x->dtype);
    int64_t pb[MAXR], pe[MAXR];
    if (!pad_params(c->g, c->node, pb, pe)) return odin_errorf("pads are not constant");
    if (pad_mode(&c->g->nodes[c->node]) != PADM_CONSTANT) return l_pad_gather(c, pb, pe);
    odin_box fill;
    odin_box_init(&fill, y->rank, y->dims, es, -1, 0);
    int vi = odin_node_in(c->g, c->node, 2);
    if (c->g->opset < 11) {
        unsigned char buf[8] = {0};
        odin_store_from_f64(buf, x->dtype, 0, odin_attr_f(&c->g->nodes[c->node], "value"));
        memcpy(&fill.fill_bits, buf, es); /* little-endian hosts and targets */
    } else if (vi >= 0 && odin_tensor_numel(&c->g->tensors[vi]) > 0) {
        fill.fill_in = 2;
    }
    ODIN_TRY(odin_emit_box(c, &fill));
    int64_t xs[MAXR], ys[MAXR], kept[MAXR];
    odin_box_strides(x->rank, x->dims, xs);
    odin_box_strides(y->rank, y->dims, ys);
    odin_box b;
    odin_box_init(&b, x->rank, x->dims, es, 0, 0);
    for (int d = 0; d < x->rank; d++) {
        int64_t lo = pb[d] < 0 ? -pb[d] : 0, hi = pe[d] < 0 ? -pe[d] : 0;
        kept[d] = x->dims[d] - lo - hi;
        if (kept[d] < 0) kept[d] = 0;
        b.src_off += lo * xs[d];
        b.dst_off += (pb[d] > 0 ? pb[d] : 0) * ys[d];
        b.dst_stride[d] = ys[d];
    }
    memcpy(b.dims, kept, sizeof(int64_t) * (size_t)x->rank);
    return odin_emit_box(c, &b);
}

/* ---- Gather ---- */

static bool gather_axis(const odin_graph *g, int node, int *axis) {
    const odin_node *n = &g->nodes[node];
    odin_status st = odin_norm_axis(odin_attr_i(n, "axis"), g->tensors[n->inputs[0]].rank, axis);
    odin_status_free(st);
    return !st;
}

static bool accept_gather(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    int axis;
    if (!movable_io(g, node) || n->n_inputs < 2 || n->inputs[1] < 0 || !gather_axis(g, node, &axis))
        return false;
    const odin_tensor *x = &g->tensors[n->inputs[0]], *idx = &g->tensors[n->inputs[1]];
    if (idx->dtype != ODIN_I64 && idx->dtype != ODIN_I32) return false;
    /* constant indices are checked here, so the eval reports a bad one */
    if (odin_node_in_const(g, node, 1)) {
        int64_t ni = odin_tensor_numel(idx), dim = x->dims[axis];
        for (int64_t i = 0; i < ni; i++) {
            int64_t v = odin_load_as_i64(idx->data, idx->dtype, (size_t)i);
            if (v < -dim || v >= dim) return false;
        }
    }
    return true;
}

typedef struct gather_emit {
    int64_t outer, n, inner, ni;
    LLVMTypeRef ty, ity;
} gather_emit;

/* Index i wrapped (negative counts from the end) and clamped into [0, n). */
static LLVMValueRef gather_index(odin_lower_ctx *c, gather_emit *e, LLVMValueRef i, LLVMValueRef *bad) {
    LLVMValueRef v = odin_load(c, e->ity, c->in[1], i);
    if (e->ity != c->t_i64) v = LLVMBuildSExt(c->b, v, c->t_i64, "");
    LLVMValueRef neg = LLVMBuildICmp(c->b, LLVMIntSLT, v, odin_i64(c, 0), "");
    v = LLVMBuildSelect(c->b, neg, LLVMBuildAdd(c->b, v, odin_i64(c, e->n), ""), v, "");
    LLVMValueRef lo = LLVMBuildICmp(c->b, LLVMIntSLT, v, odin_i64(c, 0), "");
    LLVMValueRef hi = LLVMBuildICmp(c->b, LLVMIntSGE, v, odin_i64(c, e->n), "");
    if (bad) *bad = LLVMBuildOr(c->b, lo, hi, "");
    v = LLVMBuildSelect(c->b, lo, odin_i64(c, 0), v, "");
    return LLVMBuildSelect(c->b, hi, odin_i64(c, e->n - 1), v, "");
}

static odin_status gather_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    gather_emit *e = user;
    odin_loop l;
    LLVMValueRef f = odin_loop_begin(c, &l, lo, hi, 1, "row");
    LLVMValueRef o = LLVMBuildUDiv(c->b, f, odin_i64(c, e->ni), "");
    LLVMValueRef i = LLVMBuildURem(c->b, f, odin_i64(c, e->ni), "");
    LLVMValueRef j = gather_index(c, e, i, NULL);
    LLVMValueRef src = LLVMBuildNSWMul(c->b, LLVMBuildNSWAdd(c->b, LLVMBuildNSWMul(c->b, o, odin_i64(c, e->n), ""), j, ""),
                                       odin_i64(c, e->inner), "");
    LLVMValueRef dst = LLVMBuildNSWMul(c->b, f, odin_i64(c, e->inner), "");
    odin_loop k;
    LLVMValueRef kv = odin_loop_begin(c, &k, odin_i64(c, 0), odin_i64(c, e->inner), 1, "k");
    LLVMValueRef v = odin_load(c, e->ty, c->in[0], LLVMBuildNSWAdd(c->b, src, kv, ""));
    odin_store(c, v, c->out[0], LLVMBuildNSWAdd(c->b, dst, kv, ""));
    odin_loop_end(c, &k);
    odin_loop_end(c, &l);
    return ODIN_OK;
}

static odin_status l_gather(odin_lower_ctx *c) {
    const odin_tensor *x = tin(c, 0), *idx = tin(c, 1);
    int axis;
    if (!gather_axis(c->g, c->node, &axis)) return odin_errorf("bad axis");
    gather_emit e = {odin_dims_product(x->dims, 0, axis), x->dims[axis],
                     odin_dims_product(x->dims, axis + 1, x->rank), odin_tensor_numel(idx),
                     odin_bits_type(c, odin_dtype_size(x->dtype)),
                     idx->dtype == ODIN_I32 ? c->t_i32 : c->t_i64};
    int64_t rows = e.outer * e.ni;
    if (rows == 0 || e.inner == 0) return ODIN_OK;
    if (e.n == 0) return odin_errorf("gathers from an empty axis %d", axis);
    if (!odin_node_in_const(c->g, c->node, 1) && c->allow_fallback) {
        /* run-time indices: one pass to find a bad one, which the eval then reports */
        LLVMValueRef any = odin_entry_alloca(c, c->t_i1, "bad");
        LLVMBuildStore(c->b, LLVMConstInt(c->t_i1, 0, 0), any);
        odin_loop l;
        LLVMValueRef i = odin_loop_begin(c, &l, odin_i64(c, 0), odin_i64(c, e.ni), 1, "chk");
        LLVMValueRef bad;
        gather_index(c, &e, i, &bad);
        LLVMBuildStore(c->b, LLVMBuildOr(c->b, LLVMBuildLoad2(c->b, c->t_i1, any, ""), bad, ""), any);
        odin_loop_end(c, &l);
        odin_emit_error_exit(c, LLVMBuildLoad2(c->b, c->t_i1, any, ""));
    }
    int64_t bytes = rows * e.inner * (int64_t)odin_dtype_size(x->dtype);
    if (bytes >= ODIN_PARALLEL_MIN_BYTES && rows >= 2) {
        int64_t per = bytes / rows, grain = (64 * 1024 + per - 1) / per;
        return odin_parallel_range(c, rows, grain < 1 ? 1 : grain, gather_body, &e);
    }
    return gather_body(c, odin_i64(c, 0), odin_i64(c, rows), &e);
}

/* ---- Shape / Size: constants of the static shape ---- */

static bool accept_shape(const odin_graph *g, int node) {
    const odin_node *n = &g->nodes[node];
    return n->n_outputs == 1 && n->outputs[0] >= 0 && g->tensors[n->outputs[0]].dtype == ODIN_I64;
}

static odin_status l_shape(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    const odin_tensor *x = tin(c, 0), *y = tout(c, 0);
    if (!strcmp(n->op, "Size")) {
        odin_store(c, odin_i64(c, odin_tensor_numel(x)), c->out[0], odin_i64(c, 0));
        return ODIN_OK;
    }
    int64_t s = 0, e = x->rank;
    if (c->g->opset >= 15) {
        s = odin_attr_i(n, "start");
        if (odin_node_has_attr(n, "end")) e = odin_attr_i(n, "end");
    }
    if (s < 0) s += x->rank;
    if (e < 0) e += x->rank;
    s = clamp64(s, 0, x->rank);
    e = clamp64(e, 0, x->rank);
    if (y->rank != 1 || y->dims[0] != (e > s ? e - s : 0))
        return odin_errorf("shape output does not match its range");
    for (int64_t d = s; d < e; d++) odin_store(c, odin_i64(c, x->dims[d]), c->out[0], odin_i64(c, d - s));
    return ODIN_OK;
}

const odin_lowering odin_lowerings_movement[] = {
    {"Reshape", l_flat, NULL, false, accept_flat},
    {"Flatten", l_flat, NULL, false, accept_flat},
    {"Squeeze", l_flat, NULL, false, accept_flat},
    {"Unsqueeze", l_flat, NULL, false, accept_flat},
    {"Transpose", l_transpose, NULL, false, accept_transpose},
    {"Concat", l_concat, NULL, false, accept_concat},
    {"Split", l_split, NULL, false, accept_split},
    {"Slice", l_slice, NULL, false, accept_slice},
    {"Expand", l_expand, NULL, false, accept_expand},
    {"Tile", l_tile, NULL, false, accept_tile},
    {"Pad", l_pad, NULL, false, accept_pad},
    {"Gather", l_gather, NULL, false, accept_gather},
    {"Shape", l_shape, NULL, false, accept_shape},
    {"Size", l_shape, NULL, false, accept_shape},
    {NULL, NULL, NULL, false, NULL},
};
