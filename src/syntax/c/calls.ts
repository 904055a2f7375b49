// Calls -> events, by the table in src/api/c.ts: one model operation, a lock
// taken and released inside (pinning), a kref put that runs its release
// function, a lock assertion (a fact about the caller at the top of a
// function), a callback registration, the VM's init flags; anything else is a
// call the analysis inlines when the program defines it.

import type { CNode as Node } from './cnode';
import type { IrArg, IrEvent, Span } from '../../analysis/ir';
import {
  ASSERTIONS, C_API, CALLBACK_REGISTRARS, isConversion, KREF_PUTS, RESV_TAKERS, TRANSPARENT, VA_ALLOCATORS, VA_FREERS, VM_INIT,
  type CApi, type CArg,
} from '../../api/c';
import type { FnLowering } from './context';
import type { CondEnds } from './cond';
import { lowerExpr, mayHaveEffects, type ExprCtx, type Value } from './expr';
import { callArgs, callName, keyOf, literalKey, lockOf, peel, resvOwnerOf, vmOfResvObject } from './keys';
import { labelText } from './spans';
import { headSpan } from '../lines';

export interface CallValue extends Value {
  /** Calls that fork by themselves (kref_put): the released / not released ends. */
  ends?: CondEnds;
}

/**
 * Every callee a table above names: most calls are to none of them, and one
 * hash lookup says so (a keyed lookup of a string cut from the file text
 * costs more than a Map's).
 */
const TABLED: ReadonlySet<string> = new Set([
  ...Object.keys(TRANSPARENT), ...Object.keys(ASSERTIONS), ...Object.keys(KREF_PUTS), ...Object.keys(RESV_TAKERS),
  ...Object.keys(CALLBACK_REGISTRARS), ...Object.keys(VA_FREERS), ...Object.keys(C_API),
]);

const LOCKING_OPS = new Set(['resv_lock', 'resv_unlock', 'gpuva_lock', 'gpuva_unlock', 'mutex_lock', 'mutex_unlock', 'spin_lock', 'spin_unlock',
  'exec_begin', 'exec_prepare_obj', 'exec_lock', 'exec_unlock', 'prepare_vm', 'prepare_objects']);

/** A key for an argument: its object, a temporary bound to a nested call's result, or a literal (`#0`, `#1`). */
function argKey(L: FnLowering, n: Node): string | undefined {
  const lit = literalKey(n);
  if (lit) return lit;
  if (mayHaveEffects(L, n) && peel(n).type === 'call_expression' && !isPure(L, peel(n))) return lowerExpr(L, n, { wantValue: true }).key;
  if (mayHaveEffects(L, n)) lowerExpr(L, n);
  return keyOf(n, L.env);
}

/** Calls with no effect of their own: conversions, accessors, transparent wrappers. */
function isPure(L: FnLowering, call: Node): boolean {
  const name = callName(call);
  if (!name) return false;
  return L.file.accessors.has(name) || (TABLED.has(name) && TRANSPARENT[name] !== undefined) || (!L.file.defined.has(name) && isConversion(name));
}

/** An expression the key normalisation cannot name: keyed by its text, so the same text is the same object. */
function textKey(L: FnLowering, n: Node): string {
  return `(${L.text.slice(n.startIndex, n.endIndex).replace(/\s+/g, '')})`;
}

export function lowerCall(L: FnLowering, call: Node, ctx: ExprCtx): CallValue {
  const fn = call.childForFieldName('function');
  const args = callArgs(call);
  const span = headSpan(call, L.text);
  const label = labelText(L.text, call);
  if (!fn) return {};
  if (fn.type === 'call_expression' && callName(fn) === 'guard') {
    lowerGuard(L, fn, args, span, label);
    return {};
  }
  if (fn.type !== 'identifier') {
    // An indirect call (ops->vm_bo_free(vm_bo)): its target is not known here.
    lowerExpr(L, fn);
    for (const a of args) lowerExpr(L, a);
    return {};
  }
  const name = fn.text;
  L.callees.add(name);
  const tabled = TABLED.has(name);
  const t = tabled ? TRANSPARENT[name] : undefined;
  if (t !== undefined) {
    args.forEach((a, i) => { if (i !== t) lowerExpr(L, a); });
    return args[t] ? lowerExpr(L, args[t]!, ctx) : {};
  }
  if (L.file.accessors.has(name) || (!L.file.defined.has(name) && isConversion(name))) {
    for (const a of args) if (mayHaveEffects(L, a)) lowerExpr(L, a);
    return { key: keyOf(call, L.env) };
  }
  const assertion = tabled ? ASSERTIONS[name] : undefined;
  if (assertion) { lowerAssertion(L, name, args); return {}; }
  const kref = tabled ? KREF_PUTS[name] : undefined;
  if (kref) {
    const ends = lowerKrefPut(L, kref, args, span, label);
    if (ctx.inCond) return { ends };
    L.b.open = [...ends.t, ...ends.f];
    return {};
  }
  const taker = tabled ? RESV_TAKERS[name] : undefined;
  if (taker !== undefined) {
    for (const a of args) if (mayHaveEffects(L, a)) lowerExpr(L, a);
    const g = args[taker] ? keyOf(args[taker]!, L.env) : undefined;
    if (g && g !== 'NULL') {
      const arg: IrArg = { key: g, kind: 'gem', text: labelText(L.text, args[taker]!, 40) };
      L.emit({ kind: 'api', op: 'resv_lock', args: [arg], label: `${label} (takes the GEM's resv)` }, span);
      L.emit({ kind: 'api', op: 'resv_unlock', args: [arg], label: `${label} (releases the GEM's resv)` }, span);
      L.entryPhase = false;
    }
    return {};
  }
  const reg = tabled ? CALLBACK_REGISTRARS[name] : undefined;
  if (reg) {
    const cb = args[reg.arg] ? peel(args[reg.arg]!) : undefined;
    const cbName = cb?.type === 'pointer_expression' ? cb.childForFieldName('argument')?.text : cb?.text;
    if (cbName && /^\w+$/.test(cbName)) (L.file.callbacks[reg.role] ??= []).push(cbName);
  }
  if (name === VM_INIT.name) {
    // The VM starts here with one reference and empty lists: what is left on them at its last put is a teardown bug.
    const mode = recordVmInit(L, args, span);
    const k = args[0] ? keyOf(args[0], L.env) : undefined;
    if (mode && k && k !== 'NULL') {
      L.emit({
        kind: 'api', op: 'vm_init', args: [{ key: k, kind: 'vm', text: labelText(L.text, args[0]!, 40) }], label,
        opts: { [mode.immediate ? 'immediate' : 'staged']: true, [mode.resvProtected ? 'resv_protected' : 'unprotected']: true },
      }, span);
      L.entryPhase = false;
      return {};
    }
  }
  if (tabled && VA_FREERS[name] !== undefined && lowerVaFree(L, args[VA_FREERS[name]!], span, label)) return {};
  const api = tabled ? C_API[name] : undefined;
  if (api) return lowerApi(L, name, api, args, ctx, span, label);
  // A function of the program (inlined by the analysis) or one it does not know.
  const keys = args.map((a) => argKey(L, a));
  const strip = containerMembers(L, name);
  const callArgKeys = keys.map((k, i) => {
    if (!k || k === 'NULL') return null;
    const m = strip?.get(i);
    return m && k.endsWith(`.${m}`) ? k.slice(0, -(m.length + 1)) : k;
  });
  // A value used in place (`return helper(...)`) carries the helper's int result as well as its handle.
  const temp = !ctx.resultKey && ctx.wantValue ? L.temp() : undefined;
  const ev: IrEvent = {
    kind: 'call', callee: name, args: callArgKeys, label,
    ...(ctx.resultKey ? { result: ctx.resultKey } : temp ? { result: temp } : {}),
    ...(ctx.resultVar ? { resultVar: ctx.resultVar } : temp && L.file.defined.has(name) ? { resultVar: temp } : {}),
    ...(ctx.escapes ? { resultEscapes: true } : {}),
  };
  L.emit(ev, span);
  // `f(&ret)` may change ret.
  for (const a of args) {
    const x = peel(a);
    const inner = x.type === 'pointer_expression' && x.childForFieldName('operator')?.text === '&' ? x.childForFieldName('argument') : null;
    const v = inner?.type === 'identifier' ? L.vars.get(inner.text) : undefined;
    if (inner && v && !v.pointer && !v.kind) L.emit({ kind: 'assign', target: inner.text, source: '#?', targetIsLocal: true, label: `${label} may change ${inner.text}` }, span);
  }
  if (L.file.relevant.has(name)) L.entryPhase = false;
  return ev.result ? { key: ev.result, bound: !!ctx.resultKey } : { bound: !!ctx.resultKey };
}

/** Parameters of `name` that its body converts with container_of(param, T, member). */
function containerMembers(L: FnLowering, name: string): ReadonlyMap<number, string> | undefined {
  return L.file.containerParams.get(name);
}

function lowerApi(L: FnLowering, name: string, api: CApi, args: Node[], ctx: ExprCtx, span: Span, label: string): CallValue {
  let op = api.op;
  const irArgs: IrArg[] = [];
  // Nested calls in the arguments run first.
  for (const a of args) if (mayHaveEffects(L, a) && !(peel(a).type === 'call_expression' && isPure(L, peel(a)))) lowerExprKeep(L, a);
  for (const spec of api.args) {
    const r = readArg(L, op, spec, args);
    if (r === 'skip') continue;
    if (r === 'nothing') return {};
    if (r.op) op = r.op;
    irArgs.push(r.arg);
  }
  const opts: Record<string, string | boolean> = { ...api.opts, ...(L.file.driverListLock ? api.driverListLockOpts : {}) };
  if (op === 'alloc' || op === 'va_alloc') opts.gfp = api.gfp !== undefined && args[api.gfp] ? labelText(L.text, args[api.gfp]!, 60) : 'GFP_KERNEL';
  if (api.flagArg && args[api.flagArg.from]) {
    const v = args[api.flagArg.from]!.text.trim();
    if (v === 'true' || v === '1') opts[api.flagArg.ifTrue] = true;
    if (v === 'false' || v === '0') opts[api.flagArg.ifFalse] = true;
  }
  if (op === 'alloc' && ctx.resultKey && L.vars.get(ctx.resultKey)?.kind === 'va' && VA_ALLOCATORS.has(name)) op = 'va_alloc';
  if (api.execCtx !== undefined && args[api.execCtx] && isLocalStruct(L, args[api.execCtx]!)) opts.local_exec = true;
  const ev: Extract<IrEvent, { kind: 'api' }> = { kind: 'api', op, args: irArgs, label, ...(Object.keys(opts).length ? { opts } : {}) };
  const out: CallValue = {};
  const handle = api.result === 'handle' || ((op === 'alloc' || op === 'va_alloc') && api.fails === 'null');
  if (handle) {
    const res = ctx.resultKey ?? (ctx.wantValue ? L.temp() : undefined);
    if (res) {
      ev.result = res;
      out.key = res;
      out.bound = !!ctx.resultKey;
      if (ctx.escapes) ev.resultEscapes = true;
    }
  } else if (api.result) {
    const v = ctx.resultVar ?? (ctx.inCond || ctx.wantValue ? L.temp('r') : undefined);
    if (v) {
      ev.resultVar = v;
      out.resultVar = v;
      out.bound = !!ctx.resultVar;
      L.resultVars.add(v);
      if (api.result === 'true-on-success') { L.inverted.add(v); out.inverted = true; } else L.inverted.delete(v);
    }
  }
  L.emit(ev, span);
  if (LOCKING_OPS.has(op)) L.entryPhase = false;
  return out;
}

/** Lower an argument's nested calls, binding their results where the argument reading will find them. */
function lowerExprKeep(L: FnLowering, a: Node): void {
  const x = peel(a);
  if (x.type === 'call_expression') {
    const v = lowerExpr(L, x, { wantValue: true });
    if (v.key) L.nested.set(x.startIndex, v.key);
  } else lowerExpr(L, x);
}

type ArgRead = { arg: IrArg; op?: string } | 'skip' | 'nothing';

function readArg(L: FnLowering, op: string, spec: CArg, args: Node[]): ArgRead {
  if (spec.from < 0) return { arg: { key: '#locked_objects', kind: 'gem', text: 'the objects of the request' } };
  const n = args[spec.from];
  if (!n) return 'nothing';
  const text = labelText(L.text, n, 40);
  const nested = L.nested.get(peel(n).startIndex);
  const key = (): string | undefined => nested ?? keyOf(n, L.env);
  switch (spec.read) {
    case 'resv': {
      const o = resvOwnerOf(n, L.env);
      return { arg: o ? { key: o.key, kind: o.kind, text } : { key: textKey(L, n), kind: 'gem', text } };
    }
    case 'lock': {
      const lk = lockOf(n, L.env);
      if (lk && 'gpuva' in lk) {
        return { arg: { key: lk.gpuva, kind: 'gem', text }, op: op === 'mutex_lock' ? 'gpuva_lock' : op === 'mutex_unlock' ? 'gpuva_unlock' : op };
      }
      return { arg: { key: lk?.name ?? textKey(L, n), kind: 'lock-name', text } };
    }
    case 'spinlock':
      return { arg: { key: keyOf(n, L.env) ?? textKey(L, n), kind: 'lock-name', text } };
    case 'gem': {
      const vm = vmOfResvObject(n, L.env);
      if (vm && op === 'exec_prepare_obj') return { arg: { key: vm, kind: 'vm', text }, op: 'prepare_vm' };
      const k = vm ? `${vm}.r_obj` : key();
      if (k === 'NULL') return 'nothing';
      return { arg: { key: k ?? textKey(L, n), kind: 'gem', text } };
    }
    default: {
      let k = key();
      if (k === 'NULL') return op === 'va_remap' && spec.from !== 2 ? 'skip' : 'nothing';
      k ??= textKey(L, n);
      if (spec.field) k = `${k}.${spec.field}`;
      return { arg: { key: k, kind: spec.read, text: spec.field ? `${text}->${spec.field}` : text } };
    }
  }
}

/** `&exec`, `&vm_exec` of a struct declared in this function (not reached through a pointer). */
function isLocalStruct(L: FnLowering, n: Node): boolean {
  const k = keyOf(n, L.env);
  const root = k?.split(/[.[]/)[0];
  const v = root ? L.vars.get(root) : undefined;
  return !!v && !v.isParam && !v.pointer && !/->/.test(L.text.slice(n.startIndex, n.endIndex));
}

/** kfree(vma) of a drm_gpuva (or a driver VA that embeds one). */
function lowerVaFree(L: FnLowering, arg: Node | undefined, span: Span, label: string): boolean {
  if (!arg) return false;
  const x = peel(arg);
  const v = x.type === 'identifier' ? L.vars.get(x.text) : undefined;
  if (!v || v.kind !== 'va') return false;
  L.emit({ kind: 'api', op: 'va_free', args: [{ key: x.text, kind: 'va', text: x.text }], label }, span);
  return true;
}

/** mutex_lock / spin_lock style event for a lock expression; returns the matching release. */
export function lowerLockEvent(L: FnLowering, kind: 'lock' | 'spinlock', lockArg: Node, take: boolean, span: Span, label: string): IrEvent | undefined {
  const text = labelText(L.text, lockArg, 40);
  let acquire: Extract<IrEvent, { kind: 'api' }>;
  let release: Extract<IrEvent, { kind: 'api' }>;
  if (kind === 'spinlock') {
    const arg: IrArg = { key: keyOf(lockArg, L.env) ?? textKey(L, lockArg), kind: 'lock-name', text };
    acquire = { kind: 'api', op: 'spin_lock', args: [arg], label };
    release = { kind: 'api', op: 'spin_unlock', args: [arg], label: `end of ${label}` };
  } else {
    const lk = lockOf(lockArg, L.env);
    const gpuva = lk && 'gpuva' in lk;
    const arg: IrArg = gpuva ? { key: lk.gpuva, kind: 'gem', text } : { key: (lk && 'name' in lk ? lk.name : undefined) ?? textKey(L, lockArg), kind: 'lock-name', text };
    acquire = { kind: 'api', op: gpuva ? 'gpuva_lock' : 'mutex_lock', args: [arg], label };
    release = { kind: 'api', op: gpuva ? 'gpuva_unlock' : 'mutex_unlock', args: [arg], label: `end of ${label}` };
  }
  if (take) {
    L.emit(acquire, span);
    L.entryPhase = false;
  }
  return release;
}

/** `guard(mutex)(&lock);`: locked here, released when the enclosing block is left. */
function lowerGuard(L: FnLowering, inner: Node, args: Node[], span: Span, label: string): void {
  const type = callArgs(inner)[0]?.text.trim() ?? '';
  const kind = type === 'mutex' || /^rwsem/.test(type) ? 'lock' : /spinlock/.test(type) ? 'spinlock' : undefined;
  if (!kind || !args[0]) return;
  const rel = lowerLockEvent(L, kind, args[0], true, span, label);
  if (rel) L.addRelease(rel, span);
}

/**
 * kref_put(&x->kref, release): when the count drops to zero the release
 * function runs (kref_put_mutex: with the lock taken, which release drops).
 */
function lowerKrefPut(L: FnLowering, k: { release: number; lock?: number; spin?: boolean }, args: Node[], span: Span, label: string): CondEnds {
  const krefArg = args[0];
  const rel = args[k.release] ? peel(args[k.release]!) : undefined;
  const relName = rel?.type === 'identifier' ? rel.text : undefined;
  const f = L.b.fork(undefined, label, span);
  L.b.open = f.then;
  L.emit({ kind: 'nop', label: `${label}: the count drops to zero` }, span);
  if (k.lock !== undefined && args[k.lock]) lowerLockEvent(L, k.spin ? 'spinlock' : 'lock', args[k.lock]!, true, span, `${label} (takes the lock on the last put)`);
  if (relName) {
    let key = krefArg ? keyOf(krefArg, L.env) ?? null : null;
    const m = containerMembers(L, relName)?.get(0);
    if (key && m && key.endsWith(`.${m}`)) key = key.slice(0, -(m.length + 1));
    L.callees.add(relName);
    L.emit({ kind: 'call', callee: relName, args: [key], label: `${relName}() (release)` }, span);
  }
  const t = L.b.open;
  return { t, f: f.else };
}

function lowerAssertion(L: FnLowering, name: string, args: Node[]): void {
  if (!L.entryPhase) return;
  const a = ASSERTIONS[name]!;
  const n = a.arg < 0 ? args[args.length + a.arg] : args[a.arg];
  if (!n) return;
  const text = labelText(L.text, n, 40);
  const push = (lock: 'resv' | 'gpuva' | 'mutex', arg: IrArg): void => {
    if (!L.entryLocks.some((e) => e.lock === lock && e.arg.key === arg.key)) L.entryLocks.push({ lock, arg });
  };
  switch (a.lock) {
    case 'lock': {
      const lk = lockOf(n, L.env);
      if (lk && 'gpuva' in lk) push('gpuva', { key: lk.gpuva, kind: 'gem', text });
      else if (lk) push('mutex', { key: lk.name, kind: 'lock-name', text });
      return;
    }
    case 'resv': {
      const o = resvOwnerOf(n, L.env);
      if (o) push('resv', { key: o.key, kind: o.kind, text });
      return;
    }
    case 'vm-resv': {
      const k = keyOf(n, L.env);
      if (k && k !== 'NULL') push('resv', { key: k, kind: 'vm', text });
      return;
    }
    case 'list': {
      // The lock of a GEM's gpuva list: gpuva.lock in immediate mode, the GEM's resv otherwise.
      const k = keyOf(n, L.env);
      if (!k || k === 'NULL') return;
      if (L.file.immediate) push('gpuva', { key: k, kind: 'gem', text }); else push('resv', { key: k, kind: 'gem', text });
    }
  }
}

function recordVmInit(L: FnLowering, args: Node[], span: Span): { immediate: boolean; resvProtected: boolean } | undefined {
  const flags = args[VM_INIT.flags];
  if (!flags) return undefined;
  let t = L.text.slice(flags.startIndex, flags.endIndex);
  // `flags` set earlier in the function.
  if (/^\w+$/.test(t.trim()) && !/^DRM_GPUVM_|^\d/.test(t.trim())) t = L.lastValue.get(t.trim()) ?? '';
  const immediate = /DRM_GPUVM_IMMEDIATE_MODE/.test(t);
  const resvProtected = /DRM_GPUVM_RESV_PROTECTED/.test(t);
  const known = immediate || resvProtected || /^\s*0\s*$/.test(t) || /^[\sA-Z_|()]*$/.test(t);
  if (!t.trim() || !known) return undefined;
  // Before immediate mode, a registered driver mutex protected the gpuva lists as gpuva.lock does in immediate mode.
  if (L.file.driverListLock && !immediate) {
    L.file.vmInits.push({ immediate: true, resvProtected, span, source: 'drm_gpuvm_init flags and a gpuva list lock set by drm_gem_gpuva_set_lock' });
    return { immediate: true, resvProtected };
  }
  L.file.vmInits.push({ immediate, resvProtected, span, source: 'drm_gpuvm_init flags' });
  return { immediate, resvProtected };
}
