/* runtime/report.h — what the command lines' reports share (odinc's tools and the AOT
 * executables, which link the runtime without LLVM): a monotonic clock, JSON strings and
 * the median of timings. */
#ifndef ODIN_RUNTIME_REPORT_H
#define ODIN_RUNTIME_REPORT_H

#include <stdio.h>

/* Milliseconds on the monotonic clock (differences only). */
double odin_now_ms(void);
/* text as a JSON string literal, quotes included (", \ and control bytes escaped). */
void odin_print_json_string(FILE *f, const char *text);
/* Sorts v[0..n) ascending (v[0] is then the minimum) and returns the median; 0 when n < 1. */
double odin_sort_median(double *v, int n);

#endif
