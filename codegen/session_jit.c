/* codegen/session_jit.c — the JIT and reference runners behind LM sessions. The JIT
 * runner keeps, per chunk length T, a shallow copy of the graph (constants point at the
 * original's data) specialized to tokens [1,T], passed through the -O pipeline and
 * compiled once; with a cache folder the object file is shared with `odinc run
 * --cache-dir` (same key, same file name). */
#include "session_jit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ops/interpret.h"
#include "../passes/pass.h"
#include "../passes/specialize.h"
#include "../runtime/report.h"
#include "cache.h"
#include "huge_weights.h"
#include "target.h"

/* Bytes the session's buffer for output i holds for T tokens. */
static size_t output_bytes(const odin_lm_layout *l, int i, int T) {
    if (i == l->logits) return sizeof(float) * (size_t)l->vocab * (size_t)(l->all_logits ? T : 1);
    for (int k = 0; k < l->n_state; k++)
        if (l->state[k].output == i) return l->state[k].nbytes;
    return 0;
}

static odin_status check_outputs(const odin_graph *g, const odin_lm_layout *l, int T,
                                 const odin_value *outs) {
    for (int i = 0; i < g->n_outputs; i++) {
        size_t got = odin_value_nbytes(&outs[i]), want = output_bytes(l, i, T);
        if (got != want)
            return odin_errorf("output '%s' has %zu bytes for %d tokens; the session expects %zu",
                               g->tensors[g->outputs[i]].name, got, T, want);
    }
    return ODIN_OK;
}

/* ---------------------------------------------------------------- JIT runner */

typedef struct jit_entry {
    int T;
    odin_graph *g;
    odin_program *p;
} jit_entry;

typedef struct jit_runner {
    const odin_graph *g;  /* the graph every per-length clone copies: packed_g when set */
    /* The caller's graph with its weights packed into GEMM panels once (-O2 and up), so
     * the clones for different chunk lengths share one packed copy instead of packing
     * (time and memory) per length; owned. */
    odin_graph *packed_g;
    odin_weight_block packed_block; /* packed_g's large weights, on 2 MiB pages */
    odin_lm_layout layout;
    odin_lm_state *state; /* owned copy of layout.state */
    int opt_level;
    char *cache_dir;
    jit_entry *entries;
    int n_entries, cap_entries;
    odin_lm_runner_stats stats;
} jit_runner;

/* A copy of g whose constants share g's data (passes never write constant data: a
 * loaded .odin file's constants are a read-only mapping). */
static odin_status clone_graph(const odin_graph *g, odin_graph **out) {
    odin_graph *c = odin_graph_new(g->name);
    if (!c) return odin_errorf("out of memory");
    c->opset = g->opset;
    c->opset_ms = g->opset_ms;
    odin_status st = ODIN_OK;
    for (int i = 0; !st && i < g->n_tensors; i++) {
        const odin_tensor *t = &g->tensors[i];
        int idx;
        st = odin_graph_add_tensor(c, t->name, t->dtype, t->rank, t->dims, &idx);
        for (int d = 0; !st && d < ODIN_MAX_RANK; d++)
            if (t->dim_params[d] && !(c->tensors[idx].dim_params[d] =
                                          odin_arena_strdup(&c->arena, t->dim_params[d])))
                st = odin_errorf("out of memory");
        if (!st && t->data) odin_tensor_set_external_data(c, idx, t->data, t->nbytes);
    }
    for (int i = 0; !st && i < g->n_nodes; i++) {
        const odin_node *n = &g->nodes[i];
        st = odin_graph_add_node(c, n->name, n->op, n->domain, n->inputs, n->n_inputs, n->outputs,
                                 n->n_outputs, n->attrs, n->n_attrs, NULL);
    }
    for (int i = 0; !st && i < g->n_inputs; i++) st = odin_graph_add_input(c, g->inputs[i]);
    for (int i = 0; !st && i < g->n_outputs; i++) st = odin_graph_add_output(c, g->outputs[i]);
    for (int i = 0; !st && i < g->n_meta; i++)
        st = odin_graph_set_meta(c, g->meta[i].key, g->meta[i].value);
    if (st) {
        odin_graph_free(c);
        return st;
    }
    *out = c;
    return ODIN_OK;
}

/* Compile g (static shapes) into a program the runner owns, through the disk cache. */
static odin_status compile_owned(const odin_graph *g, const odin_compile_options *co,
                                 const char *cache_dir, odin_program **out) {
    if (!cache_dir) return odin_program_compile(g, co, out);
    odin_target host;
    uint64_t key;
    ODIN_TRY(odin_target_host(&host));
    ODIN_TRY(odin_compile_key(g, &host, co, &key));
    char path[4096];
    snprintf(path, sizeof path, "%s/%016llx.o", cache_dir, (unsigned long long)key);
    size_t size;
    void *obj = odin_cache_read_file(path, &size);
    if (obj) {
        odin_status st = odin_program_load(g, co, &host, obj, size, out);
        free(obj);
        if (!st) return ODIN_OK;
        odin_status_free(st); /* a damaged file: compile again and replace it */
    }
    ODIN_TRY(odin_program_object(g, co, &host, &obj, &size));
    odin_status st = odin_cache_write_file(cache_dir, path, obj, size);
    if (!st) st = odin_program_load(g, co, &host, obj, size, out);
    free(obj);
    return st;
}

static odin_status jit_prepare_entry(jit_runner *r, int T, jit_entry **out) {
    for (int i = 0; i < r->n_entries; i++)
        if (r->entries[i].T == T) {
            *out = &r->entries[i];
            return ODIN_OK;
        }
    if (r->n_entries == r->cap_entries) {
        int cap = r->cap_entries ? 2 * r->cap_entries : 8;
        jit_entry *e = realloc(r->entries, sizeof *e * (size_t)cap);
        if (!e) return odin_errorf("out of memory");
        r->entries = e;
        r->cap_entries = cap;
    }
    double t0 = odin_now_ms();
    odin_value *vals = calloc((size_t)r->g->n_inputs + 1, sizeof *vals);
    odin_value *outs = calloc((size_t)r->g->n_outputs + 1, sizeof *outs);
    odin_graph *g = NULL;
    odin_program *p = NULL;
    odin_status st = vals && outs ? clone_graph(r->g, &g) : odin_errorf("out of memory");
    if (!st) {
        odin_lm_input_shapes(r->g, &r->layout, T, vals);
        st = odin_specialize_inputs(g, vals);
    }
    if (!st) {
        odin_pass_options po = odin_pass_defaults();
        po.opt_level = r->opt_level;
        st = odin_run_passes(g, &po);
    }
    for (int i = 0; !st && i < g->n_outputs; i++) outs[i] = odin_tensor_value(g, g->outputs[i]);
    if (!st) st = check_outputs(g, &r->layout, T, outs);
    if (!st) {
        odin_compile_options co = odin_compile_defaults();
        co.opt_level = r->opt_level;
        st = compile_owned(g, &co, r->cache_dir, &p);
    }
    free(vals);
    free(outs);
    if (st) {
        odin_graph_free(g);
        return odin_status_prefix(st, "%s: preparing the program for %d tokens",
                                  r->g->name ? r->g->name : "graph", T);
    }
    r->entries[r->n_entries] = (jit_entry){.T = T, .g = g, .p = p};
    *out = &r->entries[r->n_entries++];
    r->stats.compile_ms += odin_now_ms() - t0;
    r->stats.compiles++;
    return ODIN_OK;
}

static odin_status jit_prepare(void *ctx, int T) {
    jit_entry *e;
    return jit_prepare_entry(ctx, T, &e);
}

static odin_status jit_run(void *ctx, int T, void *const *inputs, void *const *outputs) {
    jit_entry *e;
    ODIN_TRY(jit_prepare_entry(ctx, T, &e));
    return odin_program_run(e->p, inputs, outputs);
}

static void jit_stats(void *ctx, odin_lm_runner_stats *out) { *out = ((jit_runner *)ctx)->stats; }

static void jit_destroy(void *ctx) {
    jit_runner *r = ctx;
    for (int i = 0; i < r->n_entries; i++) {
        odin_program_free(r->entries[i].p);
        odin_graph_free(r->entries[i].g);
    }
    free(r->entries);
    free(r->state);
    free(r->cache_dir);
    odin_graph_free(r->packed_g);
    odin_weight_block_free(&r->packed_block);
    free(r);
}

/* ---------------------------------------------------------------- reference runner */

typedef struct ref_runner {
    const odin_graph *g;
    odin_lm_layout layout;
    odin_lm_state *state;
} ref_runner;

static odin_status ref_run(void *ctx, int T, void *const *inputs, void *const *outputs) {
    ref_runner *r = ctx;
    const odin_graph *g = r->g;
    odin_value *vals = calloc((size_t)g->n_inputs + 1, sizeof *vals);
    odin_value *outs = calloc((size_t)g->n_outputs + 1, sizeof *outs);
    if (!vals || !outs) {
        free(vals);
        free(outs);
        return odin_errorf("out of memory");
    }
    odin_lm_input_shapes(g, &r->layout, T, vals);
    for (int i = 0; i < g->n_inputs; i++) vals[i].data = inputs[i];
    /* The interpreter writes fresh buffers, so a state output may alias its input. */
    odin_status st = odin_interpret(g, vals, g->n_inputs, outs);
    if (!st) {
        st = check_outputs(g, &r->layout, T, outs);
        for (int i = 0; !st && i < g->n_outputs; i++)
            memcpy(outputs[i], outs[i].data, odin_value_nbytes(&outs[i]));
        odin_values_free(outs, g->n_outputs);
    }
    free(vals);
    free(outs);
    return st;
}

static void ref_destroy(void *ctx) {
    ref_runner *r = ctx;
    free(r->state);
    free(r);
}

/* ---------------------------------------------------------------- construction */

static odin_lm_state *copy_states(const odin_lm_layout *l) {
    odin_lm_state *s = malloc(sizeof *s * (size_t)(l->n_state ? l->n_state : 1));
    if (s && l->n_state) memcpy(s, l->state, sizeof *s * (size_t)l->n_state);
    return s;
}

odin_status odin_lm_runner_create(const odin_graph *g, const odin_lm_layout *layout,
                                  const odin_engine_options *o, odin_lm_runner *out) {
    memset(out, 0, sizeof *out);
    if (o->engine == ODIN_ENGINE_REF) {
        ref_runner *r = calloc(1, sizeof *r);
        odin_lm_state *s = copy_states(layout);
        if (!r || !s) {
            free(r);
            free(s);
            return odin_errorf("out of memory");
        }
        *r = (ref_runner){.g = g, .layout = *layout, .state = s};
        r->layout.state = s;
        *out = (odin_lm_runner){.ctx = r, .run = ref_run, .destroy = ref_destroy};
        return ODIN_OK;
    }
    jit_runner *r = calloc(1, sizeof *r);
    odin_lm_state *s = copy_states(layout);
    char *dir = o->cache_dir ? strdup(o->cache_dir) : NULL;
    if (!r || !s || (o->cache_dir && !dir)) {
        free(r);
        free(s);
        free(dir);
        return odin_errorf("out of memory");
    }
    /* Default -O2, as odin_engine_prepare: -O3 compiles much longer for the same speed. */
    *r = (jit_runner){.g = g, .layout = *layout, .state = s, .cache_dir = dir,
                      .opt_level = o->opt_level >= 0 ? o->opt_level : 2};
    r->layout.state = s;
    if (r->opt_level >= 2) {
        bool changed = false;
        double t0 = odin_now_ms();
        odin_status st = clone_graph(g, &r->packed_g);
        if (!st) st = odin_pass_pack(r->packed_g, &changed);
        /* a decode step streams these: on 2 MiB pages (huge_weights.c says why) */
        if (!st) odin_weights_to_huge_pages(r->packed_g, 1 << 20, &r->packed_block);
        r->stats.compile_ms += odin_now_ms() - t0; /* part of preparing the programs */
        if (st) {
            jit_destroy(r);
            return odin_status_prefix(st, "%s: packing weights", g->name ? g->name : "graph");
        }
        r->g = r->packed_g;
    }
    *out = (odin_lm_runner){.ctx = r, .run = jit_run, .prepare = jit_prepare,
                            .stats = jit_stats, .destroy = jit_destroy};
    return ODIN_OK;
}

odin_status odin_lm_layout_resolve(const odin_graph *g, odin_lm_layout *layout) {
    if (!layout->logits_rows_unknown) return ODIN_OK;
    odin_value *vals = calloc((size_t)g->n_inputs + 1, sizeof *vals);
    odin_graph *c = NULL;
    odin_status st = vals ? clone_graph(g, &c) : odin_errorf("out of memory");
    if (!st) {
        odin_lm_input_shapes(g, layout, 2, vals);
        st = odin_specialize_inputs(c, vals);
    }
    if (!st) {
        const odin_tensor *t = &c->tensors[c->outputs[layout->logits]];
        if (t->rank != 3 || (t->dims[1] != 1 && t->dims[1] != 2))
            st = odin_errorf("%s: output 'logits' of a 2-token run is not [1,1,vocab] or "
                             "[1,2,vocab]", g->name ? g->name : "graph");
        else {
            layout->all_logits = t->dims[1] == 2;
            layout->logits_rows_unknown = false;
        }
    }
    odin_graph_free(c);
    free(vals);
    return st;
}

odin_status odin_lm_session_open(const odin_graph *g, const odin_engine_options *eo,
                                 const odin_session_options *so, bool strict,
                                 odin_session **out) {
    *out = NULL;
    odin_lm_layout layout;
    ODIN_TRY(odin_lm_layout_of(g, strict, &layout));
    odin_lm_runner runner;
    odin_status st = odin_lm_layout_resolve(g, &layout);
    if (!st) st = odin_lm_runner_create(g, &layout, eo, &runner);
    if (!st) st = odin_session_create(&layout, runner, so, out);
    odin_lm_layout_free(&layout);
    return st;
}
