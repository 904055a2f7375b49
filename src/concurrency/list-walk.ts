// Walks of the VM's extobj/evict lists as one step per entry, so another
// thread can act between two entries:
//
// - drm_gpuvm_prepare_objects (and drm_gpuvm_exec_lock after it locked the VM
//   resv): per entry, the zombie check (drm_gpuvm_bo_is_zombie), then the
//   entry's GEM resv is locked in the drm_exec context.
// - a driver's list_for_each_entry (iterate_extobj / iterate_evict): it stands
//   on an entry and follows its next pointer; an entry freed or taken off the
//   list under it is a use after free.
// - a lockless walk holding a transient reference (get_ref): per entry,
//   kref_get_unless_zero under the list lock, then the reference is dropped
//   (a deferred put in immediate mode, itself split into its steps).

import { flag, isZombie, prepareEntry, prepareObjectsPrologue, transientPutKind, walkedUnknownList, walkedZombie } from '../model/apply';
import type { GemObj, VmBoObj, VmObj } from '../model/state';
import { list, str, type Compound, type Phase, type PhaseCtx } from './phases';
import { putDeferredPhases, putDeferredRegs } from './put-deferred';

const vmOf = (c: PhaseCtx): VmObj => c.w.obj<VmObj>(str(c.regs, 'vm'));
const which = (c: PhaseCtx): 'extobj' | 'evict' => (c.regs.list === 'evict' ? 'evict' : 'extobj');

/** The first entry of the list this walk has not been to yet. */
function nextUnvisited(c: PhaseCtx): VmBoObj | undefined {
  const seen = list(c.regs, 'seen');
  const id = vmOf(c)[which(c)].find((x) => !seen.includes(x));
  return id === undefined ? undefined : c.w.obj<VmBoObj>(id);
}

function visit(c: PhaseCtx, b: VmBoObj): void {
  c.regs.seen = [...list(c.regs, 'seen'), b.id];
}

/** prepare_objects entry step: which lock it takes, if any. */
function prepareWants(c: PhaseCtx): ReturnType<NonNullable<Phase['wants']>> {
  const b = nextUnvisited(c);
  if (!b || b.state === 'freed' || (isZombie(b) && c.cfg.zombieCheck !== false)) return [];
  return [c.w.resvOfGem(c.w.obj<GemObj>(b.gem))];
}

const prepareEntryPhase: Phase = {
  label(c) {
    const b = nextUnvisited(c);
    return b ? `${c.w.what}: extobj entry '${b.label}'${isZombie(b) && c.cfg.zombieCheck !== false ? ' is a zombie: skipped' : `: lock the resv of '${c.w.obj<GemObj>(b.gem).label}'`}` : `${c.w.what}: end of the extobj list`;
  },
  wants: prepareWants,
  run(c) {
    const vm = vmOf(c);
    if (c.regs.started !== true) { prepareObjectsPrologue(c.w, vm); c.regs.started = true; }
    const b = nextUnvisited(c);
    if (!b) return null;
    visit(c, b);
    prepareEntry(c.w, vm, b);
    return nextUnvisited(c) ? 'entry' : null;
  },
};

export const PREPARE_OBJECTS: Compound = {
  start(w) {
    const vm = w.getKind(w.op.args[0] ?? '', 'vm');
    return { kind: 'prepare', phase: 'entry', regs: { vm: vm.id, list: 'extobj', seen: [], started: false } };
  },
  phases: { entry: prepareEntryPhase },
};

export const EXEC_LOCK: Compound = {
  start(w) {
    const vm = w.getKind(w.op.args[0] ?? '', 'vm');
    return { kind: 'exec_lock', phase: 'prepare_vm', regs: { vm: vm.id, list: 'extobj', seen: [], started: false } };
  },
  phases: {
    prepare_vm: {
      label: (c) => `${c.w.what}: drm_gpuvm_prepare_vm: lock ${vmOf(c).label}'s resv`,
      wants: (c) => [c.w.resvOfVm(vmOf(c))],
      run(c) {
        c.w.s.exec = true;
        c.w.acquire(c.w.resvOfVm(vmOf(c)), c.w.what, 'exec');
        return 'entry';
      },
    },
    entry: prepareEntryPhase,
  },
};

/** A driver's list_for_each_entry: stands on `cur` and follows its next pointer. */
export const ITERATE: Compound = {
  start(w, cfg) {
    const vm = w.getKind(w.op.args[0] ?? '', 'vm');
    const l = w.op.op === 'iterate_evict' ? 'evict' : 'extobj';
    if (flag(w.op, 'get_ref')) return TRANSIENT_WALK.start(w, cfg);
    return { kind: 'iterate', phase: 'next', regs: { vm: vm.id, list: l, cur: '', zombie: false, started: false } };
  },
  phases: {
    next: {
      label(c) {
        const cur = str(c.regs, 'cur');
        return cur ? `${c.w.what}: from '${c.w.obj<VmBoObj>(cur).label}' to the next entry` : `${c.w.what}: the first entry of the ${which(c)} list`;
      },
      run(c) {
        const vm = vmOf(c);
        const l = which(c);
        if (c.regs.started !== true) {
          c.regs.started = true;
          if (vm.resvProtected === true) c.w.needVmResv(vm, `${c.w.what} (walking the ${l} list)`);
        }
        const cur = str(c.regs, 'cur');
        let idx = -1;
        if (cur) {
          const b = c.w.obj<VmBoObj>(cur);
          idx = vm[l].indexOf(cur);
          if (b.state === 'freed') {
            c.w.violate('use-after-free', `${c.w.what} follows the next pointer of vm_bo '${b.label}', which another thread freed while the walk stood on it`);
            return null;
          }
          if (idx < 0) {
            c.w.violate('use-after-free', `${c.w.what} follows the next pointer of vm_bo '${b.label}', which another thread took off the ${l} list while the walk stood on it (list_del poisons it)`);
            return null;
          }
        }
        const nextId = vm[l][idx + 1];
        if (nextId === undefined) {
          if (c.regs.zombie !== true && !flag(c.w.op, 'skip_zombies')) walkedUnknownList(c.w, vm, l);
          return null;
        }
        const b = c.w.obj<VmBoObj>(nextId);
        c.regs.cur = nextId;
        if (isZombie(b) && !flag(c.w.op, 'skip_zombies') && c.regs.zombie !== true) {
          walkedZombie(c.w, vm, l, b);
          c.regs.zombie = true;
        }
        return 'next';
      },
    },
  },
};

/** get_ref: take each entry with kref_get_unless_zero, then drop the reference. */
export const TRANSIENT_WALK: Compound = {
  start(w) {
    const vm = w.getKind(w.op.args[0] ?? '', 'vm');
    const l = w.op.op === 'iterate_evict' ? 'evict' : 'extobj';
    return { kind: 'transient_walk', phase: 'get', regs: { vm: vm.id, list: l, seen: [], started: false } };
  },
  phases: {
    get: {
      label(c) {
        const b = nextUnvisited(c);
        return b ? `${c.w.what}: kref_get_unless_zero('${b.label}') under the ${which(c)} list lock` : `${c.w.what}: end of the ${which(c)} list`;
      },
      run(c) {
        const vm = vmOf(c);
        if (c.regs.started !== true) {
          c.regs.started = true;
          if (vm.resvProtected === true) c.w.needVmResv(vm, `${c.w.what} (walking the ${which(c)} list)`);
        }
        const b = nextUnvisited(c);
        if (!b) return null;
        visit(c, b);
        if (b.state === 'freed' || isZombie(b)) {
          c.w.note(`'${b.label}' has refcount 0: kref_get_unless_zero fails, the walk skips it`);
          return 'get';
        }
        b.refs.n++;
        c.t.transient[b.id] = (c.t.transient[b.id] ?? 0) + 1;
        c.w.note(`transient reference on '${b.label}' (refcount ${b.refs.n}${b.refs.extra ? '+?' : ''}); the walk goes on without the list lock`);
        const how = `${c.w.what} (dropping its transient reference to '${b.label}')`;
        if (transientPutKind(vm) === 'plain') { c.regs.cur = b.id; c.regs.how = how; return 'put'; }
        Object.assign(c.regs, putDeferredRegs(b.id, how, false, 'put.', 'get'));
        return 'put.dec_not_one';
      },
    },
    put: {
      label: (c) => str(c.regs, 'how'),
      run(c) {
        const id = str(c.regs, 'cur');
        c.w.putVmBo(c.w.obj<VmBoObj>(id), str(c.regs, 'how'), 'plain', false);
        const n = c.t.transient[id] ?? 0;
        if (n > 1) c.t.transient[id] = n - 1; else delete c.t.transient[id];
        return 'get';
      },
    },
    ...putDeferredPhases('put.'),
  },
};
