#!/bin/sh
# tools/make_fixtures.sh BUILD OUTDIR — whole-model test fixtures in the ONNX backend-test
# layout that `odinc check` reads: OUTDIR/<model>/model.onnx and
# OUTDIR/<model>/test_data_set_0/{input_0.pb,output_0.pb}.
#
# The models are exported by Debian's torch through tools/export_models.py (random weights
# from a fixed seed); the expected outputs come from ONNX Runtime (npm onnxruntime-node,
# CPU, run by tools/bench_ort.mjs), an engine independent of ODIN. A model whose directory
# already holds all three files is kept, so repeated runs are cheap and stable.
#
# onnxruntime-node: reused from BUILD/bench/node_modules when `make bench` installed it,
# otherwise installed once into BUILD/fixtures (npm, --ignore-scripts: the postinstall
# would fetch GPU parts from a host this machine cannot reach).
#
# Env: FIXTURE_MODELS (space list, default "mlp_b1 resnet18 mobilenet_v2 transformer");
# FIXTURE_ORT_VERSION (1.30.0, as tools/bench.sh). Exit 0 when every model was written.
set -u
BUILD=${1:?usage: tools/make_fixtures.sh BUILD OUTDIR}
OUTDIR=${2:?usage: tools/make_fixtures.sh BUILD OUTDIR}
PY=/usr/bin/python3
MODELS=${FIXTURE_MODELS:-"mlp_b1 resnet18 mobilenet_v2 transformer"}
ORT_VERSION=${FIXTURE_ORT_VERSION:-1.30.0}
EXPORT="$OUTDIR/export"

die() { echo "make_fixtures: $*" >&2; exit 1; }

fixture_done() { # model dir -> true when the fixture is already written
    [ -f "$1/model.onnx" ] && [ -f "$1/test_data_set_0/input_0.pb" ] &&
        [ -f "$1/test_data_set_0/output_0.pb" ]
}

todo=""
for m in $MODELS; do
    fixture_done "$OUTDIR/$m" || todo="$todo $m"
done
ort_ok() { (cd "$1" && node -e "require('onnxruntime-node')") >/dev/null 2>&1; }
ort_version() { (cd "$1" && node -p "require('onnxruntime-node/package.json').version") 2>/dev/null; }
if [ -z "$todo" ]; then
    echo "make_fixtures: all fixtures present in $OUTDIR (ONNX Runtime $(cat "$OUTDIR/ort-version" 2>/dev/null || echo ?))"
    exit 0
fi
mkdir -p "$EXPORT" || die "cannot create $EXPORT"

# ---- ONNX Runtime ----
if [ -d "$BUILD/bench/node_modules" ] && ort_ok "$BUILD/bench"; then
    ORT_DIR="$BUILD/bench"
else
    ORT_DIR="$BUILD/fixtures"
    mkdir -p "$ORT_DIR" || die "cannot create $ORT_DIR"
    if ! ort_ok "$ORT_DIR"; then
        echo "make_fixtures: installing onnxruntime-node@$ORT_VERSION into $ORT_DIR/node_modules"
        npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$ORT_DIR" \
            "onnxruntime-node@$ORT_VERSION" ||
            die "npm install onnxruntime-node@$ORT_VERSION failed: the expected outputs need ONNX Runtime"
        ort_ok "$ORT_DIR" || die "onnxruntime-node does not load from $ORT_DIR/node_modules"
    fi
fi
ver=$(ort_version "$ORT_DIR")
echo "make_fixtures: ONNX Runtime ${ver:-?} from $ORT_DIR/node_modules"
# The version that computed the expected outputs, for reports on later runs.
echo "${ver:-?}" >"$OUTDIR/ort-version"

# ---- models (torch export; keeps earlier exports) ----
# shellcheck disable=SC2086 # todo is a space list of model names
only=$(echo $todo | tr ' ' ',')
$PY tools/export_models.py "$EXPORT" --only "$only" || die "exporting $only failed"

# ---- expected outputs and the backend-test layout ----
for m in $todo; do
    dir="$OUTDIR/$m"
    rm -rf "$dir" "$EXPORT/$m.ort"
    node tools/bench_ort.mjs "$EXPORT/$m.onnx" --input "x=$EXPORT/$m.x.npy" --iters 1 \
        --warmup 0 --ort-dir "$ORT_DIR" --out "$EXPORT/$m.ort" >/dev/null ||
        die "ONNX Runtime failed on $m"
    mkdir -p "$dir/test_data_set_0" || die "cannot create $dir"
    # Written to temporary names and moved last, so an interrupted run is redone.
    $PY - "$EXPORT/$m.x.npy" "$EXPORT/$m.ort/y.npy" "$dir/test_data_set_0" <<'EOF' ||
import os, sys
import numpy as np
from onnx import numpy_helper
x_npy, y_npy, out = sys.argv[1:4]
for src, name, dst in ((x_npy, "x", "input_0.pb"), (y_npy, "y", "output_0.pb")):
    a = np.load(src)
    if not np.all(np.isfinite(a)):
        sys.exit("%s: non-finite values" % src)
    with open(os.path.join(out, dst + ".tmp"), "wb") as f:
        f.write(numpy_helper.from_array(a, name).SerializeToString())
EOF
        die "writing the .pb files of $m failed"
    if ! { cp "$EXPORT/$m.onnx" "$dir/model.onnx" &&
        mv "$dir/test_data_set_0/input_0.pb.tmp" "$dir/test_data_set_0/input_0.pb" &&
        mv "$dir/test_data_set_0/output_0.pb.tmp" "$dir/test_data_set_0/output_0.pb"; }; then
        die "writing $dir failed"
    fi
    echo "make_fixtures: wrote $dir"
done
