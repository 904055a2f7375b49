// The extension's host layer, as bundled (dist/extension.js), against the fake
// vscode module: activation, the editing loop, diagnostics, settings.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';

const root = join(__dirname, '..', '..', '..');
const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
const orig = M._resolveFilename;
M._resolveFilename = function (req: string, ...rest: unknown[]) {
  return req === 'vscode' ? require.resolve('./fake-vscode') : orig.call(this, req, ...rest);
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const vs = require('./fake-vscode') as typeof import('./fake-vscode');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ext = require(join(root, 'dist', 'extension.js')) as { activate(c: unknown): { ready: Promise<void> }; deactivate(): void };

const ctx = { subscriptions: [] as Array<{ dispose(): void }>, extensionUri: vs.Uri.file(root) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, f: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
const diags = (d: { uri: { toString(): string } }) => vs.state.diagnostics.get(d.uri.toString());
const rules = (d: { uri: { toString(): string } }) => (diags(d) ?? []).flatMap((x) => (x.code ? [(x.code as { value: string }).value] : []));

before(async () => {
  vs.state.readFile = async (u) => new Uint8Array(readFileSync(u.path));
  const api = ext.activate(ctx);
  await api.ready;
});
beforeEach(() => { vs.state.settings = { 'gpuvmReview.debounceMs': 5 }; });
after(() => { for (const d of ctx.subscriptions) d.dispose(); ext.deactivate(); M._resolveFilename = orig; });

test('activation registers the GPUVM commands', () => {
  for (const c of ['simulateFunction', 'simulateScenario', 'reviewWorkspace', 'showRuleDoc', 'showLog']) assert.ok(vs.state.commands.has(`gpuvmReview.${c}`), c);
  assert.ok(vs.state.log.some((l) => /activated in \d+ ms/.test(l)));
});

const BAD = readFileSync(join(root, 'examples/scenarios/rules/lock-leak.bad.gpuvm'), 'utf8');

test('a scenario: diagnostics appear, are replaced after an edit, and clear on close', async () => {
  const doc = vs.openDocument('/ws/leak.gpuvm', 'gpuvm', BAD);
  await until('lock-leak', () => rules(doc).includes('lock-leak') || undefined);
  const d = diags(doc)![0]!;
  assert.equal(d.source, 'gpuvm-review');
  assert.match(String((d.code as { target: { path: string } }).target.path), /docs\/rules\/lock-leak\.md$/);
  assert.ok(d.relatedInformation?.some((r) => /taken here/.test(r.message)), 'related information says where the lock was taken');
  // Fix it: unlock before the end of the context.
  const at = doc.getText().indexOf('  dma_resv_lock(vm)\n') + '  dma_resv_lock(vm)\n'.length;
  vs.changeDocument(doc, at, 0, '  dma_resv_unlock(vm)\n');
  await until('clean', () => (rules(doc).length === 0 ? true : undefined));
  // What is left is the scenario's own `expect lock-leak` line, which no longer holds.
  assert.deepEqual(diags(doc)!.map((x) => x.message), ['expectation not met: no finding']);
  vs.closeDocument(doc);
  assert.equal(diags(doc), undefined, 'cleared on close');
});

test('syntax errors in a scenario are diagnostics at their line and column', async () => {
  const doc = vs.openDocument('/ws/broken.gpuvm', 'gpuvm', 'vm vm immediate\nioctl:\n  drm_gpuvm_bo_put(nope)\n');
  const d = await until('error', () => diags(doc)?.[0]);
  assert.equal(d.range.start.line, 2);
  assert.equal(d.range.start.character, 19);
  assert.match(d.message, /unknown handle 'nope'/);
  vs.closeDocument(doc);
});

test('rules.customizations changes severities and turns rules off', async () => {
  vs.state.settings['gpuvmReview.rules.customizations'] = [{ rule: 'lock-*', severity: 'downgrade' }];
  const doc = vs.openDocument('/ws/leak2.gpuvm', 'gpuvm', BAD);
  const d = await until('lock-leak', () => diags(doc)?.find((x) => (x.code as { value: string } | undefined)?.value === 'lock-leak'));
  assert.equal(d.severity, vs.DiagnosticSeverity.Warning, 'error downgraded to warning');
  vs.closeDocument(doc);
  vs.state.settings['gpuvmReview.rules.customizations'] = [{ rule: 'lock-*', severity: 'warning' }, { rule: 'lock-leak', severity: 'off' }];
  const doc2 = vs.openDocument('/ws/leak3.gpuvm', 'gpuvm', BAD);
  await until('a result', () => diags(doc2));
  assert.deepEqual(rules(doc2), [], 'the last matching entry wins: off');
  vs.closeDocument(doc2);
});

test('bursts of edits: only the last version is published', async () => {
  const doc = vs.openDocument('/ws/burst.gpuvm', 'gpuvm', BAD);
  await until('first result', () => diags(doc));
  vs.state.settings['gpuvmReview.debounceMs'] = 30;
  for (let i = 0; i < 10; i++) vs.changeDocument(doc, 0, 0, '# edit\n');
  await sleep(150);
  const d = diags(doc)!.find((x) => (x.code as { value: string }).value === 'lock-leak')!;
  // Ten comment lines were added at the top: the finding moved down by ten lines.
  assert.equal(d.range.start.line, BAD.split('\n').findIndex((l) => l.includes('dma_resv_lock')) + 10);
  vs.closeDocument(doc);
});
