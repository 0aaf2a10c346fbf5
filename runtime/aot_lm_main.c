/* runtime/aot_lm_main.c — the command line of an executable compiled from a language
 * model:  EXE --prompt-ids 1,2,3 [--max-tokens N] [--threads N] [--weights FILE]
 * feeds the prompt ids through a session (prefill entry for whole chunks, decode entry for
 * the rest), then generates greedily: the new ids on one line as they come, then a JSON
 * line of counts and speeds. Without --prompt-ids it is the .npy command line of the
 * decode entry (runtime/aot_main.c). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot_session.h"
#include "report.h"
#include "sample.h"
#include "threads.h"

static void usage(FILE *f, const char *prog, const odin_aot_lm *d) {
    fprintf(f,
            "usage: %s --prompt-ids ID,ID,... [--max-tokens N] [--threads N] [--weights FILE]\n"
            "       %s [--threads N] [--bench N] [--out DIR] INPUT.npy...   (the decode entry)\n\n"
            "Greedy generation with the compiled language model '%s' (vocabulary %lld, prompt\n"
            "chunks of %lld tokens): prints the new token ids on one line, then a JSON line\n"
            "(prompt_tokens, generated_tokens, prefill_tok_s, decode_tok_s, tokens).\n"
            "--max-tokens N: tokens to generate (default 16).\n",
            prog, prog, d->name, (long long)d->vocab, (long long)d->prefill_tokens);
}

/* "1,2,3" -> ids (malloc'ed). */
static int parse_ids(const char *text, int32_t **ids, int64_t *n) {
    size_t cap = 1;
    for (const char *p = text; *p; p++) cap += *p == ',';
    *ids = malloc(sizeof **ids * cap);
    *n = 0;
    if (!*ids) return 0;
    for (const char *p = text;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX) return 0;
        (*ids)[(*n)++] = (int32_t)v;
        if (!*end) return 1;
        if (*end != ',') return 0;
        p = end + 1;
    }
}

static int generate(const char *prog, const odin_aot_lm *d, const int32_t *prompt, int64_t n_prompt,
                    int max_tokens, const char *weights) {
    odin_aot_session *s = NULL;
    int32_t *out = calloc((size_t)max_tokens + 1, sizeof *out);
    if (!out) return 1;
    int rc = odin_aot_session_create(d, weights, &s);
    double t0 = odin_now_ms(), prefill_ms = 0, decode_ms = 0;
    if (!rc) rc = odin_aot_session_prefill(s, prompt, n_prompt);
    prefill_ms = odin_now_ms() - t0;
    int generated = 0, steps = 0;
    for (int i = 0; !rc && i < max_tokens; i++) {
        int64_t id = odin_argmax(odin_aot_session_logits(s), d->vocab);
        if (id < 0) {
            rc = odin_aot_set_error(ODIN_AOT_ERR_RUN, "every logit is NaN");
            break;
        }
        out[generated++] = (int32_t)id;
        printf("%s%lld", i ? " " : "", (long long)id);
        fflush(stdout);
        if (i + 1 == max_tokens) break;
        t0 = odin_now_ms();
        rc = odin_aot_session_step(s, (int32_t)id);
        decode_ms += odin_now_ms() - t0;
        steps++;
    }
    printf("\n");
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, odin_aot_last_error());
    } else {
        printf("{\"model\":");
        odin_print_json_string(stdout, d->name);
        printf(",\"engine\":\"aot\",\"threads\":%d,\"prompt_tokens\":%lld,"
               "\"generated_tokens\":%d,\"prefill_ms\":%.3f,\"prefill_tok_s\":%.3f,\"decode_ms\":%.3f,"
               "\"decode_steps\":%d,\"decode_tok_s\":%.3f,\"tokens\":[",
               odin_rt_threads(), (long long)n_prompt, generated, prefill_ms,
               prefill_ms > 0 ? n_prompt / (prefill_ms / 1e3) : 0, decode_ms, steps,
               decode_ms > 0 ? steps / (decode_ms / 1e3) : 0);
        for (int i = 0; i < generated; i++) printf("%s%d", i ? "," : "", out[i]);
        printf("]}\n");
    }
    odin_aot_session_destroy(s);
    free(out);
    return rc ? 1 : 0;
}

int odin_aot_lm_main(int argc, char **argv, const odin_aot_lm *d) {
    const char *prog = argc > 0 ? argv[0] : d->name;
    const char *ids_text = NULL, *weights = NULL;
    int max_tokens = 16, threads = 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--prompt-ids")) ids_text = i + 1 < argc ? argv[i + 1] : "";
    if (!ids_text) {
        for (int i = 1; i < argc; i++)
            if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) usage(stdout, prog, d);
        return odin_aot_main(argc, argv, d->decode);
    }
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        long v = val ? strtol(val, &end, 10) : -1;
        bool count = val && end != val && !*end && v >= 0 && v <= 1000000;
        if (!strcmp(a, "--prompt-ids") && val) {
        } else if (!strcmp(a, "--max-tokens") && count) {
            max_tokens = (int)v;
        } else if (!strcmp(a, "--threads") && count && v > 0) {
            threads = (int)v;
        } else if (!strcmp(a, "--weights") && val) {
            weights = val;
        } else {
            if (!val) fprintf(stderr, "%s: %s needs a value (--help lists the options)\n", prog, a);
            else fprintf(stderr, "%s: bad value '%s' for %s (--help lists the options)\n", prog, val, a);
            return 2;
        }
    }
    int32_t *ids = NULL;
    int64_t n = 0;
    if (!parse_ids(ids_text, &ids, &n)) {
        fprintf(stderr, "%s: --prompt-ids expects ids like 1,2,3, got '%s'\n", prog, ids_text);
        free(ids);
        return 2;
    }
    odin_rt_set_threads(threads);
    int rc = generate(prog, d, ids, n, max_tokens, weights);
    free(ids);
    return rc;
}
