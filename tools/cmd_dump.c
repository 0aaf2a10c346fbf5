/* tools/cmd_dump.c — `odinc dump FILE`: load a model (.odin or ONNX) and print its graph
 * as text, Graphviz DOT or JSON, optionally after checking it with the verifier. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../frontend/load.h"
#include "../ir/print.h"
#include "../ir/verify.h"
#include "../passes/pass.h"
#include "cli.h"

static void help(void) {
    printf("usage: odinc dump FILE [--format text|dot|json] [-o OUT] [--verify]\n"
           "                  [-O0..-O3] [--print-after=PASS] [--print-after-all]\n"
           "Prints the graph of a model (.odin or .onnx, told apart by content).\n"
           "  --format F   text (default): header, constants with statistics, one line per\n"
           "               node, totals; dot: Graphviz (render with 'dot -Tsvg');\n"
           "               json: machine-readable, see docs/dump-json.md\n"
           "  -o OUT       write to OUT instead of standard output\n"
           "  --verify     check the graph with the verifier first; fail if it is invalid\n"
           "  -O0..-O3     run the optimization pipeline of that level before dumping\n"
           "               (default -O0: the graph as stored)\n"
           "  --print-after=PASS, --print-after-all\n"
           "               also dump (text, to stderr) after the named pass / every pass\n");
}

int odin_cmd_dump(int argc, char **argv) {
    const char *path = NULL, *out = NULL, *format = "text";
    bool verify = false;
    odin_pass_options passes = odin_pass_defaults();
    passes.opt_level = 0;
    for (int i = 1; i < argc; i++) {
        bool missing = false, matched = false;
        odin_status pst = odin_pass_parse_arg(&passes, argv[i], &matched);
        if (pst) {
            int rc = odin_cli_usage(argv[0], "%s", odin_status_message(pst));
            odin_status_free(pst);
            return rc;
        }
        if (matched) continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help();
            return 0;
        }
        if (odin_cli_opt(argc, argv, &i, "--format", &format, &missing) ||
            odin_cli_opt(argc, argv, &i, "-o", &out, &missing)) {
            if (missing) return odin_cli_usage(argv[0], "%s needs a value", argv[i]);
        } else if (!strcmp(argv[i], "--verify")) {
            verify = true;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return odin_cli_usage(argv[0], "unknown option '%s'", argv[i]);
        } else if (path) {
            return odin_cli_usage(argv[0], "more than one model file ('%s' and '%s')", path,
                                  argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path) return odin_cli_usage(argv[0], "no model file given");
    odin_print_format fmt;
    odin_status st = odin_print_format_from_name(format, &fmt);
    if (st) {
        int rc = odin_cli_usage(argv[0], "%s", odin_status_message(st));
        odin_status_free(st);
        return rc;
    }
    odin_graph *g = NULL;
    st = odin_load_model(path, &g);
    if (!st && verify) st = odin_status_prefix(odin_graph_verify(g), "%s", path);
    if (!st && (passes.opt_level > 0 || passes.pipeline || passes.n_print_after ||
                passes.print_after_all))
        st = odin_status_prefix(odin_run_passes(g, &passes), "%s", path);
    FILE *f = stdout;
    if (!st && out && !(f = fopen(out, "w")))
        st = odin_errorf("%s: cannot write: %s", out, strerror(errno));
    if (!st) st = odin_graph_print(g, f, fmt);
    if (f && f != stdout && fclose(f) && !st)
        st = odin_errorf("%s: cannot write: %s", out, strerror(errno));
    else if (f == stdout && fflush(stdout) && !st)
        st = odin_errorf("standard output: cannot write: %s", strerror(errno));
    odin_graph_free(g);
    return st ? odin_cli_fail(st) : 0;
}
