// How a compound kernel operation is split into atomic steps. Each step is a
// phase: what it reads like, which locks it needs free (it waits while another
// thread holds one), and what it does, written with the sequential model's own
// primitives (Working) so the two cannot drift apart.

import type { LockRef, ModelConfig, Working } from '../model/apply';
import type { Activity, Regs, ThreadState, World } from './world';

export interface PhaseCtx {
  /** The model, on the stepping thread's view of the world. */
  w: Working;
  t: ThreadState;
  world: World;
  regs: Regs;
  cfg: ModelConfig;
}

export interface Phase {
  label(c: PhaseCtx): string;
  /** Locks the step acquires: while another thread holds one, the step cannot run. */
  wants?(c: PhaseCtx): LockRef[];
  /** Do the step; return the next phase, or null when the operation is complete. */
  run(c: PhaseCtx): string | null;
}

export interface Compound {
  /** The activity that runs this statement in steps, or null to run it as one atomic step. Must not change the state. */
  start(w: Working, cfg: ModelConfig): Activity | null;
  phases: Record<string, Phase>;
}

export function str(r: Regs, k: string): string {
  const v = r[k];
  if (typeof v !== 'string') throw new Error(`register ${k} is not set`);
  return v;
}

export function list(r: Regs, k: string): string[] {
  const v = r[k];
  return Array.isArray(v) ? v : [];
}

/** Raw lock push for a step whose checks already ran (the sequential model checked them once). */
export function takeLock(w: Working, ref: LockRef): void {
  w.s.locks.push({ id: ref.id, cls: ref.cls, label: ref.label, via: 'direct', origin: w.op.origin });
}

export function holds(t: ThreadState, ref: LockRef): boolean {
  return t.locks.some((l) => l.id === ref.id);
}
