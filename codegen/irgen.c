#include "irgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LLVMValueRef odin_i64(odin_lower_ctx *c, int64_t v) { return LLVMConstInt(c->t_i64, (unsigned long long)v, 1); }

LLVMValueRef odin_f32c(odin_lower_ctx *c, float v) { return LLVMConstReal(c->t_f32, v); }

LLVMValueRef odin_loop_begin(odin_lower_ctx *c, odin_loop *l, LLVMValueRef begin,
                             LLVMValueRef end, int64_t step, const char *name) {
    l->preheader = LLVMGetInsertBlock(c->b);
    l->header = LLVMAppendBasicBlockInContext(c->c, c->fn, name);
    l->body = LLVMAppendBasicBlockInContext(c->c, c->fn, "body");
    l->exit = LLVMAppendBasicBlockInContext(c->c, c->fn, "exit");
    l->end = end;
    l->step = step;
    LLVMBuildBr(c->b, l->header);
    LLVMPositionBuilderAtEnd(c->b, l->header);
    l->iv = LLVMBuildPhi(c->b, c->t_i64, name);
    LLVMAddIncoming(l->iv, &begin, &l->preheader, 1);
    LLVMValueRef cond = LLVMBuildICmp(c->b, LLVMIntSLT, l->iv, end, "");
    LLVMBuildCondBr(c->b, cond, l->body, l->exit);
    LLVMPositionBuilderAtEnd(c->b, l->body);
    return l->iv;
}

void odin_loop_end(odin_lower_ctx *c, odin_loop *l) {
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(c->b);
    LLVMValueRef next = LLVMBuildNSWAdd(c->b, l->iv, odin_i64(c, l->step), "");
    LLVMAddIncoming(l->iv, &next, &latch, 1);
    LLVMBuildBr(c->b, l->header);
    LLVMPositionBuilderAtEnd(c->b, l->exit);
}

LLVMValueRef odin_gep(odin_lower_ctx *c, LLVMTypeRef elem, LLVMValueRef base, LLVMValueRef index) {
    return LLVMBuildInBoundsGEP2(c->b, elem, base, &index, 1, "");
}

LLVMValueRef odin_load(odin_lower_ctx *c, LLVMTypeRef elem, LLVMValueRef base, LLVMValueRef index) {
    return LLVMBuildLoad2(c->b, elem, odin_gep(c, elem, base, index), "");
}

void odin_store(odin_lower_ctx *c, LLVMValueRef v, LLVMValueRef base, LLVMValueRef index) {
    LLVMBuildStore(c->b, v, odin_gep(c, LLVMTypeOf(v), base, index));
}

LLVMValueRef odin_intrinsic(odin_lower_ctx *c, const char *name, LLVMTypeRef overload,
                            LLVMValueRef *args, int n) {
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef types[1] = {overload};
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(c->m, id, types, overload ? 1 : 0);
    LLVMTypeRef fty = LLVMIntrinsicGetType(c->c, id, types, overload ? 1 : 0);
    return LLVMBuildCall2(c->b, fty, fn, args, (unsigned)n, "");
}

LLVMTypeRef odin_llvm_type(odin_lower_ctx *c, odin_dtype t) {
    switch (t) {
    case ODIN_F32: return c->t_f32;
    case ODIN_F64: return c->t_f64;
    case ODIN_F16: case ODIN_BF16: case ODIN_I16: case ODIN_U16: return c->t_i16;
    case ODIN_I8: case ODIN_U8: case ODIN_BOOL: return c->t_i8;
    case ODIN_I32: case ODIN_U32: return c->t_i32;
    case ODIN_I64: case ODIN_U64: return c->t_i64;
    default: return NULL;
    }
}

LLVMValueRef odin_convert(odin_lower_ctx *c, LLVMValueRef v, odin_dtype from, odin_dtype to) {
    if (from == to) return v;
    LLVMTypeRef ty = odin_llvm_type(c, to);
    bool ffrom = from == ODIN_F32 || from == ODIN_F64, fto = to == ODIN_F32 || to == ODIN_F64;
    if (to == ODIN_BOOL) {
        LLVMValueRef nz = ffrom ? LLVMBuildFCmp(c->b, LLVMRealUNE, v, LLVMConstNull(LLVMTypeOf(v)), "")
                                : LLVMBuildICmp(c->b, LLVMIntNE, v, LLVMConstNull(LLVMTypeOf(v)), "");
        return LLVMBuildZExt(c->b, nz, c->t_i8, "");
    }
    if (ffrom && fto) return LLVMBuildFPCast(c->b, v, ty, "");
    if (ffrom) return odin_dtype_is_signed(to) ? LLVMBuildFPToSI(c->b, v, ty, "")
                                               : LLVMBuildFPToUI(c->b, v, ty, "");
    bool sfrom = odin_dtype_is_signed(from) && from != ODIN_BOOL;
    if (fto) return sfrom ? LLVMBuildSIToFP(c->b, v, ty, "") : LLVMBuildUIToFP(c->b, v, ty, "");
    return LLVMBuildIntCast2(c->b, v, ty, sfrom, "");
}

/* The outlined body receives (ptr bases, i64 lo, i64 hi) where bases holds the
 * caller's weights table, node index and slot pointers; it re-derives c->in/c->out from
 * them, so the body, like the kernel, holds no address of its own. */
odin_status odin_parallel_range(odin_lower_ctx *c, int64_t n, int64_t grain,
                                odin_range_body_fn emit, void *user) {
    LLVMTypeRef params[3] = {c->t_ptr, c->t_i64, c->t_i64};
    LLVMTypeRef body_ty = LLVMFunctionType(c->t_void, params, 3, 0);
    char name[80];
    snprintf(name, sizeof name, "%s.range", LLVMGetValueName(c->fn));
    LLVMValueRef body = LLVMAddFunction(c->m, name, body_ty);
    LLVMSetLinkage(body, LLVMInternalLinkage);
    LLVMValueRef *slots = calloc((size_t)c->n_slots + 1, sizeof *slots);
    if (!slots) return odin_errorf("out of memory");

    /* caller side: spill weights, node and slots, and call parallel_for */
    LLVMValueRef arr = LLVMBuildArrayAlloca(c->b, c->t_ptr, odin_i64(c, 2 + c->n_slots), "bases");
    odin_store(c, c->weights ? c->weights : LLVMConstNull(c->t_ptr), arr, odin_i64(c, 0));
    LLVMValueRef node = c->node_index ? c->node_index : odin_i64(c, c->node);
    odin_store(c, LLVMBuildIntToPtr(c->b, node, c->t_ptr, ""), arr, odin_i64(c, 1));
    for (int s = 0; s < c->n_slots; s++) odin_store(c, c->slot_ptr[s], arr, odin_i64(c, 2 + s));
    LLVMTypeRef pf_params[4] = {c->t_ptr, c->t_ptr, c->t_i64, c->t_i64};
    LLVMTypeRef pf_ty = LLVMFunctionType(c->t_void, pf_params, 4, 0);
    LLVMValueRef pf = LLVMGetNamedFunction(c->m, "odin_rt_parallel_for");
    if (!pf) pf = LLVMAddFunction(c->m, "odin_rt_parallel_for", pf_ty);
    LLVMValueRef args[4] = {body, arr, odin_i64(c, n), odin_i64(c, grain)};
    LLVMBuildCall2(c->b, pf_ty, pf, args, 4, "");

    /* body side */
    odin_lower_ctx bc = *c;
    bc.fn = body;
    bc.b = LLVMCreateBuilderInContext(c->c);
    LLVMPositionBuilderAtEnd(bc.b, LLVMAppendBasicBlockInContext(c->c, body, "entry"));
    LLVMValueRef bases = LLVMGetParam(body, 0);
    bc.weights = odin_load(&bc, c->t_ptr, bases, odin_i64(&bc, 0));
    bc.node_index = LLVMBuildPtrToInt(bc.b, odin_load(&bc, c->t_ptr, bases, odin_i64(&bc, 1)),
                                      c->t_i64, "node");
    for (int s = 0; s < c->n_slots; s++) slots[s] = odin_load(&bc, c->t_ptr, bases, odin_i64(&bc, 2 + s));
    bc.slot_ptr = slots;
    odin_bind_node(&bc);
    odin_status st = emit(&bc, LLVMGetParam(body, 1), LLVMGetParam(body, 2), user);
    LLVMBuildRetVoid(bc.b);
    LLVMDisposeBuilder(bc.b);
    free(slots);
    return st;
}

LLVMBasicBlockRef odin_if_begin(odin_lower_ctx *c, LLVMValueRef cond) {
    LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(c->c, c->fn, "then");
    LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(c->c, c->fn, "join");
    LLVMBuildCondBr(c->b, cond, then, join);
    LLVMPositionBuilderAtEnd(c->b, then);
    return join;
}

void odin_if_end(odin_lower_ctx *c, LLVMBasicBlockRef join) {
    LLVMBuildBr(c->b, join);
    LLVMPositionBuilderAtEnd(c->b, join);
}
