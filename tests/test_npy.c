/* tests/test_npy.c — .npy reader/writer: round trips of every dtype, interoperability
 * with NumPy both ways (files written by /usr/bin/python3 + numpy at test time, and our
 * files checked by numpy), and malformed headers that must be errors, never crashes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../runtime/npy.h"
#include "test.h"

static char tmpdir[64];

static const odin_dtype all_types[] = {ODIN_F32, ODIN_F64, ODIN_F16, ODIN_I64, ODIN_I32, ODIN_I16,
                                       ODIN_I8,  ODIN_U8,  ODIN_U16, ODIN_U32, ODIN_U64, ODIN_BOOL};
#define N_TYPES (int)(sizeof all_types / sizeof all_types[0])

static odin_value make(odin_dtype t, int rank, const int64_t *dims) {
    odin_value v = {.dtype = t, .rank = rank};
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        v.dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    v.data = calloc(n ? n : 1, odin_dtype_size(t));
    for (size_t i = 0; i < n; i++)
        odin_store_from_f64(v.data, t, i, t == ODIN_BOOL ? (double)(i % 3 == 0) : (double)(i % 7) - (odin_dtype_is_signed(t) ? 3 : 0));
    return v;
}

static size_t nbytes(const odin_value *v) {
    size_t n = odin_dtype_size(v->dtype);
    for (int i = 0; i < v->rank; i++) n *= (size_t)v->dims[i];
    return n;
}

static bool same(const odin_value *a, const odin_value *b) {
    if (a->dtype != b->dtype || a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return memcmp(a->data, b->data, nbytes(a)) == 0;
}

static void test_round_trip_every_dtype(void) {
    const int64_t shapes[][3] = {{2, 3, 4}, {5}, {0, 3}, {0}};
    const int ranks[] = {3, 1, 2, 0}; /* the last is 0-d: one element */
    for (int t = 0; t < N_TYPES; t++)
        for (int s = 0; s < 4; s++) {
            odin_value v = make(all_types[t], ranks[s], shapes[s]), back;
            uint8_t *buf;
            size_t size;
            CHECK_OK(odin_npy_write_mem(&v, &buf, &size));
            CHECK(size % 64 == nbytes(&v) % 64, "data not 64-byte aligned for %s",
                  odin_dtype_name(v.dtype));
            CHECK_OK(odin_npy_read_mem(buf, size, "mem", &back));
            CHECK(same(&v, &back), "round trip of %s rank %d differs", odin_dtype_name(v.dtype),
                  ranks[s]);
            CHECK(back.data != NULL, "data must be non-NULL even when empty");
            free(buf);
            free(back.data);
            free(v.data);
        }
}

static void test_file_round_trip_and_errors(void) {
    char path[128];
    snprintf(path, sizeof path, "%s/rt.npy", tmpdir);
    int64_t d[2] = {3, 2};
    odin_value v = make(ODIN_F64, 2, d), back;
    CHECK_OK(odin_npy_write_file(path, &v));
    CHECK_OK(odin_npy_read_file(path, &back));
    CHECK(same(&v, &back), "file round trip differs");
    free(back.data);
    free(v.data);
    CHECK_ERR(odin_npy_read_file("/nonexistent/x.npy", &back), "/nonexistent/x.npy: cannot open");
    odin_value s = {.dtype = ODIN_STRING, .rank = 0};
    CHECK_ERR(odin_npy_write_file(path, &s), "string");
}

static void test_bf16_written_as_f32(void) {
    uint16_t h[2] = {odin_f32_to_bf16(1.5f), odin_f32_to_bf16(-2.0f)};
    odin_value v = {.dtype = ODIN_BF16, .rank = 1, .dims = {2}, .data = h}, back;
    uint8_t *buf;
    size_t size;
    CHECK_OK(odin_npy_write_mem(&v, &buf, &size));
    CHECK_OK(odin_npy_read_mem(buf, size, "mem", &back));
    CHECK(back.dtype == ODIN_F32, "bf16 reads back as f32");
    CHECK(((float *)back.data)[0] == 1.5f && ((float *)back.data)[1] == -2.0f, "values");
    free(buf);
    free(back.data);
}

/* ---- interop with NumPy ---- */

static bool have_numpy(void) {
    return system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

static int python(const char *script) {
    char path[128], cmd[256];
    snprintf(path, sizeof path, "%s/script.py", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "import numpy as np, os\nos.chdir(%s%s%s)\n%s\n", "'", tmpdir, "'", script);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s", path);
    return system(cmd);
}

static odin_status read_tmp(const char *name, odin_value *v) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return odin_npy_read_file(path, v);
}

static void test_reads_numpy_files(void) {
    CHECK(have_numpy(), "/usr/bin/python3 cannot import numpy (python3-torch brings it)");
    if (!have_numpy()) return;
    int rc = python(
        "a = np.arange(24).reshape(2, 3, 4)\n"
        "for t in ['<f4','<f8','<f2','<i8','<i4','<i2','|i1','|u1','<u2','<u4','<u8']:\n"
        "    np.save('t_%s.npy' % t[1:], (a % 100).astype(t))\n"
        "np.save('bool.npy', a % 3 == 0)\n"
        "np.save('scalar.npy', np.float32(2.5))\n"
        "np.save('empty.npy', np.zeros((0, 3), np.int64))\n"
        "np.save('neg.npy', np.array([-1.5, 0.25, 1e30], np.float32))\n"
        "for ver in [(1, 0), (2, 0), (3, 0)]:\n"
        "    with open('v%d.npy' % ver[0], 'wb') as f:\n"
        "        np.lib.format.write_array(f, np.arange(6, dtype=np.float32).reshape(3, 2), version=ver)\n"
        "np.save('fortran.npy', np.asfortranarray(np.arange(6.0).reshape(2, 3)))\n"
        "np.save('big.npy', np.arange(3, dtype='>f4'))\n"
        "np.save('big_i1.npy', np.arange(3, dtype='>i1'))\n"
        "np.save('structured.npy', np.zeros(2, dtype=[('x', '<f4'), ('y', '<i4')]))\n"
        "np.save('complex.npy', np.zeros(2, np.complex64))\n"
        "np.save('wide.npy', np.zeros((1,) * 9, np.float32))\n");
    CHECK(rc == 0, "python script failed (%d)", rc);
    if (rc) return;
    odin_value v;
    const char *names[] = {"f4", "f8", "f2", "i8", "i4", "i2", "i1", "u1", "u2", "u4", "u8"};
    for (int t = 0; t < 11; t++) {
        char file[32];
        snprintf(file, sizeof file, "t_%s.npy", names[t]);
        CHECK_OK(read_tmp(file, &v));
        CHECK(v.dtype == all_types[t], "%s: dtype %s", file, odin_dtype_name(v.dtype));
        CHECK(v.rank == 3 && v.dims[0] == 2 && v.dims[1] == 3 && v.dims[2] == 4, "%s shape", file);
        bool ok = true;
        for (int i = 0; i < 24; i++) ok = ok && odin_load_as_f64(v.data, v.dtype, i) == i % 100;
        CHECK(ok, "%s values", file);
        free(v.data);
    }
    CHECK_OK(read_tmp("bool.npy", &v));
    CHECK(v.dtype == ODIN_BOOL && v.rank == 3, "bool dtype/rank");
    bool ok = true;
    for (int i = 0; i < 24; i++) ok = ok && ((uint8_t *)v.data)[i] == (i % 3 == 0);
    CHECK(ok, "bool values");
    free(v.data);
    CHECK_OK(read_tmp("scalar.npy", &v));
    CHECK(v.dtype == ODIN_F32 && v.rank == 0 && ((float *)v.data)[0] == 2.5f, "0-d value");
    free(v.data);
    CHECK_OK(read_tmp("empty.npy", &v));
    CHECK(v.dtype == ODIN_I64 && v.rank == 2 && v.dims[0] == 0 && v.dims[1] == 3, "empty shape");
    free(v.data);
    CHECK_OK(read_tmp("neg.npy", &v));
    CHECK(((float *)v.data)[0] == -1.5f && ((float *)v.data)[2] == 1e30f, "f32 values");
    free(v.data);
    for (int ver = 1; ver <= 3; ver++) {
        char file[16];
        snprintf(file, sizeof file, "v%d.npy", ver);
        CHECK_OK(read_tmp(file, &v));
        CHECK(v.rank == 2 && v.dims[0] == 3 && v.dims[1] == 2 && ((float *)v.data)[5] == 5.0f,
              "version %d header", ver);
        free(v.data);
    }
    CHECK_ERR(read_tmp("fortran.npy", &v), "Fortran-order");
    CHECK_ERR(read_tmp("fortran.npy", &v), "fortran.npy");
    CHECK_ERR(read_tmp("big.npy", &v), "big-endian");
    CHECK_OK(read_tmp("big_i1.npy", &v)); /* byte order is moot for one byte */
    free(v.data);
    CHECK_ERR(read_tmp("structured.npy", &v), "structured");
    CHECK_ERR(read_tmp("complex.npy", &v), "unsupported .npy dtype '<c8'");
    CHECK_ERR(read_tmp("wide.npy", &v), "rank exceeds");
}

static void test_numpy_reads_our_files(void) {
    if (!have_numpy()) return;
    for (int t = 0; t < N_TYPES; t++) {
        int64_t d[2] = {2, 3};
        odin_value v = make(all_types[t], 2, d);
        char path[128];
        snprintf(path, sizeof path, "%s/ours_%d.npy", tmpdir, t);
        CHECK_OK(odin_npy_write_file(path, &v));
        free(v.data);
    }
    odin_value s = make(ODIN_F32, 0, NULL), e = make(ODIN_I32, 1, (int64_t[]){0});
    char path[128];
    snprintf(path, sizeof path, "%s/ours_scalar.npy", tmpdir);
    CHECK_OK(odin_npy_write_file(path, &s));
    snprintf(path, sizeof path, "%s/ours_empty.npy", tmpdir);
    CHECK_OK(odin_npy_write_file(path, &e));
    free(s.data);
    free(e.data);
    /* The same values make() stores, computed independently in numpy. */
    int rc = python(
        "types = ['<f4','<f8','<f2','<i8','<i4','<i2','|i1','|u1','<u2','<u4','<u8','|b1']\n"
        "i = np.arange(6)\n"
        "for k, t in enumerate(types):\n"
        "    a = np.load('ours_%d.npy' % k)\n"
        "    assert a.dtype == np.dtype(t), (k, a.dtype)\n"
        "    assert a.shape == (2, 3), a.shape\n"
        "    signed = t[1] in 'fi'\n"
        "    want = (i % 3 == 0) if t == '|b1' else (i % 7) - (3 if signed else 0)\n"
        "    assert (a.reshape(-1) == np.array(want).astype(t)).all(), (t, a)\n"
        "s = np.load('ours_scalar.npy'); assert s.shape == () and s.dtype == np.float32, s\n"
        "e = np.load('ours_empty.npy'); assert e.shape == (0,) and e.dtype == np.int32, e\n");
    CHECK(rc == 0, "numpy rejected our files (python exit %d)", rc);
}

/* ---- hand-made headers ---- */

/* A v1 file image from a header dict text and `data_len` bytes of zero data. */
static uint8_t *image(const char *dict, size_t data_len, size_t *size) {
    size_t hl = strlen(dict);
    *size = 10 + hl + data_len;
    uint8_t *b = calloc(1, *size);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (uint8_t)(hl & 0xff);
    b[9] = (uint8_t)(hl >> 8);
    memcpy(b + 10, dict, hl);
    return b;
}

static odin_status parse(const char *dict, size_t data_len, odin_value *v) {
    size_t size;
    uint8_t *b = image(dict, data_len, &size);
    odin_status st = odin_npy_read_mem(b, size, "hand.npy", v);
    free(b);
    return st;
}

static void test_lenient_header_forms(void) {
    odin_value v;
    CHECK_OK(parse("{ 'shape' : ( 2 , 3 , ) ,'fortran_order':False,\"descr\":'<f4' }\n", 24, &v));
    CHECK(v.dtype == ODIN_F32 && v.rank == 2 && v.dims[1] == 3, "keys in any order, spaces");
    free(v.data);
    CHECK_OK(parse("{'descr': '=i4', 'fortran_order': False, 'shape': (3)}", 12, &v));
    CHECK(v.dtype == ODIN_I32 && v.rank == 1 && v.dims[0] == 3, "'=' byte order and (3)");
    free(v.data);
    CHECK_OK(parse("{'descr': 'u2', 'fortran_order': False, 'shape': (2L,), }", 4, &v));
    CHECK(v.dtype == ODIN_U16 && v.rank == 1 && v.dims[0] == 2, "no byte order, 2L");
    free(v.data);
    CHECK_OK(parse("{'descr': '<b1', 'fortran_order': False, 'shape': ()}", 1, &v));
    CHECK(v.dtype == ODIN_BOOL && v.rank == 0, "0-d bool");
    free(v.data);
}

static void test_malformed_headers(void) {
    odin_value v;
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False}", 0, &v), "lacks 'shape'");
    CHECK_ERR(parse("{'descr': '<f4', 'shape': (1,)}", 4, &v), "lacks 'fortran_order'");
    CHECK_ERR(parse("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': ()}", 4, &v),
              "duplicate key 'descr'");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}", 4, &v),
              "unexpected key 'x'");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}", 8, &v), "Fortran");
    CHECK_ERR(parse("{'descr': '>f8', 'fortran_order': False, 'shape': (2,)}", 16, &v), "big-endian");
    CHECK_ERR(parse("{'descr': '|f4', 'fortran_order': False, 'shape': (2,)}", 8, &v), "byte order");
    CHECK_ERR(parse("{'descr': '<x4', 'fortran_order': False, 'shape': (2,)}", 8, &v), "unsupported");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,)}", 8, &v), "True or False");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 7, &v), "need 8");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 9, &v), "need 8");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 0, &v), "non-negative");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 0, &v),
              "overflows");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", 0, &v),
              "overflows");
    CHECK_ERR(parse("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}", 0, &v),
              "overflows");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (1,2,3,4,5,6,7,8,9)}", 0, &v),
              "rank exceeds");
    CHECK_ERR(parse("{'descr': '<f4, 'fortran_order': False, 'shape': ()}", 4, &v), "hand.npy");
    CHECK_ERR(parse("{'descr': '<f4' 'fortran_order': False, 'shape': ()}", 4, &v), "expected ','");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False, 'shape': ()} junk", 4, &v), "junk");
    CHECK_ERR(parse("['descr']", 0, &v), "not a dict");
    CHECK_ERR(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", 0, &v), "hand.npy");
    CHECK_ERR(parse("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': ()}", 4, &v),
              "structured");

    size_t size;
    uint8_t *b = image("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", 4, &size);
    CHECK_ERR(odin_npy_read_mem(b, 5, "short.npy", &v), "short.npy: not a .npy file");
    b[8] = 0xff; /* header length beyond the file */
    CHECK_ERR(odin_npy_read_mem(b, size, "long.npy", &v), "header length");
    b[8] = 0x30;
    b[6] = 4; /* unknown version */
    CHECK_ERR(odin_npy_read_mem(b, size, "v4.npy", &v), "version 4.0");
    b[6] = 2; /* v2 with a 4-byte length read from the dict text: huge */
    CHECK_ERR(odin_npy_read_mem(b, size, "v2.npy", &v), "exceeds");
    b[0] = 'X';
    CHECK_ERR(odin_npy_read_mem(b, size, "magic.npy", &v), "bad magic");
    free(b);
}

/* Every truncation and many single-byte corruptions of a valid file: errors or
 * successes, but never a crash or a read out of bounds (run under ASan). */
static void test_truncations_and_corruptions(void) {
    int64_t d[2] = {2, 3};
    odin_value v = make(ODIN_I16, 2, d), back;
    uint8_t *buf;
    size_t size;
    CHECK_OK(odin_npy_write_mem(&v, &buf, &size));
    int errors = 0;
    for (size_t n = 0; n < size; n++) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size so ASan sees overreads */
        memcpy(copy, buf, n);
        odin_status st = odin_npy_read_mem(copy, n, "trunc.npy", &back);
        if (st) errors++;
        else free(back.data);
        odin_status_free(st);
        free(copy);
    }
    CHECK(errors == (int)size, "every strict prefix must fail (%d of %zu did)", errors, size);
    uint32_t x = 12345;
    for (int k = 0; k < 2000; k++) {
        uint8_t *copy = malloc(size);
        memcpy(copy, buf, size);
        x = x * 1103515245u + 12345u;
        copy[(x >> 8) % size] = (uint8_t)(x >> 20);
        odin_status st = odin_npy_read_mem(copy, size, "flip.npy", &back);
        if (!st) free(back.data);
        odin_status_free(st);
        free(copy);
    }
    free(buf);
    free(v.data);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/odin_npy_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_round_trip_every_dtype);
    RUN(test_file_round_trip_and_errors);
    RUN(test_bf16_written_as_f32);
    RUN(test_reads_numpy_files);
    RUN(test_numpy_reads_our_files);
    RUN(test_lenient_header_forms);
    RUN(test_malformed_headers);
    RUN(test_truncations_and_corruptions);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    TEST_DONE();
}
