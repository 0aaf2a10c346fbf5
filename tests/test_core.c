/* Core IR pieces: status messages, arena alignment, dtype conversions (against IEEE 754
 * bit patterns), the graph's name table, attribute defaults from an op schema, the
 * builder's sticky errors, and model parameter parsing. */
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../models/models.h"
#include "../ops/op.h"
#include "test.h"

static void test_status(void) {
    odin_status st = odin_errorf("bad %s", "thing");
    st = odin_status_prefix(st, "node '%s' (%s)", "n1", "Conv");
    st = odin_status_prefix(st, "model.onnx");
    CHECK(!strcmp(odin_status_message(st), "model.onnx: node 'n1' (Conv): bad thing"), "%s",
          odin_status_message(st));
    odin_status_free(st);
    CHECK(!strcmp(odin_status_message(ODIN_OK), ""), "ok message");
}

static void test_arena(void) {
    odin_arena a;
    odin_arena_init(&a);
    for (int i = 0; i < 1000; i++) {
        size_t align = (size_t)1 << (i % 7);
        char *p = odin_arena_alloc(&a, (size_t)(i * 37 % 5000) + 1, align);
        CHECK(p && ((uintptr_t)p & (align - 1)) == 0, "alignment %zu", align);
        CHECK(p[0] == 0, "zeroed");
    }
    void *big = odin_arena_alloc(&a, 1 << 20, 64);
    CHECK(big && ((uintptr_t)big & 63) == 0, "big chunk aligned");
    CHECK(odin_arena_alloc(&a, 8, 128) == NULL, "alignment above 64 refused");
    odin_arena_free(&a);
}

static void test_f16(void) {
    /* IEEE binary16 bit patterns */
    struct { float f; uint16_t h; } cases[] = {
        {1.0f, 0x3c00}, {-2.0f, 0xc000}, {65504.0f, 0x7bff}, {0x1p-24f, 0x0001},
        {0x1p-14f, 0x0400}, {0.0f, 0x0000}, {-0.0f, 0x8000}, {0.333251953125f, 0x3555},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK(odin_f32_to_f16(cases[i].f) == cases[i].h, "f16(%g) = %04x", cases[i].f,
              odin_f32_to_f16(cases[i].f));
        CHECK(odin_f16_to_f32(cases[i].h) == cases[i].f, "f32(%04x)", cases[i].h);
    }
    CHECK(odin_f32_to_f16(65520.0f) == 0x7c00, "overflow to inf");
    CHECK(odin_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00, "tie rounds to even (down)");
    CHECK(odin_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02, "tie rounds to even (up)");
    CHECK(isnan(odin_f16_to_f32(odin_f32_to_f16(NAN))), "nan stays nan");
    /* bfloat16: the top half of the f32 bits, round to nearest even */
    CHECK(odin_f32_to_bf16(1.0f) == 0x3f80, "bf16 one");
    CHECK(odin_bf16_to_f32(0xc040) == -3.0f, "bf16 -3");
    CHECK(odin_f32_to_bf16(1.0f + 0x1p-8f) == 0x3f80, "bf16 tie to even");
    CHECK(odin_dtype_from_onnx(1) == ODIN_F32 && odin_dtype_to_onnx(ODIN_I64) == 7, "onnx codes");
    CHECK(odin_dtype_from_onnx(17) == ODIN_UNDEFINED, "float8 unsupported");
}

static void test_graph_names(void) {
    odin_graph *g = odin_graph_new("g");
    int64_t d[2] = {2, 3};
    int a, b;
    CHECK_OK(odin_graph_add_tensor(g, "a", ODIN_F32, 2, d, &a));
    CHECK_ERR(odin_graph_add_tensor(g, "a", ODIN_F32, 2, d, &b), "duplicate tensor name 'a'");
    CHECK(odin_graph_find_tensor(g, "a") == a, "find");
    CHECK_OK(odin_graph_rename_tensor(g, a, "x"));
    CHECK(odin_graph_find_tensor(g, "a") == -1 && odin_graph_find_tensor(g, "x") == a, "rename");
    const char *u = odin_graph_unique_name(g, "x");
    CHECK(!strcmp(u, "x_1"), "unique %s", u);
    /* many tensors: indices stay valid as arrays grow */
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "t%d", i);
        CHECK_OK(odin_graph_add_tensor(g, name, ODIN_F32, 0, NULL, NULL));
    }
    CHECK(odin_graph_find_tensor(g, "t4999") == a + 5000, "index after growth");
    char buf[64];
    int64_t sd[3] = {-1, 3, 4};
    const char *params[3] = {"batch", NULL, NULL};
    odin_format_shape(buf, sizeof buf, 3, sd, params);
    CHECK(!strcmp(buf, "[batch,3,4]"), "%s", buf);
    odin_graph_free(g);
}

/* A private op with a schema, to check attribute defaults without the op library. */
static const odin_attr_schema probe_attrs[] = {
    {"alpha", ODIN_ATTR_FLOAT, false, 0, 0.25f, NULL},
    {"axis", ODIN_ATTR_INT, false, -1, 0, NULL},
    {NULL},
};
static const odin_op_def probe_def = {.name = "Probe", .attrs = probe_attrs};

static void test_attr_defaults(void) {
    odin_graph *g = odin_graph_new("g");
    int t;
    CHECK_OK(odin_graph_add_tensor(g, "x", ODIN_F32, 0, NULL, &t));
    odin_attr set = ODIN_ATTR_I("axis", 2);
    int n;
    CHECK_OK(odin_graph_add_node(g, "p", "Probe", "test", &t, 1, NULL, 0, &set, 1, &n));
    g->nodes[n].def = &probe_def;
    CHECK(odin_attr_i(&g->nodes[n], "axis") == 2, "set value wins");
    CHECK(odin_attr_f(&g->nodes[n], "alpha") == 0.25f, "schema default");
    CHECK(!odin_node_has_attr(&g->nodes[n], "alpha"), "default is not 'set'");
    odin_graph_free(g);
}

static void test_builder_sticky_error(void) {
    odin_graph *g = odin_graph_new("g");
    int64_t d[1] = {4};
    int x = odin_input(g, "x", ODIN_F32, 1, d);
    int y = odin_build(g, "NoSuchOp", &x, 1, NULL, 0, 1, NULL);
    CHECK(y == -1, "unknown op fails");
    int z = odin_relu(g, y);
    CHECK(z == -1, "failure propagates");
    odin_status st = odin_graph_take_error(g);
    CHECK(st && strstr(odin_status_message(st), "NoSuchOp"), "first error kept: %s",
          odin_status_message(st));
    odin_status_free(st);
    odin_graph_free(g);
}

static void test_model_params(void) {
    const odin_model_builder *b = odin_model_find("gpt2");
    CHECK(b != NULL, "gpt2 registered");
    if (!b) return;
    int64_t v[ODIN_MODEL_MAX_PARAMS];
    const char *ok[] = {"n_layer=2", "seq=8"};
    CHECK_OK(odin_model_params(b, ok, 2, v));
    CHECK(v[3] == 2 && v[5] == 8 && v[2] == 256, "values %lld %lld", (long long)v[3], (long long)v[5]);
    const char *bad[] = {"n_layers=2"};
    CHECK_ERR(odin_model_params(b, bad, 1, v), "unknown parameter 'n_layers'");
    const char *neg[] = {"seq=-1"};
    CHECK_ERR(odin_model_params(b, neg, 1, v), "non-negative integer");
    odin_graph *g;
    const char *heads[] = {"n_head=3"};
    CHECK_ERR(odin_model_build("gpt2", heads, 1, &g), "does not divide");
    CHECK_ERR(odin_model_build("resnet9000", NULL, 0, &g), "unknown model");
}

int main(void) {
    RUN(test_status);
    RUN(test_arena);
    RUN(test_f16);
    RUN(test_graph_names);
    RUN(test_attr_defaults);
    RUN(test_builder_sticky_error);
    RUN(test_model_params);
    TEST_DONE();
}
