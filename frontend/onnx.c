/* frontend/onnx.c — ONNX ModelProto -> odin_graph. A faithful translation: opsets,
 * metadata, initializers, typed inputs and outputs, Constant nodes as constant tensors,
 * every node with its attributes (ONNX semantics kept), then shape inference. All
 * unsupported ops are collected and reported together. */
#include "onnx.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "../ops/op.h"
#include "onnx.pb-c.h"
#include "onnx_internal.h"
#include "onnx_tensor.h"

/* Unsupported nodes beyond this many are counted, not listed, in the error. */
#define MAX_LISTED_UNSUPPORTED 200

typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 256) + (size_t)n;
        char *p = realloc(b->s, nc);
        if (!p) return;
        b->s = p;
        b->cap = nc;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* name -> declared type (graph outputs and value_info), so lookups stay O(1) on big models */
typedef struct declared_entry {
    const char *name;
    const Onnx__ValueInfoProto *vi;
    UT_hash_handle hh;
} declared_entry;

typedef struct importer {
    odin_graph *g;
    declared_entry *declared;
    const Onnx__ModelProto *m;
    const Onnx__GraphProto *gp;
    const char *base_dir; /* for external data; NULL when imported from memory */
    int n_unsupported;
    strbuf unsupported;
    bool infer_enabled; /* off once a node is unsupported: the import fails anyway */
} importer;

static const char *str_or_empty(const char *s) { return s ? s : ""; }

static bool is_default_domain(const char *d) {
    return !d || !*d || strcmp(d, "ai.onnx") == 0;
}

/* Version of `domain` in the model's opset_import, 0 if not declared. */
static int domain_version(const importer *im, const char *domain) {
    for (size_t i = 0; i < im->m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = im->m->opset_import[i];
        bool same = is_default_domain(domain) ? is_default_domain(o->domain)
                                              : strcmp(str_or_empty(o->domain), domain) == 0;
        if (same) return o->has_version ? (int)o->version : 0;
    }
    return 0;
}

/* A NUL-terminated arena copy of protobuf bytes. */
static char *arena_bytes(odin_graph *g, const ProtobufCBinaryData *b) {
    char *s = odin_arena_alloc(&g->arena, b->len + 1, 1);
    if (s && b->len) memcpy(s, b->data, b->len);
    return s;
}

/* Give tensor t the constant value v (copied into the arena, 64-byte aligned). */
static odin_status set_constant(odin_graph *g, int t, const odin_value *v) {
    if (v->dtype != ODIN_STRING)
        return odin_tensor_set_data(g, t, v->data, odin_value_nbytes(v));
    int64_t n = odin_value_numel(v);
    const char **ss = odin_arena_alloc(&g->arena, sizeof(char *) * (size_t)(n > 0 ? n : 1), 64);
    if (!ss) return odin_errorf("out of memory");
    for (int64_t i = 0; i < n; i++) {
        ss[i] = odin_arena_strdup(&g->arena, ((char **)v->data)[i]);
        if (!ss[i]) return odin_errorf("out of memory");
    }
    g->tensors[t].data = ss;
    g->tensors[t].nbytes = sizeof(char *) * (size_t)n;
    g->tensors[t].flags |= ODIN_TENSOR_CONST;
    return ODIN_OK;
}

/* A new constant tensor named `name` holding v. */
static odin_status add_constant(odin_graph *g, const char *name, const odin_value *v) {
    int t;
    ODIN_TRY(odin_graph_add_tensor(g, name, v->dtype, v->rank, v->dims, &t));
    return set_constant(g, t, v);
}

/* ---- types of graph inputs, outputs and value_info ---- */

typedef struct tensor_type {
    odin_dtype dtype;
    int rank; /* -1 when the shape is absent */
    int64_t dims[ODIN_MAX_RANK];
    const char *dim_params[ODIN_MAX_RANK]; /* point into the proto (copy before keeping) */
} tensor_type;

/* The kind of a value type ODIN has no representation for ("sequence", ...), or NULL. */
static const char *non_tensor_kind(const Onnx__TypeProto *tp) {
    switch (tp->value_case) {
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: return "sequence";
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE: return "map";
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE: return "optional";
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: return "sparse tensor";
    default: return NULL;
    }
}

/* A model that passes such values in or out is unsupported (like a model with an unknown
 * op), not malformed: the message carries "unsupported op", the phrase `odinc check`
 * and the conformance suite classify as unsupported. */
static odin_status non_tensor_error(const char *name, const char *kind) {
    return odin_errorf("'%s' has %s type: unsupported op operand type (only tensor types are "
                       "supported)", name, kind);
}

static odin_status parse_type(const Onnx__ValueInfoProto *vi, tensor_type *tt) {
    const char *name = str_or_empty(vi->name);
    memset(tt, 0, sizeof *tt);
    tt->rank = -1;
    const Onnx__TypeProto *tp = vi->type;
    if (!tp) return odin_errorf("'%s' has no type", name);
    if (non_tensor_kind(tp)) return non_tensor_error(name, non_tensor_kind(tp));
    if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return odin_errorf("'%s': only tensor types are supported", name);
    const Onnx__TypeProto__Tensor *t = tp->tensor_type;
    int code = t->has_elem_type ? t->elem_type : 0;
    tt->dtype = odin_dtype_from_onnx(code);
    if (tt->dtype == ODIN_UNDEFINED)
        return odin_errorf("'%s': unsupported element type %d", name, code);
    if (!t->shape) return ODIN_OK;
    if (t->shape->n_dim > ODIN_MAX_RANK)
        return odin_errorf("'%s': rank %zu exceeds the maximum %d", name, t->shape->n_dim,
                           ODIN_MAX_RANK);
    tt->rank = (int)t->shape->n_dim;
    for (int i = 0; i < tt->rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = t->shape->dim[i];
        tt->dims[i] = -1;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0)
                return odin_errorf("'%s': negative dimension %" PRId64, name, d->dim_value);
            tt->dims[i] = d->dim_value;
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   d->dim_param && *d->dim_param) {
            tt->dim_params[i] = d->dim_param;
        }
    }
    return ODIN_OK;
}

static odin_status declare(importer *im, const Onnx__ValueInfoProto *vi) {
    const char *name = str_or_empty(vi->name);
    declared_entry *e = NULL;
    HASH_FIND_STR(im->declared, name, e);
    if (e) return ODIN_OK; /* the first declaration wins (graph outputs come first) */
    e = malloc(sizeof *e);
    if (!e) return odin_errorf("out of memory");
    e->name = name;
    e->vi = vi;
    HASH_ADD_KEYPTR(hh, im->declared, e->name, strlen(e->name), e);
    return ODIN_OK;
}

static odin_status index_declared(importer *im) {
    for (size_t i = 0; i < im->gp->n_output; i++) ODIN_TRY(declare(im, im->gp->output[i]));
    for (size_t i = 0; i < im->gp->n_value_info; i++) ODIN_TRY(declare(im, im->gp->value_info[i]));
    return ODIN_OK;
}

static void free_declared(importer *im) {
    declared_entry *e, *tmp;
    HASH_ITER(hh, im->declared, e, tmp) {
        HASH_DEL(im->declared, e);
        free(e);
    }
}

/* Declared type of a name among graph outputs and value_info, or NULL. */
static const Onnx__ValueInfoProto *declared_type(const importer *im, const char *name) {
    declared_entry *e = NULL;
    HASH_FIND_STR(im->declared, name, e);
    return e ? e->vi : NULL;
}

/* Fill what inference left unknown in tensor t from a declared type: the whole type
 * when nothing is known, symbolic dim names where ranks agree. */
static odin_status apply_declared(importer *im, int t) {
    odin_tensor *tn = &im->g->tensors[t];
    const Onnx__ValueInfoProto *vi = declared_type(im, tn->name);
    if (!vi) return ODIN_OK;
    tensor_type tt;
    odin_status st = parse_type(vi, &tt);
    if (st) { /* declarations are hints for intermediates; an odd one is not fatal */
        odin_status_free(st);
        return ODIN_OK;
    }
    if (tn->dtype == ODIN_UNDEFINED) tn->dtype = tt.dtype;
    if (tn->rank < 0 && tt.rank >= 0) {
        tn->rank = tt.rank;
        for (int i = 0; i < tt.rank; i++) tn->dims[i] = tt.dims[i];
    }
    if (tn->rank == tt.rank)
        for (int i = 0; i < tt.rank; i++)
            if (tn->dims[i] < 0 && tt.dim_params[i] && !tn->dim_params[i]) {
                tn->dim_params[i] = odin_arena_strdup(&im->g->arena, tt.dim_params[i]);
                if (!tn->dim_params[i]) return odin_errorf("out of memory");
            }
    return ODIN_OK;
}

/* ---- model-level parts ---- */

static odin_status import_opsets(importer *im) {
    odin_graph *g = im->g;
    bool have_default = false;
    g->opset_ms = 0;
    for (size_t i = 0; i < im->m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = im->m->opset_import[i];
        int v = o->has_version ? (int)o->version : 0;
        if (o->has_version && (o->version < 0 || o->version > 100000))
            return odin_errorf("opset_import: bad version %" PRId64 " for domain '%s'",
                               o->version, str_or_empty(o->domain));
        if (is_default_domain(o->domain)) {
            g->opset = v;
            have_default = true;
        } else if (strcmp(o->domain, "com.microsoft") == 0) {
            g->opset_ms = v;
        }
        /* other domains only matter when a node uses them (reported as unsupported) */
    }
    /* IR version 1 and 2 models carry no opset_import: they mean opset 1 */
    if (!have_default) g->opset = 1;
    return ODIN_OK;
}

static odin_status import_metadata(importer *im) {
    odin_graph *g = im->g;
    if (im->m->producer_name && *im->m->producer_name)
        ODIN_TRY(odin_graph_set_meta(g, "producer_name", im->m->producer_name));
    if (im->m->producer_version && *im->m->producer_version)
        ODIN_TRY(odin_graph_set_meta(g, "producer_version", im->m->producer_version));
    for (size_t i = 0; i < im->m->n_metadata_props; i++) {
        const Onnx__StringStringEntryProto *e = im->m->metadata_props[i];
        if (!e->key || !*e->key) continue;
        ODIN_TRY(odin_graph_set_meta(g, e->key, str_or_empty(e->value)));
    }
    return ODIN_OK;
}

static odin_status import_initializers(importer *im) {
    if (im->gp->n_sparse_initializer) return odin_errorf("sparse initializers are not supported");
    for (size_t i = 0; i < im->gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = im->gp->initializer[i];
        if (!tp->name || !*tp->name) return odin_errorf("initializer %zu has no name", i);
        odin_value v;
        odin_status st;
        if (odin_onnx_tensor_raw_view(tp, &v)) { /* weights: one copy, proto -> arena */
            st = add_constant(im->g, tp->name, &v);
        } else {
            ODIN_TRY(odin_status_prefix(odin_onnx_tensor_decode(tp, im->base_dir, &v), "initializer"));
            st = add_constant(im->g, tp->name, &v);
            odin_onnx_value_free(&v);
        }
        if (st) return odin_status_prefix(st, "initializer '%s'", tp->name);
    }
    return ODIN_OK;
}

/* Initializers are imported before the inputs, so they are the graph's constants now. */
static bool is_initializer(const importer *im, const char *name) {
    int t = odin_graph_find_tensor(im->g, name);
    return t >= 0 && (im->g->tensors[t].flags & ODIN_TENSOR_CONST);
}

static odin_status import_inputs(importer *im) {
    odin_graph *g = im->g;
    for (size_t i = 0; i < im->gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = im->gp->input[i];
        const char *name = str_or_empty(vi->name);
        if (!*name) return odin_errorf("graph input %zu has no name", i);
        /* old exporters list initializers among the inputs; they are constants here */
        if (is_initializer(im, name)) continue;
        tensor_type tt;
        ODIN_TRY(odin_status_prefix(parse_type(vi, &tt), "graph input"));
        int t;
        ODIN_TRY(odin_status_prefix(odin_graph_add_tensor(g, name, tt.dtype, tt.rank, tt.dims, &t),
                                    "graph input"));
        for (int d = 0; d < tt.rank; d++)
            if (tt.dim_params[d]) {
                g->tensors[t].dim_params[d] = odin_arena_strdup(&g->arena, tt.dim_params[d]);
                if (!g->tensors[t].dim_params[d]) return odin_errorf("out of memory");
            }
        ODIN_TRY(odin_graph_add_input(g, t));
    }
    return ODIN_OK;
}

static odin_status import_outputs(importer *im) {
    odin_graph *g = im->g;
    for (size_t i = 0; i < im->gp->n_output; i++) {
        const char *name = str_or_empty(im->gp->output[i]->name);
        if (!*name) return odin_errorf("graph output %zu has no name", i);
        const Onnx__TypeProto *tp = im->gp->output[i]->type;
        /* unknown ops that produce it are the better report: they come first */
        if (tp && non_tensor_kind(tp) && !im->n_unsupported)
            return odin_status_prefix(non_tensor_error(name, non_tensor_kind(tp)), "graph output");
        int t = odin_graph_find_tensor(g, name);
        if (t < 0)
            return odin_errorf("graph output '%s' is not produced by any node, initializer or "
                               "graph input", name);
        ODIN_TRY(apply_declared(im, t));
        ODIN_TRY(odin_graph_add_output(g, t));
    }
    return ODIN_OK;
}

/* ---- attributes ---- */

static const char *onnx_attr_type_name(int type) {
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return "FLOAT";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return "INT";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return "STRING";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return "TENSOR";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return "GRAPH";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR: return "SPARSE_TENSOR";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: return "TYPE_PROTO";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return "FLOATS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return "INTS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return "STRINGS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS: return "TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return "GRAPHS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS: return "SPARSE_TENSORS";
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS: return "TYPE_PROTOS";
    default: return "UNDEFINED";
    }
}

/* IR version 1 attributes have no type field: tell the kind from the field in use. */
static int attr_type(const Onnx__AttributeProto *ap) {
    if (ap->has_type && ap->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
        return ap->type;
    if (ap->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (ap->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    if (ap->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    if (ap->n_tensors) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
    if (ap->n_graphs) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
    if (ap->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (ap->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    if (ap->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (ap->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (ap->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

/* Convert one attribute. Payloads may point into the proto or the arena, and a TENSOR's
 * data is malloc'ed into *tensor (freed by the caller after odin_graph_add_node copies). */
static odin_status convert_attr(importer *im, const Onnx__AttributeProto *ap, odin_attr *a,
                                odin_value *tensor) {
    odin_graph *g = im->g;
    memset(a, 0, sizeof *a);
    const char *name = str_or_empty(ap->name);
    if (!*name) return odin_errorf("attribute without a name");
    if (ap->ref_attr_name && *ap->ref_attr_name)
        return odin_errorf("attribute '%s' refers to a function attribute ('%s'), which is only "
                           "valid inside functions", name, ap->ref_attr_name);
    a->name = name;
    int type = attr_type(ap);
    switch (type) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        a->kind = ODIN_ATTR_INT;
        a->i = ap->i;
        return ODIN_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        a->kind = ODIN_ATTR_FLOAT;
        a->f = ap->f;
        return ODIN_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        a->kind = ODIN_ATTR_STRING;
        a->s = arena_bytes(g, &ap->s);
        a->s_len = ap->s.len;
        return a->s ? ODIN_OK : odin_errorf("out of memory");
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        a->kind = ODIN_ATTR_INTS;
        a->count = (int)ap->n_ints;
        a->ints = ap->ints;
        return ap->n_ints > INT32_MAX ? odin_errorf("attribute '%s': too many ints", name) : ODIN_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        a->kind = ODIN_ATTR_FLOATS;
        a->count = (int)ap->n_floats;
        a->floats = ap->floats;
        return ap->n_floats > INT32_MAX ? odin_errorf("attribute '%s': too many floats", name)
                                        : ODIN_OK;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
        if (ap->n_strings > INT32_MAX) return odin_errorf("attribute '%s': too many strings", name);
        a->kind = ODIN_ATTR_STRINGS;
        a->count = (int)ap->n_strings;
        a->strings = odin_arena_alloc(&g->arena, sizeof(char *) * (ap->n_strings + 1), 8);
        if (!a->strings) return odin_errorf("out of memory");
        for (size_t i = 0; i < ap->n_strings; i++)
            if (!(a->strings[i] = arena_bytes(g, &ap->strings[i])))
                return odin_errorf("out of memory");
        return ODIN_OK;
    }
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
        if (!ap->t) return odin_errorf("attribute '%s' of type TENSOR has no tensor", name);
        a->kind = ODIN_ATTR_TENSOR;
        ODIN_TRY(odin_status_prefix(odin_onnx_tensor_decode(ap->t, im->base_dir, tensor),
                                    "attribute '%s'", name));
        a->t = *tensor;
        return ODIN_OK;
    default:
        return odin_errorf("attribute '%s' of type %s is not supported", name,
                           onnx_attr_type_name(type));
    }
}

/* The schema's kind must match, except that INT and FLOAT stand in for each other
 * (odin_attr_i / odin_attr_f convert). */
static odin_status check_attr_kind(const odin_node *n, const odin_attr *a) {
    if (!n->def) return ODIN_OK;
    const odin_attr_schema *s = odin_op_attr_schema(n->def, a->name);
    if (!s || s->kind == a->kind || s->kind == ODIN_ATTR_UNDEFINED) return ODIN_OK;
    bool scalar_num = (s->kind == ODIN_ATTR_INT || s->kind == ODIN_ATTR_FLOAT) &&
                      (a->kind == ODIN_ATTR_INT || a->kind == ODIN_ATTR_FLOAT);
    if (scalar_num) return ODIN_OK;
    return odin_errorf("attribute '%s' is %s, expected %s", a->name, odin_attr_kind_name(a->kind),
                       odin_attr_kind_name(s->kind));
}

/* ---- Constant nodes become constant tensors ---- */

static odin_status constant_value(importer *im, const Onnx__AttributeProto *ap, odin_value *v) {
    const char *name = str_or_empty(ap->name);
    memset(v, 0, sizeof *v);
    if (strcmp(name, "sparse_value") == 0) return odin_errorf("sparse_value is not supported");
    if (strcmp(name, "value") == 0) {
        if (!ap->t) return odin_errorf("attribute 'value' has no tensor");
        return odin_onnx_tensor_decode(ap->t, im->base_dir, v);
    }
    size_t n = 1;
    bool list = false;
    if (strcmp(name, "value_float") == 0) v->dtype = ODIN_F32;
    else if (strcmp(name, "value_int") == 0) v->dtype = ODIN_I64;
    else if (strcmp(name, "value_string") == 0) v->dtype = ODIN_STRING;
    else if (strcmp(name, "value_floats") == 0) v->dtype = ODIN_F32, n = ap->n_floats, list = true;
    else if (strcmp(name, "value_ints") == 0) v->dtype = ODIN_I64, n = ap->n_ints, list = true;
    else if (strcmp(name, "value_strings") == 0)
        v->dtype = ODIN_STRING, n = ap->n_strings, list = true;
    else return odin_errorf("unknown attribute '%s'", name);
    v->rank = list ? 1 : 0;
    v->dims[0] = (int64_t)n;
    v->data = calloc(n ? n : 1, odin_dtype_size(v->dtype));
    if (!v->data) return odin_errorf("out of memory");
    for (size_t i = 0; i < n; i++) {
        if (v->dtype == ODIN_F32) ((float *)v->data)[i] = list ? ap->floats[i] : ap->f;
        else if (v->dtype == ODIN_I64) ((int64_t *)v->data)[i] = list ? ap->ints[i] : ap->i;
        else {
            const ProtobufCBinaryData *b = list ? &ap->strings[i] : &ap->s;
            char *s = malloc(b->len + 1);
            if (!s) return odin_errorf("out of memory");
            if (b->len) memcpy(s, b->data, b->len);
            s[b->len] = '\0';
            ((char **)v->data)[i] = s;
        }
    }
    return ODIN_OK;
}

static odin_status import_constant(importer *im, const Onnx__NodeProto *np) {
    if (np->n_output != 1 || !np->output[0] || !*np->output[0])
        return odin_errorf("needs exactly one named output");
    if (np->n_attribute != 1)
        return odin_errorf("needs exactly one value attribute, has %zu", np->n_attribute);
    odin_value v;
    odin_status st = constant_value(im, np->attribute[0], &v);
    if (!st) st = add_constant(im->g, np->output[0], &v);
    odin_onnx_value_free(&v);
    return st;
}

/* ---- nodes ---- */

static void note_unsupported(importer *im, const char *node, const char *op, const char *domain) {
    im->infer_enabled = false;
    if (im->n_unsupported < MAX_LISTED_UNSUPPORTED) {
        int ver = is_default_domain(domain) ? im->g->opset : domain_version(im, domain);
        sb_printf(&im->unsupported, "%snode '%s' (%s, domain '%s', opset %d)",
                  im->n_unsupported ? "; " : "", node, op, domain, ver);
    }
    im->n_unsupported++;
}

static odin_status import_node_body(importer *im, const Onnx__NodeProto *np, const char *name,
                                    int *ins, int *outs, odin_attr *attrs, odin_value *tensors) {
    odin_graph *g = im->g;
    const char *op = np->op_type;
    const char *domain = is_default_domain(np->domain) ? "" : np->domain;

    /* trailing omitted inputs and outputs are the same as absent ones */
    int n_in = (int)np->n_input, n_out = (int)np->n_output;
    while (n_in > 0 && !*str_or_empty(np->input[n_in - 1])) n_in--;
    while (n_out > 0 && !*str_or_empty(np->output[n_out - 1])) n_out--;
    for (int i = 0; i < n_in; i++) {
        const char *in = str_or_empty(np->input[i]);
        ins[i] = *in ? odin_graph_find_tensor(g, in) : -1;
    }
    for (int i = 0; i < n_out; i++) {
        const char *out = str_or_empty(np->output[i]);
        outs[i] = -1;
        if (!*out) continue;
        if (odin_graph_find_tensor(g, out) >= 0)
            return odin_errorf("output '%s' is already defined (every tensor has one producer)",
                               out);
        ODIN_TRY(odin_graph_add_tensor(g, out, ODIN_UNDEFINED, -1, NULL, &outs[i]));
    }

    const odin_op_def *def = odin_op_find(op, domain, g->opset);
    int n_attrs = 0;
    for (size_t i = 0; i < np->n_attribute; i++) {
        odin_status st = convert_attr(im, np->attribute[i], &attrs[n_attrs], &tensors[n_attrs]);
        if (st && !def) { /* the op is reported as unsupported; its attributes don't matter */
            odin_status_free(st);
            continue;
        }
        ODIN_TRY(st);
        n_attrs++;
    }
    int ni;
    ODIN_TRY(odin_graph_add_node(g, name, op, domain, ins, n_in, outs, n_out, attrs, n_attrs, &ni));
    const odin_node *n = &g->nodes[ni];
    if (!n->def) {
        note_unsupported(im, name, op, domain);
        return ODIN_OK;
    }
    for (int i = 0; i < n->n_attrs; i++) ODIN_TRY(check_attr_kind(n, &n->attrs[i]));
    if (im->infer_enabled && n->def->infer) {
        odin_status st = odin_infer_node(g, ni);
        if (st) return st; /* already names the node and op */
    }
    for (int i = 0; i < n_out; i++)
        if (outs[i] >= 0) ODIN_TRY(apply_declared(im, outs[i]));
    return ODIN_OK;
}

static odin_status import_node(importer *im, size_t index) {
    const Onnx__NodeProto *np = im->gp->node[index];
    char synth[160];
    const char *name = np->name;
    if (!name || !*name) {
        /* stable across runs and independent of Constant nodes being folded away */
        snprintf(synth, sizeof synth, "%.120s_%zu", str_or_empty(np->op_type), index);
        name = synth;
    }
    if (!np->op_type || !*np->op_type) return odin_errorf("node '%s' has no op_type", name);
    if (is_default_domain(np->domain) && strcmp(np->op_type, "Constant") == 0)
        return odin_status_prefix(import_constant(im, np), "node '%s' (Constant)", name);

    /* scratch arrays for the node's inputs, outputs and attributes */
    size_t nin = np->n_input, nout = np->n_output, nat = np->n_attribute;
    if (nin > INT32_MAX / 2 || nout > INT32_MAX / 2 || nat > INT32_MAX / 2)
        return odin_errorf("node '%s' (%s): too many inputs, outputs or attributes", name,
                           np->op_type);
    int *ins = calloc(nin + 1, sizeof *ins), *outs = calloc(nout + 1, sizeof *outs);
    odin_attr *attrs = calloc(nat + 1, sizeof *attrs);
    odin_value *tensors = calloc(nat + 1, sizeof *tensors);
    odin_status st = ODIN_OK;
    if (!ins || !outs || !attrs || !tensors) st = odin_errorf("out of memory");
    else st = import_node_body(im, np, name, ins, outs, attrs, tensors);
    if (tensors)
        for (size_t i = 0; i < nat; i++) odin_onnx_value_free(&tensors[i]);
    free(ins);
    free(outs);
    free(attrs);
    free(tensors);
    if (st && !strstr(odin_status_message(st), "node '"))
        st = odin_status_prefix(st, "node '%s' (%s)", name, np->op_type);
    return st;
}

static bool node_ready(const importer *im, const Onnx__NodeProto *np) {
    for (size_t i = 0; i < np->n_input; i++)
        if (np->input[i] && *np->input[i] && odin_graph_find_tensor(im->g, np->input[i]) < 0)
            return false;
    return true;
}

static const char *node_label(const Onnx__NodeProto *np, size_t index, char *buf, size_t size) {
    if (np->name && *np->name) return np->name;
    snprintf(buf, size, "%.120s_%zu", str_or_empty(np->op_type), index);
    return buf;
}

/* Explain why node i cannot run: an input nobody defines, or a cycle. */
static odin_status diagnose_stuck(const importer *im, const bool *done, size_t i) {
    const Onnx__NodeProto *np = im->gp->node[i];
    char buf[160], buf2[160];
    const char *name = node_label(np, i, buf, sizeof buf);
    for (size_t k = 0; k < np->n_input; k++) {
        const char *in = np->input[k];
        if (!in || !*in || odin_graph_find_tensor(im->g, in) >= 0) continue;
        for (size_t j = 0; j < im->gp->n_node; j++) {
            if (done[j]) continue;
            const Onnx__NodeProto *p = im->gp->node[j];
            for (size_t o = 0; o < p->n_output; o++)
                if (p->output[o] && strcmp(p->output[o], in) == 0)
                    return odin_errorf("node '%s' (%s): input '%s' depends on itself through "
                                       "node '%s' (%s): the graph has a cycle", name,
                                       str_or_empty(np->op_type), in,
                                       node_label(p, j, buf2, sizeof buf2),
                                       str_or_empty(p->op_type));
        }
        return odin_errorf("node '%s' (%s): input '%s' is not produced by any node, initializer "
                           "or graph input", name, str_or_empty(np->op_type), in);
    }
    return odin_errorf("node '%s': cannot be ordered", name);
}

/* Nodes in order. ONNX requires topological order, but exporters sometimes break it:
 * nodes whose inputs are not defined yet wait for a later pass. */
static odin_status import_nodes(importer *im) {
    size_t n = im->gp->n_node;
    bool *done = calloc(n + 1, sizeof *done);
    if (!done) return odin_errorf("out of memory");
    size_t remaining = n;
    odin_status st = ODIN_OK;
    while (remaining && !st) {
        size_t progress = 0;
        for (size_t i = 0; i < n && !st; i++) {
            if (done[i] || !node_ready(im, im->gp->node[i])) continue;
            st = import_node(im, i);
            done[i] = true;
            progress++;
            remaining--;
        }
        if (!st && !progress) {
            for (size_t i = 0; i < n; i++)
                if (!done[i]) {
                    st = diagnose_stuck(im, done, i);
                    break;
                }
        }
    }
    free(done);
    return st;
}

static odin_status import_model(importer *im) {
    const Onnx__GraphProto *gp = im->gp;
    im->g = odin_graph_new(gp->name && *gp->name ? gp->name : "graph");
    if (!im->g) return odin_errorf("out of memory");
    im->infer_enabled = true;
    ODIN_TRY(index_declared(im));
    ODIN_TRY(import_opsets(im));
    ODIN_TRY(import_metadata(im));
    ODIN_TRY(import_initializers(im));
    ODIN_TRY(import_inputs(im));
    ODIN_TRY(import_nodes(im));
    ODIN_TRY(import_outputs(im));
    if (im->n_unsupported) {
        if (im->n_unsupported > MAX_LISTED_UNSUPPORTED)
            sb_printf(&im->unsupported, "; and %d more", im->n_unsupported - MAX_LISTED_UNSUPPORTED);
        return odin_errorf("%d unsupported op%s: %s", im->n_unsupported,
                           im->n_unsupported == 1 ? "" : "s",
                           im->unsupported.s ? im->unsupported.s : "");
    }
    return ODIN_OK;
}

/* Import an unpacked model; takes ownership of m. */
static odin_status import_unpacked(Onnx__ModelProto *m, const char *path, odin_graph **out) {
    const char *what = path ? path : "<memory>";
    odin_status st = ODIN_OK;
    importer im = {.m = m, .gp = m->graph};
    char *dir = NULL;
    if (!m->graph) st = odin_errorf("not a valid ONNX model (no graph)");
    else if (path && !(dir = odin_onnx_dirname(path))) st = odin_errorf("out of memory");
    if (!st) {
        im.base_dir = dir;
        st = import_model(&im);
    }
    free(dir);
    free(im.unsupported.s);
    free_declared(&im);
    onnx__model_proto__free_unpacked(m, NULL);
    if (st) {
        odin_graph_free(im.g);
        return odin_status_prefix(st, "%s", what);
    }
    *out = im.g;
    return ODIN_OK;
}

static odin_status unpack(const void *buf, size_t size, const char *what, Onnx__ModelProto **m) {
    if (size > ODIN_ONNX_MAX_PROTO)
        return odin_errorf("%s: %zu bytes is more than protobuf's 2 GiB limit", what, size);
    *m = onnx__model_proto__unpack(NULL, size, buf);
    if (!*m) return odin_errorf("%s: not a valid ONNX model (protobuf parse failed)", what);
    return ODIN_OK;
}

odin_status odin_onnx_import_mem(const void *buf, size_t size, const char *path,
                                 odin_graph **out) {
    *out = NULL;
    Onnx__ModelProto *m;
    ODIN_TRY(unpack(buf, size, path ? path : "<memory>", &m));
    return import_unpacked(m, path, out);
}

odin_status odin_onnx_import_file(const char *path, odin_graph **out) {
    *out = NULL;
    uint8_t *buf;
    size_t size;
    ODIN_TRY(odin_onnx_read_file(path, ODIN_ONNX_MAX_PROTO, &buf, &size));
    Onnx__ModelProto *m;
    odin_status st = unpack(buf, size, path, &m);
    free(buf); /* the unpacked proto holds its own copy of every field */
    if (st) return st;
    return import_unpacked(m, path, out);
}
