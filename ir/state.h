/* ir/state.h — the language-model contract of a graph (docs/language-models.md), read
 * from the graph: its `odin.state` pairs (state input -> state output, by graph
 * input/output index), whether each pair may share one buffer (the in-place rule), and the
 * layout a session needs (tokens, pos, logits, vocab). Plain data: runtime/session.h uses
 * the layout type without linking this module. */
#ifndef ODIN_STATE_H
#define ODIN_STATE_H

#include <stdbool.h>

#include "graph.h"

/* Ops whose kernels read the old state before they overwrite it, so one buffer can be
 * passed as both state input and state output. */
bool odin_op_updates_state_in_place(const char *op);

typedef struct odin_state_pair {
    int input;     /* index into g->inputs */
    int output;    /* index into g->outputs */
    bool in_place; /* the in-place rule holds (odin_state_pair_check) */
} odin_state_pair;

/* Parse the `odin.state` metadata ("IN=OUT;IN=OUT;...") into *pairs (malloc'ed, free())
 * and *n; a graph without the key has 0 pairs (*pairs NULL). Errors name the tensors:
 * a name that is not a graph input / output, an input or output in two pairs, a dtype
 * or static-shape mismatch between the two sides. Every pair's in_place is set from
 * odin_state_pair_check; with `strict`, a pair breaking the rule is an error instead. */
odin_status odin_graph_state_pairs(const odin_graph *g, bool strict, odin_state_pair **pairs,
                                   int *n);
/* The in-place rule for one pair: the state input has exactly one consumer, that node
 * produces the paired output, and its op updates state in place. The error says which
 * part fails, naming the tensors, node and op. */
odin_status odin_state_pair_check(const odin_graph *g, const odin_state_pair *p);

/* What a session needs to drive an LM graph; indices are graph input/output positions. */
typedef struct odin_lm_state {
    int input, output;
    size_t nbytes;   /* static size of the state tensor */
    bool in_place;
} odin_lm_state;

typedef struct odin_lm_layout {
    int n_inputs, n_outputs;
    int tokens;       /* input: int64 [1, seq] */
    int pos;          /* input: int64 [1], or -1 (recurrent models) */
    int logits;       /* output: f32 [1, 1, vocab] or [1, seq, vocab] */
    int64_t vocab;
    bool all_logits;  /* logits hold every token's row, not only the last one */
    bool logits_rows_unknown; /* the graph's logits dim 1 is not inferred: all_logits is a
                               * guess until odin_lm_layout_resolve (codegen/session_jit.h) */
    int64_t fixed_seq; /* 0: seq is symbolic (any chunk length); 1: decode-only graph */
    int64_t max_ctx;  /* odin.max_ctx (KV-cache rows), 0 when the graph has none */
    int n_state;
    odin_lm_state *state; /* malloc'ed, n_state entries */
} odin_lm_layout;

/* Check g against the LM contract and describe it. A graph without a `tokens` input or a
 * `logits` output, or with inputs/outputs the contract does not name, gets an error that
 * says so. strict: as in odin_graph_state_pairs. */
odin_status odin_lm_layout_of(const odin_graph *g, bool strict, odin_lm_layout *out);
void odin_lm_layout_free(odin_lm_layout *l);

/* Shapes of every graph input for a run over T tokens, into vals[0..n_inputs) (data NULL):
 * a symbolic dim (batch) is 1 and the tokens input's dim 1 is T; state shapes are static
 * (odin_lm_layout_of checked). */
void odin_lm_input_shapes(const odin_graph *g, const odin_lm_layout *l, int T, odin_value *vals);

#endif
