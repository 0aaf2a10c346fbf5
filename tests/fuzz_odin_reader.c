/* tests/fuzz_odin_reader.c — libFuzzer target: arbitrary bytes as a .odin file image.
 * The reader must reject them with an error or return a graph; a graph it accepts must
 * be writable, and writing is a fixed point after one round (write(read(write(g))) gives
 * the same bytes as write(g)). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../ir/serialize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    odin_graph *g = NULL;
    odin_status st = odin_graph_read_mem(data, size, "fuzz.odin", &g);
    if (st) {
        odin_status_free(st);
        return 0;
    }
    uint8_t *a = NULL, *b = NULL;
    size_t as = 0, bs = 0;
    odin_graph *h = NULL;
    if (odin_graph_write_mem(g, &a, &as)) abort(); /* anything we read, we can write */
    if (odin_graph_read_mem(a, as, "rewritten", &h)) abort();
    if (odin_graph_write_mem(h, &b, &bs)) abort();
    if (as != bs || memcmp(a, b, as) != 0) abort();
    free(a);
    free(b);
    odin_graph_free(h);
    odin_graph_free(g);
    return 0;
}
