#include "session.h"

#include "huge_alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CHUNK 64
/* state this large goes on 2 MiB pages (one block) */
#define HUGE_STATE_BYTES ((size_t)2 << 20)

typedef struct state_buf {
    odin_lm_state def;
    void *buf[2]; /* buf[1]: the second buffer of a pair that is not updated in place */
    int cur;      /* which buffer holds the state now */
} state_buf;

struct odin_session {
    odin_lm_layout layout; /* state points at states[i].def copies: not owned */
    odin_lm_runner runner;
    odin_session_options opts;
    int max_chunk;
    state_buf *states;
    void **ins, **outs;
    int64_t *tokens; /* max_chunk ids */
    int64_t *pos_in; /* the pos input, [1] */
    float *logits;   /* max_chunk rows when all_logits, else one */
    const float *last;
    int64_t pos;
    /* The state buffers as one block on 2 MiB pages when they are large (KV caches, RWKV
     * state: every step streams them); NULL when each buffer is its own allocation. */
    void *state_block;
    size_t state_block_size;
};

int odin_prefill_chunk(const odin_session_options *o, size_t left) {
    size_t chunk = o && o->chunk > 0 ? (size_t)o->chunk : DEFAULT_CHUNK;
    if (left >= chunk) return (int)chunk;
    if (o && o->policy == ODIN_PREFILL_STEPS) return 1;
    size_t p = 1;
    while (p * 2 <= left) p *= 2;
    return (int)p;
}

static void *alloc_zeroed(size_t nbytes) {
    size_t size = (nbytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, size ? size : 64);
    if (p) memset(p, 0, size ? size : 64);
    return p;
}

/* Bytes one state buffer takes in the block: whole 64-byte lines, at least one. */
static size_t state_room(size_t nbytes) { return nbytes ? (nbytes + 63) / 64 * 64 : 64; }

void odin_session_free(odin_session *s) {
    if (!s) return;
    if (s->runner.destroy) s->runner.destroy(s->runner.ctx);
    for (int i = 0; !s->state_block && s->states && i < s->layout.n_state; i++) {
        free(s->states[i].buf[0]);
        free(s->states[i].buf[1]);
    }
    odin_huge_free(s->state_block, s->state_block_size);
    free(s->states);
    free(s->ins);
    free(s->outs);
    free(s->tokens);
    free(s->pos_in);
    free(s->logits);
    free(s);
}

odin_status odin_session_create(const odin_lm_layout *layout, odin_lm_runner runner,
                                const odin_session_options *o, odin_session **out) {
    *out = NULL;
    odin_session *s = calloc(1, sizeof *s);
    if (!s) {
        if (runner.destroy) runner.destroy(runner.ctx);
        return odin_errorf("out of memory");
    }
    s->runner = runner;
    s->layout = *layout;
    s->opts = o ? *o : (odin_session_options){0};
    if (s->opts.chunk <= 0) s->opts.chunk = DEFAULT_CHUNK;
    s->max_chunk = layout->fixed_seq == 1 ? 1 : s->opts.chunk;
    if (layout->fixed_seq == 1) s->opts.chunk = 1;
    int n_state = layout->n_state;
    bool ok = layout->vocab > 0 && layout->tokens >= 0 && layout->logits >= 0;
    s->states = calloc(n_state ? (size_t)n_state : 1, sizeof *s->states);
    s->ins = calloc((size_t)layout->n_inputs + 1, sizeof *s->ins);
    s->outs = calloc((size_t)layout->n_outputs + 1, sizeof *s->outs);
    s->tokens = alloc_zeroed(sizeof *s->tokens * (size_t)s->max_chunk);
    s->pos_in = alloc_zeroed(sizeof *s->pos_in);
    size_t rows = layout->all_logits ? (size_t)s->max_chunk : 1;
    s->logits = ok ? alloc_zeroed(sizeof *s->logits * rows * (size_t)layout->vocab) : NULL;
    ok = ok && s->states && s->ins && s->outs && s->tokens && s->pos_in && s->logits;
    size_t total = 0;
    for (int i = 0; ok && i < n_state; i++)
        total += state_room(layout->state[i].nbytes) * (layout->state[i].in_place ? 1 : 2);
    if (ok && total >= HUGE_STATE_BYTES) s->state_block = odin_huge_alloc(total, &s->state_block_size);
    /* touch it now (it reads as zeros anyway): its page faults belong to create, not to
     * the first prefill */
    if (s->state_block) memset(s->state_block, 0, s->state_block_size);
    char *next = s->state_block;
    for (int i = 0; ok && i < n_state; i++) {
        state_buf *b = &s->states[i];
        b->def = layout->state[i];
        for (int k = 0; k < (b->def.in_place ? 1 : 2); k++) {
            b->buf[k] = next ? next : alloc_zeroed(b->def.nbytes);
            if (next) next += state_room(b->def.nbytes);
        }
        ok = b->buf[0] && (b->def.in_place || b->buf[1]);
    }
    s->layout.state = NULL; /* the copies live in states[i].def */
    if (!ok) {
        s->layout.n_state = n_state;
        odin_session_free(s);
        return layout->vocab > 0 ? odin_errorf("out of memory")
                                 : odin_errorf("session: the layout has no logits / vocab");
    }
    *out = s;
    return ODIN_OK;
}

void odin_session_reset(odin_session *s) {
    for (int i = 0; i < s->layout.n_state; i++) {
        state_buf *b = &s->states[i];
        memset(b->buf[0], 0, b->def.nbytes);
        if (b->buf[1]) memset(b->buf[1], 0, b->def.nbytes);
        b->cur = 0;
    }
    s->pos = 0;
    s->last = NULL;
}

/* One runner call over T tokens. */
static odin_status run_chunk(odin_session *s, const int64_t *tokens, int T) {
    const odin_lm_layout *l = &s->layout;
    for (int t = 0; t < T; t++)
        if (tokens[t] < 0 || tokens[t] >= l->vocab)
            return odin_errorf("token id %lld is outside the model's vocabulary [0, %lld)",
                               (long long)tokens[t], (long long)l->vocab);
    if (l->max_ctx > 0 && s->pos + T > l->max_ctx)
        return odin_errorf("context is full: %lld tokens fed, %d more do not fit odin.max_ctx %lld",
                           (long long)s->pos, T, (long long)l->max_ctx);
    memcpy(s->tokens, tokens, sizeof *tokens * (size_t)T);
    s->pos_in[0] = s->pos;
    s->ins[l->tokens] = s->tokens;
    if (l->pos >= 0) s->ins[l->pos] = s->pos_in;
    s->outs[l->logits] = s->logits;
    for (int i = 0; i < l->n_state; i++) {
        state_buf *b = &s->states[i];
        s->ins[b->def.input] = b->buf[b->cur];
        s->outs[b->def.output] = b->def.in_place ? b->buf[b->cur] : b->buf[1 - b->cur];
    }
    s->last = NULL;
    ODIN_TRY(s->runner.run(s->runner.ctx, T, s->ins, s->outs));
    for (int i = 0; i < l->n_state; i++)
        if (!s->states[i].def.in_place) s->states[i].cur ^= 1;
    s->pos += T;
    s->last = s->logits + (l->all_logits ? (size_t)(T - 1) * (size_t)l->vocab : 0);
    return ODIN_OK;
}

odin_status odin_session_prefill(odin_session *s, const int64_t *tokens, size_t n,
                                 const float **logits) {
    if (logits) *logits = NULL;
    if (n == 0) return odin_errorf("prefill needs at least one token");
    for (size_t done = 0; done < n;) {
        int T = odin_prefill_chunk(&s->opts, n - done);
        ODIN_TRY(run_chunk(s, tokens + done, T));
        done += (size_t)T;
    }
    if (logits) *logits = s->last;
    return ODIN_OK;
}

odin_status odin_session_step(odin_session *s, int64_t token, const float **logits) {
    if (logits) *logits = NULL;
    ODIN_TRY(run_chunk(s, &token, 1));
    if (logits) *logits = s->last;
    return ODIN_OK;
}

odin_status odin_session_warm_up(odin_session *s, size_t n_prompt) {
    if (!s->runner.prepare) return ODIN_OK;
    ODIN_TRY(s->runner.prepare(s->runner.ctx, 1));
    int done_sizes[64];
    int n_sizes = 0;
    for (size_t left = n_prompt; left > 0;) {
        int T = odin_prefill_chunk(&s->opts, left);
        left -= (size_t)T;
        bool seen = T == 1;
        for (int k = 0; !seen && k < n_sizes; k++) seen = done_sizes[k] == T;
        if (seen) continue;
        ODIN_TRY(s->runner.prepare(s->runner.ctx, T));
        if (n_sizes < 64) done_sizes[n_sizes++] = T;
    }
    return ODIN_OK;
}

const float *odin_session_logits(const odin_session *s) { return s->last; }
int64_t odin_session_pos(const odin_session *s) { return s->pos; }
int64_t odin_session_vocab(const odin_session *s) { return s->layout.vocab; }
int odin_session_state_count(const odin_session *s) { return s->layout.n_state; }

const void *odin_session_state(const odin_session *s, int i, size_t *nbytes) {
    if (i < 0 || i >= s->layout.n_state) {
        if (nbytes) *nbytes = 0;
        return NULL;
    }
    if (nbytes) *nbytes = s->states[i].def.nbytes;
    return s->states[i].buf[s->states[i].cur];
}

void odin_session_runner_stats(const odin_session *s, odin_lm_runner_stats *out) {
    *out = (odin_lm_runner_stats){0};
    if (s->runner.stats) s->runner.stats(s->runner.ctx, out);
}
