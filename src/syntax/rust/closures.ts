// Closures become functions of their own (`parent::{closure#1}`): their
// captured variables are their first parameters, so when a combinator runs
// the closure in place the analysis inlines it on the parent's objects; a
// closure handed to a workqueue is not called here and runs in its own context.

import type { SNode as Node } from './snode';
import { CLASSES } from '../../api/rust';
import { buildFunction } from './function';
import { FnLowerer } from './lower';
import { parseType } from './types';
import type { ClosureRef } from './values';

export function lowerClosure(parent: FnLowerer, n: Node): ClosureRef {
  const k = ++parent.closureCount;
  const name = `{closure#${k}}`;
  const displayName = `${parent.shape.displayName}::${name}`;
  const body = n.childForFieldName('body');
  const paramsN = n.childForFieldName('parameters');
  const isMove = n.children.some((c) => c?.type === 'move');
  const own = new Set<string>();
  const params: Array<{ name: string; pattern: Node; typeText?: string }> = [];
  for (const p of paramsN?.namedChildren ?? []) {
    if (!p) continue;
    const pat = p.type === 'parameter' ? p.childForFieldName('pattern') : p;
    const ty = p.type === 'parameter' ? p.childForFieldName('type') : null;
    if (!pat) continue;
    for (const id of pat.type === 'identifier' ? [pat] : pat.descendantsOfType('identifier')) if (id) own.add(id.text);
    params.push({ name: pat.text, pattern: pat, ...(ty ? { typeText: ty.text } : {}) });
  }
  // Captures: names the body uses that are variables of the parent here.
  const captures: ClosureRef['captures'] = [];
  const seen = new Set<string>();
  for (const id of body ? body.descendantsOfType(['identifier', 'self']) : []) {
    if (!id || seen.has(id.text) || own.has(id.text)) continue;
    seen.add(id.text);
    const v = parent.lookup(id.text);
    if (v) captures.push({ name: v.name, key: v.key });
  }

  const L = new FnLowerer(parent.f, {
    name, displayName, node: n, body,
    ...(parent.shape.implType ? { implType: parent.shape.implType } : {}),
    ...(parent.shape.implTypeText ? { implTypeText: parent.shape.implTypeText } : {}),
  });
  L.pushScope();
  for (const c of captures) {
    // Captured by reference inside the closure: the parent (or the closure's owner) drops them.
    const v = parent.lookup(c.name)!;
    const key = L.freshKey(c.name);
    L.params.push({ name: key, key, ...(v.cls && CLASSES[v.cls].kind ? { kind: CLASSES[v.cls].kind! } : {}) });
    L.declare({ ...v, key, owned: false, ref: true });
  }
  for (const p of params) L.declareParam(p.name, p.typeText ? parseType(p.typeText) : undefined, p.pattern);
  parent.f.closures.push(buildFunction(L, { nameNode: n, above: [], roles: [] }));
  return { fn: displayName, captures, isMove };
}
