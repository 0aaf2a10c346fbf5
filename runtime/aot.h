/* runtime/aot.h — what an ahead-of-time compiled model carries and how the runtime runs
 * it. `odinc compile` emits one odin_aot_model descriptor as LLVM globals next to the
 * compiled entry function; the runtime (linked into every exe / library) creates an
 * instance from it (weights embedded or mmap'ed from a file, arena, io table), runs it
 * and copies outputs that the code does not compute in place. No LLVM, no protobuf.
 *
 * Layout contract: every field is 8 bytes (int64_t or a pointer) so that codegen/aot.c
 * can emit the same structs on any 64-bit target without a C compiler. Change a field
 * here and there together, and bump ODIN_AOT_ABI. */
#ifndef ODIN_RUNTIME_AOT_H
#define ODIN_RUNTIME_AOT_H

#include <stdint.h>

#define ODIN_AOT_ABI 2
#define ODIN_AOT_MAX_RANK 8 /* = ODIN_MAX_RANK */
#define ODIN_AOT_WEIGHTS_MAGIC "ODINWTS1"
#define ODIN_AOT_WEIGHTS_HEADER 64 /* bytes before the blob in a weights file */

/* Status codes of the C API (also the generated header's ODIN_MODEL_* values). */
enum {
    ODIN_AOT_OK = 0,
    ODIN_AOT_ERR_ARGUMENT = 1, /* NULL model / buffers, wrong input */
    ODIN_AOT_ERR_MEMORY = 2,
    ODIN_AOT_ERR_WEIGHTS = 3,  /* weights file missing, short or of another model */
    ODIN_AOT_ERR_RUN = 4,      /* the compiled code returned an error */
    ODIN_AOT_ERR_ABI = 5       /* descriptor from an incompatible odinc */
};

/* Where an output's value comes from when the code did not write it in place
 * (an output that is an input, a constant, another output or an arena tensor). */
enum {
    ODIN_AOT_SRC_COMPUTED = 0,
    ODIN_AOT_SRC_INPUT = 1,
    ODIN_AOT_SRC_WEIGHT = 2,
    ODIN_AOT_SRC_OUTPUT = 3,
    ODIN_AOT_SRC_ARENA = 4
};

typedef struct odin_aot_tensor {
    const char *name;
    const char *dtype_name; /* "f32", "i64", ... (ir/dtype names) */
    int64_t dtype;          /* odin_dtype */
    int64_t rank;
    int64_t dims[ODIN_AOT_MAX_RANK];
    int64_t nbytes;
    int64_t src_kind;       /* outputs: ODIN_AOT_SRC_* */
    int64_t src_index;      /* io / weight index or arena byte offset */
} odin_aot_tensor;

typedef int32_t (*odin_aot_entry)(void **io, void *arena, const void **weights);

/* A kernel that refuses a run-time input (CachedAttention's pos + T > max_ctx) writes why
 * here before its entry returns an error: the message is prefix, value (decimal), suffix.
 * One record per object (the symbol below, hidden, merged across its entries); the runtime
 * reads and clears it after a failed run. */
#define ODIN_AOT_ERROR_SYMBOL "odin_error_record"
typedef struct odin_aot_error {
    int64_t value;
    const char *prefix; /* NULL: no message */
    const char *suffix;
} odin_aot_error;

typedef struct odin_aot_model {
    int64_t abi;            /* ODIN_AOT_ABI */
    const char *name;       /* C identifier: the prefix of the API functions */
    int64_t n_inputs, n_outputs;
    const odin_aot_tensor *inputs, *outputs;
    odin_aot_entry entry;
    int64_t arena_bytes;
    int64_t n_weights;
    const int64_t *weight_offsets; /* n_weights byte offsets into the blob */
    int64_t blob_bytes;
    const uint8_t *blob;           /* embedded weights (64-byte aligned); NULL: from a file */
    const char *weights_file;      /* file name looked up next to the binary; NULL: embedded */
    uint64_t weights_hash;         /* XXH3-64 of the blob, also in the file header */
    odin_aot_error *error;         /* the object's error record; NULL: its code has none */
} odin_aot_model;

typedef struct odin_aot_instance odin_aot_instance;

/* weights_path: the weights file for a model compiled with --weights FILE; NULL looks for
 * the recorded file name next to the executable or shared library holding the model. */
int odin_aot_create(const odin_aot_model *d, const char *weights_path, odin_aot_instance **out);
/* An instance of d on the weights of `owner`, an instance of a model compiled into the same
 * object with the same weights blob (an LM's prefill and decode entries): a weights file is
 * mapped once. `owner` must outlive it. */
int odin_aot_create_sharing(const odin_aot_model *d, const odin_aot_instance *owner,
                            odin_aot_instance **out);
/* The same with the default weights location; NULL on error (odin_aot_last_error). */
odin_aot_instance *odin_aot_create_default(const odin_aot_model *d);
/* inputs / outputs: one buffer per model input / output, sized by their static shapes. */
int odin_aot_run(odin_aot_instance *m, void *const *inputs, void *const *outputs);
void odin_aot_destroy(odin_aot_instance *m);
/* The message of the calling thread's last failed create/run ("" when none). */
const char *odin_aot_last_error(void);
/* Record message as the calling thread's last error (runtime/aot_session.c); returns code. */
int odin_aot_set_error(int code, const char *message);
const char *odin_aot_status_string(int code);
void odin_aot_set_threads(int n); /* 0: all cores */

/* The executable's command line (runtime/aot_main.c); the generated main() calls it. */
int odin_aot_main(int argc, char **argv, const odin_aot_model *d);

#endif
