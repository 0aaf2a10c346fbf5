/* tools/cmd_build_model.c — placeholder until its owner lands it. */
#include "cli.h"

int odin_cmd_build_model(int argc, char **argv) {
    (void)argc;
    return odin_cli_usage(argv[0], "not built yet");
}
