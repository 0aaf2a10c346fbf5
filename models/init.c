#include "init.h"

#include <stdlib.h>

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

int odin_param(odin_graph *g, const struct odin_safetensors *weights, odin_rng *r,
               const char *name, int rank, const int64_t *dims, odin_init_spec init,
               bool transpose) {
    if (g->error) return -1;
    if (weights) {
        /* checkpoint reading lands with frontend/safetensors.c */
        g->error = odin_errorf("parameter '%s': reading checkpoints is not built yet", name);
        return -1;
    }
    (void)transpose;
    const char *saved = g->scope;
    g->scope = NULL; /* parameters carry their checkpoint names */
    int t = init.kind == ODIN_INIT_NORMAL    ? odin_init_normal(g, r, name, rank, dims, init.value)
            : init.kind == ODIN_INIT_UNIFORM ? odin_init_uniform(g, r, name, rank, dims, init.value)
                                             : odin_init_fill(g, name, rank, dims, init.value);
    g->scope = saved;
    return t;
}
