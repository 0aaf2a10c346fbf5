/* runtime/aot_session.c — LM sessions over an AOT-compiled LM (runtime/aot_session.h):
 * two model instances (decode and prefill; the prefill one runs on the decode one's
 * weights, so a weights file is mapped once) as the runner of a runtime/session.h session,
 * STEPS policy so that only the two compiled lengths are ever asked for. Errors become
 * status codes with odin_aot_last_error. */
#include "aot_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

struct odin_aot_session {
    const odin_aot_lm *d;
    odin_aot_instance *m[2]; /* decode, prefill */
    odin_session *s;
};

static int fail_status(int code, odin_status st) {
    int rc = odin_aot_set_error(code, odin_status_message(st));
    odin_status_free(st);
    return rc;
}

static odin_status run_entry(void *ctx, int T, void *const *inputs, void *const *outputs) {
    odin_aot_session *s = ctx;
    int k = T == 1 ? 0 : T == s->d->prefill_tokens ? 1 : -1;
    if (k < 0)
        return odin_errorf("model '%s' has entries for 1 and %lld tokens, not %d", s->d->name,
                           (long long)s->d->prefill_tokens, T);
    if (odin_aot_run(s->m[k], inputs, outputs)) return odin_errorf("%s", odin_aot_last_error());
    return ODIN_OK;
}

/* The session layout from the descriptor; state points at a malloc'ed array. */
static int layout_of(const odin_aot_lm *d, odin_lm_layout *l) {
    *l = (odin_lm_layout){.n_inputs = (int)d->decode->n_inputs, .n_outputs = (int)d->decode->n_outputs,
                          .tokens = (int)d->tokens, .pos = (int)d->pos, .logits = (int)d->logits,
                          .vocab = d->vocab, .all_logits = d->all_logits != 0,
                          .max_ctx = d->max_ctx, .n_state = (int)d->n_state};
    l->state = calloc((size_t)d->n_state + 1, sizeof *l->state);
    if (!l->state) return odin_aot_set_error(ODIN_AOT_ERR_MEMORY, "out of memory");
    for (int64_t i = 0; i < d->n_state; i++)
        l->state[i] = (odin_lm_state){.input = (int)d->state[i].input, .output = (int)d->state[i].output,
                                      .nbytes = (size_t)d->state[i].nbytes,
                                      .in_place = d->state[i].in_place != 0};
    return ODIN_AOT_OK;
}

int odin_aot_session_create(const odin_aot_lm *d, const char *weights_path, odin_aot_session **out) {
    if (!out) return odin_aot_set_error(ODIN_AOT_ERR_ARGUMENT, "session create: NULL result pointer");
    *out = NULL;
    if (!d) return odin_aot_set_error(ODIN_AOT_ERR_ARGUMENT, "session create: NULL descriptor");
    if (d->abi != ODIN_AOT_LM_ABI)
        return odin_aot_set_error(ODIN_AOT_ERR_ABI, "LM descriptor from an incompatible odinc");
    odin_aot_session *s = calloc(1, sizeof *s);
    if (!s) return odin_aot_set_error(ODIN_AOT_ERR_MEMORY, "out of memory");
    s->d = d;
    int rc = odin_aot_create(d->decode, weights_path, &s->m[0]);
    if (!rc) rc = odin_aot_create_sharing(d->prefill, s->m[0], &s->m[1]); /* one mapping */
    odin_lm_layout l = {0};
    if (!rc) rc = layout_of(d, &l);
    if (!rc) {
        odin_session_options o = {.chunk = (int)d->prefill_tokens, .policy = ODIN_PREFILL_STEPS};
        odin_lm_runner r = {.ctx = s, .run = run_entry};
        odin_status st = odin_session_create(&l, r, &o, &s->s);
        if (st) rc = fail_status(ODIN_AOT_ERR_MEMORY, st);
    }
    free(l.state);
    if (rc) {
        odin_aot_session_destroy(s);
        return rc;
    }
    *out = s;
    return ODIN_AOT_OK;
}

int odin_aot_session_create_default(const odin_aot_lm *d, odin_aot_session **out) {
    return odin_aot_session_create(d, NULL, out);
}

void odin_aot_session_destroy(odin_aot_session *s) {
    if (!s) return;
    odin_session_free(s->s);
    odin_aot_destroy(s->m[1]); /* before m[0], whose weights it uses */
    odin_aot_destroy(s->m[0]);
    free(s);
}

/* Arguments checked before anything runs, so a bad call leaves the state as it was. */
static int check_tokens(const odin_aot_session *s, const int32_t *tokens, int64_t n) {
    char msg[160];
    if (!s) return odin_aot_set_error(ODIN_AOT_ERR_ARGUMENT, "NULL session");
    if (n < 1 || !tokens) return odin_aot_set_error(ODIN_AOT_ERR_ARGUMENT, "prefill needs at least one token");
    for (int64_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= s->d->vocab) {
            snprintf(msg, sizeof msg, "token id %d (at %lld) is outside the vocabulary [0, %lld)",
                     (int)tokens[i], (long long)i, (long long)s->d->vocab);
            return odin_aot_set_error(ODIN_AOT_ERR_ARGUMENT, msg);
        }
    int64_t pos = odin_session_pos(s->s);
    if (s->d->max_ctx > 0 && pos + n > s->d->max_ctx) {
        snprintf(msg, sizeof msg, "context is full: %lld tokens fed, %lld more do not fit max_ctx %lld",
                 (long long)pos, (long long)n, (long long)s->d->max_ctx);
        return odin_aot_set_error(ODIN_AOT_ERR_ARGUMENT, msg);
    }
    return ODIN_AOT_OK;
}

int odin_aot_session_prefill(odin_aot_session *s, const int32_t *tokens, int64_t n) {
    int rc = check_tokens(s, tokens, n);
    if (rc) return rc;
    /* Whole chunks go through the session together; the ids widen to the graph's int64. */
    enum { BATCH = 256 };
    int64_t ids[BATCH];
    int64_t P = s->d->prefill_tokens, batch = P <= BATCH ? BATCH / P * P : 0;
    for (int64_t done = 0; done < n;) {
        int64_t k = n - done;
        if (batch && k > batch) k = batch;
        if (!batch) k = k >= P ? P : 1; /* chunks longer than the buffer: one by one */
        int64_t *buf = ids, *heap = NULL;
        if (k > BATCH && !(buf = heap = malloc(sizeof *heap * (size_t)k)))
            return odin_aot_set_error(ODIN_AOT_ERR_MEMORY, "out of memory");
        for (int64_t i = 0; i < k; i++) buf[i] = tokens[done + i];
        odin_status st = odin_session_prefill(s->s, buf, (size_t)k, NULL);
        free(heap);
        if (st) return fail_status(ODIN_AOT_ERR_RUN, st);
        done += k;
    }
    return ODIN_AOT_OK;
}

int odin_aot_session_step(odin_aot_session *s, int32_t token) {
    int rc = check_tokens(s, &token, 1);
    if (rc) return rc;
    odin_status st = odin_session_step(s->s, token, NULL);
    return st ? fail_status(ODIN_AOT_ERR_RUN, st) : ODIN_AOT_OK;
}

const float *odin_aot_session_logits(const odin_aot_session *s) {
    return s ? odin_session_logits(s->s) : NULL;
}
int64_t odin_aot_session_pos(const odin_aot_session *s) { return s ? odin_session_pos(s->s) : 0; }
int64_t odin_aot_session_vocab(const odin_aot_session *s) { return s ? s->d->vocab : 0; }
void odin_aot_session_reset(odin_aot_session *s) {
    if (s) odin_session_reset(s->s);
}
