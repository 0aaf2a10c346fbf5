/* codegen/lower_einsum.c — Einsum (f32, f64). Two f32 operands whose labels form a
 * (batched) matrix product — one label only in A and the output, one only in B and the
 * output (last in the output), one summed label in both, the rest batch labels in all
 * three — go to the GEMM engine (codegen/lower_gemm.h) with the operands' own strides, so
 * transposed operands need no copy. Every other equation (traces, diagonals, sums, outer
 * products, three or more operands) runs the eval's loops as code: for each output
 * element in C order, the product of the operands summed in double over the summed
 * labels in the eval's order (ops/einsum.h), which matches it bit for bit. */
#include <string.h>

#include "../ops/einsum.h"
#include "lower_gemm.h"
#include "lower_util.h"

#define MAXR ODIN_MAX_RANK

static bool float_io(const odin_graph *g, int node, odin_dtype *t) {
    const odin_node *n = &g->nodes[node];
    if (n->n_inputs < 1 || n->n_outputs != 1 || n->outputs[0] < 0) return false;
    *t = g->tensors[n->outputs[0]].dtype;
    if (*t != ODIN_F32 && *t != ODIN_F64) return false;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] < 0 || g->tensors[n->inputs[i]].dtype != *t) return false;
    return true;
}

static bool accept_einsum(const odin_graph *g, int node) {
    odin_dtype t;
    if (!float_io(g, node, &t)) return false;
    odin_einsum_loops e;
    odin_status st = odin_einsum_loops_of_node(g, node, &e);
    odin_status_free(st);
    return !st;
}

/* The GEMM form of e, when it has one. */
static bool as_gemm(const odin_einsum_loops *e, odin_gemm_spec *s) {
    if (e->n_in != 2 || e->n_red != 1 || e->n_out < 1) return false;
    int64_t ys[MAXR], st = 1;
    for (int k = e->n_out - 1; k >= 0; k--) ys[k] = st, st *= e->out_dim[k];
    for (int k = 0; k < e->n_out; k++)
        if (e->out_dim[k] <= 0) return false;
    if (e->red_dim[0] <= 0 || !e->red_stride[0][0] || !e->red_stride[1][0]) return false;
    int ia = -1, jb = -1;
    *s = odin_gemm_spec_init(1, 1, e->red_dim[0]);
    s->a_arg = 0, s->b_arg = 1, s->c_arg = -1, s->y_arg = 0;
    s->a_sk = e->red_stride[0][0], s->b_sk = e->red_stride[1][0];
    for (int k = 0; k < e->n_out; k++) {
        bool in_a = e->out_stride[0][k] != 0, in_b = e->out_stride[1][k] != 0;
        if (in_a && in_b) {
            if (s->n_bdims >= MAXR) return false;
            s->bdims[s->n_bdims] = e->out_dim[k];
            s->a_bs[s->n_bdims] = e->out_stride[0][k];
            s->b_bs[s->n_bdims] = e->out_stride[1][k];
            s->y_bs[s->n_bdims++] = ys[k];
        } else if (in_a) {
            if (ia >= 0) return false;
            ia = k;
        } else if (in_b) {
            if (jb >= 0) return false;
            jb = k;
        } else if (e->out_dim[k] != 1) {
            return false; /* an output label neither operand varies along */
        }
    }
    if (jb >= 0 && jb != e->n_out - 1) return false; /* Y rows must be contiguous */
    if (ia < 0 && jb < 0) return false;
    s->M = ia >= 0 ? e->out_dim[ia] : 1;
    s->a_si = ia >= 0 ? e->out_stride[0][ia] : 0;
    s->y_si = ia >= 0 ? ys[ia] : 0;
    s->N = jb >= 0 ? e->out_dim[jb] : 1;
    s->b_sj = jb >= 0 ? e->out_stride[1][jb] : 0;
    if (jb < 0 && ia != e->n_out - 1) return false;
    return true;
}

static odin_status l_einsum(odin_lower_ctx *c) {
    odin_einsum_loops e;
    ODIN_TRY(odin_einsum_loops_of_node(c->g, c->node, &e));
    odin_dtype t;
    if (!float_io(c->g, c->node, &t)) return odin_errorf("unsupported dtypes");
    odin_gemm_spec s;
    if (t == ODIN_F32 && as_gemm(&e, &s)) return odin_emit_gemm(c, &s);
    LLVMTypeRef et = odin_llvm_type(c, t);
    odin_loop lo[MAXR], lr[ODIN_EINSUM_MAX_RED];
    LLVMValueRef off[ODIN_EINSUM_MAX_IN], yo = odin_i64(c, 0);
    for (int i = 0; i < e.n_in; i++) off[i] = odin_i64(c, 0);
    for (int k = 0; k < e.n_out; k++) {
        LLVMValueRef o = odin_loop_begin(c, &lo[k], odin_i64(c, 0), odin_i64(c, e.out_dim[k]), 1, "o");
        yo = LLVMBuildAdd(c->b, LLVMBuildMul(c->b, yo, odin_i64(c, e.out_dim[k]), ""), o, "");
        for (int i = 0; i < e.n_in; i++)
            if (e.out_stride[i][k])
                off[i] = LLVMBuildAdd(c->b, off[i], LLVMBuildMul(c->b, o, odin_i64(c, e.out_stride[i][k]), ""), "");
    }
    LLVMValueRef acc = odin_entry_alloca(c, c->t_f64, "acc");
    LLVMBuildStore(c->b, LLVMConstReal(c->t_f64, 0), acc);
    for (int r = 0; r < e.n_red; r++) {
        LLVMValueRef v = odin_loop_begin(c, &lr[r], odin_i64(c, 0), odin_i64(c, e.red_dim[r]), 1, "r");
        for (int i = 0; i < e.n_in; i++)
            if (e.red_stride[i][r])
                off[i] = LLVMBuildAdd(c->b, off[i], LLVMBuildMul(c->b, v, odin_i64(c, e.red_stride[i][r]), ""), "");
    }
    LLVMValueRef prod = LLVMConstReal(c->t_f64, 1);
    for (int i = 0; i < e.n_in; i++) {
        LLVMValueRef v = odin_load(c, et, c->in[i], off[i]);
        if (t != ODIN_F64) v = LLVMBuildFPExt(c->b, v, c->t_f64, "");
        prod = LLVMBuildFMul(c->b, prod, v, "");
    }
    LLVMBuildStore(c->b, LLVMBuildFAdd(c->b, LLVMBuildLoad2(c->b, c->t_f64, acc, ""), prod, ""), acc);
    for (int r = e.n_red - 1; r >= 0; r--) odin_loop_end(c, &lr[r]);
    LLVMValueRef y = LLVMBuildLoad2(c->b, c->t_f64, acc, "");
    if (t != ODIN_F64) y = LLVMBuildFPTrunc(c->b, y, et, "");
    odin_store(c, y, c->out[0], yo);
    for (int k = e.n_out - 1; k >= 0; k--) odin_loop_end(c, &lo[k]);
    return ODIN_OK;
}

const odin_lowering odin_lowerings_einsum[] = {
    {"Einsum", l_einsum, NULL, false, accept_einsum},
    {NULL, NULL, NULL, false, NULL},
};
