// drm_gpuvm_bo_put_deferred as its atomic steps. kref_put_mutex:
//
//   refcount_dec_not_one()            fast path: not the last reference
//   mutex_lock(&obj->gpuva.lock)      slow path
//   refcount_dec_and_test()           another thread may have taken a reference meanwhile
//   drm_gpuvm_bo_into_zombie()        off the GEM list (and extobj/evict unless RESV_PROTECTED)
//   mutex_unlock(&obj->gpuva.lock)
//   llist_add(&vm->bo_defer)          only now can a deferred cleanup free the GEM
//
// `kernel defer_free add_then_unlock` swaps the last two, the order the kernel
// comment in drm_gpuvm_bo_defer_zombie_cleanup() warns against.

import { checkDeferredMode, unlockGpuva } from '../model/apply';
import type { GemObj, VmBoObj, VmObj } from '../model/state';
import { holds, str, takeLock, type Compound, type Phase, type PhaseCtx } from './phases';
import type { Regs } from './world';

const vmBo = (c: PhaseCtx): VmBoObj => c.w.obj<VmBoObj>(str(c.regs, 'b'));
const gemOf = (c: PhaseCtx): GemObj => c.w.obj<GemObj>(vmBo(c).gem);
const how = (c: PhaseCtx): string => str(c.regs, 'how');
const p = (c: PhaseCtx, name: string): string => `${str(c.regs, 'pre')}${name}`;

/** The registers a deferred put starts with. */
export function putDeferredRegs(b: string, howText: string, owned: boolean, pre: string, ret: string | null): Regs {
  return { b, how: howText, owned, pre, ret: ret ?? '', took: false, last: false };
}

/** The transient reference this thread held on the vm_bo, if any, is what it drops. */
function dropTransient(c: PhaseCtx): void {
  const id = str(c.regs, 'b');
  const n = c.t.transient[id] ?? 0;
  if (n > 1) c.t.transient[id] = n - 1;
  else if (n === 1) delete c.t.transient[id];
}

function done(c: PhaseCtx): string | null {
  const r = str(c.regs, 'ret');
  return r === '' ? null : r;
}

/** The phases of a deferred put; `pre` prefixes their names so a walk can embed them. */
export function putDeferredPhases(pre: string): Record<string, Phase> {
  const addFirst = (c: PhaseCtx): boolean => c.cfg.deferFree === 'add-then-unlock';
  return {
    [`${pre}dec_not_one`]: {
      label: (c) => `${how(c)}: kref_put_mutex: refcount_dec_not_one`,
      run(c) {
        const b = vmBo(c);
        if (c.regs.statement === true) checkDeferredMode(c.w, c.w.obj<VmObj>(b.vm), 'put');
        if (!c.w.putPrologue(b, how(c), 'deferred')) return done(c);
        // The slow path is only for a count of exactly one that nobody else may hold.
        if (b.refs.n !== 1 || b.refs.extra) {
          c.w.putDecrement(b, how(c), c.regs.owned === true);
          dropTransient(c);
          c.w.note(`refcount of '${c.w.nameOf(b)}' now ${b.refs.n}${b.refs.extra ? '+?' : ''}: not the last reference`);
          return done(c);
        }
        c.w.note(`refcount of '${c.w.nameOf(b)}' is 1: kref_put_mutex takes the slow path`);
        return p(c, 'lock');
      },
    },
    [`${pre}lock`]: {
      label: (c) => `${how(c)}: mutex_lock(&${gemOf(c).label}->gpuva.lock)`,
      wants: (c) => [c.w.gpuvaOf(gemOf(c))],
      run(c) {
        const ref = c.w.gpuvaOf(gemOf(c));
        c.w.krefPutMutexCheck(gemOf(c), how(c), 'drops');
        if (!holds(c.t, ref)) { takeLock(c.w, ref); c.regs.took = true; }
        return p(c, 'dec_and_test');
      },
    },
    [`${pre}dec_and_test`]: {
      label: (c) => `${how(c)}: kref_put_mutex: refcount_dec_and_test`,
      run(c) {
        const r = c.w.putDecrement(vmBo(c), how(c), c.regs.owned === true);
        dropTransient(c);
        if (r === 'last') { c.regs.last = true; return p(c, 'into_zombie'); }
        c.w.note(`another reference appeared meanwhile: not the last one`);
        return p(c, 'unlock');
      },
    },
    [`${pre}into_zombie`]: {
      label: (c) => `${how(c)}: drm_gpuvm_bo_into_zombie`,
      run(c) {
        c.w.intoZombie(vmBo(c));
        return p(c, addFirst(c) ? 'llist_add' : 'unlock');
      },
    },
    [`${pre}unlock`]: {
      label: (c) => `${how(c)}: mutex_unlock(&${gemOf(c).label}->gpuva.lock)`,
      run(c) {
        if (c.regs.took === true) unlockGpuva(c.w, gemOf(c));
        if (c.regs.last === true && !addFirst(c)) return p(c, 'llist_add');
        return finish(c);
      },
    },
    [`${pre}llist_add`]: {
      label: (c) => `${how(c)}: llist_add(&${c.w.nameOf(vmBo(c))}->list.entry.bo_defer, &vm->bo_defer)`,
      run(c) {
        c.w.deferZombie(vmBo(c));
        return addFirst(c) ? p(c, 'unlock') : finish(c);
      },
    },
  };
}

/** The put is complete: the caller's `unpin_if_last` acts on its result. */
function finish(c: PhaseCtx): string | null {
  c.w.result = c.regs.last === true ? 'last' : 'not-last';
  return done(c);
}

export const PUT_DEFERRED: Compound = {
  start(w) {
    const name = w.op.args[0];
    if (name === undefined || w.isNull(name) || w.s.consumed[name]) return null;
    const b = w.getKind(name, 'vm_bo');
    if (b.state === 'freed' || b.state === 'zombie') return null; // the sequential model reports the double put
    return { kind: 'put_deferred', phase: 'dec_not_one', regs: { ...putDeferredRegs(b.id, w.what, true, '', null), statement: true } };
  },
  phases: putDeferredPhases(''),
};
