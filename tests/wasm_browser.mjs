// tests/wasm_browser.mjs — runs a model compiled by `odinc wasm` in headless Chromium:
//   node tests/wasm_browser.mjs NODE_MODULES_PARENT DIR MODEL OUTDIR IN.npy...
// serves DIR (MODEL.mjs, MODEL.wasm, [MODEL.bin], the inputs) from a local http server
// on 127.0.0.1 (random port), opens a page that imports MODEL.mjs, fetches the .npy
// inputs, runs the model and hands the outputs back as .npy bytes, written to
// OUTDIR/<output>.npy, and prints "simd: relaxed|plain" (the module the loader picked). Chromium is Debian's /usr/bin/chromium, driven by npm
// playwright-core (installed under NODE_MODULES_PARENT; it never downloads a browser).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';

const [modulesParent, dir, model, outDir, ...inputs] = process.argv.slice(2);
if (!inputs.length) {
  console.error('usage: node tests/wasm_browser.mjs NODE_MODULES_PARENT DIR MODEL OUTDIR IN.npy...');
  process.exit(2);
}
const require = createRequire(path.resolve(modulesParent) + '/');
const { chromium } = require('playwright-core');

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.html': 'text/html', '.bin': 'application/octet-stream', '.npy': 'application/octet-stream' };

const page = `<!doctype html><meta charset="utf-8"><title>odin wasm test</title>
<script type="module">
import { load, parseNpy, formatNpy, inputs, outputs } from './${model}.mjs';
const files = ${JSON.stringify(inputs)};
try {
  const m = await load();
  const feed = {};
  for (let i = 0; i < files.length; i++) {
    const r = await fetch(files[i]);
    feed[inputs[i].name] = parseNpy(new Uint8Array(await r.arrayBuffer())).data;
  }
  const out = m.run(feed);
  const result = {};
  for (const o of outputs) {
    const bytes = formatNpy(o.dtype, o.shape, out[o.name]);
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    result[o.name] = btoa(s);
  }
  window.odinResult = { ok: true, outputs: result, simd: m.simd };
} catch (e) {
  window.odinResult = { ok: false, error: String(e && e.stack || e) };
}
</script>`;

const server = http.createServer((req, res) => {
  const name = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
  if (name === '' || name === 'index.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
    return;
  }
  // only plain files of DIR, no subfolders or '..'
  const file = path.join(dir, path.basename(name));
  if (path.basename(name) !== name || !fs.existsSync(file)) {
    res.writeHead(404);
    res.end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
  res.end(fs.readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/index.html`;

let browser;
let rc = 1;
try {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const tab = await browser.newPage();
  const logs = [];
  tab.on('console', (m) => logs.push(`console: ${m.text()}`));
  tab.on('pageerror', (e) => logs.push(`page error: ${e.message}`));
  await tab.goto(url);
  await tab.waitForFunction(() => window.odinResult !== undefined, null, { timeout: 60000 });
  const result = await tab.evaluate(() => window.odinResult);
  console.log(`browser: ${browser.version()}`);
  if (!result.ok) {
    console.error(`the page failed: ${result.error}`);
    for (const l of logs) console.error(l);
  } else {
    fs.mkdirSync(outDir, { recursive: true });
    for (const [name, b64] of Object.entries(result.outputs)) {
      const file = name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'output';
      fs.writeFileSync(path.join(outDir, `${file}.npy`), Buffer.from(b64, 'base64'));
      console.log(`${name}: written`);
    }
    console.log(`simd: ${result.simd}`);
    rc = 0;
  }
} catch (e) {
  console.error(`browser test error: ${e.message}`);
} finally {
  if (browser) await browser.close();
  server.close();
}
process.exit(rc);
