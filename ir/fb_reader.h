/* ir/fb_reader.h — generic verifying FlatBuffers accessors (no schema knowledge).
 * Every offset, vtable, field, vector length and string terminator is bounds-checked
 * against the buffer before it is used; table nesting depth and the total amount of
 * data visited are limited (so shared sub-objects cannot blow up the work). The first
 * failure is recorded in the reader (sticky) as a one-line message; accessors then
 * return false / empty values. Scalars are decoded little-endian byte by byte, so the
 * buffer may have any alignment in memory. */
#ifndef ODIN_FB_READER_H
#define ODIN_FB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { ODIN_FB_MAX_DEPTH = 32 };

typedef struct odin_fb_reader {
    const uint8_t *buf;
    size_t size;
    uint64_t budget; /* bytes of tables/vectors/strings still allowed to be visited */
    bool failed;
    char err[256];
} odin_fb_reader;

typedef struct odin_fb_table {
    uint32_t pos;      /* position of the table in the buffer; 0 = absent */
    uint32_t vt;       /* position of its vtable */
    uint16_t vt_size, obj_size;
    int depth;
    const char *type;  /* table type name, for messages */
} odin_fb_table;

typedef struct odin_fb_vec {
    uint32_t pos;      /* position of element 0 */
    uint32_t len;
    uint32_t elem_size;
    int depth;         /* depth of the table holding the vector */
    const char *type;  /* type of that table, for messages */
    const char *field; /* for messages */
} odin_fb_vec;

void odin_fb_reader_init(odin_fb_reader *r, const void *buf, size_t size);
/* Record an error (first one wins); always returns false. */
bool odin_fb_fail(odin_fb_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The root table (uoffset at byte 0); the caller checks size >= 8 and the identifier. */
bool odin_fb_root(odin_fb_reader *r, const char *type, odin_fb_table *out);

/* Scalar field `id` of `size` bytes as raw little-endian bits; *bits = def if absent. */
bool odin_fb_scalar(odin_fb_reader *r, const odin_fb_table *t, int id, const char *field,
                    size_t size, uint64_t def, uint64_t *bits);
/* Sub-table field; out->pos = 0 when absent. */
bool odin_fb_table_field(odin_fb_reader *r, const odin_fb_table *t, int id, const char *field,
                         const char *type, odin_fb_table *out);
/* String field; *s = NULL, *len = 0 when absent. The string is NUL-terminated in the
 * buffer (verified) and may contain NUL bytes before its end. */
bool odin_fb_string_field(odin_fb_reader *r, const odin_fb_table *t, int id, const char *field,
                          const char **s, uint32_t *len);
/* Vector field of elem_size-byte elements (4 for vectors of tables/strings); len 0 when
 * absent. */
bool odin_fb_vector_field(odin_fb_reader *r, const odin_fb_table *t, int id, const char *field,
                          uint32_t elem_size, odin_fb_vec *out);

/* Elements of a verified vector (i < v->len is the caller's duty). */
uint64_t odin_fb_vec_scalar(const odin_fb_reader *r, const odin_fb_vec *v, uint32_t i);
const uint8_t *odin_fb_vec_bytes(const odin_fb_reader *r, const odin_fb_vec *v);
bool odin_fb_vec_table(odin_fb_reader *r, const odin_fb_vec *v, uint32_t i, const char *type,
                       odin_fb_table *out);
bool odin_fb_vec_string(odin_fb_reader *r, const odin_fb_vec *v, uint32_t i, const char **s,
                        uint32_t *len);

#endif
