/* ir/builder.h — building graphs from C. Each call adds one node, checks its inputs and
 * infers output dtype/shape through the op's `infer`. Errors are sticky: the first one is
 * kept in the graph (odin_graph_take_error) and the call returns -1; any call given a -1
 * input returns -1 without a new error, so a builder can run to the end and check once. */
#ifndef ODIN_BUILDER_H
#define ODIN_BUILDER_H

#include "graph.h"

/* Generic: node `op` (default domain unless op is "domain::Op"), outputs get fresh names.
 * Returns output 0's tensor index; all outputs in outs[] when outs != NULL. */
int odin_build(odin_graph *g, const char *op, const int *ins, int n_in, const odin_attr *attrs,
               int n_attrs, int n_out, int *outs);
/* Take (and clear) the sticky error; ODIN_OK if none. */
odin_status odin_graph_take_error(odin_graph *g);
/* Prefix for names of nodes and tensors built from now on ("h0.attn"); NULL clears. */
void odin_builder_scope(odin_graph *g, const char *scope);

/* Graph inputs, outputs and constants. */
int odin_input(odin_graph *g, const char *name, odin_dtype dtype, int rank, const int64_t *dims);
int odin_output(odin_graph *g, int t, const char *name); /* renames t and marks it output */
int odin_constant(odin_graph *g, const char *name, odin_dtype dtype, int rank,
                  const int64_t *dims, const void *data);
int odin_constant_f32(odin_graph *g, const char *name, int rank, const int64_t *dims,
                      const float *data);
int odin_constant_i64(odin_graph *g, const char *name, int rank, const int64_t *dims,
                      const int64_t *data);
int odin_scalar_f32(odin_graph *g, const char *name, float v);

/* One function per op (the ones builders use; every other op goes through odin_build). */
#define ODIN_BUILDER_UNARY(X)                                                              \
    X(neg, "Neg") X(abs, "Abs") X(sqrt, "Sqrt") X(reciprocal, "Reciprocal") X(exp, "Exp")  \
    X(log, "Log") X(erf, "Erf") X(tanh, "Tanh") X(sigmoid, "Sigmoid") X(relu, "Relu")      \
    X(softplus, "Softplus") X(identity, "Identity") X(floor, "Floor") X(ceil, "Ceil")      \
    X(sin, "Sin") X(cos, "Cos") X(not, "Not") X(shape, "Shape")
#define ODIN_BUILDER_BINARY(X)                                                             \
    X(add, "Add") X(sub, "Sub") X(mul, "Mul") X(div, "Div") X(pow, "Pow")                   \
    X(matmul, "MatMul") X(equal, "Equal") X(less, "Less") X(greater, "Greater")            \
    X(and, "And") X(or, "Or") X(max2, "Max") X(min2, "Min")
#define ODIN_DECLARE_UNARY(fn, op) int odin_##fn(odin_graph *g, int x);
#define ODIN_DECLARE_BINARY(fn, op) int odin_##fn(odin_graph *g, int a, int b);
ODIN_BUILDER_UNARY(ODIN_DECLARE_UNARY)
ODIN_BUILDER_BINARY(ODIN_DECLARE_BINARY)
#undef ODIN_DECLARE_UNARY
#undef ODIN_DECLARE_BINARY

int odin_gelu(odin_graph *g, int x, bool tanh_approx);
int odin_where(odin_graph *g, int cond, int a, int b);
int odin_gemm(odin_graph *g, int a, int b, int c, bool trans_b); /* c may be -2: none */
int odin_softmax(odin_graph *g, int x, int axis);
int odin_layernorm(odin_graph *g, int x, int scale, int bias, int axis, float eps);
int odin_transpose(odin_graph *g, int x, int rank, const int64_t *perm);
int odin_reshape(odin_graph *g, int x, int rank, const int64_t *shape);
int odin_concat(odin_graph *g, const int *xs, int n, int axis);
int odin_split(odin_graph *g, int x, int axis, int n_out, const int64_t *sizes, int *outs);
int odin_slice(odin_graph *g, int x, int n_axes, const int64_t *starts, const int64_t *ends,
               const int64_t *axes, const int64_t *steps);
int odin_gather(odin_graph *g, int data, int indices, int axis);
int odin_cast(odin_graph *g, int x, odin_dtype to);
int odin_reduce_mean(odin_graph *g, int x, int n_axes, const int64_t *axes, bool keepdims);
int odin_reduce_sum(odin_graph *g, int x, int n_axes, const int64_t *axes, bool keepdims);
int odin_trilu(odin_graph *g, int x, bool upper, int64_t k);

#endif
