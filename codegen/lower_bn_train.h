/* codegen/lower_bn_train.h — BatchNormalization in training mode (codegen/lower_bn_train.c),
 * which the inference lowering in codegen/lower_norm.c hands such nodes to. */
#ifndef ODIN_LOWER_BN_TRAIN_H
#define ODIN_LOWER_BN_TRAIN_H

#include "lower.h"

/* training_mode = 1 (opset 14+), f32 tensors, [C] parameters. */
bool odin_bn_training_accepts(const odin_graph *g, int node);
odin_status odin_lower_bn_training(odin_lower_ctx *ctx);

#endif
