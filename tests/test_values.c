/* tests/test_values.c — runtime/compare (numpy.testing.assert_allclose semantics, with
 * expected verdicts worked out by hand from its definition |a - e| <= atol + rtol*|e|)
 * and runtime/values (seeded random fill, one-line summaries). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/compare.h"
#include "../runtime/values.h"
#include "test.h"

static odin_value vec(odin_dtype t, int n, void *data) {
    return (odin_value){.dtype = t, .rank = 1, .dims = {n}, .data = data};
}

static void test_allclose_tolerances(void) {
    odin_compare_result r;
    float e[3] = {1.0f, 100.0f, 0.0f};
    /* 100 * 1e-3 + 1e-5 = 0.10001: 100.1 passes, 100.2 fails. */
    float a_ok[3] = {1.0005f, 100.1f, 0.000009f};
    float a_bad[3] = {1.0f, 100.2f, 0.0f};
    odin_value ve = vec(ODIN_F32, 3, e), vok = vec(ODIN_F32, 3, a_ok), vbad = vec(ODIN_F32, 3, a_bad);
    CHECK(odin_value_compare(&vok, &ve, 1e-3, 1e-5, &r), "%s", r.message);
    CHECK(!odin_value_compare(&vbad, &ve, 1e-3, 1e-5, &r), "100.2 vs 100 must fail");
    CHECK(r.n_mismatch == 1 && r.worst == 1, "one mismatch at 1, got %lld at %lld",
          (long long)r.n_mismatch, (long long)r.worst);
    CHECK_NEAR(r.max_abs_err, 0.2, 1e-5);
    CHECK(strstr(r.message, "at [1]") != NULL, "%s", r.message);
    /* The tolerance scales with |expected| only (numpy's asymmetry): a=0, e=1e-3 fails at
     * atol 0 whatever rtol < 1 is; swapped roles pass when rtol*|e| covers it. */
    float z[1] = {0.0f}, s[1] = {1e-3f};
    odin_value vz = vec(ODIN_F32, 1, z), vs = vec(ODIN_F32, 1, s);
    CHECK(!odin_value_compare(&vz, &vs, 0.5, 0, &r), "0 vs 1e-3 at rtol .5");
    CHECK(odin_value_compare(&vz, &vs, 1.0, 0, &r), "0 vs 1e-3 at rtol 1");
}

static void test_allclose_special_values(void) {
    odin_compare_result r;
    double e[4] = {NAN, INFINITY, -INFINITY, 1.0};
    double a[4] = {NAN, INFINITY, -INFINITY, 1.0};
    odin_value ve = vec(ODIN_F64, 4, e), va = vec(ODIN_F64, 4, a);
    CHECK(odin_value_compare(&va, &ve, 0, 0, &r), "NaN==NaN, inf==inf: %s", r.message);
    a[0] = 0;
    CHECK(!odin_value_compare(&va, &ve, 1, 1, &r), "number vs NaN must fail");
    CHECK(r.worst == 0 && isinf(r.max_abs_err), "NaN mismatch is an infinite error");
    a[0] = NAN;
    a[1] = -INFINITY;
    CHECK(!odin_value_compare(&va, &ve, 1, 1, &r), "-inf vs inf must fail");
    a[1] = 1e308;
    CHECK(!odin_value_compare(&va, &ve, 1, 1, &r), "finite vs inf must fail");
}

static void test_exact_types_and_mismatches(void) {
    odin_compare_result r;
    int64_t e[4] = {1, 2, 3, INT64_MAX}, a[4] = {1, 2, 4, INT64_MAX};
    odin_value ve = {.dtype = ODIN_I64, .rank = 2, .dims = {2, 2}, .data = e};
    odin_value va = ve;
    va.data = a;
    CHECK(!odin_value_compare(&va, &ve, 1, 1, &r), "ints are exact whatever the tolerance");
    CHECK(strstr(r.message, "at [1,0]") != NULL, "2-d index: %s", r.message);
    a[2] = 3;
    CHECK(odin_value_compare(&va, &ve, 0, 0, &r), "%s", r.message);
    va.dims[0] = 4;
    va.dims[1] = 1;
    CHECK(!odin_value_compare(&va, &ve, 0, 0, &r), "shape must match");
    CHECK(strstr(r.message, "shape [4,1], expected [2,2]") != NULL, "%s", r.message);
    va = vec(ODIN_I32, 4, a);
    CHECK(!odin_value_compare(&va, &ve, 0, 0, &r), "dtype must match");
    CHECK(strstr(r.message, "dtype i32, expected i64") != NULL, "%s", r.message);

    uint8_t be[3] = {1, 0, 1}, ba[3] = {1, 1, 1};
    odin_value vbe = vec(ODIN_BOOL, 3, be), vba = vec(ODIN_BOOL, 3, ba);
    CHECK(!odin_value_compare(&vba, &vbe, 1, 1, &r) && r.worst == 1, "bool mismatch at 1");

    const char *se[2] = {"abc", "x"}, *sa[2] = {"abc", "y"};
    odin_value vse = vec(ODIN_STRING, 2, se), vsa = vec(ODIN_STRING, 2, sa);
    CHECK(!odin_value_compare(&vsa, &vse, 1, 1, &r), "strings are exact");
    CHECK(strstr(r.message, "\"y\"") && strstr(r.message, "\"x\""), "%s", r.message);
    sa[1] = "x";
    CHECK(odin_value_compare(&vsa, &vse, 0, 0, &r), "%s", r.message);

    odin_value s0 = {.dtype = ODIN_F32, .rank = 0, .data = (float[]){2.0f}};
    odin_value s1 = {.dtype = ODIN_F32, .rank = 0, .data = (float[]){3.0f}};
    CHECK(!odin_value_compare(&s0, &s1, 0, 0, &r) && strstr(r.message, "at []"), "0-d: %s",
          r.message);
    odin_value em = {.dtype = ODIN_F32, .rank = 1, .dims = {0}};
    CHECK(odin_value_compare(&em, &em, 0, 0, &r), "empty values are equal");
}

static void test_random_fill(void) {
    odin_value a = {.dtype = ODIN_F32, .rank = 2, .dims = {16, 16}}, b = a, c = a;
    CHECK_OK(odin_value_fill_random(&a, 42));
    CHECK_OK(odin_value_fill_random(&b, 42));
    CHECK_OK(odin_value_fill_random(&c, 43));
    CHECK(memcmp(a.data, b.data, 1024) == 0, "same seed, same data");
    CHECK(memcmp(a.data, c.data, 1024) != 0, "other seed, other data");
    float mn = 2, mx = -2;
    for (int i = 0; i < 256; i++) {
        float x = ((float *)a.data)[i];
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
    }
    CHECK(mn >= -1 && mx <= 1 && mn < -0.5 && mx > 0.5, "floats spread over [-1,1]: %g..%g", mn, mx);
    free(a.data);
    free(b.data);
    free(c.data);
    odin_value i = {.dtype = ODIN_I64, .rank = 1, .dims = {200}}, t = {.dtype = ODIN_BOOL, .rank = 1, .dims = {200}};
    CHECK_OK(odin_value_fill_random(&i, 1));
    CHECK_OK(odin_value_fill_random(&t, 1));
    int seen[4] = {0}, ones = 0, ok = 1;
    for (int k = 0; k < 200; k++) {
        int64_t x = ((int64_t *)i.data)[k];
        if (x < 0 || x > 3) ok = 0;
        else seen[x]++;
        ones += ((uint8_t *)t.data)[k];
        if (((uint8_t *)t.data)[k] > 1) ok = 0;
    }
    CHECK(ok && seen[0] && seen[1] && seen[2] && seen[3], "ints in [0,3], bools 0/1");
    CHECK(ones > 50 && ones < 150, "bools are mixed (%d ones)", ones);
    free(i.data);
    free(t.data);
    odin_value u = {.dtype = ODIN_F32, .rank = 1, .dims = {-1}}, s = {.dtype = ODIN_STRING, .rank = 0};
    CHECK_ERR(odin_value_fill_random(&u, 0), "unknown");
    CHECK_ERR(odin_value_fill_random(&s, 0), "string");
    odin_value e = {.dtype = ODIN_F16, .rank = 1, .dims = {0}};
    CHECK_OK(odin_value_fill_random(&e, 0));
    CHECK(e.data != NULL, "empty values get a buffer");
    free(e.data);
}

static void test_summary(void) {
    char buf[256];
    float x[8] = {1, -2, 3, 4, 5, 6, 7, 8};
    odin_value v = vec(ODIN_F32, 8, x);
    odin_value_summary(&v, buf, sizeof buf);
    CHECK(!strcmp(buf, "min -2 max 8 mean 4 [1, -2, 3, 4, 5, 6, ...]"), "got '%s'", buf);
    float y[3] = {NAN, INFINITY, 1};
    v = vec(ODIN_F32, 3, y);
    odin_value_summary(&v, buf, sizeof buf);
    CHECK(!strcmp(buf, "min 1 max inf mean 1 nan 1 inf 1 [nan, inf, 1]"), "got '%s'", buf);
    int64_t big[2] = {INT64_MIN, 5};
    v = vec(ODIN_I64, 2, big);
    odin_value_summary(&v, buf, sizeof buf);
    CHECK(strstr(buf, "[-9223372036854775808, 5]") != NULL, "ints exactly: '%s'", buf);
    v = (odin_value){.dtype = ODIN_F32, .rank = 1, .dims = {0}, .data = x};
    odin_value_summary(&v, buf, sizeof buf);
    CHECK(!strcmp(buf, "(empty)"), "got '%s'", buf);
    v = vec(ODIN_F32, 8, x);
    odin_value_summary(&v, buf, 10); /* truncates, stays terminated */
    CHECK(strlen(buf) == 9, "truncated to the buffer: '%s'", buf);
}

int main(void) {
    RUN(test_allclose_tolerances);
    RUN(test_allclose_special_values);
    RUN(test_exact_types_and_mismatches);
    RUN(test_random_fill);
    RUN(test_summary);
    TEST_DONE();
}
