#!/bin/sh
# tests/t_rwkv6.sh — the rwkv6 builder against tools/rwkv6_reference.py, an independent
# PyTorch RWKV-v6 (float64, sequential WKV) that also writes the random checkpoint:
# - every token's logits and the final state, from a zero and from a random initial state,
#   on the ref and jit engines (max abs err <= 1e-4 on logits of order 1, state atol 1e-4
#   + rtol 1e-4);
# - prefill of T tokens (all_logits=0 graph: last token only) equals T single-token steps
#   chained through state_out -> state (each step's logits vs the prefill's, final state,
#   rtol 1e-4);
# - sizes left at their defaults come from the checkpoint; a contradicting one is an error;
# - a checkpoint tensor of the wrong shape fails naming the tensor and both shapes;
# - with RWKV6_FULL=1: the default 0.1B config (random weights) builds (a 788 MB .odin, tens
#   of seconds) and runs one token with finite, non-degenerate logits; off by default.
# Usage: tests/t_rwkv6.sh [BUILD]   (default: $BUILD or build)
if [ -n "$1" ]; then BUILD=$1 ODINC=$1/odinc; fi
BUILD=${BUILD:-build}
ODINC=${ODINC:-$BUILD/odinc}
PY=/usr/bin/python3
T=37  # tokens of the reference runs: two WKV prefill chunks of 16 and a remainder
TC=18 # chained decode steps (crosses a chunk boundary)
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-rwkv6.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
    [ -f "$tmp/log" ] && sed 's/^/     | /' "$tmp/log" | tail -n 15
}
run() { "$@" >"$tmp/log" 2>&1; }

# compare ACTUAL_DIR EXPECTED_DIR ATOL RTOL NAME...: every NAME.npy of ACTUAL within
# atol + rtol*|expected| of EXPECTED's (same shape); prints the max abs error per name.
compare() {
    $PY - "$@" <<'EOF'
import sys, numpy as np
act, exp, atol, rtol = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
ok = True
for name in sys.argv[5:]:
    a, e = np.load('%s/%s.npy' % (act, name)), np.load('%s/%s.npy' % (exp, name))
    if a.shape != e.shape:
        print('%s: shape %s, expected %s' % (name, a.shape, e.shape)); ok = False; continue
    err = np.abs(a.astype(np.float64) - e)
    bad = ~(err <= atol + rtol * np.abs(e))
    print('%s: max abs err %.3g (|expected| max %.3g)%s' %
          (name, err.max(), np.abs(e).max(), ' MISMATCH %d' % bad.sum() if bad.any() else ''))
    ok &= not bad.any()
sys.exit(0 if ok else 1)
EOF
}

state_names() {
    for l in 0 1; do for s in att_shift wkv ffn_shift; do printf '%s ' "state_out.$l.$s"; done; done
}
state_inputs() { # DIR PREFIX: --input state.L.X=DIR/PREFIX.L.X.npy for every state tensor
    for l in 0 1; do for s in att_shift wkv ffn_shift; do
        printf -- '--input state.%s.%s=%s/%s.%s.%s.npy ' "$l" "$s" "$1" "$2" "$l" "$s"
    done; done
}

# ---- prefill vs the reference, from a zero and from a random state ----
for init in zero random; do
    ref="$tmp/ref_$init"
    flag=
    [ "$init" = random ] && flag=--init-state
    if ! run $PY tools/rwkv6_reference.py "$ref" --T $T --seed 3 $flag; then
        bad "reference ($init state)"
        continue
    fi
    settings=$(cat "$ref/settings")
    # shellcheck disable=SC2086
    if ! run "$ODINC" build-model rwkv6 $settings --set all_logits=1 \
        --weights "$ref/model.safetensors" -o "$ref/all.odin"; then
        bad "build-model --weights ($init state)"
        continue
    fi
    for engine in ref jit; do
        out="$ref/out_$engine"
        # shellcheck disable=SC2046
        if ! run "$ODINC" run "$ref/all.odin" --engine $engine --input "tokens=$ref/tokens.npy" \
            $(state_inputs "$ref" state) --out "$out"; then
            bad "odinc run ($engine, $init state)"
            continue
        fi
        # shellcheck disable=SC2046
        if run compare "$out" "$ref" 1e-4 0 logits && \
            run compare "$out" "$ref" 1e-4 1e-4 $(state_names); then
            ok "logits and state vs reference ($engine, $init state, T=$T)"
            compare "$out" "$ref" 1e-4 0 logits | sed 's/^/     /'
            compare "$out" "$ref" 1e-4 1e-4 $(state_names) | sort -k5 -g | tail -n 1 | sed 's/^/     /'
        else
            bad "logits and state vs reference ($engine, $init state)"
        fi
    done
done

# ---- prefill equals TC chained single-token steps (jit, last-token graph) ----
# Step i's logits are compared with row i of the jit all-logits prefill above, the final
# state with a last-token prefill of the same TC tokens, and that prefill's logits with
# the reference's row TC-1. This graph is built without --set: its sizes come from the
# checkpoint's tensor shapes.
ref="$tmp/ref_random"
chain_ok=0
if [ -f "$ref/out_jit/logits.npy" ] &&
    run "$ODINC" build-model rwkv6 --weights "$ref/model.safetensors" -o "$ref/last.odin" &&
    run $PY -c "
import numpy as np
t = np.load('$ref/tokens.npy')[:, :$TC]
np.save('$tmp/tokens.npy', t)
for i in range(t.shape[1]): np.save('$tmp/tok%d.npy' % i, t[:, i:i + 1])
a = np.load('$ref/out_jit/logits.npy')
for i in range(t.shape[1]): np.save('$tmp/row%d.npy' % i, a[:, i:i + 1])
" &&
    run "$ODINC" run "$ref/last.odin" --input "tokens=$tmp/tokens.npy" \
        $(state_inputs "$ref" state) --out "$tmp/prefill" &&
    run $PY -c "
import numpy as np
np.save('$tmp/prefill/reference_last.npy', np.load('$ref/logits.npy')[:, $TC - 1:$TC])
"; then
    chain_ok=1
fi
prev_dir=$ref prev_prefix=state
i=0
while [ $chain_ok -eq 1 ] && [ $i -lt $TC ]; do
    if ! run "$ODINC" run "$ref/last.odin" --cache-dir "$tmp/cache" \
        --input "tokens=$tmp/tok$i.npy" $(state_inputs "$prev_dir" "$prev_prefix") \
        --out "$tmp/step$i" ||
        ! $PY -c "
import numpy as np, sys
a = np.load('$tmp/step$i/logits.npy'); e = np.load('$tmp/row$i.npy')
err = np.abs(a - e); print('step $i: logits max abs err %.3g vs prefill' % err.max())
sys.exit(0 if a.shape == e.shape and np.all(err <= 1e-4 * np.abs(e) + 1e-6) else 1)" \
            >>"$tmp/chain.log" 2>&1; then
        chain_ok=0
        [ -f "$tmp/chain.log" ] && cat "$tmp/chain.log" >>"$tmp/log"
    fi
    prev_dir="$tmp/step$i" prev_prefix=state_out
    i=$((i + 1))
done
if [ $chain_ok -eq 1 ] &&
    run compare "$tmp/step$((TC - 1))" "$tmp/prefill" 1e-6 1e-4 $(state_names) &&
    cp "$tmp/log" "$tmp/chain_state.log" &&
    run $PY -c "
import numpy as np, sys
a = np.load('$tmp/prefill/logits.npy'); e = np.load('$tmp/prefill/reference_last.npy')
print('last-token prefill vs reference: max abs err %.3g' % np.abs(a - e).max())
sys.exit(0 if a.shape == e.shape and np.abs(a - e).max() <= 1e-4 else 1)"; then
    ok "prefill of $TC tokens = $TC chained decode steps (each step's logits, final state)"
    sort -k7 -g "$tmp/chain.log" | tail -n 1 | sed 's/^/     worst /'
    sed 's/^/     /' "$tmp/chain_state.log" | sort -k5 -g | tail -n 1
    sed 's/^/     /' "$tmp/log"
else
    bad "prefill vs chained decode"
fi

# ---- a checkpoint tensor of the wrong shape ----
bad_ref="$tmp/ref_bad"
if run $PY tools/rwkv6_reference.py "$bad_ref" --T 2 --wrong-shape blocks.1.ffn.key.weight &&
    ! run "$ODINC" build-model rwkv6 $(cat "$bad_ref/settings") \
        --weights "$bad_ref/model.safetensors" -o "$bad_ref/m.odin" &&
    grep -q 'blocks.1.ffn.key.weight' "$tmp/log" && grep -q '64.*224.*224.*64\|224.*64.*64.*224' "$tmp/log"; then
    ok "wrong checkpoint shape: $(tail -n 1 "$tmp/log")"
else
    bad "wrong checkpoint shape is refused with the name and both shapes"
fi

# ---- an explicit size that contradicts the checkpoint ----
if ! run "$ODINC" build-model rwkv6 --set n_embd=128 --weights "$tmp/ref_zero/model.safetensors" \
        -o "$tmp/conflict.odin" && grep -q "n_embd=128, but checkpoint .* has 64" "$tmp/log"; then
    ok "explicit size vs checkpoint: $(tail -n 1 "$tmp/log")"
else
    bad "explicit n_embd contradicting the checkpoint is refused"
fi

# ---- the default 0.1B config builds and runs one token ----
if [ "${RWKV6_FULL:-0}" = 1 ]; then
    if run "$ODINC" build-model rwkv6 -o "$tmp/rwkv6.odin" &&
        run "$ODINC" run "$tmp/rwkv6.odin" --shape seq=1 --out "$tmp/full" --bench 5 &&
        tail -n 1 "$tmp/log" >"$tmp/bench.json" &&
        $PY -c "
import numpy as np, sys
l = np.load('$tmp/full/logits.npy')
print('0.1B logits', l.shape, 'std %.3f' % l.std())
sys.exit(0 if l.shape == (1, 1, 65536) and np.isfinite(l).all() and 0.05 < l.std() < 100 else 1)" >"$tmp/full.log" 2>&1; then
        ok "default 0.1B builds and runs T=1 ($(cat "$tmp/full.log"))"
        sed 's/^/     /' "$tmp/bench.json"
    else
        bad "default 0.1B build and run"
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
