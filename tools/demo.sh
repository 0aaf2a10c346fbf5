#!/bin/sh
# make demo: build the default model, write it, and show it.
set -e
B=${1:-build}
"$B/odinc" build-model gpt2 -o "$B/demo.odin"
"$B/odinc" dump "$B/demo.odin"
