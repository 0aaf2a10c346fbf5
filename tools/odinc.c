/* tools/odinc.c — the odinc command line: dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name, *help;
    int (*fn)(int, char **);
} commands[] = {
#define ODIN_CMD_ENTRY(fn, name, help) {name, help, odin_cmd_##fn},
    ODIN_COMMANDS(ODIN_CMD_ENTRY)
#undef ODIN_CMD_ENTRY
};

static void usage(FILE *f) {
    fprintf(f, "usage: odinc <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n'odinc <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "odinc: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
