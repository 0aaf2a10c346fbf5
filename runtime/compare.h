/* runtime/compare.h — compare an actual value with an expected one the way
 * numpy.testing.assert_allclose does: |actual - expected| <= atol + rtol * |expected|
 * elementwise, NaN equal to NaN, infinities equal only to themselves; integers, bools and
 * strings must be exactly equal; dtype and shape must match. */
#ifndef ODIN_RUNTIME_COMPARE_H
#define ODIN_RUNTIME_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "../ir/graph.h"

typedef struct odin_compare_result {
    bool ok;
    int64_t n_elements, n_mismatch;
    double max_abs_err;   /* over the mismatching elements (Inf for NaN-vs-number) */
    int64_t worst;        /* flat index of the worst mismatch, -1 if none */
    double actual, expected; /* the values at `worst` */
    /* Why it failed, without the value's name: "dtype f32, expected f64",
     * "shape [2,3], expected [3,2]" or "max abs err 0.5 at [1,0] (actual 1.5, expected 1;
     * 3 of 6 elements differ)". Empty when ok. */
    char message[256];
} odin_compare_result;

/* Fills *r; returns r->ok. Never fails otherwise (values without data compare unequal). */
bool odin_value_compare(const odin_value *actual, const odin_value *expected, double rtol,
                        double atol, odin_compare_result *r);

/* "[i,j,k]" of flat index `flat` in a C-order shape. */
void odin_format_index(char *buf, size_t size, const odin_value *v, int64_t flat);

#endif
