#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../ops/eval_fallback.h"
#include "../runtime/profile.h"
#include "../runtime/threads.h"
#include "emit.h"
#include "irgen.h"
#include "jit.h"

odin_compile_options odin_compile_defaults(void) {
    return (odin_compile_options){.opt_level = 3, .fuse = true, .allow_fallback = true,
                                  .profile = false};
}

const odin_lowering *odin_lowering_find(const odin_node *n) {
    const odin_lowering *tables[] = {odin_lowerings_elementwise, odin_lowerings_kernels,
                                     odin_lowerings_matmul, odin_lowerings_conv,
                                     odin_lowerings_pool, odin_lowerings_movement,
                                     odin_lowerings_reduce, odin_lowerings_norm,
                                     odin_lowerings_lm, odin_lowerings_misc, odin_lowerings_misc_elem};
    const int n_tables = (int)(sizeof tables / sizeof tables[0]);
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx") != 0) {
        char name[128];
        snprintf(name, sizeof name, "%s::%s", n->domain, n->op);
        for (int t = 0; t < n_tables; t++)
            for (const odin_lowering *l = tables[t]; l->op; l++)
                if (!strcmp(l->op, name)) return l;
        return NULL;
    }
    for (int t = 0; t < n_tables; t++)
        for (const odin_lowering *l = tables[t]; l->op; l++)
            if (!strcmp(l->op, n->op)) return l;
    return NULL;
}

LLVMValueRef odin_tensor_ptr(odin_lower_ctx *c, int t) {
    const odin_tensor_place *p = &c->plan->place[t];
    switch (p->kind) {
    case ODIN_STORE_INPUT: return odin_load(c, c->t_ptr, c->io, odin_i64(c, p->index));
    case ODIN_STORE_OUTPUT:
        return odin_load(c, c->t_ptr, c->io, odin_i64(c, c->g->n_inputs + p->index));
    case ODIN_STORE_CONST: return odin_load(c, c->t_ptr, c->weights, odin_i64(c, p->index));
    case ODIN_STORE_ARENA: return odin_gep(c, c->t_i8, c->arena, odin_i64(c, p->index));
    default: return NULL;
    }
}

void odin_bind_node(odin_lower_ctx *c) {
    const odin_node *n = &c->g->nodes[c->node];
    for (int i = 0; i < n->n_inputs && i < ODIN_LOWER_MAX_ARGS; i++)
        c->in[i] = n->inputs[i] >= 0 ? odin_tensor_ptr(c, n->inputs[i]) : NULL;
    for (int i = 0; i < n->n_outputs && i < ODIN_LOWER_MAX_ARGS; i++)
        c->out[i] = n->outputs[i] >= 0 ? odin_tensor_ptr(c, n->outputs[i]) : NULL;
}

/* The graph sits in the weights table after the plan's weights (JIT only): code never
 * holds a host address, so an object file can be cached and loaded by another process. */
LLVMValueRef odin_graph_ptr(odin_lower_ctx *c) {
    return odin_load(c, c->t_ptr, c->weights, odin_i64(c, c->plan->n_weights));
}

/* Whether a (non-elementwise) group's node runs its reference eval instead of code. */
static bool node_falls_back(const odin_graph *g, int node) {
    const odin_lowering *l = odin_lowering_find(&g->nodes[node]);
    return !(l && l->kernel && (!l->accepts || l->accepts(g, node)));
}

/* Kernel body for an op without lowering: call its reference eval through the runtime. */
static odin_status emit_fallback(odin_lower_ctx *c, LLVMValueRef *status) {
    const odin_node *n = &c->g->nodes[c->node];
    int np = n->n_inputs + n->n_outputs;
    LLVMValueRef arr = LLVMBuildArrayAlloca(c->b, c->t_ptr, odin_i64(c, np ? np : 1), "ptrs");
    for (int i = 0; i < np; i++) {
        LLVMValueRef p = i < n->n_inputs ? c->in[i] : c->out[i - n->n_inputs];
        odin_store(c, p ? p : LLVMConstNull(c->t_ptr), arr, odin_i64(c, i));
    }
    LLVMTypeRef params[3] = {c->t_ptr, c->t_i64, c->t_ptr};
    LLVMTypeRef fty = LLVMFunctionType(c->t_i32, params, 3, 0);
    LLVMValueRef fn = LLVMGetNamedFunction(c->m, "odin_rt_eval_fallback");
    if (!fn) fn = LLVMAddFunction(c->m, "odin_rt_eval_fallback", fty);
    LLVMValueRef args[3] = {odin_graph_ptr(c), odin_i64(c, c->node), arr};
    *status = LLVMBuildCall2(c->b, fty, fn, args, 3, "");
    return ODIN_OK;
}

static odin_status emit_group(odin_lower_ctx *c, const odin_plan *plan, int gi, bool *fallback) {
    const odin_kernel_group *grp = &plan->groups[gi];
    const int *nodes = plan->group_nodes + grp->first;
    char name[64];
    snprintf(name, sizeof name, "odin_kernel_%d", gi);
    LLVMTypeRef params[3] = {c->t_ptr, c->t_ptr, c->t_ptr};
    LLVMValueRef fn = LLVMAddFunction(c->m, name, LLVMFunctionType(c->t_i32, params, 3, 0));
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    c->fn = fn;
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->c, fn, "entry"));
    c->io = LLVMGetParam(fn, 0);
    c->arena = LLVMGetParam(fn, 1);
    c->weights = LLVMGetParam(fn, 2);
    c->node = nodes[0];
    LLVMValueRef status = LLVMConstInt(c->t_i32, 0, 0);
    const odin_node *n = &c->g->nodes[nodes[0]];
    odin_status st = ODIN_OK;
    *fallback = false;
    if (grp->elementwise) {
        st = odin_emit_elementwise_group(c, nodes, grp->count);
    } else {
        const odin_lowering *l = odin_lowering_find(n);
        odin_bind_node(c);
        if (!node_falls_back(c->g, c->node)) {
            st = l->kernel(c);
        } else if (c->allow_fallback) {
            *fallback = true;
            st = emit_fallback(c, &status);
        } else {
            st = odin_errorf("no compiled kernel for this op yet");
        }
    }
    if (st) return odin_status_prefix(st, "node '%s' (%s)", n->name, n->op);
    LLVMBuildRet(c->b, status);
    return ODIN_OK;
}

odin_status odin_codegen_module(const odin_graph *g, const odin_plan *plan,
                                const odin_target *t, const odin_compile_options *o,
                                LLVMContextRef ctx, const char *entry_name, LLVMModuleRef *out,
                                int *n_fallback) {
    *out = NULL;
    odin_lower_ctx c = {.plan = plan, .allow_fallback = o->allow_fallback, .c = ctx,
                        .target = t, .g = g};
    c.m = LLVMModuleCreateWithNameInContext(g->name, ctx);
    c.b = LLVMCreateBuilderInContext(ctx);
    c.t_void = LLVMVoidTypeInContext(ctx);
    c.t_i1 = LLVMInt1TypeInContext(ctx);
    c.t_i8 = LLVMInt8TypeInContext(ctx);
    c.t_i16 = LLVMInt16TypeInContext(ctx);
    c.t_i32 = LLVMInt32TypeInContext(ctx);
    c.t_i64 = LLVMInt64TypeInContext(ctx);
    c.t_f32 = LLVMFloatTypeInContext(ctx);
    c.t_f64 = LLVMDoubleTypeInContext(ctx);
    c.t_ptr = LLVMPointerTypeInContext(ctx, 0);
    odin_status st = odin_module_set_target(c.m, t);
    LLVMValueRef *kernels = calloc(plan->n_groups ? plan->n_groups : 1, sizeof *kernels);
    if (!st && !kernels) st = odin_errorf("out of memory");
    int fallbacks = 0;
    for (int gi = 0; !st && gi < plan->n_groups; gi++) {
        bool fb;
        st = emit_group(&c, plan, gi, &fb);
        kernels[gi] = c.fn;
        fallbacks += fb;
    }
    if (!st) {
        LLVMTypeRef params[3] = {c.t_ptr, c.t_ptr, c.t_ptr};
        LLVMTypeRef fty = LLVMFunctionType(c.t_i32, params, 3, 0);
        LLVMValueRef entry = LLVMAddFunction(c.m, entry_name, fty);
        LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(ctx, entry, "entry");
        LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(ctx, entry, "fail");
        LLVMPositionBuilderAtEnd(c.b, fail);
        LLVMValueRef phi = LLVMBuildPhi(c.b, c.t_i32, "rc");
        LLVMBuildRet(c.b, phi);
        LLVMPositionBuilderAtEnd(c.b, bb);
        LLVMValueRef args[3] = {LLVMGetParam(entry, 0), LLVMGetParam(entry, 1), LLVMGetParam(entry, 2)};
        /* Profiling: odin_rt_profile_begin/end(kernel index) around every kernel call. */
        LLVMTypeRef prof_ty = LLVMFunctionType(c.t_void, &c.t_i32, 1, 0);
        LLVMValueRef prof_begin = NULL, prof_end = NULL;
        if (o->profile) {
            prof_begin = LLVMAddFunction(c.m, "odin_rt_profile_begin", prof_ty);
            prof_end = LLVMAddFunction(c.m, "odin_rt_profile_end", prof_ty);
        }
        for (int gi = 0; gi < plan->n_groups; gi++) {
            LLVMValueRef index = LLVMConstInt(c.t_i32, (unsigned long long)gi, 0);
            if (prof_begin) LLVMBuildCall2(c.b, prof_ty, prof_begin, &index, 1, "");
            LLVMValueRef rc = LLVMBuildCall2(c.b, fty, kernels[gi], args, 3, "");
            if (prof_end) LLVMBuildCall2(c.b, prof_ty, prof_end, &index, 1, "");
            LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(ctx, entry, "next");
            LLVMBasicBlockRef here = LLVMGetInsertBlock(c.b);
            LLVMBuildCondBr(c.b, LLVMBuildICmp(c.b, LLVMIntNE, rc, LLVMConstInt(c.t_i32, 0, 0), ""),
                            fail, next);
            LLVMAddIncoming(phi, &rc, &here, 1);
            LLVMPositionBuilderAtEnd(c.b, next);
        }
        LLVMBuildRet(c.b, LLVMConstInt(c.t_i32, 0, 0));
        st = odin_module_verify(c.m);
    }
    free(kernels);
    LLVMDisposeBuilder(c.b);
    if (st) {
        LLVMDisposeModule(c.m);
        return st;
    }
    if (n_fallback) *n_fallback = fallbacks;
    *out = c.m;
    return ODIN_OK;
}

/* ---- the JIT program ---- */

struct odin_program {
    const odin_graph *g;
    odin_plan plan;
    odin_jit *jit;
    int32_t (*entry)(void **io, void *arena, const void **weights);
    const void **weights; /* plan.n_weights constants, then the graph (odin_graph_ptr) */
    void *arena;
    void **io;
    int n_io; /* io slots: inputs + outputs of the graph it was loaded for */
    double compile_ms;
    int n_fallback;
};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void odin_program_free(odin_program *p) {
    if (!p) return;
    odin_jit_free(p->jit);
    odin_plan_free(&p->plan);
    free(p->weights);
    free(p->arena);
    free(p->io);
    free(p);
}

size_t odin_program_arena_bytes(const odin_program *p) { return p->plan.arena_bytes; }
double odin_program_compile_ms(const odin_program *p) { return p->compile_ms; }
void odin_program_set_compile_ms(odin_program *p, double ms) { p->compile_ms = ms; }
int odin_program_fallback_count(const odin_program *p) { return p->n_fallback; }
const odin_plan *odin_program_plan(const odin_program *p) { return &p->plan; }
const odin_graph *odin_program_graph(const odin_program *p) { return p->g; }

odin_status odin_program_object(const odin_graph *g, const odin_compile_options *o,
                                const odin_target *t, void **obj, size_t *size) {
    *obj = NULL;
    *size = 0;
    odin_plan plan;
    ODIN_TRY(odin_plan_build(g, odin_elem_fusable, o->fuse, &plan));
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = NULL;
    odin_status st = odin_codegen_module(g, &plan, t, o, ctx, "odin_main", &m, NULL);
    if (!st) st = odin_module_optimize(m, t, o->opt_level);
    if (!st) st = odin_module_emit(m, t, ODIN_EMIT_OBJECT, obj, size);
    if (m) LLVMDisposeModule(m);
    LLVMContextDispose(ctx);
    odin_plan_free(&plan);
    return st;
}

/* Plan, weights table (with the graph after the weights) and fallback count for g. */
static odin_status bind_graph(odin_program *p, const odin_graph *g, const odin_compile_options *o) {
    odin_plan plan;
    ODIN_TRY(odin_plan_build(g, odin_elem_fusable, o->fuse, &plan));
    const void **weights = calloc((size_t)plan.n_weights + 1, sizeof *weights);
    size_t arena = (plan.arena_bytes + 63) & ~(size_t)63;
    void *mem = aligned_alloc(64, arena ? arena : 64);
    if (!weights || !mem) {
        free(weights);
        free(mem);
        odin_plan_free(&plan);
        return odin_errorf("out of memory");
    }
    free(p->arena);
    p->arena = mem;
    for (int i = 0; i < plan.n_weights; i++) weights[i] = g->tensors[plan.weights[i]].data;
    weights[plan.n_weights] = g;
    int fallbacks = 0;
    for (int gi = 0; gi < plan.n_groups; gi++)
        if (!plan.groups[gi].elementwise)
            fallbacks += node_falls_back(g, plan.group_nodes[plan.groups[gi].first]);
    odin_plan_free(&p->plan);
    free(p->weights);
    p->plan = plan;
    p->weights = weights;
    p->g = g;
    p->n_fallback = o->allow_fallback ? fallbacks : 0;
    return ODIN_OK;
}

odin_status odin_program_load(const odin_graph *g, const odin_compile_options *o,
                              const odin_target *host, const void *obj, size_t size,
                              odin_program **out) {
    *out = NULL;
    odin_program *p = calloc(1, sizeof *p);
    if (!p) return odin_errorf("out of memory");
    p->n_io = g->n_inputs + g->n_outputs;
    p->io = calloc((size_t)p->n_io + 1, sizeof *p->io);
    odin_status st = p->io ? bind_graph(p, g, o) : odin_errorf("out of memory");
    if (!st) st = odin_jit_create(host, &p->jit);
    if (!st) st = odin_jit_define(p->jit, "odin_rt_parallel_for", (void *)odin_rt_parallel_for);
    if (!st) st = odin_jit_define(p->jit, "odin_rt_eval_fallback", (void *)odin_rt_eval_fallback);
    if (!st && o->profile)
        st = odin_jit_define(p->jit, "odin_rt_profile_begin", (void *)odin_rt_profile_begin);
    if (!st && o->profile)
        st = odin_jit_define(p->jit, "odin_rt_profile_end", (void *)odin_rt_profile_end);
    if (!st) st = odin_jit_define(p->jit, "memcpy", (void *)memcpy);
    if (!st) st = odin_jit_define(p->jit, "memset", (void *)memset);
    if (!st) st = odin_jit_define(p->jit, "memmove", (void *)memmove);
    if (!st) st = odin_jit_add_object(p->jit, obj, size, g->name);
    if (!st) st = odin_jit_lookup(p->jit, "odin_main", (void **)&p->entry);
    if (st) {
        odin_program_free(p);
        return st;
    }
    *out = p;
    return ODIN_OK;
}

odin_status odin_program_rebind(odin_program *p, const odin_graph *g,
                                const odin_compile_options *o) {
    /* p->g may be gone (a cache entry outlives its graph): only p's own fields are read. */
    if (g->n_inputs + g->n_outputs != p->n_io)
        return odin_errorf("graph '%s' does not match the compiled program", g->name);
    return bind_graph(p, g, o);
}

odin_status odin_program_compile(const odin_graph *g, const odin_compile_options *o,
                                 odin_program **out) {
    *out = NULL;
    double t0 = now_ms();
    odin_target host;
    void *obj = NULL;
    size_t size = 0;
    odin_status st = odin_target_host(&host);
    if (!st) st = odin_program_object(g, o, &host, &obj, &size);
    if (!st) st = odin_program_load(g, o, &host, obj, size, out);
    free(obj);
    if (!st) (*out)->compile_ms = now_ms() - t0;
    return st;
}

odin_status odin_program_run(odin_program *p, void *const *inputs, void *const *outputs) {
    for (int i = 0; i < p->g->n_inputs; i++) p->io[i] = inputs[i];
    for (int i = 0; i < p->g->n_outputs; i++) p->io[p->g->n_inputs + i] = outputs[i];
    /* outputs that are graph inputs or constants are copied, not computed */
    int32_t rc = p->entry(p->io, p->arena, p->weights);
    if (rc) {
        odin_status st = odin_eval_fallback_take_error();
        return st ? st : odin_errorf("compiled graph '%s' failed (code %d)", p->g->name, rc);
    }
    for (int i = 0; i < p->g->n_outputs; i++) {
        int t = p->g->outputs[i];
        const odin_tensor_place *pl = &p->plan.place[t];
        if (pl->kind == ODIN_STORE_OUTPUT && pl->index == i) continue;
        const void *src = pl->kind == ODIN_STORE_INPUT ? inputs[pl->index]
                          : pl->kind == ODIN_STORE_CONST ? p->weights[pl->index]
                          : pl->kind == ODIN_STORE_OUTPUT ? outputs[pl->index]
                          : (const char *)p->arena + pl->index;
        odin_value v = odin_tensor_value(p->g, t);
        memcpy(outputs[i], src, odin_value_nbytes(&v));
    }
    return ODIN_OK;
}
