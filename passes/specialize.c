#include "specialize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/op.h"

odin_status odin_reinfer(odin_graph *g) {
    for (int n = 0; n < g->n_nodes; n++)
        if (g->nodes[n].def) ODIN_TRY(odin_infer_node(g, n));
    return ODIN_OK;
}

static odin_status bind_input(odin_graph *g, int t, int rank, const int64_t *dims) {
    odin_tensor *tt = &g->tensors[t];
    char want[160], got[160];
    odin_format_shape(want, sizeof want, tt->rank, tt->dims, tt->dim_params);
    odin_format_shape(got, sizeof got, rank, dims, NULL);
    if (tt->rank >= 0 && tt->rank != rank)
        return odin_errorf("input '%s': shape %s does not fit the declared %s", tt->name, got, want);
    for (int d = 0; d < rank; d++)
        if (dims[d] < 0 || (tt->rank >= 0 && tt->dims[d] >= 0 && tt->dims[d] != dims[d]))
            return odin_errorf("input '%s': shape %s does not fit the declared %s", tt->name, got,
                               want);
    tt->rank = rank;
    for (int d = 0; d < ODIN_MAX_RANK; d++) {
        tt->dims[d] = d < rank ? dims[d] : -1;
        tt->dim_params[d] = NULL;
    }
    return ODIN_OK;
}

odin_status odin_specialize_inputs(odin_graph *g, const odin_value *inputs) {
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        if (inputs[i].dtype != g->tensors[t].dtype)
            return odin_errorf("input '%s': expected dtype %s, got %s", g->tensors[t].name,
                               odin_dtype_name(g->tensors[t].dtype), odin_dtype_name(inputs[i].dtype));
        ODIN_TRY(bind_input(g, t, inputs[i].rank, inputs[i].dims));
    }
    return odin_reinfer(g);
}

odin_status odin_specialize_binding(odin_graph *g, const char *binding) {
    const char *eq = strchr(binding, '=');
    if (!eq) return odin_errorf("--shape '%s': expected NAME=d0,d1,...", binding);
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(eq - binding), binding);
    int t = odin_graph_find_tensor(g, name);
    if (t < 0 || !(g->tensors[t].flags & ODIN_TENSOR_INPUT))
        return odin_errorf("--shape: '%s' is not a graph input", name);
    int64_t dims[ODIN_MAX_RANK];
    int rank = 0;
    const char *p = eq + 1;
    while (*p) {
        if (rank == ODIN_MAX_RANK) return odin_errorf("--shape '%s': too many dims", binding);
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || errno || v < 0)
            return odin_errorf("--shape '%s': '%s' is not a dimension", binding, p);
        dims[rank++] = v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return odin_errorf("--shape '%s': unexpected '%c'", binding, *end);
    }
    ODIN_TRY(bind_input(g, t, rank, dims));
    return odin_reinfer(g);
}
