// Property-based tests over random operation sequences.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { applyOp, DEFAULT_CONFIG, ModelError } from '../../src/model/apply';
import { endOfRunViolations, exitViolations } from '../../src/model/checks';
import type { Op } from '../../src/model/ops';
import { isRuleId } from '../../src/model/rules';
import { emptyState, type GemObj, type ModelState, type VmBoObj, type VmObj } from '../../src/model/state';

const VMS = ['vm'];
const GEMS = ['a', 'b', 'i'];
const BOS = ['p0', 'p1', 'b0', 'b1'];
const VAS = ['va0', 'va1'];

const pick = <T>(xs: T[]) => fc.constantFrom(...xs);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ gem: pick(GEMS), res: pick(BOS) }).map(({ gem, res }) => ({ op: 'bo_create', args: ['vm', gem], result: res })),
  fc.record({ pre: pick(BOS), res: pick(BOS) }).map(({ pre, res }) => ({ op: 'bo_obtain_prealloc', args: [pre], result: res })),
  fc.record({ gem: pick(GEMS), res: pick(BOS) }).map(({ gem, res }) => ({ op: 'bo_obtain', args: ['vm', gem], result: res })),
  fc.record({ gem: pick(GEMS), res: pick(BOS) }).map(({ gem, res }) => ({ op: 'bo_find', args: ['vm', gem], result: res })),
  pick(BOS).map((b) => ({ op: 'bo_get', args: [b] })),
  pick(BOS).map((b) => ({ op: 'bo_put', args: [b] })),
  pick(BOS).map((b) => ({ op: 'bo_put_deferred', args: [b] })),
  pick(BOS).map((b) => ({ op: 'bo_extobj_add', args: [b] })),
  fc.record({ b: pick(BOS), e: fc.boolean() }).map(({ b, e }): Op => ({ op: 'bo_evict', args: [b], opts: e ? {} : { unevict: true } })),
  fc.constant<Op>({ op: 'bo_deferred_cleanup', args: ['vm'] }),
  pick(VAS).map((v) => ({ op: 'va_alloc', args: [], result: v })),
  fc.record({ v: pick(VAS), g: pick(GEMS) }).map(({ v, g }) => ({ op: 'va_insert', args: ['vm', v, g] })),
  pick(VAS).map((v) => ({ op: 'va_remove', args: [v] })),
  fc.record({ v: pick(VAS), b: pick(BOS) }).map(({ v, b }) => ({ op: 'va_link', args: [v, b] })),
  pick(VAS).map((v) => ({ op: 'va_unlink', args: [v] })),
  pick(VAS).map((v) => ({ op: 'va_unlink_defer', args: [v] })),
  pick([...GEMS, 'vm']).map((x) => ({ op: 'resv_lock', args: [x] })),
  pick([...GEMS, 'vm']).map((x) => ({ op: 'resv_unlock', args: [x] })),
  pick(GEMS).map((g) => ({ op: 'gpuva_lock', args: [g] })),
  pick(GEMS).map((g) => ({ op: 'gpuva_unlock', args: [g] })),
  fc.constant<Op>({ op: 'exec_lock', args: ['vm'] }),
  fc.constant<Op>({ op: 'exec_unlock', args: [] }),
  fc.constant<Op>({ op: 'validate', args: ['vm'] }),
  fc.constant<Op>({ op: 'iterate_extobj', args: ['vm'] }),
  fc.constant<Op>({ op: 'begin_signalling', args: [] }),
  fc.constant<Op>({ op: 'end_signalling', args: [] }),
  fc.constant<Op>({ op: 'alloc', args: [], opts: { gfp: 'GFP_KERNEL' } }),
  fc.constant<Op>({ op: 'vm_get', args: ['vm'] }),
  fc.constant<Op>({ op: 'vm_put', args: ['vm'] }),
  pick(GEMS).map((g) => ({ op: 'gem_put', args: [g] })),
  pick(BOS).map((b) => ({ op: 'hand_on', args: [b] })),
);

function setup(protectedVm: boolean, immediate: boolean, external: boolean): Op[] {
  return [
    { op: external ? 'vm_declare' : 'vm_init', args: VMS, opts: { ...(protectedVm ? { resv_protected: true } : {}), ...(immediate ? { immediate: true } : { staged: true }) } },
    { op: 'gem_create', args: ['a'], opts: { external: true } },
    { op: external ? 'gem_declare' : 'gem_create', args: ['b'], opts: external ? { vm: 'vm' } : { external: true } },
    { op: 'gem_create', args: ['i', 'vm'], opts: { internal: true } },
  ];
}

function checkInvariants(s: ModelState): void {
  for (const o of Object.values(s.objects)) {
    if (o.kind !== 'va') assert.ok(o.refs.n >= 0, `${o.id} refcount ${o.refs.n}`);
    if (o.kind === 'vm_bo') {
      const b = o as VmBoObj;
      const gem = s.objects[b.gem] as GemObj;
      const vm = s.objects[b.vm] as VmObj;
      if (b.state === 'zombie') assert.ok(!gem.vmBos.includes(b.id), 'a zombie is never on its GEM\'s list');
      if (b.state === 'freed') {
        assert.ok(!gem.vmBos.includes(b.id) && !vm.extobj.includes(b.id) && !vm.evict.includes(b.id) && !vm.deferred.includes(b.id), 'a freed vm_bo is on no list');
      }
      if (b.state === 'detached') assert.ok(!gem.vmBos.includes(b.id), 'a detached vm_bo is not on the gpuva list');
    }
    if (o.kind === 'va' && o.state === 'freed') {
      for (const x of Object.values(s.objects)) if (x.kind === 'vm') assert.ok(!x.vas.includes(o.id) || o.inserted);
    }
  }
}

test('random operation sequences: no crash, invariants hold, rules are known', () => {
  fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.boolean(), fc.array(opArb, { maxLength: 40 }), fc.nat(), (prot, imm, ext, ops, seed) => {
    let s = emptyState();
    for (const o of setup(prot, imm, ext)) s = applyOp(s, o, DEFAULT_CONFIG)[0]!.state;
    let k = seed;
    for (const o of ops) {
      let outs;
      try {
        outs = applyOp(s, o, DEFAULT_CONFIG);
      } catch (e) {
        if (e instanceof ModelError) continue; // a handle not bound (or NULL) on this sequence: the scenario layer reports these
        throw e;
      }
      assert.ok(outs.length >= 1);
      for (const out of outs) {
        checkInvariants(out.state);
        for (const v of out.violations) assert.ok(isRuleId(v.rule), `unknown rule ${v.rule}`);
        // A put with no reference left is never silent.
        if ((o.op === 'bo_put' || o.op === 'bo_put_deferred') && s.names[o.args[0]!]) {
          const before = s.objects[s.names[o.args[0]!]!] as VmBoObj;
          if (before.kind === 'vm_bo' && before.refs.n === 0 && !before.refs.extra) {
            assert.ok(out.violations.some((v) => v.rule === 'vm-bo-double-put'), 'underflow is reported');
          }
        }
      }
      s = outs[k++ % outs.length]!.state;
    }
    for (const v of [...exitViolations(s, { how: 'end' }), ...endOfRunViolations(s)]) assert.ok(isRuleId(v.rule));
  }), { numRuns: 400 });
});
