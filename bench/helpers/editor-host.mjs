// Run in a child process by bench/editor.mjs: activates the bundled extension
// against the stand-in vscode module, then times what a user waits for.
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';

const root = process.argv[2];
const lines = Number(process.argv[3] ?? 5000);
const edits = Number(process.argv[4] ?? 30);
const require = createRequire(join(root, 'package.json'));
const fakePath = join(root, 'out/test/vscode/fake-vscode.js');
const orig = Module._resolveFilename;
Module._resolveFilename = function (req, ...rest) { return req === 'vscode' ? fakePath : orig.call(this, req, ...rest); };
const vs = require(fakePath);
vs.state.readFile = async (u) => new Uint8Array(readFileSync(u.path));
vs.state.settings = { 'gpuvmReview.debounceMs': 0 };

const now = () => performance.now();
const t0 = now();
const ext = require(join(root, 'dist/extension.js'));
await ext.activate({ subscriptions: [], extensionUri: vs.Uri.file(root) }).ready;
const activationMs = now() - t0;

const { generate } = await import(join(root, 'bench/rust.mjs'));
const gen = generate(lines, 1);
const text = typeof gen === 'string' ? gen : gen.text;
const published = (uri) => new Promise((resolve) => {
  const d = vs.state.onDiagnostics.event((e) => { if (e.uri === uri) { d.dispose(); resolve(e); } });
});

const t1 = now();
const wait = published('file:///bench/driver.rs');
const doc = vs.openDocument('/bench/driver.rs', 'rust', text);
const first = await wait;
const firstDiagnosticsMs = now() - t1;

// One-character edits inside functions that touch GPUVM: replace a digit of a literal, or add a space.
const spots = [];
const re = /\n {4,8}let [a-z_]+ = [^;\n]*\b(\d)\b[^;\n]*;/g;
for (let m; (m = re.exec(text)) && spots.length < edits * 3;) spots.push(m.index + m[0].indexOf(m[1], m[0].indexOf('=')));
const samples = [];
for (let i = 0; i < edits && spots.length; i++) {
  const at = spots[(i * 7) % spots.length];
  const w = published('file:///bench/driver.rs');
  const t = now();
  const ch = doc.getText()[at];
  vs.changeDocument(doc, at, 1, ch === '1' ? '2' : '1');
  await w;
  samples.push(now() - t);
}
samples.sort((a, b) => a - b);
const pct = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
console.log(JSON.stringify({
  activationMs: Math.round(activationMs), lines: text.split('\n').length, firstDiagnosticsMs: Math.round(firstDiagnosticsMs), diagnostics: first.count,
  edits: samples.length, reanalysisP50Ms: +pct(0.5).toFixed(1), reanalysisP90Ms: +pct(0.9).toFixed(1), reanalysisMaxMs: +samples[samples.length - 1].toFixed(1),
}));
process.exit(0);
