/* runtime/tokenizer_impl.h — what the tokenizer implementations share (not a public API):
 * the tokenizer object with its id -> bytes table (decoding is common to all kinds), a
 * growable id list for encoders, and a whole-file reader. */
#ifndef ODIN_RUNTIME_TOKENIZER_IMPL_H
#define ODIN_RUNTIME_TOKENIZER_IMPL_H

#include <stdbool.h>

#include "tokenizer.h"

typedef struct odin_ids {
    int64_t *v;
    size_t n, cap;
} odin_ids;

struct odin_tokenizer {
    odin_tokenizer_kind kind;
    int64_t n_ids; /* table size: one past the largest id */
    int64_t eos;
    uint8_t *blob; /* every token's bytes, back to back */
    size_t blob_len, blob_cap;
    size_t *off;     /* [n_ids] start in blob */
    uint32_t *len;   /* [n_ids] byte count */
    bool *present;   /* [n_ids] id has bytes */
    odin_status (*encode)(const odin_tokenizer *t, const uint8_t *s, size_t n, odin_ids *out);
    void (*release)(void *impl);
    void *impl;
};

bool odin_ids_push(odin_ids *ids, int64_t id);
/* A tokenizer with an empty table of n_ids ids; NULL when out of memory. */
odin_tokenizer *odin_tokenizer_alloc(odin_tokenizer_kind kind, int64_t n_ids);
/* Give id its bytes (false: out of memory). */
bool odin_tokenizer_set_bytes(odin_tokenizer *t, int64_t id, const uint8_t *bytes, size_t len);
/* Read a whole file into a malloc'ed, NUL-terminated buffer. */
odin_status odin_read_whole_file(const char *path, char **data, size_t *size);

odin_status odin_tokenizer_open_byte(odin_tokenizer **out);
odin_status odin_tokenizer_open_rwkv(const char *path, odin_tokenizer **out);
odin_status odin_tokenizer_open_gpt2(const char *encoder_json, const char *vocab_bpe,
                                     odin_tokenizer **out);
/* The same from files already in memory (size bytes, no terminator needed); the names
 * only label errors. Fuzzed by tests/fuzz_tokenizer_rwkv.c and tests/fuzz_tokenizer_gpt2.c. */
odin_status odin_tokenizer_parse_rwkv(const char *text, size_t size, const char *name,
                                      odin_tokenizer **out);
odin_status odin_tokenizer_parse_gpt2(const char *encoder_json, size_t encoder_size,
                                      const char *encoder_name, const char *vocab_bpe,
                                      size_t vocab_size, const char *vocab_name,
                                      odin_tokenizer **out);

/* Length of the UTF-8 sequence at s (n > 0 bytes available) and its code point; an invalid
 * or truncated sequence is one byte long and yields *cp = UINT32_MAX. */
size_t odin_utf8_next(const uint8_t *s, size_t n, uint32_t *cp);

#endif
