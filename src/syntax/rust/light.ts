// Functions that cannot touch GPUVM state: no GPUVM type, handle, lock, guard,
// raw binding or ownership plumbing appears in them (directly or through a
// field, struct or function of the file whose type does). For the analysis
// such a function is only its calls (the call graph and the signalling path
// run through it) and the allocations it asks for, so it is read from its text
// instead of being copied out of the tree and lowered: most of a driver is
// register, firmware and scheduling code of this kind.

import { CfgBuilder } from '../../analysis/cfg';
import type { IrFunction, IrParam, Span } from '../../analysis/ir';
import {
  BORROW_METHODS, DEFERRED_CLOSURE_TAKERS, FULL_LOWERING_WORDS, GFP_ARG, OWNERSHIP_FUNCTIONS, PANICKING_METHODS, PASS_METHODS, STD_METHODS, TYPE_CLASSES,
} from '../../api/rust';
import type { FnItem, FileItems } from './items';
import { isProjection } from './calls';
import { resolveAssoc } from './function';
import type { FileCtx } from './lower';
import { allowedIn, markersIn, squeeze } from './source';
import { headSpan, spanOf } from '../lines';
import { fieldType, parseType, partsOf, unwrapType, type TypeRef } from './types';
import { STD_MODULES, STD_TYPES, receiverType } from './names';

/** Names of the file that carry GPUVM state. */
export interface StateWords {
  /** Struct fields and structs (and enums) holding handles, guards or locks. */
  names: Set<string>;
  /** Functions whose signature mentions such state: name -> impl types ('' for free functions). */
  fns: Map<string, Set<string>>;
}

/**
 * What a function may name to touch GPUVM state without a GPUVM word of its
 * own: a field holding a handle, guard or lock, a struct or enum owning
 * handles (its drop releases them), or a function of the file taking or
 * returning any of these.
 */
export function stateWords(items: FileItems, code: string): StateWords {
  const names = new Set<string>();
  const fns = new Map<string, Set<string>>();
  const { defs } = items;
  const owns = (t: string): boolean => partsOf(parseType(t), defs).length > 0;
  for (const [name, st] of defs.structs) {
    for (const [field, ty] of st.fields) if (FULL_LOWERING_WORDS.test(ty) || owns(ty)) names.add(field);
    if (owns(name)) names.add(name);
  }
  for (const name of defs.enums.keys()) if (owns(name)) names.add(name);
  const named = wordFinder(names);
  for (const f of items.fns) {
    const sig = code.slice(f.start, f.bodyStart ?? f.end);
    if (!FULL_LOWERING_WORDS.test(sig) && !(named && mentions(sig, named))) continue;
    const owners = fns.get(f.name) ?? new Set<string>();
    owners.add(f.implType ?? '');
    fns.set(f.name, owners);
  }
  return { names, fns };
}

/** Whether one of the words the finder looks for is an identifier of the text. */
function mentions(t: string, re: RegExp): boolean {
  re.lastIndex = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) if (startsIdentifier(t, m.index)) return true;
  return false;
}

/** Calls of functions that run a closure later: a closure passed there escapes, which only the full lowering tells. */
const DEFERRED_CALL = new RegExp(`(?:${DEFERRED_CLOSURE_TAKERS.source})\\w*\\s*(?:\\(|::)`, 'i');

/** Whether a function has to be lowered in full. */
export function needsFullLowering(item: FnItem, code: string, words: StateWords): boolean {
  if (FULL_LOWERING_WORDS.test(code) || DEFERRED_CALL.test(code)) return true;
  // A Drop impl, or a method consuming self, drops the fields of a handle-holding type.
  if (item.implType && words.names.has(item.implType) && (item.traitName === 'Drop' || item.self?.byValue)) return true;
  const re = finder(words);
  if (!re) return false;
  re.lastIndex = 0;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    if (!startsIdentifier(code, m.index)) continue;
    const w = m[0];
    if (words.names.has(w)) return true;
    const owners = words.fns.get(w);
    if (!owners) continue;
    // A call of a function of the file that takes or returns state: as it is called.
    const before = code.slice(Math.max(0, m.index - 80), m.index);
    const after = code.slice(re.lastIndex, re.lastIndex + 40);
    if (!/^\s*(?:::\s*<[^()]*>\s*)?\(/.test(after)) continue;
    const path = /(\w+)\s*::\s*$/.exec(before);
    if (path) {
      const t = path[1] === 'Self' ? item.implType : path[1];
      if (t && owners.has(t)) return true;
    } else if (/\.\s*$/.test(before)) {
      if ([...owners].some((o) => o !== '')) return true;
    } else if (owners.has('')) {
      return true;
    }
  }
  return false;
}

/** The names of a StateWords as one regex, built once per file: most identifiers are none of them. */
const finders = new WeakMap<StateWords, RegExp | null>();

function finder(words: StateWords): RegExp | null {
  let re = finders.get(words);
  if (re === undefined) {
    re = wordFinder([...words.names, ...words.fns.keys()]);
    finders.set(words, re);
  }
  return re;
}

/** A global regex matching any of these identifiers up to the end of a word (null: none to find). */
function wordFinder(words: Iterable<string>): RegExp | null {
  const all = new Set([...words].filter((w) => /^[A-Za-z_]\w*$/.test(w)));
  return all.size ? new RegExp(`(?:${[...all].join('|')})(?!\\w)`, 'g') : null;
}

/** Whether a scan for identifiers (`[A-Za-z_]\w*`, left to right) finds one starting at `i`. */
function startsIdentifier(t: string, i: number): boolean {
  let k = i - 1;
  while (k >= 0 && t.charCodeAt(k) >= 48 && t.charCodeAt(k) <= 57) k--;
  if (k < 0) return true;
  const c = t.charCodeAt(k);
  return !((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95);
}

const KEYWORDS = new Set([
  'if', 'while', 'match', 'for', 'loop', 'return', 'in', 'as', 'let', 'fn', 'move', 'unsafe', 'else', 'break', 'continue',
  'where', 'impl', 'dyn', 'mut', 'ref', 'const', 'static', 'struct', 'enum', 'type', 'use', 'pub', 'crate', 'super', 'async', 'await',
]);

/** The index just after the bracket closing the one at `open`. */
function closing(t: string, open: number): number {
  let depth = 0;
  for (let i = open; i < t.length; i++) {
    const c = t[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return t.length;
}

interface Found {
  /** Where the call ends: arguments are evaluated, then the call is made. */
  end: number;
  start: number;
  /** The `(` of the arguments. */
  open: number;
  name: string;
  callee?: string;
  recv?: string;
  gfp?: string;
}

/** What the text pass could not type as the full lowering would: the function is lowered in full. */
class Unresolved extends Error {}

/** `let x[: T] = init;`: the binding and where its initializer ends. */
interface LetBinding {
  name: string;
  type?: string;
  init: number;
  end: number;
}

function letBindings(code: string): LetBinding[] {
  const out: LetBinding[] = [];
  const re = /\blet\s+(?:mut\s+)?([a-z_]\w*)\s*(?::\s*([^=;]+?))?\s*(=|;)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    if (m[3] === ';') continue;
    let depth = 0;
    let i = re.lastIndex;
    for (; i < code.length; i++) {
      const c = code[i];
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') { if (--depth < 0) break; } else if (c === ';' && depth === 0) break;
    }
    out.push({ name: m[1]!, ...(m[2] ? { type: m[2] } : {}), init: re.lastIndex, end: prevChar(code, i) + 1 });
  }
  return out;
}

/** A value whose type the full lowering may know but the text pass cannot tell (a pattern binding, an `if` value). */
const OPAQUE = Symbol('opaque');
/** A type; null: the full lowering does not know it either. */
type Typed = TypeRef | null | typeof OPAQUE;

/** Types the way the full lowering types receivers: declared, fields, same-file return types, `Type::new`. */
class Typer {
  readonly locals = new Map<string, Typed>();
  /** The type of the value of the call ending at an index. */
  readonly atEnd = new Map<number, Typed>();
  private readonly selfType: TypeRef | undefined;

  constructor(private readonly item: FnItem, private readonly items: FileItems, readonly code: string) {
    this.selfType = item.implTypeText ? parseType(item.implTypeText) : undefined;
    for (const p of item.params) if (/^\w+$/.test(p.name)) this.locals.set(p.name, p.typeText ? parseType(resolveAssoc(p.typeText, item)) : null);
  }

  /** The type of the expression ending just before `end` (exclusive). */
  exprBefore(end: number): Typed {
    const q = prevChar(this.code, end);
    if (q < 0) return OPAQUE;
    const c = this.code[q]!;
    if (c === '?') {
      const t = this.exprBefore(q);
      return t && t !== OPAQUE ? unwrapType(t) : t;
    }
    if (c === ')') return this.atEnd.has(q + 1) ? this.atEnd.get(q + 1)! : OPAQUE;
    const chain = receiverChain(this.code, q + 1, true);
    return chain ? this.chainType(chain) : OPAQUE;
  }

  chainType(chain: string): Typed {
    const segs = chain.split('.');
    let t: Typed | undefined = segs[0] === 'self' ? this.selfType : this.locals.get(segs[0]!);
    if (t === undefined) return OPAQUE; // bound by a pattern, a closure parameter, a loop
    for (const field of segs.slice(1)) {
      if (!t || t === OPAQUE) return t;
      t = fieldType(t, field, this.items.defs, this.item.implType) ?? null;
    }
    return t;
  }

  bind(b: LetBinding): void {
    if (b.type) { this.locals.set(b.name, parseType(b.type)); return; }
    const init = this.code.slice(b.init, b.end).trim();
    const lit = /^([A-Z]\w*)\s*(?:::\s*<[^{}]*>\s*)?\{/.exec(init);
    if (/^[&*]?\s*(?:mut\s+)?(?:self|[a-z_]\w*)(?:\s*\.\s*[a-z_]\w*)*$/.test(init)) {
      this.locals.set(b.name, this.chainType(init.replace(/^[&*]\s*(?:mut\s+)?/, '').replace(/\s+/g, '')));
    } else if (lit && closing(init, init.indexOf('{')) === init.length) {
      this.locals.set(b.name, parseType(lit[1] === 'Self' && this.item.implType ? this.item.implType : lit[1]!));
    } else {
      this.locals.set(b.name, /[)?]$/.test(init) ? this.exprBefore(b.end) : OPAQUE);
    }
  }
}

/** `let f = |x| ..` / `let f = move || ..`. */
const CLOSURE_INIT = /^\s*(?:move\s*)?\|/;

/** Calls in the order they are made (arguments first), named as the full lowering names them. */
function findCalls(item: FnItem, code: string, items: FileItems): Found[] {
  const raw: Found[] = [];
  // An identifier followed by `(`, `!` (a macro) or `::<` (a turbofish).
  const re = /\b([A-Za-z_]\w*)\s*(\(|!|::\s*<)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const name = m[1]!;
    let j = re.lastIndex - 1;
    if (m[2] === '!') {
      // A macro: its token tree is not lowered in full either.
      let k = j + 1;
      while (k < code.length && /\s/.test(code[k]!)) k++;
      if (code[k] === '(' || code[k] === '[' || code[k] === '{') re.lastIndex = closing(code, k);
      continue;
    }
    if (m[2] !== '(') {
      // A turbofish: `f::<T>(..)`.
      const gt = code.indexOf('>', j);
      let k = gt + 1;
      while (k < code.length && /\s/.test(code[k]!)) k++;
      if (gt > 0 && code[k] === '(') j = k; else continue;
    }
    if (KEYWORDS.has(name)) continue;
    raw.push({ start: m.index, open: j, end: closing(code, j), name });
  }
  raw.sort((a, b) => a.end - b.end || b.start - a.start);
  const lets = letBindings(code).sort((a, b) => a.end - b.end);
  // A closure bound to a local is called by name: only the full lowering follows it.
  if (lets.some((l) => CLOSURE_INIT.test(code.slice(l.init, l.init + 12)))) throw new Unresolved();
  const ty = new Typer(item, items, code);
  const gfpAt: number[] = [];
  for (let i = code.indexOf('GFP_'); i >= 0; i = code.indexOf('GFP_', i + 4)) gfpAt.push(i);
  let li = 0;
  for (const f of raw) {
    while (li < lets.length && lets[li]!.end <= f.start) ty.bind(lets[li++]!);
    if (gfpAt.some((g) => g > f.open && g < f.end)) {
      const args = code.slice(f.open + 1, f.end - 1);
      f.gfp = args.split(',').map((a) => a.trim()).find((a) => GFP_ARG.test(a)) ?? 'GFP';
    }
    const dot = prevChar(code, f.start);
    let type: Typed = null;
    if (dot >= 0 && code[dot] === '.' && code[dot - 1] !== '.') {
      type = methodCall(f, dot, ty, item, items);
    } else if (dot >= 1 && code[dot] === ':' && code[dot - 1] === ':') {
      const segs = [...pathBefore(code, dot - 1), f.name];
      if (segs[0] === 'Self' && item.implType) segs[0] = item.implType;
      f.callee = pathCallee(segs, items);
      type = returnOf(items, segs.length >= 2 ? segs[segs.length - 2] : undefined, f.name)
        ?? (segs.length >= 2 && /^[A-Z]/.test(segs[segs.length - 2]!) && /^(?:try_)?new\w*$/.test(f.name) ? parseType(segs[segs.length - 2]!) : null);
    } else if (OWNERSHIP_FUNCTIONS[f.name]) {
      type = null;
    } else if (!/^[A-Z]/.test(f.name)) {
      f.callee = f.name;
      type = returnOf(items, undefined, f.name);
    } else {
      // `Foo(..)`: a tuple-struct constructor, or (unknown to this file) a call the full lowering names `Foo`.
      const t = f.name === 'Self' ? item.implType : f.name;
      if (t && !items.defs.structs.has(t) && !TYPE_CLASSES[t]) f.callee = t;
      type = t ? parseType(t) : null;
    }
    ty.atEnd.set(f.end, type);
  }
  return raw;
}

/** Name a method call and give its result type; throws when the receiver cannot be typed. */
function methodCall(f: Found, dot: number, ty: Typer, item: FnItem, items: FileItems): Typed {
  const method = f.name;
  const sameFile = items.byName.get(method);
  const chain = receiverChain(ty.code, dot, false);
  const recvType = ty.exprBefore(dot);
  const argc = prevChar(ty.code, f.end - 1) > f.open ? 1 : 0;
  if (BORROW_METHODS.has(method) || (method === 'get' && argc === 0) || (argc === 0 && isProjection(sameFile))) return recvType;
  if (PASS_METHODS.has(method)) return recvType && recvType !== OPAQUE && PANICKING_METHODS.has(method) ? unwrapType(recvType) : recvType;
  if (!sameFile && STD_METHODS.has(method)) return null;
  if (recvType === OPAQUE && chain !== 'self') {
    // The full lowering may know the receiver's type (a pattern binding, an API result).
    throw new Unresolved(`${chain ?? 'an expression'}.${method}()`);
  }
  const owner = chain === 'self' ? item.implType : receiverType(recvType === OPAQUE ? undefined : recvType ?? undefined, item.implType);
  if (chain) f.recv = chain;
  if (!owner || !/^[A-Z]/.test(owner) || STD_TYPES.test(owner)) return null;
  f.callee = `${owner}::${method}`;
  return returnOf(items, owner, method);
}

/** The (unwrapped) return type of a function of the file. */
function returnOf(items: FileItems, owner: string | undefined, name: string): TypeRef | null {
  const defs = items.byName.get(name);
  const it = defs?.find((d) => (owner && /^[A-Z]/.test(owner) ? d.implType === owner : !d.implType));
  return it?.returnType ? unwrapType(parseType(it.returnType)) : null;
}

/** The index of the last non-blank character before `i` (-1 if none). */
function prevChar(t: string, i: number): number {
  let k = i - 1;
  for (let c = t.charCodeAt(k); c === 32 || c === 10 || c === 9 || c === 13; c = t.charCodeAt(--k));
  return k;
}

/** `[A-Za-z_]`, then `\w`: the characters of an identifier as the text pass reads them. */
const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isWord = (c: number): boolean => isIdentStart(c) || (c >= 48 && c <= 57);

/** The identifier ending at `end` (exclusive), read backwards. */
function identBefore(t: string, end: number): string {
  let k = end;
  while (k > 0 && isWord(t.charCodeAt(k - 1))) k--;
  return k < end && isIdentStart(t.charCodeAt(k)) ? t.slice(k, end) : '';
}

/**
 * `self.a.b` ending at `end` (exclusive; with `dot`, `end` is the `.` before a method name):
 * a chain of plain field accesses, or undefined.
 */
function receiverChain(t: string, end: number, atEnd: boolean): string | undefined {
  const segs: string[] = [];
  let e = atEnd ? end : prevChar(t, end) + 1;
  for (;;) {
    const id = identBefore(t, e);
    if (!id) return undefined;
    segs.unshift(id);
    const p = prevChar(t, e - id.length);
    if (p >= 0 && t[p] === '.' && t[p - 1] !== '.') { e = prevChar(t, p) + 1; continue; }
    if (p >= 0 && /[\w:)\]?]/.test(t[p]!) && !KEYWORDS.has(identBefore(t, p + 1))) return undefined;
    return segs.join('.');
  }
}

/** `a::b::` before the `::` whose first ':' is at `colon`: the path segments, generics skipped. */
function pathBefore(t: string, colon: number): string[] {
  const segs: string[] = [];
  let k = colon;
  for (;;) {
    let e = prevChar(t, k) + 1;
    if (t[e - 1] === '>') {
      // `Foo::<T>::new` / `KVec::<u8>::new`: skip the generic arguments.
      let depth = 0;
      let i = e - 1;
      for (; i >= 0; i--) {
        if (t[i] === '>') depth++;
        else if (t[i] === '<' && --depth === 0) break;
      }
      e = prevChar(t, i) + 1;
      if (t[e - 1] === ':' && t[e - 2] === ':') e = prevChar(t, e - 2) + 1;
    }
    const id = identBefore(t, e);
    if (!id) return segs;
    segs.unshift(id);
    const p = prevChar(t, e - id.length);
    if (p >= 1 && t[p] === ':' && t[p - 1] === ':') { k = p - 1; continue; }
    return segs;
  }
}

function pathCallee(segs: string[], items: FileItems): string | undefined {
  const last = segs[segs.length - 1]!;
  const last2 = segs.slice(-2).join('::');
  if (OWNERSHIP_FUNCTIONS[last2] || OWNERSHIP_FUNCTIONS[segs.join('::')] || /ptr::eq$/.test(last2)) return undefined;
  if (/^[A-Z]/.test(last)) return undefined; // Enum::Variant(..), a constructor
  if (STD_MODULES.test(segs[0]!) && !items.byName.has(last)) return undefined;
  if (segs.length >= 2 && STD_TYPES.test(segs[segs.length - 2]!) && !items.byName.has(last)) return undefined;
  const typeSeg = segs.length >= 2 ? segs[segs.length - 2]! : undefined;
  return typeSeg && /^[A-Z]/.test(typeSeg) ? `${typeSeg}::${last}` : last;
}

/**
 * A function that only calls and allocates: a straight line of its calls. Undefined when the
 * text does not tell what the full lowering would (an untyped receiver, a closure called by name).
 */
export function lowerLight(f: FileCtx, item: FnItem, roles: string[]): IrFunction | undefined {
  const body = item.body!;
  const code = f.src.code.slice(body.startIndex, body.endIndex);
  const base = body.startIndex;
  let calls: Found[];
  try {
    calls = findCalls(item, code, f.items);
  } catch (e) {
    if (e instanceof Unresolved) return undefined;
    throw e;
  }
  const lines = f.src.lines;
  const span = (s: number, e: number): Span => {
    const a = lines.point(base + s);
    const b = lines.point(base + e);
    return { start: { line: a.row + 1, column: a.column + 1 }, end: { line: b.row + 1, column: b.column + 1 }, startIndex: base + s, endIndex: base + e };
  };
  const displayName = item.implType ? `${item.implType}::${item.name}` : item.name;
  const b = new CfgBuilder(spanOf(item.node), `fn ${displayName}`);
  const callees = new Set<string>();
  let allocates = false;
  for (const c of calls) {
    const label = squeeze(f.src.text, base + c.start, base + Math.min(c.end, c.start + 160), 80);
    if (c.gfp) {
      allocates = true;
      b.emit({ kind: 'api', op: 'alloc', args: [], label, opts: { gfp: c.gfp.replace(/\s+/g, ' ') } }, span(c.start, c.end));
    }
    if (!c.callee) continue;
    callees.add(c.callee);
    b.emit({
      kind: 'call', callee: c.callee, args: [c.recv ?? null], label,
      result: `${c.callee.split('::').pop()}@${c.start}`, resultEscapes: true,
    }, span(c.start, c.end));
  }
  b.exit('end of function', span(code.length - 1, code.length));
  const params: IrParam[] = item.params.filter((p) => /^\w+$/.test(p.name)).map((p) => ({ name: p.name, key: p.name }));
  if (item.self) params.unshift({ name: 'self', key: 'self' });
  const nameNode = item.node.childForFieldName('name');
  let id = `${f.file}::${displayName}`;
  for (let i = 2; f.usedIds.has(id); i++) id = `${f.file}::${displayName}#${i}`;
  f.usedIds.add(id);
  const fn: IrFunction = {
    id, name: item.name, displayName, file: f.file, language: 'rust',
    span: spanOf(item.node), nameSpan: nameNode ? spanOf(nameNode) : headSpan(item.node, f.src.text),
    entry: b.entry, nodes: b.nodes, params, roles,
    markers: markersIn(item.above, f.opts.signallingMarkers ?? []),
    suppress: allowedIn(item.above),
    entryLocks: [], callerLocks: false, callees: [...callees],
    touchesGpuvm: allocates,
  };
  if (item.node.hasError) {
    const errs = item.node.descendantsOfType('ERROR').filter((e) => e !== null).map((e) => spanOf(e!));
    const gaps = errs.length ? errs : [spanOf(item.node)];
    fn.partial = { reason: `${gaps.length} part(s) of ${fn.displayName} could not be parsed`, spans: gaps };
  }
  return fn;
}
