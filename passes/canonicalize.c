/* passes/canonicalize.c — put a graph in the form the other passes expect: Constant nodes
 * become constant tensors (so "all inputs constant" is a flag test), and every node's
 * output dtype/shape is re-inferred from its inputs in order (imported value_info may be
 * stale or partial; passes and codegen trust the recorded shapes). */
#include <stdlib.h>
#include <string.h>

#include "../ir/edit.h"
#include "../ops/interpret.h"
#include "pass.h"

static bool is_constant_node(const odin_node *n) {
    return strcmp(n->op, "Constant") == 0 && (!*n->domain || !strcmp(n->domain, "ai.onnx")) &&
           n->def && n->def->eval && n->n_inputs == 0 && n->n_outputs == 1 &&
           n->outputs[0] >= 0;
}

/* Evaluates a Constant node into its output tensor. False (nothing changed) for string
 * constants: their data are pointers, which constant tensors do not own. */
static odin_status materialize(odin_graph *g, int ni, bool *done) {
    odin_value out;
    *done = false;
    ODIN_TRY(odin_eval_node(g, ni, NULL, &out));
    int t = g->nodes[ni].outputs[0];
    odin_status st = ODIN_OK;
    if (out.dtype != ODIN_STRING) {
        odin_tensor *tt = &g->tensors[t];
        tt->dtype = out.dtype;
        tt->rank = out.rank;
        for (int d = 0; d < ODIN_MAX_RANK; d++) {
            tt->dims[d] = d < out.rank ? out.dims[d] : -1;
            tt->dim_params[d] = NULL;
        }
        st = odin_tensor_set_data(g, t, out.data, odin_value_nbytes(&out));
        *done = !st;
    }
    odin_values_free(&out, 1);
    return st;
}

/* Tensor types as a flat record, to tell whether re-inference changed anything. */
typedef struct type_rec {
    odin_dtype dtype;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
} type_rec;

static type_rec type_of(const odin_tensor *t) {
    type_rec r;
    memset(&r, 0, sizeof r); /* padding too: records are compared with memcmp */
    r.dtype = t->dtype;
    r.rank = t->rank;
    memcpy(r.dims, t->dims, sizeof r.dims);
    return r;
}

odin_status odin_pass_canonicalize(odin_graph *g, bool *changed) {
    *changed = false;
    bool *dead = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *dead);
    type_rec *before = malloc(sizeof *before * (size_t)(g->n_tensors ? g->n_tensors : 1));
    odin_status st = dead && before ? ODIN_OK : odin_errorf("out of memory");
    int n_dead = 0;
    for (int ni = 0; ni < g->n_nodes && !st; ni++) {
        if (!is_constant_node(&g->nodes[ni])) continue;
        bool done = false;
        st = materialize(g, ni, &done);
        if (done) {
            odin_pass_kill_node(g, ni, dead);
            n_dead++;
        }
    }
    if (!st && n_dead) {
        st = odin_graph_remove_nodes(g, dead);
        *changed = true;
    }
    if (!st) {
        for (int t = 0; t < g->n_tensors; t++) before[t] = type_of(&g->tensors[t]);
        /* A node whose inference fails keeps its recorded types: canonicalizing must not
         * reject a graph the interpreter can run. */
        for (int ni = 0; ni < g->n_nodes; ni++)
            if (g->nodes[ni].def) odin_status_free(odin_infer_node(g, ni));
        for (int t = 0; t < g->n_tensors && !*changed; t++) {
            type_rec now = type_of(&g->tensors[t]);
            if (memcmp(&now, &before[t], sizeof now) != 0) *changed = true;
        }
    }
    free(dead);
    free(before);
    return st;
}
