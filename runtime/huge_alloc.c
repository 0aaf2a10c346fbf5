/* runtime/huge_alloc.c — see huge_alloc.h. Linux only; elsewhere odin_huge_alloc returns
 * NULL and callers take their ordinary allocation path. */
#include "huge_alloc.h"

#include <stdint.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#define HUGE_PAGE ((size_t)2 << 20)

void *odin_huge_alloc(size_t size, size_t *mapped) {
    *mapped = 0;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (size == 0 || size > SIZE_MAX - 2 * HUGE_PAGE) return NULL;
    size = (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    /* one huge page more, then the start moves to a 2 MiB boundary inside */
    char *raw = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *base = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~((uintptr_t)HUGE_PAGE - 1));
    if (base > raw) munmap(raw, (size_t)(base - raw));
    size_t tail = (size_t)(raw + size + HUGE_PAGE - (base + size));
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

void odin_huge_free(void *p, size_t mapped) {
#if defined(__linux__)
    if (p && mapped) munmap(p, mapped);
#else
    (void)p;
    (void)mapped;
#endif
}
