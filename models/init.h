/* models/init.h — seeded weight initialization shared by the builders. */
#ifndef ODIN_MODELS_INIT_H
#define ODIN_MODELS_INIT_H

#include "../ir/graph.h"
#include "../runtime/rng.h"

/* Constant tensor (name scoped by the builder) filled by a distribution; -1 on error
 * (the builder's sticky error). */
int odin_init_normal(odin_graph *g, odin_rng *r, const char *name, int rank,
                     const int64_t *dims, float stddev);
int odin_init_uniform(odin_graph *g, odin_rng *r, const char *name, int rank,
                      const int64_t *dims, float bound); /* U(-bound, bound) */
int odin_init_fill(odin_graph *g, const char *name, int rank, const int64_t *dims, float v);

/* How a parameter is initialized when no checkpoint supplies it. */
typedef enum odin_init_kind { ODIN_INIT_NORMAL, ODIN_INIT_UNIFORM, ODIN_INIT_FILL } odin_init_kind;
typedef struct odin_init_spec {
    odin_init_kind kind;
    float value; /* stddev, bound or fill value */
} odin_init_spec;

struct odin_safetensors;

/* A model parameter named exactly `name` (the checkpoint's tensor name; the builder scope
 * is not applied). With a checkpoint (weights != NULL) the tensor is read from it: its
 * shape must equal dims (the error names the tensor and both shapes), f16/bf16 become
 * f32, and f32 data is used in place when `transpose` is false. `transpose` swaps the two
 * axes of a 2-D checkpoint tensor (checkpoints that store [out, in] for a builder that
 * wants [in, out]); dims are the builder's (transposed) shape. Without a checkpoint the
 * tensor is initialized by `init` from r. -1 on error (the graph's sticky error). */
int odin_param(odin_graph *g, const struct odin_safetensors *weights, odin_rng *r,
               const char *name, int rank, const int64_t *dims, odin_init_spec init,
               bool transpose);

#endif
