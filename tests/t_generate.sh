#!/bin/sh
# tests/t_generate.sh BUILD — `odinc generate` end to end on a small RWKV-v6 and a small
# Llama (random weights): greedy text from the JIT equals the reference interpreter's (the
# oracle), the JSON line's keys and values, seeded sampling, an RWKV World vocabulary
# file, and clear errors (no LM contract, vocabularies that do not fit, bad options).
B=${1:-${BUILD:-build}}
ODINC="$B/odinc"
PY=/usr/bin/python3
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-generate.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/out" ] && sed 's/^/     | /' "$tmp/out" | head -n 10; }
# expect NAME RC PATTERN -- CMD...: exit code and a line matching the grep -E pattern.
expect() {
    name=$1 want_rc=$2 pattern=$3
    shift 4
    "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then bad "$name: exit $rc, expected $want_rc"
    elif ! grep -qE "$pattern" "$tmp/out"; then bad "$name: no line matches /$pattern/"
    else ok "$name"; fi
}

"$ODINC" build-model rwkv6 --set n_layer=2 --set n_embd=64 --set head_size=16 --set vocab=300 \
    -o "$tmp/rwkv.odin" >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
"$ODINC" build-model llama --set n_layer=2 --set n_embd=64 --set n_head=4 --set n_kv_head=2 \
    --set ffn=96 --set vocab=320 --set max_ctx=64 -o "$tmp/llama.odin" >/dev/null ||
    { echo "0 passed, 1 failed"; exit 1; }
"$ODINC" build-model mlp -o "$tmp/mlp.odin" >/dev/null

prompt='Hello, wörld'
for m in rwkv llama; do
    for e in jit ref; do
        "$ODINC" generate "$tmp/$m.odin" --prompt "$prompt" --max-tokens 12 --engine $e \
            --chunk 4 --cache-dir "$tmp/cache" >"$tmp/$m.$e" 2>"$tmp/$m.$e.err"
        echo $? >"$tmp/$m.$e.rc"
    done
    # text = everything but the last (JSON) line
    if [ "$(cat "$tmp/$m.jit.rc")" -eq 0 ] && [ "$(cat "$tmp/$m.ref.rc")" -eq 0 ] &&
        [ "$(sed '$d' "$tmp/$m.jit")" = "$(sed '$d' "$tmp/$m.ref")" ]; then
        ok "$m: greedy text from the JIT equals the reference interpreter's"
    else
        bad "$m: jit and ref differ (rc $(cat "$tmp/$m.jit.rc") $(cat "$tmp/$m.ref.rc")): $(cat "$tmp/$m.jit.err" "$tmp/$m.ref.err")"
    fi
    if $PY - "$tmp/$m.jit" "$prompt" <<'EOF'; then ok "$m: JSON line and echoed prompt"; else bad "$m: JSON line"; fi
import json, sys
raw = open(sys.argv[1], "rb").read()
text, _, last = raw.rstrip(b"\n").rpartition(b"\n")
j = json.loads(last)
prompt = sys.argv[2].encode()
need = ["prompt_tokens", "generated_tokens", "prefill_tok_s", "decode_tok_s", "compile_ms", "peak_rss_mb"]
assert all(k in j for k in need), j
assert text.startswith(prompt), text[:40]
assert j["prompt_tokens"] == len(prompt), j            # byte tokenizer: one id per byte
assert j["generated_tokens"] == 12 and j["decode_steps"] == 11, j
assert j["prefill_tok_s"] > 0 and j["decode_tok_s"] > 0 and j["compile_ms"] > 0, j
assert j["compiles"] == 2, j                              # 13 bytes, chunk 4: 4, 4, 4, 1
assert 1 < j["peak_rss_mb"] < 4096 and j["engine"] == "jit", j
EOF
done

# Seeded sampling: the same seed gives the same text; the tokens are in the vocabulary.
s1=$("$ODINC" generate "$tmp/rwkv.odin" --prompt abc --max-tokens 20 --temperature 1.2 --top-k 50 --top-p 0.9 --seed 7 --cache-dir "$tmp/cache" 2>&1 | sed '$d')
s2=$("$ODINC" generate "$tmp/rwkv.odin" --prompt abc --max-tokens 20 --temperature 1.2 --top-k 50 --top-p 0.9 --seed 7 --cache-dir "$tmp/cache" 2>&1 | sed '$d')
s3=$("$ODINC" generate "$tmp/rwkv.odin" --prompt abc --max-tokens 20 --temperature 1.2 --seed 8 --cache-dir "$tmp/cache" 2>&1 | sed '$d')
if [ -n "$s1" ] && [ "$s1" = "$s2" ] && [ "$s1" != "$s3" ]; then ok "sampling: seeded"; else bad "sampling: '$s1' '$s2' '$s3'"; fi

# An RWKV World vocabulary: 256 single bytes (ids 1..256) and two longer tokens;
# "Hello, wo" is Hello + ", w" + o.
$PY - "$tmp/vocab.txt" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for b in range(256):
        f.write("%d %r %d\n" % (b + 1, bytes([b]), 1))
    f.write("257 'Hello' 5\n258 ', w' 3\n")
EOF
expect "rwkv vocab: prompt encodes greedily" 0 '"prompt_tokens":3,' -- \
    "$ODINC" generate "$tmp/rwkv.odin" --tokenizer "$tmp/vocab.txt" --prompt "Hello, wo" --max-tokens 2 --cache-dir "$tmp/cache"
$PY -c "
with open('$tmp/big.txt', 'w') as f:
    f.write(open('$tmp/vocab.txt').read() + \"400 'xyz' 3\n\")"
expect "tokenizer larger than the model" 1 'has ids up to 400, but the model.s vocabulary has only 300' -- \
    "$ODINC" generate "$tmp/rwkv.odin" --tokenizer "$tmp/big.txt" --prompt hi
"$ODINC" build-model rwkv6 --set n_layer=1 --set n_embd=32 --set head_size=16 --set vocab=100 -o "$tmp/small.odin" >/dev/null
expect "vocab below 256 needs a tokenizer" 1 'fewer than the 256 of the byte tokenizer' -- \
    "$ODINC" generate "$tmp/small.odin" --prompt hi
expect "not a language model" 1 'is not a language model graph: it has no input named .tokens.' -- \
    "$ODINC" generate "$tmp/mlp.odin" --prompt hi
expect "no prompt" 2 'no --prompt given' -- "$ODINC" generate "$tmp/rwkv.odin"
expect "bad top-p" 2 "bad value '1.5' for --top-p" -- "$ODINC" generate "$tmp/rwkv.odin" --prompt a --top-p 1.5
expect "unknown engine" 2 "unknown engine 'gpu'" -- "$ODINC" generate "$tmp/rwkv.odin" --prompt a --engine gpu
expect "llama context full" 1 'context is full: 64 tokens fed' -- \
    "$ODINC" generate "$tmp/llama.odin" --prompt "$(printf '%070d' 0)" --engine ref

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
