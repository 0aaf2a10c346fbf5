/* tools/cli.h — the odinc subcommands (one file each, tools/cmd_*.c) and the small
 * argument helpers they share. No compiler logic lives in tools/. */
#ifndef ODIN_CLI_H
#define ODIN_CLI_H

#include <stdbool.h>

#include "../ir/status.h"

#define ODIN_COMMANDS(X)                                                                  \
    X(dump, "dump", "print a model graph (text, DOT or JSON)")                            \
    X(build_model, "build-model", "build a model from a C builder and write .odin")        \
    X(import, "import", "convert an ONNX model to .odin")                                 \
    X(export, "export", "write a model as ONNX")                                          \
    X(run, "run", "run a model on inputs (.npy/.pb) or random data")                      \
    X(generate, "generate", "generate text with a language model (session, sampling)")   \
    X(check, "check", "run an ONNX backend-test directory and compare outputs")           \
    X(wasm, "wasm", "compile a model to a WebAssembly module and JS loader")              \
    X(compile, "compile", "compile a model ahead of time (exe, library, object)")         \
    X(ops, "ops", "list supported ops")

#define ODIN_DECLARE_CMD(fn, name, help) int odin_cmd_##fn(int argc, char **argv);
ODIN_COMMANDS(ODIN_DECLARE_CMD)
#undef ODIN_DECLARE_CMD

/* Print "odinc: <message>" to stderr, free st, return exit code 1. */
int odin_cli_fail(odin_status st);
/* Print "odinc <cmd>: <printf message>" and return exit code 2 (usage error). */
int odin_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* argv[*i] == flag: store argv[++*i] in *value (error if missing). Returns true if matched. */
bool odin_cli_opt(int argc, char **argv, int *i, const char *flag, const char **value,
                  bool *missing);

#endif
