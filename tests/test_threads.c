/* tests/test_threads.c — the kernels' thread pool (runtime/threads.c): every index of a
 * range is run exactly once, in chunks of at least the grain, for coarse and fine
 * (negative) grains, many thread counts and back-to-back jobs; nested and concurrent
 * callers run inline without losing work. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "../runtime/threads.h"
#include "test.h"

typedef struct job {
    _Atomic int *hits;       /* per index: how often it was run */
    _Atomic int64_t calls;   /* fn calls */
    _Atomic int64_t short_chunks; /* chunks below the grain that are not the range's end */
    int64_t n, grain;
    _Atomic int nested_bad;  /* nested parallel_for results that were wrong */
} job;

static void mark(void *ctx, int64_t lo, int64_t hi) {
    job *j = ctx;
    atomic_fetch_add(&j->calls, 1);
    if (hi - lo < j->grain && hi != j->n) atomic_fetch_add(&j->short_chunks, 1);
    for (int64_t i = lo; i < hi; i++) atomic_fetch_add(&j->hits[i], 1);
}

static bool run_job(int64_t n, int64_t grain, int64_t *calls) {
    job j = {.n = n, .grain = grain < 0 ? -grain : grain < 1 ? 1 : grain};
    j.hits = calloc((size_t)(n > 0 ? n : 1), sizeof *j.hits);
    odin_rt_parallel_for(mark, &j, n, grain);
    bool ok = j.short_chunks == 0;
    for (int64_t i = 0; i < n; i++) ok = ok && j.hits[i] == 1;
    free(j.hits);
    if (calls) *calls = j.calls;
    return ok;
}

static void test_every_index_once(void) {
    static const int64_t ns[] = {0, 1, 2, 3, 7, 64, 100, 1000, 4097, 65536};
    static const int64_t grains[] = {1, 3, 16, 1000, -1, -5, -64, 0};
    for (int threads = 1; threads <= 5; threads++) {
        odin_rt_set_threads(threads);
        for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
            for (size_t b = 0; b < sizeof grains / sizeof *grains; b++)
                CHECK(run_job(ns[a], grains[b], NULL), "threads %d n %lld grain %lld", threads,
                      (long long)ns[a], (long long)grains[b]);
    }
}

static void test_small_jobs_run_inline(void) {
    odin_rt_set_threads(4);
    int64_t calls = 0;
    CHECK(run_job(10, 10, &calls));
    CHECK(calls == 1, "a job of one grain is one call, got %lld", (long long)calls);
    CHECK(run_job(100, 1, &calls));
    CHECK(calls <= 4, "a coarse job has at most one chunk per thread, got %lld", (long long)calls);
    CHECK(run_job(100, -1, &calls));
    CHECK(calls >= 4 && calls <= 16, "a fine job has a few chunks per thread, got %lld",
          (long long)calls);
}

static void test_many_back_to_back(void) {
    /* a decode step's pattern: thousands of short jobs, workers spinning between them */
    odin_rt_set_threads(3);
    bool ok = true;
    for (int r = 0; r < 3000 && ok; r++) ok = run_job(1 + r % 97, r % 2 ? -1 : 1, NULL);
    CHECK(ok);
}

static void nested(void *ctx, int64_t lo, int64_t hi) {
    job *j = ctx;
    for (int64_t i = lo; i < hi; i++) {
        if (!run_job(33, -1, NULL)) atomic_fetch_add(&j->nested_bad, 1);
        atomic_fetch_add(&j->hits[i], 1);
    }
}

static void test_nested_runs_inline(void) {
    odin_rt_set_threads(2);
    job j = {.n = 8, .grain = 1};
    j.hits = calloc(8, sizeof *j.hits);
    odin_rt_parallel_for(nested, &j, 8, 1);
    bool ok = j.nested_bad == 0;
    for (int i = 0; i < 8; i++) ok = ok && j.hits[i] == 1;
    CHECK(ok);
    free(j.hits);
}

static void *caller(void *arg) {
    _Atomic int *bad = arg;
    for (int r = 0; r < 300; r++)
        if (!run_job(50 + r, r % 2 ? -2 : 2, NULL)) atomic_fetch_add(bad, 1);
    return NULL;
}

static void test_concurrent_callers(void) {
    odin_rt_set_threads(2);
    _Atomic int bad = 0;
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, caller, &bad);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    CHECK(bad == 0, "%d jobs lost or repeated indices", (int)bad);
}

/* odin_rt_wake before any pool exists, while workers sleep and while they spin: jobs
 * after it still run every index once. */
static void test_wake(void) {
    odin_rt_wake();
    odin_rt_set_threads(2);
    bool ok = run_job(100, 1, NULL);
    for (int r = 0; r < 20 && ok; r++) {
        struct timespec ts = {0, (r % 2 ? 2 : 0) * 1000000L}; /* past the spin: asleep */
        nanosleep(&ts, NULL);
        odin_rt_wake();
        odin_rt_wake();
        ok = run_job(50 + r, r % 2 ? -1 : 1, NULL);
    }
    CHECK(ok);
}

int main(void) {
    RUN(test_every_index_once);
    RUN(test_small_jobs_run_inline);
    RUN(test_many_back_to_back);
    RUN(test_wake);
    RUN(test_nested_runs_inline);
    RUN(test_concurrent_callers);
    TEST_DONE();
}
