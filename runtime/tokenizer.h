/* runtime/tokenizer.h — text <-> token ids for language models: one interface over three
 * vocabularies (raw bytes, the RWKV "World" trie tokenizer, GPT-2 byte-level BPE), each
 * implemented in its own runtime/tokenizer_*.c. Part of the runtime: no LLVM. */
#ifndef ODIN_RUNTIME_TOKENIZER_H
#define ODIN_RUNTIME_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "../ir/status.h"

typedef struct odin_tokenizer odin_tokenizer;

typedef enum odin_tokenizer_kind {
    ODIN_TOKENIZER_AUTO = 0, /* detect from the path (see odin_tokenizer_open) */
    ODIN_TOKENIZER_BYTE,     /* ids 0..255 are the bytes themselves; no file */
    ODIN_TOKENIZER_RWKV,     /* RWKV World: "ID TOKEN LENGTH" lines, greedy longest match */
    ODIN_TOKENIZER_GPT2,     /* GPT-2 byte-level BPE: encoder.json + vocab.bpe */
} odin_tokenizer_kind;

/* "auto", "byte", "rwkv" (also "rwkv-world", "world"), "gpt2" (also "bpe"); -1 when unknown. */
int odin_tokenizer_kind_parse(const char *name, odin_tokenizer_kind *out);
const char *odin_tokenizer_kind_name(odin_tokenizer_kind kind); /* "byte", "rwkv", "gpt2" */

/* Open a tokenizer. `path` may be NULL (or "byte") only for the byte tokenizer.
 * For GPT-2, `path` is a directory holding encoder.json and vocab.bpe, or either one of
 * those two files (the other is taken from the same directory).
 * ODIN_TOKENIZER_AUTO picks: NULL or "byte" -> byte; a directory with encoder.json and
 * vocab.bpe -> gpt2; a directory with exactly one rwkv_vocab*.txt -> rwkv; a *.json or
 * *.bpe file -> gpt2; otherwise a file whose first line reads "ID TOKEN LENGTH" -> rwkv.
 * Errors name the file, the line (or JSON key) and the reason. */
odin_status odin_tokenizer_open(const char *path, odin_tokenizer_kind kind, odin_tokenizer **out);
void odin_tokenizer_free(odin_tokenizer *t); /* NULL is fine */

odin_tokenizer_kind odin_tokenizer_kind_of(const odin_tokenizer *t);
/* One past the largest token id (256 for bytes, 50257 for GPT-2, 65530 for RWKV World's
 * file: id 0 is RWKV's end-of-text and has no bytes). */
int64_t odin_tokenizer_vocab_size(const odin_tokenizer *t);
/* The end-of-text id (GPT-2: 50256 "<|endoftext|>", RWKV: 0), -1 when there is none. */
int64_t odin_tokenizer_eos(const odin_tokenizer *t);

/* Encode `len` bytes of UTF-8 text (any bytes are accepted: invalid UTF-8 is encoded
 * byte by byte, never rejected) into a malloc'ed array of *n ids (*ids is non-NULL even
 * when *n == 0; free with free()). Special tokens in the text are encoded as plain text.
 * The only error is an input no token covers (RWKV vocabularies missing a byte). */
odin_status odin_tokenizer_encode(const odin_tokenizer *t, const char *text, size_t len,
                                  int64_t **ids, size_t *n);

/* Decode ids into a malloc'ed byte string of *len bytes plus a terminating NUL (free with
 * free()). Bytes are concatenated as they are: a string cut in the middle of a UTF-8
 * sequence stays cut. Errors name an id outside the vocabulary. */
odin_status odin_tokenizer_decode(const odin_tokenizer *t, const int64_t *ids, size_t n,
                                  char **text, size_t *len);

/* The bytes of one token (for streaming output), valid until odin_tokenizer_free; NULL
 * when `id` has no bytes (outside the vocabulary, or RWKV's id 0). Not NUL-terminated. */
const uint8_t *odin_tokenizer_token_bytes(const odin_tokenizer *t, int64_t id, size_t *len);

#endif
