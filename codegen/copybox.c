#include "copybox.h"

#include <string.h>

void odin_box_strides(int rank, const int64_t *dims, int64_t *strides) {
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        strides[d] = s;
        s *= dims[d];
    }
}

void odin_box_init(odin_box *b, int rank, const int64_t *dims, size_t esize, int src, int dst) {
    memset(b, 0, sizeof *b);
    b->rank = rank;
    if (rank) memcpy(b->dims, dims, sizeof *dims * (size_t)rank);
    odin_box_strides(rank, dims, b->src_stride);
    odin_box_strides(rank, dims, b->dst_stride);
    b->esize = esize;
    b->src = src;
    b->dst = dst;
    b->fill_in = -1;
}

typedef enum { LOOP_FULL, LOOP_TILES, LOOP_IN_TILE } loop_kind;

typedef struct box_loop {
    int dim;
    loop_kind kind;
} box_loop;

typedef struct box_emit {
    odin_box box;       /* normalized */
    int64_t tile;       /* tile edge for blocked transposes */
    box_loop loops[ODIN_BOX_MAX_RANK + 2];
    int n_loops;
    LLVMTypeRef ty;
    /* per-body state */
    LLVMValueRef src, dst, fill;
    LLVMValueRef idx[ODIN_BOX_MAX_RANK], base[ODIN_BOX_MAX_RANK];
} box_emit;

/* Drop unit dims and merge neighbours that are contiguous on both sides. Returns false
 * when the box is empty. */
static bool normalize(odin_box *b) {
    int r = 0;
    for (int d = 0; d < b->rank; d++) {
        if (b->dims[d] == 0) return false;
        if (b->dims[d] == 1) continue;
        b->dims[r] = b->dims[d];
        b->src_stride[r] = b->src_stride[d];
        b->dst_stride[r] = b->dst_stride[d];
        r++;
    }
    b->rank = r;
    if (r == 0) {
        b->rank = 1;
        b->dims[0] = 1;
        b->src_stride[0] = b->dst_stride[0] = 1;
        return true;
    }
    int w = 0; /* merge into the last kept dim, walking from the innermost outwards */
    int64_t dims[ODIN_BOX_MAX_RANK], ss[ODIN_BOX_MAX_RANK], ds[ODIN_BOX_MAX_RANK];
    for (int d = r - 1; d >= 0; d--) {
        if (w > 0 && b->src_stride[d] == ss[w - 1] * dims[w - 1] &&
            b->dst_stride[d] == ds[w - 1] * dims[w - 1]) {
            dims[w - 1] *= b->dims[d];
            continue;
        }
        dims[w] = b->dims[d];
        ss[w] = b->src_stride[d];
        ds[w] = b->dst_stride[d];
        w++;
    }
    for (int k = 0; k < w; k++) {
        b->dims[k] = dims[w - 1 - k];
        b->src_stride[k] = ss[w - 1 - k];
        b->dst_stride[k] = ds[w - 1 - k];
    }
    b->rank = w;
    return true;
}

/* Loop order: the box's dims in order; a transpose whose innermost destination dim reads
 * the source with a large stride gets that dim and the source's contiguous dim tiled, so
 * each tile's reads and writes stay in cache. */
static void plan_loops(box_emit *e) {
    const odin_box *b = &e->box;
    int last = b->rank - 1, k = -1;
    e->tile = (int64_t)(64 / b->esize) < 8 ? 8 : (int64_t)(64 / b->esize);
    if (b->src >= 0 && b->rank >= 2 && b->dst_stride[last] == 1 && b->src_stride[last] != 1 &&
        b->src_stride[last] != 0)
        for (int d = 0; d < last; d++)
            if (b->src_stride[d] == 1 && b->dims[d] > e->tile && b->dims[last] > e->tile) k = d;
    e->n_loops = 0;
    if (k < 0) {
        for (int d = 0; d < b->rank; d++) e->loops[e->n_loops++] = (box_loop){d, LOOP_FULL};
        return;
    }
    for (int d = 0; d < last; d++)
        if (d != k) e->loops[e->n_loops++] = (box_loop){d, LOOP_FULL};
    e->loops[e->n_loops++] = (box_loop){k, LOOP_TILES};
    e->loops[e->n_loops++] = (box_loop){last, LOOP_TILES};
    e->loops[e->n_loops++] = (box_loop){k, LOOP_IN_TILE};
    e->loops[e->n_loops++] = (box_loop){last, LOOP_IN_TILE};
}

static int64_t loop_count(const box_emit *e, const box_loop *l) {
    int64_t n = e->box.dims[l->dim];
    return l->kind == LOOP_TILES ? (n + e->tile - 1) / e->tile : n;
}

static LLVMValueRef offset_of(odin_lower_ctx *c, box_emit *e, const int64_t *stride, int64_t off) {
    LLVMValueRef o = odin_i64(c, off);
    for (int d = 0; d < e->box.rank; d++)
        if (stride[d])
            o = LLVMBuildNSWAdd(c->b, o, LLVMBuildNSWMul(c->b, e->idx[d], odin_i64(c, stride[d]), ""), "");
    return o;
}

/* The innermost loop copies a run that is contiguous on both sides: one memcpy of
 * (end - begin) elements instead of an element loop. Besides being what a copy should
 * be, this keeps LLVM's -O3 from blowing small copies up: the loop vectorizer guards an
 * element loop with a run-time overlap check and keeps the scalar loop as its fallback,
 * and -O3's full unrolling then flattened whole nests of those fallbacks (a 4x32x64
 * transpose of gpt2 became ~25,000 instructions and 10 s of code generation). A loop
 * around a call is neither vectorized nor unrolled that way, and the code stays free of
 * loop metadata, which would stop kernel sharing (codegen/lower.h). Source and
 * destination never overlap partially (the planner gives an output its own memory); an
 * in-place copy is the same address on both sides, which llvm.memcpy allows. */
static bool contiguous_run(const box_emit *e, int li) {
    const box_loop *l = &e->loops[li];
    return li == e->n_loops - 1 && e->box.src >= 0 && l->kind != LOOP_TILES &&
           e->box.src_stride[l->dim] == 1 && e->box.dst_stride[l->dim] == 1;
}

static void emit_run_copy(odin_lower_ctx *c, box_emit *e, int d, LLVMValueRef first,
                          LLVMValueRef count) {
    e->idx[d] = first;
    LLVMValueRef src = odin_gep(c, e->ty, e->src, offset_of(c, e, e->box.src_stride, e->box.src_off));
    LLVMValueRef dst = odin_gep(c, e->ty, e->dst, offset_of(c, e, e->box.dst_stride, e->box.dst_off));
    LLVMValueRef bytes = LLVMBuildNSWMul(c->b, count, odin_i64(c, (int64_t)e->box.esize), "");
    unsigned align = (unsigned)e->box.esize;
    LLVMBuildMemCpy(c->b, dst, align, src, align, bytes);
}

static void emit_nest(odin_lower_ctx *c, box_emit *e, int li, LLVMValueRef lo, LLVMValueRef hi) {
    if (li == e->n_loops) {
        LLVMValueRef v = e->fill;
        if (e->box.src >= 0)
            v = odin_load(c, e->ty, e->src, offset_of(c, e, e->box.src_stride, e->box.src_off));
        odin_store(c, v, e->dst, offset_of(c, e, e->box.dst_stride, e->box.dst_off));
        return;
    }
    const box_loop *l = &e->loops[li];
    int d = l->dim;
    LLVMValueRef begin = lo ? lo : odin_i64(c, 0), end = hi ? hi : odin_i64(c, loop_count(e, l));
    if (l->kind == LOOP_IN_TILE && e->box.dims[d] % e->tile) {
        /* the last tile may be partial: min(tile, dim - base) */
        LLVMValueRef rest = LLVMBuildNSWSub(c->b, odin_i64(c, e->box.dims[d]), e->base[d], "");
        LLVMValueRef lt = LLVMBuildICmp(c->b, LLVMIntSLT, rest, odin_i64(c, e->tile), "");
        end = LLVMBuildSelect(c->b, lt, rest, odin_i64(c, e->tile), "");
    } else if (l->kind == LOOP_IN_TILE) {
        end = odin_i64(c, e->tile);
    }
    if (contiguous_run(e, li)) {
        /* an in-tile loop starts at its tile's base (begin is 0 there) */
        LLVMValueRef first = l->kind == LOOP_IN_TILE ? e->base[d] : begin;
        emit_run_copy(c, e, d, first, LLVMBuildNSWSub(c->b, end, begin, ""));
        return;
    }
    odin_loop loop;
    LLVMValueRef iv = odin_loop_begin(c, &loop, begin, end, 1, "j");
    if (l->kind == LOOP_FULL) e->idx[d] = iv;
    else if (l->kind == LOOP_TILES) e->base[d] = LLVMBuildNSWMul(c->b, iv, odin_i64(c, e->tile), "");
    else e->idx[d] = LLVMBuildNSWAdd(c->b, e->base[d], iv, "");
    emit_nest(c, e, li + 1, NULL, NULL);
    odin_loop_end(c, &loop);
}

static odin_status box_body(odin_lower_ctx *c, LLVMValueRef lo, LLVMValueRef hi, void *user) {
    box_emit *e = user;
    e->src = e->box.src >= 0 ? c->in[e->box.src] : NULL;
    e->dst = c->out[e->box.dst];
    if (e->box.src < 0)
        e->fill = e->box.fill_in >= 0 ? odin_load(c, e->ty, c->in[e->box.fill_in], odin_i64(c, 0))
                                      : LLVMConstInt(e->ty, e->box.fill_bits, 0);
    emit_nest(c, e, 0, lo, hi);
    return ODIN_OK;
}

odin_status odin_emit_box(odin_lower_ctx *c, const odin_box *b) {
    box_emit e;
    memset(&e, 0, sizeof e);
    e.box = *b;
    e.ty = odin_bits_type(c, b->esize);
    if (!e.ty) return odin_errorf("cannot move elements of %zu bytes", b->esize);
    if (!normalize(&e.box)) return ODIN_OK;
    plan_loops(&e);
    int64_t n0 = odin_dims_product(e.box.dims, 0, e.box.rank);
    if (e.box.rank == 1 && n0 * (int64_t)b->esize >= ODIN_PARALLEL_MIN_BYTES) {
        /* one long contiguous run (a reshape): cut it into 64 KiB pieces for the threads */
        e.tile = 64 * 1024 / (int64_t)b->esize;
        e.loops[0] = (box_loop){0, LOOP_TILES};
        e.loops[1] = (box_loop){0, LOOP_IN_TILE};
        e.n_loops = 2;
    }
    int64_t n = odin_dims_product(e.box.dims, 0, e.box.rank);
    int64_t bytes = n * (int64_t)b->esize, outer = loop_count(&e, &e.loops[0]);
    if (bytes >= ODIN_PARALLEL_MIN_BYTES && outer >= 2 && e.n_loops >= 2) {
        /* chunks of about 64 KiB */
        int64_t per = bytes / outer, grain = per ? (64 * 1024 + per - 1) / per : outer;
        return odin_parallel_range(c, outer, grain < 1 ? 1 : grain, box_body, &e);
    }
    return box_body(c, NULL, NULL, &e);
}
