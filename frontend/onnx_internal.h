/* frontend/onnx_internal.h — helpers shared by the ONNX importer, exporter and the
 * TensorProto codec; not part of the public frontend interface. */
#ifndef ODIN_FRONTEND_ONNX_INTERNAL_H
#define ODIN_FRONTEND_ONNX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../ir/status.h"

/* Protobuf messages larger than this are refused (protobuf's own 2 GiB limit). */
#define ODIN_ONNX_MAX_PROTO ((size_t)2 << 30)

/* Read a whole file into a malloc'ed buffer; files larger than max_size are refused.
 * Errors name the path. */
odin_status odin_onnx_read_file(const char *path, size_t max_size, uint8_t **buf,
                                size_t *size);
/* Write size bytes to path (created or truncated). */
odin_status odin_onnx_write_file(const char *path, const void *buf, size_t size);
/* The directory part of path ("." when it has none), malloc'ed. */
char *odin_onnx_dirname(const char *path);

struct Onnx__TensorProto;
/* When tp holds plain little-endian raw_data of the right size on a little-endian host,
 * set *v to a view of it (v->data points into tp, no copy) and return true; otherwise
 * false (decode with odin_onnx_tensor_decode, which also reports the errors). */
bool odin_onnx_tensor_raw_view(const struct Onnx__TensorProto *tp, struct odin_value *v);

#endif
