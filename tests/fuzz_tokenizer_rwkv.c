/* tests/fuzz_tokenizer_rwkv.c — libFuzzer target: arbitrary bytes as an RWKV World
 * vocabulary file (`ID TOKEN LENGTH` lines, TOKEN a Python str or bytes literal). The
 * parser must return an error or a tokenizer of nonempty tokens; each token's bytes must
 * encode (greedy longest match: the token itself at least) and decode back unchanged, and
 * any other text (the tokens run together, the input's bytes) either to an error or back
 * unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/tokenizer_impl.h"

/* text -> ids -> text must give the bytes back (or encoding fails: a byte no token covers) */
static void round_trip(const odin_tokenizer *t, const char *text, size_t len, int must_encode) {
    int64_t *ids;
    size_t n;
    odin_status st = odin_tokenizer_encode(t, text, len, &ids, &n);
    if (st) {
        odin_status_free(st);
        if (must_encode) abort();
        return;
    }
    char *back;
    size_t blen;
    st = odin_tokenizer_decode(t, ids, n, &back, &blen);
    if (st || blen != len || (len && memcmp(back, text, len))) abort();
    free(back);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    odin_tokenizer *t;
    odin_status st = odin_tokenizer_parse_rwkv((const char *)data, size, "fuzz.txt", &t);
    if (st) {
        odin_status_free(st);
        return 0;
    }
    /* (up to 64 of) the tokens one by one, then run together: the greedy split of the
     * concatenation may strand a byte no token starts with, so that one may fail */
    char text[4096];
    size_t len = 0, k;
    int64_t vocab = odin_tokenizer_vocab_size(t), used = 0;
    for (int64_t id = 0; id < vocab && used < 64; id++) {
        const uint8_t *b = odin_tokenizer_token_bytes(t, id, &k);
        if (!b) continue;
        if (k == 0) abort(); /* the parser refuses empty tokens */
        round_trip(t, (const char *)b, k, 1);
        if (len + k > sizeof text) break;
        memcpy(text + len, b, k);
        len += k;
        used++;
    }
    round_trip(t, text, len, 0);
    round_trip(t, (const char *)data, size < 256 ? size : 256, 0); /* any bytes */
    odin_tokenizer_free(t);
    return 0;
}
