// The step function on its own: outcomes, uncertainty about references the
// simulation cannot see, and the bookkeeping the analysis relies on.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { applyOp, DEFAULT_CONFIG, reclaims } from '../../src/model/apply';
import { exitViolations } from '../../src/model/checks';
import { emptyState } from '../../src/model/state';
import { op, run } from '../helpers';

const setupImmediate = [
  op('vm_declare', ['vm'], { opts: { resv_protected: true, immediate: true } }),
  op('gem_declare', ['obj'], { opts: { vm: 'vm' } }),
];

test('a put on a vm_bo the caller handed in forks: maybe the last reference', () => {
  const { state } = run([...setupImmediate, op('vm_bo_declare', ['vm', 'obj', 'vm_bo'])]);
  const s = { ...state, ctx: { ...state.ctx, signalling: 1, signallingFrom: [{ label: 'run_job' }] } };
  const outs = applyOp(s, op('bo_put', ['vm_bo'], { label: 'drm_gpuvm_bo_put(vm_bo)' }));
  assert.equal(outs.length, 2, 'not-last and last');
  assert.deepEqual(outs[0]!.violations, [], 'when someone else holds a reference, nothing breaks');
  const last = outs[1]!;
  assert.ok(last.assumptions.some((a) => /no one else holds a reference/.test(a)));
  const rules = last.violations.map((v) => v.rule).sort();
  assert.deepEqual(rules, ['gpuva-list-unlocked', 'signalling-gem-put', 'vm-resv-not-held']);
  assert.ok(last.violations.every((v) => v.certainty === 'possible'));
});

test('an extra reference taken on this path proves the put is not the last', () => {
  const { state } = run([...setupImmediate, op('vm_bo_declare', ['vm', 'obj', 'vm_bo']), op('bo_get', ['vm_bo'])]);
  const outs = applyOp({ ...state, ctx: { ...state.ctx, signalling: 1 } }, op('bo_put', ['vm_bo']));
  assert.equal(outs.length, 1);
  assert.deepEqual(outs[0]!.violations, []);
});

test('obtain on a GEM whose gpuva list is unknown: found or created, and allocation may fail', () => {
  const { state } = run([
    op('vm_declare', ['vm'], { opts: { staged: true } }), op('gem_declare', ['obj'], { opts: { vm: 'vm' } }),
    op('resv_lock', ['obj']),
  ]);
  const outs = applyOp(state, op('bo_obtain', ['vm', 'obj'], { result: 'vm_bo' }));
  assert.deepEqual(outs.map((o) => o.result).sort(), ['created', 'err', 'found']);
  for (const o of outs) assert.deepEqual(o.violations, []);
  const err = outs.find((o) => o.result === 'err')!;
  assert.equal(err.state.nullNames['vm_bo'], 'err');
  assert.deepEqual(exitViolations(err.state, { how: 'return', references: true }).map((v) => v.rule), ['lock-leak']);
  const created = outs.find((o) => o.result === 'created')!;
  assert.deepEqual(exitViolations(created.state, { how: 'return' }).map((v) => v.rule).sort(), ['lock-leak', 'vm-bo-leak']);
});

test('handing a reference on (stored in a field, returned) is not a leak', () => {
  const { state } = run([
    op('vm_init', ['vm'], { opts: { immediate: true } }), op('gem_create', ['obj'], { opts: { external: true } }),
    op('bo_create', ['vm', 'obj'], { result: 'pre' }), op('hand_on', ['pre']),
  ]);
  assert.deepEqual(exitViolations(state, { how: 'return' }), []);
});

test('locks held by the caller are not leaks of the callee', () => {
  const { state } = run([op('vm_declare', ['vm']), op('resv_lock', ['vm'])]);
  assert.deepEqual(exitViolations(state, { how: 'return', entryLocks: [state.locks[0]!.id] }), []);
  assert.equal(exitViolations(state, { how: 'return' })[0]!.rule, 'lock-leak');
});

test('an internal GEM shares the VM resv; an unknown GEM may', () => {
  const known = run([
    op('vm_init', ['vm'], { opts: { resv_protected: true } }), op('gem_create', ['bo', 'vm'], { opts: { internal: true } }),
    op('resv_lock', ['vm']), op('resv_lock', ['bo']),
  ]);
  assert.equal(known.outcomes[3]!.violations[0]!.rule, 'lock-recursion');
  assert.equal(known.outcomes[3]!.violations[0]!.certainty, 'definite');
  const unknown = run([op('vm_declare', ['vm']), op('gem_declare', ['bo'], { opts: { vm: 'vm' } }), op('resv_lock', ['vm']), op('resv_lock', ['bo'])]);
  assert.equal(unknown.outcomes[3]!.violations[0]!.certainty, 'possible');
});

test('kref_put_mutex: a final deferred put under the same gpuva.lock deadlocks, a non-final one does not', () => {
  const base = [
    op('vm_init', ['vm'], { opts: { immediate: true } }), op('gem_create', ['bo'], { opts: { external: true } }),
    op('bo_create', ['vm', 'bo'], { result: 'pre' }), op('bo_obtain_prealloc', ['pre'], { result: 'vm_bo' }),
  ];
  const last = run([...base, op('gpuva_lock', ['bo']), op('bo_put_deferred', ['vm_bo'])]);
  assert.equal(last.outcomes[5]!.violations[0]!.rule, 'lock-recursion');
  const notLast = run([...base, op('bo_get', ['vm_bo']), op('gpuva_lock', ['bo']), op('bo_put_deferred', ['vm_bo'])]);
  assert.deepEqual(notLast.outcomes[6]!.violations, []);
});

test('deferred put in the signalling path is the design: nothing fires', () => {
  const { state } = run([
    op('vm_init', ['vm'], { opts: { immediate: true, resv_protected: true } }), op('gem_create', ['bo'], { opts: { external: true } }),
    op('bo_create', ['vm', 'bo'], { result: 'pre' }), op('bo_obtain_prealloc', ['pre'], { result: 'vm_bo' }),
  ]);
  const sig = { ...state, ctx: { ...state.ctx, signalling: 1 } };
  const [o] = applyOp(sig, op('bo_put_deferred', ['vm_bo']));
  assert.deepEqual(o!.violations, []);
  assert.equal(o!.state.objects[state.names['vm_bo']!]!.kind === 'vm_bo' && (o!.state.objects[state.names['vm_bo']!] as { state: string }).state, 'zombie');
});

test('GFP masks: which ones reclaim', () => {
  for (const g of ['GFP_KERNEL', 'GFP_KERNEL | __GFP_ZERO', 'GFP_NOFS', 'GFP_NOIO', 'GFP_USER']) assert.ok(reclaims(g), g);
  for (const g of ['GFP_ATOMIC', 'GFP_NOWAIT', 'GFP_NOWAIT | __GFP_ZERO', 'gfp']) assert.ok(!reclaims(g), g);
});

test('the config switches the obtain_prealloc contract', () => {
  const ops = [
    op('vm_init', ['vm'], { opts: { immediate: true, resv_protected: true } }), op('gem_create', ['bo'], { opts: { external: true } }),
    op('bo_create', ['vm', 'bo'], { result: 'pre' }), op('bo_obtain_prealloc', ['pre'], { result: 'vm_bo' }),
  ];
  const self = run(ops);
  assert.deepEqual(self.outcomes[3]!.violations, []);
  const caller = run(ops, { ...DEFAULT_CONFIG, obtainPrealloc: 'caller-locks' });
  assert.equal(caller.outcomes[3]!.violations[0]!.rule, 'gpuva-list-unlocked');
});

test('unknown operation and unknown handle are model errors, not crashes', () => {
  assert.throws(() => applyOp(emptyState(), op('frob', [])), /unknown operation/);
  assert.throws(() => applyOp(emptyState(), op('bo_put', ['x'])), /unknown handle 'x'/);
});
