#!/bin/sh
# tools/bench.sh BUILD — `make bench`: ODIN against ONNX Runtime on the same models, inputs
# and machine, in one run. Engines (BENCH_ENGINES, default all):
#   odin    `odinc run --engine jit`           ort     onnxruntime-node (native CPU)
#   aot     `odinc compile` executable          ortweb  onnxruntime-web in Node: wasm
#   wasm    `odinc wasm` module in Node                 backend, SIMD, 1 thread
# wasm and ortweb are single-threaded: they run only at thread count 1.
#
# Steps: install onnxruntime-node and -web under BUILD/bench (once); export the models with
# tools/export_models.py (only those missing); measure the machine's FMA and bandwidth
# ceilings (BUILD/peak_probe); build each model's AOT executable and wasm module (once per
# bench run); then for each model and thread count, REPS rounds of one process per engine,
# alternating so drift hits all alike. Each process compiles/loads once, warms up, and
# times N runs; the reported time is the median over processes of each process's median.
# tools/bench_report.py prints the table and writes BUILD/bench/results.json and
# BUILD/bench/report.html.
#
# Env: BENCH_REPS (3) processes per engine, model and thread count (BENCH_WASM_REPS (3) for
# wasm and ortweb); BENCH_THREADS ("1 2"); BENCH_MODELS (comma list, default all);
# BENCH_ENGINES ("odin aot ort wasm ortweb"); BENCH_ENGINE (jit): the engine of `odinc run`;
# BENCH_SIMD (both): `odinc wasm --simd`: both builds the plain and the relaxed-SIMD module
# and the loader picks (relaxed, as in current browsers), plain forces SIMD128, relaxed
# builds the relaxed module alone (BENCH_RELAXED=1 is the same). Unless plain, Node runs
# with --experimental-wasm-relaxed-simd where it needs it (Node 20), for onnxruntime-web
# too, so both engines run under the same flags; BENCH_TARGET_MS (300): timed work
# per process, from which N is chosen; BENCH_TIMEOUT (300) seconds per process;
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
REPS=${BENCH_REPS:-3}
WASM_REPS=${BENCH_WASM_REPS:-3}
ENGINES=${BENCH_ENGINES:-"odin aot ort wasm ortweb"}
SIMD=${BENCH_SIMD:-both}
[ "${BENCH_RELAXED:-0}" = 1 ] && SIMD=relaxed
THREADS=${BENCH_THREADS:-"1 2"}
ENGINE=${BENCH_ENGINE:-jit}
TARGET_MS=${BENCH_TARGET_MS:-300}
ORT_VERSION=${BENCH_ORT_VERSION:-1.30.0}
TIMEOUT=${BENCH_TIMEOUT:-300}
CACHE="$OUT/jit-cache"
case $SIMD in both | plain | relaxed) ;; *) echo "bench: BENCH_SIMD=$SIMD: expected both, plain or relaxed" >&2; exit 1 ;; esac
WASM_FLAGS="--simd $SIMD" NODE_FLAGS=""
# Node 20 runs relaxed SIMD behind a flag; Node 22+ has it on and may not know the flag.
if [ "$SIMD" != plain ] && node --experimental-wasm-relaxed-simd -e 0 >/dev/null 2>&1; then
    NODE_FLAGS=--experimental-wasm-relaxed-simd
fi
LOGS="$OUT/logs"
RAW="$OUT/raw.jsonl"
mkdir -p "$OUT/models" "$LOGS" "$OUT/check" "$OUT/aot" "$OUT/wasm" || exit 1
started=$(date +%s)

die() { echo "bench: $*" >&2; exit 1; }

has() { case " $ENGINES " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- ONNX Runtime: the npm packages' CPU and wasm binaries; --ignore-scripts skips the
# postinstall, which would fetch GPU parts from a host this machine cannot reach. ----
ort_ok() { (cd "$OUT" && node -e "require('$1')") >/dev/null 2>&1; }
for pkg in onnxruntime-node onnxruntime-web; do
    case $pkg in onnxruntime-node) has ort || continue ;; *) has ortweb || continue ;; esac
    ort_ok $pkg && continue
    echo "bench: installing $pkg@$ORT_VERSION into $OUT/node_modules"
    npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$OUT" \
        "$pkg@$ORT_VERSION" || die "npm install $pkg failed"
    ort_ok $pkg || die "$pkg does not load from $OUT/node_modules"
done

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
# wasm and ortweb are single-threaded: thread count 1 only, and fewer rounds (slow).
single() { case $1 in wasm | ortweb) return 0 ;; esac; return 1; }

# run_engine ENGINE FILE ITERS THREADS "--input N=F ..." "F ..." OUT-OPTION: one process
# of ENGINE; its output (a JSON line last) on stdout.
run_engine() {
    # shellcheck disable=SC2086 # inputs are NAME=PATH words and paths without spaces
    case $1 in
    odin) odin_run "$2" "$3" "$4" "$5" "$7" ;;
    aot) timeout "$TIMEOUT" "$OUT/aot/$name" --bench "$3" --threads "$4" $7 $6 ;;
    wasm) timeout "$TIMEOUT" node $NODE_FLAGS "$OUT/wasm/$name.mjs" --bench "$3" $7 $6 ;;
    ort) timeout "$TIMEOUT" node tools/bench_ort.mjs "$2" --threads "$4" --iters "$3" --warmup 2 \
             --ort-dir "$OUT" $5 $7 ;;
    ortweb) timeout "$TIMEOUT" node $NODE_FLAGS tools/bench_ort.mjs "$2" --web --threads 1 --iters "$3" \
                --warmup 2 --ort-dir "$OUT" $5 $7 ;;
    esac
}

# build_engine ENGINE NAME FILE: the AOT executable / wasm module of a model, once per
# bench run (log in LOGS/NAME.ENGINE.build.log); non-zero when it cannot be built.
build_engine() {
    log="$LOGS/$2.$1.build.log"
    case $1 in
    aot) rm -f "$OUT/aot/$2"
         timeout "$TIMEOUT" "$ODINC" compile "$3" -o "$OUT/aot/$2" >"$log" 2>&1 ;;
    wasm) rm -f "$OUT/wasm/$2.wasm" "$OUT/wasm/$2.relaxed.wasm" "$OUT/wasm/$2.mjs"
          # shellcheck disable=SC2086
          timeout "$TIMEOUT" "$ODINC" wasm "$3" -o "$OUT/wasm/$2.wasm" $WASM_FLAGS >"$log" 2>&1 ;;
    *) return 0 ;;
    esac
}

while read -r name file flops inputs; do
    # The input files in graph order, for the AOT executable and the wasm module's CLI.
    files=$(echo "$inputs" | sed 's/--input [^=]*=//g')
    # First estimate: 20 GFLOP/s plus a little fixed cost; later rounds use the measurement.
    est=$(awk -v f="$flops" 'BEGIN { print f / 2e7 + 0.05 }')
    built=""
    for e in $ENGINES; do
        if build_engine "$e" "$name" "$file"; then
            built="$built $e"
        else
            echo "bench: building $e for $name failed: $(tail -n 1 "$LOGS/$name.$e.build.log")" >&2
            err=$(tail -n 1 "$LOGS/$name.$e.build.log" | tr -d '"\\' | cut -c1-300)
            for t in $THREADS; do
                single "$e" && [ "$t" != 1 ] && continue
                echo "{\"engine\":\"$e\",\"model\":\"$name\",\"threads\":$t,\"rep\":1,\"iters\":0,\"ok\":false,\"error\":\"build: $err\"}" >>"$RAW"
            done
        fi
    done
    rm -rf "$OUT/check/$name"
    for t in $THREADS; do
        for e in $built; do eval "n_$e=\$(iters_for \"\$est\")"; done
        r=1
        while [ "$r" -le "$REPS" ]; do
            for e in $built; do
                if single "$e"; then
                    [ "$t" = 1 ] && [ "$r" -le "$WASM_REPS" ] || continue
                fi
                # Outputs of each engine's first process are kept to check that the engines
                # compute the same thing.
                out_opt=""
                if [ ! -d "$OUT/check/$name/$e" ]; then
                    mkdir -p "$OUT/check/$name/$e"
                    out_opt="--out $OUT/check/$name/$e"
                fi
                eval "n=\$n_$e"
                log="$LOGS/$name.t$t.$e.$r.log"
                run_engine "$e" "$file" "$n" "$t" "$inputs" "$files" "$out_opt" >"$log" 2>&1
                rc=$?
                n_ran=$n
                [ "$e" = odin ] && [ "$has_bench" -eq 0 ] && n_ran=1
                med=$(record "$e" "$name" "$t" "$r" "$n_ran" "$log" "$rc")
                if [ -n "$med" ]; then
                    eval "n_$e=\$(iters_for \"\$med\")"
                else
                    # A model an engine cannot run does not get better on retry.
                    built=$(echo "$built" | sed "s/ $e\b//")
                    echo "bench: $e failed on $name (threads $t): $(tail -n 1 "$log")" >&2
                fi
            done
            r=$((r + 1))
        done
        echo "bench: $name threads $t done ($(($(date +%s) - started)) s)"
    done
done <"$OUT/models.txt"

$PY tools/bench_report.py "$OUT" || die "report failed"
sh tools/bench_lm.sh "$BUILD" || die "LM decode bench (tools/bench_lm.sh) failed"
echo "bench: finished in $(($(date +%s) - started)) s"
