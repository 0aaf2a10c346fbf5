#!/bin/sh
# tests/t_conformance.sh — the conformance ratchet, one test for tests/run_all.sh: runs the
# ONNX backend node tests on the reference engine (tests/conformance.sh) and passes when
# at least tests/conformance_baseline.txt of them pass. Raise the baseline as ops land.
# tests/t_conformance_jit.sh runs the same ratchet on the JIT (ENGINE=jit, its baseline in
# tests/conformance_baseline_jit.txt).
BUILD=${BUILD:-build}
ENGINE=${ENGINE:-ref}
if [ "$ENGINE" = ref ]; then base_file=tests/conformance_baseline.txt
else base_file=tests/conformance_baseline_$ENGINE.txt; fi
baseline=$(grep -oE '[0-9]+' "$base_file" | head -n 1)
log="$BUILD/conformance-$ENGINE.log"
sh tests/conformance.sh "$BUILD" "$ENGINE" >"$log" 2>&1
rc=$?
line=$(grep -E "^conformance \\($ENGINE\\):" "$log" | tail -n 1)
passed=$(echo "$line" | sed -nE 's/.*passed ([0-9]+),.*/\1/p')
echo "$line"
if [ "$rc" -ne 0 ] || [ -z "$passed" ] || [ -z "$baseline" ]; then
    echo "FAIL conformance ($ENGINE): script failed (exit $rc) or no counts; see $log"
    tail -n 5 "$log"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ "$passed" -lt "$baseline" ]; then
    echo "FAIL conformance ($ENGINE): $passed tests pass, the baseline is $baseline (see $BUILD/conformance-$ENGINE.txt)"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "ok conformance ($ENGINE): $passed tests pass (baseline $baseline)"
echo "1 passed, 0 failed"
