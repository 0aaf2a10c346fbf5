/* tools/cmd_check.c — placeholder until its owner lands it. */
#include "cli.h"

int odin_cmd_check(int argc, char **argv) {
    (void)argc;
    return odin_cli_usage(argv[0], "not built yet");
}
