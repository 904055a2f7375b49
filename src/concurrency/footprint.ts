// What a statement may read or write, as a set of resources, for the
// partial-order reduction: two steps whose footprints are disjoint commute
// (same state, same findings, whichever runs first).
//
// Resources: `o:<id>` an object's fields (refcount, state, the lists it holds),
// `l:<id>` a lock, `n:<name>` a handle, `nextId` the object id counter. An
// object brings its family along: a vm_bo its VM and GEM, a GEM its gpuva.lock
// and resv, a VM its resv; list walks bring every vm_bo and VA of the VM.
// Anything that cannot be resolved yet (a handle another thread binds later)
// is 'all': it conflicts with everything.

import { OP_BY_NAME, type Op } from '../model/ops';
import type { ModelState, Obj } from '../model/state';

export type Footprint = Set<string> | 'all';

/** Operations that create objects (they move the shared id counter). */
const CREATES = new Set(['vm_init', 'vm_declare', 'gem_create', 'gem_declare', 'vm_bo_declare', 'va_declare', 'bo_create', 'bo_obtain', 'bo_find', 'bo_obtain_prealloc', 'va_alloc']);

/** Operations that read or change everything hanging off a VM. */
const WHOLE_VM = new Set(['bo_deferred_cleanup', 'prepare_objects', 'exec_lock', 'validate', 'iterate_extobj', 'iterate_evict', 'vm_put', 'resv_add_fence']);

function resvLockOf(g: Extract<Obj, { kind: 'gem' }>): string {
  return g.internal === true && g.vm ? `l:resv:${g.vm}` : `l:resv:${g.id}`;
}

function addFamily(s: ModelState, id: string, out: Set<string>, depth = 0): void {
  const o = s.objects[id];
  if (!o || out.has(`o:${id}`)) return;
  out.add(`o:${id}`);
  if (depth > 3) return;
  switch (o.kind) {
    case 'vm': out.add(`l:resv:${o.id}`); break;
    case 'gem':
      out.add(`l:gpuva:${o.id}`);
      out.add(resvLockOf(o));
      if (o.vm) addFamily(s, o.vm, out, depth + 1);
      break;
    case 'vm_bo': addFamily(s, o.vm, out, depth + 1); addFamily(s, o.gem, out, depth + 1); break;
    case 'va':
      if (o.vm) addFamily(s, o.vm, out, depth + 1);
      if (o.gem) addFamily(s, o.gem, out, depth + 1);
      if (o.vmBo) addFamily(s, o.vmBo, out, depth + 1);
      break;
  }
}

function addWholeVm(s: ModelState, vmId: string, out: Set<string>): void {
  for (const o of Object.values(s.objects)) {
    if ((o.kind === 'vm_bo' || o.kind === 'va') && o.vm === vmId) addFamily(s, o.id, out);
  }
}

/**
 * The footprint of one statement, resolved in state `s`. `future` maps handles
 * the same thread binds before this statement to the footprint of what they
 * will hold; it is updated with this statement's result.
 */
export function opFootprint(s: ModelState, op: Op, future: Map<string, Footprint>): Footprint {
  const spec = OP_BY_NAME.get(op.op);
  const out = new Set<string>();
  let all = false;
  const merge = (f: Footprint): void => { if (f === 'all') all = true; else for (const r of f) out.add(r); };
  op.args.forEach((a, i) => {
    const kind = spec?.args[i];
    if (kind === 'lock-name') { out.add(`l:mutex:${a}`); out.add(`l:spin:${a}`); return; }
    out.add(`n:${a}`);
    if (kind === 'label') return;
    const fut = future.get(a);
    if (fut) { merge(fut); return; }
    const id = s.names[a];
    if (id !== undefined) {
      addFamily(s, id, out);
      const o = s.objects[id];
      if (o?.kind === 'vm' && WHOLE_VM.has(op.op)) addWholeVm(s, id, out);
    } else if (!(a in s.nullNames)) {
      all = true;
    }
  });
  if (CREATES.has(op.op)) out.add('nextId');
  if (op.result) {
    out.add(`n:${op.result}`);
    // What the handle will hold is reached through this statement's arguments.
    future.set(op.result, all ? 'all' : new Set([...out].filter((r) => r !== 'nextId')));
  }
  return all ? 'all' : out;
}

export function union(a: Footprint, b: Footprint): Footprint {
  if (a === 'all' || b === 'all') return 'all';
  for (const r of b) a.add(r);
  return a;
}

export function conflict(a: Footprint, b: Footprint): boolean {
  if (a === 'all' || b === 'all') return true;
  const [small, big] = a.size < b.size ? [a, b] : [b, a];
  for (const r of small) if (big.has(r)) return true;
  return false;
}
