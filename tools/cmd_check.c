/* tools/cmd_check.c — `odinc check DIR`: run an ONNX backend-test directory
 * (DIR/model.onnx, DIR/test_data_set_N/input_N.pb and output_N.pb) on an engine (the JIT
 * by default, or the reference interpreter) and compare every output with
 * numpy.testing.assert_allclose semantics.
 * Prints PASS, or one "FAIL: <output> <reason>" line per mismatching output, or
 * "UNSUPPORTED: ..." / "ERROR: ...". Exit 0 pass, 1 fail or error, 3 unsupported ops,
 * 2 usage. With several directories (or --summary) it prints one line per directory,
 * "STATUS<TAB>DIR<TAB>first message", flushed as each finishes (the conformance script
 * runs batches this way and re-runs a crashed batch's remaining tests one by one). `--list-ops` prints the model's op types (read straight from the protobuf, so
 * it works for models the importer rejects), for grouping conformance results. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../codegen/engine.h"
#include "../codegen/lower_query.h"
#include "../frontend/load.h"
#include "../frontend/onnx_tensor.h"
#include "../ops/interpret.h"
#include "../runtime/compare.h"
#include "cli.h"
#include "onnx.pb-c.h"

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_UNSUPPORTED = 3 };

static void usage(FILE *f) {
    fprintf(f,
            "usage: odinc check DIR... [--engine jit|ref] [-O0..-O3] [--rtol R] [--atol A]\n"
            "                          [--summary] [--list-ops] [--fallbacks]\n\n"
            "Runs DIR/model.onnx on every DIR/test_data_set_*/input_N.pb and compares with\n"
            "output_N.pb: |actual - expected| <= atol + rtol*|expected| (defaults rtol 1e-3,\n"
            "atol 1e-5); integers, bools and strings exactly. Prints PASS, FAIL: lines,\n"
            "UNSUPPORTED: or ERROR:. Exit 0 pass, 1 fail/error, 3 unsupported ops.\n"
            "Engines: jit (default; one compile serves every data set) or ref.\n"
            "Several DIRs or --summary: one line per directory, STATUS<TAB>DIR<TAB>message.\n"
            "--list-ops prints the model's op types, one per line.\n"
            "--fallbacks (jit): print FALLBACK<TAB>DIR<TAB>ops to stderr for the nodes that\n"
            "run their reference eval instead of compiled code.\n");
}

static bool is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- --list-ops ---- */

static void list_graph_ops(const Onnx__GraphProto *g, char ***seen, size_t *n_seen) {
    if (!g) return;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *n = g->node[i];
        char name[256];
        const char *dom = n->domain ? n->domain : "";
        bool std = !*dom || !strcmp(dom, "ai.onnx");
        snprintf(name, sizeof name, "%s%s%s", std ? "" : dom, std ? "" : ".",
                 n->op_type ? n->op_type : "?");
        bool dup = false;
        for (size_t k = 0; k < *n_seen && !dup; k++) dup = !strcmp((*seen)[k], name);
        if (!dup) {
            char **grown = realloc(*seen, (*n_seen + 1) * sizeof **seen);
            if (grown) {
                *seen = grown;
                (*seen)[(*n_seen)++] = strdup(name);
            }
        }
        for (size_t a = 0; a < n->n_attribute; a++) { /* If / Loop / Scan bodies */
            const Onnx__AttributeProto *at = n->attribute[a];
            list_graph_ops(at->g, seen, n_seen);
            for (size_t k = 0; k < at->n_graphs; k++) list_graph_ops(at->graphs[k], seen, n_seen);
        }
    }
}

static int list_ops(const char *model) {
    FILE *f = fopen(model, "rb");
    if (!f) return odin_cli_fail(odin_errorf("%s: cannot open: %s", model, strerror(errno)));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf && (n += fread(buf + n, 1, cap - n, f)) == cap) {
        uint8_t *grown = realloc(buf, cap *= 2);
        if (!grown) free(buf);
        buf = grown;
    }
    fclose(f);
    if (!buf) return odin_cli_fail(odin_errorf("%s: out of memory", model));
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, n, buf);
    free(buf);
    if (!m) return odin_cli_fail(odin_errorf("%s: not a valid ONNX model", model));
    char **seen = NULL;
    size_t n_seen = 0;
    list_graph_ops(m->graph, &seen, &n_seen);
    for (size_t i = 0; i < n_seen; i++) {
        printf("%s\n", seen[i]);
        free(seen[i]);
    }
    free(seen);
    onnx__model_proto__free_unpacked(m, NULL);
    return EXIT_PASS;
}

/* ---- running the data sets ---- */

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of DIR's test_data_set_* subdirectories; NULL-free list of *n. */
static char **data_sets(const char *dir, int *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_data_set_", 14) != 0) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) break;
            names = grown;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (*n) qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

/* Reads <set>/<prefix>_0.pb, _1.pb, ... until one is missing. */
static odin_status read_pbs(const char *set, const char *prefix, odin_value **vals, int *n) {
    *vals = NULL;
    *n = 0;
    for (;;) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s_%d.pb", set, prefix, *n);
        if (!is_file(path)) return ODIN_OK;
        odin_value *grown = realloc(*vals, (*n + 1) * sizeof **vals);
        if (!grown) return odin_errorf("out of memory");
        *vals = grown;
        ODIN_TRY(odin_pb_read_tensor(path, &(*vals)[*n], NULL));
        (*n)++;
    }
}

static void free_pbs(odin_value *vals, int n) {
    for (int i = 0; i < n; i++) odin_onnx_value_free(&vals[i]);
    free(vals);
}

static bool is_unsupported(odin_status st) {
    const char *m = odin_status_message(st);
    /* The importer's "N unsupported op(s): ..." and the interpreter's "unsupported op". */
    return strstr(m, "unsupported op") != NULL;
}

/* NumPy has no bfloat16, so the backend-test generator stored bf16 tensors as UINT16
 * with the same bits; read them as bf16 where the model says bf16. */
static void relabel_bf16(odin_value *v, odin_dtype want) {
    if (want == ODIN_BF16 && v->dtype == ODIN_U16) v->dtype = ODIN_BF16;
}

typedef struct check_opts {
    double rtol, atol;
    odin_engine_options engine;
    bool fallbacks; /* --fallbacks: name the nodes that ran their eval from JIT code */
    const char *dir;
    FILE *out; /* where PASS / FAIL / ERROR lines go */
} check_opts;

/* --fallbacks: one stderr line "FALLBACK<TAB>DIR<TAB>op, op..." naming each node the
 * program runs through its reference eval (nothing when everything is compiled). */
static void report_fallbacks(const odin_program *p, const char *dir) {
    int nodes[64];
    int n = odin_program_fallback_nodes(p, nodes, 64);
    if (!n) return;
    const odin_graph *g = odin_program_graph(p);
    fprintf(stderr, "FALLBACK\t%s\t", dir ? dir : "-");
    for (int i = 0; i < n && i < 64; i++)
        fprintf(stderr, "%s%s", i ? ", " : "", g->nodes[nodes[i]].op);
    fprintf(stderr, "%s\n", n > 64 ? ", ..." : "");
}

/* Runs one data set; prints FAIL lines. Returns EXIT_* (errors printed too). */
static int run_set(odin_graph *g, const char *set_path, const char *set_name,
                   bool many_sets, const check_opts *o) {
    odin_value *ins = NULL, *exp = NULL, *bound = NULL, *outs = NULL;
    int n_ins = 0, n_exp = 0, rc = EXIT_PASS;
    odin_status st = read_pbs(set_path, "input", &ins, &n_ins);
    if (!st) st = read_pbs(set_path, "output", &exp, &n_exp);
    int n_free = 0; /* graph inputs that take data (not initializers listed as inputs) */
    for (int i = 0; !st && i < g->n_inputs; i++)
        if (!(g->tensors[g->inputs[i]].flags & ODIN_TENSOR_CONST)) n_free++;
    if (!st && n_ins != n_free)
        st = odin_errorf("%s has %d input files, the model takes %d inputs", set_name, n_ins, n_free);
    if (!st && n_exp != g->n_outputs)
        st = odin_errorf("%s has %d output files, the model has %d outputs", set_name, n_exp,
                         g->n_outputs);
    if (!st) {
        bound = calloc(g->n_inputs ? g->n_inputs : 1, sizeof *bound);
        outs = calloc(g->n_outputs ? g->n_outputs : 1, sizeof *outs);
        if (!bound || !outs) st = odin_errorf("out of memory");
    }
    /* input_N is the N-th graph input that is not an initializer. */
    for (int i = 0, k = 0; !st && i < g->n_inputs; i++) {
        int t = g->inputs[i];
        bound[i] = (g->tensors[t].flags & ODIN_TENSOR_CONST) ? odin_tensor_value(g, t) : ins[k++];
        relabel_bf16(&bound[i], g->tensors[t].dtype);
    }
    if (!st && o->fallbacks && o->engine.engine == ODIN_ENGINE_JIT) {
        odin_program *p = NULL;
        odin_cache_result how;
        st = odin_engine_prepare(g, bound, &o->engine, &p, &how);
        if (!st) {
            report_fallbacks(p, o->dir);
            st = odin_engine_run(p, bound, outs);
        }
    } else if (!st) {
        st = odin_execute_with(g, &o->engine, bound, outs);
    }
    if (st) {
        bool unsup = is_unsupported(st);
        fprintf(o->out, "%s: %s%s%s\n", unsup ? "UNSUPPORTED" : "ERROR", odin_status_message(st),
               many_sets ? " in " : "", many_sets ? set_name : "");
        odin_status_free(st);
        rc = unsup ? EXIT_UNSUPPORTED : EXIT_FAIL;
    } else {
        for (int i = 0; i < g->n_outputs; i++) {
            odin_compare_result r;
            relabel_bf16(&exp[i], outs[i].dtype);
            if (odin_value_compare(&outs[i], &exp[i], o->rtol, o->atol, &r)) continue;
            fprintf(o->out, "FAIL: %s %s%s%s\n", g->tensors[g->outputs[i]].name, r.message,
                   many_sets ? " in " : "", many_sets ? set_name : "");
            rc = EXIT_FAIL;
        }
        odin_values_free(outs, g->n_outputs);
    }
    free(outs);
    free(bound);
    free_pbs(ins, n_ins);
    free_pbs(exp, n_exp);
    return rc;
}

static int check(const char *dir, check_opts *o) {
    o->dir = dir;
    char model[4096];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    odin_graph *g = NULL;
    odin_status st = odin_load_model(model, &g);
    if (st) {
        bool unsup = is_unsupported(st);
        fprintf(o->out, "%s: %s\n", unsup ? "UNSUPPORTED" : "ERROR", odin_status_message(st));
        odin_status_free(st);
        return unsup ? EXIT_UNSUPPORTED : EXIT_FAIL;
    }
    /* Ops the registry does not know: report them all at once, by name. */
    char missing[1024] = "";
    size_t len = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const odin_node *n = &g->nodes[i];
        if (n->def) continue;
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", n->domain && *n->domain ? n->domain : "",
                 n->domain && *n->domain ? "." : "", n->op);
        if (strstr(missing, name)) continue;
        int k = snprintf(missing + len, sizeof missing - len, "%s%s", len ? ", " : "", name);
        if (k > 0 && len + (size_t)k < sizeof missing) len += (size_t)k;
    }
    if (len) {
        fprintf(o->out, "UNSUPPORTED: %s: unsupported op %s\n", model, missing);
        odin_graph_free(g);
        return EXIT_UNSUPPORTED;
    }
    int n_sets = 0;
    char **sets = data_sets(dir, &n_sets);
    int rc = EXIT_PASS;
    if (!n_sets) {
        fprintf(o->out, "ERROR: %s: no test_data_set_* directories\n", dir);
        rc = EXIT_FAIL;
    }
    for (int i = 0; i < n_sets; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, sets[i]);
        int r = run_set(g, path, sets[i], n_sets > 1, o);
        if (r > rc || (r == EXIT_FAIL && rc == EXIT_PASS)) rc = r;
        free(sets[i]);
    }
    free(sets);
    odin_jit_cache_clear(); /* programs point into g */
    odin_graph_free(g);
    if (rc == EXIT_PASS) fprintf(o->out, "PASS\n");
    return rc;
}

static const char *status_name(int rc) {
    return rc == EXIT_PASS ? "PASS" : rc == EXIT_UNSUPPORTED ? "UNSUPPORTED" : "FAIL";
}

/* One line for dir: STATUS<TAB>DIR<TAB>first line of the usual output. FAIL becomes
 * ERROR when no output mismatched (the run itself failed), as the single mode tells by
 * its lines. */
static int check_summary(const char *dir, check_opts *o) {
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    if (!mem) return odin_cli_fail(odin_errorf("out of memory"));
    o->out = mem;
    int rc = is_dir(dir) ? check(dir, o) : (fprintf(mem, "ERROR: %s: not a directory\n", dir), EXIT_FAIL);
    fclose(mem);
    o->out = stdout;
    const char *first = text ? text : "";
    size_t len = strcspn(first, "\n");
    const char *status = status_name(rc);
    if (rc == EXIT_FAIL && strncmp(first, "FAIL", 4) != 0) status = "ERROR";
    printf("%s\t%s", status, dir);
    if (rc != EXIT_PASS) {
        printf("\t");
        for (size_t i = 0; i < len; i++) putchar(first[i] == '\t' ? ' ' : first[i]);
    }
    printf("\n");
    fflush(stdout);
    free(text);
    return rc;
}

static bool parse_double(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= 0)) return false;
    *out = v;
    return true;
}

int odin_cmd_check(int argc, char **argv) {
    check_opts o = {.rtol = 1e-3, .atol = 1e-5, .out = stdout};
    const char *engine = "jit";
    const char **dirs = calloc((size_t)argc, sizeof *dirs);
    int n_dirs = 0, opt_level = -1;
    bool want_ops = false, summary = false;
    if (!dirs) return odin_cli_fail(odin_errorf("out of memory"));
    int rc = -1;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *val = NULL;
        bool missing = false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            rc = 0;
        } else if (!strcmp(argv[i], "--list-ops")) {
            want_ops = true;
        } else if (!strcmp(argv[i], "--fallbacks")) {
            o.fallbacks = true;
        } else if (!strcmp(argv[i], "--summary")) {
            summary = true;
        } else if (odin_cli_opt(argc, argv, &i, "--engine", &val, &missing)) {
            if (!missing) engine = val;
        } else if (odin_cli_opt(argc, argv, &i, "--rtol", &val, &missing)) {
            if (!missing && !parse_double(val, &o.rtol))
                rc = odin_cli_usage(argv[0], "--rtol expects a non-negative number, got '%s'", val);
        } else if (odin_cli_opt(argc, argv, &i, "--atol", &val, &missing)) {
            if (!missing && !parse_double(val, &o.atol))
                rc = odin_cli_usage(argv[0], "--atol expects a non-negative number, got '%s'", val);
        } else if (!strncmp(argv[i], "-O", 2) && argv[i][2] >= '0' && argv[i][2] <= '3' && !argv[i][3]) {
            opt_level = argv[i][2] - '0';
        } else if (argv[i][0] == '-' && argv[i][1]) {
            rc = odin_cli_usage(argv[0], "unknown option '%s'", argv[i]);
        } else {
            dirs[n_dirs++] = argv[i];
        }
        if (missing) rc = odin_cli_usage(argv[0], "%s needs a value", argv[i]);
    }
    if (rc < 0 && !n_dirs) rc = odin_cli_usage(argv[0], "no test directory given");
    if (rc < 0 && want_ops) {
        rc = EXIT_PASS;
        for (int i = 0; i < n_dirs; i++) {
            char model[4096];
            snprintf(model, sizeof model, "%s/model.onnx", dirs[i]);
            int r = list_ops(is_dir(dirs[i]) ? model : dirs[i]);
            if (r > rc) rc = r;
        }
    }
    odin_engine e = ODIN_ENGINE_JIT;
    if (rc < 0) {
        odin_status st = odin_engine_parse(engine, &e);
        if (st) {
            rc = odin_cli_usage(argv[0], "%s", odin_status_message(st));
            odin_status_free(st);
        }
    }
    if (rc < 0) {
        o.engine = odin_engine_defaults(e);
        o.engine.opt_level = opt_level;
        if (n_dirs == 1 && !summary) {
            rc = is_dir(dirs[0]) ? check(dirs[0], &o)
                                 : odin_cli_fail(odin_errorf("%s: not a directory", dirs[0]));
        } else {
            rc = EXIT_PASS;
            for (int i = 0; i < n_dirs; i++) {
                int r = check_summary(dirs[i], &o);
                if (r > rc || (r == EXIT_FAIL && rc == EXIT_PASS)) rc = r;
            }
        }
    }
    free(dirs);
    return rc;
}
