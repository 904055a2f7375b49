// Walks the paths of one function's IR through the model. Breadth-first, so
// the first trace found for a finding is a shortest one; states are
// de-duplicated per program point; helpers of the same program are inlined;
// a budget bounds the work and says so when it runs out.

import { applyOp, ModelError, type ModelConfig, type Outcome, type Violation } from '../model/apply';
import { exitViolations } from '../model/checks';
import { OP_BY_NAME, type Op } from '../model/ops';
import { shallowState, stateKey, type ModelState, type ObjKind, type VaObj } from '../model/state';
import { FIELDS, splitField } from './fields';
import type { Cond, IrEvent, IrFunction, IrNode, Span } from './ir';

export interface Budget {
  /** Program points (node + state) explored per function. */
  states: number;
  /** Wall-clock safety valve per function. */
  ms: number;
}

export interface ExploreConfig {
  model: ModelConfig;
  budget: Budget;
  /** How deep helpers are inlined. */
  inlineDepth: number;
}

export const DEFAULT_EXPLORE: ExploreConfig = {
  model: { obtainPrealloc: 'self-locks', callbacks: { vmBoFreeTakesResv: false } },
  budget: { states: 6000, ms: 400 },
  inlineDepth: 4,
};

export interface FunctionContext {
  /** Why this function runs in the signalling path, if it does. */
  signalling?: { label: string; fn?: IrFunction };
  atomic?: boolean;
  callerLocks: boolean;
  vm: { immediate?: boolean; resvProtected?: boolean };
}

/** Finds the function a call goes to, and callbacks by role. */
export interface Callees {
  lookup(callee: string, from: IrFunction): IrFunction | undefined;
  byRole(role: string, from: IrFunction): IrFunction[];
  /** Whether a function touches GPUVM itself or through what it calls (default: touchesGpuvm). */
  relevant?(fn: IrFunction): boolean;
}

interface Frame {
  fn: IrFunction;
  prefix: string;
  /** Callee parameter name -> caller key (already in the root namespace). */
  paramMap: Record<string, string>;
  /** The node of the caller that made the call (undefined for the root frame). */
  callNode?: IrNode;
  resultKey?: string;
  resultVar?: string;
  resultEscapes?: boolean;
  /** Callbacks still to run after this one before returning to the caller (sm_map runs remap then map). */
  after: IrFunction[];
}

interface Stack {
  frame: Frame;
  parent?: Stack;
  depth: number;
}

export interface StepRecord {
  fn: IrFunction;
  node: IrNode;
  depth: number;
  label: string;
  op: string;
  outcome: Pick<Outcome, 'violations' | 'assumptions' | 'notes' | 'result'>;
  /** The root frame's call node that leads here (for locations of findings from inlined helpers). */
  rootNode: IrNode;
  /** Name of the helper at depth 1, if inside one. */
  via?: string;
}

export interface PNode {
  stack: Stack;
  node: number;
  state: ModelState;
  vars: Record<string, string>;
  parent?: PNode;
  step?: StepRecord;
  len: number;
}

export interface RawFinding {
  violation: Violation;
  /** The path node whose step broke the rule. */
  at: PNode;
  step: StepRecord;
}

export interface PathEnd {
  at: PNode;
  label: string;
  violations: Violation[];
}

export interface Origin {
  fn: IrFunction;
  node: IrNode;
  rootNode: IrNode;
  via?: string;
}

export interface ExploreResult {
  fn: IrFunction;
  raw: RawFinding[];
  ends: PathEnd[];
  /** State right after each root-level node, on the first path that reached it (for hovers). */
  after: Map<number, PNode>;
  origins: Map<string, Origin>;
  states: number;
  ms: number;
  incomplete?: string;
  /** Deferred puts left pending at a path end, with whether that path ran a cleanup. */
  pending: Array<{ end: PathEnd; origins: string[] }>;
  /** Some path of this function (or its inlined helpers) ran drm_gpuvm_bo_deferred_cleanup. */
  cleansUp: boolean;
}

const TRUTHY_RESULTS = new Set(['fail', 'fails', 'err', 'null', 'last']);

export function explore(fn: IrFunction, fctx: FunctionContext, callees: Callees, cfg: ExploreConfig, intrinsic?: Set<string>): ExploreResult {
  const t0 = Date.now();
  const origins = new Map<string, Origin>();
  const raw: RawFinding[] = [];
  const ends: PathEnd[] = [];
  const pending: ExploreResult['pending'] = [];
  const after = new Map<number, PNode>();
  const seen = new Set<string>();
  let cleansUp = false;
  let incomplete: string | undefined;
  // Locks some path of this function releases (by where they were taken), and the lock each leak report is about.
  const released = new Set<string>();
  const leakOf = new Map<Violation, string>();

  const rootFrame: Frame = { fn, prefix: '', paramMap: {}, after: [] };
  const rootStack: Stack = { frame: rootFrame, depth: 0 };

  const originOf = (stack: Stack, node: IrNode): string => {
    const id = `${stack.frame.fn.id}#${node.id}@${stack.depth === 0 ? '' : rootNodeOf(stack, node).id}`;
    if (!origins.has(id)) {
      origins.set(id, { fn: stack.frame.fn, node, rootNode: rootNodeOf(stack, node), ...viaOf(stack) });
    }
    return id;
  };

  // ---- initial state -------------------------------------------------------------------
  let init = initialState(fn, fctx);
  const entryNode = fn.nodes[fn.entry];
  if (!entryNode) return { fn, raw, ends, after, origins, states: 0, ms: 0, pending, cleansUp };
  const initVars: Record<string, string> = {};
  init = declareParams(init, fn, fctx, cfg);
  init = holdEntryLocks(init, fn, fctx, cfg, originOf(rootStack, entryNode));

  const queue: PNode[] = [{ stack: rootStack, node: fn.entry, state: init, vars: initVars, len: 0 }];
  // States and remembered values as small numbers in the de-duplication keys.
  const states = new Map<string, number>();
  let head = 0;
  let count = 0;
  const maxLen = fn.nodes.length * 3 + 200;

  while (head < queue.length) {
    const p = queue[head++]!;
    if (++count > cfg.budget.states) { incomplete = `the path budget (${cfg.budget.states} program states) ran out`; break; }
    if ((count & 63) === 0 && Date.now() - t0 > cfg.budget.ms) { incomplete = `the time budget (${cfg.budget.ms} ms) ran out`; break; }
    if (p.len > maxLen) continue;
    const fnNow = p.stack.frame.fn;
    const node = fnNow.nodes[p.node];
    if (!node) continue;
    for (const q of step(p, node)) {
      const key = `${stackSig(q.stack)}|${q.node}|${internId(states, stateKey(q.state))}|${varsKey(q.vars)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push(q);
    }
    // Free memory of long queues: processed entries are only needed through parent links.
    if (head > 4096 && head * 2 > queue.length) { queue.splice(0, head); head = 0; }
  }

  dropLockHelperLeaks();
  return { fn, raw, ends, after, origins, states: count, ms: Date.now() - t0, ...(incomplete ? { incomplete } : {}), pending, cleansUp };

  /**
   * A lock no path of the function releases is what the function is for (a
   * lock-taking helper such as xe_vm_lock()): its callers are checked, where it
   * is inlined. Leaks are the locks released on some paths and not on others.
   */
  function dropLockHelperLeaks(): void {
    const helper = (v: Violation): boolean => v.rule === 'lock-leak' && leakOf.has(v) && !released.has(leakOf.get(v)!);
    for (let i = raw.length - 1; i >= 0; i--) if (helper(raw[i]!.violation)) raw.splice(i, 1);
    for (const e of ends) {
      for (let i = e.violations.length - 1; i >= 0; i--) if (helper(e.violations[i]!)) e.violations.splice(i, 1);
    }
  }

  // ---- one node --------------------------------------------------------------------------

  function step(p: PNode, node: IrNode): PNode[] {
    const ev = node.event;
    const frame = p.stack.frame;
    const rec = (label: string, op: string, o: StepRecord['outcome']): StepRecord => ({
      fn: frame.fn, node, depth: p.stack.depth, label, op, outcome: o, rootNode: rootNodeOf(p.stack, node), ...viaOf(p.stack),
    });
    const next = (state: ModelState, vars: Record<string, string>, r: StepRecord, succ: number[] = node.succ, stack = p.stack): PNode[] => {
      const out: PNode[] = [];
      for (const s of succ) out.push({ stack, node: s, state, vars, parent: p, step: r, len: p.len + 1 });
      if (!succ.length) out.push({ stack, node: -1, state, vars, parent: p, step: r, len: p.len + 1 });
      const first = out[0]!;
      if (p.stack.depth === 0 && !after.has(node.id)) after.set(node.id, first);
      for (const v of r.outcome.violations) report(v, first, r, p.stack);
      return out.filter((x) => x.node >= 0);
    };
    const plain = (label: string): PNode[] => next(p.state, p.vars, rec(label, 'nop', EMPTY));

    switch (ev.kind) {
      case 'nop': case 'unparsed':
        return next(p.state, p.vars, rec(ev.label, ev.kind, ev.kind === 'unparsed' ? { ...EMPTY, notes: ['this part could not be parsed and is skipped'] } : EMPTY));
      case 'api':
        return api(p, node, ev, rec, next);
      case 'call':
        return call(p, node, ev, rec, next);
      case 'assign': {
        const src = ev.source === 'NULL' ? undefined : rewrite(p.stack, ev.source);
        const tgt = rewrite(p.stack, ev.target);
        let s = p.state;
        // Whatever the target held (an int result, what was known through its fields) is gone;
        // a literal or a known int value is what it holds now.
        let vars = withoutDerivedVars(p.vars, tgt);
        const known = src === '#0' ? 'zero' : src === '#1' ? 'nonzero' : src ? p.vars[src] : undefined;
        if (known) vars = { ...vars, [tgt]: known };
        s = forgetDerived(s, tgt);
        if (ev.source === 'NULL') {
          if (tgt in s.names || tgt in s.nullNames) s = unbindName(s, tgt, 'null');
        } else {
          // A target declared as a handle: the source is one too (through a field, or from outside).
          if (src && ev.holds && !src.startsWith('#') && !(src in s.names) && !(src in s.nullNames)) {
            const r = resolve(s, src, ev.holds, fctx, cfg);
            if (r) s = r.state;
          }
          if (src && (src in s.names || src in s.nullNames)) {
            s = aliasName(s, tgt, src);
            if (!ev.targetIsLocal && src in s.names) s = apply1(s, { op: 'hand_on', args: [src] });
          } else if (tgt in s.names || tgt in s.nullNames) {
            // A value the analysis does not know: the target no longer names its old object.
            s = forgetName(s, tgt);
          } else if (vars === p.vars && s === p.state) {
            return plain(ev.label);
          }
        }
        return next(s, vars, rec(ev.label, 'assign', EMPTY));
      }
      case 'flag': {
        // Rust drop flags: whether a conditionally moved local still owns its value.
        const f = `flag:${rewrite(p.stack, ev.key)}`;
        if ((p.vars[f] === '1') === ev.set) return plain(ev.label);
        const vars = { ...p.vars };
        if (ev.set) vars[f] = '1'; else delete vars[f];
        return next(p.state, vars, rec(ev.label, 'nop', EMPTY));
      }
      case 'handOn': case 'forget': {
        const k = rewrite(p.stack, ev.key);
        if (!(k in p.state.names)) return plain(ev.label);
        const o = applyOrPrune(p.state, { op: ev.kind === 'handOn' ? 'hand_on' : 'forget', args: [k], label: ev.label, opts: ev.kind === 'handOn' && ev.count === 1 ? { count: '1' } : {} }, cfg.model);
        if (!o) return [];
        return next(o[0]!.state, p.vars, rec(ev.label, ev.kind, o[0]!));
      }
      case 'assume': {
        const v = evalCond(p, ev.cond);
        if (v === false) return [];
        // Remember the side taken on a value the model does not know, so a later test of
        // the same value agrees (`if (locked) lock(); ... if (locked) unlock();`).
        let vars = p.vars;
        if (v === undefined && ev.cond.test === 'zero' && retested(p.stack, ev.cond.key)) {
          const k = rewrite(p.stack, ev.cond.key);
          if (!(k in p.state.names) && !(k in p.state.nullNames)) vars = { ...vars, [k]: ev.cond.negate ? 'nonzero' : 'zero' };
        }
        return next(p.state, vars, rec(ev.label, 'assume', EMPTY));
      }
      case 'exit':
        return exit(p, node, ev, rec);
    }
  }

  function api(p: PNode, node: IrNode, ev: Extract<IrEvent, { kind: 'api' }>,
    rec: (label: string, op: string, o: StepRecord['outcome']) => StepRecord,
    next: (s: ModelState, v: Record<string, string>, r: StepRecord, succ?: number[], stack?: Stack) => PNode[]): PNode[] {
    const spec = OP_BY_NAME.get(ev.op);
    if (!spec) return next(p.state, p.vars, rec(ev.label, 'nop', EMPTY));
    let s = p.state;
    const args: string[] = [];
    for (let i = 0; i < ev.args.length; i++) {
      const a = ev.args[i]!;
      const want = spec.args[i];
      const k = rewrite(p.stack, a.key);
      if (want === 'vm' || want === 'gem' || want === 'vm_bo' || want === 'va') {
        const r = resolve(s, k, want, fctx, cfg);
        if (!r) return next(p.state, p.vars, rec(ev.label, 'nop', EMPTY));
        s = r.state;
        args.push(r.name);
      } else if (want === 'resv-owner') {
        const kind: ObjKind = a.kind === 'vm' ? 'vm' : 'gem';
        const r = resolve(s, k, kind, fctx, cfg);
        if (!r) return next(p.state, p.vars, rec(ev.label, 'nop', EMPTY));
        s = r.state;
        args.push(r.name);
      } else if (want === 'handle') {
        if (!(k in s.names) && !(k in s.nullNames)) return next(p.state, p.vars, rec(ev.label, 'nop', EMPTY));
        args.push(k);
      } else {
        args.push(k);
      }
    }
    // An outside VA being unlinked is linked to some vm_bo: give it one.
    if ((ev.op === 'va_unlink' || ev.op === 'va_unlink_defer') && args[0]) {
      const va = s.objects[s.names[args[0]] ?? ''] as VaObj | undefined;
      if (va && va.kind === 'va' && va.unknown && !va.vmBo) {
        const r = resolve(s, `${args[0]}.vm_bo`, 'vm_bo', fctx, cfg);
        if (r) s = apply1(r.state, { op: 'va_assume_linked', args: [args[0], r.name] });
      }
    }
    const op: Op = { op: ev.op, args, label: oneLine(ev.label), origin: originOf(p.stack, node), ...(ev.opts ? { opts: ev.opts } : {}) };
    if (ev.result) {
      op.result = rewrite(p.stack, ev.result);
      s = forgetDerived(s, op.result);
    }
    const outs = applyOrPrune(s, op, cfg.model);
    if (!outs) return [];
    const res: PNode[] = [];
    for (const o of outs) {
      let st = o.state;
      let vars = op.result && op.result in p.vars ? withoutVar(p.vars, op.result) : p.vars;
      if (ev.resultVar) vars = { ...vars, [rewrite(p.stack, ev.resultVar)]: TRUTHY_RESULTS.has(o.result) ? 'nonzero' : 'zero' };
      if (ev.op === 'bo_deferred_cleanup') { vars = { ...vars, '#cleanup': '1' }; cleansUp = true; }
      // A drm_exec context of this function's own (not the caller's) must be finished before it returns.
      if (ev.opts?.local_exec) vars = { ...vars, '#exec_local': '1' };
      for (const l of s.locks) if (!st.locks.some((x) => x.id === l.id)) released.add(l.origin ?? l.id);
      if (ev.resultEscapes && op.result && op.result in st.names) st = apply1(st, { op: 'hand_on', args: [op.result] });
      res.push(...next(st, vars, rec(ev.label, ev.op, o)));
    }
    // sm_map / sm_unmap run the driver's split/merge callbacks.
    if ((ev.op === 'sm_map' || ev.op === 'sm_unmap') && p.stack.depth < cfg.inlineDepth) {
      const cbs = (r: string) => callees.byRole(r, fn).filter((f) => !onStack(p.stack, f));
      const map = cbs('sm_step_map');
      const remap = cbs('sm_step_remap');
      const unmap = cbs('sm_step_unmap');
      const seqs: IrFunction[][] = ev.op === 'sm_map'
        ? [...map.map((m) => [m]), ...remap.flatMap((r) => map.map((m) => [r, m]))]
        : [...unmap.map((u) => [u]), ...remap.map((r) => [r])];
      if (seqs.length) {
        const base = res.filter((x) => x.parent === p);
        // Replace the plain continuation by "run the callbacks, then continue".
        const out: PNode[] = [];
        const seenSt = new Set<ModelState>();
        for (const b of base) {
          if (seenSt.has(b.state)) continue;
          seenSt.add(b.state);
          for (const seq of seqs) {
            const [first, ...rest] = seq;
            const frame: Frame = { fn: first!, prefix: framePrefix(p.stack.depth + 1, first!), paramMap: {}, callNode: node, after: rest };
            const stack: Stack = { frame, parent: p.stack, depth: p.stack.depth + 1 };
            out.push({ stack, node: first!.entry, state: b.state, vars: b.vars, parent: p, step: b.step!, len: p.len + 1 });
          }
        }
        return out;
      }
    }
    return res;
  }

  function call(p: PNode, node: IrNode, ev: Extract<IrEvent, { kind: 'call' }>,
    rec: (label: string, op: string, o: StepRecord['outcome']) => StepRecord,
    next: (s: ModelState, v: Record<string, string>, r: StepRecord, succ?: number[], stack?: Stack) => PNode[]): PNode[] {
    const target = callees.lookup(ev.callee, p.stack.frame.fn);
    if (!target || !inlinable(callees, target) || p.stack.depth >= cfg.inlineDepth || onStack(p.stack, target) || !target.nodes[target.entry]) {
      // The result is something the analysis does not know: forget what its variables held.
      const res = ev.result ? rewrite(p.stack, ev.result) : undefined;
      const rv = ev.resultVar ? rewrite(p.stack, ev.resultVar) : undefined;
      let s = res && (res in p.state.names || res in p.state.nullNames) ? forgetName(p.state, res) : p.state;
      // What is passed by value (a Rust move) is the callee's to release.
      for (const i of ev.moves ?? []) {
        const a = ev.args[i];
        const k = a ? rewrite(p.stack, a) : undefined;
        if (k && k in s.names) s = apply1(s, { op: 'hand_on', args: [k], opts: { count: '1' } });
      }
      // A helper of the program left opaque (too deep, or recursive) may keep the references it is given.
      if (target && inlinable(callees, target)) {
        for (const a of ev.args) {
          const k = a ? rewrite(p.stack, a) : undefined;
          if (k && k in s.names && s.owned[s.names[k]!]) s = apply1(s, { op: 'hand_on', args: [k] });
        }
      }
      return next(s, rv && rv in p.vars ? withoutVar(p.vars, rv) : p.vars, rec(ev.label, 'call', EMPTY));
    }
    let s = p.state;
    const paramMap: Record<string, string> = {};
    target.params.forEach((param, i) => {
      const a = ev.args[i];
      if (a === null || a === undefined) return;
      const k = rewrite(p.stack, a);
      if (param.kind && !(k in s.names) && !(k in s.nullNames)) {
        const r = resolve(s, k, param.kind, fctx, cfg);
        if (r) s = r.state;
      }
      paramMap[param.name] = k;
    });
    const frame: Frame = {
      fn: target, prefix: framePrefix(p.stack.depth + 1, target), paramMap, callNode: node, after: [],
      ...(ev.result ? { resultKey: rewrite(p.stack, ev.result) } : {}),
      ...(ev.resultVar ? { resultVar: rewrite(p.stack, ev.resultVar) } : {}),
      ...(ev.resultEscapes ? { resultEscapes: true } : {}),
    };
    const stack: Stack = { frame, parent: p.stack, depth: p.stack.depth + 1 };
    const r = rec(ev.label, 'call', { ...EMPTY, notes: [`enters ${target.displayName}`] });
    const q: PNode = { stack, node: target.entry, state: s, vars: p.vars, parent: p, step: r, len: p.len + 1 };
    if (p.stack.depth === 0 && !after.has(node.id)) after.set(node.id, q);
    return [q];
  }

  function exit(p: PNode, node: IrNode, ev: Extract<IrEvent, { kind: 'exit' }>,
    rec: (label: string, op: string, o: StepRecord['outcome']) => StepRecord): PNode[] {
    const frame = p.stack.frame;
    if (p.stack.parent) {
      // Return from an inlined helper or callback. drm_gpuvm_sm_map()/sm_unmap() stop at the first
      // step callback that fails.
      if (frame.after.length && ev.error !== true) {
        const [nextCb, ...rest] = frame.after;
        const nf: Frame = { fn: nextCb!, prefix: framePrefix(p.stack.depth, nextCb!), paramMap: {}, callNode: frame.callNode!, after: rest };
        const stack: Stack = { frame: nf, parent: p.stack.parent, depth: p.stack.depth };
        const done = dropFrame(p.state, p.vars, frame.prefix);
        return [{ stack, node: nextCb!.entry, state: done.state, vars: done.vars, parent: p, step: rec(ev.label, 'return', EMPTY), len: p.len + 1 }];
      }
      let s = p.state;
      const callNode = frame.callNode!;
      const value = ev.value ? rewrite(p.stack, ev.value) : undefined;
      if (frame.resultKey && value && (value in s.names || value in s.nullNames)) {
        s = aliasName(s, frame.resultKey, value);
        if (frame.resultEscapes && frame.resultKey in s.names) s = apply1(s, { op: 'hand_on', args: [frame.resultKey] });
      } else if (frame.resultKey && ev.error) {
        // An error return gives the caller no object: its result is an ERR_PTR / Err on this path.
        s = unbindName(s, frame.resultKey, 'err');
      } else if (frame.resultKey && (frame.resultKey in s.names || frame.resultKey in s.nullNames)) {
        s = forgetName(s, frame.resultKey);
      }
      // The helper's own names are dead now (and would keep equal states apart).
      const done = dropFrame(s, p.vars, frame.prefix);
      s = done.state;
      // An int result the helper's return value says (0, -ENOMEM, a variable it knows), else unknown.
      let vars = frame.resultVar && frame.resultVar in done.vars ? withoutVar(done.vars, frame.resultVar) : done.vars;
      const known = value === '#0' ? 'zero' : value === '#1' ? 'nonzero' : value ? p.vars[value] : undefined;
      if (frame.resultVar && known) vars = { ...vars, [frame.resultVar]: known };
      else if (frame.resultVar && ev.error !== undefined) vars = { ...vars, [frame.resultVar]: ev.error ? 'nonzero' : 'zero' };
      const parentStack = p.stack.parent;
      const r = rec(`return from ${frame.fn.displayName}`, 'return', EMPTY);
      const out: PNode[] = callNode.succ.map((succ) => ({ stack: parentStack, node: succ, state: s, vars, parent: p, step: r, len: p.len + 1 }));
      return out;
    }
    let s = p.state;
    const value = ev.value ? rewrite(p.stack, ev.value) : undefined;
    if (value && value in s.names) s = apply1(s, { op: 'hand_on', args: [value], label: ev.label });
    // The caller's locks, and locks held through a drm_exec context the caller owns, are not this function's to release.
    // (A function that returns a lock guard keeps its locks on purpose.)
    const entryLocks = s.locks.filter((l) => ev.keepsLocks || l.via === 'caller' || (l.via === 'exec' && !p.vars['#exec_local'])).map((l) => l.id);
    const vs = exitViolations(s, { how: ev.label, entryLocks, references: true });
    const leaked = s.locks.filter((l) => !entryLocks.includes(l.id));
    vs.filter((v) => v.rule === 'lock-leak').forEach((v, i) => { const l = leaked[i]; if (l) leakOf.set(v, l.origin ?? l.id); });
    const r = rec(ev.label, 'exit', { violations: vs, assumptions: [], notes: [], result: 'ok' });
    const endNode: PNode = { stack: p.stack, node: -1, state: s, vars: p.vars, parent: p, step: r, len: p.len + 1 };
    const end: PathEnd = { at: endNode, label: ev.label, violations: vs };
    for (const v of vs) report(v, endNode, r, p.stack);
    ends.push(end);
    const pend = s.deferredPuts.filter((d) => !d.inSignalling && d.origin).map((d) => d.origin!);
    if (pend.length) pending.push({ end, origins: pend });
    if (p.stack.depth === 0 && !after.has(node.id)) after.set(node.id, endNode);
    return [];
  }

  function report(v: Violation, at: PNode, r: StepRecord, stack: Stack): void {
    if (stack.depth > 0 && intrinsic) {
      const key = `${v.rule}@${r.fn.id}#${r.node.id}`;
      if (intrinsic.has(key)) return;
    }
    // A leak of a reference a helper took, which the helper's own analysis already reported.
    const o = v.at && intrinsic ? origins.get(v.at) : undefined;
    if (o && o.fn !== fn && intrinsic!.has(`${v.rule}@${o.fn.id}#${o.node.id}`)) return;
    raw.push({ violation: v, at, step: r });
  }

  function evalCond(p: PNode, c: Cond): boolean | undefined {
    const k = rewrite(p.stack, c.key);
    let v: boolean | undefined;
    if (c.test === 'flag') {
      v = p.vars[`flag:${k}`] === '1';
    } else if (c.test === 'same') {
      const o = rewrite(p.stack, c.other);
      const a = p.state.names[k];
      const b = p.state.names[o];
      v = a !== undefined && b !== undefined ? a === b : undefined;
    } else if (c.test === 'zero') {
      const val = p.vars[k];
      if (k === '#0' || k === '#1') v = k === '#0'; // a literal passed for a parameter
      else if (val !== undefined) v = val === 'zero';
      else if (k in p.state.names) v = false; // a pointer that points somewhere is not zero
      else if (k in p.state.nullNames) v = p.state.nullNames[k] === 'null';
    } else {
      const bound = k in p.state.names;
      const nul = p.state.nullNames[k];
      if (bound || nul) {
        const isNull = nul === 'null';
        const isErr = nul === 'err';
        v = c.test === 'null' ? isNull : c.test === 'err' ? isErr : c.test === 'null-or-err' ? isNull || isErr : bound;
      }
    }
    if (v === undefined) return undefined;
    return c.negate ? !v : v;
  }
}

const EMPTY: StepRecord['outcome'] = { violations: [], assumptions: [], notes: [], result: 'ok' };

const retestCache = new WeakMap<IrFunction, Set<string>>();
const argCountCache = new WeakMap<IrFunction, Map<string, number>>();

/**
 * Whether a tested value is worth remembering. Remembering every tested value
 * would keep apart states that are the same for the model, so only values that
 * are tested again are: a value the function tests at more than one place, or
 * a helper's parameter that its caller passes to another call as well
 * (`cond_spin_lock(lock, !!lock); ... cond_spin_unlock(lock, !!lock);`).
 */
function retested(stack: Stack, key: string): boolean {
  const frame = stack.frame;
  if (testSites(frame.fn).has(key)) return true;
  const caller = stack.parent?.frame;
  const mapped = frame.paramMap[key];
  if (!caller || mapped === undefined) return false;
  let counts = argCountCache.get(caller.fn);
  if (!counts) {
    counts = new Map();
    for (const n of caller.fn.nodes) {
      if (n.event.kind !== 'call') continue;
      for (const a of n.event.args) if (a) counts.set(a, (counts.get(a) ?? 0) + 1);
    }
    argCountCache.set(caller.fn, counts);
  }
  // The caller's own key for the value (its frame prefix stripped).
  const own = caller.prefix && mapped.startsWith(caller.prefix) ? mapped.slice(caller.prefix.length) : mapped;
  return (counts.get(own) ?? 0) > 1;
}

/** Keys a function tests at more than one place (returning a value counts as a place). */
function testSites(fn: IrFunction): Set<string> {
  let set = retestCache.get(fn);
  if (!set) {
    const sites = new Map<string, Set<string>>();
    for (const n of fn.nodes) {
      // A returned value is tested again by the caller (`if (ret) goto err; ... return ret;`).
      if (n.event.kind === 'exit' && n.event.value) {
        if (!sites.has(n.event.value)) sites.set(n.event.value, new Set());
        sites.get(n.event.value)!.add('return');
      }
      if (n.event.kind !== 'assume') continue;
      const at = n.span ? `${n.span.startIndex}` : n.event.label;
      const k = n.event.cond.key;
      if (!sites.has(k)) sites.set(k, new Set());
      sites.get(k)!.add(at);
    }
    set = new Set([...sites].filter(([, at]) => at.size > 1).map(([k]) => k));
    retestCache.set(fn, set);
  }
  return set;
}

/** Names of an inlined frame: unique among the frames alive at once (one per depth). */
function framePrefix(depth: number, fn: IrFunction): string {
  return `${depth}:${fn.name}:`;
}

/** Text for people: object names without the frame prefixes of inlined helpers (`2:helper:vma.vm_bo` -> `vma.vm_bo`). */
export function withoutFramePrefixes(text: string): string {
  return text.includes(':') ? text.replace(/\b\d+:[A-Za-z_]\w*:(?=[A-Za-z_#])/g, '') : text;
}

/** Forget an inlined frame's names, consumed handles and remembered values when it returns. */
function dropFrame(s: ModelState, vars: Record<string, string>, prefix: string): { state: ModelState; vars: Record<string, string> } {
  // A frame's names start with its prefix; its Rust drop flags with `flag:` and the prefix.
  const flag = `flag:${prefix}`;
  const strip = <T>(o: Record<string, T>): Record<string, T> | undefined => {
    let out: Record<string, T> | undefined;
    for (const k of Object.keys(o)) {
      if (!k.startsWith(prefix) && !k.startsWith(flag)) continue;
      out ??= { ...o };
      delete out[k];
    }
    return out;
  };
  const names = strip(s.names);
  const nullNames = strip(s.nullNames);
  const consumed = strip(s.consumed);
  const v = strip(vars);
  const state = names || nullNames || consumed
    ? { ...s, names: names ?? s.names, nullNames: nullNames ?? s.nullNames, consumed: consumed ?? s.consumed } : s;
  return { state: dropUnreachable(state), vars: v ?? vars };
}

/**
 * Objects that nothing can reach any more (a helper's outside objects once its
 * names are gone, with no reference held on them, no lock, no list) cannot
 * matter to what follows: drop them so equal situations are equal states.
 */
function dropUnreachable(s: ModelState): ModelState {
  const live = new Set<string>();
  const stack: string[] = [...Object.values(s.names), ...Object.keys(s.owned)];
  for (const l of s.locks) stack.push(l.id.slice(l.id.indexOf(':') + 1));
  for (const d of s.deferredPuts) stack.push(d.vm, d.vmBo);
  stack.push(...Object.keys(s.cleanedUp));
  while (stack.length) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    const o = s.objects[id];
    if (!o) continue;
    live.add(id);
    switch (o.kind) {
      case 'vm': stack.push(...o.extobj, ...o.evict, ...o.deferred, ...o.vas); break;
      case 'gem': stack.push(...o.vmBos); if (o.vm) stack.push(o.vm); break;
      case 'vm_bo': stack.push(o.vm, o.gem, ...o.vas); break;
      case 'va': for (const x of [o.vm, o.gem, o.vmBo]) if (x) stack.push(x); break;
    }
  }
  if (live.size === Object.keys(s.objects).length) return s;
  const objects: ModelState['objects'] = {};
  for (const [id, o] of Object.entries(s.objects)) if (live.has(id)) objects[id] = o;
  return { ...s, objects };
}

function internId(ids: Map<string, number>, key: string): number {
  let id = ids.get(key);
  if (id === undefined) { id = ids.size; ids.set(key, id); }
  return id;
}

const varsKeys = new WeakMap<Record<string, string>, string>();

function varsKey(vars: Record<string, string>): string {
  let k = varsKeys.get(vars);
  if (k === undefined) { k = JSON.stringify(vars); varsKeys.set(vars, k); }
  return k;
}

/** The handle no longer names anything (its object, and the references held on it, stay). */
/**
 * The model's `alias` and `unbind` change only the names: done here with the rest of the
 * state shared (states are never changed in place once made), instead of a deep copy each.
 */
function aliasName(s: ModelState, name: string, from: string): ModelState {
  const id = s.names[from];
  if (id !== undefined) return bindId(s, name, id);
  const how = s.nullNames[from];
  return how ? unbindName(s, name, how) : s;
}

function bindId(s: ModelState, name: string, id: string): ModelState {
  if (s.names[name] === id && !(name in s.nullNames)) return s;
  let nullNames = s.nullNames;
  if (name in nullNames) {
    nullNames = { ...nullNames };
    delete nullNames[name];
  }
  return { ...s, names: { ...s.names, [name]: id }, nullNames };
}

function unbindName(s: ModelState, name: string, how: 'null' | 'err'): ModelState {
  if (s.nullNames[name] === how && !(name in s.names)) return s;
  let names = s.names;
  if (name in names) {
    names = { ...names };
    delete names[name];
  }
  return { ...s, names, nullNames: { ...s.nullNames, [name]: how } };
}

function forgetName(s: ModelState, name: string): ModelState {
  const names = { ...s.names };
  const nullNames = { ...s.nullNames };
  delete names[name];
  delete nullNames[name];
  return forgetDerived({ ...s, names, nullNames }, name);
}

/** `x` points elsewhere now: what was known through its fields (`x.vm_bo`, `x.gpuva`) is stale. */
function forgetDerived(s: ModelState, name: string): ModelState {
  const stale = (k: string): boolean => k.length > name.length && k.startsWith(name) && (k[name.length] === '.' || k[name.length] === '[');
  const drop = <T>(o: Record<string, T>): Record<string, T> | undefined => {
    let out: Record<string, T> | undefined;
    for (const k of Object.keys(o)) if (stale(k)) { out ??= { ...o }; delete out[k]; }
    return out;
  };
  const names = drop(s.names);
  const nullNames = drop(s.nullNames);
  return names || nullNames ? { ...s, names: names ?? s.names, nullNames: nullNames ?? s.nullNames } : s;
}

function withoutDerivedVars(vars: Record<string, string>, name: string): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const k of Object.keys(vars)) {
    if (k === name || (k.startsWith(name) && (k[name.length] === '.' || k[name.length] === '['))) { out ??= { ...vars }; delete out[k]; }
  }
  return out ?? vars;
}

function withoutVar(vars: Record<string, string>, name: string): Record<string, string> {
  const out = { ...vars };
  delete out[name];
  return out;
}

/** Helpers are inlined when they (or what they call) touch GPUVM. */
function inlinable(callees: Callees, target: IrFunction): boolean {
  return callees.relevant ? callees.relevant(target) : target.touchesGpuvm;
}

function stackSig(s: Stack): string {
  let out = '';
  for (let x: Stack | undefined = s; x; x = x.parent) out += `${x.frame.fn.id}:${x.frame.callNode?.id ?? ''}:${x.frame.after.length}/`;
  return out;
}

function onStack(s: Stack, f: IrFunction): boolean {
  for (let x: Stack | undefined = s; x; x = x.parent) if (x.frame.fn === f) return true;
  return false;
}

/** The root-level node that leads to `node` (the call site in the analysed function). */
function rootNodeOf(s: Stack, node: IrNode): IrNode {
  let cur = node;
  for (let x: Stack | undefined = s; x && x.parent; x = x.parent) cur = x.frame.callNode!;
  return cur;
}

function viaOf(s: Stack): { via?: string } {
  let x: Stack | undefined = s;
  while (x && x.parent && x.parent.parent) x = x.parent;
  return x && x.parent ? { via: x.frame.fn.displayName } : {};
}

/** A key in the namespace of the root frame. */
export function rewrite(s: Stack, key: string): string {
  if (key === '#0' || key === '#1') return key;
  const m = /^[A-Za-z_]\w*/.exec(key);
  const base = m ? m[0] : '';
  const mapped = base ? s.frame.paramMap[base] : undefined;
  if (mapped !== undefined) return mapped + key.slice(base.length);
  return s.frame.prefix + key;
}

function apply1(s: ModelState, op: Op): ModelState {
  try {
    return applyOp(s, op)[0]!.state;
  } catch (e) {
    if (e instanceof ModelError) return s;
    throw e;
  }
}

function applyOrPrune(s: ModelState, op: Op, cfg: ModelConfig): Outcome[] | undefined {
  try {
    return applyOp(s, op, cfg);
  } catch (e) {
    if (e instanceof ModelError) return undefined; // e.g. a NULL handle used on a path that did not check it
    throw e;
  }
}

/** Bind `key` to an object of `kind`, declaring an outside object if needed. */
export function resolve(s: ModelState, key: string, kind: ObjKind, fctx: FunctionContext, cfg: ExploreConfig): { state: ModelState; name: string } | undefined {
  if (key in s.names) {
    const o = s.objects[s.names[key]!];
    return o && o.kind === kind ? { state: s, name: key } : undefined;
  }
  if (key in s.nullNames) return { state: s, name: key };
  // Through a field of a known object: vm_bo->obj, va->vm_bo ...
  for (const { base, field } of splitField(key)) {
    const id = s.names[base];
    const o = id ? s.objects[id] : undefined;
    if (!o) continue;
    const rule = FIELDS[o.kind][field];
    if (!rule || rule.to !== kind) continue;
    let target: string | undefined;
    if (o.kind === 'vm_bo') target = rule.via === 'vm_bo.gem' ? o.gem : o.vm;
    else if (o.kind === 'va') {
      if (rule.via === 'va.vm_bo') {
        if (!o.vmBo && o.unknown) {
          // An outside VA's vm_bo is of the VA's GEM, if that is known already.
          const gemName = o.gem ? Object.keys(s.names).find((n) => s.names[n] === o.gem) : undefined;
          const st = gemName ? aliasName(s, `${key}.obj`, gemName) : s;
          const r = declare(st, key, 'vm_bo', fctx, cfg);
          if (!r) return undefined;
          return { state: apply1(r.state, { op: 'va_assume_linked', args: [base, key] }), name: key };
        }
        target = o.vmBo;
      } else if (rule.via === 'va.gem') {
        // An outside VA's GEM is the one of the vm_bo it is linked to.
        if (!o.gem && o.unknown && !o.vmBo) {
          const r = resolve(s, `${base}.vm_bo.obj`, 'gem', fctx, cfg);
          if (r) return { state: aliasName(r.state, key, r.name), name: key };
        }
        target = o.gem;
      } else target = o.vm;
    }
    if (!target) continue;
    const name = Object.keys(s.names).find((n) => s.names[n] === target);
    if (name) return { state: aliasName(s, key, name), name: key };
  }
  return declare(s, key, kind, fctx, cfg);
}

function vmFlags(fctx: FunctionContext): Record<string, boolean | string> {
  const o: Record<string, boolean | string> = {};
  if (fctx.vm.resvProtected === true) o.resv_protected = true;
  if (fctx.vm.resvProtected === false) o.unprotected = true;
  if (fctx.vm.immediate === true) o.immediate = true;
  if (fctx.vm.immediate === false) o.staged = true;
  return o;
}

function theVm(s: ModelState): string | undefined {
  for (const [n, id] of Object.entries(s.names)) if (s.objects[id]?.kind === 'vm') return n;
  return undefined;
}

function declare(s: ModelState, key: string, kind: ObjKind, fctx: FunctionContext, cfg: ExploreConfig): { state: ModelState; name: string } | undefined {
  void cfg;
  switch (kind) {
    case 'vm': {
      // One GPUVM per function: every VM expression of a function names the same VM.
      const vm = theVm(s);
      if (vm) return { state: aliasName(s, key, vm), name: key };
      const opts = { ...vmFlags(fctx), ...(key.startsWith('#') ? { label: 'the VM' } : {}) };
      return { state: apply1(s, { op: 'vm_declare', args: [key], opts }), name: key };
    }
    case 'gem': {
      const r = resolve(s, '#vm', 'vm', fctx, cfg);
      const vmName = theVm(r?.state ?? s) ?? '#vm';
      return { state: apply1(r?.state ?? s, { op: 'gem_declare', args: [key], opts: { vm: vmName } }), name: key };
    }
    case 'vm_bo': {
      const v = resolve(s, '#vm', 'vm', fctx, cfg);
      if (!v) return undefined;
      const g = resolve(v.state, `${key}.obj`, 'gem', fctx, cfg);
      if (!g) return undefined;
      return { state: apply1(g.state, { op: 'vm_bo_declare', args: [theVm(g.state)!, g.name, key] }), name: key };
    }
    case 'va': {
      const v = resolve(s, '#vm', 'vm', fctx, cfg);
      if (!v) return undefined;
      return { state: apply1(v.state, { op: 'va_declare', args: [theVm(v.state)!, key] }), name: key };
    }
  }
}

function initialState(fn: IrFunction, fctx: FunctionContext): ModelState {
  const s: ModelState = {
    objects: {}, names: {}, nullNames: {}, owned: {}, locks: [], exec: false, callerLocks: fctx.callerLocks, released: [],
    consumed: {}, deferredPuts: [], cleanedUp: {}, nextId: 1,
    ctx: { name: fn.displayName, signalling: 0, signallingFrom: [], begins: 0, atomic: fctx.atomic ? 1 : 0 },
  };
  if (fctx.signalling) {
    const root = fctx.signalling.fn;
    s.ctx.signalling = 1;
    // 'sig:<function id>' origins point at the name of the function that enters the signalling path.
    s.ctx.signallingFrom = [{ label: fctx.signalling.label, ...(root ? { origin: `sig:${root.id}` } : {}) }];
  }
  return s;
}

function declareParams(s: ModelState, fn: IrFunction, fctx: FunctionContext, cfg: ExploreConfig): ModelState {
  for (const p of fn.params) {
    if (!p.kind) continue;
    if (p.kind === 'vm_bo' && (p.owned || p.detached)) {
      const v = resolve(s, '#vm', 'vm', fctx, cfg);
      if (!v) continue;
      const g = resolve(v.state, `${p.key}.obj`, 'gem', fctx, cfg);
      if (!g) continue;
      const opts: Record<string, boolean> = {};
      if (p.owned) opts.owned = true;
      if (p.detached) opts.detached = true;
      s = apply1(g.state, { op: 'vm_bo_declare', args: [theVm(g.state)!, g.name, p.key], opts });
      continue;
    }
    const r = resolve(s, p.key, p.kind, fctx, cfg);
    if (r) {
      s = r.state;
      if (p.owned && p.kind !== 'vm' && r.name in s.names) {
        // Owned by value: this function must release or hand it on.
        const id = s.names[r.name]!;
        s = shallowState(s); // objects are shared: only owned changes
        s.owned[id] = { count: 1, origins: [''], labels: [`'${p.name}' (owned on entry)`] };
      }
    }
  }
  return s;
}

function holdEntryLocks(s: ModelState, fn: IrFunction, fctx: FunctionContext, cfg: ExploreConfig, origin: string): ModelState {
  for (const el of fn.entryLocks) {
    if (el.lock === 'mutex') { s = apply1(s, { op: 'mutex_lock', args: [el.arg.key], opts: { entry: true }, origin }); continue; }
    const kind: ObjKind = el.lock === 'resv' ? (el.arg.kind === 'vm' ? 'vm' : 'gem') : 'gem';
    const r = resolve(s, el.arg.key, kind, fctx, cfg);
    if (!r) continue;
    s = apply1(r.state, { op: el.lock === 'resv' ? 'resv_lock' : 'gpuva_lock', args: [r.name], opts: { entry: true }, origin });
  }
  return s;
}

/** Spans of a step for locations: innermost and root-level. */
export function spansOf(r: StepRecord): { inner?: Span; root?: Span } {
  return { ...(r.node.span ? { inner: r.node.span } : {}), ...(r.rootNode.span ? { root: r.rootNode.span } : {}) };
}

/** A call written over several lines reads as one line in messages. */
function oneLine(label: string): string {
  return /\s\s|\n|\(\s|\s\)/.test(label) ? label.replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').replace(/\s+/g, ' ') : label;
}
