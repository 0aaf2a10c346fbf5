#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower_util.h"

#include "../ops/shape_util.h"
#include "../runtime/aot.h"

int odin_node_in(const odin_graph *g, int node, int i) {
    const odin_node *n = &g->nodes[node];
    return i < n->n_inputs ? n->inputs[i] : -1;
}

const odin_tensor *odin_node_in_tensor(const odin_graph *g, int node, int i) {
    int t = i >= 0 ? odin_node_in(g, node, i) : -1;
    return t >= 0 ? &g->tensors[t] : NULL;
}

const odin_tensor *odin_node_out_tensor(const odin_graph *g, int node, int i) {
    const odin_node *n = &g->nodes[node];
    return i >= 0 && i < n->n_outputs && n->outputs[i] >= 0 ? &g->tensors[n->outputs[i]] : NULL;
}

bool odin_node_in_const(const odin_graph *g, int node, int i) {
    int t = odin_node_in(g, node, i);
    return t >= 0 && (g->tensors[t].flags & ODIN_TENSOR_CONST) &&
           (g->tensors[t].data || odin_tensor_numel(&g->tensors[t]) == 0);
}

bool odin_node_const_ints(const odin_graph *g, int node, int i, int64_t *out, int max, int *n) {
    if (!odin_node_in_const(g, node, i)) return false;
    odin_value v = odin_tensor_value(g, odin_node_in(g, node, i));
    odin_status st = odin_value_ints(&v, "input", out, max, n);
    if (st) {
        odin_status_free(st);
        return false;
    }
    return true;
}

int64_t odin_dims_product(const int64_t *dims, int lo, int hi) {
    int64_t p = 1;
    for (int d = lo; d < hi; d++) p *= dims[d];
    return p;
}

LLVMValueRef odin_entry_alloca(odin_lower_ctx *c, LLVMTypeRef ty, const char *name) {
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(c->fn);
    LLVMBuilderRef b = LLVMCreateBuilderInContext(c->c);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first) LLVMPositionBuilderBefore(b, first);
    else LLVMPositionBuilderAtEnd(b, entry);
    LLVMValueRef a = LLVMBuildAlloca(b, ty, name);
    LLVMDisposeBuilder(b);
    return a;
}

LLVMValueRef odin_fadd_reassoc(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    LLVMValueRef r = LLVMBuildFAdd(c->b, a, b, "");
    if (LLVMIsAInstruction(r)) LLVMSetFastMathFlags(r, LLVMFastMathAllowReassoc);
    return r;
}

LLVMValueRef odin_fmul_reassoc(odin_lower_ctx *c, LLVMValueRef a, LLVMValueRef b) {
    LLVMValueRef r = LLVMBuildFMul(c->b, a, b, "");
    if (LLVMIsAInstruction(r)) LLVMSetFastMathFlags(r, LLVMFastMathAllowReassoc);
    return r;
}

LLVMTypeRef odin_bits_type(odin_lower_ctx *c, size_t bytes) {
    switch (bytes) {
    case 1: return c->t_i8;
    case 2: return c->t_i16;
    case 4: return c->t_i32;
    case 8: return c->t_i64;
    default: return NULL;
    }
}

bool odin_dtype_movable(odin_dtype t) {
    size_t s = odin_dtype_size(t);
    return t != ODIN_STRING && t != ODIN_UNDEFINED && (s == 1 || s == 2 || s == 4 || s == 8);
}

static LLVMTypeRef error_record_type(odin_lower_ctx *c) {
    LLVMTypeRef f[3] = {c->t_i64, c->t_ptr, c->t_ptr};
    return LLVMStructTypeInContext(c->c, f, 3, 0);
}

LLVMValueRef odin_error_record(odin_lower_ctx *c, bool create) {
    LLVMValueRef gv = LLVMGetNamedGlobal(c->m, ODIN_AOT_ERROR_SYMBOL);
    if (gv || !create) return gv;
    /* linkonce_odr, hidden: the decode and prefill programs linked into one AOT or wasm
     * module share one record, which nothing outside the object sees */
    LLVMTypeRef ty = error_record_type(c);
    gv = LLVMAddGlobal(c->m, ty, ODIN_AOT_ERROR_SYMBOL);
    LLVMSetInitializer(gv, LLVMConstNull(ty));
    LLVMSetLinkage(gv, LLVMLinkOnceODRLinkage);
    LLVMSetVisibility(gv, LLVMHiddenVisibility);
    return gv;
}

void odin_emit_input_error(odin_lower_ctx *c, LLVMValueRef bad, const char *prefix,
                           LLVMValueRef value, const char *suffix) {
    if (c->allow_fallback) {
        odin_emit_error_exit(c, bad);
        return;
    }
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(c->c, c->fn, "bad_input");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(c->c, c->fn, "input_ok");
    LLVMBuildCondBr(c->b, bad, fail, ok);
    LLVMPositionBuilderAtEnd(c->b, fail);
    LLVMValueRef rec = odin_error_record(c, false); /* made by the driver; without: code only */
    if (rec) {
        LLVMTypeRef ty = error_record_type(c);
        LLVMValueRef fields[3] = {value, LLVMBuildGlobalStringPtr(c->b, prefix, "error_prefix"),
                                  LLVMBuildGlobalStringPtr(c->b, suffix, "error_suffix")};
        for (unsigned i = 0; i < 3; i++)
            LLVMBuildStore(c->b, fields[i], LLVMBuildStructGEP2(c->b, ty, rec, i, ""));
    }
    LLVMBuildRet(c->b, LLVMConstInt(c->t_i32, 2, 0));
    LLVMPositionBuilderAtEnd(c->b, ok);
}

void odin_emit_error_exit(odin_lower_ctx *c, LLVMValueRef bad) {
    if (!c->allow_fallback) return;
    const odin_node *n = &c->g->nodes[c->node];
    LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(c->c, c->fn, "bad_input");
    LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(c->c, c->fn, "input_ok");
    LLVMBuildCondBr(c->b, bad, fail, ok);
    LLVMPositionBuilderAtEnd(c->b, fail);
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
    LLVMValueRef node = c->node_index ? c->node_index : odin_i64(c, c->node);
    LLVMValueRef args[3] = {odin_graph_ptr(c), node, arr};
    LLVMValueRef rc = LLVMBuildCall2(c->b, fty, fn, args, 3, "");
    /* rc 0: the eval accepted the input after all and computed the outputs itself */
    LLVMBuildRet(c->b, rc);
    LLVMPositionBuilderAtEnd(c->b, ok);
}

static LLVMValueRef table_global(odin_lower_ctx *c, LLVMTypeRef elem, LLVMValueRef *vals, int64_t n,
                                 const char *name) {
    LLVMValueRef gv = LLVMAddGlobal(c->m, LLVMArrayType2(elem, (uint64_t)n), name);
    LLVMSetInitializer(gv, LLVMConstArray2(elem, vals, (uint64_t)n));
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(gv, 64);
    return gv;
}

LLVMValueRef odin_const_table(odin_lower_ctx *c, LLVMTypeRef elem, const double *v, int64_t n,
                              const char *name) {
    LLVMValueRef *vals = malloc(sizeof *vals * (size_t)(n > 0 ? n : 1));
    if (!vals) return NULL;
    bool is_float = LLVMGetTypeKind(elem) != LLVMIntegerTypeKind;
    for (int64_t i = 0; i < n; i++)
        vals[i] = is_float ? LLVMConstReal(elem, v[i]) : LLVMConstInt(elem, (uint64_t)(int64_t)v[i], 1);
    LLVMValueRef gv = table_global(c, elem, vals, n > 0 ? n : 0, name);
    free(vals);
    return gv;
}

LLVMValueRef odin_const_table_i64(odin_lower_ctx *c, const int64_t *v, int64_t n, const char *name) {
    LLVMValueRef *vals = malloc(sizeof *vals * (size_t)(n > 0 ? n : 1));
    if (!vals) return NULL;
    for (int64_t i = 0; i < n; i++) vals[i] = LLVMConstInt(c->t_i64, (uint64_t)v[i], 1);
    LLVMValueRef gv = table_global(c, c->t_i64, vals, n > 0 ? n : 0, name);
    free(vals);
    return gv;
}

bool odin_reduce_axes(const odin_graph *g, int node, bool *reduce, bool *noop) {
    const odin_node *n = &g->nodes[node];
    const odin_tensor *x = &g->tensors[n->inputs[0]];
    int64_t axes[ODIN_MAX_RANK];
    int na = 0;
    *noop = false;
    int at = odin_node_in(g, node, 1);
    if (at >= 0 && odin_tensor_numel(&g->tensors[at]) == 0) {
        na = 0; /* an empty axes input, constant or not: its shape says it all */
    } else if (at >= 0) {
        if (!odin_node_const_ints(g, node, 1, axes, ODIN_MAX_RANK, &na)) return false;
    } else {
        const int64_t *a;
        na = odin_attr_ints(n, "axes", &a);
        if (na > ODIN_MAX_RANK) return false;
        if (na) memcpy(axes, a, sizeof *a * na);
    }
    for (int d = 0; d < ODIN_MAX_RANK; d++) reduce[d] = na == 0;
    if (na == 0 && odin_attr_i(n, "noop_with_empty_axes")) {
        for (int d = 0; d < ODIN_MAX_RANK; d++) reduce[d] = false;
        *noop = true;
    }
    for (int i = 0; i < na; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + x->rank : axes[i];
        if (x->rank == 0 && (axes[i] == 0 || axes[i] == -1)) continue;
        if (a < 0 || a >= x->rank) return false;
        reduce[a] = true;
    }
    return true;
}

LLVMValueRef odin_clamp_f32(odin_lower_ctx *c, LLVMValueRef v, float lo, float hi) {
    LLVMTypeRef t = LLVMTypeOf(v);
    unsigned lanes = LLVMGetTypeKind(t) == LLVMVectorTypeKind ? LLVMGetVectorSize(t) : 0;
    float bounds[2] = {lo, hi};
    for (int i = 0; i < 2; i++) {
        if (isinf(bounds[i])) continue;
        LLVMValueRef b = odin_f32c(c, bounds[i]);
        if (lanes) {
            LLVMValueRef e[64];
            for (unsigned k = 0; k < lanes && k < 64; k++) e[k] = b;
            b = LLVMConstVector(e, lanes);
        }
        LLVMValueRef cmp = LLVMBuildFCmp(c->b, i ? LLVMRealOGT : LLVMRealOLT, v, b, "");
        v = LLVMBuildSelect(c->b, cmp, b, v, "");
    }
    return v;
}
