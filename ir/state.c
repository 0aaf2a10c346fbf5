#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_META "odin.state"

bool odin_op_updates_state_in_place(const char *op) {
    static const char *const ops[] = {"TokenShift", "WKV6", "CachedAttention"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (op && !strcmp(op, ops[i])) return true;
    return false;
}

static const char *graph_name(const odin_graph *g) { return g->name ? g->name : "graph"; }

static int input_position(const odin_graph *g, int t) {
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] == t) return i;
    return -1;
}

static int output_position(const odin_graph *g, int t) {
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t) return i;
    return -1;
}

odin_status odin_state_pair_check(const odin_graph *g, const odin_state_pair *p) {
    int in = g->inputs[p->input], out = g->outputs[p->output];
    const char *in_name = g->tensors[in].name, *out_name = g->tensors[out].name;
    if (output_position(g, in) >= 0)
        return odin_errorf("state input '%s' is also a graph output", in_name);
    int consumer = -1, uses = 0;
    for (int n = 0; n < g->n_nodes; n++)
        for (int k = 0; k < g->nodes[n].n_inputs; k++)
            if (g->nodes[n].inputs[k] == in) {
                uses++;
                consumer = n;
            }
    if (uses != 1)
        return odin_errorf("state input '%s' is read %d times; the in-place rule needs exactly "
                           "one consumer (the node that writes '%s')", in_name, uses, out_name);
    const odin_node *c = &g->nodes[consumer];
    if (g->tensors[out].producer != consumer)
        return odin_errorf("state input '%s' is read by node '%s' (%s), which does not write its "
                           "paired output '%s'", in_name, c->name ? c->name : "?", c->op, out_name);
    if (!odin_op_updates_state_in_place(c->op))
        return odin_errorf("state pair '%s'='%s': node '%s' (%s) does not update state in place "
                           "(TokenShift, WKV6 and CachedAttention do)", in_name, out_name,
                           c->name ? c->name : "?", c->op);
    return ODIN_OK;
}

static bool dims_static(const odin_tensor *t) {
    if (t->rank < 0) return false;
    for (int d = 0; d < t->rank; d++)
        if (t->dims[d] < 0) return false;
    return true;
}

static odin_status check_pair_types(const odin_graph *g, const odin_state_pair *p) {
    const odin_tensor *in = &g->tensors[g->inputs[p->input]], *out = &g->tensors[g->outputs[p->output]];
    if (in->dtype != out->dtype)
        return odin_errorf("state pair '%s'='%s': dtypes differ (%s, %s)", in->name, out->name,
                           odin_dtype_name(in->dtype), odin_dtype_name(out->dtype));
    if (!dims_static(in))
        return odin_errorf("state input '%s' has an unknown or symbolic dimension; state shapes "
                           "must not depend on the sequence length", in->name);
    if (!dims_static(out)) return ODIN_OK; /* not inferred here; the engines check at run time */
    bool same = in->rank == out->rank;
    for (int d = 0; same && d < in->rank; d++) same = in->dims[d] == out->dims[d];
    if (!same) {
        char a[160], b[160];
        odin_format_shape(a, sizeof a, in->rank, in->dims, NULL);
        odin_format_shape(b, sizeof b, out->rank, out->dims, NULL);
        return odin_errorf("state pair '%s'='%s': shapes differ (%s, %s)", in->name, out->name, a, b);
    }
    return ODIN_OK;
}

/* One "IN=OUT" item of the metadata (len bytes at text). */
static odin_status parse_pair(const odin_graph *g, const char *text, size_t len,
                              odin_state_pair *p) {
    const char *eq = memchr(text, '=', len);
    if (!eq || eq == text || eq + 1 == text + len)
        return odin_errorf("'%.*s' is not INPUT=OUTPUT", (int)len, text);
    char in_name[512], out_name[512];
    snprintf(in_name, sizeof in_name, "%.*s", (int)(eq - text), text);
    snprintf(out_name, sizeof out_name, "%.*s", (int)(text + len - eq - 1), eq + 1);
    int in = odin_graph_find_tensor(g, in_name), out = odin_graph_find_tensor(g, out_name);
    p->input = in >= 0 ? input_position(g, in) : -1;
    p->output = out >= 0 ? output_position(g, out) : -1;
    if (p->input < 0) return odin_errorf("'%s' is not a graph input", in_name);
    if (p->output < 0) return odin_errorf("'%s' is not a graph output", out_name);
    return ODIN_OK;
}

odin_status odin_graph_state_pairs(const odin_graph *g, bool strict, odin_state_pair **pairs,
                                   int *n) {
    *pairs = NULL;
    *n = 0;
    const char *meta = odin_graph_get_meta(g, STATE_META);
    if (!meta) return ODIN_OK;
    int cap = 1;
    for (const char *c = meta; *c; c++) cap += *c == ';';
    odin_state_pair *list = calloc((size_t)cap, sizeof *list);
    if (!list) return odin_errorf("out of memory");
    odin_status st = ODIN_OK;
    int count = 0;
    for (const char *item = meta; !st && *item;) {
        const char *end = strchr(item, ';');
        size_t len = end ? (size_t)(end - item) : strlen(item);
        if (len > 0) {
            odin_state_pair *p = &list[count];
            st = parse_pair(g, item, len, p);
            for (int k = 0; !st && k < count; k++) {
                if (list[k].input == p->input)
                    st = odin_errorf("state input '%s' is in two pairs",
                                     g->tensors[g->inputs[p->input]].name);
                else if (list[k].output == p->output)
                    st = odin_errorf("state output '%s' is in two pairs",
                                     g->tensors[g->outputs[p->output]].name);
            }
            if (!st) st = check_pair_types(g, p);
            if (!st) {
                odin_status rule = odin_state_pair_check(g, p);
                p->in_place = !rule;
                if (rule && strict) st = rule;
                else odin_status_free(rule);
            }
            count++;
        }
        item = end ? end + 1 : item + len;
    }
    if (st) {
        free(list);
        return odin_status_prefix(st, "%s: metadata %s", graph_name(g), STATE_META);
    }
    *pairs = list;
    *n = count;
    return ODIN_OK;
}

static odin_status not_lm(const odin_graph *g, const char *why) {
    return odin_errorf("%s is not a language model graph: %s (see docs/language-models.md: "
                       "inputs tokens [1,seq] int64, pos, state.*; outputs logits, state_out.*)",
                       graph_name(g), why);
}

static odin_status meta_int(const odin_graph *g, const char *key, int64_t *out) {
    const char *v = odin_graph_get_meta(g, key);
    *out = 0;
    if (!v) return ODIN_OK;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end || errno || x < 0)
        return odin_errorf("%s: metadata %s = '%s' is not a non-negative integer", graph_name(g), key, v);
    *out = x;
    return ODIN_OK;
}

static odin_status check_tokens(const odin_graph *g, const odin_tensor *t, odin_lm_layout *l) {
    char shape[160];
    odin_format_shape(shape, sizeof shape, t->rank, t->dims, t->dim_params);
    if (t->dtype != ODIN_I64 || t->rank != 2 || t->dims[0] > 1 || t->dims[1] == 0)
        return odin_errorf("%s: input 'tokens' is %s %s; the LM contract wants int64 [1,seq]",
                           graph_name(g), odin_dtype_name(t->dtype), shape);
    if (t->dims[1] > 1)
        return odin_errorf("%s: input 'tokens' has a fixed length %lld; a session needs a "
                           "symbolic seq dim (or 1 for a decode-only graph)", graph_name(g),
                           (long long)t->dims[1]);
    l->fixed_seq = t->dims[1] == 1 ? 1 : 0;
    return ODIN_OK;
}

static odin_status check_logits(const odin_graph *g, const odin_tensor *t, odin_lm_layout *l) {
    char shape[160];
    odin_format_shape(shape, sizeof shape, t->rank, t->dims, t->dim_params);
    if (t->dtype != ODIN_F32 || t->rank != 3 || t->dims[0] > 1 || t->dims[2] <= 0)
        return odin_errorf("%s: output 'logits' is %s %s; the LM contract wants f32 [1,1,vocab] "
                           "or [1,seq,vocab] with a static vocab", graph_name(g),
                           odin_dtype_name(t->dtype), shape);
    l->vocab = t->dims[2];
    l->all_logits = l->fixed_seq == 0 && t->dims[1] != 1;
    l->logits_rows_unknown = l->all_logits && t->dims[1] < 0 && !t->dim_params[1];
    int64_t meta_vocab;
    ODIN_TRY(meta_int(g, "odin.vocab", &meta_vocab));
    if (meta_vocab && meta_vocab != l->vocab)
        return odin_errorf("%s: metadata odin.vocab = %lld but logits have %lld columns",
                           graph_name(g), (long long)meta_vocab, (long long)l->vocab);
    return ODIN_OK;
}

static odin_status fill_layout(const odin_graph *g, bool strict, odin_lm_layout *l) {
    int tokens = odin_graph_find_tensor(g, "tokens"), logits = odin_graph_find_tensor(g, "logits");
    l->tokens = tokens >= 0 ? input_position(g, tokens) : -1;
    l->logits = logits >= 0 ? output_position(g, logits) : -1;
    if (l->tokens < 0) return not_lm(g, "it has no input named 'tokens'");
    if (l->logits < 0) return not_lm(g, "it has no output named 'logits'");
    ODIN_TRY(check_tokens(g, &g->tensors[tokens], l));
    ODIN_TRY(check_logits(g, &g->tensors[logits], l));
    int pos = odin_graph_find_tensor(g, "pos");
    l->pos = pos >= 0 ? input_position(g, pos) : -1;
    if (l->pos >= 0) {
        const odin_tensor *t = &g->tensors[pos];
        if (t->dtype != ODIN_I64 || odin_tensor_numel(t) != 1)
            return odin_errorf("%s: input 'pos' must be int64 [1]", graph_name(g));
    }
    ODIN_TRY(meta_int(g, "odin.max_ctx", &l->max_ctx));
    odin_state_pair *pairs;
    int n;
    ODIN_TRY(odin_graph_state_pairs(g, strict, &pairs, &n));
    l->state = calloc(n ? (size_t)n : 1, sizeof *l->state);
    if (!l->state) {
        free(pairs);
        return odin_errorf("out of memory");
    }
    l->n_state = n;
    for (int i = 0; i < n; i++) {
        const odin_tensor *t = &g->tensors[g->inputs[pairs[i].input]];
        l->state[i] = (odin_lm_state){.input = pairs[i].input, .output = pairs[i].output,
                                      .nbytes = (size_t)odin_tensor_numel(t) * odin_dtype_size(t->dtype),
                                      .in_place = pairs[i].in_place};
    }
    free(pairs);
    /* Every other input or output would need data the session cannot know. */
    for (int i = 0; i < g->n_inputs; i++) {
        bool known = i == l->tokens || i == l->pos;
        for (int k = 0; !known && k < n; k++) known = l->state[k].input == i;
        if (!known)
            return odin_errorf("%s: input '%s' is not tokens, pos or a state input listed in "
                               "odin.state", graph_name(g), g->tensors[g->inputs[i]].name);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        bool known = i == l->logits;
        for (int k = 0; !known && k < n; k++) known = l->state[k].output == i;
        if (!known)
            return odin_errorf("%s: output '%s' is not logits or a state output listed in "
                               "odin.state", graph_name(g), g->tensors[g->outputs[i]].name);
    }
    return ODIN_OK;
}

odin_status odin_lm_layout_of(const odin_graph *g, bool strict, odin_lm_layout *out) {
    memset(out, 0, sizeof *out);
    out->n_inputs = g->n_inputs;
    out->n_outputs = g->n_outputs;
    odin_status st = fill_layout(g, strict, out);
    if (st) odin_lm_layout_free(out);
    return st;
}

void odin_lm_layout_free(odin_lm_layout *l) {
    free(l->state);
    l->state = NULL;
    l->n_state = 0;
}

void odin_lm_input_shapes(const odin_graph *g, const odin_lm_layout *l, int T, odin_value *vals) {
    for (int i = 0; i < g->n_inputs; i++) {
        vals[i] = odin_tensor_value(g, g->inputs[i]);
        vals[i].data = NULL;
        for (int d = 0; d < vals[i].rank; d++)
            if (vals[i].dims[d] < 0) vals[i].dims[d] = 1;
    }
    vals[l->tokens].dims[1] = T;
}
