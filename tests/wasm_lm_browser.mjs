// tests/wasm_lm_browser.mjs — the LM demo page (tools/demo_web/index.html) in headless
// Chromium:  node tests/wasm_lm_browser.mjs NODE_MODULES_PARENT DIR MODEL PROMPT MAX
// serves DIR (MODEL.mjs, MODEL.wasm) and the page from 127.0.0.1 (random port), opens
// index.html?model=MODEL&prompt=PROMPT&max=MAX&auto=1 and prints the page's result
// (window.odinDemoResult: generated ids, text) as one JSON line. Chromium is Debian's
// /usr/bin/chromium driven by npm playwright-core; no browser is ever downloaded.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const [modulesParent, dir, model, prompt, max] = process.argv.slice(2);
if (!max) {
  console.error('usage: node tests/wasm_lm_browser.mjs NODE_MODULES_PARENT DIR MODEL PROMPT MAX');
  process.exit(2);
}
const require = createRequire(path.resolve(modulesParent) + '/');
const { chromium } = require('playwright-core');
const page = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)),
  '../tools/demo_web/index.html'));
const TYPES = { '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.bin': 'application/octet-stream' };

const server = http.createServer((req, res) => {
  const name = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
  if (name === '' || name === 'index.html') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
    return;
  }
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
const q = new URLSearchParams({ model, prompt, max, auto: '1' });
const url = `http://127.0.0.1:${server.address().port}/index.html?${q}`;

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
  await tab.waitForFunction(() => window.odinDemoResult !== undefined, null, { timeout: 60000 });
  const result = await tab.evaluate(() => window.odinDemoResult);
  if (!result.ok) {
    console.error(`the page failed: ${result.error}`);
    for (const l of logs) console.error(l);
  } else {
    console.log(JSON.stringify({ browser: browser.version(), ...result }));
    rc = 0;
  }
} catch (e) {
  console.error(`browser test error: ${e.message}`);
} finally {
  if (browser) await browser.close();
  server.close();
}
process.exit(rc);
