#!/bin/sh
# tools/bench.sh BUILD — `make bench`: ODIN's JIT against ONNX Runtime (CPU, npm
# onnxruntime-node) on the same models, inputs and machine, in one run.
#
# Steps: install onnxruntime-node under BUILD/bench (once); export the models with
# tools/export_models.py (only those missing); measure the machine's FMA and bandwidth
# ceilings (BUILD/peak_probe); then for each model and thread count, REPS rounds of one
# ODIN process and one ORT process, alternating so drift hits both alike. Each process
# compiles/loads once, warms up, and times N runs; the reported time is the median over
# processes of each process's median. tools/bench_report.py prints the table and writes
# BUILD/bench/results.json and BUILD/bench/report.html.
#
# Env: BENCH_REPS (5) processes per engine, model and thread count; BENCH_THREADS ("1 2");
# BENCH_MODELS (comma list, default all); BENCH_ENGINE (jit); BENCH_TARGET_MS (300): timed
# work per process, from which N is chosen; BENCH_TIMEOUT (300) seconds per process;
# BENCH_ORT_VERSION (1.30.0).
#
# ODIN compiles each model once per bench run: processes share a compile cache
# (--cache-dir BUILD/bench/jit-cache, emptied at the start), so the first process of a model
# reports the cold compile time and later ones load the object file.
set -u
BUILD=${1:-build}
OUT="$BUILD/bench"
ODINC="$BUILD/odinc"
PY=/usr/bin/python3
REPS=${BENCH_REPS:-5}
THREADS=${BENCH_THREADS:-"1 2"}
ENGINE=${BENCH_ENGINE:-jit}
TARGET_MS=${BENCH_TARGET_MS:-300}
ORT_VERSION=${BENCH_ORT_VERSION:-1.30.0}
TIMEOUT=${BENCH_TIMEOUT:-300}
CACHE="$OUT/jit-cache"
LOGS="$OUT/logs"
RAW="$OUT/raw.jsonl"
mkdir -p "$OUT/models" "$LOGS" "$OUT/check" || exit 1
started=$(date +%s)

die() { echo "bench: $*" >&2; exit 1; }

# ---- ONNX Runtime: the npm package's CPU binaries; --ignore-scripts skips its postinstall,
# which would fetch GPU parts from a host this machine cannot reach. ----
ort_ok() { (cd "$OUT" && node -e "require('onnxruntime-node')") >/dev/null 2>&1; }
if ! ort_ok; then
    echo "bench: installing onnxruntime-node@$ORT_VERSION into $OUT/node_modules"
    npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$OUT" \
        "onnxruntime-node@$ORT_VERSION" || die "npm install onnxruntime-node failed"
    ort_ok || die "onnxruntime-node does not load from $OUT/node_modules"
fi

# ---- models ----
$PY tools/export_models.py "$OUT/models" --odinc "$ODINC" ${BENCH_MODELS:+--only "$BENCH_MODELS"} ||
    die "exporting models failed"

# ---- machine ceilings ----
echo "bench: probing peak FMA rate and memory bandwidth"
"$BUILD/peak_probe" >"$OUT/peak.json" || die "peak_probe failed"
cat "$OUT/peak.json"

# One manifest line per model: NAME FILE FLOPS --input a=A.npy ...
$PY - "$OUT/models/manifest.json" >"$OUT/models.txt" <<'EOF' || die "bad manifest"
import json, sys
for m in json.load(open(sys.argv[1])):
    ins = " ".join("--input %s=%s" % kv for kv in m["inputs"].items())
    print(m["name"], m["file"], m["flops"], ins)
EOF

# $1: a number of ms per run -> iterations for about TARGET_MS of timed work, in [3, 200].
iters_for() { awk -v t="$TARGET_MS" -v ms="$1" 'BEGIN { n = int(t / (ms > 0.001 ? ms : 0.001));
    if (n < 3) n = 3; if (n > 200) n = 200; print n }'; }
# The value of "key" in a one-line JSON object.
json_num() { sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p" | head -n 1; }

# Appends one result line to RAW: engine model threads rep iters log-file rc.
record() {
    engine=$1 model=$2 threads=$3 rep=$4 iters=$5 log=$6 rc=$7
    last=$(grep '^{.*}$' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ] && [ -n "$last" ] && echo "$last" | grep -q '"median_ms"'; then
        echo "{\"engine\":\"$engine\",\"model\":\"$model\",\"threads\":$threads,\"rep\":$rep,\"iters\":$iters,\"ok\":true,\"result\":$last}" >>"$RAW"
        echo "$last" | json_num median_ms
    else
        err=$(grep -v '^{' "$log" | tail -n 1 | tr -d '"\\' | cut -c1-300)
        [ "$rc" -eq 124 ] && err="timed out after $TIMEOUT s"
        echo "{\"engine\":\"$engine\",\"model\":\"$model\",\"threads\":$threads,\"rep\":$rep,\"iters\":$iters,\"ok\":false,\"error\":\"exit $rc: $err\"}" >>"$RAW"
    fi
}

# ODIN: `odinc run MODEL --engine E --bench N --threads T` prints a JSON line last. An odinc
# without --bench (an older build) runs once per process and its "engine E: T ms" line
# stands in for the median, so the harness still works end to end.
help=$("$ODINC" run --help 2>&1)
case $help in *--bench*) has_bench=1 ;; *) has_bench=0 ;; esac
[ "$has_bench" -eq 1 ] || echo "bench: $ODINC run has no --bench; timing single runs" >&2
cache_opt=""
case $help in *--cache-dir*) [ "$ENGINE" = jit ] && cache_opt="--cache-dir $CACHE" ;; esac
rm -rf "$CACHE"
odin_run() { # file iters threads inputs out-option
    if [ "$has_bench" -eq 1 ]; then
        # shellcheck disable=SC2086 # inputs are NAME=PATH words without spaces
        timeout "$TIMEOUT" "$ODINC" run "$1" --engine "$ENGINE" --bench "$2" --threads "$3" \
            $cache_opt $4 $5
        return
    fi
    # shellcheck disable=SC2086
    line=$(timeout "$TIMEOUT" "$ODINC" run "$1" --engine "$ENGINE" $4 $5) || return 1
    echo "$line"
    ms=$(echo "$line" | sed -n 's/^engine [^:]*: \([0-9.]*\) ms$/\1/p' | tail -n 1)
    [ -n "$ms" ] || return 1
    echo "{\"model\": \"$1\", \"engine\": \"$ENGINE\", \"threads\": 1, \"median_ms\": $ms, \"min_ms\": $ms}"
}

: >"$RAW"
while read -r name file flops inputs; do
    # First estimate: 20 GFLOP/s plus a little fixed cost; later rounds use the measurement.
    est=$(awk -v f="$flops" 'BEGIN { print f / 2e7 + 0.05 }')
    for t in $THREADS; do
        n_odin=$(iters_for "$est")
        n_ort=$n_odin
        odin_failed=0
        r=1
        while [ "$r" -le "$REPS" ]; do
            # Outputs of the first round at the first thread count are kept to check that
            # both engines compute the same thing.
            odin_out="" ort_out=""
            if [ "$r" -eq 1 ] && [ "$t" = "${THREADS%% *}" ]; then
                odin_out="--out $OUT/check/$name/odin"
                ort_out="--out $OUT/check/$name/ort"
                rm -rf "$OUT/check/$name"
                mkdir -p "$OUT/check/$name"
            fi
            if [ "$odin_failed" -eq 0 ]; then
                log="$LOGS/$name.t$t.odin.$r.log"
                odin_run "$file" "$n_odin" "$t" "$inputs" "$odin_out" >"$log" 2>&1
                rc=$?
                n_ran=$n_odin
                [ "$has_bench" -eq 1 ] || n_ran=1
                med=$(record odin "$name" "$t" "$r" "$n_ran" "$log" "$rc")
                if [ -n "$med" ]; then
                    n_odin=$(iters_for "$med")
                else
                    # A model ODIN cannot run does not get better on retry.
                    odin_failed=1
                    echo "bench: ODIN failed on $name (threads $t): $(tail -n 1 "$log")" >&2
                fi
            fi
            log="$LOGS/$name.t$t.ort.$r.log"
            # shellcheck disable=SC2086 # inputs are NAME=PATH words without spaces
            timeout "$TIMEOUT" node tools/bench_ort.mjs "$file" --threads "$t" --iters "$n_ort" --warmup 2 \
                --ort-dir "$OUT" $inputs $ort_out >"$log" 2>&1
            rc=$?
            med=$(record ort "$name" "$t" "$r" "$n_ort" "$log" "$rc")
            [ -n "$med" ] && n_ort=$(iters_for "$med")
            r=$((r + 1))
        done
        echo "bench: $name threads $t done ($(($(date +%s) - started)) s)"
    done
done <"$OUT/models.txt"

$PY tools/bench_report.py "$OUT" || die "report failed"
echo "bench: finished in $(($(date +%s) - started)) s"
