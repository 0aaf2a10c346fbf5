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
    odin_dtype dtype; /* F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, U16, U32, U64 */
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    /* Into the mapping. Only as aligned as the file made it (offsets are relative to the
     * end of a header of any length): read through memcpy unless the address is checked. */
    const void *data;
    size_t nbytes;
} odin_safetensors_entry;

/* Errors name the file and what is wrong (bad header length, JSON, dtype, offsets), and
 * the tensor where one is at fault. The mapping is private and writable (copy-on-write,
 * like .odin files) so a graph pointing into it may be rewritten in place by a pass. */
odin_status odin_safetensors_open(const char *path, odin_safetensors **out);
/* Parse a file image in memory; entries point into buf, which must outlive the result.
 * `what` names it in errors. */
odin_status odin_safetensors_open_mem(const void *buf, size_t size, const char *what,
                                      odin_safetensors **out);
/* Reference counting: open gives one reference; retain adds one; close drops one and
 * unmaps at zero. A graph whose constants point into the mapping holds a reference
 * (models/init.c: odin_param). */
odin_safetensors *odin_safetensors_retain(const odin_safetensors *st);
void odin_safetensors_close(odin_safetensors *st);
const char *odin_safetensors_path(const odin_safetensors *st);
int odin_safetensors_count(const odin_safetensors *st);
const odin_safetensors_entry *odin_safetensors_at(const odin_safetensors *st, int i);
/* NULL when absent. */
const odin_safetensors_entry *odin_safetensors_find(const odin_safetensors *st,
                                                    const char *name);
/* A "__metadata__" string value; NULL when absent. */
const char *odin_safetensors_metadata(const odin_safetensors *st, const char *key);

#endif
