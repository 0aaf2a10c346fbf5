/* ops/op.h — what an op is: its definition record (name, ONNX names and opset range,
 * arity, attribute schema, shape/dtype inference, plain-C reference kernel, LLVM
 * lowering) and the registry that finds a definition by (op, domain). */
#ifndef ODIN_OP_H
#define ODIN_OP_H

#include "../ir/graph.h"

struct odin_lower_ctx; /* codegen's context, opaque here */

typedef struct odin_attr_schema {
    const char *name;
    odin_attr_kind kind;
    bool required;
    /* default for INT / FLOAT / STRING (ignored when required) */
    int64_t def_i;
    float def_f;
    const char *def_s;
} odin_attr_schema;

/* The context handed to infer and eval. `in` holds one value per node input: dtype
 * ODIN_UNDEFINED and rank -1 for an omitted optional input; during infer, data is
 * non-NULL only for inputs that are graph constants. eval sets each out[i]'s dtype,
 * rank and dims, then calls odin_op_alloc_output to get its (zeroed) buffer. */
typedef struct odin_op_ctx {
    const odin_node *node;
    int opset;           /* default-domain opset in force */
    int n_in, n_out;
    const odin_value *in;
    odin_value *out;
    /* eval only: allocator for outputs (set by the executor) */
    void *(*alloc)(void *alloc_state, size_t bytes);
    void *alloc_state;
} odin_op_ctx;

typedef odin_status (*odin_infer_fn)(odin_op_ctx *ctx);
typedef odin_status (*odin_eval_fn)(odin_op_ctx *ctx);
typedef odin_status (*odin_lower_fn)(struct odin_lower_ctx *ctx, int node);

enum odin_op_flags {
    ODIN_OP_ELEMENTWISE = 1u << 0, /* output[i] depends on inputs at (broadcast) i only */
    ODIN_OP_SHAPE_ONLY = 1u << 1   /* moves/reinterprets data without arithmetic */
};

typedef struct odin_op_def {
    const char *name;   /* ODIN op name; equals the ONNX op_type where one exists */
    const char *domain; /* "" (ai.onnx), "com.microsoft", "ai.odin" */
    int since_version;  /* first opset this definition implements */
    int max_version;    /* last opset it implements (0 = open-ended) */
    int min_inputs, max_inputs, min_outputs, max_outputs;
    const odin_attr_schema *attrs; /* terminated by an entry with name NULL */
    odin_infer_fn infer;
    odin_eval_fn eval;
    odin_lower_fn lower; /* NULL until codegen has a lowering */
    uint32_t flags;
    const char *doc;     /* one line for `odinc ops` */
} odin_op_def;

/* Find the definition of (op, domain) valid at `opset` (0 = any). NULL if none. */
const odin_op_def *odin_op_find(const char *op, const char *domain, int opset);
/* All definitions, for listings and tests; sets *count. */
const odin_op_def *const *odin_op_all(int *count);
const odin_attr_schema *odin_op_attr_schema(const odin_op_def *def, const char *name);

/* Allocate out[i]'s buffer from its dtype and dims (eval only). */
odin_status odin_op_alloc_output(odin_op_ctx *ctx, int i);
/* Set out[i] shape (dtype, rank, dims) in one call. */
void odin_op_set_output(odin_op_ctx *ctx, int i, odin_dtype dtype, int rank,
                        const int64_t *dims);
/* True when input i is present (not an omitted optional input). */
bool odin_op_has_input(const odin_op_ctx *ctx, int i);

/* Run infer on a graph node: builds values from the node's tensors (constant data
 * included), calls def->infer and writes dtype/shape back to the output tensors. */
odin_status odin_infer_node(odin_graph *g, int node);

/* Shared helpers for op implementations. */
/* numpy broadcasting of a and b into out (rank/dims); error text names both shapes. */
odin_status odin_broadcast_shape(const odin_value *a, const odin_value *b, int *rank,
                                 int64_t *dims);
/* Normalize a possibly negative axis against rank; error when out of range. */
odin_status odin_norm_axis(int64_t axis, int rank, int *out);
/* Format a value's shape "[2,3]" into buf. */
const char *odin_shape_str(const odin_value *v, char *buf, size_t size);

/* Each op family file defines a NULL-terminated table; the registry lists them. */
#define ODIN_OP_FAMILIES(X)                                                               \
    X(elementwise)                                                                        \
    X(elementwise_binary)                                                                 \
    X(elementwise_cast)                                                                   \
    X(reduce)                                                                             \
    X(norm)                                                                               \
    X(linalg)                                                                             \
    X(conv)                                                                               \
    X(pool)                                                                               \
    X(shape)                                                                              \
    X(gather)                                                                             \
    X(quant)                                                                              \
    X(misc)                                                                               \
    X(loss)                                                                               \
    X(rnn)                                                                                \
    X(detect)                                                                             \
    X(signal)                                                                             \
    X(misc2)                                                                              \
    X(odin)                                                                               \
    X(winograd)                                                                           \
    X(lm)
#define ODIN_DECLARE_FAMILY(f) extern const odin_op_def *const odin_ops_##f[];
ODIN_OP_FAMILIES(ODIN_DECLARE_FAMILY)
#undef ODIN_DECLARE_FAMILY

#endif
