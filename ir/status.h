/* ir/status.h — ODIN's one error style.
 * A failing function returns an odin_status: NULL means success, otherwise a heap
 * object carrying one human-readable message ("file: node 'X' (Op): reason"). */
#ifndef ODIN_STATUS_H
#define ODIN_STATUS_H

#include <stdarg.h>

typedef struct odin_error *odin_status;
#define ODIN_OK ((odin_status)0)

/* New error with a printf-style message. */
odin_status odin_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
odin_status odin_verrorf(const char *fmt, va_list ap);
/* Prefix an existing error's message ("prefix: old message"); takes ownership of st
 * and returns it (NULL stays NULL). Used to add file / node context on the way up. */
odin_status odin_status_prefix(odin_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *odin_status_message(odin_status st); /* "" for ODIN_OK */
void odin_status_free(odin_status st);

/* Propagate: evaluate expr; on error return it from the enclosing function. */
#define ODIN_TRY(expr)                                                                   \
    do {                                                                                 \
        odin_status odin_try_st_ = (expr);                                               \
        if (odin_try_st_) return odin_try_st_;                                           \
    } while (0)

#endif
