/* runtime/unicode_classes.h — the Unicode character classes the GPT-2 pre-tokenizer needs:
 * letters (general category L), numbers (N) from generated range tables, and white space
 * as JavaScript's \s defines it. */
#ifndef ODIN_RUNTIME_UNICODE_CLASSES_H
#define ODIN_RUNTIME_UNICODE_CLASSES_H

#include <stdbool.h>
#include <stdint.h>

bool odin_unicode_is_letter(uint32_t cp); /* \p{L} */
bool odin_unicode_is_number(uint32_t cp); /* \p{N} */
/* \s of ECMAScript: TAB LF VT FF CR SPACE, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
 * U+202F, U+205F, U+3000, U+FEFF. */
static inline bool odin_unicode_is_space(uint32_t cp) {
    return (cp >= 9 && cp <= 13) || cp == 0x20 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

#endif
