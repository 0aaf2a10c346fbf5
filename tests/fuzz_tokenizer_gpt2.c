/* tests/fuzz_tokenizer_gpt2.c — libFuzzer target: arbitrary bytes as a GPT-2 tokenizer,
 * encoder.json and vocab.bpe separated by the first NUL byte (no NUL: all encoder.json,
 * empty merges). The parser must return an error or a tokenizer; a tokenizer must encode
 * text (the input's bytes and a fixed sample with every pre-tokenizer class) either to an
 * error (a byte the encoder lacks) or to ids that decode to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/tokenizer_impl.h"

static void round_trip(const odin_tokenizer *t, const char *text, size_t len) {
    int64_t *ids;
    size_t n;
    odin_status st = odin_tokenizer_encode(t, text, len, &ids, &n);
    if (st) {
        odin_status_free(st);
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
    const uint8_t *nul = memchr(data, 0, size);
    size_t enc_size = nul ? (size_t)(nul - data) : size;
    const char *bpe = nul ? (const char *)nul + 1 : "";
    size_t bpe_size = nul ? size - enc_size - 1 : 0;
    odin_tokenizer *t;
    odin_status st = odin_tokenizer_parse_gpt2((const char *)data, enc_size, "fuzz.json", bpe,
                                               bpe_size, "fuzz.bpe", &t);
    if (st) {
        odin_status_free(st);
        return 0;
    }
    static const char sample[] = "Hello, world! It's 2024 \xc3\xa9t\xc3\xa9  \t\n x\xff\xfe y's";
    round_trip(t, sample, sizeof sample - 1);
    round_trip(t, bpe, bpe_size < 256 ? bpe_size : 256);
    odin_tokenizer_free(t);
    return 0;
}
