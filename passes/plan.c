#include "plan.h"

#include <stdlib.h>
#include <string.h>

static size_t tensor_bytes(const odin_tensor *t) {
    int64_t n = odin_tensor_numel(t);
    return n < 0 ? 0 : (size_t)n * odin_dtype_size(t->dtype);
}

static bool same_shape(const odin_tensor *a, const odin_tensor *b) {
    if (a->rank != b->rank) return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

void odin_plan_free(odin_plan *p) {
    free(p->groups);
    free(p->group_nodes);
    free(p->place);
    free(p->weights);
    memset(p, 0, sizeof *p);
}

typedef struct interval {
    int tensor;
    int start, end; /* kernel indices of first write and last read */
    size_t size;
    int64_t offset;
} interval;

static int by_size_desc(const void *a, const void *b) {
    const interval *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->tensor - y->tensor;
}

odin_status odin_plan_build(const odin_graph *g, bool (*is_fusable)(const odin_graph *, int),
                            bool fuse, odin_plan *p) {
    memset(p, 0, sizeof *p);
    int nt = g->n_tensors, nn = g->n_nodes;
    p->groups = calloc(nn ? nn : 1, sizeof *p->groups);
    p->group_nodes = calloc(nn ? nn : 1, sizeof *p->group_nodes);
    p->place = calloc(nt ? nt : 1, sizeof *p->place);
    p->weights = calloc(nt ? nt : 1, sizeof *p->weights);
    int *consumers = calloc(nt ? nt : 1, sizeof *consumers);
    int *group_of = calloc(nn ? nn : 1, sizeof *group_of);
    int *first_kernel = malloc(sizeof(int) * (nt ? nt : 1));
    int *last_kernel = malloc(sizeof(int) * (nt ? nt : 1));
    interval *iv = calloc(nt ? nt : 1, sizeof *iv);
    odin_status st = ODIN_OK;
    if (!p->groups || !p->group_nodes || !p->place || !p->weights || !consumers || !group_of ||
        !first_kernel || !last_kernel || !iv) {
        st = odin_errorf("out of memory");
        goto done;
    }
    for (int t = 0; t < nt; t++) {
        const odin_tensor *tt = &g->tensors[t];
        if (odin_tensor_numel(tt) < 0 && tt->rank != 0) {
            char shape[128];
            odin_format_shape(shape, sizeof shape, tt->rank, tt->dims, tt->dim_params);
            st = odin_errorf("tensor '%s' has a non-static shape %s: bind symbolic dims with "
                             "--shape", tt->name, shape);
            goto done;
        }
    }
    for (int n = 0; n < nn; n++)
        for (int i = 0; i < g->nodes[n].n_inputs; i++)
            if (g->nodes[n].inputs[i] >= 0) consumers[g->nodes[n].inputs[i]]++;

    /* Fusion groups: an elementwise node joins the open group when it reads a tensor the
     * group produced, of the same shape as its own output, used by nobody else. */
    int open = -1;
    for (int n = 0; n < nn; n++) {
        const odin_node *node = &g->nodes[n];
        bool ew = is_fusable && is_fusable(g, n);
        bool join = false;
        if (fuse && ew && open >= 0 && p->groups[open].elementwise && node->n_outputs == 1) {
            const odin_tensor *out = &g->tensors[node->outputs[0]];
            for (int i = 0; i < node->n_inputs; i++) {
                int t = node->inputs[i];
                if (t < 0) continue;
                const odin_tensor *in = &g->tensors[t];
                if (in->producer >= 0 && group_of[in->producer] == open && consumers[t] == 1 &&
                    !(in->flags & ODIN_TENSOR_OUTPUT) && same_shape(in, out))
                    join = true;
            }
        }
        if (!join) {
            open = p->n_groups++;
            p->groups[open] = (odin_kernel_group){p->n_group_nodes, 0, ew};
        }
        group_of[n] = open;
        p->group_nodes[p->n_group_nodes++] = n;
        p->groups[open].count++;
    }

    /* Placement: inputs, outputs, constants; then arena intervals for the rest. */
    for (int i = 0; i < g->n_inputs; i++)
        p->place[g->inputs[i]] = (odin_tensor_place){ODIN_STORE_INPUT, i};
    for (int t = 0; t < nt; t++)
        if (g->tensors[t].flags & ODIN_TENSOR_CONST) {
            p->place[t] = (odin_tensor_place){ODIN_STORE_CONST, p->n_weights};
            p->weights[p->n_weights++] = t;
        }
    for (int i = 0; i < g->n_outputs; i++)
        if (p->place[g->outputs[i]].kind == ODIN_STORE_NONE)
            p->place[g->outputs[i]] = (odin_tensor_place){ODIN_STORE_OUTPUT, i};
    for (int t = 0; t < nt; t++) first_kernel[t] = last_kernel[t] = -1;
    for (int n = 0; n < nn; n++) {
        const odin_node *node = &g->nodes[n];
        for (int i = 0; i < node->n_outputs; i++)
            if (node->outputs[i] >= 0) first_kernel[node->outputs[i]] = group_of[n];
        for (int i = 0; i < node->n_inputs; i++) {
            int t = node->inputs[i];
            if (t >= 0 && group_of[n] > last_kernel[t]) last_kernel[t] = group_of[n];
        }
    }
    int n_iv = 0;
    for (int t = 0; t < nt; t++) {
        if (p->place[t].kind != ODIN_STORE_NONE || first_kernel[t] < 0) continue;
        /* internal to its fused group: lives in registers only */
        if (last_kernel[t] == first_kernel[t] && p->groups[first_kernel[t]].elementwise &&
            p->groups[first_kernel[t]].count > 1 && consumers[t] > 0)
            continue;
        int end = last_kernel[t] < 0 ? first_kernel[t] : last_kernel[t];
        iv[n_iv++] = (interval){t, first_kernel[t], end, (tensor_bytes(&g->tensors[t]) + 63) & ~(size_t)63, 0};
    }
    /* Greedy by size: place each interval at the lowest offset that does not overlap an
     * already placed interval alive at the same time. */
    qsort(iv, n_iv, sizeof *iv, by_size_desc);
    size_t total = 0;
    for (int a = 0; a < n_iv; a++) {
        int64_t offset = 0;
        bool moved = true;
        while (moved) {
            moved = false;
            for (int b = 0; b < a; b++) {
                if (iv[b].end < iv[a].start || iv[a].end < iv[b].start) continue;
                if (offset < iv[b].offset + (int64_t)iv[b].size &&
                    iv[b].offset < offset + (int64_t)iv[a].size) {
                    offset = iv[b].offset + (int64_t)iv[b].size;
                    moved = true;
                }
            }
        }
        iv[a].offset = offset;
        p->place[iv[a].tensor] = (odin_tensor_place){ODIN_STORE_ARENA, offset};
        if ((size_t)offset + iv[a].size > total) total = (size_t)offset + iv[a].size;
    }
    p->arena_bytes = total;
done:
    free(consumers);
    free(group_of);
    free(first_kernel);
    free(last_kernel);
    free(iv);
    if (st) odin_plan_free(p);
    return st;
}
