/* tests/test_print.c — graph printers: the text dump has the expected lines and totals
 * (computed by hand below), the JSON dump parses with Python's json module and carries
 * the right fields, the DOT dump renders with Graphviz's `dot -Tsvg`, also for names full
 * of quotes, backslashes, newlines and bytes that are not UTF-8. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ir/builder.h"
#include "../ir/print.h"
#include "test.h"

/* y = Transpose(Relu(MatMul(x, w) + b)), x: f32[batch,3], w = 1..12 as f32[3,4],
 * b = [0.5,1,1.5,2]. Constants: 12 + 4 = 16 parameters, 48 + 16 = 64 bytes. */
static odin_graph *build_small(const char *gname, const char *xname) {
    odin_graph *g = odin_graph_new(gname);
    float w[12], b[4] = {0.5f, 1, 1.5f, 2};
    for (int i = 0; i < 12; i++) w[i] = (float)(i + 1);
    int x = odin_input(g, xname, ODIN_F32, 2, (int64_t[]){-1, 3});
    if (x >= 0) g->tensors[x].dim_params[0] = odin_arena_strdup(&g->arena, "batch");
    int wt = odin_constant_f32(g, "w", 2, (int64_t[]){3, 4}, w);
    int bt = odin_constant_f32(g, "b", 1, (int64_t[]){4}, b);
    int h = odin_relu(g, odin_add(g, odin_matmul(g, x, wt), bt));
    int64_t perm[2] = {1, 0};
    odin_output(g, odin_transpose(g, h, 2, perm), "y");
    odin_status st = odin_graph_take_error(g);
    CHECK(!st, "building: %s", odin_status_message(st));
    if (st) {
        odin_status_free(st);
        odin_graph_free(g);
        return NULL;
    }
    return g;
}

/* The dump as a malloc'ed string. */
static char *dump(const odin_graph *g, odin_print_format fmt) {
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f) return NULL;
    CHECK_OK(odin_graph_print(g, f, fmt));
    fclose(f);
    return buf;
}

static void check_has(const char *text, const char *line) {
    CHECK(text && strstr(text, line), "dump lacks \"%s\"; dump:\n%s", line, text ? text : "");
}

/* Write text to a temporary file; returns its path (static buffer) or NULL. */
static const char *to_file(const char *text, const char *suffix) {
    static char path[64];
    snprintf(path, sizeof path, "/tmp/odin_test_print_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    if (fd < 0) return NULL;
    size_t n = strlen(text);
    bool ok = write(fd, text, n) == (ssize_t)n;
    close(fd);
    return ok ? path : NULL;
}

static void test_text(void) {
    odin_graph *g = build_small("small", "x");
    if (!g) return;
    char *t = dump(g, ODIN_PRINT_TEXT);
    check_has(t, "graph 'small'  opset 21\n");
    check_has(t, "inputs:\n  x: f32[batch,3]\n");
    check_has(t, "outputs:\n  y: f32[4,?]\n");
    /* w: 12 elements 1..12 -> min 1, max 12, mean 6.5; b is small: values */
    check_has(t, "  w  f32[3,4]  12 params  48 B  min=1 max=12 mean=6.5\n");
    check_has(t, "  b  f32[4]    = [0.5,1,1.5,2]\n");
    check_has(t, "  %0 = MatMul(x: f32[batch,3], w: f32[3,4]) -> MatMul_0: f32[?,4]  # MatMul_0\n");
    check_has(t, "  %1 = Add(MatMul_0: f32[?,4], b: f32[4]) -> Add_1: f32[?,4]  # Add_1\n");
    check_has(t, "  %2 = Relu(Add_1: f32[?,4]) -> Relu_2: f32[?,4]  # Relu_2\n");
    check_has(t, "  %3 = Transpose[perm=[1,0]](Relu_2: f32[?,4]) -> y: f32[4,?]  # Transpose_3\n");
    check_has(t, "\n4 nodes, 16 parameters, 64 B weights\n");
    free(t);
    odin_graph_free(g);
}

static void test_text_totals_and_abbreviation(void) {
    /* one 1000x1300 f32 weight: 1,300,000 parameters, 5,200,000 bytes = 4.96 MiB */
    odin_graph *g = odin_graph_new("big");
    int64_t dims[2] = {1000, 1300};
    float *w = calloc(1000 * 1300, sizeof *w);
    w[0] = -2;
    w[1] = 4;
    int x = odin_input(g, "x", ODIN_F32, 2, (int64_t[]){1, 1000});
    int wt = odin_constant_f32(g, "w", 2, dims, w);
    free(w);
    int64_t pads[20];
    for (int i = 0; i < 20; i++) pads[i] = i;
    odin_attr a = ODIN_ATTR_INTS("pads", pads, 20);
    int y = -1, n = -1;
    CHECK_OK(odin_graph_add_tensor(g, "y", ODIN_F32, 2, (int64_t[]){1, 1300}, &y));
    int ins[2] = {x, wt};
    CHECK_OK(odin_graph_add_node(g, "mm", "MatMul", "", ins, 2, &y, 1, &a, 1, &n));
    CHECK_OK(odin_graph_take_error(g));
    char *t = dump(g, ODIN_PRINT_TEXT);
    check_has(t, "\n1 node, 1,300,000 parameters, 5.0 MiB weights\n");
    /* sum = 2, so mean = 2 / 1.3e6 */
    check_has(t, "  w  f32[1000,1300]  1,300,000 params  5.0 MiB  min=-2 max=4 mean=1.538e-06\n");
    check_has(t, "[pads=[0,1,2,3,4,5,6,7,...] (20)]");
    free(t);
    odin_graph_free(g);
}

/* Runs python3 on a script with the JSON file as argv[1]; true when it prints "OK". */
static bool python_check(const char *json_path, const char *script) {
    const char *spath = to_file(script, ".py");
    if (!spath) return false;
    char spath_copy[64];
    snprintf(spath_copy, sizeof spath_copy, "%s", spath);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s 2>&1", spath_copy, json_path);
    FILE *p = popen(cmd, "r");
    char out[4096] = "";
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    int rc = p ? pclose(p) : -1;
    unlink(spath_copy);
    CHECK(rc == 0 && strcmp(out, "OK\n") == 0, "python check: %s", out);
    return rc == 0;
}

static void test_json(void) {
    odin_graph *g = build_small("small", "x");
    if (!g) return;
    odin_graph_set_meta(g, "producer", "test \"q\"");
    char *j = dump(g, ODIN_PRINT_JSON);
    const char *path = j ? to_file(j, ".json") : NULL;
    CHECK(path, "writing the JSON");
    if (path) {
        char jpath[64];
        snprintf(jpath, sizeof jpath, "%s", path);
        python_check(jpath,
                     "import json, sys\n"
                     "d = json.load(open(sys.argv[1]))\n"
                     "assert d['name'] == 'small' and d['opset'] == 21, d['name']\n"
                     "assert d['meta'] == {'producer': 'test \"q\"'}, d['meta']\n"
                     "i = d['inputs'][0]\n"
                     "assert (i['name'], i['dtype'], i['shape'], i['dim_params']) == "
                     "('x', 'f32', [-1, 3], ['batch', None]), i\n"
                     "assert [o['name'] for o in d['outputs']] == ['y']\n"
                     "assert d['outputs'][0]['shape'] == [4, -1]\n"
                     "ns = d['nodes']\n"
                     "assert [n['op'] for n in ns] == ['MatMul', 'Add', 'Relu', 'Transpose']\n"
                     "assert ns[0]['inputs'] == ['x', 'w'] and ns[0]['outputs'] == ['MatMul_0']\n"
                     "assert ns[3]['attrs'] == {'perm': [1, 0]} and ns[3]['domain'] == ''\n"
                     "t = {t['name']: t for t in d['tensors']}\n"
                     "assert t['w']['constant'] and t['w']['nbytes'] == 48\n"
                     "assert t['w']['stats'] == {'min': 1.0, 'max': 12.0, 'mean': 6.5}\n"
                     "assert t['b']['values'] == [0.5, 1.0, 1.5, 2.0]\n"
                     "assert t['y']['producer'] == 3 and t['y']['output']\n"
                     "assert d['totals'] == {'nodes': 4, 'tensors': 7, 'constants': 2, "
                     "'parameters': 16, 'weight_bytes': 64}, d['totals']\n"
                     "print('OK')\n");
        unlink(jpath);
    }
    free(j);
    odin_graph_free(g);
}

/* Names that break naive printers: quotes, backslashes, newline, tab, a control byte,
 * valid UTF-8 (é) and an invalid byte (0xff). */
static const char weird[] = "we\"ird\\na\nme\t\x01 \xc3\xa9 \xff end";

static odin_graph *build_weird(void) {
    odin_graph *g = build_small(weird, weird);
    if (!g) return NULL;
    odin_attr s = ODIN_ATTR_S("note", weird);
    int y = odin_graph_find_tensor(g, "y"), z = -1, n = -1;
    CHECK_OK(odin_graph_add_tensor(g, "z\"}", ODIN_F32, 2, (int64_t[]){4, -1}, &z));
    CHECK_OK(odin_graph_add_node(g, weird, "com.odd::Op\"x", "dom\\ain", &y, 1, &z, 1, &s, 1, &n));
    CHECK_OK(odin_graph_add_output(g, z));
    return g;
}

static void test_json_escaping(void) {
    odin_graph *g = build_weird();
    if (!g) return;
    char *j = dump(g, ODIN_PRINT_JSON);
    const char *path = j ? to_file(j, ".json") : NULL;
    CHECK(path, "writing the JSON");
    if (path) {
        char jpath[64];
        snprintf(jpath, sizeof jpath, "%s", path);
        /* the invalid byte comes back as U+FFFD, everything else exactly */
        python_check(jpath,
                     "import json, sys\n"
                     "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
                     "w = 'we\"ird\\\\na\\nme\\t\\x01 \\u00e9 \\ufffd end'\n"
                     "assert d['name'] == w, repr(d['name'])\n"
                     "assert d['inputs'][0]['name'] == w\n"
                     "n = d['nodes'][4]\n"
                     "assert n['name'] == w and n['op'] == 'com.odd::Op\"x', n\n"
                     "assert n['domain'] == 'dom\\\\ain' and n['attrs']['note'] == w\n"
                     "assert n['outputs'] == ['z\"}'] and n['supported'] is False\n"
                     "print('OK')\n");
        unlink(jpath);
    }
    free(j);
    odin_graph_free(g);
}

/* dot -Tsvg on the dump; returns the SVG (malloc'ed) or NULL when dot fails. */
static char *render_dot(const char *dot_text) {
    const char *path = to_file(dot_text, ".dot");
    if (!path) return NULL;
    char dpath[64], cmd[256];
    snprintf(dpath, sizeof dpath, "%s", path);
    snprintf(cmd, sizeof cmd, "dot -Tsvg %s 2>&1", dpath);
    FILE *p = popen(cmd, "r");
    char *svg = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&svg, &size);
    char chunk[4096];
    size_t n;
    while (p && m && (n = fread(chunk, 1, sizeof chunk, p)) > 0) fwrite(chunk, 1, n, m);
    if (m) fclose(m);
    int rc = p ? pclose(p) : -1;
    unlink(dpath);
    CHECK(rc == 0, "dot -Tsvg failed: %.2000s", svg ? svg : "");
    if (rc != 0) {
        free(svg);
        return NULL;
    }
    return svg;
}

static void test_dot(void) {
    odin_graph *g = build_small("small", "x");
    if (!g) return;
    char *d = dump(g, ODIN_PRINT_DOT);
    check_has(d, "digraph \"small\" {");
    check_has(d, "[shape=box");
    check_has(d, "label=\"Transpose\\nTranspose_3\\nperm=[1,0]\"");
    check_has(d, "[shape=ellipse");
    check_has(d, "[shape=note");
    check_has(d, "[shape=doubleoctagon");
    check_has(d, "n0 -> n1 [label=\"f32[?,4]\"];");
    char *svg = d ? render_dot(d) : NULL;
    check_has(svg, "<svg");
    check_has(svg, "MatMul_0");
    free(svg);
    free(d);
    odin_graph_free(g);
}

static void test_dot_escaping(void) {
    odin_graph *g = build_weird();
    if (!g) return;
    char *d = dump(g, ODIN_PRINT_DOT);
    char *svg = d ? render_dot(d) : NULL;
    CHECK(svg != NULL, "dot rejected the dump:\n%s", d ? d : "");
    free(svg);
    free(d);
    /* and the text printer shows the attribute C-escaped on one line */
    char *t = dump(g, ODIN_PRINT_TEXT);
    check_has(t, "[note=\"we\\\"ird\\\\na\\nme\\x09\\x01 \xc3\xa9 \\xff end\"]");
    free(t);
    odin_graph_free(g);
}

static void test_bad_indices_do_not_crash(void) {
    odin_graph *g = build_small("bad", "x");
    if (!g) return;
    g->nodes[1].inputs[1] = 99;
    g->nodes[2].outputs[0] = -5;
    g->outputs[0] = 1234;
    for (int fmt = ODIN_PRINT_TEXT; fmt <= ODIN_PRINT_JSON; fmt++) {
        char *s = dump(g, (odin_print_format)fmt);
        check_has(s, fmt == ODIN_PRINT_DOT ? "digraph" : "<bad #99>");
        free(s);
    }
    odin_graph_free(g);
}

static void test_format_names(void) {
    odin_print_format f = ODIN_PRINT_TEXT;
    CHECK_OK(odin_print_format_from_name("json", &f));
    CHECK(f == ODIN_PRINT_JSON, "json");
    CHECK_OK(odin_print_format_from_name("dot", &f));
    CHECK(f == ODIN_PRINT_DOT, "dot");
    CHECK_ERR(odin_print_format_from_name("yaml", &f), "unknown format 'yaml' (expected text, "
                                                       "dot or json)");
}

int main(void) {
    RUN(test_text);
    RUN(test_text_totals_and_abbreviation);
    RUN(test_json);
    RUN(test_json_escaping);
    RUN(test_dot);
    RUN(test_dot_escaping);
    RUN(test_bad_indices_do_not_crash);
    RUN(test_format_names);
    TEST_DONE();
}
