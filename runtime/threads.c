/* runtime/threads.c — the kernels' thread pool. A job is cut into chunks that the caller
 * and the workers claim from one atomic counter, so a worker that wakes late (or is
 * descheduled on a busy machine) costs no waiting: the others take its chunks. Workers
 * spin for a while after a job before they sleep, because an LM decode step runs
 * hundreds of short kernels back to back and a futex wake-up per kernel would cost more
 * than the kernel. */
#include "threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
/* How long an idle worker polls for the next job before it sleeps: longer than the gap
 * between two kernels of a decode step, short enough not to burn a core when idle. */
#define SPIN_NS 200000
/* How long the caller polls for a worker's last chunk before it starts yielding. */
#define CALLER_SPIN_NS 50000
/* A job whose grain is negative (independent units, nothing set up per chunk) is cut
 * into up to this many chunks per taking-part thread, so the work of a thread that is
 * descheduled mid-job is picked up by the others in pieces. Other jobs get one chunk per
 * thread: a GEMM packs its B panel once per contiguous range. */
#define FINE_CHUNKS_PER_THREAD 4

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* One job at a time: a parallel_for that finds the pool busy (another caller thread, or
 * a nested call) runs its range inline. The job's fields are atomics because a worker may
 * read them while the next job is being posted; it then fails to claim (the claim word
 * carries the job's generation) and never uses what it read. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t workers[MAX_THREADS];
    int n_workers;              /* threads started besides the caller (under mu) */
    int want;                   /* configured total threads (0 = cores) */
    atomic_flag busy;           /* a job is being run */
    _Atomic uint32_t generation; /* bumps when a job is posted */
    _Atomic uint64_t claim;     /* generation << 32 | next chunk to hand out */
    _Atomic int64_t done;       /* chunks of the current job finished */
    _Atomic int sleepers;       /* workers waiting on `wake` */
    _Atomic uint32_t nudge;     /* bumped by odin_rt_wake: sleepers go back to spinning */
    _Atomic(odin_range_fn) fn;
    _Atomic(void *) ctx;
    _Atomic int64_t n, chunk, n_chunks;
    _Atomic int active;         /* threads taking part in the current job (caller = 0) */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, .busy = ATOMIC_FLAG_INIT};

static int cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

int odin_rt_threads(void) { return pool.want > 0 ? pool.want : cores(); }

void odin_rt_set_threads(int n) {
    pool.want = n < 0 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Claim and run chunks of job `gen` until none is left (or the job is another one). */
static void run_chunks(uint32_t gen) {
    odin_range_fn fn = atomic_load(&pool.fn);
    void *ctx = atomic_load(&pool.ctx);
    int64_t n = atomic_load(&pool.n), chunk = atomic_load(&pool.chunk);
    int64_t n_chunks = atomic_load(&pool.n_chunks);
    uint64_t cur = atomic_load(&pool.claim);
    for (;;) {
        if ((uint32_t)(cur >> 32) != gen || (int64_t)(cur & 0xffffffffu) >= n_chunks) return;
        if (!atomic_compare_exchange_weak(&pool.claim, &cur, cur + 1)) continue;
        int64_t lo = (int64_t)(cur & 0xffffffffu) * chunk, hi = lo + chunk;
        fn(ctx, lo, hi < n ? hi : n);
        atomic_fetch_add(&pool.done, 1);
        cur = atomic_load(&pool.claim);
    }
}

static void *worker_main(void *arg) {
    int index = (int)(intptr_t)arg; /* 1-based: the caller is thread 0 */
    uint32_t seen = atomic_load(&pool.generation);
    for (;;) {
        uint32_t gen;
        int64_t spin_until = now_ns() + SPIN_NS;
        for (unsigned spins = 0; (gen = atomic_load(&pool.generation)) == seen; spins++) {
            cpu_relax();
            if ((spins & 255) != 255) continue;
            if (now_ns() < spin_until) {
                sched_yield(); /* let a descheduled caller have this core */
                continue;
            }
            pthread_mutex_lock(&pool.mu);
            uint32_t nudged = atomic_load(&pool.nudge);
            atomic_fetch_add(&pool.sleepers, 1);
            while (atomic_load(&pool.generation) == seen && atomic_load(&pool.nudge) == nudged)
                pthread_cond_wait(&pool.wake, &pool.mu);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.mu);
            spin_until = now_ns() + SPIN_NS;
        }
        seen = gen;
        if (index < atomic_load(&pool.active)) run_chunks(gen);
    }
    return NULL;
}

static void ensure_workers(int total) {
    pthread_mutex_lock(&pool.mu);
    while (pool.n_workers < total - 1) {
        int index = pool.n_workers + 1;
        if (pthread_create(&pool.workers[pool.n_workers], NULL, worker_main,
                           (void *)(intptr_t)index) != 0)
            break;
        pthread_detach(pool.workers[pool.n_workers]);
        pool.n_workers++;
    }
    pthread_mutex_unlock(&pool.mu);
}

void odin_rt_wake(void) {
    if (atomic_load(&pool.sleepers) == 0) return;
    pthread_mutex_lock(&pool.mu);
    atomic_fetch_add(&pool.nudge, 1);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mu);
}

void odin_rt_parallel_for(odin_range_fn fn, void *ctx, int64_t n, int64_t grain) {
    if (n <= 0) return;
    bool fine = grain < 0;
    if (fine) grain = -grain;
    if (grain < 1) grain = 1;
    int threads = odin_rt_threads();
    int64_t max_chunks = n / grain > 0 ? n / grain : 1; /* chunks of at least grain */
    if (threads > max_chunks) threads = (int)max_chunks;
    if (threads <= 1 || atomic_flag_test_and_set(&pool.busy)) {
        fn(ctx, 0, n);
        return;
    }
    ensure_workers(threads);
    if (threads > pool.n_workers + 1) threads = pool.n_workers + 1;
    int64_t want = (int64_t)threads * (fine ? FINE_CHUNKS_PER_THREAD : 1);
    if (want > max_chunks) want = max_chunks;
    int64_t chunk = (n + want - 1) / want;
    int64_t n_chunks = (n + chunk - 1) / chunk;
    uint32_t gen = atomic_load(&pool.generation) + 1;
    if (gen == 0) gen = 1; /* generation 0 marks "no job" in the claim word */
    /* Close the previous job's claim word before its fields change: a worker still in
     * run_chunks for that job may have read some new fields and an old, exhausted claim
     * (index < the new n_chunks), and would run a chunk that is no job's and count it in
     * the new job's `done`. A claim is only taken by a CAS on a word of the worker's own
     * generation, so once this store lands no stale worker can take one, and a worker
     * whose CAS did land read its fields before it (all of them the old job's). */
    atomic_store(&pool.claim, 0);
    atomic_store(&pool.fn, fn);
    atomic_store(&pool.ctx, ctx);
    atomic_store(&pool.n, n);
    atomic_store(&pool.chunk, chunk);
    atomic_store(&pool.n_chunks, n_chunks);
    atomic_store(&pool.active, threads);
    atomic_store(&pool.done, 0);
    atomic_store(&pool.claim, (uint64_t)gen << 32);
    atomic_store(&pool.generation, gen);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.mu);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.mu);
    }
    run_chunks(gen);
    /* Wait for chunks that workers claimed and are still running. Yielding invites the
     * scheduler to hand this core to another process, and then the job's end waits for
     * this thread: only yield once the worker looks descheduled (a long wait). */
    int64_t yield_after = 0;
    for (unsigned spins = 0; atomic_load(&pool.done) < n_chunks; spins++) {
        cpu_relax();
        if ((spins & 255) != 255) continue;
        int64_t now = now_ns();
        if (!yield_after) yield_after = now + CALLER_SPIN_NS;
        else if (now > yield_after) sched_yield();
    }
    atomic_flag_clear(&pool.busy);
}
