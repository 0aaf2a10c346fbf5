#include "profile_report.h"

#include <stdlib.h>
#include <string.h>

#include "../runtime/profile.h"

static double numel(const odin_graph *g, int t) {
    if (t < 0) return 0;
    int64_t n = odin_tensor_numel(&g->tensors[t]);
    return n > 0 ? (double)n : 0;
}

static double max_numel(const odin_graph *g, const odin_node *n) {
    double m = 0;
    for (int i = 0; i < n->n_outputs; i++)
        if (numel(g, n->outputs[i]) > m) m = numel(g, n->outputs[i]);
    return m;
}

/* Multiply-accumulates per element of `out` with K the reduced extent. */
double odin_node_flops(const odin_graph *g, int ni) {
    const odin_node *n = &g->nodes[ni];
    int a = n->n_inputs > 0 ? n->inputs[0] : -1;
    double out = n->n_outputs > 0 ? numel(g, n->outputs[0]) : 0;
    if (a >= 0 && g->tensors[a].rank >= 1 && (strstr(n->op, "MatMul") || strstr(n->op, "Gemm"))) {
        const odin_tensor *ta = &g->tensors[a];
        int64_t k = ta->dims[ta->rank - 1];
        if (!strcmp(n->op, "Gemm") && ta->rank == 2 && odin_attr_i(n, "transA")) k = ta->dims[0];
        return 2.0 * out * (double)(k > 0 ? k : 0);
    }
    int w = !strcmp(n->op, "QLinearConv") ? 3 : 1;
    if ((!strcmp(n->op, "Conv") || !strcmp(n->op, "FusedConv") || !strcmp(n->op, "ConvInteger") ||
         !strcmp(n->op, "QLinearConv") || !strcmp(n->op, "ConvTranspose")) &&
        n->n_inputs > w && n->inputs[w] >= 0 && g->tensors[n->inputs[w]].rank >= 1) {
        /* weight [Cout, Cin/group, k...]: each output element is numel(W)/Cout MACs;
         * ConvTranspose's weight is [Cin, Cout/group, k...] and scatters from its input. */
        const odin_tensor *tw = &g->tensors[n->inputs[w]];
        double per = tw->dims[0] > 0 ? numel(g, n->inputs[w]) / (double)tw->dims[0] : 0;
        const int64_t *ws = NULL; /* FusedConv with packed W: the Conv weight's shape */
        int wr = !strcmp(n->op, "FusedConv") && odin_attr_i(n, "w_rows") > 0 ? odin_attr_ints(n, "w_shape", &ws) : 0;
        if (wr >= 2 && ws[0] > 0) {
            per = 1;
            for (int i = 1; i < wr; i++) per *= (double)ws[i];
        }
        double elems = !strcmp(n->op, "ConvTranspose") ? numel(g, a) : out;
        return 2.0 * elems * per;
    }
    return max_numel(g, n);
}

typedef struct row {
    int kernel;
    double ms, flops, bytes;
} row;

static int by_time(const void *a, const void *b) {
    const row *x = a, *y = b;
    return x->ms > y->ms ? -1 : x->ms < y->ms ? 1 : x->kernel - y->kernel;
}

/* Bytes of the group's tensors that live in memory (inputs, outputs, weights, arena). */
static double group_bytes(const odin_graph *g, const odin_plan *plan, const int *nodes, int count) {
    double bytes = 0;
    int seen[256], n_seen = 0;
    for (int k = 0; k < count; k++) {
        const odin_node *n = &g->nodes[nodes[k]];
        for (int i = 0; i < n->n_inputs + n->n_outputs; i++) {
            int t = i < n->n_inputs ? n->inputs[i] : n->outputs[i - n->n_inputs];
            if (t < 0 || plan->place[t].kind == ODIN_STORE_NONE) continue;
            bool dup = false;
            for (int s = 0; s < n_seen && !dup; s++) dup = seen[s] == t;
            if (dup) continue;
            if (n_seen < 256) seen[n_seen++] = t;
            odin_value v = odin_tensor_value(g, t);
            bytes += (double)odin_value_nbytes(&v);
        }
    }
    return bytes;
}

/* "MatMul+Add+Relu" into buf (each op once, in order). */
static void group_ops(const odin_graph *g, const int *nodes, int count, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < count; k++) {
        const char *op = g->nodes[nodes[k]].op;
        bool dup = false;
        for (int j = 0; j < k && !dup; j++) dup = !strcmp(g->nodes[nodes[j]].op, op);
        if (dup) continue;
        int w = snprintf(buf + len, size - len, "%s%s", len ? "+" : "", op);
        if (w < 0 || len + (size_t)w >= size) break;
        len += (size_t)w;
    }
}

void odin_profile_print(FILE *f, const odin_graph *g, const odin_plan *plan, int runs) {
    row *rows = calloc(plan->n_groups ? plan->n_groups : 1, sizeof *rows);
    if (!rows || runs < 1) {
        free(rows);
        return;
    }
    double total = 0;
    for (int k = 0; k < plan->n_groups; k++) {
        const int *nodes = plan->group_nodes + plan->groups[k].first;
        rows[k].kernel = k;
        rows[k].ms = (double)odin_rt_profile_ns(k) / 1e6 / runs;
        for (int i = 0; i < plan->groups[k].count; i++) rows[k].flops += odin_node_flops(g, nodes[i]);
        rows[k].bytes = group_bytes(g, plan, nodes, plan->groups[k].count);
        total += rows[k].ms;
    }
    qsort(rows, (size_t)plan->n_groups, sizeof *rows, by_time);
    fprintf(f, "profile: %d kernels, %.4f ms per run in kernels (mean of %d run%s)\n",
            plan->n_groups, total, runs, runs == 1 ? "" : "s");
    fprintf(f, "%6s %10s %6s %9s %8s  %-24s %s\n", "kernel", "ms", "%", "GFLOP/s", "GB/s", "ops",
            "nodes");
    for (int r = 0; r < plan->n_groups; r++) {
        const row *w = &rows[r];
        const odin_kernel_group *grp = &plan->groups[w->kernel];
        const int *nodes = plan->group_nodes + grp->first;
        char ops[128], names[160];
        group_ops(g, nodes, grp->count, ops, sizeof ops);
        const char *first = g->nodes[nodes[0]].name;
        if (grp->count > 1)
            snprintf(names, sizeof names, "%s (+%d)", first && *first ? first : "?", grp->count - 1);
        else
            snprintf(names, sizeof names, "%s", first && *first ? first : "?");
        double s = w->ms / 1e3;
        fprintf(f, "%6d %10.4f %6.2f %9.2f %8.2f  %-24s %s\n", w->kernel, w->ms,
                total > 0 ? 100.0 * w->ms / total : 0.0, s > 0 ? w->flops / s / 1e9 : 0.0,
                s > 0 ? w->bytes / s / 1e9 : 0.0, ops, names);
    }
    free(rows);
}
