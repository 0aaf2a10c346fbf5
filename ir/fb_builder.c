/* ir/fb_builder.c — back-to-front FlatBuffers builder; see fb_builder.h.
 * All multi-byte values are written little-endian, as the format requires. */
#include "fb_builder.h"

#include <stdlib.h>
#include <string.h>

void odin_fb_builder_init(odin_fb_builder *b) {
    memset(b, 0, sizeof *b);
    b->minalign = 1;
}

void odin_fb_builder_free(odin_fb_builder *b) {
    free(b->buf);
    free(b->vtables);
    memset(b, 0, sizeof *b);
}

static void put_le(uint8_t *dst, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = (uint8_t)(v >> (8 * i));
}

/* Make room for n more bytes at the front; moves the existing bytes to the new end. */
static bool reserve(odin_fb_builder *b, size_t n) {
    if (b->failed) return false;
    if (b->cap - b->size >= n) return true;
    if (n > (size_t)UINT32_MAX || b->size + n > (size_t)UINT32_MAX / 2) {
        b->failed = true; /* FlatBuffers offsets are 32-bit */
        return false;
    }
    size_t nc = b->cap ? b->cap * 2 : 1024;
    while (nc - b->size < n) nc *= 2;
    uint8_t *p = malloc(nc);
    if (!p) {
        b->failed = true;
        return false;
    }
    if (b->size) memcpy(p + nc - b->size, b->buf + b->cap - b->size, b->size);
    free(b->buf);
    b->buf = p;
    b->cap = nc;
    return true;
}

static uint8_t *front(odin_fb_builder *b) { return b->buf + b->cap - b->size; }

static void push_bytes(odin_fb_builder *b, const void *p, size_t n) {
    if (!n || !reserve(b, n)) return; /* n == 0: the buffer may not exist yet */
    b->size += n;
    if (n) memcpy(front(b), p, n);
}

static void push_zeros(odin_fb_builder *b, size_t n) {
    if (!n || !reserve(b, n)) return;
    b->size += n;
    memset(front(b), 0, n);
}

static void push_le(odin_fb_builder *b, uint64_t v, size_t n) {
    if (!reserve(b, n)) return;
    b->size += n;
    put_le(front(b), v, n);
}

/* Pad so that after `additional` more bytes the size is a multiple of `align`. */
static void pre_align(odin_fb_builder *b, size_t align, size_t additional) {
    if (align > b->minalign) b->minalign = align;
    size_t pad = (size_t)(-(b->size + additional)) & (align - 1);
    push_zeros(b, pad);
}

/* The uoffset stored at the next 4 bytes to be written, pointing at `ref`. */
static uint32_t refer_to(odin_fb_builder *b, odin_fb_ref ref) {
    if (ref == 0 || ref > b->size + 4) {
        b->failed = true; /* refers to nothing written yet */
        return 0;
    }
    return (uint32_t)(b->size + 4 - ref);
}

odin_fb_ref odin_fb_string(odin_fb_builder *b, const char *s, size_t len) {
    if (b->in_table) b->failed = true;
    pre_align(b, 4, len + 1);
    push_zeros(b, 1); /* NUL terminator */
    push_bytes(b, s, len);
    push_le(b, len, 4);
    return b->failed ? 0 : (odin_fb_ref)b->size;
}

odin_fb_ref odin_fb_vector_scalars(odin_fb_builder *b, const void *elems, size_t n,
                                   size_t elem_size) {
    if (b->in_table || (elem_size != 1 && elem_size != 2 && elem_size != 4 && elem_size != 8) ||
        n > (size_t)UINT32_MAX / elem_size) {
        b->failed = true;
        return 0;
    }
    size_t bytes = n * elem_size;
    pre_align(b, 4, bytes);
    pre_align(b, elem_size, bytes);
    if (bytes && !reserve(b, bytes)) return 0;
    b->size += bytes;
    uint8_t *dst = bytes ? front(b) : NULL;
    const uint8_t *src = elems;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = 0;
        switch (elem_size) {
        case 1: v = src[i]; break;
        case 2: { uint16_t x; memcpy(&x, src + 2 * i, 2); v = x; break; }
        case 4: { uint32_t x; memcpy(&x, src + 4 * i, 4); v = x; break; }
        default: memcpy(&v, src + 8 * i, 8); break;
        }
        put_le(dst + i * elem_size, v, elem_size);
    }
    push_le(b, n, 4);
    return b->failed ? 0 : (odin_fb_ref)b->size;
}

odin_fb_ref odin_fb_vector_refs(odin_fb_builder *b, const odin_fb_ref *refs, size_t n) {
    if (b->in_table || n > (size_t)UINT32_MAX / 4) {
        b->failed = true;
        return 0;
    }
    pre_align(b, 4, n * 4);
    for (size_t i = n; i-- > 0;) push_le(b, refer_to(b, refs[i]), 4);
    push_le(b, n, 4);
    return b->failed ? 0 : (odin_fb_ref)b->size;
}

void odin_fb_table_start(odin_fb_builder *b) {
    if (b->in_table) b->failed = true;
    b->in_table = true;
    b->n_fields = 0;
    b->table_start = b->size;
}

static void record_field(odin_fb_builder *b, int id) {
    if (!b->in_table || id < 0 || id >= ODIN_FB_MAX_FIELDS || b->n_fields >= ODIN_FB_MAX_FIELDS) {
        b->failed = true;
        return;
    }
    for (int i = 0; i < b->n_fields; i++)
        if (b->field_id[i] == id) b->failed = true;
    b->field_id[b->n_fields] = (uint16_t)id;
    b->field_ref[b->n_fields] = (uint32_t)b->size;
    b->n_fields++;
}

void odin_fb_add_scalar(odin_fb_builder *b, int id, uint64_t bits, size_t size) {
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        b->failed = true;
        return;
    }
    pre_align(b, size, size);
    push_le(b, bits, size);
    record_field(b, id);
}

void odin_fb_add_ref(odin_fb_builder *b, int id, odin_fb_ref ref) {
    pre_align(b, 4, 4);
    push_le(b, refer_to(b, ref), 4);
    record_field(b, id);
}

odin_fb_ref odin_fb_table_end(odin_fb_builder *b) {
    if (!b->in_table) b->failed = true;
    b->in_table = false;
    pre_align(b, 4, 4);
    push_le(b, 0, 4); /* soffset to the vtable, patched below */
    if (b->failed) return 0;
    uint32_t table_ref = (uint32_t)b->size;
    int max_id = -1;
    for (int i = 0; i < b->n_fields; i++)
        if (b->field_id[i] > max_id) max_id = b->field_id[i];
    size_t vt_len = 4 + 2 * (size_t)(max_id + 1);
    size_t obj_size = table_ref - b->table_start;
    if (obj_size > UINT16_MAX) {
        b->failed = true;
        return 0;
    }
    uint8_t vt[4 + 2 * ODIN_FB_MAX_FIELDS];
    memset(vt, 0, sizeof vt);
    put_le(vt, vt_len, 2);
    put_le(vt + 2, obj_size, 2);
    for (int i = 0; i < b->n_fields; i++)
        put_le(vt + 4 + 2 * b->field_id[i], table_ref - b->field_ref[i], 2);

    /* Reuse an identical vtable written earlier (it lies nearer the end). */
    uint32_t vt_ref = 0;
    for (int i = 0; i < b->n_vtables; i++) {
        const uint8_t *old = b->buf + b->cap - b->vtables[i];
        if (memcmp(old, vt, vt_len) == 0) {
            vt_ref = b->vtables[i];
            break;
        }
    }
    if (!vt_ref) {
        push_bytes(b, vt, vt_len);
        if (b->failed) return 0;
        vt_ref = (uint32_t)b->size;
        if (b->n_vtables == b->cap_vtables) {
            int nc = b->cap_vtables ? 2 * b->cap_vtables : 16;
            uint32_t *p = realloc(b->vtables, sizeof *p * nc);
            if (!p) {
                b->failed = true;
                return 0;
            }
            b->vtables = p;
            b->cap_vtables = nc;
        }
        b->vtables[b->n_vtables++] = vt_ref;
    }
    /* table position - vtable position, in buffer coordinates */
    int32_t soff = (int32_t)((int64_t)vt_ref - (int64_t)table_ref);
    put_le(b->buf + b->cap - table_ref, (uint32_t)soff, 4);
    return table_ref;
}

const uint8_t *odin_fb_finish(odin_fb_builder *b, odin_fb_ref root, const char ident[4],
                              size_t *size) {
    if (b->in_table) b->failed = true;
    pre_align(b, b->minalign > 4 ? b->minalign : 4, 8);
    push_bytes(b, ident, 4);
    push_le(b, refer_to(b, root), 4);
    if (b->failed) return NULL;
    *size = b->size;
    return front(b);
}
