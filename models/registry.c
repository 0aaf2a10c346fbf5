/* models/registry.c — the table of model builders and their parameter parsing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models.h"

static const odin_model_builder *const builders[] = {&odin_model_mlp, &odin_model_gpt2,
                                                    &odin_model_rwkv6, &odin_model_llama};

const odin_model_builder *const *odin_model_all(int *count) {
    *count = (int)(sizeof builders / sizeof builders[0]);
    return builders;
}

const odin_model_builder *odin_model_find(const char *name) {
    for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++)
        if (strcmp(builders[i]->name, name) == 0) return builders[i];
    return NULL;
}

odin_status odin_model_params(const odin_model_builder *b, const char *const *settings,
                              int n_settings, int64_t *values) {
    int n = 0;
    for (; b->params[n].name; n++) values[n] = b->params[n].def;
    for (int s = 0; s < n_settings; s++) {
        const char *eq = strchr(settings[s], '=');
        if (!eq) return odin_errorf("model '%s': setting '%s' is not key=value", b->name, settings[s]);
        size_t klen = (size_t)(eq - settings[s]);
        int k = -1;
        for (int i = 0; i < n; i++)
            if (strlen(b->params[i].name) == klen && !strncmp(b->params[i].name, settings[s], klen))
                k = i;
        if (k < 0)
            return odin_errorf("model '%s': unknown parameter '%.*s' (see odinc build-model --list)",
                               b->name, (int)klen, settings[s]);
        char *end;
        errno = 0;
        long long v = strtoll(eq + 1, &end, 10);
        if (errno || end == eq + 1 || *end || v < 0)
            return odin_errorf("model '%s': parameter '%s' wants a non-negative integer, got '%s'",
                               b->name, b->params[k].name, eq + 1);
        values[k] = v;
    }
    return ODIN_OK;
}

odin_status odin_model_build(const char *name, const char *const *settings, int n_settings,
                             odin_graph **out) {
    return odin_model_build_with(name, settings, n_settings, NULL, out);
}

odin_status odin_model_build_with(const char *name, const char *const *settings,
                                  int n_settings, const odin_safetensors *weights,
                                  odin_graph **out) {
    *out = NULL;
    const odin_model_builder *b = odin_model_find(name);
    if (!b) return odin_errorf("unknown model '%s' (see odinc build-model --list)", name);
    int64_t values[ODIN_MODEL_MAX_PARAMS];
    ODIN_TRY(odin_model_params(b, settings, n_settings, values));
    return odin_status_prefix(b->build(values, weights, out), "model '%s'", name);
}
