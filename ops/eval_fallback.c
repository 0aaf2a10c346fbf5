#include "eval_fallback.h"

#include <string.h>

#include "interpret.h"

static _Thread_local odin_status last_error;

odin_status odin_eval_fallback_take_error(void) {
    odin_status st = last_error;
    last_error = ODIN_OK;
    return st;
}

int32_t odin_rt_eval_fallback(const odin_graph *g, int64_t ni, void **ptrs) {
    const odin_node *n = &g->nodes[ni];
    odin_value in[64], out[64];
    if (n->n_inputs > 64 || n->n_outputs > 64) return 1;
    for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0) {
            in[i] = (odin_value){.dtype = ODIN_UNDEFINED, .rank = -1};
            continue;
        }
        in[i] = odin_tensor_value(g, n->inputs[i]);
        in[i].data = ptrs[i];
    }
    odin_status st = odin_eval_node(g, (int)ni, in, out);
    for (int i = 0; !st && i < n->n_outputs; i++) {
        int t = n->outputs[i];
        if (t < 0) continue;
        odin_value want = odin_tensor_value(g, t);
        size_t nb = odin_value_nbytes(&want);
        if (out[i].dtype != want.dtype || odin_value_nbytes(&out[i]) != nb)
            st = odin_errorf("node '%s' (%s): output %d does not have its compiled shape", n->name,
                             n->op, i);
        else if (nb)
            memcpy(ptrs[n->n_inputs + i], out[i].data, nb);
    }
    odin_values_free(out, n->n_outputs);
    if (st) {
        odin_status_free(last_error);
        last_error = st;
        return 1;
    }
    return 0;
}
