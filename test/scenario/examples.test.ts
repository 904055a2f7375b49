// Every bundled scenario meets its own expect lines; every model rule has a
// scenario that fires it and a correct counterpart that stays clean.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RULES } from '../../src/model/rules';
import { parseScenario } from '../../src/scenario/parse';
import { runScenario } from '../../src/scenario/run';

const root = join(__dirname, '..', '..', '..', 'examples', 'scenarios');
const files: string[] = [];
for (const d of readdirSync(root)) for (const f of readdirSync(join(root, d))) if (f.endsWith('.gpuvm')) files.push(join(d, f));

for (const f of files) {
  test(`scenario ${f}`, () => {
    const r = runScenario(parseScenario(readFileSync(join(root, f), 'utf8'), f));
    assert.ok(r.expectations.length > 0, 'every example states what it expects');
    for (const e of r.expectations) assert.ok(e.met, `line ${e.expectation.line}: expect ${e.expectation.negate ? 'no ' : ''}${e.expectation.rule}: ${e.detail}`);
    const m = /rules\/(.+)\.(bad|ok)\.gpuvm$/.exec(f);
    if (m?.[2] === 'bad') {
      assert.ok(r.findings.some((x) => x.rule === m[1]), `${f} fires ${m[1]}`);
      const fired = r.findings.filter((x) => x.rule === m[1]);
      for (const x of fired) assert.ok(x.trace.length > 0 && x.steps && x.steps.length > 0, 'a finding carries its trace');
    }
    if (m?.[2] === 'ok') assert.deepEqual(r.findings.filter((x) => x.severity !== 'info').map((x) => x.rule), [], `${f} is clean`);
  });
}

test('every model rule has a firing and a clean scenario', () => {
  const modelRules = RULES.filter((r) => r.checkedBy.includes('model')).map((r) => r.id);
  for (const id of modelRules) {
    assert.ok(files.includes(join('rules', `${id}.bad.gpuvm`)), `examples/scenarios/rules/${id}.bad.gpuvm`);
    assert.ok(files.includes(join('rules', `${id}.ok.gpuvm`)), `examples/scenarios/rules/${id}.ok.gpuvm`);
  }
});
