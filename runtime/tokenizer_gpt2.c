/* runtime/tokenizer_gpt2.c — GPT-2 byte-level BPE: encoder.json (token -> id, tokens
 * spelled in GPT-2's byte -> printable-character map) and vocab.bpe (merges, best first).
 * Text is split by a hand-written equivalent of GPT-2's pre-tokenizer pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * with \p{L} and \p{N} exact (generated tables, unicode_classes.c) and \s as JavaScript
 * defines it (Python's `regex` module differs only on U+0085, U+180E and U+FEFF); bytes that
 * are not valid UTF-8 count as characters of their own outside L, N and \s. Each piece's
 * bytes are then merged pair by pair, always the adjacent pair with the best rank. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "json.h"
#include "tokenizer_impl.h"
#include "unicode_classes.h"

#define GPT2_MAX_ID (1 << 24)

typedef struct sym {
    UT_hash_handle hh;
    int32_t index;
    int64_t token; /* encoder id, -1 when the bytes are not a token */
    size_t len;
    uint8_t bytes[];
} sym;

typedef struct merge {
    UT_hash_handle hh;
    uint64_t pair; /* left << 32 | right symbol */
    int32_t rank, result;
} merge;

typedef struct gpt2 {
    sym *by_bytes; /* uthash over all symbols */
    sym **syms;    /* by index */
    int32_t n_syms, cap_syms;
    merge *merges; /* array, also hashed by pair in `by_pair` */
    merge *by_pair;
    int32_t byte_sym[256];
} gpt2;

static void gpt2_release(void *impl) {
    gpt2 *m = impl;
    if (!m) return;
    HASH_CLEAR(hh, m->by_bytes);
    HASH_CLEAR(hh, m->by_pair);
    for (int32_t i = 0; i < m->n_syms; i++) free(m->syms[i]);
    free(m->syms);
    free(m->merges);
    free(m);
}

/* The symbol for these bytes, created when new; -1 when out of memory. */
static int32_t intern(gpt2 *m, const uint8_t *b, size_t n) {
    sym *s = NULL;
    HASH_FIND(hh, m->by_bytes, b, n, s);
    if (s) return s->index;
    if (m->n_syms == m->cap_syms) {
        int32_t nc = m->cap_syms ? m->cap_syms * 2 : 1024;
        sym **p = realloc(m->syms, (size_t)nc * sizeof *p);
        if (!p) return -1;
        m->syms = p;
        m->cap_syms = nc;
    }
    s = malloc(sizeof *s + (n ? n : 1));
    if (!s) return -1;
    s->index = m->n_syms;
    s->token = -1;
    s->len = n;
    memcpy(s->bytes, b, n);
    m->syms[m->n_syms++] = s;
    HASH_ADD_KEYPTR(hh, m->by_bytes, s->bytes, n, s);
    return s->index;
}

/* GPT-2's map of bytes to printable characters: the printable Latin-1 bytes stand for
 * themselves, the other 68 become U+0100.. in byte order. Returns the inverse. */
static void unicode_to_byte(int *inv /* [324] */) {
    for (int i = 0; i < 324; i++) inv[i] = -1;
    int extra = 0;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        inv[printable ? b : 256 + extra++] = b;
    }
}

/* A token spelled in mapped characters -> its bytes (out has room for len bytes). */
static bool unmap(const int *inv, const char *s, size_t len, uint8_t *out, size_t *n) {
    *n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += odin_utf8_next((const uint8_t *)s + i, len - i, &cp);
        if (cp >= 324 || inv[cp] < 0) return false;
        out[(*n)++] = (uint8_t)inv[cp];
    }
    return true;
}

/* ---- the pre-tokenizer ---- */

enum { C_LETTER, C_NUMBER, C_SPACE, C_OTHER };

static int char_class(uint32_t cp) {
    if (cp == UINT32_MAX) return C_OTHER;
    if (odin_unicode_is_space(cp)) return C_SPACE;
    if (odin_unicode_is_letter(cp)) return C_LETTER;
    if (odin_unicode_is_number(cp)) return C_NUMBER;
    return C_OTHER;
}

/* End (character index) of the piece starting at character i of n. */
static size_t piece_end(const uint32_t *cp, const uint8_t *cls, size_t i, size_t n) {
    if (cp[i] == '\'' && i + 1 < n) {
        uint32_t a = cp[i + 1], b = i + 2 < n ? cp[i + 2] : 0;
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    }
    size_t j = i + (cp[i] == ' ' ? 1 : 0);
    if (j < n && cls[j] != C_SPACE) { /* ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+' */
        int c = cls[j];
        while (j < n && cls[j] == c) j++;
        return j;
    }
    size_t k = i; /* whitespace: \s+(?!\S) leaves the last blank to the next word */
    while (k < n && cls[k] == C_SPACE) k++;
    if (k == n || k - i == 1) return k;
    return k - 1;
}

static odin_status bpe_piece(const odin_tokenizer *t, const gpt2 *m, const uint8_t *s, size_t n,
                             int32_t *word, odin_ids *out) {
    size_t w = n;
    for (size_t i = 0; i < n; i++) word[i] = m->byte_sym[s[i]];
    while (w > 1) {
        const merge *best = NULL;
        for (size_t i = 0; i + 1 < w; i++) {
            uint64_t key = (uint64_t)(uint32_t)word[i] << 32 | (uint32_t)word[i + 1];
            merge *e = NULL;
            HASH_FIND(hh, m->by_pair, &key, sizeof key, e);
            if (e && (!best || e->rank < best->rank)) best = e;
        }
        if (!best) break;
        int32_t a = (int32_t)(best->pair >> 32), b = (int32_t)(uint32_t)best->pair;
        size_t o = 0;
        for (size_t i = 0; i < w;) {
            if (i + 1 < w && word[i] == a && word[i + 1] == b) {
                word[o++] = best->result;
                i += 2;
            } else {
                word[o++] = word[i++];
            }
        }
        w = o;
    }
    for (size_t i = 0; i < w; i++) {
        const sym *y = m->syms[word[i]];
        if (y->token < 0)
            return odin_errorf("gpt2 tokenizer: BPE produced a %zu-byte piece that encoder.json "
                               "does not list", y->len);
        if (!odin_ids_push(out, y->token)) return odin_errorf("gpt2 tokenizer: out of memory");
    }
    (void)t;
    return ODIN_OK;
}

static odin_status encode_gpt2(const odin_tokenizer *t, const uint8_t *s, size_t n, odin_ids *out) {
    const gpt2 *m = t->impl;
    uint32_t *cp = malloc(sizeof *cp * (n + 1));
    size_t *off = malloc(sizeof *off * (n + 1));
    uint8_t *cls = malloc(n + 1);
    int32_t *word = malloc(sizeof *word * (n + 1));
    odin_status err = ODIN_OK;
    if (!cp || !off || !cls || !word) {
        err = odin_errorf("gpt2 tokenizer: out of memory");
        goto done;
    }
    size_t nc = 0;
    for (size_t i = 0; i < n; nc++) {
        off[nc] = i;
        i += odin_utf8_next(s + i, n - i, &cp[nc]);
        cls[nc] = (uint8_t)char_class(cp[nc]);
    }
    off[nc] = n;
    for (size_t i = 0; i < nc && !err;) {
        size_t e = piece_end(cp, cls, i, nc);
        err = bpe_piece(t, m, s + off[i], off[e] - off[i], word, out);
        i = e;
    }
done:
    free(cp);
    free(off);
    free(cls);
    free(word);
    return err;
}

/* ---- loading ---- */

static odin_status load_encoder(odin_tokenizer **tp, gpt2 *m, const int *inv, const char *text,
                                size_t size, const char *path) {
    odin_json *j = NULL;
    odin_status err = odin_json_parse(text, size, path, &j);
    if (err) return err;
    uint8_t *buf = NULL;
    int64_t max_id = -1;
    if (j->type != ODIN_JSON_OBJECT) {
        err = odin_errorf("%s: expected an object of token -> id", path);
        goto done;
    }
    for (size_t i = 0; i < j->count; i++) {
        const odin_json *v = &j->members[i].value;
        if (v->type != ODIN_JSON_NUMBER || !v->is_int || v->integer < 0 || v->integer >= GPT2_MAX_ID) {
            err = odin_errorf("%s: token '%s': id is not an integer in [0, %d)", path,
                              j->members[i].key, GPT2_MAX_ID);
            goto done;
        }
        if (v->integer > max_id) max_id = v->integer;
    }
    odin_tokenizer *t = odin_tokenizer_alloc(ODIN_TOKENIZER_GPT2, max_id + 1);
    if (!t) {
        err = odin_errorf("%s: out of memory", path);
        goto done;
    }
    *tp = t;
    for (size_t i = 0; i < j->count; i++) {
        const odin_json_member *e = &j->members[i];
        size_t n;
        free(buf);
        buf = malloc(e->key_len + 1);
        if (!buf) {
            err = odin_errorf("%s: out of memory", path);
            goto done;
        }
        if (!unmap(inv, e->key, e->key_len, buf, &n) || n == 0) {
            err = odin_errorf("%s: token '%s' is not spelled in GPT-2's byte characters", path, e->key);
            goto done;
        }
        int64_t id = e->value.integer;
        if (t->present[id]) {
            err = odin_errorf("%s: token '%s': id %lld is used twice", path, e->key, (long long)id);
            goto done;
        }
        int32_t y = intern(m, buf, n);
        if (y < 0 || !odin_tokenizer_set_bytes(t, id, buf, n)) {
            err = odin_errorf("%s: out of memory", path);
            goto done;
        }
        if (m->syms[y]->token >= 0) {
            err = odin_errorf("%s: token '%s' is listed twice", path, e->key);
            goto done;
        }
        m->syms[y]->token = id;
        if (!strcmp(e->key, "<|endoftext|>")) t->eos = id;
    }
done:
    free(buf);
    odin_json_free(j);
    return err;
}

static odin_status load_merges(gpt2 *m, const int *inv, const char *text, size_t size,
                               const char *path) {
    size_t n_lines = 1;
    for (size_t i = 0; i < size; i++) n_lines += text[i] == '\n';
    m->merges = calloc(n_lines, sizeof *m->merges);
    uint8_t *a = malloc(size + 1), *b = malloc(size + 1), *ab = malloc(2 * size + 1);
    odin_status err = ODIN_OK;
    if (!m->merges || !a || !b || !ab) {
        err = odin_errorf("%s: out of memory", path);
        goto done;
    }
    int32_t rank = 0;
    size_t line_no = 0;
    for (size_t pos = 0; pos < size;) {
        const char *l = text + pos;
        const char *nl = memchr(l, '\n', size - pos);
        size_t n = nl ? (size_t)(nl - l) : size - pos;
        pos += n + (nl ? 1 : 0);
        line_no++;
        if (n && l[n - 1] == '\r') n--;
        if (n == 0 || (line_no == 1 && n >= 8 && !memcmp(l, "#version", 8))) continue;
        const char *sp = memchr(l, ' ', n);
        size_t na, nb;
        if (!sp || sp == l || sp == l + n - 1 || memchr(sp + 1, ' ', (size_t)(l + n - sp - 1))) {
            err = odin_errorf("%s:%zu: expected two tokens separated by one space", path, line_no);
            goto done;
        }
        if (!unmap(inv, l, (size_t)(sp - l), a, &na) || !unmap(inv, sp + 1, (size_t)(l + n - sp - 1), b, &nb)) {
            err = odin_errorf("%s:%zu: token not spelled in GPT-2's byte characters", path, line_no);
            goto done;
        }
        memcpy(ab, a, na);
        memcpy(ab + na, b, nb);
        int32_t ya = intern(m, a, na), yb = intern(m, b, nb), yab = intern(m, ab, na + nb);
        if (ya < 0 || yb < 0 || yab < 0) {
            err = odin_errorf("%s: out of memory", path);
            goto done;
        }
        uint64_t key = (uint64_t)(uint32_t)ya << 32 | (uint32_t)yb;
        merge *e = NULL;
        HASH_FIND(hh, m->by_pair, &key, sizeof key, e);
        if (e) { /* listed again: the later rank counts, as in the reference's dictionary */
            e->rank = rank++;
            continue;
        }
        e = &m->merges[rank];
        *e = (merge){.pair = key, .rank = rank, .result = yab};
        rank++;
        HASH_ADD(hh, m->by_pair, pair, sizeof e->pair, e);
    }
done:
    free(a);
    free(b);
    free(ab);
    return err;
}

odin_status odin_tokenizer_open_gpt2(const char *encoder_json, const char *vocab_bpe,
                                     odin_tokenizer **out) {
    *out = NULL;
    char *enc, *bpe = NULL;
    size_t enc_size, bpe_size = 0;
    ODIN_TRY(odin_read_whole_file(encoder_json, &enc, &enc_size));
    odin_status err = odin_read_whole_file(vocab_bpe, &bpe, &bpe_size);
    if (!err)
        err = odin_tokenizer_parse_gpt2(enc, enc_size, encoder_json, bpe, bpe_size, vocab_bpe, out);
    free(enc);
    free(bpe);
    return err;
}

odin_status odin_tokenizer_parse_gpt2(const char *encoder_json, size_t encoder_size,
                                      const char *encoder_name, const char *vocab_bpe,
                                      size_t vocab_size, const char *vocab_name,
                                      odin_tokenizer **out) {
    *out = NULL;
    int inv[324];
    unicode_to_byte(inv);
    gpt2 *m = calloc(1, sizeof *m);
    if (!m) return odin_errorf("gpt2 tokenizer: out of memory");
    odin_tokenizer *t = NULL;
    odin_status err = load_encoder(&t, m, inv, encoder_json, encoder_size, encoder_name);
    if (!err) err = load_merges(m, inv, vocab_bpe, vocab_size, vocab_name);
    for (int b = 0; b < 256 && !err; b++) {
        uint8_t c = (uint8_t)b;
        m->byte_sym[b] = intern(m, &c, 1);
        if (m->byte_sym[b] < 0) err = odin_errorf("gpt2 tokenizer: out of memory");
    }
    if (err) {
        gpt2_release(m);
        odin_tokenizer_free(t);
        return err;
    }
    t->impl = m;
    t->release = gpt2_release;
    t->encode = encode_gpt2;
    *out = t;
    return ODIN_OK;
}
