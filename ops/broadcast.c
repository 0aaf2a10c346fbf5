/* ops/broadcast.c — numpy broadcasting of several inputs (see broadcast.h). */
#include "broadcast.h"

#include <string.h>

odin_status odin_bcast_shape(const odin_value *ins, int n, int *rank, int64_t *dims) {
    if (n < 1) return odin_errorf("broadcast needs at least one input");
    odin_value acc = ins[0];
    acc.data = NULL;
    for (int k = 1; k < n; k++) {
        int r;
        int64_t d[ODIN_MAX_RANK];
        odin_status st = odin_broadcast_shape(&acc, &ins[k], &r, d);
        if (st) return odin_status_prefix(st, "inputs 0..%d", k);
        acc.rank = r;
        for (int i = 0; i < ODIN_MAX_RANK; i++) acc.dims[i] = i < r ? d[i] : -1;
    }
    *rank = acc.rank;
    for (int i = 0; i < acc.rank; i++) dims[i] = acc.dims[i];
    return ODIN_OK;
}

odin_status odin_bcast_init(odin_bcast *b, const odin_value *ins, int n) {
    if (n < 1 || n > ODIN_BCAST_MAX_IN)
        return odin_errorf("broadcast of %d inputs (1..%d supported)", n, ODIN_BCAST_MAX_IN);
    memset(b, 0, sizeof *b);
    b->n_in = n;
    int r = 0;
    for (int k = 0; k < n; k++) {
        if (ins[k].rank < 0 || ins[k].rank > ODIN_MAX_RANK)
            return odin_errorf("input %d has an unknown rank", k);
        if (ins[k].rank > r) r = ins[k].rank;
    }
    b->rank = r;
    for (int d = 0; d < r; d++) {
        int64_t dim = 1;
        for (int k = 0; k < n; k++) {
            int id = d - (r - ins[k].rank);
            int64_t dk = id >= 0 ? ins[k].dims[id] : 1;
            if (dk < 0) return odin_errorf("input %d has an unknown dim %d", k, id);
            if (dk == dim || dk == 1) continue;
            if (dim == 1) {
                dim = dk;
                continue;
            }
            char sa[128], sb[128];
            int other = 0;
            for (int j = 0; j < k; j++) {
                int ij = d - (r - ins[j].rank);
                if (ij >= 0 && ins[j].dims[ij] == dim) other = j;
            }
            return odin_errorf("input %d shape %s and input %d shape %s are not broadcastable",
                               other, odin_shape_str(&ins[other], sa, sizeof sa), k,
                               odin_shape_str(&ins[k], sb, sizeof sb));
        }
        b->dims[d] = dim;
    }
    b->numel = 1;
    for (int d = 0; d < r; d++) b->numel *= b->dims[d];
    for (int k = 0; k < n; k++) {
        int64_t s = 1;
        for (int d = r - 1; d >= 0; d--) {
            int id = d - (r - ins[k].rank);
            int64_t dk = id >= 0 ? ins[k].dims[id] : 1;
            b->strides[k][d] = (dk == 1) ? 0 : s;
            s *= dk;
        }
    }
    return ODIN_OK;
}

void odin_bcast_index(const odin_bcast *b, int64_t flat, int64_t *idx) {
    for (int k = 0; k < b->n_in; k++) idx[k] = 0;
    for (int d = b->rank - 1; d >= 0; d--) {
        int64_t p = b->dims[d] ? flat % b->dims[d] : 0;
        flat = b->dims[d] ? flat / b->dims[d] : 0;
        for (int k = 0; k < b->n_in; k++) idx[k] += p * b->strides[k][d];
    }
}
