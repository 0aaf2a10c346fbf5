#include "profile.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct sample {
    uint64_t ns, calls, started;
} sample;

static sample *samples;
static int n_samples;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Grows the table to hold kernel k; false when out of memory (the sample is dropped). */
static bool reserve(int k) {
    if (k < n_samples) return true;
    int n = n_samples ? n_samples : 16;
    while (n <= k) n *= 2;
    sample *grown = realloc(samples, (size_t)n * sizeof *grown);
    if (!grown) return false;
    memset(grown + n_samples, 0, (size_t)(n - n_samples) * sizeof *grown);
    samples = grown;
    n_samples = n;
    return true;
}

void odin_rt_profile_begin(int32_t kernel) {
    if (kernel >= 0 && reserve(kernel)) samples[kernel].started = now_ns();
}

void odin_rt_profile_end(int32_t kernel) {
    if (kernel < 0 || kernel >= n_samples || !samples[kernel].started) return;
    samples[kernel].ns += now_ns() - samples[kernel].started;
    samples[kernel].calls++;
    samples[kernel].started = 0;
}

void odin_rt_profile_reset(int n_kernels) {
    if (n_kernels > 0) reserve(n_kernels - 1);
    if (samples) memset(samples, 0, (size_t)n_samples * sizeof *samples);
}

uint64_t odin_rt_profile_ns(int kernel) {
    return kernel >= 0 && kernel < n_samples ? samples[kernel].ns : 0;
}

uint64_t odin_rt_profile_calls(int kernel) {
    return kernel >= 0 && kernel < n_samples ? samples[kernel].calls : 0;
}
