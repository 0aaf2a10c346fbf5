#!/bin/sh
# make demo: build the default model (the gpt2 builder), write it as .odin, show the head
# of its text dump, then JIT-compile it and time 20 runs. `odinc run --bench` prints the
# output summary, the compile line and, last, a JSON line with the timings. Compiled code
# is kept in BUILD/jit-cache, so a second `make demo` loads it instead of compiling.
set -e
B=${1:-build}
echo "== $B/odinc build-model gpt2 -o $B/demo.odin"
"$B/odinc" build-model gpt2 -o "$B/demo.odin"
"$B/odinc" dump "$B/demo.odin" >"$B/demo.txt"
echo
echo "== $B/odinc dump $B/demo.odin (the first 16 of $(wc -l <"$B/demo.txt") lines; all in $B/demo.txt)"
head -n 16 "$B/demo.txt"
echo "   ..."
echo
echo "== $B/odinc run $B/demo.odin --bench 20 --cache-dir $B/jit-cache"
"$B/odinc" run "$B/demo.odin" --bench 20 --cache-dir "$B/jit-cache"
