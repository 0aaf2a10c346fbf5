/* ir/print.c — printer dispatch, graph totals and the formatting helpers the text, DOT
 * and JSON printers share. */
#include "print.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "print_util.h"

odin_status odin_graph_print(const odin_graph *g, FILE *f, odin_print_format fmt) {
    switch (fmt) {
    case ODIN_PRINT_TEXT: return odin_graph_print_text(g, f);
    case ODIN_PRINT_DOT: return odin_graph_print_dot(g, f);
    case ODIN_PRINT_JSON: return odin_graph_print_json(g, f);
    }
    return odin_errorf("unknown print format %d", (int)fmt);
}

odin_status odin_print_format_from_name(const char *name, odin_print_format *out) {
    static const struct {
        const char *name;
        odin_print_format fmt;
    } formats[] = {{"text", ODIN_PRINT_TEXT}, {"dot", ODIN_PRINT_DOT}, {"json", ODIN_PRINT_JSON}};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (name && strcmp(name, formats[i].name) == 0) {
            *out = formats[i].fmt;
            return ODIN_OK;
        }
    return odin_errorf("unknown format '%s' (expected text, dot or json)", name ? name : "");
}

odin_graph_totals odin_graph_count(const odin_graph *g) {
    odin_graph_totals t = {.nodes = g->n_nodes, .tensors = g->n_tensors};
    for (int i = 0; i < g->n_tensors; i++) {
        const odin_tensor *tt = &g->tensors[i];
        if (!(tt->flags & ODIN_TENSOR_CONST)) continue;
        t.constants++;
        int64_t n = odin_tensor_numel(tt);
        if (n > 0) t.parameters += n;
        t.weight_bytes += tt->nbytes;
    }
    return t;
}

/* Append to buf at *off, never past size (the result stays NUL-terminated). */
static void app(char *buf, size_t size, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void app(char *buf, size_t size, size_t *off, const char *fmt, ...) {
    if (*off + 1 >= size) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *off, size - *off, fmt, ap);
    va_end(ap);
    if (n > 0) *off += (size_t)n;
    if (*off >= size) *off = size - 1;
}

const char *odin_pr_tensor_name(const odin_graph *g, int t, char *buf, size_t size) {
    if (t >= 0 && t < g->n_tensors && g->tensors[t].name) return g->tensors[t].name;
    snprintf(buf, size, "<bad #%d>", t);
    return buf;
}

const char *odin_pr_tensor_type(const odin_graph *g, int t, char *buf, size_t size) {
    if (t < 0 || t >= g->n_tensors) {
        snprintf(buf, size, "<bad #%d>", t);
        return buf;
    }
    const odin_tensor *tt = &g->tensors[t];
    char shape[256];
    int rank = tt->rank <= ODIN_MAX_RANK ? tt->rank : ODIN_MAX_RANK;
    odin_format_shape(shape, sizeof shape, rank, tt->dims, tt->dim_params);
    snprintf(buf, size, "%s%s", odin_dtype_name(tt->dtype), shape);
    return buf;
}

const char *odin_pr_thousands(int64_t v, char *buf, size_t size) {
    char digits[32];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int n = snprintf(digits, sizeof digits, "%" PRIu64, u);
    size_t off = 0;
    if (v < 0) app(buf, size, &off, "-");
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) app(buf, size, &off, ",");
        app(buf, size, &off, "%c", digits[i]);
    }
    if (!off) buf[0] = 0;
    return buf;
}

const char *odin_pr_bytes(uint64_t v, char *buf, size_t size) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (v < 1024) {
        snprintf(buf, size, "%" PRIu64 " B", v);
        return buf;
    }
    double x = (double)v;
    int u = 0;
    while (x >= 1024 && u < 4) {
        x /= 1024;
        u++;
    }
    snprintf(buf, size, "%.1f %s", x, units[u]);
    return buf;
}

bool odin_pr_stats(const void *data, odin_dtype dt, int64_t numel, double *min, double *max,
                   double *mean) {
    if (!data || numel <= 0 || dt == ODIN_STRING || dt == ODIN_UNDEFINED ||
        (unsigned)dt >= ODIN_DTYPE_COUNT)
        return false;
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (int64_t i = 0; i < numel; i++) {
        double x = odin_load_as_f64(data, dt, (size_t)i);
        if (x < lo) lo = x;
        if (x > hi) hi = x;
        sum += x;
    }
    *min = lo;
    *max = hi;
    *mean = sum / (double)numel;
    return true;
}

/* A C-escaped, quoted string. */
static void app_quoted(char *buf, size_t size, size_t *off, const char *s, size_t len) {
    app(buf, size, off, "\"");
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t n = 1;
        if (c == '"' || c == '\\') app(buf, size, off, "\\%c", c);
        else if (c == '\n') app(buf, size, off, "\\n");
        else if (c < 0x20 || c == 0x7f) app(buf, size, off, "\\x%02x", c);
        else if (c < 0x80) app(buf, size, off, "%c", c);
        else if ((n = odin_pr_utf8_len((const unsigned char *)s + i, len - i)))
            app(buf, size, off, "%.*s", (int)n, s + i); /* valid UTF-8 stays readable */
        else {
            app(buf, size, off, "\\x%02x", c);
            n = 1;
        }
        i += n;
    }
    app(buf, size, off, "\"");
}

size_t odin_pr_elements(const void *data, odin_dtype dt, int64_t numel, int max_elems,
                        char *buf, size_t size) {
    size_t off = 0;
    buf[0] = 0;
    if (!data || dt == ODIN_UNDEFINED || (unsigned)dt >= ODIN_DTYPE_COUNT) return off;
    for (int64_t i = 0; i < numel; i++) {
        if (i == max_elems) {
            app(buf, size, &off, ",...");
            break;
        }
        if (i) app(buf, size, &off, ",");
        if (dt == ODIN_STRING) {
            const char *s = ((const char *const *)data)[i];
            app_quoted(buf, size, &off, s ? s : "", s ? strlen(s) : 0);
        } else if (odin_dtype_is_float(dt)) {
            app(buf, size, &off, "%g", odin_load_as_f64(data, dt, (size_t)i));
        } else {
            app(buf, size, &off, "%" PRId64, odin_load_as_i64(data, dt, (size_t)i));
        }
    }
    return off;
}

enum { MAX_LIST = 8 }; /* list elements shown before abbreviating */

const char *odin_pr_attr_value(const odin_attr *a, char *buf, size_t size) {
    size_t off = 0;
    buf[0] = 0;
    int cnt = a->count > 0 ? a->count : 0;
    switch (a->kind) {
    case ODIN_ATTR_INT: app(buf, size, &off, "%" PRId64, a->i); break;
    case ODIN_ATTR_FLOAT: app(buf, size, &off, "%g", (double)a->f); break;
    case ODIN_ATTR_STRING: {
        size_t len = a->s ? (a->s_len ? a->s_len : strlen(a->s)) : 0;
        if (len > 64) {
            app_quoted(buf, size, &off, a->s, 60);
            app(buf, size, &off, "...(%zu bytes)", len);
        } else {
            app_quoted(buf, size, &off, a->s ? a->s : "", len);
        }
        break;
    }
    case ODIN_ATTR_INTS:
    case ODIN_ATTR_FLOATS:
    case ODIN_ATTR_STRINGS:
        app(buf, size, &off, "[");
        for (int i = 0; i < cnt && i < MAX_LIST; i++) {
            if (i) app(buf, size, &off, ",");
            if (a->kind == ODIN_ATTR_INTS && a->ints) app(buf, size, &off, "%" PRId64, a->ints[i]);
            else if (a->kind == ODIN_ATTR_FLOATS && a->floats)
                app(buf, size, &off, "%g", (double)a->floats[i]);
            else if (a->kind == ODIN_ATTR_STRINGS && a->strings) {
                const char *s = a->strings[i] ? a->strings[i] : "";
                app_quoted(buf, size, &off, s, strlen(s));
            }
        }
        if (cnt > MAX_LIST) app(buf, size, &off, ",...] (%d)", cnt);
        else app(buf, size, &off, "]");
        break;
    case ODIN_ATTR_TENSOR: {
        char shape[256];
        int rank = a->t.rank <= ODIN_MAX_RANK ? a->t.rank : ODIN_MAX_RANK;
        odin_format_shape(shape, sizeof shape, rank, a->t.dims, NULL);
        app(buf, size, &off, "tensor<%s%s>{", odin_dtype_name(a->t.dtype), shape);
        if (off + 1 < size)
            off += odin_pr_elements(a->t.data, a->t.dtype,
                                    a->t.rank <= ODIN_MAX_RANK ? odin_value_numel(&a->t) : -1,
                                    MAX_LIST, buf + off, size - off);
        if (off >= size) off = size - 1;
        app(buf, size, &off, "}");
        break;
    }
    default: app(buf, size, &off, "<%s>", odin_attr_kind_name(a->kind)); break;
    }
    return buf;
}

size_t odin_pr_utf8_len(const unsigned char *s, size_t n) {
    if (!n) return 0;
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || len > n) return 0;
    uint32_t cp = c & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    /* reject overlong forms, surrogates and values past U+10FFFF */
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
    return len;
}
