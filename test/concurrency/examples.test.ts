// The concurrency examples: their verdicts, the shape of their counterexamples,
// and that the counterexamples are the shortest interleavings there are.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { keyOf } from '../../src/concurrency/explore';
import { runThreadedScenario } from '../../src/concurrency/scenario';
import { runScenario } from '../../src/scenario/run';
import { bruteForce, example, examples, rules, threadSteps } from './kit';

const VERDICTS: Record<string, string[]> = {
  'deferred-put-vs-cleanup.gpuvm': [],
  'deferred-put-swapped.gpuvm': ['use-after-free'],
  'deferred-put-two-vms.gpuvm': [],
  'prepare-objects-vs-final-put.gpuvm': [],
  'prepare-objects-no-zombie-check.gpuvm': ['zombie-iteration'],
  'pin-leak-transient-ref.gpuvm': ['refcount-race'],
  'pin-in-vm-bo-free.gpuvm': [],
  'resv-gpuva-inversion.gpuvm': ['deadlock', 'lock-order'],
};

test('every concurrency example has a stated verdict', () => {
  assert.deepEqual(examples('concurrency'), Object.keys(VERDICTS).sort());
});

for (const [file, want] of Object.entries(VERDICTS)) {
  test(`${file}: ${want.length ? want.join(', ') : 'clean under every interleaving'}`, () => {
    const r = runScenario(example('concurrency', file));
    assert.ok(r.exploration, 'explored as threads');
    assert.equal(r.exploration.bound, undefined, 'no bound was hit');
    assert.ok(r.exploration.threads.length >= 2);
    assert.deepEqual(rules(r), want);
    for (const f of r.findings) {
      const steps = f.steps ?? [];
      assert.ok(steps.length > 0, 'a finding carries its interleaving');
      const lanes = new Set(steps.map((s) => s.thread).filter(Boolean));
      // A race needs two threads in its interleaving; a one-thread rule (lock-order) may show with one.
      const race = ['deadlock', 'refcount-race', 'use-after-free', 'zombie-iteration'].includes(f.rule);
      assert.ok(lanes.size >= (race ? 2 : 1), `one lane per thread: ${[...lanes].join(', ')}`);
      assert.ok(steps.every((s, i) => s.index === i), 'steps are numbered in order');
      assert.ok(steps.some((s) => s.violations.some((v) => v.rule === f.rule)), 'the interleaving ends in the violation');
    }
  });
}

test('the swapped deferred put: the cleanup frees the GEM whose gpuva.lock the putting thread holds', () => {
  const r = runScenario(example('concurrency', 'deferred-put-swapped.gpuvm'));
  const free = r.findings.find((f) => /frees GEM 'bo' while thread 'run_job unmap' holds 'bo'->gpuva.lock/.test(f.message));
  const unlock = r.findings.find((f) => /unlocks the gpuva.lock of GEM 'bo', which is freed/.test(f.message));
  assert.ok(free && unlock);
  const labels = unlock.steps!.filter((s) => s.thread).map((s) => `${s.thread}: ${s.label}`);
  const add = labels.findIndex((l) => l.startsWith('run_job unmap') && l.includes('llist_add'));
  const del = labels.findIndex((l) => l.startsWith('workqueue cleanup') && l.includes('llist_del_all'));
  const unl = labels.findIndex((l) => l.startsWith('run_job unmap') && l.includes('mutex_unlock'));
  assert.ok(add >= 0 && add < del && del < unl, labels.join('\n'));
  // The kernel's order: the same threads, no finding.
  assert.deepEqual(rules(runScenario(example('concurrency', 'deferred-put-vs-cleanup.gpuvm'))), []);
});

test('the pin leak names the put that skipped the unpin and the walker that held the reference', () => {
  const r = runScenario(example('concurrency', 'pin-leak-transient-ref.gpuvm'));
  const f = r.findings.find((x) => x.rule === 'refcount-race')!;
  assert.match(f.message, /'workqueue unbind' decided not to unpin because its put was not the last, while 'ioctl walk' held a transient reference/);
  assert.deepEqual(f.related!.map((x) => x.range.start.line).sort(), [18, 22]);
});

test('the deadlock names the lock cycle', () => {
  const r = runScenario(example('concurrency', 'resv-gpuva-inversion.gpuvm'));
  const f = r.findings.find((x) => x.rule === 'deadlock')!;
  assert.match(f.message, /'ioctl vm_bind' waits for 'bo'->gpuva.lock, held by 'workqueue reclaim'; 'workqueue reclaim' waits for the VM resv of 'vm', held by 'ioctl vm_bind'/);
  assert.equal(f.steps!.at(-1)!.op, 'deadlock');
});

// Four threads have millions of schedules: that example is checked against the unreduced search instead (reduction.test.ts).
for (const file of examples('concurrency').filter((f) => f !== 'deferred-put-two-vms.gpuvm')) {
  test(`${file}: every counterexample is a shortest interleaving (brute force over every schedule)`, () => {
    const sc = example('concurrency', file);
    const r = runThreadedScenario(sc);
    const brute = bruteForce(sc);
    const keys = new Set(r.findings.filter((f) => f.severity !== 'info').map((f) => keyOf(f.rule, f.range.start.line, f.function ?? '')));
    assert.deepEqual([...keys].sort(), [...brute.minDepth.keys()].sort(), 'the same findings as brute force');
    for (const f of r.findings) {
      if (f.severity === 'info') continue;
      const key = keyOf(f.rule, f.range.start.line, f.function ?? '');
      assert.equal(threadSteps(f), brute.minDepth.get(key), `${key}: ${threadSteps(f)} steps, brute force ${brute.minDepth.get(key)}`);
    }
  });
}
