/* runtime/npy.c — NumPy .npy reader and writer.
 * The header is a Python dict literal; we parse the subset NumPy writes (and a little
 * more: keys in any order, any spacing, trailing commas, "(3)" as well as "(3,)") with a
 * bounded cursor, so a malformed or truncated file is an error, never a crash. */
#include "npy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c assumes a little-endian host ('=' and '<' are the same byte order)"
#endif

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static const struct {
    char kind;
    int size;
    odin_dtype dtype;
} npy_types[] = {
    {'f', 4, ODIN_F32}, {'f', 8, ODIN_F64}, {'f', 2, ODIN_F16}, {'i', 8, ODIN_I64},
    {'i', 4, ODIN_I32}, {'i', 2, ODIN_I16}, {'i', 1, ODIN_I8},  {'u', 1, ODIN_U8},
    {'u', 2, ODIN_U16}, {'u', 4, ODIN_U32}, {'u', 8, ODIN_U64}, {'b', 1, ODIN_BOOL},
};

const char *odin_npy_descr(odin_dtype t) {
    switch (t) {
    case ODIN_F32: return "<f4";
    case ODIN_F64: return "<f8";
    case ODIN_F16: return "<f2";
    case ODIN_I64: return "<i8";
    case ODIN_I32: return "<i4";
    case ODIN_I16: return "<i2";
    case ODIN_I8: return "|i1";
    case ODIN_U8: return "|u1";
    case ODIN_U16: return "<u2";
    case ODIN_U32: return "<u4";
    case ODIN_U64: return "<u8";
    case ODIN_BOOL: return "|b1";
    default: return NULL;
    }
}

/* ---- header dict parsing ---- */

typedef struct cursor {
    const char *p, *end;
    const char *what;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool accept(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* A quoted Python string ('...' or "...") without escapes, copied into out. */
static odin_status parse_string(cursor *c, char *out, size_t cap, const char *role) {
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return odin_errorf("%s: .npy header: expected a quoted %s", c->what, role);
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (*c->p == '\\' || n + 1 >= cap)
            return odin_errorf("%s: .npy header: unsupported or too long %s", c->what, role);
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return odin_errorf("%s: .npy header: unterminated %s", c->what, role);
    c->p++;
    out[n] = '\0';
    return ODIN_OK;
}

static odin_status parse_bool(cursor *c, bool *out) {
    skip_ws(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        c->p += 4;
        *out = true;
        return ODIN_OK;
    }
    if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        c->p += 5;
        *out = false;
        return ODIN_OK;
    }
    return odin_errorf("%s: .npy header: fortran_order must be True or False", c->what);
}

static odin_status parse_shape(cursor *c, odin_value *v) {
    if (!accept(c, '('))
        return odin_errorf("%s: .npy header: shape must be a tuple like (2, 3)", c->what);
    v->rank = 0;
    for (;;) {
        if (accept(c, ')')) return ODIN_OK;
        skip_ws(c);
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return odin_errorf("%s: .npy header: shape must hold non-negative integers",
                               c->what);
        int64_t d = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            if (__builtin_mul_overflow(d, 10, &d) || __builtin_add_overflow(d, *c->p - '0', &d))
                return odin_errorf("%s: .npy header: shape dimension overflows", c->what);
            c->p++;
        }
        if (c->p < c->end && *c->p == 'L') c->p++; /* Python 2 long literal */
        if (v->rank >= ODIN_MAX_RANK)
            return odin_errorf("%s: .npy header: rank exceeds %d", c->what, ODIN_MAX_RANK);
        v->dims[v->rank++] = d;
        if (accept(c, ',')) continue;
        if (accept(c, ')')) return ODIN_OK;
        return odin_errorf("%s: .npy header: malformed shape tuple", c->what);
    }
}

static odin_status parse_descr(const char *what, const char *s, odin_dtype *out) {
    char order = '=';
    const char *t = s;
    if (*t == '<' || *t == '>' || *t == '=' || *t == '|') order = *t++;
    if (*t == '\0' || t[1] < '1' || t[1] > '9' || t[2] != '\0')
        return odin_errorf("%s: unsupported .npy dtype '%s'", what, s);
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++) {
        if (npy_types[i].kind != t[0] || npy_types[i].size != t[1] - '0') continue;
        /* Byte order is meaningless for one-byte types; otherwise only little. */
        if (npy_types[i].size > 1 && order == '>')
            return odin_errorf("%s: big-endian .npy dtype '%s' is not supported", what, s);
        if (npy_types[i].size > 1 && order == '|')
            return odin_errorf("%s: .npy dtype '%s' lacks a byte order", what, s);
        *out = npy_types[i].dtype;
        return ODIN_OK;
    }
    return odin_errorf("%s: unsupported .npy dtype '%s'", what, s);
}

static odin_status parse_header(cursor *c, odin_value *v) {
    bool have_descr = false, have_fortran = false, have_shape = false, fortran = false;
    char descr[32] = "";
    if (!accept(c, '{')) return odin_errorf("%s: .npy header is not a dict", c->what);
    for (;;) {
        if (accept(c, '}')) break;
        char key[32];
        ODIN_TRY(parse_string(c, key, sizeof key, "key"));
        if (!accept(c, ':'))
            return odin_errorf("%s: .npy header: expected ':' after '%s'", c->what, key);
        if (!strcmp(key, "descr")) {
            if (have_descr) return odin_errorf("%s: .npy header: duplicate key 'descr'", c->what);
            skip_ws(c);
            if (c->p < c->end && *c->p == '[')
                return odin_errorf("%s: structured .npy dtypes are not supported", c->what);
            ODIN_TRY(parse_string(c, descr, sizeof descr, "descr"));
            have_descr = true;
        } else if (!strcmp(key, "fortran_order")) {
            if (have_fortran)
                return odin_errorf("%s: .npy header: duplicate key 'fortran_order'", c->what);
            ODIN_TRY(parse_bool(c, &fortran));
            have_fortran = true;
        } else if (!strcmp(key, "shape")) {
            if (have_shape) return odin_errorf("%s: .npy header: duplicate key 'shape'", c->what);
            ODIN_TRY(parse_shape(c, v));
            have_shape = true;
        } else {
            return odin_errorf("%s: .npy header: unexpected key '%s'", c->what, key);
        }
        if (accept(c, ',')) continue;
        if (accept(c, '}')) break;
        return odin_errorf("%s: .npy header: expected ',' or '}' after '%s'", c->what, key);
    }
    skip_ws(c);
    if (c->p != c->end) return odin_errorf("%s: .npy header: junk after the dict", c->what);
    if (!have_descr || !have_fortran || !have_shape)
        return odin_errorf("%s: .npy header lacks '%s'", c->what,
                           !have_descr ? "descr" : !have_fortran ? "fortran_order" : "shape");
    if (fortran)
        return odin_errorf("%s: Fortran-order .npy arrays are not supported (save with C order)",
                           c->what);
    return parse_descr(c->what, descr, &v->dtype);
}

/* ---- reading ---- */

odin_status odin_npy_read_mem(const void *buf, size_t size, const char *what, odin_value *v) {
    const unsigned char *b = buf;
    if (!what) what = "<memory>";
    *v = (odin_value){.dtype = ODIN_UNDEFINED, .rank = 0};
    if (size < 10 || memcmp(b, npy_magic, sizeof npy_magic) != 0)
        return odin_errorf("%s: not a .npy file (bad magic)", what);
    int major = b[6], minor = b[7];
    size_t hlen, off;
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) return odin_errorf("%s: truncated .npy header", what);
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        off = 12;
    } else {
        return odin_errorf("%s: unsupported .npy format version %d.%d", what, major, minor);
    }
    if (minor != 0)
        return odin_errorf("%s: unsupported .npy format version %d.%d", what, major, minor);
    if (hlen > size - off)
        return odin_errorf("%s: .npy header length %zu exceeds the file (%zu bytes)", what, hlen,
                           size);
    cursor c = {(const char *)b + off, (const char *)b + off + hlen, what};
    odin_value hv = {.dtype = ODIN_UNDEFINED};
    ODIN_TRY(parse_header(&c, &hv));

    uint64_t numel = 1, nbytes;
    for (int i = 0; i < hv.rank; i++)
        if (__builtin_mul_overflow(numel, (uint64_t)hv.dims[i], &numel))
            return odin_errorf("%s: .npy shape element count overflows", what);
    if (__builtin_mul_overflow(numel, (uint64_t)odin_dtype_size(hv.dtype), &nbytes))
        return odin_errorf("%s: .npy data size overflows", what);
    size_t avail = size - off - hlen;
    if (nbytes != avail)
        return odin_errorf("%s: .npy data is %zu bytes, shape and dtype need %" PRIu64, what,
                           avail, nbytes);
    hv.data = malloc(nbytes ? nbytes : 1);
    if (!hv.data) return odin_errorf("%s: out of memory for %" PRIu64 " bytes", what, nbytes);
    memcpy(hv.data, b + off + hlen, nbytes);
    if (hv.dtype == ODIN_BOOL) /* keep the 0/1 invariant of ODIN_BOOL */
        for (uint64_t i = 0; i < nbytes; i++) ((uint8_t *)hv.data)[i] = ((uint8_t *)hv.data)[i] != 0;
    *v = hv;
    return ODIN_OK;
}

odin_status odin_npy_read_file(const char *path, odin_value *v) {
    *v = (odin_value){.dtype = ODIN_UNDEFINED};
    FILE *f = fopen(path, "rb");
    if (!f) return odin_errorf("%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    odin_status st = ODIN_OK;
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (!buf) st = odin_errorf("%s: out of memory reading the file", path);
    else if (ferror(f)) st = odin_errorf("%s: read error: %s", path, strerror(errno));
    else st = odin_npy_read_mem(buf, n, path, v);
    free(buf);
    fclose(f);
    return st;
}

/* ---- writing ---- */

odin_status odin_npy_write_mem(const odin_value *v, uint8_t **out, size_t *out_size) {
    *out = NULL;
    *out_size = 0;
    odin_dtype file_type = v->dtype == ODIN_BF16 ? ODIN_F32 : v->dtype;
    const char *descr = odin_npy_descr(file_type);
    if (!descr)
        return odin_errorf("dtype %s cannot be written as .npy", odin_dtype_name(v->dtype));
    if (v->rank < 0 || v->rank > ODIN_MAX_RANK)
        return odin_errorf(".npy writer: invalid rank %d", v->rank);
    uint64_t numel = 1;
    for (int i = 0; i < v->rank; i++) {
        if (v->dims[i] < 0) return odin_errorf(".npy writer: unknown dimension %d", i);
        if (__builtin_mul_overflow(numel, (uint64_t)v->dims[i], &numel))
            return odin_errorf(".npy writer: element count overflows");
    }
    char dict[64 + ODIN_MAX_RANK * 24];
    int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                       descr);
    for (int i = 0; i < v->rank; i++)
        len += snprintf(dict + len, sizeof dict - (size_t)len, "%s%" PRId64, i ? ", " : "",
                        v->dims[i]);
    len += snprintf(dict + len, sizeof dict - (size_t)len, "%s), }", v->rank == 1 ? "," : "");
    /* Pad with spaces and a final '\n' so the data starts 64-byte aligned (as NumPy does). */
    size_t prefix = 10, total_header = prefix + (size_t)len + 1;
    total_header = (total_header + 63) / 64 * 64;
    size_t hlen = total_header - prefix;
    size_t esize = odin_dtype_size(file_type), nbytes = (size_t)numel * esize;
    uint8_t *buf = malloc(total_header + nbytes);
    if (!buf) return odin_errorf(".npy writer: out of memory");
    memcpy(buf, npy_magic, 6);
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (uint8_t)(hlen & 0xff);
    buf[9] = (uint8_t)(hlen >> 8);
    memcpy(buf + prefix, dict, (size_t)len);
    memset(buf + prefix + len, ' ', hlen - (size_t)len - 1);
    buf[total_header - 1] = '\n';
    if (v->dtype == ODIN_BF16) {
        for (uint64_t i = 0; i < numel; i++) {
            float f = odin_bf16_to_f32(((const uint16_t *)v->data)[i]);
            memcpy(buf + total_header + i * 4, &f, 4);
        }
    } else if (nbytes) {
        memcpy(buf + total_header, v->data, nbytes);
    }
    *out = buf;
    *out_size = total_header + nbytes;
    return ODIN_OK;
}

odin_status odin_npy_write_file(const char *path, const odin_value *v) {
    uint8_t *buf;
    size_t size;
    odin_status st = odin_npy_write_mem(v, &buf, &size);
    if (st) return odin_status_prefix(st, "%s", path);
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(buf);
        return odin_errorf("%s: cannot create: %s", path, strerror(errno));
    }
    size_t w = fwrite(buf, 1, size, f);
    free(buf);
    if (fclose(f) != 0 || w != size) return odin_errorf("%s: write failed: %s", path, strerror(errno));
    return ODIN_OK;
}

void odin_npy_file_name(char *dst, size_t size, const char *name, int index) {
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < size; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || (c == '.' && n > 0);
        dst[n++] = ok ? c : '_';
    }
    dst[n] = '\0';
    if (n == 0) snprintf(dst, size, "output_%d", index);
}
