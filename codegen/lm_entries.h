/* codegen/lm_entries.h — a language-model graph (docs/language-models.md) as the two
 * programs an ahead-of-time artifact carries: a decode entry (seq = 1) and a prefill entry
 * (seq = P), each specialized and passed from its own copy of the model, plus the session
 * layout, and the one weights blob both entries share (odin compile and odin wasm). */
#ifndef ODIN_LM_ENTRIES_H
#define ODIN_LM_ENTRIES_H

#include <stdint.h>

#include "../ir/state.h"
#include "../passes/pass.h"
#include "../passes/plan.h"

#define ODIN_LM_DEFAULT_CHUNK 64

typedef struct odin_lm_entries {
    odin_graph *g[2];      /* [0] decode (seq 1), [1] prefill (seq T[1]): static shapes */
    int T[2];
    odin_lm_layout layout; /* of the model; all_logits settled from the prefill graph */
} odin_lm_entries;

/* The graph follows the LM contract with a symbolic sequence length: a `tokens` input
 * [1, seq] whose dim 1 is symbolic, and a `logits` output. */
bool odin_graph_is_lm(const odin_graph *g);

/* decode and prefill: two loads of the same model (owned from here on, also on error).
 * Checks the contract (odin_lm_layout_of), binds seq to 1 and to chunk (>= 2) and runs the
 * pass pipeline po on each. */
odin_status odin_lm_entries_make(odin_graph *decode, odin_graph *prefill, int chunk,
                                 const odin_pass_options *po, odin_lm_entries *out);
void odin_lm_entries_free(odin_lm_entries *e);

/* One blob for the weights of both plans: every constant at a 64-byte aligned offset, a
 * constant of plan 1 with the same bytes as one of plan 0 stored once (the prefill and
 * decode programs read the same weights). offsets[k] (malloc'ed): plan k's weight i. */
odin_status odin_lm_weights_blob(const odin_lm_entries *e, const odin_plan plans[2],
                                 uint8_t **blob, size_t *size, int64_t *offsets[2]);

#endif
