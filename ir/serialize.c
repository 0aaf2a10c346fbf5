/* placeholder until the FlatBuffers writer/reader lands */
#include "serialize.h"

odin_status odin_graph_write_mem(const odin_graph *g, uint8_t **buf, size_t *size) {
    return odin_errorf("serializer not built yet");
}
odin_status odin_graph_write_file(const odin_graph *g, const char *path) {
    return odin_errorf("serializer not built yet");
}
odin_status odin_graph_read_mem(const void *buf, size_t size, const char *what, odin_graph **out) {
    return odin_errorf("%s: reader not built yet", what);
}
odin_status odin_graph_read_file(const char *path, odin_graph **out) {
    return odin_errorf("%s: reader not built yet", path);
}
