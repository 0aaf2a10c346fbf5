/* ops/reduce.c — op family 'reduce' (see ops/op.h for what an op definition holds). */
#include "op.h"

const odin_op_def *const odin_ops_reduce[] = {NULL};
