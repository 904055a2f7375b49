// What only shows across threads, checked after every step by comparing the
// world before and after it:
//
// - a GEM freed while another thread holds its gpuva.lock or resv: the mutex is
//   freed under its holder (what drm_gpuvm_bo_defer_free's ordering prevents);
// - a vm_bo freed while its GEM keeps a pin no live vm_bo owns, after a thread
//   decided not to unpin because its put was not the last: another thread's
//   transient reference made the decision wrong (the old panthor_vm_bo_put).

import type { Related, Violation } from '../model/apply';
import type { GemObj, VmBoObj } from '../model/state';
import type { Statement } from '../scenario/parse';
import type { World } from './world';

export function raceViolations(before: World, after: World, ti: number, st: Statement): Violation[] {
  const out: Violation[] = [];
  const objs = after.shared.objects;
  for (const [id, o] of Object.entries(objs)) {
    const was = before.shared.objects[id];
    if (o.kind === 'gem' && o.state === 'freed' && was?.kind === 'gem' && was.state !== 'freed') {
      out.push(...freedUnderHolder(after, ti, o, st));
    }
    if (o.kind === 'vm_bo' && o.state === 'freed' && was?.kind === 'vm_bo' && was.state !== 'freed') {
      const v = pinOutlivesVmBos(after, o, st);
      if (v) out.push(v);
    }
  }
  return out;
}

function freedUnderHolder(w: World, ti: number, g: GemObj, st: Statement): Violation[] {
  const out: Violation[] = [];
  w.threads.forEach((t, k) => {
    if (k === ti) return;
    for (const l of t.locks) {
      if (l.id !== `gpuva:${g.id}` && l.id !== `resv:${g.id}`) continue;
      out.push({
        rule: 'use-after-free', certainty: 'definite',
        message: `${st.text} frees GEM '${g.label}' while thread '${t.name}' holds ${l.label}: the mutex is freed under its holder, whose unlock then writes to freed memory`,
        related: [{ origin: l.origin, message: `${l.label} taken here by '${t.name}'` }],
      });
    }
  });
  return out;
}

function pinOutlivesVmBos(w: World, b: VmBoObj, st: Statement): Violation | undefined {
  const g = w.shared.objects[b.gem];
  if (!g || g.kind !== 'gem' || g.pins === undefined) return undefined;
  const owners = Object.values(w.shared.objects).filter((o) => o.kind === 'vm_bo' && o.gem === g.id && o.state !== 'freed').length;
  if (g.pins <= owners) return undefined;
  const d = w.decisions.find((x) => x.gem === g.id);
  if (!d) return undefined;
  const related: Related[] = [
    { origin: d.origin, message: `'${d.thread}' skipped the unpin here: its put was not the last` },
    ...d.holders.map((h) => ({ origin: h.origin, message: `'${h.thread}' held a transient reference to '${b.label}' here` })),
  ];
  return {
    rule: 'refcount-race', certainty: 'definite', related,
    message: `${st.text} frees vm_bo '${b.label}' without unpinning, and GEM '${g.label}' stays pinned (${g.pins} pin(s), ${owners} vm_bo(s) left to own them): '${d.thread}' decided not to unpin because its put was not the last, while ${d.holders.map((h) => `'${h.thread}'`).join(', ')} held a transient reference. The pin is never dropped; unpin in ops->vm_bo_free instead`,
  };
}
