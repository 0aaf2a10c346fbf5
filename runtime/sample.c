#include "sample.h"

#include <math.h>
#include <stdlib.h>

#include "rng.h"

typedef struct cand {
    float p;     /* probability, then the renormalized weight */
    int64_t id;
} cand;

struct odin_sampler {
    odin_sampler_options o;
    int64_t vocab;
    odin_rng rng;
    cand *c; /* vocab entries of scratch */
};

odin_status odin_sampler_create(int64_t vocab, const odin_sampler_options *o,
                                odin_sampler **out) {
    *out = NULL;
    if (vocab <= 0) return odin_errorf("sampler: vocabulary size %lld", (long long)vocab);
    if (o->top_k < 0) return odin_errorf("sampler: top-k %d is negative", o->top_k);
    if (!(o->temperature == o->temperature) || !(o->top_p == o->top_p))
        return odin_errorf("sampler: temperature and top-p must be numbers");
    odin_sampler *s = calloc(1, sizeof *s);
    if (s) s->c = malloc(sizeof *s->c * (size_t)vocab);
    if (!s || !s->c) {
        odin_sampler_free(s);
        return odin_errorf("out of memory");
    }
    s->o = *o;
    s->vocab = vocab;
    odin_rng_seed(&s->rng, o->seed);
    *out = s;
    return ODIN_OK;
}

void odin_sampler_free(odin_sampler *s) {
    if (!s) return;
    free(s->c);
    free(s);
}

int64_t odin_argmax(const float *logits, int64_t vocab) {
    int64_t best = -1;
    for (int64_t i = 0; i < vocab; i++)
        if (logits[i] == logits[i] && (best < 0 || logits[i] > logits[best])) best = i;
    return best;
}

/* Most likely first; equal probabilities by id, so the order (and the draw) is fixed. */
static int by_prob_desc(const void *a, const void *b) {
    const cand *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Move the k largest entries of c[0..n) to the front (unordered), by quickselect. */
static void select_top(cand *c, int64_t n, int64_t k) {
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        cand pivot = c[lo + (hi - lo) / 2];
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (by_prob_desc(&c[i], &pivot) < 0) i++;
            while (by_prob_desc(&c[j], &pivot) > 0) j--;
            if (i <= j) {
                cand t = c[i];
                c[i++] = c[j];
                c[j--] = t;
            }
        }
        if (k - 1 <= j) hi = j;
        else if (k - 1 >= i) lo = i;
        else return;
    }
}

int64_t odin_sample(odin_sampler *s, const float *logits) {
    int64_t best = odin_argmax(logits, s->vocab);
    if (s->o.temperature <= 0 || best < 0 || isinf(logits[best])) return best;
    /* softmax(logits / T) over the finite logits */
    double inv_t = 1.0 / s->o.temperature, sum = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < s->vocab; i++) {
        if (!(logits[i] == logits[i]) || isinf(logits[i])) continue;
        float p = (float)exp(((double)logits[i] - logits[best]) * inv_t);
        if (p > 0) {
            s->c[n++] = (cand){p, i};
            sum += p;
        }
    }
    for (int64_t i = 0; i < n; i++) s->c[i].p = (float)(s->c[i].p / sum);
    /* top-k */
    if (s->o.top_k > 0 && s->o.top_k < n) {
        select_top(s->c, n, s->o.top_k);
        n = s->o.top_k;
    }
    /* top-p: tokens below (1-p)/n cannot be in the nucleus (the mass left after the
     * nucleus's predecessors exceeds 1-p and is spread over at most n tokens), so only the
     * rest needs sorting. */
    double total = 0;
    for (int64_t i = 0; i < n; i++) total += s->c[i].p;
    if (s->o.top_p > 0 && s->o.top_p < 1 && n > 1) {
        double cutoff = (1.0 - s->o.top_p) * total / (double)n * 0.999;
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (s->c[i].p >= cutoff) s->c[m++] = s->c[i];
        qsort(s->c, (size_t)m, sizeof *s->c, by_prob_desc);
        double acc = 0, want = s->o.top_p * total;
        int64_t keep = 0;
        while (keep < m && acc < want) acc += s->c[keep++].p;
        n = keep > 0 ? keep : 1;
        total = 0;
        for (int64_t i = 0; i < n; i++) total += s->c[i].p;
    }
    double u = (double)odin_rng_uniform(&s->rng) * total;
    for (int64_t i = 0; i < n; i++) {
        u -= s->c[i].p;
        if (u < 0) return s->c[i].id;
    }
    return s->c[n - 1].id; /* rounding left u just above zero */
}
