/* tools/cmd_run.c — `odinc run MODEL`: bind inputs (from .npy / .pb files, or seeded
 * random data from the declared shapes), run an engine, print each output's summary and
 * optionally write the outputs as .npy files. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../frontend/load.h"
#include "../frontend/onnx_tensor.h"
#include "../ops/interpret.h"
#include "../runtime/npy.h"
#include "../runtime/values.h"
#include "cli.h"

#define MAX_BINDINGS 64

typedef struct binding {
    const char *name;  /* text before '=' */
    const char *value; /* text after '=' */
} binding;

typedef struct run_opts {
    const char *model, *engine, *out_dir;
    uint64_t seed;
    binding inputs[MAX_BINDINGS], shapes[MAX_BINDINGS];
    int n_inputs, n_shapes;
} run_opts;

static void usage(FILE *f) {
    fprintf(f,
            "usage: odinc run MODEL [--engine ref] [--input NAME=FILE.npy|FILE.pb ...]\n"
            "                 [--shape NAME=d0,d1,... ...] [--seed S] [--out DIR]\n\n"
            "Runs MODEL (.onnx or .odin). Inputs without --input get seeded random data:\n"
            "floats uniform in [-1,1], integers in [0,3], random bools. --shape binds the\n"
            "shape of input NAME, or a symbolic dimension NAME (--shape batch=1).\n"
            "--out DIR writes DIR/<output>.npy. Engines: ref (reference interpreter).\n");
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

/* A file name from an output name: only [A-Za-z0-9._-], never hidden or empty. */
static void sanitize(char *dst, size_t size, const char *name, int index) {
    size_t n = 0;
    for (const char *p = name; *p && n + 1 < size; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || (c == '.' && n > 0);
        dst[n++] = ok ? c : '_';
    }
    dst[n] = '\0';
    if (n == 0) snprintf(dst, size, "output_%d", index);
}

static odin_status write_outputs(const odin_graph *g, const odin_value *outs, const char *dir) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return odin_errorf("--out %s: cannot create directory: %s", dir, strerror(errno));
    for (int i = 0; i < g->n_outputs; i++) {
        char file[200], path[4096];
        sanitize(file, sizeof file, g->tensors[g->outputs[i]].name, i);
        /* Two outputs whose names sanitize alike must not overwrite each other. */
        for (int k = 0; k < i; k++) {
            char other[200];
            sanitize(other, sizeof other, g->tensors[g->outputs[k]].name, k);
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

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run(const run_opts *o) {
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
    double t0 = now_ms(), t1 = t0;
    if (!st) {
        st = odin_interpret(g, ins, n, outs);
        t1 = now_ms();
    }
    if (!st) {
        for (int i = 0; i < g->n_outputs; i++) {
            char shape[160], summary[512];
            odin_format_shape(shape, sizeof shape, outs[i].rank, outs[i].dims, NULL);
            odin_value_summary(&outs[i], summary, sizeof summary);
            printf("%s: %s %s %s\n", g->tensors[g->outputs[i]].name, odin_dtype_name(outs[i].dtype),
                   shape, summary);
        }
        printf("engine %s: %.3f ms\n", o->engine, t1 - t0);
        if (o->out_dir) st = write_outputs(g, outs, o->out_dir);
        /* Not free_value: string elements of outputs may point into the graph. */
        odin_values_free(outs, g->n_outputs);
    }
    if (st) rc = odin_cli_fail(odin_status_prefix(st, "%s", o->model));
    for (int i = 0; ins && owned && i < n; i++)
        if (owned[i]) free_value(&ins[i]);
    free(ins);
    free(owned);
    free(outs);
    odin_graph_free(g);
    return rc;
}

int odin_cmd_run(int argc, char **argv) {
    run_opts o = {.engine = "ref", .seed = 0};
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
    if (strcmp(o.engine, "ref") != 0)
        return odin_cli_usage(argv[0], "engine '%s' is not available yet; only 'ref' (the "
                              "reference interpreter) is", o.engine);
    return run(&o);
}
