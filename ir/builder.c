#include "builder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/op.h"

static int fail(odin_graph *g, odin_status st) {
    if (!g->error) g->error = st;
    else odin_status_free(st);
    return -1;
}

odin_status odin_graph_take_error(odin_graph *g) {
    odin_status st = g->error;
    g->error = ODIN_OK;
    return st;
}

void odin_builder_scope(odin_graph *g, const char *scope) {
    g->scope = scope && *scope ? odin_arena_strdup(&g->arena, scope) : NULL;
}

/* "scope.base" or "base" */
static void scoped(const odin_graph *g, const char *base, char *buf, size_t size) {
    if (g->scope) snprintf(buf, size, "%s.%s", g->scope, base);
    else snprintf(buf, size, "%s", base);
}

int odin_build(odin_graph *g, const char *op, const int *ins, int n_in, const odin_attr *attrs,
               int n_attrs, int n_out, int *outs) {
    if (g->error) return -1;
    for (int i = 0; i < n_in; i++)
        if (ins[i] == -1) return -1; /* an earlier failure; its error is already kept */
    if (n_out < 1 || n_out > 16) return fail(g, odin_errorf("%s: bad output count %d", op, n_out));
    char domain[64] = "";
    const char *sep = strstr(op, "::");
    if (sep) {
        snprintf(domain, sizeof domain, "%.*s", (int)(sep - op), op);
        op = sep + 2;
    }
    int in_idx[64];
    if (n_in > 64) return fail(g, odin_errorf("%s: too many inputs", op));
    for (int i = 0; i < n_in; i++) in_idx[i] = ins[i] == -2 ? -1 : ins[i]; /* -2: omitted */
    char base[256], name[300];
    snprintf(base, sizeof base, "%s_%d", op, g->n_nodes);
    scoped(g, base, name, sizeof name);
    int out_idx[16];
    for (int i = 0; i < n_out; i++) {
        char tname[320];
        snprintf(tname, sizeof tname, n_out == 1 ? "%s" : "%s_%d", name, i);
        const char *unique = odin_graph_unique_name(g, tname);
        odin_status st = odin_graph_add_tensor(g, unique, ODIN_UNDEFINED, -1, NULL, &out_idx[i]);
        if (st) return fail(g, st);
    }
    int node;
    odin_status st = odin_graph_add_node(g, name, op, domain, in_idx, n_in, out_idx, n_out,
                                         attrs, n_attrs, &node);
    if (st) return fail(g, st);
    if (!g->nodes[node].def)
        return fail(g, odin_errorf("node '%s' (%s): unknown op in domain '%s'", name, op, domain));
    st = odin_infer_node(g, node);
    if (st) return fail(g, st);
    if (outs)
        for (int i = 0; i < n_out; i++) outs[i] = out_idx[i];
    return out_idx[0];
}

int odin_input(odin_graph *g, const char *name, odin_dtype dtype, int rank, const int64_t *dims) {
    if (g->error) return -1;
    int t;
    odin_status st = odin_graph_add_tensor(g, name, dtype, rank, dims, &t);
    if (!st) st = odin_graph_add_input(g, t);
    return st ? fail(g, st) : t;
}

int odin_output(odin_graph *g, int t, const char *name) {
    if (g->error || t < 0) return -1;
    odin_status st = name ? odin_graph_rename_tensor(g, t, name) : ODIN_OK;
    if (!st) st = odin_graph_add_output(g, t);
    return st ? fail(g, st) : t;
}

int odin_constant(odin_graph *g, const char *name, odin_dtype dtype, int rank,
                  const int64_t *dims, const void *data) {
    if (g->error) return -1;
    char buf[300];
    scoped(g, name, buf, sizeof buf);
    int t;
    odin_status st = odin_graph_add_tensor(g, buf, dtype, rank, dims, &t);
    if (st) return fail(g, st);
    int64_t n = odin_tensor_numel(&g->tensors[t]);
    if (n < 0) return fail(g, odin_errorf("constant '%s' needs a fully known shape", buf));
    st = odin_tensor_set_data(g, t, data, (size_t)n * odin_dtype_size(dtype));
    return st ? fail(g, st) : t;
}

int odin_constant_f32(odin_graph *g, const char *name, int rank, const int64_t *dims,
                      const float *data) {
    return odin_constant(g, name, ODIN_F32, rank, dims, data);
}

int odin_constant_i64(odin_graph *g, const char *name, int rank, const int64_t *dims,
                      const int64_t *data) {
    return odin_constant(g, name, ODIN_I64, rank, dims, data);
}

int odin_scalar_f32(odin_graph *g, const char *name, float v) {
    return odin_constant(g, name, ODIN_F32, 0, NULL, &v);
}

#define ODIN_DEFINE_UNARY(fn, op)                                                          \
    int odin_##fn(odin_graph *g, int x) { return odin_build(g, op, &x, 1, NULL, 0, 1, NULL); }
#define ODIN_DEFINE_BINARY(fn, op)                                                         \
    int odin_##fn(odin_graph *g, int a, int b) {                                           \
        int ins[2] = {a, b};                                                               \
        return odin_build(g, op, ins, 2, NULL, 0, 1, NULL);                                \
    }
ODIN_BUILDER_UNARY(ODIN_DEFINE_UNARY)
ODIN_BUILDER_BINARY(ODIN_DEFINE_BINARY)

int odin_gelu(odin_graph *g, int x, bool tanh_approx) {
    odin_attr a = ODIN_ATTR_S("approximate", tanh_approx ? "tanh" : "none");
    return odin_build(g, "Gelu", &x, 1, &a, 1, 1, NULL);
}

int odin_where(odin_graph *g, int cond, int a, int b) {
    int ins[3] = {cond, a, b};
    return odin_build(g, "Where", ins, 3, NULL, 0, 1, NULL);
}

int odin_gemm(odin_graph *g, int a, int b, int c, bool trans_b) {
    int ins[3] = {a, b, c};
    odin_attr at = ODIN_ATTR_I("transB", trans_b);
    return odin_build(g, "Gemm", ins, c == -2 ? 2 : 3, &at, 1, 1, NULL);
}

int odin_softmax(odin_graph *g, int x, int axis) {
    odin_attr a = ODIN_ATTR_I("axis", axis);
    return odin_build(g, "Softmax", &x, 1, &a, 1, 1, NULL);
}

int odin_layernorm(odin_graph *g, int x, int scale, int bias, int axis, float eps) {
    int ins[3] = {x, scale, bias};
    odin_attr a[2] = {ODIN_ATTR_I("axis", axis), ODIN_ATTR_F("epsilon", eps)};
    return odin_build(g, "LayerNormalization", ins, bias == -2 ? 2 : 3, a, 2, 1, NULL);
}

int odin_transpose(odin_graph *g, int x, int rank, const int64_t *perm) {
    odin_attr a = ODIN_ATTR_INTS("perm", perm, rank);
    return odin_build(g, "Transpose", &x, 1, &a, 1, 1, NULL);
}

/* A small i64 constant for shape-like inputs (Reshape shape, Slice starts, axes...). */
static int i64_const(odin_graph *g, const char *what, int n, const int64_t *vals) {
    char name[64];
    snprintf(name, sizeof name, "%s_%d", what, g->n_nodes);
    int64_t dims[1] = {n};
    return odin_constant_i64(g, odin_graph_find_tensor(g, name) < 0 ? name
                                                                    : odin_graph_unique_name(g, name),
                             1, dims, vals);
}

int odin_reshape(odin_graph *g, int x, int rank, const int64_t *shape) {
    int ins[2] = {x, i64_const(g, "shape", rank, shape)};
    return odin_build(g, "Reshape", ins, 2, NULL, 0, 1, NULL);
}

int odin_concat(odin_graph *g, const int *xs, int n, int axis) {
    odin_attr a = ODIN_ATTR_I("axis", axis);
    return odin_build(g, "Concat", xs, n, &a, 1, 1, NULL);
}

int odin_split(odin_graph *g, int x, int axis, int n_out, const int64_t *sizes, int *outs) {
    odin_attr a[2] = {ODIN_ATTR_I("axis", axis), ODIN_ATTR_I("num_outputs", n_out)};
    if (sizes) {
        int ins[2] = {x, i64_const(g, "split", n_out, sizes)};
        return odin_build(g, "Split", ins, 2, a, 1, n_out, outs);
    }
    return odin_build(g, "Split", &x, 1, a, 2, n_out, outs);
}

int odin_slice(odin_graph *g, int x, int n_axes, const int64_t *starts, const int64_t *ends,
               const int64_t *axes, const int64_t *steps) {
    int ins[5] = {x, i64_const(g, "starts", n_axes, starts), i64_const(g, "ends", n_axes, ends),
                  axes ? i64_const(g, "axes", n_axes, axes) : -2,
                  steps ? i64_const(g, "steps", n_axes, steps) : -2};
    int n_in = steps ? 5 : axes ? 4 : 3;
    return odin_build(g, "Slice", ins, n_in, NULL, 0, 1, NULL);
}

int odin_gather(odin_graph *g, int data, int indices, int axis) {
    int ins[2] = {data, indices};
    odin_attr a = ODIN_ATTR_I("axis", axis);
    return odin_build(g, "Gather", ins, 2, &a, 1, 1, NULL);
}

int odin_cast(odin_graph *g, int x, odin_dtype to) {
    /* ONNX ops keep ONNX attribute semantics in the IR: `to` is a TensorProto code */
    odin_attr a = ODIN_ATTR_I("to", odin_dtype_to_onnx(to));
    return odin_build(g, "Cast", &x, 1, &a, 1, 1, NULL);
}

static int reduce(odin_graph *g, const char *op, int x, int n_axes, const int64_t *axes,
                  bool keepdims) {
    int ins[2] = {x, n_axes ? i64_const(g, "axes", n_axes, axes) : -2};
    odin_attr a = ODIN_ATTR_I("keepdims", keepdims);
    return odin_build(g, op, ins, n_axes ? 2 : 1, &a, 1, 1, NULL);
}

int odin_reduce_mean(odin_graph *g, int x, int n_axes, const int64_t *axes, bool keepdims) {
    return reduce(g, "ReduceMean", x, n_axes, axes, keepdims);
}

int odin_reduce_sum(odin_graph *g, int x, int n_axes, const int64_t *axes, bool keepdims) {
    return reduce(g, "ReduceSum", x, n_axes, axes, keepdims);
}

int odin_trilu(odin_graph *g, int x, bool upper, int64_t k) {
    int64_t dims[1] = {0};
    int kt = odin_constant_i64(g, odin_graph_unique_name(g, "trilu_k"), 0, dims, &k);
    int ins[2] = {x, kt};
    odin_attr a = ODIN_ATTR_I("upper", upper);
    return odin_build(g, "Trilu", ins, 2, &a, 1, 1, NULL);
}
