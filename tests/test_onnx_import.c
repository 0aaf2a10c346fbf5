/* tests/test_onnx_import.c — the ONNX importer and exporter on backend test models (checked
 * against the models' published contents), on models written here with protobuf-c
 * (Constant forms, attribute kinds, unsupported ops, external data, bad wiring), on
 * truncated files, and import -> export -> import round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "../frontend/onnx.h"
#include "../frontend/onnx_tensor.h"
#include "../ir/hash.h"
#include "../ops/op.h"
#include "test.h"

#define DATA "/usr/share/libonnx-testdata/data/"

/* ---- a tiny protobuf-c model writer for the tests (allocations freed per test) ---- */

static void *pool[4096];
static int n_pool;

static void *talloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (n_pool < 4096) pool[n_pool++] = p;
    return p;
}

static void tfree_all(void) {
    while (n_pool) free(pool[--n_pool]);
}

static Onnx__ModelProto *mk_model(int opset) {
    Onnx__ModelProto *m = talloc(sizeof *m);
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = 8;
    m->graph = talloc(sizeof *m->graph);
    onnx__graph_proto__init(m->graph);
    m->graph->name = "test_graph";
    m->opset_import = talloc(sizeof(void *) * 8);
    m->graph->node = talloc(sizeof(void *) * 32);
    m->graph->input = talloc(sizeof(void *) * 8);
    m->graph->output = talloc(sizeof(void *) * 8);
    m->graph->initializer = talloc(sizeof(void *) * 8);
    Onnx__OperatorSetIdProto *o = talloc(sizeof *o);
    onnx__operator_set_id_proto__init(o);
    o->domain = "";
    o->has_version = 1;
    o->version = opset;
    m->opset_import[m->n_opset_import++] = o;
    return m;
}

static void add_opset(Onnx__ModelProto *m, const char *domain, int version) {
    Onnx__OperatorSetIdProto *o = talloc(sizeof *o);
    onnx__operator_set_id_proto__init(o);
    o->domain = (char *)domain;
    o->has_version = 1;
    o->version = version;
    m->opset_import[m->n_opset_import++] = o;
}

/* dims: -1 for a dim_param taken from params[i] */
static Onnx__ValueInfoProto *mk_vi(const char *name, int elem, int rank, const int64_t *dims,
                                   const char *const *params) {
    Onnx__ValueInfoProto *vi = talloc(sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = (char *)name;
    vi->type = talloc(sizeof *vi->type);
    onnx__type_proto__init(vi->type);
    vi->type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    vi->type->tensor_type = talloc(sizeof *vi->type->tensor_type);
    onnx__type_proto__tensor__init(vi->type->tensor_type);
    vi->type->tensor_type->has_elem_type = 1;
    vi->type->tensor_type->elem_type = elem;
    Onnx__TensorShapeProto *sp = talloc(sizeof *sp);
    onnx__tensor_shape_proto__init(sp);
    sp->n_dim = (size_t)rank;
    sp->dim = talloc(sizeof(void *) * (size_t)(rank + 1));
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *d = talloc(sizeof *d);
        onnx__tensor_shape_proto__dimension__init(d);
        if (dims[i] >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        } else if (params && params[i]) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = (char *)params[i];
        }
        sp->dim[i] = d;
    }
    vi->type->tensor_type->shape = sp;
    return vi;
}

/* ins/outs: NULL-terminated lists of names ("" = omitted) */
static Onnx__NodeProto *add_node(Onnx__ModelProto *m, const char *op, const char *name,
                                 const char *const *ins, const char *const *outs) {
    Onnx__NodeProto *n = talloc(sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = (char *)op;
    n->name = (char *)name;
    n->input = talloc(sizeof(char *) * 8);
    n->output = talloc(sizeof(char *) * 8);
    n->attribute = talloc(sizeof(void *) * 16);
    for (; ins && *ins; ins++) n->input[n->n_input++] = (char *)*ins;
    for (; outs && *outs; outs++) n->output[n->n_output++] = (char *)*outs;
    m->graph->node[m->graph->n_node++] = n;
    return n;
}

static Onnx__AttributeProto *add_attr(Onnx__NodeProto *n, const char *name, int type) {
    Onnx__AttributeProto *a = talloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    a->type = type;
    n->attribute[n->n_attribute++] = a;
    return a;
}

static void attr_f(Onnx__NodeProto *n, const char *name, float v) {
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1, a->f = v;
}

static void attr_i(Onnx__NodeProto *n, const char *name, int64_t v) {
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1, a->i = v;
}

static void attr_s(Onnx__NodeProto *n, const char *name, const char *s, size_t len) {
    Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1, a->s.data = (uint8_t *)s, a->s.len = len;
}

static Onnx__TensorProto *mk_f32_tensor(const char *name, int rank, const int64_t *dims,
                                        const float *data, size_t n) {
    Onnx__TensorProto *t = talloc(sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = 1;
    t->n_dims = (size_t)rank;
    t->dims = (int64_t *)dims;
    t->has_raw_data = 1;
    t->raw_data.len = n * 4;
    t->raw_data.data = (uint8_t *)data;
    return t;
}

static uint8_t *pack(const Onnx__ModelProto *m, size_t *size) {
    *size = onnx__model_proto__get_packed_size(m);
    uint8_t *buf = talloc(*size);
    onnx__model_proto__pack(m, buf);
    return buf;
}

static odin_status import_model(const Onnx__ModelProto *m, const char *path, odin_graph **g) {
    size_t size;
    uint8_t *buf = pack(m, &size);
    return odin_onnx_import_mem(buf, size, path, g);
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define DIMS(...) ((const int64_t[]){__VA_ARGS__})

static int find_node(const odin_graph *g, const char *name) {
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].name, name) == 0) return i;
    return -1;
}

static bool ints_are(const odin_attr *a, int n, const int64_t *v) {
    if (!a || a->kind != ODIN_ATTR_INTS || a->count != n) return false;
    for (int i = 0; i < n; i++)
        if (a->ints[i] != v[i]) return false;
    return true;
}

/* ---- backend test models ---- */

static void test_conv_model(void) {
    odin_graph *g = NULL;
    CHECK_OK(odin_onnx_import_file(DATA "node/test_conv_with_strides_padding/model.onnx", &g));
    if (!g) return;
    CHECK(g->opset == 11, "opset %d", g->opset);
    CHECK(strcmp(g->name, "test_conv_with_strides_padding") == 0, "name %s", g->name);
    const char *prod = odin_graph_get_meta(g, "producer_name");
    CHECK(prod && strcmp(prod, "backend-test") == 0, "producer");
    CHECK(g->n_nodes == 1 && g->n_inputs == 2 && g->n_outputs == 1, "counts");
    const odin_node *n = &g->nodes[0];
    CHECK(strcmp(n->op, "Conv") == 0 && strcmp(n->domain, "") == 0, "op");
    CHECK(strcmp(n->name, "Conv_0") == 0, "synthesized name '%s'", n->name);
    CHECK(ints_are(odin_node_attr(n, "kernel_shape"), 2, DIMS(3, 3)), "kernel_shape");
    CHECK(ints_are(odin_node_attr(n, "pads"), 4, DIMS(1, 1, 1, 1)), "pads");
    CHECK(ints_are(odin_node_attr(n, "strides"), 2, DIMS(2, 2)), "strides");
    const odin_tensor *x = &g->tensors[g->inputs[0]], *w = &g->tensors[g->inputs[1]];
    CHECK(strcmp(x->name, "x") == 0 && x->dtype == ODIN_F32 && x->rank == 4 && x->dims[2] == 7 &&
              x->dims[3] == 5, "x");
    CHECK(strcmp(w->name, "W") == 0 && w->dims[0] == 1 && w->dims[3] == 3, "W");
    /* (7 + 2 - 3) / 2 + 1 = 4, (5 + 2 - 3) / 2 + 1 = 3 */
    const odin_tensor *y = &g->tensors[g->outputs[0]];
    CHECK(y->rank == 4 && y->dims[2] == 4 && y->dims[3] == 3, "y shape");
    CHECK(n->inputs[0] == g->inputs[0] && n->outputs[0] == g->outputs[0], "wiring");
    odin_graph_free(g);
}

static void test_pytorch_initializers(void) {
    /* old exporters list the initializers among the graph inputs: '0' is the only real one */
    const char *path = DATA "pytorch-converted/test_Conv2d/model.onnx";
    odin_graph *g = NULL;
    CHECK_OK(odin_onnx_import_file(path, &g));
    if (!g) return;
    CHECK(g->n_inputs == 1 && strcmp(g->tensors[g->inputs[0]].name, "0") == 0, "inputs %d",
          g->n_inputs);
    int w = odin_graph_find_tensor(g, "1"), b = odin_graph_find_tensor(g, "2");
    CHECK(w >= 0 && b >= 0, "initializers");
    if (w >= 0 && b >= 0) {
        const odin_tensor *tw = &g->tensors[w], *tb = &g->tensors[b];
        CHECK((tw->flags & ODIN_TENSOR_CONST) && tw->rank == 4 && tw->dims[0] == 4 &&
                  tw->dims[1] == 3 && tw->dims[2] == 3 && tw->dims[3] == 2, "weight shape");
        CHECK(tw->nbytes == 4 * 3 * 3 * 2 * 4 && ((uintptr_t)tw->data % 64) == 0, "weight data");
        CHECK(tb->rank == 1 && tb->dims[0] == 4 && !(tb->flags & ODIN_TENSOR_INPUT), "bias");
    }
    CHECK(g->n_nodes == 1 && strcmp(g->nodes[0].op, "Conv") == 0, "conv");
    const odin_attr *grp = odin_node_attr(&g->nodes[0], "group");
    CHECK(grp && grp->kind == ODIN_ATTR_INT && grp->i == 1, "group");
    odin_graph_free(g);
}

static void test_constant_node(void) {
    odin_graph *g = NULL;
    CHECK_OK(odin_onnx_import_file(DATA "node/test_constant/model.onnx", &g));
    if (!g) return;
    CHECK(g->n_nodes == 0 && g->n_outputs == 1, "Constant became a tensor (%d nodes)", g->n_nodes);
    odin_value ref;
    CHECK_OK(odin_pb_read_tensor(DATA "node/test_constant/test_data_set_0/output_0.pb", &ref, NULL));
    const odin_tensor *t = &g->tensors[g->outputs[0]];
    CHECK(strcmp(t->name, "values") == 0 && (t->flags & ODIN_TENSOR_CONST), "constant output");
    CHECK(t->rank == 2 && t->dims[0] == 5 && t->dims[1] == 5 && t->nbytes == 100, "shape");
    if (t->data && ref.data) CHECK(memcmp(t->data, ref.data, 100) == 0, "values = output_0.pb");
    odin_onnx_value_free(&ref);
    odin_graph_free(g);
}

/* A few backend models with their node counts and ops, as listed in the files. */
static void test_backend_structures(void) {
    static const struct {
        const char *dir;
        int nodes;
        const char *ops;
    } cases[] = {
        {"test_add", 1, "Add"},
        {"test_relu", 1, "Relu"},
        {"test_gemm_default_matrix_bias", 1, "Gemm"},
        {"test_layer_normalization_2d_axis0", 1, "LayerNormalization"},
        {"test_softmax_axis_0_expanded", -1, NULL},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char path[256];
        snprintf(path, sizeof path, DATA "node/%s/model.onnx", cases[c].dir);
        odin_graph *g = NULL;
        odin_status st = odin_onnx_import_file(path, &g);
        if (st) {
            /* only an unsupported op is an acceptable failure (the op library grows) */
            CHECK(strstr(odin_status_message(st), "unsupported op"), "%s", odin_status_message(st));
            CHECK(strncmp(odin_status_message(st), path, strlen(path)) == 0, "prefix");
            odin_status_free(st);
            continue;
        }
        if (cases[c].nodes >= 0) {
            CHECK(g->n_nodes == cases[c].nodes, "%s nodes %d", cases[c].dir, g->n_nodes);
            CHECK(g->n_nodes && strcmp(g->nodes[0].op, cases[c].ops) == 0, "%s op", cases[c].dir);
        }
        for (int i = 0; i < g->n_nodes; i++) CHECK(g->nodes[i].def != NULL, "def resolved");
        odin_graph_free(g);
    }
}

/* ---- models written here ---- */

static void test_constant_forms(void) {
    Onnx__ModelProto *m = mk_model(17);
    Onnx__NodeProto *n;
    n = add_node(m, "Constant", "c1", NULL, LIST("vf"));
    attr_f(n, "value_float", 2.5f);
    n = add_node(m, "Constant", "c2", NULL, LIST("vfs"));
    Onnx__AttributeProto *a = add_attr(n, "value_floats", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    float fl[3] = {1, 2, 3};
    a->floats = fl, a->n_floats = 3;
    n = add_node(m, "Constant", "c3", NULL, LIST("vi"));
    attr_i(n, "value_int", -7);
    n = add_node(m, "Constant", "c4", NULL, LIST("vis"));
    a = add_attr(n, "value_ints", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t il[2] = {4, 5};
    a->ints = il, a->n_ints = 2;
    n = add_node(m, "Constant", "c5", NULL, LIST("vs"));
    attr_s(n, "value_string", "hey", 3);
    n = add_node(m, "Constant", "c6", NULL, LIST("vss"));
    a = add_attr(n, "value_strings", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    ProtobufCBinaryData ss[2] = {{1, (uint8_t *)"a"}, {2, (uint8_t *)"bc"}};
    a->strings = ss, a->n_strings = 2;
    m->graph->output[m->graph->n_output++] = mk_vi("vf", 1, 0, NULL, NULL);
    odin_graph *g = NULL;
    CHECK_OK(import_model(m, NULL, &g));
    if (g) {
        CHECK(g->n_nodes == 0, "no nodes");
        int t;
        t = odin_graph_find_tensor(g, "vf");
        CHECK(t >= 0 && g->tensors[t].rank == 0 && g->tensors[t].dtype == ODIN_F32 &&
                  *(float *)g->tensors[t].data == 2.5f, "value_float");
        t = odin_graph_find_tensor(g, "vfs");
        CHECK(t >= 0 && g->tensors[t].rank == 1 && g->tensors[t].dims[0] == 3 &&
                  ((float *)g->tensors[t].data)[2] == 3.0f, "value_floats");
        t = odin_graph_find_tensor(g, "vi");
        CHECK(t >= 0 && g->tensors[t].dtype == ODIN_I64 && *(int64_t *)g->tensors[t].data == -7,
              "value_int");
        t = odin_graph_find_tensor(g, "vis");
        CHECK(t >= 0 && g->tensors[t].dims[0] == 2 && ((int64_t *)g->tensors[t].data)[1] == 5,
              "value_ints");
        t = odin_graph_find_tensor(g, "vs");
        CHECK(t >= 0 && g->tensors[t].dtype == ODIN_STRING && g->tensors[t].rank == 0 &&
                  strcmp(((char **)g->tensors[t].data)[0], "hey") == 0, "value_string");
        t = odin_graph_find_tensor(g, "vss");
        CHECK(t >= 0 && g->tensors[t].dims[0] == 2 &&
                  strcmp(((char **)g->tensors[t].data)[1], "bc") == 0, "value_strings");
        odin_graph_free(g);
    }
    tfree_all();

    m = mk_model(17);
    n = add_node(m, "Constant", "sp", NULL, LIST("s"));
    add_attr(n, "sparse_value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR);
    CHECK_ERR(import_model(m, "m.onnx", &g), "m.onnx: node 'sp' (Constant): sparse_value is not supported");
    tfree_all();
}

static void test_names_and_attributes(void) {
    Onnx__ModelProto *m = mk_model(17);
    m->producer_name = "unit";
    m->producer_version = "1.0";
    Onnx__StringStringEntryProto kv;
    onnx__string_string_entry_proto__init(&kv);
    kv.key = "author", kv.value = "someone";
    Onnx__StringStringEntryProto *kvs[1] = {&kv};
    m->metadata_props = kvs, m->n_metadata_props = 1;
    const char *params[2] = {"batch", NULL};
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 2, DIMS(-1, 4), params);
    Onnx__NodeProto *n = add_node(m, "Constant", "", NULL, LIST("c"));
    float one = 1.0f;
    add_attr(n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t =
        mk_f32_tensor("", 0, NULL, &one, 1);
    n = add_node(m, "Add", "", LIST("x", "c"), LIST("y"));
    /* extra attributes of every kind ride along untouched */
    attr_s(n, "s", "a\0b", 3);
    Onnx__AttributeProto *a;
    a = add_attr(n, "fs", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    float fl[2] = {0.5f, -1};
    a->floats = fl, a->n_floats = 2;
    a = add_attr(n, "ss", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    ProtobufCBinaryData ss[2] = {{2, (uint8_t *)"xy"}, {0, NULL}};
    a->strings = ss, a->n_strings = 2;
    float tv[2] = {3, 4};
    a = add_attr(n, "t", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = mk_f32_tensor("", 1, DIMS(2), tv, 2);
    attr_f(n, "f", 0.25f);
    n = add_node(m, "Relu", "", LIST("y"), LIST("z"));
    m->graph->output[m->graph->n_output++] = mk_vi("z", 1, 2, DIMS(-1, 4), params);
    odin_graph *g = NULL;
    CHECK_OK(import_model(m, NULL, &g));
    if (!g) {
        tfree_all();
        return;
    }
    /* names come from the ONNX node index, Constant included */
    CHECK(g->n_nodes == 2 && find_node(g, "Add_1") == 0 && find_node(g, "Relu_2") == 1,
          "synthesized names %s %s", g->n_nodes ? g->nodes[0].name : "", g->n_nodes > 1 ? g->nodes[1].name : "");
    CHECK(strcmp(g->name, "test_graph") == 0, "graph name");
    CHECK(odin_graph_get_meta(g, "producer_name") && !strcmp(odin_graph_get_meta(g, "producer_name"), "unit"), "producer");
    CHECK(odin_graph_get_meta(g, "producer_version") && !strcmp(odin_graph_get_meta(g, "producer_version"), "1.0"), "version");
    CHECK(odin_graph_get_meta(g, "author") && !strcmp(odin_graph_get_meta(g, "author"), "someone"), "metadata_props");
    const odin_tensor *x = &g->tensors[g->inputs[0]];
    CHECK(x->rank == 2 && x->dims[0] == -1 && x->dim_params[0] && !strcmp(x->dim_params[0], "batch") &&
              x->dims[1] == 4 && !x->dim_params[1], "symbolic input");
    const odin_tensor *z = &g->tensors[g->outputs[0]];
    CHECK(z->dtype == ODIN_F32 && z->rank == 2 && z->dims[1] == 4 && z->dim_params[0] &&
              !strcmp(z->dim_params[0], "batch"), "output type");
    const odin_node *add = &g->nodes[0];
    const odin_attr *s = odin_node_attr(add, "s");
    CHECK(s && s->kind == ODIN_ATTR_STRING && s->s_len == 3 && !memcmp(s->s, "a\0b", 3), "bytes string");
    const odin_attr *fs = odin_node_attr(add, "fs");
    CHECK(fs && fs->kind == ODIN_ATTR_FLOATS && fs->count == 2 && fs->floats[1] == -1, "floats");
    const odin_attr *sa = odin_node_attr(add, "ss");
    CHECK(sa && sa->kind == ODIN_ATTR_STRINGS && sa->count == 2 && !strcmp(sa->strings[0], "xy") &&
              !strcmp(sa->strings[1], ""), "strings");
    const odin_attr *ta = odin_node_attr(add, "t");
    CHECK(ta && ta->kind == ODIN_ATTR_TENSOR && ta->t.rank == 1 && ta->t.dims[0] == 2 &&
              ((float *)ta->t.data)[1] == 4, "tensor attr");
    const odin_attr *fa = odin_node_attr(add, "f");
    CHECK(fa && fa->kind == ODIN_ATTR_FLOAT && fa->f == 0.25f, "float");
    int c = odin_graph_find_tensor(g, "c");
    CHECK(c >= 0 && add->inputs[1] == c && (g->tensors[c].flags & ODIN_TENSOR_CONST), "constant input");
    odin_graph_free(g);
    tfree_all();
}

static void test_optional_io_and_order(void) {
    /* nodes out of order, an omitted optional input in the middle and trailing omitted outputs */
    Onnx__ModelProto *m = mk_model(17);
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 1, DIMS(3), NULL);
    add_node(m, "Relu", "second", LIST("mid"), LIST("y"));
    add_node(m, "Clip", "first", LIST("x", "", "hi", ""), LIST("mid", "", ""));
    float hi = 6;
    m->graph->initializer[m->graph->n_initializer++] = mk_f32_tensor("hi", 0, NULL, &hi, 1);
    m->graph->output[m->graph->n_output++] = mk_vi("y", 1, 1, DIMS(3), NULL);
    odin_graph *g = NULL;
    CHECK_OK(import_model(m, NULL, &g));
    if (g) {
        CHECK(g->n_nodes == 2 && !strcmp(g->nodes[0].name, "first") && !strcmp(g->nodes[1].name, "second"),
              "topological order");
        const odin_node *clip = &g->nodes[0];
        CHECK(clip->n_inputs == 3 && clip->inputs[1] == -1 && clip->inputs[2] == odin_graph_find_tensor(g, "hi"),
              "omitted input %d", clip->n_inputs);
        CHECK(clip->n_outputs == 1, "trailing omitted outputs dropped (%d)", clip->n_outputs);
        odin_graph_free(g);
    }
    tfree_all();
}

static void test_wiring_errors(void) {
    Onnx__ModelProto *m = mk_model(17);
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 1, DIMS(3), NULL);
    add_node(m, "Relu", "r", LIST("nowhere"), LIST("y"));
    odin_graph *g = NULL;
    CHECK_ERR(import_model(m, "w.onnx", &g),
              "w.onnx: node 'r' (Relu): input 'nowhere' is not produced by any node");
    CHECK(g == NULL, "no graph on error");
    tfree_all();

    m = mk_model(17);
    add_node(m, "Relu", "a", LIST("q"), LIST("p"));
    add_node(m, "Relu", "b", LIST("p"), LIST("q"));
    CHECK_ERR(import_model(m, "w.onnx", &g), "cycle");
    tfree_all();

    m = mk_model(17);
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 1, DIMS(3), NULL);
    add_node(m, "Relu", "a", LIST("x"), LIST("y"));
    add_node(m, "Relu", "b", LIST("x"), LIST("y"));
    CHECK_ERR(import_model(m, "w.onnx", &g), "node 'b' (Relu): output 'y' is already defined");
    tfree_all();

    m = mk_model(17);
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 1, DIMS(3), NULL);
    m->graph->output[m->graph->n_output++] = mk_vi("missing", 1, 1, DIMS(3), NULL);
    CHECK_ERR(import_model(m, "w.onnx", &g), "graph output 'missing' is not produced");
    tfree_all();

    m = mk_model(17);
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 1, DIMS(3), NULL);
    Onnx__NodeProto *n = add_node(m, "Relu", "r", LIST("x"), LIST("y"));
    add_attr(n, "body", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    CHECK_ERR(import_model(m, "w.onnx", &g),
              "w.onnx: node 'r' (Relu): attribute 'body' of type GRAPH is not supported");
    tfree_all();

    m = mk_model(17);
    m->graph->sparse_initializer = talloc(sizeof(void *));
    m->graph->sparse_initializer[0] = talloc(sizeof(Onnx__SparseTensorProto));
    onnx__sparse_tensor_proto__init(m->graph->sparse_initializer[0]);
    m->graph->n_sparse_initializer = 1;
    CHECK_ERR(import_model(m, "w.onnx", &g), "w.onnx: sparse initializers are not supported");
    tfree_all();
}

static void test_unsupported_ops(void) {
    Onnx__ModelProto *m = mk_model(17);
    add_opset(m, "com.microsoft", 1);
    add_opset(m, "ai.onnx.ml", 3);
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 1, DIMS(3), NULL);
    add_node(m, "FrobnicateOp", "foo", LIST("x"), LIST("a"));
    add_node(m, "Relu", "ok", LIST("a"), LIST("b"));
    Onnx__NodeProto *n = add_node(m, "Quux", "", LIST("b"), LIST("c"));
    n->domain = "ai.onnx.ml";
    add_attr(n, "g", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH); /* ignored: op unknown */
    m->graph->output[m->graph->n_output++] = mk_vi("c", 1, 1, DIMS(3), NULL);
    odin_graph *g = NULL;
    odin_status st = import_model(m, "dir/model.onnx", &g);
    const char *msg = odin_status_message(st);
    CHECK(st != NULL, "unsupported ops must fail");
    CHECK(strstr(msg, "dir/model.onnx: 2 unsupported ops: ") == msg, "%s", msg);
    CHECK(strstr(msg, "node 'foo' (FrobnicateOp, domain '', opset 17)"), "%s", msg);
    CHECK(strstr(msg, "node 'Quux_2' (Quux, domain 'ai.onnx.ml', opset 3)"), "%s", msg);
    CHECK(g == NULL, "no graph");
    odin_status_free(st);
    tfree_all();
}

static void test_opsets(void) {
    Onnx__ModelProto *m = mk_model(13);
    add_opset(m, "com.microsoft", 1);
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 1, DIMS(3), NULL);
    add_node(m, "Relu", "r", LIST("x"), LIST("y"));
    m->graph->output[m->graph->n_output++] = mk_vi("y", 1, 1, DIMS(3), NULL);
    odin_graph *g = NULL;
    CHECK_OK(import_model(m, NULL, &g));
    if (g) CHECK(g->opset == 13 && g->opset_ms == 1, "opsets %d %d", g->opset, g->opset_ms);
    odin_graph_free(g);
    tfree_all();
}

static void test_external_data(void) {
    char dir[] = "/tmp/odin_onnx_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    char model_path[256], data_path[256];
    snprintf(model_path, sizeof model_path, "%s/model.onnx", dir);
    snprintf(data_path, sizeof data_path, "%s/model.weights", dir);
    float w[4] = {1.5f, -2, 0.25f, 8};
    FILE *f = fopen(data_path, "wb");
    fwrite("PAD!", 1, 4, f);
    fwrite(w, 4, 4, f);
    fclose(f);

    Onnx__ModelProto *m = mk_model(17);
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 2, DIMS(2, 2), NULL);
    Onnx__TensorProto *t = mk_f32_tensor("w", 2, DIMS(2, 2), NULL, 0);
    t->has_raw_data = 0;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    static Onnx__StringStringEntryProto e[3];
    static Onnx__StringStringEntryProto *ep[3] = {&e[0], &e[1], &e[2]};
    for (int i = 0; i < 3; i++) onnx__string_string_entry_proto__init(&e[i]);
    e[0].key = "location", e[0].value = "model.weights";
    e[1].key = "offset", e[1].value = "4";
    e[2].key = "length", e[2].value = "16";
    t->external_data = ep, t->n_external_data = 3;
    m->graph->initializer[m->graph->n_initializer++] = t;
    add_node(m, "Add", "add", LIST("x", "w"), LIST("y"));
    m->graph->output[m->graph->n_output++] = mk_vi("y", 1, 2, DIMS(2, 2), NULL);
    size_t size;
    uint8_t *buf = pack(m, &size);
    f = fopen(model_path, "wb");
    fwrite(buf, 1, size, f);
    fclose(f);

    odin_graph *g = NULL;
    CHECK_OK(odin_onnx_import_file(model_path, &g));
    if (g) {
        int wt = odin_graph_find_tensor(g, "w");
        CHECK(wt >= 0 && g->tensors[wt].data && memcmp(g->tensors[wt].data, w, 16) == 0,
              "external weights");
        odin_graph_free(g);
    }
    /* from memory there is no directory to resolve the file against */
    CHECK_ERR(odin_onnx_import_mem(buf, size, NULL, &g), "<memory>: initializer: tensor 'w': external data");
    e[0].value = "../model.weights";
    buf = pack(m, &size);
    CHECK_ERR(odin_onnx_import_mem(buf, size, model_path, &g), "escapes the model directory");
    tfree_all();
    unlink(model_path);
    unlink(data_path);
    rmdir(dir);
}

static void test_malformed(void) {
    odin_graph *g = NULL;
    CHECK_ERR(odin_onnx_import_mem("\xff\xff\xff\xff", 4, "bad.onnx", &g),
              "bad.onnx: not a valid ONNX model (protobuf parse failed)");
    CHECK_ERR(odin_onnx_import_mem("", 0, "empty.onnx", &g), "empty.onnx: not a valid ONNX model");
    CHECK_ERR(odin_onnx_import_mem("x", ((size_t)2 << 30) + 1, "huge.onnx", &g), "2 GiB");
    CHECK_ERR(odin_onnx_import_file("/nonexistent/model.onnx", &g), "/nonexistent/model.onnx: cannot open");
    /* every prefix of a real model either imports or fails cleanly */
    FILE *f = fopen(DATA "node/test_conv_with_strides_padding/model.onnx", "rb");
    uint8_t buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    CHECK(n > 100, "read model");
    int failures = 0;
    for (size_t cut = 0; cut < n; cut++) {
        odin_status st = odin_onnx_import_mem(buf, cut, "cut.onnx", &g);
        if (st) {
            failures++;
            CHECK(strncmp(odin_status_message(st), "cut.onnx: ", 10) == 0, "%s", odin_status_message(st));
        } else {
            odin_graph_free(g);
        }
        odin_status_free(st);
    }
    CHECK(failures > 0, "truncations fail");
    /* flipped bytes too */
    for (size_t i = 0; i < n; i += 3) {
        uint8_t saved = buf[i];
        buf[i] ^= 0x5a;
        odin_status st = odin_onnx_import_mem(buf, n, "flip.onnx", &g);
        if (!st) odin_graph_free(g);
        odin_status_free(st);
        buf[i] = saved;
    }
}

/* ---- export ---- */

/* Same nodes (in order) and tensors, matched by name: Constant outputs come back as
 * initializers, so tensor indices may move. */
static bool same_structure(const odin_graph *a, const odin_graph *b) {
    if (a->n_nodes != b->n_nodes || a->n_tensors != b->n_tensors || a->n_inputs != b->n_inputs ||
        a->n_outputs != b->n_outputs || a->opset != b->opset || a->opset_ms != b->opset_ms)
        return false;
    for (int i = 0; i < a->n_nodes; i++) {
        const odin_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (strcmp(x->op, y->op) || strcmp(x->domain, y->domain) || strcmp(x->name, y->name) ||
            x->n_inputs != y->n_inputs || x->n_outputs != y->n_outputs || x->n_attrs != y->n_attrs)
            return false;
        for (int k = 0; k < x->n_inputs; k++)
            if ((x->inputs[k] < 0) != (y->inputs[k] < 0) ||
                (x->inputs[k] >= 0 &&
                 strcmp(a->tensors[x->inputs[k]].name, b->tensors[y->inputs[k]].name)))
                return false;
    }
    for (int i = 0; i < a->n_inputs; i++)
        if (strcmp(a->tensors[a->inputs[i]].name, b->tensors[b->inputs[i]].name)) return false;
    for (int i = 0; i < a->n_outputs; i++)
        if (strcmp(a->tensors[a->outputs[i]].name, b->tensors[b->outputs[i]].name)) return false;
    for (int t = 0; t < a->n_tensors; t++) {
        const odin_tensor *x = &a->tensors[t];
        int u = odin_graph_find_tensor(b, x->name);
        if (u < 0) return false;
        const odin_tensor *y = &b->tensors[u];
        if (x->dtype != y->dtype || x->rank != y->rank || x->flags != y->flags ||
            x->nbytes != y->nbytes ||
            (x->nbytes && x->dtype != ODIN_STRING && memcmp(x->data, y->data, x->nbytes)))
            return false;
        for (int d = 0; d < x->rank; d++) {
            if (x->dims[d] != y->dims[d]) return false;
            if (!x->dim_params[d] != !y->dim_params[d]) return false;
            if (x->dim_params[d] && strcmp(x->dim_params[d], y->dim_params[d])) return false;
        }
    }
    return true;
}

static void round_trip(const char *what, odin_graph *g, const char *path) {
    CHECK_OK(odin_onnx_export_file(g, path));
    odin_graph *g2 = NULL;
    CHECK_OK(odin_onnx_import_file(path, &g2));
    if (!g2) return;
    CHECK(odin_graph_hash(g) == odin_graph_hash(g2), "%s: hash differs", what);
    CHECK(same_structure(g, g2), "%s: structure differs", what);
    for (int i = 0; i < g->n_meta; i++) {
        const char *v = odin_graph_get_meta(g2, g->meta[i].key);
        CHECK(v && !strcmp(v, g->meta[i].value), "%s: meta %s", what, g->meta[i].key);
    }
    CHECK(!strcmp(g->name, g2->name), "%s: graph name", what);
    odin_graph_free(g2);
}

static void test_export_round_trip(void) {
    char dir[] = "/tmp/odin_onnx_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/rt.onnx", dir);
    static const char *models[] = {
        "node/test_conv_with_strides_padding", "node/test_constant", "node/test_add_bcast",
        "node/test_layer_normalization_4d_axis1", "node/test_gather_0", "node/test_cast_FLOAT_to_FLOAT16",
        "node/test_split_equal_parts_1d", "node/test_clip_default_inbounds", "pytorch-converted/test_Conv2d",
        "pytorch-operator/test_operator_maxpool", "node/test_softmax_axis_1_expanded",
    };
    int tried = 0;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char src[256];
        snprintf(src, sizeof src, DATA "%s/model.onnx", models[i]);
        odin_graph *g = NULL;
        odin_status st = odin_onnx_import_file(src, &g);
        if (st) { /* ops still missing from the library are not this test's concern */
            CHECK(strstr(odin_status_message(st), "unsupported op"), "%s", odin_status_message(st));
            odin_status_free(st);
            continue;
        }
        tried++;
        round_trip(models[i], g, path);
        odin_graph_free(g);
    }
    CHECK(tried >= 3, "only %d models imported", tried);

    /* a model with symbolic dims, metadata, strings, every attribute kind */
    Onnx__ModelProto *m = mk_model(17);
    m->producer_name = "unit";
    Onnx__StringStringEntryProto kv;
    onnx__string_string_entry_proto__init(&kv);
    kv.key = "k", kv.value = "v";
    Onnx__StringStringEntryProto *kvs[1] = {&kv};
    m->metadata_props = kvs, m->n_metadata_props = 1;
    const char *params[2] = {"batch", NULL};
    m->graph->input[m->graph->n_input++] = mk_vi("x", 1, 2, DIMS(-1, 4), params);
    Onnx__NodeProto *n = add_node(m, "Constant", "", NULL, LIST("names"));
    Onnx__AttributeProto *a = add_attr(n, "value_strings", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    ProtobufCBinaryData ss[2] = {{1, (uint8_t *)"a"}, {2, (uint8_t *)"bc"}};
    a->strings = ss, a->n_strings = 2;
    n = add_node(m, "Relu", "r", LIST("x"), LIST("y"));
    attr_i(n, "i", 3);
    attr_f(n, "f", 0.5f);
    attr_s(n, "s", "abc", 3);
    a = add_attr(n, "is", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t il[2] = {1, -2};
    a->ints = il, a->n_ints = 2;
    float tv[2] = {3, 4};
    add_attr(n, "t", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)->t = mk_f32_tensor("", 1, DIMS(2), tv, 2);
    n = add_node(m, "Relu", "r2", LIST("y"), LIST("z"));
    m->graph->output[m->graph->n_output++] = mk_vi("z", 1, 2, DIMS(-1, 4), params);
    odin_graph *g = NULL;
    CHECK_OK(import_model(m, NULL, &g));
    if (g) {
        round_trip("built", g, path);
        /* the exported file itself, read back with protobuf-c */
        FILE *f = fopen(path, "rb");
        static uint8_t buf[1 << 16];
        size_t size = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (f) fclose(f);
        Onnx__ModelProto *e = onnx__model_proto__unpack(NULL, size, buf);
        CHECK(e && e->graph, "unpack export");
        if (e && e->graph) {
            CHECK(e->has_ir_version && e->ir_version >= 8, "ir_version");
            CHECK(e->n_opset_import >= 1 && !strcmp(e->opset_import[0]->domain, "") &&
                      e->opset_import[0]->version == 17, "opset_import");
            CHECK(e->graph->n_initializer == 1 && !strcmp(e->graph->initializer[0]->name, "names") &&
                      e->graph->initializer[0]->n_string_data == 2, "string initializer");
            CHECK(e->graph->n_input == 1 && e->graph->input[0]->type->tensor_type->shape->dim[0]->value_case ==
                      ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM, "dim_param");
            CHECK(e->graph->n_value_info == 1 && !strcmp(e->graph->value_info[0]->name, "y"), "value_info");
            CHECK(e->graph->n_node == 2 && e->graph->node[0]->n_attribute == 5, "nodes");
        }
        if (e) onnx__model_proto__free_unpacked(e, NULL);
        odin_graph_free(g);
    }
    tfree_all();

    /* ODIN-only and com.microsoft ops declare their domains */
    odin_graph *h = odin_graph_new("domains");
    int x = -1, y = -1, z = -1;
    CHECK_OK(odin_graph_add_tensor(h, "x", ODIN_F32, 1, DIMS(2), &x));
    CHECK_OK(odin_graph_add_tensor(h, "y", ODIN_F32, 1, DIMS(2), &y));
    CHECK_OK(odin_graph_add_tensor(h, "z", ODIN_F32, 1, DIMS(2), &z));
    CHECK_OK(odin_graph_add_input(h, x));
    CHECK_OK(odin_graph_add_node(h, "n1", "OdinThing", "ai.odin", &x, 1, &y, 1, NULL, 0, NULL));
    CHECK_OK(odin_graph_add_node(h, "n2", "MsThing", "com.microsoft", &y, 1, &z, 1, NULL, 0, NULL));
    CHECK_OK(odin_graph_add_output(h, z));
    h->opset_ms = 1;
    CHECK_OK(odin_onnx_export_file(h, path));
    odin_graph_free(h);
    FILE *f = fopen(path, "rb");
    static uint8_t buf2[1 << 14];
    size_t size = f ? fread(buf2, 1, sizeof buf2, f) : 0;
    if (f) fclose(f);
    Onnx__ModelProto *e = onnx__model_proto__unpack(NULL, size, buf2);
    CHECK(e && e->n_opset_import == 3, "three opsets");
    if (e && e->n_opset_import == 3)
        CHECK(!strcmp(e->opset_import[1]->domain, "ai.odin") && e->opset_import[1]->version == 1 &&
                  !strcmp(e->opset_import[2]->domain, "com.microsoft"), "domains");
    if (e) onnx__model_proto__free_unpacked(e, NULL);

    odin_graph *empty = odin_graph_new("x");
    CHECK_ERR(odin_onnx_export_file(empty, "/nonexistent/dir/x.onnx"), "/nonexistent/dir/x.onnx");
    odin_graph_free(empty);
    unlink(path);
    rmdir(dir);
}

int main(void) {
    RUN(test_conv_model);
    RUN(test_pytorch_initializers);
    RUN(test_constant_node);
    RUN(test_backend_structures);
    RUN(test_constant_forms);
    RUN(test_names_and_attributes);
    RUN(test_optional_io_and_order);
    RUN(test_wiring_errors);
    RUN(test_unsupported_ops);
    RUN(test_opsets);
    RUN(test_external_data);
    RUN(test_malformed);
    RUN(test_export_round_trip);
    TEST_DONE();
}
