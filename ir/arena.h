/* ir/arena.h — bump allocator owned by a graph (and used by the runtime).
 * Everything allocated from an arena is freed at once with odin_arena_free. */
#ifndef ODIN_ARENA_H
#define ODIN_ARENA_H

#include <stddef.h>

typedef struct odin_arena_chunk odin_arena_chunk;
typedef struct odin_arena {
    odin_arena_chunk *head;
    size_t bytes_used; /* sum of requested sizes, for dumps */
} odin_arena;

void odin_arena_init(odin_arena *a);
void odin_arena_free(odin_arena *a);
/* Zeroed memory aligned to `align` (a power of two); NULL only when out of memory. */
void *odin_arena_alloc(odin_arena *a, size_t size, size_t align);
char *odin_arena_strdup(odin_arena *a, const char *s);
void *odin_arena_memdup(odin_arena *a, const void *p, size_t size, size_t align);

#endif
