/* ir/print.h — readable graph dumps: text (one line per node, for people), DOT (for
 * Graphviz) and JSON (for programs; format in docs/dump-json.md). Printers never fail on
 * a malformed graph: bad indices print as "<bad #N>", so a dump can show what the
 * verifier rejects. */
#ifndef ODIN_PRINT_H
#define ODIN_PRINT_H

#include <stdint.h>
#include <stdio.h>

#include "graph.h"

typedef enum odin_print_format { ODIN_PRINT_TEXT, ODIN_PRINT_DOT, ODIN_PRINT_JSON } odin_print_format;

/* Print g to f; fails only when writing fails. */
odin_status odin_graph_print(const odin_graph *g, FILE *f, odin_print_format fmt);
odin_status odin_graph_print_text(const odin_graph *g, FILE *f);
odin_status odin_graph_print_dot(const odin_graph *g, FILE *f);
odin_status odin_graph_print_json(const odin_graph *g, FILE *f);
/* "text" | "dot" | "json" -> format; error naming the accepted values otherwise. */
odin_status odin_print_format_from_name(const char *name, odin_print_format *out);

/* Size of a graph, as the dumps' totals line reports it. */
typedef struct odin_graph_totals {
    int nodes;
    int tensors;
    int constants;         /* tensors with constant data */
    int64_t parameters;    /* elements of all constant tensors */
    uint64_t weight_bytes; /* bytes of all constant tensors */
} odin_graph_totals;
odin_graph_totals odin_graph_count(const odin_graph *g);

#endif
