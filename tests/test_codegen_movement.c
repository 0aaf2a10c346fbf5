/* Compiled data movement (codegen/lower_movement.c) against the reference interpreter:
 * reshape family, Transpose (every 4-D permutation, blocked 2-D, large parallel),
 * Concat, Split, Slice, Expand, Tile, Pad and Gather, with odd sizes, several dtypes and
 * ranks, negative axes and indices. Data movement must be bit-exact. */
#include "codegen_check.h"

static const odin_dtype dtypes[] = {ODIN_F32, ODIN_I8, ODIN_I16, ODIN_I64};
#define N_DTYPES (int)(sizeof dtypes / sizeof dtypes[0])

static void test_reshape_family(void) {
    check_opts o = check_defaults();
    for (int t = 0; t < N_DTYPES; t++) {
        odin_graph *g = odin_graph_new("reshape");
        int64_t xd[3] = {3, 5, 7}, shape[2] = {5, -1};
        int x = odin_input(g, "x", dtypes[t], 3, xd);
        odin_output(g, odin_reshape(g, x, 2, shape), "y");
        CHECK_GRAPH(g, o, "reshape %s", odin_dtype_name(dtypes[t]));

        g = odin_graph_new("flatten");
        int64_t fd[4] = {2, 3, 1, 5};
        x = odin_input(g, "x", dtypes[t], 4, fd);
        odin_attr a = ODIN_ATTR_I("axis", -2);
        odin_output(g, odin_build(g, "Flatten", &x, 1, &a, 1, 1, NULL), "y");
        CHECK_GRAPH(g, o, "flatten %s", odin_dtype_name(dtypes[t]));

        g = odin_graph_new("squeeze");
        x = odin_input(g, "x", dtypes[t], 4, fd);
        int64_t ax[1] = {-2};
        int ins[2] = {x, odin_constant_i64(g, "axes", 1, (int64_t[]){1}, ax)};
        int y = odin_build(g, "Squeeze", ins, 2, NULL, 0, 1, NULL);
        int64_t ux[2] = {0, -1};
        int uins[2] = {y, odin_constant_i64(g, "uaxes", 1, (int64_t[]){2}, ux)};
        odin_output(g, odin_build(g, "Unsqueeze", uins, 2, NULL, 0, 1, NULL), "y");
        CHECK_GRAPH(g, o, "squeeze+unsqueeze %s", odin_dtype_name(dtypes[t]));
    }
    /* a large copy takes the threaded path */
    odin_graph *g = odin_graph_new("reshape_big");
    int64_t xd[2] = {517, 301}, shape[1] = {517 * 301};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    odin_output(g, odin_reshape(g, x, 1, shape), "y");
    CHECK_GRAPH(g, o, "reshape big");
}

static void test_transpose_all_perms_4d(void) {
    check_opts o = check_defaults();
    int64_t xd[4] = {2, 3, 5, 7};
    int count = 0;
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            for (int c = 0; c < 4; c++)
                for (int d = 0; d < 4; d++) {
                    if (a == b || a == c || a == d || b == c || b == d || c == d) continue;
                    int64_t perm[4] = {a, b, c, d};
                    odin_dtype t = dtypes[count++ % N_DTYPES];
                    odin_graph *g = odin_graph_new("transpose");
                    int x = odin_input(g, "x", t, 4, xd);
                    odin_output(g, odin_transpose(g, x, 4, perm), "y");
                    CHECK_GRAPH(g, o, "transpose [%d,%d,%d,%d] %s", a, b, c, d, odin_dtype_name(t));
                }
    CHECK(count == 24, "%d permutations", count);
}

static void test_transpose_blocked(void) {
    check_opts o = check_defaults();
    struct {
        int rank;
        int64_t dims[4], perm[4];
    } cases[] = {
        {2, {67, 45}, {1, 0}},            /* blocked, partial tiles */
        {2, {64, 32}, {1, 0}},            /* blocked, whole tiles */
        {3, {3, 37, 41}, {0, 2, 1}},      /* last two dims */
        {4, {2, 19, 3, 33}, {0, 3, 2, 1}},
        {2, {600, 301}, {1, 0}},          /* large: threads */
        {3, {1, 1, 9}, {2, 0, 1}},        /* only unit dims move */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int t = 0; t < N_DTYPES; t++) {
            odin_graph *g = odin_graph_new("transpose");
            int x = odin_input(g, "x", dtypes[t], cases[i].rank, cases[i].dims);
            odin_output(g, odin_transpose(g, x, cases[i].rank, cases[i].perm), "y");
            CHECK_GRAPH(g, o, "transpose case %zu %s", i, odin_dtype_name(dtypes[t]));
        }
    /* default perm: reversed dims */
    odin_graph *g = odin_graph_new("transpose_default");
    int64_t xd[3] = {4, 3, 19};
    int x = odin_input(g, "x", ODIN_F32, 3, xd);
    odin_output(g, odin_build(g, "Transpose", &x, 1, NULL, 0, 1, NULL), "y");
    CHECK_GRAPH(g, o, "transpose default perm");
}

static void test_concat_split(void) {
    check_opts o = check_defaults();
    int axes[4] = {0, 1, -1, 2};
    for (int ai = 0; ai < 4; ai++)
        for (int t = 0; t < N_DTYPES; t++) {
            int axis = axes[ai], ax = axis < 0 ? axis + 3 : axis;
            odin_graph *g = odin_graph_new("concat");
            int xs[3];
            for (int i = 0; i < 3; i++) {
                int64_t d[3] = {3, 4, 5};
                d[ax] = 1 + 2 * i;
                char name[8] = {'x', (char)('0' + i), 0};
                xs[i] = odin_input(g, name, dtypes[t], 3, d);
            }
            odin_output(g, odin_concat(g, xs, 3, axis), "y");
            CHECK_GRAPH(g, o, "concat axis %d %s", axis, odin_dtype_name(dtypes[t]));

            g = odin_graph_new("split");
            int64_t d[3] = {6, 9, 12};
            int x = odin_input(g, "x", dtypes[t], 3, d);
            int outs[3];
            odin_split(g, x, axis, 3, NULL, outs);
            for (int i = 0; i < 3; i++) {
                char name[8] = {'y', (char)('0' + i), 0};
                odin_output(g, outs[i], name);
            }
            CHECK_GRAPH(g, o, "split equal axis %d %s", axis, odin_dtype_name(dtypes[t]));

            g = odin_graph_new("split_sizes");
            x = odin_input(g, "x", dtypes[t], 3, d);
            int64_t sizes[2] = {1, d[ax] - 1};
            odin_split(g, x, axis, 2, sizes, outs);
            odin_output(g, outs[0], "y0");
            odin_output(g, outs[1], "y1");
            CHECK_GRAPH(g, o, "split sizes axis %d %s", axis, odin_dtype_name(dtypes[t]));
        }
}

static void test_slice(void) {
    check_opts o = check_defaults();
    struct {
        int n;
        int64_t starts[3], ends[3], axes[3], steps[3];
    } cases[] = {
        {2, {1, 2}, {3, -1}, {0, 2}, {1, 1}},
        {1, {-3}, {INT64_MAX}, {-1}, {1}},
        {2, {10, 0}, {-100, 100}, {1, 2}, {-2, 3}},    /* negative step, clamping */
        {3, {0, 1, 6}, {4, 9, 0}, {0, 1, 2}, {2, 3, -1}},
        {1, {-1}, {INT64_MIN}, {1}, {-1}},              /* full reverse */
        {1, {2}, {2}, {2}, {1}},                        /* empty */
    };
    int64_t xd[3] = {4, 9, 7};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int t = 0; t < N_DTYPES; t++) {
            odin_graph *g = odin_graph_new("slice");
            int x = odin_input(g, "x", dtypes[t], 3, xd);
            odin_output(g, odin_slice(g, x, cases[i].n, cases[i].starts, cases[i].ends,
                                      cases[i].axes, cases[i].steps), "y");
            CHECK_GRAPH(g, o, "slice case %zu %s", i, odin_dtype_name(dtypes[t]));
        }
    /* opset 9: bounds as attributes */
    odin_graph *g = odin_graph_new("slice9");
    g->opset = 9;
    int x = odin_input(g, "x", ODIN_F32, 3, xd);
    int64_t s[2] = {1, -4}, e[2] = {3, 100}, a[2] = {0, -1};
    odin_attr at[3] = {ODIN_ATTR_INTS("starts", s, 2), ODIN_ATTR_INTS("ends", e, 2),
                       ODIN_ATTR_INTS("axes", a, 2)};
    odin_output(g, odin_build(g, "Slice", &x, 1, at, 3, 1, NULL), "y");
    CHECK_GRAPH(g, o, "slice opset 9");
}

static void test_expand_tile(void) {
    check_opts o = check_defaults();
    for (int t = 0; t < N_DTYPES; t++) {
        odin_graph *g = odin_graph_new("expand");
        int64_t xd[3] = {3, 1, 5}, shape[4] = {2, 3, 4, 1};
        int x = odin_input(g, "x", dtypes[t], 3, xd);
        int ins[2] = {x, odin_constant_i64(g, "shape", 1, (int64_t[]){4}, shape)};
        odin_output(g, odin_build(g, "Expand", ins, 2, NULL, 0, 1, NULL), "y");
        CHECK_GRAPH(g, o, "expand %s", odin_dtype_name(dtypes[t]));

        g = odin_graph_new("tile");
        int64_t td[3] = {2, 3, 5}, reps[3] = {2, 1, 3};
        x = odin_input(g, "x", dtypes[t], 3, td);
        int tins[2] = {x, odin_constant_i64(g, "reps", 1, (int64_t[]){3}, reps)};
        odin_output(g, odin_build(g, "Tile", tins, 2, NULL, 0, 1, NULL), "y");
        CHECK_GRAPH(g, o, "tile %s", odin_dtype_name(dtypes[t]));
    }
}

static void test_pad(void) {
    check_opts o = check_defaults();
    for (int t = 0; t < N_DTYPES; t++) {
        odin_graph *g = odin_graph_new("pad");
        int64_t xd[4] = {1, 3, 5, 6};
        int64_t pads[8] = {0, 1, 2, -1, 0, 0, 1, 3}; /* begin..., end...; -1 crops */
        int x = odin_input(g, "x", dtypes[t], 4, xd);
        int64_t one = 1;
        double cv = 7;
        unsigned char cbuf[8];
        odin_store_from_f64(cbuf, dtypes[t], 0, cv);
        int ins[3] = {x, odin_constant_i64(g, "pads", 1, (int64_t[]){8}, pads),
                      odin_constant(g, "value", dtypes[t], 0, &one, cbuf)};
        odin_output(g, odin_build(g, "Pad", ins, 3, NULL, 0, 1, NULL), "y");
        CHECK_GRAPH(g, o, "pad constant %s", odin_dtype_name(dtypes[t]));
    }
    /* runtime constant value, axes input (opset 18) */
    odin_graph *g = odin_graph_new("pad_axes");
    int64_t xd[3] = {4, 5, 7}, pads[4] = {2, 0, 1, 3}, axes[2] = {-1, 0}, sd[1] = {1};
    int x = odin_input(g, "x", ODIN_F32, 3, xd);
    int v = odin_input(g, "v", ODIN_F32, 0, sd);
    int ins[4] = {x, odin_constant_i64(g, "pads", 1, (int64_t[]){4}, pads), v,
                  odin_constant_i64(g, "axes", 1, (int64_t[]){2}, axes)};
    odin_output(g, odin_build(g, "Pad", ins, 4, NULL, 0, 1, NULL), "y");
    CHECK_GRAPH(g, o, "pad axes, runtime value");
    /* reflect mode is declined: the eval fallback runs, still correct */
    g = odin_graph_new("pad_reflect");
    x = odin_input(g, "x", ODIN_F32, 3, xd);
    odin_attr mode = ODIN_ATTR_S("mode", "reflect");
    int64_t rp[6] = {0, 1, 2, 0, 1, 2};
    int rins[2] = {x, odin_constant_i64(g, "pads", 1, (int64_t[]){6}, rp)};
    odin_output(g, odin_build(g, "Pad", rins, 2, &mode, 1, 1, NULL), "y");
    check_opts of = o;
    of.allow_fallback = true;
    CHECK_GRAPH(g, of, "pad reflect (fallback)");
}

static void test_gather(void) {
    int axes[3] = {0, 1, -1};
    for (int ai = 0; ai < 3; ai++)
        for (int t = 0; t < N_DTYPES; t++) {
            int64_t xd[3] = {5, 6, 7};
            int ax = axes[ai] < 0 ? axes[ai] + 3 : axes[ai];
            check_opts o = check_defaults();
            o.int_lo = -xd[ax]; /* negative indices count from the end */
            o.int_hi = xd[ax];
            odin_graph *g = odin_graph_new("gather");
            int64_t id[2] = {2, 3};
            int x = odin_input(g, "x", dtypes[t], 3, xd);
            int idx = odin_input(g, "i", ODIN_I64, 2, id);
            odin_output(g, odin_gather(g, x, idx, axes[ai]), "y");
            CHECK_GRAPH(g, o, "gather axis %d %s", axes[ai], odin_dtype_name(dtypes[t]));
        }
    /* constant int32 indices, with negatives; scalar index */
    check_opts o = check_defaults();
    odin_graph *g = odin_graph_new("gather_const");
    int64_t xd[2] = {9, 11}, ci[4] = {0, -1, 4, -9};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    int32_t ci32[4] = {0, -1, 4, -9};
    (void)ci;
    int idx = odin_constant(g, "i", ODIN_I32, 1, (int64_t[]){4}, ci32);
    odin_output(g, odin_gather(g, x, idx, 1), "y");
    int64_t s = -2;
    int sidx = odin_constant_i64(g, "s", 0, NULL, &s);
    odin_output(g, odin_gather(g, x, sidx, 0), "z");
    CHECK_GRAPH(g, o, "gather constant indices");
    /* an embedding lookup large enough for threads */
    g = odin_graph_new("gather_big");
    int64_t ed[2] = {97, 1024}, td[2] = {4, 33};
    x = odin_input(g, "x", ODIN_F32, 2, ed);
    idx = odin_input(g, "i", ODIN_I64, 2, td);
    odin_output(g, odin_gather(g, x, idx, 0), "y");
    o.int_lo = 0;
    o.int_hi = 97;
    CHECK_GRAPH(g, o, "gather big");
}

/* Out-of-range run-time indices: an error naming the index, never a stray read. */
static void test_gather_out_of_range(void) {
    odin_graph *g = odin_graph_new("gather_bad");
    int64_t xd[2] = {5, 3}, id[1] = {3};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    int idx = odin_input(g, "i", ODIN_I64, 1, id);
    odin_output(g, odin_gather(g, x, idx, 0), "y");
    odin_program *p = NULL;
    odin_compile_options co = odin_compile_defaults();
    CHECK_OK(odin_program_compile(g, &co, &p));
    if (p) {
        CHECK(odin_program_fallback_count(p) == 0, "gather fell back");
        float data[15] = {0}, out[9];
        int64_t bad[3] = {1, 5, -2}, worse[3] = {-6, 0, 0}, good[3] = {4, -5, -1};
        void *ins[2] = {data, bad}, *outs[1] = {out};
        CHECK_ERR(odin_program_run(p, ins, outs), "index 5 is out of range");
        ins[1] = worse;
        CHECK_ERR(odin_program_run(p, ins, outs), "index -6 is out of range");
        for (int i = 0; i < 15; i++) data[i] = (float)i;
        ins[1] = good;
        CHECK_OK(odin_program_run(p, ins, outs));
        float want[9] = {12, 13, 14, 0, 1, 2, 12, 13, 14};
        for (int i = 0; i < 9; i++) CHECK(out[i] == want[i], "out[%d] = %g, want %g", i, out[i], want[i]);
    }
    odin_program_free(p);
    odin_graph_free(g);
}

int main(void) {
    RUN(test_reshape_family);
    RUN(test_transpose_all_perms_4d);
    RUN(test_transpose_blocked);
    RUN(test_concat_split);
    RUN(test_slice);
    RUN(test_expand_tile);
    RUN(test_pad);
    RUN(test_gather);
    RUN(test_gather_out_of_range);
    TEST_DONE();
}
