#!/bin/sh
# tests/t_export_models.sh — tools/export_models.py (the benchmark's model exporter) on its
# smallest model, the MLP 784-512-512-10 at batch 1: the ONNX file, input and manifest it
# writes; that a second run keeps the existing export; and that ODIN's reference engine
# computes what torch computed for the same weights and input (torch is the independent
# reference here), within rtol 1e-4.
ODINC=${ODINC:-build/odinc}
PY=/usr/bin/python3
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-export-models.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/log" ] && sed 's/^/     | /' "$tmp/log" | head -n 15; }

if $PY tools/export_models.py "$tmp/m" --only mlp_b1 --reference >"$tmp/log" 2>&1; then
    ok "export mlp_b1"
else
    bad "export mlp_b1: exit $?"
fi

# The manifest: one entry, the input file, and the FLOPs of three Gemms counted by hand:
# 2 * (784*512 + 512*512 + 512*10) = 1337344.
if $PY - "$tmp/m" >"$tmp/log" 2>&1 <<'EOF'
import json, os, sys
import numpy as np
import onnx
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
assert [e["name"] for e in m] == ["mlp_b1"], m
assert m[0]["flops"] == 2 * (784 * 512 + 512 * 512 + 512 * 10), m[0]["flops"]
x = np.load(m[0]["inputs"]["x"])
assert x.shape == (1, 784) and x.dtype == np.float32, (x.shape, x.dtype)
model = onnx.load(m[0]["file"])
onnx.checker.check_model(model)
assert 13 <= model.opset_import[0].version <= 17
assert [n.op_type for n in model.graph.node] == ["Gemm", "Relu", "Gemm", "Relu", "Gemm"]
dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
assert dims == [1, 784], dims  # static shapes
EOF
then
    ok "manifest, input and model structure"
else
    bad "manifest, input and model structure"
fi

# A second run without --force keeps the existing files (the bench relies on it).
before=$(stat -c %Y "$tmp/m/mlp_b1.onnx" 2>/dev/null)
sleep 1
$PY tools/export_models.py "$tmp/m" --only mlp_b1 --reference >"$tmp/log" 2>&1
after=$(stat -c %Y "$tmp/m/mlp_b1.onnx" 2>/dev/null)
if [ -n "$before" ] && [ "$before" = "$after" ] && ! grep -q exporting "$tmp/log"; then
    ok "second run keeps the export"
else
    bad "second run keeps the export ($before vs $after)"
fi

# Unknown model names are an error, not a silent skip.
if $PY tools/export_models.py "$tmp/m" --only no_such_model >"$tmp/log" 2>&1; then
    bad "unknown model name accepted"
elif grep -q "unknown model 'no_such_model'" "$tmp/log"; then
    ok "unknown model name rejected"
else
    bad "unknown model name: no message"
fi

# ODIN's reference engine vs torch on the same input.
if "$ODINC" run "$tmp/m/mlp_b1.onnx" --engine ref --input "x=$tmp/m/mlp_b1.x.npy" \
    --out "$tmp/odin" >"$tmp/log" 2>&1; then
    if $PY - "$tmp/odin/y.npy" "$tmp/m/mlp_b1.ref.npy" >"$tmp/log" 2>&1 <<'EOF'
import sys
import numpy as np
got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
assert got.shape == want.shape == (1, 10), (got.shape, want.shape)
assert got.dtype == np.float32
# atol covers outputs that happen to be near zero (sums of ~800 products).
np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
assert np.abs(want).max() > 1e-3  # a real signal, not all zeros
EOF
    then
        ok "odinc ref matches torch"
    else
        bad "odinc ref matches torch"
    fi
else
    bad "odinc run mlp_b1: exit $?"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
