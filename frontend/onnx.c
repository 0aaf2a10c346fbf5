/* placeholder until the ONNX importer lands */
#include "onnx.h"

odin_status odin_onnx_import_file(const char *path, odin_graph **out) {
    return odin_errorf("%s: ONNX import not built yet", path);
}
odin_status odin_onnx_import_mem(const void *buf, size_t size, const char *path, odin_graph **out) {
    return odin_errorf("%s: ONNX import not built yet", path ? path : "<memory>");
}
odin_status odin_onnx_export_file(const odin_graph *g, const char *path) {
    return odin_errorf("%s: ONNX export not built yet", path);
}
