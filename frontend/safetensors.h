/* frontend/safetensors.h — safetensors checkpoints: an 8-byte little-endian header length,
 * a JSON header naming each tensor's dtype, shape and byte range, then raw little-endian
 * data. The file is mmapped; tensors point into the mapping (no copy). */
#ifndef ODIN_SAFETENSORS_H
#define ODIN_SAFETENSORS_H

#include <stddef.h>

#include "../ir/graph.h"

typedef struct odin_safetensors odin_safetensors;

typedef struct odin_safetensors_entry {
    const char *name;
    odin_dtype dtype; /* F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL */
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    const void *data; /* into the mapping */
    size_t nbytes;
} odin_safetensors_entry;

/* Errors name the file and what is wrong (bad header length, JSON, dtype, offsets). */
odin_status odin_safetensors_open(const char *path, odin_safetensors **out);
void odin_safetensors_close(odin_safetensors *st);
const char *odin_safetensors_path(const odin_safetensors *st);
int odin_safetensors_count(const odin_safetensors *st);
const odin_safetensors_entry *odin_safetensors_at(const odin_safetensors *st, int i);
/* NULL when absent. */
const odin_safetensors_entry *odin_safetensors_find(const odin_safetensors *st,
                                                    const char *name);

#endif
