#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../ops/eval_fallback.h"
#include "../runtime/threads.h"
#include "emit.h"
#include "irgen.h"
#include "jit.h"

odin_compile_options odin_compile_defaults(void) {
    return (odin_compile_options){.opt_level = 3, .fuse = true, .allow_fallback = true};
}

const odin_lowering *odin_lowering_find(const odin_node *n) {
    const odin_lowering *tables[] = {odin_lowerings_elementwise, odin_lowerings_kernels,
                                     odin_lowerings_matmul, odin_lowerings_conv,
                                     odin_lowerings_pool, odin_lowerings_movement,
                                     odin_lowerings_reduce, odin_lowerings_norm};
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
    LLVMValueRef gptr = LLVMConstIntToPtr(odin_i64(c, (int64_t)(uintptr_t)c->g), c->t_ptr);
    LLVMValueRef args[3] = {gptr, odin_i64(c, c->node), arr};
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
        if (l && l->kernel && (!l->accepts || l->accepts(c->g, c->node))) {
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
        for (int gi = 0; gi < plan->n_groups; gi++) {
            LLVMValueRef rc = LLVMBuildCall2(c.b, fty, kernels[gi], args, 3, "");
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
    const void **weights;
    void *arena;
    void **io;
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
int odin_program_fallback_count(const odin_program *p) { return p->n_fallback; }

odin_status odin_program_compile(const odin_graph *g, const odin_compile_options *o,
                                 odin_program **out) {
    *out = NULL;
    double t0 = now_ms();
    odin_program *p = calloc(1, sizeof *p);
    if (!p) return odin_errorf("out of memory");
    p->g = g;
    odin_status st = odin_plan_build(g, odin_elem_fusable, o->fuse, &p->plan);
    odin_target host;
    if (!st) st = odin_target_host(&host);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = NULL;
    if (!st) st = odin_codegen_module(g, &p->plan, &host, o, ctx, "odin_main", &m, &p->n_fallback);
    if (!st) st = odin_module_optimize(m, &host, o->opt_level);
    void *obj = NULL;
    size_t obj_size = 0;
    if (!st) st = odin_module_emit(m, &host, ODIN_EMIT_OBJECT, &obj, &obj_size);
    if (m) LLVMDisposeModule(m);
    LLVMContextDispose(ctx);
    if (!st) st = odin_jit_create(&host, &p->jit);
    if (!st) st = odin_jit_define(p->jit, "odin_rt_parallel_for", (void *)odin_rt_parallel_for);
    if (!st) st = odin_jit_define(p->jit, "odin_rt_eval_fallback", (void *)odin_rt_eval_fallback);
    if (!st) st = odin_jit_define(p->jit, "memcpy", (void *)memcpy);
    if (!st) st = odin_jit_define(p->jit, "memset", (void *)memset);
    if (!st) st = odin_jit_define(p->jit, "memmove", (void *)memmove);
    if (!st) st = odin_jit_add_object(p->jit, obj, obj_size, g->name);
    free(obj);
    if (!st) st = odin_jit_lookup(p->jit, "odin_main", (void **)&p->entry);
    if (!st) {
        p->weights = calloc(p->plan.n_weights ? p->plan.n_weights : 1, sizeof *p->weights);
        p->io = calloc(g->n_inputs + g->n_outputs + 1, sizeof *p->io);
        p->arena = aligned_alloc(64, (p->plan.arena_bytes + 63) & ~(size_t)63 ? (p->plan.arena_bytes + 63) & ~(size_t)63 : 64);
        if (!p->weights || !p->io || !p->arena) st = odin_errorf("out of memory");
    }
    if (st) {
        odin_program_free(p);
        return st;
    }
    for (int i = 0; i < p->plan.n_weights; i++) p->weights[i] = g->tensors[p->plan.weights[i]].data;
    p->compile_ms = now_ms() - t0;
    *out = p;
    return ODIN_OK;
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
