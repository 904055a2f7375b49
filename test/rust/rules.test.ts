// The must-get-right list of the Rust review, rule by rule and line by line,
// and the promise that every rule the Rust side can express has a fixture that
// fires and one that stays silent.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { RULES } from '../../src/model/rules';
import { FIXTURES, found, reviewFixture } from './kit';

/** Rules nothing in the Rust GPUVM APIs can reach (no list walks, no thread model, no VM free with a non-empty tree). */
const NOT_EXPRESSIBLE_IN_RUST = new Set(['zombie-iteration', 'vm-teardown-not-empty', 'deadlock', 'refcount-race']);

test('every rule the Rust side expresses has a firing and a silent fixture', () => {
  const files = readdirSync(FIXTURES);
  for (const r of RULES) {
    if (NOT_EXPRESSIBLE_IN_RUST.has(r.id) || !(r.checkedBy.includes('model') || r.checkedBy.includes('rust'))) continue;
    assert.ok(files.some((f) => f.startsWith(`${r.id}.`) && f.endsWith('.bad.rs')), `a fixture ${r.id}.*.bad.rs`);
    assert.ok(files.some((f) => f.startsWith(`${r.id}.`) && f.endsWith('.ok.rs')), `a fixture ${r.id}.*.ok.rs`);
  }
});

test('the GpuVmBoAlloc::obtain() of the series is clean', async () => {
  const r = await reviewFixture('clean.gpuvm-bo-alloc-obtain.rs');
  assert.deepEqual(found(r.findings), []);
});

test('without the resv lock around extobj_add it fires extobj-add-without-resv at the extobj_add', async () => {
  const r = await reviewFixture('extobj-add-without-resv.obtain.bad.rs');
  assert.deepEqual(found(r.findings), ['extobj-add-without-resv@45']);
});

test('a plain binding instead of ManuallyDrop fires vm-bo-double-put at the drop at the end of obtain()', async () => {
  const r = await reviewFixture('vm-bo-double-put.obtain-plain-binding.bad.rs');
  assert.deepEqual(found(r.findings), ['vm-bo-double-put@55']);
  assert.match(r.findings[0]!.message, /already handed to bindings::drm_gpuvm_bo_obtain_prealloc/);
});

test('GpuVm::obtain, GpuVaAlloc::new(GFP_KERNEL) and deferred_cleanup() in run_job or an sm_step callback, directly or through a helper', async () => {
  const r = await reviewFixture('signalling-alloc.run-job-and-sm-step.bad.rs');
  assert.deepEqual(found(r.findings), ['signalling-alloc@21', 'signalling-alloc@46', 'signalling-resv-lock@17', 'signalling-resv-lock@21']);
  const viaHelper = r.findings.find((f) => f.rule === 'signalling-resv-lock' && f.range.start.line === 17)!;
  assert.match(viaHelper.message, /run_job BindJob::run_job/);
});

test('dropping a vm_bo handle in run_job or a callback does not fire; a workqueue closure is not the signalling path', async () => {
  for (const f of ['signalling-alloc.run-job-preallocated.ok.rs', 'signalling-gem-put.deferred-puts-in-run-job.ok.rs', 'signalling-resv-lock.cleanup-on-workqueue.ok.rs']) {
    const r = await reviewFixture(f);
    assert.deepEqual(found(r.findings), [], f);
  }
});

test('a `?` between obtain and the trailing deferred_cleanup() fires deferred-cleanup-missing at that `?`', async () => {
  const r = await reviewFixture('deferred-cleanup-missing.question-mark.bad.rs');
  assert.deepEqual(found(r.findings), ['deferred-cleanup-missing@22']);
  assert.equal(r.findings[0]!.severity, 'warning');
  assert.deepEqual(found((await reviewFixture('deferred-cleanup-missing.prealloc-first.ok.rs')).findings), []);
});

test('Asahi: a vm_bo dropped while the exec_lock guard is alive fires lock-recursion, on `?` paths too; dropping the guard first is clean', async () => {
  const r = await reviewFixture('lock-recursion.asahi-exec-lock.bad.rs');
  assert.deepEqual(found(r.findings), ['lock-recursion@18', 'lock-recursion@20', 'lock-recursion@26', 'lock-recursion@27']);
  assert.ok(r.findings.every((f) => f.severity === 'error'));
  const onQuestionMark = r.findings.find((f) => f.range.start.line === 18)!;
  assert.ok(onQuestionMark.trace.some((t) => /exec_lock/.test(t.message)), 'the trace shows where the resv was taken');
  assert.deepEqual(found((await reviewFixture('lock-recursion.asahi-exec-lock.ok.rs')).findings), []);
});

test('unlink_defer under the lock_gpuva() guard fires lock-recursion; unlinking after the guard is dropped is clean', async () => {
  const r = await reviewFixture('lock-recursion.unlink-defer-under-gpuva-lock.bad.rs');
  assert.deepEqual(found(r.findings), ['lock-recursion@13']);
  assert.deepEqual(found((await reviewFixture('lock-recursion.unlink-defer-under-gpuva-lock.ok.rs')).findings), []);
});

test('Tyr-shaped code (VM creation, map/unmap with preallocated VAs, flush after the lock, remap returning the unused VA) has no error or warning', async () => {
  const r = await reviewFixture('clean.tyr-shaped-vm.rs');
  assert.deepEqual(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule}@${f.range.start.line}: ${f.message}`), []);
  assert.deepEqual(r.findings, [], 'and nothing incomplete either');
  const map = r.result.functions.find((f) => f.fn.displayName === 'Vm::map')!;
  assert.ok(map.explored, 'the map path is analysed');
  assert.match(map.modeLabel, /immediate mode, RESV_PROTECTED/);
});
