/* Accuracy of codegen/mathlib.c against libm in double precision.
 *
 * Every routine is JIT-compiled inside a loop `void m_NAME(float *out, const float *in,
 * i64 n)` so that the code measured is the one LLVM's loop vectorizer widened (the asm
 * of m_exp must hold packed float instructions). Each is swept over wide ranges and
 * compared with a double-precision reference (libm, or the function's definition for
 * gelu/silu/sigmoid/softplus): the error of a result y against the exact value r is
 * |y - r| / ulp(r rounded to f32), so a correctly rounded result scores <= 0.5.
 *
 * Two builds are measured: the host (fmuladd fuses to FMA) and a baseline x86-64 target
 * without FMA (fmuladd stays a multiply and an add, as on wasm32), so the table also
 * tells what the WebAssembly build gets. The program prints the table that
 * docs/mathlib.md quotes: `make BUILD=build test` runs build/tests/test_mathlib.
 *
 * Finally every routine is compiled for wasm32 into an object file, which must have no
 * undefined symbols (no expf, fmaf, fmaxf, memcpy ...): generated code never needs libc. */
#include <llvm-c/Core.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "../codegen/emit.h"
#include "../codegen/irgen.h"
#include "../codegen/jit.h"
#include "../codegen/mathlib.h"
#include "test.h"

typedef LLVMValueRef (*emit_fn)(odin_lower_ctx *, LLVMValueRef);
typedef void (*kernel_fn)(float *out, const float *in, int64_t n);

/* ---- double-precision references ---- */
static double ref_exp(double x) { return exp(x); }
static double ref_log(double x) { return log(x); }
static double ref_tanh(double x) { return tanh(x); }
static double ref_erf(double x) { return erf(x); }
static double ref_sin(double x) { return sin(x); }
static double ref_cos(double x) { return cos(x); }
/* 1/(1+e^-x), written so that neither side overflows or cancels */
static double ref_sigmoid(double x) {
    if (isnan(x)) return x;
    return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
}
static double ref_silu(double x) { return isinf(x) && x < 0 ? 0.0 : x * ref_sigmoid(x); }
/* x * Phi(x), Phi(x) = erfc(-x/sqrt2)/2 (erfc keeps the negative tail accurate) */
static double ref_gelu(double x) { return isinf(x) && x < 0 ? 0.0 : 0.5 * x * erfc(-x / sqrt(2.0)); }
/* 0.5 x (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3) */
static double ref_gelu_tanh(double x) {
    if (isinf(x)) return x > 0 ? x : 0.0;
    double u = sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
    return x * ref_sigmoid(2 * u);
}
/* log(1 + e^x) = max(x,0) + log1p(e^-|x|) */
static double ref_softplus(double x) { return fmax(x, 0) + log1p(exp(-fabs(x))); }

typedef struct math_case {
    const char *name;
    emit_fn emit;
    double (*ref)(double);
} math_case;

static const math_case CASES[] = {
    {"exp", odin_math_exp, ref_exp},
    {"log", odin_math_log, ref_log},
    {"tanh", odin_math_tanh, ref_tanh},
    {"sigmoid", odin_math_sigmoid, ref_sigmoid},
    {"erf", odin_math_erf, ref_erf},
    {"gelu", odin_math_gelu, ref_gelu},
    {"gelu_tanh", odin_math_gelu_tanh, ref_gelu_tanh},
    {"silu", odin_math_silu, ref_silu},
    {"softplus", odin_math_softplus, ref_softplus},
    {"sin", odin_math_sin, ref_sin},
    {"cos", odin_math_cos, ref_cos},
};
enum { N_CASES = sizeof CASES / sizeof CASES[0] };

static int case_index(const char *name) {
    for (int i = 0; i < N_CASES; i++)
        if (!strcmp(CASES[i].name, name)) return i;
    return -1;
}

/* ---- building and compiling the kernels ---- */

static void ctx_init(odin_lower_ctx *c, LLVMContextRef lc, const odin_target *t) {
    memset(c, 0, sizeof *c);
    c->c = lc;
    c->target = t;
    c->m = LLVMModuleCreateWithNameInContext("mathlib", lc);
    c->b = LLVMCreateBuilderInContext(lc);
    c->t_void = LLVMVoidTypeInContext(lc);
    c->t_i1 = LLVMInt1TypeInContext(lc);
    c->t_i8 = LLVMInt8TypeInContext(lc);
    c->t_i16 = LLVMInt16TypeInContext(lc);
    c->t_i32 = LLVMInt32TypeInContext(lc);
    c->t_i64 = LLVMInt64TypeInContext(lc);
    c->t_f32 = LLVMFloatTypeInContext(lc);
    c->t_f64 = LLVMDoubleTypeInContext(lc);
    c->t_ptr = LLVMPointerTypeInContext(lc, 0);
}

/* void m_NAME(float *out, const float *in, i64 n) { for i < n: out[i] = NAME(in[i]) } */
static void build_kernel(odin_lower_ctx *c, const math_case *mc) {
    char name[64];
    snprintf(name, sizeof name, "m_%s", mc->name);
    LLVMTypeRef params[3] = {c->t_ptr, c->t_ptr, c->t_i64};
    c->fn = LLVMAddFunction(c->m, name, LLVMFunctionType(c->t_void, params, 3, 0));
    /* out and in never alias: lets the vectorizer skip its runtime overlap check */
    unsigned noalias = LLVMGetEnumAttributeKindForName("noalias", 7);
    for (unsigned i = 0; i < 2; i++)
        LLVMAddAttributeAtIndex(c->fn, i + 1, LLVMCreateEnumAttribute(c->c, noalias, 0));
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->c, c->fn, "entry"));
    odin_loop l;
    LLVMValueRef i = odin_loop_begin(c, &l, odin_i64(c, 0), LLVMGetParam(c->fn, 2), 1, "i");
    LLVMValueRef x = odin_load(c, c->t_f32, LLVMGetParam(c->fn, 1), i);
    odin_store(c, mc->emit(c, x), LLVMGetParam(c->fn, 0), i);
    odin_loop_end(c, &l);
    LLVMBuildRetVoid(c->b);
}

/* An optimized module holding every kernel, for target t. */
static odin_status build_module(LLVMContextRef lc, const odin_target *t, LLVMModuleRef *out) {
    odin_lower_ctx c;
    ctx_init(&c, lc, t);
    odin_status st = odin_module_set_target(c.m, t);
    for (int i = 0; !st && i < N_CASES; i++) build_kernel(&c, &CASES[i]);
    LLVMDisposeBuilder(c.b);
    if (!st) st = odin_module_verify(c.m);
    if (!st) st = odin_module_optimize(c.m, t, 3);
    if (st) {
        LLVMDisposeModule(c.m);
        return st;
    }
    *out = c.m;
    return ODIN_OK;
}

typedef struct compiled {
    odin_jit *jit;
    kernel_fn fn[N_CASES];
    char *asm_text;
} compiled;

static odin_status compile_for(const odin_target *t, compiled *out) {
    memset(out, 0, sizeof *out);
    LLVMContextRef lc = LLVMContextCreate();
    LLVMModuleRef m = NULL;
    void *obj = NULL;
    size_t obj_size = 0, asm_size = 0;
    odin_status st = build_module(lc, t, &m);
    void *asm_buf = NULL;
    if (!st) st = odin_module_emit(m, t, ODIN_EMIT_ASM, &asm_buf, &asm_size);
    /* the emitted text is not NUL-terminated */
    if (!st && !(out->asm_text = strndup(asm_buf, asm_size))) st = odin_errorf("out of memory");
    free(asm_buf);
    if (!st) st = odin_module_emit(m, t, ODIN_EMIT_OBJECT, &obj, &obj_size);
    if (m) LLVMDisposeModule(m);
    LLVMContextDispose(lc);
    if (!st) st = odin_jit_create(t, &out->jit);
    if (!st) st = odin_jit_add_object(out->jit, obj, obj_size, "mathlib");
    for (int i = 0; !st && i < N_CASES; i++) {
        char name[64];
        snprintf(name, sizeof name, "m_%s", CASES[i].name);
        st = odin_jit_lookup(out->jit, name, (void **)&out->fn[i]);
    }
    free(obj);
    return st;
}

static void compiled_free(compiled *cp) {
    odin_jit_free(cp->jit);
    free(cp->asm_text);
}

/* The host record with FMA and every vector extension beyond SSE2 taken away: fmuladd
 * then stays an unfused multiply-add, which is what wasm32 (no FMA) computes. */
static odin_status target_no_fma(odin_target *t) {
    ODIN_TRY(odin_target_host(t));
    if (strncmp(t->triple, "x86_64", 6) != 0) return odin_errorf("not an x86-64 host");
    snprintf(t->name, sizeof t->name, "x86-64");
    snprintf(t->cpu, sizeof t->cpu, "x86-64");
    t->features[0] = 0;
    t->vector_bits = 128;
    t->vector_regs = 16;
    t->fma = false;
    return ODIN_OK;
}

/* ---- measuring ---- */

/* Spacing of f32 numbers at the f32 rounding of r (2^-149 at and below the subnormals;
 * the spacing at FLT_MAX when r overflows f32). */
static double ulp_of(double r) {
    float rf = (float)r;
    double a = fabs((double)rf);
    if (isinf(rf)) a = FLT_MAX;
    if (a < FLT_MIN) return ldexp(1.0, -149);
    int e;
    frexp(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    return ldexp(1.0, e - 24);
}

/* Error of y against the exact r in ulps: 0 when both are the same infinity or both NaN,
 * infinite when only one of them is NaN or infinite (beyond f32 rounding). */
static double ulp_error(float y, double r) {
    if (isnan(r) || isnan(y)) return isnan(r) && isnan(y) ? 0 : INFINITY;
    float rf = (float)r;
    if (isinf(rf) || isinf(y)) {
        if (y == rf) return 0;
        if (isinf(y)) return INFINITY;
        /* r overflows f32 but y is finite: measure against FLT_MAX-sized ulps */
    }
    return fabs((double)y - r) / ulp_of(r);
}

typedef struct stats {
    double max_ulp, at_ulp;   /* worst error and the x it happened at */
    double max_abs, at_abs;   /* worst absolute error */
    long n;
} stats;

enum { CHUNK = 1 << 16 };

/* x values of one range: a dense uniform sweep, or every k-th f32 bit pattern between
 * two positive bounds (logarithmic sampling), on both signs if asked. */
typedef struct range {
    const char *label;
    int kind;          /* 0: uniform, 1: log-spaced bit patterns */
    double lo, hi;
    long n;            /* samples (per sign for kind 1) */
    bool both_signs;
} range;

static float range_x(const range *r, long i) {
    if (r->kind == 0) return (float)(r->lo + (r->hi - r->lo) * (double)i / (double)(r->n - 1));
    long k = r->both_signs ? i / 2 : i;
    float lo = (float)r->lo, hi = (float)r->hi;
    uint32_t blo, bhi;
    memcpy(&blo, &lo, 4);
    memcpy(&bhi, &hi, 4);
    uint32_t bits = blo + (uint32_t)((double)(bhi - blo) * (double)k / (double)(r->n - 1));
    if (r->both_signs && (i & 1)) bits |= 0x80000000u;
    float x;
    memcpy(&x, &bits, 4);
    return x;
}

static long range_count(const range *r) { return r->kind == 1 && r->both_signs ? 2 * r->n : r->n; }

static stats measure(kernel_fn fn, double (*ref)(double), const range *r) {
    static float in[CHUNK], out[CHUNK];
    stats s = {0};
    long total = range_count(r);
    for (long base = 0; base < total; base += CHUNK) {
        int m = (int)(total - base < CHUNK ? total - base : CHUNK);
        for (int i = 0; i < m; i++) in[i] = range_x(r, base + i);
        fn(out, in, m);
        for (int i = 0; i < m; i++) {
            double exact = ref((double)in[i]);
            double e = ulp_error(out[i], exact);
            double a = isnan(exact) || isinf(exact) ? (out[i] == (float)exact || (isnan(out[i]) && isnan(exact)) ? 0 : INFINITY)
                                                    : fabs((double)out[i] - exact);
            if (e > s.max_ulp || (isnan(e) && !isnan(s.max_ulp))) s.max_ulp = e, s.at_ulp = in[i];
            if (a > s.max_abs) s.max_abs = a, s.at_abs = in[i];
        }
        s.n += m;
    }
    return s;
}

static compiled host_cp, nofma_cp;
static bool have_host, have_nofma;

static void test_compile(void) {
    odin_target host, nofma;
    CHECK_OK(odin_target_host(&host));
    odin_status st = compile_for(&host, &host_cp);
    have_host = !st;
    CHECK_OK(st);
    if (!have_host) return;
    /* the loop around exp was vectorized: packed-single arithmetic in m_exp */
    const char *f = strstr(host_cp.asm_text, "m_exp:");
    const char *end = f ? strstr(f, ".Lfunc_end") : NULL;
    CHECK(f && end, "m_exp in the asm");
    if (f && end) {
        char *body = strndup(f, (size_t)(end - f));
        bool packed = strstr(body, "mulps") || strstr(body, "fmadd213ps") ||
                      strstr(body, "fmadd231ps") || strstr(body, "fmadd132ps");
        CHECK(packed, "m_exp uses packed float instructions (vectorized)");
        if (host.vector_bits == 512) CHECK(strstr(body, "zmm") != NULL, "AVX-512 host: zmm in m_exp");
        free(body);
    }
    if (target_no_fma(&nofma) == ODIN_OK) {
        st = compile_for(&nofma, &nofma_cp);
        have_nofma = !st;
        CHECK_OK(st);
        if (have_nofma) CHECK(!strstr(nofma_cp.asm_text, "vfmadd"), "no-FMA build has no FMA");
    }
}

/* ---- the accuracy table ---- */

typedef struct row {
    const char *fn;
    range r;
    double bound;      /* max ulp, host build */
    double bound_nofma; /* max ulp, build without FMA (wasm32-like) */
} row;

#define U(lo, hi) 0, lo, hi, 1 << 21, false
#define L(lo, hi) 1, lo, hi, 1 << 20, true
#define LP(lo, hi) 1, lo, hi, 1 << 21, false

/* Bounds: the maxima measured with ODIN_MATHLIB_DENSITY=16 (16x the samples below),
 * rounded up by a few percent; docs/mathlib.md explains where each error comes from. */
static const row ROWS[] = {
    {"exp", {"[-87.33, 88.72] normal results", U(-87.33, 88.72)}, 1.1, 1.1},
    {"exp", {"[-103.97, -87.34] subnormal results", U(-103.97, -87.34)}, 0.8, 0.8},
    {"exp", {"[-100, 100]", U(-100, 100)}, 1.1, 1.1},
    {"exp", {"abs(x) in [1e-38, 1e-3] (bits)", L(1e-38, 1e-3)}, 0.51, 0.51},
    {"log", {"[1e-38, 1e38] (bits)", LP(1e-38, 1e38)}, 0.85, 0.85},
    {"log", {"[1e-45, 1e-38] subnormals (bits)", LP(1e-45, 1e-38)}, 0.51, 0.51},
    {"log", {"[0.5, 2]", U(0.5, 2)}, 0.9, 0.9},
    {"tanh", {"[-100, 100]", U(-100, 100)}, 1.4, 1.4},
    {"tanh", {"abs(x) in [1e-38, 100] (bits)", L(1e-38, 100)}, 1.4, 1.4},
    {"sigmoid", {"[-100, 100]", U(-100, 100)}, 2.05, 2.05},
    {"sigmoid", {"abs(x) in [1e-38, 100] (bits)", L(1e-38, 100)}, 2.05, 2.05},
    {"erf", {"[-100, 100]", U(-100, 100)}, 1.15, 1.3},
    {"erf", {"abs(x) in [1e-38, 100] (bits)", L(1e-38, 100)}, 1.15, 1.3},
    {"gelu", {"[-100, 100]", U(-100, 100)}, 6.0, 6.5},
    {"gelu", {"abs(x) in [1e-38, 100] (bits)", L(1e-38, 100)}, 6.0, 6.5},
    {"gelu_tanh", {"[-100, 100]", U(-100, 100)}, 2.9, 2.9},
    {"gelu_tanh", {"abs(x) in [1e-38, 100] (bits)", L(1e-38, 100)}, 2.9, 2.9},
    {"silu", {"[-100, 100]", U(-100, 100)}, 2.8, 2.8},
    {"silu", {"abs(x) in [1e-38, 100] (bits)", L(1e-38, 100)}, 2.8, 2.8},
    {"softplus", {"[-100, 100]", U(-100, 100)}, 1.7, 1.7},
    {"softplus", {"abs(x) in [1e-38, 100] (bits)", L(1e-38, 100)}, 1.7, 1.7},
    {"sin", {"[-100, 100]", U(-100, 100)}, 1.2, 1.45},
    {"sin", {"[-1e5, 1e5]", U(-1e5, 1e5)}, 1.2, 1.45},
    {"sin", {"abs(x) in [1e-38, 1e5] (bits)", L(1e-38, 1e5)}, 1.2, 1.45},
    {"cos", {"[-100, 100]", U(-100, 100)}, 1.2, 1.45},
    {"cos", {"[-1e5, 1e5]", U(-1e5, 1e5)}, 1.2, 1.45},
    {"cos", {"abs(x) in [1e-38, 1e5] (bits)", L(1e-38, 1e5)}, 1.2, 1.45},
};

/* ODIN_MATHLIB_DENSITY=k multiplies every sample count by k (a slower, closer look). */
static void test_accuracy(void) {
    if (!have_host) return;
    const char *density = getenv("ODIN_MATHLIB_DENSITY");
    long mult = density && atol(density) > 0 ? atol(density) : 1;
    printf("| function | range | samples | max ulp (FMA) | at x | max abs err | max ulp (no FMA) |\n");
    printf("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
    for (size_t k = 0; k < sizeof ROWS / sizeof ROWS[0]; k++) {
        const row *w = &ROWS[k];
        int ci = case_index(w->fn);
        range r = w->r;
        r.n *= mult;
        stats s = measure(host_cp.fn[ci], CASES[ci].ref, &r);
        stats s2 = {0};
        if (have_nofma) s2 = measure(nofma_cp.fn[ci], CASES[ci].ref, &r);
        printf("| %s | %s | %ld | %.3g | %.9g | %.3g | ", w->fn, r.label, s.n, s.max_ulp,
               s.at_ulp, s.max_abs);
        if (have_nofma) printf("%.3g (x=%.9g) |\n", s2.max_ulp, s2.at_ulp);
        else printf("- |\n");
        CHECK(s.max_ulp <= w->bound, "%s on %s: %.3g ulp at x=%.9g (bound %g)", w->fn,
              w->r.label, s.max_ulp, s.at_ulp, w->bound);
        if (have_nofma)
            CHECK(s2.max_ulp <= w->bound_nofma, "%s on %s without FMA: %.3g ulp at x=%.9g (bound %g)",
                  w->fn, w->r.label, s2.max_ulp, s2.at_ulp, w->bound_nofma);
    }
    fflush(stdout);
}

/* ---- special values ---- */

static float run1(int ci, float x) {
    float y;
    host_cp.fn[ci](&y, &x, 1);
    return y;
}

/* The same through the vectorized path: a full vector of copies of x (the scalar
 * remainder loop and the vector body are different code). */
static float run_vec(kernel_fn fn, float x) {
    float in[64], out[64];
    for (int i = 0; i < 64; i++) in[i] = x;
    fn(out, in, 64);
    for (int i = 1; i < 64; i++)
        if (memcmp(&out[i], &out[0], 4) != 0) return NAN; /* lanes disagree */
    return out[0];
}

/* y is exactly `want` (NaN for NaN; zero signs must match unless any_zero_sign) */
static bool same(float y, float want, bool any_zero_sign) {
    if (isnan(want)) return isnan(y);
    if (y != want) return false;
    return want != 0 || any_zero_sign || signbit(y) == signbit(want);
}

typedef struct special {
    const char *fn;
    float x, want;
    bool any_zero_sign;
} special;

static void test_special_values(void) {
    if (!have_host) return;
    const float inf = INFINITY, nan = NAN;
    const special S[] = {
        {"exp", -inf, 0}, {"exp", inf, inf}, {"exp", nan, nan}, {"exp", 0, 1}, {"exp", -0.0f, 1},
        {"exp", 1000, inf}, {"exp", -1000, 0}, {"exp", 1, 2.71828182845904523f},
        {"log", 0, -inf}, {"log", -0.0f, -inf}, {"log", -1, nan}, {"log", -inf, nan},
        {"log", inf, inf}, {"log", nan, nan}, {"log", 1, 0}, {"log", 0x1p-149f, -103.278929903431851f},
        {"log", FLT_MAX, 88.7228391116729996f}, {"log", 2, 0.693147180559945309f},
        {"tanh", inf, 1}, {"tanh", -inf, -1}, {"tanh", 0, 0}, {"tanh", -0.0f, -0.0f},
        {"tanh", nan, nan}, {"tanh", 20, 1}, {"tanh", -20, -1}, {"tanh", 0x1p-140f, 0x1p-140f},
        {"sigmoid", inf, 1}, {"sigmoid", -inf, 0}, {"sigmoid", 0, 0.5f}, {"sigmoid", nan, nan},
        {"sigmoid", 100, 1}, {"sigmoid", -200, 0},
        {"erf", inf, 1}, {"erf", -inf, -1}, {"erf", 0, 0}, {"erf", -0.0f, -0.0f}, {"erf", nan, nan},
        {"erf", 5, 1}, {"erf", -5, -1},
        {"gelu", inf, inf}, {"gelu", -inf, 0, true}, {"gelu", 0, 0, true}, {"gelu", nan, nan},
        {"gelu", 100, 100}, {"gelu", -100, 0, true},
        {"gelu_tanh", inf, inf}, {"gelu_tanh", -inf, 0, true}, {"gelu_tanh", 0, 0, true},
        {"gelu_tanh", nan, nan}, {"gelu_tanh", 100, 100}, {"gelu_tanh", -100, 0, true},
        {"silu", inf, inf}, {"silu", -inf, 0, true}, {"silu", 0, 0, true}, {"silu", nan, nan},
        {"silu", -1e30f, 0, true}, {"silu", 1e30f, 1e30f},
        {"softplus", inf, inf}, {"softplus", -inf, 0}, {"softplus", nan, nan},
        {"softplus", 0, 0.693147180559945309f}, {"softplus", 100, 100}, {"softplus", -200, 0},
        {"sin", inf, nan}, {"sin", -inf, nan}, {"sin", nan, nan}, {"sin", 0, 0},
        {"sin", -0.0f, -0.0f}, {"sin", 0x1p-149f, 0x1p-149f},
        {"cos", inf, nan}, {"cos", -inf, nan}, {"cos", nan, nan}, {"cos", 0, 1}, {"cos", -0.0f, 1},
    };
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
        int ci = case_index(S[i].fn);
        float y = run1(ci, S[i].x), yv = run_vec(host_cp.fn[ci], S[i].x);
        CHECK(same(y, S[i].want, S[i].any_zero_sign), "%s(%g) = %g, want %g", S[i].fn,
              (double)S[i].x, (double)y, (double)S[i].want);
        CHECK(same(yv, S[i].want, S[i].any_zero_sign), "vectorized %s(%g) = %g, want %g",
              S[i].fn, (double)S[i].x, (double)yv, (double)S[i].want);
        if (have_nofma) {
            float yn = run_vec(nofma_cp.fn[ci], S[i].x);
            CHECK(same(yn, S[i].want, S[i].any_zero_sign), "no-FMA %s(%g) = %g, want %g",
                  S[i].fn, (double)S[i].x, (double)yn, (double)S[i].want);
        }
    }
}

/* exp at the edges of f32: the last x whose e^x is finite and the first that overflows;
 * the last x whose e^x rounds to a nonzero subnormal and the first that rounds to 0;
 * every x in between the normal/subnormal boundary region gets the right subnormal. */
static void test_exp_thresholds(void) {
    if (!have_host) return;
    int ci = case_index("exp");
    float hi = 88.0f, lo = -103.0f;
    while (isfinite((float)exp((double)nextafterf(hi, INFINITY)))) hi = nextafterf(hi, INFINITY);
    while ((float)exp((double)nextafterf(lo, -INFINITY)) > 0) lo = nextafterf(lo, -INFINITY);
    /* hi = 88.7228317, lo = -103.972076 (e^lo rounds to 2^-149) */
    CHECK(isfinite(run1(ci, hi)) && isfinite(run_vec(host_cp.fn[ci], hi)), "exp(%.9g) finite", (double)hi);
    float over = nextafterf(hi, INFINITY), under = nextafterf(lo, -INFINITY);
    CHECK(isinf(run1(ci, over)) && isinf(run_vec(host_cp.fn[ci], over)), "exp(%.9g) = inf", (double)over);
    CHECK(run1(ci, lo) == 0x1p-149f && run_vec(host_cp.fn[ci], lo) == 0x1p-149f, "exp(%.9g) = 2^-149",
          (double)lo);
    CHECK(run1(ci, under) == 0 && run_vec(host_cp.fn[ci], under) == 0, "exp(%.9g) = 0", (double)under);
    /* every f32 in [-103.98, -87.3]: the subnormal results are within 1 subnormal ulp
     * (2^-149) of the correctly rounded one */
    int bad = 0;
    float worst_x = 0;
    for (float x = -87.3f; x >= -103.98f; x = nextafterf(x, -INFINITY)) {
        float want = (float)exp((double)x), y = run1(ci, x);
        if (fabs((double)y - (double)want) > 0x1p-149) bad++, worst_x = x;
    }
    CHECK(bad == 0, "%d subnormal results off by more than 2^-149 (e.g. x=%.9g)", bad, (double)worst_x);
}

/* ---- wasm32: no libc symbols ---- */

static void test_wasm_no_libc(void) {
    odin_target t;
    CHECK_OK(odin_target_wasm32(&t, false));
    LLVMContextRef lc = LLVMContextCreate();
    LLVMModuleRef m = NULL;
    odin_status st = build_module(lc, &t, &m);
    CHECK_OK(st);
    void *obj = NULL;
    size_t size = 0;
    if (!st) CHECK_OK(odin_module_emit(m, &t, ODIN_EMIT_OBJECT, &obj, &size));
    if (m) LLVMDisposeModule(m);
    LLVMContextDispose(lc);
    if (!obj) return;
    char path[] = "/tmp/odin_mathlib_wasm_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "temporary file");
    if (fd < 0) {
        free(obj);
        return;
    }
    bool wrote = write(fd, obj, size) == (ssize_t)size;
    close(fd);
    free(obj);
    CHECK(wrote, "write %s", path);
    /* all defined symbols, then only the undefined ones */
    char cmd[256], line[256];
    int defined = 0, undefined = 0;
    snprintf(cmd, sizeof cmd, "llvm-nm-19 %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL, "run llvm-nm-19");
    while (p && fgets(line, sizeof line, p)) defined += strstr(line, " T m_") != NULL;
    if (p) CHECK(pclose(p) == 0, "llvm-nm-19 failed (installed with llvm-19)");
    snprintf(cmd, sizeof cmd, "llvm-nm-19 --undefined-only %s 2>&1", path);
    p = popen(cmd, "r");
    while (p && fgets(line, sizeof line, p)) {
        undefined++;
        fprintf(stderr, "  wasm32 object needs: %s", line);
    }
    if (p) pclose(p);
    unlink(path);
    CHECK(defined == N_CASES, "%d of %d kernels in the wasm32 object", defined, N_CASES);
    CHECK(undefined == 0, "%d undefined symbols in the wasm32 object", undefined);
}

int main(void) {
    RUN(test_compile);
    RUN(test_accuracy);
    RUN(test_special_values);
    RUN(test_exp_thresholds);
    RUN(test_wasm_no_libc);
    if (have_host) compiled_free(&host_cp);
    if (have_nofma) compiled_free(&nofma_cp);
    TEST_DONE();
}
