/* frontend/safetensors.c — reads safetensors checkpoints (see safetensors.h): checks the
 * header length against the file, parses the JSON header strictly (runtime/json.h), and
 * checks every tensor's dtype, shape and byte range; the data region must be covered
 * exactly, without overlaps or holes, as the format requires. */
#include "safetensors.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uthash.h>

#include "../runtime/json.h"

/* The format caps the header at 100 MB; anything larger is not a safetensors file. */
#define ST_MAX_HEADER (100u * 1000u * 1000u)

typedef struct st_name {
    UT_hash_handle hh;
    int index;
} st_name;

typedef struct st_meta {
    char *key, *value;
} st_meta;

struct odin_safetensors {
    char *path;
    int refs;
    void *map; /* owned mapping, NULL for open_mem */
    size_t map_size;
    odin_safetensors_entry *entries;
    int n_entries;
    st_name *names;    /* uthash: name -> index */
    st_name *name_buf; /* one handle per entry */
    st_meta *meta;
    int n_meta;
};

static const struct {
    const char *name;
    odin_dtype dtype;
} st_dtypes[] = {
    {"F32", ODIN_F32}, {"F16", ODIN_F16}, {"BF16", ODIN_BF16}, {"F64", ODIN_F64},
    {"I64", ODIN_I64}, {"I32", ODIN_I32}, {"I16", ODIN_I16},   {"I8", ODIN_I8},
    {"U8", ODIN_U8},   {"U16", ODIN_U16}, {"U32", ODIN_U32},   {"U64", ODIN_U64},
    {"BOOL", ODIN_BOOL},
};

static void st_free(odin_safetensors *st) {
    if (!st) return;
    HASH_CLEAR(hh, st->names);
    for (int i = 0; i < st->n_entries; i++) free((char *)st->entries[i].name);
    for (int i = 0; i < st->n_meta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->meta);
    free(st->entries);
    free(st->name_buf);
    if (st->map) munmap(st->map, st->map_size);
    free(st->path);
    free(st);
}

/* Order of entries by data offset, for the overlap / hole check. */
static int by_offset(const void *a, const void *b, void *entries) {
    const odin_safetensors_entry *base = entries;
    const odin_safetensors_entry *x = &base[*(const int *)a], *y = &base[*(const int *)b];
    if (x->data != y->data) return (const char *)x->data < (const char *)y->data ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

static odin_status read_entry(const char *what, const odin_json_member *m, const uint8_t *data,
                              uint64_t data_size, odin_safetensors_entry *e) {
    const char *name = m->key;
    const odin_json *v = &m->value;
    if (strlen(name) != m->key_len)
        return odin_errorf("%s: a tensor name contains a NUL character", what);
    if (v->type != ODIN_JSON_OBJECT)
        return odin_errorf("%s: tensor '%s': expected an object, got %s", what, name,
                           odin_json_type_name(v->type));
    for (size_t i = 0; i < v->count; i++) {
        const char *k = v->members[i].key;
        if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets"))
            return odin_errorf("%s: tensor '%s': unknown field '%s'", what, name, k);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(v->members[j].key, k))
                return odin_errorf("%s: tensor '%s': field '%s' given twice", what, name, k);
    }
    const odin_json *dt = odin_json_get(v, "dtype"), *shape = odin_json_get(v, "shape"),
                    *offs = odin_json_get(v, "data_offsets");
    if (!dt || !shape || !offs)
        return odin_errorf("%s: tensor '%s': missing '%s'", what, name,
                           !dt ? "dtype" : !shape ? "shape" : "data_offsets");
    if (dt->type != ODIN_JSON_STRING)
        return odin_errorf("%s: tensor '%s': dtype must be a string", what, name);
    e->dtype = ODIN_UNDEFINED;
    for (size_t i = 0; i < sizeof st_dtypes / sizeof *st_dtypes; i++)
        if (!strcmp(dt->str, st_dtypes[i].name)) e->dtype = st_dtypes[i].dtype;
    if (e->dtype == ODIN_UNDEFINED)
        return odin_errorf("%s: tensor '%s': unsupported dtype '%s'", what, name, dt->str);
    if (shape->type != ODIN_JSON_ARRAY)
        return odin_errorf("%s: tensor '%s': shape must be an array", what, name);
    if (shape->count > ODIN_MAX_RANK)
        return odin_errorf("%s: tensor '%s': rank %zu exceeds %d", what, name, shape->count,
                           ODIN_MAX_RANK);
    e->rank = (int)shape->count;
    uint64_t numel = 1;
    for (int i = 0; i < e->rank; i++) {
        const odin_json *d = &shape->items[i];
        if (d->type != ODIN_JSON_NUMBER || !d->is_int || d->integer < 0)
            return odin_errorf("%s: tensor '%s': shape[%d] is not a non-negative integer", what,
                               name, i);
        e->dims[i] = d->integer;
        if (d->integer && numel > UINT64_MAX / (uint64_t)d->integer)
            return odin_errorf("%s: tensor '%s': shape overflows", what, name);
        numel *= (uint64_t)d->integer;
    }
    uint64_t esize = odin_dtype_size(e->dtype);
    if (numel > UINT64_MAX / esize) return odin_errorf("%s: tensor '%s': shape overflows", what, name);
    if (offs->type != ODIN_JSON_ARRAY || offs->count != 2)
        return odin_errorf("%s: tensor '%s': data_offsets must be [begin, end]", what, name);
    int64_t b = offs->items[0].integer, en = offs->items[1].integer;
    if (offs->items[0].type != ODIN_JSON_NUMBER || !offs->items[0].is_int ||
        offs->items[1].type != ODIN_JSON_NUMBER || !offs->items[1].is_int || b < 0 || en < b)
        return odin_errorf("%s: tensor '%s': data_offsets must be integers 0 <= begin <= end", what,
                           name);
    if ((uint64_t)en > data_size)
        return odin_errorf("%s: tensor '%s': data_offsets [%lld, %lld] run past the %llu data bytes",
                           what, name, (long long)b, (long long)en, (unsigned long long)data_size);
    if ((uint64_t)(en - b) != numel * esize)
        return odin_errorf("%s: tensor '%s': shape and dtype %s need %llu bytes but data_offsets "
                           "[%lld, %lld] hold %lld",
                           what, name, dt->str, (unsigned long long)(numel * esize), (long long)b,
                           (long long)en, (long long)(en - b));
    e->data = data + b;
    e->nbytes = (size_t)(en - b);
    e->name = strdup(name);
    if (!e->name) return odin_errorf("%s: out of memory", what);
    return ODIN_OK;
}

static odin_status read_metadata(odin_safetensors *st, const char *what, const odin_json *v) {
    if (v->type != ODIN_JSON_OBJECT)
        return odin_errorf("%s: __metadata__ must be an object of strings", what);
    st->meta = calloc(v->count ? v->count : 1, sizeof *st->meta);
    if (!st->meta) return odin_errorf("%s: out of memory", what);
    for (size_t i = 0; i < v->count; i++) {
        const odin_json_member *m = &v->members[i];
        if (m->value.type != ODIN_JSON_STRING)
            return odin_errorf("%s: __metadata__ '%s' is not a string", what, m->key);
        st->meta[st->n_meta].key = strdup(m->key);
        st->meta[st->n_meta].value = strdup(m->value.str);
        st->n_meta++;
        if (!st->meta[st->n_meta - 1].key || !st->meta[st->n_meta - 1].value)
            return odin_errorf("%s: out of memory", what);
    }
    return ODIN_OK;
}

static odin_status parse(odin_safetensors *st, const uint8_t *buf, size_t size, const char *what) {
    if (size < 8) return odin_errorf("%s: truncated: %zu bytes, no header length", what, size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | buf[i];
    if (n > ST_MAX_HEADER || n > size - 8)
        return odin_errorf("%s: header length %llu does not fit the %zu-byte file", what,
                           (unsigned long long)n, size);
    if (n < 2 || buf[8] != '{')
        return odin_errorf("%s: the header is not a JSON object", what);
    char ctx[512];
    snprintf(ctx, sizeof ctx, "%s: JSON header", what);
    odin_json *hdr;
    ODIN_TRY(odin_json_parse((const char *)buf + 8, (size_t)n, ctx, &hdr));
    const uint8_t *data = buf + 8 + n;
    uint64_t data_size = size - 8 - n;
    odin_status err = ODIN_OK;
    st->entries = calloc(hdr->count ? hdr->count : 1, sizeof *st->entries);
    st->name_buf = calloc(hdr->count ? hdr->count : 1, sizeof *st->name_buf);
    if (!st->entries || !st->name_buf) {
        err = odin_errorf("%s: out of memory", what);
        goto done;
    }
    bool seen_meta = false;
    for (size_t i = 0; i < hdr->count && !err; i++) {
        const odin_json_member *m = &hdr->members[i];
        if (!strcmp(m->key, "__metadata__")) {
            if (seen_meta) err = odin_errorf("%s: __metadata__ given twice", what);
            else err = read_metadata(st, what, &m->value);
            seen_meta = true;
            continue;
        }
        odin_safetensors_entry *e = &st->entries[st->n_entries];
        err = read_entry(what, m, data, data_size, e);
        if (err) break;
        st->n_entries++;
        st_name *found = NULL;
        HASH_FIND_STR(st->names, e->name, found);
        if (found) {
            err = odin_errorf("%s: tensor '%s' appears twice in the header", what, e->name);
            break;
        }
        st_name *h = &st->name_buf[st->n_entries - 1];
        h->index = st->n_entries - 1;
        HASH_ADD_KEYPTR(hh, st->names, e->name, strlen(e->name), h);
    }
    if (err) goto done;
    /* Byte ranges must tile the data region: sorted by offset, each starts where the
     * previous one ended, and the last ends at the end of the file. */
    int *order = malloc(sizeof(int) * (size_t)(st->n_entries ? st->n_entries : 1));
    if (!order) {
        err = odin_errorf("%s: out of memory", what);
        goto done;
    }
    for (int i = 0; i < st->n_entries; i++) order[i] = i;
    qsort_r(order, (size_t)st->n_entries, sizeof *order, by_offset, st->entries);
    uint64_t pos = 0;
    const char *prev = NULL;
    for (int i = 0; i < st->n_entries && !err; i++) {
        const odin_safetensors_entry *e = &st->entries[order[i]];
        uint64_t b = (uint64_t)((const uint8_t *)e->data - data);
        if (b < pos)
            err = odin_errorf("%s: tensor '%s': bytes [%llu, %llu] overlap tensor '%s'", what,
                              e->name, (unsigned long long)b,
                              (unsigned long long)(b + e->nbytes), prev);
        else if (b > pos)
            err = odin_errorf("%s: tensor '%s': hole of %llu bytes before its data at %llu", what,
                              e->name, (unsigned long long)(b - pos), (unsigned long long)b);
        pos = b + e->nbytes;
        prev = e->name;
    }
    free(order);
    if (!err && pos != data_size)
        err = odin_errorf("%s: %llu data bytes after the last tensor (the header covers %llu of "
                          "%llu)",
                          what, (unsigned long long)(data_size - pos), (unsigned long long)pos,
                          (unsigned long long)data_size);
done:
    odin_json_free(hdr);
    return err;
}

static odin_status open_common(const void *buf, size_t size, const char *what, void *map,
                               odin_safetensors **out) {
    *out = NULL;
    odin_safetensors *st = calloc(1, sizeof *st);
    if (!st) return odin_errorf("%s: out of memory", what);
    st->refs = 1;
    st->path = strdup(what);
    st->map = map;
    st->map_size = size;
    odin_status err = st->path ? parse(st, buf, size, what) : odin_errorf("out of memory");
    if (err) {
        st_free(st);
        return err;
    }
    *out = st;
    return ODIN_OK;
}

odin_status odin_safetensors_open_mem(const void *buf, size_t size, const char *what,
                                      odin_safetensors **out) {
    return open_common(buf, size, what ? what : "<memory>", NULL, out);
}

odin_status odin_safetensors_open(const char *path, odin_safetensors **out) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return odin_errorf("%s: cannot open: %m", path);
    struct stat stt;
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        close(fd);
        return odin_errorf("%s: not a regular file", path);
    }
    size_t size = (size_t)stt.st_size;
    if (size < 8) {
        close(fd);
        return odin_errorf("%s: truncated: %zu bytes, no header length", path, size);
    }
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return odin_errorf("%s: cannot map %zu bytes: %m", path, size);
    odin_status st = open_common(map, size, path, map, out); /* unmaps on error */
    return st;
}

odin_safetensors *odin_safetensors_retain(const odin_safetensors *st) {
    odin_safetensors *s = (odin_safetensors *)st; /* the count is not part of the value */
    if (s) s->refs++;
    return s;
}

void odin_safetensors_close(odin_safetensors *st) {
    if (st && --st->refs == 0) st_free(st);
}

const char *odin_safetensors_path(const odin_safetensors *st) { return st->path; }
int odin_safetensors_count(const odin_safetensors *st) { return st->n_entries; }

const odin_safetensors_entry *odin_safetensors_at(const odin_safetensors *st, int i) {
    return i >= 0 && i < st->n_entries ? &st->entries[i] : NULL;
}

const odin_safetensors_entry *odin_safetensors_find(const odin_safetensors *st, const char *name) {
    st_name *h = NULL;
    HASH_FIND_STR(st->names, name, h);
    return h ? &st->entries[h->index] : NULL;
}

const char *odin_safetensors_metadata(const odin_safetensors *st, const char *key) {
    for (int i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta[i].key, key)) return st->meta[i].value;
    return NULL;
}
