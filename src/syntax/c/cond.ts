// Branch conditions -> forks with the assumption each side makes. IS_ERR,
// IS_ERR_OR_NULL, NULL tests, `if (ret)` on an API's result and `a == b` on
// handles decide which paths hold a reference or a lock; `&&`, `||` and `!`
// are short-circuit control flow.

import type { CNode as Node } from './cnode';
import type { Cond } from '../../analysis/ir';
import { TRANSPARENT } from '../../api/c';
import { lowerCall } from './calls';
import type { FnLowering } from './context';
import { lowerExpr } from './expr';
import { callArgs, callName, isNullLiteral, keyOf, peel } from './keys';
import { labelText } from './spans';
import { spanOf } from '../lines';

export interface CondEnds {
  /** Open ends where the condition is true, and where it is false. */
  t: number[];
  f: number[];
}

function fork(L: FnLowering, cond: Cond | undefined, n: Node): CondEnds {
  if (cond) L.condKeys.add(cond.key);
  const r = L.b.fork(cond, `if (${labelText(L.text, n, 60)})`, spanOf(n));
  return { t: r.then, f: r.else };
}

function unknown(L: FnLowering): CondEnds {
  return { t: [...L.b.open], f: [...L.b.open] };
}

/** The condition "key is true": a non-NULL pointer, a nonzero int (a success for trylock results). */
function truthy(L: FnLowering, key: string, n: Node): CondEnds {
  return fork(L, { test: 'zero', key, negate: !L.inverted.has(key) }, n);
}

const NEGATE = (r: CondEnds): CondEnds => ({ t: r.f, f: r.t });

export function lowerCond(L: FnLowering, n: Node): CondEnds {
  const x = peel(n);
  switch (x.type) {
    case 'unary_expression': {
      const arg = x.childForFieldName('argument');
      if (x.childForFieldName('operator')?.text === '!' && arg) return NEGATE(lowerCond(L, arg));
      break;
    }
    case 'binary_expression':
      return binary(L, x);
    case 'call_expression':
      return call(L, x);
    case 'identifier': case 'field_expression': case 'subscript_expression': case 'pointer_expression': {
      const k = keyOf(x, L.env);
      if (k && k !== 'NULL') return truthy(L, k, x);
      break;
    }
    case 'assignment_expression': {
      const v = lowerExpr(L, x);
      return v.key ? truthy(L, v.key, x) : unknown(L);
    }
    case 'comma_expression': {
      const l = x.childForFieldName('left');
      const r = x.childForFieldName('right');
      if (l) lowerExpr(L, l);
      return r ? lowerCond(L, r) : unknown(L);
    }
    case 'number_literal': case 'true': case 'false': case 'null': {
      const t = x.text.trim();
      const isTrue = t === 'true' || (/^\d/.test(t) && !/^0+[uUlL]*$/.test(t));
      return isTrue ? { t: [...L.b.open], f: [] } : { t: [], f: [...L.b.open] };
    }
  }
  lowerExpr(L, x);
  return unknown(L);
}

function binary(L: FnLowering, x: Node): CondEnds {
  const op = x.childForFieldName('operator')?.text;
  const l = x.childForFieldName('left');
  const r = x.childForFieldName('right');
  if (!l || !r) return unknown(L);
  if (op === '&&') {
    const a = lowerCond(L, l);
    L.b.open = a.t;
    const b = lowerCond(L, r);
    return { t: b.t, f: [...a.f, ...b.f] };
  }
  if (op === '||') {
    const a = lowerCond(L, l);
    L.b.open = a.f;
    const b = lowerCond(L, r);
    return { t: [...a.t, ...b.t], f: b.f };
  }
  // x == NULL, x != 0, ret < 0 (an errno), ret >= 0
  const zeroSide = isNullLiteral(r) ? l : isNullLiteral(l) ? r : undefined;
  if (zeroSide && (op === '==' || op === '!=' || op === '<' || op === '>=')) {
    const inner = lowerCond(L, zeroSide);
    return op === '!=' || op === '<' ? inner : NEGATE(inner);
  }
  // a == b on two handles: the same object or not.
  if (op === '==' || op === '!=') {
    const ka = keyOf(l, L.env);
    const kb = keyOf(r, L.env);
    const plain = (n: Node): boolean => ['identifier', 'field_expression', 'pointer_expression', 'subscript_expression'].includes(peel(n).type);
    if (ka && kb && ka !== 'NULL' && kb !== 'NULL' && plain(l) && plain(r)) {
      return fork(L, { test: 'same', key: ka, other: kb, negate: op === '!=' }, x);
    }
  }
  lowerExpr(L, l);
  lowerExpr(L, r);
  return unknown(L);
}

function call(L: FnLowering, x: Node): CondEnds {
  const name = callName(x);
  const args = callArgs(x);
  if (name) {
    const t = TRANSPARENT[name];
    if (t !== undefined && args[t]) {
      args.forEach((a, i) => { if (i !== t) lowerExpr(L, a); });
      return lowerCond(L, args[t]!);
    }
    if ((name === 'IS_ERR' || name === 'IS_ERR_OR_NULL') && args[0]) {
      const v = lowerExpr(L, args[0], { wantValue: true });
      if (!v.key || v.key === 'NULL') return unknown(L);
      return fork(L, { test: name === 'IS_ERR' ? 'err' : 'null-or-err', key: v.key, negate: false }, x);
    }
  }
  const v = lowerCall(L, x, { inCond: true, wantValue: true });
  if (v.resultVar) return fork(L, { test: 'zero', key: v.resultVar, negate: !v.inverted }, x);
  if (v.key && v.key !== 'NULL' && v.key.startsWith('#')) return truthy(L, v.key, x);
  if (v.ends) return v.ends;
  return unknown(L);
}
