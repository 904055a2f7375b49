// The state of a threaded scenario: the GPUVM objects every thread sees, and
// what belongs to one thread (the locks it holds, its execution context, where
// it is in its program). A thread runs model code on a *view*: the shared
// state with its own locks and context plugged in, so the sequential model's
// checks ("this path holds gpuva.lock") read that thread's locks.

import { cloneJson, type ExecContext, type HeldLock, type ModelState } from '../model/state';

/** Registers of a compound operation in progress (plain data: they are hashed). */
export type Regs = Record<string, string | number | boolean | string[]>;

/** A compound operation split into atomic steps: which one comes next. */
export interface Activity {
  kind: string;
  phase: string;
  regs: Regs;
}

export interface ThreadState {
  /** The lane name: "run_job unmap". */
  name: string;
  /** Index of its context in the scenario. */
  block: number;
  /** Next statement of its context. */
  pc: number;
  /** The statement at pc, when it is a compound operation under way. */
  act: Activity | null;
  done: boolean;
  /** Whether it has taken a step yet (the trace shows where it starts). */
  started: boolean;
  locks: HeldLock[];
  ctx: ExecContext;
  exec: boolean;
  released: string[];
  /** vm_bo id -> transient references this thread holds (drm_gpuvm_bo_get, a walker's kref_get_unless_zero). */
  transient: Record<string, number>;
}

/** A thread decided not to unpin because its put was not the last, while others held transient references. */
export interface UnpinDecision {
  vmBo: string;
  gem: string;
  thread: string;
  origin: string;
  holders: Array<{ thread: string; origin: string }>;
}

export interface World {
  shared: ModelState;
  /** Threads of the group now running (a plain context is a group of one). */
  threads: ThreadState[];
  group: number;
  decisions: UnpinDecision[];
  /** Every group has run to its end. */
  finished: boolean;
}

/** The model state as thread `t` sees it. Shares the object graph with `w.shared` (no copy). */
export function viewOf(w: World, t: ThreadState): ModelState {
  return { ...w.shared, locks: t.locks, ctx: t.ctx, exec: t.exec, released: t.released, callerLocks: false };
}

/** Write a view that model code changed back into the world. */
export function absorb(w: World, t: ThreadState, s: ModelState): void {
  t.locks = s.locks;
  t.ctx = s.ctx;
  t.exec = s.exec;
  t.released = s.released;
  w.shared = { ...s, locks: [], ctx: PARKED, exec: false, released: [], callerLocks: false };
}

/** The shared state belongs to no thread: its own context fields stay at this value. */
export const PARKED: ExecContext = { name: 'shared', signalling: 0, signallingFrom: [], begins: 0, atomic: 0 };

export function cloneWorld(w: World): World {
  return cloneJson(w);
}

/**
 * JSON with object keys sorted, so equal states encode equally whatever order
 * they were built in. Keys are handles, object ids and field names: plain
 * identifiers, written without escaping.
 */
export function canonical(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + canonical(v[i]);
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    if (o[k] === undefined) continue;
    s += `${first ? '' : ','}"${k}":${canonical(o[k])}`;
    first = false;
  }
  return `${s}}`;
}

/**
 * A 64-bit hash of the canonical encoding (two independent 32-bit FNV-1a
 * style lanes): visited states are stored as hashes, like Spin's hash
 * compaction, so memory does not grow with the size of a state.
 */
export function stateHash(w: World): string {
  const s = canonical({ shared: w.shared, threads: w.threads, group: w.group, decisions: w.decisions, finished: w.finished });
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
