/* codegen/lower_lm.c — compiled kernels for the language-model ops (ops/lm.c). */
#include "lower.h"

const odin_lowering odin_lowerings_lm[] = {{NULL}};
