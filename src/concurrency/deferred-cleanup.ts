// drm_gpuvm_bo_deferred_cleanup as its atomic steps:
//
//   bo_defer = llist_del_all(&vm->bo_defer)        nothing there: return
//   dma_resv_lock(vm resv)                          RESV_PROTECTED only
//   list_del each zombie from extobj and evict
//   dma_resv_unlock(vm resv)
//   for each zombie: ops->vm_bo_free (or kfree), drm_gpuvm_put, drm_gem_object_put

import { cleanupPrologue } from '../model/apply';
import type { GemObj, VmBoObj, VmObj } from '../model/state';
import { holds, list, str, takeLock, type Compound, type PhaseCtx } from './phases';

const vmOf = (c: PhaseCtx): VmObj => c.w.obj<VmObj>(str(c.regs, 'vm'));
const zombie = (c: PhaseCtx, key: 'i' | 'j'): VmBoObj => c.w.obj<VmBoObj>(list(c.regs, 'batch')[c.regs[key] as number]!);
const freeing = (c: PhaseCtx): string => `${c.w.what} (freeing zombie '${zombie(c, 'j').label}')`;

function nextFree(c: PhaseCtx): string | null {
  const j = (c.regs.j as number) + 1;
  c.regs.j = j;
  if (j < list(c.regs, 'batch').length) return 'vm_bo_free';
  c.w.note(`${j} zombie vm_bo(s) freed`);
  return null;
}

export const DEFERRED_CLEANUP: Compound = {
  start(w) {
    const name = w.op.args[0];
    if (name === undefined) return null;
    const vm = w.getKind(name, 'vm');
    if (vm.state === 'freed') return null; // the sequential model reports the use after free
    return { kind: 'cleanup', phase: 'llist_del_all', regs: { vm: vm.id, batch: [], i: 0, j: 0, took: false } };
  },
  phases: {
    llist_del_all: {
      label: (c) => `${c.w.what}: llist_del_all(&vm->bo_defer)`,
      run(c) {
        const vm = vmOf(c);
        cleanupPrologue(c.w, vm);
        const batch = [...vm.deferred];
        vm.deferred = [];
        c.regs.batch = batch;
        c.w.s.deferredPuts = c.w.s.deferredPuts.filter((d) => d.vm !== vm.id || !batch.includes(d.vmBo));
        c.w.s.cleanedUp[vm.id] = true;
        c.w.note(batch.length ? `took ${batch.length} zombie(s) off the deferred list: ${batch.map((id) => c.w.obj<VmBoObj>(id).label).join(', ')}` : 'the deferred list is empty: nothing to do');
        if (!batch.length) return null;
        return vm.resvProtected === true ? 'resv_lock' : 'vm_bo_free';
      },
    },
    resv_lock: {
      label: (c) => `${c.w.what}: dma_resv_lock(${vmOf(c).label} resv)`,
      wants: (c) => [c.w.resvOfVm(vmOf(c))],
      run(c) {
        // The self-deadlock on a resv this thread already holds was reported by the prologue.
        const ref = c.w.resvOfVm(vmOf(c));
        if (!holds(c.t, ref)) { takeLock(c.w, ref); c.regs.took = true; }
        return 'list_del';
      },
    },
    list_del: {
      label: (c) => `${c.w.what}: list_del '${zombie(c, 'i').label}' from extobj/evict`,
      run(c) {
        c.w.unlistVmBo(zombie(c, 'i'));
        const i = (c.regs.i as number) + 1;
        c.regs.i = i;
        return i < list(c.regs, 'batch').length ? 'list_del' : 'resv_unlock';
      },
    },
    resv_unlock: {
      label: (c) => `${c.w.what}: dma_resv_unlock(${vmOf(c).label} resv)`,
      run(c) {
        if (c.regs.took === true) c.w.release(c.w.resvOfVm(vmOf(c)), c.w.what);
        return 'vm_bo_free';
      },
    },
    vm_bo_free: {
      label: (c) => `${freeing(c)}: ${c.cfg.callbacks.vmBoFreeName ?? 'ops->vm_bo_free'}`,
      // A vm_bo_free that unpins takes the GEM's resv: it waits for whoever holds it.
      wants: (c) => (c.cfg.callbacks.vmBoFreeTakesResv ? [c.w.resvOfGem(c.w.obj<GemObj>(zombie(c, 'j').gem))] : []),
      run(c) {
        const b = zombie(c, 'j');
        c.w.unlistVmBo(b);
        c.w.freeVmBo(b, freeing(c));
        return b.holdsCounted ? 'vm_put' : nextFree(c);
      },
    },
    vm_put: {
      label: (c) => `${freeing(c)}: drm_gpuvm_put(vm)`,
      run(c) {
        c.w.vmPut(vmOf(c), freeing(c), true);
        return 'gem_put';
      },
    },
    gem_put: {
      label: (c) => `${freeing(c)}: drm_gem_object_put(${c.w.obj<GemObj>(zombie(c, 'j').gem).label})`,
      run(c) {
        c.w.gemPut(c.w.obj<GemObj>(zombie(c, 'j').gem), freeing(c), true);
        return nextFree(c);
      },
    },
  },
};
