// One thread behaves exactly like the sequential simulation; what only shows
// across threads is found; the scenario syntax and the CLI output for threads.
import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runThreadedScenario } from '../../src/concurrency/scenario';
import { main } from '../../src/cli/main';
import { parseScenario, ScenarioSyntaxError } from '../../src/scenario/parse';
import { runScenario } from '../../src/scenario/run';
import { example, examples, rules, threaded } from './kit';

const keys = (fs: Array<{ rule: string; range: { start: { line: number } }; severity: string }>): string[] =>
  [...new Set(fs.filter((f) => f.severity !== 'info').map((f) => `${f.rule}@${f.range.start.line}`))].sort();

for (const dir of ['rules', 'seeds']) {
  for (const file of examples(dir)) {
    test(`${dir}/${file}: run as threads of one context each, the findings of the sequential simulation`, () => {
      const sc = example(dir, file);
      const seq = runScenario(sc);
      const thr = runThreadedScenario(sc);
      assert.equal(seq.exploration, undefined, 'a scenario without concurrent contexts runs sequentially');
      assert.deepEqual(keys(thr.findings), keys(seq.findings));
      assert.deepEqual(thr.expectations.map((e) => e.met), seq.expectations.map((e) => e.met));
    });
  }
}

const SETUP = `vm vm immediate
gem bo external

ioctl bind:
  pre = drm_gpuvm_bo_create(vm, bo)
  vm_bo = drm_gpuvm_bo_obtain_prealloc(pre)
  drm_gpuvm_bo_extobj_add(vm_bo)
`;

test('a freed vm_bo still on a list another thread walks: use after free', () => {
  const r = threaded(`${SETUP}
concurrent ioctl walk:                # no lock: the extobj spinlock is not held
  iterate_extobj(vm) skip_zombies

concurrent workqueue unbind:
  mutex_lock(bo->gpuva.lock)
  drm_gpuvm_bo_put(vm_bo)
  mutex_unlock(bo->gpuva.lock)
`);
  assert.deepEqual(rules(r), ['use-after-free']);
  assert.match(r.findings[0]!.message, /follows the next pointer of vm_bo 'pre', which another thread freed while the walk stood on it/);
});

test('deferred vm_bos no cleanup reaches: the cleanup ran before the put', () => {
  const r = threaded(`${SETUP}
concurrent run_job unmap:
  drm_gpuvm_bo_put_deferred(vm_bo)

concurrent workqueue cleanup:
  drm_gpuvm_bo_deferred_cleanup(vm)
`);
  assert.deepEqual(rules(r), ['deferred-cleanup-missing']);
  const labels = r.findings[0]!.steps!.filter((s) => s.thread && s.op !== 'context').map((s) => s.label);
  assert.ok(labels.findIndex((l) => l.includes('llist_del_all')) < labels.findIndex((l) => l.includes('llist_add')), labels.join('\n'));
});

test('a thread taking a lock it holds is the sequential lock-recursion; two threads waiting on each other deadlock', () => {
  const self = threaded(`${SETUP}
concurrent workqueue a:
  mutex_lock(bo->gpuva.lock)
  drm_gpuvm_bo_put_deferred(vm_bo)
  mutex_unlock(bo->gpuva.lock)

concurrent workqueue b:
  drm_gpuvm_bo_deferred_cleanup(vm)
`);
  assert.ok(rules(self).includes('lock-recursion'));
  const abba = threaded(`vm vm immediate
concurrent ioctl a:
  mutex_lock(x)
  mutex_lock(y)
  mutex_unlock(y)
  mutex_unlock(x)
concurrent ioctl b:
  mutex_lock(y)
  mutex_lock(x)
  mutex_unlock(x)
  mutex_unlock(y)
`);
  assert.deepEqual(rules(abba), ['deadlock']);
  assert.equal(abba.findings[0]!.steps!.filter((s) => s.thread && s.op !== 'context' && s.op !== 'deadlock').length, 2, 'the shortest deadlock: each takes its first lock');
});

test('a trylock of a lock another thread holds fails instead of waiting', () => {
  const r = threaded(`vm vm resv_protected immediate
concurrent ioctl a:
  dma_resv_lock(vm)
  dma_resv_unlock(vm)
concurrent ioctl b:
  dma_resv_trylock(vm)
`);
  assert.deepEqual(rules(r), ['lock-leak'], 'when the trylock succeeds, b ends holding the resv');
  assert.equal(r.exploration!.bound, undefined);
});

test('syntax: concurrent headers group, kernel variants parse, errors have columns', () => {
  const sc = parseScenario('vm vm immediate\nkernel defer_free add_then_unlock\nkernel zombie_check no\nconcurrent run_job a:\n  drm_gpuvm_put(vm)\nconcurrent workqueue:\n  drm_gpuvm_get(vm)\nioctl c:\n  drm_gpuvm_put(vm)\n', 's.gpuvm');
  assert.deepEqual(sc.contexts.map((c) => [c.kind, c.name, c.concurrent === true]), [['run_job', 'a', true], ['workqueue', 'workqueue', true], ['ioctl', 'c', false]]);
  assert.equal(sc.deferFree, 'add-then-unlock');
  assert.equal(sc.zombieCheck, false);
  assert.throws(() => parseScenario('vm vm immediate\nconcurrent:\n', 'x.gpuvm'), (e: unknown) => e instanceof ScenarioSyntaxError && /^2:1: expected: concurrent CONTEXT/.test(e.message));
  assert.throws(() => parseScenario('vm vm immediate\nkernel defer_free sometimes\n', 'x.gpuvm'), /2:8: expected: kernel/);
});

test('simulate prints the exploration and one column per thread; --format json carries lanes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpuvm-mc-'));
  const f = join(dir, 'swapped.gpuvm');
  writeFileSync(f, `vm vm resv_protected immediate
gem bo external
kernel defer_free add_then_unlock
ioctl bind:
  pre = drm_gpuvm_bo_create(vm, bo)
  vm_bo = drm_gpuvm_bo_obtain_prealloc(pre)
  drm_gem_object_put(bo)
concurrent run_job unmap:
  drm_gpuvm_bo_put_deferred(vm_bo)
concurrent workqueue cleanup:
  drm_gpuvm_bo_deferred_cleanup(vm)
ioctl destroy:
  drm_gpuvm_bo_deferred_cleanup(vm)
expect use-after-free
`);
  const out: string[] = [];
  assert.equal(await main(['simulate', '--expect', f], { out: (s) => out.push(s), err: () => {} }), 0);
  const text = out.join('\n');
  assert.match(text, /^explored \d+ states and \d+ transitions of 'run_job unmap', 'workqueue cleanup'/m);
  assert.match(text, /threads: A = ioctl bind, B = run_job unmap, C = workqueue cleanup/);
  assert.match(text, /\. \. C {2}11: drm_gpuvm_bo_deferred_cleanup\(vm\): llist_del_all/);
  assert.match(text, /\[use-after-free\]/);
  const json: string[] = [];
  assert.equal(await main(['simulate', '--format', 'json', f], { out: (s) => json.push(s), err: () => {} }), 1);
  const sc = JSON.parse(json.join('\n')).scenarios[0];
  assert.ok(sc.exploration.states > 0 && sc.exploration.reduction === 'partial-order');
  const cx = sc.counterexamples.find((c: { rule: string }) => c.rule === 'use-after-free');
  const lanes = new Set(cx.steps.map((s: { thread?: string }) => s.thread).filter(Boolean));
  assert.deepEqual([...lanes].sort(), ['ioctl bind', 'run_job unmap', 'workqueue cleanup']);
});
