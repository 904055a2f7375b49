// Calls: GPUVM API methods and functions (through the tables of src/api/rust.ts),
// the raw `bindings::` C calls of the binding layer, ownership plumbing
// (drop, ManuallyDrop, mem::forget, ARef::from_raw ...), constructors, closures
// passed to combinators, macros, and calls to the program's own functions.

import type { SNode as Node } from './snode';
import type { IrArg, Span } from '../../analysis/ir';
import {
  CLASSES, DEFERRED_CLOSURE_TAKERS, GFP_ARG, BORROW_METHODS, IMMEDIATE_CLOSURE_TAKERS, PASS_METHODS, METHODS, OWNERSHIP_FUNCTIONS,
  PANICKING_METHODS, PATH_CALLS, RAW_BINDINGS, STD_METHODS, TAKE_METHODS, pickApi, type ApiCall, type ClassId,
} from '../../api/rust';
import type { FnItem } from './items';
import { resolveRef, shortText, type ExprOpts, type FnLowerer } from './lower';
import { STD_MODULES, STD_TYPES, receiverType } from './names';
import { spanOf } from '../lines';
import { classify, parseType, partsOf, typeClass, unwrapType, type TypeRef } from './types';
import { joinFlows, unit, type Flow, type Value } from './values';

type Arg = { node: Node; value: Value };

/** Every function of the file by that name returns a view of its receiver (`fn as_raw(&self)`). */
export function isProjection(defs: FnItem[] | undefined): boolean {
  return !!defs?.length && defs.every((f) => f.projection);
}

/** Methods that test a pointer or Option for NULL/None: conditions the model can decide. */
const NULL_TESTS: Record<string, { test: 'null' | 'null-or-err'; negate: boolean }> = {
  is_null: { test: 'null', negate: false },
  is_none: { test: 'null-or-err', negate: false },
  is_some: { test: 'null-or-err', negate: true },
  is_err: { test: 'null-or-err', negate: false },
  is_ok: { test: 'null-or-err', negate: true },
};

// ---- method calls ---------------------------------------------------------------------------------------

export function lowerMethodCall(L: FnLowerer, n: Node, fnNode: Node, opts: ExprOpts): Value {
  const recvN = fnNode.childForFieldName('value');
  const method = fnNode.childForFieldName('field')?.text ?? '';
  const argsN = n.childForFieldName('arguments');
  const argc = (argsN?.namedChildren ?? []).filter((c) => c && c.type !== 'line_comment' && c.type !== 'block_comment').length;
  const span = spanOf(n);
  const text = shortText(n);

  const borrows = BORROW_METHODS.has(method) || (method === 'get' && argc === 0) || (argc === 0 && isProjection(L.f.items.byName.get(method)));
  if (borrows || PASS_METHODS.has(method)) {
    const panics = PANICKING_METHODS.has(method);
    const recv = recvN ? L.lowerExpr(recvN, borrows ? {} : { ...opts, checked: opts.checked || panics }) : unit();
    const args = L.lowerArgs(argsN);
    runClosures(L, args, method, span);
    let v: Value = { ...recv, text: n.text, ...(borrows ? { borrowed: true } : {}) };
    if (panics) {
      // Err/None panics: that path ends here.
      delete v.err;
      if (recv.nullable && L.reachable) {
        const [, ok] = L.fork({ test: 'null-or-err', key: recv.nullable, negate: false }, `${text} panics`, span);
        L.setFlow(ok);
      }
      v = { ...v, ...(recv.type ? { type: unwrapType(recv.type) } : {}) };
      delete v.nullable;
      delete v.errVar;
    }
    return v;
  }

  let recv = recvN ? L.lowerExpr(recvN) : unit();
  // A lock guard's methods are its data's: `guard.take()` takes from the protected Option.
  if (recv.cls && CLASSES[recv.cls].guard && (recv.cls === 'mutex_guard' || recv.cls === 'spin_guard')) recv = guardData(L, recv);

  if (TAKE_METHODS.has(method) && argc === 0) return takeOut(L, recv, n, opts);
  const test = NULL_TESTS[method];
  if (test && argc === 0 && recv.key) return { text: n.text, parts: [], cond: { test: test.test, key: recv.key, negate: test.negate } };

  const sameFile = L.f.items.byName.get(method);
  const recvType = receiverType(recv.type, L.shape.implType);
  const definedHere = sameFile?.some((f) => f.implType && (f.implType === recvType || (recvN?.type === 'self' && f.implType === L.shape.implType)));
  // The program's own method wins, except for accessors, which mean the same wherever they are defined.
  const row = pickApi(METHODS[method], L.gen, recv.cls, argc);
  const api = definedHere && !row?.view && !row?.resvOf ? undefined : row;
  if (api) {
    const args = L.lowerArgs(argsN);
    runClosures(L, args, method, span);
    return applyApi(L, api, n, recv, args, opts);
  }

  const args = L.lowerArgs(argsN);
  if (!sameFile && (STD_METHODS.has(method) || (recv.cls && CLASSES[recv.cls].kind))) {
    // A std or binding accessor: borrows its receiver, owns nothing.
    runClosures(L, args, method, span);
    gfpAlloc(L, args, text, span);
    return { text: n.text, parts: [] };
  }
  // A method of the program (maybe in another file): inlined by the analysis. Without the
  // receiver's type it is some type's method: the call graph cannot tell which.
  const selfType = recvN?.type === 'self' ? L.shape.implType : undefined;
  const owner = recvType ?? selfType;
  const callee = owner ? sameFile?.find((f) => f.implType === owner) : undefined;
  const calleeName = owner && /^[A-Z]/.test(owner) && !STD_TYPES.test(owner) ? `${owner}::${method}` : `?::${method}`;
  runClosures(L, args, method, span);
  gfpAlloc(L, args, text, span);
  const recvMoved = !!callee?.self?.byValue;
  return programCall(L, n, calleeName, recv, args, callee?.returnType, recvMoved, opts);
}

/** What a guard dereferences to: the protected data, a place the model does not track. */
function guardData(L: FnLowerer, g: Value): Value {
  const t = g.type;
  const vc = t ? classify(t, undefined, L.f.items.defs) : undefined;
  return { text: g.text, parts: [], borrowed: true, ...(g.key ? { key: g.key } : {}), ...(t ? { type: t } : {}), ...(vc ? { cls: vc.cls } : {}) };
}

/** `x.take()`: the handle moves out of the place into a new temporary, the place is None. */
function takeOut(L: FnLowerer, recv: Value, n: Node, opts: ExprOpts): Value {
  if (!recv.key || recv.borrowed || !recv.parts.length) {
    // Taken out of data the model does not track (behind a guard, a field of a borrowed struct):
    // a new owned value of the Option's type.
    const inner: TypeRef | undefined = recv.type ? unwrapType(recv.type) : undefined;
    const parts = inner ? partsOf(inner, L.f.items.defs, L.shape.implType) : [];
    const dst = opts.want ?? L.tempKey('take', n);
    for (const p of parts) if (!p.manual && L.hasDropCls(p.cls)) L.addTemp({ key: p.path ? `${dst}.${p.path}` : dst, cls: p.cls, label: shortText(n) });
    const vc = inner ? classify(inner, L.shape.implType, L.f.items.defs) : undefined;
    return { text: n.text, key: dst, parts, temp: true, nullable: dst, ...(inner ? { type: inner } : {}), ...(vc ? { cls: vc.cls } : {}) };
  }
  const dst = opts.want ?? L.tempKey('take', n);
  for (const p of recv.parts) {
    const src = p.path ? `${recv.key}.${p.path}` : recv.key!;
    const to = p.path ? `${dst}.${p.path}` : dst;
    if (CLASSES[p.cls].kind) L.emit({ kind: 'assign', target: to, source: src, targetIsLocal: true, label: `${shortText(n)}` }, spanOf(n));
    if (!p.manual && L.hasDropCls(p.cls)) {
      L.kill(src);
      L.addTemp({ key: to, cls: p.cls, label: shortText(n), ...(p.meta ? { meta: p.meta } : {}) });
    }
    if (CLASSES[p.cls].kind) L.emit({ kind: 'assign', target: src, source: 'NULL', targetIsLocal: true, label: `${shortText(recv.text)} is None` }, spanOf(n));
  }
  return { text: n.text, key: dst, parts: recv.parts, temp: true, nullable: dst, ...(recv.cls ? { cls: recv.cls } : {}), ...(recv.type ? { type: unwrapType(recv.type) } : {}) };
}

// ---- API recipes --------------------------------------------------------------------------------------

function applyApi(L: FnLowerer, api: ApiCall, n: Node, recv: Value | undefined, args: Arg[], opts: ExprOpts): Value {
  const span = spanOf(n);
  const text = shortText(n);
  if (api.view) {
    return {
      text: n.text, parts: [], borrowed: true, ...(recv?.key ? { key: `${recv.key}${api.view.suffix}` } : {}),
      ...(api.view.cls ? { cls: api.view.cls } : {}), ...(recv?.place ? { place: true } : {}),
    };
  }
  const result = api.returns || api.steps.some((s) => 'op' in s && s.result === '$result')
    ? opts.want ?? L.tempKey(api.what.replace(/\(.*$/, '').split('::').pop() || 'api', n)
    : undefined;
  const bind: Record<string, string | undefined> = { result };
  if (recv?.key) bind.recv = recv.key;
  for (const [k, v] of Object.entries(recv?.meta ?? {})) bind[`recv.${k}`] = v;
  args.forEach((a, i) => {
    bind[String(i)] = a.value.key;
    bind[`gfp${i}`] = gfpOf(a.node);
  });
  if (api.resvOf) {
    const k = resolveRef(api.resvOf.ref, bind);
    return { text: n.text, parts: [], borrowed: true, ...(k ? { resvOf: { key: k, kind: api.resvOf.kind }, key: `${k}.resv` } : {}) };
  }
  // Arguments the API takes by value are its own now.
  for (const i of api.moves ?? []) {
    const a = args[i];
    if (a) L.consume(a.value);
  }
  // GpuVm::new(.., flags, ..): flags spelled out in the call say the VM's mode.
  const flags = args.map((a) => a.node.text).find((t) => /DRM_GPUVM_(?:IMMEDIATE_MODE|RESV_PROTECTED)/.test(t));
  const steps = flags ? api.steps.map((st) => ('op' in st && st.op === 'vm_init'
    ? { ...st, opts: { ...(/IMMEDIATE_MODE/.test(flags) ? { immediate: true } : { staged: true }), ...(/RESV_PROTECTED/.test(flags) ? { resv_protected: true } : { unprotected: true }) } }
    : st)) : api.steps;
  const err = L.applySteps(steps, bind, text, span);
  const out: Value = { text: n.text, parts: [] };
  if (api.returns && result) {
    const info = CLASSES[api.returns];
    const meta: Record<string, string> = {};
    for (const [k, ref] of Object.entries(api.guard ?? {})) {
      const r = resolveRef(ref, bind);
      if (r !== undefined) meta[k] = r;
    }
    out.key = result;
    out.cls = api.returns;
    out.temp = true;
    if (info.guard) for (const st of api.steps) if ('op' in st && /_lock$/.test(st.op) && st.args[0]) { const k = resolveRef(st.args[0].ref, bind); if (k) L.guardLocks.add(k); }
    if (Object.keys(meta).length) out.meta = meta;
    if (info.owning) {
      out.parts = [{ path: '', cls: api.returns, ...(Object.keys(meta).length ? { meta } : {}) }];
      if (L.hasDropCls(api.returns)) L.addTemp({ key: result, cls: api.returns, label: text, ...(Object.keys(meta).length ? { meta } : {}) });
    }
    if (api.steps.some((s) => 'failIfNull' in s)) out.nullable = result;
    if (api.guardsData && recv?.type?.args[0]) out.type = recv.type.args[0];
  }
  settleErr(L, out, err, opts);
  return out;
}

/** The flow where a call failed: the caller's `?`/match takes it, or it rejoins here. */
function settleErr(L: FnLowerer, v: Value, err: Flow | undefined, opts: ExprOpts): void {
  if (!err || !err.open.length) return;
  if (opts.checked) v.err = v.err ? joinFlows([v.err, err]) : err;
  else L.joinInto([L.flow(), err]);
}

function gfpOf(n: Node): string | undefined {
  const t = n.text;
  return GFP_ARG.test(t) ? t.replace(/\s+/g, ' ') : '?';
}

/** A literal GFP flag passed to a call means the callee allocates with it. */
function gfpAlloc(L: FnLowerer, args: Arg[], text: string, span: Span): void {
  for (const a of args) {
    if (!GFP_ARG.test(a.node.text) || !L.reachable) continue;
    L.emit({ kind: 'api', op: 'alloc', args: [], label: text, opts: { gfp: a.node.text.replace(/\s+/g, ' ') } }, span);
    return;
  }
}

/** Closures passed as arguments: run them here, or let them escape. */
function runClosures(L: FnLowerer, args: Arg[], callee: string, span: Span): void {
  for (const a of args) {
    const c = a.value.closure;
    if (!c) continue;
    if (DEFERRED_CLOSURE_TAKERS.test(callee)) { L.closureEscapes(a.value, `passed to ${callee}()`); continue; }
    L.callClosure(c, span, `${callee}(): runs ${shortText(a.node)}`);
    if (!IMMEDIATE_CLOSURE_TAKERS.test(callee) && c.isMove) L.closureEscapes(a.value, `passed to ${callee}()`);
  }
}

// ---- calls of the program -------------------------------------------------------------------------------

function programCall(L: FnLowerer, n: Node, callee: string, recv: Value | undefined, args: Arg[], returnType: string | undefined,
  recvMoved: boolean, opts: ExprOpts): Value {
  const span = spanOf(n);
  const text = shortText(n);
  if (!L.reachable) return { ...unit(n.text), diverges: true };
  const all: Array<{ value: Value; moved: boolean }> = [];
  if (recv) all.push({ value: recv, moved: recvMoved });
  for (const a of args) all.push({ value: a.value, moved: !a.value.borrowed && !!a.value.key && a.value.parts.length > 0 });
  if (callee.startsWith('?::')) {
    // A method of a type nobody knows: no function of the program to inline; what it takes by value is its own.
    for (const x of all) if (x.moved) L.handOn(x.value, `moved into ${text}`, span);
    return { text: n.text, parts: [], ...(returnType ? { type: unwrapType(parseType(returnType)) } : {}) };
  }
  const ret = returnType ? classify(unwrapType(parseType(returnType)), L.shape.implType, L.f.items.defs) : undefined;
  const owned = ret?.owned && CLASSES[ret.cls].owning ? ret : undefined;
  // Always name the result: an inlined callee's returned handle must land somewhere.
  const result = opts.want ?? L.tempKey(callee.split('::').pop() ?? 'call', n);
  const errVar = opts.checked ? `${result ?? L.tempKey('call', n)}?err` : undefined;
  const moves = all.map((x, i) => (x.moved ? i : -1)).filter((i) => i >= 0);
  L.emit({
    kind: 'call', callee, args: all.map((x) => x.value.key ?? null), label: text,
    ...(result ? { result } : {}), ...(errVar ? { resultVar: errVar } : {}),
    // A result of a type this file cannot see is not tracked by the caller: hand it on.
    ...(result && !owned ? { resultEscapes: true } : {}),
    ...(moves.length ? { moves } : {}),
  }, span);
  for (const x of all) if (x.moved) L.consume(x.value);
  const out: Value = { text: n.text, parts: [] };
  if (result) out.key = result;
  if (errVar) out.errVar = errVar;
  if (owned && result) {
    out.cls = owned.cls;
    out.temp = true;
    out.parts = [{ path: '', cls: owned.cls }];
    if (L.hasDropCls(owned.cls)) L.addTemp({ key: result, cls: owned.cls, label: text });
  }
  if (returnType) out.type = unwrapType(parseType(returnType));
  return out;
}

// ---- path calls -----------------------------------------------------------------------------------------

/** Arguments of a one-field wrapper: the only one is built where the wrapper goes. */
function lowerArgsInto(L: FnLowerer, argsN: Node | null, opts: ExprOpts): Arg[] {
  const list = (argsN?.namedChildren ?? []).filter((c) => c.type !== 'line_comment' && c.type !== 'block_comment' && c.type !== 'attribute_item');
  if (list.length !== 1) return L.lowerArgs(argsN);
  return [{ node: list[0]!, value: L.lowerExpr(list[0]!, opts) }];
}

/** `a::b::<T>::f` -> segments without generics, `Self` resolved. */
function pathSegments(L: FnLowerer, n: Node): string[] {
  const t = n.text.replace(/::\s*</g, '<');
  let depth = 0;
  let out = '';
  for (const ch of t) {
    if (ch === '<') { depth++; continue; }
    if (ch === '>') { depth = Math.max(0, depth - 1); continue; }
    if (depth === 0) out += ch;
  }
  const segs = out.split('::').map((s) => s.trim()).filter(Boolean);
  if (segs[0] === 'Self' && L.shape.implType) segs[0] = L.shape.implType;
  return segs;
}

function turbofishType(n: Node): string | undefined {
  const m = /::\s*<(.*)>\s*::\s*\w+$/s.exec(n.text) ?? /^\s*\w+::<(.*)>::/s.exec(n.text);
  return m ? m[1] : undefined;
}

export function lowerCall(L: FnLowerer, n: Node, fnNode: Node | null, opts: ExprOpts): Value {
  const argsN = n.childForFieldName('arguments');
  const span = spanOf(n);
  const text = shortText(n);
  if (!fnNode) return unit(n.text);
  let target = fnNode;
  if (fnNode.type === 'generic_function') {
    const inner = fnNode.childForFieldName('function');
    if (inner?.type === 'field_expression') return lowerMethodCall(L, n, inner, opts);
    if (inner) target = inner;
  }
  if (target.type !== 'identifier' && target.type !== 'scoped_identifier') {
    // A call of a computed function value: evaluate, nothing known.
    L.lowerExpr(target);
    L.lowerArgs(argsN);
    return unit(n.text);
  }
  const segs = pathSegments(L, fnNode);
  const last = segs[segs.length - 1] ?? '';
  const last2 = segs.slice(-2).join('::');

  // A closure bound to a local.
  const local = segs.length === 1 ? L.lookup(last) : undefined;
  if (local?.closure) {
    L.lowerArgs(argsN);
    L.callClosure(local.closure, span, text);
    return unit(n.text);
  }

  if (segs.includes('bindings') && RAW_BINDINGS[last]) return rawBinding(L, n, last, L.lowerArgs(argsN), opts);

  const own = OWNERSHIP_FUNCTIONS[last2] ?? OWNERSHIP_FUNCTIONS[segs.join('::')] ?? (segs.length === 1 ? OWNERSHIP_FUNCTIONS[last] : undefined);
  // Wrappers pass the destination on: `Ok(Foo { .. })` builds Foo where the Ok goes.
  if (own === 'identity') {
    // `Ok(x)` / `Some(x)` / `to_result(x)`: x goes where the wrapper goes, with the wrapped type and its failure checked.
    const wrapped = /^(?:Some|Ok)$/.test(last) && opts.type ? unwrapType(opts.type) : undefined;
    const inner: ExprOpts = { ...(opts.want ? { want: opts.want } : {}), ...(opts.checked ? { checked: true } : {}), ...(wrapped ? { type: wrapped } : {}) };
    return ownership(L, n, own, lowerArgsInto(L, argsN, inner), opts);
  }
  if (own) return ownership(L, n, own, L.lowerArgs(argsN), opts);

  if (/^(?:core::)?ptr::eq$/.test(segs.join('::')) || last2 === 'ptr::eq') {
    const [a, b] = L.lowerArgs(argsN);
    if (a?.value.key && b?.value.key) return { text: n.text, parts: [], cond: { test: 'same', key: a.value.key, other: b.value.key, negate: false } };
    return unit(n.text);
  }

  const api = pickApi(PATH_CALLS[last2], L.gen, undefined, -1);
  if (api) {
    const args = L.lowerArgs(argsN);
    runClosures(L, args, last, span);
    return applyApi(L, api, n, undefined, args, opts);
  }

  if (isConstructor(L, segs)) {
    const cls = typeClass(last, L.f.items.defs);
    return construct(L, n, segs, cls && CLASSES[cls].owning ? L.lowerArgs(argsN) : lowerArgsInto(L, argsN, opts.want ? { want: opts.want } : {}), opts);
  }
  const args = L.lowerArgs(argsN);

  runClosures(L, args, last, span);
  gfpAlloc(L, args, text, span);
  if (segs.length >= 2 && STD_MODULES.test(segs[0]!) && !L.f.items.byName.has(last)) return { text: n.text, parts: [] };
  if (segs.length >= 2 && STD_TYPES.test(segs[segs.length - 2]!) && !L.f.items.byName.has(last)) return wrapArgs(L, n, args, opts);
  const defs = L.f.items.byName.get(last);
  const typeSeg = segs.length >= 2 ? segs[segs.length - 2]! : undefined;
  const calleeItem = defs?.find((f) => (typeSeg && /^[A-Z]/.test(typeSeg) ? f.implType === typeSeg : !f.implType));
  const callee = typeSeg && /^[A-Z]/.test(typeSeg) ? `${typeSeg}::${last}` : last;
  const out = programCall(L, n, callee, undefined, args, calleeItem?.returnType, false, opts);
  // `Type::new(..)` and friends return the type (or a Result of it) when nothing else is known.
  if (!out.type && typeSeg && /^[A-Z]/.test(typeSeg) && /^(?:try_)?new\w*$/.test(last)) out.type = parseType(typeSeg);
  return out;
}

/**
 * `Mutex::new(x)`, `KBox::new(x, GFP_KERNEL)`, `Arc::pin_init(init, flags)`: a std or kernel
 * container takes its by-value arguments; the first one's handles are the new value's.
 */
function wrapArgs(L: FnLowerer, n: Node, args: Arg[], opts: ExprOpts): Value {
  const owned = args.filter((a) => a.value.key && !a.value.borrowed && a.value.parts.length);
  const [first, ...rest] = owned;
  for (const a of rest) L.handOn(a.value, `moved into ${shortText(n)}`, spanOf(n));
  for (const a of args) if (a.value.closure) L.closureEscapes(a.value, `stored by ${shortText(n)}`);
  if (!first) return { text: n.text, parts: [] };
  if (opts.want && first.value.key !== opts.want) {
    L.moveInto(first.value, opts.want);
    for (const p of first.value.parts) if (!p.manual && L.hasDropCls(p.cls)) L.addTempNoBirth({ key: p.path ? `${opts.want}.${p.path}` : opts.want, cls: p.cls, label: shortText(n) });
    return { text: n.text, key: opts.want, parts: first.value.parts, temp: true };
  }
  return { ...first.value, text: n.text };
}

function isConstructor(L: FnLowerer, segs: string[]): boolean {
  const last = segs[segs.length - 1] ?? '';
  if (!/^[A-Z]/.test(last)) return false;
  if (typeClass(last, L.f.items.defs) || L.f.items.defs.structs.has(last)) return true;
  const en = segs.length >= 2 ? L.f.items.defs.enums.get(segs[segs.length - 2]!) : undefined;
  return !!en?.has(last) || segs.length >= 2;
}

/** `Type(args)` / `Enum::Variant(args)`: a value holding its arguments. */
function construct(L: FnLowerer, n: Node, segs: string[], args: Arg[], opts: ExprOpts): Value {
  const last = segs[segs.length - 1]!;
  const cls: ClassId | undefined = typeClass(last, L.f.items.defs);
  const info = cls ? CLASSES[cls] : undefined;
  if (args.length === 1) {
    const a = args[0]!.value;
    if (a.closure) L.closureEscapes(a, `stored in ${last}`);
    if (!info?.owning) return { ...a, text: n.text, ...(cls ? { cls } : {}) };
    // A handle type wrapping its argument: GpuVmBoAlloc(ptr), UniqueRefGpuVm(aref).
    if (a.parts.length && !a.borrowed) {
      return { ...a, text: n.text, cls: cls!, parts: [{ path: '', cls: cls! }] };
    }
    return fresh(L, n, cls!, a.key, opts);
  }
  const dest = opts.want ?? L.tempKey(last, n);
  const parts: Value['parts'] = [];
  args.forEach((a, i) => L.absorb(a.value, dest, String(i), parts));
  return { text: n.text, key: dest, parts, temp: true, ...(cls ? { cls } : {}) };
}

/** A new owned handle made from a raw pointer (ARef::from_raw, GpuVmBoAlloc(ptr)). */
function fresh(L: FnLowerer, n: Node, cls: ClassId, from: string | undefined, opts: ExprOpts): Value {
  const key = opts.want ?? L.tempKey(cls, n);
  if (from && from !== key && CLASSES[cls].kind) L.emit({ kind: 'assign', target: key, source: from, targetIsLocal: true, label: `${shortText(n)}` }, spanOf(n));
  const v: Value = { text: n.text, key, cls, parts: [{ path: '', cls }], temp: true };
  if (L.hasDropCls(cls)) L.addTemp({ key, cls, label: shortText(n) });
  return v;
}

function ownership(L: FnLowerer, n: Node, what: (typeof OWNERSHIP_FUNCTIONS)[string], args: Arg[], opts: ExprOpts): Value {
  const span = spanOf(n);
  const a = args[0]?.value ?? unit();
  switch (what) {
    case 'drop': {
      for (const d of L.valueDroppables(a)) L.drop(d, shortText(n), span);
      L.claim(a);
      return unit(n.text);
    }
    case 'forget': {
      for (const d of L.valueDroppables(a)) {
        if (CLASSES[d.cls].kind) L.emit({ kind: 'forget', key: d.key, label: `${shortText(n)}: ${d.label} is never released` }, span);
        L.kill(d.key);
      }
      L.claim(a);
      return unit(n.text);
    }
    case 'manually-drop': {
      // The value moves into a ManuallyDrop: no drop will release it.
      if (a.key && !a.borrowed && a.parts.length) {
        const key = opts.want ?? L.tempKey('manually_drop', n);
        if (a.key !== key) {
          for (const p of a.parts) {
            const src = p.path ? `${a.key}.${p.path}` : a.key;
            const dst = p.path ? `${key}.${p.path}` : key;
            if (CLASSES[p.cls].kind) L.emit({ kind: 'assign', target: dst, source: src, targetIsLocal: true, label: shortText(n) }, span);
            L.kill(src);
          }
        } else for (const d of L.valueDroppables(a)) L.kill(d.key);
        L.claim(a);
        return { text: n.text, key, parts: a.parts, manual: true, ...(a.cls ? { cls: a.cls } : {}), ...(a.type ? { type: a.type } : {}) };
      }
      return { ...a, text: n.text, manual: true };
    }
    case 'take-manual': {
      // ManuallyDrop::take / into_inner: the value is owned (and dropped) again.
      if (!a.key) return unit(n.text);
      const key = opts.want ?? L.tempKey('take', n);
      const parts = a.parts;
      for (const p of parts) {
        const src = p.path ? `${a.key}.${p.path}` : a.key;
        const dst = p.path ? `${key}.${p.path}` : key;
        if (CLASSES[p.cls].kind && src !== dst) L.emit({ kind: 'assign', target: dst, source: src, targetIsLocal: true, label: shortText(n) }, span);
        if (L.hasDropCls(p.cls)) L.addTemp({ key: dst, cls: p.cls, label: shortText(n) });
      }
      return { text: n.text, key, parts, temp: true, ...(a.cls ? { cls: a.cls } : {}) };
    }
    case 'into-raw': {
      // The Rust handle ends without a put: the reference now lives in a raw pointer.
      for (const d of L.valueDroppables(a)) L.kill(d.key);
      L.claim(a);
      return { text: n.text, parts: [], ...(a.key ? { key: a.key } : {}), borrowed: true };
    }
    case 'from-raw': {
      const t = turbofishType(args[0] ? n.childForFieldName('function') ?? n : n);
      const ty = t ? parseType(`ARef<${t}>`) : opts.type;
      const vc = ty ? classify(ty, L.shape.implType, L.f.items.defs) : undefined;
      if (vc && CLASSES[vc.cls].owning) return fresh(L, n, vc.cls, a.key, opts);
      return { text: n.text, parts: [], ...(a.key ? { key: a.key } : {}), ...(a.nullable ? { nullable: a.nullable } : {}) };
    }
    case 'aref-from': {
      // ARef::from(&*x): a new counted reference.
      const c = a.cls;
      const key = opts.want ?? L.tempKey('aref', n);
      if (a.key && (c === 'vm_unique' || c === 'gpuvm' || c === 'vm_ref' || c === 'updating_gpuvm')) {
        L.emit({ kind: 'api', op: 'vm_get', args: [{ key: a.key, text: a.text, kind: 'vm' }], result: key, label: `${shortText(n)}: drm_gpuvm_get()` }, span);
        L.addTemp({ key, cls: 'vm_ref', label: shortText(n) });
        return { text: n.text, key, cls: 'vm_ref', parts: [{ path: '', cls: 'vm_ref' }], temp: true };
      }
      if (a.key && (c === 'vm_bo' || c === 'vm_bo_view')) {
        L.emit({ kind: 'api', op: 'bo_get', args: [{ key: a.key, text: a.text, kind: 'vm_bo' }], result: key, label: `${shortText(n)}: drm_gpuvm_bo_get()` }, span);
        L.addTemp({ key, cls: 'vm_bo', label: shortText(n) });
        return { text: n.text, key, cls: 'vm_bo', parts: [{ path: '', cls: 'vm_bo' }], temp: true };
      }
      return { ...a, text: n.text };
    }
    case 'null':
      return { text: n.text, parts: [], isErr: true, null: true };
    case 'identity': {
      const path = pathSegments(L, n.childForFieldName('function') ?? n).join('::');
      if (path === 'Err') return { text: n.text, parts: [], isErr: true };
      const v: Value = { ...a, text: n.text };
      if (path === 'Some' || path === 'Ok') {
        v.isOk = true;
        if (a.closure) L.closureEscapes(a, `wrapped in ${path}`);
      }
      if (/(?:^|::)(?:NonNull::new|from_err_ptr)$/.test(path)) v.nullable = a.nullable ?? a.key;
      return v;
    }
  }
  return unit(n.text);
}

// ---- raw bindings -----------------------------------------------------------------------------------------

function rawBinding(L: FnLowerer, n: Node, name: string, args: Arg[], opts: ExprOpts): Value {
  const rb = RAW_BINDINGS[name]!;
  const span = spanOf(n);
  const irArgs: IrArg[] = [];
  let op = rb.op;
  for (const spec of rb.args) {
    const a = args[spec.from]?.value;
    if (!a?.key && !a?.resvOf) return { text: n.text, parts: [] };
    if (spec.kind === 'resv') {
      const r = a.resvOf ?? resvFromKey(a.key!, a.cls);
      irArgs.push({ key: r.key, kind: r.kind, text: args[spec.from]!.node.text });
      continue;
    }
    if (spec.kind === 'mutex') {
      // &obj->gpuva.lock is the GEM's gpuva lock; any other mutex is the driver's.
      const g = /^(.*)\.gpuva\.lock$/.exec(a.key!);
      if (g) { op = rb.op === 'mutex_lock' ? 'gpuva_lock' : 'gpuva_unlock'; irArgs.push({ key: g[1]!, kind: 'gem', text: args[spec.from]!.node.text }); } else irArgs.push({ key: a.key!, kind: 'lock-name', text: args[spec.from]!.node.text });
      continue;
    }
    const key = spec.path ? `${a.key}.${spec.path}` : a.key!;
    irArgs.push({ key, text: args[spec.from]!.node.text, ...(spec.kind ? { kind: spec.kind } : {}) });
  }
  if (!L.reachable) return { ...unit(n.text), diverges: true };
  const out: Value = { text: n.text, parts: [] };
  let err: Flow | undefined;
  if (rb.failsFirst) {
    const [t, e] = L.fork(undefined, `${shortText(n)}: ${rb.failsFirst}`, span);
    err = t;
    L.setFlow(e);
  }
  const result = rb.result ? opts.want ?? L.tempKey(name.replace(/^drm_gpuvm_|^drm_gpuva_/, ''), n) : undefined;
  L.emit({
    kind: 'api', op, args: irArgs, label: `${shortText(n)}`,
    ...(result ? { result } : {}), ...(rb.opts ? { opts: rb.opts } : {}),
  }, span);
  if (result) { out.key = result; out.nullable = result; }
  settleErr(L, out, err, opts);
  return out;
}

/** A raw `*mut dma_resv` from its key: `x.r_obj.resv` is the VM's, `gem.resv` the GEM's. */
function resvFromKey(key: string, cls: ClassId | undefined): { key: string; kind: 'vm' | 'gem' } {
  const k = key.replace(/\.resv$/, '');
  const r = /^(.*)\.r_obj$/.exec(k);
  if (r) return { key: r[1]!, kind: 'vm' };
  return { key: k, kind: cls && CLASSES[cls].kind === 'vm' ? 'vm' : 'gem' };
}

// ---- macros ---------------------------------------------------------------------------------------------

/** Initialiser macros move the locals they name into the object being built. */
const INIT_MACROS = /^(?:try_)?pin_init$|^(?:try_)?init$|^new_mutex$|^new_spinlock$|^new_spinlock_irq$|^new_condvar$|^new_work$/;

export function lowerMacro(L: FnLowerer, n: Node): Value {
  const name = (n.childForFieldName('macro')?.text ?? '').split('::').pop() ?? '';
  if (name === 'container_of') {
    // container_of!(ptr, Type, field): the same object, seen as its container.
    const first = /^\s*[(\[{]\s*&?\s*(?:raw\s+(?:mut|const)\s+)?\(?\*?\s*([A-Za-z_]\w*(?:\.\w+)*)/.exec(n.text.slice(n.text.indexOf('!') + 1));
    const v = first ? L.lookup(first[1]!.split('.')[0]!) : undefined;
    if (v && first) {
      const path = first[1]!.split('.').slice(1).join('.');
      return { text: n.text, parts: [], borrowed: true, key: path ? `${v.key}.${path}` : v.key, ...(v.nullable ? { nullable: v.nullable } : {}) };
    }
    return unit(n.text);
  }
  if (!INIT_MACROS.test(name)) return unit(n.text);
  const seen = new Set<string>();
  // The macro body is a token tree: its identifiers are found in its text.
  for (const m of n.text.matchAll(/\b[a-z_][A-Za-z0-9_]*\b/g)) {
    const id = m[0];
    if (seen.has(id)) continue;
    seen.add(id);
    const v = L.lookup(id);
    if (!v || !v.owned || v.manual) continue;
    L.handOn({ text: v.name, key: v.key, parts: v.parts, place: true, ...(v.meta ? { meta: v.meta } : {}) }, `moved into ${name}!()`, spanOf(n));
  }
  return unit(n.text);
}
