/* tests/fuzz_safetensors.c — libFuzzer target: arbitrary bytes as a safetensors file image.
 * The reader must return an error or entries whose byte ranges lie inside the image, match
 * shape x dtype, never overlap, and are found again by name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    odin_safetensors *st;
    odin_status err = odin_safetensors_open_mem(data, size, "fuzz.safetensors", &st);
    if (err) {
        odin_status_free(err);
        return 0;
    }
    size_t covered = 0;
    for (int i = 0; i < odin_safetensors_count(st); i++) {
        const odin_safetensors_entry *e = odin_safetensors_at(st, i);
        const uint8_t *p = e->data;
        if (p < data || p + e->nbytes > data + size) abort();
        size_t n = odin_dtype_size(e->dtype);
        for (int d = 0; d < e->rank; d++) n *= (size_t)e->dims[d];
        if (n != e->nbytes) abort();
        if (e->nbytes) (void)((volatile const uint8_t *)p)[e->nbytes - 1];
        if (odin_safetensors_find(st, e->name) != e) abort();
        covered += e->nbytes;
    }
    if (covered > size) abort(); /* ranges never overlap */
    odin_safetensors_close(st);
    return 0;
}
