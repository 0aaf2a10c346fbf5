/* tests/fuzz_pb.c — libFuzzer target: arbitrary bytes as a serialized ONNX TensorProto
 * (the .pb files of the backend tests), unpacked by protobuf-c and decoded by
 * odin_onnx_tensor_decode without a base directory (external data must be an error). */
#include <stdint.h>
#include <stdlib.h>

#include "../frontend/onnx_tensor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, data);
    if (!tp) return 0;
    odin_value v;
    odin_status st = odin_onnx_tensor_decode(tp, NULL, &v);
    if (st) {
        odin_status_free(st);
    } else {
        /* touch the last byte so ASan checks the buffer has the size the shape says */
        int64_t n = odin_value_numel(&v);
        size_t es = odin_dtype_size(v.dtype);
        if (n > 0 && v.dtype != ODIN_STRING) ((volatile uint8_t *)v.data)[(size_t)n * es - 1];
        odin_onnx_value_free(&v);
    }
    onnx__tensor_proto__free_unpacked(tp, NULL);
    return 0;
}
