#!/bin/sh
# tests/conformance.sh BUILD ENGINE — the ONNX backend node tests as a conformance suite.
# Runs `odinc check --engine ENGINE` on every directory of the node tests, prints the
# totals and the failures grouped by op, and writes
#   BUILD/conformance-ENGINE.txt  one line per test: name, status, the model's ops, message
#   BUILD/conformance-ENGINE.md   the summary tables (for the README)
# Tests run in batches (one odinc process checks CONFORMANCE_BATCH directories with
# --summary, which saves the process start-up per test), batches in parallel. A batch that
# crashes or times out loses only its unfinished tests: those re-run one per process, each
# under its own timeout, so a crash or hang fails only its own test.
# Env: CONFORMANCE_DATA (test folder), CONFORMANCE_JOBS (default 2), CONFORMANCE_TIMEOUT
# (seconds per test, default 20), CONFORMANCE_BATCH (tests per process, default 16; 1 runs
# each test alone), CONFORMANCE_FILTER (grep -E pattern on test names).
BUILD=${1:-build}
ENGINE=${2:-ref}
ODINC="$BUILD/odinc"
DATA=${CONFORMANCE_DATA:-/usr/share/libonnx-testdata/data/node}
JOBS=${CONFORMANCE_JOBS:-2}
TIMEOUT=${CONFORMANCE_TIMEOUT:-20}
BATCH=${CONFORMANCE_BATCH:-16}
FILTER=${CONFORMANCE_FILTER:-.}
RTOL=1e-3
ATOL=1e-7

if [ ! -x "$ODINC" ]; then
    echo "conformance: $ODINC not built (run make BUILD=$BUILD)" >&2
    exit 2
fi
if [ ! -d "$DATA" ]; then
    echo "conformance: no test data in $DATA (Debian package libonnx-testdata)" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/odin-conformance.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM

# One test alone: writes $work/<name>.res as "name<TAB>status<TAB>ops<TAB>message".
cat >"$work/one.sh" <<'EOF'
name=$1
dir="$DATA/$name"
out="$WORK/$name.out"
timeout -k 5 "$TIMEOUT" "$ODINC" check --engine "$ENGINE" --rtol "$RTOL" --atol "$ATOL" "$dir" \
    >"$out" 2>&1
rc=$?
case $rc in
0) status=PASS ;;
3) status=UNSUPPORTED ;;
124 | 137) status=TIMEOUT ;;
1) if grep -q '^FAIL' "$out"; then status=FAIL; else status=ERROR; fi ;;
*) if [ "$rc" -gt 128 ]; then status=CRASH; else status=ERROR; fi ;;
esac
msg=""
if [ "$status" != PASS ]; then
    msg=$(grep -m1 -E '^(FAIL|ERROR|UNSUPPORTED)' "$out")
    [ -n "$msg" ] || msg=$(grep -v '^\s*$' "$out" | tail -n 1)
    [ "$status" = TIMEOUT ] && msg="timed out after ${TIMEOUT}s"
    [ "$status" = CRASH ] && msg="exit $rc: $msg"
fi
sh "$WORK/res.sh" "$name" "$status" "$msg"
EOF

# res.sh NAME STATUS MESSAGE: the .res line (with the model's ops when it did not pass).
cat >"$work/res.sh" <<'EOF'
ops=""
msg=""
if [ "$2" != PASS ]; then
    ops=$("$ODINC" check --list-ops "$DATA/$1" 2>/dev/null | paste -sd+ -)
    msg=$(printf '%s' "$3" | tr '\t\n' '  ' | cut -c1-400)
fi
printf '%s\t%s\t%s\t%s\n' "$1" "$2" "${ops:--}" "$msg" >"$WORK/$1.res"
EOF

# A batch of tests in one process; the ones it did not report re-run alone.
cat >"$work/batch.sh" <<'EOF'
id=$$
dirs=""
for name in "$@"; do dirs="$dirs $DATA/$name"; done
# A generous limit for the whole batch; a hang costs this once, then the rest runs alone.
limit=$((TIMEOUT + 5 * $#))
# shellcheck disable=SC2086 # test directory names have no spaces
timeout -k 5 "$limit" "$ODINC" check --summary --engine "$ENGINE" --rtol "$RTOL" \
    --atol "$ATOL" $dirs >"$WORK/batch.$id.out" 2>"$WORK/batch.$id.err"
for name in "$@"; do
    line=$(awk -F'\t' -v d="$DATA/$name" '$2 == d' "$WORK/batch.$id.out" | head -n 1)
    if [ -z "$line" ]; then
        sh "$WORK/one.sh" "$name"
        continue
    fi
    status=$(printf '%s' "$line" | cut -f1)
    msg=$(printf '%s' "$line" | cut -f3-)
    sh "$WORK/res.sh" "$name" "$status" "$msg"
done
EOF

export DATA WORK="$work" ODINC ENGINE TIMEOUT RTOL ATOL
start=$(date +%s)
if [ "$BATCH" -le 1 ]; then
    ls "$DATA" | grep -E "$FILTER" | xargs -P "$JOBS" -n 1 sh "$work/one.sh"
else
    ls "$DATA" | grep -E "$FILTER" | xargs -P "$JOBS" -n "$BATCH" sh "$work/batch.sh"
fi
elapsed=$(($(date +%s) - start))

results="$BUILD/conformance-$ENGINE.txt"
cat "$work"/*.res 2>/dev/null | sort >"$results"
total=$(wc -l <"$results")
passed=$(awk -F'\t' '$2 == "PASS"' "$results" | wc -l)
unsupported=$(awk -F'\t' '$2 == "UNSUPPORTED"' "$results" | wc -l)
failed=$((total - passed - unsupported))

# Failures grouped by the model's ops; unsupported tests grouped by each missing op
# (the importer names them as "(Op, domain ..."; the checker as "unsupported op A, B").
awk -F'\t' -v engine="$ENGINE" -v total="$total" -v passed="$passed" -v failed="$failed" \
    -v unsupported="$unsupported" -v secs="$elapsed" '
function short(s) { return length(s) > 60 ? substr(s, 1, 57) "..." : s }
$2 != "PASS" && $2 != "UNSUPPORTED" {
    key = $3; if (key ~ /\+.*\+.*\+/) key = "(" (split($3, parts, "+")) " ops) " short($3)
    n[key]++; if (n[key] <= 4) ex[key] = ex[key] (n[key] > 1 ? ", " : "") $1
    kinds[key] = kinds[key] (index(kinds[key], $2) ? "" : (kinds[key] ? "/" : "") $2)
}
$2 == "UNSUPPORTED" {
    msg = $4; found = 0; delete seen
    while (match(msg, /\([A-Za-z0-9_]+, domain/)) {
        op = substr(msg, RSTART + 1, RLENGTH - 9); msg = substr(msg, RSTART + RLENGTH)
        if (!(op in seen)) { seen[op] = 1; u[op]++; found = 1 }
    }
    if (!found && match($4, /unsupported op [^ ,]+/)) { u[substr($4, RSTART + 15, RLENGTH - 15)]++; found = 1 }
    if (!found) u["(other)"]++
}
END {
    printf "## ONNX backend node tests, engine `%s`\n\n", engine
    printf "| tests | passed | failed | unsupported | seconds |\n|---|---|---|---|---|\n"
    printf "| %d | %d | %d | %d | %d |\n\n", total, passed, failed, unsupported, secs
    if (failed) {
        printf "### Failures by op\n\n| ops | failed | status | examples |\n|---|---|---|---|\n"
        for (k in n) printf "| %s | %d | %s | %s |\n", k, n[k], kinds[k], ex[k] | "sort -t\"|\" -k3,3nr -k2,2"
        close("sort -t\"|\" -k3,3nr -k2,2")
        printf "\n"
    }
    if (unsupported) {
        printf "### Unsupported ops (tests they block)\n\n| op | tests |\n|---|---|\n"
        for (k in u) printf "| %s | %d |\n", k, u[k] | "sort -t\"|\" -k3,3nr -k2,2"
        close("sort -t\"|\" -k3,3nr -k2,2")
    }
}' "$results" >"$BUILD/conformance-$ENGINE.md"

cat "$BUILD/conformance-$ENGINE.md"
echo
echo "conformance ($ENGINE): $total tests; passed $passed, failed $failed, unsupported $unsupported"
echo "details: $results, summary: $BUILD/conformance-$ENGINE.md"
