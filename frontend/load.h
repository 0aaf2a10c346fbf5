/* frontend/load.h — open any model file a command is given: `.odin` (FlatBuffers) or
 * ONNX, told apart by content (the FlatBuffers file identifier "ODIN"), not by name. */
#ifndef ODIN_FRONTEND_LOAD_H
#define ODIN_FRONTEND_LOAD_H

#include "../ir/graph.h"

odin_status odin_load_model(const char *path, odin_graph **out);

#endif
