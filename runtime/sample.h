/* runtime/sample.h — picking the next token from logits: greedy (temperature 0), or
 * seeded random sampling from softmax(logits / temperature) restricted to the top-k
 * tokens and then to the top-p nucleus. Same seed and logits, same tokens. No LLVM. */
#ifndef ODIN_RUNTIME_SAMPLE_H
#define ODIN_RUNTIME_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "../ir/status.h"

typedef struct odin_sampler_options {
    float temperature; /* <= 0: greedy (argmax; the lowest id among equal maxima) */
    int top_k;         /* keep the k most likely tokens; 0: all */
    float top_p;       /* keep the smallest most-likely set whose probability >= top_p
                        * (after top-k, renormalized); >= 1 or <= 0: all */
    uint64_t seed;
} odin_sampler_options;

typedef struct odin_sampler odin_sampler;

odin_status odin_sampler_create(int64_t vocab, const odin_sampler_options *o,
                                odin_sampler **out);
void odin_sampler_free(odin_sampler *s); /* NULL is fine */

/* The next token for `vocab` logits. NaN logits are never picked; when every logit is NaN
 * or -inf the result is -1. */
int64_t odin_sample(odin_sampler *s, const float *logits);

/* The argmax (lowest id among equal maxima; NaN skipped; -1 when none). */
int64_t odin_argmax(const float *logits, int64_t vocab);

#endif
