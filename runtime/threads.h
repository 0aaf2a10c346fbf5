/* runtime/threads.h — the thread pool generated kernels call: parallel_for splits an
 * iteration range into one contiguous chunk per thread; the calling thread takes the
 * first chunk. Default thread count: the machine's cores. */
#ifndef ODIN_THREADS_H
#define ODIN_THREADS_H

#include <stdint.h>

typedef void (*odin_range_fn)(void *ctx, int64_t lo, int64_t hi);

/* Run fn over [0, n) in chunks of at least `grain` iterations. */
void odin_rt_parallel_for(odin_range_fn fn, void *ctx, int64_t n, int64_t grain);
void odin_rt_set_threads(int n); /* 0 = number of online cores */
int odin_rt_threads(void);

#endif
