// The timeline as data: one lane per thread (when the trace has threads), one
// for the context, one per object and one per lock; columns are steps. A lane
// is a list of segments, each a run of steps over which what the lane shows
// stays the same, so a 200-step trace draws a few hundred shapes, not
// steps × lanes of them.

import type { Severity } from '../src/model/rules';
import type { ObjectSnapshot, TraceStep } from '../src/model/trace';
import { safeSeverity, worst } from './severity';

export type LaneGroup = 'thread' | 'context' | 'object' | 'lock';

export interface Segment {
  /** First step position, and one past the last. */
  start: number;
  end: number;
  text: string;
  /** CSS classes, from a fixed vocabulary (never from the data). */
  cls: string;
  /** Tooltip. */
  title: string;
}

export interface Lane {
  id: string;
  group: LaneGroup;
  /** Short kind shown before the label: 'vm_bo', 'lock'. */
  kind: string;
  label: string;
  segments: Segment[];
}

export interface Marker {
  pos: number;
  severity: Severity;
  title: string;
}

export interface TimelineModel {
  steps: number;
  lanes: Lane[];
  /** Runs of steps in the DMA-fence signalling path, [start, end). */
  signalling: Array<[number, number]>;
  markers: Marker[];
  /** For multi-thread traces: the thread lane index of each step. */
  flow?: number[];
}

const KINDS = new Set(['vm', 'gem', 'vm_bo', 'va']);
const STATES = new Set(['live', 'freed', 'detached', 'registered', 'zombie', 'inserted', 'linked', 'inserted+linked', 'allocated', 'unknown']);
const LOCK_CLASSES = new Set(['dma_resv', 'gpuva', 'mutex', 'spinlock']);

/** A class name for a value the model produces, or a neutral one if it is something else. */
const cssWord = (set: Set<string>, v: string, other: string) => (set.has(v) ? v.replace('+', '-') : other);

/** Groups consecutive steps with the same key into segments; undefined keys are gaps. */
function runs<T>(n: number, at: (pos: number) => T | undefined, key: (t: T) => string, seg: (t: T, start: number, end: number) => Segment): Segment[] {
  const out: Segment[] = [];
  let start = 0;
  let cur: T | undefined;
  let curKey: string | undefined;
  const close = (end: number) => { if (cur !== undefined) out.push(seg(cur, start, end)); };
  for (let pos = 0; pos <= n; pos++) {
    const t = pos < n ? at(pos) : undefined;
    const k = t === undefined ? undefined : key(t);
    if (k !== curKey) {
      close(pos);
      start = pos;
      cur = t;
      curKey = k;
    }
  }
  return out;
}

function objectText(o: ObjectSnapshot): string {
  const rc = o.refcount ? `ref ${o.refcount}` : '';
  switch (o.kind) {
    case 'vm_bo': return [o.state, rc, o.lists.join('+')].filter(Boolean).join(' · ');
    case 'va': return o.state;
    default: return o.state === 'freed' ? 'freed' : [rc, ...o.lists].filter(Boolean).join(' · ');
  }
}

const range = (start: number, end: number) => (end - start > 1 ? `steps ${start + 1}–${end}` : `step ${start + 1}`);

function objectLane(steps: TraceStep[], first: ObjectSnapshot, byStep: Array<Map<string, ObjectSnapshot>>): Lane {
  const kind = cssWord(KINDS, first.kind, 'obj');
  const segments = runs(steps.length, (pos) => byStep[pos]!.get(first.id), (o) => `${o.state}|${o.refcount}|${o.lists.join(',')}`, (o, start, end) => ({
    start, end, text: objectText(o), cls: `obj k-${kind} st-${cssWord(STATES, o.state, 'other')}`,
    title: `${o.kind} ${o.label}: ${o.state}${o.refcount ? `, refcount ${o.refcount}` : ''}${o.lists.length ? `; ${o.lists.join('; ')}` : ''}`
      + `${o.facts.length ? `; ${o.facts.join(', ')}` : ''} (${range(start, end)})`,
  }));
  return { id: `obj:${first.id}`, group: 'object', kind: first.kind, label: first.label, segments };
}

export function buildTimeline(steps: TraceStep[]): TimelineModel {
  const n = steps.length;
  const lanes: Lane[] = [];

  const threads = [...new Set(steps.flatMap((st) => (st.thread ? [st.thread] : [])))];
  let flow: number[] | undefined;
  if (threads.length) {
    // Steps without a thread (setup) get a lane of their own, first.
    const unthreaded = steps.some((st) => !st.thread);
    const names = unthreaded ? ['', ...threads] : threads;
    flow = steps.map((st) => names.indexOf(st.thread ?? ''));
    names.forEach((name, lane) => {
      lanes.push({
        id: `thread:${name}`, group: 'thread', kind: 'thread', label: name || '(no thread)',
        segments: runs(n, (pos) => (flow![pos] === lane ? steps[pos]! : undefined), (st) => st.context, (st, start, end) => ({
          start, end, text: st.context, cls: 'thread', title: `${name || 'no thread'}: ${st.context} (${range(start, end)})`,
        })),
      });
    });
  }

  lanes.push({
    id: 'context', group: 'context', kind: 'context', label: '',
    segments: runs(n, (pos) => steps[pos]!.after.context, (c) => `${c.name}|${c.signalling}|${c.atomic}`, (c, start, end) => ({
      start, end,
      text: [c.name, c.signalling ? 'signalling' : '', c.atomic ? 'atomic' : ''].filter(Boolean).join(' · '),
      cls: `ctx${c.signalling ? ' signalling' : ''}${c.atomic ? ' atomic' : ''}`,
      title: `${c.name}${c.signalling ? `: in the DMA-fence signalling path (depth ${c.depth})` : ''}${c.atomic ? ', atomic' : ''} (${range(start, end)})`,
    })),
  });

  // Objects in order of first appearance, grouped by kind the way GPUVM nests them.
  const byStep = steps.map((st) => new Map(st.after.objects.map((o) => [o.id, o])));
  const firsts = new Map<string, ObjectSnapshot>();
  for (const st of steps) for (const o of st.after.objects) if (!firsts.has(o.id)) firsts.set(o.id, o);
  const order = ['vm', 'gem', 'vm_bo', 'va'];
  const objs = [...firsts.values()].sort((a, b) => {
    const ka = order.indexOf(a.kind);
    const kb = order.indexOf(b.kind);
    return (ka < 0 ? order.length : ka) - (kb < 0 ? order.length : kb);
  });
  for (const o of objs) lanes.push(objectLane(steps, o, byStep));

  const locks = new Map<string, { label: string; cls: string }>();
  for (const st of steps) for (const l of st.after.locks) if (!locks.has(l.id)) locks.set(l.id, { label: l.label, cls: l.cls });
  const heldBy = steps.map((st) => new Map(st.after.locks.map((l) => [l.id, l])));
  for (const [id, info] of locks) {
    lanes.push({
      id: `lock:${id}`, group: 'lock', kind: 'lock', label: info.label,
      segments: runs(n, (pos) => heldBy[pos]!.get(id), (l) => l.via, (l, start, end) => ({
        // 'direct' is the usual case; drm_exec and scoped guards are worth saying.
        start, end, text: l.via && l.via !== 'direct' ? `held (${l.via})` : 'held', cls: `lock c-${cssWord(LOCK_CLASSES, info.cls, 'other')}`,
        title: `${l.label} held${l.via && l.via !== 'direct' ? ` via ${l.via}` : ''} (${range(start, end)})`,
      })),
    });
  }

  const signalling = runs(n, (pos) => (steps[pos]!.after.context.signalling ? true : undefined), () => 's', (_t, start, end) => ({ start, end, text: '', cls: '', title: '' }))
    .map((r): [number, number] => [r.start, r.end]);

  const markers: Marker[] = [];
  steps.forEach((st, pos) => {
    const sev = worst(st.violations.map((v) => safeSeverity(v.severity)));
    if (sev) markers.push({ pos, severity: sev, title: st.violations.map((v) => `${v.severity}: ${v.message} [${v.rule}]`).join('\n') });
  });

  return { steps: n, lanes, signalling, markers, ...(flow ? { flow } : {}) };
}
