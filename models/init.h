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

#endif
