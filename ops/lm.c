/* ops/lm.c — op family 'lm': the language-model ops of domain ai.odin (WKV6, TokenShift,
 * RoPE, CachedAttention, PositionIds). See ops/op.h for what an op definition holds. */
#include "op.h"

const odin_op_def *const odin_ops_lm[] = {NULL};
