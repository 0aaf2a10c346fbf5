/* ops/winograd.h — the Winograd F(m x m, 3 x 3) transforms shared by the ai.odin
 * WinogradInput / WinogradOutput ops (ops/winograd.c), the pass that decomposes convs
 * into them (passes/winograd.c) and their lowering (codegen/lower_winograd.c):
 * Y = A^T [(G g G^T) . (B^T d B)] A over tiles of a = m + 2 inputs, m = 2 or 4
 * (interpolation points 0, +-1 for m = 2; 0, +-1, +-2 and infinity for m = 4). */
#ifndef ODIN_WINOGRAD_H
#define ODIN_WINOGRAD_H

#include <stdint.h>

#define ODIN_WINO_MAX_A 6 /* largest tile side a = m + 2 */

typedef struct odin_wino_mats {
    int m, a;                                  /* output tile side, input tile side */
    double bt[ODIN_WINO_MAX_A][ODIN_WINO_MAX_A]; /* B^T [a][a] */
    double g[ODIN_WINO_MAX_A][3];                /* G   [a][3] */
    double at[4][ODIN_WINO_MAX_A];               /* A^T [m][a] */
} odin_wino_mats;

/* The matrices for m = 2 or 4; NULL for any other m. */
const odin_wino_mats *odin_wino_mats_get(int64_t m);

/* Tiles along an output extent: ceil(out / m). */
static inline int64_t odin_wino_tiles(int64_t out, int64_t m) { return (out + m - 1) / m; }

#endif
