/* tools/cli_common.c — argument and error helpers shared by the subcommands (their clock,
 * JSON strings and medians are runtime/report.h's, shared with the AOT executables). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int odin_cli_fail(odin_status st) {
    fprintf(stderr, "odinc: %s\n", odin_status_message(st));
    odin_status_free(st);
    return 1;
}

int odin_cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "odinc %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'odinc %s --help')\n", cmd);
    return 2;
}

bool odin_cli_opt(int argc, char **argv, int *i, const char *flag, const char **value,
                  bool *missing) {
    size_t n = strlen(flag);
    if (strncmp(argv[*i], flag, n) != 0) return false;
    if (argv[*i][n] == '=') { /* --flag=value */
        *value = argv[*i] + n + 1;
        return true;
    }
    if (argv[*i][n] != '\0') return false;
    if (*i + 1 >= argc) {
        *missing = true;
        return true;
    }
    *value = argv[++*i];
    return true;
}

