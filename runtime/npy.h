/* runtime/npy.h — NumPy .npy tensor files (format versions 1.0, 2.0 and 3.0) <-> odin_value.
 * C order only; little-endian (or native / byte-order-free) numeric and bool dtypes.
 * Part of the runtime: depends on ir/status and ir/dtype only, never on LLVM or protobuf. */
#ifndef ODIN_RUNTIME_NPY_H
#define ODIN_RUNTIME_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "../ir/graph.h"

/* Parse a whole .npy file image. On success v->data is malloc'ed (at least 1 byte, so
 * it is non-NULL even for empty arrays; free with free()). `what` names the source in
 * error messages (a file name; NULL reads as "<memory>"). Never reads outside buf. */
odin_status odin_npy_read_mem(const void *buf, size_t size, const char *what, odin_value *v);
odin_status odin_npy_read_file(const char *path, odin_value *v);

/* Serialize v (format 1.0: the header of rank <= ODIN_MAX_RANK always fits) into a
 * malloc'ed buffer.
 * bf16 has no NumPy dtype and is written as '<f4'; strings are an error. */
odin_status odin_npy_write_mem(const odin_value *v, uint8_t **buf, size_t *size);
odin_status odin_npy_write_file(const char *path, const odin_value *v);
/* The file name (without ".npy") an output called `name` is written under by `odinc run
 * --out` and AOT executables: only [A-Za-z0-9._-], never hidden or empty. */
void odin_npy_file_name(char *dst, size_t size, const char *name, int index);

/* NumPy descr ("<f4", "|b1", ...) for a dtype, NULL when it has none. */
const char *odin_npy_descr(odin_dtype t);

#endif
