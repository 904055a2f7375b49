// Checks made when a path ends: a function returns, a scenario context ends, or
// the whole scenario has run.

import type { Related, Violation } from './apply';
import type { ModelState, VmBoObj, VmObj } from './state';

export interface ExitOptions {
  /** How the exit reads ("return", "`?` on GpuVaAlloc::new", "end of run_job"). */
  how: string;
  /** Lock ids held on entry (the caller's): not leaks of this function. */
  entryLocks?: string[];
  /** Check that every reference taken on this path was released or handed on. */
  references?: boolean;
}

/** Locks still held, unbalanced begin/end signalling, leaked vm_bo references. */
export function exitViolations(s: ModelState, o: ExitOptions): Violation[] {
  const out: Violation[] = [];
  const entry = new Set(o.entryLocks ?? []);
  for (const l of s.locks) {
    if (entry.has(l.id)) continue;
    // Locked into a drm_exec context this path did not start: the context's owner releases it.
    if (l.via === 'exec' && !s.exec) continue;
    out.push({
      rule: 'lock-leak', certainty: 'definite', message: `${o.how} with ${l.label} still held`,
      related: [{ origin: l.origin, message: `${l.label} taken here` }],
    });
  }
  if (s.ctx.begins > 0) {
    const rel: Related[] = s.ctx.signallingFrom.slice(-s.ctx.begins).map((f) => ({ origin: f.origin, message: 'dma_fence_begin_signalling() here' }));
    out.push({
      rule: 'signalling-unbalanced', certainty: 'definite',
      message: `${o.how} without dma_fence_end_signalling() for the dma_fence_begin_signalling() on this path`, related: rel,
    });
  }
  if (o.references !== false) {
    for (const [id, ob] of Object.entries(s.owned)) {
      const obj = s.objects[id];
      if (!obj || obj.kind !== 'vm_bo' || ob.count <= 0) continue;
      const b = obj as VmBoObj;
      if (b.state === 'freed') continue;
      out.push({
        rule: 'vm-bo-leak', certainty: 'definite',
        message: `the vm_bo reference taken by ${ob.labels[0] ?? 'an earlier call'} is neither released nor handed on by ${o.how}`,
        related: ob.origins.map((origin, i) => ({ origin, message: `${ob.labels[i] ?? 'reference taken'} here` })),
        ...(ob.origins[0] ? { at: ob.origins[0] } : {}),
      });
    }
  }
  return out;
}

/** After a whole scenario: zombies that no cleanup ever reached. */
export function endOfRunViolations(s: ModelState): Violation[] {
  const out: Violation[] = [];
  for (const o of Object.values(s.objects)) {
    if (o.kind !== 'vm') continue;
    const vm = o as VmObj;
    if (vm.state === 'freed' || !vm.deferred.length) continue;
    for (const d of s.deferredPuts.filter((x) => x.vm === vm.id)) {
      const b = s.objects[d.vmBo] as VmBoObj | undefined;
      if (!b || b.state !== 'zombie') continue;
      out.push({
        rule: 'deferred-cleanup-missing', certainty: 'definite',
        message: `vm_bo '${b.label}' was put deferred and is still a zombie on the deferred list of '${vm.label}' at the end: nothing called drm_gpuvm_bo_deferred_cleanup() after it, so it still holds the VM and its GEM`,
        related: [{ origin: d.origin, message: `vm_bo '${b.label}' put deferred here` }],
        ...(d.origin ? { at: d.origin } : {}),
      });
    }
  }
  return out;
}
