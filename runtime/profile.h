/* runtime/profile.h — per-kernel profiling: code compiled with profiling calls
 * odin_rt_profile_begin/end(kernel index) around each kernel call of its entry function;
 * the runtime sums wall time and calls per kernel until the caller reads and resets them.
 * One model runs at a time (the entry function runs on the caller's thread). */
#ifndef ODIN_PROFILE_H
#define ODIN_PROFILE_H

#include <stdint.h>

void odin_rt_profile_begin(int32_t kernel);
void odin_rt_profile_end(int32_t kernel);

/* Forget all samples (and size the table for n kernels; 0 keeps it). */
void odin_rt_profile_reset(int n_kernels);
/* Total nanoseconds and calls of kernel k since the last reset (0 when never run). */
uint64_t odin_rt_profile_ns(int kernel);
uint64_t odin_rt_profile_calls(int kernel);

#endif
