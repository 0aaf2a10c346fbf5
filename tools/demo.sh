#!/bin/sh
# make demo: build the default RWKV-v6 language model (0.1B parameters, seeded random
# weights, 65536-token vocabulary) as .odin, show the head of its text dump, then generate
# from it with `odinc generate`: the prompt is prefilled in one 32-token chunk, then 48
# tokens are decoded one at a time and streamed, and a JSON line gives tokens per second.
# The weights are random, so the text is noise (ids past 255 print as <id>: the byte
# tokenizer has no text for them). The model is rebuilt only when odinc is newer, and
# compiled code is kept in BUILD/jit-cache, so a second `make demo` skips both.
set -e
B=${1:-build}
M="$B/demo-rwkv6.odin"
if [ ! -f "$M" ] || [ "$B/odinc" -nt "$M" ]; then
    echo "== $B/odinc build-model rwkv6 -o $M"
    "$B/odinc" build-model rwkv6 -o "$M"
fi
"$B/odinc" dump "$M" >"$B/demo.txt"
echo
echo "== $B/odinc dump $M (the first 16 of $(wc -l <"$B/demo.txt") lines; all in $B/demo.txt)"
head -n 16 "$B/demo.txt"
echo "   ..."
echo
prompt="The ODIN compiler runs RWKV-v6: "
echo "(random weights: the continuation is noise; ids past 255 print as <id>)"
echo "== $B/odinc generate $M --prompt \"$prompt\" --max-tokens 48 --chunk 32 --cache-dir $B/jit-cache"
"$B/odinc" generate "$M" --prompt "$prompt" --max-tokens 48 --chunk 32 --cache-dir "$B/jit-cache" |
    tee "$B/demo-generate.txt"
tail -n 1 "$B/demo-generate.txt" | /usr/bin/python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
print("\nprefill %.1f tokens/s, decode %.1f tokens/s (%d threads); compile %.1f s for %d chunk lengths; "
      "peak RSS %.0f MB" % (j["prefill_tok_s"], j["decode_tok_s"], j["threads"], j["compile_ms"] / 1e3,
                          j["compiles"], j["peak_rss_mb"]))'
