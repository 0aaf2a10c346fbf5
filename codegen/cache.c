#include "cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>
#include <xxhash.h>

#include "../ir/hash.h"
#include "../runtime/report.h"
#include "compile.h"
#include "lower.h"

#define KEY_VERSION "odin-jit-cache-2"

typedef struct entry {
    uint64_t key;
    odin_program *program;
    UT_hash_handle hh;
} entry;

static entry *memory; /* insertion order: the first is the oldest */

static void add_u64(XXH3_state_t *s, uint64_t v) { XXH3_64bits_update(s, &v, sizeof v); }
static void add_str(XXH3_state_t *s, const char *text) {
    XXH3_64bits_update(s, text, strlen(text) + 1);
}

/* Code from an older build of the compiler must not be reused: the binary's size and
 * modification time stand for its build. */
static void add_build(XXH3_state_t *s) {
    unsigned major = 0, minor = 0, patch = 0;
    LLVMGetVersion(&major, &minor, &patch);
    add_u64(s, (uint64_t)major << 32 | minor << 16 | patch);
    struct stat st;
    if (stat("/proc/self/exe", &st) == 0) {
        add_u64(s, (uint64_t)st.st_size);
        add_u64(s, (uint64_t)st.st_mtim.tv_sec);
        add_u64(s, (uint64_t)st.st_mtim.tv_nsec);
    }
}

static void add_place(XXH3_state_t *s, const odin_plan *plan, int t) {
    if (t < 0) {
        add_u64(s, UINT64_MAX);
        return;
    }
    add_u64(s, (uint64_t)plan->place[t].kind);
    add_u64(s, (uint64_t)plan->place[t].index);
}

/* What the key covers, and why the weights' bytes are in it. Compiled code depends on:
 *  - the graph's structure: ops, attributes, dtypes and shapes (all literals in the code),
 *    node order and every tensor's placement (eval fallbacks' node indices, the plan's
 *    io/weights slots and arena offsets);
 *  - the values of the constants a lowering reads while generating code: they become
 *    literals or constant tables (Reshape/Slice/Pad/axes inputs, Gather's constant
 *    indices, BatchNormalization's folded parameters, Dropout's ratio, ...). Lowerings
 *    read any constant input they like, straight from tensor data, so there is no list of
 *    which constants those are;
 *  - not the values of the weights a kernel reads at run time (MatMul / packed panels,
 *    embeddings): they are data, reached through the weights table that a load or rebind
 *    rebuilds from the graph.
 * A program compiled for one set of weights may therefore be reused only for the same
 * values of every constant, so the key hashes every constant's bytes (XXH3, about memory
 * speed: ~40 ms on a 0.1B-parameter model). Cheaper identities were considered and
 * rejected: a mapped .odin file's (device, inode, mtime, size, offset) names different
 * bytes when the file is rewritten in place within the clock's granularity, and graphs
 * cloned for a session point into their parent's mapping without knowing the file; a
 * memo by data address is wrong once the memory is unmapped and reused by another model.
 * A content hash written into the .odin file at save time would be the cheap and sound
 * scheme (ir/ would carry it). Each tensor is hashed once here: odin_graph_hash would
 * hash every constant a second time, so its parts are taken from the tensor hashes. */
odin_status odin_compile_key(const odin_graph *g, const odin_target *t,
                             const odin_compile_options *o, uint64_t *key) {
    *key = 0;
    uint64_t *th = malloc(sizeof *th * (size_t)(g->n_tensors ? g->n_tensors : 1));
    XXH3_state_t *s = XXH3_createState();
    odin_plan plan = {0};
    odin_status st = th && s ? odin_graph_tensor_hashes(g, th) : odin_errorf("out of memory");
    if (!st) st = odin_plan_build(g, odin_elem_fusable, o->fuse, &plan);
    if (!st) {
        XXH3_64bits_reset(s);
        add_str(s, KEY_VERSION);
        add_build(s);
        add_u64(s, (uint64_t)g->opset);
        add_u64(s, (uint64_t)g->opset_ms);
        /* every tensor (constants by content, the rest by type and producer), in index
         * order: finer than odin_graph_hash's multiset, as the code is */
        add_u64(s, (uint64_t)g->n_tensors);
        XXH3_64bits_update(s, th, sizeof *th * (size_t)g->n_tensors);
        add_u64(s, (uint64_t)g->n_nodes);
        for (int i = 0; i < g->n_nodes; i++) {
            const odin_node *n = &g->nodes[i];
            add_u64(s, odin_node_hash(g, i, th));
            for (int k = 0; k < n->n_inputs; k++) add_place(s, &plan, n->inputs[k]);
            for (int k = 0; k < n->n_outputs; k++) add_place(s, &plan, n->outputs[k]);
        }
        add_u64(s, (uint64_t)g->n_inputs);
        for (int i = 0; i < g->n_inputs; i++) {
            const odin_tensor *in = &g->tensors[g->inputs[i]];
            add_u64(s, (uint64_t)g->inputs[i]);
            add_place(s, &plan, g->inputs[i]);
            add_u64(s, (uint64_t)in->rank);
            for (int d = 0; d < in->rank; d++) add_u64(s, (uint64_t)in->dims[d]);
        }
        add_u64(s, (uint64_t)g->n_outputs);
        for (int i = 0; i < g->n_outputs; i++) {
            add_u64(s, (uint64_t)g->outputs[i]);
            add_place(s, &plan, g->outputs[i]);
        }
        add_u64(s, (uint64_t)plan.n_groups);
        for (int i = 0; i < plan.n_groups; i++) {
            add_u64(s, (uint64_t)plan.groups[i].first);
            add_u64(s, (uint64_t)plan.groups[i].count);
            add_u64(s, plan.groups[i].elementwise);
        }
        XXH3_64bits_update(s, plan.group_nodes, sizeof *plan.group_nodes * (size_t)plan.n_group_nodes);
        add_u64(s, (uint64_t)plan.n_weights);
        add_u64(s, (uint64_t)plan.arena_bytes);
        add_str(s, t->triple);
        add_str(s, t->cpu);
        add_str(s, t->features);
        add_u64(s, (uint64_t)o->opt_level);
        add_u64(s, (uint64_t)o->fuse << 2 | (uint64_t)o->allow_fallback << 1 | o->profile);
        *key = XXH3_64bits_digest(s);
    }
    odin_plan_free(&plan);
    XXH3_freeState(s);
    free(th);
    return st;
}

static void remember(uint64_t key, odin_program *p) {
    entry *e = calloc(1, sizeof *e);
    if (!e) return; /* not cached: the caller's program leaks until exit, harmlessly */
    e->key = key;
    e->program = p;
    HASH_ADD(hh, memory, key, sizeof e->key, e);
    while (HASH_COUNT(memory) > ODIN_JIT_CACHE_ENTRIES) {
        entry *oldest = memory;
        HASH_DEL(memory, oldest);
        odin_program_free(oldest->program);
        free(oldest);
    }
}

void odin_jit_cache_clear(void) {
    entry *e, *tmp;
    HASH_ITER(hh, memory, e, tmp) {
        HASH_DEL(memory, e);
        odin_program_free(e->program);
        free(e);
    }
}

void *odin_cache_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    *size = 0;
    if (!f) return NULL;
    void *buf = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n))) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    *size = buf ? (size_t)n : 0;
    return buf;
}

odin_status odin_cache_write_file(const char *dir, const char *path, const void *data, size_t size) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return odin_errorf("--cache-dir %s: cannot create directory: %s", dir, strerror(errno));
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return odin_errorf("%s: cannot write: %s", tmp, strerror(errno));
    bool ok = fwrite(data, 1, size, f) == size;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        odin_status st = odin_errorf("%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        return st;
    }
    return ODIN_OK;
}

odin_status odin_jit_get(const odin_graph *g, const odin_compile_options *o,
                         const char *cache_dir, odin_program **out, odin_cache_result *how) {
    *out = NULL;
    double t0 = odin_now_ms();
    odin_target host;
    uint64_t key;
    ODIN_TRY(odin_target_host(&host));
    ODIN_TRY(odin_compile_key(g, &host, o, &key));
    if (getenv("ODIN_COMPILE_TIMES")) fprintf(stderr, "cache key %.1f ms\n", odin_now_ms() - t0);
    entry *e;
    HASH_FIND(hh, memory, &key, sizeof key, e);
    if (e) {
        ODIN_TRY(odin_program_rebind(e->program, g, o));
        odin_program_set_compile_ms(e->program, odin_now_ms() - t0);
        *how = ODIN_CACHE_MEMORY;
        *out = e->program;
        return ODIN_OK;
    }
    char path[4096] = "";
    if (cache_dir)
        snprintf(path, sizeof path, "%s/%016llx.o", cache_dir, (unsigned long long)key);
    size_t size = 0;
    void *obj = cache_dir ? odin_cache_read_file(path, &size) : NULL;
    odin_program *p = NULL;
    *how = ODIN_CACHE_DISK;
    if (obj) {
        odin_status st = odin_program_load(g, o, &host, obj, size, &p);
        if (st) odin_status_free(st); /* a damaged file: compile again and replace it */
        free(obj);
        obj = NULL;
    }
    if (!p) {
        *how = ODIN_CACHE_MISS;
        odin_status st = odin_program_object(g, o, &host, &obj, &size);
        if (!st) st = odin_program_load(g, o, &host, obj, size, &p);
        if (!st && cache_dir) st = odin_cache_write_file(cache_dir, path, obj, size);
        free(obj);
        if (st) {
            odin_program_free(p);
            return st;
        }
    }
    odin_program_set_compile_ms(p, odin_now_ms() - t0);
    remember(key, p);
    *out = p;
    return ODIN_OK;
}
