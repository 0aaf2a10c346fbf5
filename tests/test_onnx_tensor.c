/* tests/test_onnx_tensor.c — TensorProto decoding/encoding against the ONNX backend test
 * data (values cross-checked through the op's definition: identity, neg, casts, add,
 * bitshift), hand-built typed-field protos, external data, and round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "../frontend/onnx_tensor.h"
#include "test.h"

#define NODE_DIR "/usr/share/libonnx-testdata/data/node/"

static odin_value read_pb(const char *test, const char *file, char **name) {
    char path[512];
    snprintf(path, sizeof path, NODE_DIR "%s/test_data_set_0/%s", test, file);
    odin_value v;
    odin_status st = odin_pb_read_tensor(path, &v, name);
    CHECK(st == ODIN_OK, "%s: %s", path, odin_status_message(st));
    odin_status_free(st);
    return v;
}

static bool dims_are(const odin_value *v, int rank, const int64_t *dims) {
    if (v->rank != rank) return false;
    for (int i = 0; i < rank; i++)
        if (v->dims[i] != dims[i]) return false;
    return true;
}

static void test_identity(void) {
    char *nx, *ny;
    odin_value x = read_pb("test_identity", "input_0.pb", &nx);
    odin_value y = read_pb("test_identity", "output_0.pb", &ny);
    /* the model: Identity(x) -> y, x: float[1,1,2,2] */
    CHECK(nx && strcmp(nx, "x") == 0, "name %s", nx);
    CHECK(ny && strcmp(ny, "y") == 0, "name %s", ny);
    CHECK(x.dtype == ODIN_F32 && dims_are(&x, 4, (int64_t[]){1, 1, 2, 2}), "x shape");
    CHECK(y.dtype == ODIN_F32 && dims_are(&y, 4, (int64_t[]){1, 1, 2, 2}), "y shape");
    if (x.data && y.data) CHECK(memcmp(x.data, y.data, 16) == 0, "identity output differs");
    /* the backend test's input is np.array([[[[1, 2], [3, 4]]]]) */
    if (x.data) {
        const float *xf = x.data;
        CHECK(xf[0] == 1 && xf[1] == 2 && xf[2] == 3 && xf[3] == 4, "values");
    }
    free(nx);
    free(ny);
    odin_onnx_value_free(&x);
    odin_onnx_value_free(&y);
}

static void test_neg(void) {
    odin_value x = read_pb("test_neg", "input_0.pb", NULL);
    odin_value y = read_pb("test_neg", "output_0.pb", NULL);
    CHECK(dims_are(&x, 3, (int64_t[]){3, 4, 5}) && dims_are(&y, 3, (int64_t[]){3, 4, 5}), "shape");
    if (x.data && y.data)
        for (int i = 0; i < 60; i++)
            CHECK(((float *)y.data)[i] == -((float *)x.data)[i], "element %d", i);
    odin_onnx_value_free(&x);
    odin_onnx_value_free(&y);
}

static bool same_float(float a, float b) { return a == b || (isnan(a) && isnan(b)); }

static void test_cast_half_types(void) {
    odin_value x = read_pb("test_cast_FLOAT16_to_FLOAT", "input_0.pb", NULL);
    odin_value y = read_pb("test_cast_FLOAT16_to_FLOAT", "output_0.pb", NULL);
    CHECK(x.dtype == ODIN_F16 && y.dtype == ODIN_F32, "dtypes %d %d", x.dtype, y.dtype);
    CHECK(dims_are(&x, 2, (int64_t[]){3, 4}), "shape");
    if (x.data && y.data)
        for (int i = 0; i < 12; i++)
            CHECK(same_float(odin_f16_to_f32(((uint16_t *)x.data)[i]), ((float *)y.data)[i]),
                  "f16 element %d", i);
    odin_onnx_value_free(&x);
    odin_onnx_value_free(&y);

    x = read_pb("test_cast_BFLOAT16_to_FLOAT", "input_0.pb", NULL);
    y = read_pb("test_cast_BFLOAT16_to_FLOAT", "output_0.pb", NULL);
    /* this (older) backend test stores the bfloat16 bits as UINT16 (TensorProto code 4) */
    CHECK(x.dtype == ODIN_U16 && y.dtype == ODIN_F32, "dtypes %d %d", x.dtype, y.dtype);
    if (x.data && y.data)
        for (int i = 0; i < 12; i++)
            CHECK(same_float(odin_bf16_to_f32(((uint16_t *)x.data)[i]), ((float *)y.data)[i]),
                  "bf16 element %d", i);
    odin_onnx_value_free(&x);
    odin_onnx_value_free(&y);
}

static void test_cast_to_string(void) {
    odin_value x = read_pb("test_cast_FLOAT_to_STRING", "input_0.pb", NULL);
    odin_value y = read_pb("test_cast_FLOAT_to_STRING", "output_0.pb", NULL);
    CHECK(y.dtype == ODIN_STRING && dims_are(&y, 2, (int64_t[]){3, 4}), "string shape");
    if (x.data && y.data)
        for (int i = 0; i < 12; i++) {
            const char *s = ((char **)y.data)[i];
            float f = strtof(s, NULL);
            CHECK(fabsf(f - ((float *)x.data)[i]) <= 1e-5f * fabsf(f) + 1e-6f, "'%s' vs %g", s,
                  ((float *)x.data)[i]);
        }
    odin_onnx_value_free(&x);
    odin_onnx_value_free(&y);
}

static void test_integer_types(void) {
    odin_value a = read_pb("test_add_uint8", "input_0.pb", NULL);
    odin_value b = read_pb("test_add_uint8", "input_1.pb", NULL);
    odin_value c = read_pb("test_add_uint8", "output_0.pb", NULL);
    CHECK(a.dtype == ODIN_U8 && c.dtype == ODIN_U8, "u8");
    if (a.data && b.data && c.data)
        for (int i = 0; i < 60; i++)
            CHECK(((uint8_t *)c.data)[i] == (uint8_t)(((uint8_t *)a.data)[i] + ((uint8_t *)b.data)[i]),
                  "u8 add %d", i);
    odin_onnx_value_free(&a);
    odin_onnx_value_free(&b);
    odin_onnx_value_free(&c);

    a = read_pb("test_bitshift_left_uint64", "input_0.pb", NULL);
    b = read_pb("test_bitshift_left_uint64", "input_1.pb", NULL);
    c = read_pb("test_bitshift_left_uint64", "output_0.pb", NULL);
    CHECK(a.dtype == ODIN_U64 && dims_are(&a, 1, (int64_t[]){3}), "u64");
    if (a.data && b.data && c.data)
        for (int i = 0; i < 3; i++)
            CHECK(((uint64_t *)c.data)[i] == ((uint64_t *)a.data)[i] << ((uint64_t *)b.data)[i],
                  "shift %d", i);
    odin_onnx_value_free(&a);
    odin_onnx_value_free(&b);
    odin_onnx_value_free(&c);

    a = read_pb("test_and_bcast3v1d", "input_0.pb", NULL);
    b = read_pb("test_and_bcast3v1d", "input_1.pb", NULL);
    c = read_pb("test_and_bcast3v1d", "output_0.pb", NULL);
    CHECK(a.dtype == ODIN_BOOL && dims_are(&b, 1, (int64_t[]){5}), "bool");
    if (a.data && b.data && c.data)
        for (int i = 0; i < 60; i++) {
            uint8_t av = ((uint8_t *)a.data)[i], bv = ((uint8_t *)b.data)[i % 5];
            CHECK(av <= 1 && ((uint8_t *)c.data)[i] == (av & bv), "and %d", i);
        }
    odin_onnx_value_free(&a);
    odin_onnx_value_free(&b);
    odin_onnx_value_free(&c);

    /* a scalar (rank 0) int8 */
    a = read_pb("test_clip_default_int8_min", "input_1.pb", NULL);
    CHECK(a.dtype == ODIN_I8 && a.rank == 0, "scalar i8 rank %d", a.rank);
    odin_onnx_value_free(&a);
}

/* Pack a proto to bytes and decode it back, so the wire format is exercised too. */
static odin_status decode_via_wire(const Onnx__TensorProto *tp, const char *dir, odin_value *v) {
    size_t n = onnx__tensor_proto__get_packed_size(tp);
    uint8_t *buf = malloc(n + 1);
    onnx__tensor_proto__pack(tp, buf);
    Onnx__TensorProto *u = onnx__tensor_proto__unpack(NULL, n, buf);
    free(buf);
    if (!u) return odin_errorf("unpack failed");
    odin_status st = odin_onnx_tensor_decode(u, dir, v);
    onnx__tensor_proto__free_unpacked(u, NULL);
    return st;
}

static void typed_proto(Onnx__TensorProto *tp, const char *name, int code, int64_t *dims,
                        int rank) {
    onnx__tensor_proto__init(tp);
    tp->name = (char *)name;
    tp->has_data_type = 1;
    tp->data_type = code;
    tp->dims = dims;
    tp->n_dims = (size_t)rank;
}

static void test_typed_fields(void) {
    int64_t dims[1] = {3};
    Onnx__TensorProto tp;
    odin_value v;

    float fd[3] = {1.5f, -2.0f, 3.25f};
    typed_proto(&tp, "f", 1, dims, 1);
    tp.float_data = fd, tp.n_float_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_F32 && v.data && ((float *)v.data)[2] == 3.25f, "float_data");
    odin_onnx_value_free(&v);

    double dd[3] = {1e300, -0.5, 7};
    typed_proto(&tp, "d", 11, dims, 1);
    tp.double_data = dd, tp.n_double_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_F64 && v.data && ((double *)v.data)[0] == 1e300, "double_data");
    odin_onnx_value_free(&v);

    int64_t ld[3] = {INT64_MIN, 0, INT64_MAX};
    typed_proto(&tp, "l", 7, dims, 1);
    tp.int64_data = ld, tp.n_int64_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_I64 && v.data && ((int64_t *)v.data)[0] == INT64_MIN &&
              ((int64_t *)v.data)[2] == INT64_MAX, "int64_data");
    odin_onnx_value_free(&v);

    uint64_t ud[3] = {UINT64_MAX, 1, 4000000000u};
    typed_proto(&tp, "u64", 13, dims, 1);
    tp.uint64_data = ud, tp.n_uint64_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_U64 && v.data && ((uint64_t *)v.data)[0] == UINT64_MAX, "u64");
    odin_onnx_value_free(&v);
    ud[0] = 7;
    typed_proto(&tp, "u32", 12, dims, 1);
    tp.uint64_data = ud, tp.n_uint64_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_U32 && v.data && ((uint32_t *)v.data)[2] == 4000000000u, "u32");
    odin_onnx_value_free(&v);

    /* int32_data carries every narrow type; float16/bfloat16 as their bit patterns */
    int32_t id[3] = {-128, 5, 127};
    typed_proto(&tp, "i8", 3, dims, 1);
    tp.int32_data = id, tp.n_int32_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_I8 && v.data && ((int8_t *)v.data)[0] == -128, "i8");
    odin_onnx_value_free(&v);
    int32_t u8d[3] = {255, 0, 17};
    typed_proto(&tp, "u8", 2, dims, 1);
    tp.int32_data = u8d, tp.n_int32_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_U8 && v.data && ((uint8_t *)v.data)[0] == 255, "u8");
    odin_onnx_value_free(&v);
    int32_t i16d[3] = {-32768, 1, 32767};
    typed_proto(&tp, "i16", 5, dims, 1);
    tp.int32_data = i16d, tp.n_int32_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_I16 && v.data && ((int16_t *)v.data)[0] == -32768, "i16");
    odin_onnx_value_free(&v);
    int32_t u16d[3] = {65535, 2, 3};
    typed_proto(&tp, "u16", 4, dims, 1);
    tp.int32_data = u16d, tp.n_int32_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_U16 && v.data && ((uint16_t *)v.data)[0] == 65535, "u16");
    odin_onnx_value_free(&v);
    int32_t bd[3] = {1, 0, 1};
    typed_proto(&tp, "b", 9, dims, 1);
    tp.int32_data = bd, tp.n_int32_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_BOOL && v.data && ((uint8_t *)v.data)[0] == 1 &&
              ((uint8_t *)v.data)[1] == 0, "bool");
    odin_onnx_value_free(&v);
    int32_t hd[3] = {0x3C00, 0xC000, 0x7C00}; /* 1.0, -2.0, +inf in IEEE half */
    typed_proto(&tp, "h", 10, dims, 1);
    tp.int32_data = hd, tp.n_int32_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_F16 && v.data && ((uint16_t *)v.data)[1] == 0xC000 &&
              odin_f16_to_f32(((uint16_t *)v.data)[0]) == 1.0f, "f16");
    odin_onnx_value_free(&v);
    int32_t bfd[3] = {0x3F80, 0x4040, 0xBF00}; /* 1.0, 3.0, -0.5 in bfloat16 */
    typed_proto(&tp, "bf", 16, dims, 1);
    tp.int32_data = bfd, tp.n_int32_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_BF16 && v.data && odin_bf16_to_f32(((uint16_t *)v.data)[1]) == 3.0f &&
              odin_bf16_to_f32(((uint16_t *)v.data)[2]) == -0.5f, "bf16");
    odin_onnx_value_free(&v);
    int32_t i32d[3] = {INT32_MIN, 0, INT32_MAX};
    typed_proto(&tp, "i32", 6, dims, 1);
    tp.int32_data = i32d, tp.n_int32_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_I32 && v.data && ((int32_t *)v.data)[0] == INT32_MIN, "i32");
    odin_onnx_value_free(&v);

    ProtobufCBinaryData sd[3] = {{3, (uint8_t *)"abc"}, {0, NULL}, {2, (uint8_t *)"\xc3\xa9"}};
    typed_proto(&tp, "s", 8, dims, 1);
    tp.string_data = sd, tp.n_string_data = 3;
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.dtype == ODIN_STRING && v.data && strcmp(((char **)v.data)[0], "abc") == 0 &&
              strcmp(((char **)v.data)[1], "") == 0 && strcmp(((char **)v.data)[2], "\xc3\xa9") == 0,
          "strings");
    odin_onnx_value_free(&v);

    /* an empty tensor with no data at all is fine */
    int64_t zdims[2] = {0, 3};
    typed_proto(&tp, "z", 1, zdims, 2);
    CHECK_OK(decode_via_wire(&tp, NULL, &v));
    CHECK(v.rank == 2 && v.dims[0] == 0, "empty tensor");
    odin_onnx_value_free(&v);
}

static void test_decode_errors(void) {
    int64_t dims[2] = {2, 3};
    Onnx__TensorProto tp;
    odin_value v;
    float fd[5] = {0};
    typed_proto(&tp, "w1", 1, dims, 2);
    tp.float_data = fd, tp.n_float_data = 5;
    CHECK_ERR(odin_onnx_tensor_decode(&tp, NULL, &v), "tensor 'w1': float_data holds 5 values");

    uint8_t raw[20] = {0};
    typed_proto(&tp, "w2", 1, dims, 2);
    tp.has_raw_data = 1, tp.raw_data.data = raw, tp.raw_data.len = 20;
    CHECK_ERR(odin_onnx_tensor_decode(&tp, NULL, &v), "tensor 'w2': raw_data has 20 bytes");

    typed_proto(&tp, "w3", 14 /* COMPLEX64 */, dims, 2);
    CHECK_ERR(odin_onnx_tensor_decode(&tp, NULL, &v), "tensor 'w3': unsupported data type 14");

    int64_t neg[1] = {-2};
    typed_proto(&tp, "w4", 1, neg, 1);
    CHECK_ERR(odin_onnx_tensor_decode(&tp, NULL, &v), "tensor 'w4': negative dimension");

    int64_t huge[3] = {INT64_MAX / 2, 4, 4};
    typed_proto(&tp, "w5", 1, huge, 3);
    CHECK_ERR(odin_onnx_tensor_decode(&tp, NULL, &v), "tensor 'w5'");

    typed_proto(&tp, "w6", 1, dims, 2); /* no data at all */
    CHECK_ERR(odin_onnx_tensor_decode(&tp, NULL, &v), "tensor 'w6'");
}

static void set_external(Onnx__TensorProto *tp, Onnx__StringStringEntryProto *e,
                         Onnx__StringStringEntryProto **ep, int n) {
    tp->has_data_location = 1;
    tp->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    for (int i = 0; i < n; i++) ep[i] = &e[i];
    tp->external_data = ep;
    tp->n_external_data = (size_t)n;
}

static void test_external_data(void) {
    char dir[] = "/tmp/odin_tensor_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/weights.bin", dir);
    FILE *f = fopen(path, "wb");
    /* 8 bytes of padding, then 6 floats 0..5 (little-endian) */
    uint8_t pad[8] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
    fwrite(pad, 1, 8, f);
    for (int i = 0; i < 6; i++) {
        float x = (float)i;
        fwrite(&x, 4, 1, f);
    }
    fclose(f);

    int64_t dims[2] = {2, 3};
    Onnx__TensorProto tp;
    Onnx__StringStringEntryProto e[3], *ep[3];
    for (int i = 0; i < 3; i++) onnx__string_string_entry_proto__init(&e[i]);
    e[0].key = "location", e[0].value = "weights.bin";
    e[1].key = "offset", e[1].value = "8";
    e[2].key = "length", e[2].value = "24";
    odin_value v;

    typed_proto(&tp, "ext", 1, dims, 2);
    set_external(&tp, e, ep, 3);
    CHECK_OK(decode_via_wire(&tp, dir, &v));
    CHECK(v.data && ((float *)v.data)[0] == 0.0f && ((float *)v.data)[5] == 5.0f, "external values");
    odin_onnx_value_free(&v);

    CHECK_ERR(odin_onnx_tensor_decode(&tp, NULL, &v), "tensor 'ext': external data 'weights.bin'");
    e[2].value = "20";
    CHECK_ERR(odin_onnx_tensor_decode(&tp, dir, &v), "external data length 20");
    e[2].value = "24";
    e[1].value = "16";
    CHECK_ERR(odin_onnx_tensor_decode(&tp, dir, &v), "runs past its end");
    e[1].value = "8x";
    CHECK_ERR(odin_onnx_tensor_decode(&tp, dir, &v), "not a byte count");
    e[1].value = "8";
    e[0].value = "../weights.bin";
    CHECK_ERR(odin_onnx_tensor_decode(&tp, dir, &v), "escapes the model directory");
    e[0].value = "sub/../../etc/passwd";
    CHECK_ERR(odin_onnx_tensor_decode(&tp, dir, &v), "escapes the model directory");
    e[0].value = "/etc/passwd";
    CHECK_ERR(odin_onnx_tensor_decode(&tp, dir, &v), "escapes the model directory");
    e[0].value = "missing.bin";
    CHECK_ERR(odin_onnx_tensor_decode(&tp, dir, &v), "cannot open external data");
    e[0].value = "weights.bin";
    set_external(&tp, e, ep, 1); /* location only: the data starts at offset 0 */
    CHECK_OK(odin_onnx_tensor_decode(&tp, dir, &v));
    CHECK(v.data && ((uint8_t *)v.data)[0] == 0xAA && ((float *)v.data)[2] == 0.0f, "offset 0");
    odin_onnx_value_free(&v);

    unlink(path);
    rmdir(dir);
}

/* Deterministic bytes of every dtype through .pb files and back. */
static void test_round_trip_all_dtypes(void) {
    char dir[] = "/tmp/odin_tensor_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/t.pb", dir);
    for (int t = 1; t < ODIN_DTYPE_COUNT; t++) {
        odin_value v = {.dtype = (odin_dtype)t, .rank = 2, .dims = {2, 3}};
        size_t es = odin_dtype_size(v.dtype);
        const char *strs[6] = {"a", "", "xyz", "hello world", "\t", "z"};
        uint8_t bytes[6 * 8];
        for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 37 + t);
        if (v.dtype == ODIN_BOOL)
            for (int i = 0; i < 6; i++) bytes[i] = (uint8_t)(i & 1);
        v.data = v.dtype == ODIN_STRING ? (void *)strs : (void *)bytes;
        CHECK_OK(odin_pb_write_tensor(path, "rt", &v));
        odin_value w;
        char *name = NULL;
        CHECK_OK(odin_pb_read_tensor(path, &w, &name));
        CHECK(name && strcmp(name, "rt") == 0, "%s name", odin_dtype_name(v.dtype));
        CHECK(w.dtype == v.dtype && w.rank == 2 && w.dims[0] == 2 && w.dims[1] == 3, "%s shape",
              odin_dtype_name(v.dtype));
        if (w.data && w.dtype == ODIN_STRING) {
            for (int i = 0; i < 6; i++)
                CHECK(strcmp(((char **)w.data)[i], strs[i]) == 0, "string %d", i);
        } else if (w.data) {
            CHECK(memcmp(w.data, bytes, 6 * es) == 0, "%s bytes", odin_dtype_name(v.dtype));
        }
        free(name);
        odin_onnx_value_free(&w);
    }
    /* a rank-0 scalar */
    double s = 2.5;
    odin_value v = {.dtype = ODIN_F64, .rank = 0, .data = &s};
    CHECK_OK(odin_pb_write_tensor(path, "s", &v));
    odin_value w;
    CHECK_OK(odin_pb_read_tensor(path, &w, NULL));
    CHECK(w.rank == 0 && w.data && *(double *)w.data == 2.5, "scalar");
    odin_onnx_value_free(&w);
    /* an unknown shape cannot be encoded */
    odin_value u = {.dtype = ODIN_F32, .rank = 1, .dims = {-1}, .data = &s};
    CHECK_ERR(odin_pb_write_tensor(path, "u", &u), "not fully known");
    unlink(path);
    rmdir(dir);
}

static void test_bad_files(void) {
    odin_value v;
    CHECK_ERR(odin_pb_read_tensor("/nonexistent/x.pb", &v, NULL), "/nonexistent/x.pb: cannot open");
    char dir[] = "/tmp/odin_tensor_XXXXXX";
    if (!mkdtemp(dir)) return;
    char path[256];
    snprintf(path, sizeof path, "%s/bad.pb", dir);
    FILE *f = fopen(path, "wb");
    fwrite("\xff\xff\xff\xff\xff", 1, 5, f);
    fclose(f);
    CHECK_ERR(odin_pb_read_tensor(path, &v, NULL), "not a valid TensorProto");
    /* every truncation of a real file either decodes or errors cleanly */
    uint8_t buf[4096];
    f = fopen(NODE_DIR "test_neg/test_data_set_0/input_0.pb", "rb");
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    CHECK(n > 200, "read test file");
    for (size_t cut = 0; cut < n; cut += 7) {
        f = fopen(path, "wb");
        fwrite(buf, 1, cut, f);
        fclose(f);
        odin_status st = odin_pb_read_tensor(path, &v, NULL);
        if (!st) odin_onnx_value_free(&v);
        odin_status_free(st);
    }
    unlink(path);
    rmdir(dir);
}

int main(void) {
    RUN(test_identity);
    RUN(test_neg);
    RUN(test_cast_half_types);
    RUN(test_cast_to_string);
    RUN(test_integer_types);
    RUN(test_typed_fields);
    RUN(test_decode_errors);
    RUN(test_external_data);
    RUN(test_round_trip_all_dtypes);
    RUN(test_bad_files);
    TEST_DONE();
}
