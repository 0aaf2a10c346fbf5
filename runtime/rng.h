/* runtime/rng.h — the one seeded pseudo-random generator (xoshiro256**, seeded through
 * splitmix64) used for random weights in builders and random inputs in the CLI, so a
 * seed means the same numbers everywhere. Header-only: the state is a plain struct. */
#ifndef ODIN_RNG_H
#define ODIN_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct odin_rng {
    uint64_t s[4];
} odin_rng;

static inline uint64_t odin_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void odin_rng_seed(odin_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = odin_splitmix64(&seed);
}

static inline uint64_t odin_rng_next(odin_rng *r) {
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5, result = ((x << 7) | (x >> 57)) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1) with 24 random bits (exactly representable as float). */
static inline float odin_rng_uniform(odin_rng *r) {
    return (float)(odin_rng_next(r) >> 40) * 0x1p-24f;
}

/* Standard normal via Box-Muller (one value per call; simple over fast). */
static inline float odin_rng_normal(odin_rng *r) {
    float u1 = odin_rng_uniform(r), u2 = odin_rng_uniform(r);
    if (u1 < 1e-7f) u1 = 1e-7f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530718f * u2);
}

#endif
