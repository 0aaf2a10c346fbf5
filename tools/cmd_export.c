/* tools/cmd_export.c — placeholder until its owner lands it. */
#include "cli.h"

int odin_cmd_export(int argc, char **argv) {
    (void)argc;
    return odin_cli_usage(argv[0], "not built yet");
}
