// C expressions as object keys: `&op_ctx->map.vm_bo` -> `op_ctx.map.vm_bo`.
// `->` and `.` both become '.', `&`, `*`, casts and parentheses go, pointer
// conversions (container_of, to_*()) and one-line accessors of the file are
// looked through, and an embedded `base` member is its container
// (`&vma->base` and `vma` are the same drm_gpuva). Also: whose dma_resv an
// expression is, and which lock a mutex expression names.

import type { CNode as Node } from './cnode';
import { isConversion, RESV_ACCESSORS, TRANSPARENT, VM_RESV_GEMS } from '../../api/c';

/** A function of the file whose body is `return <expr>;`: calls to it are read as that expression. */
export interface Accessor {
  params: string[];
  expr: Node;
}

export interface KeyEnv {
  text: string;
  accessors: ReadonlyMap<string, Accessor>;
  /** Names defined as functions in the file (not looked through as conversions unless they are accessors). */
  defined: ReadonlySet<string>;
  /** Local `struct dma_resv *r = <expr>` aliases, by variable name. */
  resvVars?: ReadonlyMap<string, ResvOwner>;
  /** Driver mutexes registered as their GEM's gpuva list lock (drm_gem_gpuva_set_lock), by member name. */
  gpuvaLockMembers?: ReadonlySet<string>;
}

export interface ResvOwner {
  kind: 'vm' | 'gem';
  key: string;
}

type Seg = { name: string; op: '.' | '->' | '[]' };
interface Path { root: string; segs: Seg[]; addr: boolean }
type Subst = ReadonlyMap<string, Path | 'NULL'> | undefined;

const MAX_EXPAND = 4;

/** Callees the tables read keys through: one hash lookup rules the others out. */
const KEY_TABLED: ReadonlySet<string> = new Set([...Object.keys(TRANSPARENT), ...Object.keys(RESV_ACCESSORS), ...Object.keys(VM_RESV_GEMS)]);

/** The NULL pointer, literally (`NULL`, `0`, `(void *)0`). */
export function isNullLiteral(n: Node): boolean {
  const x = peel(n);
  return x.type === 'null' || (x.type === 'number_literal' && /^0[uUlL]*$/.test(x.text));
}

/**
 * A literal int/bool value as a key: `#0` for 0 and false, `#1` for anything
 * nonzero (1, true, -ENOMEM). The analysis knows how such values test.
 */
export function literalKey(n: Node): '#0' | '#1' | undefined {
  const x = peel(n);
  if (x.type === 'true') return '#1';
  if (x.type === 'false') return '#0';
  if (x.type === 'number_literal') return /^(0[xX])?0+[uUlL]*$/.test(x.text) ? '#0' : '#1';
  // PTR_ERR() is taken of an error pointer: a negative errno.
  if (x.type === 'call_expression' && callName(x) === 'PTR_ERR') return '#1';
  if (x.type === 'unary_expression' && x.childForFieldName('operator')?.text === '-') {
    const a = x.childForFieldName('argument');
    const v = a ? peel(a) : undefined;
    // -EINVAL, -ENOMEM: negative errnos
    if (v && ((v.type === 'identifier' && /^E[A-Z0-9]+$/.test(v.text)) || (v.type === 'number_literal' && literalKey(v) === '#1'))) return '#1';
  }
  return undefined;
}

/** Strip parentheses and casts. */
export function peel(n: Node): Node {
  let x = n;
  for (;;) {
    if (x.type === 'parenthesized_expression' && x.namedChildCount === 1 && x.namedChild(0)!.type !== 'compound_statement') x = x.namedChild(0)!;
    else if (x.type === 'cast_expression') x = x.childForFieldName('value') ?? x;
    else return x;
    if (x === n) return x;
  }
}

export function callName(call: Node): string | undefined {
  const f = call.childForFieldName('function');
  return f && f.type === 'identifier' ? f.text : undefined;
}

export function callArgs(call: Node): Node[] {
  const al = call.childForFieldName('arguments');
  if (!al) return [];
  const out: Node[] = [];
  for (let i = 0; i < al.namedChildCount; i++) {
    const c = al.namedChild(i)!;
    if (c.type !== 'comment' && c.type !== 'ERROR') out.push(c);
  }
  return out;
}

function pathOf(n: Node, env: KeyEnv, subst: Subst, depth: number): Path | 'NULL' | undefined {
  const x = peel(n);
  switch (x.type) {
    case 'identifier': {
      const s = subst?.get(x.text);
      if (s) return s === 'NULL' ? 'NULL' : { root: s.root, segs: [...s.segs], addr: s.addr };
      return { root: x.text, segs: [], addr: false };
    }
    case 'null':
      return 'NULL';
    case 'number_literal':
      return isNullLiteral(x) ? 'NULL' : undefined;
    case 'field_expression': {
      const arg = x.childForFieldName('argument');
      const field = x.childForFieldName('field');
      const op = x.childForFieldName('operator')?.text === '->' ? '->' : '.';
      if (!arg || !field) return undefined;
      const p = pathOf(arg, env, subst, depth);
      if (!p || p === 'NULL') return undefined;
      return { root: p.root, segs: [...p.segs, { name: field.text, op }], addr: false };
    }
    case 'unary_expression': {
      // `!!x` tests the same as x.
      const arg = x.childForFieldName('argument');
      const inner = arg ? peel(arg) : undefined;
      if (x.childForFieldName('operator')?.text === '!' && inner?.type === 'unary_expression' && inner.childForFieldName('operator')?.text === '!') {
        const a2 = inner.childForFieldName('argument');
        return a2 ? pathOf(a2, env, subst, depth) : undefined;
      }
      return undefined;
    }
    case 'pointer_expression': {
      const arg = x.childForFieldName('argument');
      if (!arg) return undefined;
      const p = pathOf(arg, env, subst, depth);
      if (!p || p === 'NULL') return p;
      return x.childForFieldName('operator')?.text === '&' ? { ...p, addr: true } : { ...p, addr: false };
    }
    case 'subscript_expression': {
      const arg = x.childForFieldName('argument');
      const idx = x.childForFieldName('index');
      if (!arg) return undefined;
      const p = pathOf(arg, env, subst, depth);
      if (!p || p === 'NULL') return undefined;
      return { root: p.root, segs: [...p.segs, { name: `[${idx ? env.text.slice(idx.startIndex, idx.endIndex).replace(/\s+/g, '') : ''}]`, op: '[]' }], addr: false };
    }
    case 'conditional_expression': {
      const c = x.childForFieldName('consequence');
      const e = x.childForFieldName('alternative');
      // `prev ? &prev->base : NULL` is the object when there is one.
      if (c && e && isNullLiteral(e)) return pathOf(c, env, subst, depth);
      if (c && e && isNullLiteral(c)) return pathOf(e, env, subst, depth);
      return undefined;
    }
    case 'call_expression': {
      const name = callName(x);
      if (!name) return undefined;
      const args = callArgs(x);
      const acc = env.accessors.get(name);
      if (acc && depth < MAX_EXPAND) return pathOf(acc.expr, env, bindParams(acc, args, env, subst, depth), depth + 1);
      const t = KEY_TABLED.has(name) ? TRANSPARENT[name] : undefined;
      if (t !== undefined && args[t]) return pathOf(args[t], env, subst, depth);
      if (!env.defined.has(name) && isConversion(name) && args[0]) {
        const p = pathOf(args[0], env, subst, depth);
        // container_of(&x->member, T, member) is x.
        const member = name.startsWith('container_of') && args[2] ? args[2].text.trim() : undefined;
        if (p && p !== 'NULL' && member && p.addr && p.segs.length && p.segs[p.segs.length - 1]!.name === member) {
          return { root: p.root, segs: p.segs.slice(0, -1), addr: false };
        }
        return p;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function bindParams(acc: Accessor, args: Node[], env: KeyEnv, subst: Subst, depth: number): Map<string, Path | 'NULL'> {
  const m = new Map<string, Path | 'NULL'>();
  acc.params.forEach((p, i) => {
    const a = args[i];
    if (!a) return;
    const v = pathOf(a, env, subst, depth);
    if (v) m.set(p, v);
  });
  return m;
}

/**
 * An embedded `base` member is its container: `&vma->base`, `vma->base.vm_bo`.
 * It is embedded when it is accessed with `.` afterwards or its address is taken.
 */
function keyOfPath(p: Path): string {
  let out = p.root;
  for (let i = 0; i < p.segs.length; i++) {
    const s = p.segs[i]!;
    if (s.op === '[]') { out += s.name; continue; }
    const next = p.segs[i + 1];
    const embedded = next ? next.op === '.' : p.addr;
    if (s.name === 'base' && embedded) continue;
    out += `.${s.name}`;
  }
  return out;
}

/** The key of an expression, 'NULL' for a null pointer, undefined when it names no object. */
export function keyOf(n: Node, env: KeyEnv): string | undefined {
  const p = pathOf(n, env, undefined, 0);
  return p === 'NULL' ? 'NULL' : p ? keyOfPath(p) : undefined;
}

/** The object a path's last member belongs to (`vm->base.r_obj` -> vm: `base` was accessed with '.', so it is embedded). */
function ownerOf(p: Path): Path {
  const last = p.segs[p.segs.length - 1]!;
  return { root: p.root, segs: p.segs.slice(0, -1), addr: last.op === '.' };
}

/** The key of a path, or undefined for NULL / nothing. */
function pkey(p: Path | 'NULL' | undefined): string | undefined {
  return p && p !== 'NULL' ? keyOfPath(p) : undefined;
}

/** The VM a GEM expression belongs to as its resv object (`vm->r_obj`, `drm_gpuvm_resv_obj(vm)`), if it is one. */
function vmOfResvObj(n: Node, env: KeyEnv, subst: Subst, depth: number): string | undefined {
  const x = peel(n);
  if (x.type === 'call_expression') {
    const name = callName(x);
    const args = callArgs(x);
    if (!name) return undefined;
    const i = KEY_TABLED.has(name) ? VM_RESV_GEMS[name] : undefined;
    if (i !== undefined) return args[i] ? pkey(pathOf(args[i]!, env, subst, depth)) : undefined;
    const acc = env.accessors.get(name);
    if (acc && depth < MAX_EXPAND) return vmOfResvObj(acc.expr, env, bindParams(acc, args, env, subst, depth), depth + 1);
    return undefined;
  }
  const p = pathOf(x, env, subst, depth);
  if (!p || p === 'NULL' || !p.segs.length || p.segs[p.segs.length - 1]!.name !== 'r_obj') return undefined;
  return keyOfPath(ownerOf(p));
}

export function vmOfResvObject(n: Node, env: KeyEnv): string | undefined {
  return vmOfResvObj(n, env, undefined, 0);
}

function resvOwner(n: Node, env: KeyEnv, subst: Subst, depth: number): ResvOwner | undefined {
  const x = peel(n);
  if (x.type === 'call_expression') {
    const name = callName(x);
    const args = callArgs(x);
    if (!name) return undefined;
    const acc = KEY_TABLED.has(name) ? RESV_ACCESSORS[name] : undefined;
    if (acc) {
      const k = args[acc.arg] ? pkey(pathOf(args[acc.arg]!, env, subst, depth)) : undefined;
      return k ? { kind: acc.owner, key: k } : undefined;
    }
    const fa = env.accessors.get(name);
    if (fa && depth < MAX_EXPAND) return resvOwner(fa.expr, env, bindParams(fa, args, env, subst, depth), depth + 1);
    // A driver's own VM resv accessor defined in another file (panthor_vm_resv(vm)).
    if (/_vm_resv$/.test(name) && args[0]) {
      const k = pkey(pathOf(args[0], env, subst, depth));
      return k ? { kind: 'vm', key: k } : undefined;
    }
    return undefined;
  }
  if (x.type === 'identifier' && !subst) {
    const r = env.resvVars?.get(x.text);
    if (r) return r;
  }
  // obj->resv, vm->r_obj->resv, drm_gpuvm_resv_obj(vm)->resv
  if (x.type === 'field_expression') {
    const field = x.childForFieldName('field')?.text;
    const arg = x.childForFieldName('argument');
    if ((field === 'resv' || field === '_resv') && arg) {
      const vm = vmOfResvObj(arg, env, subst, depth);
      if (vm) return { kind: 'vm', key: vm };
      const whole = pathOf(x, env, subst, depth);
      const k = whole && whole !== 'NULL' && whole.segs.length ? keyOfPath(ownerOf(whole)) : undefined;
      if (k) return { kind: 'gem', key: k };
    }
  }
  const k = pkey(pathOf(x, env, subst, depth));
  return k ? { kind: 'gem', key: k } : undefined;
}

/** Whose dma_resv an expression is. */
export function resvOwnerOf(n: Node, env: KeyEnv): ResvOwner | undefined {
  return resvOwner(n, env, undefined, 0);
}

/** A mutex expression: a GEM's gpuva.lock, or a driver lock by name. */
export function lockOf(n: Node, env: KeyEnv): { gpuva: string } | { name: string } | undefined {
  const k = keyOf(n, env);
  if (!k || k === 'NULL') return undefined;
  const m = /^(.*)\.gpuva\.lock$/.exec(k);
  if (m && m[1]) return { gpuva: m[1] };
  const d = /^(.*)\.(\w+)$/.exec(k);
  if (d && d[1] && env.gpuvaLockMembers?.has(d[2]!)) return { gpuva: d[1] };
  return { name: k };
}
