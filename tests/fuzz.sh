#!/bin/sh
# tests/fuzz.sh [SECONDS [NAME...]] — builds every tests/fuzz_*.c (or only fuzz_NAME.c)
# as a libFuzzer target and runs each for its share of SECONDS (default 60). The library is compiled with ASan + UBSan
# and coverage (-fsanitize=fuzzer-no-link) into build/fuzz; each target links it with
# -fsanitize=fuzzer,address,undefined. Seeds: a corpus generated here (see seed()) plus
# tests/fuzz_corpus/<name>/ when present. Exits non-zero on any crash, leak, timeout or
# sanitizer report; the last line is "N passed, N failed".
TOTAL=${1:-60}
FB=build/fuzz
CC=clang-19
MAKEVARS="BUILD=$FB SAN=1 OPT=-O1 FUZZFLAGS=-fsanitize=fuzzer-no-link"
# Same link libraries as the Makefile's LDLIBS.
LIBS="$(llvm-config-19 --ldflags) -lLLVM-19 -lprotobuf-c -lxxhash -lm -lpthread -ldl"

if [ $# -gt 1 ]; then
    shift
    targets=$(for t in "$@"; do ls "tests/fuzz_$t.c"; done)
else
    targets=$(ls tests/fuzz_*.c 2>/dev/null)
fi
n=$(echo "$targets" | grep -c .)
if [ "$n" -eq 0 ]; then
    echo "no tests/fuzz_*.c targets"
    echo "0 passed, 0 failed"
    exit 0
fi
per=$((TOTAL / n))
[ "$per" -lt 1 ] && per=1

# shellcheck disable=SC2086
make -s $MAKEVARS "$FB/libodin.a" "$FB/tests/test_serialize" || {
    echo "fuzz: library build failed"
    echo "0 passed, 1 failed"
    exit 1
}

# Generated seeds for target $1 into folder $2 (add a case for a new target).
seed() {
    case "$1" in
    odin_reader) "$FB/tests/test_serialize" --corpus "$2" ;;
    onnx_import)
        for m in $(ls -d /usr/share/libonnx-testdata/data/node/*/ 2>/dev/null | head -n 40); do
            [ -f "$m/model.onnx" ] && cp "$m/model.onnx" "$2/$(basename "$m").onnx"
        done ;;
    pb)
        for m in $(ls -d /usr/share/libonnx-testdata/data/node/*/ 2>/dev/null | head -n 40); do
            f="$m/test_data_set_0/input_0.pb"
            [ -f "$f" ] && cp "$f" "$2/$(basename "$m").pb"
        done ;;
    npy)
        /usr/bin/python3 - "$2" <<'PY' 2>/dev/null || true
import sys, numpy as np
d = sys.argv[1]
np.save(d + "/f32.npy", np.arange(12, dtype=np.float32).reshape(3, 4))
np.save(d + "/i64.npy", np.array([1, -2, 3], dtype=np.int64))
np.save(d + "/scalar.npy", np.float64(2.5))
np.save(d + "/f16f.npy", np.asfortranarray(np.ones((2, 3), dtype=np.float16)))
np.save(d + "/bool.npy", np.array([True, False]))
PY
        ;;
    safetensors)
        /usr/bin/python3 - "$2" <<'PY' 2>/dev/null || true
import json, struct, sys
import numpy as np
d = sys.argv[1]
def save(name, tensors, meta=None):
    hdr, blobs, off = {}, [], 0
    if meta: hdr["__metadata__"] = meta
    for k, a in tensors.items():
        b = a.tobytes()
        dt = {"float32": "F32", "float16": "F16", "int64": "I64", "uint8": "U8"}[str(a.dtype)]
        hdr[k] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(hdr).encode()
    open(d + "/" + name, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
save("one.safetensors", {"w": np.arange(6, dtype=np.float32).reshape(2, 3)})
save("mixed.safetensors", {"a": np.ones(3, np.float16), "b": np.array([1, -2], np.int64),
     "c": np.zeros((0, 2), np.uint8)}, {"format": "pt"})
PY
        ;;
    tokenizer_rwkv)
        /usr/bin/python3 - "$2" <<'PY' 2>/dev/null || true
import sys
d = sys.argv[1]
toks = ["a", "b", "ab", "abc", " ", "\n", "\u00e9t\u00e9", "'q\"", b"\xff\x00", b"\\x", "\t\\"]
lines = ["%d %r %d" % (i + 1, t, len(t if isinstance(t, bytes) else t.encode()))
         for i, t in enumerate(toks)]
open(d + "/small.txt", "w", encoding="utf-8").write("\n".join(lines) + "\n")
open(d + "/bytes.txt", "w", encoding="utf-8").write(
    "\r\n".join("%d %r 1" % (b + 1, bytes([b])) for b in range(256)))
PY
        ;;
    tokenizer_gpt2)
        /usr/bin/python3 - "$2" <<'PY' 2>/dev/null || true
import json, sys
d = sys.argv[1]
# GPT-2's byte -> printable character map (printable Latin-1 as is, the rest from U+0100)
keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
m, k = {}, 0
for b in range(256):
    if b in keep: m[b] = chr(b)
    else: m[b] = chr(256 + k); k += 1
spell = lambda s: "".join(m[b] for b in s.encode())
enc = {spell(chr(b)) if b < 128 else m[b]: b for b in range(256)}
merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"), (" ", "w"), ("o", "r"), ("or", "ld")]
for a, b in merges: enc[spell(a + b)] = len(enc)
enc["<|endoftext|>"] = len(enc)
bpe = "#version: 0.2\n" + "\n".join("%s %s" % (spell(a), spell(b)) for a, b in merges) + "\n"
open(d + "/small.bin", "wb").write(json.dumps(enc).encode() + b"\0" + bpe.encode())
PY
        ;;
    esac
}

max_len() {
    case "$1" in
    onnx_import | pb) echo 262144 ;;
    *) echo 65536 ;;
    esac
}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
pass=0
fail=0
mkdir -p "$FB/fuzzers" "$FB/artifacts" "$FB/logs"
for src in $targets; do
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    bin="$FB/fuzzers/fuzz_$name"
    log="$FB/logs/fuzz_$name.log"
    # shellcheck disable=SC2086
    if ! $CC -std=c11 -D_GNU_SOURCE -g -O1 -I. -I"$FB/gen" \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -fno-omit-frame-pointer "$src" "$FB/libodin.a" $LIBS -o "$bin"; then
        echo "FAIL fuzz_$name: does not build"
        fail=$((fail + 1))
        continue
    fi
    corpus="$FB/corpus/$name"
    mkdir -p "$corpus"
    seed "$name" "$corpus"
    extra=""
    [ -d "tests/fuzz_corpus/$name" ] && extra="tests/fuzz_corpus/$name"
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$per" -max_len="$(max_len "$name")" -timeout=20 \
        -rss_limit_mb=4096 -artifact_prefix="$FB/artifacts/fuzz_$name-" \
        "$corpus" $extra >"$log" 2>&1
    rc=$?
    runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -n 1)
    if [ "$rc" -ne 0 ] || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$log"; then
        echo "FAIL fuzz_$name (exit $rc); log: $log; artifacts: $FB/artifacts/"
        grep -E 'ERROR|runtime error|SUMMARY|Test unit written' "$log" | head -n 10
        fail=$((fail + 1))
    else
        echo "ok   fuzz_$name: ${runs:-?} in ${per}s"
        pass=$((pass + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
