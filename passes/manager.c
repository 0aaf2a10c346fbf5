/* passes/manager.c — the pass registry, the -O pipelines, printing after passes and
 * verification after each pass. */
#include <stdlib.h>
#include <string.h>

#include "../ir/print.h"
#include "../ir/verify.h"
#include "pass.h"

static const odin_pass canonicalize_pass = {
    "canonicalize", "Constant nodes become constant tensors; every shape re-inferred",
    odin_pass_canonicalize};
static const odin_pass fold_pass = {
    "fold", "evaluate nodes with constant inputs, and Shape/Size of static shapes",
    odin_pass_fold};
static const odin_pass dce_pass = {
    "dce", "remove nodes no graph output depends on, and unused tensors", odin_pass_dce};
static const odin_pass cse_pass = {
    "cse", "merge identical nodes and identical constants", odin_pass_cse};
static const odin_pass simplify_pass = {
    "simplify", "algebraic identities: Identity, Dropout, x*1, x+0, no-op reshapes/casts/"
    "transposes, transpose and reshape chains", odin_pass_simplify};
static const odin_pass fuse_conv_pass = {
    "fuse-conv", "BatchNormalization into Conv weights; Conv + residual Add + Relu/Clip into one "
    "ai.odin FusedConv", odin_pass_fuse_conv};
static const odin_pass winograd_pass = {
    "winograd", "3x3 stride-1 convs into Winograd input transform, batched MatMul with the "
    "transformed filter, output transform (ai.odin WinogradInput/WinogradOutput)",
    odin_pass_winograd};
static const odin_pass pack_pass = {
    "pack", "constant MatMul/Gemm weights into GEMM panel layout (ai.odin PackedMatMul)",
    odin_pass_pack};
static const odin_pass fuse_gemm_pass = {
    "fuse-gemm", "PackedMatMul + residual Add + Relu/Clip into the GEMM's epilogue",
    odin_pass_fuse_gemm};

static const odin_pass fuse_attention_pass = {
    "fuse-attention", "MatMul, scale, mask, Softmax, MatMul into one ai.odin Attention (no score "
    "matrix)", odin_pass_fuse_attention};

static const odin_pass *const all_passes[] = {&canonicalize_pass, &fold_pass, &simplify_pass,
                                              &cse_pass, &dce_pass, &pack_pass,
                                              &fuse_conv_pass, &winograd_pass, &fuse_gemm_pass,
                                              &fuse_attention_pass};
#define N_PASSES ((int)(sizeof all_passes / sizeof all_passes[0]))

const odin_pass *const *odin_pass_all(int *count) {
    *count = N_PASSES;
    return all_passes;
}

const odin_pass *odin_pass_find(const char *name) {
    for (int i = 0; i < N_PASSES; i++)
        if (strcmp(all_passes[i]->name, name) == 0) return all_passes[i];
    return NULL;
}

static odin_status unknown_pass(const char *name, size_t len) {
    char known[256] = "";
    size_t off = 0;
    for (int i = 0; i < N_PASSES && off < sizeof known; i++)
        off += snprintf(known + off, sizeof known - off, "%s%s", i ? ", " : "",
                        all_passes[i]->name);
    return odin_errorf("unknown pass '%.*s' (known: %s)", (int)len, name, known);
}

odin_pass_options odin_pass_defaults(void) {
    odin_pass_options o;
    memset(&o, 0, sizeof o);
    o.opt_level = 2;
#ifdef NDEBUG
    o.verify = false;
#else
    o.verify = true;
#endif
    return o;
}

/* Checks each name of a comma-separated list. */
static odin_status check_pipeline(const char *list) {
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        char name[64];
        if (len == 0 || len >= sizeof name) return unknown_pass(p, len);
        memcpy(name, p, len);
        name[len] = 0;
        if (!odin_pass_find(name)) return unknown_pass(p, len);
        p += len;
        if (*p == ',') p++;
    }
    return ODIN_OK;
}

odin_status odin_pass_parse_arg(odin_pass_options *o, const char *arg, bool *matched) {
    *matched = true;
    if (strncmp(arg, "-O", 2) == 0 && arg[2] && !arg[3]) {
        if (arg[2] < '0' || arg[2] > '3')
            return odin_errorf("%s: optimization level must be -O0, -O1, -O2 or -O3", arg);
        o->opt_level = arg[2] - '0';
        return ODIN_OK;
    }
    if (strcmp(arg, "--print-after-all") == 0) {
        o->print_after_all = true;
        return ODIN_OK;
    }
    if (strcmp(arg, "--verify-each") == 0) {
        o->verify = true;
        return ODIN_OK;
    }
    const char *pa = "--print-after=";
    if (strncmp(arg, pa, strlen(pa)) == 0) {
        const char *name = arg + strlen(pa);
        if (!odin_pass_find(name)) return odin_status_prefix(unknown_pass(name, strlen(name)), "%s", arg);
        if (o->n_print_after == ODIN_PASS_MAX_PRINT)
            return odin_errorf("%s: at most %d --print-after options", arg, ODIN_PASS_MAX_PRINT);
        o->print_after[o->n_print_after++] = name;
        return ODIN_OK;
    }
    const char *ps = "--passes=";
    if (strncmp(arg, ps, strlen(ps)) == 0) {
        ODIN_TRY(odin_status_prefix(check_pipeline(arg + strlen(ps)), "%s", arg));
        o->pipeline = arg + strlen(ps);
        return ODIN_OK;
    }
    *matched = false;
    return ODIN_OK;
}

static bool wants_print(const odin_pass_options *o, const char *name) {
    if (o->print_after_all) return true;
    for (int i = 0; i < o->n_print_after; i++)
        if (strcmp(o->print_after[i], name) == 0) return true;
    return false;
}

odin_status odin_run_pass(odin_graph *g, const odin_pass *p, const odin_pass_options *o,
                          bool *changed) {
    bool ch = false;
    odin_status st = p->run(g, &ch);
    if (st) return odin_status_prefix(st, "pass '%s'", p->name);
    if (changed) *changed = ch;
    if (o && o->verify) {
        st = odin_graph_verify(g);
        if (st) return odin_status_prefix(st, "pass '%s' left an invalid graph", p->name);
    }
    if (o && wants_print(o, p->name)) {
        FILE *f = o->print_to ? o->print_to : stderr;
        fprintf(f, "; ---- after pass '%s'%s ----\n", p->name, ch ? "" : " (no change)");
        ODIN_TRY(odin_graph_print(g, f, ODIN_PRINT_TEXT));
        fflush(f);
    }
    return ODIN_OK;
}

static odin_status run_named(odin_graph *g, const char *name, const odin_pass_options *o,
                             bool *changed) {
    const odin_pass *p = odin_pass_find(name);
    if (!p) return unknown_pass(name, strlen(name));
    bool ch = false;
    ODIN_TRY(odin_run_pass(g, p, o, &ch));
    if (ch) *changed = true;
    return ODIN_OK;
}

static odin_status run_list(odin_graph *g, const char *const *names, int n,
                            const odin_pass_options *o, bool *changed) {
    for (int i = 0; i < n; i++) ODIN_TRY(run_named(g, names[i], o, changed));
    return ODIN_OK;
}

static odin_status run_pipeline_string(odin_graph *g, const char *list,
                                       const odin_pass_options *o) {
    ODIN_TRY(check_pipeline(list));
    bool changed = false;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        char name[64];
        memcpy(name, p, len);
        name[len] = 0;
        ODIN_TRY(run_named(g, name, o, &changed));
        p += len;
        if (*p == ',') p++;
    }
    return ODIN_OK;
}

/* -O3 stops iterating when a round changes nothing, or after this many rounds (a pair of
 * rewrites undoing each other must not loop forever). */
#define MAX_ROUNDS 8

odin_status odin_run_passes(odin_graph *g, const odin_pass_options *opts) {
    odin_pass_options o = opts ? *opts : odin_pass_defaults();
    for (int i = 0; i < o.n_print_after; i++)
        if (!odin_pass_find(o.print_after[i]))
            return odin_status_prefix(unknown_pass(o.print_after[i], strlen(o.print_after[i])),
                                      "--print-after");
    if (o.opt_level < 0 || o.opt_level > 3)
        return odin_errorf("optimization level %d is not 0..3", o.opt_level);
    /* A graph that is invalid before any pass runs would make every pass look guilty:
     * per-pass verification is for the passes' own mistakes. */
    if (o.verify) {
        odin_status st = odin_graph_verify(g);
        if (st) {
            odin_status_free(st);
            o.verify = false;
        }
    }
    if (o.pipeline) return run_pipeline_string(g, o.pipeline, &o);
    bool changed = false;
    static const char *const o1[] = {"canonicalize", "fold", "fuse-attention", "dce"};
    static const char *const o2[] = {"canonicalize", "fold", "simplify", "cse", "fuse-attention",
                                     "fuse-conv", "winograd", "pack", "fuse-gemm", "dce"};
    static const char *const loop[] = {"fold", "simplify", "cse", "fuse-attention", "fuse-conv",
                                       "winograd", "pack", "fuse-gemm", "dce"};
    switch (o.opt_level) {
    case 0: return ODIN_OK;
    case 1: return run_list(g, o1, 4, &o, &changed);
    case 2: return run_list(g, o2, (int)(sizeof o2 / sizeof *o2), &o, &changed);
    default:
        ODIN_TRY(run_list(g, o2, (int)(sizeof o2 / sizeof *o2), &o, &changed));
        for (int round = 1; changed && round < MAX_ROUNDS; round++) {
            changed = false;
            ODIN_TRY(run_list(g, loop, (int)(sizeof loop / sizeof *loop), &o, &changed));
        }
        return ODIN_OK;
    }
}
