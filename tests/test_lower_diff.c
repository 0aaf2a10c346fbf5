/* Differential test of the op lowerings: every op with a compiled lowering runs through
 * the JIT and the reference interpreter (its eval) on seeded random inputs of several
 * shapes (1, 3, 7, 17, 33, 130 elements on the innermost dim, so vector loops run their
 * tails), and the results must agree. The spec table below names an op's cases; an op
 * that has a lowering (odin_lowering_find / odin_op_lowering_state) but neither a spec
 * here nor an entry in `covered_elsewhere` (the other codegen tests) FAILS the test, so
 * coverage of every lowered op is enforced.
 *
 * Tolerances, as max |jit - ref| / (1 + |ref|): 0 (bit-exact) for data movement, integer
 * ops, comparisons, selects, and float ops whose f32 result is the correctly rounded
 * double result (add, mul, div, sqrt, cumsum in double); 2e-6 for the branch-free mathlib
 * functions (exp, log, tanh, erf, sin, ...) and compositions of them (Selu, Mish, ...);
 * 1e-5 for Pow. */
#include <string.h>

#include "../codegen/lower_query.h"
#include "codegen_check.h"

static const int64_t sizes[] = {1, 3, 7, 17, 33, 130};
#define N_SIZES (int)(sizeof sizes / sizeof sizes[0])

static check_opts opts(double tol, int64_t lo, int64_t hi) {
    check_opts o = check_defaults();
    o.tol = tol;
    if (hi > lo) o.int_lo = lo, o.int_hi = hi;
    return o;
}

/* ---- elementwise ops: one node, inputs [2, n] (input 1 broadcast as [n]) ---- */

typedef struct ew_spec {
    const char *op;
    int arity;
    odin_dtype in, in2; /* in2: dtype of inputs after the first (ODIN_UNDEFINED: same) */
    double tol;
    int64_t lo, hi;     /* integer input range (hi <= lo: the harness default) */
    odin_attr attr;     /* one attribute (name NULL: none) */
    bool ties;          /* small-integer floats, so comparisons see equal values */
} ew_spec;

#define A_NONE ((odin_attr){0})
static const ew_spec ew_specs[] = {
    {"Add", 2, ODIN_F32, 0, 0}, {"Add", 2, ODIN_I32, 0, 0},
    {"Sub", 2, ODIN_F32, 0, 0}, {"Sub", 2, ODIN_I64, 0, 0},
    {"Mul", 2, ODIN_F32, 0, 0}, {"Mul", 2, ODIN_I16, 0, 0},
    {"Div", 2, ODIN_F32, 0, 0}, {"Div", 2, ODIN_I32, 0, 0, 1, 100},
    {"Max", 3, ODIN_F32, 0, 0}, {"Max", 2, ODIN_I64, 0, 0},
    {"Min", 3, ODIN_F32, 0, 0}, {"Min", 2, ODIN_U8, 0, 0, 0, 255},
    {"Sum", 3, ODIN_F32, 0, 0, 0, 0, A_NONE, false}, {"Mean", 3, ODIN_F32, 0, 2e-7},
    {"Neg", 1, ODIN_F32, 0, 0}, {"Neg", 1, ODIN_I32, 0, 0},
    {"Abs", 1, ODIN_F32, 0, 0}, {"Abs", 1, ODIN_I8, 0, 0},
    {"Relu", 1, ODIN_F32, 0, 0}, {"Relu", 1, ODIN_I32, 0, 0},
    {"LeakyRelu", 1, ODIN_F32, 0, 0, 0, 0, ODIN_ATTR_F("alpha", 0.1f)},
    {"PRelu", 2, ODIN_F32, 0, 0},
    {"Exp", 1, ODIN_F32, 0, 2e-6}, {"Log", 1, ODIN_F32, 0, 2e-6}, {"Tanh", 1, ODIN_F32, 0, 2e-6},
    {"Sigmoid", 1, ODIN_F32, 0, 2e-6}, {"Erf", 1, ODIN_F32, 0, 2e-6},
    {"Softplus", 1, ODIN_F32, 0, 2e-6}, {"Sin", 1, ODIN_F32, 0, 2e-6}, {"Cos", 1, ODIN_F32, 0, 2e-6},
    {"Sqrt", 1, ODIN_F32, 0, 0}, {"Floor", 1, ODIN_F32, 0, 0}, {"Ceil", 1, ODIN_F32, 0, 0},
    {"Round", 1, ODIN_F32, 0, 0}, {"Reciprocal", 1, ODIN_F32, 0, 0},
    {"Softsign", 1, ODIN_F32, 0, 2e-7}, {"Identity", 1, ODIN_I64, 0, 0},
    {"Gelu", 1, ODIN_F32, 0, 2e-6}, {"Elu", 1, ODIN_F32, 0, 2e-6},
    {"HardSigmoid", 1, ODIN_F32, 0, 2e-7}, {"HardSwish", 1, ODIN_F32, 0, 2e-7},
    {"Pow", 2, ODIN_F32, 0, 1e-5},
    /* integer powers are exact (by squaring, wrapping); integer exponents of f32 bases */
    {"Pow", 2, ODIN_I32, ODIN_I32, 0, -6, 12}, {"Pow", 2, ODIN_I64, ODIN_I64, 0, -4, 40},
    {"Pow", 2, ODIN_I64, ODIN_U64, 0, 0, 30},
    {"Pow", 2, ODIN_F32, ODIN_I64, 1e-5, -6, 6}, {"Pow", 2, ODIN_F32, ODIN_U32, 1e-5, 0, 9},
    {"Equal", 2, ODIN_F32, 0, 0, 0, 0, A_NONE, true}, {"Equal", 2, ODIN_I32, 0, 0, -3, 3},
    {"Less", 2, ODIN_F32, 0, 0, 0, 0, A_NONE, true}, {"Less", 2, ODIN_U16, 0, 0, 0, 5},
    {"Greater", 2, ODIN_F32, 0, 0, 0, 0, A_NONE, true},
    {"LessOrEqual", 2, ODIN_I64, 0, 0, -3, 3},
    {"GreaterOrEqual", 2, ODIN_F32, 0, 0, 0, 0, A_NONE, true},
    {"Not", 1, ODIN_BOOL, 0, 0}, {"And", 2, ODIN_BOOL, 0, 0}, {"Or", 2, ODIN_BOOL, 0, 0},
    {"Xor", 2, ODIN_BOOL, 0, 0},
    {"Where", 3, ODIN_BOOL, ODIN_F32, 0}, {"Where", 3, ODIN_BOOL, ODIN_I64, 0},
    {"Cast", 1, ODIN_F32, 0, 0, 0, 0, ODIN_ATTR_I("to", 6 /* INT32 */)},
    {"Cast", 1, ODIN_I64, 0, 0, 0, 0, ODIN_ATTR_I("to", 1 /* FLOAT */)},
    {"Cast", 1, ODIN_F32, 0, 0, 0, 0, ODIN_ATTR_I("to", 9 /* BOOL */)},
    {"Clip", 3, ODIN_F32, 0, 0, 0, 0, A_NONE, true},
    /* lowered in codegen/lower_misc_elem.c */
    {"Sign", 1, ODIN_F32, 0, 0, 0, 0, A_NONE, true}, {"Sign", 1, ODIN_I32, 0, 0},
    {"Mod", 2, ODIN_F32, 0, 0}, {"Mod", 2, ODIN_F32, 0, 0, 0, 0, ODIN_ATTR_I("fmod", 1)},
    {"Mod", 2, ODIN_I32, 0, 0, 1, 50}, {"Mod", 2, ODIN_I64, 0, 0, 1, 50, ODIN_ATTR_I("fmod", 1)},
    {"BitShift", 2, ODIN_U8, 0, 0, 0, 12, ODIN_ATTR_S("direction", "LEFT")},
    {"BitShift", 2, ODIN_U32, 0, 0, 0, 40, ODIN_ATTR_S("direction", "RIGHT")},
    {"IsNaN", 1, ODIN_F32, 0, 0}, {"IsInf", 1, ODIN_F32, 0, 0},
    {"ThresholdedRelu", 1, ODIN_F32, 0, 0, 0, 0, ODIN_ATTR_F("alpha", 0.5f)},
    {"Shrink", 1, ODIN_F32, 0, 0, 0, 0, ODIN_ATTR_F("lambd", 0.7f)},
    {"Selu", 1, ODIN_F32, 0, 2e-6}, {"Celu", 1, ODIN_F32, 0, 2e-6, 0, 0, ODIN_ATTR_F("alpha", 0.6f)},
    {"Mish", 1, ODIN_F32, 0, 2e-6}, {"Sinh", 1, ODIN_F32, 0, 2e-6}, {"Cosh", 1, ODIN_F32, 0, 2e-6},
    {"CastLike", 2, ODIN_F32, ODIN_I64, 0},
    /* lowered in codegen/lower_trig.c: atan polynomial + mathlib sin / cos / log */
    {"Tan", 1, ODIN_F32, 0, 2e-6}, {"Atan", 1, ODIN_F32, 0, 2e-6}, {"Asin", 1, ODIN_F32, 0, 2e-6},
    {"Acos", 1, ODIN_F32, 0, 2e-6}, {"Asinh", 1, ODIN_F32, 0, 2e-6}, {"Acosh", 1, ODIN_F32, 0, 2e-6},
    {"Atanh", 1, ODIN_F32, 0, 2e-6},
    /* f16 / bf16: computed in f32 between a load and a store that convert (ties to even);
     * exact where the f32 result is exact, one half-precision ulp (< 1e-3) otherwise */
    {"Add", 2, ODIN_F16, 0, 0}, {"Mul", 2, ODIN_BF16, 0, 0}, {"Max", 2, ODIN_F16, 0, 0},
    {"Min", 3, ODIN_BF16, 0, 0}, {"Mod", 2, ODIN_F16, 0, 1e-3}, {"Relu", 1, ODIN_F16, 0, 0},
    {"Exp", 1, ODIN_F16, 0, 1e-3}, {"Tanh", 1, ODIN_BF16, 0, 8e-3}, {"Less", 2, ODIN_F16, 0, 0, 0, 0, A_NONE, true},
    {"Where", 3, ODIN_BOOL, ODIN_F16, 0}, {"Sqrt", 1, ODIN_F16, 0, 0}, {"Div", 2, ODIN_BF16, 0, 8e-3},
    /* f64 through the ops whose scalar code follows the operand type */
    {"Add", 2, ODIN_F64, 0, 0}, {"Sub", 2, ODIN_F64, 0, 0}, {"Mul", 2, ODIN_F64, 0, 0},
    {"Div", 2, ODIN_F64, 0, 0}, {"Max", 3, ODIN_F64, 0, 0}, {"Min", 2, ODIN_F64, 0, 0},
    {"Neg", 1, ODIN_F64, 0, 0}, {"Abs", 1, ODIN_F64, 0, 0}, {"Relu", 1, ODIN_F64, 0, 0},
    {"Identity", 1, ODIN_F64, 0, 0},
    {"Equal", 2, ODIN_F64, 0, 0, 0, 0, A_NONE, true}, {"Less", 2, ODIN_F64, 0, 0, 0, 0, A_NONE, true},
    {"Greater", 2, ODIN_F64, 0, 0, 0, 0, A_NONE, true},
    {"LessOrEqual", 2, ODIN_F64, 0, 0, 0, 0, A_NONE, true},
    {"GreaterOrEqual", 2, ODIN_F64, 0, 0, 0, 0, A_NONE, true},
    {"Where", 3, ODIN_BOOL, ODIN_F64, 0}, {"Sign", 1, ODIN_F64, 0, 0, 0, 0, A_NONE, true},
    {"Mod", 2, ODIN_F64, 0, 0}, {"Mod", 2, ODIN_F64, 0, 0, 0, 0, ODIN_ATTR_I("fmod", 1)},
    {"IsNaN", 1, ODIN_F64, 0, 0}, {"IsInf", 1, ODIN_F64, 0, 0},
};
#define N_EW (int)(sizeof ew_specs / sizeof ew_specs[0])

static void ew_case(const ew_spec *s, int64_t n) {
    odin_graph *g = odin_graph_new("ew");
    int ins[3];
    int64_t d2[2] = {2, n}, d1[1] = {n};
    for (int i = 0; i < s->arity; i++) {
        odin_dtype t = i > 0 && s->in2 ? s->in2 : s->in;
        char name[8];
        snprintf(name, sizeof name, "x%d", i);
        /* Clip's bounds are scalars; the rest broadcast a row */
        if (!strcmp(s->op, "Clip") && i > 0) ins[i] = odin_scalar_f32(g, name, i == 1 ? -1.0f : 1.0f);
        else ins[i] = odin_input(g, name, t, i == 1 ? 1 : 2, i == 1 ? d1 : d2);
    }
    odin_output(g, odin_build(g, s->op, ins, s->arity, &s->attr, s->attr.name ? 1 : 0, 1, NULL), "y");
    check_opts o = opts(s->tol, s->lo, s->hi);
    o.float_ties = s->ties;
    if (s->in == ODIN_U8 || s->in == ODIN_U16 || s->in == ODIN_U32) {
        if (o.int_lo < 0) o.int_lo = 0;
    }
    CHECK_GRAPH(g, o, "%s %s n=%lld", s->op, odin_dtype_name(s->in), (long long)n);
}

static void run_elementwise(const char *op) {
    for (int i = 0; i < N_EW; i++)
        if (!strcmp(ew_specs[i].op, op))
            for (int k = 0; k < N_SIZES; k++) ew_case(&ew_specs[i], sizes[k]);
}

/* ---- kernels ---- */

static void run_cumsum(const char *op) {
    const odin_dtype ts[] = {ODIN_F32, ODIN_I32, ODIN_I64, ODIN_F64};
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 8; v++) {
            odin_graph *g = odin_graph_new("cumsum");
            int64_t xd[3] = {2, sizes[k], 3}, axis = v % 3 == 2 ? -1 : v % 3;
            odin_dtype t = ts[v % 4];
            int x = odin_input(g, "x", t, 3, xd);
            int ins[2] = {x, odin_constant_i64(g, "axis", 0, NULL, &axis)};
            odin_attr a[2] = {ODIN_ATTR_I("exclusive", v & 1), ODIN_ATTR_I("reverse", (v >> 1) & 1)};
            odin_output(g, odin_build(g, op, ins, 2, a, 2, 1, NULL), "y");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "CumSum %s n=%lld axis %lld v%d", odin_dtype_name(t),
                        (long long)sizes[k], (long long)axis, v);
        }
    /* the axis as a run-time scalar (as the ONNX backend tests pass it): every value of
     * [-3, 3) turns up among the seeds */
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            odin_graph *g = odin_graph_new("cumsum_rt");
            int64_t xd[3] = {2, sizes[k], 3};
            odin_dtype t = v & 1 ? ODIN_F64 : ODIN_I32;
            int ins[2] = {odin_input(g, "x", t, 3, xd), odin_input(g, "axis", v & 2 ? ODIN_I64 : ODIN_I32, 0, NULL)};
            odin_attr a = ODIN_ATTR_I("reverse", v == 2);
            odin_output(g, odin_build(g, op, ins, 2, &a, 1, 1, NULL), "y");
            check_opts o = opts(0, -3, 3);
            o.seed = 11 + (uint64_t)(k * 4 + v);
            CHECK_GRAPH(g, o, "CumSum run-time axis %s n=%lld v%d", odin_dtype_name(t), (long long)sizes[k], v);
        }
}

static void run_trilu(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int64_t kk = -2; kk <= 3; kk += 5)
            for (int up = 0; up < 2; up++) {
                odin_graph *g = odin_graph_new("trilu");
                int64_t xd[3] = {2, 5, sizes[k]};
                odin_dtype t = up ? ODIN_F32 : ODIN_I16;
                int x = odin_input(g, "x", t, 3, xd);
                odin_output(g, odin_trilu(g, x, up, kk), "y");
                check_opts o = opts(0, 0, 0);
                CHECK_GRAPH(g, o, "Trilu %s n=%lld k=%lld up=%d", odin_dtype_name(t),
                            (long long)sizes[k], (long long)kk, up);
            }
    /* k as a run-time input (the ONNX backend tests pass it so), clamped when huge */
    for (int k = 0; k < N_SIZES; k++) {
        odin_graph *g = odin_graph_new("trilu_k");
        int64_t xd[2] = {5, sizes[k]};
        int ins[2] = {odin_input(g, "x", ODIN_F32, 2, xd), odin_input(g, "k", ODIN_I64, 0, NULL)};
        odin_attr a = ODIN_ATTR_I("upper", k & 1);
        odin_output(g, odin_build(g, op, ins, 2, &a, 1, 1, NULL), "y");
        check_opts o = opts(0, -200, 200);
        CHECK_GRAPH(g, o, "Trilu run-time k n=%lld", (long long)sizes[k]);
    }
}

/* Range needs a static output length, so its operands are constants the folder keeps
 * (they are marked as plain constants of a node that is not folded: build it as-is). */
static void run_range(const char *op) {
    for (int k = 0; k < N_SIZES; k++) {
        int64_t n = sizes[k];
        odin_graph *g = odin_graph_new("range");
        int64_t d1[1] = {n};
        /* y = Range(0, n, 1) + x: the sum keeps Range's output live */
        int64_t s = 0, l = n, d = 1;
        int ins[3] = {odin_constant_i64(g, "s", 0, NULL, &s), odin_constant_i64(g, "l", 0, NULL, &l),
                      odin_constant_i64(g, "d", 0, NULL, &d)};
        int r = odin_build(g, op, ins, 3, NULL, 0, 1, NULL);
        int x = odin_input(g, "x", ODIN_I64, 1, d1);
        odin_output(g, odin_add(g, r, x), "y");
        check_opts o = opts(0, 0, 0);
        CHECK_GRAPH(g, o, "Range i64 n=%lld", (long long)n);

        g = odin_graph_new("range_f");
        float fs = -1.5f, fl = -1.5f + 0.25f * (float)n, fd = 0.25f;
        int fins[3] = {odin_scalar_f32(g, "s", fs), odin_scalar_f32(g, "l", fl), odin_scalar_f32(g, "d", fd)};
        r = odin_build(g, op, fins, 3, NULL, 0, 1, NULL);
        x = odin_input(g, "x", ODIN_F32, 1, d1);
        odin_output(g, odin_add(g, r, x), "y");
        CHECK_GRAPH(g, o, "Range f32 n=%lld", (long long)n);
    }
}

static void run_topk(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            int64_t n = sizes[k], kk = v == 0 ? 1 : v == 1 ? n : (n + 1) / 2;
            odin_graph *g = odin_graph_new("topk");
            int64_t xd[2] = {3, n};
            odin_dtype t = v == 3 ? ODIN_I32 : ODIN_F32;
            int x = odin_input(g, "x", t, 2, xd);
            int ins[2] = {v == 2 ? odin_transpose(g, x, 2, (int64_t[]){1, 0}) : x,
                          odin_constant_i64(g, "k", 1, (int64_t[]){1}, &kk)};
            odin_attr a[2] = {ODIN_ATTR_I("axis", v == 2 ? 0 : -1), ODIN_ATTR_I("largest", v != 1)};
            int outs[2];
            odin_build(g, op, ins, 2, a, 2, 2, outs);
            odin_output(g, outs[0], "values");
            odin_output(g, outs[1], "indices");
            check_opts o = opts(0, -5, 5);
            o.float_ties = true; /* ties must keep the lower index first */
            CHECK_GRAPH(g, o, "TopK %s n=%lld k=%lld v%d", odin_dtype_name(t), (long long)n,
                        (long long)kk, v);
        }
}

/* data [3, n] (or [n, 3]), indices in [-extent, extent) along the axis */
static void run_elements(const char *op) {
    bool scatter = !strcmp(op, "ScatterElements");
    const char *reds[] = {"none", "add", "max", "mul"};
    for (int k = 0; k < N_SIZES; k++)
        for (int axis = 0; axis < 2; axis++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("elements");
            int64_t xd[2] = {axis ? 3 : n, axis ? n : 3}, id[2] = {axis ? 3 : 2, axis ? 2 : 3};
            int64_t extent = xd[axis];
            odin_dtype t = (k & 1) ? ODIN_F32 : ODIN_I64;
            if (scatter && k >= 2) t = ODIN_F32;
            int x = odin_input(g, "x", t, 2, xd);
            int idx = odin_input(g, "i", (k & 2) ? ODIN_I32 : ODIN_I64, 2, id);
            odin_attr a[2] = {ODIN_ATTR_I("axis", axis ? -1 : 0),
                              ODIN_ATTR_S("reduction", reds[scatter && k >= 2 ? k % 4 : 0])};
            int ins[3] = {x, idx, scatter ? odin_input(g, "u", t, 2, id) : -1};
            odin_output(g, odin_build(g, op, ins, scatter ? 3 : 2, a, scatter ? 2 : 1, 1, NULL), "y");
            check_opts o = opts(0, -extent, extent);
            CHECK_GRAPH(g, o, "%s %s n=%lld axis %d %s", op, odin_dtype_name(t), (long long)n, axis,
                        scatter ? a[1].s : "");
        }
}

/* GatherND: data [4, 3, n] (batch_dims 0 or 1), index tuples of 1 or 2 coordinates. The
 * random indices use the smallest extent (4 or 3) as their range so every tuple is valid. */
static void run_nd(const char *op) {
    bool scatter = !strcmp(op, "ScatterND");
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 3; v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("nd");
            int64_t xd[3] = {4, 3, n};
            int b = !scatter && v == 2 ? 1 : 0, m = v == 1 ? 2 : 1;
            int64_t id[3] = {4, 2, m};
            int64_t ud[4]; /* 2 index dims + up to 2 trailing data dims */
            int ur = 0;
            for (int d = 0; d < 2; d++) ud[ur++] = id[d];
            for (int d = m; d < 3; d++) ud[ur++] = xd[d];
            odin_dtype t = v == 1 ? ODIN_I16 : ODIN_F32;
            int x = odin_input(g, "x", t, 3, xd);
            int idx = odin_input(g, "i", ODIN_I64, 3, id);
            int ins[3] = {x, idx, scatter ? odin_input(g, "u", t, ur, ud) : -1};
            odin_attr a[1] = {scatter ? ODIN_ATTR_S("reduction", v == 2 ? "add" : "none")
                                      : ODIN_ATTR_I("batch_dims", b)};
            odin_output(g, odin_build(g, op, ins, scatter ? 3 : 2, a, 1, 1, NULL), "y");
            check_opts o = opts(0, -3, 3);
            CHECK_GRAPH(g, o, "%s %s n=%lld v%d", op, odin_dtype_name(t), (long long)n, v);
        }
}

static void run_onehot(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int axis = -1; axis <= 1; axis++) {
            int64_t n = sizes[k], depth = 5;
            odin_graph *g = odin_graph_new("onehot");
            int64_t id[2] = {3, n};
            odin_dtype it = axis == 0 ? ODIN_F32 : ODIN_I64;
            float vals[2] = {-1.0f, 2.5f};
            int ins[3] = {odin_input(g, "i", it, 2, id), odin_constant_i64(g, "depth", 0, NULL, &depth),
                          odin_constant_f32(g, "v", 1, (int64_t[]){2}, vals)};
            odin_attr a = ODIN_ATTR_I("axis", axis);
            odin_output(g, odin_build(g, op, ins, 3, &a, 1, 1, NULL), "y");
            check_opts o = opts(0, -7, 7); /* some indices out of range: all-off rows */
            CHECK_GRAPH(g, o, "OneHot %s n=%lld axis %d", odin_dtype_name(it), (long long)n, axis);
        }
}

static void run_depth_space(const char *op) {
    bool d2s = !strcmp(op, "DepthToSpace");
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 2; v++) {
            int64_t w = sizes[k], bs = 2;
            odin_graph *g = odin_graph_new("d2s");
            int64_t xd[4] = {2, d2s ? 3 * bs * bs : 3, 3 * (d2s ? 1 : bs), w * (d2s ? 1 : bs)};
            odin_dtype t = v ? ODIN_I8 : ODIN_F32;
            int x = odin_input(g, "x", t, 4, xd);
            odin_attr a[2] = {ODIN_ATTR_I("blocksize", bs), ODIN_ATTR_S("mode", v ? "CRD" : "DCR")};
            odin_output(g, odin_build(g, op, &x, 1, a, d2s ? 2 : 1, 1, NULL), "y");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "%s %s w=%lld %s", op, odin_dtype_name(t), (long long)w, a[1].s);
        }
}

static void run_eyelike(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int64_t kk = -1; kk <= 2; kk += 3) {
            odin_graph *g = odin_graph_new("eyelike");
            int64_t xd[2] = {4, sizes[k]};
            int x = odin_input(g, "x", ODIN_F32, 2, xd);
            odin_attr a[2] = {ODIN_ATTR_I("k", kk), ODIN_ATTR_I("dtype", kk > 0 ? 7 /* INT64 */ : 1 /* FLOAT */)};
            int e = odin_build(g, op, &x, 1, a, 2, 1, NULL);
            odin_output(g, e, "y");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "EyeLike n=%lld k=%lld", (long long)sizes[k], (long long)kk);
        }
}

/* Shape / Size: their output feeds an Add with a graph input so it is not folded away. */
static void run_shape_size(const char *op) {
    for (int k = 0; k < N_SIZES; k++) {
        odin_graph *g = odin_graph_new("shape");
        int64_t xd[3] = {2, 3, sizes[k]};
        int x = odin_input(g, "x", ODIN_F32, 3, xd);
        int s = odin_build(g, op, &x, 1, NULL, 0, 1, NULL);
        int64_t od[1] = {3};
        int z = odin_input(g, "z", ODIN_I64, strcmp(op, "Size") ? 1 : 0, od);
        odin_output(g, odin_add(g, s, z), "y");
        check_opts o = opts(0, 0, 0);
        CHECK_GRAPH(g, o, "%s n=%lld", op, (long long)sizes[k]);
    }
}

/* Resize: every interpolation mode and several coordinate modes, up- and downsampling the
 * odd innermost sizes; the lowering reads the eval's own tap tables, so results match it. */
static void run_resize(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 6; v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("resize");
            odin_dtype t = v == 5 ? ODIN_F64 : ODIN_F32;
            int64_t xd[3] = {2, 3, n};
            int64_t outs[6][3] = {{2, 5, 2 * n + 1}, {2, 2, 2 * n}, {2, 4, (n + 1) / 2},
                                  {2, 2, (n + 2) / 3}, {2, 3, n + 2}, {1, 6, 3 * n}};
            int x = odin_input(g, "x", t, 3, xd);
            int64_t three = 3;
            int sizes_t = odin_constant_i64(g, "sizes", 1, &three, outs[v]);
            int roi = -2;
            if (v == 4) {
                float r[6] = {0, 0, -0.2f, 1, 1, 1.3f};
                int64_t six = 6;
                roi = odin_constant_f32(g, "roi", 1, &six, r);
            }
            int ins[4] = {x, roi, -2, sizes_t};
            static const char *const modes[6] = {"nearest", "linear", "cubic", "linear", "linear", "nearest"};
            static const char *const coords[6] = {"half_pixel", "align_corners", "half_pixel",
                                                  "pytorch_half_pixel", "tf_crop_and_resize", "asymmetric"};
            odin_attr a[5] = {ODIN_ATTR_S("mode", modes[v]),
                              ODIN_ATTR_S("coordinate_transformation_mode", coords[v]),
                              ODIN_ATTR_I("exclude_outside", v == 2), ODIN_ATTR_I("antialias", v == 3),
                              v == 5 ? ODIN_ATTR_S("nearest_mode", "ceil") : ODIN_ATTR_F("extrapolation_value", 7.0f)};
            odin_output(g, odin_build(g, op, ins, 4, a, 5, 1, NULL), "y");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "Resize %s %s n=%lld", modes[v], coords[v], (long long)n);
        }
}

/* Upsample (opset 7-9): scales as an input. */
static void run_upsample(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 2; v++) {
            odin_graph *g = odin_graph_new("upsample");
            g->opset = 9;
            int64_t xd[3] = {2, 3, sizes[k]}, three = 3;
            float sc[3] = {1, 2, 3};
            int ins[2] = {odin_input(g, "x", ODIN_F32, 3, xd), odin_constant_f32(g, "scales", 1, &three, sc)};
            odin_attr a = ODIN_ATTR_S("mode", v ? "linear" : "nearest");
            odin_output(g, odin_build(g, op, ins, 2, &a, 1, 1, NULL), "y");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "Upsample %s n=%lld", a.s, (long long)sizes[k]);
        }
}

/* Pad's gather modes (reflect, edge, wrap), negative pads cropping first. */
static void run_pad_modes(const char *op) {
    static const char *const modes[3] = {"reflect", "edge", "wrap"};
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 6; v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("pad");
            int64_t xd[3] = {2, 3, n}, six = 6;
            odin_dtype t = v & 1 ? ODIN_I16 : ODIN_F32;
            /* reflect needs pads < kept extent; wrap and edge take any */
            int64_t far = v % 3 == 0 ? (n > 1 ? n - 1 : 0) : n + 2;
            int64_t pads[6] = {0, 2, far, 1, v == 4 ? -1 : 1, v == 5 && n > 1 ? -1 : 1};
            int ins[2] = {odin_input(g, "x", t, 3, xd), odin_constant_i64(g, "pads", 1, &six, pads)};
            odin_attr a = ODIN_ATTR_S("mode", modes[v % 3]);
            odin_output(g, odin_build(g, op, ins, 2, &a, 1, 1, NULL), "y");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "Pad %s %s n=%lld", modes[v % 3], odin_dtype_name(t), (long long)n);
        }
}

/* Dropout in inference: opset 21 without training_mode, with the mask output, with a
 * constant zero training_mode, and opset 7 (mask of the data's dtype). */
static void run_dropout(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            odin_graph *g = odin_graph_new("dropout");
            if (v == 3) g->opset = 7;
            int64_t xd[2] = {3, sizes[k]};
            odin_dtype t = v == 1 ? ODIN_I32 : ODIN_F32;
            int ins[3] = {odin_input(g, "x", t, 2, xd), -2, -2};
            int n_in = 1;
            if (v == 2) {
                float r = 0.3f;
                uint8_t tr = 0;
                ins[1] = odin_constant_f32(g, "ratio", 0, NULL, &r);
                ins[2] = odin_constant(g, "training", ODIN_BOOL, 0, NULL, &tr);
                n_in = 3;
            }
            int outs[2];
            int n_out = v == 0 ? 1 : 2;
            odin_build(g, op, ins, n_in, NULL, 0, n_out, outs);
            for (int i = 0; i < n_out; i++) odin_output(g, outs[i], i ? "mask" : "y");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "Dropout v%d n=%lld", v, (long long)sizes[k]);
        }
    /* training_mode as a run-time input (true or false by seed), ratio constant or computed:
     * the kernel replays the eval's seeded draws */
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            odin_graph *g = odin_graph_new("dropout_train");
            int64_t xd[2] = {3, sizes[k]};
            float r = 0.3f;
            int ratio = v & 1 ? odin_mul(g, odin_build(g, "Abs", (int[]){odin_input(g, "r", ODIN_F32, 0, NULL)}, 1, NULL, 0, 1, NULL),
                                         odin_scalar_f32(g, "k", 0.2f))
                              : odin_constant_f32(g, "ratio", 0, NULL, &r);
            int ins[3] = {odin_input(g, "x", v & 2 ? ODIN_F64 : ODIN_F32, 2, xd), ratio,
                          odin_input(g, "training", ODIN_BOOL, 0, NULL)};
            odin_attr a = ODIN_ATTR_I("seed", 7 + v);
            int outs[2];
            odin_build(g, op, ins, 3, &a, 1, 2, outs);
            odin_output(g, outs[0], "y"), odin_output(g, outs[1], "mask");
            check_opts o = opts(0, 0, 0);
            o.seed = 11 + (uint64_t)(k * 4 + v);
            CHECK_GRAPH(g, o, "Dropout run-time training v%d n=%lld", v, (long long)sizes[k]);
        }
}

/* Cast / CastLike pairs the fused scalar lowering turns down (f16, bf16, f64), through
 * codegen/lower_cast.c; bf16 before opset 19 truncates. */
static void run_cast_wide(const char *op) {
    static const odin_dtype pairs[][2] = {
        {ODIN_F32, ODIN_F16}, {ODIN_F16, ODIN_F32}, {ODIN_F64, ODIN_F16}, {ODIN_F16, ODIN_F64},
        {ODIN_F32, ODIN_BF16}, {ODIN_BF16, ODIN_F32}, {ODIN_F64, ODIN_F32}, {ODIN_F32, ODIN_F64},
        {ODIN_F64, ODIN_I32}, {ODIN_I64, ODIN_F16}, {ODIN_U8, ODIN_F64}, {ODIN_F64, ODIN_BOOL},
        {ODIN_F64, ODIN_U64}, {ODIN_BF16, ODIN_I8}, {ODIN_F64, ODIN_BF16}, {ODIN_I32, ODIN_F64}};
    int np = (int)(sizeof pairs / sizeof pairs[0]);
    bool like = !strcmp(op, "CastLike");
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < np + !like; v++) { /* CastLike exists from opset 15 */
            odin_graph *g = odin_graph_new("cast");
            const odin_dtype *pr = pairs[v < np ? v : 4];
            if (v == np) g->opset = 13; /* f32 -> bf16 truncates */
            int64_t xd[2] = {3, sizes[k]};
            int x = odin_input(g, "x", pr[0], 2, xd), y;
            if (pr[0] == ODIN_F32 && pr[1] == ODIN_F16) /* into f16's subnormal range */
                x = odin_mul(g, x, odin_scalar_f32(g, "tiny", 3e-5f));
            if (like) {
                int ins[2] = {x, odin_input(g, "like", pr[1], 2, xd)};
                y = odin_build(g, op, ins, 2, NULL, 0, 1, NULL);
            } else {
                odin_attr a = ODIN_ATTR_I("to", odin_dtype_to_onnx(pr[1]));
                y = odin_build(g, op, &x, 1, &a, 1, 1, NULL);
            }
            odin_output(g, y, "y");
            check_opts o = opts(0, -100000, 100000); /* i64 -> f16 overflows to inf */
            CHECK_GRAPH(g, o, "%s %s -> %s opset %d n=%lld", op, odin_dtype_name(pr[0]),
                        odin_dtype_name(pr[1]), v == np ? 13 : 21, (long long)sizes[k]);
        }
}

/* NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss: scores [2,5,n] (and [n,5]),
 * targets in [0,5) with ignore_index 1 in some cases, class weights, each reduction, f32
 * and f64, the log_prob output. The softmax's exp / log come from the f32 mathlib. */
static void run_loss(const char *op) {
    bool sce = !strcmp(op, "SoftmaxCrossEntropyLoss");
    static const char *const reds[3] = {"none", "sum", "mean"};
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 6; v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("loss");
            odin_dtype t = v == 4 ? ODIN_F64 : ODIN_F32;
            bool flat = v == 5;
            int64_t xd[3] = {2, 5, n}, td[2] = {2, n}, fxd[2] = {n, 5}, fd[1] = {n}, five = 5;
            int ins[3] = {odin_input(g, "x", t, flat ? 2 : 3, flat ? fxd : xd),
                          odin_input(g, "target", v & 1 ? ODIN_I32 : ODIN_I64, flat ? 1 : 2, flat ? fd : td), -2};
            int n_in = 2;
            if (v == 2 || v == 3) {
                ins[2] = odin_input(g, "w", t, 1, &five);
                n_in = 3;
            }
            odin_attr a[2] = {ODIN_ATTR_S("reduction", reds[v % 3]), ODIN_ATTR_I("ignore_index", 1)};
            int outs[2], n_out = sce && v % 2 == 0 ? 2 : 1;
            odin_build(g, op, ins, n_in, a, v >= 3 ? 2 : 1, n_out, outs);
            for (int i = 0; i < n_out; i++) odin_output(g, outs[i], i ? "log_prob" : "loss");
            check_opts o = opts(sce ? 2e-6 : 0, 0, 5);
            CHECK_GRAPH(g, o, "%s %s %s v%d n=%lld", op, odin_dtype_name(t), reds[v % 3], v, (long long)n);
        }
}

/* ReduceLogSumExp over several axis sets, keepdims on and off, f32 and f64, with large
 * values (the max shift keeps exp from overflowing). */
static void run_logsumexp(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 5; v++) {
            odin_graph *g = odin_graph_new("lse");
            int64_t xd[3] = {2, 3, sizes[k]};
            odin_dtype t = v & 1 ? ODIN_F64 : ODIN_F32;
            int x = odin_input(g, "x", t, 3, xd);
            if (v == 4) x = odin_mul(g, x, odin_scalar_f32(g, "big", 100.0f));
            static const int64_t axes[5][2] = {{2, 0}, {1, 0}, {0, 2}, {-1, -3}, {1, 2}};
            static const int n_axes[5] = {1, 1, 2, 2, 2};
            int64_t na = n_axes[v];
            int ins[2] = {x, odin_constant_i64(g, "axes", 1, &na, axes[v])};
            odin_attr a = ODIN_ATTR_I("keepdims", v != 2);
            odin_output(g, odin_build(g, op, ins, 2, &a, 1, 1, NULL), "y");
            check_opts o = opts(2e-6, 0, 0);
            CHECK_GRAPH(g, o, "ReduceLogSumExp %s v%d n=%lld", odin_dtype_name(t), v, (long long)sizes[k]);
        }
}

/* QuantizeLinear / DequantizeLinear: per-tensor, per-axis and blocked scales, each
 * quantized dtype, with and without a zero point; DynamicQuantizeLinear. */
static void run_quant(const char *op) {
    static const odin_dtype qt[4] = {ODIN_U8, ODIN_I8, ODIN_I16, ODIN_U16};
    bool dyn = !strcmp(op, "DynamicQuantizeLinear"), quant = !strcmp(op, "QuantizeLinear");
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < (dyn ? 1 : 6); v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("quant");
            int64_t xd[3] = {2, 3, n};
            if (dyn) {
                int x = odin_input(g, "x", ODIN_F32, 3, xd), outs[3];
                odin_build(g, op, &x, 1, NULL, 0, 3, outs);
                odin_output(g, outs[0], "y"), odin_output(g, outs[1], "scale"), odin_output(g, outs[2], "zp");
                check_opts o = opts(0, 0, 0);
                CHECK_GRAPH(g, o, "DynamicQuantizeLinear n=%lld", (long long)n);
                continue;
            }
            odin_dtype t = qt[v % 4];
            int mode = v % 3; /* 0 per-tensor, 1 per-axis (axis 1), 2 blocked (axis 2, block 4) */
            int64_t sd[3] = {2, 3, (n + 3) / 4}, three = 3;
            int srank = mode == 0 ? 0 : mode == 1 ? 1 : 3;
            const int64_t *sdims = mode == 1 ? &three : sd;
            int x = odin_input(g, "x", quant ? ODIN_F32 : t, 3, xd);
            int sc = odin_input(g, "scale", ODIN_F32, srank, sdims);
            int ins[3] = {x, sc, odin_input(g, "zp", t, srank, sdims)};
            int n_in = v == 4 && quant ? 2 : 3; /* no zero point: uint8 */
            odin_attr a[2] = {ODIN_ATTR_I("axis", mode == 2 ? 2 : 1), ODIN_ATTR_I("block_size", mode == 2 ? 4 : 0)};
            odin_output(g, odin_build(g, op, ins, n_in, a, 2, 1, NULL), "y");
            check_opts o = opts(0, 0, 100);
            CHECK_GRAPH(g, o, "%s %s mode %d n=%lld", op, odin_dtype_name(t), mode, (long long)n);
        }
}

/* ConvTranspose: 1-D and 2-D, strides, dilations, pads, output_padding, output_shape,
 * groups and bias, f32 and f64; the innermost spatial extent takes the odd sizes. */
static void run_convtranspose(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 5; v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("convt");
            odin_dtype t = v == 3 ? ODIN_F64 : ODIN_F32;
            int two_d = v != 1, groups = v == 2 ? 2 : 1;
            int64_t C = 4, Mg = 3;
            int64_t xd[4] = {2, C, 3, n}, xd1[3] = {2, C, n};
            int64_t wd[4] = {C, Mg, 3, 2}, wd1[3] = {C, Mg, 3}, bd = Mg * groups;
            int ins[3] = {odin_input(g, "x", t, two_d ? 4 : 3, two_d ? xd : xd1),
                          odin_input(g, "w", t, two_d ? 4 : 3, two_d ? wd : wd1),
                          odin_input(g, "b", t, 1, &bd)};
            int64_t strides[2] = {2, v == 4 ? 1 : 3}, dil[2] = {1, v == 2 ? 2 : 1};
            int64_t pads[4] = {1, 0, 0, v == 0 ? 1 : 0}, opad[2] = {1, v == 0 ? 1 : 0};
            int64_t oshape[2] = {7, 2 * n + 1}, p1[2] = {pads[1], pads[3]};
            odin_attr a[6];
            int na = 0, nsp = two_d ? 2 : 1;
            a[na++] = ODIN_ATTR_INTS("strides", two_d ? strides : strides + 1, nsp);
            a[na++] = ODIN_ATTR_INTS("dilations", two_d ? dil : dil + 1, nsp);
            a[na++] = ODIN_ATTR_I("group", groups);
            if (v == 4) a[na++] = ODIN_ATTR_INTS("output_shape", oshape, 2);
            else {
                a[na++] = ODIN_ATTR_INTS("pads", two_d ? pads : p1, 2 * nsp);
                a[na++] = ODIN_ATTR_INTS("output_padding", two_d ? opad : opad + 1, nsp);
            }
            odin_output(g, odin_build(g, op, ins, v == 1 ? 2 : 3, a, na, 1, NULL), "y");
            check_opts o = opts(1e-6, 0, 0);
            CHECK_GRAPH(g, o, "ConvTranspose v%d %s n=%lld", v, odin_dtype_name(t), (long long)n);
        }
}

/* RNN / GRU / LSTM: hidden size takes the odd sizes; seq 3, batch 2, input 5; forward,
 * reverse and bidirectional, layout 1, sequence_lens, initial states, peepholes, clip,
 * linear_before_reset, input_forget and non-default activations. */
static void run_rnn(const char *op) {
    int kind = !strcmp(op, "RNN") ? 0 : !strcmp(op, "GRU") ? 1 : 2;
    int64_t G = kind == 0 ? 1 : kind == 1 ? 3 : 4;
    static const char *const dirs[3] = {"forward", "reverse", "bidirectional"};
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            int64_t H = sizes[k] > 33 ? 33 : sizes[k], S = 3, N = 2, I = 5;
            if (v == 3 && sizes[k] == 130) H = 130;
            int D = v == 2 ? 2 : 1, layout = v == 1;
            odin_graph *g = odin_graph_new("rnn");
            int64_t xd[3] = {layout ? N : S, layout ? S : N, I}, wd[3] = {D, G * H, I}, rd[3] = {D, G * H, H};
            int64_t bd[2] = {D, 2 * G * H}, sd[3] = {layout ? N : D, layout ? D : N, H}, pd[2] = {D, 3 * H};
            int ins[8] = {odin_input(g, "x", ODIN_F32, 3, xd), odin_input(g, "w", ODIN_F32, 3, wd),
                          odin_input(g, "r", ODIN_F32, 3, rd), -2, -2, -2, -2, -2};
            int n_in = 3;
            if (v != 3) ins[3] = odin_input(g, "b", ODIN_F32, 2, bd), n_in = 4;
            if (v == 1 || v == 2) ins[4] = odin_input(g, "lens", ODIN_I32, 1, &N), n_in = 5;
            if (v >= 1) ins[5] = odin_input(g, "h0", ODIN_F32, 3, sd), n_in = 6;
            if (kind == 2 && v >= 1) ins[6] = odin_input(g, "c0", ODIN_F32, 3, sd), n_in = 7;
            if (kind == 2 && v == 2) ins[7] = odin_input(g, "p", ODIN_F32, 2, pd), n_in = 8;
            odin_attr a[6];
            int na = 0;
            a[na++] = ODIN_ATTR_I("hidden_size", H);
            a[na++] = ODIN_ATTR_S("direction", dirs[v < 3 ? v : 0]);
            a[na++] = ODIN_ATTR_I("layout", layout);
            if (v == 2) a[na++] = ODIN_ATTR_F("clip", 1.5f);
            if (v == 1 && kind == 1) a[na++] = ODIN_ATTR_I("linear_before_reset", 1);
            if (v == 3 && kind == 2) a[na++] = ODIN_ATTR_I("input_forget", 1);
            static const char *acts3[3] = {"HardSigmoid", "LeakyRelu", "Softsign"};
            static const char *acts1[1] = {"Relu"};
            if (v == 3) a[na++] = (odin_attr){.name = "activations", .kind = ODIN_ATTR_STRINGS,
                                              .strings = kind == 0 ? acts1 : acts3,
                                              .count = kind == 0 ? 1 : kind == 1 ? 2 : 3};
            int outs[3], n_out = kind == 2 ? 3 : 2;
            odin_build(g, op, ins, n_in, a, na, n_out, outs);
            for (int i = 0; i < n_out; i++) odin_output(g, outs[i], i == 0 ? "y" : i == 1 ? "yh" : "yc");
            /* f32 gate sums against the eval's doubles; the unbounded LeakyRelu state of v3
             * grows over the steps, and its rounding with it */
            check_opts o = opts(v == 3 ? 3e-4 : 5e-5, 0, 4); /* sequence lengths 0..3 */
            CHECK_GRAPH(g, o, "%s v%d H=%lld", op, v, (long long)H);
        }
}

/* Einsum: matrix-product forms (the GEMM engine, with batch and transposed operands) and
 * loop forms (diagonal, trace-like sums, outer product, three operands, f64). The letter
 * n takes the odd sizes. */
static void run_einsum(const char *op) {
    static const struct {
        const char *eq;
        int n_in;
        const char *shapes[3]; /* letters per input; each letter's extent below */
        odin_dtype t;
    } cases[] = {
        {"bij,bjn->bin", 2, {"bij", "bjn"}, ODIN_F32}, {"in,kn->ik", 2, {"in", "kn"}, ODIN_F32},
        {"ji,jn->in", 2, {"ji", "jn"}, ODIN_F32},      {"ij,jn->ni", 2, {"ij", "jn"}, ODIN_F32},
        {"nn->n", 1, {"nn"}, ODIN_F32},                {"ij,jn", 2, {"ij", "jn"}, ODIN_F64},
        {"in->", 1, {"in"}, ODIN_F32},                 {"i,n->in", 2, {"i", "n"}, ODIN_F32},
        {"ij,jk,kn->in", 3, {"ij", "jk", "kn"}, ODIN_F32}, {"bin,bjn->bij", 2, {"bin", "bjn"}, ODIN_F32},
        {"n,n->", 2, {"n", "n"}, ODIN_F32},
    };
    for (int k = 0; k < N_SIZES; k++)
        for (size_t v = 0; v < sizeof cases / sizeof cases[0]; v++) {
            odin_graph *g = odin_graph_new("einsum");
            int ins[3];
            for (int i = 0; i < cases[v].n_in; i++) {
                const char *sh = cases[v].shapes[i];
                int64_t d[4];
                int r = (int)strlen(sh);
                for (int a = 0; a < r; a++)
                    d[a] = sh[a] == 'n' ? sizes[k] : sh[a] == 'b' ? 2 : sh[a] == 'i' ? 3 : sh[a] == 'j' ? 5 : 4;
                char name[8];
                snprintf(name, sizeof name, "x%d", i);
                ins[i] = odin_input(g, name, cases[v].t, r, d);
            }
            odin_attr a = ODIN_ATTR_S("equation", cases[v].eq);
            odin_output(g, odin_build(g, op, ins, cases[v].n_in, &a, 1, 1, NULL), "y");
            check_opts o = opts(1e-5, 0, 0);
            CHECK_GRAPH(g, o, "Einsum %s n=%lld", cases[v].eq, (long long)sizes[k]);
        }
}

/* Reductions whose axes input is a graph input of shape [0]: its shape alone decides
 * (all axes, or the identity with noop_with_empty_axes). More in test_codegen_reduce.c. */
static void run_reduce_empty_axes(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int noop = 0; noop < 2; noop++) {
            odin_graph *g = odin_graph_new("reduce_empty_axes");
            int64_t xd[2] = {3, sizes[k]}, zero = 0;
            int ins[2] = {odin_input(g, "x", ODIN_F32, 2, xd), odin_input(g, "axes", ODIN_I64, 1, &zero)};
            odin_attr a = ODIN_ATTR_I("noop_with_empty_axes", noop);
            odin_output(g, odin_build(g, op, ins, 2, &a, 1, 1, NULL), "y");
            check_opts o = opts(2e-6, 0, 0);
            CHECK_GRAPH(g, o, "%s empty axes input noop=%d n=%lld", op, noop, (long long)sizes[k]);
        }
}

/* MatMulInteger / QLinearMatMul: u8 and i8, batched A with 2-D or batched B, zero points
 * and scales per tensor or per row / column; N takes the odd sizes. */
static void run_qmatmul(const char *op) {
    bool ql = !strcmp(op, "QLinearMatMul");
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            int64_t n = sizes[k], M = 3, K = 17;
            odin_graph *g = odin_graph_new("qmm");
            odin_dtype at = v & 1 ? ODIN_I8 : ODIN_U8, bt = v & 2 ? ODIN_I8 : ODIN_U8;
            int64_t ad[3] = {2, M, K}, bd[3] = {2, K, n};
            bool bb = v >= 2, per = v == 1 || v == 3;
            int a = odin_input(g, "a", at, 3, ad), b = odin_input(g, "b", bt, bb ? 3 : 2, bb ? bd : bd + 1);
            int za = odin_input(g, "za", at, per ? 1 : 0, &M), zb = odin_input(g, "zb", bt, per ? 1 : 0, &n);
            int y;
            if (!ql) {
                int ins[4] = {a, b, za, zb};
                y = odin_build(g, op, ins, v == 0 ? 2 : 4, NULL, 0, 1, NULL);
            } else {
                float one = 1.0f;
                int sa = odin_input(g, "sa", ODIN_F32, per ? 1 : 0, &M), sb = odin_input(g, "sb", ODIN_F32, per ? 1 : 0, &n);
                int sy = odin_constant_f32(g, "sy", 0, NULL, &one);
                int zy = odin_input(g, "zy", v == 2 ? ODIN_I8 : ODIN_U8, 0, NULL);
                int ins[8] = {a, sa, za, b, sb, zb, odin_mul(g, sy, odin_scalar_f32(g, "k", 37.5f)), zy};
                y = odin_build(g, op, ins, 8, NULL, 0, 1, NULL);
            }
            odin_output(g, y, "y");
            check_opts o = opts(0, v & 1 ? -100 : 0, 100);
            CHECK_GRAPH(g, o, "%s v%d n=%lld", op, v, (long long)n);
        }
}

/* ConvInteger / QLinearConv: 1-D and 2-D, pads, strides, dilations, groups, zero points
 * and weight scales per tensor or per output channel, an int32 bias; the innermost
 * spatial extent takes the odd sizes. */
static void run_qconv(const char *op) {
    bool ql = !strcmp(op, "QLinearConv");
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            int64_t n = sizes[k], C = 4, M = 6, groups = v == 2 ? 2 : 1;
            odin_graph *g = odin_graph_new("qconv");
            odin_dtype xt = v & 1 ? ODIN_I8 : ODIN_U8, wt = v >= 2 ? ODIN_I8 : ODIN_U8;
            bool two_d = v != 1, per = v >= 2;
            int64_t xd[4] = {2, C, 3, n}, wd[4] = {M, C / groups, 2, 3}, xd1[3] = {2, C, n}, wd1[3] = {M, C / groups, 3};
            int x = odin_input(g, "x", xt, two_d ? 4 : 3, two_d ? xd : xd1);
            int w = odin_input(g, "w", wt, two_d ? 4 : 3, two_d ? wd : wd1);
            int xz = odin_input(g, "xz", xt, 0, NULL), wz = odin_input(g, "wz", wt, per ? 1 : 0, &M);
            int64_t pads[4] = {1, 1, 0, 2}, p1[2] = {1, 2}, strides[2] = {1, v == 3 ? 2 : 1}, dil[2] = {2, 1};
            odin_attr a[4] = {ODIN_ATTR_INTS("pads", two_d ? pads : p1, two_d ? 4 : 2),
                              ODIN_ATTR_INTS("strides", two_d ? strides : strides + 1, two_d ? 2 : 1),
                              ODIN_ATTR_INTS("dilations", two_d ? dil : dil + 1, two_d ? 2 : 1),
                              ODIN_ATTR_I("group", groups)};
            int y;
            if (!ql) {
                int ins[4] = {x, w, xz, wz};
                y = odin_build(g, op, ins, v == 0 ? 2 : 4, a, 4, 1, NULL);
            } else {
                int xs = odin_input(g, "xs", ODIN_F32, 0, NULL), ws = odin_input(g, "ws", ODIN_F32, per ? 1 : 0, &M);
                int ys = odin_mul(g, odin_input(g, "ys", ODIN_F32, 0, NULL), odin_scalar_f32(g, "k", 2000.0f));
                int yz = odin_input(g, "yz", v == 3 ? ODIN_I8 : ODIN_U8, 0, NULL);
                int b = odin_input(g, "b", ODIN_I32, 1, &M);
                int ins[9] = {x, xs, xz, w, ws, wz, ys, yz, b};
                y = odin_build(g, op, ins, v == 1 ? 8 : 9, a, 4, 1, NULL);
            }
            odin_output(g, y, "y");
            check_opts o = opts(0, v & 1 ? -100 : 0, 100);
            CHECK_GRAPH(g, o, "%s v%d n=%lld", op, v, (long long)n);
        }
}

/* The deprecated Scatter (opset 9-10): ScatterElements without reduction. */
static void run_scatter_old(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int axis = 0; axis < 2; axis++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("scatter");
            g->opset = 10;
            int64_t xd[2] = {axis ? 3 : n, axis ? n : 3}, id[2] = {axis ? 3 : 2, axis ? 2 : 3};
            int ins[3] = {odin_input(g, "x", ODIN_F32, 2, xd), odin_input(g, "i", ODIN_I64, 2, id),
                          odin_input(g, "u", ODIN_F32, 2, id)};
            odin_attr a = ODIN_ATTR_I("axis", axis);
            odin_output(g, odin_build(g, op, ins, 3, &a, 1, 1, NULL), "y");
            check_opts o = opts(0, -xd[axis], xd[axis]);
            CHECK_GRAPH(g, o, "Scatter n=%lld axis %d", (long long)n, axis);
        }
}

/* Det over a batch of sizes[k] matrices of order 1, 2, 3, 5 (f32, f64). */
static void run_det(const char *op) {
    static const int64_t orders[4] = {1, 2, 3, 5};
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            odin_graph *g = odin_graph_new("det");
            int64_t xd[3] = {sizes[k], orders[v], orders[v]};
            odin_dtype t = v & 1 ? ODIN_F64 : ODIN_F32;
            int x = odin_input(g, "x", t, 3, xd);
            odin_output(g, odin_build(g, op, &x, 1, NULL, 0, 1, NULL), "y");
            check_opts o = opts(v & 1 ? 0 : 1e-6, 0, 0);
            o.float_ties = v == 2; /* small integers: singular matrices turn up */
            CHECK_GRAPH(g, o, "Det %s order %lld batch %lld", odin_dtype_name(t), (long long)orders[v], (long long)sizes[k]);
        }
}

/* LRN: 5 channels, window sizes 1, 2, 3 and 5, the inner extent takes the odd sizes. */
static void run_lrn(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            odin_graph *g = odin_graph_new("lrn");
            int64_t xd[4] = {2, 5, 1, sizes[k]}, wins[4] = {1, 2, 3, 5};
            int x = odin_input(g, "x", ODIN_F32, 4, xd);
            odin_attr a[4] = {ODIN_ATTR_I("size", wins[v]), ODIN_ATTR_F("alpha", 0.3f), ODIN_ATTR_F("beta", 0.6f),
                              ODIN_ATTR_F("bias", 1.5f)};
            odin_output(g, odin_build(g, op, &x, 1, a, 4, 1, NULL), "y");
            check_opts o = opts(2e-6, 0, 0);
            CHECK_GRAPH(g, o, "LRN size %lld n=%lld", (long long)wins[v], (long long)sizes[k]);
        }
}

/* ReverseSequence: time-major and batch-major, lengths 0..4 of 4 steps. */
static void run_revseq(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int ba = 0; ba < 2; ba++) {
            odin_graph *g = odin_graph_new("revseq");
            int64_t xd[3] = {ba ? 4 : 3, ba ? 3 : 4, sizes[k]}, three = 3;
            odin_dtype t = ba ? ODIN_F32 : ODIN_I16;
            int ins[2] = {odin_input(g, "x", t, 3, xd), odin_input(g, "lens", ba ? ODIN_I64 : ODIN_I32, 1, &three)};
            odin_attr a[2] = {ODIN_ATTR_I("batch_axis", ba), ODIN_ATTR_I("time_axis", 1 - ba)};
            odin_output(g, odin_build(g, op, ins, 2, a, 2, 1, NULL), "y");
            check_opts o = opts(0, 0, 5);
            CHECK_GRAPH(g, o, "ReverseSequence batch_axis %d n=%lld", ba, (long long)sizes[k]);
        }
}

/* LpNormalization (p 1 and 2, several axes) and MeanVarianceNormalization (default and
 * explicit axes), f32 and f64. */
static void run_lpnorm(const char *op) {
    bool mvn = !strcmp(op, "MeanVarianceNormalization");
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            odin_graph *g = odin_graph_new("lpnorm");
            int64_t xd[4] = {2, 3, 2, sizes[k]};
            odin_dtype t = v & 1 ? ODIN_F64 : ODIN_F32;
            int x = odin_input(g, "x", t, 4, xd);
            int64_t axes[2] = {1, -1};
            odin_attr a[2];
            int na = 0;
            if (mvn) {
                if (v >= 2) a[na++] = ODIN_ATTR_INTS("axes", axes, v == 2 ? 1 : 2);
            } else {
                a[na++] = ODIN_ATTR_I("p", v < 2 ? 2 : 1);
                a[na++] = ODIN_ATTR_I("axis", v == 1 ? 1 : v == 2 ? 0 : -1);
            }
            odin_output(g, odin_build(g, op, &x, 1, a, na, 1, NULL), "y");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "%s %s v%d n=%lld", op, odin_dtype_name(t), v, (long long)sizes[k]);
        }
}

/* GridSample: every mode x padding x align_corners combination (18, three per size), grid
 * points in [-2, 2) so the paddings act; the grid's output width takes the odd sizes. */
static void run_gridsample(const char *op) {
    static const char *const modes[3] = {"bilinear", "nearest", "bicubic"};
    static const char *const pads[3] = {"zeros", "border", "reflection"};
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 3; v++) {
            int combo = (k * 3 + v) % 18, m = combo % 3, p = (combo / 3) % 3, align = combo / 9;
            odin_graph *g = odin_graph_new("gridsample");
            odin_dtype t = v == 2 ? ODIN_F64 : ODIN_F32;
            int64_t xd[4] = {2, 3, 4, 5}, gd[4] = {2, 3, sizes[k], 2};
            int ins[2] = {odin_input(g, "x", t, 4, xd), odin_input(g, "grid", t, 4, gd)};
            odin_attr a[3] = {ODIN_ATTR_S("mode", modes[m]), ODIN_ATTR_S("padding_mode", pads[p]),
                              ODIN_ATTR_I("align_corners", align)};
            odin_output(g, odin_build(g, op, ins, 2, a, 3, 1, NULL), "y");
            check_opts o = opts(1e-9, 0, 0);
            CHECK_GRAPH(g, o, "GridSample %s %s align %d %s n=%lld", modes[m], pads[p], align, odin_dtype_name(t),
                        (long long)sizes[k]);
        }
}

/* DFT (real / complex, inverse, onesided, dft_length shorter and longer than the axis,
 * the axis as an input) and STFT (window input or frame_length, onesided); the signal
 * length takes the odd sizes. Bit-exact: the twiddles are the eval's own values. */
static void run_dft(const char *op) {
    bool stft = !strcmp(op, "STFT");
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("dft");
            odin_dtype t = v == 3 ? ODIN_F64 : ODIN_F32;
            int64_t comps = v & 1 ? 2 : 1;
            int y;
            if (stft) {
                int64_t xd[3] = {2, n + 6, comps}, step = v + 1, flen = 4 + v, wl = 5;
                int ins[4] = {odin_input(g, "x", t, 3, xd), odin_constant_i64(g, "step", 0, NULL, &step), -2, -2};
                if (v & 2) ins[2] = odin_input(g, "w", t, 1, &wl);
                else ins[3] = odin_constant_i64(g, "flen", 0, NULL, &flen);
                odin_attr a = ODIN_ATTR_I("onesided", v == 0);
                y = odin_build(g, op, ins, 4, &a, 1, 1, NULL);
            } else {
                int64_t xd[4] = {2, n, 3, comps}, axis = 1, len = v == 2 ? n + 3 : n > 2 ? n - 2 : 1;
                int ins[3] = {odin_input(g, "x", t, 4, xd), v >= 2 ? odin_constant_i64(g, "len", 0, NULL, &len) : -2,
                              odin_constant_i64(g, "axis", 0, NULL, &axis)};
                odin_attr a[2] = {ODIN_ATTR_I("inverse", v == 1), ODIN_ATTR_I("onesided", v == 2 && comps == 1)};
                y = odin_build(g, op, ins, 3, a, 2, 1, NULL);
            }
            odin_output(g, y, "y");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "%s v%d n=%lld", op, v, (long long)n);
        }
}

/* MaxUnpool: kernel 2 stride 2 over [2,3,2,n], random flat indices into the unpooled
 * [2,3,4,2n] (repeats: the last write wins, as in the eval), with and without a larger
 * output_shape; f32 and i16 data. */
static void run_unpool(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 2; v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("unpool");
            int64_t xd[4] = {2, 3, 2, n}, os[4] = {2, 3, 5, 2 * n + 1}, four = 4;
            int ins[3] = {odin_input(g, "x", v ? ODIN_I16 : ODIN_F32, 4, xd), odin_input(g, "i", ODIN_I64, 4, xd),
                          v ? odin_constant_i64(g, "shape", 1, &four, os) : -2};
            int64_t ks[2] = {2, 2};
            odin_attr a[2] = {ODIN_ATTR_INTS("kernel_shape", ks, 2), ODIN_ATTR_INTS("strides", ks, 2)};
            odin_output(g, odin_build(g, op, ins, v ? 3 : 2, a, 2, 1, NULL), "y");
            check_opts o = opts(0, 0, 48 * n);
            CHECK_GRAPH(g, o, "MaxUnpool v%d n=%lld", v, (long long)n);
        }
}

/* RoiAlign: avg and max, both coordinate modes (and opset 10), fixed and adaptive
 * sampling; regions from random corners (some reversed or outside the map); the map width
 * takes the odd sizes. */
static void run_roialign(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 4; v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("roialign");
            if (v == 3) g->opset = 10;
            odin_dtype t = v == 2 ? ODIN_F64 : ODIN_F32;
            int64_t xd[4] = {2, 3, 5, n}, rd[2] = {4, 4}, four = 4;
            int rois = odin_input(g, "rois", t, 2, rd);
            if (t == ODIN_F32) rois = odin_mul(g, rois, odin_scalar_f32(g, "k", 3.0f));
            int ins[3] = {odin_input(g, "x", t, 4, xd), rois, odin_input(g, "b", ODIN_I64, 1, &four)};
            odin_attr a[6] = {ODIN_ATTR_S("mode", v & 1 ? "max" : "avg"),
                              ODIN_ATTR_S("coordinate_transformation_mode", v == 1 ? "output_half_pixel" : "half_pixel"),
                              ODIN_ATTR_I("output_height", 3), ODIN_ATTR_I("output_width", 2),
                              ODIN_ATTR_I("sampling_ratio", v == 1 ? 2 : 0), ODIN_ATTR_F("spatial_scale", 0.8f)};
            odin_output(g, odin_build(g, op, ins, 3, a, 6, 1, NULL), "y");
            check_opts o = opts(0, 0, 2);
            CHECK_GRAPH(g, o, "RoiAlign v%d n=%lld", v, (long long)n);
        }
}

/* LpPool (p 1, 2, 3; pads, strides, dilations, ceil_mode) and GlobalLpPool, f32 and f64;
 * the innermost spatial extent takes the odd sizes. */
static void run_lppool(const char *op) {
    bool global = !strcmp(op, "GlobalLpPool");
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 3; v++) {
            odin_graph *g = odin_graph_new("lppool");
            odin_dtype t = v == 1 ? ODIN_F64 : ODIN_F32;
            int64_t xd[4] = {2, 3, 4, sizes[k]};
            int x = odin_input(g, "x", t, 4, xd);
            int64_t ks[2] = {2, 3}, st[2] = {1, 2}, pads[4] = {0, 1, 1, 1}, dil[2] = {2, 1};
            odin_attr a[6] = {ODIN_ATTR_I("p", v + 1), ODIN_ATTR_INTS("kernel_shape", ks, 2),
                              ODIN_ATTR_INTS("strides", st, 2), ODIN_ATTR_INTS("pads", pads, 4),
                              ODIN_ATTR_INTS("dilations", dil, 2), ODIN_ATTR_I("ceil_mode", v == 2)};
            odin_output(g, odin_build(g, op, &x, 1, a, global ? 1 : 6, 1, NULL), "y");
            /* p = 3 goes through the f32 mathlib; f64's sqrt vs the eval's pow(s, 0.5) can
             * differ in the last bit */
            check_opts o = opts(v == 2 ? 2e-6 : v == 1 ? 1e-15 : 0, 0, 0);
            CHECK_GRAPH(g, o, "%s p=%d %s n=%lld", op, v + 1, odin_dtype_name(t), (long long)sizes[k]);
        }
}

/* MaxRoiPool: regions [batch, x1, y1, x2, y2] from small integers (valid batch indices,
 * ties on the rounding, some regions reversed), f32 and f64; the map width takes the odd
 * sizes. */
static void run_roipool(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 2; v++) {
            int64_t n = sizes[k];
            odin_graph *g = odin_graph_new("roipool");
            odin_dtype t = v ? ODIN_F64 : ODIN_F32;
            int64_t xd[4] = {2, 3, 6, n}, rd[2] = {4, 5}, ps[2] = {2, 3};
            /* |small integers| times [0.5, 3, 1.5, 3, 1.5]: batch indices 0, 0.5, 1 and corners
             * on rounding ties */
            int rois = odin_input(g, "rois", t, 2, rd);
            int absr = odin_build(g, "Abs", &rois, 1, NULL, 0, 1, NULL);
            int64_t five = 5;
            double colv[5] = {0.5, 3, 1.5, 3, 1.5};
            float colf[5] = {0.5f, 3, 1.5f, 3, 1.5f};
            int col = odin_constant(g, "col", t, 1, &five, v ? (const void *)colv : (const void *)colf);
            int ins[2] = {odin_input(g, "x", t, 4, xd), odin_mul(g, absr, col)};
            odin_attr a[2] = {ODIN_ATTR_INTS("pooled_shape", ps, 2), ODIN_ATTR_F("spatial_scale", 1.5f)};
            odin_output(g, odin_build(g, op, ins, 2, a, 2, 1, NULL), "y");
            check_opts o = opts(0, 0, 0);
            o.float_ties = true;
            CHECK_GRAPH(g, o, "MaxRoiPool %s n=%lld", odin_dtype_name(t), (long long)n);
        }
}

/* BatchNormalization in training mode (batch statistics, running mean / var outputs);
 * inference mode is tested in test_codegen_reduce.c. */
static void run_bn_training(const char *op) {
    for (int k = 0; k < N_SIZES; k++)
        for (int v = 0; v < 2; v++) {
            odin_graph *g = odin_graph_new("bn_train");
            int64_t xd[4] = {2, 3, 2, sizes[k]}, xd2[2] = {sizes[k], 3}, three = 3;
            int ins[5] = {odin_input(g, "x", ODIN_F32, v ? 2 : 4, v ? xd2 : xd)};
            const char *names[4] = {"scale", "b", "mean", "var"};
            for (int i = 0; i < 4; i++) ins[1 + i] = odin_input(g, names[i], ODIN_F32, 1, &three);
            odin_attr a[3] = {ODIN_ATTR_I("training_mode", 1), ODIN_ATTR_F("momentum", 0.8f), ODIN_ATTR_F("epsilon", 0.01f)};
            int outs[3];
            odin_build(g, op, ins, 5, a, 3, 3, outs);
            odin_output(g, outs[0], "y"), odin_output(g, outs[1], "rmean"), odin_output(g, outs[2], "rvar");
            check_opts o = opts(0, 0, 0);
            CHECK_GRAPH(g, o, "BatchNormalization training v%d n=%lld", v, (long long)sizes[k]);
        }
}

typedef struct lower_spec {
    const char *op;
    void (*run)(const char *op);
} lower_spec;

static const lower_spec specs[] = {
    {"CumSum", run_cumsum},         {"Trilu", run_trilu},
    {"Range", run_range},           {"TopK", run_topk},
    {"GatherElements", run_elements}, {"ScatterElements", run_elements},
    {"GatherND", run_nd},           {"ScatterND", run_nd},
    {"OneHot", run_onehot},         {"DepthToSpace", run_depth_space},
    {"SpaceToDepth", run_depth_space}, {"EyeLike", run_eyelike},
    {"Shape", run_shape_size},      {"Size", run_shape_size},
    {"Resize", run_resize},         {"Upsample", run_upsample},
    {"Pad", run_pad_modes},         {"Dropout", run_dropout},
    {"Cast", run_cast_wide},        {"CastLike", run_cast_wide},
    {"NegativeLogLikelihoodLoss", run_loss}, {"SoftmaxCrossEntropyLoss", run_loss},
    {"ReduceLogSumExp", run_logsumexp},
    {"QuantizeLinear", run_quant},  {"DequantizeLinear", run_quant},
    {"DynamicQuantizeLinear", run_quant},
    {"ConvTranspose", run_convtranspose},
    {"RNN", run_rnn},               {"GRU", run_rnn},               {"LSTM", run_rnn},
    {"Einsum", run_einsum},
    {"ReduceSum", run_reduce_empty_axes}, {"ReduceLogSumExp", run_reduce_empty_axes},
    {"MatMulInteger", run_qmatmul}, {"QLinearMatMul", run_qmatmul},
    {"ConvInteger", run_qconv},     {"QLinearConv", run_qconv},
    {"Scatter", run_scatter_old},
    {"Det", run_det},               {"LRN", run_lrn},               {"ReverseSequence", run_revseq},
    {"LpNormalization", run_lpnorm}, {"MeanVarianceNormalization", run_lpnorm},
    {"GridSample", run_gridsample}, {"DFT", run_dft},             {"STFT", run_dft},
    {"MaxUnpool", run_unpool},      {"RoiAlign", run_roialign},
    {"LpPool", run_lppool},         {"GlobalLpPool", run_lppool},
    {"MaxRoiPool", run_roipool},    {"BatchNormalization", run_bn_training},
};
#define N_SPECS (int)(sizeof specs / sizeof specs[0])

/* Lowered ops whose differential tests live in another file (same harness). */
static const struct {
    const char *op, *where;
} covered_elsewhere[] = {
    {"MatMul", "test_codegen_linalg.c"}, {"Gemm", "test_codegen_linalg.c"},
    {"Conv", "test_codegen_linalg.c"}, {"MaxPool", "test_codegen_linalg.c"},
    {"AveragePool", "test_codegen_linalg.c"}, {"GlobalAveragePool", "test_codegen_linalg.c"},
    {"GlobalMaxPool", "test_codegen_linalg.c"},
    {"Reshape", "test_codegen_movement.c"}, {"Flatten", "test_codegen_movement.c"},
    {"Squeeze", "test_codegen_movement.c"}, {"Unsqueeze", "test_codegen_movement.c"},
    {"Transpose", "test_codegen_movement.c"}, {"Concat", "test_codegen_movement.c"},
    {"Split", "test_codegen_movement.c"}, {"Slice", "test_codegen_movement.c"},
    {"Expand", "test_codegen_movement.c"}, {"Tile", "test_codegen_movement.c"},
    {"Pad", "test_codegen_movement.c"}, {"Gather", "test_codegen_movement.c"},
    {"ReduceSum", "test_codegen_reduce.c"}, {"ReduceMean", "test_codegen_reduce.c"},
    {"ReduceMax", "test_codegen_reduce.c"}, {"ReduceMin", "test_codegen_reduce.c"},
    {"ReduceProd", "test_codegen_reduce.c"}, {"ReduceSumSquare", "test_codegen_reduce.c"},
    {"ReduceLogSum", "test_codegen_reduce.c"}, {"ReduceL1", "test_codegen_reduce.c"},
    {"ReduceL2", "test_codegen_reduce.c"}, {"ArgMax", "test_codegen_reduce.c"},
    {"ArgMin", "test_codegen_reduce.c"}, {"Softmax", "test_codegen_reduce.c"},
    {"LogSoftmax", "test_codegen_reduce.c"}, {"Hardmax", "test_codegen_reduce.c"},
    {"LayerNormalization", "test_codegen_reduce.c"}, {"RMSNormalization", "test_codegen_reduce.c"},
    {"BatchNormalization", "test_codegen_reduce.c"},
    {"InstanceNormalization", "test_codegen_reduce.c"},
    {"GroupNormalization", "test_codegen_reduce.c"},
    /* language-model ops: whole models through JIT sessions against odin_interpret */
    {"ai.odin::TokenShift", "test_session.c (rwkv6)"}, {"ai.odin::WKV6", "test_session.c (rwkv6)"},
    {"ai.odin::RoPE", "test_session.c"}, {"ai.odin::CachedAttention", "test_session.c"},
    {"ai.odin::PositionIds", "test_session.c"},
    {"ai.odin::Attention", "test_fuse_attention.c (made by fuse-attention; vs the unfused graph)"},
    /* made by passes (pack, fuse-conv): checked against the unrewritten graph */
    {"ai.odin::PackedMatMul", "test_codegen_linalg.c"}, {"ai.odin::FusedConv", "test_codegen_linalg.c"},
    {"ai.odin::WinogradInput", "test_winograd.c (made by the winograd pass; vs the direct Conv)"},
    {"ai.odin::WinogradOutput", "test_winograd.c (made by the winograd pass; vs the direct Conv)"},
};
#define N_ELSEWHERE (int)(sizeof covered_elsewhere / sizeof covered_elsewhere[0])

static bool has_ew_spec(const char *op) {
    for (int i = 0; i < N_EW; i++)
        if (!strcmp(ew_specs[i].op, op)) return true;
    return false;
}

static const lower_spec *find_spec(const char *op) {
    for (int i = 0; i < N_SPECS; i++)
        if (!strcmp(specs[i].op, op)) return &specs[i];
    return NULL;
}

static bool covered_in_other_test(const odin_op_def *d) {
    char name[128];
    snprintf(name, sizeof name, "%s%s%s", d->domain, *d->domain ? "::" : "", d->name);
    for (int i = 0; i < N_ELSEWHERE; i++)
        if (!strcmp(covered_elsewhere[i].op, name)) return true;
    return false;
}

/* Every op the compiler lowers has a spec here or a test elsewhere. */
static void test_every_lowered_op_has_a_spec(void) {
    int n, lowered = 0, missing = 0;
    const odin_op_def *const *defs = odin_op_all(&n);
    for (int i = 0; i < n; i++) {
        const odin_op_def *d = defs[i];
        if (odin_op_lowering_state(d) == ODIN_LOWERING_NONE) continue;
        lowered++;
        if (((!*d->domain) && (find_spec(d->name) || has_ew_spec(d->name))) || covered_in_other_test(d)) continue;
        missing++;
        CHECK(false, "op %s%s%s has a lowering but no differential test spec", d->domain,
              *d->domain ? "::" : "", d->name);
    }
    printf("  %d lowered ops, %d without a spec\n", lowered, missing);
}

/* Run every spec'd op (elementwise table and kernel table) once. */
static void test_specs(void) {
    const char *only = getenv("LOWER_DIFF_OP"); /* debugging: one op */
    for (int i = 0; i < N_EW; i++) {
        bool seen = false; /* run_elementwise runs every spec of the op at once */
        for (int j = 0; j < i && !seen; j++) seen = !strcmp(ew_specs[j].op, ew_specs[i].op);
        if (seen) continue;
        if (only && strcmp(only, ew_specs[i].op)) continue;
        run_elementwise(ew_specs[i].op);
    }
    for (int i = 0; i < N_SPECS; i++)
        if (!only || !strcmp(only, specs[i].op)) specs[i].run(specs[i].op);
}

int main(void) {
    RUN(test_every_lowered_op_has_a_spec);
    RUN(test_specs);
    TEST_DONE();
}
