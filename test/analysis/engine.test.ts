// The path explorer and the program analysis on hand-built IR.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { analyzeProgram } from '../../src/analysis/analyze';
import { a, file, FnKit } from './irkit';

const imm = { vmInits: [{ immediate: true, resvProtected: true, source: 'test' }] };
const staged = { vmInits: [{ immediate: false, resvProtected: false, source: 'test' }] };

test('a vm_bo_get not put on an early error return leaks; routing through a label that puts is clean', () => {
  const bad = new FnKit('remap_bad', 10)
    .api('bo_get', [a('op.remap.unmap.va.vm_bo')], { result: 'vm_bo' })
    .call('prepare_pages', ['vm'], { resultVar: 'ret' })
    .ifThen({ test: 'zero', key: 'ret', negate: true }, (k) => k.exit('return ret'))
    .api('bo_put_deferred', [a('vm_bo')])
    .done({ roles: ['sm_step_remap'] });
  const good = new FnKit('remap_good', 30)
    .api('bo_get', [a('op.remap.unmap.va.vm_bo')], { result: 'vm_bo' })
    .call('prepare_pages', ['vm'], { resultVar: 'ret' })
    .ifThen({ test: 'zero', key: 'ret', negate: true }, (k) => k.api('bo_put_deferred', [a('vm_bo')]).exit('goto out_put; return ret'))
    .api('bo_put_deferred', [a('vm_bo')])
    .done({ roles: ['sm_step_remap'] });
  const r = analyzeProgram([file([bad, good], imm)]);
  const leaks = r.findings.filter((f) => f.rule === 'vm-bo-leak');
  assert.equal(leaks.length, 1, JSON.stringify(r.findings.map((f) => `${f.function}:${f.rule}`)));
  assert.equal(leaks[0]!.function, 'remap_bad');
  assert.equal(leaks[0]!.range.start.line, 11, 'a leak points where the reference was taken');
  assert.ok(leaks[0]!.trace.some((t) => /return ret/.test(t.message)), 'the trace reaches the exit');
  assert.deepEqual(r.findings.filter((f) => f.function === 'remap_good' && f.severity !== 'info'), []);
});

test('find returning NULL with the BO resv still locked: lock-leak at the return', () => {
  const fn = new FnKit('lookup', 10)
    .api('resv_lock', [a('obj', 'gem')])
    .api('bo_find', [a('vm', 'vm'), a('obj', 'gem')], { result: 'vm_bo' })
    .ifThen({ test: 'null', key: 'vm_bo', negate: false }, (k) => k.exit('return -ENOENT'))
    .api('bo_put', [a('vm_bo')])
    .api('resv_unlock', [a('obj', 'gem')])
    .done({ callerLocks: true });
  const r = analyzeProgram([file([fn], staged)]);
  const leaks = r.findings.filter((f) => f.rule === 'lock-leak');
  assert.equal(leaks.length, 1, JSON.stringify(r.findings));
  assert.equal(leaks[0]!.range.start.line, 14, 'points at the return that leaves the lock held');
  assert.deepEqual(r.findings.filter((f) => f.rule !== 'lock-leak'), []);
});

test('a helper that locks and puts means what it does; its findings are reported once, in the helper', () => {
  const helper = new FnKit('my_vm_bo_put', 10)
    .api('resv_lock', [a('vm_bo.vm', 'vm')])
    .api('gpuva_lock', [a('vm_bo.obj', 'gem')])
    .api('bo_put', [a('vm_bo')])
    .api('gpuva_unlock', [a('vm_bo.obj', 'gem')])
    .api('resv_unlock', [a('vm_bo.vm', 'vm')])
    .done({ callerLocks: true }, [{ name: 'vm_bo', key: 'vm_bo', kind: 'vm_bo' }]);
  const runJob = new FnKit('my_run_job', 30)
    .call('my_vm_bo_put', ['job.vm_bo'])
    .done({ roles: ['run_job'] });
  const ioctl = new FnKit('my_ioctl', 50)
    .call('my_vm_bo_put', ['args.vm_bo'])
    .done({ roles: ['ioctl'] });
  const r = analyzeProgram([file([helper, runJob, ioctl], imm)]);
  const inHelper = r.findings.filter((f) => f.function === 'my_vm_bo_put').map((f) => f.rule).sort();
  assert.deepEqual(inHelper, ['signalling-gem-put', 'signalling-resv-lock'], JSON.stringify(r.findings.map((f) => `${f.function}:${f.rule}:${f.message}`), null, 1));
  const sig = r.findings.find((f) => f.rule === 'signalling-resv-lock')!;
  assert.match(sig.message, /entered in run_job my_run_job/);
  assert.ok(sig.trace[0]!.message.includes('signalling path entered in my_run_job'));
  assert.deepEqual(r.findings.filter((f) => f.function !== 'my_vm_bo_put'), [], 'nothing repeated at the call sites, and the ioctl path is clean');
});

test('a context-dependent violation inside a helper is reported at the call site', () => {
  const helper = new FnKit('link_it', 10)
    .api('va_link', [a('va'), a('vm_bo')])
    .done({ callerLocks: true }, [{ name: 'va', key: 'va', kind: 'va' }, { name: 'vm_bo', key: 'vm_bo', kind: 'vm_bo' }]);
  const caller = new FnKit('step_map', 30)
    .api('va_insert', [a('vm.base', 'vm'), a('vma.base')])
    .call('link_it', ['vma.base', 'op_ctx.map.vm_bo'])
    .done({ roles: ['sm_step_map'] });
  const r = analyzeProgram([file([helper, caller], imm)]);
  const f = r.findings.find((x) => x.rule === 'gpuva-list-unlocked');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.function, 'step_map');
  assert.equal(f.range.start.line, 32);
  assert.match(f.message, /via link_it\(\)/);
});

test('a `?`-like early exit that skips the trailing deferred cleanup', () => {
  const fn = new FnKit('map_bo_range', 10)
    .api('bo_obtain_prealloc', [a('pre')], { result: 'vm_bo' })
    .call('alloc_stuff', [], { resultVar: 'ret' })
    .ifThen({ test: 'zero', key: 'ret', negate: true }, (k) => k.api('bo_put_deferred', [a('vm_bo')], { label: 'drop of `vm_bo` on `?`' }).exit('`?` on alloc_stuff()'))
    .api('bo_put_deferred', [a('vm_bo')])
    .api('bo_deferred_cleanup', [a('gpuvm', 'vm')])
    .done({ language: 'rust' }, [{ name: 'pre', key: 'pre', kind: 'vm_bo', owned: true, detached: true }]);
  const r = analyzeProgram([file([fn], imm)]);
  const d = r.findings.filter((f) => f.rule === 'deferred-cleanup-missing');
  assert.equal(d.length, 1, JSON.stringify(r.findings.map((f) => f.message)));
  assert.equal(d[0]!.range.start.line, 14, 'points at the deferred put on the early exit');
  assert.match(d[0]!.message, /cleans up on its other paths/);
});

test('suppression comments on the line, the line above, or the function', () => {
  const mk = () => new FnKit('run', 10).api('alloc', [], { opts: { gfp: 'GFP_KERNEL' } }).done({ roles: ['run_job'] });
  assert.equal(analyzeProgram([file([mk()], imm)]).findings.length, 1);
  assert.equal(analyzeProgram([file([mk()], { ...imm, lineSuppressions: { 10: ['signalling-alloc'] } })]).findings.length, 0);
  assert.equal(analyzeProgram([file([mk()], { ...imm, lineSuppressions: { 11: ['other-rule'] } })]).findings.length, 1);
  assert.equal(analyzeProgram([file([{ ...mk(), suppress: ['signalling-alloc'] }], imm)]).findings.length, 0);
});

test('the budget stops a path explosion and says so', () => {
  const k = new FnKit('explode', 10);
  for (let i = 0; i < 40; i++) {
    k.call(`f${i}`, [], { resultVar: `r${i}` });
    k.ifThen({ test: 'zero', key: `r${i}`, negate: false }, (x) => x.api('bo_get', [a('vm_bo')]), (x) => x.api('bo_put_deferred', [a('vm_bo')]));
  }
  const r = analyzeProgram([file([k.done()], imm)], { explore: { budget: { states: 2000, ms: 5000 } } });
  const inc = r.findings.find((f) => f.rule === 'analysis-incomplete');
  assert.ok(inc, 'incomplete is reported');
  assert.equal(inc.severity, 'info');
  assert.ok(r.stats.states <= 2001);
});

test('a Rust drop flag: the drop at scope end happens only on the path that did not move the handle', () => {
  const k = new FnKit('drop_flag', 10)
    .api('bo_obtain_prealloc', [a('pre')], { result: 'vm_bo' });
  k.b.emit({ kind: 'flag', key: 'vm_bo', set: true, label: 'vm_bo initialised' });
  k.ifThen({ test: 'zero', key: 'moved', negate: false }, (x) => {
    x.api('bo_put_deferred', [a('vm_bo')], { label: 'drop(vm_bo)' });
    x.b.emit({ kind: 'flag', key: 'vm_bo', set: false, label: 'vm_bo moved' });
  });
  const f = k.b.fork({ test: 'flag', key: 'vm_bo', negate: false }, 'drop flag of vm_bo');
  k.b.open = f.then;
  k.api('bo_put_deferred', [a('vm_bo')], { label: 'drop of vm_bo at end of scope' });
  k.b.open = [...k.b.open, ...f.else];
  const fn = k.done({ language: 'rust' }, [{ name: 'pre', key: 'pre', kind: 'vm_bo', owned: true, detached: true }]);
  const r = analyzeProgram([file([fn], imm)]);
  assert.deepEqual(r.findings.filter((x) => x.severity !== 'info').map((x) => x.rule), [], JSON.stringify(r.findings.map((x) => x.message)));
  // Without the flag test the second drop is a double put on the path that dropped early.
  const k2 = new FnKit('no_flag', 10).api('bo_obtain_prealloc', [a('pre')], { result: 'vm_bo' })
    .api('bo_put_deferred', [a('vm_bo')]).api('bo_put_deferred', [a('vm_bo')]);
  const r2 = analyzeProgram([file([k2.done({}, [{ name: 'pre', key: 'pre', kind: 'vm_bo', owned: true, detached: true }])], imm)]);
  assert.ok(r2.findings.some((x) => x.rule === 'vm-bo-double-put'));
});
