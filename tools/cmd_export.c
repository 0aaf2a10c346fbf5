/* tools/cmd_export.c — `odinc export MODEL -o OUT.onnx`: writes a model (.onnx or .odin,
 * told apart by content) as an ONNX file; ODIN-only ops go to domain ai.odin. */
#include <stdio.h>
#include <string.h>

#include "../frontend/load.h"
#include "../frontend/onnx.h"
#include "cli.h"

static void usage(void) {
    printf("usage: odinc export MODEL -o OUT.onnx\n\n"
           "Writes MODEL (.onnx or .odin) as an ONNX model: constants become initializers,\n"
           "symbolic dims become dim_params, ODIN-only ops are put in domain 'ai.odin'.\n");
}

int odin_cmd_export(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *val = NULL;
        bool missing = false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 0;
        }
        if (odin_cli_opt(argc, argv, &i, "-o", &val, &missing)) {
            if (missing) return odin_cli_usage("export", "-o needs a file name");
            out = val;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return odin_cli_usage("export", "unknown option '%s'", argv[i]);
        } else if (!in) {
            in = argv[i];
        } else {
            return odin_cli_usage("export", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!in) return odin_cli_usage("export", "missing MODEL");
    if (!out) return odin_cli_usage("export", "missing -o OUT.onnx");
    odin_graph *g;
    odin_status st = odin_load_model(in, &g);
    if (st) return odin_cli_fail(st);
    st = odin_onnx_export_file(g, out);
    odin_graph_free(g);
    if (st) return odin_cli_fail(st);
    return 0;
}
