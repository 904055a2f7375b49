// The partial-order reduction changes how much is explored, never the verdict;
// bounds are reported, never silent.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { runThreadedScenario } from '../../src/concurrency/scenario';
import { parseScenario, ScenarioSyntaxError } from '../../src/scenario/parse';
import { example, examples, rules } from './kit';

const keys = (r: ReturnType<typeof runThreadedScenario>): string[] =>
  r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule}|${f.range.start.line}|${f.function}`).sort();

for (const file of examples('concurrency')) {
  test(`${file}: the same findings with and without reduction, never more states with it`, () => {
    const sc = example('concurrency', file);
    const red = runThreadedScenario(sc, { reduce: true });
    const full = runThreadedScenario(sc, { reduce: false });
    assert.deepEqual(keys(red), keys(full));
    assert.ok(red.exploration!.states <= full.exploration!.states, `${red.exploration!.states} <= ${full.exploration!.states}`);
    assert.ok(red.exploration!.transitions <= full.exploration!.transitions);
  });
}

test('threads on two VMs that share nothing are not shuffled: far fewer states with the reduction', () => {
  const sc = example('concurrency', 'deferred-put-two-vms.gpuvm');
  const red = runThreadedScenario(sc, { reduce: true }).exploration!;
  const full = runThreadedScenario(sc, { reduce: false }).exploration!;
  assert.ok(red.states * 3 < full.states, `${red.states} vs ${full.states}`);
  assert.ok(red.transitions * 5 < full.transitions, `${red.transitions} vs ${full.transitions}`);
});

// Random small threaded scenarios over one VM and two GEMs: reduction and full search agree.
const THREAD_OPS = [
  'drm_gpuvm_bo_put_deferred(vm_bo_a)', 'drm_gpuvm_bo_put_deferred(vm_bo_b)', 'drm_gpuvm_bo_deferred_cleanup(vm)',
  'mutex_lock(a->gpuva.lock)', 'mutex_unlock(a->gpuva.lock)', 'dma_resv_lock(vm)', 'dma_resv_unlock(vm)',
  'drm_gpuvm_bo_get(vm_bo_a)', 'iterate_extobj(vm) get_ref', 'iterate_extobj(vm)', 'drm_gpuvm_prepare_objects(vm)',
  'drm_gpuvm_bo_put(vm_bo_b) unpin_if_last', 'drm_gem_object_put(b)',
];
const PREFIX = [
  'vm vm resv_protected immediate', 'gem a external', 'gem b external', '', 'ioctl bind:',
  '  pa = drm_gpuvm_bo_create(vm, a)', '  vm_bo_a = drm_gpuvm_bo_obtain_prealloc(pa)',
  '  pb = drm_gpuvm_bo_create(vm, b)', '  vm_bo_b = drm_gpuvm_bo_obtain_prealloc(pb)',
  '  dma_resv_lock(vm)', '  drm_gpuvm_bo_extobj_add(vm_bo_a)', '  drm_gpuvm_bo_extobj_add(vm_bo_b)', '  dma_resv_unlock(vm)',
  '  drm_gem_shmem_pin(b)',
];

test('random threaded scenarios: the reduction keeps every finding', () => {
  const thread = fc.array(fc.constantFrom(...THREAD_OPS), { minLength: 1, maxLength: 3 });
  fc.assert(fc.property(fc.array(thread, { minLength: 2, maxLength: 3 }), (threads) => {
    const text = [...PREFIX, ...threads.flatMap((ops, i) => ['', `concurrent workqueue t${i}:`, ...ops.map((o) => `  ${o}`)]), ''].join('\n');
    let red; let full;
    try {
      red = runThreadedScenario(parseScenario(text, 'r.gpuvm'), { reduce: true, shortest: false });
      full = runThreadedScenario(parseScenario(text, 'r.gpuvm'), { reduce: false, shortest: false });
    } catch (e) {
      if (e instanceof ScenarioSyntaxError) return; // a handle used in an interleaving where it is not bound
      throw e;
    }
    assert.deepEqual(keys(red), keys(full), text);
    assert.ok(red.exploration!.states <= full.exploration!.states);
  }), { numRuns: 40 });
});

test('a state bound stops the search and says so', () => {
  const r = runThreadedScenario(example('concurrency', 'prepare-objects-vs-final-put.gpuvm'), { bounds: { maxStates: 20 } });
  assert.match(r.exploration!.bound ?? '', /state bound \(20 states\)/);
  const info = r.findings.find((f) => f.rule === 'analysis-incomplete');
  assert.ok(info && info.severity === 'info' && /stopped at the state bound/.test(info.message));
  // An incomplete search is not a clean verdict for the reader, but an info note does not fail "expect clean".
  assert.ok(r.expectations.every((e) => e.met));
});

test('a depth bound and a time bound are reported too', () => {
  const sc = example('concurrency', 'deferred-put-vs-cleanup.gpuvm');
  assert.match(runThreadedScenario(sc, { bounds: { maxDepth: 5 } }).exploration!.bound ?? '', /depth bound \(5 steps\)/);
  assert.match(runThreadedScenario(sc, { bounds: { maxMs: -1 } }).exploration!.bound ?? '', /time bound/);
  assert.equal(runThreadedScenario(sc).exploration!.bound, undefined);
});

test('a clean verdict needs the whole state space: with the bound, findings beyond it are missed and the result says so', () => {
  const sc = example('concurrency', 'deferred-put-swapped.gpuvm');
  const cut = runThreadedScenario(sc, { bounds: { maxDepth: 12 } });
  assert.deepEqual(rules(cut), []);
  assert.ok(cut.findings.some((f) => f.rule === 'analysis-incomplete'));
  assert.deepEqual(rules(runThreadedScenario(sc)), ['use-after-free']);
});
