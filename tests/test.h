/* tests/test.h — the minimal unit-test harness. A test file defines test functions,
 * registers them in main() with RUN(fn), and ends with TEST_DONE(), which prints
 * "N passed, N failed" (the line tests/run_all.sh sums up). A test passes when none of
 * its CHECKs fail. */
#ifndef ODIN_TEST_H
#define ODIN_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../ir/status.h"

static int test_passed_, test_failed_, test_cur_failed_;
static const char *test_cur_name_;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            test_cur_failed_++;                                                            \
            fprintf(stderr, "  FAIL %s (%s:%d): %s", test_cur_name_, __FILE__, __LINE__, #cond); \
            fprintf(stderr, " -- " __VA_ARGS__);                                           \
            fprintf(stderr, "\n");                                                         \
        }                                                                                  \
    } while (0)

/* CHECK that an odin_status is OK; prints and frees the error otherwise. */
#define CHECK_OK(expr)                                                                     \
    do {                                                                                   \
        odin_status st_ = (expr);                                                          \
        if (st_) {                                                                         \
            test_cur_failed_++;                                                            \
            fprintf(stderr, "  FAIL %s (%s:%d): %s -- %s\n", test_cur_name_, __FILE__,      \
                    __LINE__, #expr, odin_status_message(st_));                            \
            odin_status_free(st_);                                                         \
        }                                                                                  \
    } while (0)

/* CHECK that an odin_status is an error whose message contains `needle`. */
#define CHECK_ERR(expr, needle)                                                            \
    do {                                                                                   \
        odin_status st_ = (expr);                                                          \
        if (!st_) {                                                                        \
            test_cur_failed_++;                                                            \
            fprintf(stderr, "  FAIL %s (%s:%d): %s succeeded, expected error '%s'\n",       \
                    test_cur_name_, __FILE__, __LINE__, #expr, needle);                    \
        } else if (!strstr(odin_status_message(st_), needle)) {                            \
            test_cur_failed_++;                                                            \
            fprintf(stderr, "  FAIL %s (%s:%d): error '%s' lacks '%s'\n", test_cur_name_,   \
                    __FILE__, __LINE__, odin_status_message(st_), needle);                 \
        }                                                                                  \
        odin_status_free(st_);                                                             \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                              \
    CHECK(fabs((double)(a) - (double)(b)) <= (tol), "%g vs %g (tol %g)", (double)(a),        \
          (double)(b), (double)(tol))

#define RUN(fn)                                                                            \
    do {                                                                                   \
        test_cur_name_ = #fn;                                                              \
        test_cur_failed_ = 0;                                                              \
        fn();                                                                              \
        if (test_cur_failed_) test_failed_++;                                              \
        else test_passed_++;                                                               \
        printf("%s %s\n", test_cur_failed_ ? "FAIL" : "ok  ", #fn);                        \
    } while (0)

#define TEST_DONE()                                                                        \
    do {                                                                                   \
        printf("%d passed, %d failed\n", test_passed_, test_failed_);                      \
        return test_failed_ ? 1 : 0;                                                       \
    } while (0)

#endif
