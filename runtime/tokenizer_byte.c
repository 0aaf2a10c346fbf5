/* runtime/tokenizer_byte.c — the byte tokenizer: token id i is the byte i (0..255); needs
 * no file, so every byte-level model has a tokenizer. */
#include "tokenizer_impl.h"

static odin_status encode_bytes(const odin_tokenizer *t, const uint8_t *s, size_t n,
                                odin_ids *out) {
    for (size_t i = 0; i < n; i++)
        if (!odin_ids_push(out, s[i])) return odin_errorf("byte tokenizer: out of memory");
    return ODIN_OK;
}

odin_status odin_tokenizer_open_byte(odin_tokenizer **out) {
    odin_tokenizer *t = odin_tokenizer_alloc(ODIN_TOKENIZER_BYTE, 256);
    if (!t) return odin_errorf("byte tokenizer: out of memory");
    for (int i = 0; i < 256; i++) {
        uint8_t b = (uint8_t)i;
        if (!odin_tokenizer_set_bytes(t, i, &b, 1)) {
            odin_tokenizer_free(t);
            return odin_errorf("byte tokenizer: out of memory");
        }
    }
    t->encode = encode_bytes;
    *out = t;
    return ODIN_OK;
}
