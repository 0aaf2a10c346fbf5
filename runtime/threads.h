/* runtime/threads.h — the thread pool generated kernels call: parallel_for cuts an
 * iteration range into contiguous chunks that the calling thread and the pool's workers
 * claim as they come (a late worker leaves its chunks to the others). Default thread
 * count: the machine's cores. */
#ifndef ODIN_THREADS_H
#define ODIN_THREADS_H

#include <stdint.h>

typedef void (*odin_range_fn)(void *ctx, int64_t lo, int64_t hi);

/* Run fn over [0, n) in chunks of at least |grain| iterations: one chunk per thread, or
 * with a negative grain (iterations that are independent and cost nothing to start)
 * several smaller chunks per thread for load balance. Called from one thread at a time;
 * a call made while the pool is busy (nested, or from another thread) runs inline. */
void odin_rt_parallel_for(odin_range_fn fn, void *ctx, int64_t n, int64_t grain);
/* Wake sleeping workers ahead of work (a model run's start): they spin again, so the
 * run's first parallel kernel does not wait for a futex wake-up (20-100 us in a VM). */
void odin_rt_wake(void);
void odin_rt_set_threads(int n); /* 0 = number of online cores */
int odin_rt_threads(void);

#endif
