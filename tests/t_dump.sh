#!/bin/sh
# tests/t_dump.sh — `odinc dump` end to end: text, JSON and DOT dumps of a built .odin
# model and of an ONNX backend-test model, --verify, -o, and usage/load errors. Expected
# totals are derived by hand from the models' definitions.
ODINC=${ODINC:-build/odinc}
PY=/usr/bin/python3
NODE=/usr/share/libonnx-testdata/data/node
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-dump.XXXXXX")
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
    elif ! grep -qE -- "$pattern" "$tmp/out"; then
        bad "$name: no line matches /$pattern/"
    else
        ok "$name"
    fi
}

# mlp defaults (odinc build-model --list): 784 -> 512 -> 512 -> 10, weights + biases:
# 784*512+512 + 512*512+512 + 512*10+10 = 669,706 f32 = 2,678,824 bytes = 2.55 MiB;
# nodes: 3 Gemm + 2 Relu.
"$ODINC" build-model mlp -o "$tmp/mlp.odin" >/dev/null 2>&1 || echo "build-model failed"
expect "text totals (.odin)" 0 '^5 nodes, 669,706 parameters, 2\.6 MiB weights$' -- \
    "$ODINC" dump "$tmp/mlp.odin"
expect "text input line" 0 '^  x: f32\[1,784\]$' -- "$ODINC" dump "$tmp/mlp.odin"
expect "text first layer" 0 '^  %0 = Gemm\[transB=1\]\(x: f32\[1,784\], fc0\.weight: f32\[512,784\], fc0\.bias: f32\[512\]\) -> .*: f32\[1,512\]' -- \
    "$ODINC" dump "$tmp/mlp.odin"
expect "--verify passes" 0 'nodes' -- "$ODINC" dump --verify "$tmp/mlp.odin"

# wrote_file NAME FILE -- CMD...: CMD succeeds, prints nothing, and writes a non-empty FILE
wrote_file() {
    name=$1 file=$2
    shift 3
    if "$@" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ] && [ -s "$file" ]; then ok "$name"; else bad "$name"; fi
}
wrote_file "json to -o" "$tmp/mlp.json" -- "$ODINC" dump "$tmp/mlp.odin" --format json -o "$tmp/mlp.json"
expect "json parses, totals" 0 '^OK$' -- $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["totals"]
assert (t["nodes"], t["parameters"], t["weight_bytes"]) == (5, 669706, 2678824), t
assert [n["op"] for n in d["nodes"]] == ["Gemm", "Relu", "Gemm", "Relu", "Gemm"]
assert d["inputs"][0]["shape"] == [1, 784] and d["outputs"][0]["shape"] == [1, 10]
print("OK")' "$tmp/mlp.json"

wrote_file "dot to -o" "$tmp/mlp.dot" -- "$ODINC" dump "$tmp/mlp.odin" --format=dot -o "$tmp/mlp.dot"
expect "dot renders" 0 '<svg' -- dot -Tsvg "$tmp/mlp.dot"

# ONNX backend test: Gemm(a[3,6], b[6,4], c[3,4]) -> y[3,4], no initializers.
M="$NODE/test_gemm_default_matrix_bias/model.onnx"
expect "onnx text node" 0 '^  %0 = Gemm\(a: f32\[3,6\], b: f32\[6,4\], c: f32\[3,4\]\) -> y: f32\[3,4\]' -- \
    "$ODINC" dump "$M"
expect "onnx totals" 0 '^1 node, 0 parameters, 0 B weights$' -- "$ODINC" dump "$M"
expect "onnx json" 0 '"op": "Gemm"' -- "$ODINC" dump --format json "$M"

expect "help" 0 '^usage: odinc dump FILE' -- "$ODINC" dump --help
expect "no file" 2 'no model file given' -- "$ODINC" dump
expect "bad format" 2 "unknown format 'yaml'" -- "$ODINC" dump "$M" --format yaml
expect "unknown option" 2 "unknown option '--bogus'" -- "$ODINC" dump "$M" --bogus
expect "missing file" 1 'cannot open' -- "$ODINC" dump "$tmp/none.onnx"
expect "unwritable -o" 1 'cannot write' -- "$ODINC" dump "$M" -o "$tmp/no/such/dir/x.txt"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
