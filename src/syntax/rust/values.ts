// The lowering's view of Rust values and places: variables with the handles
// they own, values with the temporaries they consist of, and the static state
// of drop flags along the control flow.

import type { Cond, Span } from '../../analysis/ir';
import { CLASSES, type ApiGeneration, type ClassId } from '../../api/rust';
import type { Part, TypeRef } from './types';

/** A closure lowered to its own function, with the variables it captures. */
export interface ClosureRef {
  fn: string;
  captures: Array<{ name: string; key: string }>;
  isMove: boolean;
}

export interface Var {
  name: string;
  key: string;
  type?: TypeRef;
  cls?: ClassId;
  /** The binding owns its value (drops it at the end of its scope). */
  owned: boolean;
  /** The binding is a reference (a `&T` parameter, a borrow): its value belongs elsewhere. */
  ref?: boolean;
  /** Inside ManuallyDrop: never dropped implicitly. */
  manual?: boolean;
  /** Owned handles, relative to `key`. */
  parts: Part[];
  meta?: Record<string, string>;
  resvOf?: { key: string; kind: 'vm' | 'gem' };
  closure?: ClosureRef;
  /** A bool computed from a condition (`let same = ptr::eq(a, b)`). */
  cond?: Cond;
  /** NULL/ERR where the value is Err/None (a raw pointer a C function returned). */
  nullable?: string;
  span: Span;
}

export interface Value {
  /** Source text, for labels. */
  text: string;
  key?: string;
  type?: TypeRef;
  cls?: ClassId;
  /** Owned handles, relative to `key` ('' is the value itself). */
  parts: Part[];
  /** Produced by this expression: its parts wait in a temporaries region until claimed. */
  temp?: boolean;
  /** A place (variable or field): moving it moves the place's handles. */
  place?: boolean;
  /** Behind a reference: never moved or dropped through this value. */
  borrowed?: boolean;
  meta?: Record<string, string>;
  resvOf?: { key: string; kind: 'vm' | 'gem' };
  cond?: Cond;
  /** The flow where the expression produced Err/None (fallible APIs), if split off. */
  err?: Flow;
  /** NULL/ERR on the paths where the value is Err/None. */
  nullable?: string;
  /** Non-zero on the paths where the value is Err (the result variable of an inlined call). */
  errVar?: string;
  /** `Err(..)` / `None` / a NULL pointer. */
  isErr?: boolean;
  /** `Ok(..)` / `Some(..)`: a success. */
  isOk?: boolean;
  /** A NULL pointer (`ptr::null_mut()`): not an error, but no object. */
  null?: boolean;
  closure?: ClosureRef;
  manual?: boolean;
  /** The value never completes (return, break, `?` that always fails). */
  diverges?: boolean;
}

export const unit = (text = '()'): Value => ({ text, parts: [] });

/** Static drop-flag state of a control-flow point: which owned handles are surely or maybe alive. */
export interface Flow {
  open: number[];
  live: Set<string>;
  maybe: Set<string>;
}

export function joinFlows(flows: Flow[]): Flow {
  const reach = flows.filter((f) => f.open.length);
  const open = [...new Set(reach.flatMap((f) => f.open))];
  if (!reach.length) return { open: [], live: new Set(), maybe: new Set() };
  const live = new Set<string>();
  const maybe = new Set<string>();
  const all = new Set<string>();
  for (const f of reach) { f.live.forEach((k) => all.add(k)); f.maybe.forEach((k) => all.add(k)); }
  for (const k of all) {
    if (reach.every((f) => f.live.has(k))) live.add(k);
    else maybe.add(k);
  }
  return { open, live, maybe };
}

export function joinKey(base: string, path: string): string {
  return path ? (base ? `${base}.${path}` : path) : base;
}

/** The parts of a value under a field path, re-rooted. */
export function partsUnder(parts: Part[], path: string): Part[] {
  if (!path) return parts;
  const out: Part[] = [];
  for (const p of parts) {
    if (p.path === path) out.push({ ...p, path: '' });
    else if (p.path.startsWith(`${path}.`)) out.push({ ...p, path: p.path.slice(path.length + 1) });
  }
  return out;
}

export function hasDrop(cls: ClassId, gen: ApiGeneration): boolean {
  return !!CLASSES[cls].drop?.[gen];
}

/** A handle to release at some point: its key, class and what its guard remembers. */
export interface Droppable {
  key: string;
  cls: ClassId;
  meta?: Record<string, string>;
  /** How it is called in messages: the variable, or the expression of a temporary. */
  label: string;
}

export function droppablesOf(key: string, parts: Part[], gen: ApiGeneration, label: string, meta?: Record<string, string>): Droppable[] {
  const out: Droppable[] = [];
  for (const p of parts) {
    if (p.manual || !hasDrop(p.cls, gen)) continue;
    const m = p.meta ?? (p.path === '' ? meta : undefined);
    out.push({ key: joinKey(key, p.path), cls: p.cls, label: p.path ? `${label}.${p.path}` : label, ...(m ? { meta: m } : {}) });
  }
  return out;
}
