#!/bin/sh
# tests/t_transformers.sh BUILD — the gpt2 (kv=1) and llama LM builders against Hugging Face
# transformers. tests/fixtures/lm/{gpt2,llama} hold tiny seeded random HF checkpoints
# (model.safetensors as save_pretrained writes it) and HF's logits for 12 tokens: the full
# forward, a prefill of the first 8 with use_cache, and a forced decode of tokens 8..11
# through past_key_values (tools/hf_reference.py made them on a machine with transformers;
# this test only reads them). For both engines (ref, jit) it checks:
#  - full forward (all_logits=1, pos 0, zero caches) vs HF's full-forward logits;
#  - prefill of 8 tokens vs HF's prefill, then 4 decode steps (seq=1, pos=t, the caches
#    chained from the previous step's state_out.*) vs HF's decode logits and vs our own
#    full forward at that position;
#  - all_logits=0 gives the last row of the full forward.
# Also: GPT-2 names without the `transformer.` prefix load the same; a wrong-shaped and a
# missing checkpoint tensor give errors naming it; the default configs build and run.
#
# Tolerance: max abs error <= 1e-4 everywhere. The logits are of order 1 (|logit| up to
# ~7, the fixtures use initializer_range 0.2 so they are not near zero); float32 sums in
# another order than PyTorch's differ by ~1e-6 relative, measured max errors are ~1e-5,
# so 1e-4 has a 10x margin and still catches any real mistake (a wrong RoPE pairing,
# eps, scale or cache row moves logits by >1e-2).
BUILD=${1:-${BUILD:-build}}
ODINC=${ODINC:-$BUILD/odinc}
PY=/usr/bin/python3
FIX=tests/fixtures/lm
TOL=1e-4
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-tfm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/log" ] && sed 's/^/     | /' "$tmp/log" | tail -n 10; }

# npy helpers (numpy only; the reference values come from the fixtures)
cat >"$tmp/npy.py" <<'EOF'
import sys
import numpy as np
cmd = sys.argv[1]
if cmd == "inputs":  # DIR M HKV D: pos_T.npy for T in 0..63, zero caches, token slices
    d, m, hkv, dh = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    tok = np.load(sys.argv[6])
    for t in range(m):
        np.save(f"{d}/pos_{t}.npy", np.array([t], np.int64))
    np.save(f"{d}/cache0.npy", np.zeros((1, hkv, m, dh), np.float32))
    np.save(f"{d}/prefill.npy", tok[:, :8].copy())
    for t in range(8, tok.shape[1]):
        np.save(f"{d}/tok_{t}.npy", tok[:, t:t + 1].copy())
elif cmd == "cmp":  # ACTUAL EXPECTED TOL [ROWS a:b of the expected's axis 1]
    a, b, tol = np.load(sys.argv[2]), np.load(sys.argv[3]), float(sys.argv[4])
    if len(sys.argv) > 5 and sys.argv[5]:
        lo, hi = map(int, sys.argv[5].split(":"))
        b = b[:, lo:hi]
    if a.shape != b.shape:
        print(f"shape {a.shape} != {b.shape}")
        sys.exit(1)
    err = float(np.abs(a.astype(np.float64) - b).max())
    print(f"max abs err {err:.3g} (max |expected| {float(np.abs(b).max()):.3g})")
    sys.exit(0 if err <= tol else 1)
elif cmd in ("unprefix", "tie"):
    # unprefix IN OUT: names without 'transformer.'; tie IN OUT_COPY OUT_DROPPED:
    # lm_head := embed_tokens, and a file without lm_head
    import json, struct
    raw = open(sys.argv[2], "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    hdr.pop("__metadata__", None)
    tensors = {k: (v["dtype"], v["shape"], raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]])
               for k, v in hdr.items()}
    def write(path, ts):
        h, off, blob = {}, 0, b""
        for k, (dt, shape, b) in ts.items():
            h[k] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(b)]}
            off, blob = off + len(b), blob + b
        h = json.dumps(h).encode()
        h += b" " * (-len(h) % 8)
        open(path, "wb").write(struct.pack("<Q", len(h)) + h + blob)
    if cmd == "unprefix":
        write(sys.argv[3], {k.replace("transformer.", "", 1): v for k, v in tensors.items()})
    else:
        tensors["lm_head.weight"] = tensors["model.embed_tokens.weight"]
        write(sys.argv[3], tensors)
        del tensors["lm_head.weight"]
        write(sys.argv[4], tensors)
EOF

# cmp_npy NAME ACTUAL EXPECTED [ROWS]
cmp_npy() {
    name=$1
    shift
    if [ ! -f "$1" ]; then
        bad "$name: $1 was not written"
    elif $PY "$tmp/npy.py" cmp "$1" "$2" "$TOL" "$3" >"$tmp/cmp" 2>&1; then
        ok "$name: $(cat "$tmp/cmp")"
    else
        cp "$tmp/cmp" "$tmp/log"
        bad "$name: $(head -n 1 "$tmp/cmp")"
    fi
}

GPT2_SET="--set kv=1 --set vocab=256 --set n_ctx=64 --set n_embd=64 --set n_layer=2 --set n_head=4"
LLAMA_SET="--set vocab=256 --set n_embd=64 --set n_layer=2 --set n_head=4 --set n_kv_head=2 \
--set ffn=176 --set max_ctx=64 --set rope_theta=10000 --set rms_eps_e9=10000"

# build NAME MODEL OUT SETTINGS... (settings word-split on purpose)
build() {
    name=$1 model=$2 out=$3
    shift 3
    if "$ODINC" build-model "$model" "$@" -o "$out" >"$tmp/log" 2>&1; then return 0; fi
    bad "$name: build-model $model failed"
    return 1
}

# run_model OUTDIR MODEL ENGINE TOKENS POS STATE_DIR|"" : STATE_DIR holds state_out.*.npy
run_model() {
    outdir=$1 model=$2 engine=$3 tokens=$4 pos=$5 sdir=$6
    set -- --input "tokens=$tokens" --input "pos=$pos"
    for l in 0 1; do
        for kv in k v; do
            if [ -n "$sdir" ]; then set -- "$@" --input "state.$l.$kv=$sdir/state_out.$l.$kv.npy"
            else set -- "$@" --input "state.$l.$kv=$d/cache0.npy"; fi
        done
    done
    rm -rf "$outdir"
    "$ODINC" run "$model" --engine "$engine" --cache-dir "$tmp/cache" "$@" --out "$outdir" \
        >"$tmp/log" 2>&1
}

for m in gpt2 llama; do
    d="$tmp/$m"
    mkdir -p "$d"
    if [ "$m" = gpt2 ]; then set_=$GPT2_SET hkv=4; else set_=$LLAMA_SET hkv=2; fi
    $PY "$tmp/npy.py" inputs "$d" 64 "$hkv" 16 "$FIX/$m/tokens.npy" || { bad "$m: inputs"; continue; }
    # shellcheck disable=SC2086
    build "$m all_logits=1" "$m" "$d/all.odin" $set_ --set all_logits=1 \
        --weights "$FIX/$m/model.safetensors" || continue
    # shellcheck disable=SC2086
    build "$m all_logits=0" "$m" "$d/last.odin" $set_ --weights "$FIX/$m/model.safetensors" ||
        continue
    for e in ref jit; do
        if run_model "$d/full_$e" "$d/all.odin" "$e" "$FIX/$m/tokens.npy" "$d/pos_0.npy" ""; then
            cmp_npy "$m $e: full forward (12 tokens) vs HF" "$d/full_$e/logits.npy" "$FIX/$m/logits.npy"
        else
            bad "$m $e: full forward run failed"
        fi
        if run_model "$d/last_$e" "$d/last.odin" "$e" "$FIX/$m/tokens.npy" "$d/pos_0.npy" ""; then
            cmp_npy "$m $e: all_logits=0 vs HF last token" "$d/last_$e/logits.npy" \
                "$FIX/$m/logits.npy" 11:12
        else
            bad "$m $e: all_logits=0 run failed"
        fi
        if run_model "$d/step_7_$e" "$d/all.odin" "$e" "$d/prefill.npy" "$d/pos_0.npy" ""; then
            cmp_npy "$m $e: prefill (8 tokens) vs HF use_cache" "$d/step_7_$e/logits.npy" \
                "$FIX/$m/logits_prefill.npy"
        else
            bad "$m $e: prefill run failed"
            continue
        fi
        t=8
        while [ "$t" -lt 12 ]; do
            prev="$d/step_$((t - 1))_$e"
            if run_model "$d/step_${t}_$e" "$d/all.odin" "$e" "$d/tok_$t.npy" "$d/pos_$t.npy" "$prev"; then
                k=$((t - 8))
                cmp_npy "$m $e: decode pos $t vs HF past_key_values" "$d/step_${t}_$e/logits.npy" \
                    "$FIX/$m/logits_decode.npy" "$k:$((k + 1))"
                cmp_npy "$m $e: decode pos $t vs our full forward" "$d/step_${t}_$e/logits.npy" \
                    "$d/full_$e/logits.npy" "$t:$((t + 1))"
            else
                bad "$m $e: decode step at pos $t failed"
                break
            fi
            t=$((t + 1))
        done
    done
done

# GPT-2 parameter names without the `transformer.` prefix (GPT2Model's save) load the same.
d="$tmp/gpt2"
if $PY "$tmp/npy.py" unprefix "$FIX/gpt2/model.safetensors" "$d/plain.safetensors" &&
    # shellcheck disable=SC2086
    build "gpt2 plain names" gpt2 "$d/plain.odin" $GPT2_SET --set all_logits=1 \
        --weights "$d/plain.safetensors"; then
    if run_model "$d/plain_ref" "$d/plain.odin" ref "$FIX/gpt2/tokens.npy" "$d/pos_0.npy" ""; then
        cmp_npy "gpt2 names without transformer. prefix vs HF" "$d/plain_ref/logits.npy" \
            "$FIX/gpt2/logits.npy"
    else
        bad "gpt2 plain names: run failed"
    fi
fi

# Llama without lm_head.weight ties the head to embed_tokens: the same logits as a
# checkpoint whose lm_head is an explicit copy of embed_tokens (that path is checked
# against HF above), and different from the untied model's.
d="$tmp/llama"
if $PY "$tmp/npy.py" tie "$FIX/llama/model.safetensors" "$d/copy.safetensors" "$d/tied.safetensors" &&
    # shellcheck disable=SC2086
    build "llama copy" llama "$d/copy.odin" $LLAMA_SET --weights "$d/copy.safetensors" &&
    # shellcheck disable=SC2086
    build "llama tied" llama "$d/tied.odin" $LLAMA_SET --weights "$d/tied.safetensors"; then
    if run_model "$d/copy_ref" "$d/copy.odin" ref "$FIX/llama/tokens.npy" "$d/pos_0.npy" "" &&
        run_model "$d/tied_ref" "$d/tied.odin" ref "$FIX/llama/tokens.npy" "$d/pos_0.npy" ""; then
        cmp_npy "llama without lm_head = lm_head copied from embed_tokens" \
            "$d/tied_ref/logits.npy" "$d/copy_ref/logits.npy"
        if $PY "$tmp/npy.py" cmp "$d/tied_ref/logits.npy" "$FIX/llama/logits.npy" 1e-2 11:12 \
            >/dev/null 2>&1; then
            bad "llama tied head: logits equal the untied model's"
        else
            ok "llama tied head differs from the untied model"
        fi
    else
        bad "llama tied head: run failed"
    fi
fi

# expect NAME PATTERN -- CMD...: CMD must fail (exit 1) with a line matching PATTERN.
expect() {
    name=$1 pattern=$2
    shift 3
    "$@" >"$tmp/log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then bad "$name: succeeded"
    elif ! grep -qE "$pattern" "$tmp/log"; then bad "$name: no line matches /$pattern/"
    else ok "$name: $(grep -E "$pattern" "$tmp/log" | head -n 1)"; fi
}
# n_kv_head=4 makes k_proj [64, 64] while the checkpoint has [32, 64]
# shellcheck disable=SC2086
expect "llama wrong-shaped tensor names it" 'model\.layers\.0\.self_attn\.k_proj\.weight' -- \
    "$ODINC" build-model llama $LLAMA_SET --set n_kv_head=4 --weights "$FIX/llama/model.safetensors" \
    -o "$tmp/x.odin"
# shellcheck disable=SC2086
expect "gpt2 wrong-shaped tensor names it" 'transformer\.wpe\.weight' -- \
    "$ODINC" build-model gpt2 $GPT2_SET --set n_ctx=128 --weights "$FIX/gpt2/model.safetensors" \
    -o "$tmp/x.odin"
# shellcheck disable=SC2086
expect "llama missing tensor names it" 'model\.layers\.2\.' -- \
    "$ODINC" build-model llama $LLAMA_SET --set n_layer=3 --weights "$FIX/llama/model.safetensors" \
    -o "$tmp/x.odin"

# The default configs build and run one decode step (seq 1) on the JIT, with the LM
# contract's shapes and metadata.
for spec in "gpt2 --set kv=1" "llama"; do
    # shellcheck disable=SC2086
    set -- $spec
    m=$1
    shift
    if ! build "$m default" "$m" "$tmp/def.odin" "$@"; then continue; fi
    if "$ODINC" run "$tmp/def.odin" --shape seq=1 --out "$tmp/def_out" >"$tmp/log" 2>&1 &&
        grep -qE '^logits: f32 \[1,1,(1024|32000)\]' "$tmp/log" &&
        grep -qE '^state_out\.0\.k: f32 \[1,4,(256|1024),(64)\]' "$tmp/log"; then
        ok "$m default config builds and runs a decode step"
    else
        bad "$m default config: run failed or unexpected shapes"
    fi
    rm -f "$tmp/def.odin"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
