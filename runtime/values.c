/* runtime/values.c — seeded random values and one-line value summaries. */
#include "values.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

int64_t odin_value_count(const odin_value *v) {
    if (v->rank < 0 || v->rank > ODIN_MAX_RANK) return -1;
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++)
        if (v->dims[i] < 0 || __builtin_mul_overflow(n, v->dims[i], &n)) return -1;
    return n;
}

odin_status odin_value_fill_random(odin_value *v, uint64_t seed) {
    int64_t n = odin_value_count(v);
    if (n < 0) return odin_errorf("cannot make random data: shape has unknown dimensions");
    if (v->dtype == ODIN_STRING || v->dtype == ODIN_UNDEFINED || (unsigned)v->dtype >= ODIN_DTYPE_COUNT)
        return odin_errorf("cannot make random data of dtype %s", odin_dtype_name(v->dtype));
    size_t es = odin_dtype_size(v->dtype);
    if ((uint64_t)n > SIZE_MAX / es) return odin_errorf("random value too large");
    v->data = malloc(n * es ? (size_t)n * es : 1);
    if (!v->data) return odin_errorf("out of memory for a random value of %" PRId64 " elements", n);
    odin_rng rng;
    odin_rng_seed(&rng, seed);
    for (int64_t i = 0; i < n; i++) {
        if (odin_dtype_is_float(v->dtype)) {
            odin_store_from_f64(v->data, v->dtype, (size_t)i, 2.0 * odin_rng_uniform(&rng) - 1.0);
            continue;
        }
        uint64_t r = odin_rng_next(&rng);
        if (v->dtype == ODIN_BOOL) {
            ((uint8_t *)v->data)[i] = (uint8_t)(r >> 63);
        } else {
            odin_store_from_f64(v->data, v->dtype, (size_t)i, (double)(r >> 62));
        }
    }
    return ODIN_OK;
}

/* Append to buf at *len without overflowing. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...) {
    if (*len >= size) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (k > 0) *len = *len + (size_t)k < size ? *len + (size_t)k : size - 1;
}

static void append_elem(char *buf, size_t size, size_t *len, const odin_value *v, size_t i) {
    if (v->dtype == ODIN_STRING) {
        const char *s = ((const char *const *)v->data)[i];
        append(buf, size, len, "\"%.24s%s\"", s ? s : "", s && strlen(s) > 24 ? "..." : "");
    } else if (v->dtype == ODIN_U64) {
        append(buf, size, len, "%" PRIu64, ((const uint64_t *)v->data)[i]);
    } else if (odin_dtype_is_int(v->dtype) || v->dtype == ODIN_BOOL) {
        append(buf, size, len, "%" PRId64, odin_load_as_i64(v->data, v->dtype, i));
    } else {
        append(buf, size, len, "%.6g", odin_load_as_f64(v->data, v->dtype, i));
    }
}

void odin_value_summary(const odin_value *v, char *buf, size_t size) {
    size_t len = 0;
    if (!size) return;
    buf[0] = '\0';
    int64_t n = odin_value_count(v);
    if (n < 0 || !v->data || v->dtype == ODIN_UNDEFINED || (unsigned)v->dtype >= ODIN_DTYPE_COUNT) {
        append(buf, size, &len, "(no data)");
        return;
    }
    if (n == 0) {
        append(buf, size, &len, "(empty)");
        return;
    }
    if (v->dtype != ODIN_STRING) {
        double mn = INFINITY, mx = -INFINITY, sum = 0;
        int64_t nans = 0, infs = 0, finite = 0;
        for (int64_t i = 0; i < n; i++) {
            double x = odin_load_as_f64(v->data, v->dtype, (size_t)i);
            if (isnan(x)) {
                nans++;
                continue;
            }
            if (isinf(x)) infs++;
            else {
                sum += x;
                finite++;
            }
            if (x < mn) mn = x;
            if (x > mx) mx = x;
        }
        if (nans == n) append(buf, size, &len, "all NaN ");
        else
            append(buf, size, &len, "min %.6g max %.6g mean %.6g ", mn, mx,
                   finite ? sum / (double)finite : NAN);
        if (nans && nans != n) append(buf, size, &len, "nan %" PRId64 " ", nans);
        if (infs) append(buf, size, &len, "inf %" PRId64 " ", infs);
    }
    append(buf, size, &len, "[");
    int64_t shown = n < 6 ? n : 6;
    for (int64_t i = 0; i < shown; i++) {
        if (i) append(buf, size, &len, ", ");
        append_elem(buf, size, &len, v, (size_t)i);
    }
    append(buf, size, &len, "%s]", n > shown ? ", ..." : "");
}
