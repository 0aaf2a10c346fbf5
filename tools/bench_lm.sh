#!/bin/sh
# tools/bench_lm.sh BUILD — decode speed of the language-model builders' default configs
# (rwkv6 0.1B, gpt2 kv=1, llama; seeded random weights) with `odinc generate` on the JIT,
# at each thread count, beside the memory-bandwidth bound: a decode step reads every
# weight once (embedding tables: one row; `weight_mb_per_token` in generate's JSON line),
# so tokens/s cannot beat bandwidth / weight bytes. Bandwidth is peak_probe's streaming
# read rate for that many threads (BUILD/bench/peak.json, written by tools/bench.sh or
# here). Results: BUILD/bench/lm.json and a table on stdout. Called at the end of `make
# bench`; runs alone too.
#
# Env: BENCH_THREADS ("1 2"); BENCH_LM_REPS (3) processes per model and thread count, the
# median is reported; BENCH_LM_TOKENS (32) decoded tokens per process; BENCH_LM_MODELS
# (default "rwkv6 gpt2 llama").
set -u
BUILD=${1:-build}
OUT="$BUILD/bench"
LM="$OUT/lm"
ODINC="$BUILD/odinc"
PY=/usr/bin/python3
THREADS=${BENCH_THREADS:-"1 2"}
REPS=${BENCH_LM_REPS:-3}
TOKENS=${BENCH_LM_TOKENS:-32}
MODELS=${BENCH_LM_MODELS:-"rwkv6 gpt2 llama"}
PROMPT="Sixteen tokens: " # 16 bytes = one prefill chunk of 16 (--chunk 16)
mkdir -p "$LM" || exit 1
die() { echo "bench_lm: $*" >&2; exit 1; }

if [ ! -s "$OUT/peak.json" ]; then
    echo "bench_lm: probing memory bandwidth"
    "$BUILD/peak_probe" >"$OUT/peak.json" || die "peak_probe failed"
fi

RAW="$LM/raw.jsonl"
: >"$RAW"
for name in $MODELS; do
    case $name in
    gpt2) set_opts="--set kv=1" ;;
    *) set_opts="" ;;
    esac
    file="$LM/$name.odin"
    if [ ! -f "$file" ] || [ "$ODINC" -nt "$file" ]; then
        echo "bench_lm: $ODINC build-model $name $set_opts"
        # shellcheck disable=SC2086 # set_opts is a word list
        "$ODINC" build-model "$name" $set_opts -o "$file" >/dev/null || die "build-model $name failed"
    fi
    for t in $THREADS; do
        r=1
        while [ "$r" -le "$REPS" ]; do
            log="$LM/$name.t$t.$r.log"
            "$ODINC" generate "$file" --prompt "$PROMPT" --max-tokens "$TOKENS" --threads "$t" \
                --chunk 16 --cache-dir "$LM/jit-cache" --no-echo >"$log" 2>&1
            rc=$?
            last=$(tail -n 1 "$log")
            if [ "$rc" -eq 0 ] && echo "$last" | grep -q '"decode_tok_s"'; then
                echo "{\"model\":\"$name\",\"threads\":$t,\"rep\":$r,\"result\":$last}" >>"$RAW"
            else
                echo "bench_lm: $name threads $t failed (exit $rc): $(tail -n 1 "$log")" >&2
            fi
            r=$((r + 1))
        done
    done
done

$PY - "$RAW" "$OUT/peak.json" "$OUT/lm.json" <<'EOF' || die "summary failed"
import json, statistics, sys
raw, peak_file, out = sys.argv[1:4]
peak = json.load(open(peak_file))
rows = [json.loads(l) for l in open(raw) if l.strip()]

def bandwidth(threads):  # GB/s of peak_probe's streaming read for this many threads
    if threads == 1:
        return peak["read_gbs_1"]
    if threads == peak["threads"]:
        return peak["read_gbs_n"]
    return min(peak["read_gbs_1"] * threads, peak["read_gbs_n"])

results = []
for key in sorted({(r["model"], r["threads"]) for r in rows}, key=lambda k: (k[0], k[1])):
    rs = [r["result"] for r in rows if (r["model"], r["threads"]) == key]
    decode = statistics.median(x["decode_tok_s"] for x in rs)
    prefill = statistics.median(x["prefill_tok_s"] for x in rs)
    mb = rs[0]["weight_mb_per_token"]
    bound = bandwidth(key[1]) * 1e3 / mb if mb > 0 else None
    results.append({"model": key[0], "threads": key[1], "processes": len(rs),
                    "decode_tok_s": decode, "prefill_tok_s": prefill,
                    "decode_tok_s_all": [x["decode_tok_s"] for x in rs],
                    "weight_mb_per_token": mb, "bandwidth_gbs": bandwidth(key[1]),
                    "bound_tok_s": bound, "ratio": decode / bound if bound else None,
                    "compile_ms_cold": max(x["compile_ms"] for x in rs),
                    "peak_rss_mb": max(x["peak_rss_mb"] for x in rs)})
json.dump({"peak": peak, "results": results}, open(out, "w"), indent=1)
print("%-7s %7s %10s %11s %11s %8s %9s %11s" % ("model", "threads", "weight MB", "decode t/s",
      "bound t/s", "of bound", "GB/s", "prefill t/s"))
for e in results:
    print("%-7s %7d %10.1f %11.1f %11.1f %7.0f%% %9.1f %11.1f" % (
        e["model"], e["threads"], e["weight_mb_per_token"], e["decode_tok_s"], e["bound_tok_s"] or 0,
        100 * (e["ratio"] or 0), e["bandwidth_gbs"], e["prefill_tok_s"]))
print("bench_lm: wrote %s" % out)
EOF
