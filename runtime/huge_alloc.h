/* runtime/huge_alloc.h — large zeroed blocks on 2 MiB pages (transparent huge pages), for
 * memory that is streamed every step (LM weights, recurrent state, KV caches): on 4 KiB
 * pages every 4 KiB of a stream costs a TLB miss (codegen/huge_weights.c has numbers). */
#ifndef ODIN_HUGE_ALLOC_H
#define ODIN_HUGE_ALLOC_H

#include <stddef.h>

/* A zeroed block of at least `size` bytes starting on a 2 MiB boundary, advised for huge
 * pages before its first touch; *mapped receives what to pass to odin_huge_free. NULL when
 * the system has no transparent huge pages (or mmap fails): the caller then allocates
 * normally. */
void *odin_huge_alloc(size_t size, size_t *mapped);
void odin_huge_free(void *p, size_t mapped); /* NULL is fine */

#endif
