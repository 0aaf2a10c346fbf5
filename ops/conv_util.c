/* ops/conv_util.c — window geometry shared by Conv, ConvTranspose and the pools. */
#include "conv_util.h"

#include <string.h>

static odin_status read_ints(const odin_node *n, const char *name, int want, int64_t def,
                             int64_t min, int64_t *dst) {
    const int64_t *v = NULL;
    int c = odin_attr_ints(n, name, &v);
    for (int i = 0; i < want; i++) dst[i] = def;
    if (c == 0) return ODIN_OK;
    if (c != want)
        return odin_errorf("attribute '%s' has %d values, expected %d", name, c, want);
    for (int i = 0; i < want; i++) {
        if (v[i] < min)
            return odin_errorf("attribute '%s' value %lld must be at least %lld", name,
                               (long long)v[i], (long long)min);
        dst[i] = v[i];
    }
    return ODIN_OK;
}

odin_status odin_conv_read_attrs(const odin_node *n, int nsp, odin_conv_geom *g) {
    if (nsp < 1 || nsp > ODIN_CONV_MAX_SP)
        return odin_errorf("%d spatial dimensions are not supported", nsp);
    g->nsp = nsp;
    ODIN_TRY(read_ints(n, "strides", nsp, 1, 1, g->stride));
    ODIN_TRY(read_ints(n, "dilations", nsp, 1, 1, g->dil));
    int64_t pads[2 * ODIN_CONV_MAX_SP];
    ODIN_TRY(read_ints(n, "pads", 2 * nsp, 0, 0, pads));
    for (int i = 0; i < nsp; i++) {
        g->pad0[i] = pads[i];
        g->pad1[i] = pads[nsp + i];
    }
    const char *ap = odin_attr_s(n, "auto_pad");
    if (!ap || !*ap || strcmp(ap, "NOTSET") == 0) g->auto_pad = ODIN_AUTOPAD_NOTSET;
    else if (strcmp(ap, "SAME_UPPER") == 0) g->auto_pad = ODIN_AUTOPAD_SAME_UPPER;
    else if (strcmp(ap, "SAME_LOWER") == 0) g->auto_pad = ODIN_AUTOPAD_SAME_LOWER;
    else if (strcmp(ap, "VALID") == 0) g->auto_pad = ODIN_AUTOPAD_VALID;
    else return odin_errorf("unknown auto_pad '%s'", ap);
    return ODIN_OK;
}

odin_status odin_conv_read_kernel(const odin_node *n, int nsp, odin_conv_geom *g,
                                  bool required, bool *present) {
    const int64_t *v = NULL;
    int c = odin_attr_ints(n, "kernel_shape", &v);
    *present = c > 0;
    if (c == 0) {
        if (required) return odin_errorf("attribute 'kernel_shape' is required");
        return ODIN_OK;
    }
    if (c != nsp)
        return odin_errorf("kernel_shape has %d values, expected %d (input spatial rank)", c,
                           nsp);
    for (int i = 0; i < nsp; i++) {
        if (v[i] < 1) return odin_errorf("kernel_shape value %lld must be positive", (long long)v[i]);
        g->k[i] = v[i];
    }
    return ODIN_OK;
}

static int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

odin_status odin_conv_forward_out(odin_conv_geom *g, bool ceil_mode) {
    for (int i = 0; i < g->nsp; i++) {
        int64_t ext = (g->k[i] - 1) * g->dil[i] + 1; /* dilated window extent */
        if (g->in[i] < 0) {
            g->out[i] = -1;
            continue;
        }
        if (g->auto_pad == ODIN_AUTOPAD_SAME_UPPER || g->auto_pad == ODIN_AUTOPAD_SAME_LOWER) {
            g->out[i] = ceil_div(g->in[i], g->stride[i]);
            int64_t total = (g->out[i] - 1) * g->stride[i] + ext - g->in[i];
            if (total < 0) total = 0;
            /* SAME_UPPER puts the odd extra pad at the end, SAME_LOWER at the start */
            g->pad0[i] = g->auto_pad == ODIN_AUTOPAD_SAME_UPPER ? total / 2 : total - total / 2;
            g->pad1[i] = total - g->pad0[i];
            continue;
        }
        if (g->auto_pad == ODIN_AUTOPAD_VALID) g->pad0[i] = g->pad1[i] = 0;
        int64_t span = g->in[i] + g->pad0[i] + g->pad1[i] - ext;
        if (span < 0)
            return odin_errorf("spatial axis %d: window extent %lld exceeds padded input %lld",
                               i, (long long)ext, (long long)(g->in[i] + g->pad0[i] + g->pad1[i]));
        int64_t o = (ceil_mode ? ceil_div(span, g->stride[i]) : span / g->stride[i]) + 1;
        if (ceil_mode && o > 1 && (o - 1) * g->stride[i] >= g->in[i] + g->pad0[i]) o--;
        g->out[i] = o;
    }
    return ODIN_OK;
}

odin_status odin_conv_geom3(const odin_conv_geom *g, odin_conv_geom *g3) {
    if (g->nsp > 3)
        return odin_errorf("%d spatial dimensions: the reference kernel handles 1 to 3",
                           g->nsp);
    memset(g3, 0, sizeof *g3);
    g3->nsp = 3;
    g3->auto_pad = g->auto_pad;
    int off = 3 - g->nsp; /* leading unit axes */
    for (int i = 0; i < 3; i++) {
        int s = i - off;
        bool real = s >= 0;
        g3->in[i] = real ? g->in[s] : 1;
        g3->k[i] = real ? g->k[s] : 1;
        g3->stride[i] = real ? g->stride[s] : 1;
        g3->dil[i] = real ? g->dil[s] : 1;
        g3->pad0[i] = real ? g->pad0[s] : 0;
        g3->pad1[i] = real ? g->pad1[s] : 0;
        g3->out[i] = real ? g->out[s] : 1;
    }
    return ODIN_OK;
}
