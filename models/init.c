/* models/init.c — parameters of the C builders: seeded random initialization, or a
 * checkpoint tensor (safetensors) checked against the builder's shape, converted to f32
 * and, when it already is aligned f32, used in place from the mapping. */
#include "init.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/safetensors.h"
#include "../ir/builder.h"

typedef float (*sample_fn)(odin_rng *r, float param);

static float sample_normal(odin_rng *r, float stddev) { return odin_rng_normal(r) * stddev; }
static float sample_uniform(odin_rng *r, float bound) {
    return (2.0f * odin_rng_uniform(r) - 1.0f) * bound;
}
static float sample_const(odin_rng *r, float v) { return v; }

static int init_with(odin_graph *g, odin_rng *r, const char *name, int rank,
                     const int64_t *dims, sample_fn fn, float param) {
    if (g->error) return -1;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) n *= dims[i];
    float *data = malloc(sizeof(float) * (n ? n : 1));
    if (!data) {
        g->error = odin_errorf("out of memory initializing '%s'", name);
        return -1;
    }
    for (int64_t i = 0; i < n; i++) data[i] = fn(r, param);
    int t = odin_constant_f32(g, name, rank, dims, data);
    free(data);
    return t;
}

int odin_init_normal(odin_graph *g, odin_rng *r, const char *name, int rank,
                     const int64_t *dims, float stddev) {
    return init_with(g, r, name, rank, dims, sample_normal, stddev);
}

int odin_init_uniform(odin_graph *g, odin_rng *r, const char *name, int rank,
                      const int64_t *dims, float bound) {
    return init_with(g, r, name, rank, dims, sample_uniform, bound);
}

int odin_init_fill(odin_graph *g, const char *name, int rank, const int64_t *dims, float v) {
    return init_with(g, NULL, name, rank, dims, sample_const, v);
}

static void shape_str(char *buf, size_t size, int rank, const int64_t *dims) {
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < rank && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (n < size) snprintf(buf + n, size - n, "]");
}

static void release_checkpoint(void *ctx) { odin_safetensors_close(ctx); }

/* The graph keeps one reference to each checkpoint its constants point into. */
static odin_status hold_checkpoint(odin_graph *g, const odin_safetensors *w) {
    for (int i = 0; i < g->n_holds; i++)
        if (g->holds[i].release == release_checkpoint && g->holds[i].ctx == (const void *)w)
            return ODIN_OK;
    odin_safetensors *ref = odin_safetensors_retain(w);
    odin_status st = odin_graph_hold(g, release_checkpoint, ref);
    if (st) odin_safetensors_close(ref);
    return st;
}

static float element_f32(const odin_safetensors_entry *e, size_t i) {
    const uint8_t *p = (const uint8_t *)e->data + i * odin_dtype_size(e->dtype);
    float f;
    double d;
    uint16_t h;
    switch (e->dtype) {
    case ODIN_F32: memcpy(&f, p, 4); return f;
    case ODIN_F64: memcpy(&d, p, 8); return (float)d;
    case ODIN_F16: memcpy(&h, p, 2); return odin_f16_to_f32(h);
    default: memcpy(&h, p, 2); return odin_bf16_to_f32(h); /* BF16 */
    }
}

static int param_from_checkpoint(odin_graph *g, const odin_safetensors *w, const char *name,
                                 int rank, const int64_t *dims, bool transpose) {
    const char *file = odin_safetensors_path(w);
    const odin_safetensors_entry *e = odin_safetensors_find(w, name);
    if (!e) {
        g->error = odin_errorf("parameter '%s': not in checkpoint %s", name, file);
        return -1;
    }
    if (e->dtype != ODIN_F32 && e->dtype != ODIN_F16 && e->dtype != ODIN_BF16 &&
        e->dtype != ODIN_F64) {
        g->error = odin_errorf("parameter '%s' in checkpoint %s: dtype %s is not a float type",
                               name, file, odin_dtype_name(e->dtype));
        return -1;
    }
    if (transpose && rank != 2) {
        g->error = odin_errorf("parameter '%s': transpose needs a 2-D tensor, the builder asks "
                               "for rank %d", name, rank);
        return -1;
    }
    int64_t want[ODIN_MAX_RANK];
    for (int i = 0; i < rank; i++) want[i] = dims[i];
    if (transpose) want[0] = dims[1], want[1] = dims[0];
    bool same = e->rank == rank;
    for (int i = 0; same && i < rank; i++) same = e->dims[i] == want[i];
    if (!same) {
        char have_s[160], want_s[160];
        shape_str(have_s, sizeof have_s, e->rank, e->dims);
        shape_str(want_s, sizeof want_s, rank, want);
        g->error = odin_errorf("parameter '%s': checkpoint %s has shape %s, the model expects %s%s",
                               name, file, have_s, want_s,
                               transpose ? " (stored transposed)" : "");
        return -1;
    }
    int t;
    odin_status st = odin_graph_add_tensor(g, name, ODIN_F32, rank, dims, &t);
    if (st) {
        g->error = st;
        return -1;
    }
    size_t n = e->nbytes / odin_dtype_size(e->dtype);
    /* f32 in the file's byte order (little-endian, as the host) and aligned for float:
     * the constant is the mapping itself. */
    if (e->dtype == ODIN_F32 && !transpose && (uintptr_t)e->data % _Alignof(float) == 0) {
        st = hold_checkpoint(g, w);
        if (st) {
            g->error = st;
            return -1;
        }
        odin_tensor_set_external_data(g, t, (void *)e->data, e->nbytes);
        return t;
    }
    float *buf = malloc(sizeof(float) * (n ? n : 1));
    if (!buf) {
        g->error = odin_errorf("parameter '%s': out of memory", name);
        return -1;
    }
    if (transpose) { /* file [want0, want1] -> graph [want1, want0] */
        size_t r = (size_t)want[0], c = (size_t)want[1];
        for (size_t i = 0; i < r; i++)
            for (size_t j = 0; j < c; j++) buf[j * r + i] = element_f32(e, i * c + j);
    } else {
        for (size_t i = 0; i < n; i++) buf[i] = element_f32(e, i);
    }
    st = odin_tensor_set_data(g, t, buf, n * sizeof(float));
    free(buf);
    if (st) {
        g->error = st;
        return -1;
    }
    return t;
}

int odin_param(odin_graph *g, const struct odin_safetensors *weights, odin_rng *r,
               const char *name, int rank, const int64_t *dims, odin_init_spec init,
               bool transpose) {
    if (g->error) return -1;
    if (weights) return param_from_checkpoint(g, weights, name, rank, dims, transpose);
    const char *saved = g->scope;
    g->scope = NULL; /* parameters carry their checkpoint names */
    int t = init.kind == ODIN_INIT_NORMAL    ? odin_init_normal(g, r, name, rank, dims, init.value)
            : init.kind == ODIN_INIT_UNIFORM ? odin_init_uniform(g, r, name, rank, dims, init.value)
                                             : odin_init_fill(g, name, rank, dims, init.value);
    g->scope = saved;
    return t;
}
