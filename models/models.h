/* models/models.h — C builders for whole models: each takes integer parameters (sizes,
 * seed) with defaults and returns a verified-by-construction graph with seeded,
 * deterministic random weights. `odinc build-model --list` prints this table. */
#ifndef ODIN_MODELS_H
#define ODIN_MODELS_H

#include "../ir/graph.h"

#define ODIN_MODEL_MAX_PARAMS 16

typedef struct odin_model_param {
    const char *name;
    int64_t def;
    const char *doc;
} odin_model_param;

/* A checkpoint a builder reads its parameters from (frontend/safetensors.h); NULL means
 * seeded random initialization. */
typedef struct odin_safetensors odin_safetensors;

typedef struct odin_model_builder {
    const char *name;
    const char *doc;
    const odin_model_param *params; /* terminated by an entry with name NULL */
    /* values[i] is the value of params[i]; weights: checkpoint or NULL (random) */
    odin_status (*build)(const int64_t *values, const odin_safetensors *weights,
                         odin_graph **out);
} odin_model_builder;

const odin_model_builder *odin_model_find(const char *name);
const odin_model_builder *const *odin_model_all(int *count);

/* Parse "key=value" settings over the defaults; errors name unknown keys and bad values. */
odin_status odin_model_params(const odin_model_builder *b, const char *const *settings,
                              int n_settings, int64_t *values);
/* Build by name with "key=value" settings and seeded random weights. */
odin_status odin_model_build(const char *name, const char *const *settings, int n_settings,
                             odin_graph **out);
/* The same with parameters read from a checkpoint (NULL: random). */
odin_status odin_model_build_with(const char *name, const char *const *settings,
                                  int n_settings, const odin_safetensors *weights,
                                  odin_graph **out);

extern const odin_model_builder odin_model_mlp;
extern const odin_model_builder odin_model_gpt2;
extern const odin_model_builder odin_model_rwkv6;
extern const odin_model_builder odin_model_llama;

#endif
