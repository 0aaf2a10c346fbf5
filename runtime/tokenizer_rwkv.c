/* runtime/tokenizer_rwkv.c — the RWKV "World" tokenizer. Vocabulary file: one token a line,
 * `ID TOKEN LENGTH`, where TOKEN is a Python literal — a str ('...' or "...", its UTF-8
 * encoding is the token) or a bytes literal (b'...') — and LENGTH its byte count. Encoding
 * is greedy: at each position the longest token matching the bytes (found with a byte trie). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer_impl.h"

#define RWKV_MAX_ID (1 << 24) /* a sanity bound: World vocabularies hold 65536 ids */

typedef struct trie_node {
    int32_t first_child, next_sibling;
    int32_t token; /* id ending here, -1 for none */
    uint8_t byte;
} trie_node;

typedef struct rwkv_trie {
    trie_node *nodes;
    int32_t n, cap;
    int32_t root_child[256]; /* the root's children by byte (-1: none) */
} rwkv_trie;

static void trie_release(void *impl) {
    rwkv_trie *tr = impl;
    if (tr) free(tr->nodes);
    free(tr);
}

static int32_t trie_child(const rwkv_trie *tr, int32_t node, uint8_t b) {
    if (node < 0) return tr->root_child[b];
    for (int32_t c = tr->nodes[node].first_child; c >= 0; c = tr->nodes[c].next_sibling)
        if (tr->nodes[c].byte == b) return c;
    return -1;
}

static int32_t trie_new_node(rwkv_trie *tr, int32_t parent, uint8_t b) {
    if (tr->n == tr->cap) {
        int32_t nc = tr->cap ? tr->cap * 2 : 1024;
        trie_node *p = realloc(tr->nodes, (size_t)nc * sizeof *p);
        if (!p) return -1;
        tr->nodes = p;
        tr->cap = nc;
    }
    int32_t id = tr->n++;
    tr->nodes[id] = (trie_node){-1, -1, -1, b};
    if (parent < 0) {
        tr->root_child[b] = id;
    } else {
        tr->nodes[id].next_sibling = tr->nodes[parent].first_child;
        tr->nodes[parent].first_child = id;
    }
    return id;
}

/* Insert; a later token with the same bytes replaces the earlier one (as the reference's
 * bytes -> id dictionary does). false when out of memory. */
static bool trie_insert(rwkv_trie *tr, const uint8_t *s, size_t n, int32_t token) {
    int32_t node = -1;
    for (size_t i = 0; i < n; i++) {
        int32_t c = trie_child(tr, node, s[i]);
        if (c < 0 && (c = trie_new_node(tr, node, s[i])) < 0) return false;
        node = c;
    }
    tr->nodes[node].token = token;
    return true;
}

static odin_status encode_rwkv(const odin_tokenizer *t, const uint8_t *s, size_t n,
                               odin_ids *out) {
    const rwkv_trie *tr = t->impl;
    size_t i = 0;
    while (i < n) {
        int32_t node = -1, best = -1;
        size_t best_end = i;
        for (size_t j = i; j < n; j++) {
            node = trie_child(tr, node, s[j]);
            if (node < 0) break;
            if (tr->nodes[node].token >= 0) {
                best = tr->nodes[node].token;
                best_end = j + 1;
            }
        }
        if (best < 0)
            return odin_errorf("rwkv tokenizer: no token starts with byte 0x%02x (at offset %zu)",
                               s[i], i);
        if (!odin_ids_push(out, best)) return odin_errorf("rwkv tokenizer: out of memory");
        i = best_end;
    }
    return ODIN_OK;
}

/* ---- Python literals ---- */

typedef struct bytebuf {
    uint8_t *p;
    size_t n, cap;
} bytebuf;

static bool bb_put(bytebuf *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->n + n) nc *= 2;
        uint8_t *p = realloc(b->p, nc);
        if (!p) return false;
        b->p = p;
        b->cap = nc;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    return true;
}

static size_t utf8_encode(uint8_t *d, uint32_t cp) {
    if (cp < 0x80) return d[0] = (uint8_t)cp, 1;
    if (cp < 0x800) return d[0] = (uint8_t)(0xC0 | cp >> 6), d[1] = (uint8_t)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        d[0] = (uint8_t)(0xE0 | cp >> 12);
        d[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (uint8_t)(0xF0 | cp >> 18);
    d[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Parse the literal s[0..n) (surrounding blanks already trimmed) into out (appended).
 * Returns NULL on success or a static reason. */
static const char *parse_literal(const char *s, size_t n, bytebuf *out) {
    size_t i = 0;
    bool is_bytes = false;
    if (i < n && (s[i] == 'b' || s[i] == 'B')) is_bytes = true, i++;
    if (i >= n || (s[i] != '\'' && s[i] != '"')) return "expected a Python str or bytes literal";
    char q = s[i++];
    for (;;) {
        if (i >= n) return "unterminated literal";
        uint8_t c = (uint8_t)s[i];
        if (c == (uint8_t)q) {
            i++;
            break;
        }
        if (c != '\\') {
            if (is_bytes && c >= 0x80) return "non-ASCII character in a bytes literal";
            uint32_t cp;
            size_t k = odin_utf8_next((const uint8_t *)s + i, n - i, &cp);
            if (cp == UINT32_MAX) return "invalid UTF-8";
            if (!bb_put(out, s + i, k)) return "out of memory";
            i += k;
            continue;
        }
        if (++i >= n) return "backslash at the end of the literal";
        char e = s[i++];
        uint32_t v = 0;
        uint8_t enc[4];
        int digits = 0;
        switch (e) {
        case '\\': case '\'': case '"':
            v = (uint8_t)e;
            break;
        case 'a': v = 7; break;
        case 'b': v = 8; break;
        case 'f': v = 12; break;
        case 'n': v = 10; break;
        case 'r': v = 13; break;
        case 't': v = 9; break;
        case 'v': v = 11; break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
            v = (uint32_t)(e - '0');
            while (digits < 2 && i < n && s[i] >= '0' && s[i] <= '7') v = v * 8 + (uint32_t)(s[i++] - '0'), digits++;
            if (is_bytes && v > 0xFF) return "octal escape above \\377 in a bytes literal";
            break;
        case 'x': case 'u': case 'U': {
            if (is_bytes && e != 'x') { /* not an escape in bytes: kept as written */
                uint8_t keep[2] = {'\\', (uint8_t)e};
                if (!bb_put(out, keep, 2)) return "out of memory";
                continue;
            }
            int need = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            for (int d = 0; d < need; d++) {
                int h = i < n ? hex_digit(s[i]) : -1;
                if (h < 0) return e == 'x' ? "\\x needs 2 hex digits" : "\\u/\\U needs 4/8 hex digits";
                v = v * 16 + (uint32_t)h;
                i++;
            }
            if (v > 0x10FFFF) return "\\U escape past U+10FFFF";
            break;
        }
        case 'N':
            if (!is_bytes) return "\\N{...} escapes are not supported";
            /* fall through: not an escape in bytes */
        default: { /* unknown escapes keep their backslash, as in Python */
            uint8_t keep[2] = {'\\', (uint8_t)e};
            if (is_bytes && (uint8_t)e >= 0x80) return "non-ASCII character in a bytes literal";
            if (!bb_put(out, keep, 1)) return "out of memory";
            i--; /* the character after the backslash is read again as itself */
            continue;
        }
        }
        if (is_bytes) {
            enc[0] = (uint8_t)v;
            if (!bb_put(out, enc, 1)) return "out of memory";
        } else {
            if (v >= 0xD800 && v <= 0xDFFF) return "surrogate code point has no UTF-8 encoding";
            if (!bb_put(out, enc, utf8_encode(enc, v))) return "out of memory";
        }
    }
    if (i != n) return "text after the literal";
    return NULL;
}

typedef struct vocab_line {
    int64_t id;
    size_t off, len;
} vocab_line;

static bool parse_uint(const char *s, size_t n, int64_t *out) {
    if (n == 0 || n > 12) return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

odin_status odin_tokenizer_open_rwkv(const char *path, odin_tokenizer **out) {
    *out = NULL;
    char *text;
    size_t size;
    ODIN_TRY(odin_read_whole_file(path, &text, &size));
    odin_status err = odin_tokenizer_parse_rwkv(text, size, path, out);
    free(text);
    return err;
}

odin_status odin_tokenizer_parse_rwkv(const char *text, size_t size, const char *path,
                                      odin_tokenizer **out) {
    *out = NULL;
    bytebuf bytes = {0};
    vocab_line *lines = NULL;
    size_t n_lines = 0, cap = 0;
    int64_t max_id = -1;
    odin_status err = ODIN_OK;
    size_t line_no = 0;
    for (size_t pos = 0; pos < size && !err;) {
        const char *l = text + pos;
        const char *nl = memchr(l, '\n', size - pos);
        size_t n = nl ? (size_t)(nl - l) : size - pos;
        pos += n + (nl ? 1 : 0);
        line_no++;
        if (n && l[n - 1] == '\r') n--;
        if (n == 0) continue;
        const char *sp1 = memchr(l, ' ', n);
        const char *sp2 = l + n - 1;
        while (sp2 > l && *sp2 != ' ') sp2--;
        int64_t id, length;
        if (!sp1 || sp2 <= sp1) {
            err = odin_errorf("%s:%zu: expected 'ID TOKEN LENGTH'", path, line_no);
            break;
        }
        if (!parse_uint(l, (size_t)(sp1 - l), &id) || id >= RWKV_MAX_ID) {
            err = odin_errorf("%s:%zu: bad token id '%.*s'", path, line_no, (int)(sp1 - l), l);
            break;
        }
        if (!parse_uint(sp2 + 1, (size_t)(l + n - sp2 - 1), &length)) {
            err = odin_errorf("%s:%zu: bad length '%.*s'", path, line_no, (int)(l + n - sp2 - 1), sp2 + 1);
            break;
        }
        const char *lit = sp1 + 1, *lit_end = sp2;
        while (lit < lit_end && (*lit == ' ' || *lit == '\t')) lit++;
        while (lit_end > lit && (lit_end[-1] == ' ' || lit_end[-1] == '\t')) lit_end--;
        size_t start = bytes.n;
        const char *why = parse_literal(lit, (size_t)(lit_end - lit), &bytes);
        if (why) {
            err = odin_errorf("%s:%zu: token %lld: %s", path, line_no, (long long)id, why);
            break;
        }
        size_t got = bytes.n - start;
        if ((int64_t)got != length) {
            err = odin_errorf("%s:%zu: token %lld is %zu bytes but the line says %lld", path,
                              line_no, (long long)id, got, (long long)length);
            break;
        }
        if (got == 0) {
            err = odin_errorf("%s:%zu: token %lld is empty", path, line_no, (long long)id);
            break;
        }
        if (n_lines == cap) {
            cap = cap ? cap * 2 : 1024;
            vocab_line *p = realloc(lines, cap * sizeof *p);
            if (!p) {
                err = odin_errorf("%s: out of memory", path);
                break;
            }
            lines = p;
        }
        lines[n_lines++] = (vocab_line){id, start, got};
        if (id > max_id) max_id = id;
    }
    if (!err && n_lines == 0) err = odin_errorf("%s: no tokens", path);
    odin_tokenizer *t = NULL;
    rwkv_trie *tr = NULL;
    if (!err) {
        t = odin_tokenizer_alloc(ODIN_TOKENIZER_RWKV, max_id + 1);
        tr = calloc(1, sizeof *tr);
        if (!t || !tr) err = odin_errorf("%s: out of memory", path);
    }
    if (!err) {
        memset(tr->root_child, -1, sizeof tr->root_child);
        t->impl = tr;
        t->release = trie_release;
        t->encode = encode_rwkv;
        t->eos = 0; /* id 0 is <|endoftext|> in RWKV World vocabularies */
        tr = NULL;
        for (size_t i = 0; i < n_lines && !err; i++) {
            const vocab_line *v = &lines[i];
            if (t->present[v->id]) {
                err = odin_errorf("%s: token id %lld is defined twice", path, (long long)v->id);
                break;
            }
            if (!odin_tokenizer_set_bytes(t, v->id, bytes.p + v->off, v->len) ||
                !trie_insert(t->impl, bytes.p + v->off, v->len, (int32_t)v->id))
                err = odin_errorf("%s: out of memory", path);
        }
    }
    free(tr);
    free(lines);
    free(bytes.p);
    if (err) {
        odin_tokenizer_free(t);
        return err;
    }
    *out = t;
    return ODIN_OK;
}
