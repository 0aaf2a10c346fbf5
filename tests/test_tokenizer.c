/* tests/test_tokenizer.c — the byte, RWKV World and GPT-2 BPE tokenizers on small
 * vocabularies written here, whose encodings follow by hand from the rules (greedy longest
 * match; BPE by merge rank after GPT-2's pre-tokenizer split), plus round trips and file
 * errors. tests/t_tokenizer.sh checks the real GPT-2 files against the npm package's
 * encoder and RWKV against a Python implementation; for that this binary also runs as
 *   test_tokenizer --encode KIND PATH TEXTFILE     (prints the ids, space-separated)
 *   test_tokenizer --roundtrip KIND PATH TEXTFILE  (exit 0 when decode(encode) == text) */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/tokenizer.h"
#include "test.h"

static char tmpdir[64];

static const char *write_text(const char *name, const char *text) {
    static char path[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    FILE *f = fopen(path[k], "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path[k];
}

/* Encode text and compare with the expected ids; then check the round trip. */
static void expect_ids(const odin_tokenizer *t, const char *text, const int64_t *want, size_t n_want) {
    int64_t *ids = NULL;
    size_t n = 0;
    CHECK_OK(odin_tokenizer_encode(t, text, strlen(text), &ids, &n));
    bool same = ids && n == n_want;
    for (size_t i = 0; same && i < n; i++) same = ids[i] == want[i];
    if (!same) {
        fprintf(stderr, "  '%s' ->", text);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %lld", (long long)ids[i]);
        fprintf(stderr, "\n");
    }
    CHECK(same, "ids of '%s'", text);
    char *back = NULL;
    size_t len = 0;
    CHECK_OK(odin_tokenizer_decode(t, ids, n, &back, &len));
    CHECK(back && len == strlen(text) && !memcmp(back, text, len), "round trip of '%s'", text);
    free(back);
    free(ids);
}
#define EXPECT(t, text, ...)                                                               \
    do {                                                                                   \
        const int64_t w_[] = {__VA_ARGS__};                                                \
        expect_ids(t, text, w_, sizeof w_ / sizeof *w_);                                   \
    } while (0)

static const char *utf8_text = "h\xC3\xA9llo \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80!"; /* héllo 中文 😀! */

static void test_byte(void) {
    odin_tokenizer *t = NULL;
    CHECK_OK(odin_tokenizer_open(NULL, ODIN_TOKENIZER_AUTO, &t));
    if (!t) return;
    CHECK(odin_tokenizer_kind_of(t) == ODIN_TOKENIZER_BYTE && odin_tokenizer_vocab_size(t) == 256 &&
              odin_tokenizer_eos(t) == -1, "byte tokenizer");
    EXPECT(t, "h\xC3\xA9", 'h', 0xC3, 0xA9);
    EXPECT(t, utf8_text, 'h', 0xC3, 0xA9, 'l', 'l', 'o', ' ', 0xE4, 0xB8, 0xAD, 0xE6, 0x96, 0x87, ' ',
           0xF0, 0x9F, 0x98, 0x80, '!');
    int64_t *ids = NULL;
    size_t n = 9;
    CHECK_OK(odin_tokenizer_encode(t, "", 0, &ids, &n));
    CHECK(ids != NULL && n == 0, "empty text");
    free(ids);
    int64_t bad[2] = {65, 256};
    char *s = NULL;
    size_t len;
    CHECK_ERR(odin_tokenizer_decode(t, bad, 2, &s, &len), "token id 256 (at 1) is not in the vocabulary");
    size_t k;
    const uint8_t *b = odin_tokenizer_token_bytes(t, 200, &k);
    CHECK(b && k == 1 && b[0] == 200, "token bytes");
    odin_tokenizer_free(t);
}

/* RWKV vocabulary: every single byte, plus multi-byte tokens in every literal form. */
static const char *rwkv_vocab(void) {
    static char buf[65536];
    size_t n = 0;
    for (int b = 0; b < 256; b++) {
        if (b < 0x80 && b >= 0x20 && b != '\'' && b != '\\')
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%d '%c' 1\n", b + 1, b);
        else
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%d b'\\x%02x' 1\n", b + 1, b);
    }
    n += (size_t)snprintf(buf + n, sizeof buf - n,
                          "300 'he' 2\n"
                          "301 'hel' 3\n"
                          "302 'hello' 5\n"
                          "303 ' world' 6\n"
                          "304 \"it's\" 4\n"
                          "305 '\\n\\n' 2\n"
                          "306 '\xC3\xA9' 2\n"           /* é written raw */
                          "307 '\\u4e2d\\u6587' 6\n"     /* 中文 */
                          "308 b'\\xe4\\xb8' 2\n"        /* a prefix of 中 */
                          "309 '\\\\\\'' 2\n"            /* backslash quote */
                          "310 '\\U0001F600' 4\n"        /* 😀 */
                          "311 '\\x41\\101\\t' 3\n"      /* A A TAB: \\x and octal */
                          "312 'a b' 3\n"                /* a space inside the literal */
                          "313 '\\d' 2\n");              /* unknown escape: backslash d */
    return write_text("rwkv_vocab_test.txt", buf);
}

static void test_rwkv(void) {
    odin_tokenizer *t = NULL;
    const char *path = rwkv_vocab();
    CHECK_OK(odin_tokenizer_open(path, ODIN_TOKENIZER_AUTO, &t));
    if (!t) return;
    CHECK(odin_tokenizer_kind_of(t) == ODIN_TOKENIZER_RWKV && odin_tokenizer_vocab_size(t) == 314 &&
              odin_tokenizer_eos(t) == 0, "rwkv tokenizer");
    EXPECT(t, "hello world", 302, 303);
    EXPECT(t, "help", 301, 'p' + 1);
    EXPECT(t, "it's\n\n\n", 304, 305, '\n' + 1);
    EXPECT(t, "h\xC3\xA9", 'h' + 1, 306);
    EXPECT(t, "\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD", 307, 308, 0xAD + 1);
    EXPECT(t, "\\'\xF0\x9F\x98\x80", 309, 310);
    EXPECT(t, "AA\ta bc\\d", 311, 312, 'c' + 1, 313);
    EXPECT(t, utf8_text, 'h' + 1, 306, 'l' + 1, 'l' + 1, 'o' + 1, ' ' + 1, 307, ' ' + 1, 310, '!' + 1);
    size_t k;
    CHECK(!odin_tokenizer_token_bytes(t, 0, &k), "id 0 has no bytes");
    int64_t eos = 0;
    char *s;
    size_t len;
    CHECK_ERR(odin_tokenizer_decode(t, &eos, 1, &s, &len), "token id 0");
    odin_tokenizer_free(t);
    /* the directory form finds the one rwkv_vocab*.txt */
    CHECK_OK(odin_tokenizer_open(tmpdir, ODIN_TOKENIZER_RWKV, &t));
    odin_tokenizer_free(t);
}

static odin_status open_rwkv_text(const char *text) {
    odin_tokenizer *t = NULL;
    odin_status st = odin_tokenizer_open(write_text("bad_vocab.txt", text), ODIN_TOKENIZER_RWKV, &t);
    odin_tokenizer_free(t);
    return st;
}

static void test_rwkv_errors(void) {
    CHECK_ERR(open_rwkv_text("1 'ab' 3\n"), "bad_vocab.txt:1: token 1 is 2 bytes but the line says 3");
    CHECK_ERR(open_rwkv_text("1 'a' 1\n2 'ab 2\n"), "bad_vocab.txt:2: token 2: unterminated literal");
    CHECK_ERR(open_rwkv_text("1 'a' 1\n1 'b' 1\n"), "token id 1 is defined twice");
    CHECK_ERR(open_rwkv_text("x 'a' 1\n"), "bad_vocab.txt:1: bad token id 'x'");
    CHECK_ERR(open_rwkv_text("1 'a' one\n"), "bad length 'one'");
    CHECK_ERR(open_rwkv_text("1 b'\xC3\xA9' 2\n"), "non-ASCII character in a bytes literal");
    CHECK_ERR(open_rwkv_text("1 '\\x4' 1\n"), "\\x needs 2 hex digits");
    CHECK_ERR(open_rwkv_text("1 '\\ud800' 3\n"), "surrogate");
    CHECK_ERR(open_rwkv_text("1 'a' 'b' 2\n"), "text after the literal");
    CHECK_ERR(open_rwkv_text("1 r'a' 1\n"), "expected a Python str or bytes literal");
    CHECK_ERR(open_rwkv_text("1 '' 0\n"), "token 1 is empty");
    CHECK_ERR(open_rwkv_text(""), "no tokens");
    /* a text no token covers */
    odin_tokenizer *t = NULL;
    CHECK_OK(odin_tokenizer_open(write_text("small_vocab.txt", "1 'a' 1\n2 b'\\xff' 1\n"), ODIN_TOKENIZER_RWKV, &t));
    if (!t) return;
    int64_t *ids;
    size_t n;
    CHECK_ERR(odin_tokenizer_encode(t, "ab", 2, &ids, &n), "no token starts with byte 0x62 (at offset 1)");
    odin_tokenizer_free(t);
}

/* GPT-2 files in miniature: the 256 byte tokens (spelled through GPT-2's byte map) plus
 * merges; ids of single bytes are their byte-map order, as in the real encoder.json. */
static void gpt2_char(char *dst, size_t *n, int b) {
    static int map[256];
    static bool init;
    if (!init) {
        int extra = 0;
        for (int i = 0; i < 256; i++) {
            bool printable = (i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255);
            map[i] = printable ? i : 256 + extra++;
        }
        init = true;
    }
    int cp = map[b];
    if (cp == '"' || cp == '\\') dst[(*n)++] = '\\';
    if (cp < 0x80) {
        dst[(*n)++] = (char)cp;
    } else {
        dst[(*n)++] = (char)(0xC0 | cp >> 6);
        dst[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static void test_gpt2_small(void) {
    static char enc[16384];
    size_t n = 0;
    enc[n++] = '{';
    for (int b = 0; b < 256; b++) {
        enc[n++] = '"';
        gpt2_char(enc, &n, b);
        n += (size_t)snprintf(enc + n, sizeof enc - n, "\": %d, ", b);
    }
    /* "Ġ" is the space byte (0x20 -> U+0120) */
    n += (size_t)snprintf(enc + n, sizeof enc - n,
                          "\"he\": 256, \"ll\": 257, \"hell\": 258, \"\\u0120w\": 259, \"or\": 260, "
                          "\"\\u0120wor\": 261, \"'s\": 262, \"<|endoftext|>\": 263}");
    write_text("encoder.json", enc);
    write_text("vocab.bpe", "#version: 0.2\nh e\nl l\nhe ll\n\xC4\xA0 w\no r\n\xC4\xA0w or\n' s\n");
    odin_tokenizer *t = NULL;
    CHECK_OK(odin_tokenizer_open(tmpdir, ODIN_TOKENIZER_AUTO, &t));
    if (!t) return;
    CHECK(odin_tokenizer_kind_of(t) == ODIN_TOKENIZER_GPT2 && odin_tokenizer_vocab_size(t) == 264 &&
              odin_tokenizer_eos(t) == 263, "gpt2 tokenizer");
    /* "hello" -> h e l l o -> he l l o -> he ll o -> hell o */
    EXPECT(t, "hello world", 258, 'o', 261, 'l', 'd');
    /* pieces: "it", "'s", " hello" ("'s" is a contraction piece; " h" has no merge) */
    EXPECT(t, "it's hello", 'i', 't', 262, ' ', 258, 'o');
    /* "  world": the first blank is a piece of its own, the second starts " world" */
    EXPECT(t, "  world", ' ', 261, 'l', 'd');
    /* "'x" is not a contraction: "'" and "x" are split ("x" is a letter) */
    EXPECT(t, "'x", '\'', 'x');
    /* digits and letters are separate pieces, punctuation runs stay together */
    EXPECT(t, "ab12!?", 'a', 'b', '1', '2', '!', '?');
    odin_tokenizer_free(t);
    /* the single file form finds the other file beside it */
    char encp[300];
    snprintf(encp, sizeof encp, "%s/encoder.json", tmpdir);
    CHECK_OK(odin_tokenizer_open(encp, ODIN_TOKENIZER_AUTO, &t));
    if (t) EXPECT(t, utf8_text, 'h', 0xC3, 0xA9, 257, 'o', ' ', 0xE4, 0xB8, 0xAD, 0xE6, 0x96, 0x87, ' ',
                  0xF0, 0x9F, 0x98, 0x80, '!');
    odin_tokenizer_free(t);
    write_text("vocab.bpe", "#version: 0.2\nh e\nl  l\n");
    CHECK_ERR(odin_tokenizer_open(encp, ODIN_TOKENIZER_GPT2, &t), "vocab.bpe:3: expected two tokens");
    write_text("vocab.bpe", "#version: 0.2\n");
    write_text("encoder.json", "{\"a\": 0, \"b\": 0}");
    CHECK_ERR(odin_tokenizer_open(encp, ODIN_TOKENIZER_GPT2, &t), "token 'b': id 0 is used twice");
    write_text("encoder.json", "{\"a\": 0, \"\\u4e2d\": 1}");
    CHECK_ERR(odin_tokenizer_open(encp, ODIN_TOKENIZER_GPT2, &t), "is not spelled in GPT-2's byte characters");
    write_text("encoder.json", "{\"a\": 0,}");
    CHECK_ERR(odin_tokenizer_open(encp, ODIN_TOKENIZER_GPT2, &t), "encoder.json: line 1, column 9");
}

static void test_kinds(void) {
    odin_tokenizer_kind k;
    CHECK(odin_tokenizer_kind_parse("gpt2", &k) == 0 && k == ODIN_TOKENIZER_GPT2, "gpt2");
    CHECK(odin_tokenizer_kind_parse("world", &k) == 0 && k == ODIN_TOKENIZER_RWKV, "world");
    CHECK(odin_tokenizer_kind_parse("nope", &k) == -1, "unknown");
    CHECK(!strcmp(odin_tokenizer_kind_name(ODIN_TOKENIZER_BYTE), "byte"), "name");
    odin_tokenizer *t = NULL;
    CHECK_ERR(odin_tokenizer_open(write_text("x.txt", "hello\n"), ODIN_TOKENIZER_AUTO, &t),
              "cannot tell the tokenizer format");
    CHECK_ERR(odin_tokenizer_open("/nonexistent/vocab.txt", ODIN_TOKENIZER_RWKV, &t), "cannot open");
}

/* ---- command-line modes for tests/t_tokenizer.sh ---- */

static int cli(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: test_tokenizer --encode|--roundtrip KIND PATH TEXTFILE\n");
        return 2;
    }
    odin_tokenizer_kind kind;
    if (odin_tokenizer_kind_parse(argv[2], &kind)) {
        fprintf(stderr, "unknown kind %s\n", argv[2]);
        return 2;
    }
    odin_tokenizer *t;
    odin_status st = odin_tokenizer_open(argv[3], kind, &t);
    if (st) {
        fprintf(stderr, "%s\n", odin_status_message(st));
        odin_status_free(st);
        return 1;
    }
    FILE *f = fopen(argv[4], "rb");
    if (!f) return 1;
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    int64_t *ids;
    size_t n;
    st = odin_tokenizer_encode(t, text, len, &ids, &n);
    int rc = 0;
    if (st) {
        fprintf(stderr, "%s\n", odin_status_message(st));
        odin_status_free(st);
        rc = 1;
    } else if (!strcmp(argv[1], "--encode")) {
        for (size_t i = 0; i < n; i++) printf("%s%lld", i ? " " : "", (long long)ids[i]);
        printf("\n");
    } else {
        char *back;
        size_t blen;
        st = odin_tokenizer_decode(t, ids, n, &back, &blen);
        rc = st || blen != len || memcmp(back, text, len) ? 1 : 0;
        if (!st) free(back);
        odin_status_free(st);
    }
    if (!st) free(ids);
    odin_tokenizer_free(t);
    return rc;
}

int main(int argc, char **argv) {
    if (argc > 1) return cli(argc, argv);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/odin_tok_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_byte);
    RUN(test_rwkv);
    RUN(test_rwkv_errors);
    RUN(test_gpt2_small);
    RUN(test_kinds);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    TEST_DONE();
}
