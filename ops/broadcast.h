/* ops/broadcast.h — numpy-style broadcasting for reference kernels: the common shape of
 * several inputs, and, walking that shape in C order, the flat index into each input.
 * Usage in an eval:
 *     odin_bcast b;
 *     ODIN_TRY(odin_bcast_init(&b, ctx->in, 2));
 *     for (int64_t i = 0; i < b.numel; i++, odin_bcast_next(&b))
 *         out[i] = a[b.off[0]] + c[b.off[1]];                                        */
#ifndef ODIN_BROADCAST_H
#define ODIN_BROADCAST_H

#include "op.h"

#define ODIN_BCAST_MAX_IN 64

typedef struct odin_bcast {
    int rank, n_in;
    int64_t dims[ODIN_MAX_RANK]; /* broadcast (output) shape */
    int64_t numel;
    /* element strides into each input per output dim; 0 where the input is broadcast */
    int64_t strides[ODIN_BCAST_MAX_IN][ODIN_MAX_RANK];
    /* iteration state: output position and the current flat index into each input */
    int64_t pos[ODIN_MAX_RANK];
    int64_t off[ODIN_BCAST_MAX_IN];
} odin_bcast;

/* Shape inference: broadcast the shapes of n values (rank -1 when any rank is unknown,
 * unknown dims stay -1 where they can't be decided). Error names the clashing shapes. */
odin_status odin_bcast_shape(const odin_value *ins, int n, int *rank, int64_t *dims);

/* Eval: prepare iteration over the broadcast shape of n values with fully known shapes;
 * off[] starts at 0 for every input. */
odin_status odin_bcast_init(odin_bcast *b, const odin_value *ins, int n);

/* Advance to the next output element (C order), updating off[]. */
static inline void odin_bcast_next(odin_bcast *b) {
    for (int d = b->rank - 1; d >= 0; d--) {
        if (++b->pos[d] < b->dims[d]) {
            for (int k = 0; k < b->n_in; k++) b->off[k] += b->strides[k][d];
            return;
        }
        b->pos[d] = 0;
        for (int k = 0; k < b->n_in; k++) b->off[k] -= b->strides[k][d] * (b->dims[d] - 1);
    }
}

/* Random access: the flat index into each input (idx[n_in]) for flat output index `flat`. */
void odin_bcast_index(const odin_bcast *b, int64_t flat, int64_t *idx);

#endif
