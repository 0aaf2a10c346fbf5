#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct odin_arena_chunk {
    odin_arena_chunk *next;
    size_t size, used;
    /* payload follows, 64-byte aligned */
    _Alignas(64) unsigned char data[];
};

enum { CHUNK_MIN = 64 * 1024 };

void odin_arena_init(odin_arena *a) { memset(a, 0, sizeof *a); }

void odin_arena_free(odin_arena *a) {
    odin_arena_chunk *c = a->head;
    while (c) {
        odin_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->bytes_used = 0;
}

void *odin_arena_alloc(odin_arena *a, size_t size, size_t align) {
    if (align < 1) align = 1;
    if (align > 64) return NULL; /* chunk payloads are only 64-byte aligned */
    odin_arena_chunk *c = a->head;
    size_t off = c ? (c->used + align - 1) & ~(align - 1) : 0;
    if (!c || off > c->size || size > c->size - off) {
        size_t want = size > CHUNK_MIN ? size : CHUNK_MIN;
        if (want > SIZE_MAX - sizeof *c - 64) return NULL;
        c = aligned_alloc(64, (sizeof *c + want + 63) & ~(size_t)63);
        if (!c) return NULL;
        c->size = want;
        c->used = 0;
        c->next = a->head;
        a->head = c;
        off = 0;
    }
    void *p = c->data + off;
    c->used = off + size;
    a->bytes_used += size;
    memset(p, 0, size);
    return p;
}

char *odin_arena_strdup(odin_arena *a, const char *s) {
    if (!s) return NULL;
    return odin_arena_memdup(a, s, strlen(s) + 1, 1);
}

void *odin_arena_memdup(odin_arena *a, const void *p, size_t size, size_t align) {
    void *d = odin_arena_alloc(a, size ? size : 1, align);
    if (d && size) memcpy(d, p, size);
    return d;
}
