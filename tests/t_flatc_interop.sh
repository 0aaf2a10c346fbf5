#!/bin/sh
# tests/t_flatc_interop.sh — .odin files and Debian's flatc agree, both ways:
#  1. our writer's file -> `flatc --json` -> JSON checked field by field (python3);
#  2. a hand-written JSON model -> `flatc -b` (+ a data section appended by script)
#     -> our reader (test_serialize --dump) -> the expected graph.
# Env: BUILD (build folder). Last line: "N passed, N failed".
BUILD=${BUILD:-build}
T="$BUILD/tests/test_serialize"
PY=/usr/bin/python3
TMP="$BUILD/tmp/flatc_interop"
SCHEMA=ir/odin.fbs
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
finish() {
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit $?
}

if ! command -v flatc >/dev/null 2>&1; then bad "flatc not installed"; finish; fi
if [ ! -x "$T" ]; then bad "$T not built"; finish; fi
mkdir -p "$TMP"
rm -f "$TMP"/*

# ---- 1. ours -> flatc --json ----
if "$T" --write "$TMP/sample.odin"; then ok "write sample"; else bad "write sample"; fi
if flatc --json --raw-binary --strict-json -o "$TMP" "$SCHEMA" -- "$TMP/sample.odin" &&
    [ -f "$TMP/sample.json" ]; then
    ok "flatc --json reads our file"
else
    bad "flatc --json reads our file"
fi

# The expected values below are the literals of make_sample() in tests/test_serialize.c.
$PY - "$TMP/sample.json" "$TMP/sample.odin" <<'EOF'
import json, struct, sys
js = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], 'rb').read()
npass = nfail = 0
def check(name, cond):
    global npass, nfail
    if cond: npass += 1
    else:
        nfail += 1
        print("FAIL", name)
check("format_version", js.get("format_version") == 1)
check("name", js.get("name") == "sample")
check("opset", js.get("opset") == 17 and js.get("opset_ms") == 1)
check("metadata", js.get("metadata") == [{"key": "producer", "value": "odin-test"},
                                         {"key": "doc", "value": 'hello "world"'}])
ts = js.get("tensors", [])
names = [t["name"] for t in ts]
check("tensor names", names == ["x", "w", "h", "bf", "d", "i8", "u8", "i16", "u16", "i32", "u32",
                                "i64", "u64", "flags", "scalar", "unk", "names", "y", "empty", "big"])
by = {t["name"]: t for t in ts}
dt = {n: by[n].get("dtype", "Undefined") for n in by}
check("dtypes", [dt[n] for n in names] == ["F32", "F32", "F16", "BF16", "F64", "I8", "U8", "I16",
      "U16", "I32", "U32", "I64", "U64", "Bool", "F32", "F32", "String", "F32", "F32", "U8"])
x = by.get("x", {})
check("x dims", x.get("dims") == [-1, 3, 4] and x.get("dim_params") == ["batch", "", ""])
check("x flags", x.get("flags") == "Input")
y = by.get("y", {})
check("y dims", y.get("dims") == [-1, 3, -1] and y.get("dim_params") == ["batch", "", "seq"])
check("y flags", y.get("flags") == "Output")
check("unk", by["unk"].get("unknown_rank") is True and "dims" not in by["unk"]
      and by["unk"].get("flags") == "Output")
check("scalar rank 0", "dims" not in by["scalar"] and not by["scalar"].get("unknown_rank", False))
check("string constant", by["names"].get("string_data") == ["alpha", "beta"]
      and by["names"].get("flags") == "Constant" and "data_offset" not in by["names"])
check("empty constant", by["empty"].get("dims") == [0] and by["empty"].get("flags") == "Constant"
      and "data_size" not in by["empty"])
check("big dims", by["big"].get("dims") == [1234567, 7654321])
expect = {
    "w": struct.pack("<12f", *[-1 + 0.5 * i for i in range(12)]),
    "h": struct.pack("<5H", 0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8000),
    "bf": struct.pack("<2H", 0x3F80, 0x4049),
    "d": struct.pack("<2d", 3.141592653589793, -1e300),
    "i8": struct.pack("<3b", -128, 0, 127), "u8": bytes([0, 255]),
    "i16": struct.pack("<2h", -32768, 32767), "u16": struct.pack("<H", 65535),
    "i32": struct.pack("<2i", -2**31, 7), "u32": struct.pack("<I", 4000000000),
    "i64": struct.pack("<2q", -2**63, 2**63 - 1), "u64": struct.pack("<Q", 2**64 - 1),
    "flags": bytes([1, 0, 1]), "scalar": struct.pack("<f", 2.5),
}
prev_end = 0
for n, data in expect.items():
    t = by[n]
    off, size = int(t.get("data_offset", 0)), int(t.get("data_size", 0))
    check(n + " flags Constant", t.get("flags") == "Constant")
    check(n + " offset 64-aligned", off % 64 == 0 and off > 0)
    check(n + " size", size == len(data))
    check(n + " bytes at offset", raw[off:off + size] == data)
    check(n + " blobs in order, no overlap", off >= prev_end)
    prev_end = off + size
check("file ends after last blob", len(raw) == prev_end)
nodes = js.get("nodes", [])
check("2 nodes", len(nodes) == 2)
mm = nodes[0]
check("mm", mm.get("name") == "mm" and mm.get("op") == "MatMul" and "domain" not in mm
      and mm.get("inputs") == [0, 1] and mm.get("outputs") == [17] and "attrs" not in mm)
n = nodes[1]
check("custom node", n.get("name") == "all_attrs" and n.get("op") == "CustomOp"
      and n.get("domain") == "ai.odin" and n.get("inputs") == [0, -1, 1]
      and n.get("outputs") == [15, -1])
at = {a["name"]: a for a in n.get("attrs", [])}
check("attr order", [a["name"] for a in n.get("attrs", [])] == ["i", "f", "negzero", "s", "empty_s",
      "ints", "floats", "strings", "t", "ts", "t0", "no_ints", "u"])
check("attr i", at["i"].get("kind") == "Int" and at["i"].get("i") == -123456789012)
check("attr f", at["f"].get("kind") == "Float" and struct.pack("<f", at["f"]["f"]) == struct.pack("<f", 0.1))
import math
check("attr negzero", at["negzero"].get("kind") == "Float" and math.copysign(1, at["negzero"].get("f", 0)) == -1)
check("attr s", at["s"].get("kind") == "String" and at["s"].get("s") == "hello\x00world")
check("attr empty_s", at["empty_s"].get("kind") == "String" and at["empty_s"].get("s") == "")
check("attr ints", at["ints"].get("kind") == "Ints" and at["ints"].get("ints") == [1, -1, 2**63 - 1])
check("attr floats", at["floats"].get("kind") == "Floats" and at["floats"].get("floats") == [1.5, -2.25])
check("attr strings", at["strings"].get("kind") == "Strings" and at["strings"].get("strings") == ["a", "", "ccc"])
t = at["t"].get("t", {})
check("attr t", at["t"].get("kind") == "Tensor" and t.get("dtype") == "F32" and t.get("dims") == [2, 2]
      and bytes(t.get("data", [])) == struct.pack("<4f", 1, 2, 3, 4))
ts_ = at["ts"].get("t", {})
check("attr ts", ts_.get("dtype") == "String" and ts_.get("dims") == [2] and ts_.get("strings") == ["p", "q"])
t0 = at["t0"].get("t", {})
check("attr t0", t0.get("dtype") == "I64" and "dims" not in t0 and bytes(t0.get("data", [])) == struct.pack("<q", 42))
check("attr no_ints", at["no_ints"].get("kind") == "Ints" and "ints" not in at["no_ints"])
check("attr u", "kind" not in at["u"])
check("graph inputs/outputs", js.get("inputs") == [0] and js.get("outputs") == [17, 15])
print("%d passed, %d failed" % (npass, nfail))
sys.exit(1 if nfail else 0)
EOF
if [ $? -eq 0 ]; then ok "flatc JSON of our file matches field by field"; else bad "flatc JSON of our file matches field by field"; fi

# ---- 2. hand-written JSON -> flatc -b -> our reader ----
cat >"$TMP/hand.json" <<'EOF'
{
  "format_version": 1,
  "name": "hand",
  "opset": 13,
  "metadata": [ { "key": "author", "value": "flatc" } ],
  "tensors": [
    { "name": "in", "dtype": "F32", "dims": [-1, 4], "dim_params": ["n", ""], "flags": "Input" },
    { "name": "w", "dtype": "F32", "dims": [4], "flags": "Constant",
      "data_offset": 4096, "data_size": 16 },
    { "name": "k", "dtype": "I64", "dims": [2], "flags": "Constant",
      "data_offset": 4160, "data_size": 16 },
    { "name": "out", "dtype": "F32", "dims": [-1, 4], "dim_params": ["n", ""], "flags": "Output" },
    { "name": "labels", "dtype": "String", "dims": [1], "flags": "Constant", "string_data": ["cat"] }
  ],
  "nodes": [
    { "name": "add", "op": "Add", "inputs": [0, 1], "outputs": [3],
      "attrs": [
        { "name": "alpha", "kind": "Float", "f": 0.5 },
        { "name": "axis", "kind": "Int", "i": -1 },
        { "name": "mode", "kind": "String", "s": "linear" },
        { "name": "pads", "kind": "Ints", "ints": [0, 1, 2] },
        { "name": "scales", "kind": "Floats", "floats": [0.25, 4] },
        { "name": "names", "kind": "Strings", "strings": ["p", "q"] },
        { "name": "value", "kind": "Tensor", "t": { "dtype": "I32", "dims": [2], "data": [1, 0, 0, 0, 254, 255, 255, 255] } }
      ] },
    { "name": "opt", "op": "Identity", "domain": "com.example", "inputs": [-1], "outputs": [] }
  ],
  "inputs": [0],
  "outputs": [3]
}
EOF
if flatc -b -o "$TMP" "$SCHEMA" "$TMP/hand.json" && [ -f "$TMP/hand.odin" ]; then
    ok "flatc -b builds hand.odin"
else
    bad "flatc -b builds hand.odin"
fi
# Data section: pad to 4096, then w = f32 [1.5, -2, 0, 8] and k = i64 [7, -9] at 4160.
add_data() {
    $PY - "$1" <<'EOF'
import struct, sys
p = sys.argv[1]
b = open(p, 'rb').read()
assert len(b) <= 4096, len(b)
b += bytes(4096 - len(b)) + struct.pack("<4f", 1.5, -2, 0, 8)
b += bytes(4160 - len(b)) + struct.pack("<2q", 7, -9)
open(p, 'wb').write(b)
EOF
}
add_data "$TMP/hand.odin"
cat >"$TMP/hand.expected" <<'EOF'
graph hand opset 13 opset_ms 0
meta author=flatc
tensor 0 in f32 [n,4] flags 1
tensor 1 w f32 [4] flags 4 data 00 00 c0 3f 00 00 00 c0 00 00 00 00 00 00 00 41 aligned 1
tensor 2 k i64 [2] flags 4 data 07 00 00 00 00 00 00 00 f7 ff ff ff ff ff ff ff aligned 1
tensor 3 out f32 [n,4] flags 2
tensor 4 labels string [1] flags 4 "cat"
node 0 add Add domain '' in 0 1 out 3
  attr alpha float 0.5
  attr axis int -1
  attr mode string "linear"
  attr pads ints 0 1 2
  attr scales floats 0.25 4
  attr names strings "p" "q"
  attr value tensor i32 [2] 1 -2
node 1 opt Identity domain 'com.example' in -1 out
inputs 0
outputs 3
EOF
"$T" --dump "$TMP/hand.odin" >"$TMP/hand.got" 2>&1
if diff -u "$TMP/hand.expected" "$TMP/hand.got"; then
    ok "our reader reads flatc's hand.odin"
else
    bad "our reader reads flatc's hand.odin"
fi

# A flatc-built file with a wrong tensor index is rejected with the file named.
sed 's/"inputs": \[0, 1\]/"inputs": [0, 9]/' "$TMP/hand.json" >"$TMP/badidx.json"
flatc -b -o "$TMP" "$SCHEMA" "$TMP/badidx.json" && add_data "$TMP/badidx.odin"
"$T" --dump "$TMP/badidx.odin" >"$TMP/badidx.got" 2>&1
if grep -q "badidx.odin: node 0 'add' (Add): input 1 is tensor index 9, out of range (5 tensors)" "$TMP/badidx.got"; then
    ok "bad index in flatc file rejected"
else
    bad "bad index in flatc file rejected: $(cat "$TMP/badidx.got")"
fi
# hand.odin without its data section: w's blob runs past the end.
head -c 4100 "$TMP/hand.odin" >"$TMP/short.odin"
"$T" --dump "$TMP/short.odin" >"$TMP/short.got" 2>&1
if grep -q "short.odin: tensor 1 'w': data \[offset 4096, size 16\] runs past end of file (size 4100)" "$TMP/short.got"; then
    ok "short data section rejected"
else
    bad "short data section rejected: $(cat "$TMP/short.got")"
fi
finish
