#!/bin/sh
# tests/t_cli_jit.sh — the JIT from the command line: `odinc run` / `odinc check` on the
# default jit engine against the ONNX backend tests' expected outputs (numpy compares),
# --bench's JSON line (parsed with Python's json), the compile cache (--cache-dir: the
# second process loads the object file, says "cache":"hit" and compiles faster, with the
# same outputs; other options miss), --profile's table, --threads 1 and 2 giving identical
# outputs, -O levels, check's multi-directory --summary mode, and usage errors.
ODINC=${ODINC:-build/odinc}
PY=/usr/bin/python3
NODE=/usr/share/libonnx-testdata/data/node
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-cli-jit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/out" ] && sed 's/^/     | /' "$tmp/out" | head -n 15; }
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
# check NAME -- PYTHON-SNIPPET ARGS...: passes when the Python snippet exits 0.
pycheck() {
    name=$1
    shift 2
    if $PY - "$@" >"$tmp/py" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/     | /' "$tmp/py" | tail -n 5; fi
}

# ---- check on the jit engine (the default) ----
expect "check --engine jit test_abs" 0 '^PASS$' -- "$ODINC" check --engine jit "$NODE/test_abs"
expect "check defaults to jit: gemm" 0 '^PASS$' -- "$ODINC" check "$NODE/test_gemm_default_matrix_bias"
expect "check jit softmax" 0 '^PASS$' -- "$ODINC" check "$NODE/test_softmax_axis_1"
expect "check jit -O0" 0 '^PASS$' -- "$ODINC" check -O0 "$NODE/test_add_bcast"
expect "check --engine ref still there" 0 '^PASS$' -- "$ODINC" check --engine ref "$NODE/test_abs"
expect "check unknown engine" 2 "unknown engine 'gpu'" -- "$ODINC" check --engine gpu "$NODE/test_abs"

# Several directories: one line per directory, tab-separated, the worst exit status.
cp -r "$NODE/test_add" "$tmp/add_bad"
$PY - "$tmp/add_bad/test_data_set_0/output_0.pb" <<'PYEOF'
import sys, onnx
from onnx import numpy_helper
t = onnx.TensorProto(); t.ParseFromString(open(sys.argv[1], 'rb').read())
a = numpy_helper.to_array(t).copy(); a[0, 0, 0] += 1
open(sys.argv[1], 'wb').write(numpy_helper.from_array(a, t.name).SerializeToString())
PYEOF
"$ODINC" check "$NODE/test_abs" "$tmp/add_bad" "$tmp/nope" "$NODE/test_relu" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/out")" -eq 4 ] &&
    grep -qP "^PASS\t$NODE/test_abs$" "$tmp/out" &&
    grep -qP "^FAIL\t$tmp/add_bad\tFAIL: sum max abs err 1 at \[0,0,0\]" "$tmp/out" &&
    grep -qP "^ERROR\t$tmp/nope\tERROR: .*not a directory" "$tmp/out" &&
    grep -qP "^PASS\t$NODE/test_relu$" "$tmp/out"; then
    ok "check DIR1 DIR2 ... prints one line per directory"
else
    bad "check DIR1 DIR2 ... prints one line per directory (exit $rc)"
fi
expect "check --summary with one directory" 0 "^PASS	$NODE/test_abs\$" -- \
    "$ODINC" check --summary "$NODE/test_abs"

# ---- run on the jit engine ----
expect "run defaults to jit" 0 '^engine jit: [0-9.]+ ms$' -- "$ODINC" run "$NODE/test_abs/model.onnx"
expect "run prints the compile line" 0 '^compile: [0-9.]+ ms \([0-9.]+ ms CPU; cache miss\), 1 kernel groups in 1 compiled kernels' -- \
    "$ODINC" run "$NODE/test_abs/model.onnx"

# JIT outputs written with --out equal the test's expected outputs (numpy), for a fused
# elementwise model, a GEMM and an op that runs through the reference fallback.
for t in test_add_bcast test_gemm_all_attributes test_det_nd; do
    set_dir="$NODE/$t/test_data_set_0"
    inputs=$($PY - "$NODE/$t/model.onnx" "$set_dir" <<'PYEOF'
import sys, onnx
m = onnx.load(sys.argv[1])
init = {i.name for i in m.graph.initializer}
names = [i.name for i in m.graph.input if i.name not in init]
print(' '.join('--input %s=%s/input_%d.pb' % (n, sys.argv[2], k) for k, n in enumerate(names)))
PYEOF
)
    # shellcheck disable=SC2086 # input options are words without spaces
    expect "run jit $t" 0 '^engine jit' -- "$ODINC" run "$NODE/$t/model.onnx" $inputs --out "$tmp/o_$t"
    pycheck "jit $t output matches the expected output" -- "$NODE/$t/model.onnx" "$set_dir" "$tmp/o_$t" <<'PYEOF'
import sys, onnx, numpy as np
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
for k, o in enumerate(m.graph.output):
    t = onnx.TensorProto(); t.ParseFromString(open('%s/output_%d.pb' % (sys.argv[2], k), 'rb').read())
    want = numpy_helper.to_array(t)
    got = np.load('%s/%s.npy' % (sys.argv[3], o.name))
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
PYEOF
done

# ---- --bench ----
json_check='
import sys, json
line = open(sys.argv[1]).read().strip().splitlines()[-1]
j = json.loads(line)
want = dict(a.split("=", 1) for a in sys.argv[2:])
for k in ["model", "engine", "threads", "cache", "compile_ms", "compile_cpu_ms", "median_ms", "min_ms", "iters",
          "arena_bytes", "peak_rss_mb"]:
    assert k in j, ("missing", k, j)
assert 0 <= j["min_ms"] <= j["median_ms"], j
assert j["peak_rss_mb"] > 1, j
for k, v in want.items():
    if k == "compile_ms>":
        assert j["compile_ms"] > float(v), j
    else:
        assert str(j[k]) == v, (k, j[k], v)
'
"$ODINC" run "$NODE/test_gemm_default_matrix_bias/model.onnx" --bench 5 --threads 2 >"$tmp/out" 2>&1
echo "$json_check" >"$tmp/jcheck.py"
if $PY "$tmp/jcheck.py" "$tmp/out" engine=jit iters=5 threads=2 cache=miss compile_ms\>=0 \
    model="$NODE/test_gemm_default_matrix_bias/model.onnx" >"$tmp/py" 2>&1; then
    ok "--bench prints the JSON line last"
else
    bad "--bench prints the JSON line last"; cat "$tmp/py"
fi
"$ODINC" run "$NODE/test_abs/model.onnx" --engine ref --bench 3 >"$tmp/out" 2>&1
if $PY "$tmp/jcheck.py" "$tmp/out" engine=ref iters=3 compile_ms=0.0 cache=none >"$tmp/py" 2>&1; then
    ok "--bench on the ref engine"
else
    bad "--bench on the ref engine"; cat "$tmp/py"
fi
expect "--bench needs a count" 2 'bench expects a positive count' -- \
    "$ODINC" run "$NODE/test_abs/model.onnx" --bench 0
expect "--threads needs a count" 2 'threads expects a positive count' -- \
    "$ODINC" run "$NODE/test_abs/model.onnx" --threads x
expect "bad -O level" 2 "unknown option '-O7'" -- "$ODINC" run "$NODE/test_abs/model.onnx" -O7

# ---- the compile cache ----
# A model with an eval fallback (Det) and one compiled kernel chain: the second process
# loads the object file, whose code must not hold the first process's addresses.
model="$NODE/test_det_nd/model.onnx"
in0="$NODE/test_det_nd/test_data_set_0/input_0.pb"
"$ODINC" run "$model" --input x="$in0" --cache-dir "$tmp/cache" --bench 3 --out "$tmp/c1" >"$tmp/run1" 2>&1
"$ODINC" run "$model" --input x="$in0" --cache-dir "$tmp/cache" --bench 3 --out "$tmp/c2" >"$tmp/run2" 2>&1
n_obj=$(ls "$tmp/cache" 2>/dev/null | grep -c '\.o$')
if $PY "$tmp/jcheck.py" "$tmp/run1" cache=miss >"$tmp/py" 2>&1 &&
    $PY "$tmp/jcheck.py" "$tmp/run2" cache=hit >>"$tmp/py" 2>&1 && [ "$n_obj" -eq 1 ] &&
    grep -q '^compile: .*cache hit, from disk)' "$tmp/run2"; then
    ok "--cache-dir: miss, one object file, then a hit from disk"
else
    bad "--cache-dir: miss, one object file, then a hit from disk ($n_obj files)"
    cat "$tmp/py" "$tmp/run1" "$tmp/run2"
fi
if cmp -s "$tmp/c1/y.npy" "$tmp/c2/y.npy"; then ok "cached code computes the same outputs"
else bad "cached code computes the same outputs"; fi
pycheck "a cache hit compiles faster than the miss" -- "$tmp/run1" "$tmp/run2" <<'PYEOF'
import sys, json
a, b = (json.loads(open(f).read().strip().splitlines()[-1]) for f in sys.argv[1:3])
assert b["compile_ms"] < a["compile_ms"], (a["compile_ms"], b["compile_ms"])
PYEOF
"$ODINC" run "$model" --input x="$in0" --cache-dir "$tmp/cache" -O1 --bench 1 >"$tmp/run3" 2>&1
n_obj=$(ls "$tmp/cache" | grep -c '\.o$')
if $PY "$tmp/jcheck.py" "$tmp/run3" cache=miss opt=O1 >"$tmp/py" 2>&1 && [ "$n_obj" -eq 2 ]; then
    ok "another -O level is another cache entry"
else
    bad "another -O level is another cache entry ($n_obj files)"; cat "$tmp/py"
fi
# A damaged cache file is compiled again (and replaced), not trusted.
for f in "$tmp"/cache/*.o; do echo garbage >"$f"; done
expect "a damaged cache file is recompiled" 0 '"cache":"miss"' -- "$ODINC" run "$model" \
    --input x="$in0" --cache-dir "$tmp/cache" --bench 1

# ---- --profile ----
"$ODINC" run "$NODE/test_gemm_all_attributes/model.onnx" --profile --bench 3 >"$tmp/out" 2>&1
pycheck "--profile prints a table of kernels" -- "$tmp/out" <<'PYEOF'
import sys, re
lines = open(sys.argv[1]).read().splitlines()
head = [i for i, l in enumerate(lines) if l.startswith('profile: ')]
assert head, lines
m = re.match(r'profile: (\d+) kernels, ([0-9.]+) ms per run in kernels \(mean of 3 runs\)', lines[head[0]])
assert m, lines[head[0]]
n = int(m.group(1))
assert lines[head[0] + 1].split() == ['kernel', 'ms', '%', 'GFLOP/s', 'GB/s', 'ops', 'nodes'], lines[head[0] + 1]
rows = [l.split() for l in lines[head[0] + 2: head[0] + 2 + n]]
assert len(rows) == n >= 1
share = [float(r[2]) for r in rows]
assert abs(sum(share) - 100) < 0.5 or sum(float(r[1]) for r in rows) == 0, share
assert share == sorted(share, reverse=True), share
assert any(r[5] == 'Gemm' for r in rows), rows
assert lines[-1].startswith('{'), 'the JSON line stays last'
PYEOF
expect "--profile needs the jit engine" 2 'profile needs the jit engine' -- \
    "$ODINC" run "$NODE/test_abs/model.onnx" --engine ref --profile

# ---- threads: the same outputs with 1 and 2 threads ----
"$ODINC" build-model gpt2 --set n_layer=1 --set n_embd=64 --set vocab=128 --set seq=8 \
    --set n_ctx=16 -o "$tmp/gpt2.odin" >/dev/null 2>&1
"$ODINC" build-model mlp --set in=100 --set hidden=300 --set batch=3 -o "$tmp/mlp.odin" >/dev/null 2>&1
for m in gpt2 mlp; do
    "$ODINC" run "$tmp/$m.odin" --threads 1 --out "$tmp/t1_$m" >"$tmp/out" 2>&1 &&
        "$ODINC" run "$tmp/$m.odin" --threads 2 --out "$tmp/t2_$m" >>"$tmp/out" 2>&1
    rc=$?
    same=1
    for f in "$tmp/t1_$m"/*.npy; do cmp -s "$f" "$tmp/t2_$m/$(basename "$f")" || same=0; done
    if [ "$rc" -eq 0 ] && [ "$same" -eq 1 ] && ls "$tmp/t1_$m"/*.npy >/dev/null 2>&1; then
        ok "$m: --threads 1 and 2 give identical outputs"
    else
        bad "$m: --threads 1 and 2 give identical outputs"
    fi
    # And the JIT agrees with the reference interpreter.
    "$ODINC" run "$tmp/$m.odin" --engine ref --out "$tmp/ref_$m" >/dev/null 2>&1
    pycheck "$m: jit matches ref" -- "$tmp/t2_$m" "$tmp/ref_$m" <<'PYEOF'
import sys, os, numpy as np
names = sorted(os.listdir(sys.argv[2]))
assert names
for n in names:
    np.testing.assert_allclose(np.load(os.path.join(sys.argv[1], n)), np.load(os.path.join(sys.argv[2], n)), rtol=1e-3, atol=1e-4)
PYEOF
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
