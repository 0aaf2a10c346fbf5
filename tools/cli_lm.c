/* tools/cli_lm.c — the LM path of `odinc compile` and `odinc wasm` (tools/cli_lm.h). */
#include "cli_lm.h"

#include <string.h>

#include "../frontend/load.h"

static bool binds(const char *shape, const char *name) {
    size_t n = name ? strlen(name) : 0;
    return n && !strncmp(shape, name, n) && shape[n] == '=';
}

bool odin_cli_lm_wanted(const odin_graph *g, const char *const *shapes, int n_shapes) {
    if (!odin_graph_is_lm(g)) return false;
    for (int i = 0; i < g->n_inputs; i++) {
        const odin_tensor *t = &g->tensors[g->inputs[i]];
        if (!t->name || strcmp(t->name, "tokens") != 0) continue;
        for (int k = 0; k < n_shapes; k++)
            if (binds(shapes[k], t->name) || binds(shapes[k], t->dim_params[1])) return false;
    }
    return true;
}

odin_status odin_cli_lm_entries(const char *model, odin_graph *g, int chunk,
                                const odin_pass_options *po, odin_lm_entries *out) {
    odin_graph *again = NULL;
    odin_status st = odin_load_model(model, &again);
    if (st) {
        odin_graph_free(g);
        return st;
    }
    return odin_lm_entries_make(g, again, chunk, po, out);
}
