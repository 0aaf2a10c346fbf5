/* tests/test_huge_weights.c — codegen/huge_weights.c: large constants a graph owns move
 * into one block (bytes unchanged, now external data), small and external constants stay
 * where they are; and an LM session whose packed weights move and whose KV caches share
 * one huge-page block (runtime/session.c; a llama with a 4 MB head and 2 MB of caches)
 * gives the reference interpreter's logits step by step. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../codegen/huge_weights.h"
#include "../codegen/session_jit.h"
#include "../ir/builder.h"
#include "../models/models.h"
#include "test.h"

static float *pattern(int64_t n, float seed) {
    float *p = malloc(sizeof *p * (size_t)n);
    for (int64_t i = 0; i < n; i++) p[i] = seed + (float)(i % 1000) * 0.001f;
    return p;
}

static bool inside(const odin_weight_block *b, const void *p, size_t n) {
    const char *c = p, *base = b->base;
    return b->base && c >= base && c + n <= base + b->size;
}

static void test_moves_large_owned_constants(void) {
    odin_graph *g = odin_graph_new("w");
    int64_t big1[1] = {400000}, big2[2] = {1000, 800}, small[1] = {256}, ext[1] = {600000};
    float *d1 = pattern(big1[0], 1), *d2 = pattern(big2[0] * big2[1], 2), *ds = pattern(small[0], 3);
    float *de = pattern(ext[0], 4);
    int t1 = odin_constant_f32(g, "big1", 1, big1, d1);
    int t2 = odin_constant_f32(g, "big2", 2, big2, d2);
    int ts = odin_constant_f32(g, "small", 1, small, ds);
    int te;
    CHECK_OK(odin_graph_add_tensor(g, "ext", ODIN_F32, 1, ext, &te));
    odin_tensor_set_external_data(g, te, de, sizeof(float) * (size_t)ext[0]);
    const void *small_before = g->tensors[ts].data;

    odin_weight_block b;
    odin_weights_to_huge_pages(g, 1 << 20, &b);
    if (!b.base) {
        /* no transparent huge pages here: nothing may have moved */
        printf("  (no huge pages on this system: checking that nothing moved)\n");
        CHECK(!(g->tensors[t1].flags & ODIN_TENSOR_EXTERNAL) && !(g->tensors[t2].flags & ODIN_TENSOR_EXTERNAL));
    } else {
        CHECK(((uintptr_t)b.base & ((2u << 20) - 1)) == 0, "block on a 2 MiB boundary");
        CHECK(inside(&b, g->tensors[t1].data, g->tensors[t1].nbytes), "big1 moved");
        CHECK(inside(&b, g->tensors[t2].data, g->tensors[t2].nbytes), "big2 moved");
        CHECK(g->tensors[t1].flags & ODIN_TENSOR_EXTERNAL && g->tensors[t1].flags & ODIN_TENSOR_CONST);
        CHECK(((uintptr_t)g->tensors[t2].data & 63) == 0, "64-byte aligned");
    }
    CHECK(!memcmp(g->tensors[t1].data, d1, sizeof(float) * (size_t)big1[0]), "big1 bytes");
    CHECK(!memcmp(g->tensors[t2].data, d2, sizeof(float) * (size_t)(big2[0] * big2[1])), "big2 bytes");
    CHECK(g->tensors[ts].data == small_before && !memcmp(g->tensors[ts].data, ds, sizeof(float) * 256),
          "small constant stays");
    CHECK(g->tensors[te].data == de, "external constant stays");
    odin_graph_free(g); /* the graph goes first: its tensors point into the block */
    odin_weight_block_free(&b);
    CHECK(!b.base);
    free(d1);
    free(d2);
    free(ds);
    free(de);
}

static void test_too_little_moves_nothing(void) {
    odin_graph *g = odin_graph_new("w");
    int64_t d[1] = {300000}; /* 1.2 MB: above the threshold, below one huge page */
    float *p = pattern(d[0], 5);
    int t = odin_constant_f32(g, "w", 1, d, p);
    odin_weight_block b;
    odin_weights_to_huge_pages(g, 1 << 20, &b);
    CHECK(!b.base && !(g->tensors[t].flags & ODIN_TENSOR_EXTERNAL));
    odin_graph_free(g);
    free(p);
}

static double max_diff(const float *a, const float *b, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = a[i] - b[i];
        if (d < 0) d = -d;
        if (d > m || d != d) m = d != d ? 1e30 : d;
    }
    return m;
}

/* A llama whose packed LM head is 4 MB and whose 8 KV caches (4 layers x K, V of 2 heads
 * x 512 rows x 64) make 2 MiB: the JIT session runs on moved weights and carved state. */
static void test_session_on_moved_weights(void) {
    const char *set[] = {"n_layer=4", "n_embd=256", "n_head=4", "n_kv_head=2", "ffn=64",
                         "vocab=4096", "max_ctx=512"};
    odin_graph *g = NULL;
    CHECK_OK(odin_model_build("llama", set, 7, &g));
    if (!g) return;
    odin_session *jit = NULL, *ref = NULL;
    odin_engine_options ej = odin_engine_defaults(ODIN_ENGINE_JIT), er = odin_engine_defaults(ODIN_ENGINE_REF);
    odin_session_options so = {.chunk = 4};
    CHECK_OK(odin_lm_session_open(g, &ej, &so, false, &jit));
    CHECK_OK(odin_lm_session_open(g, &er, &so, false, &ref));
    const int64_t prompt[5] = {17, 4000, 3, 256, 1024};
    const float *a = NULL, *b = NULL;
    if (jit && ref) {
        CHECK_OK(odin_session_prefill(jit, prompt, 5, &a));
        CHECK_OK(odin_session_prefill(ref, prompt, 5, &b));
        CHECK(a && b && max_diff(a, b, 4096) < 1e-4, "prefill logits differ by %g", a && b ? max_diff(a, b, 4096) : -1.0);
        for (int i = 0; i < 4 && a && b; i++) {
            int64_t tok = (i * 977 + 5) % 4096;
            CHECK_OK(odin_session_step(jit, tok, &a));
            CHECK_OK(odin_session_step(ref, tok, &b));
            CHECK(a && b && max_diff(a, b, 4096) < 1e-4, "step %d logits differ by %g", i,
                  a && b ? max_diff(a, b, 4096) : -1.0);
        }
    }
    odin_session_free(jit);
    odin_session_free(ref);
    odin_graph_free(g);
}

int main(void) {
    RUN(test_moves_large_owned_constants);
    RUN(test_too_little_moves_nothing);
    RUN(test_session_on_moved_weights);
    TEST_DONE();
}
