/* passes/fold.c — constant folding through the ops' reference kernels. A node whose inputs
 * are all compile-time constants is evaluated once (odin_eval_node) and its outputs become
 * constant tensors. Shape and Size of a tensor with a static shape fold even when its data
 * is not known: exported PyTorch models compute Reshape targets through
 * Shape -> Gather -> Unsqueeze -> Concat chains, and folding them is what gives codegen
 * static shapes. One sweep in node order re-infers each node before deciding, so a shape
 * made static by an earlier fold lets a later Shape fold in the same sweep. */
#include <stdlib.h>
#include <string.h>

#include "../ir/edit.h"
#include "../ops/interpret.h"
#include "pass.h"

static bool is_default_domain(const odin_node *n) {
    return !*n->domain || strcmp(n->domain, "ai.onnx") == 0;
}

static bool static_shape(const odin_tensor *t) {
    return t->rank >= 0 && odin_tensor_numel(t) >= 0;
}

/* Shape/Size read only their input's dims, which a static shape fixes. */
static bool is_shape_query(const odin_graph *g, const odin_node *n) {
    if (!is_default_domain(n) || n->n_inputs != 1 || n->inputs[0] < 0) return false;
    if (strcmp(n->op, "Shape") != 0 && strcmp(n->op, "Size") != 0) return false;
    return static_shape(&g->tensors[n->inputs[0]]);
}

static bool inputs_constant(const odin_graph *g, const odin_node *n) {
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] >= 0 && !odin_pass_is_const(g, n->inputs[i])) return false;
    return true;
}

/* Bytes the node's outputs would take by their (just inferred) types; SIZE_MAX when some
 * output is not static yet (then the evaluated result is checked instead). */
static size_t predicted_bytes(const odin_graph *g, const odin_node *n) {
    size_t total = 0;
    for (int i = 0; i < n->n_outputs; i++) {
        int t = n->outputs[i];
        if (t < 0) continue;
        int64_t numel = odin_tensor_numel(&g->tensors[t]);
        if (numel < 0 || g->tensors[t].dtype == ODIN_UNDEFINED) return SIZE_MAX;
        total += (size_t)numel * odin_dtype_size(g->tensors[t].dtype);
    }
    return total;
}

/* Evaluates node ni and turns its outputs into constants. *folded false: left as is (eval
 * failed — the run-time error is the interpreter's to report — or the result is too big
 * or holds strings). */
static odin_status fold_node(odin_graph *g, int ni, bool *folded) {
    odin_node *n = &g->nodes[ni];
    *folded = false;
    odin_value in[64], out[64];
    if (n->n_inputs > 64 || n->n_outputs > 64) return ODIN_OK;
    for (int i = 0; i < n->n_inputs; i++) {
        in[i] = odin_tensor_value(g, n->inputs[i]); /* -1: the "omitted" value */
        /* Shape/Size of a non-constant input: the kernel reads only the dims */
        if (n->inputs[i] >= 0 && !odin_pass_is_const(g, n->inputs[i])) in[i].data = NULL;
    }
    odin_status st = odin_eval_node(g, ni, in, out);
    if (st) {
        odin_status_free(st);
        return ODIN_OK;
    }
    size_t total = 0;
    bool ok = true;
    for (int i = 0; i < n->n_outputs; i++) {
        if (n->outputs[i] < 0) continue;
        if (out[i].dtype == ODIN_STRING || out[i].dtype == ODIN_UNDEFINED) ok = false;
        total += odin_value_nbytes(&out[i]);
    }
    if (ok && total <= ODIN_FOLD_MAX_BYTES) {
        for (int i = 0; i < n->n_outputs && !st; i++) {
            int t = n->outputs[i];
            if (t < 0) continue;
            odin_tensor *tt = &g->tensors[t];
            tt->dtype = out[i].dtype;
            tt->rank = out[i].rank;
            for (int d = 0; d < ODIN_MAX_RANK; d++) {
                tt->dims[d] = d < out[i].rank ? out[i].dims[d] : -1;
                tt->dim_params[d] = NULL;
            }
            st = odin_tensor_set_data(g, t, out[i].data, odin_value_nbytes(&out[i]));
        }
        *folded = !st;
    }
    odin_values_free(out, n->n_outputs);
    return st;
}

odin_status odin_pass_fold(odin_graph *g, bool *changed) {
    *changed = false;
    bool *dead = calloc(g->n_nodes ? g->n_nodes : 1, sizeof *dead);
    if (!dead) return odin_errorf("out of memory");
    odin_status st = ODIN_OK;
    int n_folded = 0;
    for (int ni = 0; ni < g->n_nodes && !st; ni++) {
        const odin_node *n = &g->nodes[ni];
        if (!n->def || !n->def->eval || odin_pass_op_is_random(n)) continue;
        /* Refresh the types from inputs folded so far; a failure keeps the recorded ones
         * (folding must not reject a graph the interpreter can run). */
        if (n->def->infer) odin_status_free(odin_infer_node(g, ni));
        if (!inputs_constant(g, n) && !is_shape_query(g, n)) continue;
        size_t predicted = predicted_bytes(g, n);
        if (predicted != SIZE_MAX && predicted > ODIN_FOLD_MAX_BYTES) continue;
        bool folded = false;
        st = odin_status_prefix(fold_node(g, ni, &folded), "node '%s' (%s)", n->name, n->op);
        if (folded) {
            odin_pass_kill_node(g, ni, dead);
            n_folded++;
        }
    }
    if (!st && n_folded) {
        st = odin_graph_remove_nodes(g, dead);
        *changed = true;
    }
    free(dead);
    return st;
}
