// The trace: what the simulation did, step by step, in plain data that the CLI
// prints, the JSON/SARIF outputs carry and the webview draws.

import type { Outcome, Violation } from './apply';
import { RULE_BY_ID, type Severity } from './rules';
import type { GemObj, ModelState, Obj, VaObj, VmBoObj, VmObj } from './state';

export interface ObjectSnapshot {
  id: string;
  kind: Obj['kind'];
  label: string;
  /** Lifecycle state: live/freed, detached/registered/zombie/freed, inserted/linked. */
  state: string;
  /** "2", "1+?" (others may hold more), "" for objects without a refcount. */
  refcount: string;
  /** Lists this object is on (vm_bo: gem, extobj, evict, deferred) or holds (vm: counts). */
  lists: string[];
  /** Other facts worth showing (flags, evicted, internal/external). */
  facts: string[];
}

export interface LockSnapshot {
  id: string;
  label: string;
  cls: string;
  via: string;
}

export interface ContextSnapshot {
  name: string;
  signalling: boolean;
  depth: number;
  atomic: boolean;
}

export interface Snapshot {
  objects: ObjectSnapshot[];
  locks: LockSnapshot[];
  context: ContextSnapshot;
}

export interface SourceLocation {
  file: string;
  /** 1-based lines and columns (columns in UTF-16 code units). */
  range: { start: { line: number; column: number }; end: { line: number; column: number } };
}

export interface StepViolation {
  rule: string;
  severity: Severity;
  certainty: 'definite' | 'possible';
  message: string;
}

export interface TraceStep {
  index: number;
  /** Model operation, or a pseudo-step: enter, exit, branch, context. */
  op: string;
  /** How it reads: the source call, or the scenario line. */
  label: string;
  /** Lane for multi-thread traces. */
  thread?: string;
  context: string;
  location?: SourceLocation;
  assumptions: string[];
  notes: string[];
  result?: string;
  violations: StepViolation[];
  after: Snapshot;
}

export function severityOf(v: Violation): Severity {
  return v.severity ?? RULE_BY_ID.get(v.rule)?.severity ?? 'error';
}

export function stepViolations(vs: Violation[]): StepViolation[] {
  return vs.map((v) => ({ rule: v.rule, severity: severityOf(v), certainty: v.certainty, message: v.message }));
}

function refcount(o: { refs: { n: number; extra: boolean } }): string {
  return `${o.refs.n}${o.refs.extra ? '+?' : ''}`;
}

function snapshotObject(s: ModelState, o: Obj): ObjectSnapshot {
  switch (o.kind) {
    case 'vm': return snapVm(s, o);
    case 'gem': return snapGem(s, o);
    case 'vm_bo': return snapVmBo(s, o);
    case 'va': return snapVa(s, o);
  }
}

const labelOf = (s: ModelState, id: string): string => s.objects[id]?.label ?? id;

function snapVm(s: ModelState, o: VmObj): ObjectSnapshot {
  const facts: string[] = [];
  facts.push(o.immediateMode === undefined ? 'mode unknown' : o.immediateMode ? 'IMMEDIATE_MODE' : 'staged');
  if (o.resvProtected !== undefined) facts.push(o.resvProtected ? 'RESV_PROTECTED' : 'spinlock-protected lists');
  const lists: string[] = [];
  if (o.extobj.length) lists.push(`extobj: ${o.extobj.map((i) => labelOf(s, i)).join(', ')}`);
  if (o.evict.length) lists.push(`evict: ${o.evict.map((i) => labelOf(s, i)).join(', ')}`);
  if (o.deferred.length) lists.push(`deferred: ${o.deferred.map((i) => labelOf(s, i)).join(', ')}`);
  if (o.vas.length) lists.push(`VA tree: ${o.vas.map((i) => labelOf(s, i)).join(', ')}`);
  return { id: o.id, kind: 'vm', label: o.label, state: o.state, refcount: refcount(o), lists, facts };
}

function snapGem(s: ModelState, o: GemObj): ObjectSnapshot {
  const facts = [o.internal === undefined ? 'internal or external' : o.internal ? 'internal (shares the VM resv)' : 'external'];
  if (o.pins !== undefined) facts.push(`pinned ${o.pins}`);
  const lists = o.vmBos.length ? [`gpuva list: ${o.vmBos.map((i) => labelOf(s, i)).join(', ')}`] : [];
  return { id: o.id, kind: 'gem', label: o.label, state: o.state, refcount: refcount(o), lists, facts };
}

function snapVmBo(s: ModelState, o: VmBoObj): ObjectSnapshot {
  const vm = s.objects[o.vm] as VmObj | undefined;
  const gem = s.objects[o.gem] as GemObj | undefined;
  const lists: string[] = [];
  if (gem?.vmBos.includes(o.id)) lists.push('gem');
  if (vm?.extobj.includes(o.id)) lists.push('extobj');
  if (vm?.evict.includes(o.id)) lists.push('evict');
  if (vm?.deferred.includes(o.id)) lists.push('deferred');
  const facts = [`VM ${vm?.label ?? '?'}`, `GEM ${gem?.label ?? '?'}`];
  if (o.evicted) facts.push('evicted');
  if (o.vas.length) facts.push(`${o.vas.length} VA(s) linked`);
  return { id: o.id, kind: 'vm_bo', label: o.label, state: o.state, refcount: refcount(o), lists, facts };
}

function snapVa(s: ModelState, o: VaObj): ObjectSnapshot {
  const state = o.state === 'freed' ? 'freed' : o.unknown ? 'unknown' : o.inserted ? (o.vmBo ? 'inserted+linked' : 'inserted') : (o.vmBo ? 'linked' : 'allocated');
  const facts: string[] = [];
  if (o.vmBo) facts.push(`vm_bo ${labelOf(s, o.vmBo)}`);
  return { id: o.id, kind: 'va', label: o.label, state, refcount: '', lists: o.inserted ? ['VA tree'] : [], facts };
}

export function snapshot(s: ModelState): Snapshot {
  return {
    objects: Object.values(s.objects).map((o) => snapshotObject(s, o)),
    locks: s.locks.map((l) => ({ id: l.id, label: l.label, cls: l.cls, via: l.via })),
    context: { name: s.ctx.name, signalling: s.ctx.signalling > 0, depth: s.ctx.signalling, atomic: s.ctx.atomic > 0 },
  };
}

export function traceStep(index: number, op: string, label: string, o: Pick<Outcome, 'state' | 'violations' | 'assumptions' | 'notes' | 'result'>,
  extra: Partial<TraceStep> = {}): TraceStep {
  return {
    index, op, label, context: o.state.ctx.name, assumptions: o.assumptions, notes: o.notes, result: o.result,
    violations: stepViolations(o.violations), after: snapshot(o.state), ...extra,
  };
}

/** Plain-text rendering of a trace, fit for a mailing-list reply. */
export function traceToText(steps: TraceStep[], opts: { indent?: string; withState?: boolean } = {}): string {
  const ind = opts.indent ?? '';
  const out: string[] = [];
  for (const st of steps) {
    const where = st.location ? `${st.location.file}:${st.location.range.start.line}: ` : '';
    const th = st.thread ? `[${st.thread}] ` : '';
    out.push(`${ind}${String(st.index + 1).padStart(3)}. ${th}${where}${st.label}`);
    for (const a of st.assumptions) out.push(`${ind}       (assuming ${a})`);
    for (const n of st.notes) out.push(`${ind}       - ${n}`);
    if (opts.withState) {
      const locks = st.after.locks.map((l) => l.label).join(', ');
      const ctx = st.after.context.signalling ? `signalling path (${st.after.context.name})` : st.after.context.name;
      out.push(`${ind}       context: ${ctx}${st.after.context.atomic ? ', atomic' : ''}; locks held: ${locks || 'none'}`);
      for (const ob of st.after.objects) {
        if (ob.kind === 'gem' && !ob.lists.length) continue;
        const rc = ob.refcount ? ` refcount ${ob.refcount}` : '';
        const lists = ob.lists.length ? ` [${ob.lists.join('; ')}]` : '';
        out.push(`${ind}       ${ob.kind} ${ob.label}: ${ob.state}${rc}${lists}`);
      }
    }
    for (const v of st.violations) out.push(`${ind}       ${v.severity}: ${v.message} [${v.rule}]`);
  }
  return out.join('\n');
}
