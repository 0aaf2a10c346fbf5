/* codegen/lower_kernels.c — whole-kernel lowerings (ops that are not elementwise). */
#include "irgen.h"

const odin_lowering odin_lowerings_kernels[] = {
    {NULL, NULL, NULL, false},
};
