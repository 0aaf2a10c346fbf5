/* ops/elementwise_binary.c — op family 'elementwise_binary': elementwise ops of two or
 * more inputs with numpy broadcasting: arithmetic, comparisons, logic, bit shifts,
 * variadic Min/Max/Sum/Mean, PRelu, Where and Clip.
 * Each dtype kind has its own path: double for floats, int64 / uint64 for integers (so
 * int64 stays exact and wraps like numpy); results are rounded once to the output. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "broadcast.h"
#include "elementwise.h"

/* ---- two-input ops -------------------------------------------------------------- */

typedef struct bin_ctx {
    bool fmod;       /* Mod: C fmod semantics instead of Python's */
    bool shift_left; /* BitShift direction */
    bool div_zero;   /* set by integer division / modulo by zero */
} bin_ctx;

typedef struct binary_spec {
    unsigned mask;  /* accepted dtypes of both inputs (they must match) */
    bool out_bool;  /* comparisons and logic produce bool */
    double (*f)(double a, double b, bin_ctx *c);
    int64_t (*i)(int64_t a, int64_t b, bin_ctx *c);
    uint64_t (*u)(uint64_t a, uint64_t b, bin_ctx *c);
} binary_spec;

/* Opset < 7 Add/Sub/Mul/Div/... broadcast B against A starting at `axis` when the
 * `broadcast` attribute is set; trailing 1s turn that into numpy broadcasting. */
static odin_status legacy_broadcast(const odin_op_ctx *ctx, odin_value *b) {
    if (ctx->opset >= 7 || odin_attr_i(ctx->node, "broadcast") == 0 ||
        !odin_node_has_attr(ctx->node, "axis") || ctx->in[0].rank < 0 || b->rank < 0)
        return ODIN_OK;
    int axis;
    ODIN_TRY(odin_norm_axis(odin_attr_i(ctx->node, "axis"), ctx->in[0].rank, &axis));
    int r = ctx->in[0].rank - axis;
    if (b->rank > r) return odin_errorf("input 1 has rank %d, more than %d after axis %d", b->rank, r, axis);
    for (int d = b->rank; d < r; d++) b->dims[d] = 1;
    b->rank = r;
    return ODIN_OK;
}

static odin_status binary_infer(odin_op_ctx *ctx, const binary_spec *s) {
    ODIN_TRY(odin_ew_check_dtype(ctx, 0, s->mask));
    if (ctx->in[1].dtype != ctx->in[0].dtype)
        return odin_errorf("input 1 has dtype %s, expected %s like input 0",
                           odin_dtype_name(ctx->in[1].dtype), odin_dtype_name(ctx->in[0].dtype));
    odin_value v[2] = {ctx->in[0], ctx->in[1]};
    ODIN_TRY(legacy_broadcast(ctx, &v[1]));
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(odin_bcast_shape(v, 2, &rank, dims));
    odin_op_set_output(ctx, 0, s->out_bool ? ODIN_BOOL : ctx->in[0].dtype, rank, dims);
    return ODIN_OK;
}

static odin_status binary_eval(odin_op_ctx *ctx, const binary_spec *s) {
    ODIN_TRY(binary_infer(ctx, s));
    odin_value v[2] = {ctx->in[0], ctx->in[1]};
    ODIN_TRY(legacy_broadcast(ctx, &v[1]));
    odin_bcast b;
    ODIN_TRY(odin_bcast_init(&b, v, 2));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    bin_ctx c = {.fmod = odin_attr_i(ctx->node, "fmod") != 0};
    const char *dir = odin_attr_s(ctx->node, "direction");
    c.shift_left = dir && strcmp(dir, "LEFT") == 0;
    odin_dtype t = v[0].dtype;
    const void *A = v[0].data, *B = v[1].data;
    odin_value *y = &ctx->out[0];
    odin_ew_kind k = odin_ew_kind_of(t);
    if (k == ODIN_EW_KIND_SINT && s->i) {
        for (int64_t e = 0; e < b.numel; e++, odin_bcast_next(&b))
            odin_ew_store_i64(y->data, y->dtype, e,
                              s->i(odin_load_as_i64(A, t, b.off[0]), odin_load_as_i64(B, t, b.off[1]), &c));
    } else if (k == ODIN_EW_KIND_UINT && s->u) {
        for (int64_t e = 0; e < b.numel; e++, odin_bcast_next(&b))
            odin_ew_store_u64(y->data, y->dtype, e,
                              s->u(odin_ew_load_u64(A, t, b.off[0]), odin_ew_load_u64(B, t, b.off[1]), &c));
    } else if (s->f) {
        for (int64_t e = 0; e < b.numel; e++, odin_bcast_next(&b))
            odin_ew_store_f64(y->data, y->dtype, e,
                              s->f(odin_load_as_f64(A, t, b.off[0]), odin_load_as_f64(B, t, b.off[1]), &c));
    } else {
        return odin_errorf("dtype %s is not supported", odin_dtype_name(t));
    }
    if (c.div_zero) return odin_errorf("integer division by zero");
    return ODIN_OK;
}

/* Integer arithmetic goes through uint64 so overflow wraps instead of being UB. */
static double f_add(double a, double b, bin_ctx *c) { (void)c; return a + b; }
static int64_t i_add(int64_t a, int64_t b, bin_ctx *c) { (void)c; return (int64_t)((uint64_t)a + (uint64_t)b); }
static uint64_t u_add(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a + b; }
static double f_sub(double a, double b, bin_ctx *c) { (void)c; return a - b; }
static int64_t i_sub(int64_t a, int64_t b, bin_ctx *c) { (void)c; return (int64_t)((uint64_t)a - (uint64_t)b); }
static uint64_t u_sub(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a - b; }
static double f_mul(double a, double b, bin_ctx *c) { (void)c; return a * b; }
static int64_t i_mul(int64_t a, int64_t b, bin_ctx *c) { (void)c; return (int64_t)((uint64_t)a * (uint64_t)b); }
static uint64_t u_mul(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a * b; }
static double f_div(double a, double b, bin_ctx *c) { (void)c; return a / b; }
/* Integer Div truncates toward zero (C, ONNX Runtime); INT64_MIN / -1 wraps. */
static int64_t i_div(int64_t a, int64_t b, bin_ctx *c) {
    if (b == 0) { c->div_zero = true; return 0; }
    if (b == -1) return (int64_t)(0u - (uint64_t)a);
    return a / b;
}
static uint64_t u_div(uint64_t a, uint64_t b, bin_ctx *c) {
    if (b == 0) { c->div_zero = true; return 0; }
    return a / b;
}
/* Mod: fmod=1 keeps the dividend's sign (C); fmod=0 the divisor's (Python). */
static double f_mod(double a, double b, bin_ctx *c) {
    double r = fmod(a, b);
    if (!c->fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
static int64_t i_mod(int64_t a, int64_t b, bin_ctx *c) {
    if (b == 0) { c->div_zero = true; return 0; }
    if (b == -1) return 0;
    int64_t r = a % b;
    if (!c->fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}
static uint64_t u_mod(uint64_t a, uint64_t b, bin_ctx *c) {
    if (b == 0) { c->div_zero = true; return 0; }
    return a % b;
}
static uint64_t u_shift(uint64_t a, uint64_t b, bin_ctx *c) {
    if (b >= 64) return 0; /* the stored width truncates shorter shifts that overflow */
    return c->shift_left ? a << b : a >> b;
}

/* Comparisons and logic return 1 / 0. NaN compares false (Equal too). */
static double f_eq(double a, double b, bin_ctx *c) { (void)c; return a == b; }
static int64_t i_eq(int64_t a, int64_t b, bin_ctx *c) { (void)c; return a == b; }
static uint64_t u_eq(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a == b; }
static double f_lt(double a, double b, bin_ctx *c) { (void)c; return a < b; }
static int64_t i_lt(int64_t a, int64_t b, bin_ctx *c) { (void)c; return a < b; }
static uint64_t u_lt(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a < b; }
static double f_gt(double a, double b, bin_ctx *c) { (void)c; return a > b; }
static int64_t i_gt(int64_t a, int64_t b, bin_ctx *c) { (void)c; return a > b; }
static uint64_t u_gt(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a > b; }
static double f_le(double a, double b, bin_ctx *c) { (void)c; return a <= b; }
static int64_t i_le(int64_t a, int64_t b, bin_ctx *c) { (void)c; return a <= b; }
static uint64_t u_le(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a <= b; }
static double f_ge(double a, double b, bin_ctx *c) { (void)c; return a >= b; }
static int64_t i_ge(int64_t a, int64_t b, bin_ctx *c) { (void)c; return a >= b; }
static uint64_t u_ge(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a >= b; }
static uint64_t u_and(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a && b; }
static uint64_t u_or(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return a || b; }
static uint64_t u_xor(uint64_t a, uint64_t b, bin_ctx *c) { (void)c; return (a != 0) != (b != 0); }

#define NUM ODIN_EW_NUMERIC
static const odin_attr_schema legacy_attrs[] = {
    {"broadcast", ODIN_ATTR_INT, false, 0, 0, 0}, {"axis", ODIN_ATTR_INT, false, 0, 0, 0}, {0}};
static const odin_attr_schema mod_attrs[] = {{"fmod", ODIN_ATTR_INT, false, 0, 0, 0}, {0}};
static const odin_attr_schema shift_attrs[] = {{"direction", ODIN_ATTR_STRING, true, 0, 0, 0}, {0}};
static const odin_attr_schema no_attrs[] = {{0}};

#define BINARY(NAME, SINCE, ATTRS, DOC, ...)                                               \
    static const binary_spec spec_##NAME = {__VA_ARGS__};                                 \
    static odin_status infer_##NAME(odin_op_ctx *c) { return binary_infer(c, &spec_##NAME); } \
    static odin_status eval_##NAME(odin_op_ctx *c) { return binary_eval(c, &spec_##NAME); }   \
    static const odin_op_def def_##NAME = {                                               \
        .name = #NAME, .domain = "", .since_version = SINCE, .min_inputs = 2,              \
        .max_inputs = 2, .min_outputs = 1, .max_outputs = 1, .attrs = ATTRS,              \
        .infer = infer_##NAME, .eval = eval_##NAME, .flags = ODIN_OP_ELEMENTWISE, .doc = DOC};

BINARY(Add, 1, legacy_attrs, "y = a + b (broadcasting)", .mask = NUM, .f = f_add, .i = i_add, .u = u_add)
BINARY(Sub, 1, legacy_attrs, "y = a - b (broadcasting)", .mask = NUM, .f = f_sub, .i = i_sub, .u = u_sub)
BINARY(Mul, 1, legacy_attrs, "y = a * b (broadcasting)", .mask = NUM, .f = f_mul, .i = i_mul, .u = u_mul)
BINARY(Div, 1, legacy_attrs, "y = a / b (broadcasting; integers truncate)", .mask = NUM,
       .f = f_div, .i = i_div, .u = u_div)
BINARY(Mod, 10, mod_attrs, "y = a mod b (fmod=1: sign of a, else sign of b)", .mask = NUM,
       .f = f_mod, .i = i_mod, .u = u_mod)
BINARY(BitShift, 11, shift_attrs, "y = a << b or a >> b (direction LEFT|RIGHT)",
       .mask = ODIN_EW_UINTS, .u = u_shift)
BINARY(Equal, 1, legacy_attrs, "y = (a == b)", .mask = ODIN_EW_ALL, .out_bool = true,
       .f = f_eq, .i = i_eq, .u = u_eq)
BINARY(Less, 1, legacy_attrs, "y = (a < b)", .mask = NUM, .out_bool = true, .f = f_lt,
       .i = i_lt, .u = u_lt)
BINARY(Greater, 1, legacy_attrs, "y = (a > b)", .mask = NUM, .out_bool = true, .f = f_gt,
       .i = i_gt, .u = u_gt)
BINARY(LessOrEqual, 12, no_attrs, "y = (a <= b)", .mask = NUM, .out_bool = true, .f = f_le,
       .i = i_le, .u = u_le)
BINARY(GreaterOrEqual, 12, no_attrs, "y = (a >= b)", .mask = NUM, .out_bool = true,
       .f = f_ge, .i = i_ge, .u = u_ge)
BINARY(And, 1, legacy_attrs, "y = a && b (bool)", .mask = ODIN_EW_BOOLS, .out_bool = true, .u = u_and)
BINARY(Or, 1, legacy_attrs, "y = a || b (bool)", .mask = ODIN_EW_BOOLS, .out_bool = true, .u = u_or)
BINARY(Xor, 1, legacy_attrs, "y = a != b (bool)", .mask = ODIN_EW_BOOLS, .out_bool = true, .u = u_xor)

/* ---- Pow: base and exponent dtypes may differ; the output takes the base's ------- */

static const unsigned pow_base_mask =
    ODIN_EW_FLOATS | ODIN_EW_BIT(ODIN_I32) | ODIN_EW_BIT(ODIN_I64);

static odin_status pow_infer(odin_op_ctx *ctx) {
    ODIN_TRY(odin_ew_check_dtype(ctx, 0, pow_base_mask));
    ODIN_TRY(odin_ew_check_dtype(ctx, 1, NUM));
    odin_value v[2] = {ctx->in[0], ctx->in[1]};
    ODIN_TRY(legacy_broadcast(ctx, &v[1]));
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(odin_bcast_shape(v, 2, &rank, dims));
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, rank, dims);
    return ODIN_OK;
}

/* Exact integer power by squaring (wrapping); negative exponents truncate 1/a^n. */
static int64_t ipow(int64_t a, int64_t n) {
    if (n < 0) return a == 1 ? 1 : a == -1 ? ((n & 1) ? -1 : 1) : 0;
    uint64_t r = 1, base = (uint64_t)a;
    while (n) {
        if (n & 1) r *= base;
        base *= base;
        n >>= 1;
    }
    return (int64_t)r;
}

static odin_status pow_eval(odin_op_ctx *ctx) {
    ODIN_TRY(pow_infer(ctx));
    odin_value v[2] = {ctx->in[0], ctx->in[1]};
    ODIN_TRY(legacy_broadcast(ctx, &v[1]));
    odin_bcast b;
    ODIN_TRY(odin_bcast_init(&b, v, 2));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    odin_dtype ta = v[0].dtype, tb = v[1].dtype;
    odin_value *y = &ctx->out[0];
    bool int_pow = odin_ew_kind_of(ta) == ODIN_EW_KIND_SINT && odin_dtype_is_int(tb);
    for (int64_t e = 0; e < b.numel; e++, odin_bcast_next(&b)) {
        if (int_pow) {
            int64_t n = odin_load_as_i64(v[1].data, tb, b.off[1]);
            if (tb == ODIN_U64 && n < 0) n = INT64_MAX; /* huge unsigned exponent */
            odin_ew_store_i64(y->data, ta, e, ipow(odin_load_as_i64(v[0].data, ta, b.off[0]), n));
        } else {
            double r = pow(odin_load_as_f64(v[0].data, ta, b.off[0]),
                           odin_load_as_f64(v[1].data, tb, b.off[1]));
            odin_ew_store_f64(y->data, ta, e, r);
        }
    }
    return ODIN_OK;
}

static const odin_op_def def_Pow = {
    .name = "Pow", .domain = "", .since_version = 1, .min_inputs = 2, .max_inputs = 2,
    .min_outputs = 1, .max_outputs = 1, .attrs = legacy_attrs, .infer = pow_infer,
    .eval = pow_eval, .flags = ODIN_OP_ELEMENTWISE, .doc = "y = a ^ b (broadcasting)"};

/* ---- PRelu: slope broadcasts to x's shape (unidirectionally) -------------------- */

/* Inputs as broadcasting sees them. Before opset 7 a [C] slope is per channel of an
 * [N,C,...] input, not numpy-aligned to the last dim: view it as [C,1,...,1]. */
static void prelu_operands(const odin_op_ctx *ctx, odin_value ins[2]) {
    ins[0] = ctx->in[0];
    ins[1] = ctx->in[1];
    const odin_value *x = &ctx->in[0];
    odin_value *s = &ins[1];
    if (ctx->opset < 7 && s->rank == 1 && x->rank >= 3 && s->dims[0] != 1 &&
        s->dims[0] == x->dims[1]) {
        s->rank = x->rank - 1;
        for (int d = 1; d < s->rank; d++) s->dims[d] = 1;
    }
}

static odin_status prelu_infer(odin_op_ctx *ctx) {
    ODIN_TRY(odin_ew_check_dtype(ctx, 0, ODIN_EW_FLOATS | ODIN_EW_INTS));
    if (ctx->in[1].dtype != ctx->in[0].dtype)
        return odin_errorf("slope has dtype %s, expected %s", odin_dtype_name(ctx->in[1].dtype),
                           odin_dtype_name(ctx->in[0].dtype));
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    odin_value ins[2];
    prelu_operands(ctx, ins);
    ODIN_TRY(odin_bcast_shape(ins, 2, &rank, dims));
    const odin_value *x = &ctx->in[0];
    bool same = rank == x->rank || x->rank < 0 || rank < 0;
    for (int d = 0; same && x->rank >= 0 && rank >= 0 && d < rank; d++)
        if (x->dims[d] >= 0 && dims[d] >= 0 && dims[d] != x->dims[d]) same = false;
    if (!same) {
        char sx[128], ss[128];
        return odin_errorf("slope shape %s does not broadcast to X shape %s",
                           odin_shape_str(&ctx->in[1], ss, sizeof ss), odin_shape_str(x, sx, sizeof sx));
    }
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status prelu_eval(odin_op_ctx *ctx) {
    ODIN_TRY(prelu_infer(ctx));
    odin_bcast b;
    odin_value ins[2];
    prelu_operands(ctx, ins);
    ODIN_TRY(odin_bcast_init(&b, ins, 2));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0], *s = &ctx->in[1];
    odin_value *y = &ctx->out[0];
    bool flt = odin_dtype_is_float(x->dtype);
    for (int64_t e = 0; e < b.numel; e++, odin_bcast_next(&b)) {
        if (flt) {
            double xv = odin_load_as_f64(x->data, x->dtype, b.off[0]);
            odin_ew_store_f64(y->data, y->dtype, e,
                              xv < 0 ? xv * odin_load_as_f64(s->data, s->dtype, b.off[1]) : xv);
        } else {
            int64_t xv = odin_load_as_i64(x->data, x->dtype, b.off[0]);
            int64_t sv = odin_load_as_i64(s->data, s->dtype, b.off[1]);
            odin_ew_store_i64(y->data, y->dtype, e, xv < 0 ? (int64_t)((uint64_t)xv * (uint64_t)sv) : xv);
        }
    }
    return ODIN_OK;
}

static const odin_op_def def_PRelu = {
    .name = "PRelu", .domain = "", .since_version = 1, .min_inputs = 2, .max_inputs = 2,
    .min_outputs = 1, .max_outputs = 1, .attrs = no_attrs, .infer = prelu_infer,
    .eval = prelu_eval, .flags = ODIN_OP_ELEMENTWISE, .doc = "y = x < 0 ? slope*x : x"};

/* ---- Where: y = cond ? a : b, any dtype, three-way broadcasting ------------------ */

static odin_status where_infer(odin_op_ctx *ctx) {
    ODIN_TRY(odin_ew_check_dtype(ctx, 0, ODIN_EW_BOOLS));
    if (ctx->in[1].dtype != ctx->in[2].dtype)
        return odin_errorf("inputs 1 and 2 have dtypes %s and %s, expected the same",
                           odin_dtype_name(ctx->in[1].dtype), odin_dtype_name(ctx->in[2].dtype));
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(odin_bcast_shape(ctx->in, 3, &rank, dims));
    odin_op_set_output(ctx, 0, ctx->in[1].dtype, rank, dims);
    return ODIN_OK;
}

static odin_status where_eval(odin_op_ctx *ctx) {
    ODIN_TRY(where_infer(ctx));
    if (ctx->in[1].dtype == ODIN_STRING) return odin_errorf("string tensors are not supported");
    odin_bcast b;
    ODIN_TRY(odin_bcast_init(&b, ctx->in, 3));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    size_t es = odin_dtype_size(ctx->out[0].dtype);
    const uint8_t *cond = ctx->in[0].data;
    const char *A = ctx->in[1].data, *B = ctx->in[2].data;
    char *y = ctx->out[0].data;
    for (int64_t e = 0; e < b.numel; e++, odin_bcast_next(&b)) {
        const char *src = cond[b.off[0]] ? A + (size_t)b.off[1] * es : B + (size_t)b.off[2] * es;
        memcpy(y + (size_t)e * es, src, es);
    }
    return ODIN_OK;
}

static const odin_op_def def_Where = {
    .name = "Where", .domain = "", .since_version = 9, .min_inputs = 3, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1, .attrs = no_attrs, .infer = where_infer,
    .eval = where_eval, .flags = ODIN_OP_ELEMENTWISE, .doc = "y = cond ? a : b (broadcasting)"};

/* ---- variadic Min / Max / Sum / Mean -------------------------------------------- */

typedef enum { V_MIN, V_MAX, V_SUM, V_MEAN } variadic_kind;

static odin_status variadic_infer(odin_op_ctx *ctx, unsigned mask) {
    for (int k = 0; k < ctx->n_in; k++) {
        ODIN_TRY(odin_ew_check_dtype(ctx, k, mask));
        if (ctx->in[k].dtype != ctx->in[0].dtype)
            return odin_errorf("input %d has dtype %s, expected %s like input 0", k,
                               odin_dtype_name(ctx->in[k].dtype), odin_dtype_name(ctx->in[0].dtype));
    }
    int rank;
    int64_t dims[ODIN_MAX_RANK];
    ODIN_TRY(odin_bcast_shape(ctx->in, ctx->n_in, &rank, dims));
    odin_op_set_output(ctx, 0, ctx->in[0].dtype, rank, dims);
    return ODIN_OK;
}

static odin_status variadic_eval(odin_op_ctx *ctx, variadic_kind vk, unsigned mask) {
    ODIN_TRY(variadic_infer(ctx, mask));
    odin_bcast b;
    ODIN_TRY(odin_bcast_init(&b, ctx->in, ctx->n_in));
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    odin_dtype t = ctx->in[0].dtype;
    odin_value *y = &ctx->out[0];
    odin_ew_kind kind = odin_ew_kind_of(t);
    int n = ctx->n_in;
    for (int64_t e = 0; e < b.numel; e++, odin_bcast_next(&b)) {
        if (kind == ODIN_EW_KIND_FLOAT) {
            double acc = odin_load_as_f64(ctx->in[0].data, t, b.off[0]);
            for (int k = 1; k < n; k++) {
                double x = odin_load_as_f64(ctx->in[k].data, t, b.off[k]);
                if (vk == V_SUM || vk == V_MEAN) acc += x;
                else if (isnan(x) || isnan(acc)) acc = NAN; /* numpy minimum/maximum */
                else if (vk == V_MIN) acc = x < acc ? x : acc;
                else acc = x > acc ? x : acc;
            }
            if (vk == V_MEAN) acc /= n;
            odin_ew_store_f64(y->data, t, e, acc);
        } else if (kind == ODIN_EW_KIND_SINT) {
            int64_t acc = odin_load_as_i64(ctx->in[0].data, t, b.off[0]);
            for (int k = 1; k < n; k++) {
                int64_t x = odin_load_as_i64(ctx->in[k].data, t, b.off[k]);
                if (vk == V_MIN) acc = x < acc ? x : acc;
                else if (vk == V_MAX) acc = x > acc ? x : acc;
                else acc = (int64_t)((uint64_t)acc + (uint64_t)x);
            }
            if (vk == V_MEAN) acc /= n;
            odin_ew_store_i64(y->data, t, e, acc);
        } else {
            uint64_t acc = odin_ew_load_u64(ctx->in[0].data, t, b.off[0]);
            for (int k = 1; k < n; k++) {
                uint64_t x = odin_ew_load_u64(ctx->in[k].data, t, b.off[k]);
                if (vk == V_MIN) acc = x < acc ? x : acc;
                else if (vk == V_MAX) acc = x > acc ? x : acc;
                else acc += x;
            }
            if (vk == V_MEAN) acc /= (uint64_t)n;
            odin_ew_store_u64(y->data, t, e, acc);
        }
    }
    return ODIN_OK;
}

#define VARIADIC(NAME, KIND, MASK, DOC)                                                    \
    static odin_status infer_##NAME(odin_op_ctx *c) { return variadic_infer(c, MASK); }    \
    static odin_status eval_##NAME(odin_op_ctx *c) { return variadic_eval(c, KIND, MASK); } \
    static const odin_op_def def_##NAME = {                                               \
        .name = #NAME, .domain = "", .since_version = 1, .min_inputs = 1,                  \
        .max_inputs = -1, .min_outputs = 1, .max_outputs = 1, .attrs = no_attrs,          \
        .infer = infer_##NAME, .eval = eval_##NAME, .flags = ODIN_OP_ELEMENTWISE, .doc = DOC};

VARIADIC(Min, V_MIN, NUM, "elementwise minimum of all inputs (broadcasting)")
VARIADIC(Max, V_MAX, NUM, "elementwise maximum of all inputs (broadcasting)")
VARIADIC(Sum, V_SUM, ODIN_EW_FLOATS, "elementwise sum of all inputs (broadcasting)")
VARIADIC(Mean, V_MEAN, ODIN_EW_FLOATS, "elementwise mean of all inputs (broadcasting)")

/* ---- Clip: bounds are attributes before opset 11, optional scalar inputs after --- */

static const odin_attr_schema clip_attrs[] = {
    {"min", ODIN_ATTR_FLOAT, false, 0, -3.402823e+38f, 0},
    {"max", ODIN_ATTR_FLOAT, false, 0, 3.402823e+38f, 0}, {0}};

static odin_status clip_infer(odin_op_ctx *ctx) {
    ODIN_TRY(odin_ew_check_dtype(ctx, 0, NUM));
    for (int k = 1; k < ctx->n_in; k++) {
        if (!odin_op_has_input(ctx, k)) continue;
        const odin_value *v = &ctx->in[k];
        if (v->dtype != ctx->in[0].dtype)
            return odin_errorf("input %d (%s) has dtype %s, expected %s", k, k == 1 ? "min" : "max",
                               odin_dtype_name(v->dtype), odin_dtype_name(ctx->in[0].dtype));
        if (odin_value_numel(v) > 1 || (v->rank > 1 && odin_value_numel(v) != 1)) {
            char s[128];
            return odin_errorf("input %d (%s) has shape %s, expected a scalar", k,
                               k == 1 ? "min" : "max", odin_shape_str(v, s, sizeof s));
        }
    }
    const odin_value *x = &ctx->in[0];
    odin_op_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    return ODIN_OK;
}

static odin_status clip_eval(odin_op_ctx *ctx) {
    ODIN_TRY(clip_infer(ctx));
    for (int k = 1; k < ctx->n_in; k++)
        if (odin_op_has_input(ctx, k) && odin_value_numel(&ctx->in[k]) != 1)
            return odin_errorf("input %d is empty, expected a scalar", k);
    ODIN_TRY(odin_op_alloc_output(ctx, 0));
    const odin_value *x = &ctx->in[0];
    odin_value *y = &ctx->out[0];
    odin_dtype t = x->dtype;
    int64_t n = odin_value_numel(x);
    bool has_lo = ctx->n_in > 1 && odin_op_has_input(ctx, 1);
    bool has_hi = ctx->n_in > 2 && odin_op_has_input(ctx, 2);
    const void *lo = has_lo ? ctx->in[1].data : NULL, *hi = has_hi ? ctx->in[2].data : NULL;
    /* y = min(max(x, lo), hi): with lo > hi every element becomes hi, as numpy.clip */
    switch (odin_ew_kind_of(t)) {
    case ODIN_EW_KIND_FLOAT: {
        double l = -INFINITY, h = INFINITY;
        if (ctx->opset < 11) {
            l = odin_attr_f(ctx->node, "min");
            h = odin_attr_f(ctx->node, "max");
        }
        if (lo) l = odin_load_as_f64(lo, t, 0);
        if (hi) h = odin_load_as_f64(hi, t, 0);
        for (int64_t e = 0; e < n; e++) {
            double v = odin_load_as_f64(x->data, t, e);
            if (v < l) v = l;
            if (v > h) v = h;
            odin_ew_store_f64(y->data, t, e, v);
        }
        break;
    }
    case ODIN_EW_KIND_SINT: {
        int64_t l = lo ? odin_load_as_i64(lo, t, 0) : INT64_MIN;
        int64_t h = hi ? odin_load_as_i64(hi, t, 0) : INT64_MAX;
        for (int64_t e = 0; e < n; e++) {
            int64_t v = odin_load_as_i64(x->data, t, e);
            if (v < l) v = l;
            if (v > h) v = h;
            odin_ew_store_i64(y->data, t, e, v);
        }
        break;
    }
    default: {
        uint64_t l = lo ? odin_ew_load_u64(lo, t, 0) : 0;
        uint64_t h = hi ? odin_ew_load_u64(hi, t, 0) : UINT64_MAX;
        for (int64_t e = 0; e < n; e++) {
            uint64_t v = odin_ew_load_u64(x->data, t, e);
            if (v < l) v = l;
            if (v > h) v = h;
            odin_ew_store_u64(y->data, t, e, v);
        }
        break;
    }
    }
    return ODIN_OK;
}

static const odin_op_def def_Clip = {
    .name = "Clip", .domain = "", .since_version = 1, .min_inputs = 1, .max_inputs = 3,
    .min_outputs = 1, .max_outputs = 1, .attrs = clip_attrs, .infer = clip_infer,
    .eval = clip_eval, .flags = ODIN_OP_ELEMENTWISE, .doc = "y = clamp(x, min, max)"};

const odin_op_def *const odin_ops_elementwise_binary[] = {
    &def_Add, &def_Sub, &def_Mul, &def_Div, &def_Mod, &def_Pow, &def_BitShift, &def_Equal,
    &def_Less, &def_Greater, &def_LessOrEqual, &def_GreaterOrEqual, &def_And, &def_Or, &def_Xor,
    &def_PRelu, &def_Where, &def_Min, &def_Max, &def_Sum, &def_Mean, &def_Clip, NULL};
