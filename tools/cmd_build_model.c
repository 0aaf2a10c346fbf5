/* tools/cmd_build_model.c — `odinc build-model NAME [--set key=value ...]
 * [--weights FILE.safetensors] -o FILE`: runs a C builder (random weights, or read from a
 * checkpoint) and writes .odin (or .onnx when FILE ends in .onnx). */
#include <stdio.h>
#include <string.h>

#include "../frontend/onnx.h"
#include "../frontend/safetensors.h"
#include "../ir/serialize.h"
#include "../models/models.h"
#include "cli.h"

static void list_models(void) {
    int n;
    const odin_model_builder *const *all = odin_model_all(&n);
    for (int i = 0; i < n; i++) {
        printf("%s — %s\n", all[i]->name, all[i]->doc);
        for (const odin_model_param *p = all[i]->params; p->name; p++)
            printf("    %-10s %-8lld %s\n", p->name, (long long)p->def, p->doc);
    }
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int odin_cmd_build_model(int argc, char **argv) {
    const char *name = NULL, *out = NULL, *weights_path = NULL;
    const char *settings[64];
    int n_settings = 0;
    for (int i = 1; i < argc; i++) {
        const char *val = NULL;
        bool missing = false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: odinc build-model NAME [--set key=value ...] [--weights FILE.safetensors]\n"
                   "                         -o FILE.odin|FILE.onnx\n"
                   "       odinc build-model --list\n\n"
                   "Builds a model from its C builder and writes it. Weights are seeded random\n"
                   "unless --weights names a safetensors checkpoint: every parameter is then read\n"
                   "from it by name and its shape checked against the builder's (f16/bf16 become\n"
                   "f32). --list prints every builder with its parameters and defaults.\n");
            return 0;
        }
        if (!strcmp(argv[i], "--list")) {
            list_models();
            return 0;
        }
        if (odin_cli_opt(argc, argv, &i, "--set", &val, &missing)) {
            if (missing) return odin_cli_usage("build-model", "--set needs key=value");
            if (n_settings == 64) return odin_cli_usage("build-model", "too many --set");
            settings[n_settings++] = val;
        } else if (odin_cli_opt(argc, argv, &i, "--weights", &val, &missing)) {
            if (missing) return odin_cli_usage("build-model", "--weights needs a .safetensors file");
            weights_path = val;
        } else if (odin_cli_opt(argc, argv, &i, "-o", &val, &missing)) {
            if (missing) return odin_cli_usage("build-model", "-o needs a file name");
            out = val;
        } else if (argv[i][0] == '-') {
            return odin_cli_usage("build-model", "unknown option '%s'", argv[i]);
        } else if (!name) {
            name = argv[i];
        } else {
            return odin_cli_usage("build-model", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!name) return odin_cli_usage("build-model", "missing model name (try --list)");
    if (!out) return odin_cli_usage("build-model", "missing -o FILE");
    odin_safetensors *weights = NULL;
    if (weights_path) {
        odin_status wst = odin_safetensors_open(weights_path, &weights);
        if (wst) return odin_cli_fail(wst);
    }
    odin_graph *g;
    /* the graph keeps its own reference to the checkpoint where it points into it */
    odin_status st = odin_model_build_with(name, settings, n_settings, weights, &g);
    odin_safetensors_close(weights);
    if (st) return odin_cli_fail(st);
    st = ends_with(out, ".onnx") ? odin_onnx_export_file(g, out) : odin_graph_write_file(g, out);
    odin_graph_free(g);
    if (st) return odin_cli_fail(st);
    return 0;
}
