// tools/bench_ort.mjs — times one model on ONNX Runtime the way tools/bench.sh times ODIN:
// one session, warm-up runs, then N timed runs; prints JSON {"model","engine","threads",
// "load_ms","median_ms","min_ms"} as its last line. Native CPU (npm onnxruntime-node) by
// default; --web: onnxruntime-web's WebAssembly backend in Node (executionProviders
// ['wasm'], its SIMD build, ort.env.wasm.numThreads = 1: a single-threaded browser page).
//
// usage: node tools/bench_ort.mjs MODEL.onnx --input NAME=FILE.npy ... [--threads T]
//             [--iters N] [--warmup W] [--warmup-ms MS] [--ort-dir DIR] [--out DIR] [--web]
// Warm-up: at least W runs and MS milliseconds (default 1000 with --web, else 0): V8 runs a
// module's functions in baseline code until its optimizing tier, compiling in the
// background, replaces them; the ODIN wasm loader's --bench warms up the same way.
// --ort-dir: the folder whose node_modules holds onnxruntime-node / -web (default build/bench).
// --out: writes each output as DIR/<name>.npy (float32/int64/int32), to check answers.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

function usage(msg) {
    console.error(`bench_ort: ${msg}`);
    console.error('usage: node tools/bench_ort.mjs MODEL.onnx --input NAME=FILE.npy ... ' +
                  '[--threads T] [--iters N] [--warmup W] [--warmup-ms MS] [--ort-dir DIR] [--out DIR] [--web]');
    process.exit(2);
}

function parseArgs(argv) {
    const o = { inputs: {}, threads: 1, iters: 20, warmup: 3, ortDir: 'build/bench', out: null,
                web: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) usage(`${a} needs a value`);
            return argv[++i];
        };
        const int = (v) => {
            if (!/^[0-9]+$/.test(v)) usage(`${a} expects a non-negative integer, got '${v}'`);
            return parseInt(v, 10);
        };
        if (a === '--input') {
            const v = val(), eq = v.indexOf('=');
            if (eq <= 0) usage(`--input expects NAME=FILE.npy, got '${v}'`);
            o.inputs[v.slice(0, eq)] = v.slice(eq + 1);
        } else if (a === '--threads') o.threads = int(val());
        else if (a === '--iters') o.iters = int(val());
        else if (a === '--warmup') o.warmup = int(val());
        else if (a === '--warmup-ms') o.warmupMs = int(val());
        else if (a === '--ort-dir') o.ortDir = val();
        else if (a === '--out') o.out = val();
        else if (a === '--web') o.web = true;
        else if (a.startsWith('-')) usage(`unknown option '${a}'`);
        else if (!o.model) o.model = a;
        else usage(`more than one model given ('${o.model}', '${a}')`);
    }
    if (!o.model) usage('no model given');
    if (o.iters < 1) usage('--iters must be at least 1');
    if (o.web && o.threads !== 1) usage('--web runs single-threaded (--threads 1)');
    return o;
}

// numpy dtype descr -> [onnxruntime type name, typed-array constructor]
const NPY_TYPES = {
    '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
    '<i8': ['int64', BigInt64Array], '<i4': ['int32', Int32Array],
    '|b1': ['bool', Uint8Array], '|u1': ['uint8', Uint8Array], '|i1': ['int8', Int8Array],
};

function readNpy(file) {
    const buf = fs.readFileSync(file);
    if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
    const major = buf[6];
    const hlen = major >= 2 ? buf.readUInt32LE(8) : buf.readUInt16LE(8);
    const hstart = major >= 2 ? 12 : 10;
    const header = buf.toString('latin1', hstart, hstart + hlen);
    const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
    const fortran = /'fortran_order':\s*True/.test(header);
    const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
    if (!descr || shapeText === undefined) throw new Error(`${file}: bad .npy header`);
    if (fortran) throw new Error(`${file}: Fortran-order arrays are not supported`);
    const t = NPY_TYPES[descr];
    if (!t) throw new Error(`${file}: dtype '${descr}' is not supported`);
    const dims = shapeText.split(',').map((s) => s.trim()).filter((s) => s).map(Number);
    const n = dims.reduce((a, b) => a * b, 1);
    const start = hstart + hlen;
    // Copy into a fresh, aligned buffer: typed arrays need element-aligned offsets.
    const bytes = new Uint8Array(n * t[1].BYTES_PER_ELEMENT);
    if (start + bytes.length > buf.length) throw new Error(`${file}: truncated data`);
    bytes.set(buf.subarray(start, start + bytes.length));
    return { type: t[0], data: new t[1](bytes.buffer), dims };
}

function writeNpy(file, tensor) {
    const descr = Object.entries(NPY_TYPES).find(([, t]) => t[0] === tensor.type)?.[0];
    if (!descr) return; // a type the checks do not compare
    const shape = tensor.dims.length === 1 ? `${tensor.dims[0]},` : tensor.dims.join(', ');
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape}), }`;
    const pad = 64 - ((10 + header.length + 1) % 64);
    header += ' '.repeat(pad % 64) + '\n';
    const pre = Buffer.alloc(10);
    pre.write('\x93NUMPY', 0, 'latin1');
    pre[6] = 1;
    pre[7] = 0;
    pre.writeUInt16LE(header.length, 8);
    const d = tensor.data;
    fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
                                          Buffer.from(d.buffer, d.byteOffset, d.byteLength)]));
}

const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main() {
    const o = parseArgs(process.argv.slice(2));
    const require = createRequire(path.resolve(o.ortDir, 'package.json'));
    const pkg = o.web ? 'onnxruntime-web' : 'onnxruntime-node';
    let ort;
    try {
        ort = require(pkg);
    } catch (e) {
        console.error(`bench_ort: cannot load ${pkg} from ${o.ortDir}/node_modules ` +
                      `(npm install --ignore-scripts --prefix ${o.ortDir} ${pkg}): ${e.message}`);
        process.exit(1);
    }
    let opts = {
        intraOpNumThreads: o.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        executionProviders: ['cpu'],
    };
    if (o.web) {
        // One thread, no proxy worker: the module runs on this thread like ODIN's. The
        // package ships only SIMD builds of its .wasm, so SIMD is on.
        ort.env.wasm.numThreads = 1;
        ort.env.wasm.proxy = false;
        opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
    }
    const t0 = performance.now();
    const session = await ort.InferenceSession.create(o.model, opts);
    const loadMs = performance.now() - t0;
    const feeds = {};
    for (const name of session.inputNames) {
        const file = o.inputs[name];
        if (!file) throw new Error(`${o.model}: no --input for model input '${name}'`);
        const a = readNpy(file);
        feeds[name] = new ort.Tensor(a.type, a.data, a.dims);
    }
    for (const name of Object.keys(o.inputs))
        if (!session.inputNames.includes(name))
            throw new Error(`${o.model}: --input ${name}: the model has no input named '${name}'`);
    let out;
    const warmMs = o.warmupMs ?? (o.web ? 1000 : 0), w0 = performance.now();
    for (let i = 0; i < o.warmup || performance.now() - w0 < warmMs; i++) out = await session.run(feeds);
    const times = [];
    for (let i = 0; i < o.iters; i++) {
        const s = performance.now();
        out = await session.run(feeds);
        times.push(performance.now() - s);
    }
    if (o.out) {
        fs.mkdirSync(o.out, { recursive: true });
        for (const [name, t] of Object.entries(out))
            writeNpy(path.join(o.out, name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy'), t);
    }
    console.log(JSON.stringify({
        model: o.model, engine: o.web ? 'ort-web' : 'ort', threads: o.threads, load_ms: +loadMs.toFixed(3),
        median_ms: +median(times).toFixed(4), min_ms: +Math.min(...times).toFixed(4),
    }));
}

main().catch((e) => {
    console.error(`bench_ort: ${e.message}`);
    process.exit(1);
});
