/* tools/cmd_import.c — `odinc import MODEL.onnx -o MODEL.odin`: imports an ONNX model
 * (external data resolved next to it) and writes it as a .odin FlatBuffers file. */
#include <stdio.h>
#include <string.h>

#include "../frontend/onnx.h"
#include "../ir/serialize.h"
#include "cli.h"

static void usage(void) {
    printf("usage: odinc import MODEL.onnx -o MODEL.odin\n\n"
           "Converts an ONNX model to ODIN's .odin format (graph and weights in one\n"
           "FlatBuffers file). External-data files are read from the model's directory.\n"
           "Fails with a list of every unsupported op if the model uses any.\n");
}

int odin_cmd_import(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *val = NULL;
        bool missing = false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage();
            return 0;
        }
        if (odin_cli_opt(argc, argv, &i, "-o", &val, &missing)) {
            if (missing) return odin_cli_usage("import", "-o needs a file name");
            out = val;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return odin_cli_usage("import", "unknown option '%s'", argv[i]);
        } else if (!in) {
            in = argv[i];
        } else {
            return odin_cli_usage("import", "unexpected argument '%s'", argv[i]);
        }
    }
    if (!in) return odin_cli_usage("import", "missing MODEL.onnx");
    if (!out) return odin_cli_usage("import", "missing -o MODEL.odin");
    odin_graph *g;
    odin_status st = odin_onnx_import_file(in, &g);
    if (st) return odin_cli_fail(st);
    st = odin_graph_write_file(g, out);
    odin_graph_free(g);
    if (st) return odin_cli_fail(st);
    return 0;
}
