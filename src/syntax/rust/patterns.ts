// Patterns: `let`, `if let`, `match` arms and parameters bind variables to
// parts of a value; binding by value moves the handles into the new variable,
// binding by reference (or from a borrowed value) does not. Refutable patterns
// on API results become branch conditions (`Some(bo)` = the lookup found one).

import type { SNode as Node } from './snode';
import type { Cond } from '../../analysis/ir';
import { CLASSES } from '../../api/rust';
import { fieldOf, isHandleClass, type FnLowerer } from './lower';
import { spanOf } from '../lines';
import { classify, type TypeRef } from './types';
import { unit, type Value, type Var } from './values';

export interface BindOpts {
  /** Bind by value: owned handles move into the new variables. */
  byValue: boolean;
  declType?: TypeRef | undefined;
  /** The key the producer already gave the value (`let x = ...` names its result `x`). */
  key?: string;
  /** `let x;` without a value. */
  uninit?: boolean;
}

const TRANSPARENT_VARIANTS = /^(?:Some|Ok|Err)$/;

export function bindPattern(L: FnLowerer, pat: Node, v: Value, o: BindOpts): void {
  switch (pat.type) {
    case 'identifier':
      bindName(L, pat.text, pat, v, o, false);
      return;
    case 'mut_pattern': {
      const inner = pat.namedChildren.find((c) => c && c.type !== 'mutable_specifier');
      if (inner) bindPattern(L, inner, v, o);
      return;
    }
    case 'ref_pattern': {
      const inner = pat.namedChildren.find((c) => c && c.type !== 'mutable_specifier');
      if (inner?.type === 'identifier') bindName(L, inner.text, inner, v, o, true);
      else if (inner) bindPattern(L, inner, { ...v, borrowed: true }, o);
      return;
    }
    case 'reference_pattern': {
      const inner = pat.namedChildren.find((c) => c && c.type !== 'mutable_specifier');
      if (inner) bindPattern(L, inner, { ...v, borrowed: true }, { ...o, byValue: false });
      return;
    }
    case 'captured_pattern': {
      const [name, sub] = pat.namedChildren;
      if (sub) bindPattern(L, sub, { ...v, borrowed: true }, { ...o, byValue: false });
      if (name?.type === 'identifier') bindName(L, name.text, name, v, o, false);
      return;
    }
    case 'tuple_pattern': {
      let i = 0;
      for (const c of pat.namedChildren) {
        if (!c || c.type === 'line_comment') continue;
        if (c.type === 'remaining_field_pattern') { i++; continue; }
        bindPattern(L, c, sub(L, v, String(i++)), o);
      }
      return;
    }
    case 'tuple_struct_pattern': {
      const ty = pat.childForFieldName('type');
      const name = (ty?.text ?? '').split('::').pop() ?? '';
      const elems = pat.namedChildren.filter((c): c is Node => !!c && c !== ty && c.type !== 'line_comment');
      if (name === 'Err') {
        // The error value: nothing of the handle.
        for (const e of elems) bindPattern(L, e, unit(e.text), { byValue: false });
        return;
      }
      if (elems.length === 1 && (TRANSPARENT_VARIANTS.test(name) || isSingleFieldVariant(L, ty?.text ?? ''))) {
        bindPattern(L, elems[0]!, { ...v, ...(v.type && (name === 'Some' || name === 'Ok') && v.type.args[0] ? { type: v.type.args[0] } : {}) }, o);
        return;
      }
      elems.forEach((e, i) => bindPattern(L, e, sub(L, v, String(i)), o));
      return;
    }
    case 'struct_pattern': {
      for (const fp of pat.namedChildren) {
        if (fp?.type !== 'field_pattern') continue;
        const nameN = fp.childForFieldName('name');
        const p = fp.childForFieldName('pattern');
        const field = nameN?.text ?? '';
        const sv = sub(L, v, field);
        if (p) bindPattern(L, p, sv, o);
        else if (nameN) bindName(L, field, nameN, sv, o, /\bref\b/.test(fp.text));
      }
      return;
    }
    case 'or_pattern': {
      const first = pat.namedChildren.find((c) => c && c.type !== 'line_comment');
      if (first) bindPattern(L, first, v, o);
      return;
    }
    case 'slice_pattern':
      for (const c of pat.namedChildren) if (c && c.type === 'identifier') bindName(L, c.text, c, unit(c.text), { byValue: false }, true);
      return;
    default:
      return; // `_`, literals, ranges, paths: no binding (`let _ = temp` leaves the temporary to its statement)
  }
}

function isSingleFieldVariant(L: FnLowerer, path: string): boolean {
  const segs = path.replace(/<.*$/s, '').split('::');
  const variant = segs.pop() ?? '';
  const en = L.f.items.defs.enums.get(segs.pop() ?? '');
  if (en) return (en.get(variant)?.tuple.length ?? 0) === 1;
  const st = L.f.items.defs.structs.get(variant);
  return !!st && st.tuple.length === 1;
}

function sub(L: FnLowerer, v: Value, field: string): Value {
  return fieldOf(L, v, field, `${v.text}.${field}`);
}

function bindName(L: FnLowerer, name0: string, at: Node, v: Value, o: BindOpts, byRef: boolean): void {
  const name = name0;
  const t = o.declType ?? v.type;
  const vc = o.declType ? classify(o.declType, L.shape.implType, L.f.items.defs) : undefined;
  const cls = vc?.cls ?? v.cls;
  const owning = !byRef && o.byValue && !v.borrowed && v.parts.length > 0;
  const base: Omit<Var, 'key' | 'owned' | 'parts'> = {
    name, span: spanOf(at),
    ...(t ? { type: t } : {}), ...(cls ? { cls } : {}), ...(v.meta ? { meta: v.meta } : {}), ...(v.resvOf ? { resvOf: v.resvOf } : {}),
    ...(v.closure ? { closure: v.closure } : {}), ...(v.cond ? { cond: v.cond } : {}), ...(v.manual ? { manual: true } : {}),
    ...(v.nullable ? { nullable: v.nullable } : {}),
  };
  if (o.uninit) {
    L.declare({ ...base, key: L.freshKey(name), owned: !!vc?.owned, parts: vc?.owned ? [{ path: '', cls: vc.cls }] : [] });
    return;
  }
  if (!owning) {
    // A borrow or a plain value: the variable is another name for the same object.
    const key = v.key ?? L.freshKey(name);
    if (!v.key && v.isErr) L.emit({ kind: 'assign', target: key, source: 'NULL', targetIsLocal: true, label: `let ${name} = ${v.text}` }, spanOf(at));
    L.declare({ ...base, key, owned: false, parts: [], ...(v.borrowed || byRef || !o.byValue ? { ref: true } : {}) });
    return;
  }
  const key = L.freshKey(name);
  if (v.key !== key) L.moveInto(v, key);
  else L.claim(v);
  // A model object under a new name (a raw pointer bound to a local, a VA): alias it.
  if (v.key && v.key !== key && !v.parts.length && cls && CLASSES[cls].kind) {
    L.emit({ kind: 'assign', target: key, source: v.key, targetIsLocal: true, label: `let ${name}` });
  }
  L.declare({ ...base, key, owned: true, parts: v.parts });
}

/** The condition a refutable pattern puts on the value (undefined: not known to the model). */
export function patternCond(L: FnLowerer, pat: Node, v: Value): Cond | undefined {
  void L;
  let p = pat;
  while (p.type === 'mut_pattern' || p.type === 'ref_pattern') {
    const inner = p.namedChildren.find((c) => c && c.type !== 'mutable_specifier');
    if (!inner) break;
    p = inner;
  }
  let name: string | undefined;
  if (p.type === 'tuple_struct_pattern') name = (p.childForFieldName('type')?.text ?? '').split('::').pop();
  else if (p.type === 'identifier' && p.text === 'None') name = 'None';
  else if (p.type === 'scoped_identifier' && /::None$/.test(p.text)) name = 'None';
  if (!name) return undefined;
  const ok = name === 'Some' || name === 'Ok';
  const bad = name === 'None' || name === 'Err';
  if (!ok && !bad) return undefined;
  const key = v.nullable ?? (isHandleClass(v.cls) ? v.key : undefined);
  if (key) return { test: 'null-or-err', key, negate: ok };
  if (v.errVar) return { test: 'zero', key: v.errVar, negate: bad };
  return undefined;
}
