#!/bin/sh
# tests/t_rwkv_convert.sh — tools/rwkv_pth_to_safetensors.py on official-layout RWKV-v6
# checkpoints: tools/rwkv6_reference.py makes random weights under the official names and
# shapes (and its logits, float64 PyTorch); they are saved as a torch state_dict .pth
# (torch.save, as the official files are), converted, built with `odinc build-model rwkv6`
# and run; ODIN's logits must match the reference's on the same weights:
# - f32 .pth, dtype as stored: max abs err <= 1e-4 (the converted tensors equal the .pth's);
# - bf16 .pth (how official checkpoints are stored), dtype as stored, and an f32 .pth
#   converted with --dtype f16: the reference runs on the rounded weights, <= 1e-4;
# - --dtype f32 of the bf16 .pth stores F32 tensors;
# - an unknown tensor, a missing one and a misshapen one are refused naming the tensor,
#   and nothing is written.
# Usage: tests/t_rwkv_convert.sh [BUILD]   (default: $BUILD or build)
if [ -n "$1" ]; then BUILD=$1 ODINC=$1/odinc; fi
BUILD=${BUILD:-build}
ODINC=${ODINC:-$BUILD/odinc}
PY=/usr/bin/python3
CONVERT=tools/rwkv_pth_to_safetensors.py
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-rwkvconv.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
    [ -f "$tmp/log" ] && sed 's/^/     | /' "$tmp/log" | tail -n 15
}
run() { "$@" >"$tmp/log" 2>&1; }

ref="$tmp/ref"
if ! run $PY tools/rwkv6_reference.py "$ref" --T 9 --seed 5; then
    bad "reference"
    echo "$pass passed, $fail failed"
    exit 1
fi

# The reference's safetensors as torch state_dicts: model.pth (f32) and model_bf16.pth,
# plus the variants the converter must refuse. Read with a reader written here.
run $PY - "$ref" <<'EOF' || bad "writing .pth checkpoints"
import json, struct, sys, numpy as np, torch
d = sys.argv[1]
raw = open(d + '/model.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
sd = {}
for name, e in header.items():
    a, b = e['data_offsets']
    assert e['dtype'] == 'F32'
    sd[name] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], '<f4').copy()
                                ).reshape(e['shape'])
torch.save(sd, d + '/model.pth')
torch.save({k: v.bfloat16() for k, v in sd.items()}, d + '/model_bf16.pth')
extra = dict(sd); extra['blocks.0.att.time_state'] = torch.zeros(4, 16, 16)
torch.save(extra, d + '/extra.pth')
missing = dict(sd); del missing['blocks.1.ffn.value.weight']
torch.save(missing, d + '/missing.pth')
wrong = dict(sd); wrong['blocks.1.att.gate.weight'] = torch.zeros(64, 32)
torch.save(wrong, d + '/wrong.pth')
EOF

# reference_on DIR PTH: the reference's forward pass on the weights of PTH (rounded to its
# dtype, run in float64), logits into DIR/expected.npy.
reference_on() {
    $PY - "$ref" "$1" "$2" <<'EOF'
import sys, types, numpy as np, torch
sys.path.insert(0, 'tools')
import rwkv6_reference as R
ref, out, pth = sys.argv[1:4]
W = {k: v.double() for k, v in torch.load(pth).items()}
C, (H, N) = W['emb.weight'].shape[1], W['blocks.0.att.time_faaaa'].shape
cfg = types.SimpleNamespace(n_layer=2, n_embd=C, head_size=N,
                            d_mix=W['blocks.0.att.time_maa_w2'].shape[1])
tokens = np.load(ref + '/tokens.npy')[0].tolist()
state = {}
for l in range(cfg.n_layer):
    state['state.%d.att_shift' % l] = torch.zeros(1, C, dtype=torch.float64)
    state['state.%d.wkv' % l] = torch.zeros(1, H, N, N, dtype=torch.float64)
    state['state.%d.ffn_shift' % l] = torch.zeros(1, C, dtype=torch.float64)
logits, _ = R.forward(W, cfg, tokens, state)
np.save(out + '/expected.npy', logits[None].numpy())
EOF
}

# odin_logits SAFETENSORS DIR: build (every token's logits) and run from the zero state;
# DIR/logits.npy.
odin_logits() {
    # shellcheck disable=SC2046
    run "$ODINC" build-model rwkv6 --set all_logits=1 --weights "$1" -o "$2/m.odin" &&
        run "$ODINC" run "$2/m.odin" --input "tokens=$ref/tokens.npy" $(zero_state) --out "$2"
}
# the reference's initial state (zeros): odinc run would fill inputs left out at random
zero_state() {
    for l in 0 1; do for s in att_shift wkv ffn_shift; do
        printf -- '--input state.%s.%s=%s/state.%s.%s.npy ' "$l" "$s" "$ref" "$l" "$s"
    done; done
}

# close ACTUAL EXPECTED: max abs err <= 1e-4, same shape.
close() {
    $PY -c "
import sys, numpy as np
a, e = np.load('$1'), np.load('$2')
err = np.abs(a.astype(np.float64) - e).max() if a.shape == e.shape else float('inf')
print('logits max abs err %.3g (|expected| max %.3g)' % (err, np.abs(e).max()))
sys.exit(0 if err <= 1e-4 else 1)"
}

# stored_dtypes FILE: the set of dtypes in a safetensors header
stored_dtypes() {
    $PY -c "
import json, struct, sys
f = open('$1', 'rb'); n = struct.unpack('<Q', f.read(8))[0]
print(' '.join(sorted({e['dtype'] for k, e in json.loads(f.read(n)).items() if k != '__metadata__'})))"
}

# ---- f32 checkpoint, dtype as stored ----
mkdir -p "$tmp/f32"
if run $PY "$CONVERT" "$ref/model.pth" "$tmp/f32/x.safetensors" &&
    [ "$(stored_dtypes "$tmp/f32/x.safetensors")" = F32 ] &&
    odin_logits "$tmp/f32/x.safetensors" "$tmp/f32" &&
    run close "$tmp/f32/logits.npy" "$ref/logits.npy"; then
    ok "f32 .pth -> safetensors -> odinc vs reference: $(cat "$tmp/log")"
else
    bad "f32 .pth converted and run vs reference"
fi

# ---- bf16 checkpoint (as official ones are stored), dtype as stored ----
mkdir -p "$tmp/bf16"
if run $PY "$CONVERT" "$ref/model_bf16.pth" "$tmp/bf16/x.safetensors" &&
    [ "$(stored_dtypes "$tmp/bf16/x.safetensors")" = BF16 ] &&
    odin_logits "$tmp/bf16/x.safetensors" "$tmp/bf16" &&
    run reference_on "$tmp/bf16" "$ref/model_bf16.pth" &&
    run close "$tmp/bf16/logits.npy" "$tmp/bf16/expected.npy"; then
    ok "bf16 .pth (stored bf16) vs reference on the bf16 weights: $(cat "$tmp/log")"
else
    bad "bf16 .pth converted and run vs reference"
fi

# ---- --dtype f16 of the f32 checkpoint ----
mkdir -p "$tmp/f16"
if run $PY "$CONVERT" "$ref/model.pth" "$tmp/f16/x.safetensors" --dtype f16 &&
    [ "$(stored_dtypes "$tmp/f16/x.safetensors")" = F16 ] &&
    odin_logits "$tmp/f16/x.safetensors" "$tmp/f16" &&
    run $PY -c "
import torch
torch.save({k: v.half() for k, v in torch.load('$ref/model.pth').items()}, '$tmp/f16/half.pth')" &&
    run reference_on "$tmp/f16" "$tmp/f16/half.pth" &&
    run close "$tmp/f16/logits.npy" "$tmp/f16/expected.npy"; then
    ok "--dtype f16 vs reference on the f16-rounded weights: $(cat "$tmp/log")"
else
    bad "--dtype f16 converted and run vs reference"
fi

# ---- --dtype f32 of the bf16 checkpoint ----
if run $PY "$CONVERT" "$ref/model_bf16.pth" "$tmp/up.safetensors" --dtype f32 &&
    [ "$(stored_dtypes "$tmp/up.safetensors")" = F32 ]; then
    ok "--dtype f32 of a bf16 .pth stores F32"
else
    bad "--dtype f32 of a bf16 .pth"
fi

# ---- refusals: the message names the tensor, no output file ----
refused() { # PTH PATTERN WHAT
    if ! run $PY "$CONVERT" "$ref/$1" "$tmp/refused.safetensors" &&
        grep -q "$2" "$tmp/log" && [ ! -e "$tmp/refused.safetensors" ]; then
        ok "$3 refused: $(grep "$2" "$tmp/log" | head -n 1 | sed 's/^ *//')"
    else
        bad "$3 refused naming the tensor"
    fi
}
refused extra.pth "unknown tensor 'blocks.0.att.time_state'" "unknown tensor"
refused missing.pth "missing tensor 'blocks.1.ffn.value.weight'" "missing tensor"
refused wrong.pth "'blocks.1.att.gate.weight' has shape \[64, 32\], expected \[64, 64\]" \
    "misshapen tensor"
printf 'not a checkpoint' >"$tmp/junk.pth"
if ! run $PY "$CONVERT" "$tmp/junk.pth" "$tmp/refused.safetensors" &&
    grep -q "cannot load" "$tmp/log" && ! grep -q Traceback "$tmp/log"; then
    ok "a file that is not a checkpoint: $(tail -n 1 "$tmp/log" | cut -c1-100)"
else
    bad "a file that is not a checkpoint is refused with a message"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
