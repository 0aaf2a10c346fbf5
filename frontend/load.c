#include "load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../ir/serialize.h"
#include "onnx.h"

odin_status odin_load_model(const char *path, odin_graph **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return odin_errorf("%s: cannot open: %s", path, strerror(errno));
    unsigned char head[8] = {0};
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    /* FlatBuffers: 4-byte root offset, then the 4-byte file identifier. */
    if (n == 8 && memcmp(head + 4, "ODIN", 4) == 0) return odin_graph_read_file(path, out);
    return odin_onnx_import_file(path, out);
}
