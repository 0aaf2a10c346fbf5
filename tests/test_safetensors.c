/* tests/test_safetensors.c — the strict JSON reader, safetensors checkpoints (valid files
 * and every kind of broken header), and odin_param reading a checkpoint: shape checks,
 * f16/bf16 conversion, transposition, and zero-copy f32 constants that outlive the
 * caller's handle. Expected values are written here from the IEEE bit patterns. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../frontend/safetensors.h"
#include "../ir/builder.h"
#include "../ir/serialize.h"
#include "../models/init.h"
#include "../models/models.h"
#include "../runtime/json.h"
#include "test.h"

static char tmpdir[64];

/* A safetensors image: 8-byte length, the header text padded with `pad` spaces, data. */
static size_t make_image(uint8_t *buf, const char *header, int pad, const void *data,
                         size_t nbytes) {
    uint64_t n = strlen(header) + (uint64_t)pad;
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(n >> (8 * i));
    memcpy(buf + 8, header, strlen(header));
    memset(buf + 8 + strlen(header), ' ', (size_t)pad);
    memcpy(buf + 8 + n, data, nbytes);
    return 8 + n + nbytes;
}

static const char *write_file(const char *name, const uint8_t *buf, size_t n) {
    static char path[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    FILE *f = fopen(path[k], "wb");
    if (f) {
        fwrite(buf, 1, n, f);
        fclose(f);
    }
    return path[k];
}

static odin_status parse_json(const char *s) {
    odin_json *j;
    odin_status st = odin_json_parse(s, strlen(s), "t.json", &j);
    odin_json_free(st ? NULL : j);
    return st;
}

static void test_json_valid(void) {
    const char *s = " {\"a\": [1, -2.5e3, 0, true, false, null], \"b\\u00e9\\ud83d\\ude00\": "
                    "\"x\\n\\\"y\\\\\", \"big\": 9007199254740993, \"e\": {}} ";
    odin_json *j = NULL;
    CHECK_OK(odin_json_parse(s, strlen(s), "t.json", &j));
    if (!j) return;
    CHECK(j->type == ODIN_JSON_OBJECT && j->count == 4, "object of 4");
    const odin_json *a = odin_json_get(j, "a");
    CHECK(a && a->type == ODIN_JSON_ARRAY && a->count == 6, "array");
    if (a && a->count == 6) {
        CHECK(a->items[0].is_int && a->items[0].integer == 1, "1");
        CHECK(!a->items[1].is_int && a->items[1].number == -2500.0, "-2.5e3");
        CHECK(a->items[3].type == ODIN_JSON_TRUE && a->items[5].type == ODIN_JSON_NULL, "literals");
    }
    /* key: b, e-acute (C3 A9), U+1F600 (F0 9F 98 80) */
    const odin_json *b = odin_json_get(j, "b\xC3\xA9\xF0\x9F\x98\x80");
    CHECK(b && b->type == ODIN_JSON_STRING && b->len == 5 && !memcmp(b->str, "x\n\"y\\", 5),
          "escapes");
    const odin_json *big = odin_json_get(j, "big");
    CHECK(big && big->is_int && big->integer == 9007199254740993LL, "int64 exact");
    odin_json_free(j);
}

static void test_json_strict(void) {
    CHECK_ERR(parse_json("{\"a\": 1,}"), "expected a string key");
    CHECK_ERR(parse_json("[1, 2,]"), "unexpected character");
    CHECK_ERR(parse_json("[01]"), "leading zero");
    CHECK_ERR(parse_json("[1.]"), "digit expected after '.'");
    CHECK_ERR(parse_json("{\"a\" 1}"), "expected ':'");
    CHECK_ERR(parse_json("{\"a\": 1} x"), "trailing characters");
    CHECK_ERR(parse_json("\"\\x41\""), "unknown escape");
    CHECK_ERR(parse_json("\"\\ud800\""), "unpaired high surrogate");
    CHECK_ERR(parse_json("\"\\udc00\""), "unpaired low surrogate");
    CHECK_ERR(parse_json("\"a\tb\""), "control character");
    CHECK_ERR(parse_json("\"\xC0\x80\""), "invalid UTF-8");
    CHECK_ERR(parse_json("// c\n{}"), "unexpected character");
    CHECK_ERR(parse_json("[tru]"), "invalid literal");
    CHECK_ERR(parse_json(""), "unexpected end");
    CHECK_ERR(parse_json("{\"a\":\n  [1 2]}"), "line 2, column 6");
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    CHECK_ERR(odin_json_parse(deep, 200, "deep.json", &(odin_json *){0}), "nesting deeper");
}

/* A checkpoint with f32 [2,3], f16 [2], bf16 [2], i64 [1]; its data starts at a multiple
 * of 8 in the file, or one byte later with `misalign`. */
static size_t sample_image(uint8_t *buf, int misalign) {
    const float w[6] = {1, 2, 3, 4, 5, 6};
    uint8_t data[24 + 4 + 4 + 8];
    memcpy(data, w, 24);
    const uint16_t h[2] = {0x3C00 /* 1.0 */, 0xC000 /* -2.0 */};
    const uint16_t bf[2] = {0x4049 /* 3.140625 */, 0xBF80 /* -1.0 */};
    const int64_t i = -7;
    memcpy(data + 24, h, 4);
    memcpy(data + 28, bf, 4);
    memcpy(data + 32, &i, 8);
    const char *hdr =
        "{\"__metadata__\": {\"format\": \"pt\"},"
        "\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 24]},"
        "\"h\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [24, 28]},"
        "\"b\": {\"data_offsets\": [28, 32], \"dtype\": \"BF16\", \"shape\": [2]},"
        "\"i\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [32, 40]},"
        "\"s\": {\"dtype\": \"F32\", \"shape\": [0, 4], \"data_offsets\": [40, 40]}}";
    int pad = (int)((8 - (8 + strlen(hdr)) % 8) % 8) + misalign;
    return make_image(buf, hdr, pad, data, sizeof data);
}

static void test_open_valid(void) {
    uint8_t buf[1024];
    size_t n = sample_image(buf, 0);
    odin_safetensors *st = NULL;
    CHECK_OK(odin_safetensors_open(write_file("ok.safetensors", buf, n), &st));
    if (!st) return;
    CHECK(odin_safetensors_count(st) == 5, "5 tensors, got %d", odin_safetensors_count(st));
    const odin_safetensors_entry *w = odin_safetensors_find(st, "w");
    CHECK(w && w->dtype == ODIN_F32 && w->rank == 2 && w->dims[0] == 2 && w->dims[1] == 3 &&
              w->nbytes == 24, "w");
    if (w) {
        float v[6];
        memcpy(v, w->data, 24);
        CHECK(v[0] == 1 && v[5] == 6, "w data");
    }
    const odin_safetensors_entry *i = odin_safetensors_find(st, "i");
    CHECK(i && i->dtype == ODIN_I64, "i64");
    if (i) {
        int64_t x;
        memcpy(&x, i->data, 8);
        CHECK(x == -7, "i data");
    }
    const odin_safetensors_entry *s = odin_safetensors_find(st, "s");
    CHECK(s && s->rank == 2 && s->dims[0] == 0 && s->nbytes == 0, "empty tensor");
    CHECK(!odin_safetensors_find(st, "nope"), "absent");
    const char *fmt = odin_safetensors_metadata(st, "format");
    CHECK(fmt && !strcmp(fmt, "pt"), "metadata");
    CHECK(strstr(odin_safetensors_path(st), "ok.safetensors") != NULL, "path");
    odin_safetensors_close(st);
}

/* Errors for one bad header (data: 8 bytes). */
static odin_status open_bad(const char *hdr, size_t data_bytes) {
    uint8_t buf[2048], data[64] = {0};
    size_t n = make_image(buf, hdr, 0, data, data_bytes);
    odin_safetensors *st = NULL;
    odin_status err = odin_safetensors_open_mem(buf, n, "bad.safetensors", &st);
    odin_safetensors_close(st);
    return err;
}

#define T8(name, dt, shape, off) "\"" name "\": {\"dtype\": \"" dt "\", \"shape\": " shape ", \"data_offsets\": " off "}"

static void test_open_errors(void) {
    CHECK_ERR(open_bad("{" T8("a", "F32", "[2]", "[0, 8]") "}", 4), "'a': data_offsets [0, 8] run past");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[2]", "[0, 8]") ",}", 8), "bad.safetensors: JSON header: line 1");
    CHECK_ERR(open_bad("{" T8("a", "F7", "[2]", "[0, 8]") "}", 8), "'a': unsupported dtype 'F7'");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[3]", "[0, 8]") "}", 8), "'a': shape and dtype F32 need 12 bytes");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[-1]", "[0, 8]") "}", 8), "'a': shape[0] is not a non-negative");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[1]", "[0, 4]") "," T8("b", "F32", "[1]", "[2, 6]") "}", 8),
              "overlap");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[1]", "[0, 4]") "," T8("a", "F32", "[1]", "[4, 8]") "}", 8),
              "tensor 'a' appears twice");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[1]", "[4, 8]") "}", 8), "'a': hole of 4 bytes");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[1]", "[0, 4]") "}", 8), "4 data bytes after the last tensor");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[1]", "[4, 0]") "}", 8), "'a': data_offsets must be integers");
    CHECK_ERR(open_bad("{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 8), "'a': missing 'data_offsets'");
    CHECK_ERR(open_bad("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"x\": 1}}", 4),
              "'a': unknown field 'x'");
    CHECK_ERR(open_bad("{\"__metadata__\": {\"k\": 1}}", 0), "__metadata__ 'k' is not a string");
    CHECK_ERR(open_bad("[1]", 0), "not a JSON object");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[1,1,1,1,1,1,1,1,1]", "[0, 4]") "}", 4), "rank 9 exceeds");
    CHECK_ERR(open_bad("{" T8("a", "F32", "[4294967296, 4294967296]", "[0, 4]") "}", 4), "overflows");
    /* header length past the end of the file */
    uint8_t buf[16] = {0xFF, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    odin_safetensors *st = NULL;
    CHECK_ERR(odin_safetensors_open_mem(buf, 10, "short.safetensors", &st),
              "short.safetensors: header length 255 does not fit the 10-byte file");
    CHECK_ERR(odin_safetensors_open_mem(buf, 5, "tiny.safetensors", &st), "tiny.safetensors: truncated");
    CHECK_ERR(odin_safetensors_open("/nonexistent/x.safetensors", &st), "x.safetensors: cannot open");
}

static const odin_init_spec no_init = {ODIN_INIT_FILL, 0};

static void test_param_from_checkpoint(void) {
    for (int pad = 0; pad < 2; pad++) { /* pad 1: f32 data at an odd address -> copied */
        uint8_t buf[1024];
        size_t n = sample_image(buf, pad);
        odin_safetensors *st = NULL;
        CHECK_OK(odin_safetensors_open(write_file(pad ? "odd.safetensors" : "p.safetensors", buf, n), &st));
        if (!st) return;
        int64_t d23[2] = {2, 3}, d32[2] = {3, 2}, d2[1] = {2};
        odin_graph *g = odin_graph_new("p"), *g2 = odin_graph_new("p2");
        int w = odin_param(g, st, NULL, "w", 2, d23, no_init, false);
        int w_again = odin_param(g, st, NULL, "h", 1, d2, no_init, false);
        int t = odin_param(g2, st, NULL, "w", 2, d32, no_init, true);
        int h = odin_param(g2, st, NULL, "h", 1, d2, no_init, false);
        int b = odin_param(g2, st, NULL, "b", 1, d2, no_init, false);
        CHECK_OK(odin_graph_take_error(g));
        CHECK_OK(odin_graph_take_error(g2));
        CHECK(w_again >= 0 && g->n_holds == (pad ? 0 : 1), "one hold per checkpoint: %d", g->n_holds);
        const odin_safetensors_entry *we = odin_safetensors_find(st, "w");
        bool aligned = (uintptr_t)we->data % 4 == 0;
        odin_safetensors_close(st); /* the graphs keep what they need */
        if (w >= 0) {
            const odin_tensor *tw = &g->tensors[w];
            CHECK(pad == 0 ? aligned : !aligned, "pad %d alignment", pad);
            CHECK(aligned == !!(tw->flags & ODIN_TENSOR_EXTERNAL), "zero copy iff aligned");
            CHECK(!aligned || tw->data == we->data, "points into the mapping");
            const float *v = tw->data;
            CHECK(tw->dtype == ODIN_F32 && v[0] == 1 && v[4] == 5, "w values");
        }
        if (t >= 0 && h >= 0 && b >= 0) {
            const float *v = g2->tensors[t].data;
            /* w = [[1,2,3],[4,5,6]] -> [[1,4],[2,5],[3,6]] */
            CHECK(v[0] == 1 && v[1] == 4 && v[2] == 2 && v[3] == 5 && v[4] == 3 && v[5] == 6,
                  "transposed");
            CHECK(!(g2->tensors[t].flags & ODIN_TENSOR_EXTERNAL), "transpose copies");
            const float *hv = g2->tensors[h].data, *bv = g2->tensors[b].data;
            CHECK(hv[0] == 1.0f && hv[1] == -2.0f, "f16 -> f32: %g %g", hv[0], hv[1]);
            CHECK(bv[0] == 3.140625f && bv[1] == -1.0f, "bf16 -> f32: %g %g", bv[0], bv[1]);
        }
        odin_graph_free(g2);
        odin_graph_free(g);
    }
}

static void test_param_errors_and_write(void) {
    uint8_t buf[1024];
    size_t n = sample_image(buf, 0);
    odin_safetensors *st = NULL;
    CHECK_OK(odin_safetensors_open(write_file("e.safetensors", buf, n), &st));
    if (!st) return;
    int64_t d33[2] = {3, 3}, d23[2] = {2, 3}, d1[1] = {1};
    odin_graph *g = odin_graph_new("e");
    CHECK(odin_param(g, st, NULL, "w", 2, d33, no_init, false) < 0, "shape mismatch");
    CHECK_ERR(odin_graph_take_error(g), "parameter 'w': checkpoint ");
    CHECK(odin_param(g, st, NULL, "w", 2, d33, no_init, false) < 0, "shape mismatch");
    odin_status e = odin_graph_take_error(g);
    CHECK(e && strstr(odin_status_message(e), "e.safetensors has shape [2, 3], the model expects [3, 3]"),
          "message: %s", odin_status_message(e));
    odin_status_free(e);
    CHECK(odin_param(g, st, NULL, "w", 2, d23, no_init, true) < 0, "transposed mismatch");
    CHECK_ERR(odin_graph_take_error(g), "expects [3, 2] (stored transposed)");
    CHECK(odin_param(g, st, NULL, "missing", 1, d1, no_init, false) < 0, "missing");
    CHECK_ERR(odin_graph_take_error(g), "parameter 'missing': not in checkpoint");
    CHECK(odin_param(g, st, NULL, "i", 1, d1, no_init, false) < 0, "int dtype");
    CHECK_ERR(odin_graph_take_error(g), "dtype i64 is not a float type");
    /* a zero-copy constant is written into a .odin file and read back */
    int w = odin_param(g, st, NULL, "w", 2, d23, no_init, false);
    odin_safetensors_close(st);
    CHECK(w >= 0 && (g->tensors[w].flags & ODIN_TENSOR_EXTERNAL), "external");
    int64_t xd[2] = {2, 3};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    odin_output(g, odin_add(g, x, w), "y");
    CHECK_OK(odin_graph_take_error(g));
    char path[256];
    snprintf(path, sizeof path, "%s/e.odin", tmpdir);
    CHECK_OK(odin_graph_write_file(g, path));
    odin_graph_free(g);
    odin_graph *r = NULL;
    CHECK_OK(odin_graph_read_file(path, &r));
    if (r) {
        int t = odin_graph_find_tensor(r, "w");
        CHECK(t >= 0 && r->tensors[t].nbytes == 24, "w in .odin");
        if (t >= 0) {
            const float *v = r->tensors[t].data;
            CHECK(v[0] == 1 && v[5] == 6, "w values in .odin");
        }
        odin_graph_free(r);
    }
}

static void test_builder_without_checkpoint_support(void) {
    uint8_t buf[1024];
    size_t n = sample_image(buf, 0);
    odin_safetensors *st = NULL;
    CHECK_OK(odin_safetensors_open_mem(buf, n, "m.safetensors", &st));
    odin_graph *g = NULL;
    CHECK_ERR(odin_model_build_with("mlp", NULL, 0, st, &g), "does not read checkpoints");
    odin_safetensors_close(st);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/odin_st_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_json_valid);
    RUN(test_json_strict);
    RUN(test_open_valid);
    RUN(test_open_errors);
    RUN(test_param_from_checkpoint);
    RUN(test_param_errors_and_write);
    RUN(test_builder_without_checkpoint_support);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    TEST_DONE();
}
