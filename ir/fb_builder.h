/* ir/fb_builder.h — a small generic FlatBuffers builder (no schema knowledge).
 * The buffer is built back to front, as the FlatBuffers format expects: children
 * (strings, vectors, tables) are written before the tables that refer to them. An
 * "offset" (odin_fb_ref) is a position counted from the END of the buffer, which stays
 * valid while the buffer grows at the front. Vtables are deduplicated. Memory errors
 * are sticky: check odin_fb_builder_failed (or the result of finish) once at the end. */
#ifndef ODIN_FB_BUILDER_H
#define ODIN_FB_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t odin_fb_ref; /* 0 = nothing written */

enum { ODIN_FB_MAX_FIELDS = 64 };

typedef struct odin_fb_builder {
    uint8_t *buf;      /* bytes live in buf[cap - size, cap) */
    size_t cap, size;
    size_t minalign;   /* largest alignment requested so far */
    bool failed;       /* out of memory or misuse */
    /* the table being built */
    bool in_table;
    size_t table_start;
    int n_fields;
    uint16_t field_id[ODIN_FB_MAX_FIELDS];
    uint32_t field_ref[ODIN_FB_MAX_FIELDS];
    /* written vtables, for deduplication */
    uint32_t *vtables;
    int n_vtables, cap_vtables;
} odin_fb_builder;

void odin_fb_builder_init(odin_fb_builder *b);
void odin_fb_builder_free(odin_fb_builder *b);

odin_fb_ref odin_fb_string(odin_fb_builder *b, const char *s, size_t len);
/* A vector of n scalars of elem_size bytes (1, 2, 4 or 8), given in host order. */
odin_fb_ref odin_fb_vector_scalars(odin_fb_builder *b, const void *elems, size_t n,
                                   size_t elem_size);
/* A vector of n offsets (strings, tables or vectors written before). */
odin_fb_ref odin_fb_vector_refs(odin_fb_builder *b, const odin_fb_ref *refs, size_t n);

/* Tables: start, add fields (in any order, each id at most once), end. The caller
 * decides which defaults to omit; the builder writes what it is given. */
void odin_fb_table_start(odin_fb_builder *b);
void odin_fb_add_scalar(odin_fb_builder *b, int id, uint64_t bits, size_t size);
void odin_fb_add_ref(odin_fb_builder *b, int id, odin_fb_ref ref);
odin_fb_ref odin_fb_table_end(odin_fb_builder *b);

/* Finish with root table and 4-char identifier; returns the finished bytes (owned by
 * the builder) or NULL on failure. */
const uint8_t *odin_fb_finish(odin_fb_builder *b, odin_fb_ref root, const char ident[4],
                              size_t *size);

#endif
