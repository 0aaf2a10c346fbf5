/* ir/print_util.h — formatting helpers shared by the three graph printers (private to
 * ir/print_*.c). */
#ifndef ODIN_PRINT_UTIL_H
#define ODIN_PRINT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph.h"

/* Tensor t's name, or "<bad #N>" (in buf) for an index out of range. */
const char *odin_pr_tensor_name(const odin_graph *g, int t, char *buf, size_t size);
/* "f32[batch,768]" (symbolic dims by name, unknown as ?); "<bad #N>" for a bad index. */
const char *odin_pr_tensor_type(const odin_graph *g, int t, char *buf, size_t size);
/* 1234567 -> "1,234,567" */
const char *odin_pr_thousands(int64_t v, char *buf, size_t size);
/* 4928307 -> "4.7 MiB"; below 1 KiB "512 B" */
const char *odin_pr_bytes(uint64_t v, char *buf, size_t size);
/* Min, max and mean of a numeric constant; false for strings, no data or no elements. */
bool odin_pr_stats(const void *data, odin_dtype dt, int64_t numel, double *min, double *max,
                   double *mean);
/* Short attribute value, long lists abbreviated to their first elements:
 * "[0,1,2,3,4,5,...] (64)". Strings are quoted (with C escapes). */
const char *odin_pr_attr_value(const odin_attr *a, char *buf, size_t size);
/* Elements of a value "1,2,3" (at most max_elems, then ",..."). */
size_t odin_pr_elements(const void *data, odin_dtype dt, int64_t numel, int max_elems,
                        char *buf, size_t size);


/* Length of the valid UTF-8 sequence starting at s (n bytes left), 0 if invalid. */
size_t odin_pr_utf8_len(const unsigned char *s, size_t n);

#endif
