#!/bin/sh
# tests/t_onnx_cli.sh — `odinc import` and `odinc export` end to end: usage errors and
# exit codes, .onnx -> .odin -> .onnx, and the exported files validated by the ONNX
# Python package (onnx.checker, the reference implementation of the format) with their
# initializers compared against the source model's through onnx.numpy_helper.
ODINC=${ODINC:-build/odinc}
PY=/usr/bin/python3
DATA=/usr/share/libonnx-testdata/data
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-onnx-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/out" ] && sed 's/^/     | /' "$tmp/out" | head -n 10; }
# expect NAME RC PATTERN -- CMD...: exit code and a line matching the grep -E pattern
# (an empty pattern checks the exit code only)
expect() {
    name=$1 want_rc=$2 pattern=$3
    shift 4
    "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        bad "$name: exit $rc, expected $want_rc"
    elif [ -n "$pattern" ] && ! grep -qE "$pattern" "$tmp/out"; then
        bad "$name: no line matches /$pattern/"
    else
        ok "$name"
    fi
}

CONV=$DATA/node/test_conv_with_strides_padding/model.onnx
expect "import --help" 0 '^usage: odinc import' -- "$ODINC" import --help
expect "export --help" 0 '^usage: odinc export' -- "$ODINC" export --help
expect "import without -o" 2 'missing -o' -- "$ODINC" import "$CONV"
expect "import without model" 2 'missing MODEL' -- "$ODINC" import -o "$tmp/x.odin"
expect "import unknown option" 2 "unknown option '--frob'" -- "$ODINC" import --frob "$CONV" -o "$tmp/x.odin"
expect "export without -o" 2 'missing -o' -- "$ODINC" export "$CONV"
expect "import missing file" 1 "$tmp/nope.onnx: cannot open" -- "$ODINC" import "$tmp/nope.onnx" -o "$tmp/x.odin"
printf 'garbage\377\377\377' >"$tmp/bad.onnx"
expect "import garbage" 1 'bad.onnx: not a valid ONNX model' -- "$ODINC" import "$tmp/bad.onnx" -o "$tmp/x.odin"
expect "export garbage" 1 'bad.onnx: not a valid ONNX model' -- "$ODINC" export "$tmp/bad.onnx" -o "$tmp/x.onnx"

expect "import conv" 0 '' -- "$ODINC" import "$CONV" -o "$tmp/conv.odin"
expect "export conv from .odin" 0 '' -- "$ODINC" export "$tmp/conv.odin" -o "$tmp/conv.onnx"
[ -f "$tmp/conv.onnx" ] && echo "$CONV $tmp/conv.onnx" >>"$tmp/pairs"
i=0
for m in node/test_conv_with_strides_padding node/test_constant node/test_gemm_default_matrix_bias \
         pytorch-converted/test_Conv2d pytorch-converted/test_BatchNorm2d_eval \
         node/test_layer_normalization_4d_axis1; do
    i=$((i + 1))
    if "$ODINC" export "$DATA/$m/model.onnx" -o "$tmp/m$i.onnx" >"$tmp/out" 2>&1; then
        ok "export $m"
        echo "$DATA/$m/model.onnx $tmp/m$i.onnx" >>"$tmp/pairs"
    elif grep -q 'unsupported op' "$tmp/out"; then
        ok "export $m (skipped: op not supported yet)"
    else
        bad "export $m"
    fi
done

if [ -f "$tmp/pairs" ] && $PY -c 'import onnx' 2>/dev/null; then
    $PY - "$tmp/pairs" >"$tmp/out" 2>&1 <<'PYEOF'
import sys, onnx, numpy as np
from onnx import numpy_helper
bad = 0
for line in open(sys.argv[1]):
    src, out = line.split()
    a, b = onnx.load(src), onnx.load(out)
    try:
        onnx.checker.check_model(b, full_check=True)
    except Exception as e:
        print("checker rejects", out, e); bad += 1; continue
    # Constant nodes become initializers on export: compare every constant by name
    consts = {t.name: numpy_helper.to_array(t) for t in a.graph.initializer}
    for n in a.graph.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    got = {t.name: numpy_helper.to_array(t) for t in b.graph.initializer}
    if set(consts) != set(got):
        print("initializer names differ", out, sorted(consts), sorted(got)); bad += 1; continue
    for k in consts:
        if consts[k].dtype != got[k].dtype or not np.array_equal(consts[k], got[k]):
            print("initializer", k, "differs in", out); bad += 1
    ops_a = [(n.op_type, list(n.input), list(n.output)) for n in a.graph.node if n.op_type != "Constant"]
    ops_b = [(n.op_type, list(n.input), list(n.output)) for n in b.graph.node]
    if ops_a != ops_b:
        print("nodes differ", out); bad += 1
print("BAD" if bad else "GOOD")
PYEOF
    if grep -q '^GOOD$' "$tmp/out"; then ok "onnx.checker accepts exports, constants equal"; else bad "onnx.checker / constants"; fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
