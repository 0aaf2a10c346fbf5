/* tools/cli_common.c — argument, error, timing and JSON-output helpers shared by the subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

double odin_cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void odin_cli_print_json_string(const char *text) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}
