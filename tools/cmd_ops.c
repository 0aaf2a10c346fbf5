/* tools/cmd_ops.c — `odinc ops`: the op library, one line per definition, with whether
 * the compiler has a lowering for it (read from codegen's lowering tables, the truth the
 * compile driver uses), and `--missing` listing the ops that still run their eval. */
#include <stdio.h>
#include <string.h>

#include "../codegen/lower_query.h"
#include "cli.h"

int odin_cmd_ops(int argc, char **argv) {
    bool missing = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: odinc ops [--missing]\nLists every op: domain, name, opset range, "
                   "whether it has a reference kernel (eval) and a compiled lowering (lower: "
                   "yes, partial = some attributes/dtypes run the eval fallback, no).\n"
                   "--missing: only the ops without any lowering.\n"
                   "Ops without a lowering run their eval from compiled code. By design these are\n"
                   "the ops whose output shape depends on input values (NonZero, Compress, Unique,\n"
                   "NonMaxSuppression, ConstantOfShape, the window generators and MelWeightMatrix:\n"
                   "compiled code has static shapes; with constant inputs they fold at compile\n"
                   "time) and Constant (always folded). `odinc check --fallbacks` names the nodes\n"
                   "of a model that run their eval.\n");
            return 0;
        }
        if (!strcmp(argv[i], "--missing")) missing = true;
        else {
            fprintf(stderr, "odinc ops: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    int n, shown = 0, counts[3] = {0, 0, 0};
    const odin_op_def *const *defs = odin_op_all(&n);
    printf("%-14s %-28s %-9s %-5s %-7s %s\n", "domain", "op", "opset", "eval", "lower", "doc");
    for (int i = 0; i < n; i++) {
        const odin_op_def *d = defs[i];
        odin_lowering_state ls = odin_op_lowering_state(d);
        counts[ls]++;
        if (missing && ls != ODIN_LOWERING_NONE) continue;
        char range[32];
        if (d->max_version) snprintf(range, sizeof range, "%d-%d", d->since_version, d->max_version);
        else snprintf(range, sizeof range, "%d+", d->since_version);
        printf("%-14s %-28s %-9s %-5s %-7s %s\n", *d->domain ? d->domain : "ai.onnx", d->name,
               range, d->eval ? "yes" : "no", odin_lowering_state_name(ls), d->doc ? d->doc : "");
        shown++;
    }
    printf("%d ops shown; lowering: %d yes, %d partial, %d no\n", shown,
           counts[ODIN_LOWERING_FULL], counts[ODIN_LOWERING_PARTIAL], counts[ODIN_LOWERING_NONE]);
    return 0;
}
