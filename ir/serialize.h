/* ir/serialize.h — .odin model files: the graph and its weights as one FlatBuffers
 * buffer (schema ir/odin.fbs), written and read by hand-written code. Weight buffers are
 * 64-byte aligned in the file so a reader can use them straight from an mmap. */
#ifndef ODIN_SERIALIZE_H
#define ODIN_SERIALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "graph.h"

/* Serialize g into a malloc'ed buffer (*buf, *size). */
odin_status odin_graph_write_mem(const odin_graph *g, uint8_t **buf, size_t *size);
odin_status odin_graph_write_file(const odin_graph *g, const char *path);
/* Verify and read a buffer; constant data is copied into the graph. `what` names the
 * source in error messages (a file name). */
odin_status odin_graph_read_mem(const void *buf, size_t size, const char *what,
                                odin_graph **out);
/* mmap the file, verify it, and point constant tensors into the mapping (no copy);
 * the graph keeps the mapping until odin_graph_free. */
odin_status odin_graph_read_file(const char *path, odin_graph **out);

#endif
