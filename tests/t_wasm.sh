#!/bin/sh
# tests/t_wasm.sh — `odinc wasm` end to end: the mlp and gpt2 builder models, a small
# ONNX CNN (Conv, Relu, MaxPool, Flatten, Gemm) and ONNX backend Conv/Gemm node tests
# compiled to wasm, run by Node (`node OUT.mjs IN.npy... --out DIR`) and compared with
# numpy against `odinc run --engine ref` (and the backend tests' own expected outputs);
# side weights, relaxed SIMD (the default plain + relaxed pair, the loader's choice between
# them with and without the engine's relaxed SIMD, --simd plain|relaxed), aliased and non-float outputs, graph inputs that are also
# initializers (not inputs of the module), odinc compile --target wasm32, the CLI's
# --bench, the JS API, the module's imports (none) and exports, error
# cases, and a run in headless Chromium (Debian's chromium driven by npm playwright-core,
# installed under $BUILD/node_modules; no browser is ever downloaded).
ODINC=${ODINC:-build/odinc}
BUILD=${BUILD:-build}
PY=/usr/bin/python3
NODE_TESTS=/usr/share/libonnx-testdata/data/node
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-wasm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/log" ] && sed 's/^/     | /' "$tmp/log" | head -n 15; }
# run NAME CMD...: CMD must exit 0 (output in $tmp/log)
run() {
    name=$1
    shift
    if "$@" >"$tmp/log" 2>&1; then ok "$name"; else bad "$name (exit $?)"; fi
}
# expect_fail NAME PATTERN CMD...: CMD must exit non-zero with a line matching PATTERN
expect_fail() {
    name=$1 pattern=$2
    shift 2
    "$@" >"$tmp/log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then bad "$name: exit 0, expected failure"
    elif ! grep -qE "$pattern" "$tmp/log"; then bad "$name: no line matches /$pattern/"
    else ok "$name"; fi
}
# same NAME GOT_DIR WANT_DIR: every .npy of WANT_DIR is in GOT_DIR with the same shape
# and dtype, and close (rtol 1e-4, atol 1e-5)
same() {
    name=$1
    if $PY - "$2" "$3" >"$tmp/log" 2>&1 <<'EOF'; then ok "$name"; else bad "$name"; fi
import glob, os, sys
import numpy as np
got, want = sys.argv[1], sys.argv[2]
files = sorted(glob.glob(os.path.join(want, '*.npy')))
assert files, 'no reference outputs in ' + want
for f in files:
    b = np.load(f)
    a = np.load(os.path.join(got, os.path.basename(f)))
    assert a.shape == b.shape and a.dtype == b.dtype, (f, a.shape, a.dtype, b.shape, b.dtype)
    err = np.abs(a.astype(np.float64) - b.astype(np.float64))
    ok = np.allclose(a, b, rtol=1e-4, atol=1e-5)
    print(os.path.basename(f), a.shape, a.dtype, 'max abs err', err.max() if err.size else 0)
    assert ok, 'outputs differ'
EOF
}

# ---- models ----
"$ODINC" build-model mlp --set in=33 --set hidden=17 --set layers=2 --set batch=3 \
    -o "$tmp/mlp.odin" >/dev/null
"$ODINC" build-model gpt2 --set vocab=97 --set n_ctx=16 --set n_embd=32 --set n_layer=2 \
    --set n_head=2 --set seq=7 -o "$tmp/gpt2.odin" >/dev/null
$PY - "$tmp" <<'EOF'
# A small CNN, its input, the mlp/gpt2 inputs, and the backend tests' .pb as .npy.
import os, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
d = sys.argv[1]
r = np.random.RandomState(7)
w1 = numpy_helper.from_array(r.uniform(-0.5, 0.5, (5, 3, 3, 3)).astype(np.float32), 'w1')
b1 = numpy_helper.from_array(r.uniform(-0.5, 0.5, (5,)).astype(np.float32), 'b1')
w2 = numpy_helper.from_array(r.uniform(-0.2, 0.2, (7, 5 * 5 * 6)).astype(np.float32), 'w2')
b2 = numpy_helper.from_array(r.uniform(-0.2, 0.2, (7,)).astype(np.float32), 'b2')
nodes = [
    helper.make_node('Conv', ['x', 'w1', 'b1'], ['c'], name='conv1', pads=[1, 1, 1, 1]),
    helper.make_node('Relu', ['c'], ['r'], name='relu1'),
    helper.make_node('MaxPool', ['r'], ['p'], name='pool1', kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node('Flatten', ['p'], ['f'], name='flat'),
    helper.make_node('Gemm', ['f', 'w2', 'b2'], ['y'], name='fc', transB=1),
]
g = helper.make_graph(nodes, 'cnn', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 11, 13])],
                      [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 7])], [w1, b1, w2, b2])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
onnx.save(m, os.path.join(d, 'cnn.onnx'))
np.save(os.path.join(d, 'cnn_x.npy'), r.uniform(-1, 1, (1, 3, 11, 13)).astype(np.float32))
np.save(os.path.join(d, 'mlp_x.npy'), r.uniform(-1, 1, (3, 33)).astype(np.float32))
np.save(os.path.join(d, 'gpt2_tokens.npy'), r.randint(0, 97, (1, 7)).astype(np.int64))
# a symbolic batch dimension
g = helper.make_graph([helper.make_node('Relu', ['a'], ['b'], name='relu')], 'sym',
                      [helper.make_tensor_value_info('a', TensorProto.FLOAT, ['batch', 5])],
                      [helper.make_tensor_value_info('b', TensorProto.FLOAT, ['batch', 5])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), os.path.join(d, 'sym.onnx'))
np.save(os.path.join(d, 'sym_a.npy'), r.uniform(-1, 1, (4, 5)).astype(np.float32))
# outputs the plan does not compute in place: an input, a constant, another output
c = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), 'c')
nodes = [helper.make_node('Identity', ['x'], ['y'], name='id'),
         helper.make_node('Identity', ['c'], ['z'], name='idc'),
         helper.make_node('Add', ['x', 'c'], ['s'], name='add'),
         helper.make_node('Identity', ['s'], ['s2'], name='ids')]
g = helper.make_graph(nodes, 'alias', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 3])],
                      [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 3]) for n in 'y z s s2'.split()], [c])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), os.path.join(d, 'alias.onnx'))
np.save(os.path.join(d, 'alias_x.npy'), r.uniform(-1, 1, (2, 3)).astype(np.float32))
# bool, i32, u8 and i64 outputs through the .npy writer
ten = numpy_helper.from_array(np.array(10, dtype=np.float32), 'ten')
zero = numpy_helper.from_array(np.array(0, dtype=np.float32), 'zero')
nodes = [helper.make_node('Greater', ['x', 'zero'], ['pos'], name='gt'),
         helper.make_node('Mul', ['x', 'ten'], ['x10'], name='mul'),
         helper.make_node('Cast', ['x10'], ['i'], name='ci', to=TensorProto.INT32),
         helper.make_node('Abs', ['x10'], ['ax'], name='abs'),
         helper.make_node('Cast', ['ax'], ['u'], name='cu', to=TensorProto.UINT8),
         helper.make_node('ArgMax', ['x'], ['am'], name='am', axis=1)]
outs = [helper.make_tensor_value_info('pos', TensorProto.BOOL, [2, 5]),
        helper.make_tensor_value_info('i', TensorProto.INT32, [2, 5]),
        helper.make_tensor_value_info('u', TensorProto.UINT8, [2, 5]),
        helper.make_tensor_value_info('am', TensorProto.INT64, [2, 1])]
g = helper.make_graph(nodes, 'dtypes', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 5])], outs, [ten, zero])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), os.path.join(d, 'dtypes.onnx'))
np.save(os.path.join(d, 'dtypes_x.npy'), r.uniform(-1, 1, (2, 5)).astype(np.float32))
EOF

# wasm_model NAME MODEL ODINC_WASM_ARGS...: compile to $tmp/NAME.wasm (+ .mjs)
wasm_model() {
    name=$1 model=$2
    shift 2
    run "$name: odinc wasm" "$ODINC" wasm "$model" -o "$tmp/$name.wasm" "$@"
}

# check_imports NAME [NODE_FLAG]: the module NAME.wasm (and NAME.relaxed.wasm when it is
# there and the engine runs it) imports nothing and exports what the loader uses
check_imports() {
    check_imports_of "$1" "$1.wasm" "$2"
    [ -f "$tmp/$1.relaxed.wasm" ] &&
        check_imports_of "$1 relaxed" "$1.relaxed.wasm" "$relaxed_flag"
}
check_imports_of() {
    run "$1: no imports, expected exports" node $3 -e '
const fs = require("fs");
const m = new WebAssembly.Module(fs.readFileSync(process.argv[1]));
const imports = WebAssembly.Module.imports(m);
if (imports.length) { console.log("imports:", JSON.stringify(imports)); process.exit(1); }
const ex = WebAssembly.Module.exports(m).map((e) => e.name).sort().join(",");
console.log("exports:", ex);
if (ex !== "memory,odin_io,odin_run,odin_weights,odin_weights_size") process.exit(1);
' "$tmp/$2"
}

# Node 20 runs relaxed SIMD behind a flag; Chrome 114+ and Node 22+ have it on.
relaxed_flag=""
node --experimental-wasm-relaxed-simd -e 0 >/dev/null 2>&1 && relaxed_flag=--experimental-wasm-relaxed-simd


# ---- mlp ----
wasm_model mlp "$tmp/mlp.odin"
check_imports mlp
run "mlp: node run" node "$tmp/mlp.mjs" "$tmp/mlp_x.npy" --out "$tmp/mlp_wasm"
"$ODINC" run "$tmp/mlp.odin" --engine ref --input "x=$tmp/mlp_x.npy" --out "$tmp/mlp_ref" >/dev/null
same "mlp: wasm = ref" "$tmp/mlp_wasm" "$tmp/mlp_ref"

# ---- gpt2 (i64 tokens in) ----
wasm_model gpt2 "$tmp/gpt2.odin"
check_imports gpt2
run "gpt2: node run" node "$tmp/gpt2.mjs" "$tmp/gpt2_tokens.npy" --out "$tmp/gpt2_wasm"
"$ODINC" run "$tmp/gpt2.odin" --engine ref --input "tokens=$tmp/gpt2_tokens.npy" \
    --out "$tmp/gpt2_ref" >/dev/null
same "gpt2: wasm = ref" "$tmp/gpt2_wasm" "$tmp/gpt2_ref"

# ---- gpt2 with side weights ----
wasm_model gpt2side "$tmp/gpt2.odin" --weights side
check_imports gpt2side
run "gpt2 side: .bin written, .wasm smaller by the weights" $PY -c '
import os, sys
t = sys.argv[1]
embed, side, bin_ = (os.path.getsize(os.path.join(t, f)) for f in ("gpt2.wasm", "gpt2side.wasm", "gpt2side.bin"))
print("embed", embed, "side", side, "bin", bin_)
assert bin_ > 30000 and side < embed - bin_ + 4096, "sizes"
' "$tmp"
run "gpt2 side: node run" node "$tmp/gpt2side.mjs" "$tmp/gpt2_tokens.npy" --out "$tmp/gpt2side_wasm"
same "gpt2 side: wasm = ref" "$tmp/gpt2side_wasm" "$tmp/gpt2_ref"
mv "$tmp/gpt2side.bin" "$tmp/gpt2side.bin.away"
expect_fail "gpt2 side: missing .bin is an error" 'gpt2side\.bin' \
    node "$tmp/gpt2side.mjs" "$tmp/gpt2_tokens.npy"
head -c 1000 "$tmp/gpt2side.bin.away" >"$tmp/gpt2side.bin"
expect_fail "gpt2 side: short .bin is an error" 'bytes, the module wants' \
    node "$tmp/gpt2side.mjs" "$tmp/gpt2_tokens.npy"
mv "$tmp/gpt2side.bin.away" "$tmp/gpt2side.bin"

# ---- odinc compile --target wasm32 does what odinc wasm does ----
run "compile --target wasm32" "$ODINC" compile "$tmp/gpt2.odin" --target wasm32 -o "$tmp/gpt2c.wasm"
run "compile --target wasm32: node run" node "$tmp/gpt2c.mjs" "$tmp/gpt2_tokens.npy" --out "$tmp/gpt2c_wasm"
same "compile --target wasm32: wasm = ref" "$tmp/gpt2c_wasm" "$tmp/gpt2_ref"
expect_fail "compile --target wasm32 --emit shared is refused" "emit shared is not available" \
    "$ODINC" compile "$tmp/gpt2.odin" --target wasm32 --emit shared -o "$tmp/gpt2c.wasm"

# ---- relaxed SIMD ----
# --relaxed-simd (= --simd relaxed): OUT.wasm alone, with relaxed SIMD
wasm_model gpt2relaxed "$tmp/gpt2.odin" --relaxed-simd
check_imports gpt2relaxed "$relaxed_flag"
run "--relaxed-simd writes one module" test ! -e "$tmp/gpt2relaxed.relaxed.wasm"
# f32x4.relaxed_madd is fd 85 02 (llvm-objdump-19 does not decode it): the GEMM's vector
# fmuladd uses it, in the --relaxed-simd module and the default build's relaxed twin
run "gpt2 relaxed: uses f32x4.relaxed_madd" $PY -c '
import sys
n = [open(f, "rb").read().count(b"\xfd\x85\x02") for f in sys.argv[1:]]
print("fd 85 02 in --relaxed-simd, default relaxed, default plain:", n)
assert n[0] >= n[2] + 8 and n[1] >= n[2] + 8
' "$tmp/gpt2relaxed.wasm" "$tmp/gpt2.relaxed.wasm" "$tmp/gpt2.wasm"
run "gpt2 relaxed: node run" node $relaxed_flag "$tmp/gpt2relaxed.mjs" \
    "$tmp/gpt2_tokens.npy" --out "$tmp/gpt2relaxed_wasm"
same "gpt2 relaxed: wasm = ref" "$tmp/gpt2relaxed_wasm" "$tmp/gpt2_ref"

# The default build's loader picks the relaxed module where the engine runs relaxed SIMD:
# whether plain Node does is judged by compiling the --relaxed-simd module itself.
if node -e 'new WebAssembly.Module(require("fs").readFileSync(process.argv[1]))' \
    "$tmp/gpt2relaxed.wasm" >/dev/null 2>&1; then node_simd=relaxed; else node_simd=plain; fi
# simd_of LOG: the "simd" of the --bench JSON line in LOG
simd_of() { sed -n 's/.*"simd":"\([a-z]*\)".*/\1/p' "$1" | tail -n 1; }
# picks NAME WANT NODE_ARGS...: node ARGS --bench 2 reports "simd":"WANT"
picks() {
    name=$1 want=$2
    shift 2
    node "$@" --bench 2 >"$tmp/log" 2>&1
    got=$(simd_of "$tmp/log")
    if [ "$got" = "$want" ]; then ok "$name: picks $want"; else bad "$name: picked '$got', expected $want"; fi
}
picks "gpt2 default, node without flags" $node_simd "$tmp/gpt2.mjs" "$tmp/gpt2_tokens.npy"
if [ -n "$relaxed_flag" ]; then
    picks "gpt2 default, node $relaxed_flag" relaxed $relaxed_flag "$tmp/gpt2.mjs" "$tmp/gpt2_tokens.npy"
    run "gpt2 default, relaxed module: node run" node $relaxed_flag "$tmp/gpt2.mjs" \
        "$tmp/gpt2_tokens.npy" --out "$tmp/gpt2dr_wasm"
    same "gpt2 default, relaxed module: wasm = ref" "$tmp/gpt2dr_wasm" "$tmp/gpt2_ref"
    picks "gpt2 default, --simd plain forces plain" plain $relaxed_flag "$tmp/gpt2.mjs" \
        "$tmp/gpt2_tokens.npy" --simd plain
    run "gpt2 default, forced plain module: node run" node $relaxed_flag "$tmp/gpt2.mjs" \
        "$tmp/gpt2_tokens.npy" --simd plain --out "$tmp/gpt2dp_wasm"
    same "gpt2 default, forced plain module: wasm = ref" "$tmp/gpt2dp_wasm" "$tmp/gpt2_ref"
fi
if [ $node_simd = plain ]; then
    expect_fail "--relaxed-simd module without relaxed SIMD: a clear error" \
        'needs relaxed SIMD, which this engine lacks' node "$tmp/gpt2relaxed.mjs" "$tmp/gpt2_tokens.npy"
fi
# --simd plain: OUT.wasm alone; the loader runs it even where relaxed SIMD is on
wasm_model gpt2plain "$tmp/gpt2.odin" --simd plain
run "--simd plain writes one module, without relaxed_madd" $PY -c '
import os, sys
assert not os.path.exists(sys.argv[1] + ".relaxed.wasm")
assert open(sys.argv[1] + ".wasm", "rb").read().count(b"\xfd\x85\x02") < 8
' "$tmp/gpt2plain"
picks "gpt2 --simd plain, node $relaxed_flag" plain $relaxed_flag "$tmp/gpt2plain.mjs" "$tmp/gpt2_tokens.npy"
expect_fail "bad --simd" "both, plain or relaxed" "$ODINC" wasm "$tmp/mlp.odin" -o "$tmp/x.wasm" --simd fast
expect_fail "loader: bad --simd" "expected 'auto', 'plain' or 'relaxed'" \
    node "$tmp/gpt2.mjs" "$tmp/gpt2_tokens.npy" --simd fast

# ---- ONNX CNN: Conv + Relu + MaxPool + Flatten + Gemm ----
wasm_model cnn "$tmp/cnn.onnx"
check_imports cnn
run "cnn: node run" node "$tmp/cnn.mjs" "$tmp/cnn_x.npy" --out "$tmp/cnn_wasm"
"$ODINC" run "$tmp/cnn.onnx" --engine ref --input "x=$tmp/cnn_x.npy" --out "$tmp/cnn_ref" >/dev/null
same "cnn: wasm = ref" "$tmp/cnn_wasm" "$tmp/cnn_ref"

# ---- aliased outputs; bool/i32/u8/i64 outputs ----
for m in alias dtypes; do
    wasm_model $m "$tmp/$m.onnx"
    run "$m: node run" node "$tmp/$m.mjs" "$tmp/${m}_x.npy" --out "$tmp/${m}_wasm"
    "$ODINC" run "$tmp/$m.onnx" --engine ref --input "x=$tmp/${m}_x.npy" --out "$tmp/${m}_ref" >/dev/null
    same "$m: wasm = ref" "$tmp/${m}_wasm" "$tmp/${m}_ref"
done

# ---- ONNX backend node tests: vs their expected outputs and vs ref ----
for t in test_conv_with_strides_padding test_conv_with_strides_and_asymmetric_padding \
         test_gemm_all_attributes test_gemm_transposeA test_maxpool_2d_pads; do
    d="$NODE_TESTS/$t"
    [ -d "$d" ] || { bad "$t: missing test data $d"; continue; }
    mkdir -p "$tmp/$t/in" "$tmp/$t/expected"
    # inputs as .npy in graph order (input_K.npy), expected outputs as <name>.npy
    $PY - "$d" "$tmp/$t" <<'EOF'
import glob, os, sys
import numpy as np
import onnx
from onnx import numpy_helper
d, out = sys.argv[1], sys.argv[2]
m = onnx.load(os.path.join(d, 'model.onnx'))
inits = {i.name for i in m.graph.initializer}
names = [i.name for i in m.graph.input if i.name not in inits]
for k in range(len(names)):
    t = onnx.TensorProto(); t.ParseFromString(open(os.path.join(d, 'test_data_set_0', 'input_%d.pb' % k), 'rb').read())
    np.save(os.path.join(out, 'in', 'input_%d.npy' % k), numpy_helper.to_array(t))
for k, o in enumerate(m.graph.output):
    t = onnx.TensorProto(); t.ParseFromString(open(os.path.join(d, 'test_data_set_0', 'output_%d.pb' % k), 'rb').read())
    np.save(os.path.join(out, 'expected', o.name + '.npy'), numpy_helper.to_array(t))
with open(os.path.join(out, 'names'), 'w') as f:
    f.write(' '.join(names))
EOF
    wasm_model "$t/m" "$d/model.onnx"
    inputs=$(ls "$tmp/$t/in"/input_*.npy | sort -V)
    # shellcheck disable=SC2086
    run "$t: node run" node "$tmp/$t/m.mjs" $inputs --out "$tmp/$t/wasm"
    same "$t: wasm = expected" "$tmp/$t/wasm" "$tmp/$t/expected"
    set --
    k=0
    for n in $(cat "$tmp/$t/names"); do set -- "$@" --input "$n=$tmp/$t/in/input_$k.npy"; k=$((k + 1)); done
    "$ODINC" run "$d/model.onnx" --engine ref "$@" --out "$tmp/$t/ref" >/dev/null
    same "$t: wasm = ref" "$tmp/$t/wasm" "$tmp/$t/ref"
done

# ---- graph inputs that are also initializers (older exporters list every weight as an
# input): they take the initializer's data, so the executable wants only the real inputs;
# checked against numpy with the initializers' values ----
$PY - "$tmp" <<'EOF'
import os, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
d = sys.argv[1]
r = np.random.RandomState(3)
w = r.uniform(-1, 1, (6, 4)).astype(np.float32)
b = r.uniform(-1, 1, (4,)).astype(np.float32)
x = r.uniform(-1, 1, (3, 6)).astype(np.float32)
nodes = [helper.make_node('MatMul', ['x', 'w'], ['m'], name='mm'),
         helper.make_node('Add', ['m', 'b'], ['s'], name='add'),
         helper.make_node('Relu', ['s'], ['y'], name='relu')]
f = TensorProto.FLOAT
g = helper.make_graph(nodes, 'initin', [helper.make_tensor_value_info('x', f, [3, 6]),
                                        helper.make_tensor_value_info('w', f, [6, 4]),
                                        helper.make_tensor_value_info('b', f, [4])],
                      [helper.make_tensor_value_info('y', f, [3, 4])],
                      [numpy_helper.from_array(w, 'w'), numpy_helper.from_array(b, 'b')])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]),
          os.path.join(d, 'initin.onnx'))
np.save(os.path.join(d, 'initin_x.npy'), x)
np.save(os.path.join(d, 'initin_expected.npy'), np.maximum(x @ w + b, 0).astype(np.float32))
EOF
wasm_model initin "$tmp/initin.onnx"
cat >"$tmp/initin_api.mjs" <<'EOF'
import { load } from './initin.mjs';
const m = await load();
const names = m.inputs.map((t) => t.name).join(',');
if (names !== 'x') throw new Error('inputs: ' + names);
console.log('inputs:', names);
EOF
run "initializer inputs: the module's inputs are x alone" node "$tmp/initin_api.mjs"
run "initializer inputs: node run on x alone" node "$tmp/initin.mjs" "$tmp/initin_x.npy" \
    --out "$tmp/initin_wasm"
mkdir -p "$tmp/initin_want" && cp "$tmp/initin_expected.npy" "$tmp/initin_want/y.npy"
same "initializer inputs: wasm = numpy with the initializers" "$tmp/initin_wasm" "$tmp/initin_want"

# ---- --bench N: the JSON line of `odinc run --bench` ----
run "CLI --bench prints the JSON line" sh -c "node '$tmp/mlp.mjs' '$tmp/mlp_x.npy' --bench 4 | tail -n 1 |
    grep -E '^\{\"model\":\"mlp\",\"engine\":\"wasm\",\"threads\":1,\"compile_ms\":0,\"load_ms\":[0-9.]+,\"median_ms\":[0-9.]+,\"min_ms\":[0-9.]+,\"iters\":4,\"peak_rss_mb\":[0-9.]+,\"simd\":\"(plain|relaxed)\"\}$'"
expect_fail "CLI --bench 0 is refused" 'bench expects a positive count' \
    node "$tmp/mlp.mjs" "$tmp/mlp_x.npy" --bench 0

# ---- the JS API in Node: metadata, run twice, errors ----
cat >"$tmp/api.mjs" <<'EOF'
import { load, inputs, outputs } from './mlp.mjs';
const assert = (c, m) => { if (!c) throw new Error(m); };
const m = await load();
assert(JSON.stringify(m.inputs) === '[{"name":"x","dtype":"f32","shape":[3,33]}]', JSON.stringify(m.inputs));
assert(m.outputs[0].name === 'logits' && m.outputs[0].dtype === 'f32' && m.outputs[0].shape.join() === '3,10', 'outputs');
assert(inputs === m.inputs && outputs === m.outputs, 'module metadata');
const x = new Float32Array(99).map((_, i) => Math.sin(i));
const a = m.run({ x }).logits, b = m.run({ x: Array.from(x) }).logits;
assert(a instanceof Float32Array && a.length === 30, 'typed output');
assert(a.every((v, i) => v === b[i]), 'same result twice, array input');
const m2 = await load(new URL('./mlp.wasm', import.meta.url));
assert(m2.run({ x }).logits.every((v, i) => v === a[i]), 'load(URL)');
let err = '';
try { m.run({}); } catch (e) { err = e.message; }
assert(/missing input 'x'/.test(err), 'missing input: ' + err);
try { m.run({ x: new Float32Array(5) }); } catch (e) { err = e.message; }
assert(/5 elements, the model wants 99/.test(err), 'wrong size: ' + err);
console.log('api ok');
EOF
run "JS API: metadata, repeat runs, load(URL), input errors" node "$tmp/api.mjs"
expect_fail "CLI: wrong input count" 'expected 1 input \.npy files' node "$tmp/mlp.mjs"
expect_fail "CLI: wrong dtype" "holds i64 data, the model wants f32" \
    node "$tmp/mlp.mjs" "$tmp/gpt2_tokens.npy"

# ---- shapes, errors ----
expect_fail "symbolic dim unbound" "symbolic \('batch'\)" "$ODINC" wasm "$tmp/sym.onnx" -o "$tmp/sym.wasm"
wasm_model sym "$tmp/sym.onnx" --shape batch=4
run "sym --shape batch=4: node run" node "$tmp/sym.mjs" "$tmp/sym_a.npy" --out "$tmp/sym_wasm"
"$ODINC" run "$tmp/sym.onnx" --engine ref --input "a=$tmp/sym_a.npy" --out "$tmp/sym_ref" >/dev/null
same "sym: wasm = ref" "$tmp/sym_wasm" "$tmp/sym_ref"
expect_fail "unknown --shape name" "no input or symbolic dimension" \
    "$ODINC" wasm "$tmp/sym.onnx" -o "$tmp/sym.wasm" --shape nope=3
# Attention heads wider than 1024 have no compiled kernel: a wasm build must refuse, naming
# the node, the head size and the limit.
"$ODINC" build-model llama --set n_embd=8 --set n_head=1 --set n_kv_head=1 --set head_dim=1100 \
    --set n_layer=1 --set vocab=16 --set ffn=8 --set max_ctx=4 -o "$tmp/wide_head.odin" >/dev/null
expect_fail "too wide a head names node, head size and limit" \
    "node '[^']*' \(CachedAttention\): head size 1100 is wider than the compiled kernel's limit of 1024" \
    "$ODINC" wasm "$tmp/wide_head.odin" -o "$tmp/wide_head.wasm"
expect_fail "bad --weights" "embed or side" "$ODINC" wasm "$tmp/mlp.odin" -o "$tmp/x.wasm" --weights disk

# ---- the loader text in every .mjs is runtime/wasm_loader.mjs ----
run "mlp.mjs carries runtime/wasm_loader.mjs unchanged" sh -c \
    "sed '1,/^\/\/ ---- runtime\/wasm_loader.mjs ----\$/d' '$tmp/mlp.mjs' | cmp - runtime/wasm_loader.mjs"

# ---- headless Chromium ----
if [ ! -x /usr/bin/chromium ]; then
    bad "browser: /usr/bin/chromium is missing (apt-get install chromium; tools/deps.sh lists it)"
elif ! { [ -d "$BUILD/node_modules/playwright-core" ] ||
         npm install --prefix "$BUILD" --no-save --no-audit --no-fund playwright-core >"$tmp/log" 2>&1; }; then
    bad "browser: npm install playwright-core into $BUILD/node_modules failed"
else
    for m in gpt2 gpt2side gpt2relaxed cnn; do
        case $m in cnn) input=cnn_x.npy ref=cnn_ref ;; *) input=gpt2_tokens.npy ref=gpt2_ref ;; esac
        rm -rf "$tmp/${m}_browser"
        run "browser: $m in chromium" node tests/wasm_browser.mjs "$BUILD" "$tmp" "$m" \
            "$tmp/${m}_browser" "$input"
        # Chromium 114+ runs relaxed SIMD without flags: the loader must have picked it
        if grep -q '^simd: relaxed$' "$tmp/log"; then ok "browser: $m runs the relaxed module"
        else bad "browser: $m did not pick the relaxed module"; fi
        same "browser: $m = ref" "$tmp/${m}_browser" "$tmp/$ref"
    done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
