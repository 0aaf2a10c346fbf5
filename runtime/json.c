/* runtime/json.c — strict recursive-descent JSON reader (see json.h). Positions in
 * errors are 1-based line and column (in bytes) of the offending character. */
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64

typedef struct reader {
    const char *s;
    size_t len, pos;
    const char *what;
    odin_status err;
} reader;

static odin_status fail_at(reader *r, size_t pos, const char *msg) {
    if (r->err) return r->err;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < pos && i < r->len; i++) {
        if (r->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    r->err = odin_errorf("%s: line %zu, column %zu: %s", r->what, line, col, msg);
    return r->err;
}
static odin_status fail(reader *r, const char *msg) { return fail_at(r, r->pos, msg); }

static void skip_ws(reader *r) {
    while (r->pos < r->len) {
        char c = r->s[r->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        r->pos++;
    }
}

/* Growable byte buffer for decoded strings. */
typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static bool sb_put(strbuf *b, const char *src, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 32;
        while (nc < b->n + n + 1) nc *= 2;
        char *p = realloc(b->p, nc);
        if (!p) return false;
        b->p = p;
        b->cap = nc;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    b->p[b->n] = 0;
    return true;
}

static size_t utf8_put(char *dst, uint32_t cp) {
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 when invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_valid_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t need;
    uint32_t cp, min;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) need = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) need = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) need = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (n < need) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return need;
}

static int hex4(reader *r, uint32_t *out) {
    if (r->len - r->pos < 4) return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->s[r->pos + i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + (uint32_t)d;
    }
    r->pos += 4;
    *out = v;
    return 0;
}

/* At the opening quote; leaves a malloc'ed decoded string in *out. */
static odin_status parse_string(reader *r, char **out, size_t *out_len) {
    strbuf b = {0};
    r->pos++; /* opening quote */
    for (;;) {
        if (r->pos >= r->len) {
            free(b.p);
            return fail(r, "unterminated string");
        }
        unsigned char c = (unsigned char)r->s[r->pos];
        if (c == '"') {
            r->pos++;
            break;
        }
        if (c < 0x20) {
            free(b.p);
            return fail(r, "control character in string (must be escaped)");
        }
        if (c != '\\') {
            size_t n = utf8_valid_len((const unsigned char *)r->s + r->pos, r->len - r->pos);
            if (!n) {
                free(b.p);
                return fail(r, "invalid UTF-8 in string");
            }
            if (!sb_put(&b, r->s + r->pos, n)) goto oom;
            r->pos += n;
            continue;
        }
        size_t esc_pos = r->pos;
        r->pos++;
        if (r->pos >= r->len) {
            free(b.p);
            return fail(r, "unterminated string");
        }
        char e = r->s[r->pos++], ch;
        switch (e) {
        case '"': ch = '"'; break;
        case '\\': ch = '\\'; break;
        case '/': ch = '/'; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (hex4(r, &cp)) {
                free(b.p);
                return fail_at(r, esc_pos, "bad \\u escape (needs 4 hex digits)");
            }
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                free(b.p);
                return fail_at(r, esc_pos, "unpaired low surrogate in \\u escape");
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (r->len - r->pos < 2 || r->s[r->pos] != '\\' || r->s[r->pos + 1] != 'u') {
                    free(b.p);
                    return fail_at(r, esc_pos, "unpaired high surrogate in \\u escape");
                }
                r->pos += 2;
                if (hex4(r, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    free(b.p);
                    return fail_at(r, esc_pos, "high surrogate not followed by a low surrogate");
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            char u[4];
            if (!sb_put(&b, u, utf8_put(u, cp))) goto oom;
            continue;
        }
        default:
            free(b.p);
            return fail_at(r, esc_pos, "unknown escape in string");
        }
        if (!sb_put(&b, &ch, 1)) goto oom;
    }
    if (!b.p && !sb_put(&b, "", 0)) goto oom;
    *out = b.p;
    *out_len = b.n;
    return ODIN_OK;
oom:
    free(b.p);
    return fail(r, "out of memory");
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static odin_status parse_number(reader *r, odin_json *j) {
    size_t start = r->pos, p = r->pos;
    bool integral = true;
    if (p < r->len && r->s[p] == '-') p++;
    if (p >= r->len || !is_digit(r->s[p])) return fail(r, "invalid number");
    if (r->s[p] == '0') {
        p++;
        if (p < r->len && is_digit(r->s[p])) return fail_at(r, p, "leading zero in number");
    } else {
        while (p < r->len && is_digit(r->s[p])) p++;
    }
    if (p < r->len && r->s[p] == '.') {
        integral = false;
        p++;
        if (p >= r->len || !is_digit(r->s[p])) return fail_at(r, p, "digit expected after '.'");
        while (p < r->len && is_digit(r->s[p])) p++;
    }
    if (p < r->len && (r->s[p] == 'e' || r->s[p] == 'E')) {
        integral = false;
        p++;
        if (p < r->len && (r->s[p] == '+' || r->s[p] == '-')) p++;
        if (p >= r->len || !is_digit(r->s[p])) return fail_at(r, p, "digit expected in exponent");
        while (p < r->len && is_digit(r->s[p])) p++;
    }
    size_t n = p - start;
    char buf[128];
    if (n >= sizeof buf) return fail(r, "number too long");
    memcpy(buf, r->s + start, n);
    buf[n] = 0;
    j->type = ODIN_JSON_NUMBER;
    j->number = strtod(buf, NULL);
    if (integral) {
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        j->is_int = errno == 0;
        j->integer = j->is_int ? (int64_t)v : 0;
    }
    r->pos = p;
    return ODIN_OK;
}

static void free_value(odin_json *j);

static odin_status parse_value(reader *r, odin_json *j, int depth);

static odin_status parse_array(reader *r, odin_json *j, int depth) {
    size_t cap = 0;
    j->type = ODIN_JSON_ARRAY;
    r->pos++;
    skip_ws(r);
    if (r->pos < r->len && r->s[r->pos] == ']') {
        r->pos++;
        return ODIN_OK;
    }
    for (;;) {
        if (j->count == cap) {
            size_t nc = cap ? cap * 2 : 4;
            odin_json *p = realloc(j->items, nc * sizeof *p);
            if (!p) return fail(r, "out of memory");
            j->items = p;
            cap = nc;
        }
        odin_json *item = &j->items[j->count];
        memset(item, 0, sizeof *item);
        j->count++;
        skip_ws(r);
        ODIN_TRY(parse_value(r, item, depth + 1));
        skip_ws(r);
        if (r->pos >= r->len) return fail(r, "unterminated array");
        char c = r->s[r->pos++];
        if (c == ']') return ODIN_OK;
        if (c != ',') return fail_at(r, r->pos - 1, "expected ',' or ']' in array");
    }
}

static odin_status parse_object(reader *r, odin_json *j, int depth) {
    size_t cap = 0;
    j->type = ODIN_JSON_OBJECT;
    r->pos++;
    skip_ws(r);
    if (r->pos < r->len && r->s[r->pos] == '}') {
        r->pos++;
        return ODIN_OK;
    }
    for (;;) {
        skip_ws(r);
        if (r->pos >= r->len || r->s[r->pos] != '"') return fail(r, "expected a string key");
        if (j->count == cap) {
            size_t nc = cap ? cap * 2 : 4;
            odin_json_member *p = realloc(j->members, nc * sizeof *p);
            if (!p) return fail(r, "out of memory");
            j->members = p;
            cap = nc;
        }
        odin_json_member *m = &j->members[j->count];
        memset(m, 0, sizeof *m);
        j->count++;
        ODIN_TRY(parse_string(r, &m->key, &m->key_len));
        skip_ws(r);
        if (r->pos >= r->len || r->s[r->pos] != ':') return fail(r, "expected ':' after key");
        r->pos++;
        skip_ws(r);
        ODIN_TRY(parse_value(r, &m->value, depth + 1));
        skip_ws(r);
        if (r->pos >= r->len) return fail(r, "unterminated object");
        char c = r->s[r->pos++];
        if (c == '}') return ODIN_OK;
        if (c != ',') return fail_at(r, r->pos - 1, "expected ',' or '}' in object");
    }
}

static bool match_word(reader *r, const char *w) {
    size_t n = strlen(w);
    if (r->len - r->pos < n || memcmp(r->s + r->pos, w, n) != 0) return false;
    r->pos += n;
    return true;
}

static odin_status parse_value(reader *r, odin_json *j, int depth) {
    if (depth > JSON_MAX_DEPTH) return fail(r, "nesting deeper than 64");
    if (r->pos >= r->len) return fail(r, "unexpected end of input");
    char c = r->s[r->pos];
    switch (c) {
    case '{': return parse_object(r, j, depth);
    case '[': return parse_array(r, j, depth);
    case '"':
        j->type = ODIN_JSON_STRING;
        return parse_string(r, &j->str, &j->len);
    case 't':
        if (!match_word(r, "true")) return fail(r, "invalid literal");
        j->type = ODIN_JSON_TRUE;
        return ODIN_OK;
    case 'f':
        if (!match_word(r, "false")) return fail(r, "invalid literal");
        j->type = ODIN_JSON_FALSE;
        return ODIN_OK;
    case 'n':
        if (!match_word(r, "null")) return fail(r, "invalid literal");
        j->type = ODIN_JSON_NULL;
        return ODIN_OK;
    default:
        if (c == '-' || is_digit(c)) return parse_number(r, j);
        return fail(r, "unexpected character");
    }
}

static void free_value(odin_json *j) {
    if (j->type == ODIN_JSON_ARRAY) {
        for (size_t i = 0; i < j->count; i++) free_value(&j->items[i]);
        free(j->items);
    } else if (j->type == ODIN_JSON_OBJECT) {
        for (size_t i = 0; i < j->count; i++) {
            free(j->members[i].key);
            free_value(&j->members[i].value);
        }
        free(j->members);
    }
    free(j->str);
}

odin_status odin_json_parse(const char *text, size_t len, const char *what, odin_json **out) {
    *out = NULL;
    reader r = {.s = text, .len = len, .what = what ? what : "<json>"};
    odin_json *j = calloc(1, sizeof *j);
    if (!j) return odin_errorf("%s: out of memory", r.what);
    skip_ws(&r);
    odin_status st = parse_value(&r, j, 0);
    if (!st) {
        skip_ws(&r);
        if (r.pos != r.len) st = fail(&r, "trailing characters after the JSON value");
    }
    if (st) {
        odin_json_free(j);
        return st;
    }
    *out = j;
    return ODIN_OK;
}

void odin_json_free(odin_json *j) {
    if (!j) return;
    free_value(j);
    free(j);
}

const odin_json *odin_json_get(const odin_json *j, const char *key) {
    if (!j || j->type != ODIN_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < j->count; i++)
        if (j->members[i].key_len == n && memcmp(j->members[i].key, key, n) == 0)
            return &j->members[i].value;
    return NULL;
}

const char *odin_json_type_name(odin_json_type t) {
    static const char *names[] = {"null", "false", "true", "number", "string", "array", "object"};
    return (unsigned)t < sizeof names / sizeof *names ? names[t] : "?";
}
