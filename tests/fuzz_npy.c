/* tests/fuzz_npy.c — libFuzzer target: arbitrary bytes as a .npy file image. The reader
 * must return an error or a value whose data holds exactly shape x dtype bytes; a
 * successful read must survive a write/read round trip unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    odin_value v;
    odin_status st = odin_npy_read_mem(data, size, "fuzz.npy", &v);
    if (st) {
        odin_status_free(st);
        return 0;
    }
    size_t n = odin_dtype_size(v.dtype);
    for (int i = 0; i < v.rank; i++) n *= (size_t)v.dims[i];
    if (n) ((volatile uint8_t *)v.data)[n - 1]; /* the buffer really holds n bytes */
    uint8_t *buf;
    size_t bsize;
    st = odin_npy_write_mem(&v, &buf, &bsize);
    if (st) abort(); /* anything we read, we can write */
    odin_value back;
    st = odin_npy_read_mem(buf, bsize, "round trip", &back);
    if (st || back.dtype != v.dtype || back.rank != v.rank || memcmp(back.data, v.data, n) != 0)
        abort();
    free(back.data);
    free(buf);
    free(v.data);
    return 0;
}
