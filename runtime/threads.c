#include "threads.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_THREADS 64

/* One job at a time: parallel_for is called from one thread (the model's caller). */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    pthread_t workers[MAX_THREADS];
    int n_workers;       /* threads started besides the caller */
    int want;            /* configured total threads (0 = cores) */
    uint64_t generation; /* bumps when a job is posted */
    int pending;         /* workers still running the current job */
    odin_range_fn fn;
    void *ctx;
    int64_t n, chunk;
    int active;          /* threads taking part in the current job */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER};

static int cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

int odin_rt_threads(void) { return pool.want > 0 ? pool.want : cores(); }

void odin_rt_set_threads(int n) {
    pool.want = n < 0 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
}

static void run_chunk(int index) {
    int64_t lo = (int64_t)index * pool.chunk, hi = lo + pool.chunk;
    if (hi > pool.n) hi = pool.n;
    if (lo < hi) pool.fn(pool.ctx, lo, hi);
}

static void *worker_main(void *arg) {
    int index = (int)(intptr_t)arg; /* 1-based: the caller runs chunk 0 */
    uint64_t seen = 0;
    pthread_mutex_lock(&pool.mu);
    for (;;) {
        while (pool.generation == seen) pthread_cond_wait(&pool.work, &pool.mu);
        seen = pool.generation;
        int active = pool.active;
        pthread_mutex_unlock(&pool.mu);
        if (index < active) run_chunk(index);
        pthread_mutex_lock(&pool.mu);
        if (index < active && --pool.pending == 0) pthread_cond_signal(&pool.done);
    }
    return NULL;
}

static void ensure_workers(int total) {
    while (pool.n_workers < total - 1) {
        int index = pool.n_workers + 1;
        if (pthread_create(&pool.workers[pool.n_workers], NULL, worker_main,
                           (void *)(intptr_t)index) != 0)
            break;
        pthread_detach(pool.workers[pool.n_workers]);
        pool.n_workers++;
    }
}

void odin_rt_parallel_for(odin_range_fn fn, void *ctx, int64_t n, int64_t grain) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int threads = odin_rt_threads();
    int64_t max_chunks = (n + grain - 1) / grain;
    if (threads > max_chunks) threads = (int)max_chunks;
    if (threads <= 1) {
        fn(ctx, 0, n);
        return;
    }
    pthread_mutex_lock(&pool.mu);
    ensure_workers(threads);
    if (threads > pool.n_workers + 1) threads = pool.n_workers + 1;
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.chunk = (n + threads - 1) / threads;
    pool.active = threads;
    pool.pending = threads - 1;
    pool.generation++;
    pthread_cond_broadcast(&pool.work);
    pthread_mutex_unlock(&pool.mu);
    run_chunk(0);
    pthread_mutex_lock(&pool.mu);
    while (pool.pending > 0) pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
}
