/* tools/cmd_ops.c — `odinc ops`: the op library, one line per definition. */
#include <stdio.h>
#include <string.h>

#include "../ops/op.h"
#include "cli.h"

int odin_cmd_ops(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: odinc ops\nLists every op: domain, name, opset range, whether it has a "
               "reference kernel (eval) and a compiled lowering (lower).\n");
        return 0;
    }
    int n;
    const odin_op_def *const *defs = odin_op_all(&n);
    printf("%-14s %-28s %-9s %-5s %-5s %s\n", "domain", "op", "opset", "eval", "lower", "doc");
    for (int i = 0; i < n; i++) {
        const odin_op_def *d = defs[i];
        char range[32];
        if (d->max_version) snprintf(range, sizeof range, "%d-%d", d->since_version, d->max_version);
        else snprintf(range, sizeof range, "%d+", d->since_version);
        printf("%-14s %-28s %-9s %-5s %-5s %s\n", *d->domain ? d->domain : "ai.onnx", d->name,
               range, d->eval ? "yes" : "no", d->lower ? "yes" : "no", d->doc ? d->doc : "");
    }
    printf("%d ops\n", n);
    return 0;
}
