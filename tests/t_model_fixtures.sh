#!/bin/sh
# tests/t_model_fixtures.sh — whole models exported by torch (MLP 784-512-512-10, torchvision
# resnet18 and mobilenet_v2 with random weights, a 2-layer causal transformer encoder) run
# by `odinc check` on both engines against ONNX Runtime's outputs for the same input.
# tools/make_fixtures.sh writes the fixtures into $BUILD/fixtures once (later runs reuse
# them); ONNX Runtime (npm onnxruntime-node) is the independent reference, so if it cannot
# be installed this test fails rather than passing without checking anything.
#
# Tolerances: --rtol 1e-3 --atol 1e-4 (both engines accumulate float32 sums in another
# order than ONNX Runtime's kernels; atol covers outputs that happen to be near zero).
# mobilenet_v2 gets a TIGHTER atol, 1e-13: with torchvision's random init (BatchNorm is the
# identity in eval mode, classifier weights of std 0.01) its logits are about 1e-9, so
# atol 1e-4 would accept any answer; 1e-13 is about 1e-4 of its largest logit.
# One test per model and engine. Env: FIXTURE_MODELS limits the models.
BUILD=${BUILD:-build}
ODINC=${ODINC:-$BUILD/odinc}
MODELS=${FIXTURE_MODELS:-"mlp_b1 resnet18 mobilenet_v2 transformer"}
DIR="$BUILD/fixtures"
pass=0
fail=0
log=$(mktemp "${TMPDIR:-/tmp}/odin-fixtures.XXXXXX")
trap 'rm -f "$log"' EXIT

if ! FIXTURE_MODELS="$MODELS" sh tools/make_fixtures.sh "$BUILD" "$DIR" >"$log" 2>&1; then
    echo "FAIL making the model fixtures (tools/make_fixtures.sh $BUILD $DIR):"
    sed 's/^/     | /' "$log" | tail -n 20
    n=0
    for m in $MODELS; do n=$((n + 2)); done
    echo "0 passed, $n failed"
    exit 1
fi
grep 'ONNX Runtime' "$log" | tail -n 1

for m in $MODELS; do
    for engine in jit ref; do
        start=$(date +%s)
        atol=1e-4
        [ "$m" = mobilenet_v2 ] && atol=1e-13
        "$ODINC" check --engine "$engine" --rtol 1e-3 --atol "$atol" "$DIR/$m" >"$log" 2>&1
        rc=$?
        secs=$(($(date +%s) - start))
        if [ "$rc" -eq 0 ] && grep -q '^PASS' "$log"; then
            pass=$((pass + 1))
            echo "ok   $m ($engine, ${secs}s)"
        else
            fail=$((fail + 1))
            echo "FAIL $m ($engine): exit $rc"
            sed 's/^/     | /' "$log" | head -n 15
        fi
    done
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
