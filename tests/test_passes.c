/* Graph editing (ir/edit.h), the pass manager and the passes: each rewrite on a small
 * hand-built graph with hand-derived expectations, and semantics preserved — the reference
 * interpreter gives the same outputs before and after -O2 on the builder models and on the
 * ONNX backend-test models, with the verifier run after every pass. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../frontend/load.h"
#include "../frontend/onnx_tensor.h"
#include "../ir/builder.h"
#include "../ir/edit.h"
#include "../ir/verify.h"
#include "../models/models.h"
#include "../ops/interpret.h"
#include "../passes/pass.h"
#include "../runtime/compare.h"
#include "../runtime/values.h"
#include "test.h"

#define DATA "/usr/share/libonnx-testdata/data/"

/* ---- helpers ---- */

static odin_status run_pipeline(odin_graph *g, const char *pipeline) {
    odin_pass_options o = odin_pass_defaults();
    o.pipeline = pipeline;
    o.verify = true;
    return odin_run_passes(g, &o);
}

static int count_op(const odin_graph *g, const char *op) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += strcmp(g->nodes[i].op, op) == 0;
    return n;
}

/* Random inputs for every graph input (seeded). */
static odin_value *random_inputs(const odin_graph *g, uint64_t seed) {
    odin_value *in = calloc(g->n_inputs ? g->n_inputs : 1, sizeof *in);
    for (int i = 0; i < g->n_inputs; i++) {
        in[i] = odin_tensor_value(g, g->inputs[i]);
        odin_status st = odin_value_fill_random(&in[i], seed + (uint64_t)i);
        if (st) {
            fprintf(stderr, "  fill: %s\n", odin_status_message(st));
            odin_status_free(st);
        }
    }
    return in;
}

static void free_inputs(odin_value *in, int n) {
    odin_values_free(in, n);
    free(in);
}

/* Interpreter outputs of a and b on the same inputs agree (rtol 1e-5). */
static bool same_results(const odin_graph *a, const odin_graph *b, const odin_value *in,
                         const char *what) {
    odin_value ra[16], rb[16];
    if (a->n_outputs > 16 || a->n_outputs != b->n_outputs) {
        CHECK(false, "%s: output counts %d vs %d", what, a->n_outputs, b->n_outputs);
        return false;
    }
    odin_status st = odin_interpret(a, in, a->n_inputs, ra);
    if (st) {
        CHECK(false, "%s: before: %s", what, odin_status_message(st));
        odin_status_free(st);
        return false;
    }
    st = odin_interpret(b, in, b->n_inputs, rb);
    if (st) {
        CHECK(false, "%s: after: %s", what, odin_status_message(st));
        odin_status_free(st);
        odin_values_free(ra, a->n_outputs);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < a->n_outputs; i++) {
        odin_compare_result r;
        if (!odin_value_compare(&rb[i], &ra[i], 1e-5, 1e-6, &r)) {
            CHECK(false, "%s: output %d: %s", what, i, r.message);
            ok = false;
        }
    }
    odin_values_free(ra, a->n_outputs);
    odin_values_free(rb, b->n_outputs);
    return ok;
}

/* Builds a graph twice (builders are deterministic), optimizes one copy with `pipeline`
 * and checks the outputs agree on random inputs. Returns the optimized copy. */
static odin_graph *check_preserved(odin_graph *(*build)(void), const char *pipeline,
                                   const char *what) {
    odin_graph *ref = build(), *opt = build();
    if (!ref || !opt) {
        CHECK(false, "%s: build failed", what);
        odin_graph_free(ref);
        odin_graph_free(opt);
        return NULL;
    }
    CHECK_OK(run_pipeline(opt, pipeline));
    odin_value *in = random_inputs(ref, 11);
    same_results(ref, opt, in, what);
    free_inputs(in, ref->n_inputs);
    odin_graph_free(ref);
    return opt;
}

static odin_graph *take(odin_graph *g) {
    odin_status st = odin_graph_take_error(g);
    if (st) {
        CHECK(false, "builder: %s", odin_status_message(st));
        odin_status_free(st);
        odin_graph_free(g);
        return NULL;
    }
    return g;
}

/* ---- ir/edit ---- */

static void test_edit_replace_remove_compact(void) {
    odin_graph *g = odin_graph_new("edit");
    int64_t d[1] = {4};
    int x = odin_input(g, "x", ODIN_F32, 1, d);
    int unused_c = odin_scalar_f32(g, "unused", 3.0f);
    int a = odin_relu(g, x);
    int b = odin_neg(g, x);
    int c = odin_add(g, a, b);
    odin_output(g, c, "y");
    CHECK_OK(odin_graph_take_error(g));
    (void)unused_c;
    int changed = 0;
    CHECK_OK(odin_graph_replace_uses(g, b, a, &changed));
    CHECK(changed == 1, "%d uses changed", changed);
    CHECK(g->nodes[2].inputs[0] == a && g->nodes[2].inputs[1] == a, "Add reads Relu twice");
    bool rm[3] = {false, true, false}; /* the Neg node */
    CHECK_OK(odin_graph_remove_nodes(g, rm));
    CHECK(g->n_nodes == 2 && strcmp(g->nodes[1].op, "Add") == 0, "Neg removed, order kept");
    int nt = g->n_tensors, removed = 0;
    CHECK_OK(odin_graph_compact(g, &removed));
    CHECK(removed == 2 && g->n_tensors == nt - 2, "unused constant and Neg output dropped: %d",
          removed);
    /* every reference renumbered: names, producers, io lists */
    int ty = odin_graph_find_tensor(g, "y"), tx = odin_graph_find_tensor(g, "x");
    CHECK(odin_graph_find_tensor(g, "unused") < 0, "dropped tensor gone from the name table");
    CHECK(ty >= 0 && g->outputs[0] == ty && g->inputs[0] == tx, "io lists remapped");
    CHECK(g->tensors[ty].producer == 1, "producer recomputed: %d", g->tensors[ty].producer);
    CHECK(g->nodes[0].inputs[0] == tx, "Relu reads x");
    CHECK_OK(odin_graph_verify(g));
    /* replacing a graph output moves the output entry */
    CHECK_OK(odin_graph_replace_uses(g, ty, tx, &changed));
    CHECK(g->outputs[0] == tx && (g->tensors[tx].flags & ODIN_TENSOR_OUTPUT) &&
              !(g->tensors[ty].flags & ODIN_TENSOR_OUTPUT), "output entry moved");
    CHECK_ERR(odin_graph_replace_uses(g, 999, tx, NULL), "out of range");
    odin_graph_free(g);
}

/* ---- fold ---- */

static odin_graph *build_const_subgraph(void) {
    odin_graph *g = odin_graph_new("fold");
    int64_t d[1] = {3};
    int x = odin_input(g, "x", ODIN_F32, 1, d);
    float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    int ca = odin_constant_f32(g, "a", 1, d, a), cb = odin_constant_f32(g, "b", 1, d, b);
    int s = odin_add(g, ca, cb);   /* [5,7,9] */
    int t = odin_mul(g, s, cb);    /* [20,35,54] */
    odin_output(g, odin_mul(g, x, odin_sqrt(g, t)), "y");
    return take(g);
}

static void test_fold_constant_subgraph(void) {
    odin_graph *g = check_preserved(build_const_subgraph, "fold,dce", "const subgraph");
    if (!g) return;
    CHECK(g->n_nodes == 1 && strcmp(g->nodes[0].op, "Mul") == 0, "%d nodes left", g->n_nodes);
    int c = g->nodes[0].inputs[1];
    CHECK(odin_pass_is_const(g, c), "Mul's second input is a constant");
    const float *v = g->tensors[c].data;
    CHECK(v && fabsf(v[0] - sqrtf(20)) < 1e-6f && fabsf(v[1] - sqrtf(35)) < 1e-6f &&
              fabsf(v[2] - sqrtf(54)) < 1e-6f, "folded values sqrt([20,35,54])");
    CHECK(odin_graph_find_tensor(g, "a") < 0 && odin_graph_find_tensor(g, "b") < 0,
          "the folded inputs are gone after dce");
    odin_graph_free(g);
}

/* x: f32[2,3,4] -> Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])), as
 * torch.onnx exports x.view(x.size(0), -1). */
static odin_graph *build_shape_chain(void) {
    odin_graph *g = odin_graph_new("shape_chain");
    int64_t d[3] = {2, 3, 4};
    int x = odin_input(g, "x", ODIN_F32, 3, d);
    int sh = odin_shape(g, x);
    int64_t zero = 0, minus1 = -1, one = 1;
    int idx = odin_constant_i64(g, "idx", 0, NULL, &zero);
    int d0 = odin_gather(g, sh, idx, 0);
    int axes = odin_constant_i64(g, "axes", 1, &one, &zero);
    int uins[2] = {d0, axes};
    int u = odin_build(g, "Unsqueeze", uins, 2, NULL, 0, 1, NULL);
    int rest = odin_constant_i64(g, "rest", 1, &one, &minus1);
    int parts[2] = {u, rest};
    int cat = odin_concat(g, parts, 2, 0);
    int rins[2] = {x, cat};
    int r = odin_build(g, "Reshape", rins, 2, NULL, 0, 1, NULL);
    odin_output(g, odin_relu(g, r), "y");
    return take(g);
}

static void test_fold_shape_chain(void) {
    odin_graph *before = build_shape_chain();
    if (!before) return;
    int y = odin_graph_find_tensor(before, "y");
    CHECK(before->tensors[y].rank == 2 && before->tensors[y].dims[1] < 0,
          "before folding the reshape target is unknown");
    CHECK(before->n_nodes == 6, "%d nodes", before->n_nodes);
    odin_graph_free(before);
    odin_graph *g = check_preserved(build_shape_chain, "fold,dce", "shape chain");
    if (!g) return;
    CHECK(g->n_nodes == 2 && count_op(g, "Reshape") == 1 && count_op(g, "Relu") == 1,
          "Shape/Gather/Unsqueeze/Concat folded away: %d nodes", g->n_nodes);
    y = odin_graph_find_tensor(g, "y");
    CHECK(g->tensors[y].rank == 2 && g->tensors[y].dims[0] == 2 && g->tensors[y].dims[1] == 12,
          "static [2,12] after folding");
    int r = count_op(g, "Reshape") ? g->nodes[0].outputs[0] : -1;
    CHECK(r >= 0 && g->tensors[r].dims[1] == 12, "Reshape output static");
    int s = g->nodes[0].inputs[1];
    const int64_t *sv = g->tensors[s].data;
    CHECK(odin_pass_is_const(g, s) && sv && sv[0] == 2 && sv[1] == -1, "target [2,-1]");
    odin_graph_free(g);
}

static void test_fold_limits(void) {
    odin_graph *g = odin_graph_new("big");
    /* ConstantOfShape of [8192,8192,2] f32 = 512 MiB: must stay a node */
    int64_t two = 3, big[3] = {8192, 8192, 2};
    int shape = odin_constant_i64(g, "shape", 1, &two, big);
    int y = odin_build(g, "ConstantOfShape", &shape, 1, NULL, 0, 1, NULL);
    int64_t one = 1;
    int64_t small[1] = {4};
    int s2 = odin_constant_i64(g, "shape2", 1, &one, small);
    int z = odin_build(g, "ConstantOfShape", &s2, 1, NULL, 0, 1, NULL);
    odin_output(g, y, "big");
    odin_output(g, z, "small");
    g = take(g);
    if (!g) return;
    CHECK_OK(run_pipeline(g, "fold"));
    CHECK(g->n_nodes == 1 && count_op(g, "ConstantOfShape") == 1, "only the small one folds");
    int t = odin_graph_find_tensor(g, "small");
    CHECK(t >= 0 && odin_pass_is_const(g, t) && g->tensors[t].nbytes == 16,
          "small output is a 4-element constant (and still the graph output)");
    CHECK(g->outputs[1] == t, "output list kept");
    odin_graph_free(g);
}

/* An initializer that is also a graph input can be overridden: not a constant. */
static void test_fold_respects_overridable_inputs(void) {
    odin_graph *g = odin_graph_new("init_input");
    int64_t d[1] = {2};
    float v[2] = {1, 2};
    int c = odin_constant_f32(g, "w", 1, d, v);
    odin_output(g, odin_neg(g, c), "y");
    g = take(g);
    if (!g) return;
    CHECK_OK(odin_graph_add_input(g, c));
    CHECK_OK(run_pipeline(g, "fold,dce"));
    CHECK(g->n_nodes == 1, "Neg of an overridable initializer is not folded");
    odin_graph_free(g);
}

/* ---- dce ---- */

static void test_dce(void) {
    odin_graph *g = odin_graph_new("dce");
    int64_t d[1] = {4};
    int x = odin_input(g, "x", ODIN_F32, 1, d);
    odin_input(g, "unused_in", ODIN_F32, 1, d);
    float w[4] = {1, 2, 3, 4};
    int c = odin_constant_f32(g, "w", 1, d, w);
    int dead = odin_exp(g, odin_mul(g, x, c)); /* reaches no output */
    (void)dead;
    odin_output(g, odin_relu(g, x), "y");
    g = take(g);
    if (!g) return;
    bool changed = false;
    CHECK_OK(odin_pass_dce(g, &changed));
    CHECK(changed && g->n_nodes == 1 && count_op(g, "Relu") == 1, "%d nodes", g->n_nodes);
    CHECK(odin_graph_find_tensor(g, "w") < 0, "constant only the dead branch read is gone");
    CHECK(g->n_inputs == 2 && g->inputs[1] == odin_graph_find_tensor(g, "unused_in"),
          "unused graph input kept");
    CHECK(g->n_tensors == 3, "x, unused_in, y: %d tensors", g->n_tensors);
    CHECK_OK(odin_graph_verify(g));
    CHECK_OK(odin_pass_dce(g, &changed));
    CHECK(!changed, "second dce changes nothing");
    odin_graph_free(g);
}

/* ---- cse ---- */

static odin_graph *build_cse(void) {
    odin_graph *g = odin_graph_new("cse");
    int64_t xd[2] = {4, 8}, wd[2] = {8, 8};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    float w[64];
    for (int i = 0; i < 64; i++) w[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
    int w1 = odin_constant_f32(g, "w1", 2, wd, w);
    int w2 = odin_constant_f32(g, "w2", 2, wd, w); /* same content, other name */
    int m1 = odin_matmul(g, x, w1), m2 = odin_matmul(g, x, w1), m3 = odin_matmul(g, x, w2);
    int s = odin_add(g, odin_add(g, m1, m2), m3);
    int sm0 = odin_softmax(g, s, 0), sm1 = odin_softmax(g, s, 1); /* different attrs */
    odin_output(g, odin_add(g, sm0, sm1), "y");
    odin_output(g, odin_matmul(g, x, w1), "y2"); /* a duplicate that is a graph output */
    return take(g);
}

static void test_cse(void) {
    odin_graph *g = check_preserved(build_cse, "cse,dce", "cse");
    if (!g) return;
    CHECK(count_op(g, "MatMul") == 1, "three MatMuls and the output one merge: %d left",
          count_op(g, "MatMul"));
    CHECK(count_op(g, "Softmax") == 2, "Softmax axis 0 and axis 1 stay apart");
    CHECK(odin_graph_find_tensor(g, "w2") < 0, "duplicate constant merged and dropped");
    int y2 = odin_graph_find_tensor(g, "y2");
    CHECK(y2 >= 0 && g->outputs[1] == y2 && g->tensors[y2].producer >= 0 &&
              strcmp(g->nodes[g->tensors[y2].producer].op, "MatMul") == 0,
          "graph output 'y2' keeps its name, written by the kept MatMul");
    odin_graph_free(g);
}

/* ---- simplify ---- */

static odin_graph *build_simplify(void) {
    odin_graph *g = odin_graph_new("simplify");
    int64_t d[3] = {2, 3, 4}, d2[2] = {6, 4}, row[1] = {4}, plane[4] = {5, 2, 3, 4};
    int x = odin_input(g, "x", ODIN_F32, 3, d);
    float ones[4] = {1, 1, 1, 1}, zeros[4] = {0, 0, 0, 0};
    int one = odin_constant_f32(g, "one", 1, row, ones);
    int zero = odin_constant_f32(g, "zero", 1, row, zeros);
    int h = odin_identity(g, x);
    h = odin_build(g, "Dropout", &h, 1, NULL, 0, 1, NULL);
    h = odin_mul(g, h, one);
    h = odin_mul(g, one, h);
    h = odin_add(g, h, zero);
    h = odin_add(g, zero, h);
    h = odin_sub(g, h, zero);
    h = odin_div(g, h, one);
    h = odin_cast(g, h, ODIN_F32);
    h = odin_reshape(g, h, 3, d);
    int64_t id[3] = {0, 1, 2};
    h = odin_transpose(g, h, 3, id);
    h = odin_relu(g, h);
    /* double transpose: [0,2,1] then [2,0,1] = [1,0,2]... composed perm checked below */
    int64_t p1[3] = {0, 2, 1}, p2[3] = {2, 0, 1};
    int t2 = odin_transpose(g, odin_transpose(g, h, 3, p1), 3, p2);
    /* reshape of reshape */
    int r2 = odin_reshape(g, odin_reshape(g, odin_relu(g, h), 2, d2), 1, (int64_t[]){24});
    /* kept: broadcasting x+0 changes the shape; Mul by 2 is not neutral */
    int z4 = odin_constant_f32(g, "zero4", 4, plane, (float[120]){0});
    int b = odin_add(g, odin_exp(g, h), z4);
    float twos[4] = {2, 2, 2, 2};
    int two = odin_constant_f32(g, "two", 1, row, twos);
    int m = odin_mul(g, odin_sin(g, h), two);
    /* kept: 0-x and 1/x are not x */
    m = odin_add(g, m, odin_sub(g, zero, h));
    m = odin_mul(g, m, odin_div(g, one, odin_add(g, odin_exp(g, h), one)));
    odin_output(g, t2, "t2");
    odin_output(g, r2, "r2");
    odin_output(g, b, "b");
    odin_output(g, m, "m");
    odin_output(g, odin_identity(g, odin_cos(g, h)), "id_out"); /* Identity writing an output */
    return take(g);
}

static void test_simplify(void) {
    odin_graph *g = check_preserved(build_simplify, "simplify,dce", "simplify");
    if (!g) return;
    static const char *const gone[] = {"Identity", "Dropout", "Cast", NULL};
    for (int i = 0; gone[i]; i++) CHECK(count_op(g, gone[i]) == 0, "%s removed", gone[i]);
    CHECK(count_op(g, "Add") == 3, "the broadcasting Add, m + (0-h), exp+1 stay: %d",
          count_op(g, "Add"));
    CHECK(count_op(g, "Mul") == 2, "Mul by 2 and m * (1/..) stay: %d", count_op(g, "Mul"));
    CHECK(count_op(g, "Sub") == 1 && count_op(g, "Div") == 1, "0-x and 1/x stay");
    CHECK(count_op(g, "Transpose") == 1, "identity removed, pair composed: %d",
          count_op(g, "Transpose"));
    CHECK(count_op(g, "Reshape") == 1, "no-op reshape removed, pair fused: %d",
          count_op(g, "Reshape"));
    for (int i = 0; i < g->n_nodes; i++) {
        const odin_node *n = &g->nodes[i];
        if (strcmp(n->op, "Transpose") == 0) {
            const int64_t *p;
            int cnt = odin_attr_ints(n, "perm", &p);
            /* q[i] = p1[p2[i]] = {p1[2], p1[0], p1[1]} = {1, 0, 2} */
            CHECK(cnt == 3 && p[0] == 1 && p[1] == 0 && p[2] == 2, "composed perm");
            CHECK(strcmp(g->nodes[g->tensors[n->inputs[0]].producer].op, "Relu") == 0,
                  "composed Transpose reads the Relu");
        }
        if (strcmp(n->op, "Reshape") == 0) {
            int s = n->inputs[1];
            CHECK(odin_pass_is_const(g, s) && g->tensors[s].nbytes == 8 &&
                      ((int64_t *)g->tensors[s].data)[0] == 24, "fused target [24]");
            CHECK(g->tensors[n->inputs[0]].rank == 3, "fused Reshape reads the rank-3 tensor");
        }
    }
    int id_out = odin_graph_find_tensor(g, "id_out");
    CHECK(id_out >= 0 && g->tensors[id_out].producer >= 0 &&
              strcmp(g->nodes[g->tensors[id_out].producer].op, "Cos") == 0,
          "Identity on an output removed; Cos writes 'id_out'");
    odin_graph_free(g);
}

/* Dropout in training mode (constant true, ratio 0.5) is not the identity. */
static void test_simplify_keeps_training_dropout(void) {
    odin_graph *g = odin_graph_new("dropout_train");
    int64_t d[1] = {8};
    int x = odin_input(g, "x", ODIN_F32, 1, d);
    float r = 0.5f;
    uint8_t t = 1;
    int ratio = odin_scalar_f32(g, "ratio", r);
    int tm = odin_constant(g, "training", ODIN_BOOL, 0, NULL, &t);
    int ins[3] = {x, ratio, tm};
    odin_output(g, odin_build(g, "Dropout", ins, 3, NULL, 0, 1, NULL), "y");
    g = take(g);
    if (!g) return;
    CHECK_OK(run_pipeline(g, "simplify"));
    CHECK(count_op(g, "Dropout") == 1, "training Dropout kept");
    odin_graph_free(g);
}

/* ---- canonicalize ---- */

static void test_canonicalize_constant_nodes(void) {
    odin_graph *g = odin_graph_new("canon");
    int64_t d[1] = {3};
    int x = odin_input(g, "x", ODIN_F32, 1, d);
    float v[3] = {1, 2, 3};
    odin_value val = {.dtype = ODIN_F32, .rank = 1, .dims = {3}, .data = v};
    odin_attr a = {.name = "value", .kind = ODIN_ATTR_TENSOR, .t = val};
    int c = odin_build(g, "Constant", NULL, 0, &a, 1, 1, NULL);
    odin_output(g, odin_add(g, x, c), "y");
    g = take(g);
    if (!g) return;
    bool changed = false;
    CHECK_OK(odin_pass_canonicalize(g, &changed));
    CHECK(changed && g->n_nodes == 1 && count_op(g, "Constant") == 0, "Constant node gone");
    int t = g->nodes[0].inputs[1];
    CHECK(odin_pass_is_const(g, t) && ((float *)g->tensors[t].data)[2] == 3.0f,
          "its value is a constant tensor");
    CHECK_OK(odin_graph_verify(g));
    odin_graph_free(g);
}

/* ---- manager: options, printing, verification ---- */

static void test_parse_options(void) {
    odin_pass_options o = odin_pass_defaults();
    bool m = false;
    CHECK(o.opt_level == 2, "default -O2");
    CHECK_OK(odin_pass_parse_arg(&o, "-O3", &m));
    CHECK(m && o.opt_level == 3, "-O3");
    CHECK_OK(odin_pass_parse_arg(&o, "--print-after=cse", &m));
    CHECK(m && o.n_print_after == 1 && !strcmp(o.print_after[0], "cse"), "print-after");
    CHECK_OK(odin_pass_parse_arg(&o, "--print-after-all", &m));
    CHECK(m && o.print_after_all, "print-after-all");
    CHECK_OK(odin_pass_parse_arg(&o, "--passes=fold,dce", &m));
    CHECK(m && !strcmp(o.pipeline, "fold,dce"), "passes");
    CHECK_OK(odin_pass_parse_arg(&o, "model.onnx", &m));
    CHECK(!m, "not a pass option");
    CHECK_ERR(odin_pass_parse_arg(&o, "--print-after=bogus", &m), "unknown pass 'bogus'");
    CHECK_ERR(odin_pass_parse_arg(&o, "--passes=fold,nope", &m), "unknown pass 'nope'");
    CHECK_ERR(odin_pass_parse_arg(&o, "-O7", &m), "-O0, -O1, -O2 or -O3");
    int n = 0;
    const odin_pass *const *all = odin_pass_all(&n);
    /* every registered pass is found by its name (no fixed count: passes get added) */
    CHECK(n >= 7 && odin_pass_find("pack") && odin_pass_find("fuse-conv") &&
              odin_pass_find("simplify") == odin_pass_find(all[2]->name), "registry");
    for (int i = 0; i < n; i++) CHECK(odin_pass_find(all[i]->name) == all[i], "registry: %s", all[i]->name);
    CHECK(odin_pass_find("nope") == NULL, "unknown pass not found");
}

static char *print_run(odin_graph *g, odin_pass_options *o) {
    FILE *f = tmpfile();
    if (!f) return NULL;
    o->print_to = f;
    CHECK_OK(odin_run_passes(g, o));
    long len = ftell(f);
    char *buf = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
    rewind(f);
    if (buf && len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len) buf[0] = 0;
    fclose(f);
    return buf;
}

static void test_print_after(void) {
    odin_graph *g = build_const_subgraph();
    if (!g) return;
    odin_pass_options o = odin_pass_defaults();
    o.opt_level = 1;
    o.print_after[o.n_print_after++] = "fold";
    char *out = print_run(g, &o);
    CHECK(out && strstr(out, "after pass 'fold'"), "header for fold");
    CHECK(out && !strstr(out, "after pass 'dce'") && !strstr(out, "after pass 'canonicalize'"),
          "only the named pass prints");
    /* after fold, before dce: the Mul reads a folded constant; a, b still listed */
    CHECK(out && strstr(out, "Mul(") && strstr(out, "graph 'fold'"), "graph text dump");
    free(out);
    odin_graph_free(g);

    g = build_const_subgraph();
    if (!g) return;
    o = odin_pass_defaults();
    o.opt_level = 2;
    o.print_after_all = true;
    out = print_run(g, &o);
    static const char *const names[] = {"canonicalize", "fold", "simplify", "cse", "dce"};
    for (int i = 0; i < 5; i++) {
        char want[64];
        snprintf(want, sizeof want, "after pass '%s'", names[i]);
        CHECK(out && strstr(out, want), "%s printed", names[i]);
    }
    free(out);
    odin_graph_free(g);
}

static odin_status breaking_pass(odin_graph *g, bool *changed) {
    /* records a wrong producer: the verifier must name this pass */
    g->tensors[g->inputs[0]].producer = 0;
    *changed = true;
    return ODIN_OK;
}

static void test_verify_after_pass(void) {
    odin_graph *g = build_const_subgraph();
    if (!g) return;
    odin_pass p = {"breaker", "test", breaking_pass};
    odin_pass_options o = odin_pass_defaults();
    o.verify = true;
    bool ch;
    CHECK_ERR(odin_run_pass(g, &p, &o, &ch), "pass 'breaker' left an invalid graph");
    odin_graph_free(g);
}

static void test_levels(void) {
    odin_graph *g = build_const_subgraph();
    if (!g) return;
    odin_pass_options o = odin_pass_defaults();
    o.opt_level = 0;
    int before = g->n_nodes;
    CHECK_OK(odin_run_passes(g, &o));
    CHECK(g->n_nodes == before, "-O0 changes nothing");
    o.opt_level = 3;
    CHECK_OK(odin_run_passes(g, &o));
    CHECK(g->n_nodes == 1, "-O3 folds: %d nodes", g->n_nodes);
    CHECK_OK(odin_run_passes(g, NULL));
    CHECK(g->n_nodes == 1, "defaults on an optimized graph: idempotent");
    odin_graph_free(g);
}

/* ---- builder models ---- */

static odin_graph *build_model(const char *name) {
    odin_graph *g = NULL;
    odin_status st = odin_model_build(name, NULL, 0, &g);
    if (st) {
        CHECK(false, "%s: %s", name, odin_status_message(st));
        odin_status_free(st);
    }
    return g;
}
static odin_graph *build_gpt2(void) { return build_model("gpt2"); }
static odin_graph *build_mlp(void) { return build_model("mlp"); }

static void test_models_preserved(void) {
    odin_graph *ref = build_gpt2();
    int n0 = ref ? ref->n_nodes : -1;
    odin_graph_free(ref);
    odin_graph *g = check_preserved(build_gpt2, NULL, "gpt2 -O2");
    if (g) printf("  gpt2: %d nodes before -O2, %d after\n", n0, g->n_nodes);
    CHECK(g && g->n_nodes < n0, "-O2 shrinks gpt2");
    odin_graph_free(g);
    g = check_preserved(build_mlp, NULL, "mlp -O2");
    odin_graph_free(g);
    odin_pass_options o = odin_pass_defaults();
    o.opt_level = 3;
    o.verify = true;
    ref = build_gpt2();
    odin_graph *opt = build_gpt2();
    if (ref && opt) {
        CHECK_OK(odin_run_passes(opt, &o));
        odin_value *in = random_inputs(ref, 5);
        same_results(ref, opt, in, "gpt2 -O3");
        free_inputs(in, ref->n_inputs);
    }
    odin_graph_free(ref);
    odin_graph_free(opt);
}

/* ---- ONNX backend-test models ---- */

static bool is_file(const char *p) {
    struct stat s;
    return stat(p, &s) == 0 && S_ISREG(s.st_mode);
}

/* Input values of test_data_set_0 bound to the graph inputs (initializers listed as
 * inputs keep their value); NULL when the files do not fit the model. */
static odin_value *read_inputs(const odin_graph *g, const char *dir, odin_value **files,
                               int *n_files) {
    *files = NULL;
    *n_files = 0;
    for (;;) {
        char path[4096];
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, *n_files);
        if (!is_file(path)) break;
        odin_value *grown = realloc(*files, sizeof **files * (size_t)(*n_files + 1));
        if (!grown) break;
        *files = grown;
        odin_status st = odin_pb_read_tensor(path, &(*files)[*n_files], NULL);
        if (st) {
            odin_status_free(st);
            break;
        }
        (*n_files)++;
    }
    int n_free = 0;
    for (int i = 0; i < g->n_inputs; i++)
        if (!(g->tensors[g->inputs[i]].flags & ODIN_TENSOR_CONST)) n_free++;
    if (n_free != *n_files) return NULL;
    odin_value *bound = calloc(g->n_inputs ? g->n_inputs : 1, sizeof *bound);
    for (int i = 0, k = 0; bound && i < g->n_inputs; i++) {
        int t = g->inputs[i];
        bound[i] = (g->tensors[t].flags & ODIN_TENSOR_CONST) ? odin_tensor_value(g, t)
                                                             : (*files)[k++];
        if (bound[i].dtype == ODIN_U16 && g->tensors[t].dtype == ODIN_BF16)
            bound[i].dtype = ODIN_BF16;
    }
    return bound;
}

typedef struct onnx_stats {
    int checked, skipped, nodes_before, nodes_after;
} onnx_stats;

static void check_onnx_model(const char *dir, onnx_stats *s) {
    char model[4096];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    odin_graph *ref = NULL, *opt = NULL;
    odin_status st = odin_load_model(model, &ref);
    if (st) {
        odin_status_free(st);
        s->skipped++;
        return;
    }
    odin_value *files = NULL;
    int n_files = 0;
    odin_value *in = read_inputs(ref, dir, &files, &n_files);
    odin_value outs[64];
    bool runs = in && ref->n_outputs <= 64;
    if (runs) {
        /* only models the interpreter runs as imported are a meaningful comparison */
        st = odin_interpret(ref, in, ref->n_inputs, outs);
        if (st) {
            odin_status_free(st);
            runs = false;
        } else {
            odin_values_free(outs, ref->n_outputs);
        }
    }
    if (!runs) {
        s->skipped++;
        goto done;
    }
    st = odin_load_model(model, &opt);
    if (st) {
        CHECK(false, "%s: second load: %s", dir, odin_status_message(st));
        odin_status_free(st);
        goto done;
    }
    odin_pass_options o = odin_pass_defaults();
    o.verify = true;
    st = odin_run_passes(opt, &o);
    if (st) {
        CHECK(false, "%s: -O2: %s", dir, odin_status_message(st));
        odin_status_free(st);
        goto done;
    }
    s->checked++;
    s->nodes_before += ref->n_nodes;
    s->nodes_after += opt->n_nodes;
    /* -O2 keeps the graph inputs, so the same bound values feed both graphs */
    CHECK(opt->n_inputs == ref->n_inputs, "%s: inputs changed", dir);
    if (opt->n_inputs == ref->n_inputs) same_results(ref, opt, in, dir);
done:
    free(in);
    for (int i = 0; i < n_files; i++) odin_onnx_value_free(&files[i]);
    free(files);
    odin_graph_free(ref);
    odin_graph_free(opt);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_onnx_suite(const char *suite, onnx_stats *s) {
    DIR *d = opendir(suite);
    if (!d) return;
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) != 0) continue;
        char **grown = realloc(names, sizeof *names * (size_t)(n + 1));
        if (!grown) break;
        names = grown;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s%s", suite, names[i]);
        check_onnx_model(dir, s);
        free(names[i]);
    }
    free(names);
}

static void test_onnx_models_preserved(void) {
    static const char *const suites[] = {DATA "node/", DATA "pytorch-converted/",
                                         DATA "pytorch-operator/", DATA "simple/"};
    onnx_stats s = {0};
    for (int i = 0; i < 4; i++) check_onnx_suite(suites[i], &s);
    printf("  onnx models: %d checked, %d skipped; nodes %d before -O2, %d after\n", s.checked,
           s.skipped, s.nodes_before, s.nodes_after);
    CHECK(s.checked > 500, "only %d models checked", s.checked);
}

/* An expanded LayerNormalization as the ONNX function body exports it: its reduced shape
 * comes from Shape -> Slice / ConstantOfShape -> Concat. After -O2 that chain is folded,
 * the output shapes are static, and the outputs still match the backend test's files. */
static void test_onnx_shape_chain_folded(void) {
    const char *dir = DATA "node/test_layer_normalization_4d_axis_negative_1_expanded";
    char path[512];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    odin_graph *g = NULL;
    CHECK_OK(odin_load_model(path, &g));
    if (!g) return;
    CHECK(count_op(g, "Shape") == 1 && count_op(g, "Concat") == 1, "the chain is there");
    CHECK_OK(odin_run_passes(g, NULL));
    static const char *const folded[] = {"Shape", "Size", "Slice", "ConstantOfShape",
                                         "Concat", "Cast", "Neg", NULL};
    for (int i = 0; folded[i]; i++) CHECK(count_op(g, folded[i]) == 0, "%s folded", folded[i]);
    int mean = odin_graph_find_tensor(g, "Mean");
    CHECK(mean >= 0 && g->tensors[mean].rank == 4 && g->tensors[mean].dims[3] == 1 &&
              odin_tensor_numel(&g->tensors[mean]) == 24, "Mean static [2,3,4,1]");
    odin_value *files = NULL;
    int n_files = 0;
    odin_value *in = read_inputs(g, dir, &files, &n_files);
    odin_value outs[3];
    CHECK(in && g->n_outputs == 3, "inputs bound");
    if (in && g->n_outputs == 3) {
        odin_status st = odin_interpret(g, in, g->n_inputs, outs);
        CHECK_OK(st);
        for (int i = 0; !st && i < 3; i++) {
            odin_value want;
            snprintf(path, sizeof path, "%s/test_data_set_0/output_%d.pb", dir, i);
            CHECK_OK(odin_pb_read_tensor(path, &want, NULL));
            odin_compare_result r;
            CHECK(odin_value_compare(&outs[i], &want, 1e-5, 1e-6, &r), "output %d: %s", i,
                  r.message);
            odin_onnx_value_free(&want);
        }
        if (!st) odin_values_free(outs, 3);
    }
    free(in);
    for (int i = 0; i < n_files; i++) odin_onnx_value_free(&files[i]);
    free(files);
    odin_graph_free(g);
}

int main(void) {
    RUN(test_edit_replace_remove_compact);
    RUN(test_fold_constant_subgraph);
    RUN(test_fold_shape_chain);
    RUN(test_fold_limits);
    RUN(test_fold_respects_overridable_inputs);
    RUN(test_dce);
    RUN(test_cse);
    RUN(test_simplify);
    RUN(test_simplify_keeps_training_dropout);
    RUN(test_canonicalize_constant_nodes);
    RUN(test_parse_options);
    RUN(test_print_after);
    RUN(test_verify_after_pass);
    RUN(test_levels);
    RUN(test_models_preserved);
    RUN(test_onnx_shape_chain_folded);
    RUN(test_onnx_models_preserved);
    TEST_DONE();
}
