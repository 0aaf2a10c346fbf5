/* ops/rnn.h — the resolved configuration of an RNN / GRU / LSTM node (the eval's own
 * reading of its attributes and shapes), for codegen: gate count, directions, layout,
 * clip, the activation of each gate slot per direction with its alpha / beta. */
#ifndef ODIN_OPS_RNN_H
#define ODIN_OPS_RNN_H

#include "op.h"

typedef enum {
    ODIN_RNN_ACT_RELU, ODIN_RNN_ACT_TANH, ODIN_RNN_ACT_SIGMOID, ODIN_RNN_ACT_AFFINE,
    ODIN_RNN_ACT_LEAKY_RELU, ODIN_RNN_ACT_THRESHOLDED_RELU, ODIN_RNN_ACT_SCALED_TANH,
    ODIN_RNN_ACT_HARD_SIGMOID, ODIN_RNN_ACT_ELU, ODIN_RNN_ACT_SOFTSIGN, ODIN_RNN_ACT_SOFTPLUS
} odin_rnn_act_fn;

typedef struct odin_rnn_act {
    odin_rnn_act_fn fn;
    double alpha, beta;
} odin_rnn_act;

typedef struct odin_rnn_info {
    int kind;                 /* 0 RNN, 1 GRU, 2 LSTM */
    int gates, n_acts, dirs, layout;
    bool reverse_only, linear_before_reset, input_forget, has_clip;
    double clip;
    int64_t seq, batch, input, hidden;
    odin_rnn_act acts[2][3];  /* per direction: RNN f; GRU f, g; LSTM f, g, h */
} odin_rnn_info;

/* Configuration of RNN / GRU / LSTM node `node` with static shapes; an error otherwise. */
odin_status odin_rnn_info_of_node(const odin_graph *g, int node, odin_rnn_info *info);

#endif
