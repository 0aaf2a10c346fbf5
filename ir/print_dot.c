/* ir/print_dot.c — Graphviz dump: ops are boxes (op, name, a few attributes), graph inputs
 * ellipses, constants notes, graph outputs double octagons, tensors with no producer
 * that are neither (a malformed graph) red plain text; edges carry dtype + shape. */
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "print_util.h"

enum { KEY_ATTRS = 3, ATTR_CHARS = 40 };

/* Text for inside a double-quoted DOT string: quotes and backslashes escaped, newlines as
 * \n, other control characters and invalid UTF-8 replaced, so any name gives valid DOT. */
static void put_esc(FILE *f, const char *s) {
    if (!s) return;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fprintf(f, "\\n");
        else if (c < 0x20 || c == 0x7f) fputc(' ', f);
        else if (c >= 0x80) {
            size_t len = odin_pr_utf8_len((const unsigned char *)s + i, n - i);
            if (!len) {
                fputc('?', f);
                i++;
            } else {
                fwrite(s + i, 1, len, f);
                i += len;
            }
            continue;
        } else fputc(c, f);
        i++;
    }
}

static bool valid_tensor(const odin_graph *g, int t) { return t >= 0 && t < g->n_tensors; }

/* The DOT node an edge carrying tensor t starts from: its producer or the tensor itself. */
static void put_source(const odin_graph *g, int t, FILE *f) {
    int p = g->tensors[t].producer;
    if (p >= 0 && p < g->n_nodes) fprintf(f, "n%d", p);
    else fprintf(f, "t%d", t);
}

static void put_edge_label(const odin_graph *g, int t, FILE *f) {
    char tb[300];
    fprintf(f, " [label=\"");
    put_esc(f, odin_pr_tensor_type(g, t, tb, sizeof tb));
    fprintf(f, "\"]");
}

static void print_tensor_nodes(const odin_graph *g, FILE *f) {
    char tb[300];
    /* tensors referenced by some node or output but written by none */
    char *used = calloc((size_t)(g->n_tensors ? g->n_tensors : 1), 1);
    if (!used) return;
    for (int ni = 0; ni < g->n_nodes; ni++)
        for (int i = 0; i < g->nodes[ni].n_inputs; i++)
            if (valid_tensor(g, g->nodes[ni].inputs[i])) used[g->nodes[ni].inputs[i]] = 1;
    for (int i = 0; i < g->n_outputs; i++)
        if (valid_tensor(g, g->outputs[i])) used[g->outputs[i]] = 1;
    for (int t = 0; t < g->n_tensors; t++) {
        const odin_tensor *tt = &g->tensors[t];
        int p = tt->producer;
        if (p >= 0 && p < g->n_nodes) continue;
        const char *style;
        if (tt->flags & ODIN_TENSOR_INPUT)
            style = "shape=ellipse, style=filled, fillcolor=\"#cfe3ff\"";
        else if (tt->flags & ODIN_TENSOR_CONST)
            style = "shape=note, style=filled, fillcolor=\"#fff4c2\"";
        else if (used[t]) style = "shape=plaintext, fontcolor=red";
        else continue;
        fprintf(f, "  t%d [%s, label=\"", t, style);
        put_esc(f, tt->name);
        fprintf(f, "\\n");
        put_esc(f, odin_pr_tensor_type(g, t, tb, sizeof tb));
        fprintf(f, "\"];\n");
    }
    free(used);
}

static void print_op_node(const odin_graph *g, int ni, FILE *f) {
    const odin_node *n = &g->nodes[ni];
    fprintf(f, "  n%d [shape=box, style=\"rounded,filled\", fillcolor=\"%s\", label=\"", ni,
            n->def ? "#eeeeee" : "#ffc9c9");
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0) {
        put_esc(f, n->domain);
        fprintf(f, "::");
    }
    put_esc(f, n->op);
    fprintf(f, "\\n");
    put_esc(f, n->name);
    for (int i = 0; i < n->n_attrs && i < KEY_ATTRS; i++) {
        char vb[512];
        odin_pr_attr_value(&n->attrs[i], vb, sizeof vb);
        if (strlen(vb) > ATTR_CHARS) strcpy(vb + ATTR_CHARS - 3, "...");
        fprintf(f, "\\n");
        put_esc(f, n->attrs[i].name);
        fprintf(f, "=");
        put_esc(f, vb);
    }
    if (n->n_attrs > KEY_ATTRS) fprintf(f, "\\n(+%d attrs)", n->n_attrs - KEY_ATTRS);
    fprintf(f, "\"];\n");
}

odin_status odin_graph_print_dot(const odin_graph *g, FILE *f) {
    fprintf(f, "digraph \"");
    put_esc(f, g->name);
    fprintf(f, "\" {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n"
               "  edge [fontname=\"Helvetica\", fontsize=9];\n");
    print_tensor_nodes(g, f);
    for (int ni = 0; ni < g->n_nodes; ni++) print_op_node(g, ni, f);
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const odin_node *n = &g->nodes[ni];
        for (int i = 0; i < n->n_inputs; i++) {
            int t = n->inputs[i];
            if (!valid_tensor(g, t)) continue;
            fprintf(f, "  ");
            put_source(g, t, f);
            fprintf(f, " -> n%d", ni);
            put_edge_label(g, t, f);
            fprintf(f, ";\n");
        }
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        if (!valid_tensor(g, t)) continue;
        fprintf(f, "  o%d [shape=doubleoctagon, style=filled, fillcolor=\"#d3f5d3\", label=\"", i);
        put_esc(f, g->tensors[t].name);
        fprintf(f, "\"];\n  ");
        put_source(g, t, f);
        fprintf(f, " -> o%d", i);
        put_edge_label(g, t, f);
        fprintf(f, ";\n");
    }
    odin_graph_totals tot = odin_graph_count(g);
    char pb[32], bb[32];
    fprintf(f, "  label=\"%d nodes, %s parameters, %s weights\";\n  labelloc=b;\n}\n", tot.nodes,
            odin_pr_thousands(tot.parameters, pb, sizeof pb),
            odin_pr_bytes(tot.weight_bytes, bb, sizeof bb));
    if (ferror(f)) return odin_errorf("graph '%s': writing the DOT dump failed", g->name);
    return ODIN_OK;
}
