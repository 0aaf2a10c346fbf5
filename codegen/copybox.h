/* codegen/copybox.h — the one loop-nest generator behind the data-movement lowerings:
 * copy a box of elements from a strided view of one tensor into a strided view of another
 * (or fill it with a value). Transpose, Slice, Expand, Tile, Concat, Split, Pad and the
 * reshape family are all such boxes with different strides and offsets. Elements move as
 * integers of their byte size, so every dtype of 1, 2, 4 or 8 bytes works. The emitter
 * drops unit dims, merges dims that stay contiguous on both sides (a reshape becomes one
 * flat loop), blocks transposes that would read with a large stride, and splits the
 * outermost loop across threads when the copy is large. */
#ifndef ODIN_COPYBOX_H
#define ODIN_COPYBOX_H

#include "lower_util.h"

#define ODIN_BOX_MAX_RANK (2 * ODIN_MAX_RANK)

typedef struct odin_box {
    int rank;
    int64_t dims[ODIN_BOX_MAX_RANK];
    int64_t src_stride[ODIN_BOX_MAX_RANK]; /* elements; 0 broadcasts, negative reverses */
    int64_t dst_stride[ODIN_BOX_MAX_RANK];
    int64_t src_off, dst_off;              /* elements */
    size_t esize;                          /* bytes per element: 1, 2, 4 or 8 */
    int src;                               /* index into c->in; -1: fill */
    int dst;                               /* index into c->out */
    uint64_t fill_bits;                    /* fill value (src < 0, fill_in < 0) */
    int fill_in;                           /* fill with element 0 of c->in[fill_in], or -1 */
} odin_box;

/* A box of the given dims with C-order contiguous strides on both sides, offsets 0. */
void odin_box_init(odin_box *b, int rank, const int64_t *dims, size_t esize, int src, int dst);
/* C-order strides (elements) of dims[0..rank). */
void odin_box_strides(int rank, const int64_t *dims, int64_t *strides);

odin_status odin_emit_box(odin_lower_ctx *c, const odin_box *b);

#endif
