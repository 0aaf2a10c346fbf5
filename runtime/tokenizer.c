/* runtime/tokenizer.c — the tokenizer interface (tokenizer.h): picking the kind from a path,
 * dispatching encode to the implementation, and decoding through the common id -> bytes
 * table. The implementations are tokenizer_byte.c, tokenizer_rwkv.c and tokenizer_gpt2.c. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tokenizer_impl.h"

bool odin_ids_push(odin_ids *ids, int64_t id) {
    if (ids->n == ids->cap) {
        size_t nc = ids->cap ? ids->cap * 2 : 64;
        int64_t *p = realloc(ids->v, nc * sizeof *p);
        if (!p) return false;
        ids->v = p;
        ids->cap = nc;
    }
    ids->v[ids->n++] = id;
    return true;
}

odin_tokenizer *odin_tokenizer_alloc(odin_tokenizer_kind kind, int64_t n_ids) {
    odin_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->kind = kind;
    t->n_ids = n_ids;
    t->eos = -1;
    size_t n = n_ids > 0 ? (size_t)n_ids : 1;
    t->off = calloc(n, sizeof *t->off);
    t->len = calloc(n, sizeof *t->len);
    t->present = calloc(n, sizeof *t->present);
    if (!t->off || !t->len || !t->present) {
        odin_tokenizer_free(t);
        return NULL;
    }
    return t;
}

bool odin_tokenizer_set_bytes(odin_tokenizer *t, int64_t id, const uint8_t *bytes, size_t len) {
    if (t->blob_len + len > t->blob_cap) {
        size_t nc = t->blob_cap ? t->blob_cap : 4096;
        while (nc < t->blob_len + len) nc *= 2;
        uint8_t *p = realloc(t->blob, nc);
        if (!p) return false;
        t->blob = p;
        t->blob_cap = nc;
    }
    if (len) memcpy(t->blob + t->blob_len, bytes, len);
    t->off[id] = t->blob_len;
    t->len[id] = (uint32_t)len;
    t->present[id] = true;
    t->blob_len += len;
    return true;
}

odin_status odin_read_whole_file(const char *path, char **data, size_t *size) {
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return odin_errorf("%s: cannot open: %m", path);
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return odin_errorf("%s: not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        fclose(f);
        return odin_errorf("%s: out of memory (%zu bytes)", path, n);
    }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    if (got != n) {
        free(buf);
        return odin_errorf("%s: read %zu of %zu bytes", path, got, n);
    }
    buf[n] = 0;
    *data = buf;
    *size = n;
    return ODIN_OK;
}

size_t odin_utf8_next(const uint8_t *s, size_t n, uint32_t *cp) {
    unsigned c = s[0];
    size_t need;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) need = 2, v = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) need = 3, v = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) need = 4, v = c & 0x07, min = 0x10000;
    else goto bad;
    if (n < need) goto bad;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) goto bad;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) goto bad;
    *cp = v;
    return need;
bad:
    *cp = UINT32_MAX;
    return 1;
}

static const struct {
    const char *name;
    odin_tokenizer_kind kind;
} kind_names[] = {
    {"auto", ODIN_TOKENIZER_AUTO}, {"byte", ODIN_TOKENIZER_BYTE},  {"bytes", ODIN_TOKENIZER_BYTE},
    {"rwkv", ODIN_TOKENIZER_RWKV}, {"rwkv-world", ODIN_TOKENIZER_RWKV},
    {"world", ODIN_TOKENIZER_RWKV}, {"gpt2", ODIN_TOKENIZER_GPT2}, {"bpe", ODIN_TOKENIZER_GPT2},
};

int odin_tokenizer_kind_parse(const char *name, odin_tokenizer_kind *out) {
    for (size_t i = 0; name && i < sizeof kind_names / sizeof *kind_names; i++)
        if (!strcmp(name, kind_names[i].name)) {
            *out = kind_names[i].kind;
            return 0;
        }
    return -1;
}

const char *odin_tokenizer_kind_name(odin_tokenizer_kind kind) {
    switch (kind) {
    case ODIN_TOKENIZER_BYTE: return "byte";
    case ODIN_TOKENIZER_RWKV: return "rwkv";
    case ODIN_TOKENIZER_GPT2: return "gpt2";
    default: return "auto";
    }
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The directory part of path ("." when none) into buf. */
static void dir_of(const char *path, char *buf, size_t size) {
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(buf, size, ".");
    else if (slash == path) snprintf(buf, size, "/");
    else snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

static odin_status open_gpt2_at(const char *path, bool is_dir, odin_tokenizer **out) {
    char dir[4096], enc[4200], bpe[4200];
    if (is_dir) snprintf(dir, sizeof dir, "%s", path);
    else dir_of(path, dir, sizeof dir);
    snprintf(enc, sizeof enc, "%s/encoder.json", dir);
    snprintf(bpe, sizeof bpe, "%s/vocab.bpe", dir);
    if (!is_dir && ends_with(path, ".json")) snprintf(enc, sizeof enc, "%s", path);
    if (!is_dir && ends_with(path, ".bpe")) snprintf(bpe, sizeof bpe, "%s", path);
    return odin_tokenizer_open_gpt2(enc, bpe, out);
}

/* The one rwkv_vocab*.txt in dir, into buf; -1 when there is none, -2 when several. */
static int find_rwkv_vocab(const char *dir, char *buf, size_t size) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "rwkv_vocab", 10) || !ends_with(e->d_name, ".txt")) continue;
        if (found++) break;
        snprintf(buf, size, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    return found == 1 ? 0 : found ? -2 : -1;
}

odin_status odin_tokenizer_open(const char *path, odin_tokenizer_kind kind, odin_tokenizer **out) {
    *out = NULL;
    if (kind == ODIN_TOKENIZER_BYTE || (kind == ODIN_TOKENIZER_AUTO && (!path || !strcmp(path, "byte"))))
        return odin_tokenizer_open_byte(out);
    if (!path) return odin_errorf("tokenizer %s needs a vocabulary file", odin_tokenizer_kind_name(kind));
    struct stat st;
    if (stat(path, &st) != 0) return odin_errorf("%s: cannot open: %m", path);
    bool is_dir = S_ISDIR(st.st_mode);
    if (kind == ODIN_TOKENIZER_GPT2) return open_gpt2_at(path, is_dir, out);
    char vocab[4200];
    if (kind == ODIN_TOKENIZER_RWKV) {
        if (!is_dir) return odin_tokenizer_open_rwkv(path, out);
        int r = find_rwkv_vocab(path, vocab, sizeof vocab);
        if (r) return odin_errorf("%s: %s rwkv_vocab*.txt in this directory", path,
                                  r == -1 ? "no" : "more than one");
        return odin_tokenizer_open_rwkv(vocab, out);
    }
    if (kind != ODIN_TOKENIZER_AUTO) return odin_errorf("unknown tokenizer kind %d", (int)kind);
    if (is_dir) {
        char enc[4200], bpe[4200];
        snprintf(enc, sizeof enc, "%s/encoder.json", path);
        snprintf(bpe, sizeof bpe, "%s/vocab.bpe", path);
        if (is_file(enc) && is_file(bpe)) return odin_tokenizer_open_gpt2(enc, bpe, out);
        int r = find_rwkv_vocab(path, vocab, sizeof vocab);
        if (!r) return odin_tokenizer_open_rwkv(vocab, out);
        return odin_errorf("%s: no tokenizer here (expected encoder.json + vocab.bpe, or one "
                           "rwkv_vocab*.txt)", path);
    }
    if (ends_with(path, ".json") || ends_with(path, ".bpe")) return open_gpt2_at(path, false, out);
    /* An RWKV vocabulary's first line starts with a decimal id, a space and a quote or b'. */
    FILE *f = fopen(path, "rb");
    if (!f) return odin_errorf("%s: cannot open: %m", path);
    char head[64] = {0};
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    size_t i = 0;
    while (i < n && head[i] >= '0' && head[i] <= '9') i++;
    if (i > 0 && i + 1 < n && head[i] == ' ' &&
        (head[i + 1] == '\'' || head[i + 1] == '"' || head[i + 1] == 'b'))
        return odin_tokenizer_open_rwkv(path, out);
    return odin_errorf("%s: cannot tell the tokenizer format (name it: byte, rwkv or gpt2)", path);
}

void odin_tokenizer_free(odin_tokenizer *t) {
    if (!t) return;
    if (t->release) t->release(t->impl);
    free(t->blob);
    free(t->off);
    free(t->len);
    free(t->present);
    free(t);
}

odin_tokenizer_kind odin_tokenizer_kind_of(const odin_tokenizer *t) { return t->kind; }
int64_t odin_tokenizer_vocab_size(const odin_tokenizer *t) { return t->n_ids; }
int64_t odin_tokenizer_eos(const odin_tokenizer *t) { return t->eos; }

odin_status odin_tokenizer_encode(const odin_tokenizer *t, const char *text, size_t len,
                                  int64_t **ids, size_t *n) {
    *ids = NULL;
    *n = 0;
    odin_ids out = {0};
    if (!odin_ids_push(&out, 0)) return odin_errorf("tokenizer: out of memory");
    out.n = 0; /* the array exists even for empty text */
    odin_status st = t->encode(t, (const uint8_t *)text, len, &out);
    if (st) {
        free(out.v);
        return st;
    }
    *ids = out.v;
    *n = out.n;
    return ODIN_OK;
}

const uint8_t *odin_tokenizer_token_bytes(const odin_tokenizer *t, int64_t id, size_t *len) {
    *len = 0;
    if (id < 0 || id >= t->n_ids || !t->present[id]) return NULL;
    *len = t->len[id];
    return t->blob ? t->blob + t->off[id] : (const uint8_t *)"";
}

odin_status odin_tokenizer_decode(const odin_tokenizer *t, const int64_t *ids, size_t n,
                                  char **text, size_t *len) {
    *text = NULL;
    *len = 0;
    size_t total = 0, k;
    for (size_t i = 0; i < n; i++) {
        if (!odin_tokenizer_token_bytes(t, ids[i], &k))
            return odin_errorf("%s tokenizer: token id %lld (at %zu) is not in the vocabulary of %lld",
                               odin_tokenizer_kind_name(t->kind), (long long)ids[i], i,
                               (long long)t->n_ids);
        total += k;
    }
    char *buf = malloc(total + 1);
    if (!buf) return odin_errorf("tokenizer: out of memory");
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b = odin_tokenizer_token_bytes(t, ids[i], &k);
        memcpy(buf + pos, b, k);
        pos += k;
    }
    buf[total] = 0;
    *text = buf;
    *len = total;
    return ODIN_OK;
}
