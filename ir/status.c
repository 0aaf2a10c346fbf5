#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct odin_error {
    char *msg;
};

/* Returned when memory runs out while reporting an error; never freed. */
static char oom_text[] = "out of memory";
static struct odin_error oom_error = {oom_text};

static odin_status error_from_string(char *msg) {
    if (!msg) return &oom_error;
    odin_status st = malloc(sizeof *st);
    if (!st) {
        free(msg);
        return &oom_error;
    }
    st->msg = msg;
    return st;
}

odin_status odin_verrorf(const char *fmt, va_list ap) {
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) msg = NULL;
    return error_from_string(msg);
}

odin_status odin_errorf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    odin_status st = odin_verrorf(fmt, ap);
    va_end(ap);
    return st;
}

odin_status odin_status_prefix(odin_status st, const char *fmt, ...) {
    if (!st || st == &oom_error) return st;
    char *prefix = NULL, *joined = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&prefix, fmt, ap) < 0) prefix = NULL;
    va_end(ap);
    if (prefix && asprintf(&joined, "%s: %s", prefix, st->msg) >= 0) {
        free(st->msg);
        st->msg = joined;
    }
    free(prefix);
    return st;
}

const char *odin_status_message(odin_status st) { return st ? st->msg : ""; }

void odin_status_free(odin_status st) {
    if (!st || st == &oom_error) return;
    free(st->msg);
    free(st);
}
