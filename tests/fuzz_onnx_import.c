// seeds: /usr/share/libonnx-testdata/data/node/test_add/model.onnx /usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx /usr/share/libonnx-testdata/data/node/test_constant/model.onnx /usr/share/libonnx-testdata/data/node/test_cast_FLOAT_to_STRING/model.onnx /usr/share/libonnx-testdata/data/node/test_clip_default_inbounds/model.onnx /usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx
/* tests/fuzz_onnx_import.c — libFuzzer target: arbitrary bytes as an ONNX model. The
 * importer must return an error or a graph, never crash, leak or read out of bounds.
 * No path is given, so external data is an error rather than a file system access. */
#include <stddef.h>
#include <stdint.h>

#include "../frontend/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    odin_graph *g = NULL;
    odin_status st = odin_onnx_import_mem(data, size, NULL, &g);
    odin_status_free(st);
    odin_graph_free(g);
    return 0;
}
