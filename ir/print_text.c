/* ir/print_text.c — the human-readable dump, in the spirit of MLIR/TVM:
 *
 *   graph 'mlp'  opset 21
 *   inputs:
 *     x: f32[batch,784]
 *   outputs:
 *     y: f32[batch,10]
 *   constants:
 *     w1  f32[784,256]  200,704 params  784.0 KiB  min=-0.0891 max=0.0891 mean=0.0001
 *     sh  i64[2]        = [1,-1]
 *   nodes:
 *     %0 = MatMul(x: f32[batch,784], w1: f32[784,256]) -> h: f32[batch,256]  # MatMul_0
 *   2 nodes, 200,706 parameters, 784.0 KiB weights
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "print_util.h"

enum { SMALL_CONST = 8 }; /* constants this small print their values, not statistics */

static int min_i(int a, int b) { return a < b ? a : b; }

static void print_header(const odin_graph *g, FILE *f) {
    fprintf(f, "graph '%s'  opset %d", g->name ? g->name : "", g->opset);
    if (g->opset_ms) fprintf(f, "  com.microsoft opset %d", g->opset_ms);
    fprintf(f, "\n");
    for (int i = 0; i < g->n_meta; i++)
        fprintf(f, "  meta %s = %s\n", g->meta[i].key ? g->meta[i].key : "",
                g->meta[i].value ? g->meta[i].value : "");
    char nb[64], tb[300];
    fprintf(f, "inputs:\n");
    for (int i = 0; i < g->n_inputs; i++)
        fprintf(f, "  %s: %s\n", odin_pr_tensor_name(g, g->inputs[i], nb, sizeof nb),
                odin_pr_tensor_type(g, g->inputs[i], tb, sizeof tb));
    fprintf(f, "outputs:\n");
    for (int i = 0; i < g->n_outputs; i++)
        fprintf(f, "  %s: %s\n", odin_pr_tensor_name(g, g->outputs[i], nb, sizeof nb),
                odin_pr_tensor_type(g, g->outputs[i], tb, sizeof tb));
}

static void print_constants(const odin_graph *g, FILE *f) {
    int wname = 0, wtype = 0, wparams = 0, wbytes = 0, n_const = 0;
    char tb[300], nb[64], pb[32], bb[32];
    for (int t = 0; t < g->n_tensors; t++) {
        const odin_tensor *tt = &g->tensors[t];
        if (!(tt->flags & ODIN_TENSOR_CONST)) continue;
        n_const++;
        int ln = (int)strlen(odin_pr_tensor_name(g, t, nb, sizeof nb));
        int lt = (int)strlen(odin_pr_tensor_type(g, t, tb, sizeof tb));
        int lp = (int)strlen(odin_pr_thousands(odin_tensor_numel(tt), pb, sizeof pb));
        int lb = (int)strlen(odin_pr_bytes(tt->nbytes, bb, sizeof bb));
        wname = min_i(40, ln > wname ? ln : wname);
        wtype = min_i(40, lt > wtype ? lt : wtype);
        wparams = lp > wparams ? lp : wparams;
        wbytes = lb > wbytes ? lb : wbytes;
    }
    if (!n_const) return;
    fprintf(f, "constants:\n");
    for (int t = 0; t < g->n_tensors; t++) {
        const odin_tensor *tt = &g->tensors[t];
        if (!(tt->flags & ODIN_TENSOR_CONST)) continue;
        fprintf(f, "  %-*s  %-*s", wname, odin_pr_tensor_name(g, t, nb, sizeof nb), wtype,
                odin_pr_tensor_type(g, t, tb, sizeof tb));
        int64_t numel = odin_tensor_numel(tt);
        /* trust nbytes over the shape for how much data there is to read */
        size_t esz = odin_dtype_size(tt->dtype);
        int64_t avail = esz ? (int64_t)(tt->nbytes / esz) : 0;
        int64_t readable = numel < avail ? numel : avail;
        if (!tt->data && numel != 0) {
            fprintf(f, "  (no data)\n");
        } else if (numel >= 0 && numel <= SMALL_CONST) {
            char vals[512];
            odin_pr_elements(tt->data, tt->dtype, readable, SMALL_CONST, vals, sizeof vals);
            fprintf(f, "  = [%s]\n", vals);
        } else {
            fprintf(f, "  %*s params  %*s", wparams, odin_pr_thousands(numel, pb, sizeof pb),
                    wbytes, odin_pr_bytes(tt->nbytes, bb, sizeof bb));
            double lo, hi, mean;
            if (odin_pr_stats(tt->data, tt->dtype, readable, &lo, &hi, &mean))
                fprintf(f, "  min=%.4g max=%.4g mean=%.4g", lo, hi, mean);
            if (tt->flags & ODIN_TENSOR_EXTERNAL) fprintf(f, "  (mapped)");
            fprintf(f, "\n");
        }
    }
}

static void print_operand(const odin_graph *g, int t, FILE *f) {
    char nb[64], tb[300];
    if (t == -1) {
        fprintf(f, "_");
        return;
    }
    fprintf(f, "%s: %s", odin_pr_tensor_name(g, t, nb, sizeof nb),
            odin_pr_tensor_type(g, t, tb, sizeof tb));
}

static void print_node(const odin_graph *g, int ni, int width, FILE *f) {
    const odin_node *n = &g->nodes[ni];
    char idx[16];
    snprintf(idx, sizeof idx, "%%%d", ni);
    fprintf(f, "  %*s = ", width, idx);
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0)
        fprintf(f, "%s::", n->domain);
    fprintf(f, "%s", n->op ? n->op : "<no op>");
    if (n->n_attrs > 0) {
        fprintf(f, "[");
        for (int i = 0; i < n->n_attrs; i++) {
            char vb[512];
            fprintf(f, "%s%s=%s", i ? ", " : "", n->attrs[i].name ? n->attrs[i].name : "",
                    odin_pr_attr_value(&n->attrs[i], vb, sizeof vb));
        }
        fprintf(f, "]");
    }
    fprintf(f, "(");
    for (int i = 0; i < n->n_inputs; i++) {
        if (i) fprintf(f, ", ");
        print_operand(g, n->inputs[i], f);
    }
    fprintf(f, ") -> ");
    if (n->n_outputs != 1) fprintf(f, "(");
    for (int i = 0; i < n->n_outputs; i++) {
        if (i) fprintf(f, ", ");
        print_operand(g, n->outputs[i], f);
    }
    if (n->n_outputs != 1) fprintf(f, ")");
    fprintf(f, "  # %s%s\n", n->name ? n->name : "", n->def ? "" : " (unsupported op)");
}

odin_status odin_graph_print_text(const odin_graph *g, FILE *f) {
    print_header(g, f);
    print_constants(g, f);
    fprintf(f, "nodes:\n");
    char idx[16];
    int width = snprintf(idx, sizeof idx, "%%%d", g->n_nodes > 0 ? g->n_nodes - 1 : 0);
    for (int i = 0; i < g->n_nodes; i++) print_node(g, i, width, f);
    odin_graph_totals tot = odin_graph_count(g);
    char pb[32], bb[32];
    fprintf(f, "%d node%s, %s parameters, %s weights\n", tot.nodes, tot.nodes == 1 ? "" : "s",
            odin_pr_thousands(tot.parameters, pb, sizeof pb),
            odin_pr_bytes(tot.weight_bytes, bb, sizeof bb));
    if (ferror(f)) return odin_errorf("graph '%s': writing the text dump failed", g->name);
    return ODIN_OK;
}
