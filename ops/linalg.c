/* ops/linalg.c — op family 'linalg' (see ops/op.h for what an op definition holds). */
#include "op.h"

const odin_op_def *const odin_ops_linalg[] = {NULL};
