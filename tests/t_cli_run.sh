#!/bin/sh
# tests/t_cli_run.sh — `odinc run` and `odinc check` end to end on ONNX backend-test
# directories: exit codes, output format, files written by --out (checked with numpy
# against the test's own expected outputs), and negative cases (corrupted expected output,
# wrong shape, unsupported op, unbound symbolic dims, unknown engine). The JIT's own
# options are tested in tests/t_cli_jit.sh.
ODINC=${ODINC:-build/odinc}
PY=/usr/bin/python3
NODE=/usr/share/libonnx-testdata/data/node
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-cli-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/out" ] && sed 's/^/     | /' "$tmp/out" | head -n 10; }
# expect NAME RC PATTERN -- CMD...: runs CMD (stdout+stderr to $tmp/out), checks the exit
# code and that some line matches the grep -E pattern.
expect() {
    name=$1 want_rc=$2 pattern=$3
    shift 4
    "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        bad "$name: exit $rc, expected $want_rc"
    elif ! grep -qE "$pattern" "$tmp/out"; then
        bad "$name: no line matches /$pattern/"
    else
        ok "$name"
    fi
}

# ---- odinc check ----
expect "check test_abs passes" 0 '^PASS$' -- "$ODINC" check "$NODE/test_abs"
expect "check test_add_bcast passes" 0 '^PASS$' -- "$ODINC" check --engine ref "$NODE/test_add_bcast"
expect "check --list-ops" 0 '^Abs$' -- "$ODINC" check --list-ops "$NODE/test_abs"
expect "check unknown engine" 2 "unknown engine 'gpu'" -- "$ODINC" check --engine gpu "$NODE/test_abs"
expect "check missing dir" 1 'not a directory' -- "$ODINC" check "$tmp/nope"
expect "check bad --rtol" 2 'rtol' -- "$ODINC" check --rtol x "$NODE/test_abs"

# A corrupted copy of test_add: one expected element off by 0.5 -> FAIL naming 'sum'.
cp -r "$NODE/test_add" "$tmp/add_bad"
$PY - "$tmp/add_bad/test_data_set_0/output_0.pb" <<'EOF'
import sys, onnx
from onnx import numpy_helper
t = onnx.TensorProto(); t.ParseFromString(open(sys.argv[1], 'rb').read())
a = numpy_helper.to_array(t).copy(); a[1, 2, 3] += 0.5
open(sys.argv[1], 'wb').write(numpy_helper.from_array(a, t.name).SerializeToString())
EOF
expect "check corrupted output fails" 1 '^FAIL: sum max abs err 0\.5 at \[1,2,3\]' -- \
    "$ODINC" check "$tmp/add_bad"
expect "check tolerance admits it" 0 '^PASS$' -- "$ODINC" check --atol 0.6 "$tmp/add_bad"

# Expected output of the wrong shape -> FAIL with both shapes.
cp -r "$NODE/test_add" "$tmp/add_shape"
$PY - "$tmp/add_shape/test_data_set_0/output_0.pb" <<'EOF'
import sys, onnx
from onnx import numpy_helper
t = onnx.TensorProto(); t.ParseFromString(open(sys.argv[1], 'rb').read())
a = numpy_helper.to_array(t).reshape(3, 20)
open(sys.argv[1], 'wb').write(numpy_helper.from_array(a, t.name).SerializeToString())
EOF
expect "check wrong shape fails" 1 '^FAIL: sum shape \[3,4,5\], expected \[3,20\]' -- \
    "$ODINC" check "$tmp/add_shape"

# Missing input file -> ERROR, exit 1.
cp -r "$NODE/test_add" "$tmp/add_noinput"
rm "$tmp/add_noinput/test_data_set_0/input_1.pb"
expect "check missing input" 1 '^ERROR: .*1 input files, the model takes 2' -- \
    "$ODINC" check "$tmp/add_noinput"

# Models made here with onnx.helper: an unknown op, and a symbolic batch dimension.
mkdir -p "$tmp/unsup/test_data_set_0"
$PY - "$tmp" <<'EOF'
import sys, onnx, numpy as np
from onnx import helper, numpy_helper, TensorProto
d = sys.argv[1]
x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [2])
y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [2])
g = helper.make_graph([helper.make_node('NoSuchOp', ['x'], ['y'])], 'g', [x], [y])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]), d + '/unsup/model.onnx')
a = np.array([1, 2], np.float32)
for n in ['input_0', 'output_0']:
    open(d + '/unsup/test_data_set_0/%s.pb' % n, 'wb').write(numpy_helper.from_array(a).SerializeToString())
xs = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3])
ys = helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 3])
g = helper.make_graph([helper.make_node('Relu', ['x'], ['y'])], 'g', [xs], [ys])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]), d + '/sym.onnx')
EOF
expect "check unsupported op" 3 '^UNSUPPORTED: .*NoSuchOp' -- "$ODINC" check "$tmp/unsup"

# ---- odinc run ----
expect "run random inputs" 0 '^y: f32 \[3,4,5\] min -?[0-9.e-]+ max [0-9.e-]+ mean' -- \
    "$ODINC" run "$NODE/test_abs/model.onnx"
expect "run prints engine time" 0 '^engine ref: [0-9.]+ ms$' -- \
    "$ODINC" run --engine ref "$NODE/test_abs/model.onnx"
expect "run unknown engine" 2 "unknown engine 'gpu' \(ref or jit\)" -- \
    "$ODINC" run --engine gpu "$NODE/test_abs/model.onnx"
expect "run unbound symbolic dim" 1 "input 'x': dimension 0 is symbolic \('N'\)" -- \
    "$ODINC" run "$tmp/sym.onnx"
expect "run --shape binds the symbol" 0 '^y: f32 \[2,3\]' -- "$ODINC" run --shape N=2 "$tmp/sym.onnx"
expect "run --shape binds the input" 0 '^y: f32 \[4,3\]' -- "$ODINC" run --shape x=4,3 "$tmp/sym.onnx"
expect "run unknown input name" 1 "no input named 'z'" -- \
    "$ODINC" run --input z=foo.npy "$NODE/test_abs/model.onnx"
expect "run missing input file" 1 "cannot open" -- \
    "$ODINC" run --input x="$tmp/none.npy" "$NODE/test_abs/model.onnx"

# Same seed, same numbers; another seed, other numbers.
"$ODINC" run --seed 7 "$NODE/test_abs/model.onnx" | grep '^y:' >"$tmp/s7a"
"$ODINC" run --seed 7 "$NODE/test_abs/model.onnx" | grep '^y:' >"$tmp/s7b"
"$ODINC" run --seed 8 "$NODE/test_abs/model.onnx" | grep '^y:' >"$tmp/s8"
if [ -s "$tmp/s7a" ] && cmp -s "$tmp/s7a" "$tmp/s7b" && ! cmp -s "$tmp/s7a" "$tmp/s8"; then
    ok "run --seed is deterministic"
else
    bad "run --seed is deterministic"
fi

# .pb inputs and --out: the written .npy equals the test's expected output (numpy checks).
set_dir="$NODE/test_add_bcast/test_data_set_0"
expect "run with .pb inputs and --out" 0 '^sum: f32 \[3,4,5\]' -- "$ODINC" run \
    "$NODE/test_add_bcast/model.onnx" --input x="$set_dir/input_0.pb" \
    --input y="$set_dir/input_1.pb" --out "$tmp/out_pb"
# The same inputs as .npy files written by numpy.
$PY - "$set_dir" "$tmp" <<'EOF'
import sys, onnx, numpy as np
from onnx import numpy_helper
for k, n in enumerate(['x', 'y']):
    t = onnx.TensorProto(); t.ParseFromString(open('%s/input_%d.pb' % (sys.argv[1], k), 'rb').read())
    np.save('%s/%s.npy' % (sys.argv[2], n), numpy_helper.to_array(t))
EOF
expect "run with .npy inputs" 0 '^sum: f32 \[3,4,5\]' -- "$ODINC" run \
    "$NODE/test_add_bcast/model.onnx" --input x="$tmp/x.npy" --input y="$tmp/y.npy" \
    --out "$tmp/out_npy"
if $PY - "$set_dir/output_0.pb" "$tmp/out_pb/sum.npy" "$tmp/out_npy/sum.npy" <<'EOF'
import sys, onnx, numpy as np
from onnx import numpy_helper
t = onnx.TensorProto(); t.ParseFromString(open(sys.argv[1], 'rb').read())
want = numpy_helper.to_array(t)
for f in sys.argv[2:]:
    got = np.load(f)
    assert got.dtype == want.dtype and got.shape == want.shape, (f, got.dtype, got.shape)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
EOF
then ok "--out .npy matches the expected output"; else bad "--out .npy matches the expected output"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
