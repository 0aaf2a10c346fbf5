/* runtime/session.h — a language-model session: the state buffers of one LM graph
 * (zeroed at create and reset, 64-byte aligned), the position counter, and a *runner*
 * that runs the graph specialized to a chunk of T tokens (the JIT, the reference
 * interpreter, an AOT library...). prefill() feeds a prompt in chunks, step() one token;
 * both leave the last token's logits in the session. No LLVM here. */
#ifndef ODIN_RUNTIME_SESSION_H
#define ODIN_RUNTIME_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "../ir/state.h"

/* An engine that runs one LM graph. inputs/outputs hold one buffer per graph input /
 * output, in graph order, sized for T tokens (tokens [1,T], logits [1,T,V] or [1,1,V]);
 * a state output may be the same buffer as its state input (pairs with in_place). */
typedef struct odin_lm_runner_stats {
    double compile_ms; /* time spent preparing chunk lengths so far */
    int compiles;      /* chunk lengths prepared (compiled or loaded) */
} odin_lm_runner_stats;

typedef struct odin_lm_runner {
    void *ctx;
    odin_status (*run)(void *ctx, int T, void *const *inputs, void *const *outputs);
    /* Optional: get ready for chunk length T ahead of time (compile), so the first run
     * is not slower than the rest. */
    odin_status (*prepare)(void *ctx, int T);
    void (*stats)(void *ctx, odin_lm_runner_stats *out); /* optional */
    void (*destroy)(void *ctx);                            /* optional */
} odin_lm_runner;

/* How prefill cuts a prompt of n tokens into runner calls, bounding the number of chunk
 * lengths (each one a compile for the JIT):
 * - POW2 (default): chunks of `chunk` tokens, then the remainder as its binary digits
 *   (for chunk 64 and 45 left: 32, 8, 4, 1). At most log2(chunk)+1 lengths ever, at most
 *   log2(chunk)+n/chunk calls.
 * - STEPS: chunks of `chunk` tokens, then single tokens: only two lengths (chunk and 1,
 *   which decoding compiles anyway), at the price of up to chunk-1 single steps. */
typedef enum odin_prefill_policy { ODIN_PREFILL_POW2, ODIN_PREFILL_STEPS } odin_prefill_policy;

typedef struct odin_session_options {
    int chunk;                  /* largest prefill chunk; 0: 64 (a power of two for POW2) */
    odin_prefill_policy policy;
} odin_session_options;

/* Length of the next prefill chunk when `left` tokens remain (left >= 1). */
int odin_prefill_chunk(const odin_session_options *o, size_t left);

typedef struct odin_session odin_session;

/* The session copies what it needs from the layout and takes ownership of the runner
 * (its destroy runs in odin_session_free, also when create fails). */
odin_status odin_session_create(const odin_lm_layout *layout, odin_lm_runner runner,
                                const odin_session_options *o, odin_session **out);
void odin_session_free(odin_session *s); /* NULL is fine */

/* Zero the state and the position. */
void odin_session_reset(odin_session *s);
/* Feed n >= 1 tokens; *logits (may be NULL) gets the last token's logits (vocab floats,
 * valid until the next call). Tokens must be in [0, vocab). On error the state is
 * undefined: reset before going on. */
odin_status odin_session_prefill(odin_session *s, const int64_t *tokens, size_t n,
                                 const float **logits);
odin_status odin_session_step(odin_session *s, int64_t token, const float **logits);
/* Prepare (compile) the chunk lengths a prefill of n tokens and decode steps will use. */
odin_status odin_session_warm_up(odin_session *s, size_t n_prompt);

const float *odin_session_logits(const odin_session *s); /* NULL before the first token */
int64_t odin_session_pos(const odin_session *s);         /* tokens fed since reset */
int64_t odin_session_vocab(const odin_session *s);
int odin_session_state_count(const odin_session *s);
/* The current contents of state pair i (its input side after the last call). */
const void *odin_session_state(const odin_session *s, int i, size_t *nbytes);
void odin_session_runner_stats(const odin_session *s, odin_lm_runner_stats *out);

#endif
