// One function item (or closure) to an IrFunction: lower the body, drop the
// bookkeeping events nobody tests, and fill in what the analysis needs (roles,
// markers, suppressions, callees, whether it touches GPUVM, parse gaps).

import type { SNode as Node } from './snode';
import { mirror } from './snode';
import type { IrFunction, IrNode } from '../../analysis/ir';
import { REFCOUNT_TRAIT_METHODS, ROLE_METHODS } from '../../api/rust';
import type { FnItem } from './items';
import { FnLowerer, type FileCtx } from './lower';
import { allowedIn, markersIn, type Comment } from './source';
import { headSpan, spanOf } from '../lines';
import { parseType } from './types';

/** The split/merge operation types: their methods run inside the step callbacks. */
const OP_TYPES = new Set(['OpMap', 'OpUnMap', 'OpUnmap', 'OpReMap', 'OpRemap']);

/** Ops that only take driver locks: they do not make a function GPUVM-relevant. */
const DRIVER_LOCK_OPS = new Set(['mutex_lock', 'mutex_unlock', 'spin_lock', 'spin_unlock']);

export interface FnMeta {
  nameNode: Node;
  above: Comment[];
  roles: string[];
  /** A GPUVM callback or split/merge op method of a staged-mode VM: sm_map/sm_unmap's caller holds the VM's locks. */
  underVmLocks?: boolean;
}

/**
 * Rust callers hold no lock a function cannot see, except: what a guard parameter holds (entry
 * locks), what a function releases without taking it (a guard's Drop, an unlock helper), and the
 * VM locks around the callbacks of a staged-mode VM.
 */
/** The function takes a lock (a raw call, not a guard) and releases it on no path. */
function returnsTakenLock(nodes: IrNode[], guardLocks: Set<string>): boolean {
  const taken = new Set<string>();
  const released = new Set<string>();
  for (const n of nodes) {
    const ev = n.event;
    if (ev.kind !== 'api') continue;
    const k = ev.args[0]?.key ?? '';
    if (guardLocks.has(k)) continue;
    if (/^(?:resv_lock|gpuva_lock|mutex_lock|spin_lock)$/.test(ev.op)) taken.add(`${ev.op.replace('_lock', '')}:${k}`);
    else if (/_unlock$/.test(ev.op)) released.add(`${ev.op.replace('_unlock', '')}:${k}`);
  }
  return taken.size > 0 && [...taken].every((t) => !released.has(t));
}

function callerMayHoldLocks(L: FnLowerer, nodes: IrNode[], meta: FnMeta): boolean {
  if (meta.underVmLocks) return true;
  const taken = new Set<string>();
  const released: string[] = [];
  for (const n of nodes) {
    const ev = n.event;
    if (ev.kind !== 'api') continue;
    const k = ev.args[0]?.key ?? '';
    if (/^(?:resv_lock|gpuva_lock|mutex_lock|spin_lock)$/.test(ev.op)) taken.add(`${ev.op.replace('_lock', '')}:${k}`);
    else if (/^(?:resv_unlock|gpuva_unlock|mutex_unlock|spin_unlock)$/.test(ev.op)) released.push(`${ev.op.replace('_unlock', '')}:${k}`);
    else if (ev.op === 'exec_unlock' && !nodes.some((m) => m.event.kind === 'api' && (m.event.op === 'exec_lock' || m.event.op === 'exec_begin'))) return true;
  }
  void L;
  return released.some((r) => !taken.has(r));
}

export function buildFunction(L: FnLowerer, meta: FnMeta): IrFunction {
  const { nodes, entry } = compact(L.finish(L.shape.body));
  const f = L.f;
  const callees = new Set<string>();
  let touches = false;
  for (const n of nodes) {
    const ev = n.event;
    if (ev.kind === 'call') callees.add(ev.callee);
    else if (ev.kind === 'api' && !DRIVER_LOCK_OPS.has(ev.op)) touches = true;
  }
  let id = `${f.file}::${L.shape.displayName}`;
  for (let i = 2; f.usedIds.has(id); i++) id = `${f.file}::${L.shape.displayName}#${i}`;
  f.usedIds.add(id);
  const errors = L.shape.node.hasError ? errorSpans(L.shape.node) : [];
  const gaps = [...L.unparsed, ...errors.filter((e) => !L.unparsed.some((u) => u.startIndex === e.startIndex))];
  const fn: IrFunction = {
    id, name: L.shape.name, displayName: L.shape.displayName, file: f.file, language: 'rust',
    span: spanOf(L.shape.node), nameSpan: meta.nameNode === L.shape.node ? headSpan(L.shape.node, f.src.text) : spanOf(meta.nameNode),
    entry, nodes, params: L.params, roles: meta.roles,
    markers: markersIn(meta.above, f.opts.signallingMarkers ?? []),
    suppress: allowedIn(meta.above),
    entryLocks: L.entryLocks,
    callerLocks: callerMayHoldLocks(L, nodes, meta),
    callees: [...callees],
    touchesGpuvm: touches,
  };
  if (returnsTakenLock(nodes, L.guardLocks)) {
    // A locking helper: it takes a lock it never releases, and leaves it to its caller.
    for (const n of nodes) if (n.event.kind === 'exit') n.event.keepsLocks = true;
  }
  if (gaps.length) {
    fn.partial = { reason: `${gaps.length} part(s) of ${L.shape.displayName} could not be parsed`, spans: gaps };
  }
  return fn;
}

function errorSpans(n: Node): ReturnType<typeof spanOf>[] {
  const out = [];
  for (const e of n.descendantsOfType('ERROR')) if (e) out.push(spanOf(e));
  if (!out.length) {
    // MISSING nodes: report the function's head.
    out.push(spanOf(n));
  }
  return out;
}

/** A function item of the file. */
export function lowerFnItem(f: FileCtx, item: FnItem): IrFunction[] {
  const node = mirror(item.node, f.src.text, f.src.lines);
  const displayName = item.implType ? `${item.implType}::${item.name}` : item.name;
  const rc = REFCOUNT_TRAIT_METHODS[item.name];
  const handsOn = rc && item.traitName && rc.trait.test(item.traitName) ? [rc.handsOn] : undefined;
  const L = new FnLowerer(f, {
    name: item.name, displayName, node, body: node.childForFieldName('body'), ...(handsOn ? { handsOnAtExit: handsOn } : {}),
    ...(item.returnType ? { returnType: parseType(resolveAssoc(item.returnType, item)) } : {}),
    ...(item.implType ? { implType: item.implType } : {}), ...(item.implTypeText ? { implTypeText: item.implTypeText } : {}),
  });
  L.pushScope();
  for (const p of node.childForFieldName('parameters')?.namedChildren ?? []) {
    if (p.type === 'self_parameter') {
      const t = item.implTypeText ? { ...parseType(item.implTypeText), borrowed: p.text.includes('&') } : undefined;
      L.declareParam('self', t);
    } else if (p.type === 'parameter') {
      const pat = p.childForFieldName('pattern');
      const ty = p.childForFieldName('type');
      if (!pat) continue;
      L.declareParam(pat.type === 'self' ? 'self' : pat.text, ty ? parseType(resolveAssoc(ty.text, item)) : undefined, pat.type === 'self' ? undefined : pat);
    }
  }
  const before = f.closures.length;
  const roles = rolesOf(item);
  const staged = f.gen === 'asahi' && !f.immediate;
  const underVmLocks = staged && (roles.some((r) => r.startsWith('sm_step_')) || OP_TYPES.has(item.implType ?? '')
    || Object.entries(f.items.callbacks).some(([r, names]) => r.startsWith('sm_step_') && names.some((x) => x === item.name || x === displayName)));
  const fn = buildFunction(L, { nameNode: node.childForFieldName('name') ?? node, above: item.above, roles, ...(underVmLocks ? { underVmLocks } : {}) });
  return [fn, ...f.closures.splice(before)];
}

/** `&mut Self::SmContext<'_>` -> `&mut UpdateCtx<'_>` when the impl defines the associated type. */
export function resolveAssoc(t: string, item: FnItem): string {
  if (!item.assocTypes) return t;
  return t.replace(/\bSelf::(\w+)(<[^>]*>)?/g, (m, name: string) => item.assocTypes!.get(name) ?? m);
}

export function rolesOf(item: FnItem): string[] {
  const r = ROLE_METHODS[item.name];
  if (!r || !item.traitName) return [];
  if (r.traits && !r.traits.test(item.traitName)) return [];
  return [r.role];
}

/**
 * Remove bookkeeping the analysis does not need: drop-flag updates no branch
 * tests, and unlabelled join points; renumber what is reachable from entry.
 */
export function compact(g: { nodes: IrNode[]; entry: number }): { nodes: IrNode[]; entry: number } {
  const tested = new Set<string>();
  for (const n of g.nodes) if (n.event.kind === 'assume' && n.event.cond.test === 'flag') tested.add(n.event.cond.key);
  const skippable = (n: IrNode): boolean =>
    n.id !== g.entry && n.succ.length > 0 && !n.succ.includes(n.id)
    && ((n.event.kind === 'flag' && !tested.has(n.event.key)) || (n.event.kind === 'nop' && !n.span));
  // The nodes a successor stands for once skippable nodes are gone.
  const memo = new Map<number, number[]>();
  const targets = (id: number, seen: Set<number> = new Set()): number[] => {
    const m = memo.get(id);
    if (m) return m;
    const n = g.nodes[id]!;
    if (!skippable(n) || seen.has(id)) return [id];
    seen.add(id);
    const out = [...new Set(n.succ.flatMap((s) => targets(s, seen)))];
    seen.delete(id);
    memo.set(id, out);
    return out;
  };
  const keep: number[] = [];
  const index = new Map<number, number>();
  const stack = [g.entry];
  while (stack.length) {
    const id = stack.pop()!;
    if (index.has(id)) continue;
    index.set(id, keep.length);
    keep.push(id);
    for (const s of g.nodes[id]!.succ) for (const t of targets(s)) if (!index.has(t)) stack.push(t);
  }
  const nodes: IrNode[] = keep.map((id, i) => {
    const n = g.nodes[id]!;
    const succ = [...new Set(n.succ.flatMap((s) => targets(s)).map((t) => index.get(t)!))];
    return { id: i, event: n.event, succ, ...(n.span ? { span: n.span } : {}) };
  });
  return { nodes, entry: 0 };
}
