/* codegen/jit.h — ORC LLJIT built from a target machine for the host CPU and features,
 * so JIT code uses the host's vector ISA (zmm on AVX-512 machines). Code goes in as
 * object files (codegen/emit.h makes them), so the JIT and the on-disk cache share one
 * path; runtime functions that generated code calls are defined as absolute symbols. */
#ifndef ODIN_JIT_H
#define ODIN_JIT_H

#include <stddef.h>

#include "target.h"

typedef struct odin_jit odin_jit;

odin_status odin_jit_create(const odin_target *host, odin_jit **out);
void odin_jit_free(odin_jit *j);
/* Define `name` as the address of a function of this process (runtime entry points). */
odin_status odin_jit_define(odin_jit *j, const char *name, void *addr);
/* Add an object file image (copied). */
odin_status odin_jit_add_object(odin_jit *j, const void *obj, size_t size, const char *what);
odin_status odin_jit_lookup(odin_jit *j, const char *name, void **addr);

#endif
