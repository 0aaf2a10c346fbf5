/* tools/peak_probe.c — the machine's ceilings, so benchmark numbers can be read as a
 * fraction of what the hardware can do: (a) the peak fp32 FMA rate, per core and for N
 * threads, and (b) streaming-read memory bandwidth, 1 thread and N threads. Prints one
 * JSON object. Built by the Makefile with -O3 -march=native (not part of libodin).
 *
 * usage: peak_probe [--threads N] [--mib M]   (defaults: all online CPUs, 512 MiB) */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The widest vector the compiler targets: 16 floats with AVX-512, 8 with AVX, else 4. */
#if defined(__AVX512F__)
#define VLEN 16
#elif defined(__AVX__)
#define VLEN 8
#else
#define VLEN 4
#endif
typedef float vf __attribute__((vector_size(VLEN * sizeof(float))));

/* Independent FMA chains: latency (4 cycles) × FMA ports (2) = 8 in flight at least;
 * 16 leaves slack and still fits in the register file with the two constants. */
#define ACCS 16

#if defined(__clang__)
#define FMA(a, b, c) __builtin_elementwise_fma(a, b, c)
#else
#define FMA(a, b, c) ((a) * (b) + (c))
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static vf splat(float x) {
    vf v;
    for (int i = 0; i < VLEN; i++) v[i] = x;
    return v;
}

/* iters × ACCS vector FMAs; returns a value that depends on all of them so nothing is
 * optimized away. acc*a+b with a<1 converges, so no overflow or denormals. */
static float fma_chains(long iters) {
    vf acc[ACCS];
    for (int j = 0; j < ACCS; j++) acc[j] = splat(0.001f * (float)j);
    vf a = splat(0.999f), b = splat(0.001f);
    for (long i = 0; i < iters; i++) {
        for (int j = 0; j < ACCS; j++) acc[j] = FMA(acc[j], a, b);
    }
    vf s = acc[0];
    for (int j = 1; j < ACCS; j++) s += acc[j];
    float r = 0;
    for (int i = 0; i < VLEN; i++) r += s[i];
    return r;
}

/* Sum of a buffer of n floats (n a multiple of 4*VLEN), read with 4 vector accumulators. */
static float read_sum(const float *p, size_t n) {
    vf s0 = splat(0), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < n; i += 4 * VLEN) {
        vf x0, x1, x2, x3;
        memcpy(&x0, p + i, sizeof x0);
        memcpy(&x1, p + i + VLEN, sizeof x1);
        memcpy(&x2, p + i + 2 * VLEN, sizeof x2);
        memcpy(&x3, p + i + 3 * VLEN, sizeof x3);
        s0 += x0;
        s1 += x1;
        s2 += x2;
        s3 += x3;
    }
    vf s = s0 + s1 + s2 + s3;
    float r = 0;
    for (int i = 0; i < VLEN; i++) r += s[i];
    return r;
}

/* A busy machine (other processes, a shared VM host) preempts long runs, so every figure
 * comes from many short pieces: a thread's FMA rate is its best of FMA_REPS runs of about
 * FMA_RUN_S (N-thread FMA figures sum the rates of N threads running at the same time).
 * Bandwidth is timed in lock-step rounds: all threads wait at a barrier, each reads one
 * CHUNK_MIB piece of its slice (cold: the buffer is far larger than the caches), and the
 * round ends when the slowest one is done; a round's rate is the bytes all threads read
 * over that wall time, and the figure is the 90th percentile over rounds. Summing each
 * thread's own best moments instead would credit N threads with bandwidth they never
 * had at the same time. */
#define FMA_RUN_S 0.0005
#define FMA_REPS 400
#define CHUNK_MIB 4
#define READ_PASSES 3
#define BANDWIDTH_TRIES 4
#define MAX_THREADS 256

typedef struct job {
    int kind; /* 0: FMA chains, 1: read chunks */
    int index, threads;
    long iters;
    const float *buf;
    size_t n; /* floats in this thread's slice */
    pthread_barrier_t *start, *round;
    float result;
    double rate; /* GFLOP/s (kind 0) of this thread; GB/s of all threads (kind 1, thread 0) */
} job;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Every thread runs the same number of rounds (equal slices); thread 0 times them. */
static double chunk_rates(job *j) {
    size_t chunk = ((size_t)CHUNK_MIB << 18) / (4 * VLEN) * (4 * VLEN);
    size_t per_pass = j->n / chunk, count = 0;
    if (per_pass == 0) return 0;
    double *rates = j->index == 0 ? malloc(per_pass * READ_PASSES * sizeof *rates) : NULL;
    for (int pass = 0; pass < READ_PASSES; pass++)
        for (size_t c = 0; c < per_pass; c++) {
            pthread_barrier_wait(j->round);
            double t0 = now_s();
            j->result += read_sum(j->buf + c * chunk, chunk);
            pthread_barrier_wait(j->round);
            double dt = now_s() - t0;
            if (rates && dt > 0)
                rates[count++] = (double)j->threads * chunk * sizeof(float) / dt / 1e9;
        }
    if (!rates) return 0;
    qsort(rates, count, sizeof *rates, cmp_double);
    double r = count ? rates[count * 9 / 10] : 0;
    free(rates);
    return r;
}

static double fma_rate(job *j) {
    double best = 1e30;
    for (int r = 0; r < FMA_REPS; r++) {
        double t0 = now_s();
        j->result += fma_chains(j->iters);
        double dt = now_s() - t0;
        if (dt < best) best = dt;
    }
    return 2.0 * VLEN * ACCS * (double)j->iters / best / 1e9;
}

static void *worker(void *arg) {
    job *j = arg;
    pthread_barrier_wait(j->start);
    j->rate = j->kind == 0 ? fma_rate(j) : chunk_rates(j);
    return NULL;
}

static volatile float sink;

/* Runs `threads` jobs at once (each on its slice of buf); fills jobs[]. */
static void run_jobs(int threads, int kind, long iters, const float *buf, size_t n_total,
                     job *jobs) {
    pthread_t tid[MAX_THREADS];
    pthread_barrier_t start, round;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&round, NULL, (unsigned)threads);
    size_t slice = n_total / (size_t)threads / (4 * VLEN) * (4 * VLEN);
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){.kind = kind, .index = t, .threads = threads, .iters = iters,
                        .buf = buf + slice * (size_t)t, .n = slice, .start = &start,
                        .round = &round};
        pthread_create(&tid[t], NULL, worker, &jobs[t]);
    }
    pthread_barrier_wait(&start);
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        sink += jobs[t].result;
    }
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&round);
}

/* GFLOP/s (kind 0) or GB/s (kind 1) of `threads` threads running at once (thread 0's
 * bandwidth figure already covers all threads; the others report 0). */
static double total_rate(int threads, int kind, long iters, const float *buf, size_t n) {
    static job jobs[MAX_THREADS];
    run_jobs(threads, kind, iters, buf, n, jobs);
    double total = 0;
    for (int t = 0; t < threads; t++) total += jobs[t].rate;
    return total;
}

int main(int argc, char **argv) {
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = ncpu > 0 ? (int)ncpu : 1;
    long mib = 512;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--mib") && i + 1 < argc) mib = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: peak_probe [--threads N] [--mib M]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > MAX_THREADS || mib < (long)CHUNK_MIB * threads) {
        fprintf(stderr, "peak_probe: --threads must be 1..%d and --mib at least %d per thread\n",
                MAX_THREADS, CHUNK_MIB);
        return 2;
    }
    /* Calibrate the FMA loop to about FMA_RUN_S on one thread (best of a few timings). */
    long iters = 1 << 14;
    for (;;) {
        double dt = 1e30;
        for (int r = 0; r < 5; r++) {
            double t0 = now_s();
            sink += fma_chains(iters);
            double d = now_s() - t0;
            if (d < dt) dt = d;
        }
        if (dt > FMA_RUN_S / 4 || iters > (1L << 40)) {
            iters = (long)(iters * (FMA_RUN_S / (dt > 0 ? dt : 1e-6)));
            break;
        }
        iters *= 4;
    }
    double g1 = total_rate(1, 0, iters, NULL, 0), gn = total_rate(threads, 0, iters, NULL, 0);

    size_t n = (size_t)mib << 18; /* floats in mib MiB */
    float *buf = aligned_alloc(64, n * sizeof(float));
    if (!buf) {
        fprintf(stderr, "peak_probe: cannot allocate %ld MiB\n", mib);
        return 1;
    }
    for (size_t i = 0; i < n; i++) buf[i] = 1.0f; /* touch every page before timing */
    /* a ceiling is the best of several tries: a neighbour's burst on a shared host lowers
     * one try's rounds (here single tries ranged 20-27 GB/s) but never raises them */
    double b1 = 0, bn = 0;
    for (int r = 0; r < BANDWIDTH_TRIES; r++) {
        double x1 = total_rate(1, 1, 0, buf, n), xn = total_rate(threads, 1, 0, buf, n);
        if (x1 > b1) b1 = x1;
        if (xn > bn) bn = xn;
    }
    free(buf);

    printf("{\"vector_bits\": %d, \"accumulators\": %d, \"threads\": %d, "
           "\"fma_gflops_1\": %.2f, \"fma_gflops_n\": %.2f, \"buffer_mib\": %ld, "
           "\"read_gbs_1\": %.2f, \"read_gbs_n\": %.2f}\n",
           VLEN * 32, ACCS, threads, g1, gn, mib, b1, bn);
    return 0;
}
