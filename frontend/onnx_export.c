/* frontend/onnx_export.c — odin_graph -> ONNX ModelProto file: opsets, metadata,
 * constants as initializers (raw_data), typed inputs/outputs (dim_param for symbolic
 * dims), value_info for typed intermediates, and nodes with their attributes.
 * Protos are built in place; constant data is referenced, not copied. */
#include <stdlib.h>
#include <string.h>

#include "onnx.h"
#include "onnx.pb-c.h"
#include "onnx_internal.h"

/* The IR version that goes with the default-domain opset (onnx/helper.py's table):
 * the lowest one that can carry it, so older runtimes and checkers still load the file. */
static int ir_version_for_opset(int opset) {
    if (opset <= 18) return 8;
    if (opset <= 20) return 9;
    return 10;
}

/* Every allocation made while building the proto, freed at the end in one go. */
typedef struct exporter {
    const odin_graph *g;
    void **allocs;
    size_t n_allocs, cap_allocs;
    bool oom;
} exporter;

static void *ex_alloc(exporter *ex, size_t count, size_t size) {
    if (ex->n_allocs == ex->cap_allocs) {
        size_t nc = ex->cap_allocs ? ex->cap_allocs * 2 : 256;
        void **p = realloc(ex->allocs, nc * sizeof *p);
        if (!p) {
            ex->oom = true;
            return NULL;
        }
        ex->allocs = p;
        ex->cap_allocs = nc;
    }
    void *p = calloc(count ? count : 1, size);
    if (!p) {
        ex->oom = true;
        return NULL;
    }
    ex->allocs[ex->n_allocs++] = p;
    return p;
}

static void ex_free(exporter *ex) {
    for (size_t i = 0; i < ex->n_allocs; i++) free(ex->allocs[i]);
    free(ex->allocs);
}

static bool host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* A TensorProto for value v named `name`; raw_data refers to v's bytes (copied and
 * swapped to little-endian only on big-endian hosts). */
static odin_status tensor_proto(exporter *ex, const odin_value *v, const char *name,
                                Onnx__TensorProto **out) {
    int code = odin_dtype_to_onnx(v->dtype);
    if (!code)
        return odin_errorf("tensor '%s': dtype %s has no ONNX equivalent", name,
                           odin_dtype_name(v->dtype));
    int64_t numel = odin_value_numel(v);
    if (numel < 0) return odin_errorf("tensor '%s': constant with an unknown shape", name);
    if (numel > 0 && !v->data) return odin_errorf("tensor '%s': constant without data", name);
    Onnx__TensorProto *tp = ex_alloc(ex, 1, sizeof *tp);
    if (!tp) return odin_errorf("out of memory");
    onnx__tensor_proto__init(tp);
    tp->name = (char *)name;
    tp->has_data_type = 1;
    tp->data_type = code;
    tp->n_dims = (size_t)v->rank;
    tp->dims = ex_alloc(ex, (size_t)v->rank, sizeof(int64_t));
    if (!tp->dims) return odin_errorf("out of memory");
    for (int i = 0; i < v->rank; i++) tp->dims[i] = v->dims[i];
    if (v->dtype == ODIN_STRING) {
        tp->n_string_data = (size_t)numel;
        tp->string_data = ex_alloc(ex, (size_t)numel, sizeof(ProtobufCBinaryData));
        if (!tp->string_data) return odin_errorf("out of memory");
        for (int64_t i = 0; i < numel; i++) {
            const char *s = ((const char *const *)v->data)[i];
            tp->string_data[i].data = (uint8_t *)(s ? s : "");
            tp->string_data[i].len = s ? strlen(s) : 0;
        }
    } else {
        size_t es = odin_dtype_size(v->dtype), nbytes = (size_t)numel * es;
        tp->has_raw_data = 1;
        tp->raw_data.len = nbytes;
        tp->raw_data.data = v->data;
        if (!host_is_little_endian() && es > 1) {
            uint8_t *p = ex_alloc(ex, nbytes, 1);
            if (!p) return odin_errorf("out of memory");
            for (size_t i = 0; i < (size_t)numel; i++)
                for (size_t b = 0; b < es; b++) p[i * es + b] = ((uint8_t *)v->data)[i * es + es - 1 - b];
            tp->raw_data.data = p;
        }
    }
    *out = tp;
    return ODIN_OK;
}

/* A ValueInfoProto from tensor t's dtype and shape (no shape when the rank is unknown). */
static odin_status value_info(exporter *ex, int t, Onnx__ValueInfoProto **out) {
    const odin_tensor *tn = &ex->g->tensors[t];
    int code = odin_dtype_to_onnx(tn->dtype);
    if (!code && tn->dtype != ODIN_UNDEFINED)
        return odin_errorf("tensor '%s': dtype %s has no ONNX equivalent", tn->name,
                           odin_dtype_name(tn->dtype));
    Onnx__ValueInfoProto *vi = ex_alloc(ex, 1, sizeof *vi);
    Onnx__TypeProto *tp = ex_alloc(ex, 1, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = ex_alloc(ex, 1, sizeof *tt);
    if (!vi || !tp || !tt) return odin_errorf("out of memory");
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(tp);
    onnx__type_proto__tensor__init(tt);
    vi->name = (char *)tn->name;
    vi->type = tp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = code;
    if (tn->rank >= 0) {
        Onnx__TensorShapeProto *sp = ex_alloc(ex, 1, sizeof *sp);
        Onnx__TensorShapeProto__Dimension **dims = ex_alloc(ex, (size_t)tn->rank, sizeof *dims);
        Onnx__TensorShapeProto__Dimension *dim = ex_alloc(ex, (size_t)tn->rank, sizeof *dim);
        if (!sp || !dims || !dim) return odin_errorf("out of memory");
        onnx__tensor_shape_proto__init(sp);
        sp->n_dim = (size_t)tn->rank;
        sp->dim = dims;
        for (int i = 0; i < tn->rank; i++) {
            onnx__tensor_shape_proto__dimension__init(&dim[i]);
            dims[i] = &dim[i];
            if (tn->dims[i] >= 0) {
                dim[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                dim[i].dim_value = tn->dims[i];
            } else if (tn->dim_params[i]) {
                dim[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                dim[i].dim_param = (char *)tn->dim_params[i];
            }
        }
        tt->shape = sp;
    }
    *out = vi;
    return ODIN_OK;
}

static odin_status attribute(exporter *ex, const odin_attr *a, Onnx__AttributeProto **out) {
    Onnx__AttributeProto *ap = ex_alloc(ex, 1, sizeof *ap);
    if (!ap) return odin_errorf("out of memory");
    onnx__attribute_proto__init(ap);
    ap->name = (char *)a->name;
    ap->has_type = 1;
    switch (a->kind) {
    case ODIN_ATTR_INT:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        ap->has_i = 1;
        ap->i = a->i;
        break;
    case ODIN_ATTR_FLOAT:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        ap->has_f = 1;
        ap->f = a->f;
        break;
    case ODIN_ATTR_STRING:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
        ap->has_s = 1;
        ap->s.data = (uint8_t *)(a->s ? a->s : "");
        ap->s.len = a->s ? (a->s_len ? a->s_len : strlen(a->s)) : 0;
        break;
    case ODIN_ATTR_INTS:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        ap->n_ints = (size_t)a->count;
        ap->ints = a->ints;
        break;
    case ODIN_ATTR_FLOATS:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
        ap->n_floats = (size_t)a->count;
        ap->floats = a->floats;
        break;
    case ODIN_ATTR_STRINGS:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
        ap->n_strings = (size_t)a->count;
        ap->strings = ex_alloc(ex, (size_t)a->count, sizeof(ProtobufCBinaryData));
        if (!ap->strings) return odin_errorf("out of memory");
        for (int i = 0; i < a->count; i++) {
            const char *s = a->strings[i] ? a->strings[i] : "";
            ap->strings[i].data = (uint8_t *)s;
            ap->strings[i].len = strlen(s);
        }
        break;
    case ODIN_ATTR_TENSOR:
        ap->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
        ODIN_TRY(odin_status_prefix(tensor_proto(ex, &a->t, "", &ap->t), "attribute '%s'", a->name));
        break;
    default: return odin_errorf("attribute '%s' has no kind", a->name);
    }
    *out = ap;
    return ODIN_OK;
}

static const char *tensor_name(const odin_graph *g, int t) {
    return t >= 0 && t < g->n_tensors ? g->tensors[t].name : "";
}

static odin_status node_proto(exporter *ex, int ni, Onnx__NodeProto **out) {
    const odin_node *n = &ex->g->nodes[ni];
    Onnx__NodeProto *np = ex_alloc(ex, 1, sizeof *np);
    if (!np) return odin_errorf("out of memory");
    onnx__node_proto__init(np);
    np->name = (char *)n->name;
    np->op_type = (char *)n->op;
    np->domain = (char *)(n->domain ? n->domain : "");
    np->n_input = (size_t)n->n_inputs;
    np->input = ex_alloc(ex, (size_t)n->n_inputs, sizeof(char *));
    np->n_output = (size_t)n->n_outputs;
    np->output = ex_alloc(ex, (size_t)n->n_outputs, sizeof(char *));
    np->n_attribute = (size_t)n->n_attrs;
    np->attribute = ex_alloc(ex, (size_t)n->n_attrs, sizeof(Onnx__AttributeProto *));
    if (!np->input || !np->output || !np->attribute) return odin_errorf("out of memory");
    for (int i = 0; i < n->n_inputs; i++) np->input[i] = (char *)tensor_name(ex->g, n->inputs[i]);
    for (int i = 0; i < n->n_outputs; i++)
        np->output[i] = (char *)tensor_name(ex->g, n->outputs[i]);
    for (int i = 0; i < n->n_attrs; i++)
        ODIN_TRY(odin_status_prefix(attribute(ex, &n->attrs[i], &np->attribute[i]), "node '%s' (%s)",
                                    n->name, n->op));
    *out = np;
    return ODIN_OK;
}

/* Constant tensors not written by any node become initializers. */
static bool is_initializer(const odin_graph *g, int t) {
    const odin_tensor *tn = &g->tensors[t];
    if (!(tn->flags & ODIN_TENSOR_CONST) || (tn->flags & ODIN_TENSOR_INPUT)) return false;
    if (tn->producer >= 0 && tn->producer < g->n_nodes) {
        const odin_node *n = &g->nodes[tn->producer];
        for (int i = 0; i < n->n_outputs; i++)
            if (n->outputs[i] == t) return false;
    }
    return true;
}

static odin_status add_opset(exporter *ex, Onnx__ModelProto *m, const char *domain, int version) {
    for (size_t i = 0; i < m->n_opset_import; i++)
        if (strcmp(m->opset_import[i]->domain, domain) == 0) return ODIN_OK;
    Onnx__OperatorSetIdProto *o = ex_alloc(ex, 1, sizeof *o);
    if (!o) return odin_errorf("out of memory");
    onnx__operator_set_id_proto__init(o);
    o->domain = (char *)domain;
    o->has_version = 1;
    o->version = version;
    m->opset_import[m->n_opset_import++] = o;
    return ODIN_OK;
}

static odin_status build_model(exporter *ex, Onnx__ModelProto *m, Onnx__GraphProto *gp) {
    const odin_graph *g = ex->g;
    onnx__model_proto__init(m);
    onnx__graph_proto__init(gp);
    m->has_ir_version = 1;
    m->ir_version = ir_version_for_opset(g->opset);
    const char *producer = odin_graph_get_meta(g, "producer_name");
    const char *producer_version = odin_graph_get_meta(g, "producer_version");
    m->producer_name = (char *)(producer ? producer : "odin");
    if (producer_version) m->producer_version = (char *)producer_version;
    m->graph = gp;
    gp->name = (char *)(g->name ? g->name : "graph");

    /* opsets: the default domain, then each other domain the nodes use */
    m->opset_import = ex_alloc(ex, (size_t)g->n_nodes + 1, sizeof(Onnx__OperatorSetIdProto *));
    if (!m->opset_import) return odin_errorf("out of memory");
    ODIN_TRY(add_opset(ex, m, "", g->opset));
    for (int i = 0; i < g->n_nodes; i++) {
        const char *d = g->nodes[i].domain;
        if (!d || !*d || strcmp(d, "ai.onnx") == 0) continue;
        int version = strcmp(d, "com.microsoft") == 0 && g->opset_ms ? g->opset_ms : 1;
        ODIN_TRY(add_opset(ex, m, d, version));
    }

    m->metadata_props = ex_alloc(ex, (size_t)g->n_meta, sizeof(Onnx__StringStringEntryProto *));
    if (!m->metadata_props) return odin_errorf("out of memory");
    for (int i = 0; i < g->n_meta; i++) {
        const char *k = g->meta[i].key;
        if (strcmp(k, "producer_name") == 0 || strcmp(k, "producer_version") == 0) continue;
        Onnx__StringStringEntryProto *e = ex_alloc(ex, 1, sizeof *e);
        if (!e) return odin_errorf("out of memory");
        onnx__string_string_entry_proto__init(e);
        e->key = (char *)k;
        e->value = (char *)(g->meta[i].value ? g->meta[i].value : "");
        m->metadata_props[m->n_metadata_props++] = e;
    }

    gp->initializer = ex_alloc(ex, (size_t)g->n_tensors, sizeof(Onnx__TensorProto *));
    gp->value_info = ex_alloc(ex, (size_t)g->n_tensors, sizeof(Onnx__ValueInfoProto *));
    gp->input = ex_alloc(ex, (size_t)g->n_inputs, sizeof(Onnx__ValueInfoProto *));
    gp->output = ex_alloc(ex, (size_t)g->n_outputs, sizeof(Onnx__ValueInfoProto *));
    gp->node = ex_alloc(ex, (size_t)g->n_nodes, sizeof(Onnx__NodeProto *));
    if (!gp->initializer || !gp->value_info || !gp->input || !gp->output || !gp->node)
        return odin_errorf("out of memory");
    for (int t = 0; t < g->n_tensors; t++) {
        const odin_tensor *tn = &g->tensors[t];
        if (is_initializer(g, t)) {
            odin_value v = odin_tensor_value(g, t);
            ODIN_TRY(odin_status_prefix(tensor_proto(ex, &v, tn->name,
                                                     &gp->initializer[gp->n_initializer]),
                                        "initializer"));
            gp->n_initializer++;
        } else if (!(tn->flags & (ODIN_TENSOR_INPUT | ODIN_TENSOR_OUTPUT | ODIN_TENSOR_CONST)) &&
                   tn->dtype != ODIN_UNDEFINED && odin_dtype_to_onnx(tn->dtype)) {
            ODIN_TRY(value_info(ex, t, &gp->value_info[gp->n_value_info]));
            gp->n_value_info++;
        }
    }
    for (int i = 0; i < g->n_inputs; i++)
        ODIN_TRY(odin_status_prefix(value_info(ex, g->inputs[i], &gp->input[gp->n_input++]),
                                    "graph input"));
    for (int i = 0; i < g->n_outputs; i++)
        ODIN_TRY(odin_status_prefix(value_info(ex, g->outputs[i], &gp->output[gp->n_output++]),
                                    "graph output"));
    for (int i = 0; i < g->n_nodes; i++) ODIN_TRY(node_proto(ex, i, &gp->node[gp->n_node++]));
    return ex->oom ? odin_errorf("out of memory") : ODIN_OK;
}

odin_status odin_onnx_export_file(const odin_graph *g, const char *path) {
    exporter ex = {.g = g};
    Onnx__ModelProto m;
    Onnx__GraphProto gp;
    odin_status st = build_model(&ex, &m, &gp);
    uint8_t *buf = NULL;
    size_t size = 0;
    if (!st) {
        size = onnx__model_proto__get_packed_size(&m);
        if (size > ODIN_ONNX_MAX_PROTO)
            st = odin_errorf("model is %zu bytes, more than protobuf's 2 GiB limit", size);
        else if (!(buf = malloc(size ? size : 1)))
            st = odin_errorf("out of memory (%zu bytes)", size);
        else
            onnx__model_proto__pack(&m, buf);
    }
    ex_free(&ex);
    if (st) {
        free(buf);
        return odin_status_prefix(st, "%s", path);
    }
    st = odin_onnx_write_file(path, buf, size); /* names the path itself */
    free(buf);
    return st;
}
