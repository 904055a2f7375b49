// The Promela twin of the deferred-put/cleanup race, checked by spin (when it
// is installed: .ci/run installs it): the same number of states as ours, and
// the swapped order violates the same assertion.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runThreadedScenario } from '../../src/concurrency/scenario';
import { parseScenario } from '../../src/scenario/parse';

const bench = join(__dirname, '..', '..', '..', 'bench', 'promela');
const haveSpin = spawnSync('spin', ['-V']).status === 0;

function pan(defines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gpuvm-spin-'));
  try {
    copyFileSync(join(bench, 'deferred-put-vs-cleanup.pml'), join(dir, 'model.pml'));
    assert.equal(spawnSync('spin', [...defines, '-a', 'model.pml'], { cwd: dir }).status, 0);
    assert.equal(spawnSync('gcc', ['-O2', '-DNOREDUCE', '-o', 'pan', 'pan.c'], { cwd: dir }).status, 0);
    return spawnSync('./pan', ['-w10'], { cwd: dir, encoding: 'utf8' }).stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('spin and the explorer count the same states for the deferred put against a cleanup', { skip: haveSpin ? false : 'spin is not installed' }, () => {
  const out = pan([]);
  const spinStates = Number(/(\d+) states, stored/.exec(out)![1]);
  assert.match(out, /errors: 0/);
  const twin = join(bench, 'deferred-put-vs-cleanup.gpuvm');
  const e = runThreadedScenario(parseScenario(readFileSync(twin, 'utf8'), twin), { reduce: false }).exploration!;
  assert.equal(e.states - e.statesByGroup[0]!, spinStates);
  const bad = pan(['-DSWAPPED']);
  assert.match(bad, /assertion violated/);
});
