/* ops/dropout.h — Dropout's random draws in training mode: the uniform [0, 1) numbers the
 * eval compares with the ratio (numpy's legacy MT19937 seeded with the `seed` attribute),
 * so compiled code can use the very same sequence. */
#ifndef ODIN_OPS_DROPOUT_H
#define ODIN_OPS_DROPOUT_H

#include <stdint.h>

/* u[0..n): the draws for elements 0..n-1 in order (element i is kept when u[i] >= ratio). */
void odin_dropout_uniforms(int64_t seed, int64_t n, double *u);

#endif
