#!/bin/sh
# tests/t_conformance.sh — the conformance ratchet, one test for tests/run_all.sh: runs the
# ONNX backend node tests on the reference engine (tests/conformance.sh) and passes when
# at least tests/conformance_baseline.txt of them pass. Raise the baseline as ops land.
BUILD=${BUILD:-build}
baseline=$(grep -oE '[0-9]+' tests/conformance_baseline.txt | head -n 1)
log="$BUILD/conformance.log"
sh tests/conformance.sh "$BUILD" ref >"$log" 2>&1
rc=$?
line=$(grep -E '^conformance \(ref\):' "$log" | tail -n 1)
passed=$(echo "$line" | sed -nE 's/.*passed ([0-9]+),.*/\1/p')
echo "$line"
if [ "$rc" -ne 0 ] || [ -z "$passed" ] || [ -z "$baseline" ]; then
    echo "FAIL conformance: script failed (exit $rc) or no counts; see $log"
    tail -n 5 "$log"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ "$passed" -lt "$baseline" ]; then
    echo "FAIL conformance: $passed tests pass, the baseline is $baseline (see $BUILD/conformance-ref.txt)"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "ok conformance: $passed tests pass (baseline $baseline)"
echo "1 passed, 0 failed"
