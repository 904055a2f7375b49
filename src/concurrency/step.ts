// One atomic step of one thread: start or continue its current statement,
// finish the thread when its context ends, start the next group of threads
// when a group has ended, and run the end-of-scenario checks at the very end.

import { applyOp, ModelError, unpinIfLast, Working, type LockRef, type ModelConfig, type Violation } from '../model/apply';
import { endOfRunViolations, exitViolations } from '../model/checks';
import { emptyState, type VmBoObj } from '../model/state';
import { anyImmediateVm, contextFor, contextTitle } from '../scenario/context';
import { ScenarioSyntaxError, type ContextBlock, type Scenario, type Statement } from '../scenario/parse';
import { atomicWants, COMPOUND, trylockBusy } from './atomic';
import { DEFERRED_CLEANUP } from './deferred-cleanup';
import { EXEC_LOCK, ITERATE, PREPARE_OBJECTS, TRANSIENT_WALK } from './list-walk';
import type { Compound, PhaseCtx } from './phases';
import { PUT_DEFERRED } from './put-deferred';
import { raceViolations } from './races';
import { UNLINK_DEFER } from './unlink-defer';
import { absorb, cloneWorld, PARKED, viewOf, type Activity, type ThreadState, type World } from './world';

/** Activities by kind. */
const KINDS: Record<string, Compound> = {
  put_deferred: PUT_DEFERRED,
  unlink_defer: UNLINK_DEFER,
  cleanup: DEFERRED_CLEANUP,
  prepare: PREPARE_OBJECTS,
  exec_lock: EXEC_LOCK,
  iterate: ITERATE,
  transient_walk: TRANSIENT_WALK,
};

/** A scenario as threads: groups of contexts that run together, one group after the other. */
export interface Program {
  sc: Scenario;
  cfg: ModelConfig;
  groups: number[][];
  /** Lane names, one per context. */
  lanes: string[];
  vmImmediate: boolean;
}

export interface StepRecord {
  thread: number;
  lane: string;
  stmt: Statement;
  op: string;
  label: string;
  violations: Violation[];
  notes: string[];
  assumptions: string[];
  result: string;
  /** The thread's first step: the trace shows its context starting here. */
  starts: boolean;
  /** The thread's context ended with this step: its exit checks. */
  exit?: { how: string; violations: Violation[] };
  /** The scenario ended with this step: the end-of-scenario checks. */
  end?: Violation[];
}

/** Consecutive `concurrent` contexts form one group; every other context is a group of its own. */
export function groupsOf(sc: Scenario): number[][] {
  const groups: number[][] = [];
  sc.contexts.forEach((c, i) => {
    const last = groups[groups.length - 1];
    if (c.concurrent && last && sc.contexts[last[0]!]!.concurrent) last.push(i);
    else groups.push([i]);
  });
  return groups;
}

/** Lane names: the context's title, made unique. */
export function lanesOf(sc: Scenario): string[] {
  const seen = new Map<string, number>();
  return sc.contexts.map((c) => {
    const t = contextTitle(c);
    const n = (seen.get(t) ?? 0) + 1;
    seen.set(t, n);
    return n === 1 ? t : `${t} #${n}`;
  });
}

function newThread(prog: Program, block: number): ThreadState {
  const b = prog.sc.contexts[block]!;
  const ctx = contextFor(b, prog.vmImmediate);
  ctx.name = contextTitle(b);
  return {
    name: prog.lanes[block]!, block, pc: 0, act: null, done: b.statements.length === 0, started: false,
    locks: [], ctx, exec: false, released: [], transient: {},
  };
}

/** Start the next group whose threads have something to do; at the end, mark the world finished. */
export function startGroup(prog: Program, w: World, group: number): void {
  let g = group;
  while (g < prog.groups.length) {
    const threads = prog.groups[g]!.map((b) => newThread(prog, b));
    if (threads.some((t) => !t.done)) {
      w.group = g;
      w.threads = threads;
      return;
    }
    g++;
  }
  w.group = g;
  w.threads = [];
  w.finished = true;
}

export function endOfScenario(w: World): Violation[] {
  const s = { ...w.shared, locks: [], ctx: { ...PARKED, name: 'process' } };
  return [...exitViolations(s, { how: 'the end of the scenario', references: true }), ...endOfRunViolations(s)];
}

export function blockOf(prog: Program, t: ThreadState): ContextBlock {
  return prog.sc.contexts[t.block]!;
}

function statementOf(prog: Program, t: ThreadState): Statement {
  return blockOf(prog, t).statements[t.pc]!;
}

function semantic(e: unknown, st: Statement, lane: string): never {
  if (e instanceof ModelError) {
    throw new ScenarioSyntaxError([{ line: st.line, col: st.col, message: `${e.message} (in thread '${lane}', in some interleaving)` }]);
  }
  throw e;
}

/** What thread `ti` does next, without doing it: its label, the locks it needs, the activity it runs. */
export function peek(prog: Program, world: World, ti: number): { label: string; wants: LockRef[]; act: Activity | null } {
  const t = world.threads[ti]!;
  const st = statementOf(prog, t);
  try {
    const w = new Working(viewOf(world, t), prog.cfg, st.op, []);
    const act = t.act ?? COMPOUND[st.op.op]?.start(w, prog.cfg) ?? null;
    if (!act) return { label: st.text, wants: atomicWants(w), act: null };
    const phase = KINDS[act.kind]!.phases[act.phase]!;
    const c: PhaseCtx = { w, t, world, regs: act.regs, cfg: prog.cfg };
    return { label: phase.label(c), wants: phase.wants?.(c) ?? [], act };
  } catch (e) {
    return semantic(e, st, t.name);
  }
}

/** The thread holding a lock, other than `ti`. */
export function holderOf(world: World, ti: number, lockId: string): number | undefined {
  const i = world.threads.findIndex((t, k) => k !== ti && t.locks.some((l) => l.id === lockId));
  return i < 0 ? undefined : i;
}

/** Take one step of thread `ti`. The world passed in is not changed. */
export function step(prog: Program, world: World, ti: number): { world: World; rec: StepRecord } {
  const nw = cloneWorld(world);
  const t = nw.threads[ti]!;
  const st = statementOf(prog, t);
  const rec: StepRecord = { thread: ti, lane: t.name, stmt: st, op: st.op.op, label: st.text, violations: [], notes: [], assumptions: [], result: 'ok', starts: !t.started };
  t.started = true;
  let completed = false;
  let putResult: string | undefined;
  try {
    const w = new Working(viewOf(nw, t), prog.cfg, st.op, []);
    const act = t.act ?? COMPOUND[st.op.op]?.start(w, prog.cfg) ?? null;
    if (!act) {
      const busy = trylockBusy(w, (id) => holderOf(nw, ti, id) !== undefined);
      const op = busy ? { ...st.op, opts: { ...st.op.opts, fails: true } } : st.op;
      const out = applyOp(viewOf(nw, t), op, prog.cfg)[0]!;
      absorb(nw, t, out.state);
      Object.assign(rec, { violations: out.violations, notes: out.notes, assumptions: out.assumptions, result: out.result });
      trackTransient(nw, t, st);
      completed = true;
      putResult = out.result;
    } else {
      const kind = KINDS[act.kind]!;
      const phase = kind.phases[act.phase]!;
      const c: PhaseCtx = { w, t, world: nw, regs: act.regs, cfg: prog.cfg };
      rec.label = phase.label(c);
      rec.op = `${st.op.op}:${act.phase}`;
      const next = phase.run(c);
      if (next === null) {
        completed = true;
        putResult = w.result;
        if (st.op.op === 'bo_put_deferred' && typeof act.regs.b === 'string') unpinIfLast(w, st.op, w.obj<VmBoObj>(act.regs.b));
        t.act = null;
      } else {
        act.phase = next;
        t.act = act;
      }
      absorb(nw, t, w.s);
      Object.assign(rec, { violations: w.violations, notes: w.notes, assumptions: w.assumptions, result: w.result });
    }
  } catch (e) {
    semantic(e, st, t.name);
  }
  if (completed && putResult === 'not-last') recordUnpinDecision(prog, nw, t, st);
  rec.violations = [...rec.violations, ...raceViolations(world, nw, ti, st)];
  if (completed) {
    t.pc++;
    if (t.pc >= blockOf(prog, t).statements.length) finishThread(prog, nw, t, rec);
  }
  return { world: nw, rec };
}

function finishThread(prog: Program, w: World, t: ThreadState, rec: StepRecord): void {
  const how = `the end of ${t.name}`;
  rec.exit = { how, violations: exitViolations(viewOf(w, t), { how, references: false }) };
  t.locks = [];
  t.exec = false;
  t.done = true;
  t.act = null;
  if (w.threads.every((x) => x.done)) {
    startGroup(prog, w, w.group + 1);
    if (w.finished) rec.end = endOfScenario(w);
  }
}

/** drm_gpuvm_bo_get takes a reference this thread holds for a while; its own put drops it. */
function trackTransient(w: World, t: ThreadState, st: Statement): void {
  const name = st.op.args[0];
  const id = name === undefined ? undefined : w.shared.names[name];
  if (id === undefined) return;
  if (st.op.op === 'bo_get') t.transient[id] = (t.transient[id] ?? 0) + 1;
  if ((st.op.op === 'bo_put' || st.op.op === 'bo_put_deferred') && (t.transient[id] ?? 0) > 0) {
    if (t.transient[id] === 1) delete t.transient[id]; else t.transient[id]!--;
  }
}

/** A put with `unpin_if_last` was not the last: remember who held the other references. */
function recordUnpinDecision(prog: Program, w: World, t: ThreadState, st: Statement): void {
  if (st.op.opts?.unpin_if_last !== true) return;
  const name = st.op.args[0];
  const id = name === undefined ? undefined : w.shared.names[name];
  const b = id === undefined ? undefined : w.shared.objects[id];
  if (!b || b.kind !== 'vm_bo') return;
  const holders = w.threads.filter((x) => x !== t && !x.done && (x.transient[b.id] ?? 0) > 0)
    .map((x) => ({ thread: x.name, origin: statementOf(prog, x).op.origin ?? '' }));
  if (!holders.length) return;
  w.decisions.push({ vmBo: b.id, gem: b.gem, thread: t.name, origin: st.op.origin ?? '', holders });
}

/** The world after the setup declarations, with the first group of threads ready. */
export function initialWorld(prog: Program, setupViolations: (st: Statement, vs: Violation[], state: World['shared']) => void): World {
  let state = emptyState('setup');
  for (const st of prog.sc.setup) {
    let out;
    try {
      out = applyOp(state, st.op, prog.cfg)[0]!;
    } catch (e) {
      semantic(e, st, 'setup');
    }
    state = out.state;
    setupViolations(st, out.violations, state);
  }
  prog.vmImmediate = anyImmediateVm(state);
  const w: World = { shared: { ...state, locks: [], ctx: PARKED, exec: false, released: [], callerLocks: false }, threads: [], group: 0, decisions: [], finished: false };
  startGroup(prog, w, 0);
  return w;
}
