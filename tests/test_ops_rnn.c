/* tests/test_ops_rnn.c — edge cases of the rnn family the ONNX node tests miss: reverse
 * and bidirectional RNN with a non-default activation, sequence_lens shorter than the
 * sequence (zero-padded Y, Y_h from the last valid step), LSTM input_forget and Y_c, and
 * shape errors. With hidden size 1 the recurrences are worked out by hand. */
#include <stdint.h>
#include <stdlib.h>

#include "../ir/builder.h"
#include "../ops/interpret.h"
#include "test.h"

static odin_status run_n(odin_graph *g, const int *outs, int n, odin_value *out) {
    odin_status st = odin_graph_take_error(g);
    if (st) return st;
    for (int i = 0; i < n; i++) odin_output(g, outs[i], NULL);
    st = odin_graph_take_error(g);
    if (st) return st;
    return odin_interpret(g, NULL, 0, out);
}

static int cf32(odin_graph *g, int rank, const int64_t *dims, const float *v) {
    return odin_constant_f32(g, odin_graph_unique_name(g, "c"), rank, dims, v);
}

static bool f32_near(const odin_value *v, int n, const float *want) {
    if (!v->data || odin_value_numel(v) != n) return false;
    for (int i = 0; i < n; i++)
        if (!(fabs(((const float *)v->data)[i] - want[i]) <= 1e-5)) return false;
    return true;
}

/* H = Relu(2x + 0.5h + 1) over x = 1, -1, 2 from h = 0, both ways:
 * forward 3, 0.5, 5.25; reverse (t = 2, 1, 0) 5, 1.5, 3.75. */
static void test_rnn_bidirectional_relu(void) {
    odin_graph *g = odin_graph_new("t");
    float x[3] = {1, -1, 2}, w[2] = {2, 2}, r[2] = {0.5f, 0.5f}, b[4] = {1, 0, 1, 0};
    int64_t dx[3] = {3, 1, 1}, dw[3] = {2, 1, 1}, db[2] = {2, 2};
    int ins[3 + 1] = {cf32(g, 3, dx, x), cf32(g, 3, dw, w), cf32(g, 3, dw, r), cf32(g, 2, db, b)};
    const char *acts[2] = {"Relu", "Relu"};
    odin_attr a[3] = {ODIN_ATTR_I("hidden_size", 1), ODIN_ATTR_S("direction", "bidirectional"),
                      {.name = "activations", .kind = ODIN_ATTR_STRINGS, .strings = acts, .count = 2}};
    int outs[2];
    odin_build(g, "RNN", ins, 4, a, 3, 2, outs);
    odin_value out[2] = {{0}};
    CHECK_OK(run_n(g, outs, 2, out));
    if (out[0].data) {
        CHECK(out[0].rank == 4 && out[0].dims[0] == 3 && out[0].dims[1] == 2, "Y [seq,dirs,batch,H]");
        CHECK(f32_near(&out[0], 6, (float[]){3, 3.75f, 0.5f, 1.5f, 5.25f, 5}), "Y");
        CHECK(f32_near(&out[1], 2, (float[]){5.25f, 3.75f}), "Y_h: last forward, first reverse");
        odin_values_free(out, 2);
    }
    odin_graph_free(g);
}

/* Batch of 2 with sequence_lens {3, 1}: entry 1 stops after one step (h = Relu(2+1) = 3),
 * its later Y rows are 0 and Y_h is that step's h. Layout 1 puts batch first. */
static void test_rnn_sequence_lens_layout1(void) {
    odin_graph *g = odin_graph_new("t");
    float x[6] = {1, -1, 2, 1, 1, 1}, w[1] = {2}, r[1] = {0.5f}, b[2] = {1, 0};
    int64_t dx[3] = {2, 3, 1}, dw[3] = {1, 1, 1}, db[2] = {1, 2}, dl[1] = {2};
    int32_t lens[2] = {3, 1};
    int ins[5] = {cf32(g, 3, dx, x), cf32(g, 3, dw, w), cf32(g, 3, dw, r), cf32(g, 2, db, b),
                  odin_constant(g, "lens", ODIN_I32, 1, dl, lens)};
    const char *acts[1] = {"Relu"};
    odin_attr a[3] = {ODIN_ATTR_I("hidden_size", 1), ODIN_ATTR_I("layout", 1),
                      {.name = "activations", .kind = ODIN_ATTR_STRINGS, .strings = acts, .count = 1}};
    int outs[2];
    odin_build(g, "RNN", ins, 5, a, 3, 2, outs);
    odin_value out[2] = {{0}};
    CHECK_OK(run_n(g, outs, 2, out));
    if (out[0].data) {
        CHECK(out[0].rank == 4 && out[0].dims[0] == 2 && out[0].dims[1] == 3, "Y [batch,seq,dirs,H]");
        CHECK(f32_near(&out[0], 6, (float[]){3, 0.5f, 5.25f, 3, 0, 0}), "Y");
        CHECK(out[1].dims[0] == 2 && out[1].dims[1] == 1, "Y_h [batch,dirs,H]");
        CHECK(f32_near(&out[1], 2, (float[]){5.25f, 3}), "Y_h");
        odin_values_free(out, 2);
    }
    odin_graph_free(g);
}

/* LSTM with W = R = 0 and input-gate bias ln 3: i = 0.75, o = 0.5, g = tanh(0) = 0;
 * input_forget makes f = 1 - i = 0.25, so C = 0.25 * C0 = 0.5 and H = 0.5 tanh(0.5). */
static void test_lstm_input_forget_yc(void) {
    odin_graph *g = odin_graph_new("t");
    float x[1] = {1}, w[4] = {0}, r[4] = {0}, b[8] = {(float)log(3.0), 0, 0, 0, 0, 0, 0, 0};
    float h0[1] = {0}, c0[1] = {2};
    int64_t dx[3] = {1, 1, 1}, dw[3] = {1, 4, 1}, db[2] = {1, 8}, ds[3] = {1, 1, 1};
    int ins[7] = {cf32(g, 3, dx, x), cf32(g, 3, dw, w), cf32(g, 3, dw, r), cf32(g, 2, db, b), -2,
                  cf32(g, 3, ds, h0), cf32(g, 3, ds, c0)};
    odin_attr a[2] = {ODIN_ATTR_I("hidden_size", 1), ODIN_ATTR_I("input_forget", 1)};
    int outs[3];
    odin_build(g, "LSTM", ins, 7, a, 2, 3, outs);
    odin_value out[3] = {{0}};
    CHECK_OK(run_n(g, outs, 3, out));
    if (out[2].data) {
        CHECK(f32_near(&out[1], 1, (float[]){(float)(0.5 * tanh(0.5))}), "Y_h");
        CHECK(f32_near(&out[2], 1, (float[]){0.5f}), "Y_c");
        odin_values_free(out, 3);
    }
    odin_graph_free(g);
}

/* W for 2 gates under GRU (3 expected) and an unknown activation are errors. */
static void test_rnn_errors(void) {
    odin_graph *g = odin_graph_new("t");
    float z[8] = {0};
    int64_t dx[3] = {1, 1, 1}, dw[3] = {1, 2, 1}, dr[3] = {1, 3, 1};
    int ins[3] = {cf32(g, 3, dx, z), cf32(g, 3, dw, z), cf32(g, 3, dr, z)};
    odin_attr a[1] = {ODIN_ATTR_I("hidden_size", 1)};
    odin_build(g, "GRU", ins, 3, a, 1, 2, NULL);
    CHECK_ERR(odin_graph_take_error(g), "W has shape [1,2,1], expected [1,3,1]");
    odin_graph_free(g);

    g = odin_graph_new("t");
    int64_t dw1[3] = {1, 1, 1};
    int ins2[3] = {cf32(g, 3, dx, z), cf32(g, 3, dw1, z), cf32(g, 3, dw1, z)};
    const char *acts[1] = {"Swish"};
    odin_attr a2[2] = {ODIN_ATTR_I("hidden_size", 1),
                       {.name = "activations", .kind = ODIN_ATTR_STRINGS, .strings = acts, .count = 1}};
    odin_build(g, "RNN", ins2, 3, a2, 2, 2, NULL);
    CHECK_ERR(odin_graph_take_error(g), "activation 'Swish'");
    odin_graph_free(g);
}

int main(void) {
    RUN(test_rnn_bidirectional_relu);
    RUN(test_rnn_sequence_lens_layout1);
    RUN(test_lstm_input_forget_yc);
    RUN(test_rnn_errors);
    TEST_DONE();
}
