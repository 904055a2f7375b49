// The browser entry (dist/web/extension.js) runs in a web worker, as VS Code
// for the Web runs extensions: no Node APIs, every `require` other than
// `vscode` fails, the WASM files come through workspace.fs. It activates, loads
// tree-sitter and publishes diagnostics for a document.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildSync } from 'esbuild';
import { chromiumPath, launchChromium, MISSING_CHROMIUM, type RunningBrowser } from '../webview/chromium';
import { existsSync } from 'node:fs';

const root = join(__dirname, '..', '..', '..');
const skip = process.env.GPUVM_SKIP_BROWSER_TESTS === '1';
let server: Server;
let origin = '';
let running: RunningBrowser | undefined;

const WORKER = `
self.onmessage = async (e) => {
  const { origin, docs } = e.data;
  const out = { requires: [], diagnostics: {}, log: [] };
  try {
    importScripts(origin + '/fake-vscode.js');          // defines self.fakeVscode
    const vs = self.fakeVscode;
    vs.state.readFile = async (u) => new Uint8Array(await (await fetch(origin + u.path)).arrayBuffer());
    const code = await (await fetch(origin + '/dist/web/extension.js')).text();
    const module = { exports: {} };
    const require = (m) => { out.requires.push(m); if (m === 'vscode') return vs; throw new Error('require(' + m + ') in the web extension'); };
    new Function('module', 'exports', 'require', code)(module, module.exports, require);
    const api = module.exports.activate({ subscriptions: [], extensionUri: vs.Uri.file('') });
    await api.ready;
    for (const d of docs) vs.openDocument(d.path, d.languageId, d.text);
    const end = Date.now() + 10000;
    while (Date.now() < end && docs.some((d) => !vs.state.diagnostics.has('file://' + d.path))) await new Promise((r) => setTimeout(r, 20));
    for (const [k, v] of vs.state.diagnostics) out.diagnostics[k] = v.map((x) => (x.code && x.code.value) || x.message);
    out.log = vs.state.log;
    out.hasProcess = typeof process !== 'undefined';
  } catch (err) {
    out.error = String(err && err.stack || err);
  }
  self.postMessage(out);
};`;

before(async () => {
  if (skip) return;
  if (!existsSync(chromiumPath())) throw new Error(MISSING_CHROMIUM(chromiumPath()));
  const fake = buildSync({ entryPoints: [join(root, 'test/vscode/fake-vscode.ts')], bundle: true, write: false, format: 'iife', globalName: 'fakeVscode', platform: 'browser' }).outputFiles[0]!.text;
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/') { res.setHeader('content-type', 'text/html'); res.end('<!doctype html><title>web extension host</title>'); return; }
    if (url === '/worker.js') { res.setHeader('content-type', 'text/javascript'); res.end(WORKER); return; }
    if (url === '/fake-vscode.js') { res.setHeader('content-type', 'text/javascript'); res.end(`${fake};self.fakeVscode = fakeVscode;`); return; }
    if (/^\/dist\/[\w./-]+$/.test(url) && !url.includes('..')) {
      try {
        res.setHeader('content-type', url.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.end(readFileSync(join(root, url)));
      } catch { res.statusCode = 404; res.end(); }
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  running = await launchChromium();
});

after(async () => {
  await running?.stop();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
});

test('the web extension activates in a worker and publishes diagnostics', { skip: skip && 'GPUVM_SKIP_BROWSER_TESTS=1' }, async () => {
  const page = await running!.browser.contexts()[0]!.newPage();
  await page.goto(origin);
  const scenario = readFileSync(join(root, 'examples/scenarios/rules/lock-leak.bad.gpuvm'), 'utf8');
  const result = await page.evaluate(async ({ origin, scenario }) => new Promise<Record<string, unknown>>((resolve) => {
    const w = new Worker('/worker.js');
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => resolve({ error: e.message });
    w.postMessage({ origin, docs: [{ path: '/ws/leak.gpuvm', languageId: 'gpuvm', text: scenario }] });
  }), { origin, scenario });
  await page.close();
  assert.equal(result.error, undefined, String(result.error));
  assert.deepEqual([...new Set(result.requires as string[])], ['vscode'], 'the bundle requires nothing but vscode');
  assert.equal(result.hasProcess, false, 'no Node process object in the worker');
  assert.ok((result.log as string[]).some((l) => /activated in \d+ ms/.test(l)), JSON.stringify(result.log));
  assert.deepEqual((result.diagnostics as Record<string, string[]>)['file:///ws/leak.gpuvm'], ['lock-leak']);
});
