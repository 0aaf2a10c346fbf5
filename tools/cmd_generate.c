/* tools/cmd_generate.c — `odinc generate MODEL --prompt TEXT`: text generation with an LM
 * graph (docs/language-models.md) through a session (runtime/session.h): encode the
 * prompt, prefill, then sample and step one token at a time, streaming the decoded text
 * to stdout as it comes (a token that ends inside a UTF-8 character waits for the rest).
 * Ends with one JSON line of counts and speeds. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../codegen/session_jit.h"
#include "../frontend/load.h"
#include "../runtime/npy.h"
#include "../runtime/report.h"
#include "../runtime/sample.h"
#include "../runtime/threads.h"
#include "../runtime/tokenizer.h"
#include "cli.h"

typedef struct gen_opts {
    const char *model, *tokenizer, *prompt, *engine, *cache_dir, *logits_out;
    int max_tokens, threads, chunk;
    odin_sampler_options sampling;
    bool echo;
} gen_opts;

static void usage(FILE *f) {
    fprintf(f,
            "usage: odinc generate MODEL --prompt TEXT [--tokenizer FILE] [--max-tokens N]\n"
            "                      [--temperature T] [--top-k K] [--top-p P] [--seed S]\n"
            "                      [--threads N] [--engine jit|ref] [--cache-dir DIR]\n"
            "                      [--chunk N] [--no-echo] [--logits-out FILE.npy]\n\n"
            "Generates text with a language-model graph (inputs tokens, pos, state.*; outputs\n"
            "logits, state_out.*: docs/language-models.md). The prompt is printed, then each\n"
            "new token's text as soon as it is sampled; generation stops after N tokens\n"
            "(--max-tokens, default 64) or at the tokenizer's end-of-text token. The last\n"
            "line is a JSON object: prompt_tokens, generated_tokens, prefill_tok_s,\n"
            "decode_tok_s, compile_ms, peak_rss_mb (and model, engine, threads, prefill_ms,\n"
            "decode_ms, compiles, stop, weight_mb_per_token: weights a decode step reads).\n"
            "--tokenizer FILE: an RWKV World vocabulary (rwkv_vocab_*.txt) or a GPT-2\n"
            "folder / encoder.json / vocab.bpe; without it, token ids are bytes.\n"
            "--temperature 0 (default) is greedy; otherwise softmax(logits / T) sampling,\n"
            "cut to the --top-k most likely tokens (0: all) and the --top-p nucleus (1: all),\n"
            "seeded by --seed (default 0).\n"
            "--engine jit (default) compiles the graph once per chunk length (prompt chunks\n"
            "of --chunk tokens, default 64, the rest in powers of two; decode steps of one);\n"
            "--cache-dir DIR keeps the compiled code for later runs. ref runs the reference\n"
            "interpreter.\n"
            "--logits-out FILE.npy writes the logits each generated token was picked from\n"
            "([generated, vocab] f32; for comparing engines).\n");
}

/* ---- streaming UTF-8: hold back a trailing incomplete character ---- */

typedef struct utf8_stream {
    unsigned char pending[8];
    size_t n;
} utf8_stream;

/* Length of the UTF-8 sequence that starts with byte b; 1 for a byte that cannot start one
 * (it is written as is rather than held forever). */
static size_t utf8_length(unsigned char b) {
    if (b >= 0xF0 && b <= 0xF4) return 4;
    if (b >= 0xE0 && b < 0xF0) return 3;
    if (b >= 0xC2 && b < 0xE0) return 2;
    return 1;
}

static void stream_write(utf8_stream *s, const unsigned char *bytes, size_t len, bool final) {
    for (size_t i = 0; i < len; i++) {
        s->pending[s->n++] = bytes[i];
        /* Complete when the first pending byte's sequence is all there or cannot be. */
        for (;;) {
            if (!s->n) break;
            size_t want = utf8_length(s->pending[0]), have = 1;
            while (have < s->n && have < want && (s->pending[have] & 0xC0) == 0x80) have++;
            if (have < want && have == s->n) break; /* wait for more bytes */
            fwrite(s->pending, 1, have, stdout);
            memmove(s->pending, s->pending + have, s->n - have);
            s->n -= have;
        }
    }
    if (final && s->n) {
        fwrite(s->pending, 1, s->n, stdout);
        s->n = 0;
    }
    fflush(stdout);
}

/* ---- the run ---- */

static odin_status open_tokenizer(const gen_opts *o, int64_t vocab, odin_tokenizer **tok) {
    if (!o->tokenizer && vocab < 256)
        return odin_errorf("the model's vocabulary has %lld tokens, fewer than the 256 of the "
                           "byte tokenizer: give its tokenizer with --tokenizer FILE",
                           (long long)vocab);
    ODIN_TRY(odin_tokenizer_open(o->tokenizer, o->tokenizer ? ODIN_TOKENIZER_AUTO : ODIN_TOKENIZER_BYTE,
                                 tok));
    int64_t need = odin_tokenizer_vocab_size(*tok);
    if (need > vocab) {
        odin_status st = odin_errorf("the %s tokenizer%s%s has ids up to %lld, but the model's "
                                     "vocabulary has only %lld tokens",
                                     odin_tokenizer_kind_name(odin_tokenizer_kind_of(*tok)),
                                     o->tokenizer ? " " : "", o->tokenizer ? o->tokenizer : "",
                                     (long long)need - 1, (long long)vocab);
        odin_tokenizer_free(*tok);
        *tok = NULL;
        return st;
    }
    return ODIN_OK;
}

/* Bytes of weights one decode step reads, as the memory-bandwidth bound sees them: every
 * constant a node reads, except embedding tables read only by Gather, of which one row. */
static double weight_bytes_per_token(const odin_graph *g) {
    double total = 0;
    for (int t = 0; t < g->n_tensors; t++) {
        const odin_tensor *tt = &g->tensors[t];
        if (!(tt->flags & ODIN_TENSOR_CONST) || !tt->nbytes) continue;
        bool used = false, gather_only = true;
        for (int n = 0; n < g->n_nodes; n++)
            for (int k = 0; k < g->nodes[n].n_inputs; k++)
                if (g->nodes[n].inputs[k] == t) {
                    used = true;
                    gather_only = gather_only && k == 0 && !strcmp(g->nodes[n].op, "Gather");
                }
        if (!used) continue;
        total += gather_only && tt->rank >= 1 && tt->dims[0] > 0 ? (double)tt->nbytes / tt->dims[0]
                                                                 : (double)tt->nbytes;
    }
    return total;
}

typedef struct gen_result {
    size_t prompt_tokens, generated, steps;
    double compile_ms, prefill_ms, decode_ms;
    int compiles;
    const char *stop;
} gen_result;

static odin_status emit(const odin_tokenizer *tok, utf8_stream *out, int64_t id) {
    size_t len;
    const uint8_t *bytes = odin_tokenizer_token_bytes(tok, id, &len);
    if (!bytes && id >= odin_tokenizer_vocab_size(tok)) {
        /* The model's vocabulary is larger than the tokenizer's: show the id. */
        char text[32];
        int n = snprintf(text, sizeof text, "<%lld>", (long long)id);
        stream_write(out, (const unsigned char *)text, (size_t)n, false);
        return ODIN_OK;
    }
    if (bytes) stream_write(out, bytes, len, false);
    return ODIN_OK;
}

static odin_status generate(const gen_opts *o, odin_graph *g, odin_engine engine,
                            const odin_tokenizer *tok, const int64_t *prompt, size_t n_prompt,
                            gen_result *r) {
    odin_engine_options eo = odin_engine_defaults(engine);
    eo.cache_dir = o->cache_dir;
    odin_session_options so = {.chunk = o->chunk};
    odin_session *s = NULL;
    odin_sampler *sampler = NULL;
    ODIN_TRY(odin_lm_session_open(g, &eo, &so, false, &s));
    odin_status st = odin_sampler_create(odin_session_vocab(s), &o->sampling, &sampler);
    double t0 = odin_now_ms();
    if (!st) st = odin_session_warm_up(s, n_prompt);
    r->compile_ms = odin_now_ms() - t0;
    utf8_stream out = {0};
    if (!st && o->echo) stream_write(&out, (const unsigned char *)o->prompt, strlen(o->prompt), true);
    const float *logits = NULL;
    t0 = odin_now_ms();
    if (!st) st = odin_session_prefill(s, prompt, n_prompt, &logits);
    r->prefill_ms = odin_now_ms() - t0;
    int64_t eos = odin_tokenizer_eos(tok), vocab = odin_session_vocab(s);
    float *seen = NULL; /* --logits-out: one row per sampled position */
    if (!st && o->logits_out && !(seen = malloc(sizeof *seen * (size_t)vocab * (size_t)(o->max_tokens + 1))))
        st = odin_errorf("out of memory");
    r->stop = "max_tokens";
    for (int i = 0; !st && i < o->max_tokens; i++) {
        if (seen) memcpy(seen + (size_t)i * (size_t)vocab, logits, sizeof *seen * (size_t)vocab);
        int64_t id = odin_sample(sampler, logits);
        if (id < 0) {
            st = odin_errorf("every logit is NaN or -inf after %zu tokens", r->generated);
            break;
        }
        if (id == eos) {
            r->stop = "eos";
            break;
        }
        r->generated++;
        st = emit(tok, &out, id);
        if (st || i + 1 == o->max_tokens) break;
        t0 = odin_now_ms();
        st = odin_session_step(s, id, &logits);
        r->decode_ms += odin_now_ms() - t0;
        r->steps++;
    }
    stream_write(&out, NULL, 0, true);
    if (!st && seen) {
        odin_value v = {.dtype = ODIN_F32, .rank = 2, .dims = {(int64_t)r->generated, vocab}, .data = seen};
        st = odin_npy_write_file(o->logits_out, &v);
    }
    free(seen);
    odin_lm_runner_stats stats;
    odin_session_runner_stats(s, &stats);
    r->compiles = stats.compiles;
    odin_sampler_free(sampler);
    odin_session_free(s);
    return st;
}

static int run(const gen_opts *o, odin_engine engine) {
    odin_graph *g = NULL;
    odin_tokenizer *tok = NULL;
    int64_t *ids = NULL;
    size_t n_ids = 0;
    gen_result r = {0};
    odin_lm_layout layout = {0};
    odin_status st = odin_load_model(o->model, &g);
    if (!st) st = odin_lm_layout_of(g, false, &layout);
    if (!st) st = open_tokenizer(o, layout.vocab, &tok);
    if (!st) st = odin_tokenizer_encode(tok, o->prompt, strlen(o->prompt), &ids, &n_ids);
    if (!st && n_ids == 0) st = odin_errorf("the prompt is empty: give some text with --prompt");
    odin_rt_set_threads(o->threads);
    if (!st) {
        r.prompt_tokens = n_ids;
        st = generate(o, g, engine, tok, ids, n_ids, &r);
    }
    int rc = 0;
    if (st) {
        fflush(stdout);
        rc = odin_cli_fail(odin_status_prefix(st, "%s", o->model));
    } else {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double prefill_s = r.prefill_ms / 1e3, decode_s = r.decode_ms / 1e3;
        printf("\n{\"model\":");
        odin_print_json_string(stdout, o->model);
        printf(",\"engine\":\"%s\",\"threads\":%d,\"prompt_tokens\":%zu,\"generated_tokens\":%zu,"
               "\"prefill_ms\":%.3f,\"prefill_tok_s\":%.3f,\"decode_ms\":%.3f,\"decode_steps\":%zu,"
               "\"decode_tok_s\":%.3f,\"compile_ms\":%.3f,\"compiles\":%d,\"stop\":\"%s\","
               "\"weight_mb_per_token\":%.3f,\"peak_rss_mb\":%.1f}\n",
               engine == ODIN_ENGINE_JIT ? "jit" : "ref", odin_rt_threads(), r.prompt_tokens,
               r.generated, r.prefill_ms, prefill_s > 0 ? r.prompt_tokens / prefill_s : 0,
               r.decode_ms, r.steps, decode_s > 0 ? r.steps / decode_s : 0, r.compile_ms,
               r.compiles, r.stop, weight_bytes_per_token(g) / 1e6, ru.ru_maxrss / 1024.0);
    }
    odin_lm_layout_free(&layout);
    free(ids);
    odin_tokenizer_free(tok);
    odin_graph_free(g);
    return rc;
}

static bool parse_int(const char *text, long min, long max, int *out) {
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < min || v > max) return false;
    *out = (int)v;
    return true;
}

static bool parse_float(const char *text, float *out) {
    char *end;
    errno = 0;
    float v = strtof(text, &end);
    if (end == text || *end || errno || !isfinite(v)) return false;
    *out = v;
    return true;
}

int odin_cmd_generate(int argc, char **argv) {
    gen_opts o = {.engine = "jit", .max_tokens = 64, .sampling = {.top_p = 1}, .echo = true};
    for (int i = 1; i < argc; i++) {
        const char *val = NULL, *arg = argv[i];
        bool missing = false, bad = false;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (odin_cli_opt(argc, argv, &i, "--prompt", &val, &missing)) {
            o.prompt = val;
        } else if (odin_cli_opt(argc, argv, &i, "--tokenizer", &val, &missing)) {
            o.tokenizer = val;
        } else if (odin_cli_opt(argc, argv, &i, "--engine", &val, &missing)) {
            o.engine = val;
        } else if (odin_cli_opt(argc, argv, &i, "--logits-out", &val, &missing)) {
            o.logits_out = val;
        } else if (odin_cli_opt(argc, argv, &i, "--cache-dir", &val, &missing)) {
            o.cache_dir = val;
        } else if (odin_cli_opt(argc, argv, &i, "--max-tokens", &val, &missing)) {
            bad = !missing && !parse_int(val, 0, 1000000, &o.max_tokens);
        } else if (odin_cli_opt(argc, argv, &i, "--threads", &val, &missing)) {
            bad = !missing && !parse_int(val, 1, 1024, &o.threads);
        } else if (odin_cli_opt(argc, argv, &i, "--chunk", &val, &missing)) {
            bad = !missing && !parse_int(val, 1, 4096, &o.chunk);
        } else if (odin_cli_opt(argc, argv, &i, "--top-k", &val, &missing)) {
            bad = !missing && !parse_int(val, 0, 1 << 30, &o.sampling.top_k);
        } else if (odin_cli_opt(argc, argv, &i, "--temperature", &val, &missing)) {
            bad = !missing && (!parse_float(val, &o.sampling.temperature) || o.sampling.temperature < 0);
        } else if (odin_cli_opt(argc, argv, &i, "--top-p", &val, &missing)) {
            bad = !missing && (!parse_float(val, &o.sampling.top_p) || o.sampling.top_p <= 0 ||
                               o.sampling.top_p > 1);
        } else if (odin_cli_opt(argc, argv, &i, "--seed", &val, &missing)) {
            char *end;
            if (!missing) {
                errno = 0;
                o.sampling.seed = strtoull(val, &end, 10);
                bad = end == val || *end || errno || val[0] == '-';
            }
        } else if (!strcmp(argv[i], "--no-echo")) {
            o.echo = false;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return odin_cli_usage(argv[0], "unknown option '%s'", argv[i]);
        } else if (!o.model) {
            o.model = argv[i];
        } else {
            return odin_cli_usage(argv[0], "more than one model given ('%s', '%s')", o.model, argv[i]);
        }
        if (missing) return odin_cli_usage(argv[0], "%s needs a value", argv[i]);
        if (bad)
            return odin_cli_usage(argv[0], "bad value '%s' for %s (--temperature >= 0, --top-p in "
                                  "(0, 1], counts are integers)", val, arg);
    }
    if (!o.model) return odin_cli_usage(argv[0], "no model given");
    if (!o.prompt) return odin_cli_usage(argv[0], "no --prompt given");
    odin_engine engine;
    odin_status st = odin_engine_parse(o.engine, &engine);
    if (st) {
        odin_cli_usage(argv[0], "%s", odin_status_message(st));
        odin_status_free(st);
        return 2;
    }
    return run(&o, engine);
}
