/* tools/cmd_run.c — `odinc run MODEL`: bind inputs (from .npy / .pb files, or seeded
 * random data from the declared shapes), run an engine (the JIT by default, or the
 * reference interpreter), print each output's summary and optionally write the outputs as
 * .npy files. --bench times N runs after a warm-up and prints a JSON line last; --profile
 * prints time per compiled kernel. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "../codegen/engine.h"
#include "../frontend/load.h"
#include "../frontend/onnx_tensor.h"
#include "../ops/interpret.h"
#include "../runtime/npy.h"
#include "../runtime/profile.h"
#include "../runtime/report.h"
#include "../runtime/threads.h"
#include "../runtime/values.h"
#include "cli.h"
#include "profile_report.h"

#define MAX_BINDINGS 64

typedef struct binding {
    const char *name;  /* text before '=' */
    const char *value; /* text after '=' */
} binding;

typedef struct run_opts {
    const char *model, *engine, *out_dir, *cache_dir;
    uint64_t seed;
    int bench;     /* timed runs after a warm-up (0: one run) */
    int threads;   /* 0: the machine's cores */
    int opt_level; /* -1: defaults */
    bool profile;
    binding inputs[MAX_BINDINGS], shapes[MAX_BINDINGS];
    int n_inputs, n_shapes;
} run_opts;

static void usage(FILE *f) {
    fprintf(f,
            "usage: odinc run MODEL [--engine jit|ref] [--input NAME=FILE.npy|FILE.pb ...]\n"
            "                 [--shape NAME=d0,d1,... ...] [--seed S] [--out DIR]\n"
            "                 [-O0|-O1|-O2|-O3] [--threads N] [--cache-dir DIR]\n"
            "                 [--bench N] [--profile]\n\n"
            "Runs MODEL (.onnx or .odin). Inputs without --input get seeded random data:\n"
            "floats uniform in [-1,1], integers in [0,3], random bools. --shape binds the\n"
            "shape of input NAME, or a symbolic dimension NAME (--shape batch=1).\n"
            "--out DIR writes DIR/<output>.npy.\n"
            "Engines: jit (default: graph passes, LLVM, run) or ref (reference interpreter).\n"
            "-O0..-O3 pick the graph pass pipeline and the LLVM level (default -O2).\n"
            "--threads N sizes the thread pool (default: all cores).\n"
            "--cache-dir DIR keeps compiled object files in DIR/<key>.o; a later run with\n"
            "the same model, shapes, target and options loads it and skips LLVM.\n"
            "--bench N times N runs after a warm-up run and prints, as the last line, a\n"
            "JSON object: model, engine, threads, opt, cache, compile_ms, compile_cpu_ms,\n"
            "median_ms, min_ms, iters, arena_bytes, fallbacks, peak_rss_mb. --profile\n"
            "(jit) prints time per compiled kernel, after the runs.\n");
}

static odin_status parse_binding(const char *flag, const char *arg, binding *list, int *n) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) return odin_errorf("%s expects NAME=VALUE, got '%s'", flag, arg);
    if (*n >= MAX_BINDINGS) return odin_errorf("too many %s options", flag);
    list[*n].name = arg;
    list[*n].value = eq + 1;
    (*n)++;
    return ODIN_OK;
}

static const char *find_binding(const binding *list, int n, const char *name) {
    size_t len = strlen(name);
    for (int i = n - 1; i >= 0; i--) /* the last one given wins */
        if (list[i].value - 1 - list[i].name == (ptrdiff_t)len && !strncmp(list[i].name, name, len))
            return list[i].value;
    return NULL;
}

/* "1,128" -> dims. */
static odin_status parse_dims(const char *text, int *rank, int64_t *dims) {
    *rank = 0;
    const char *p = text;
    if (!strcmp(p, "") || !strcmp(p, "scalar")) return ODIN_OK;
    for (;;) {
        char *end;
        errno = 0;
        long long d = strtoll(p, &end, 10);
        if (end == p || d < 0 || errno) return odin_errorf("bad dimension list '%s'", text);
        if (*rank >= ODIN_MAX_RANK) return odin_errorf("'%s' has more than %d dims", text, ODIN_MAX_RANK);
        dims[(*rank)++] = d;
        if (*end == '\0') return ODIN_OK;
        if (*end != ',') return odin_errorf("bad dimension list '%s'", text);
        p = end + 1;
    }
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* The shape input t runs with: --shape for the input, else its declared dims with
 * symbolic ones bound by --shape SYMBOL=N. */
static odin_status input_shape(const odin_graph *g, int t, const run_opts *o, odin_value *v) {
    const odin_tensor *tt = &g->tensors[t];
    const char *given = find_binding(o->shapes, o->n_shapes, tt->name);
    if (given) return odin_status_prefix(parse_dims(given, &v->rank, v->dims), "--shape %s", tt->name);
    if (tt->rank < 0)
        return odin_errorf("input '%s' has unknown rank: give its shape with --shape %s=d0,d1,...",
                           tt->name, tt->name);
    v->rank = tt->rank;
    for (int d = 0; d < tt->rank; d++) {
        v->dims[d] = tt->dims[d];
        if (tt->dims[d] >= 0) continue;
        const char *sym = tt->dim_params[d];
        const char *bound = sym ? find_binding(o->shapes, o->n_shapes, sym) : NULL;
        char *end;
        long long x = bound ? strtoll(bound, &end, 10) : -1;
        if (!bound || *end || x < 0) {
            if (sym)
                return odin_errorf("input '%s': dimension %d is symbolic ('%s'): bind it with "
                                   "--shape %s=N or --shape %s=d0,d1,...",
                                   tt->name, d, sym, sym, tt->name);
            return odin_errorf("input '%s': dimension %d is unknown: give the shape with "
                               "--shape %s=d0,d1,...", tt->name, d, tt->name);
        }
        v->dims[d] = x;
    }
    return ODIN_OK;
}

static void free_value(odin_value *v) {
    if (v->dtype == ODIN_STRING) odin_onnx_value_free(v);
    else free(v->data);
    v->data = NULL;
}

/* Values for every graph input, in graph order; constant inputs (initializers listed as
 * inputs) keep their data, which the caller must not free (owned[i] false). */
static odin_status bind_inputs(const odin_graph *g, const run_opts *o, odin_value *vals,
                               bool *owned) {
    for (int i = 0; i < o->n_inputs; i++) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(o->inputs[i].value - 1 - o->inputs[i].name),
                 o->inputs[i].name);
        int t = odin_graph_find_tensor(g, name);
        bool is_input = false;
        for (int k = 0; k < g->n_inputs && !is_input; k++) is_input = g->inputs[k] == t;
        if (!is_input) return odin_errorf("--input %s: the model has no input named '%s'", name, name);
    }
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        const odin_tensor *tt = &g->tensors[t];
        const char *file = find_binding(o->inputs, o->n_inputs, tt->name);
        owned[i] = false;
        if (!file && (tt->flags & ODIN_TENSOR_CONST)) {
            vals[i] = odin_tensor_value(g, t);
            continue;
        }
        if (file) {
            odin_status st = ends_with(file, ".pb") ? odin_pb_read_tensor(file, &vals[i], NULL)
                                                    : odin_npy_read_file(file, &vals[i]);
            if (st) return odin_status_prefix(st, "input '%s'", tt->name);
            owned[i] = true;
            if (vals[i].dtype != tt->dtype)
                return odin_errorf("input '%s': %s holds %s data, the model wants %s", tt->name,
                                   file, odin_dtype_name(vals[i].dtype), odin_dtype_name(tt->dtype));
            continue;
        }
        vals[i] = (odin_value){.dtype = tt->dtype};
        ODIN_TRY(input_shape(g, t, o, &vals[i]));
        /* A different stream per input, so equal shapes do not get equal data. */
        odin_status st = odin_value_fill_random(&vals[i], o->seed * 1000003u + (uint64_t)i);
        if (st) return odin_status_prefix(st, "input '%s'", tt->name);
        owned[i] = true;
    }
    return ODIN_OK;
}

static odin_status write_outputs(const odin_graph *g, const odin_value *outs, const char *dir) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return odin_errorf("--out %s: cannot create directory: %s", dir, strerror(errno));
    for (int i = 0; i < g->n_outputs; i++) {
        char file[200], path[4096];
        odin_npy_file_name(file, sizeof file, g->tensors[g->outputs[i]].name, i);
        /* Two outputs whose names sanitize alike must not overwrite each other. */
        for (int k = 0; k < i; k++) {
            char other[200];
            odin_npy_file_name(other, sizeof other, g->tensors[g->outputs[k]].name, k);
            if (!strcmp(other, file)) {
                snprintf(file + strlen(file), sizeof file - strlen(file), "_%d", i);
                break;
            }
        }
        snprintf(path, sizeof path, "%s/%s.npy", dir, file);
        ODIN_TRY(odin_npy_write_file(path, &outs[i]));
    }
    return ODIN_OK;
}

static void print_outputs(const odin_graph *g, const odin_value *outs) {
    for (int i = 0; i < g->n_outputs; i++) {
        char shape[160], summary[512];
        odin_format_shape(shape, sizeof shape, outs[i].rank, outs[i].dims, NULL);
        odin_value_summary(&outs[i], summary, sizeof summary);
        printf("%s: %s %s %s\n", g->tensors[g->outputs[i]].name, odin_dtype_name(outs[i].dtype),
               shape, summary);
    }
}

/* One more run of the engine into outs (same buffers for the JIT; fresh for ref). */
static odin_status run_again(odin_graph *g, odin_program *p, const odin_value *ins,
                             odin_value *outs, void **in_ptrs, void **out_ptrs) {
    if (p) return odin_program_run(p, in_ptrs, out_ptrs);
    odin_value *tmp = calloc(g->n_outputs ? g->n_outputs : 1, sizeof *tmp);
    if (!tmp) return odin_errorf("out of memory");
    odin_status st = odin_interpret(g, ins, g->n_inputs, tmp);
    if (!st) odin_values_free(tmp, g->n_outputs);
    free(tmp);
    (void)outs;
    return st;
}

/* The timed runs of --bench / --profile, then the profile table and the JSON line. */
static odin_status bench(odin_graph *g, odin_program *p, const run_opts *o, const odin_value *ins,
                         odin_value *outs, const char *cache, double compile_ms,
                         double compile_cpu) {
    int runs = o->bench > 0 ? o->bench : 1;
    double *ms = calloc((size_t)runs, sizeof *ms);
    void **in_ptrs = calloc((size_t)g->n_inputs + 1, sizeof *in_ptrs);
    void **out_ptrs = calloc((size_t)g->n_outputs + 1, sizeof *out_ptrs);
    odin_status st = ms && in_ptrs && out_ptrs ? ODIN_OK : odin_errorf("out of memory");
    for (int i = 0; i < g->n_inputs && !st; i++) in_ptrs[i] = ins[i].data;
    for (int i = 0; i < g->n_outputs && !st; i++) out_ptrs[i] = outs[i].data;
    if (!st && p && o->profile) odin_rt_profile_reset(odin_program_plan(p)->n_groups);
    for (int i = 0; i < runs && !st; i++) {
        double t0 = odin_now_ms();
        st = run_again(g, p, ins, outs, in_ptrs, out_ptrs);
        ms[i] = odin_now_ms() - t0;
    }
    if (!st && p && o->profile) odin_profile_print(stdout, g, odin_program_plan(p), runs);
    if (!st && o->bench > 0) {
        double median = odin_sort_median(ms, runs);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        char opt[16];
        snprintf(opt, sizeof opt, "O%d", o->opt_level >= 0 ? o->opt_level : 2);
        printf("{\"model\":");
        odin_print_json_string(stdout, o->model);
        printf(",\"engine\":\"%s\",\"threads\":%d,\"opt\":\"%s\",\"cache\":\"%s\",\"compile_ms\":%.3f,"
               "\"compile_cpu_ms\":%.3f,\"median_ms\":%.4f,\"min_ms\":%.4f,\"iters\":%d,\"arena_bytes\":%zu,"
               "\"fallbacks\":%d,\"peak_rss_mb\":%.1f}\n",
               p ? "jit" : "ref", p ? odin_rt_threads() : 1, p ? opt : "none", cache, compile_ms,
               compile_cpu, median, ms[0], runs, p ? odin_program_arena_bytes(p) : (size_t)0,
               p ? odin_program_fallback_count(p) : 0, ru.ru_maxrss / 1024.0);
    }
    free(ms);
    free(in_ptrs);
    free(out_ptrs);
    return st;
}

/* CPU time of this process: compile time that a busy machine does not inflate. */
static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run(const run_opts *o, odin_engine engine) {
    odin_graph *g = NULL;
    odin_status st = odin_load_model(o->model, &g);
    if (st) return odin_cli_fail(st);
    int n = g->n_inputs;
    odin_value *ins = calloc(n ? n : 1, sizeof *ins);
    bool *owned = calloc(n ? n : 1, sizeof *owned);
    odin_value *outs = calloc(g->n_outputs ? g->n_outputs : 1, sizeof *outs);
    int rc = 0;
    if (!ins || !owned || !outs) st = odin_errorf("out of memory");
    if (!st) st = bind_inputs(g, o, ins, owned);
    odin_rt_set_threads(o->threads);
    odin_program *p = NULL;
    const char *cache = "none";
    double compile_ms = 0, compile_cpu = 0;
    if (!st && engine == ODIN_ENGINE_JIT) {
        odin_engine_options eo = odin_engine_defaults(engine);
        eo.opt_level = o->opt_level;
        eo.profile = o->profile;
        eo.cache_dir = o->cache_dir;
        odin_cache_result how;
        double t0 = odin_now_ms(), c0 = cpu_ms();
        st = odin_engine_prepare(g, ins, &eo, &p, &how);
        compile_ms = odin_now_ms() - t0;
        compile_cpu = cpu_ms() - c0;
        if (!st) {
            cache = how == ODIN_CACHE_MISS ? "miss" : "hit";
            printf("compile: %.3f ms (%.3f ms CPU; cache %s%s), %d kernel groups in %d compiled "
                   "kernels, %d on the reference fallback, "
                   "arena %zu bytes\n", compile_ms, compile_cpu, cache,
                   how == ODIN_CACHE_DISK ? ", from disk" : how == ODIN_CACHE_MEMORY ? ", in memory" : "",
                   odin_program_plan(p)->n_groups, odin_program_kernel_count(p),
                   odin_program_fallback_count(p),
                   odin_program_arena_bytes(p));
        }
    }
    double t0 = odin_now_ms(), t1 = t0;
    if (!st) {
        st = p ? odin_engine_run(p, ins, outs) : odin_interpret(g, ins, n, outs);
        t1 = odin_now_ms();
    }
    if (!st) {
        print_outputs(g, outs);
        printf("engine %s: %.3f ms\n", o->engine, t1 - t0);
        if (o->bench > 0 || o->profile)
            st = bench(g, p, o, ins, outs, cache, compile_ms, compile_cpu);
        if (!st && o->out_dir) st = write_outputs(g, outs, o->out_dir);
        /* Not free_value: string elements of outputs may point into the graph. */
        odin_values_free(outs, g->n_outputs);
    }
    if (st) rc = odin_cli_fail(odin_status_prefix(st, "%s", o->model));
    for (int i = 0; ins && owned && i < n; i++)
        if (owned[i]) free_value(&ins[i]);
    free(ins);
    free(owned);
    free(outs);
    odin_jit_cache_clear(); /* the program points into g */
    odin_graph_free(g);
    return rc;
}

/* A positive integer option value. */
static bool parse_count(const char *text, int min, int *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < min || v > 1000000) return false;
    *out = (int)v;
    return true;
}

int odin_cmd_run(int argc, char **argv) {
    run_opts o = {.engine = "jit", .seed = 0, .opt_level = -1};
    for (int i = 1; i < argc; i++) {
        const char *val = NULL;
        bool missing = false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (odin_cli_opt(argc, argv, &i, "--engine", &val, &missing)) {
            o.engine = val;
        } else if (odin_cli_opt(argc, argv, &i, "--input", &val, &missing)) {
            if (!missing) {
                odin_status st = parse_binding("--input", val, o.inputs, &o.n_inputs);
                if (st) return odin_cli_fail(st);
            }
        } else if (odin_cli_opt(argc, argv, &i, "--shape", &val, &missing)) {
            if (!missing) {
                odin_status st = parse_binding("--shape", val, o.shapes, &o.n_shapes);
                if (st) return odin_cli_fail(st);
            }
        } else if (odin_cli_opt(argc, argv, &i, "--seed", &val, &missing)) {
            char *end;
            if (!missing) {
                errno = 0;
                o.seed = strtoull(val, &end, 10);
                if (end == val || *end || errno)
                    return odin_cli_usage(argv[0], "--seed expects a non-negative integer, got '%s'", val);
            }
        } else if (odin_cli_opt(argc, argv, &i, "--out", &val, &missing)) {
            o.out_dir = val;
        } else if (odin_cli_opt(argc, argv, &i, "--cache-dir", &val, &missing)) {
            o.cache_dir = val;
        } else if (odin_cli_opt(argc, argv, &i, "--bench", &val, &missing)) {
            if (!missing && !parse_count(val, 1, &o.bench))
                return odin_cli_usage(argv[0], "--bench expects a positive count, got '%s'", val);
        } else if (odin_cli_opt(argc, argv, &i, "--threads", &val, &missing)) {
            if (!missing && !parse_count(val, 1, &o.threads))
                return odin_cli_usage(argv[0], "--threads expects a positive count, got '%s'", val);
        } else if (!strcmp(argv[i], "--profile")) {
            o.profile = true;
        } else if (!strncmp(argv[i], "-O", 2)) {
            if (argv[i][2] < '0' || argv[i][2] > '3' || argv[i][3])
                return odin_cli_usage(argv[0], "unknown option '%s' (-O0, -O1, -O2 or -O3)", argv[i]);
            o.opt_level = argv[i][2] - '0';
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return odin_cli_usage(argv[0], "unknown option '%s'", argv[i]);
        } else if (!o.model) {
            o.model = argv[i];
        } else {
            return odin_cli_usage(argv[0], "more than one model given ('%s', '%s')", o.model, argv[i]);
        }
        if (missing) return odin_cli_usage(argv[0], "%s needs a value", argv[i]);
    }
    if (!o.model) return odin_cli_usage(argv[0], "no model given");
    odin_engine engine;
    odin_status st = odin_engine_parse(o.engine, &engine);
    if (st) {
        odin_cli_usage(argv[0], "%s", odin_status_message(st));
        odin_status_free(st);
        return 2;
    }
    if (o.profile && engine != ODIN_ENGINE_JIT)
        return odin_cli_usage(argv[0], "--profile needs the jit engine");
    return run(&o, engine);
}
