#!/bin/sh
# Runs every unit-test binary and every tests/t_*.sh script; sums their
# "N passed, N failed" lines and prints the total as the last line.
# Env: BUILD (build folder), SAN (1 under sanitizers).
BUILD=${BUILD:-build}
export BUILD ODINC="$BUILD/odinc"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
total_pass=0
total_fail=0
logdir="$BUILD/test-logs"
mkdir -p "$logdir"
run_one() {
    name=$1
    shift
    log="$logdir/$name.log"
    "$@" >"$log" 2>&1
    rc=$?
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    p=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\2/')
    f=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed.*/\3/')
    if [ -z "$line" ]; then
        p=0
        f=1
        echo "FAIL $name: no result line (exit $rc); log: $log"
        tail -n 20 "$log"
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "FAIL $name: exit $rc; log: $log"
        tail -n 20 "$log"
    elif [ "$f" -ne 0 ]; then
        echo "FAIL $name: $line; log: $log"
        grep -E 'FAIL' "$log" | head -n 30
    else
        echo "ok   $name: $line"
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
}
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    run_one "$(basename "$t")" "$t"
done
for s in tests/t_*.sh; do
    [ -f "$s" ] || continue
    run_one "$(basename "$s" .sh)" sh "$s"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
