/* runtime/aot_main.c — the command line of an executable made by `odinc compile`:
 *   EXE [--threads N] [--bench N] [--out DIR] [--weights FILE] INPUT.npy...
 * Inputs in graph order; outputs are summarized on stdout and, with --out, written as
 * DIR/<output name>.npy. --bench prints the same JSON line as `odinc run --bench`.
 * The generated main() calls odin_aot_main with the model's descriptor. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "aot.h"
#include "npy.h"
#include "report.h"
#include "threads.h"
#include "values.h"

typedef struct main_opts {
    int threads, bench;
    const char *out_dir, *weights;
    const char **inputs;
    int n_inputs;
} main_opts;

static void print_tensor_line(FILE *f, const odin_aot_tensor *t) {
    fprintf(f, "  %-24s %s [", t->name, t->dtype_name);
    for (int64_t d = 0; d < t->rank; d++) fprintf(f, "%s%lld", d ? "," : "", (long long)t->dims[d]);
    fprintf(f, "]\n");
}

static void usage(FILE *f, const char *prog, const odin_aot_model *d) {
    fprintf(f,
            "usage: %s [--threads N] [--bench N] [--out DIR] [--weights FILE] INPUT.npy...\n\n"
            "Runs the ahead-of-time compiled model '%s' on .npy inputs given in this order:\n",
            prog, d->name);
    for (int64_t i = 0; i < d->n_inputs; i++) print_tensor_line(f, &d->inputs[i]);
    fprintf(f, "outputs:\n");
    for (int64_t i = 0; i < d->n_outputs; i++) print_tensor_line(f, &d->outputs[i]);
    fprintf(f,
            "\n--out DIR writes DIR/<output>.npy. --bench N times N runs after a warm-up and\n"
            "prints a JSON line. --threads N sizes the thread pool (default: all cores).\n");
    if (d->weights_file)
        fprintf(f, "--weights FILE reads the weights from FILE (default: %s next to this program).\n",
                d->weights_file);
}

static int parse_count(const char *text, int *out) {
    char *end;
    errno = 0;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || end == text || *end || errno || v < 1 || v > 1000000) return 0;
    *out = (int)v;
    return 1;
}

static odin_status write_outputs(const odin_aot_model *d, const odin_value *outs, const char *dir) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return odin_errorf("--out %s: cannot create directory: %s", dir, strerror(errno));
    for (int i = 0; i < d->n_outputs; i++) {
        char file[200], path[4096];
        odin_npy_file_name(file, sizeof file, d->outputs[i].name, i);
        for (int k = 0; k < i; k++) {
            char other[200];
            odin_npy_file_name(other, sizeof other, d->outputs[k].name, k);
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

static odin_status read_input(const odin_aot_tensor *t, const char *file, odin_value *v) {
    ODIN_TRY(odin_npy_read_file(file, v));
    int same = v->dtype == (odin_dtype)t->dtype && v->rank == t->rank;
    for (int k = 0; same && k < v->rank; k++) same = v->dims[k] == t->dims[k];
    if (same) return ODIN_OK;
    char got[160] = "", want[160] = "";
    for (int k = 0; k < v->rank; k++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", k ? "," : "", (long long)v->dims[k]);
    for (int k = 0; k < t->rank; k++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", k ? "," : "", (long long)t->dims[k]);
    return odin_errorf("input '%s': %s holds %s [%s], the model was compiled for %s [%s]", t->name,
                       file, odin_dtype_name(v->dtype), got, t->dtype_name, want);
}

static odin_status run_bench(odin_aot_instance *m, const odin_aot_model *d, int runs,
                             void **in, void **out) {
    double *ms = calloc((size_t)runs, sizeof *ms);
    if (!ms) return odin_errorf("out of memory");
    for (int i = 0; i < runs; i++) {
        double t0 = odin_now_ms();
        int rc = odin_aot_run(m, in, out);
        ms[i] = odin_now_ms() - t0;
        if (rc) {
            free(ms);
            return odin_errorf("%s", odin_aot_last_error());
        }
    }
    double median = odin_sort_median(ms, runs);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"model\":");
    odin_print_json_string(stdout, d->name);
    printf(",\"engine\":\"aot\",\"threads\":%d,\"compile_ms\":0,\"median_ms\":%.4f,"
           "\"min_ms\":%.4f,\"iters\":%d,\"arena_bytes\":%lld,\"peak_rss_mb\":%.1f}\n",
           odin_rt_threads(), median, ms[0], runs, (long long)d->arena_bytes, ru.ru_maxrss / 1024.0);
    free(ms);
    return ODIN_OK;
}

/* Inputs read, one run, outputs printed / written, optional bench. */
static odin_status run(const odin_aot_model *d, const main_opts *o) {
    odin_value *ins = calloc((size_t)d->n_inputs + 1, sizeof *ins);
    odin_value *outs = calloc((size_t)d->n_outputs + 1, sizeof *outs);
    void **in = calloc((size_t)d->n_inputs + 1, sizeof *in);
    void **out = calloc((size_t)d->n_outputs + 1, sizeof *out);
    odin_aot_instance *m = NULL;
    odin_status st = ins && outs && in && out ? ODIN_OK : odin_errorf("out of memory");
    for (int i = 0; !st && i < d->n_inputs; i++) {
        st = read_input(&d->inputs[i], o->inputs[i], &ins[i]);
        in[i] = ins[i].data;
    }
    for (int i = 0; !st && i < d->n_outputs; i++) {
        const odin_aot_tensor *t = &d->outputs[i];
        outs[i] = (odin_value){.dtype = (odin_dtype)t->dtype, .rank = (int)t->rank};
        for (int k = 0; k < t->rank; k++) outs[i].dims[k] = t->dims[k];
        outs[i].data = out[i] = calloc(1, t->nbytes ? (size_t)t->nbytes : 1);
        if (!out[i]) st = odin_errorf("out of memory");
    }
    if (!st && odin_aot_create(d, o->weights, &m)) st = odin_errorf("%s", odin_aot_last_error());
    double t0 = odin_now_ms();
    if (!st && odin_aot_run(m, in, out)) st = odin_errorf("%s", odin_aot_last_error());
    double t1 = odin_now_ms();
    for (int i = 0; !st && i < d->n_outputs; i++) {
        char summary[512];
        odin_value_summary(&outs[i], summary, sizeof summary);
        printf("%s: %s [", d->outputs[i].name, d->outputs[i].dtype_name);
        for (int k = 0; k < outs[i].rank; k++) printf("%s%lld", k ? "," : "", (long long)outs[i].dims[k]);
        printf("] %s\n", summary);
    }
    if (!st) printf("engine aot: %.3f ms\n", t1 - t0);
    if (!st && o->out_dir) st = write_outputs(d, outs, o->out_dir);
    if (!st && o->bench > 0) st = run_bench(m, d, o->bench, in, out);
    odin_aot_destroy(m);
    for (int i = 0; ins && i < d->n_inputs; i++) free(ins[i].data);
    for (int i = 0; outs && i < d->n_outputs; i++) free(outs[i].data);
    free(ins);
    free(outs);
    free(in);
    free(out);
    return st;
}

int odin_aot_main(int argc, char **argv, const odin_aot_model *d) {
    const char *prog = argc > 0 ? argv[0] : d->name;
    main_opts o = {0};
    o.inputs = calloc((size_t)argc + 1, sizeof *o.inputs);
    if (!o.inputs) return 1;
    int rc = -1;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, prog, d);
            rc = 0;
        } else if (!strcmp(a, "--threads") || !strcmp(a, "--bench")) {
            if (!parse_count(val, !strcmp(a, "--threads") ? &o.threads : &o.bench)) {
                fprintf(stderr, "%s: %s expects a positive count\n", prog, a);
                rc = 2;
            }
            i++;
        } else if (!strcmp(a, "--out") || !strcmp(a, "--weights")) {
            if (!val) {
                fprintf(stderr, "%s: %s needs a value\n", prog, a);
                rc = 2;
            }
            *(!strcmp(a, "--out") ? &o.out_dir : &o.weights) = val;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown option '%s' (--help lists the options)\n", prog, a);
            rc = 2;
        } else {
            o.inputs[o.n_inputs++] = a;
        }
    }
    if (rc < 0 && o.n_inputs != d->n_inputs) {
        fprintf(stderr, "%s: model '%s' takes %lld input file(s), %d given (--help lists them)\n",
                prog, d->name, (long long)d->n_inputs, o.n_inputs);
        rc = 2;
    }
    if (rc < 0) {
        odin_rt_set_threads(o.threads);
        odin_status st = run(d, &o);
        rc = st ? 1 : 0;
        if (st) fprintf(stderr, "%s: %s\n", prog, odin_status_message(st));
        odin_status_free(st);
    }
    free(o.inputs);
    return rc;
}
