// ODIN wasm LM sessions (runtime/wasm_session.mjs). `odinc wasm` appends this text to the
// loader of a language model (META.lm set), whose module has a decode entry (odin_run,
// odin_io: 1 token) and a prefill entry (odin_run_prefill, odin_io_prefill: META.lm.prefill
// tokens) that share the weights and one state buffer per state pair in the module's memory:
//   const m = await load();
//   const s = m.session();            // state zeroed
//   let logits = s.prefill([72, 105]); // Int32Array or number[]; Float32Array view (vocab)
//   logits = s.step(33);              // one token; s.logits is the same view
//   s.pos; s.reset();
// A prompt goes in chunks of META.lm.prefill tokens through the prefill entry, the rest
// one token at a time. The state lives in the module, so a module has one live session:
// session() resets it. Views stay valid until the next call. As a command:
//   node OUT.mjs --prompt-ids 1,2,3 [--max-tokens N] [--simd auto|plain|relaxed]
//   (greedy; ids, then a JSON line with the module's "simd")

// The message a kernel left for a refused run-time input (say pos + T > max_ctx), from the
// module's odin_error_record (i64 value, then the prefix and suffix string addresses; the
// record is cleared), or '' when there is none.
function odinErrorText(ex) {
  const at = ex.odin_error_record ? ex.odin_error_record() : 0;
  if (!at) return '';
  const buf = ex.memory.buffer, words = new Uint32Array(buf, at + 8, 2);
  if (!words[0]) return '';
  const str = (p) => {
    if (!p) return '';
    const bytes = new Uint8Array(buf, p);
    return new TextDecoder().decode(bytes.subarray(0, bytes.indexOf(0)));
  };
  const text = str(words[0]) + new BigInt64Array(buf, at, 1)[0] + str(words[1]);
  words[0] = 0;
  return text;
}

function openSession(model) {
  const lm = META.lm;
  if (!lm) throw new Error(`${META.model}: not a language model (built without META.lm)`);
  const ex = model.exports;
  const nIn = META.inputs.length;
  const entries = [
    { T: 1, run: ex.odin_run, io: ex.odin_io, rows: 1 },
    { T: lm.prefill, run: ex.odin_run_prefill, io: ex.odin_io_prefill, rows: lm.allLogits ? lm.prefill : 1 },
  ];
  let pos = 0;
  let last = null; // [entry, row] of the latest logits
  const check = (ids) => {
    for (const id of ids)
      if (!Number.isInteger(id) || id < 0 || id >= lm.vocab)
        throw new Error(`token id ${id} is outside the vocabulary [0, ${lm.vocab})`);
    if (lm.maxCtx > 0 && pos + ids.length > lm.maxCtx)
      throw new Error(`context is full: ${pos} tokens fed, ${ids.length} more do not fit max_ctx ${lm.maxCtx}`);
  };
  const run = (e, ids, start) => {
    const buf = ex.memory.buffer;
    const tok = new BigInt64Array(buf, e.io(lm.tokens), e.T);
    for (let t = 0; t < e.T; t++) tok[t] = BigInt(ids[start + t]);
    if (lm.pos >= 0) new BigInt64Array(buf, e.io(lm.pos), 1)[0] = BigInt(pos);
    const rc = e.run();
    if (rc !== 0) {
      const why = odinErrorText(ex);
      throw new Error(`${META.model}: the ${e.T === 1 ? 'decode' : 'prefill'} entry failed (${why || `code ${rc}`})`);
    }
    pos += e.T;
    last = [e, e.rows - 1];
  };
  const session = {
    vocab: lm.vocab,
    prefillTokens: lm.prefill,
    get pos() { return pos; },
    get logits() {
      if (!last) return null;
      const [e, row] = last;
      return new Float32Array(ex.memory.buffer, e.io(nIn + lm.logits) + row * lm.vocab * 4, lm.vocab);
    },
    prefill(tokens) {
      const ids = Array.from(tokens, Number);
      if (!ids.length) throw new Error('prefill needs at least one token');
      check(ids);
      let done = 0;
      for (; ids.length - done >= lm.prefill; done += lm.prefill) run(entries[1], ids, done);
      for (; done < ids.length; done++) run(entries[0], ids, done);
      return session.logits;
    },
    step(id) {
      check([Number(id)]);
      run(entries[0], [Number(id)], 0);
      return session.logits;
    },
    reset() {
      for (const s of lm.states) new Uint8Array(ex.memory.buffer, ex.odin_io(s.input), s.bytes).fill(0);
      pos = 0;
      last = null;
    },
  };
  session.reset();
  return session;
}

// Greedy argmax: the lowest id among equal maxima, NaN skipped (runtime/sample.h).
function argmax(logits) {
  let best = -1;
  for (let i = 0; i < logits.length; i++)
    if (logits[i] === logits[i] && (best < 0 || logits[i] > logits[best])) best = i;
  return best;
}

async function lmMain(argv) {
  let ids = null, maxTokens = 16, simd = 'auto';
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (argv[i] === '--prompt-ids' && /^\d+(,\d+)*$/.test(v ?? '')) ids = v.split(',').map(Number);
    else if (argv[i] === '--max-tokens' && /^\d{1,7}$/.test(v ?? '')) maxTokens = Number(v);
    else if (argv[i] === '--simd' && v !== undefined) simd = v;
    else throw new Error(`bad argument '${argv[i]}'${v === undefined ? '' : ` '${v}'`} (--prompt-ids 1,2,3 [--max-tokens N] [--simd auto|plain|relaxed])`);
  }
  const model = await load(undefined, { simd });
  const s = model.session();
  const now = () => globalThis.performance.now();
  let t0 = now();
  let logits = s.prefill(ids);
  const prefillMs = now() - t0;
  const out = [];
  let decodeMs = 0, steps = 0;
  for (let i = 0; i < maxTokens; i++) {
    const id = argmax(logits);
    if (id < 0) throw new Error('every logit is NaN');
    out.push(id);
    process.stdout.write(`${i ? ' ' : ''}${id}`);
    if (i + 1 === maxTokens) break;
    t0 = now();
    logits = s.step(id);
    decodeMs += now() - t0;
    steps++;
  }
  process.stdout.write('\n');
  console.log(JSON.stringify({
    model: META.model, engine: 'wasm', simd: model.simd, threads: 1, prompt_tokens: ids.length,
    generated_tokens: out.length, prefill_ms: +prefillMs.toFixed(3),
    prefill_tok_s: prefillMs > 0 ? +(ids.length / (prefillMs / 1e3)).toFixed(3) : 0,
    decode_ms: +decodeMs.toFixed(3), decode_steps: steps,
    decode_tok_s: decodeMs > 0 ? +(steps / (decodeMs / 1e3)).toFixed(3) : 0, tokens: out,
  }));
}
