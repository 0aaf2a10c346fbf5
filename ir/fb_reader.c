/* ir/fb_reader.c — verifying FlatBuffers accessors; see fb_reader.h.
 * Positions are uint32 (FlatBuffers offsets are 32-bit); all arithmetic on them is done
 * in uint64 so a hostile offset cannot wrap around. */
#include "fb_reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void odin_fb_reader_init(odin_fb_reader *r, const void *buf, size_t size) {
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->size = size;
    /* An unshared buffer visits each byte about once; allow generous slack. */
    r->budget = 4 * (uint64_t)size + 4096;
}

bool odin_fb_fail(odin_fb_reader *r, const char *fmt, ...) {
    if (r->failed) return false;
    r->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return false;
}

static uint64_t rd(const odin_fb_reader *r, uint64_t pos, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)r->buf[pos + i] << (8 * i);
    return v;
}

static bool charge(odin_fb_reader *r, uint64_t bytes, const char *what) {
    if (bytes > r->budget)
        return odin_fb_fail(r, "%s: too much shared structure (buffer of %zu bytes refers to "
                               "more data than it holds)", what, r->size);
    r->budget -= bytes;
    return true;
}

/* Verify the table at pos and fill *out. */
static bool check_table(odin_fb_reader *r, uint64_t pos, int depth, const char *type,
                        const char *where, odin_fb_table *out) {
    memset(out, 0, sizeof *out);
    if (r->failed) return false;
    if (depth > ODIN_FB_MAX_DEPTH)
        return odin_fb_fail(r, "%s: tables nested deeper than %d", where, ODIN_FB_MAX_DEPTH);
    if (pos < 4 || pos + 4 > r->size)
        return odin_fb_fail(r, "%s: table offset %llu outside the buffer (%zu bytes)", where,
                            (unsigned long long)pos, r->size);
    if (pos % 4)
        return odin_fb_fail(r, "%s: table offset %llu not 4-byte aligned", where,
                            (unsigned long long)pos);
    int64_t vt = (int64_t)pos - (int32_t)(uint32_t)rd(r, pos, 4);
    if (vt < 0 || (uint64_t)vt + 4 > r->size || vt % 2)
        return odin_fb_fail(r, "%s: vtable offset %lld invalid (buffer %zu bytes)", where,
                            (long long)vt, r->size);
    uint16_t vt_size = (uint16_t)rd(r, (uint64_t)vt, 2);
    uint16_t obj_size = (uint16_t)rd(r, (uint64_t)vt + 2, 2);
    if (vt_size < 4 || vt_size % 2 || (uint64_t)vt + vt_size > r->size)
        return odin_fb_fail(r, "%s: vtable size %u invalid", where, vt_size);
    if (obj_size < 4 || pos + obj_size > r->size)
        return odin_fb_fail(r, "%s: table size %u runs past the end of the buffer", where,
                            obj_size);
    if (!charge(r, obj_size, where)) return false;
    out->pos = (uint32_t)pos;
    out->vt = (uint32_t)vt;
    out->vt_size = vt_size;
    out->obj_size = obj_size;
    out->depth = depth;
    out->type = type;
    return true;
}

bool odin_fb_root(odin_fb_reader *r, const char *type, odin_fb_table *out) {
    memset(out, 0, sizeof *out);
    if (r->size < 8) return odin_fb_fail(r, "buffer too small (%zu bytes)", r->size);
    return check_table(r, rd(r, 0, 4), 1, type, type, out);
}

/* Offset of field id within the table (0 = absent), checked to hold `size` bytes. */
static bool field_at(odin_fb_reader *r, const odin_fb_table *t, int id, const char *field,
                     size_t size, uint32_t *fo) {
    *fo = 0;
    if (r->failed) return false;
    if (!t->pos) return true; /* absent table: every field has its default */
    uint64_t slot = 4 + 2 * (uint64_t)id;
    if (slot + 2 > t->vt_size) return true;
    uint16_t off = (uint16_t)rd(r, (uint64_t)t->vt + slot, 2);
    if (!off) return true;
    if (off < 4 || (uint64_t)off + size > t->obj_size)
        return odin_fb_fail(r, "%s.%s: field offset %u outside its table (%u bytes)", t->type,
                            field, off, t->obj_size);
    if ((t->pos + off) % size)
        return odin_fb_fail(r, "%s.%s: field not %zu-byte aligned", t->type, field, size);
    *fo = off;
    return true;
}

bool odin_fb_scalar(odin_fb_reader *r, const odin_fb_table *t, int id, const char *field,
                    size_t size, uint64_t def, uint64_t *bits) {
    *bits = def;
    uint32_t fo;
    if (!field_at(r, t, id, field, size, &fo)) return false;
    if (fo) *bits = rd(r, (uint64_t)t->pos + fo, size);
    return true;
}

/* Follow the uoffset stored at `at`; the target must leave room for `need` bytes. */
static bool follow(odin_fb_reader *r, uint64_t at, const char *type, const char *field,
                   uint64_t *target) {
    uint64_t u = rd(r, at, 4);
    uint64_t tg = at + u;
    if (u == 0 || tg + 4 > r->size)
        return odin_fb_fail(r, "%s.%s: offset %llu points outside the buffer (%zu bytes)", type,
                            field, (unsigned long long)tg, r->size);
    if (tg % 4)
        return odin_fb_fail(r, "%s.%s: offset %llu not 4-byte aligned", type, field,
                            (unsigned long long)tg);
    *target = tg;
    return true;
}

bool odin_fb_table_field(odin_fb_reader *r, const odin_fb_table *t, int id, const char *field,
                         const char *type, odin_fb_table *out) {
    memset(out, 0, sizeof *out);
    uint32_t fo;
    if (!field_at(r, t, id, field, 4, &fo)) return false;
    if (!fo) return true;
    uint64_t tg;
    if (!follow(r, (uint64_t)t->pos + fo, t->type, field, &tg)) return false;
    char where[96];
    snprintf(where, sizeof where, "%s.%s", t->type, field);
    return check_table(r, tg, t->depth + 1, type, where, out);
}

/* Verify a vector (or string: elem_size 1 plus NUL) whose length word is at tg. */
static bool check_vector(odin_fb_reader *r, uint64_t tg, uint32_t elem_size, bool is_string,
                         const char *type, const char *field, odin_fb_vec *out) {
    uint64_t len = rd(r, tg, 4);
    uint64_t start = tg + 4;
    uint64_t bytes = len * elem_size + (is_string ? 1 : 0);
    if (bytes > r->size - start)
        return odin_fb_fail(r, "%s.%s: %s of length %llu runs past the end of the buffer "
                               "(offset %llu, buffer %zu bytes)",
                            type, field, is_string ? "string" : "vector",
                            (unsigned long long)len, (unsigned long long)tg, r->size);
    if (start % elem_size)
        return odin_fb_fail(r, "%s.%s: vector data not %u-byte aligned", type, field,
                            elem_size);
    if (is_string && r->buf[start + len] != 0)
        return odin_fb_fail(r, "%s.%s: string is not NUL-terminated", type, field);
    char where[96];
    snprintf(where, sizeof where, "%s.%s", type, field);
    if (!charge(r, bytes + 4, where)) return false;
    out->pos = (uint32_t)start;
    out->len = (uint32_t)len;
    out->elem_size = elem_size;
    return true;
}

bool odin_fb_string_field(odin_fb_reader *r, const odin_fb_table *t, int id, const char *field,
                          const char **s, uint32_t *len) {
    *s = NULL;
    *len = 0;
    uint32_t fo;
    if (!field_at(r, t, id, field, 4, &fo)) return false;
    if (!fo) return true;
    uint64_t tg;
    odin_fb_vec v;
    if (!follow(r, (uint64_t)t->pos + fo, t->type, field, &tg) ||
        !check_vector(r, tg, 1, true, t->type, field, &v))
        return false;
    *s = (const char *)r->buf + v.pos;
    *len = v.len;
    return true;
}

bool odin_fb_vector_field(odin_fb_reader *r, const odin_fb_table *t, int id, const char *field,
                          uint32_t elem_size, odin_fb_vec *out) {
    memset(out, 0, sizeof *out);
    out->elem_size = elem_size;
    out->field = field;
    out->type = t->type;
    out->depth = t->depth;
    uint32_t fo;
    if (!field_at(r, t, id, field, 4, &fo)) return false;
    if (!fo) return true;
    uint64_t tg;
    if (!follow(r, (uint64_t)t->pos + fo, t->type, field, &tg) ||
        !check_vector(r, tg, elem_size, false, t->type, field, out))
        return false;
    out->field = field;
    out->type = t->type;
    out->depth = t->depth;
    return true;
}

uint64_t odin_fb_vec_scalar(const odin_fb_reader *r, const odin_fb_vec *v, uint32_t i) {
    return rd(r, (uint64_t)v->pos + (uint64_t)i * v->elem_size, v->elem_size);
}

const uint8_t *odin_fb_vec_bytes(const odin_fb_reader *r, const odin_fb_vec *v) {
    return r->buf + v->pos;
}

bool odin_fb_vec_table(odin_fb_reader *r, const odin_fb_vec *v, uint32_t i, const char *type,
                       odin_fb_table *out) {
    memset(out, 0, sizeof *out);
    if (r->failed) return false;
    char where[96];
    snprintf(where, sizeof where, "%s[%u]", v->field, i);
    uint64_t tg;
    if (!follow(r, (uint64_t)v->pos + 4 * (uint64_t)i, v->type, where, &tg)) return false;
    char full[160];
    snprintf(full, sizeof full, "%s.%s", v->type, where);
    return check_table(r, tg, v->depth + 1, type, full, out);
}

bool odin_fb_vec_string(odin_fb_reader *r, const odin_fb_vec *v, uint32_t i, const char **s,
                        uint32_t *len) {
    *s = NULL;
    *len = 0;
    if (r->failed) return false;
    char where[96];
    snprintf(where, sizeof where, "%s[%u]", v->field, i);
    uint64_t tg;
    odin_fb_vec sv;
    if (!follow(r, (uint64_t)v->pos + 4 * (uint64_t)i, v->type, where, &tg) ||
        !check_vector(r, tg, 1, true, v->type, where, &sv))
        return false;
    *s = (const char *)r->buf + sv.pos;
    *len = sv.len;
    return true;
}
