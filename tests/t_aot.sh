#!/bin/sh
# tests/t_aot.sh — `odinc compile` end to end: executables from builder models (mlp, a
# small gpt2) and ONNX backend-test models, run on .npy inputs and compared with the
# reference interpreter (`odinc run --engine ref`) and with the backend test's expected
# outputs (numpy allclose, rtol 1e-4); a shared and a static library with its header used
# by the README's C example; --weights FILE; --target x86-64-v3; aarch64 under qemu when
# qemu-user and the aarch64 C library are installed; errors (op without lowering, wrong
# input shape, missing weights file). Prints the executable's size overhead.
ODINC=${ODINC:-build/odinc}
PY=/usr/bin/python3
NODE=/usr/share/libonnx-testdata/data/node
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-aot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/log" ] && sed 's/^/     | /' "$tmp/log" | tail -n 15; }
# run NAME CMD...: CMD must exit 0 (output in $tmp/log).
run() {
    name=$1
    shift
    if "$@" >"$tmp/log" 2>&1; then ok "$name"; else bad "$name: exit $?"; fi
}
# expect NAME RC PATTERN CMD...: exit code RC and a line matching PATTERN (grep -E).
expect() {
    name=$1 want=$2 pattern=$3
    shift 3
    "$@" >"$tmp/log" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ]; then bad "$name: exit $rc, expected $want"
    elif ! grep -qE "$pattern" "$tmp/log"; then bad "$name: no line matches /$pattern/"
    else ok "$name"; fi
}
# same NAME A.npy B.npy: allclose(rtol 1e-4, atol 1e-5), equal shapes and dtypes.
same() {
    run "$1" $PY - "$2" "$3" <<'EOF'
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
err = float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0
print("max abs err", err)
assert np.allclose(a, b, rtol=1e-4, atol=1e-5)
EOF
}
# pb2npy IN.pb OUT.npy: an ONNX TensorProto file as .npy.
pb2npy() {
    $PY - "$1" "$2" <<'EOF'
import sys, numpy as np, onnx
from onnx import numpy_helper
t = onnx.TensorProto(); t.ParseFromString(open(sys.argv[1], 'rb').read())
np.save(sys.argv[2], numpy_helper.to_array(t))
EOF
}

# ---- builder models: mlp and a small gpt2 ----
"$ODINC" build-model mlp -o "$tmp/mlp.odin" >/dev/null 2>&1 || bad "build-model mlp"
"$ODINC" build-model gpt2 --set n_layer=1 --set n_embd=64 --set n_head=2 --set vocab=128 \
    --set n_ctx=16 --set seq=8 -o "$tmp/gpt2.odin" >/dev/null 2>&1 || bad "build-model gpt2"
$PY - "$tmp" <<'EOF'
import sys, numpy as np
d = sys.argv[1]
rs = np.random.RandomState(7)
np.save(d + "/mlp_x.npy", rs.uniform(-1, 1, (1, 784)).astype(np.float32))
np.save(d + "/gpt2_tokens.npy", rs.randint(0, 128, (1, 8)).astype(np.int64))
np.save(d + "/example_x.npy", (np.arange(784, dtype=np.float32) / np.float32(784)).reshape(1, 784))
EOF

run "compile mlp exe" "$ODINC" compile "$tmp/mlp.odin" -o "$tmp/mlp"
run "mlp exe runs" "$tmp/mlp" --out "$tmp/mlp_aot" "$tmp/mlp_x.npy"
"$ODINC" run "$tmp/mlp.odin" --engine ref --input "x=$tmp/mlp_x.npy" --out "$tmp/mlp_ref" >/dev/null 2>&1
same "mlp exe matches the reference" "$tmp/mlp_aot/logits.npy" "$tmp/mlp_ref/logits.npy"
expect "mlp exe --help lists input and output" 0 '^  logits +f32 \[1,10\]' "$tmp/mlp" --help
expect "mlp exe --help lists the input" 0 '^  x +f32 \[1,784\]' "$tmp/mlp" --help
expect "mlp exe --bench prints the JSON line" 0 \
    '^\{"model":"mlp","engine":"aot","threads":1,"compile_ms":0,"median_ms":[0-9.]+,"min_ms":[0-9.]+,"iters":3,"arena_bytes":[0-9]+,"peak_rss_mb":[0-9.]+\}$' \
    "$tmp/mlp" --threads 1 --bench 3 "$tmp/mlp_x.npy"

run "compile gpt2 exe" "$ODINC" compile "$tmp/gpt2.odin" -o "$tmp/gpt2"
run "gpt2 exe runs" "$tmp/gpt2" --out "$tmp/gpt2_aot" "$tmp/gpt2_tokens.npy"
"$ODINC" run "$tmp/gpt2.odin" --engine ref --input "tokens=$tmp/gpt2_tokens.npy" --out "$tmp/gpt2_ref" >/dev/null 2>&1
same "gpt2 exe matches the reference" "$tmp/gpt2_aot/logits.npy" "$tmp/gpt2_ref/logits.npy"

# ---- ONNX backend-test models: against the reference and the expected output ----
for t in test_conv_with_strides_padding test_gemm_default_matrix_bias test_maxpool_2d_pads; do
    d="$NODE/$t/test_data_set_0"
    [ -d "$d" ] || { bad "$t: backend test data missing"; continue; }
    inputs="" refargs=""
    i=0
    names=$($PY -c "import onnx,sys; m=onnx.load(sys.argv[1]); init={x.name for x in m.graph.initializer}; print(' '.join(x.name for x in m.graph.input if x.name not in init))" "$NODE/$t/model.onnx")
    for n in $names; do
        pb2npy "$d/input_$i.pb" "$tmp/${t}_in$i.npy"
        inputs="$inputs $tmp/${t}_in$i.npy"
        refargs="$refargs --input $n=$tmp/${t}_in$i.npy"
        i=$((i + 1))
    done
    out=$($PY -c "import onnx,sys; print(onnx.load(sys.argv[1]).graph.output[0].name)" "$NODE/$t/model.onnx")
    pb2npy "$d/output_0.pb" "$tmp/${t}_expected.npy"
    run "$t: compile exe" "$ODINC" compile "$NODE/$t/model.onnx" -o "$tmp/$t"
    # shellcheck disable=SC2086
    run "$t: exe runs" "$tmp/$t" --out "$tmp/${t}_aot" $inputs
    # shellcheck disable=SC2086
    "$ODINC" run "$NODE/$t/model.onnx" --engine ref $refargs --out "$tmp/${t}_ref" >/dev/null 2>&1
    same "$t: exe matches the reference" "$tmp/${t}_aot/$out.npy" "$tmp/${t}_ref/$out.npy"
    same "$t: exe matches the expected output" "$tmp/${t}_aot/$out.npy" "$tmp/${t}_expected.npy"
done

# A graph output that is a graph input (Identity): copied by the runtime.
t=test_identity
pb2npy "$NODE/$t/test_data_set_0/input_0.pb" "$tmp/ident_x.npy"
pb2npy "$NODE/$t/test_data_set_0/output_0.pb" "$tmp/ident_expected.npy"
run "$t: compile exe" "$ODINC" compile "$NODE/$t/model.onnx" -o "$tmp/ident"
run "$t: exe runs" "$tmp/ident" --out "$tmp/ident_aot" "$tmp/ident_x.npy"
same "$t: exe matches the expected output" "$tmp/ident_aot/y.npy" "$tmp/ident_expected.npy"

# Symbolic dims: bound by --shape (a dim name or an input's shape), else an error.
$PY - "$tmp/sym.onnx" <<'EOF'
import sys, onnx
from onnx import helper, TensorProto
x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 3])
y = helper.make_tensor_value_info('y', TensorProto.FLOAT, ['N', 3])
g = helper.make_graph([helper.make_node('Relu', ['x'], ['y'])], 'sym', [x], [y])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), sys.argv[1])
EOF
expect "unbound symbolic dim is an error" 1 "dimension 0 is symbolic \('N'\): bind it with --shape N=SIZE" \
    "$ODINC" compile "$tmp/sym.onnx" -o "$tmp/sym"
run "--shape N=5 binds a symbolic dim" "$ODINC" compile "$tmp/sym.onnx" -o "$tmp/sym" --shape N=5
expect "exe compiled for [5,3]" 0 '^  x +f32 \[5,3\]' "$tmp/sym" --help
run "--shape x=2,3 binds an input" "$ODINC" compile "$tmp/sym.onnx" -o "$tmp/sym2" --shape x=2,3
expect "exe compiled for [2,3]" 0 '^  y +f32 \[2,3\]' "$tmp/sym2" --help

# ---- --weights FILE: a small exe that maps the weights file from next to itself ----
mkdir -p "$tmp/wdir"
run "compile mlp --weights FILE" "$ODINC" compile "$tmp/mlp.odin" -o "$tmp/wdir/mlpw" --weights "$tmp/wdir/mlp.bin"
run "weights-file exe runs" "$tmp/wdir/mlpw" --out "$tmp/mlpw_aot" "$tmp/mlp_x.npy"
same "weights-file exe matches the reference" "$tmp/mlpw_aot/logits.npy" "$tmp/mlp_ref/logits.npy"
mkdir -p "$tmp/elsewhere"
cp "$tmp/wdir/mlpw" "$tmp/elsewhere/"
expect "missing weights file is an error" 1 'mlp\.bin: cannot open weights file' \
    "$tmp/elsewhere/mlpw" "$tmp/mlp_x.npy"
run "exe --weights FILE at run time" "$tmp/elsewhere/mlpw" --weights "$tmp/wdir/mlp.bin" "$tmp/mlp_x.npy"
"$ODINC" build-model mlp --set seed=2 -o "$tmp/mlp2.odin" >/dev/null 2>&1
"$ODINC" compile "$tmp/mlp2.odin" -o "$tmp/mlp2" --weights "$tmp/mlp2.bin" >/dev/null 2>&1
expect "weights file of another model is refused" 1 'belongs to another model' \
    "$tmp/wdir/mlpw" --weights "$tmp/mlp2.bin" "$tmp/mlp_x.npy"

# Size overhead: embedded exe minus the weight bytes (file minus its 64-byte header).
exe=$(wc -c <"$tmp/mlp")
blob=$(($(wc -c <"$tmp/wdir/mlp.bin") - 64))
overhead=$((exe - blob))
echo "mlp exe: $exe bytes, weights $blob bytes, overhead $overhead bytes"
if [ "$overhead" -gt 0 ] && [ "$overhead" -le 204800 ]; then ok "exe overhead $overhead bytes <= 200 KB"
else bad "exe overhead $overhead bytes"; fi

# ---- shared and static library + header, used by the README's C example ----
sed -n '/aot-example:begin/,/aot-example:end/p' README.md | sed '1,2d;$d' | sed '$d' >"$tmp/example.c"
run "compile mlp --emit shared" "$ODINC" compile "$tmp/mlp.odin" --emit shared -o "$tmp/libmlp.so"
run "header written next to the library" test -f "$tmp/libmlp.h"
run "README example builds against the shared library" \
    clang-19 -std=c11 -Wall -Wextra -Werror "$tmp/example.c" -I"$tmp" -L"$tmp" -lmlp \
    -Wl,-rpath,"$tmp" -o "$tmp/example_shared"
"$tmp/example_shared" >"$tmp/example_shared.txt" 2>&1 || bad "example (shared) runs"
"$ODINC" run "$tmp/mlp.odin" --engine ref --input "x=$tmp/example_x.npy" --out "$tmp/example_ref" >/dev/null 2>&1
$PY -c "import numpy as np,sys; np.save(sys.argv[2], np.loadtxt(sys.argv[1], dtype=np.float32).reshape(1,10))" \
    "$tmp/example_shared.txt" "$tmp/example_shared.npy" 2>/dev/null
same "example (shared) matches the reference" "$tmp/example_shared.npy" "$tmp/example_ref/logits.npy"
if nm -D --defined-only "$tmp/libmlp.so" | awk '{print $3}' | grep -q '^odin_'; then
    bad "shared library leaks runtime symbols"
else ok "runtime symbols stay hidden in the shared library"; fi

mkdir -p "$tmp/static"
run "compile mlp --emit static" "$ODINC" compile "$tmp/mlp.odin" --emit static -o "$tmp/static/libmlp.a"
run "README example builds against the static library" \
    clang-19 -std=c11 "$tmp/example.c" -I"$tmp/static" "$tmp/static/libmlp.a" -lm -lpthread -o "$tmp/example_static"
"$tmp/example_static" >"$tmp/example_static.txt" 2>&1 || bad "example (static) runs"
$PY -c "import numpy as np,sys; np.save(sys.argv[2], np.loadtxt(sys.argv[1], dtype=np.float32).reshape(1,10))" \
    "$tmp/example_static.txt" "$tmp/example_static.npy" 2>/dev/null
same "example (static) matches the reference" "$tmp/example_static.npy" "$tmp/example_ref/logits.npy"

# A library with a weights file finds it next to itself; a C program reads the descriptors.
mkdir -p "$tmp/libw"
run "compile shared --weights FILE" "$ODINC" compile "$tmp/gpt2.odin" --emit shared -o "$tmp/libw/libgpt.so" \
    --weights "$tmp/libw/gpt.bin"
cat >"$tmp/desc.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libgpt.h"
int main(void) {
    if (GPT_NUM_INPUTS != 1 || GPT_NUM_OUTPUTS != 1) return 2;
    const odin_tensor_info *in = &gpt_inputs[0], *out = &gpt_outputs[0];
    printf("%s %s %lld [%lld,%lld] %lld\n", in->name, in->dtype, (long long)in->rank,
           (long long)in->dims[0], (long long)in->dims[1], (long long)in->nbytes);
    printf("%s %s %lld [%lld,%lld,%lld] %lld\n", out->name, out->dtype, (long long)out->rank,
           (long long)out->dims[0], (long long)out->dims[1], (long long)out->dims[2],
           (long long)out->nbytes);
    odin_model *m = NULL;
    int rc = gpt_create_from("/nonexistent/gpt.bin", &m);
    printf("missing: %d %s\n", rc, rc ? "error" : "ok");
    m = gpt_create();
    if (!m) { printf("create: %s\n", gpt_last_error()); return 1; }
    long long *tok = calloc(8, sizeof *tok);
    float *y = malloc(out->nbytes);
    void *ins[] = {tok}, *outs[] = {y};
    rc = gpt_run(m, ins, outs);
    printf("run: %d %s\n", rc, gpt_status_string(rc));
    rc = gpt_run(NULL, ins, outs);
    printf("null: %d\n", rc);
    gpt_destroy(m);
    free(tok);
    free(y);
    return 0;
}
EOF
run "descriptor program builds" clang-19 -std=c11 -Wall -Werror "$tmp/desc.c" -I"$tmp/libw" \
    -L"$tmp/libw" -lgpt -Wl,-rpath,"$tmp/libw" -o "$tmp/desc"
expect "input descriptor" 0 '^tokens i64 2 \[1,8\] 64$' "$tmp/desc"
expect "output descriptor" 0 '^logits f32 3 \[1,8,128\] 4096$' "$tmp/desc"
expect "create_from a missing file: ODIN_MODEL_ERR_WEIGHTS" 0 '^missing: 3 error$' "$tmp/desc"
expect "library finds its weights file and runs" 0 '^run: 0 ok$' "$tmp/desc"
expect "run(NULL): ODIN_MODEL_ERR_ARGUMENT" 0 '^null: 1$' "$tmp/desc"

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
run "initializer inputs: compile exe" "$ODINC" compile "$tmp/initin.onnx" -o "$tmp/initin"
expect "initializer inputs: --help lists x" 0 '^  x +f32 \[3,6\]' "$tmp/initin" --help
run "initializer inputs: --help lists neither w nor b" sh -c \
    "'$tmp/initin' --help >'$tmp/help' && ! grep -E '^  (w|b) ' '$tmp/help'"
run "initializer inputs: exe runs on x alone" "$tmp/initin" --out "$tmp/initin_aot" "$tmp/initin_x.npy"
same "initializer inputs: exe = numpy with the initializers" "$tmp/initin_aot/y.npy" \
    "$tmp/initin_expected.npy"

# ---- targets ----
run "compile --target x86-64-v3" "$ODINC" compile "$tmp/mlp.odin" -o "$tmp/mlp_v3" --target x86-64-v3
run "x86-64-v3 exe runs" "$tmp/mlp_v3" --out "$tmp/mlp_v3_aot" "$tmp/mlp_x.npy"
same "x86-64-v3 exe matches the reference" "$tmp/mlp_v3_aot/logits.npy" "$tmp/mlp_ref/logits.npy"
"$ODINC" compile "$tmp/mlp.odin" -o "$tmp/mlp_v3.s" --emit asm --target x86-64-v3 --weights "$tmp/v3.bin" >/dev/null 2>&1
if grep -q 'ymm' "$tmp/mlp_v3.s" && ! grep -q 'zmm' "$tmp/mlp_v3.s"; then ok "x86-64-v3 code uses ymm, never zmm"
else bad "x86-64-v3 assembly: ymm/zmm use wrong"; fi
run "compile --emit obj" "$ODINC" compile "$tmp/mlp.odin" -o "$tmp/mlp.o" --emit obj
expect "object defines the entry, descriptor and API" 0 ' T mlp_run$' nm "$tmp/mlp.o"
expect "object holds the model descriptor" 0 ' [DR] mlp_model$' nm "$tmp/mlp.o"
run "compile --emit llvm" "$ODINC" compile "$tmp/mlp.odin" -o "$tmp/mlp.ll" --emit llvm --weights "$tmp/ll.bin"
expect "LLVM IR defines the entry" 0 '^define .*@mlp\(ptr' cat "$tmp/mlp.ll"

if command -v qemu-aarch64 >/dev/null 2>&1 && [ -d /usr/aarch64-linux-gnu/lib ]; then
    run "compile --target aarch64-linux-gnu" "$ODINC" compile "$tmp/mlp.odin" -o "$tmp/mlp_arm" \
        --target aarch64-linux-gnu
    expect "aarch64 exe is an ARM aarch64 ELF" 0 'aarch64' sh -c "od -An -tx1 -j18 -N2 '$tmp/mlp_arm' | grep -q 'b7 00' && echo aarch64"
    run "aarch64 exe runs under qemu" qemu-aarch64 -L /usr/aarch64-linux-gnu "$tmp/mlp_arm" \
        --out "$tmp/mlp_arm_aot" "$tmp/mlp_x.npy"
    same "aarch64 exe matches the reference" "$tmp/mlp_arm_aot/logits.npy" "$tmp/mlp_ref/logits.npy"
    run "compile conv for aarch64" "$ODINC" compile "$NODE/test_conv_with_strides_padding/model.onnx" \
        -o "$tmp/conv_arm" --target aarch64-linux-gnu
    t=test_conv_with_strides_padding
    run "aarch64 conv runs under qemu" qemu-aarch64 -L /usr/aarch64-linux-gnu "$tmp/conv_arm" \
        --out "$tmp/conv_arm_aot" "$tmp/${t}_in0.npy" "$tmp/${t}_in1.npy"
    same "aarch64 conv matches the expected output" "$tmp/conv_arm_aot/y.npy" "$tmp/${t}_expected.npy"
else
    echo "skip aarch64: qemu-user or libc6-dev-arm64-cross not installed"
fi

# ---- errors ----
# Attention heads wider than 1024 have no compiled kernel (the eval serves them in the JIT):
# the error names the node, the head size and the limit
"$ODINC" build-model llama --set n_embd=8 --set n_head=1 --set n_kv_head=1 --set head_dim=1100 \
    --set n_layer=1 --set vocab=16 --set ffn=8 --set max_ctx=4 -o "$tmp/wide_head.odin" >/dev/null
expect "too wide a head names node, head size and limit" 1 \
    "node '[^']*' \(CachedAttention\): head size 1100 is wider than the compiled kernel's limit of 1024" \
    "$ODINC" compile "$tmp/wide_head.odin" -o "$tmp/wide_head" --shape seq=1
expect "wrong input shape names the input" 1 "input 'x'.*\[1,784\]" \
    "$tmp/mlp" "$tmp/gpt2_tokens.npy"
expect "wrong input count" 2 'takes 1 input file' "$tmp/mlp"
expect "--target wasm32 writes a wasm module (as odinc wasm; tests/t_wasm.sh)" 0 'wrote the wasm module' \
    "$ODINC" compile "$tmp/mlp.odin" -o "$tmp/x.wasm" --target wasm32
expect "unknown --emit" 2 'unknown --emit' "$ODINC" compile "$tmp/mlp.odin" -o "$tmp/x" --emit dll
expect "no output" 2 'no output given' "$ODINC" compile "$tmp/mlp.odin"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
