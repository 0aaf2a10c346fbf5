/* models/mlp.c — multi-layer perceptron: `layers` hidden Linear+ReLU layers of width
 * `hidden`, then a Linear to `out` logits. Weights [out, in] as in PyTorch nn.Linear,
 * initialized like it: U(-1/sqrt(in), 1/sqrt(in)). */
#include <math.h>
#include <stdio.h>

#include "../ir/builder.h"
#include "init.h"
#include "models.h"

static const odin_model_param mlp_params[] = {
    {"in", 784, "input features"},
    {"hidden", 512, "width of each hidden layer"},
    {"layers", 2, "number of hidden layers"},
    {"out", 10, "output features (logits)"},
    {"batch", 1, "batch size"},
    {"seed", 1, "weight initialization seed"},
    {NULL, 0, NULL},
};

static int linear(odin_graph *g, odin_rng *r, int x, int64_t in, int64_t out, const char *scope) {
    odin_builder_scope(g, scope);
    float bound = 1.0f / sqrtf((float)in);
    int64_t wd[2] = {out, in}, bd[1] = {out};
    int w = odin_init_uniform(g, r, "weight", 2, wd, bound);
    int b = odin_init_uniform(g, r, "bias", 1, bd, bound);
    return odin_gemm(g, x, w, b, true);
}

static odin_status build_mlp(const int64_t *v, const odin_safetensors *weights,
                        odin_graph **out) {
    int64_t in = v[0], hidden = v[1], layers = v[2], n_out = v[3], batch = v[4];
    if (weights)
        return odin_errorf("the mlp builder does not read checkpoints (random weights only)");
    if (in < 1 || n_out < 1 || batch < 1 || (layers > 0 && hidden < 1))
        return odin_errorf("in, out, batch and hidden must be at least 1");
    odin_rng r;
    odin_rng_seed(&r, (uint64_t)v[5]);
    odin_graph *g = odin_graph_new("mlp");
    if (!g) return odin_errorf("out of memory");
    int64_t xd[2] = {batch, in};
    int x = odin_input(g, "x", ODIN_F32, 2, xd);
    int64_t width = in;
    char scope[32];
    for (int64_t l = 0; l < layers; l++) {
        snprintf(scope, sizeof scope, "fc%lld", (long long)l);
        x = odin_relu(g, linear(g, &r, x, width, hidden, scope));
        width = hidden;
    }
    x = linear(g, &r, x, width, n_out, "head");
    odin_builder_scope(g, NULL);
    odin_output(g, x, "logits");
    odin_status st = odin_graph_take_error(g);
    if (st) {
        odin_graph_free(g);
        return st;
    }
    *out = g;
    return ODIN_OK;
}

const odin_model_builder odin_model_mlp = {
    "mlp", "multi-layer perceptron (Gemm + Relu), weights [out,in] like nn.Linear", mlp_params,
    build_mlp};
