// Operations that run as one atomic step: everything the sequential step
// function does in one go, except the compound operations split elsewhere.
// What they need: the locks they take (a thread waits while another holds one).

import { flag, type LockRef, type Working } from '../model/apply';
import type { GemObj, VaObj, VmBoObj } from '../model/state';
import type { Compound } from './phases';
import { DEFERRED_CLEANUP } from './deferred-cleanup';
import { EXEC_LOCK, ITERATE, PREPARE_OBJECTS } from './list-walk';
import { PUT_DEFERRED } from './put-deferred';
import { UNLINK_DEFER } from './unlink-defer';

/** Statements that run in steps: the kernel functions whose inside matters to other threads. */
export const COMPOUND: Record<string, Compound> = {
  bo_put_deferred: PUT_DEFERRED,
  va_unlink_defer: UNLINK_DEFER,
  bo_deferred_cleanup: DEFERRED_CLEANUP,
  prepare_objects: PREPARE_OBJECTS,
  exec_lock: EXEC_LOCK,
  iterate_extobj: ITERATE,
  iterate_evict: ITERATE,
};

function bound(w: Working, name: string | undefined): ReturnType<Working['get']> | undefined {
  if (name === undefined || !(name in w.s.names)) return undefined;
  return w.s.objects[w.s.names[name]!];
}

/** A plain put that will destroy the vm_bo runs ops->vm_bo_free, which may take the GEM resv (unpin). */
function destroyWants(w: Working, b: VmBoObj | undefined): LockRef[] {
  if (!b || !w.cfg.callbacks.vmBoFreeTakesResv || b.refs.n !== 1 || b.refs.extra) return [];
  if (b.state === 'zombie' || b.state === 'freed') return [];
  return [w.resvOfGem(w.obj<GemObj>(b.gem))];
}

/** The locks an atomic operation takes (and, for the self-locking APIs, releases again). */
export function atomicWants(w: Working): LockRef[] {
  const op = w.op;
  const a0 = bound(w, op.args[0]);
  if (flag(op, 'entry')) return [];
  switch (op.op) {
    case 'resv_lock':
      if (flag(op, 'trylock') || !a0) return [];
      if (a0.kind === 'vm') return [w.resvOfVm(a0)];
      return a0.kind === 'gem' ? [w.resvOfGem(a0)] : [];
    case 'exec_prepare_obj':
    case 'gem_pin':
    case 'gem_unpin':
      return a0?.kind === 'gem' ? [w.resvOfGem(a0)] : [];
    case 'prepare_vm':
      return a0?.kind === 'vm' ? [w.resvOfVm(a0)] : [];
    case 'gpuva_lock':
      return a0?.kind === 'gem' ? [w.gpuvaOf(a0)] : [];
    case 'mutex_lock':
      return op.args[0] ? [{ id: `mutex:${op.args[0]}`, cls: 'mutex', label: op.args[0] }] : [];
    case 'spin_lock':
      return op.args[0] ? [{ id: `spin:${op.args[0]}`, cls: 'spinlock', label: op.args[0] }] : [];
    case 'bo_obtain_prealloc': {
      const contract = flag(op, 'caller_locks') ? 'caller-locks' : flag(op, 'self_locks') ? 'self-locks' : w.cfg.obtainPrealloc;
      return contract === 'self-locks' && a0?.kind === 'vm_bo' ? [w.gpuvaOf(w.obj<GemObj>(a0.gem))] : [];
    }
    case 'bo_put':
      return a0?.kind === 'vm_bo' ? destroyWants(w, a0) : [];
    case 'va_unlink': {
      const va = a0?.kind === 'va' ? (a0 as VaObj) : undefined;
      return va?.vmBo ? destroyWants(w, w.obj<VmBoObj>(va.vmBo)) : [];
    }
    default:
      return [];
  }
}

/** A trylock of a resv another thread holds fails instead of waiting. */
export function trylockBusy(w: Working, heldByOther: (id: string) => boolean): boolean {
  const op = w.op;
  if (op.op !== 'resv_lock' || !flag(op, 'trylock')) return false;
  const a0 = bound(w, op.args[0]);
  const ref = a0?.kind === 'vm' ? w.resvOfVm(a0) : a0?.kind === 'gem' ? w.resvOfGem(a0) : undefined;
  return ref !== undefined && heldByOther(ref.id);
}
