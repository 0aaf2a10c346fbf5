/* runtime/values.h — small services on odin_value used by the CLI and tests: seeded
 * random filling (inputs for `odinc run` without data files) and a one-line summary
 * (min / max / mean / first values) for printing results. No LLVM, no protobuf. */
#ifndef ODIN_RUNTIME_VALUES_H
#define ODIN_RUNTIME_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "../ir/graph.h"

/* Element count of a value whose dims are all known; -1 if any is unknown or the count
 * overflows. (Same as odin_value_numel, without linking the graph module.) */
int64_t odin_value_count(const odin_value *v);

/* Allocate v->data (malloc'ed, at least 1 byte) for v's dtype and dims and fill it from a
 * generator seeded with `seed`: floats uniform in [-1, 1], integers in [0, 3] (small and
 * non-negative, so they are valid indices for most inputs), bools 0/1 at random.
 * Errors for unknown dims and for strings. Same seed, same data. */
odin_status odin_value_fill_random(odin_value *v, uint64_t seed);

/* "min -0.98 max 0.97 mean 0.012 [0.25, -0.5, 0.75, ...]" (NaN / Inf counts when present;
 * first values only for strings). Writes at most `size` bytes, always NUL-terminated. */
void odin_value_summary(const odin_value *v, char *buf, size_t size);

#endif
