/* codegen/aot_link.c — from the AOT object to the file the user asked for: an executable
 * or shared library linked by clang-19 (lld), a static library by llvm-ar-19, with the
 * runtime built for the target triple.
 *
 * The runtime is compiled from its C sources on first use per triple, with -fPIC and no
 * sanitizers, into <folder of odinc>/aot-rt/<triple>/ (or $TMPDIR when that is not
 * writable) and rebuilt when a source is newer. One path serves every case: the host
 * (also for shared libraries, which need PIC), sanitizer builds of odinc (whose own
 * libodin_rt.a would drag in ASan) and cross targets. The source tree is the one odinc was
 * built from (ODIN_SOURCE_DIR, set by the Makefile; the environment variable of that name
 * overrides it); without it, x86_64 targets fall back to libodin_rt.a next to odinc. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aot.h"
#include "target.h"

extern char **environ;

#ifndef ODIN_SOURCE_DIR
#define ODIN_SOURCE_DIR ""
#endif

#define CLANG "clang-19"
#define LLVM_AR "llvm-ar-19"

/* The runtime's translation units (runtime/ plus the two ir/ files it needs) and the
 * headers they include (for staleness). */
static const char *const rt_sources[] = {"runtime/aot.c", "runtime/aot_main.c", "runtime/threads.c",
                                         "runtime/npy.c", "runtime/values.c", "ir/status.c",
                                         "ir/dtype.c", "runtime/aot_session.c",
                                         "runtime/aot_lm_main.c", "runtime/session.c",
                                         "runtime/sample.c", "runtime/report.c"};
static const char *const rt_headers[] = {"runtime/aot.h", "runtime/npy.h", "runtime/threads.h",
                                         "runtime/values.h", "runtime/rng.h", "ir/status.h",
                                         "ir/dtype.h", "ir/graph.h", "ir/arena.h",
                                         "runtime/aot_session.h", "runtime/session.h",
                                         "runtime/sample.h", "ir/state.h", "runtime/report.h"};
#define N_SOURCES (int)(sizeof rt_sources / sizeof rt_sources[0])
#define N_HEADERS (int)(sizeof rt_headers / sizeof rt_headers[0])

odin_status odin_aot_emit_parse(const char *text, odin_aot_emit *out) {
    static const char *const names[] = {"exe", "shared", "static", "obj", "llvm", "asm"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(text, names[i])) {
            *out = (odin_aot_emit)i;
            return ODIN_OK;
        }
    return odin_errorf("unknown --emit '%s' (exe, shared, static, obj, llvm or asm)", text);
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

void odin_aot_default_name(const char *out_path, odin_aot_emit emit, char *name, size_t size) {
    const char *b = base_name(out_path);
    if ((emit == ODIN_AOT_EMIT_SHARED || emit == ODIN_AOT_EMIT_STATIC) && !strncmp(b, "lib", 3) && b[3] &&
        b[3] != '.')
        b += 3;
    size_t n = 0;
    if (size < 8) return;
    if (!(*b >= 'a' && *b <= 'z') && !(*b >= 'A' && *b <= 'Z') && *b != '_') name[n++] = '_';
    for (; *b && *b != '.' && n + 1 < size; b++) {
        char c = *b;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        name[n++] = ok ? c : '_';
    }
    name[n] = '\0';
    if (!strcmp(name, "_")) snprintf(name, size, "model");
    if (!strcmp(name, "main")) snprintf(name, size, "main_model"); /* the exe's main() */
}

void odin_aot_header_path(const char *out_path, char *path, size_t size) {
    static const char *const exts[] = {".so", ".a", ".o", ".dylib"};
    size_t n = strlen(out_path);
    for (int i = 0; i < 4; i++) {
        size_t e = strlen(exts[i]);
        if (n > e && !strcmp(out_path + n - e, exts[i]) && out_path[n - e - 1] != '/') {
            n -= e;
            break;
        }
    }
    snprintf(path, size, "%.*s.h", (int)n, out_path);
}

/* Run argv (no shell); its output goes to log. Error: the command and the log's start. */
static odin_status run_tool(char *const *argv, const char *log, bool verbose) {
    if (verbose) {
        for (int i = 0; argv[i]; i++) fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
        fputc('\n', stderr);
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err) return odin_errorf("cannot run %s: %s", argv[0], strerror(err));
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return odin_errorf("%s: waitpid: %s", argv[0], strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ODIN_OK;
    char text[2048] = "";
    FILE *f = fopen(log, "r");
    if (f) {
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    char cmd[1024] = "";
    for (int i = 0; argv[i] && strlen(cmd) + 2 < sizeof cmd; i++)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s", i ? " " : "", argv[i]);
    return odin_errorf("`%s` failed:\n%s", cmd, text);
}

static bool is_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static time_t mtime(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_mtime : 0;
}

/* The folder of the running odinc, without the trailing '/'. */
static void odinc_dir(char *dir, size_t size) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *s = strrchr(exe, '/');
    if (s) *s = '\0';
    snprintf(dir, size, "%s", n > 0 && s ? exe : ".");
}

static const char *source_dir(void) {
    const char *env = getenv("ODIN_SOURCE_DIR");
    const char *dir = env && *env ? env : ODIN_SOURCE_DIR;
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/runtime/aot_main.c", dir);
    return *dir && is_file(probe) ? dir : NULL;
}

static odin_status make_dirs(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return odin_errorf("cannot create folder %s: %s", buf, strerror(errno));
            *p = c;
            if (!c) return ODIN_OK;
        }
    }
}

/* Compile the runtime for t into dir/libodin_rt.a (through a temporary archive renamed
 * into place, so concurrent odinc runs never see a partial one). */
static odin_status build_runtime(const odin_target *t, const char *src, const char *dir, bool verbose) {
    char tmp[4200], lib[4200], log[4200], target[96];
    snprintf(tmp, sizeof tmp, "%s/tmp.%ld", dir, (long)getpid());
    snprintf(lib, sizeof lib, "%s/libodin_rt.a.%ld", dir, (long)getpid());
    snprintf(log, sizeof log, "%s/log.%ld", dir, (long)getpid());
    snprintf(target, sizeof target, "--target=%s", t->triple);
    ODIN_TRY(make_dirs(tmp));
    char include[4200];
    snprintf(include, sizeof include, "-I%s", src);
    char objs[N_SOURCES][4300];
    odin_status st = ODIN_OK;
    for (int i = 0; i < N_SOURCES && !st; i++) {
        char file[4200];
        snprintf(file, sizeof file, "%s/%s", src, rt_sources[i]);
        snprintf(objs[i], sizeof objs[i], "%s/%d_%s.o", tmp, i, base_name(rt_sources[i]));
        char *argv[] = {CLANG, target, "-std=c11", "-D_GNU_SOURCE", "-O2", "-fPIC",
                        "-ffunction-sections", "-fdata-sections", include, "-c", file, "-o",
                        objs[i], NULL};
        st = run_tool(argv, log, verbose);
    }
    if (!st) {
        char *argv[N_SOURCES + 4] = {LLVM_AR, "rcs", lib};
        for (int i = 0; i < N_SOURCES; i++) argv[3 + i] = objs[i];
        argv[3 + N_SOURCES] = NULL;
        unlink(lib);
        st = run_tool(argv, log, verbose);
    }
    if (!st) {
        char final[4200];
        snprintf(final, sizeof final, "%s/libodin_rt.a", dir);
        if (rename(lib, final) != 0) st = odin_errorf("cannot create %s: %s", final, strerror(errno));
    }
    for (int i = 0; i < N_SOURCES; i++) unlink(objs[i]);
    unlink(lib);
    unlink(log);
    rmdir(tmp);
    return odin_status_prefix(st, "building the ODIN runtime for %s", t->triple);
}

/* Path of the runtime library for t, built when missing or older than its sources. */
static odin_status runtime_for(const odin_target *t, bool verbose, char *lib, size_t size) {
    char home[4096];
    odinc_dir(home, sizeof home);
    const char *src = source_dir();
    if (!src) {
        snprintf(lib, size, "%s/libodin_rt.a", home);
        if (!strncmp(t->triple, "x86_64", 6) && is_file(lib)) return ODIN_OK;
        return odin_errorf("no ODIN runtime for %s: the source tree odinc was built from is gone "
                           "(set ODIN_SOURCE_DIR to it)", t->triple);
    }
    time_t newest = 0;
    for (int i = 0; i < N_SOURCES + N_HEADERS; i++) {
        char file[4200];
        snprintf(file, sizeof file, "%s/%s", src, i < N_SOURCES ? rt_sources[i] : rt_headers[i - N_SOURCES]);
        time_t m = mtime(file);
        if (m > newest) newest = m;
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/aot-rt/%s", home, t->triple);
    if (make_dirs(dir) || access(dir, W_OK) != 0) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/odin-aot-rt-%ld/%s", tmp && *tmp ? tmp : "/tmp", (long)getuid(),
                 t->triple);
    }
    snprintf(lib, size, "%s/libodin_rt.a", dir);
    if (is_file(lib) && mtime(lib) >= newest) return ODIN_OK;
    return build_runtime(t, src, dir, verbose);
}

static odin_status link_output(const odin_target *t, const odin_aot_options *o, const char *obj,
                               const char *out, const char *rt, const char *log) {
    char target[96];
    snprintf(target, sizeof target, "--target=%s", t->triple);
    if (o->emit == ODIN_AOT_EMIT_STATIC) {
        unlink(out);
        char *argv[] = {LLVM_AR, "qcL", (char *)out, (char *)obj, (char *)rt, NULL};
        ODIN_TRY(run_tool(argv, log, o->verbose));
        char *index[] = {LLVM_AR, "s", (char *)out, NULL};
        return run_tool(index, log, o->verbose);
    }
    bool shared = o->emit == ODIN_AOT_EMIT_SHARED;
    char *argv[] = {CLANG, target, "-fuse-ld=lld", shared ? "-shared" : "-Wl,--gc-sections",
                    shared ? "-Wl,--exclude-libs,ALL" : "-s", "-o", (char *)out, (char *)obj,
                    (char *)rt, "-lm", "-lpthread", NULL};
    odin_status st = run_tool(argv, log, o->verbose);
    if (st && strncmp(t->triple, "x86_64", 6) != 0)
        st = odin_status_prefix(st, "linking for %s needs its C library (Debian: libc6-dev-arm64-cross "
                                    "libgcc-12-dev-arm64-cross for aarch64)", t->triple);
    return st;
}

odin_status odin_aot_link(const odin_target *t, const odin_aot_options *o, const char *obj_path,
                          const char *out_path) {
    char rt[4400], log[4200];
    ODIN_TRY(runtime_for(t, o->verbose, rt, sizeof rt));
    snprintf(log, sizeof log, "%s.log", obj_path);
    odin_status st = link_output(t, o, obj_path, out_path, rt, log);
    unlink(log);
    return st;
}

static odin_status write_file(const char *path, const void *buf, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return odin_errorf("%s: cannot write: %s", path, strerror(errno));
    bool ok = fwrite(buf, 1, size, f) == size;
    if (fclose(f) != 0) ok = false;
    return ok ? ODIN_OK : odin_errorf("%s: write failed", path);
}

static odin_status aot_target(const odin_aot_options *o, odin_target *t) {
    ODIN_TRY(odin_target_by_name(o->target ? o->target : "host", t));
    if (!o->cpu) return ODIN_OK;
    if (!strcmp(o->cpu, "native")) {
        odin_target host;
        ODIN_TRY(odin_target_host(&host));
        if (strncmp(host.triple, t->triple, strcspn(t->triple, "-")) != 0)
            return odin_errorf("--cpu native: this machine (%s) cannot run %s code", host.triple, t->triple);
        *t = host;
        return ODIN_OK;
    }
    /* A named CPU: its own feature set (LLVM derives it from the name); vector width
     * assumptions stay those of the base target. */
    if (!strcmp(t->name, "host") && !strncmp(t->triple, "x86_64", 6)) {
        char triple[64];
        snprintf(triple, sizeof triple, "%s", t->triple);
        ODIN_TRY(odin_target_x86_64_v3(t));
        snprintf(t->triple, sizeof t->triple, "%s", triple);
    }
    snprintf(t->cpu, sizeof t->cpu, "%s", o->cpu);
    t->features[0] = '\0';
    return ODIN_OK;
}

odin_status odin_aot_compile(const odin_graph *g, const odin_aot_options *o, const char *out_path) {
    odin_target target, *t = &target;
    ODIN_TRY(aot_target(o, t));
    if (t->is_wasm) return odin_errorf("wasm32 modules come from `odinc wasm`, not `odinc compile`");
    void *buf = NULL, *weights = NULL;
    size_t size = 0, wsize = 0;
    ODIN_TRY(odin_aot_object(g, t, o, o->emit, &buf, &size, &weights, &wsize));
    odin_status st = ODIN_OK;
    if (o->emit == ODIN_AOT_EMIT_OBJ || o->emit == ODIN_AOT_EMIT_LLVM || o->emit == ODIN_AOT_EMIT_ASM) {
        st = write_file(out_path, buf, size);
    } else {
        const char *tmpdir = getenv("TMPDIR");
        char dir[4096], obj[4200];
        snprintf(dir, sizeof dir, "%s/odin-aot-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
        if (!mkdtemp(dir)) st = odin_errorf("cannot create a temporary folder: %s", strerror(errno));
        snprintf(obj, sizeof obj, "%s/%s.o", dir, o->name);
        if (!st) st = write_file(obj, buf, size);
        if (!st) st = odin_aot_link(t, o, obj, out_path);
        unlink(obj);
        rmdir(dir);
    }
    if (!st && o->weights_file) st = write_file(o->weights_file, weights, wsize);
    if (!st && (o->emit == ODIN_AOT_EMIT_SHARED || o->emit == ODIN_AOT_EMIT_STATIC)) {
        char header[4200];
        odin_aot_header_path(out_path, header, sizeof header);
        st = odin_aot_write_header(g, o, header);
    }
    free(buf);
    free(weights);
    return st;
}
