/* runtime/compare.c — numpy.testing.assert_allclose semantics for odin_values. */
#include "compare.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "values.h"

void odin_format_index(char *buf, size_t size, const odin_value *v, int64_t flat) {
    int64_t idx[ODIN_MAX_RANK];
    for (int d = v->rank - 1; d >= 0; d--) {
        int64_t e = v->dims[d] > 0 ? v->dims[d] : 1;
        idx[d] = flat % e;
        flat /= e;
    }
    size_t len = 0;
    if (size < 3) return;
    buf[len++] = '[';
    for (int d = 0; d < v->rank && len < size; d++) {
        int k = snprintf(buf + len, size - len, "%s%" PRId64, d ? "," : "", idx[d]);
        if (k < 0) break;
        len += (size_t)k;
    }
    if (len + 2 <= size) {
        buf[len++] = ']';
        buf[len] = '\0';
    } else {
        buf[size - 1] = '\0';
    }
}

static void shape_str(char *buf, size_t size, const odin_value *v) {
    odin_value tmp = *v;
    if (tmp.rank < 0 || tmp.rank > ODIN_MAX_RANK) {
        snprintf(buf, size, "[?]");
        return;
    }
    size_t len = 0;
    len += (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < tmp.rank && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, "%s%" PRId64, d ? "," : "", tmp.dims[d]);
    if (len < size) snprintf(buf + len, size - len, "]");
}

/* One element: returns true when equal under the rules; *err is |a-e| (Inf when exactly
 * one side is NaN or the infinities differ). */
static bool elem_close(double a, double e, double rtol, double atol, double *err) {
    if (isnan(a) || isnan(e)) {
        *err = (isnan(a) && isnan(e)) ? 0 : INFINITY;
        return isnan(a) && isnan(e);
    }
    if (isinf(a) || isinf(e)) {
        *err = a == e ? 0 : INFINITY;
        return a == e;
    }
    *err = fabs(a - e);
    return *err <= atol + rtol * fabs(e);
}

bool odin_value_compare(const odin_value *a, const odin_value *e, double rtol, double atol,
                        odin_compare_result *r) {
    memset(r, 0, sizeof *r);
    r->worst = -1;
    if (a->dtype != e->dtype) {
        snprintf(r->message, sizeof r->message, "dtype %s, expected %s", odin_dtype_name(a->dtype),
                 odin_dtype_name(e->dtype));
        return false;
    }
    bool same_shape = a->rank == e->rank && a->rank >= 0 && a->rank <= ODIN_MAX_RANK;
    for (int d = 0; same_shape && d < a->rank; d++) same_shape = a->dims[d] == e->dims[d];
    if (!same_shape) {
        char sa[160], se[160];
        shape_str(sa, sizeof sa, a);
        shape_str(se, sizeof se, e);
        snprintf(r->message, sizeof r->message, "shape %s, expected %s", sa, se);
        return false;
    }
    int64_t n = odin_value_count(e);
    r->n_elements = n;
    if (n < 0) {
        snprintf(r->message, sizeof r->message, "shape has unknown dimensions");
        return false;
    }
    if (n > 0 && (!a->data || !e->data)) {
        snprintf(r->message, sizeof r->message, "%s has no data", a->data ? "expected" : "actual");
        return false;
    }
    bool is_float = odin_dtype_is_float(e->dtype);
    for (int64_t i = 0; i < n; i++) {
        double err;
        bool eq;
        double av, ev;
        if (e->dtype == ODIN_STRING) {
            const char *sa = ((const char *const *)a->data)[i], *se = ((const char *const *)e->data)[i];
            eq = strcmp(sa ? sa : "", se ? se : "") == 0;
            err = eq ? 0 : INFINITY;
            av = ev = NAN;
        } else if (is_float) {
            av = odin_load_as_f64(a->data, a->dtype, (size_t)i);
            ev = odin_load_as_f64(e->data, e->dtype, (size_t)i);
            eq = elem_close(av, ev, rtol, atol, &err);
        } else {
            /* Exact: compare bit patterns through i64 (u64 wraps consistently). */
            int64_t ai = odin_load_as_i64(a->data, a->dtype, (size_t)i);
            int64_t ei = odin_load_as_i64(e->data, e->dtype, (size_t)i);
            eq = ai == ei;
            av = odin_load_as_f64(a->data, a->dtype, (size_t)i);
            ev = odin_load_as_f64(e->data, e->dtype, (size_t)i);
            err = fabs(av - ev);
        }
        if (eq) continue;
        if (r->n_mismatch++ == 0 || err > r->max_abs_err) {
            r->max_abs_err = err;
            r->worst = i;
            r->actual = av;
            r->expected = ev;
        }
    }
    r->ok = r->n_mismatch == 0;
    if (!r->ok) {
        char idx[160];
        odin_format_index(idx, sizeof idx, e, r->worst);
        if (e->dtype == ODIN_STRING) {
            const char *sa = ((const char *const *)a->data)[r->worst];
            const char *se = ((const char *const *)e->data)[r->worst];
            snprintf(r->message, sizeof r->message,
                     "strings differ at %s (actual \"%.40s\", expected \"%.40s\"; %" PRId64
                     " of %" PRId64 " elements differ)",
                     idx, sa ? sa : "", se ? se : "", r->n_mismatch, n);
        } else {
            snprintf(r->message, sizeof r->message,
                     "max abs err %.6g at %s (actual %.9g, expected %.9g; %" PRId64 " of %" PRId64
                     " elements differ)",
                     r->max_abs_err, idx, r->actual, r->expected, r->n_mismatch, n);
        }
    }
    return r->ok;
}
