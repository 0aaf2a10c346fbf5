/* ops/conv_util.h — window geometry shared by Conv, ConvTranspose and the pools:
 * reading strides / dilations / pads / auto_pad, resolving SAME padding and computing
 * output extents, so every windowed op agrees on the ONNX formulas. */
#ifndef ODIN_CONV_UTIL_H
#define ODIN_CONV_UTIL_H

#include "op.h"

#define ODIN_CONV_MAX_SP (ODIN_MAX_RANK - 2) /* spatial dims after N and C */

typedef enum odin_auto_pad {
    ODIN_AUTOPAD_NOTSET,
    ODIN_AUTOPAD_SAME_UPPER,
    ODIN_AUTOPAD_SAME_LOWER,
    ODIN_AUTOPAD_VALID
} odin_auto_pad;

/* One window op's geometry per spatial axis. in/out: -1 when unknown (infer). */
typedef struct odin_conv_geom {
    int nsp;
    odin_auto_pad auto_pad;
    int64_t in[ODIN_CONV_MAX_SP], k[ODIN_CONV_MAX_SP], stride[ODIN_CONV_MAX_SP],
        dil[ODIN_CONV_MAX_SP], pad0[ODIN_CONV_MAX_SP], pad1[ODIN_CONV_MAX_SP],
        out[ODIN_CONV_MAX_SP];
} odin_conv_geom;

/* Read strides, dilations, pads and auto_pad of node n for nsp spatial axes (defaults
 * 1 / 1 / 0 / NOTSET); validates counts and signs. Sets g->nsp; leaves in/k/out. */
odin_status odin_conv_read_attrs(const odin_node *n, int nsp, odin_conv_geom *g);

/* With g->in and g->k set: resolve SAME/VALID padding and compute g->out for a forward
 * window (Conv, pools). ceil_mode rounds the window count up, dropping a last window
 * that would start inside the end padding (as PyTorch and the ONNX reference do). */
odin_status odin_conv_forward_out(odin_conv_geom *g, bool ceil_mode);

/* Read kernel_shape into g->k (nsp entries); error when absent and required, or when
 * the count is wrong. Returns whether it was present in *present. */
odin_status odin_conv_read_kernel(const odin_node *n, int nsp, odin_conv_geom *g,
                                  bool required, bool *present);

/* The same geometry padded to exactly 3 spatial axes (extent 1, stride 1, no pad), so
 * reference kernels can be written once for 1-D, 2-D and 3-D. Error when nsp > 3. */
odin_status odin_conv_geom3(const odin_conv_geom *g, odin_conv_geom *g3);

/* A forward convolution's resolved geometry (Conv, ConvInteger, QLinearConv: input xi,
 * weight wi) for a graph node with static shapes; what its eval uses. */
odin_status odin_conv_forward_geometry(const odin_graph *gr, int node, int xi, int wi,
                                       odin_conv_geom *g);

/* ConvTranspose's resolved geometry (pads from output_shape / auto_pad, output extents)
 * for a graph node with static shapes; what its eval uses. */
odin_status odin_convtranspose_geometry(const odin_graph *gr, int node, odin_conv_geom *g);

#endif
