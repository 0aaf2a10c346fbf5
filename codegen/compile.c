#include "compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "../ops/eval_fallback.h"
#include "../runtime/profile.h"
#include "../runtime/report.h"
#include "../runtime/threads.h"
#include "emit.h"
#include "irgen.h"
#include "jit.h"
#include "lower_util.h"

odin_compile_options odin_compile_defaults(void) {
    return (odin_compile_options){.opt_level = 3, .fuse = true, .allow_fallback = true,
                                  .profile = false};
}

const odin_lowering *odin_lowering_find(const odin_node *n) {
    const odin_lowering *tables[] = {odin_lowerings_elementwise, odin_lowerings_kernels,
                                     odin_lowerings_matmul, odin_lowerings_conv,
                                     odin_lowerings_winograd,
                                     odin_lowerings_pool, odin_lowerings_movement,
                                     odin_lowerings_reduce, odin_lowerings_norm,
                                     odin_lowerings_lm, odin_lowerings_misc, odin_lowerings_misc_elem,
                                     odin_lowerings_resize, odin_lowerings_dropout,
                                     odin_lowerings_loss,
                                     odin_lowerings_logsumexp,
                                     odin_lowerings_quant,
                                     odin_lowerings_convtranspose,
                                     odin_lowerings_rnn,
                                     odin_lowerings_einsum,
                                     odin_lowerings_qmatmul,
                                     odin_lowerings_qconv,
                                     odin_lowerings_trig,
                                     odin_lowerings_misc2,
                                     odin_lowerings_lpnorm,
                                     odin_lowerings_gridsample,
                                     odin_lowerings_dft,
                                     odin_lowerings_unpool,
                                     odin_lowerings_roialign,
                                     odin_lowerings_lppool,
                                     odin_lowerings_roipool};
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

/* ---- tensor addresses ---- */

LLVMValueRef odin_tensor_ptr(odin_lower_ctx *c, int t) {
    for (int s = 0; s < c->n_slots; s++)
        if (c->slot_tensor[s] == t) return c->slot_ptr[s];
    return NULL;
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

/* The group's slots: every materialized tensor its nodes read or write, in order of first
 * use, so structurally equal groups get the same slot layout. Returns the count. */
static int group_slots(const odin_graph *g, const odin_plan *plan, const int *nodes, int count,
                       int *slot) {
    int n = 0;
    for (int k = 0; k < count; k++) {
        const odin_node *node = &g->nodes[nodes[k]];
        for (int i = 0; i < node->n_inputs + node->n_outputs; i++) {
            int t = i < node->n_inputs ? node->inputs[i] : node->outputs[i - node->n_inputs];
            if (t < 0 || plan->place[t].kind == ODIN_STORE_NONE) continue;
            bool seen = false;
            for (int s = 0; s < n && !seen; s++) seen = slot[s] == t;
            if (!seen) slot[n++] = t;
        }
    }
    return n;
}

static int group_arg_capacity(const odin_graph *g, const odin_plan *plan, int gi) {
    const odin_kernel_group *grp = &plan->groups[gi];
    int cap = 0;
    for (int k = 0; k < grp->count; k++) {
        const odin_node *n = &g->nodes[plan->group_nodes[grp->first + k]];
        cap += n->n_inputs + n->n_outputs;
    }
    return cap;
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
    LLVMValueRef args[3] = {odin_graph_ptr(c), c->node_index, arr};
    *status = LLVMBuildCall2(c->b, fty, fn, args, 3, "");
    return ODIN_OK;
}

/* Kernel functions are built under this name, compared, then renamed or deleted. */
#define FRESH_KERNEL "odin_kernel_new"

/* Emit group gi as a fresh kernel function `i32 FRESH_KERNEL(ptr weights, i64 node,
 * ptr slots)` (slots: the addresses of its tensors, c->slot_tensor's order). */
static odin_status emit_group(odin_lower_ctx *c, const odin_plan *plan, int gi, bool *fallback) {
    const odin_kernel_group *grp = &plan->groups[gi];
    const int *nodes = plan->group_nodes + grp->first;
    LLVMTypeRef params[3] = {c->t_ptr, c->t_i64, c->t_ptr};
    LLVMValueRef fn = LLVMAddFunction(c->m, FRESH_KERNEL, LLVMFunctionType(c->t_i32, params, 3, 0));
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    /* Where the entry's loop is unrolled (few groups) kernel calls become direct; they
     * still stay calls: inlining large loop nests into the entry gains nothing. */
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(c->c, LLVMGetEnumAttributeKindForName("noinline", 8), 0));
    c->fn = fn;
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->c, fn, "entry"));
    c->weights = LLVMGetParam(fn, 0);
    c->node_index = LLVMGetParam(fn, 1);
    /* the slot pointers, loaded once before any store */
    LLVMValueRef slots = LLVMGetParam(fn, 2);
    for (int s = 0; s < c->n_slots; s++) c->slot_ptr[s] = odin_load(c, c->t_ptr, slots, odin_i64(c, s));
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
            st = odin_lm_kernel_limit(c->g, c->node);
            if (!st) st = odin_errorf("no compiled kernel for this op yet");
        }
    }
    if (st) return odin_status_prefix(st, "node '%s' (%s)", n->name, n->op);
    LLVMBuildRet(c->b, status);
    return ODIN_OK;
}

/* ---- kernel sharing ----
 * Two groups share a kernel when the IR generated for them is identical: then every
 * literal a lowering baked in (shapes, attributes, constant data it read, pool tables)
 * is equal too, and only the slot pointers and the node index (parameters) differ. The
 * comparison is on the printed IR of the kernel and every definition made with it. */

typedef struct kernel_set {
    struct made { uint64_t hash; char *text; LLVMValueRef fn; } *made;
    int n, cap;
} kernel_set;

/* Definitions (functions with a body, globals) added to m after the given last ones. */
static LLVMValueRef next_fn(LLVMModuleRef m, LLVMValueRef last) {
    return last ? LLVMGetNextFunction(last) : LLVMGetFirstFunction(m);
}
static LLVMValueRef next_global(LLVMModuleRef m, LLVMValueRef last) {
    return last ? LLVMGetNextGlobal(last) : LLVMGetFirstGlobal(m);
}

static bool append(char **buf, size_t *len, size_t *cap, const char *text) {
    size_t n = strlen(text);
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *nb = realloc(*buf, nc);
        if (!nb) return false;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, text, n + 1);
    *len += n;
    return true;
}

/* Printed IR of everything defined after last_fn / last_gv; NULL when out of memory. */
static char *new_definitions_text(LLVMModuleRef m, LLVMValueRef last_fn, LLVMValueRef last_gv) {
    char *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = append(&buf, &len, &cap, "");
    for (LLVMValueRef f = next_fn(m, last_fn); ok && f; f = LLVMGetNextFunction(f)) {
        if (LLVMIsDeclaration(f)) continue;
        char *t = LLVMPrintValueToString(f);
        ok = append(&buf, &len, &cap, t);
        LLVMDisposeMessage(t);
    }
    for (LLVMValueRef v = next_global(m, last_gv); ok && v; v = LLVMGetNextGlobal(v)) {
        char *t = LLVMPrintValueToString(v);
        ok = append(&buf, &len, &cap, t) && append(&buf, &len, &cap, "\n");
        LLVMDisposeMessage(t);
    }
    if (!ok) free(buf);
    return ok ? buf : NULL;
}

/* Remove the definitions made after last_fn / last_gv (a duplicate kernel). Uses are
 * replaced first: they lie only inside what is removed. */
static void delete_new_definitions(LLVMModuleRef m, LLVMValueRef last_fn, LLVMValueRef last_gv) {
    for (LLVMValueRef f = next_fn(m, last_fn); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f)) LLVMReplaceAllUsesWith(f, LLVMGetPoison(LLVMTypeOf(f)));
    for (LLVMValueRef v = next_global(m, last_gv); v; v = LLVMGetNextGlobal(v))
        LLVMReplaceAllUsesWith(v, LLVMGetPoison(LLVMTypeOf(v)));
    for (LLVMValueRef f = next_fn(m, last_fn), nf; f; f = nf) {
        nf = LLVMGetNextFunction(f);
        if (!LLVMIsDeclaration(f)) LLVMDeleteFunction(f);
    }
    for (LLVMValueRef v = next_global(m, last_gv), nv; v; v = nv) {
        nv = LLVMGetNextGlobal(v);
        LLVMDeleteGlobal(v);
    }
}

static void set_name(LLVMValueRef v, const char *name) { LLVMSetValueName2(v, name, strlen(name)); }

static bool fresh_named(LLVMValueRef v) {
    size_t len;
    return !strncmp(LLVMGetValueName2(v, &len), FRESH_KERNEL, strlen(FRESH_KERNEL));
}

/* Names of the new definitions that do not derive from the kernel's (a global named
 * after its node, say) become FRESH_KERNEL.f<j> / .g<j>: names are part of the printed
 * IR, and equal code must print equal. */
static void neutral_names(LLVMModuleRef m, LLVMValueRef last_fn, LLVMValueRef last_gv) {
    char name[64];
    int j = 0;
    for (LLVMValueRef f = next_fn(m, last_fn); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f) && !fresh_named(f)) {
            snprintf(name, sizeof name, FRESH_KERNEL ".f%d", j++);
            set_name(f, name);
        }
    j = 0;
    for (LLVMValueRef v = next_global(m, last_gv); v; v = LLVMGetNextGlobal(v)) {
        snprintf(name, sizeof name, FRESH_KERNEL ".g%d", j++);
        set_name(v, name);
    }
}

/* A kept kernel's definitions trade the FRESH_KERNEL prefix for odin_kernel_<k>, so the
 * next group's fresh names are free again and print the same as this one's did. */
static void final_names(LLVMModuleRef m, LLVMValueRef last_fn, LLVMValueRef last_gv, int k) {
    char name[512];
    for (LLVMValueRef f = next_fn(m, last_fn); f; f = LLVMGetNextFunction(f)) {
        size_t len;
        const char *old = LLVMGetValueName2(f, &len);
        if (LLVMIsDeclaration(f) || !fresh_named(f)) continue;
        snprintf(name, sizeof name, "odin_kernel_%d%s", k, old + strlen(FRESH_KERNEL));
        set_name(f, name);
    }
    for (LLVMValueRef v = next_global(m, last_gv); v; v = LLVMGetNextGlobal(v)) {
        size_t len;
        const char *old = LLVMGetValueName2(v, &len);
        snprintf(name, sizeof name, "odin_kernel_%d%s", k, old + strlen(FRESH_KERNEL));
        set_name(v, name);
    }
}

/* Emit group gi and return the kernel for it: a new one, or an equal one made before. */
static odin_status make_kernel(odin_lower_ctx *c, int gi, kernel_set *ks, LLVMValueRef *kernel,
                               bool *fallback) {
    LLVMValueRef last_fn = LLVMGetLastFunction(c->m), last_gv = LLVMGetLastGlobal(c->m);
    ODIN_TRY(emit_group(c, c->plan, gi, fallback));
    LLVMValueRef fn = c->fn;
    neutral_names(c->m, last_fn, last_gv);
    char *text = new_definitions_text(c->m, last_fn, last_gv);
    if (!text) return odin_errorf("out of memory");
    /* Metadata (!N) is numbered per print, not per module: its text does not identify
     * it, so a kernel that has any is never shared. */
    bool shareable = strchr(text, '!') == NULL;
    uint64_t hash = XXH3_64bits(text, strlen(text));
    for (int i = 0; shareable && i < ks->n; i++)
        if (ks->made[i].hash == hash && !strcmp(ks->made[i].text, text)) {
            free(text);
            delete_new_definitions(c->m, last_fn, last_gv);
            *kernel = ks->made[i].fn;
            return ODIN_OK;
        }
    if (ks->n == ks->cap) {
        int nc = ks->cap ? 2 * ks->cap : 64;
        struct made *nm = realloc(ks->made, sizeof *nm * (size_t)nc);
        if (!nm) {
            free(text);
            return odin_errorf("out of memory");
        }
        ks->made = nm;
        ks->cap = nc;
    }
    final_names(c->m, last_fn, last_gv, ks->n);
    ks->made[ks->n++] = (struct made){hash, text, fn};
    *kernel = fn;
    return ODIN_OK;
}

/* Build kernels[gi] for every group. */
static odin_status make_kernels(odin_lower_ctx *c, LLVMValueRef *kernels, int *n_fallback) {
    const odin_plan *plan = c->plan;
    kernel_set ks = {0};
    int cap = 1;
    for (int gi = 0; gi < plan->n_groups; gi++) {
        int k = group_arg_capacity(c->g, plan, gi);
        if (k > cap) cap = k;
    }
    int *slot = malloc(sizeof *slot * (size_t)cap);
    LLVMValueRef *slot_ptr = malloc(sizeof *slot_ptr * (size_t)cap);
    odin_status st = slot && slot_ptr ? ODIN_OK : odin_errorf("out of memory");
    c->slot_tensor = slot;
    c->slot_ptr = slot_ptr;
    for (int gi = 0; !st && gi < plan->n_groups; gi++) {
        const odin_kernel_group *grp = &plan->groups[gi];
        c->n_slots = group_slots(c->g, plan, plan->group_nodes + grp->first, grp->count, slot);
        bool fb;
        st = make_kernel(c, gi, &ks, &kernels[gi], &fb);
        *n_fallback += fb;
    }
    for (int i = 0; i < ks.n; i++) free(ks.made[i].text);
    free(ks.made);
    free(slot);
    free(slot_ptr);
    c->slot_tensor = NULL;
    c->slot_ptr = NULL;
    c->n_slots = 0;
    return st;
}

/* ---- the entry ----
 * A loop over constant tables rather than straight-line code, so its size (and LLVM's
 * time on it) does not grow with the number of groups: for each group, its kernel, its
 * node and its slots, each slot coded as (index << 2 | base) with base 0: io[index],
 * 1: weights[index], 2: arena + index. */

enum { SLOT_IO, SLOT_WEIGHTS, SLOT_ARENA };

static int64_t slot_code(const odin_graph *g, const odin_plan *plan, int t) {
    const odin_tensor_place *p = &plan->place[t];
    switch (p->kind) {
    case ODIN_STORE_INPUT: return p->index << 2 | SLOT_IO;
    case ODIN_STORE_OUTPUT: return (g->n_inputs + p->index) << 2 | SLOT_IO;
    case ODIN_STORE_CONST: return p->index << 2 | SLOT_WEIGHTS;
    default: return p->index << 2 | SLOT_ARENA;
    }
}

static LLVMValueRef const_table(odin_lower_ctx *c, const char *name, LLVMTypeRef elem,
                                LLVMValueRef *v, int n) {
    LLVMValueRef zero = LLVMConstNull(elem);
    LLVMValueRef gv = LLVMAddGlobal(c->m, LLVMArrayType2(elem, (uint64_t)(n ? n : 1)), name);
    LLVMSetInitializer(gv, LLVMConstArray2(elem, n ? v : &zero, (uint64_t)(n ? n : 1)));
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    return gv;
}

/* The tables: fns[G], meta[3G] (node, first slot, slot count), codes[S]. */
static odin_status entry_tables(odin_lower_ctx *c, LLVMValueRef *kernels, LLVMValueRef *fns,
                                LLVMValueRef *meta, LLVMValueRef *codes, int *max_slots) {
    const odin_plan *plan = c->plan;
    int G = plan->n_groups, total = 0;
    for (int gi = 0; gi < G; gi++) total += group_arg_capacity(c->g, plan, gi);
    LLVMValueRef *mv = malloc(sizeof *mv * (size_t)(3 * G + 1));
    LLVMValueRef *cv = malloc(sizeof *cv * (size_t)(total + 1));
    int *slot = malloc(sizeof *slot * (size_t)(total + 1));
    if (!mv || !cv || !slot) {
        free(mv), free(cv), free(slot);
        return odin_errorf("out of memory");
    }
    int S = 0;
    *max_slots = 1;
    for (int gi = 0; gi < G; gi++) {
        const odin_kernel_group *grp = &plan->groups[gi];
        const int *nodes = plan->group_nodes + grp->first;
        int n = group_slots(c->g, plan, nodes, grp->count, slot);
        mv[3 * gi] = odin_i64(c, nodes[0]);
        mv[3 * gi + 1] = odin_i64(c, S);
        mv[3 * gi + 2] = odin_i64(c, n);
        for (int s = 0; s < n; s++) cv[S++] = odin_i64(c, slot_code(c->g, plan, slot[s]));
        if (n > *max_slots) *max_slots = n;
    }
    *fns = const_table(c, "odin.entry.kernels", c->t_ptr, kernels, G);
    *meta = const_table(c, "odin.entry.groups", c->t_i64, mv, 3 * G);
    *codes = const_table(c, "odin.entry.slots", c->t_i64, cv, S);
    free(mv), free(cv), free(slot);
    return ODIN_OK;
}

static odin_status emit_entry(odin_lower_ctx *c, const odin_compile_options *o,
                              const char *entry_name, LLVMValueRef *kernels) {
    LLVMValueRef fns, meta, codes;
    int max_slots;
    ODIN_TRY(entry_tables(c, kernels, &fns, &meta, &codes, &max_slots));
    LLVMTypeRef params[3] = {c->t_ptr, c->t_ptr, c->t_ptr};
    LLVMTypeRef fty = LLVMFunctionType(c->t_i32, params, 3, 0);
    LLVMTypeRef kparams[3] = {c->t_ptr, c->t_i64, c->t_ptr};
    LLVMTypeRef kty = LLVMFunctionType(c->t_i32, kparams, 3, 0);
    LLVMValueRef entry = LLVMAddFunction(c->m, entry_name, fty);
    c->fn = entry;
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->c, entry, "entry"));
    LLVMValueRef io = LLVMGetParam(entry, 0), arena = LLVMGetParam(entry, 1),
                 weights = LLVMGetParam(entry, 2);
    LLVMValueRef ptrs = LLVMBuildArrayAlloca(c->b, c->t_ptr, odin_i64(c, max_slots), "slots");
    /* Profiling: odin_rt_profile_begin/end(kernel index) around every kernel call. */
    LLVMTypeRef prof_ty = LLVMFunctionType(c->t_void, &c->t_i32, 1, 0);
    LLVMValueRef prof_begin = NULL, prof_end = NULL;
    if (o->profile) {
        prof_begin = LLVMAddFunction(c->m, "odin_rt_profile_begin", prof_ty);
        prof_end = LLVMAddFunction(c->m, "odin_rt_profile_end", prof_ty);
    }
    odin_loop lg, ls;
    LLVMValueRef gi = odin_loop_begin(c, &lg, odin_i64(c, 0), odin_i64(c, c->plan->n_groups), 1, "group");
    LLVMValueRef at = LLVMBuildNSWMul(c->b, gi, odin_i64(c, 3), "");
    LLVMValueRef node = odin_load(c, c->t_i64, meta, at);
    LLVMValueRef first = odin_load(c, c->t_i64, meta, LLVMBuildNSWAdd(c->b, at, odin_i64(c, 1), ""));
    LLVMValueRef count = odin_load(c, c->t_i64, meta, LLVMBuildNSWAdd(c->b, at, odin_i64(c, 2), ""));
    LLVMValueRef s = odin_loop_begin(c, &ls, odin_i64(c, 0), count, 1, "slot");
    LLVMValueRef code = odin_load(c, c->t_i64, codes, LLVMBuildNSWAdd(c->b, first, s, ""));
    LLVMValueRef index = LLVMBuildLShr(c->b, code, odin_i64(c, 2), "");
    LLVMValueRef base = LLVMBuildAnd(c->b, code, odin_i64(c, 3), "");
    LLVMBasicBlockRef in_arena = LLVMAppendBasicBlockInContext(c->c, entry, "arena");
    LLVMBasicBlockRef in_table = LLVMAppendBasicBlockInContext(c->c, entry, "table");
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->c, entry, "join");
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, base, odin_i64(c, SLOT_ARENA), ""),
                    in_arena, in_table);
    LLVMPositionBuilderAtEnd(c->b, in_arena);
    LLVMValueRef pa = odin_gep(c, c->t_i8, arena, index);
    LLVMBuildBr(c->b, join);
    LLVMPositionBuilderAtEnd(c->b, in_table);
    LLVMValueRef table = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, base, odin_i64(c, SLOT_IO), ""),
                                         io, weights, "");
    LLVMValueRef pt = odin_load(c, c->t_ptr, table, index);
    LLVMBuildBr(c->b, join);
    LLVMPositionBuilderAtEnd(c->b, join);
    LLVMValueRef p = LLVMBuildPhi(c->b, c->t_ptr, "p");
    LLVMValueRef vals[2] = {pa, pt};
    LLVMBasicBlockRef blocks[2] = {in_arena, in_table};
    LLVMAddIncoming(p, vals, blocks, 2);
    odin_store(c, p, ptrs, s);
    odin_loop_end(c, &ls);
    LLVMValueRef gi32 = LLVMBuildTrunc(c->b, gi, c->t_i32, "");
    if (prof_begin) LLVMBuildCall2(c->b, prof_ty, prof_begin, &gi32, 1, "");
    LLVMValueRef args[3] = {weights, node, ptrs};
    LLVMValueRef rc = LLVMBuildCall2(c->b, kty, odin_load(c, c->t_ptr, fns, gi), args, 3, "");
    if (prof_end) LLVMBuildCall2(c->b, prof_ty, prof_end, &gi32, 1, "");
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(c->c, entry, "fail");
    LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(c->c, entry, "next");
    LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntNE, rc, LLVMConstInt(c->t_i32, 0, 0), ""),
                    fail, next);
    LLVMPositionBuilderAtEnd(c->b, fail);
    LLVMBuildRet(c->b, rc);
    LLVMPositionBuilderAtEnd(c->b, next);
    odin_loop_end(c, &lg);
    LLVMBuildRet(c->b, LLVMConstInt(c->t_i32, 0, 0));
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
    if (!c.allow_fallback) odin_error_record(&c, true); /* before the kernels: see its header */
    int fallbacks = 0;
    if (!st) st = make_kernels(&c, kernels, &fallbacks);
    if (!st) st = emit_entry(&c, o, entry_name, kernels);
    if (!st) st = odin_module_verify(c.m);
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
    int n_kernels; /* distinct kernel functions (groups with equal code share one) */
};


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
int odin_program_kernel_count(const odin_program *p) { return p->n_kernels; }
const odin_plan *odin_program_plan(const odin_program *p) { return &p->plan; }
const odin_graph *odin_program_graph(const odin_program *p) { return p->g; }

/* The number of kernel functions, as a symbol of the object (so a program loaded from the
 * disk cache knows it too): definitions named odin_kernel_<k>, before optimization. */
static int add_kernel_count(LLVMModuleRef m) {
    int n = 0;
    for (LLVMValueRef f = LLVMGetFirstFunction(m); f; f = LLVMGetNextFunction(f)) {
        size_t len;
        const char *name = LLVMGetValueName2(f, &len);
        if (!LLVMIsDeclaration(f) && !strncmp(name, "odin_kernel_", 12) && !strchr(name, '.'))
            n++;
    }
    LLVMTypeRef i32 = LLVMInt32TypeInContext(LLVMGetModuleContext(m));
    LLVMValueRef gv = LLVMAddGlobal(m, i32, "odin_kernel_count");
    LLVMSetInitializer(gv, LLVMConstInt(i32, (unsigned long long)n, 0));
    LLVMSetGlobalConstant(gv, 1);
    return n;
}

odin_status odin_program_object(const odin_graph *g, const odin_compile_options *o,
                                const odin_target *t, void **obj, size_t *size) {
    *obj = NULL;
    *size = 0;
    odin_plan plan;
    ODIN_TRY(odin_plan_build(g, odin_elem_fusable, o->fuse, &plan));
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef m = NULL;
    double t0 = odin_now_ms();
    odin_status st = odin_codegen_module(g, &plan, t, o, ctx, "odin_main", &m, NULL);
    int n_kernels = st ? 0 : add_kernel_count(m);
    double t1 = odin_now_ms();
    if (!st) st = odin_module_optimize(m, t, o->opt_level);
    double t2 = odin_now_ms();
    if (!st) st = odin_module_emit(m, t, ODIN_EMIT_OBJECT, obj, size);
    double t3 = odin_now_ms();
    /* ODIN_COMPILE_TIMES=1: where JIT compile time goes, on stderr (for tuning). */
    if (getenv("ODIN_COMPILE_TIMES"))
        fprintf(stderr, "%d groups, %d kernels: codegen %.1f ms, optimize %.1f ms, emit %.1f ms\n",
                plan.n_groups, n_kernels, t1 - t0, t2 - t1, t3 - t2);
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
    double t0 = odin_now_ms();
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
    const int32_t *count = NULL;
    if (!st) st = odin_jit_lookup(p->jit, "odin_kernel_count", (void **)&count);
    if (!st) p->n_kernels = *count;
    if (st) {
        odin_program_free(p);
        return st;
    }
    if (getenv("ODIN_COMPILE_TIMES")) fprintf(stderr, "load %.1f ms\n", odin_now_ms() - t0);
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
    double t0 = odin_now_ms();
    odin_target host;
    void *obj = NULL;
    size_t size = 0;
    odin_status st = odin_target_host(&host);
    if (!st) st = odin_program_object(g, o, &host, &obj, &size);
    if (!st) st = odin_program_load(g, o, &host, obj, size, out);
    free(obj);
    if (!st) (*out)->compile_ms = odin_now_ms() - t0;
    return st;
}

odin_status odin_program_run(odin_program *p, void *const *inputs, void *const *outputs) {
    for (int i = 0; i < p->g->n_inputs; i++) p->io[i] = inputs[i];
    for (int i = 0; i < p->g->n_outputs; i++) p->io[p->g->n_inputs + i] = outputs[i];
    /* outputs that are graph inputs or constants are copied, not computed */
    odin_rt_wake(); /* workers spin up while the first serial kernels run */
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
