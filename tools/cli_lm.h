/* tools/cli_lm.h — the LM path shared by `odinc compile` and `odinc wasm`: a model whose
 * sequence length is symbolic (docs/language-models.md) is built as a decode and a
 * prefill entry instead of one static program. */
#ifndef ODIN_CLI_LM_H
#define ODIN_CLI_LM_H

#include "../codegen/lm_entries.h"

/* Whether the model g (loaded from `model`) takes the LM path: it is an LM graph with a
 * symbolic sequence length and no --shape binds `tokens` or its sequence dimension. */
bool odin_cli_lm_wanted(const odin_graph *g, const char *const *shapes, int n_shapes);

/* The two entries: g (owned from here on) and a second load of `model`, seq bound to 1
 * and to chunk, passes po run. */
odin_status odin_cli_lm_entries(const char *model, odin_graph *g, int chunk,
                                const odin_pass_options *po, odin_lm_entries *out);

#endif
