// The vm_bo lifecycle as a state machine, and the transitions one path takes
// through it, derived from consecutive snapshots of each vm_bo. Pure data: the
// SVG is drawn by lifecycle-svg.ts.

import type { Severity } from '../src/model/rules';
import type { ObjectSnapshot, TraceStep } from '../src/model/trace';
import { worst } from './severity';

export type LifeState = 'detached' | 'registered' | 'extobj' | 'zombie' | 'freed';
export type LifeNode = LifeState | 'entry';

export const LIFE_NODES: ReadonlyArray<{ id: LifeNode; title: string; detail: string }> = [
  { id: 'entry', title: '', detail: 'where this path first sees the vm_bo' },
  { id: 'detached', title: 'created / detached', detail: 'drm_gpuvm_bo_create: on no list' },
  { id: 'registered', title: 'registered', detail: "on the GEM's gpuva list" },
  { id: 'extobj', title: 'on extobj list', detail: "registered and on the VM's extobj list" },
  { id: 'zombie', title: 'zombie', detail: 'refcount 0, waiting on the deferred list' },
  { id: 'freed', title: 'freed', detail: 'destroyed: VM and GEM references dropped' },
];

/** The transitions GPUVM allows, with the call that makes each. */
export const LIFE_EDGES: ReadonlyArray<{ from: LifeNode; to: LifeState; via: string }> = [
  { from: 'entry', to: 'detached', via: 'bo_create' },
  { from: 'entry', to: 'registered', via: 'obtain / caller' },
  { from: 'detached', to: 'registered', via: 'obtain_prealloc' },
  { from: 'detached', to: 'freed', via: 'put' },
  { from: 'registered', to: 'extobj', via: 'extobj_add' },
  { from: 'registered', to: 'zombie', via: 'put_deferred' },
  { from: 'registered', to: 'freed', via: 'put' },
  { from: 'extobj', to: 'zombie', via: 'put_deferred' },
  { from: 'extobj', to: 'freed', via: 'put' },
  { from: 'zombie', to: 'freed', via: 'deferred_cleanup' },
];

export function lifeState(o: ObjectSnapshot): LifeState | undefined {
  switch (o.state) {
    case 'detached': return 'detached';
    case 'registered': return o.lists.includes('extobj') ? 'extobj' : 'registered';
    case 'zombie': return 'zombie';
    case 'freed': return 'freed';
    default: return undefined;
  }
}

export interface Transition {
  from: LifeNode;
  to: LifeState;
  /** Position of the step in the path. */
  pos: number;
  /** Worst violation at that step, if any. */
  severity?: Severity;
}

export interface VmBoLife {
  id: string;
  label: string;
  facts: string[];
  transitions: Transition[];
  /** The vm_bo after each step (undefined before it exists on this path). */
  at: Array<ObjectSnapshot | undefined>;
}

/** One lifecycle per vm_bo on the path, in order of first appearance. */
export function vmBoLifecycles(steps: TraceStep[]): VmBoLife[] {
  const lives = new Map<string, VmBoLife>();
  const last = new Map<string, LifeNode>();
  steps.forEach((st, pos) => {
    const severity = worst(st.violations.map((v) => v.severity));
    for (const o of st.after.objects) {
      if (o.kind !== 'vm_bo') continue;
      let life = lives.get(o.id);
      if (!life) {
        life = { id: o.id, label: o.label, facts: o.facts, transitions: [], at: new Array<ObjectSnapshot | undefined>(steps.length).fill(undefined) };
        lives.set(o.id, life);
      }
      life.at[pos] = o;
      const now = lifeState(o);
      const before = last.get(o.id) ?? 'entry';
      if (now && now !== before) {
        life.transitions.push({ from: before, to: now, pos, ...(severity ? { severity } : {}) });
        last.set(o.id, now);
      }
    }
  });
  return [...lives.values()];
}

/** The edges to draw for one lifecycle: GPUVM's transitions plus any other this path took. */
export function lifeEdges(life: VmBoLife): Array<{ from: LifeNode; to: LifeState; via: string }> {
  const edges: Array<{ from: LifeNode; to: LifeState; via: string }> = [...LIFE_EDGES];
  for (const t of life.transitions) {
    if (!edges.some((e) => e.from === t.from && e.to === t.to)) edges.push({ from: t.from, to: t.to, via: '' });
  }
  return edges;
}

/** One line for the step: where the vm_bo is and what it holds. */
export function lifeCaption(life: VmBoLife, pos: number): string {
  const o = life.at[pos];
  if (!o) return `${life.label}: not created yet on this path`;
  const lists = o.lists.length ? `on ${o.lists.join(', ')}` : 'on no list';
  const rc = o.refcount ? `refcount ${o.refcount}, ` : '';
  return `${life.label}: ${o.state}, ${rc}${lists}`;
}
