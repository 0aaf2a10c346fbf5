/* frontend/onnx_tensor.c — TensorProto <-> odin_value: raw_data and every typed field,
 * external data files, and the single-TensorProto `.pb` files of the backend tests. */
#include "onnx_tensor.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx_internal.h"

/* ---- small file helpers (shared through onnx_internal.h) ---- */

odin_status odin_onnx_read_file(const char *path, size_t max_size, uint8_t **buf,
                                size_t *size) {
    *buf = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return odin_errorf("%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return odin_errorf("%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_size) {
        fclose(f);
        return odin_errorf("%s: file is %" PRIu64 " bytes, more than the %zu-byte limit", path,
                           (uint64_t)st.st_size, max_size);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        fclose(f);
        return odin_errorf("%s: out of memory reading %zu bytes", path, n);
    }
    size_t got = n ? fread(p, 1, n, f) : 0;
    fclose(f);
    if (got != n) {
        free(p);
        return odin_errorf("%s: short read (%zu of %zu bytes)", path, got, n);
    }
    *buf = p;
    *size = n;
    return ODIN_OK;
}

odin_status odin_onnx_write_file(const char *path, const void *buf, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return odin_errorf("%s: cannot create: %s", path, strerror(errno));
    size_t put = size ? fwrite(buf, 1, size, f) : 0;
    int rc = fclose(f);
    if (put != size || rc != 0) return odin_errorf("%s: write failed: %s", path, strerror(errno));
    return ODIN_OK;
}

char *odin_onnx_dirname(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* ---- decoding ---- */

static const char *tname(const Onnx__TensorProto *tp) {
    return tp->name ? tp->name : "";
}

/* Element count from dims; error on negative dims or a byte size that overflows. */
static odin_status checked_numel(const Onnx__TensorProto *tp, odin_dtype dt, size_t *numel) {
    uint64_t n = 1;
    size_t esize = odin_dtype_size(dt);
    for (size_t i = 0; i < tp->n_dims; i++) {
        int64_t d = tp->dims[i];
        if (d < 0)
            return odin_errorf("tensor '%s': negative dimension %" PRId64, tname(tp), d);
        if (d && n > (uint64_t)(SIZE_MAX / esize) / (uint64_t)d)
            return odin_errorf("tensor '%s': size overflows", tname(tp));
        n *= (uint64_t)d;
    }
    *numel = (size_t)n;
    return ODIN_OK;
}

static bool host_is_little_endian(void) {
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* raw_data and external data are little-endian on disk; swap in place on big-endian hosts. */
static void le_to_host(void *data, size_t numel, size_t esize) {
    if (host_is_little_endian() || esize == 1) return;
    uint8_t *p = data;
    for (size_t i = 0; i < numel; i++, p += esize)
        for (size_t a = 0, b = esize - 1; a < b; a++, b--) {
            uint8_t t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* A location is acceptable when it is relative and no component is "..": the data file
 * must live inside the model's directory. */
static bool location_is_contained(const char *loc) {
    if (!*loc || loc[0] == '/') return false;
    const char *p = loc;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') return false;
        if (!end) break;
        p = end + 1;
    }
    return true;
}

static odin_status parse_u64(const Onnx__TensorProto *tp, const char *key, const char *s,
                             uint64_t *out) {
    if (!s || !*s) return odin_errorf("tensor '%s': external data '%s' is empty", tname(tp), key);
    uint64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9' || v > (UINT64_MAX - 9) / 10)
            return odin_errorf("tensor '%s': external data '%s' is not a byte count: '%s'",
                               tname(tp), key, s);
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *out = v;
    return ODIN_OK;
}

/* Allocates *dst only once the file is known to hold the bytes, so a hostile shape
 * cannot make the decoder reserve memory for data that is not there. */
static odin_status read_external(const Onnx__TensorProto *tp, const char *base_dir,
                                 size_t nbytes, void **dst) {
    const char *location = NULL;
    uint64_t offset = 0, length = 0;
    bool has_length = false;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (!e->key) continue;
        if (strcmp(e->key, "location") == 0) location = e->value;
        else if (strcmp(e->key, "offset") == 0) ODIN_TRY(parse_u64(tp, "offset", e->value, &offset));
        else if (strcmp(e->key, "length") == 0) {
            ODIN_TRY(parse_u64(tp, "length", e->value, &length));
            has_length = true;
        }
    }
    if (!location || !*location)
        return odin_errorf("tensor '%s': external data without a location", tname(tp));
    if (!base_dir)
        return odin_errorf("tensor '%s': external data '%s' but the model has no directory "
                           "(loaded from memory)", tname(tp), location);
    if (!location_is_contained(location))
        return odin_errorf("tensor '%s': external data location '%s' escapes the model directory",
                           tname(tp), location);
    if (has_length && length != nbytes)
        return odin_errorf("tensor '%s': external data length %" PRIu64 " but shape and type "
                           "need %zu bytes", tname(tp), length, nbytes);
    size_t plen = strlen(base_dir) + strlen(location) + 2;
    char *path = malloc(plen);
    if (!path) return odin_errorf("out of memory");
    snprintf(path, plen, "%s/%s", base_dir, location);
    FILE *f = fopen(path, "rb");
    if (!f) {
        odin_status st = odin_errorf("tensor '%s': cannot open external data '%s': %s", tname(tp),
                                     path, strerror(errno));
        free(path);
        return st;
    }
    struct stat sb;
    odin_status st = ODIN_OK;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode))
        st = odin_errorf("tensor '%s': external data '%s' is not a regular file", tname(tp), path);
    else if (offset > (uint64_t)sb.st_size || nbytes > (uint64_t)sb.st_size - offset)
        st = odin_errorf("tensor '%s': external data '%s' has %" PRIu64 " bytes; offset %" PRIu64
                         " + %zu bytes runs past its end", tname(tp), path,
                         (uint64_t)sb.st_size, offset, nbytes);
    else if (!(*dst = malloc(nbytes ? nbytes : 1)))
        st = odin_errorf("tensor '%s': out of memory (%zu bytes)", tname(tp), nbytes);
    else if (offset > (uint64_t)LONG_MAX || fseek(f, (long)offset, SEEK_SET) != 0 ||
             (nbytes && fread(*dst, 1, nbytes, f) != nbytes)) {
        st = odin_errorf("tensor '%s': reading external data '%s' failed", tname(tp), path);
        free(*dst);
        *dst = NULL;
    }
    fclose(f);
    free(path);
    return st;
}

/* The typed field that holds dt's values, as (count, pointer). */
static size_t typed_count(const Onnx__TensorProto *tp, odin_dtype dt, const char **field) {
    switch (dt) {
    case ODIN_F32: *field = "float_data"; return tp->n_float_data;
    case ODIN_F64: *field = "double_data"; return tp->n_double_data;
    case ODIN_I64: *field = "int64_data"; return tp->n_int64_data;
    case ODIN_U32:
    case ODIN_U64: *field = "uint64_data"; return tp->n_uint64_data;
    case ODIN_STRING: *field = "string_data"; return tp->n_string_data;
    default: *field = "int32_data"; return tp->n_int32_data;
    }
}

static odin_status decode_strings(const Onnx__TensorProto *tp, size_t numel, odin_value *v) {
    char **ss = calloc(numel ? numel : 1, sizeof(char *));
    if (!ss) return odin_errorf("tensor '%s': out of memory", tname(tp));
    v->data = ss;
    for (size_t i = 0; i < numel; i++) {
        const ProtobufCBinaryData *b = &tp->string_data[i];
        ss[i] = malloc(b->len + 1);
        if (!ss[i]) return odin_errorf("tensor '%s': out of memory", tname(tp));
        if (b->len) memcpy(ss[i], b->data, b->len);
        ss[i][b->len] = '\0';
    }
    return ODIN_OK;
}

static void decode_typed(const Onnx__TensorProto *tp, odin_dtype dt, size_t numel, void *out) {
    if (numel == 0) return; /* the field pointers are NULL then */
    switch (dt) {
    case ODIN_F32: memcpy(out, tp->float_data, numel * 4); break;
    case ODIN_F64: memcpy(out, tp->double_data, numel * 8); break;
    case ODIN_I64: memcpy(out, tp->int64_data, numel * 8); break;
    case ODIN_U64: memcpy(out, tp->uint64_data, numel * 8); break;
    case ODIN_U32:
        for (size_t i = 0; i < numel; i++) ((uint32_t *)out)[i] = (uint32_t)tp->uint64_data[i];
        break;
    case ODIN_I32: memcpy(out, tp->int32_data, numel * 4); break;
    case ODIN_I16:
    case ODIN_U16:
    case ODIN_F16:
    case ODIN_BF16: /* 16-bit values (and float16 / bfloat16 bit patterns) in int32_data */
        for (size_t i = 0; i < numel; i++) ((uint16_t *)out)[i] = (uint16_t)tp->int32_data[i];
        break;
    case ODIN_I8:
    case ODIN_U8:
        for (size_t i = 0; i < numel; i++) ((uint8_t *)out)[i] = (uint8_t)tp->int32_data[i];
        break;
    case ODIN_BOOL:
        for (size_t i = 0; i < numel; i++) ((uint8_t *)out)[i] = tp->int32_data[i] != 0;
        break;
    default: break;
    }
}

static odin_status decode_into(const Onnx__TensorProto *tp, const char *base_dir,
                               odin_value *v) {
    int code = tp->has_data_type ? tp->data_type : 0;
    odin_dtype dt = odin_dtype_from_onnx(code);
    if (dt == ODIN_UNDEFINED)
        return odin_errorf("tensor '%s': unsupported data type %d", tname(tp), code);
    if (tp->n_dims > ODIN_MAX_RANK)
        return odin_errorf("tensor '%s': rank %zu exceeds the maximum %d", tname(tp), tp->n_dims,
                           ODIN_MAX_RANK);
    if (tp->segment) return odin_errorf("tensor '%s': segmented tensors are not supported", tname(tp));
    size_t numel;
    ODIN_TRY(checked_numel(tp, dt, &numel));
    v->dtype = dt;
    v->rank = (int)tp->n_dims;
    for (int i = 0; i < ODIN_MAX_RANK; i++) v->dims[i] = i < v->rank ? tp->dims[i] : -1;

    size_t esize = odin_dtype_size(dt), nbytes = numel * esize;
    bool external = tp->has_data_location &&
                    tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    char shape[160];
    odin_format_shape(shape, sizeof shape, v->rank, v->dims, NULL);

    if (dt == ODIN_STRING) {
        if (external || tp->has_raw_data)
            return odin_errorf("tensor '%s': string tensors must use string_data", tname(tp));
        if (tp->n_string_data != numel)
            return odin_errorf("tensor '%s': string_data holds %zu values, shape %s needs %zu",
                               tname(tp), tp->n_string_data, shape, numel);
        return decode_strings(tp, numel, v);
    }
    if (external) {
        ODIN_TRY(read_external(tp, base_dir, nbytes, &v->data));
        le_to_host(v->data, numel, esize);
        return ODIN_OK;
    }
    if (tp->has_raw_data) {
        if (tp->raw_data.len != nbytes)
            return odin_errorf("tensor '%s': raw_data has %zu bytes, %s %s needs %zu", tname(tp),
                               tp->raw_data.len, odin_dtype_name(dt), shape, nbytes);
        v->data = malloc(nbytes ? nbytes : 1);
        if (!v->data) return odin_errorf("tensor '%s': out of memory (%zu bytes)", tname(tp), nbytes);
        if (nbytes) memcpy(v->data, tp->raw_data.data, nbytes);
        le_to_host(v->data, numel, esize);
        return ODIN_OK;
    }
    const char *field;
    size_t count = typed_count(tp, dt, &field);
    if (count != numel)
        return odin_errorf("tensor '%s': %s holds %zu values, %s %s needs %zu", tname(tp), field,
                           count, odin_dtype_name(dt), shape, numel);
    v->data = malloc(nbytes ? nbytes : 1);
    if (!v->data) return odin_errorf("tensor '%s': out of memory (%zu bytes)", tname(tp), nbytes);
    decode_typed(tp, dt, numel, v->data);
    return ODIN_OK;
}

bool odin_onnx_tensor_raw_view(const Onnx__TensorProto *tp, odin_value *v) {
    odin_dtype dt = odin_dtype_from_onnx(tp->has_data_type ? tp->data_type : 0);
    if (dt == ODIN_UNDEFINED || dt == ODIN_STRING || !tp->has_raw_data || tp->segment ||
        !host_is_little_endian() || tp->n_dims > ODIN_MAX_RANK ||
        (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL))
        return false;
    size_t numel;
    odin_status st = checked_numel(tp, dt, &numel);
    if (st) {
        odin_status_free(st);
        return false;
    }
    if (tp->raw_data.len != numel * odin_dtype_size(dt)) return false;
    memset(v, 0, sizeof *v);
    v->dtype = dt;
    v->rank = (int)tp->n_dims;
    for (int i = 0; i < ODIN_MAX_RANK; i++) v->dims[i] = i < v->rank ? tp->dims[i] : -1;
    v->data = tp->raw_data.data;
    return true;
}

odin_status odin_onnx_tensor_decode(const Onnx__TensorProto *tp, const char *base_dir,
                                    odin_value *v) {
    memset(v, 0, sizeof *v);
    v->rank = -1;
    odin_status st = decode_into(tp, base_dir, v);
    if (st) odin_onnx_value_free(v);
    return st;
}

void odin_onnx_value_free(odin_value *v) {
    if (!v) return;
    if (v->dtype == ODIN_STRING && v->data) {
        int64_t n = odin_value_numel(v);
        char **ss = v->data;
        for (int64_t i = 0; i < n; i++) free(ss[i]);
    }
    free(v->data);
    v->data = NULL;
}

/* ---- encoding ---- */

odin_status odin_onnx_tensor_encode(const odin_value *v, const char *name, Onnx__TensorProto *tp) {
    onnx__tensor_proto__init(tp);
    const char *nm = name ? name : "";
    int code = odin_dtype_to_onnx(v->dtype);
    if (!code)
        return odin_errorf("tensor '%s': dtype %s has no ONNX equivalent", nm,
                           odin_dtype_name(v->dtype));
    int64_t numel = odin_value_numel(v);
    if (numel < 0) return odin_errorf("tensor '%s': shape is not fully known", nm);
    if (numel > 0 && !v->data) return odin_errorf("tensor '%s': has no data", nm);
    tp->name = strdup(nm);
    tp->has_data_type = 1;
    tp->data_type = code;
    tp->n_dims = (size_t)v->rank;
    tp->dims = malloc(sizeof(int64_t) * (v->rank ? v->rank : 1));
    if (!tp->name || !tp->dims) goto oom;
    for (int i = 0; i < v->rank; i++) tp->dims[i] = v->dims[i];
    if (v->dtype == ODIN_STRING) {
        tp->string_data = calloc(numel ? (size_t)numel : 1, sizeof(ProtobufCBinaryData));
        if (!tp->string_data) goto oom;
        tp->n_string_data = (size_t)numel;
        for (int64_t i = 0; i < numel; i++) {
            const char *s = ((const char *const *)v->data)[i];
            size_t len = s ? strlen(s) : 0;
            tp->string_data[i].data = malloc(len ? len : 1);
            if (!tp->string_data[i].data) goto oom;
            if (len) memcpy(tp->string_data[i].data, s, len);
            tp->string_data[i].len = len;
        }
        return ODIN_OK;
    }
    size_t nbytes = (size_t)numel * odin_dtype_size(v->dtype);
    tp->has_raw_data = 1;
    tp->raw_data.len = nbytes;
    tp->raw_data.data = malloc(nbytes ? nbytes : 1);
    if (!tp->raw_data.data) goto oom;
    if (nbytes) memcpy(tp->raw_data.data, v->data, nbytes);
    le_to_host(tp->raw_data.data, (size_t)numel, odin_dtype_size(v->dtype)); /* host -> LE */
    return ODIN_OK;
oom:
    odin_onnx_tensor_encode_free(tp);
    return odin_errorf("tensor '%s': out of memory encoding", nm);
}

void odin_onnx_tensor_encode_free(Onnx__TensorProto *tp) {
    if (!tp) return;
    free(tp->name);
    free(tp->dims);
    free(tp->raw_data.data);
    if (tp->string_data)
        for (size_t i = 0; i < tp->n_string_data; i++) free(tp->string_data[i].data);
    free(tp->string_data);
    onnx__tensor_proto__init(tp);
}

/* ---- .pb files ---- */

odin_status odin_pb_read_tensor(const char *path, odin_value *v, char **name) {
    memset(v, 0, sizeof *v);
    v->rank = -1;
    if (name) *name = NULL;
    uint8_t *buf;
    size_t size;
    ODIN_TRY(odin_onnx_read_file(path, ODIN_ONNX_MAX_PROTO, &buf, &size));
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, buf);
    free(buf);
    if (!tp) return odin_errorf("%s: not a valid TensorProto (protobuf parse failed)", path);
    char *dir = odin_onnx_dirname(path);
    odin_status st = dir ? odin_onnx_tensor_decode(tp, dir, v) : odin_errorf("out of memory");
    free(dir);
    if (!st && name) {
        *name = strdup(tname(tp));
        if (!*name) st = odin_errorf("out of memory");
    }
    onnx__tensor_proto__free_unpacked(tp, NULL);
    if (st) {
        odin_onnx_value_free(v);
        return odin_status_prefix(st, "%s", path);
    }
    return ODIN_OK;
}

odin_status odin_pb_write_tensor(const char *path, const char *name, const odin_value *v) {
    Onnx__TensorProto tp;
    odin_status st = odin_onnx_tensor_encode(v, name, &tp);
    if (st) return odin_status_prefix(st, "%s", path);
    size_t size = onnx__tensor_proto__get_packed_size(&tp);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) {
        odin_onnx_tensor_encode_free(&tp);
        return odin_errorf("%s: out of memory", path);
    }
    onnx__tensor_proto__pack(&tp, buf);
    odin_onnx_tensor_encode_free(&tp);
    st = odin_onnx_write_file(path, buf, size);
    free(buf);
    return st;
}
