/* ops/resize.h — the per-axis interpolation tables of Resize / Upsample (the eval's own
 * taps), for codegen: with constant scales or sizes every output coordinate's source
 * indices and weights are known at compile time. */
#ifndef ODIN_OPS_RESIZE_H
#define ODIN_OPS_RESIZE_H

#include "op.h"

/* One axis: output coordinate o reads n[o] taps idx[o*cap + k] (clamped into [0, in))
 * with weight w[o*cap + k]; entries past n[o] hold index 0 and weight 0. outside[o]:
 * tf_crop_and_resize sampled outside the input (the element is the extrapolation value). */
typedef struct odin_resize_axis {
    int64_t in, out;
    int cap;
    int64_t *n, *idx;
    double *w;
    bool *outside;
} odin_resize_axis;

typedef struct odin_resize_taps {
    int rank;
    double extrapolation;
    odin_resize_axis axis[ODIN_MAX_RANK];
} odin_resize_taps;

/* Tables of a Resize / Upsample node whose scales / sizes (and roi) are constant and whose
 * shapes are static; an error otherwise. Free with odin_resize_taps_free. */
odin_status odin_resize_taps_of_node(const odin_graph *g, int node, odin_resize_taps *t);
void odin_resize_taps_free(odin_resize_taps *t);

#endif
