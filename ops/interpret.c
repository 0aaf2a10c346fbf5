#include "interpret.h"

#include <stdlib.h>
#include <string.h>

static void *malloc_zeroed(void *state, size_t bytes) {
    (void)state;
    return calloc(1, bytes ? bytes : 1);
}

void odin_values_free(odin_value *v, int n) {
    for (int i = 0; i < n; i++) {
        free(v[i].data);
        v[i].data = NULL;
    }
}

odin_status odin_eval_node(const odin_graph *g, int ni, const odin_value *in, odin_value *out) {
    const odin_node *n = &g->nodes[ni];
    if (!n->def)
        return odin_errorf("node '%s' (%s): unsupported op (domain '%s')", n->name, n->op,
                           n->domain);
    if (!n->def->eval)
        return odin_errorf("node '%s' (%s): op has no reference kernel", n->name, n->op);
    for (int i = 0; i < n->n_outputs; i++) out[i] = (odin_value){.dtype = ODIN_UNDEFINED, .rank = -1};
    odin_op_ctx ctx = {.node = n, .opset = g->opset, .n_in = n->n_inputs,
                       .n_out = n->n_outputs, .in = in, .out = out,
                       .alloc = malloc_zeroed};
    odin_status st = n->def->eval(&ctx);
    if (st) {
        odin_values_free(out, n->n_outputs);
        return odin_status_prefix(st, "node '%s' (%s)", n->name, n->op);
    }
    for (int i = 0; i < n->n_outputs; i++)
        if (!out[i].data && n->outputs[i] >= 0) {
            odin_values_free(out, n->n_outputs);
            return odin_errorf("node '%s' (%s): eval left output %d unset", n->name, n->op, i);
        }
    return ODIN_OK;
}

odin_status odin_interpret(const odin_graph *g, const odin_value *inputs, int n_inputs,
                           odin_value *outputs) {
    if (n_inputs != g->n_inputs)
        return odin_errorf("graph '%s' takes %d inputs, %d given", g->name, g->n_inputs,
                           n_inputs);
    odin_value *vals = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *vals);
    bool *owned = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *owned);
    int *uses = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *uses);
    odin_status st = ODIN_OK;
    if (!vals || !owned || !uses) {
        st = odin_errorf("out of memory");
        goto done;
    }
    for (int t = 0; t < g->n_tensors; t++) {
        vals[t] = odin_tensor_value(g, t);
        if (!(g->tensors[t].flags & ODIN_TENSOR_CONST)) vals[t].data = NULL;
    }
    for (int i = 0; i < n_inputs; i++) {
        int t = g->inputs[i];
        const odin_tensor *tt = &g->tensors[t];
        const odin_value *v = &inputs[i];
        if (v->dtype != tt->dtype) {
            st = odin_errorf("input '%s': expected dtype %s, got %s", tt->name,
                             odin_dtype_name(tt->dtype), odin_dtype_name(v->dtype));
            goto done;
        }
        bool ok = tt->rank < 0 || tt->rank == v->rank;
        for (int d = 0; ok && tt->rank >= 0 && d < tt->rank; d++)
            if (tt->dims[d] >= 0 && tt->dims[d] != v->dims[d]) ok = false;
        if (!ok) {
            char want[128], got[128];
            odin_format_shape(want, sizeof want, tt->rank, tt->dims, tt->dim_params);
            odin_format_shape(got, sizeof got, v->rank, v->dims, NULL);
            st = odin_errorf("input '%s': expected shape %s, got %s", tt->name, want, got);
            goto done;
        }
        vals[t] = *v;
    }
    /* Count uses so intermediates are freed after their last reader. */
    for (int ni = 0; ni < g->n_nodes; ni++)
        for (int i = 0; i < g->nodes[ni].n_inputs; i++)
            if (g->nodes[ni].inputs[i] >= 0) uses[g->nodes[ni].inputs[i]]++;
    for (int i = 0; i < g->n_outputs; i++) uses[g->outputs[i]]++;

    for (int ni = 0; ni < g->n_nodes && !st; ni++) {
        const odin_node *n = &g->nodes[ni];
        odin_value in[64], out[64];
        if (n->n_inputs > 64 || n->n_outputs > 64) {
            st = odin_errorf("node '%s' (%s): too many inputs or outputs", n->name, n->op);
            break;
        }
        for (int i = 0; i < n->n_inputs; i++) {
            int t = n->inputs[i];
            if (t < 0) {
                in[i] = (odin_value){.dtype = ODIN_UNDEFINED, .rank = -1};
                continue;
            }
            if (!vals[t].data && odin_value_numel(&vals[t]) != 0) {
                st = odin_errorf("node '%s' (%s): input '%s' has no value yet (graph not in "
                                 "topological order?)", n->name, n->op, g->tensors[t].name);
                break;
            }
            in[i] = vals[t];
        }
        if (st) break;
        st = odin_eval_node(g, ni, in, out);
        if (st) break;
        for (int i = 0; i < n->n_outputs; i++) {
            int t = n->outputs[i];
            if (t < 0) {
                free(out[i].data);
                continue;
            }
            if (owned[t]) free(vals[t].data);
            vals[t] = out[i];
            owned[t] = true;
        }
        for (int i = 0; i < n->n_inputs; i++) {
            int t = n->inputs[i];
            if (t >= 0 && --uses[t] == 0 && owned[t]) {
                free(vals[t].data);
                vals[t].data = NULL;
                owned[t] = false;
            }
        }
    }
    /* Outputs: hand over owned buffers; copy constants, inputs and repeated outputs. */
    for (int i = 0; i < g->n_outputs && !st; i++) {
        int t = g->outputs[i];
        outputs[i] = vals[t];
        if (owned[t]) {
            owned[t] = false;
            continue;
        }
        size_t nb = odin_value_nbytes(&vals[t]);
        outputs[i].data = malloc(nb ? nb : 1);
        if (!outputs[i].data) {
            st = odin_errorf("out of memory");
            odin_values_free(outputs, i);
            break;
        }
        if (nb) memcpy(outputs[i].data, vals[t].data, nb);
    }
done:
    if (vals && owned)
        for (int t = 0; t < g->n_tensors; t++)
            if (owned[t]) free(vals[t].data);
    free(vals);
    free(owned);
    free(uses);
    return st;
}
