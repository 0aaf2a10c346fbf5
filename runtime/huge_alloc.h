/* runtime/huge_alloc.h — large zeroed blocks on 2 MiB pages (transparent huge pages), for
 * memory that is streamed every step (LM weights, recurrent state, KV caches): on 4 KiB
 * pages every 4 KiB of a stream costs a TLB miss (codegen/huge_weights.c has numbers).
 * Header-only (static functions), so the runtime sources an AOT link compiles need no new
 * translation unit. Linux only; elsewhere odin_huge_alloc returns NULL and callers take
 * their ordinary allocation path. */
#ifndef ODIN_HUGE_ALLOC_H
#define ODIN_HUGE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

/* odin_huge_alloc: a zeroed block of at least `size` bytes starting on a 2 MiB boundary,
 * advised for huge pages before its first touch; *mapped receives what to pass to
 * odin_huge_free (NULL is fine there). NULL when the system has no transparent huge pages
 * (or mmap fails): the caller then allocates normally. */
#define ODIN_HUGE_PAGE ((size_t)2 << 20)

static inline void *odin_huge_alloc(size_t size, size_t *mapped) {
    *mapped = 0;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (size == 0 || size > SIZE_MAX - 2 * ODIN_HUGE_PAGE) return NULL;
    size = (size + ODIN_HUGE_PAGE - 1) / ODIN_HUGE_PAGE * ODIN_HUGE_PAGE;
    /* one huge page more, then the start moves to a 2 MiB boundary inside */
    char *raw = mmap(NULL, size + ODIN_HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *base = (char *)(((uintptr_t)raw + ODIN_HUGE_PAGE - 1) & ~((uintptr_t)ODIN_HUGE_PAGE - 1));
    if (base > raw) munmap(raw, (size_t)(base - raw));
    size_t tail = (size_t)(raw + size + ODIN_HUGE_PAGE - (base + size));
    if (tail) munmap(base + size, tail);
    if (madvise(base, size, MADV_HUGEPAGE) != 0) { /* THP off: nothing to gain */
        munmap(base, size);
        return NULL;
    }
    *mapped = size;
    return base; /* anonymous memory reads as zeros */
#else
    (void)size;
    return NULL;
#endif
}

static inline void odin_huge_free(void *p, size_t mapped) {
#if defined(__linux__)
    if (p && mapped) munmap(p, mapped);
#else
    (void)p;
    (void)mapped;
#endif
}

#endif
