/* runtime/aot.c — instances of ahead-of-time compiled models: weights (embedded blob or
 * an mmap'ed weights file checked against the descriptor), the arena, the io table, and
 * the copies of outputs the code does not compute in place. */
#include "aot.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "threads.h"

struct odin_aot_instance {
    const odin_aot_model *d;
    const void **weights; /* n_weights pointers into the blob */
    void *arena;
    void **io;
    void *map;            /* mmap'ed weights file, or NULL */
    size_t map_size;
};

static _Thread_local char last_error[512];

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}

const char *odin_aot_last_error(void) { return last_error; }

int odin_aot_set_error(int code, const char *message) {
    return fail(code, "%s", message ? message : "");
}

const char *odin_aot_status_string(int code) {
    switch (code) {
    case ODIN_AOT_OK: return "ok";
    case ODIN_AOT_ERR_ARGUMENT: return "invalid argument";
    case ODIN_AOT_ERR_MEMORY: return "out of memory";
    case ODIN_AOT_ERR_WEIGHTS: return "weights file missing or invalid";
    case ODIN_AOT_ERR_RUN: return "the compiled model failed";
    case ODIN_AOT_ERR_ABI: return "model descriptor from an incompatible odinc";
    default: return "unknown status";
    }
}

void odin_aot_set_threads(int n) { odin_rt_set_threads(n); }

/* The folder of the binary that holds d (shared library or executable), with '/'. */
static void binary_dir(const odin_aot_model *d, char *dir, size_t size) {
    dir[0] = '\0';
    Dl_info info;
    const char *path = NULL;
    char exe[4096];
    if (dladdr((const void *)d, &info) && info.dli_fname && strchr(info.dli_fname, '/'))
        path = info.dli_fname;
    if (!path) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) return;
        exe[n] = '\0';
        path = exe;
    }
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(dir, size, "%.*s/", (int)(slash - path), path);
}

/* mmap the weights file and check its header: magic, blob size, content hash. */
static int map_weights(odin_aot_instance *m, const char *path) {
    const odin_aot_model *d = m->d;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(ODIN_AOT_ERR_WEIGHTS, "%s: cannot open weights file: %s", path, strerror(errno));
    struct stat st;
    size_t want = ODIN_AOT_WEIGHTS_HEADER + (size_t)d->blob_bytes;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < want) {
        close(fd);
        return fail(ODIN_AOT_ERR_WEIGHTS, "%s: weights file holds %lld bytes, model '%s' needs %zu",
                    path, (long long)st.st_size, d->name, want);
    }
    void *p = mmap(NULL, want, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return fail(ODIN_AOT_ERR_WEIGHTS, "%s: mmap failed: %s", path, strerror(errno));
    m->map = p;
    m->map_size = want;
    const unsigned char *h = p;
    uint64_t size = 0, hash = 0;
    memcpy(&size, h + 8, 8);
    memcpy(&hash, h + 16, 8);
    if (memcmp(h, ODIN_AOT_WEIGHTS_MAGIC, 8) != 0)
        return fail(ODIN_AOT_ERR_WEIGHTS, "%s: not an ODIN weights file", path);
    if (size != (uint64_t)d->blob_bytes || hash != d->weights_hash)
        return fail(ODIN_AOT_ERR_WEIGHTS, "%s: weights file belongs to another model than '%s'",
                    path, d->name);
    return ODIN_AOT_OK;
}

/* An instance of d without its weights: arena, weight table, io table. */
static int new_instance(const odin_aot_model *d, odin_aot_instance **out) {
    *out = NULL;
    if (!d) return fail(ODIN_AOT_ERR_ARGUMENT, "create: NULL model descriptor");
    if (d->abi != ODIN_AOT_ABI)
        return fail(ODIN_AOT_ERR_ABI, "model descriptor ABI %lld, runtime ABI %d", (long long)d->abi,
                    ODIN_AOT_ABI);
    odin_aot_instance *m = calloc(1, sizeof *m);
    if (!m) return fail(ODIN_AOT_ERR_MEMORY, "out of memory");
    m->d = d;
    size_t arena = ((size_t)d->arena_bytes + 63) & ~(size_t)63;
    m->arena = aligned_alloc(64, arena ? arena : 64);
    m->weights = calloc((size_t)d->n_weights + 1, sizeof *m->weights);
    m->io = calloc((size_t)(d->n_inputs + d->n_outputs) + 1, sizeof *m->io);
    if (!m->arena || !m->weights || !m->io) {
        odin_aot_destroy(m);
        return fail(ODIN_AOT_ERR_MEMORY, "out of memory");
    }
    *out = m;
    return ODIN_AOT_OK;
}

static void point_weights(odin_aot_instance *m, const uint8_t *blob) {
    for (int64_t i = 0; i < m->d->n_weights; i++) m->weights[i] = blob + m->d->weight_offsets[i];
}

int odin_aot_create(const odin_aot_model *d, const char *weights_path, odin_aot_instance **out) {
    if (!out) return fail(ODIN_AOT_ERR_ARGUMENT, "create: NULL result pointer");
    odin_aot_instance *m;
    int rc = new_instance(d, &m);
    if (rc) return rc;
    const uint8_t *blob = d->blob;
    if (d->weights_file) {
        char path[4096];
        if (!weights_path) {
            char dir[4096];
            binary_dir(d, dir, sizeof dir);
            snprintf(path, sizeof path, "%s%s", dir, d->weights_file);
            weights_path = path;
        }
        int rc = map_weights(m, weights_path);
        if (rc) {
            odin_aot_destroy(m);
            return rc;
        }
        blob = (const uint8_t *)m->map + ODIN_AOT_WEIGHTS_HEADER;
    }
    point_weights(m, blob);
    *out = m;
    return ODIN_AOT_OK;
}

int odin_aot_create_sharing(const odin_aot_model *d, const odin_aot_instance *owner,
                            odin_aot_instance **out) {
    if (!out) return fail(ODIN_AOT_ERR_ARGUMENT, "create: NULL result pointer");
    *out = NULL;
    if (!owner) return fail(ODIN_AOT_ERR_ARGUMENT, "create: NULL instance to share weights with");
    const odin_aot_model *o = owner->d;
    if (!d || d->blob_bytes != o->blob_bytes || d->weights_hash != o->weights_hash ||
        (d->weights_file == NULL) != (o->weights_file == NULL))
        return fail(ODIN_AOT_ERR_WEIGHTS, "model '%s' does not share the weights of '%s'",
                    d ? d->name : "(null)", o->name);
    odin_aot_instance *m;
    int rc = new_instance(d, &m);
    if (rc) return rc;
    /* the owner's mapped file (not mapped again, never unmapped here) or the embedded blob */
    point_weights(m, o->weights_file ? (const uint8_t *)owner->map + ODIN_AOT_WEIGHTS_HEADER : d->blob);
    *out = m;
    return ODIN_AOT_OK;
}

odin_aot_instance *odin_aot_create_default(const odin_aot_model *d) {
    odin_aot_instance *m = NULL;
    return odin_aot_create(d, NULL, &m) == ODIN_AOT_OK ? m : NULL;
}

void odin_aot_destroy(odin_aot_instance *m) {
    if (!m) return;
    if (m->map) munmap(m->map, m->map_size);
    free(m->arena);
    free(m->weights);
    free(m->io);
    free(m);
}

int odin_aot_run(odin_aot_instance *m, void *const *inputs, void *const *outputs) {
    if (!m) return fail(ODIN_AOT_ERR_ARGUMENT, "run: NULL model");
    const odin_aot_model *d = m->d;
    if ((d->n_inputs && !inputs) || (d->n_outputs && !outputs))
        return fail(ODIN_AOT_ERR_ARGUMENT, "run: NULL input or output array");
    for (int64_t i = 0; i < d->n_inputs; i++) {
        if (!inputs[i] && d->inputs[i].nbytes)
            return fail(ODIN_AOT_ERR_ARGUMENT, "run: input '%s' is NULL", d->inputs[i].name);
        m->io[i] = inputs[i];
    }
    for (int64_t i = 0; i < d->n_outputs; i++) {
        if (!outputs[i] && d->outputs[i].nbytes)
            return fail(ODIN_AOT_ERR_ARGUMENT, "run: output '%s' is NULL", d->outputs[i].name);
        m->io[d->n_inputs + i] = outputs[i];
    }
    odin_rt_wake(); /* workers spin up while the first serial kernels run */
    int32_t rc = d->entry(m->io, m->arena, m->weights);
    if (rc && d->error && d->error->prefix) { /* the kernel said why */
        odin_aot_error *e = d->error;
        fail(ODIN_AOT_ERR_RUN, "model '%s': %s%lld%s", d->name, e->prefix, (long long)e->value,
             e->suffix ? e->suffix : "");
        e->prefix = NULL;
        return ODIN_AOT_ERR_RUN;
    }
    if (rc) return fail(ODIN_AOT_ERR_RUN, "model '%s' failed (code %d)", d->name, rc);
    /* Outputs the code did not write in place: graph inputs, constants, aliases. */
    for (int64_t i = 0; i < d->n_outputs; i++) {
        const odin_aot_tensor *o = &d->outputs[i];
        const void *src = NULL;
        switch (o->src_kind) {
        case ODIN_AOT_SRC_INPUT: src = inputs[o->src_index]; break;
        case ODIN_AOT_SRC_WEIGHT: src = m->weights[o->src_index]; break;
        case ODIN_AOT_SRC_OUTPUT: src = outputs[o->src_index]; break;
        case ODIN_AOT_SRC_ARENA: src = (const char *)m->arena + o->src_index; break;
        default: continue;
        }
        if (src != outputs[i] && o->nbytes) memcpy(outputs[i], src, (size_t)o->nbytes);
    }
    return ODIN_AOT_OK;
}
