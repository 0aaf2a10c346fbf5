/* codegen/lm_entries.c — the decode and prefill specializations of an LM graph and the
 * weights blob they share (codegen/lm_entries.h). */
#include "lm_entries.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../passes/specialize.h"

bool odin_graph_is_lm(const odin_graph *g) {
    bool tokens = false, logits = false;
    for (int i = 0; i < g->n_inputs; i++) {
        const odin_tensor *t = &g->tensors[g->inputs[i]];
        if (t->name && !strcmp(t->name, "tokens") && t->rank == 2 && t->dims[1] < 0) tokens = true;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const odin_tensor *t = &g->tensors[g->outputs[i]];
        if (t->name && !strcmp(t->name, "logits")) logits = true;
    }
    return tokens && logits;
}

/* Bind every symbolic input dim to 1, the token count to T; then the passes. */
static odin_status specialize(odin_graph *g, const odin_lm_layout *l, int T,
                              const odin_pass_options *po) {
    odin_value *vals = calloc((size_t)g->n_inputs + 1, sizeof *vals);
    if (!vals) return odin_errorf("out of memory");
    odin_lm_input_shapes(g, l, T, vals);
    odin_status st = odin_specialize_inputs(g, vals);
    free(vals);
    if (!st) st = odin_run_passes(g, po);
    return odin_status_prefix(st, "the %s program (seq = %d)", T == 1 ? "decode" : "prefill", T);
}

odin_status odin_lm_entries_make(odin_graph *decode, odin_graph *prefill, int chunk,
                                 const odin_pass_options *po, odin_lm_entries *out) {
    memset(out, 0, sizeof *out);
    out->g[0] = decode;
    out->g[1] = prefill;
    out->T[0] = 1;
    out->T[1] = chunk;
    odin_status st = chunk >= 2 ? ODIN_OK : odin_errorf("the prefill chunk must be at least 2 tokens, got %d", chunk);
    if (!st && !odin_graph_is_lm(decode))
        st = odin_errorf("not a language-model graph with a symbolic sequence length (input "
                         "'tokens' [1, seq], output 'logits')");
    if (!st) st = odin_lm_layout_of(decode, false, &out->layout);
    if (!st) st = specialize(decode, &out->layout, 1, po);
    if (!st) st = specialize(prefill, &out->layout, chunk, po);
    if (!st) {
        const odin_tensor *t = &prefill->tensors[prefill->outputs[out->layout.logits]];
        if (t->rank != 3 || (t->dims[1] != 1 && t->dims[1] != chunk))
            st = odin_errorf("output 'logits' of the prefill program is not [1,1,vocab] or "
                             "[1,%d,vocab]", chunk);
        else {
            out->layout.all_logits = t->dims[1] == chunk;
            out->layout.logits_rows_unknown = false;
        }
    }
    if (st) odin_lm_entries_free(out);
    return st;
}

void odin_lm_entries_free(odin_lm_entries *e) {
    odin_graph_free(e->g[0]);
    odin_graph_free(e->g[1]);
    odin_lm_layout_free(&e->layout);
    memset(e, 0, sizeof *e);
}

static size_t weight_bytes(const odin_graph *g, int t) {
    odin_value v = odin_tensor_value(g, t);
    return odin_value_nbytes(&v);
}

odin_status odin_lm_weights_blob(const odin_lm_entries *e, const odin_plan plans[2],
                                 uint8_t **blob, size_t *size, int64_t *offsets[2]) {
    *blob = NULL;
    *size = 0;
    offsets[0] = calloc((size_t)plans[0].n_weights + 1, sizeof *offsets[0]);
    offsets[1] = calloc((size_t)plans[1].n_weights + 1, sizeof *offsets[1]);
    uint64_t *hash0 = calloc((size_t)plans[0].n_weights + 1, sizeof *hash0);
    odin_status st = offsets[0] && offsets[1] && hash0 ? ODIN_OK : odin_errorf("out of memory");
    /* Pass 1: offsets (plan 1 reuses plan 0's equal constants); pass 2: copy. */
    size_t total = 0;
    for (int k = 0; !st && k < 2; k++) {
        const odin_graph *g = e->g[k];
        for (int i = 0; !st && i < plans[k].n_weights; i++) {
            int t = plans[k].weights[i];
            const odin_tensor *tt = &g->tensors[t];
            size_t nb = weight_bytes(g, t);
            if (tt->dtype == ODIN_STRING) {
                st = odin_errorf("constant '%s': string tensors cannot be compiled", tt->name);
                break;
            }
            if (nb && (!tt->data || tt->nbytes < nb)) {
                st = odin_errorf("constant '%s': %zu bytes of data for %zu needed", tt->name,
                                 tt->data ? tt->nbytes : 0, nb);
                break;
            }
            uint64_t h = nb ? XXH3_64bits(tt->data, nb) : 0;
            if (k == 0) hash0[i] = h;
            int same = -1;
            for (int j = 0; k == 1 && same < 0 && j < plans[0].n_weights; j++) {
                int t0 = plans[0].weights[j];
                if (hash0[j] == h && weight_bytes(e->g[0], t0) == nb &&
                    (!nb || !memcmp(e->g[0]->tensors[t0].data, tt->data, nb)))
                    same = j;
            }
            if (same >= 0) {
                offsets[1][i] = offsets[0][same];
                continue;
            }
            offsets[k][i] = (int64_t)total;
            total += (nb + 63) & ~(size_t)63;
        }
    }
    if (!st && !(*blob = calloc(1, total ? total : 1))) st = odin_errorf("out of memory (%zu bytes of weights)", total);
    for (int k = 0; !st && k < 2; k++)
        for (int i = 0; i < plans[k].n_weights; i++) {
            int t = plans[k].weights[i];
            size_t nb = weight_bytes(e->g[k], t);
            if (nb) memcpy(*blob + offsets[k][i], e->g[k]->tensors[t].data, nb);
        }
    free(hash0);
    if (st) {
        free(*blob);
        free(offsets[0]);
        free(offsets[1]);
        *blob = NULL;
        offsets[0] = offsets[1] = NULL;
        return st;
    }
    *size = total;
    return ODIN_OK;
}
