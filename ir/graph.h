/* ir/graph.h — the ODIN graph: tensors, nodes, attributes, graph inputs/outputs and
 * metadata. The graph owns an arena for strings, shapes and constant data; tensors and
 * nodes are referred to by index (never by pointer: the arrays grow). */
#ifndef ODIN_GRAPH_H
#define ODIN_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "dtype.h"
#include "status.h"

#define ODIN_MAX_RANK 8

struct odin_op_def;
struct odin_graph;

/* A shape-typed view of a buffer; the currency of infer/eval. Contiguous, C order.
 * rank -1: unknown rank. dims[i] -1: unknown extent. data NULL: not known (infer) . */
typedef struct odin_value {
    odin_dtype dtype;
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    void *data;
} odin_value;

int64_t odin_value_numel(const odin_value *v); /* -1 when any dim is unknown or it overflows */
size_t odin_value_nbytes(const odin_value *v); /* 0 when unknown */

enum odin_tensor_flags {
    ODIN_TENSOR_INPUT = 1u << 0,   /* graph input */
    ODIN_TENSOR_OUTPUT = 1u << 1,  /* graph output */
    ODIN_TENSOR_CONST = 1u << 2,   /* has constant data (initializer / folded) */
    ODIN_TENSOR_EXTERNAL = 1u << 3 /* data points into memory the graph does not own (mmap) */
};

typedef struct odin_tensor {
    const char *name;
    odin_dtype dtype;
    int rank;                              /* -1 unknown */
    int64_t dims[ODIN_MAX_RANK];           /* -1 unknown / symbolic */
    const char *dim_params[ODIN_MAX_RANK]; /* symbolic dim names ("batch") or NULL */
    void *data; /* constant data or NULL: 64-byte aligned when the graph owns it; EXTERNAL
                 * data is at least aligned to its element type */
    size_t nbytes;                         /* size of data */
    uint32_t flags;
    int producer; /* index of the node that writes it, -1 for inputs/constants */
} odin_tensor;

typedef enum odin_attr_kind {
    ODIN_ATTR_UNDEFINED = 0,
    ODIN_ATTR_INT,
    ODIN_ATTR_FLOAT,
    ODIN_ATTR_STRING,
    ODIN_ATTR_INTS,
    ODIN_ATTR_FLOATS,
    ODIN_ATTR_STRINGS,
    ODIN_ATTR_TENSOR
} odin_attr_kind;

typedef struct odin_attr {
    const char *name;
    odin_attr_kind kind;
    int64_t i;
    float f;
    const char *s;      /* STRING: NUL-terminated; s_len holds the byte length */
    size_t s_len;
    int count;          /* element count of INTS / FLOATS / STRINGS */
    int64_t *ints;
    float *floats;
    const char **strings;
    odin_value t;       /* TENSOR: value with data in the graph arena */
} odin_attr;

typedef struct odin_node {
    const char *name;
    const char *op;      /* op type, e.g. "MatMul" */
    const char *domain;  /* "" for the default ONNX domain, "com.microsoft", "ai.odin" */
    const struct odin_op_def *def; /* resolved op definition, NULL if unsupported */
    int n_inputs, n_outputs, n_attrs;
    int *inputs;         /* tensor indices; -1 for an omitted optional input */
    int *outputs;        /* tensor indices; -1 for an omitted optional output */
    odin_attr *attrs;
} odin_node;

typedef struct odin_meta {
    const char *key, *value;
} odin_meta;

typedef struct odin_name_entry odin_name_entry; /* uthash name -> index table */

/* Something EXTERNAL constants point into that the graph keeps alive (a mapped checkpoint):
 * odin_graph_free calls release(ctx). ir/ knows nothing of what it is. */
typedef struct odin_graph_holder {
    void (*release)(void *ctx);
    void *ctx;
} odin_graph_holder;

typedef struct odin_graph {
    odin_arena arena;
    const char *name;
    int opset;           /* default-domain opset version the graph was written for */
    int opset_ms;        /* com.microsoft opset, 0 if none */
    odin_tensor *tensors;
    int n_tensors, cap_tensors;
    odin_node *nodes;
    int n_nodes, cap_nodes;
    int *inputs, n_inputs, cap_inputs;    /* tensor indices of graph inputs, in order */
    int *outputs, n_outputs, cap_outputs; /* tensor indices of graph outputs, in order */
    odin_meta *meta;
    int n_meta, cap_meta;
    odin_name_entry *tensor_names; /* uthash table */
    odin_status error;   /* first error of a builder call sequence (sticky), see builder.h */
    const char *scope;   /* builder name prefix for new nodes/tensors ("h0.attn"), or NULL */
    void *external_map;  /* mmap of the file constant data points into, or NULL */
    size_t external_size;
    odin_graph_holder *holds; /* released in reverse order by odin_graph_free */
    int n_holds, cap_holds;
} odin_graph;

odin_graph *odin_graph_new(const char *name);
void odin_graph_free(odin_graph *g);

/* Tensors. Names must be unique; odin_graph_add_tensor fails on a duplicate. */
odin_status odin_graph_add_tensor(odin_graph *g, const char *name, odin_dtype dtype, int rank,
                                  const int64_t *dims, int *out_index);
int odin_graph_find_tensor(const odin_graph *g, const char *name); /* -1 if absent */
/* A fresh tensor name "<base>", "<base>_1", ... not yet used in the graph. */
const char *odin_graph_unique_name(odin_graph *g, const char *base);
odin_status odin_graph_rename_tensor(odin_graph *g, int t, const char *name);
/* Rebuild the name -> index table from g->tensors (after tensors were removed or
 * renumbered, see ir/edit.h). Fails on a duplicate name. */
odin_status odin_graph_rebuild_names(odin_graph *g);
/* Copy `nbytes` of constant data into the arena (64-byte aligned) and mark t CONST. */
odin_status odin_tensor_set_data(odin_graph *g, int t, const void *data, size_t nbytes);
/* Point t at memory the graph does not own (an mmap); the memory must outlive g. */
void odin_tensor_set_external_data(odin_graph *g, int t, void *data, size_t nbytes);
/* Keep a resource alive as long as g: odin_graph_free calls release(ctx). On error (out of
 * memory) release is not called and the caller still owns ctx. */
odin_status odin_graph_hold(odin_graph *g, void (*release)(void *ctx), void *ctx);
odin_value odin_tensor_value(const odin_graph *g, int t); /* view incl. data (may be NULL) */
int64_t odin_tensor_numel(const odin_tensor *t);          /* -1 if unknown */

odin_status odin_graph_add_input(odin_graph *g, int t);
odin_status odin_graph_add_output(odin_graph *g, int t);

/* Nodes. Copies the arrays (and attribute payloads) into the arena. Sets producer of
 * each output. Does not run shape inference (the builder does). */
odin_status odin_graph_add_node(odin_graph *g, const char *name, const char *op,
                                const char *domain, const int *inputs, int n_inputs,
                                const int *outputs, int n_outputs, const odin_attr *attrs,
                                int n_attrs, int *out_index);
/* Deep-copy an attribute into the graph arena. */
odin_status odin_attr_copy(odin_graph *g, odin_attr *dst, const odin_attr *src);

odin_status odin_graph_set_meta(odin_graph *g, const char *key, const char *value);
const char *odin_graph_get_meta(const odin_graph *g, const char *key);

/* Attribute lookup on a node: the node's own value or, if absent, the default from the
 * node's op definition schema. NULL / 0 when neither exists. */
const odin_attr *odin_node_attr(const odin_node *n, const char *name);
int64_t odin_attr_i(const odin_node *n, const char *name);
float odin_attr_f(const odin_node *n, const char *name);
const char *odin_attr_s(const odin_node *n, const char *name);
/* INTS: returns count and sets *vals (NULL/0 when absent). */
int odin_attr_ints(const odin_node *n, const char *name, const int64_t **vals);
int odin_attr_floats(const odin_node *n, const char *name, const float **vals);
bool odin_node_has_attr(const odin_node *n, const char *name); /* explicitly set on node */

/* Attribute literal helpers for builders: ODIN_ATTR_I("axis", 1) etc. */
#define ODIN_ATTR_I(nm, v) ((odin_attr){.name = (nm), .kind = ODIN_ATTR_INT, .i = (v)})
#define ODIN_ATTR_F(nm, v) ((odin_attr){.name = (nm), .kind = ODIN_ATTR_FLOAT, .f = (v)})
#define ODIN_ATTR_S(nm, v) ((odin_attr){.name = (nm), .kind = ODIN_ATTR_STRING, .s = (v)})
#define ODIN_ATTR_INTS(nm, arr, n)                                                         \
    ((odin_attr){.name = (nm), .kind = ODIN_ATTR_INTS, .ints = (int64_t *)(arr), .count = (n)})

/* Shape formatting "[1,3,224,224]" (symbolic dims by name, unknown as ?). */
void odin_format_shape(char *buf, size_t size, int rank, const int64_t *dims,
                       const char *const *dim_params);
const char *odin_attr_kind_name(odin_attr_kind k);

#endif
