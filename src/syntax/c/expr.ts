// Expressions -> events, in evaluation order: calls (API operations, calls to
// the program's functions), assignments of handles (a local alias, or a store
// that hands the reference on), declarations with initialisers.

import type { CNode as Node } from './cnode';
import type { ObjKind } from '../../model/state';
import type { IrEvent } from '../../analysis/ir';
import { lowerCall } from './calls';
import { lowerCond } from './cond';
import type { FnLowering } from './context';
import { keyOf, literalKey, peel, resvOwnerOf } from './keys';
import { labelText } from './spans';
import { spanOf } from '../lines';
import { declaratorName, kindOfType, typeName, varInfo } from './types';
import { lowerBlock } from './stmt';

export interface ExprCtx {
  /** The value is used: a handle-returning call binds a temporary key. */
  wantValue?: boolean;
  /** Bind a call's handle result here (the assignment's target). */
  resultKey?: string;
  /** Bind a call's int/bool result here. */
  resultVar?: string;
  /** The result is stored outside the function (a field of a parameter or a global). */
  escapes?: boolean;
  /** The call is (part of) a branch condition. */
  inCond?: boolean;
}

export interface Value {
  /** The object the value is (a key, 'NULL', or a temporary bound to a call's result). */
  key?: string;
  /** The int/bool variable that holds the call's result, and whether true means success. */
  resultVar?: string;
  inverted?: boolean;
  /** The call bound the result to ctx.resultKey / ctx.resultVar itself. */
  bound?: boolean;
}

/** Anything in this subtree that may be a call, an assignment or a statement expression? A cheap text test. */
export function mayHaveEffects(L: FnLowering, n: Node): boolean {
  return (n.effects ??= EFFECTS.test(L.text.slice(n.startIndex, n.endIndex)));
}

const EFFECTS = /[A-Za-z_]\w*\s*\(|\(\s*\{|[^=!<>]=[^=]|\+\+|--/;

export function lowerExpr(L: FnLowering, n: Node, ctx: ExprCtx = {}): Value {
  const x = peel(n);
  if (!mayHaveEffects(L, x)) return { key: keyOf(x, L.env) };
  switch (x.type) {
    case 'call_expression':
      return lowerCall(L, x, ctx);
    case 'assignment_expression':
      return lowerAssignment(L, x);
    case 'comma_expression': {
      const l = x.childForFieldName('left');
      const r = x.childForFieldName('right');
      if (l) lowerExpr(L, l);
      return r ? lowerExpr(L, r, ctx) : {};
    }
    case 'conditional_expression': {
      const c = x.childForFieldName('condition');
      const t = x.childForFieldName('consequence');
      const e = x.childForFieldName('alternative');
      if ((t && mayHaveEffects(L, t)) || (e && mayHaveEffects(L, e))) {
        // `x ? drm_gpuvm_bo_get(x) : NULL`: each side binds the value.
        const tk = ctx.wantValue ? L.temp('v') : undefined;
        const side = (n: Node | null): void => {
          if (!n) return;
          const v = lowerExpr(L, n, { wantValue: !!tk });
          if (tk) L.emit({ kind: 'assign', target: tk, source: v.key ?? '#?', targetIsLocal: true, label: labelText(L.text, n, 40) }, spanOf(n));
        };
        const r = c ? lowerCond(L, c) : { t: [...L.b.open], f: [...L.b.open] };
        L.b.open = r.t;
        side(t);
        const afterThen = L.b.open;
        L.b.open = r.f;
        side(e);
        L.b.open = [...afterThen, ...L.b.open];
        return tk ? { key: tk } : {};
      }
      if (c) lowerExpr(L, c);
      return { key: keyOf(x, L.env) };
    }
    case 'update_expression': {
      // x++ / --x: the variable's value changes.
      const arg = x.childForFieldName('argument');
      const k = arg ? keyOf(arg, L.env) : undefined;
      if (arg) lowerExpr(L, arg);
      if (k && k !== 'NULL') L.emit({ kind: 'assign', target: k, source: '#?', targetIsLocal: true, label: labelText(L.text, x, 40) }, spanOf(x));
      return {};
    }
    case 'parenthesized_expression': {
      // A GNU statement expression ({ ... }).
      const inner = x.namedChild(0);
      if (inner?.type === 'compound_statement') { lowerBlock(L, inner); return {}; }
      return inner ? lowerExpr(L, inner, ctx) : {};
    }
    default: {
      for (let i = 0; i < x.namedChildCount; i++) {
        const c = x.namedChild(i)!;
        if (c.type !== 'comment') lowerExpr(L, c);
      }
      return { key: keyOf(x, L.env) };
    }
  }
}

/**
 * A store target's key, whether it stays in the function, and the kind its declaration gives it.
 * (Hot objects here are built with every member, absent ones undefined: a literal that
 * starts with a conditional spread is very slow in V8.)
 */
interface Target { key: string | undefined; local: boolean; kind: ObjKind | undefined; pointer: boolean }

function target(L: FnLowering, left: Node): Target {
  const key = keyOf(left, L.env) || undefined;
  const l = peel(left);
  if (l.type === 'identifier') {
    const v = L.vars.get(l.text);
    // An undeclared identifier is a global: storing into it hands the reference on.
    return { key, local: !!v, kind: v?.kind || undefined, pointer: v ? v.pointer : true };
  }
  // `local_struct.field = x` stays local; anything through a pointer is stored outside.
  const root = key?.split(/[.[]/)[0];
  const v = root ? L.vars.get(root) : undefined;
  const local = !!v && !v.pointer && !/->/.test(L.text.slice(l.startIndex, l.endIndex));
  return { key, local, kind: undefined, pointer: true };
}

function emitAssign(L: FnLowering, tk: string, source: string, local: boolean, kind: ObjKind | undefined, span: ReturnType<typeof spanOf>, label: string): void {
  const ev: Extract<IrEvent, { kind: 'assign' }> = { kind: 'assign', target: tk, source, targetIsLocal: local, label };
  if (kind) ev.holds = kind;
  L.emit(ev, span);
}

export function lowerAssignment(L: FnLowering, x: Node): Value {
  const left = x.childForFieldName('left');
  const right = x.childForFieldName('right');
  const op = x.childForFieldName('operator')?.text ?? '=';
  if (!left || !right) return {};
  const t = target(L, left);
  const span = spanOf(x);
  const label = labelText(L.text, x);
  if (op !== '=') {
    lowerExpr(L, right);
    if (t.key) emitAssign(L, t.key, '#?', t.local, undefined, span, label);
    return t.key ? { key: t.key } : {};
  }
  return assignValue(L, t, right, span, label);
}

/** `target = value` (an assignment or an initialised declaration). */
function assignValue(L: FnLowering, t: Target, value: Node, span: ReturnType<typeof spanOf>, label: string): Value {
  const r = peel(value);
  if (r.type === 'initializer_list') {
    if (t.key) lowerInitializer(L, t.key, t.local, r, span);
    else lowerExpr(L, r);
    return {};
  }
  if (t.key && L.vars.get(t.key)?.resv) {
    const owner = resvOwnerOf(r, L.env);
    if (owner) L.resvVars.set(t.key, owner); else L.resvVars.delete(t.key);
  }
  // `ret = PTR_ERR(p)` is a known nonzero value, not an unknown call result.
  if (r.type === 'call_expression' && t.key && !literalKey(r)) {
    const v = lowerCall(L, r, { resultKey: t.key, resultVar: t.key, escapes: !t.local, wantValue: true });
    if (v.bound) return { key: t.key };
    emitAssign(L, t.key, v.key ?? '#?', t.local, t.kind, span, label);
    return { key: t.key };
  }
  const v = lowerExpr(L, r, { wantValue: true });
  if (t.key) {
    if (v.key === 'NULL') emitAssign(L, t.key, 'NULL', t.local, t.kind, span, label);
    else emitAssign(L, t.key, literalKey(r) ?? v.key ?? '#?', t.local, t.kind, span, label);
    if (!t.pointer) L.lastValue.set(t.key, L.text.slice(r.startIndex, r.endIndex));
  }
  return t.key ? { key: t.key } : {};
}

/** `struct drm_gpuvm_exec vm_exec = { .vm = &vm->base, ... }`: each designated field is a store. */
function lowerInitializer(L: FnLowering, base: string, local: boolean, list: Node, span: ReturnType<typeof spanOf>): void {
  for (let i = 0; i < list.namedChildCount; i++) {
    const item = list.namedChild(i)!;
    if (item.type !== 'initializer_pair') { lowerExpr(L, item); continue; }
    const des = item.childForFieldName('designator');
    const val = item.childForFieldName('value');
    if (!val) continue;
    const fields = item.childrenForFieldName('designator').map((d) => d.text.replace(/^\./, '')).filter((f) => /^\w+$/.test(f));
    if (!des || !fields.length) { lowerExpr(L, val); continue; }
    const key = `${base}.${fields.join('.')}`;
    assignValue(L, { key, local, kind: undefined, pointer: true }, val, span, `${key} = ${labelText(L.text, val, 40)}`);
  }
}

export function lowerDeclaration(L: FnLowering, d: Node): void {
  const tname = typeName(d.childForFieldName('type'));
  const kind = kindOfType(tname, L.file.structs);
  for (const decl of d.childrenForFieldName('declarator')) {
    const dn = declaratorName(decl);
    if (!dn) continue;
    L.vars.set(dn.name, varInfo(kind, dn.pointer, false, tname === 'dma_resv' && dn.pointer));
    L.resvVars.delete(dn.name);
    const value = decl.type === 'init_declarator' ? decl.childForFieldName('value') : null;
    if (!value) continue;
    const t: Target = { key: dn.name, local: true, kind: kind || undefined, pointer: dn.pointer };
    assignValue(L, t, value, spanOf(decl), labelText(L.text, decl));
  }
}
