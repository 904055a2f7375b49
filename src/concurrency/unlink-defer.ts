// drm_gpuva_unlink_defer as its atomic steps:
//
//   mutex_lock(&obj->gpuva.lock)
//   list_del_init(&va->gem.entry); kref_put(&vm_bo->kref, drm_gpuvm_bo_into_zombie)
//   mutex_unlock(&obj->gpuva.lock)
//   if it was the last reference: llist_add(&vm->bo_defer)

import { checkDeferredMode, unlinkVa, unlockGpuva } from '../model/apply';
import type { GemObj, VaObj, VmBoObj, VmObj } from '../model/state';
import { holds, str, type Compound, type PhaseCtx } from './phases';

const vmBo = (c: PhaseCtx): VmBoObj => c.w.obj<VmBoObj>(str(c.regs, 'b'));
const gemOf = (c: PhaseCtx): GemObj => c.w.obj<GemObj>(vmBo(c).gem);
const addFirst = (c: PhaseCtx): boolean => c.cfg.deferFree === 'add-then-unlock';

export const UNLINK_DEFER: Compound = {
  start(w) {
    const name = w.op.args[0];
    if (name === undefined) return null;
    const va = w.getKind(name, 'va');
    if (va.state === 'freed' || !va.vmBo) return null;
    const b = w.obj<VmBoObj>(va.vmBo);
    if (b.state === 'freed' || b.state === 'zombie') return null; // reported by the sequential model
    return { kind: 'unlink_defer', phase: 'lock', regs: { va: va.id, b: b.id, took: false, last: false } };
  },
  phases: {
    lock: {
      label: (c) => `${c.w.what}: mutex_lock(&${gemOf(c).label}->gpuva.lock)`,
      wants: (c) => [c.w.gpuvaOf(gemOf(c))],
      run(c) {
        checkDeferredMode(c.w, c.w.obj<VmObj>(vmBo(c).vm), 'unlink');
        const ref = c.w.gpuvaOf(gemOf(c));
        const had = holds(c.t, ref);
        // On recursion the real thread is stuck; go on as if, so the bug is reported once (as the sequential model does).
        c.w.acquire(ref, `${c.w.what} (which takes obj->gpuva.lock itself)`);
        c.regs.took = !had && holds(c.t, ref);
        return 'put';
      },
    },
    put: {
      label: (c) => `${c.w.what}: list_del_init(&va->gem.entry); kref_put(&vm_bo->kref, drm_gpuvm_bo_into_zombie)`,
      run(c) {
        const b = vmBo(c);
        unlinkVa(c.w.obj<VaObj>(str(c.regs, 'va')), b);
        if (!c.w.putPrologue(b, c.w.what, 'deferred')) return 'unlock';
        if (c.w.putDecrement(b, c.w.what, false) === 'last') {
          c.regs.last = true;
          c.w.intoZombie(b);
          return addFirst(c) ? 'llist_add' : 'unlock';
        }
        return 'unlock';
      },
    },
    unlock: {
      label: (c) => `${c.w.what}: mutex_unlock(&${gemOf(c).label}->gpuva.lock)`,
      run(c) {
        if (c.regs.took === true) unlockGpuva(c.w, gemOf(c));
        return c.regs.last === true && !addFirst(c) ? 'llist_add' : null;
      },
    },
    llist_add: {
      label: (c) => `${c.w.what}: llist_add(&vm_bo->list.entry.bo_defer, &vm->bo_defer)`,
      run(c) {
        c.w.deferZombie(vmBo(c));
        return addFirst(c) ? 'unlock' : null;
      },
    },
  },
};
