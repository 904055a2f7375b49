// Writes test/fixtures/views/*.json: SimulationView fixtures built from the
// bundled scenarios, for the webview's fixture-page tests and benchmarks.
// Usage: node scripts/make-view-fixture.mjs  (after npm test has compiled out/)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const { parseScenario } = require(`${root}out/src/scenario/parse.js`);
const { runScenario } = require(`${root}out/src/scenario/run.js`);
const out = join(root, 'test', 'fixtures', 'views');
mkdirSync(out, { recursive: true });
function view(file) {
  const r = runScenario(parseScenario(readFileSync(join(root, file), 'utf8'), file));
  return {
    kind: 'scenario', title: file.split('/').pop(), file, language: 'gpuvm', context: 'scenario', mode: '',
    paths: [{ id: 'p0', label: 'scenario', findings: r.findings.map(({ steps, ...f }) => f), steps: r.steps }],
  };
}
for (const f of ['seeds/unlink-defer-in-run-job', 'seeds/prealloc-freed-when-found', 'rules/signalling-gem-put.bad']) {
  writeFileSync(join(out, `${f.replace('/', '-')}.json`), JSON.stringify(view(`examples/scenarios/${f}.gpuvm`), null, 1));
}
console.log(`wrote fixtures to ${out}`);
