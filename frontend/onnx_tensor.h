/* frontend/onnx_tensor.h — ONNX TensorProto <-> odin_value, shared by the importer
 * (initializers, Constant nodes, tensor attributes), the exporter and the `.pb` test-data
 * files of the ONNX backend-test layout. */
#ifndef ODIN_FRONTEND_ONNX_TENSOR_H
#define ODIN_FRONTEND_ONNX_TENSOR_H

#include "../ir/graph.h"
#include "onnx.pb-c.h"

/* Decode tp into *v; v->data is malloc'ed (free with free()). Handles raw_data and the
 * typed fields, all dtypes of odin_dtype (strings as malloc'ed char* array, each element
 * malloc'ed too — free with odin_onnx_value_free), and external data resolved against
 * base_dir (NULL: external data is an error). Errors name the tensor and the reason. */
odin_status odin_onnx_tensor_decode(const Onnx__TensorProto *tp, const char *base_dir,
                                    odin_value *v);
void odin_onnx_value_free(odin_value *v);
/* Fill *tp (initialized by the function) from v, data as raw_data; free its heap parts with
 * odin_onnx_tensor_encode_free. */
odin_status odin_onnx_tensor_encode(const odin_value *v, const char *name, Onnx__TensorProto *tp);
void odin_onnx_tensor_encode_free(Onnx__TensorProto *tp);

/* A serialized TensorProto in a file (input_0.pb ...). *name may be NULL to ignore;
 * otherwise it is malloc'ed (empty string if the proto has none). */
odin_status odin_pb_read_tensor(const char *path, odin_value *v, char **name);
odin_status odin_pb_write_tensor(const char *path, const char *name, const odin_value *v);

#endif
