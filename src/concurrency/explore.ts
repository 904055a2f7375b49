// Breadth-first exploration of every interleaving of a scenario's threads.
//
// - State hashing: a state reached twice is expanded once.
// - Partial-order reduction (stubborn sets, see stubborn()): from each state
//   only the threads of one set closed under conflict (footprint.ts) move;
//   interleavings that merely permute independent steps are not explored. The
//   state graph has no cycles (every step moves a thread forward), so no cycle
//   proviso is needed, and the violations a step reports depend only on what
//   it touches, so they are preserved too.
// - Bounds: states, depth and time; hitting one is reported, never silent.
// - Breadth-first order: the first time a finding shows up, its path is a
//   shortest one in the explored graph.

import type { LockRef, Violation } from '../model/apply';
import { conflict, opFootprint, union, type Footprint } from './footprint';
import { blockOf, holderOf, peek, step, type Program, type StepRecord } from './step';
import { stateHash, viewOf, type World } from './world';

export interface Bounds {
  maxStates: number;
  maxDepth: number;
  maxMs: number;
}

export const DEFAULT_BOUNDS: Bounds = { maxStates: 200_000, maxDepth: 10_000, maxMs: 20_000 };

/** A thread that cannot go on: the lock it waits for and who holds it. */
export interface Waiter {
  thread: string;
  lock: LockRef;
  holder: string;
  line: number;
}

export interface Found {
  key: string;
  violation: Violation;
  /** step: reported by a step; exit: at a thread's end; end: at the scenario's end; deadlock: no thread can move. */
  where: 'step' | 'exit' | 'end' | 'deadlock';
  /** The state the violating step starts from (for a deadlock: the stuck state). */
  from: number;
  /** The thread that took the violating step. */
  thread: number;
  lane: string;
  line: number;
  depth: number;
  waiters?: Waiter[];
}

export interface ExploreResult {
  states: number;
  transitions: number;
  depth: number;
  ms: number;
  /** Set when a bound stopped the search: the verdict is then incomplete. */
  bound?: string;
  found: Found[];
  /** States per group of threads (the group a state is in when it is reached; finished states count past the last). */
  statesByGroup: number[];
  /** Parent state and the thread whose step led to each state, for replaying paths. */
  parent: number[];
  via: number[];
}

export interface ExploreOptions {
  reduce: boolean;
  bounds: Bounds;
  /** Stop as soon as every one of these keys has been found (for the shortest-path search). */
  targets?: Set<string>;
}

function lineOfOrigin(origin: string | undefined, fallback: number): number {
  const n = origin === undefined ? NaN : Number(origin);
  return Number.isFinite(n) ? n : fallback;
}

export function keyOf(rule: string, line: number, lane: string): string {
  return `${rule}|${line}|${lane}`;
}

/** Everything a thread may still touch: its current and remaining statements, and the locks it holds. */
function future(prog: Program, w: World, ti: number): Footprint {
  const t = w.threads[ti]!;
  const view = viewOf(w, t);
  const names = new Map<string, Footprint>();
  let f: Footprint = new Set(t.locks.map((l) => `l:${l.id}`));
  const stmts = blockOf(prog, t).statements;
  for (let i = t.pc; i < stmts.length; i++) {
    f = union(f, opFootprint(view, stmts[i]!.op, names));
    if (f === 'all') return f;
  }
  return f;
}

/** The next step of a thread: its current statement's footprint and the locks it holds. */
function next(prog: Program, w: World, ti: number): Footprint {
  const t = w.threads[ti]!;
  const f = opFootprint(viewOf(w, t), blockOf(prog, t).statements[t.pc]!.op, new Map());
  return union(f, new Set(t.locks.map((l) => `l:${l.id}`)));
}

/**
 * A stubborn set: start from one enabled thread and add every running thread
 * whose remaining steps may conflict with the next step of a thread already
 * in the set (a waiting thread conflicts with the holder of its lock, whose
 * future releases it). Threads outside the set can only take steps that
 * commute with every step the set may take next, so exploring the set's
 * enabled threads alone loses no reachable state of interest, no deadlock and
 * no finding. The smallest such set over all seeds is used.
 */
function stubborn(prog: Program, w: World, enabled: number[]): number[] {
  const running = w.threads.map((_, i) => i).filter((i) => !w.threads[i]!.done);
  if (running.length < 2) return enabled;
  const futures = new Map<number, Footprint>();
  const fut = (u: number): Footprint => {
    if (!futures.has(u)) futures.set(u, future(prog, w, u));
    return futures.get(u)!;
  };
  const nexts = new Map<number, Footprint>();
  const nx = (u: number): Footprint => {
    if (!nexts.has(u)) nexts.set(u, next(prog, w, u));
    return nexts.get(u)!;
  };
  let best = enabled;
  for (const seed of enabled) {
    const inSet = new Set([seed]);
    const work = [seed];
    while (work.length) {
      const x = work.pop()!;
      for (const u of running) {
        if (inSet.has(u) || !conflict(nx(x), fut(u))) continue;
        inSet.add(u);
        work.push(u);
      }
    }
    const chosen = enabled.filter((t) => inSet.has(t));
    if (chosen.length < best.length) best = chosen;
    if (best.length === 1) break;
  }
  return best;
}

export function explore(prog: Program, init: World, opts: ExploreOptions): ExploreResult {
  const t0 = performance.now();
  const visited = new Map<string, number>([[stateHash(init), 0]]);
  const parent = [-1];
  const via = [-1];
  const depthOf = [0];
  const found = new Map<string, Found>();
  let queue: Array<{ idx: number; world: World }> = [{ idx: 0, world: init }];
  let transitions = 0;
  let maxDepth = 0;
  let bound: string | undefined;
  const byGroup: number[] = [];
  const count = (w: World): void => { byGroup[w.group] = (byGroup[w.group] ?? 0) + 1; };
  count(init);

  const record = (f: Omit<Found, 'key'>): void => {
    const key = keyOf(f.violation.rule, f.line, f.lane);
    if (!found.has(key)) found.set(key, { key, ...f });
  };
  const done = (): boolean => opts.targets !== undefined && [...opts.targets].every((k) => found.has(k));

  search: while (queue.length) {
    const level: typeof queue = [];
    for (const { idx, world } of queue) {
      if (world.finished) continue;
      const d = depthOf[idx]!;
      if (d >= opts.bounds.maxDepth) { bound ??= `the depth bound (${opts.bounds.maxDepth} steps)`; continue; }
      if (performance.now() - t0 > opts.bounds.maxMs) { bound = `the time bound (${opts.bounds.maxMs} ms)`; break search; }
      const enabled: number[] = [];
      const waiters: Waiter[] = [];
      world.threads.forEach((t, ti) => {
        if (t.done) return;
        const nx = peek(prog, world, ti);
        const busy = nx.wants.map((l) => ({ l, h: holderOf(world, ti, l.id) })).find((x) => x.h !== undefined);
        if (busy) {
          const st = blockOf(prog, t).statements[t.pc]!;
          waiters.push({ thread: t.name, lock: busy.l, holder: world.threads[busy.h!]!.name, line: st.line });
        } else enabled.push(ti);
      });
      if (!enabled.length) {
        const first = waiters[0]!;
        record({
          violation: deadlockViolation(waiters), where: 'deadlock', from: idx, thread: -1, lane: waiters.map((x) => x.thread).sort().join(' + '),
          line: first.line, depth: d, waiters,
        });
        continue;
      }
      for (const ti of opts.reduce ? stubborn(prog, world, enabled) : enabled) {
        const { world: nw, rec } = step(prog, world, ti);
        transitions++;
        collect(rec, idx, d + 1, record);
        const h = stateHash(nw);
        if (visited.has(h)) continue;
        if (visited.size >= opts.bounds.maxStates) { bound = `the state bound (${opts.bounds.maxStates} states)`; break search; }
        visited.set(h, parent.length);
        count(nw);
        level.push({ idx: parent.length, world: nw });
        parent.push(idx);
        via.push(ti);
        depthOf.push(d + 1);
        maxDepth = Math.max(maxDepth, d + 1);
      }
      if (done()) break search;
    }
    queue = level;
  }
  return { states: visited.size, transitions, depth: maxDepth, ms: Math.round((performance.now() - t0) * 100) / 100, ...(bound ? { bound } : {}), found: [...found.values()], statesByGroup: [...byGroup].map((n) => n ?? 0), parent, via };
}

function collect(rec: StepRecord, from: number, depth: number, record: (f: Omit<Found, 'key'>) => void): void {
  const base = { from, thread: rec.thread, depth };
  for (const v of rec.violations) {
    record({ ...base, violation: v, where: 'step', lane: rec.lane, line: lineOfOrigin(v.at, rec.stmt.line) });
  }
  for (const v of rec.exit?.violations ?? []) {
    record({ ...base, violation: v, where: 'exit', lane: rec.lane, line: lineOfOrigin(v.at, rec.stmt.line) });
  }
  for (const v of rec.end ?? []) {
    record({ ...base, violation: v, where: 'end', lane: 'end of scenario', line: lineOfOrigin(v.at, rec.stmt.line) });
  }
}

function deadlockViolation(waiters: Waiter[]): Violation {
  const parts = waiters.map((x) => `'${x.thread}' waits for ${x.lock.label}, held by '${x.holder}'`);
  const cycle = waiters.length > 1 ? 'a lock cycle between threads' : 'a thread waiting forever';
  return { rule: 'deadlock', certainty: 'definite', related: [], message: `deadlock, ${cycle}: ${parts.join('; ')}` };
}

/** The threads whose steps lead from the initial state to state `idx`. */
export function pathTo(r: Pick<ExploreResult, 'parent' | 'via'>, idx: number): number[] {
  const out: number[] = [];
  for (let i = idx; i > 0; i = r.parent[i]!) out.push(r.via[i]!);
  return out.reverse();
}
