/* ops/quant.c — op family 'quant' (see ops/op.h for what an op definition holds). */
#include "op.h"

const odin_op_def *const odin_ops_quant[] = {NULL};
