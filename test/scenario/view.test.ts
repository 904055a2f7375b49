import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseScenario } from '../../src/scenario/parse';
import { runScenario } from '../../src/scenario/run';
import { scenarioView } from '../../src/scenario/view';

const root = join(__dirname, '..', '..', '..');
const view = (f: string) => scenarioView(runScenario(parseScenario(readFileSync(join(root, f), 'utf8'), f)), f, f);

test('a threaded scenario: one path per counterexample, every step in a thread lane', () => {
  const v = view('examples/scenarios/concurrency/deferred-put-swapped.gpuvm');
  assert.ok(v.paths.length >= 1);
  assert.match(v.paths[0]!.label, /^use-after-free: shortest interleaving/);
  assert.ok(v.paths[0]!.steps.filter((s) => s.context !== 'setup').every((s) => s.thread), 'steps after the declarations carry their thread');
  assert.equal(v.paths[0]!.findings[0]!.rule, 'use-after-free');
  assert.match(v.context, /threads .*run_job/);
});

test('a sequential scenario: one path with every step', () => {
  const v = view('examples/scenarios/seeds/prealloc-freed-when-found.gpuvm');
  assert.equal(v.paths.length, 1);
  assert.ok(v.paths[0]!.findings.some((f) => f.rule === 'vm-bo-use-after-put'));
  assert.ok(v.paths[0]!.steps.length > 10);
});
