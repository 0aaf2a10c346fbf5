/* frontend/onnx.h — ONNX import (protobuf-c code generated at build time from the
 * system's onnx.proto) and export. The importer translates faithfully; it optimizes
 * nothing. */
#ifndef ODIN_FRONTEND_ONNX_H
#define ODIN_FRONTEND_ONNX_H

#include <stddef.h>

#include "../ir/graph.h"

/* Import a model file; external data files are resolved next to it. */
odin_status odin_onnx_import_file(const char *path, odin_graph **out);
/* Import from memory; `path` names the model in errors and locates external data
 * (may be NULL: external data is then an error). */
odin_status odin_onnx_import_mem(const void *buf, size_t size, const char *path,
                                 odin_graph **out);
/* Write g as an ONNX model (standard ops; ODIN-only ops in domain ai.odin). */
odin_status odin_onnx_export_file(const odin_graph *g, const char *path);

#endif
