/* ops/conv.c — op family 'conv' (see ops/op.h for what an op definition holds). */
#include "op.h"

const odin_op_def *const odin_ops_conv[] = {NULL};
