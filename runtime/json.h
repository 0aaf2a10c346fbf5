/* runtime/json.h — a small strict JSON (RFC 8259) reader for the few JSON files ODIN
 * reads: safetensors headers and GPT-2's encoder.json. Parses a whole document into a
 * tree; rejects comments, trailing commas, leading zeros, bad escapes, unpaired
 * surrogates, raw control characters, nesting deeper than 64 and trailing garbage. */
#ifndef ODIN_RUNTIME_JSON_H
#define ODIN_RUNTIME_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ir/status.h"

typedef enum odin_json_type {
    ODIN_JSON_NULL,
    ODIN_JSON_FALSE,
    ODIN_JSON_TRUE,
    ODIN_JSON_NUMBER,
    ODIN_JSON_STRING,
    ODIN_JSON_ARRAY,
    ODIN_JSON_OBJECT,
} odin_json_type;

typedef struct odin_json_member odin_json_member;

typedef struct odin_json {
    odin_json_type type;
    double number;       /* NUMBER */
    bool is_int;         /* NUMBER written without fraction/exponent and fits int64 */
    int64_t integer;     /* NUMBER when is_int: exact (doubles lose digits past 2^53) */
    char *str;           /* STRING: decoded UTF-8, NUL-terminated (may contain NULs) */
    size_t len;          /* STRING: byte length */
    size_t count;        /* ARRAY items / OBJECT members */
    struct odin_json *items;   /* ARRAY */
    odin_json_member *members; /* OBJECT, in document order (duplicates kept) */
} odin_json;

struct odin_json_member {
    char *key; /* decoded UTF-8, NUL-terminated */
    size_t key_len;
    odin_json value;
};

/* Parse `len` bytes. `what` names the source in errors ("model.safetensors: JSON header:
 * line 1, column 17: expected ':'"). Free the tree with odin_json_free. */
odin_status odin_json_parse(const char *text, size_t len, const char *what, odin_json **out);
void odin_json_free(odin_json *j);
/* First member named `key` of an object; NULL when absent or j is not an object. */
const odin_json *odin_json_get(const odin_json *j, const char *key);
const char *odin_json_type_name(odin_json_type t);

#endif
