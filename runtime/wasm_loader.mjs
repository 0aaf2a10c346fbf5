// ODIN wasm loader (runtime/wasm_loader.mjs). `odinc wasm` writes OUT.mjs as a META line
// describing the model, then this text. Runs in Node 20 and in browsers:
//   import {load} from './OUT.mjs';
//   const m = await load();              // or load(urlOrPath) of the .wasm
//   const out = m.run({x: Float32Array}); // {name: typed array}; m.inputs, m.outputs
// A default build has two modules: OUT.wasm (SIMD128) and OUT.relaxed.wasm (relaxed SIMD).
// load() runs the relaxed one where the engine validates a relaxed-SIMD probe (Chrome 114+,
// Firefox 120+, Node 22+, Node 20 with --experimental-wasm-relaxed-simd), else the plain
// one; m.simd says which ('relaxed' or 'plain'), load(where, {simd: 'plain'}) forces one.
// and as a command like an AOT executable: node OUT.mjs IN.npy... [--out DIR] [--bench N]
// [--simd auto|plain|relaxed] (--bench N times N runs after a warm-up and prints the JSON
// line of `odinc run --bench`, with the module's "simd").
// The module imports nothing; its exports: memory, odin_run, odin_io, odin_weights,
// odin_weights_size (codegen/wasm.h).

const IS_NODE = typeof process === 'object' && process !== null &&
    typeof process.versions === 'object' && !!process.versions.node;

const ARRAY_TYPES = {
  f32: Float32Array, f64: Float64Array, f16: Uint16Array, bf16: Uint16Array,
  i8: Int8Array, u8: Uint8Array, i16: Int16Array, u16: Uint16Array, i32: Int32Array,
  u32: Uint32Array, i64: BigInt64Array, u64: BigUint64Array, bool: Uint8Array,
};

// .npy dtype codes (without the byte-order character).
const NPY_CODES = {
  f4: 'f32', f8: 'f64', f2: 'f16', i1: 'i8', u1: 'u8', i2: 'i16', u2: 'u16', i4: 'i32',
  u4: 'u32', i8: 'i64', u8: 'u64', b1: 'bool',
};

// (v128, v128, v128) -> v128 computing f32x4.relaxed_madd (fd 85 02): a module that
// validates only where the engine runs relaxed SIMD.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128 x3) -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b,
]);

// Whether this engine runs relaxed SIMD.
export function hasRelaxedSimd() {
  try { return WebAssembly.validate(RELAXED_PROBE); } catch { return false; }
}

// The module load() runs: {simd: 'relaxed' | 'plain', file: its name next to META.wasm}.
// want: 'auto' (relaxed where the engine has it), 'plain' or 'relaxed'.
export function pickModule(want = 'auto') {
  if (!['auto', 'plain', 'relaxed'].includes(want))
    throw new Error(`simd: expected 'auto', 'plain' or 'relaxed', got '${want}'`);
  const relaxed = want === 'relaxed' || (want === 'auto' && hasRelaxedSimd());
  if (META.wasmRelaxed) return relaxed ? { simd: 'relaxed', file: META.wasmRelaxed } : { simd: 'plain', file: META.wasm };
  if (want !== 'auto' && want !== META.simd)
    throw new Error(`${META.model}: built with --simd ${META.simd} only; there is no ${want} module`);
  if (META.simd === 'relaxed' && !relaxed)
    throw new Error(`${META.model}: ${META.wasm} needs relaxed SIMD, which this engine lacks ` +
      '(Node 20: --experimental-wasm-relaxed-simd; or build with --simd both)');
  return { simd: META.simd, file: META.wasm };
}

function numel(shape) { return shape.reduce((a, b) => a * b, 1); }

function isUrlText(s) { return /^[a-z][a-z0-9+.-]+:/i.test(s) && !/^[a-z]:[\\/]/i.test(s); }

// Bytes of a file path (Node) or URL (fetch; file: URLs through fs in Node).
async function readBytes(where) {
  if (typeof where === 'string' && isUrlText(where)) where = new URL(where);
  if (IS_NODE && (typeof where === 'string' || where.protocol === 'file:')) {
    const fs = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const buf = await fs.readFile(typeof where === 'string' ? where : fileURLToPath(where));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const r = await fetch(where);
  if (!r.ok) throw new Error(`${where}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// The file `name` in the folder of `where` (a path or URL).
function sibling(where, name) {
  if (where instanceof URL) return new URL(name, where);
  if (isUrlText(where)) return new URL(name, where);
  if (IS_NODE) return where.slice(0, Math.max(where.lastIndexOf('/'), where.lastIndexOf('\\')) + 1) + name;
  return new URL(name, new URL(where, globalThis.document ? document.baseURI : undefined));
}

function toTyped(value, meta) {
  const T = ARRAY_TYPES[meta.dtype];
  if (!T) throw new Error(`input '${meta.name}': dtype ${meta.dtype} is not supported`);
  if (value instanceof T) return value;
  if (T === BigInt64Array || T === BigUint64Array) return T.from(value, (x) => BigInt(x));
  return T.from(value, (x) => Number(x));
}

class Model {
  constructor(exports, simd) {
    this.exports = exports;
    this.simd = simd; // 'relaxed' or 'plain': which module runs
    this.inputs = META.inputs;
    this.outputs = META.outputs;
  }

  // inputs: {name: typed array or array}, one per model input; returns {name: typed array}
  // (copies, valid after later runs).
  run(inputs) {
    const ex = this.exports;
    META.inputs.forEach((m, i) => {
      if (!inputs || inputs[m.name] === undefined)
        throw new Error(`missing input '${m.name}' (${m.dtype} [${m.shape}])`);
      const a = toTyped(inputs[m.name], m);
      if (a.length !== numel(m.shape))
        throw new Error(`input '${m.name}': ${a.length} elements, the model wants ${numel(m.shape)} (${m.dtype} [${m.shape}])`);
      new a.constructor(ex.memory.buffer, ex.odin_io(i), a.length).set(a);
    });
    const rc = ex.odin_run();
    if (rc !== 0) { // a language model's kernels say why (runtime/wasm_session.mjs)
      const why = typeof odinErrorText === 'function' ? odinErrorText(ex) : '';
      throw new Error(`${META.model}: odin_run failed (${why || `code ${rc}`})`);
    }
    const out = {};
    META.outputs.forEach((m, j) => {
      const T = ARRAY_TYPES[m.dtype];
      out[m.name] = new T(ex.memory.buffer, ex.odin_io(META.inputs.length + j), numel(m.shape)).slice();
    });
    return out;
  }

  // A language model's session (runtime/wasm_session.mjs, in modules built from an LM).
  session() {
    if (!META.lm) throw new Error(`${META.model}: not a language model (no session)`);
    return openSession(this);
  }
}

// where: the folder's OUT.wasm (path or URL; default: next to this module); the relaxed
// module is read from the same folder. options.simd: 'auto' (default), 'plain' or
// 'relaxed' (pickModule). options.weights: the side weights file (default: next to the
// .wasm). options.wasmBytes: the bytes of the module pickModule(options.simd) names, already
// at hand; options.weightsBytes: those of the weights.
export async function load(where, options = {}) {
  const pick = pickModule(options.simd ?? 'auto');
  if (where === undefined || where === null) where = new URL(META.wasm, import.meta.url);
  if (pick.file !== META.wasm) where = sibling(where, pick.file);
  const bytes = options.wasmBytes ?? await readBytes(where);
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const ex = instance.exports;
  if (META.weights) {
    const w = options.weightsBytes ?? await readBytes(options.weights ?? sibling(where, META.weights));
    if (w.byteLength !== ex.odin_weights_size())
      throw new Error(`${META.weights}: ${w.byteLength} bytes, the module wants ${ex.odin_weights_size()}`);
    new Uint8Array(ex.memory.buffer, ex.odin_weights(), w.byteLength).set(w);
  }
  return new Model(ex, pick.simd);
}

export const inputs = META.inputs;
export const outputs = META.outputs;

// ---- .npy (version 1-3, little-endian, C order) ----

export function parseNpy(bytes) {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes.length < 10 || bytes[0] !== 0x93 || magic !== 'NUMPY') throw new Error('not a .npy file');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const start = major === 1 ? 10 : 12;
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const header = new TextDecoder().decode(bytes.subarray(start, start + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape) throw new Error('.npy header without descr or shape');
  if (/'fortran_order'\s*:\s*True/.test(header)) throw new Error('Fortran-order .npy is not supported');
  const order = descr[1][0];
  const dtype = NPY_CODES[descr[1].slice(1)];
  if (!dtype || order === '>') throw new Error(`.npy dtype '${descr[1]}' is not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const T = ARRAY_TYPES[dtype];
  const nbytes = numel(dims) * T.BYTES_PER_ELEMENT;
  if (start + hlen + nbytes > bytes.length) throw new Error('.npy data is truncated');
  const data = new T(bytes.slice(start + hlen, start + hlen + nbytes).buffer);
  return { dtype, shape: dims, data };
}

export function formatNpy(dtype, shape, data) {
  const code = Object.keys(NPY_CODES).find((k) => NPY_CODES[k] === dtype);
  const order = code[1] === '1' ? '|' : '<';
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${order}${code}', 'fortran_order': False, 'shape': ${dims}, }`;
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

// ---- command line: node OUT.mjs IN.npy... [--out DIR] [--bench N] ----

// The file name `odinc run --out` uses for an output: [A-Za-z0-9._-] of its UTF-8 bytes.
function outputFileName(name, index) {
  let s = '';
  for (const b of new TextEncoder().encode(name)) {
    const c = String.fromCharCode(b);
    s += /[A-Za-z0-9_-]/.test(c) || (c === '.' && s.length > 0) ? c : '_';
  }
  return s || `output_${index}`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// N timed runs after warm-up runs: at least 3 and 1 s, as V8 runs the module's functions
// in baseline code until its optimizing tier, compiling in the background, replaces them
// (tools/bench_ort.mjs warms onnxruntime-web up alike); the JSON line of `odinc run
// --bench` (engine "wasm", one thread).
function bench(model, inputs, runs, loadMs) {
  const now = () => globalThis.performance.now();
  const w0 = now();
  for (let i = 0; i < 3 || now() - w0 < 1000; i++) model.run(inputs);
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    model.run(inputs);
    ms.push(now() - t0);
  }
  const rss = IS_NODE ? process.memoryUsage().rss / (1 << 20) : 0;
  console.log(JSON.stringify({
    model: META.model, engine: 'wasm', threads: 1, compile_ms: 0, load_ms: +loadMs.toFixed(3),
    median_ms: +median(ms).toFixed(4), min_ms: +Math.min(...ms).toFixed(4), iters: runs,
    peak_rss_mb: +rss.toFixed(1), simd: model.simd,
  }));
}

async function main(argv) {
  if (META.lm && argv.includes('--prompt-ids')) return lmMain(argv);
  const files = [];
  let outDir = null, benchRuns = 0, simd = 'auto';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') {
      console.log(`usage: node ${META.model}.mjs ${META.inputs.map((m) => m.name + '.npy').join(' ')} [--out DIR] [--bench N] [--simd auto|plain|relaxed]`);
      return;
    }
    if (argv[i] === '--bench') {
      const v = argv[++i];
      if (!/^[1-9][0-9]{0,6}$/.test(v ?? '')) throw new Error('--bench expects a positive count');
      benchRuns = Number(v);
    } else if (argv[i] === '--simd') {
      simd = argv[++i] ?? '';
    } else if (argv[i] === '--out') {
      if (i + 1 >= argv.length) throw new Error('--out needs a folder');
      outDir = argv[++i];
    } else if (argv[i].startsWith('--out=')) {
      outDir = argv[i].slice(6);
    } else if (argv[i].startsWith('-')) {
      throw new Error(`unknown option '${argv[i]}'`);
    } else {
      files.push(argv[i]);
    }
  }
  if (files.length !== META.inputs.length)
    throw new Error(`expected ${META.inputs.length} input .npy files (${META.inputs.map((m) => m.name).join(', ')}), got ${files.length}`);
  const fs = await import('node:fs');
  const inputs = {};
  META.inputs.forEach((m, i) => {
    const a = parseNpy(new Uint8Array(fs.readFileSync(files[i])));
    if (a.dtype !== m.dtype) throw new Error(`input '${m.name}': ${files[i]} holds ${a.dtype} data, the model wants ${m.dtype}`);
    if (a.shape.join(',') !== m.shape.join(','))
      throw new Error(`input '${m.name}': ${files[i]} has shape [${a.shape}], the model wants [${m.shape}]`);
    inputs[m.name] = a.data;
  });
  const t0 = globalThis.performance.now();
  const model = await load(undefined, { simd });
  const loadMs = globalThis.performance.now() - t0;
  const out = model.run(inputs);
  const used = [];
  META.outputs.forEach((m, j) => {
    console.log(`${m.name}: ${m.dtype} [${m.shape}]`);
    if (!outDir) return;
    let file = outputFileName(m.name, j);
    if (used.includes(file)) file += `_${j}`;
    used.push(outputFileName(m.name, j));
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(`${outDir}/${file}.npy`, formatNpy(m.dtype, m.shape, out[m.name]));
  });
  if (benchRuns) bench(model, inputs, benchRuns, loadMs);
}

if (IS_NODE && process.argv[1]) {
  const { realpathSync } = await import('node:fs');
  const { pathToFileURL } = await import('node:url');
  let isMain = false;
  try { isMain = pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url; } catch { }
  if (isMain) {
    try {
      await main(process.argv.slice(2));
    } catch (e) {
      console.error(`${META.model}.mjs: ${e.message}`);
      process.exitCode = 1;
    }
  }
}
