/* tools/profile_report.h — the table `odinc run --profile` prints: compiled kernels sorted
 * by their share of the time, with their ops and node names, time per run, share,
 * GFLOP/s (FLOPs estimated per op: MatMul/Gemm 2·M·N·K, Conv 2·out·(Cin/group)·kernel,
 * anything else 1 per output element) and GB/s (bytes of the tensors the kernel reads and
 * writes in memory). */
#ifndef ODIN_PROFILE_REPORT_H
#define ODIN_PROFILE_REPORT_H

#include <stdio.h>

#include "../passes/plan.h"

/* Estimated floating-point (or integer) operations of node ni per run. */
double odin_node_flops(const odin_graph *g, int ni);
/* Print the samples of runtime/profile.h for plan's kernels, averaged over `runs`. */
void odin_profile_print(FILE *f, const odin_graph *g, const odin_plan *plan, int runs);

#endif
