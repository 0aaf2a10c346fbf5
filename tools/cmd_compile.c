/* tools/cmd_compile.c — `odinc compile MODEL -o OUT`: ahead-of-time compilation to an
 * executable, a shared or static library with a C header, or the raw object / LLVM IR /
 * assembly, for the host or a cross target (codegen/aot.h does the work). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codegen/aot.h"
#include "../codegen/wasm.h"
#include "../codegen/wasm_lm.h"
#include "../frontend/load.h"
#include "../passes/pass.h"
#include "../passes/specialize.h"
#include "cli.h"
#include "cli_lm.h"

#define MAX_SHAPES 64

typedef struct compile_opts {
    const char *model, *out, *emit, *target, *cpu, *weights, *name;
    const char *shapes[MAX_SHAPES];
    int n_shapes;
    int opt_level; /* -1: passes -O2, LLVM -O3 */
    int chunk;     /* LM prefill entry's token count */
    bool verbose;
} compile_opts;

static void usage(FILE *f) {
    fprintf(f,
            "usage: odinc compile MODEL -o OUT [--emit exe|shared|static|obj|llvm|asm]\n"
            "                     [--target TRIPLE] [--cpu NAME|native] [--weights embed|FILE]\n"
            "                     [--shape NAME=d0,d1,... ...] [--name IDENT] [--chunk P]\n"
            "                     [-O0..-O3] [-v]\n\n"
            "Compiles MODEL (.onnx or .odin) ahead of time. Shapes must be static: bind\n"
            "symbolic ones with --shape (an input name or a symbolic dimension name).\n"
            "--emit exe (default): a standalone executable; run it with the inputs as .npy\n"
            "  files in graph order (OUT --help lists them; --out DIR writes outputs,\n"
            "  --bench N times runs, --threads N).\n"
            "--emit shared|static: OUT.so / OUT.a plus the C header OUT.h (IDENT_create,\n"
            "  IDENT_run, IDENT_destroy, IDENT_inputs/IDENT_outputs descriptors).\n"
            "--emit obj|llvm|asm: the object file, LLVM IR or assembly (descriptor included;\n"
            "  link an object with libodin_rt.a).\n"
            "--target: host/native (default), x86-64-v3 (AVX2), aarch64 or an LLVM triple\n"
            "  (x86_64-..., aarch64-...); --cpu overrides the CPU (native: this machine).\n"
            "  --target wasm32 writes OUT.wasm + OUT.mjs as `odinc wasm` does.\n"
            "--weights embed (default) puts the constants into the binary; --weights FILE\n"
            "  writes them to FILE, read (mmap) at create time from next to the binary.\n"
            "--name IDENT: the C prefix of the API (default: OUT's base name).\n"
            "-O0..-O3: graph passes and LLVM level (default: passes -O2, LLVM -O3).\n"
            "A language model (docs/language-models.md: input tokens [1,seq] with a symbolic\n"
            "seq, output logits) is compiled twice into the one output, sharing the weights:\n"
            "a decode entry (seq = 1) and a prefill entry (seq = P, --chunk P, default 64).\n"
            "Libraries get IDENT_session_* in the header (create, prefill, step, logits,\n"
            "reset, destroy); the executable generates greedily with --prompt-ids 1,2,3\n"
            "--max-tokens N. Binding seq with --shape compiles one static program instead.\n"
            "Every op needs a compiled lowering (there is no interpreter fallback here).\n");
}

/* --shape bindings for g's inputs: NAME=dims of an input, or a symbolic dim NAME=N. */
static odin_status apply_shapes(odin_graph *g, const compile_opts *o) {
    for (int i = 0; i < g->n_inputs; i++) {
        const odin_tensor *tt = &g->tensors[g->inputs[i]];
        size_t len = strlen(tt->name);
        const char *given = NULL;
        for (int k = 0; k < o->n_shapes; k++)
            if (!strncmp(o->shapes[k], tt->name, len) && o->shapes[k][len] == '=') given = o->shapes[k];
        if (given) {
            ODIN_TRY(odin_specialize_binding(g, given));
            continue;
        }
        bool symbolic = false;
        for (int d = 0; d < tt->rank; d++) symbolic |= tt->dims[d] < 0;
        if (tt->rank < 0)
            return odin_errorf("input '%s' has unknown rank: give its shape with --shape %s=d0,d1,...",
                               tt->name, tt->name);
        if (!symbolic) continue;
        char binding[512];
        int n = snprintf(binding, sizeof binding, "%s=", tt->name);
        for (int d = 0; d < tt->rank && n < (int)sizeof binding; d++) {
            long long x = tt->dims[d];
            const char *sym = tt->dim_params[d];
            for (int k = 0; x < 0 && sym && k < o->n_shapes; k++) {
                size_t sl = strlen(sym);
                if (!strncmp(o->shapes[k], sym, sl) && o->shapes[k][sl] == '=') x = atoll(o->shapes[k] + sl + 1);
            }
            if (x < 0 && sym)
                return odin_errorf("input '%s': dimension %d is symbolic ('%s'): bind it with "
                                   "--shape %s=SIZE or --shape %s=d0,d1,...", tt->name, d, sym, sym,
                                   tt->name);
            if (x < 0)
                return odin_errorf("input '%s': dimension %d is unknown: give the shape with "
                                   "--shape %s=d0,d1,...", tt->name, d, tt->name);
            n += snprintf(binding + n, sizeof binding - (size_t)n, "%s%lld", d ? "," : "", x);
        }
        ODIN_TRY(odin_specialize_binding(g, binding));
    }
    return ODIN_OK;
}

/* --target wasm32: the module and loader of `odinc wasm` (codegen/wasm.h); --weights
 * other than embed puts the weights in OUT.bin next to the module. */
static int compile_wasm(const compile_opts *o) {
    if (o->emit && strcmp(o->emit, "exe") != 0 && strcmp(o->emit, "wasm") != 0)
        return odin_cli_usage("compile", "--target wasm32 writes a .wasm module and its .mjs "
                              "loader; --emit %s is not available", o->emit);
    odin_wasm_options wo = odin_wasm_defaults();
    if (o->opt_level >= 0) wo.opt_level = o->opt_level;
    if (o->weights && strcmp(o->weights, "embed") != 0) wo.weights = ODIN_WASM_WEIGHTS_SIDE;
    odin_graph *g = NULL;
    odin_pass_options po = odin_pass_defaults();
    if (o->opt_level >= 0) po.opt_level = o->opt_level;
    odin_status st = odin_load_model(o->model, &g);
    if (!st && odin_cli_lm_wanted(g, o->shapes, o->n_shapes)) {
        odin_lm_entries lm;
        st = odin_cli_lm_entries(o->model, g, o->chunk, &po, &lm);
        g = NULL;
        if (!st) {
            st = odin_wasm_build_lm(&lm, &wo, o->out);
            odin_lm_entries_free(&lm);
        }
    } else {
        if (!st) st = apply_shapes(g, o);
        if (!st) st = odin_run_passes(g, &po);
        if (!st) st = odin_wasm_build(g, &wo, o->out);
    }
    odin_graph_free(g);
    if (st) return odin_cli_fail(odin_status_prefix(st, "%s", o->model));
    printf("wrote the wasm module %s and its loader (.mjs)\n", o->out);
    return 0;
}

static int compile(const compile_opts *o) {
    if (o->target && (!strcmp(o->target, "wasm32") || !strncmp(o->target, "wasm32-", 7)))
        return compile_wasm(o);
    odin_aot_options ao = {.opt_level = o->opt_level < 0 ? 3 : o->opt_level, .verbose = o->verbose,
                           .target = o->target, .cpu = o->cpu};
    odin_status st = odin_aot_emit_parse(o->emit ? o->emit : "exe", &ao.emit);
    if (st) {
        odin_cli_usage("compile", "%s", odin_status_message(st));
        odin_status_free(st);
        return 2;
    }
    if (o->weights && strcmp(o->weights, "embed") != 0) ao.weights_file = o->weights;
    char name[128];
    if (o->name) {
        bool ok = (o->name[0] < '0' || o->name[0] > '9') && strlen(o->name) < sizeof name && *o->name;
        for (const char *p = o->name; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_';
        if (!ok || !strcmp(o->name, "main"))
            return odin_cli_usage("compile", "--name '%s' is not a C identifier (or is 'main')", o->name);
        snprintf(name, sizeof name, "%s", o->name);
    } else {
        odin_aot_default_name(o->out, ao.emit, name, sizeof name);
    }
    ao.name = name;
    odin_graph *g = NULL;
    st = odin_load_model(o->model, &g);
    if (!st && odin_cli_lm_wanted(g, o->shapes, o->n_shapes)) {
        odin_pass_options po = odin_pass_defaults();
        if (o->opt_level >= 0) po.opt_level = o->opt_level;
        odin_lm_entries lm;
        st = odin_cli_lm_entries(o->model, g, o->chunk, &po, &lm);
        if (!st) {
            ao.lm = &lm;
            st = odin_aot_compile(lm.g[0], &ao, o->out);
            odin_lm_entries_free(&lm);
        }
        if (st) return odin_cli_fail(odin_status_prefix(st, "%s", o->model));
        return 0;
    }
    if (!st) st = apply_shapes(g, o);
    if (!st) {
        odin_pass_options po = odin_pass_defaults();
        if (o->opt_level >= 0) po.opt_level = o->opt_level;
        st = odin_run_passes(g, &po);
    }
    if (!st) st = odin_aot_compile(g, &ao, o->out);
    odin_graph_free(g);
    if (st) return odin_cli_fail(odin_status_prefix(st, "%s", o->model));
    return 0;
}

int odin_cmd_compile(int argc, char **argv) {
    compile_opts o = {.opt_level = -1, .chunk = ODIN_LM_DEFAULT_CHUNK};
    for (int i = 1; i < argc; i++) {
        const char *val = NULL;
        bool missing = false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (odin_cli_opt(argc, argv, &i, "-o", &val, &missing)) {
            o.out = val;
        } else if (odin_cli_opt(argc, argv, &i, "--emit", &val, &missing)) {
            o.emit = val;
        } else if (odin_cli_opt(argc, argv, &i, "--target", &val, &missing)) {
            o.target = val;
        } else if (odin_cli_opt(argc, argv, &i, "--cpu", &val, &missing)) {
            o.cpu = val;
        } else if (odin_cli_opt(argc, argv, &i, "--weights", &val, &missing)) {
            o.weights = val;
        } else if (odin_cli_opt(argc, argv, &i, "--name", &val, &missing)) {
            o.name = val;
        } else if (odin_cli_opt(argc, argv, &i, "--chunk", &val, &missing)) {
            char *end = NULL;
            long v = missing ? 0 : strtol(val, &end, 10);
            if (!missing && (end == val || *end || v < 2 || v > 4096))
                return odin_cli_usage(argv[0], "--chunk expects a token count in 2..4096, got '%s'", val);
            o.chunk = (int)v;
        } else if (odin_cli_opt(argc, argv, &i, "--shape", &val, &missing)) {
            if (!missing) {
                if (o.n_shapes >= MAX_SHAPES) return odin_cli_usage(argv[0], "too many --shape options");
                if (!strchr(val, '=')) return odin_cli_usage(argv[0], "--shape expects NAME=VALUE, got '%s'", val);
                o.shapes[o.n_shapes++] = val;
            }
        } else if (!strcmp(argv[i], "-v")) {
            o.verbose = true;
        } else if (!strncmp(argv[i], "-O", 2)) {
            if (argv[i][2] < '0' || argv[i][2] > '3' || argv[i][3])
                return odin_cli_usage(argv[0], "unknown option '%s' (-O0, -O1, -O2 or -O3)", argv[i]);
            o.opt_level = argv[i][2] - '0';
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return odin_cli_usage(argv[0], "unknown option '%s'", argv[i]);
        } else if (!o.model) {
            o.model = argv[i];
        } else {
            return odin_cli_usage(argv[0], "more than one model given ('%s', '%s')", o.model, argv[i]);
        }
        if (missing) return odin_cli_usage(argv[0], "%s needs a value", argv[i]);
    }
    if (!o.model) return odin_cli_usage(argv[0], "no model given");
    if (!o.out) return odin_cli_usage(argv[0], "no output given (-o OUT)");
    return compile(&o);
}
