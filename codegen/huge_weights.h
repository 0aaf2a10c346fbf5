/* codegen/huge_weights.h — a graph's large constants moved onto 2 MiB pages: a decode
 * step streams every weight once, and on 4 KiB pages the TLB misses cost a large part of
 * the read bandwidth (see huge_weights.c for the measurement). */
#ifndef ODIN_HUGE_WEIGHTS_H
#define ODIN_HUGE_WEIGHTS_H

#include <stddef.h>

#include "../ir/graph.h"

typedef struct odin_weight_block {
    void *base; /* NULL: nothing moved */
    size_t size;
} odin_weight_block;

/* Moves every constant that g owns (not external data) of at least min_bytes into one new
 * block advised for 2 MiB pages before its first touch, points the tensors at it (as
 * external data: the block must outlive g and every graph sharing its constants) and
 * returns the pages they leave in g's arena to the system. Best effort: where this is
 * not possible nothing moves and *out stays empty. */
void odin_weights_to_huge_pages(odin_graph *g, size_t min_bytes, odin_weight_block *out);
void odin_weight_block_free(odin_weight_block *b);

#endif
