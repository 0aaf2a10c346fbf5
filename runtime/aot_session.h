/* runtime/aot_session.h — language-model sessions over an ahead-of-time compiled LM:
 * `odinc compile` on an LM graph emits two model descriptors (a decode entry, seq = 1,
 * and a prefill entry, seq = P) sharing one weights blob, and one odin_aot_lm descriptor
 * tying them to the session layout. A session here is runtime/session.h's, driven by a
 * runner over the two entries: prompt chunks of P through prefill, the rest one token at
 * a time through decode. Same 8-byte-field rule as runtime/aot.h. */
#ifndef ODIN_RUNTIME_AOT_SESSION_H
#define ODIN_RUNTIME_AOT_SESSION_H

#include <stdint.h>

#include "aot.h"

#define ODIN_AOT_LM_ABI 1

typedef struct odin_aot_lm_state {
    int64_t input, output; /* graph input / output index */
    int64_t nbytes;
    int64_t in_place;      /* one buffer serves as input and output */
} odin_aot_lm_state;

typedef struct odin_aot_lm {
    int64_t abi;                  /* ODIN_AOT_LM_ABI */
    const char *name;
    const odin_aot_model *decode;  /* tokens [1,1] */
    const odin_aot_model *prefill; /* tokens [1,prefill_tokens] */
    int64_t prefill_tokens;
    int64_t tokens, pos, logits;   /* input / input (-1: none) / output index */
    int64_t vocab, all_logits, max_ctx;
    int64_t n_state;
    const odin_aot_lm_state *state;
} odin_aot_lm;

typedef struct odin_aot_session odin_aot_session;

/* Status codes are runtime/aot.h's; odin_aot_last_error() holds the message. */
int odin_aot_session_create(const odin_aot_lm *d, const char *weights_path, odin_aot_session **out);
int odin_aot_session_create_default(const odin_aot_lm *d, odin_aot_session **out);
/* n >= 1 tokens in [0, vocab); the last token's logits are then odin_aot_session_logits.
 * After a failed call the state is undefined: reset. */
int odin_aot_session_prefill(odin_aot_session *s, const int32_t *tokens, int64_t n);
int odin_aot_session_step(odin_aot_session *s, int32_t token);
const float *odin_aot_session_logits(const odin_aot_session *s); /* vocab floats, or NULL */
int64_t odin_aot_session_pos(const odin_aot_session *s);
int64_t odin_aot_session_vocab(const odin_aot_session *s);
void odin_aot_session_reset(odin_aot_session *s);
void odin_aot_session_destroy(odin_aot_session *s); /* NULL is fine */

/* The executable of an LM (runtime/aot_lm_main.c): --prompt-ids 1,2,3 --max-tokens N
 * generates greedily; without --prompt-ids, odin_aot_main on the decode entry. */
int odin_aot_lm_main(int argc, char **argv, const odin_aot_lm *d);

#endif
