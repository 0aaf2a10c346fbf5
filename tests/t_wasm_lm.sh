#!/bin/sh
# tests/t_wasm_lm.sh BUILD — language models compiled ahead of time and to wasm, with
# sessions: a small RWKV-v6 and a small GPT-2 (kv=1), vocabulary 256, prompt chunks of 4.
# The greedy ids and every step's logits of: the AOT shared library's session API (a C
# program built against the generated header), the static library, the executable's
# --prompt-ids mode, the wasm module's session in Node (m.session()) and its
# --prompt-ids CLI, and the demo page tools/demo_web/index.html in headless Chromium
# (Debian's chromium driven by npm playwright-core under BUILD/node_modules; no browser is
# ever downloaded) — against the reference interpreter (`odinc generate --engine ref
# --logits-out`): same ids, logits within 1e-4. The wasm build has a plain and a relaxed-SIMD
# module: the session runs on each (Node with and without relaxed SIMD), and the page must
# pick the relaxed one. Also session errors (bad token, reset).
# Prints the sizes and decode tokens/s (JIT, AOT, wasm) as info lines.
B=${1:-${BUILD:-build}}
ODINC="$B/odinc"
PY=/usr/bin/python3
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-wasm-lm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/log" ] && sed 's/^/     | /' "$tmp/log" | head -n 15; }
run() {
    name=$1
    shift
    if "$@" >"$tmp/log" 2>&1; then ok "$name"; else bad "$name (exit $?)"; fi
}
json_field() { sed -n 's/.*"'"$2"'":\([0-9.]*\).*/\1/p' "$1" | tail -n 1; }

PROMPT='Hello world'
IDS=$($PY -c "print(','.join(str(b) for b in b'$PROMPT'))")
N=8
CHUNK=4

# same NAME IDS_FILE [LOGITS_FILE] (for model $m): ids (one line, spaces or commas) equal
# the reference's greedy ids; the logits (raw f32 [N, vocab]) are within 1e-4
same() {
    if $PY - "$tmp/$m.ref.npy" "$2" "${3:-}" >"$tmp/log" 2>&1 <<'PYEOF'; then ok "$m: $1"; else bad "$m: $1"; fi
import re, sys
import numpy as np
ref = np.load(sys.argv[1])
want = [int(np.argmax(r)) for r in ref]
text = open(sys.argv[2]).read()
line = [l for l in text.splitlines() if re.fullmatch(r"[0-9]+([ ,][0-9]+)*", l.strip())]
got = [int(x) for x in re.split(r"[ ,]", line[0].strip())] if line else None
print("want", want, "got", got)
assert got == want, "ids differ"
if sys.argv[3]:
    lg = np.fromfile(sys.argv[3], dtype=np.float32).reshape(ref.shape)
    err = np.abs(lg - ref).max()
    print("max abs logits diff", err)
    assert np.allclose(lg, ref, rtol=1e-4, atol=1e-4), err
PYEOF
}

# A C program on the generated header's session API: prefill the prompt, N greedy tokens
# (ids to stdout, logits to argv[1]), then a bad token (ERR_ARGUMENT, message, state kept)
# and a reset (the first logits again, bit for bit).
cat >"$tmp/session.c" <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include HEADER
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define F(x) CAT(MODEL, x)

static int argmax(const float *l, int64_t n) {
    int best = -1;
    for (int64_t i = 0; i < n; i++)
        if (l[i] == l[i] && (best < 0 || l[i] > l[best])) best = (int)i;
    return best;
}

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    int32_t prompt[256];
    int n = 0, max_tokens = atoi(argv[3]);
    for (char *p = strtok(argv[2], ","); p && n < 256; p = strtok(NULL, ",")) prompt[n++] = atoi(p);
    odin_lm_session *s = NULL;
    if (F(_session_create)(&s)) { fprintf(stderr, "create: %s\n", F(_last_error)()); return 1; }
    int64_t V = F(_session_vocab)(s);
    float *all = calloc((size_t)(V * max_tokens), sizeof *all), *first = calloc((size_t)V, sizeof *first);
    if (F(_session_prefill)(s, prompt, n)) { fprintf(stderr, "prefill: %s\n", F(_last_error)()); return 1; }
    memcpy(first, F(_session_logits)(s), sizeof *first * (size_t)V);
    for (int i = 0; i < max_tokens; i++) {
        const float *l = F(_session_logits)(s);
        memcpy(all + (size_t)i * (size_t)V, l, sizeof *all * (size_t)V);
        int id = argmax(l, V);
        printf("%s%d", i ? " " : "", id);
        if (i + 1 < max_tokens && F(_session_step)(s, id)) { fprintf(stderr, "step: %s\n", F(_last_error)()); return 1; }
    }
    printf("\n");
    FILE *f = fopen(argv[1], "wb");
    fwrite(all, sizeof *all, (size_t)(V * max_tokens), f);
    fclose(f);
    int64_t pos = F(_session_pos)(s);
    int rc = F(_session_step)(s, (int32_t)V);
    if (rc != ODIN_MODEL_ERR_ARGUMENT || !strstr(F(_last_error)(), "vocabulary") || F(_session_pos)(s) != pos) {
        fprintf(stderr, "bad token: rc %d, '%s', pos %lld\n", rc, F(_last_error)(), (long long)F(_session_pos)(s));
        return 1;
    }
    if (F(_session_prefill)(s, prompt, 0) != ODIN_MODEL_ERR_ARGUMENT) { fprintf(stderr, "empty prefill accepted\n"); return 1; }
    F(_session_reset)(s);
    if (F(_session_pos)(s) != 0 || F(_session_prefill)(s, prompt, n) ||
        memcmp(first, F(_session_logits)(s), sizeof *first * (size_t)V)) {
        fprintf(stderr, "reset: the prompt's logits differ from the first time\n");
        return 1;
    }
    printf("pos %lld after reset and prefill\n", (long long)F(_session_pos)(s));
    F(_session_destroy)(s);
    free(all);
    free(first);
    return 0;
}
EOF2

# The wasm session in Node: the same, through m.session().
cat >"$tmp/session.mjs" <<'EOF2'
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
const [mjs, out, ids, max, simd] = process.argv.slice(2);
const { load } = await import(pathToFileURL(mjs).href);
const m = await load(undefined, { simd });
if (m.simd !== simd) throw new Error(`asked for the ${simd} module, runs ${m.simd}`);
const s = m.session();
const prompt = new Int32Array(ids.split(',').map(Number));
let logits = s.prefill(prompt);
const first = logits.slice();
const all = new Float32Array(s.vocab * Number(max));
const got = [];
for (let i = 0; i < Number(max); i++) {
  all.set(s.logits, i * s.vocab);
  let best = -1;
  for (let k = 0; k < s.vocab; k++) if (logits[k] === logits[k] && (best < 0 || logits[k] > logits[best])) best = k;
  got.push(best);
  if (i + 1 < Number(max)) logits = s.step(best);
}
console.log(got.join(' '));
fs.writeFileSync(out, new Uint8Array(all.buffer));
const pos = s.pos;
let threw = false;
try { s.step(s.vocab); } catch (e) { threw = /vocabulary/.test(e.message); }
if (!threw || s.pos !== pos) throw new Error('a bad token must throw and keep the state');
s.reset();
const again = s.prefill(Array.from(prompt));
if (s.pos !== prompt.length || again.some((v, k) => v !== first[k])) throw new Error('reset: the prompt logits differ');
console.log(`pos ${s.pos} after reset and prefill`);
EOF2

"$ODINC" build-model rwkv6 --set n_layer=2 --set n_embd=64 --set head_size=16 --set vocab=256 \
    -o "$tmp/rwkv.odin" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
"$ODINC" build-model gpt2 --set kv=1 --set n_layer=2 --set n_embd=64 --set n_head=4 \
    --set vocab=256 --set n_ctx=128 --set seed=3 -o "$tmp/gpt2.odin" >/dev/null ||
    { echo "0 passed, 1 failed"; exit 1; }

# Node 20 runs relaxed SIMD behind a flag; Node 22+ has it on.
relaxed_flag=""
node --experimental-wasm-relaxed-simd -e 0 >/dev/null 2>&1 && relaxed_flag=--experimental-wasm-relaxed-simd

have_browser=0
if [ ! -x /usr/bin/chromium ]; then
    bad "browser: /usr/bin/chromium is missing (apt-get install chromium; tools/deps.sh lists it)"
elif ! { [ -d "$B/node_modules/playwright-core" ] ||
         npm install --prefix "$B" --no-save --no-audit --no-fund playwright-core >"$tmp/log" 2>&1; }; then
    bad "browser: npm install playwright-core into $B/node_modules failed"
else
    have_browser=1
fi

for m in rwkv gpt2; do
    run "$m: reference logits (odinc generate --engine ref --logits-out)" \
        "$ODINC" generate "$tmp/$m.odin" --prompt "$PROMPT" --max-tokens $N --engine ref --no-echo \
        --logits-out "$tmp/$m.ref.npy"
    "$ODINC" generate "$tmp/$m.odin" --prompt "$PROMPT" --max-tokens 64 --no-echo --chunk $CHUNK --threads 1 \
        >"$tmp/$m.jit" 2>&1

    # ---- AOT: shared library + header, static library, executable ----
    run "$m: odinc compile --emit shared" "$ODINC" compile "$tmp/$m.odin" --emit shared \
        -o "$tmp/lib$m.so" --chunk $CHUNK
    if grep -q "${m}_session_prefill" "$tmp/lib$m.h" && grep -q "${m}_session_step" "$tmp/lib$m.h"; then
        ok "$m: the header declares the session API"
    else bad "$m: the header lacks ${m}_session_*"; fi
    run "$m: C program against the header" clang-19 -std=c11 -O1 -Wall -Wextra -Werror \
        -DMODEL=$m "-DHEADER=\"lib$m.h\"" -I"$tmp" "$tmp/session.c" -o "$tmp/$m.shared" \
        -L"$tmp" -l$m -Wl,-rpath,"$tmp" -lm -lpthread
    run "$m: shared library session (errors, reset)" sh -c "'$tmp/$m.shared' '$tmp/$m.aot.f32' $IDS $N >'$tmp/$m.aot.ids'"
    same "shared library session = ref (ids, logits)" "$tmp/$m.aot.ids" "$tmp/$m.aot.f32"
    if [ $m = gpt2 ]; then
        run "$m: odinc compile --emit static" "$ODINC" compile "$tmp/$m.odin" --emit static \
            -o "$tmp/lib${m}st.a" --chunk $CHUNK
        run "$m: C program against the static library" clang-19 -std=c11 -O1 -DMODEL=${m}st \
            "-DHEADER=\"lib${m}st.h\"" -I"$tmp" "$tmp/session.c" -o "$tmp/$m.static" \
            "$tmp/lib${m}st.a" -lm -lpthread
        run "$m: static library session" sh -c "'$tmp/$m.static' '$tmp/$m.st.f32' $IDS $N >'$tmp/$m.st.ids'"
        same "static library session = ref (ids, logits)" "$tmp/$m.st.ids" "$tmp/$m.st.f32"
    fi
    run "$m: odinc compile (exe)" "$ODINC" compile "$tmp/$m.odin" -o "$tmp/$m.exe" --chunk $CHUNK
    run "$m: exe --prompt-ids" sh -c "'$tmp/$m.exe' --prompt-ids $IDS --max-tokens $N >'$tmp/$m.exe.out'"
    same "exe --prompt-ids = ref (ids)" "$tmp/$m.exe.out"
    "$tmp/$m.exe" --prompt-ids $IDS --max-tokens 64 --threads 1 >"$tmp/$m.exe.bench" 2>&1

    # ---- wasm: Node session, CLI, browser page ----
    run "$m: odinc wasm" "$ODINC" wasm "$tmp/$m.odin" -o "$tmp/${m}w.wasm" --chunk $CHUNK
    for w in ${m}w.wasm ${m}w.relaxed.wasm; do
        if node $relaxed_flag -e '
const m = new WebAssembly.Module(require("fs").readFileSync(process.argv[1]));
const ex = WebAssembly.Module.exports(m).map((e) => e.name);
const need = ["odin_run", "odin_io", "odin_run_prefill", "odin_io_prefill", "memory"];
process.exit(WebAssembly.Module.imports(m).length === 0 && need.every((n) => ex.includes(n)) ? 0 : 1);
' "$tmp/$w"; then ok "$w: module imports nothing, exports both entries"
        else bad "$w: module imports or exports"; fi
    done
    for simd in plain relaxed; do
        run "$m: wasm session in Node, $simd module (errors, reset)" sh -c "node $relaxed_flag '$tmp/session.mjs' '$tmp/${m}w.mjs' '$tmp/$m.wasm.f32' $IDS $N $simd >'$tmp/$m.wasm.ids'"
        same "wasm session ($simd) = ref (ids, logits)" "$tmp/$m.wasm.ids" "$tmp/$m.wasm.f32"
    done
    run "$m: node OUT.mjs --prompt-ids" sh -c "node '$tmp/${m}w.mjs' --prompt-ids $IDS --max-tokens $N >'$tmp/$m.node.out'"
    same "node --prompt-ids = ref (ids)" "$tmp/$m.node.out"
    node "$tmp/${m}w.mjs" --prompt-ids $IDS --max-tokens 64 >"$tmp/$m.node.bench" 2>&1
    if [ $have_browser = 1 ]; then
        run "$m: demo page in chromium" sh -c "node tests/wasm_lm_browser.mjs '$B' '$tmp' '${m}w' '$PROMPT' $N >'$tmp/$m.page'"
        $PY -c 'import json,sys; print(" ".join(map(str, json.load(open(sys.argv[1]))["ids"])))' \
            "$tmp/$m.page" >"$tmp/$m.page.ids" 2>/dev/null
        same "demo page = ref (ids)" "$tmp/$m.page.ids"
        if grep -q '"simd":"relaxed"' "$tmp/$m.page"; then ok "$m: the page runs the relaxed module"
        else bad "$m: the page did not pick the relaxed module"; fi
    fi

    node $relaxed_flag "$tmp/${m}w.mjs" --prompt-ids $IDS --max-tokens 64 >"$tmp/$m.noder.bench" 2>&1
    wasm_size=$(wc -c <"$tmp/${m}w.wasm")
    relaxed_size=$(wc -c <"$tmp/${m}w.relaxed.wasm")
    exe_size=$(wc -c <"$tmp/$m.exe")
    echo "info $m: .wasm $wasm_size bytes, .relaxed.wasm $relaxed_size bytes, exe $exe_size bytes;" \
        "decode tok/s (64 tokens, 1 thread): jit $(json_field "$tmp/$m.jit" decode_tok_s)," \
        "aot $(json_field "$tmp/$m.exe.bench" decode_tok_s), wasm $(json_field "$tmp/$m.node.bench" decode_tok_s)" \
        "(relaxed $(json_field "$tmp/$m.noder.bench" decode_tok_s))"
done

# ---- errors ----
run "--chunk 1 is refused" sh -c "! '$ODINC' compile '$tmp/rwkv.odin' -o '$tmp/x' --chunk 1 2>'$tmp/err' && grep -q 'chunk' '$tmp/err'"
run "exe: bad --prompt-ids" sh -c "! '$tmp/rwkv.exe' --prompt-ids 1,x 2>'$tmp/err' && grep -q 'prompt-ids' '$tmp/err'"
run "exe: a token outside the vocabulary" sh -c "! '$tmp/rwkv.exe' --prompt-ids 1,256 2>'$tmp/err' && grep -q 'vocabulary' '$tmp/err'"
run "node: a token outside the vocabulary" sh -c "! node '$tmp/rwkvw.mjs' --prompt-ids 1,256 2>'$tmp/err' && grep -q 'vocabulary' '$tmp/err'"

# A session of a library compiled with --weights FILE maps the file once (its prefill and
# decode instances share the mapping; counted in /proc/self/maps) and gives the same ids
# and logits as the reference.
mkdir -p "$tmp/wf"
cat >"$tmp/maps.c" <<'EOF2'
#include <stdio.h>
#include <string.h>
#include "libgpt2wf.h"
int main(void) {
    odin_lm_session *s = NULL;
    int32_t prompt[5] = {72, 101, 108, 108, 111};
    if (gpt2wf_session_create(&s) || gpt2wf_session_prefill(s, prompt, 5)) {
        fprintf(stderr, "%s\n", gpt2wf_last_error());
        return 1;
    }
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) n += strstr(line, "/gpt2wf.bin") != NULL;
    if (f) fclose(f);
    printf("mappings %d\n", n);
    gpt2wf_session_destroy(s);
    return 0;
}
EOF2
if "$ODINC" compile "$tmp/gpt2.odin" --emit shared -o "$tmp/wf/libgpt2wf.so" --weights "$tmp/wf/gpt2wf.bin" \
        --chunk $CHUNK >"$tmp/log" 2>&1 &&
    clang-19 -std=c11 -Wall -Werror -I"$tmp/wf" "$tmp/maps.c" -o "$tmp/maps" -L"$tmp/wf" -lgpt2wf \
        -Wl,-rpath,"$tmp/wf" >"$tmp/log" 2>&1 && "$tmp/maps" >"$tmp/log" 2>&1 &&
    grep -q '^mappings 1$' "$tmp/log"; then
    ok "session with --weights FILE maps the file once"
else
    bad "session with --weights FILE maps the file once"
fi
m=gpt2
run "$m: C program against the --weights FILE library" clang-19 -std=c11 -O1 -DMODEL=gpt2wf \
    "-DHEADER=\"libgpt2wf.h\"" -I"$tmp/wf" "$tmp/session.c" -o "$tmp/wf/session" \
    -L"$tmp/wf" -lgpt2wf -Wl,-rpath,"$tmp/wf" -lm -lpthread
run "$m: --weights FILE library session" sh -c "'$tmp/wf/session' '$tmp/wf.f32' $IDS $N >'$tmp/wf.ids'"
same "--weights FILE library session = ref (ids, logits)" "$tmp/wf.ids" "$tmp/wf.f32"

# A direct call of the decode entry (no session) at pos = max_ctx (128 for this gpt2): the
# C API's ERR_RUN and the wasm loader's exception carry the kernel's message with pos, T
# and the limit; pos = max_ctx - 1 runs.
cat >"$tmp/direct.c" <<'EOF2'
#include <stdio.h>
#include <stdlib.h>
#include "libgpt2.h"
int main(int argc, char **argv) {
    odin_model *m = gpt2_create();
    if (!m) return 1;
    void *ins[GPT2_NUM_INPUTS], *outs[GPT2_NUM_OUTPUTS];
    for (int i = 0; i < GPT2_NUM_INPUTS; i++) ins[i] = calloc(1, (size_t)gpt2_inputs[i].nbytes);
    for (int i = 0; i < GPT2_NUM_OUTPUTS; i++) outs[i] = calloc(1, (size_t)gpt2_outputs[i].nbytes);
    for (int a = 1; a < argc; a++) {
        *(long long *)ins[1] = atoll(argv[a]); /* input 1 is pos */
        int rc = gpt2_run(m, ins, outs);
        printf("pos %s: %d %s\n", argv[a], rc, rc ? gpt2_last_error() : "ok");
    }
    gpt2_destroy(m);
    for (int i = 0; i < GPT2_NUM_INPUTS; i++) free(ins[i]);
    for (int i = 0; i < GPT2_NUM_OUTPUTS; i++) free(outs[i]);
    return 0;
}
EOF2
cat >"$tmp/direct.mjs" <<'EOF2'
import { pathToFileURL } from 'node:url';
const { load } = await import(pathToFileURL(process.argv[2]).href);
const m = await load();
for (const pos of process.argv.slice(3)) {
  const inputs = {};
  for (const t of m.inputs) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    inputs[t.name] = t.dtype === 'i64' ? new BigInt64Array(n) : new Float32Array(n);
  }
  inputs.pos[0] = BigInt(pos);
  try { m.run(inputs); console.log(`pos ${pos}: ok`); } catch (e) { console.log(`pos ${pos}: ${e.message}`); }
}
EOF2
msg='pos 128 + T 1 > max_ctx 128 .*pos must be in \[0, 127\]'
if clang-19 -std=c11 -Wall -Werror -I"$tmp" "$tmp/direct.c" -o "$tmp/direct" -L"$tmp" -lgpt2 \
        -Wl,-rpath,"$tmp" >"$tmp/log" 2>&1 && "$tmp/direct" 127 128 >"$tmp/direct.out" 2>&1 &&
    grep -q '^pos 127: 0 ok' "$tmp/direct.out" && grep -q "^pos 128: 4 .*CachedAttention: $msg" "$tmp/direct.out"; then
    ok "AOT direct call past max_ctx: $(grep '^pos 128' "$tmp/direct.out")"
else
    cp "$tmp/direct.out" "$tmp/log" 2>/dev/null
    bad "AOT direct call past max_ctx names pos, T and the limit"
fi
if node "$tmp/direct.mjs" "$tmp/gpt2w.mjs" 127 128 >"$tmp/direct.out" 2>&1 &&
    grep -q '^pos 127: ok' "$tmp/direct.out" && grep -q "^pos 128: .*CachedAttention: $msg" "$tmp/direct.out"; then
    ok "wasm direct run past max_ctx: $(grep '^pos 128' "$tmp/direct.out")"
else
    cp "$tmp/direct.out" "$tmp/log" 2>/dev/null
    bad "wasm direct run past max_ctx names pos, T and the limit"
fi
run "binding seq with --shape builds one static program" sh -c \
    "'$ODINC' wasm '$tmp/rwkv.odin' -o '$tmp/static.wasm' --shape seq=1 && ! grep -q '^META.lm = ' '$tmp/static.mjs'"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
