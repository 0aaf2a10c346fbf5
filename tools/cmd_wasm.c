/* tools/cmd_wasm.c — `odinc wasm MODEL -o OUT.wasm`: bind input shapes, run the graph
 * passes and build a WebAssembly module plus its ES-module loader (codegen/wasm.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../codegen/wasm.h"
#include "../codegen/wasm_lm.h"
#include "../frontend/load.h"
#include "../passes/pass.h"
#include "../passes/specialize.h"
#include "cli.h"
#include "cli_lm.h"

#define MAX_SHAPES 64

static void usage(FILE *f) {
    fprintf(f,
            "usage: odinc wasm MODEL -o OUT.wasm [--weights embed|side]\n"
            "                  [--simd both|plain|relaxed] [--relaxed-simd]\n"
            "                  [--shape NAME=d0,d1,... ...] [--chunk P] [-O0|-O1|-O2|-O3]\n\n"
            "Compiles MODEL (.onnx or .odin) for wasm32 and writes OUT.wasm (SIMD128),\n"
            "OUT.relaxed.wasm (relaxed SIMD: fused multiply-add) and OUT.mjs, an ES module\n"
            "for Node 20 and browsers that runs the relaxed module where the engine has\n"
            "relaxed SIMD (Chrome 114+, Firefox 120+, Node 22+; Node 20 with\n"
            "--experimental-wasm-relaxed-simd), else the plain one (m.simd says which):\n"
            "    import {load} from './OUT.mjs';\n"
            "    const m = await load();  const out = m.run({x: new Float32Array(...)});\n"
            "or as a command: node OUT.mjs IN.npy... [--out DIR] (inputs in graph order;\n"
            "writes DIR/<output>.npy). The module imports nothing.\n"
            "--weights embed (default) puts the weights in the module; side writes them to\n"
            "OUT.bin, which the loader fetches. --simd plain writes OUT.wasm alone;\n"
            "--simd relaxed (or --relaxed-simd) writes OUT.wasm with relaxed SIMD alone,\n"
            "which engines without relaxed SIMD cannot run. --shape binds the shape of input NAME, or a symbolic dimension\n"
            "NAME (--shape batch=1): every shape must be static. Every op must have a\n"
            "compiled kernel (there is no reference-eval fallback in wasm).\n"
            "A language model (docs/language-models.md, symbolic seq) gets a decode entry\n"
            "(seq = 1) and a prefill entry (seq = P, --chunk P, default 64) sharing the\n"
            "weights, and sessions in the loader: const s = m.session(); s.prefill(ids);\n"
            "s.step(id); s.logits; s.reset(); s.pos. As a command: node OUT.mjs\n"
            "--prompt-ids 1,2,3 --max-tokens N (greedy). A demo page: tools/demo_web/.\n");
}

/* NAME=VALUE pairs from --shape: the value of `name`, the last one given winning. */
static const char *find_shape(char *const *shapes, int n, const char *name) {
    size_t len = strlen(name);
    for (int i = n - 1; i >= 0; i--)
        if (!strncmp(shapes[i], name, len) && shapes[i][len] == '=') return shapes[i] + len + 1;
    return NULL;
}

static odin_status parse_dims(const char *text, int *rank, int64_t *dims) {
    *rank = 0;
    if (!*text || !strcmp(text, "scalar")) return ODIN_OK;
    for (const char *p = text;;) {
        char *end;
        errno = 0;
        long long d = strtoll(p, &end, 10);
        if (end == p || d < 0 || errno) return odin_errorf("bad dimension list '%s'", text);
        if (*rank >= ODIN_MAX_RANK) return odin_errorf("'%s' has too many dims", text);
        dims[(*rank)++] = d;
        if (!*end) return ODIN_OK;
        if (*end != ',') return odin_errorf("bad dimension list '%s'", text);
        p = end + 1;
    }
}

/* Every --shape names an input or a symbolic dimension of one. */
static odin_status check_shape_names(const odin_graph *g, char *const *shapes, int n) {
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(shapes[i], '=');
        if (!eq || eq == shapes[i]) return odin_errorf("--shape expects NAME=d0,d1,..., got '%s'", shapes[i]);
        size_t len = (size_t)(eq - shapes[i]);
        bool known = false;
        for (int k = 0; k < g->n_inputs && !known; k++) {
            const odin_tensor *t = &g->tensors[g->inputs[k]];
            known = t->name && strlen(t->name) == len && !strncmp(t->name, shapes[i], len);
            for (int d = 0; d < t->rank && !known; d++)
                known = t->dim_params[d] && strlen(t->dim_params[d]) == len &&
                        !strncmp(t->dim_params[d], shapes[i], len);
        }
        if (!known)
            return odin_errorf("--shape %.*s: the model has no input or symbolic dimension of "
                               "that name", (int)len, shapes[i]);
    }
    return ODIN_OK;
}

/* Static shapes for every input from --shape (input name, or symbolic dim name). */
static odin_status bind_shapes(odin_graph *g, char *const *shapes, int n) {
    ODIN_TRY(check_shape_names(g, shapes, n));
    odin_value *vals = calloc((size_t)g->n_inputs + 1, sizeof *vals);
    if (!vals) return odin_errorf("out of memory");
    odin_status st = ODIN_OK;
    for (int i = 0; !st && i < g->n_inputs; i++) {
        const odin_tensor *t = &g->tensors[g->inputs[i]];
        odin_value *v = &vals[i];
        v->dtype = t->dtype;
        const char *given = find_shape(shapes, n, t->name);
        if (given) {
            st = odin_status_prefix(parse_dims(given, &v->rank, v->dims), "--shape %s", t->name);
            continue;
        }
        if (t->rank < 0) {
            st = odin_errorf("input '%s' has unknown rank: give its shape with --shape %s=d0,d1,...",
                             t->name, t->name);
            continue;
        }
        v->rank = t->rank;
        for (int d = 0; !st && d < t->rank; d++) {
            v->dims[d] = t->dims[d];
            if (t->dims[d] >= 0) continue;
            const char *sym = t->dim_params[d];
            const char *bound = sym ? find_shape(shapes, n, sym) : NULL;
            char *end = NULL;
            long long x = bound ? strtoll(bound, &end, 10) : -1;
            if (!bound || *end || x < 0)
                st = odin_errorf("input '%s': dimension %d is %s%s%s: bind it with --shape %s=N "
                                 "or --shape %s=d0,d1,...", t->name, d, sym ? "symbolic ('" : "unknown",
                                 sym ? sym : "", sym ? "')" : "", sym ? sym : t->name, t->name);
            else v->dims[d] = x;
        }
    }
    if (!st) st = odin_specialize_inputs(g, vals);
    free(vals);
    return st;
}

static long long file_size(const char *path) {
    struct stat s;
    return stat(path, &s) == 0 ? (long long)s.st_size : -1;
}

int odin_cmd_wasm(int argc, char **argv) {
    const char *model = NULL, *out = NULL;
    char *shapes[MAX_SHAPES];
    int n_shapes = 0, chunk = ODIN_LM_DEFAULT_CHUNK;
    odin_wasm_options wo = odin_wasm_defaults();
    odin_pass_options po = odin_pass_defaults();
    for (int i = 1; i < argc; i++) {
        const char *val = NULL;
        bool missing = false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--relaxed-simd")) {
            wo.simd = ODIN_WASM_SIMD_RELAXED;
        } else if (odin_cli_opt(argc, argv, &i, "--simd", &val, &missing)) {
            if (missing || (strcmp(val, "both") && strcmp(val, "plain") && strcmp(val, "relaxed")))
                return odin_cli_usage("wasm", "--simd takes both, plain or relaxed");
            wo.simd = !strcmp(val, "plain")     ? ODIN_WASM_SIMD_PLAIN
                      : !strcmp(val, "relaxed") ? ODIN_WASM_SIMD_RELAXED
                                                : ODIN_WASM_SIMD_BOTH;
        } else if (odin_cli_opt(argc, argv, &i, "-o", &val, &missing)) {
            if (missing) return odin_cli_usage("wasm", "-o needs a file name");
            out = val;
        } else if (odin_cli_opt(argc, argv, &i, "--weights", &val, &missing)) {
            if (missing || (strcmp(val, "embed") && strcmp(val, "side")))
                return odin_cli_usage("wasm", "--weights takes embed or side");
            wo.weights = !strcmp(val, "side") ? ODIN_WASM_WEIGHTS_SIDE : ODIN_WASM_WEIGHTS_EMBED;
        } else if (odin_cli_opt(argc, argv, &i, "--shape", &val, &missing)) {
            if (missing) return odin_cli_usage("wasm", "--shape needs NAME=d0,d1,...");
            if (n_shapes == MAX_SHAPES) return odin_cli_usage("wasm", "too many --shape options");
            shapes[n_shapes++] = (char *)val;
        } else if (odin_cli_opt(argc, argv, &i, "--chunk", &val, &missing)) {
            char *end = NULL;
            long v = missing ? 0 : strtol(val, &end, 10);
            if (missing || end == val || *end || v < 2 || v > 4096)
                return odin_cli_usage("wasm", "--chunk expects a token count in 2..4096");
            chunk = (int)v;
        } else if (argv[i][0] == '-' && argv[i][1] == 'O' && argv[i][2] >= '0' &&
                   argv[i][2] <= '3' && !argv[i][3]) {
            po.opt_level = wo.opt_level = argv[i][2] - '0';
        } else if (argv[i][0] == '-') {
            return odin_cli_usage("wasm", "unknown option '%s'", argv[i]);
        } else if (!model) {
            model = argv[i];
        } else {
            return odin_cli_usage("wasm", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!model) return odin_cli_usage("wasm", "missing MODEL");
    if (!out) return odin_cli_usage("wasm", "missing -o OUT.wasm");
    odin_graph *g = NULL;
    odin_status st = odin_load_model(model, &g);
    if (!st && odin_cli_lm_wanted(g, (const char *const *)shapes, n_shapes)) {
        odin_lm_entries lm;
        st = odin_cli_lm_entries(model, g, chunk, &po, &lm);
        g = NULL;
        if (!st) {
            st = odin_wasm_build_lm(&lm, &wo, out);
            odin_lm_entries_free(&lm);
        }
    } else {
        if (!st) st = bind_shapes(g, shapes, n_shapes);
        if (!st) st = odin_run_passes(g, &po);
        if (!st) st = odin_wasm_build(g, &wo, out);
    }
    if (st) st = odin_status_prefix(st, "%s", model);
    if (!st) {
        size_t n = strlen(out);
        int stem = (int)(n > 5 && !strcmp(out + n - 5, ".wasm") ? n - 5 : n);
        char path[4096];
        snprintf(path, sizeof path, "%.*s.wasm", stem, out);
        printf("wrote %s (%lld bytes)", path, file_size(path));
        if (wo.simd == ODIN_WASM_SIMD_BOTH) {
            snprintf(path, sizeof path, "%.*s.relaxed.wasm", stem, out);
            printf(", %s (%lld bytes)", path, file_size(path));
        }
        snprintf(path, sizeof path, "%.*s.mjs", stem, out);
        printf(", %s", path);
        if (wo.weights == ODIN_WASM_WEIGHTS_SIDE) {
            snprintf(path, sizeof path, "%.*s.bin", stem, out);
            printf(", %s (%lld bytes)", path, file_size(path));
        }
        printf("\n");
    }
    odin_graph_free(g);
    return st ? odin_cli_fail(st) : 0;
}
