/* passes/pass.h — the pass manager: a registry of named graph-to-graph passes and the
 * pipelines that the -O levels run (-O0 nothing; -O1 canonicalize, fold, fuse-attention, dce; -O2 adds
 * simplify, cse, fuse-conv, winograd (3x3 convs) pack (weights into GEMM panels) and fuse-gemm; -O3 iterates the -O2
 * passes to a fixed point). Options print the graph after chosen passes and verify it
 * after every pass, so a broken rewrite is reported by the pass that made it. */
#ifndef ODIN_PASS_H
#define ODIN_PASS_H

#include <stdbool.h>
#include <stdio.h>

#include "../ir/graph.h"

/* A pass rewrites g in place and sets *changed when it changed anything. On error the
 * graph may be partly rewritten but is still safe to free. */
typedef odin_status (*odin_pass_fn)(odin_graph *g, bool *changed);

typedef struct odin_pass {
    const char *name;
    const char *doc; /* one line for listings */
    odin_pass_fn run;
} odin_pass;

#define ODIN_PASS_MAX_PRINT 16

typedef struct odin_pass_options {
    int opt_level;         /* 0..3 */
    const char *pipeline;  /* comma-separated pass names run instead of the level's, or NULL */
    const char *print_after[ODIN_PASS_MAX_PRINT]; /* pass names (--print-after=NAME) */
    int n_print_after;
    bool print_after_all;  /* --print-after-all */
    bool verify;           /* odin_graph_verify after every pass */
    FILE *print_to;        /* where dumps go; NULL = stderr */
} odin_pass_options;

/* -O2, no printing, verification on in debug builds (without NDEBUG). */
odin_pass_options odin_pass_defaults(void);

/* Parse one command-line argument into o: "-O0".."-O3", "--print-after=NAME",
 * "--print-after-all", "--verify-each", "--passes=a,b,c". *matched tells whether arg
 * was a pass option at all; errors name the argument (unknown pass, bad level). */
odin_status odin_pass_parse_arg(odin_pass_options *o, const char *arg, bool *matched);

/* Registry. */
const odin_pass *odin_pass_find(const char *name); /* NULL if unknown */
const odin_pass *const *odin_pass_all(int *count);

/* Run one pass with o's printing and verification. */
odin_status odin_run_pass(odin_graph *g, const odin_pass *p, const odin_pass_options *o,
                          bool *changed);
/* Run the pipeline o selects (o NULL: odin_pass_defaults()). */
odin_status odin_run_passes(odin_graph *g, const odin_pass_options *o);

/* The passes (passes/<name>.c). */
odin_status odin_pass_canonicalize(odin_graph *g, bool *changed);
odin_status odin_pass_fold(odin_graph *g, bool *changed);
odin_status odin_pass_dce(odin_graph *g, bool *changed);
odin_status odin_pass_cse(odin_graph *g, bool *changed);
odin_status odin_pass_simplify(odin_graph *g, bool *changed);
odin_status odin_pass_pack(odin_graph *g, bool *changed);
odin_status odin_pass_fuse_conv(odin_graph *g, bool *changed);
odin_status odin_pass_winograd(odin_graph *g, bool *changed);
odin_status odin_pass_fuse_gemm(odin_graph *g, bool *changed);
odin_status odin_pass_fuse_attention(odin_graph *g, bool *changed);

/* Largest output constant folding creates, in bytes: bigger results stay computed at run
 * time rather than bloat the weights. */
#define ODIN_FOLD_MAX_BYTES ((size_t)64 << 20)

/* Shared by the passes (passes/pass_util.c). */
/* A tensor whose value is known at compile time: constant data, not a graph input (an
 * initializer listed as an input can be overridden by the caller). */
bool odin_pass_is_const(const odin_graph *g, int t);
/* Ops whose result is not a function of their inputs and attributes (random ops). */
bool odin_pass_op_is_random(const odin_node *n);
/* Make every use of y read x instead, for removing a node that computes y == x. When y is a
 * graph output it keeps its name: x's producer is retargeted to write y. Returns false
 * (and changes nothing) when that is impossible. Types are the caller's to check. */
bool odin_pass_forward(odin_graph *g, int y, int x);
/* Whether odin_pass_forward(g, y, x) would succeed. */
bool odin_pass_can_forward(const odin_graph *g, int y, int x);
/* Detach node ni (inputs and outputs set to -1) and mark it in dead[]; passes remove the
 * marked nodes at the end with odin_graph_remove_nodes. */
void odin_pass_kill_node(odin_graph *g, int ni, bool *dead);
/* True when tensors a and b have the same dtype and the same fully known shape. */
bool odin_pass_same_static_type(const odin_graph *g, int a, int b);

/* Shared by the fusion passes (passes/fuse_util.c). */
/* The one node reading tensor t (through one or several of its inputs) when no other node
 * reads it and t is no graph output, else -1. */
int odin_pass_only_reader(const odin_graph *g, int t);
/* Both float32 with the same fully known shape. */
bool odin_pass_same_f32_shape(const odin_tensor *a, const odin_tensor *b);
/* Relu, or Clip with constant bounds, on float32: sets the clamp [lo, hi] an epilogue
 * applies instead. */
bool odin_pass_clamp_bounds(const odin_graph *g, const odin_node *n, float *lo, float *hi);
/* What a kernel writing y can absorb into its epilogue: the Add of a same-shape residual
 * (then, optionally, a Relu/Clip of the sum), or a Relu/Clip alone; each node the only
 * reader of its input and not marked in dead[]. `last` is the node whose output the fused
 * kernel writes; `add` the Add (-1: none), `residual` its other input. */
typedef struct odin_epilogue_match {
    int last, add, residual;
    float lo, hi;
} odin_epilogue_match;
bool odin_pass_match_epilogue(const odin_graph *g, int y, const bool *dead, odin_epilogue_match *m);
/* Turns node ni, in place, into ai.odin `op` reading ins[0..n_in) with the attributes keep
 * (already in g's arena, e.g. another node's) followed by copies of add. */
odin_status odin_pass_retarget(odin_graph *g, int ni, const char *op, const int *ins, int n_in,
                               const odin_attr *keep, int n_keep, const odin_attr *add, int n_add);
/* Rewrites m->last into the fused node computing producer + epilogue m. */
typedef odin_status (*odin_epilogue_rewrite)(odin_graph *g, int producer, const odin_epilogue_match *m);
/* For every live node producer_ok accepts whose output ends in an epilogue
 * (odin_pass_match_epilogue): rewrite, then mark the producer and a separate Add dead
 * (counted in n_dead) and set *changed. */
odin_status odin_pass_fuse_epilogues(odin_graph *g, bool *dead,
                                     bool (*producer_ok)(const odin_graph *, const odin_node *),
                                     odin_epilogue_rewrite rewrite, int *n_dead, bool *changed);

#endif
