// Rust type text -> what it means for GPUVM: the handle class of a value, and
// which of its fields hold handles (for structs and enums defined in the file).

import { AREF_OF, CLASSES, GUARD_BACKENDS, TRANSPARENT_TYPES, TYPE_CLASSES, type ClassId } from '../../api/rust';

export interface TypeRef {
  /** Last path segment: `ARef`, `GpuVmBo`, `Self`. */
  name: string;
  args: TypeRef[];
  /** Behind `&` / `&mut`: borrowed. */
  borrowed: boolean;
  /** A raw pointer. */
  pointer: boolean;
  /** Tuple or array element types. */
  elems?: TypeRef[];
  array?: boolean;
}

/** Parse a type's text (tolerant: unknown syntax gives a name-only type). */
export function parseType(text: string): TypeRef {
  const p = { s: text, i: 0 };
  return parseOne(p);
}

function skipWs(p: { s: string; i: number }): void {
  while (p.i < p.s.length && /\s/.test(p.s[p.i]!)) p.i++;
}

function parseOne(p: { s: string; i: number }): TypeRef {
  skipWs(p);
  let borrowed = false;
  let pointer = false;
  for (;;) {
    skipWs(p);
    if (p.s[p.i] === '&') {
      borrowed = true;
      p.i++;
      skipWs(p);
      const lt = /^'[A-Za-z_]\w*/.exec(p.s.slice(p.i));
      if (lt) p.i += lt[0].length;
      continue;
    }
    if (p.s[p.i] === '*') { pointer = true; p.i++; continue; }
    const kw = /^(?:mut|const|dyn|impl|raw)\b/.exec(p.s.slice(p.i));
    if (kw) { p.i += kw[0].length; continue; }
    break;
  }
  skipWs(p);
  if (p.s[p.i] === '(' || p.s[p.i] === '[') {
    const close = p.s[p.i] === '(' ? ')' : ']';
    const array = p.s[p.i] === '[';
    p.i++;
    const elems: TypeRef[] = [];
    for (;;) {
      skipWs(p);
      if (p.i >= p.s.length || p.s[p.i] === close) { p.i++; break; }
      if (p.s[p.i] === ';') { skipTo(p, close); p.i++; break; }
      elems.push(parseOne(p));
      skipWs(p);
      if (p.s[p.i] === ',') p.i++;
      else if (p.s[p.i] !== close && p.s[p.i] !== ';') break;
    }
    return { name: array ? '[]' : '()', args: [], borrowed, pointer, elems, array };
  }
  // A path: segments separated by ::, generics on the last (or any) segment.
  let name = '';
  let args: TypeRef[] = [];
  for (;;) {
    skipWs(p);
    if (p.s[p.i] === '<' && !name) { skipAngle(p); continue; } // <T as Trait>::X
    const m = /^[A-Za-z_]\w*/.exec(p.s.slice(p.i));
    if (!m) break;
    name = m[0];
    p.i += m[0].length;
    skipWs(p);
    args = [];
    if (p.s[p.i] === '<') args = parseArgs(p);
    skipWs(p);
    if (p.s.startsWith('::', p.i)) { p.i += 2; continue; }
    break;
  }
  return { name: name || '?', args, borrowed, pointer };
}

function parseArgs(p: { s: string; i: number }): TypeRef[] {
  p.i++; // <
  const out: TypeRef[] = [];
  for (;;) {
    skipWs(p);
    if (p.i >= p.s.length) break;
    if (p.s[p.i] === '>') { p.i++; break; }
    const lt = /^'[A-Za-z_]\w*/.exec(p.s.slice(p.i));
    if (lt) { p.i += lt[0].length; } else {
      const start = p.i;
      const t = parseOne(p);
      // Associated type bindings `Target = X`: keep X.
      skipWs(p);
      if (p.s[p.i] === '=' && p.s[p.i + 1] !== '>') { p.i++; out.push(parseOne(p)); } else if (p.i > start) out.push(t);
      else p.i++;
    }
    skipWs(p);
    if (p.s[p.i] === ',') p.i++;
    else if (p.s[p.i] !== '>') { skipTo(p, '>'); }
  }
  return out;
}

function skipAngle(p: { s: string; i: number }): void {
  let depth = 0;
  while (p.i < p.s.length) {
    const c = p.s[p.i++];
    if (c === '<') depth++;
    else if (c === '>' && --depth === 0) return;
  }
}

function skipTo(p: { s: string; i: number }, close: string): void {
  let depth = 0;
  while (p.i < p.s.length) {
    const c = p.s[p.i]!;
    if (c === '<' || c === '(' || c === '[') depth++;
    else if (c === '>' || c === ')' || c === ']') {
      if (depth === 0 && c === close) return;
      depth--;
    }
    p.i++;
  }
}

export interface ValueClass {
  cls: ClassId;
  /** The value itself is owned (not behind a reference): dropping it releases. */
  owned: boolean;
  /** Inside ManuallyDrop: never dropped implicitly. */
  manual?: boolean;
}

/** The GPUVM class of a value of this type, if any. */
export function classify(t: TypeRef, selfType?: string, defs?: TypeDefs): ValueClass | undefined {
  const owned = !t.borrowed && !t.pointer;
  let name = t.name;
  if (name === 'Self' && selfType) name = selfType;
  if (name === 'ManuallyDrop' && t.args[0]) {
    const inner = classify(t.args[0], selfType, defs);
    return inner ? { ...inner, owned: owned && inner.owned, manual: true } : undefined;
  }
  if (name === 'ARef' && t.args[0]) {
    const c = AREF_OF[t.args[0].name];
    return c ? { cls: c, owned } : undefined;
  }
  if (name === 'Guard' && t.args.length) {
    const backend = t.args.map((a) => GUARD_BACKENDS[a.name]).find(Boolean);
    return { cls: backend ?? 'mutex_guard', owned };
  }
  if ((name === 'KBox' || name === 'Box') && t.args[0]?.name === 'GpuVa') return { cls: 'va_alloc', owned };
  if (TRANSPARENT_TYPES.has(name) && t.args[0]) {
    const inner = classify(t.args[0], selfType, defs);
    if (!inner) return undefined;
    // NonNull<GpuVmBo<T>> is a raw pointer: no ownership.
    return { ...inner, owned: owned && inner.owned && name !== 'NonNull' };
  }
  const c = typeClass(name, defs);
  if (!c) return undefined;
  return { cls: c, owned: owned && CLASSES[c].owning };
}

/** Struct and enum definitions of the file, for the handle-carrying fields of a value. */
export interface TypeDefs {
  structs: Map<string, { fields: Map<string, string>; tuple: string[] }>;
  enums: Map<string, Map<string, { fields: Map<string, string>; tuple: string[] }>>;
  /** Types of the file that are handles: their Drop impl releases what they hold. */
  handles: Map<string, ClassId>;
}

/** The class a type name is by itself: a GPUVM binding type, or a handle type of the file. */
export function typeClass(name: string, defs?: TypeDefs): ClassId | undefined {
  return TYPE_CLASSES[name] ?? defs?.handles.get(name);
}

export interface Part {
  /** Relative path: `op_type.vm_bo`, `0`; '' for the value itself. */
  path: string;
  cls: ClassId;
  manual?: boolean;
  /** What a guard remembers: the lock it releases, the VM and object of an exec lock. */
  meta?: Record<string, string>;
}

/**
 * The owned handles inside a value of this type: struct fields, enum variant
 * fields (a one-field tuple variant is the field itself), tuple and array
 * elements, through Option/Result. Depth-limited.
 */
export function partsOf(t: TypeRef, defs: TypeDefs, selfType?: string, depth = 3, seen: Set<string> = new Set()): Part[] {
  if (t.borrowed || t.pointer || depth < 0) return [];
  const own = classify(t, selfType, defs);
  if (own) return own.owned && CLASSES[own.cls].owning ? [{ path: '', cls: own.cls, ...(own.manual ? { manual: true } : {}) }] : [];
  if (t.elems) {
    if (t.array) return []; // arrays of handles: element paths are not known statically
    return t.elems.flatMap((e, i) => prefix(`${i}`, partsOf(e, defs, selfType, depth - 1, seen)));
  }
  const name = t.name === 'Self' && selfType ? selfType : t.name;
  if ((name === 'Option' || name === 'Result' || name === 'Pin' || name === 'KBox' || name === 'Box') && t.args[0]) {
    return partsOf(t.args[0], defs, selfType, depth, seen);
  }
  if (seen.has(name)) return [];
  const next = new Set(seen).add(name);
  const st = defs.structs.get(name);
  if (st) {
    const out: Part[] = [];
    for (const [f, ty] of st.fields) out.push(...prefix(f, partsOf(parseType(ty), defs, selfType, depth - 1, next)));
    st.tuple.forEach((ty, i) => out.push(...prefix(st.tuple.length === 1 ? '' : `${i}`, partsOf(parseType(ty), defs, selfType, depth - 1, next))));
    return out;
  }
  const en = defs.enums.get(name);
  if (en) {
    const out: Part[] = [];
    for (const v of en.values()) {
      for (const [f, ty] of v.fields) out.push(...prefix(f, partsOf(parseType(ty), defs, selfType, depth - 1, next)));
      v.tuple.forEach((ty, i) => out.push(...prefix(v.tuple.length === 1 ? '' : `${i}`, partsOf(parseType(ty), defs, selfType, depth - 1, next))));
    }
    // Variants may share field names: keep one part per path.
    const seenPaths = new Set<string>();
    return out.filter((p) => !seenPaths.has(p.path) && seenPaths.add(p.path));
  }
  return [];
}

function prefix(seg: string, parts: Part[]): Part[] {
  return parts.map((p) => ({ ...p, path: seg ? (p.path ? `${seg}.${p.path}` : seg) : p.path }));
}

/** The type of a field of a struct defined in the file (one level). */
export function fieldType(t: TypeRef, field: string, defs: TypeDefs, selfType?: string): TypeRef | undefined {
  const name = t.name === 'Self' && selfType ? selfType : t.name;
  if ((name === 'Option' || name === 'Result' || name === 'Pin' || name === 'KBox' || name === 'Box' || name === 'Arc' || name === 'ARef') && t.args[0]) {
    return fieldType(t.args[0], field, defs, selfType);
  }
  const st = defs.structs.get(name);
  if (st) {
    const f = st.fields.get(field) ?? (/^\d+$/.test(field) ? st.tuple[Number(field)] : undefined);
    return f ? parseType(f) : undefined;
  }
  if (t.elems && /^\d+$/.test(field)) return t.elems[Number(field)];
  return undefined;
}

/** The inner type a `?` or a pattern `Some(x)`/`Ok(x)` unwraps. */
export function unwrapType(t: TypeRef): TypeRef {
  if ((t.name === 'Option' || t.name === 'Result') && t.args[0]) return t.args[0];
  return t;
}
