// Kernel macros tree-sitter-c cannot see as what they are, recognised by their
// shape:
// - `list_for_each_entry(...) { }` and other iterators, `scoped_guard(...) { }`
//   and `drm_exec_until_all_locked(&exec) { }`: an expression statement with a
//   MISSING ";" followed by the body (a block or a single statement);
// - `drm_exec_until_all_locked(exec) { }` with a bare identifier: silently
//   parsed as a nested function definition (type `NAME`, declarator `(exec)`).

import { CNode, CNode as Node } from './cnode';
import { EXEC_LOOP, isIteratorMacro } from '../../api/c';
import { callArgs, callName } from './keys';

export type MacroKind = 'iterator' | 'exec-loop' | 'scoped-guard' | 'fused-iterator';

export interface MacroBlock {
  kind: MacroKind;
  name: string;
  /** The macro's arguments (nodes), for a call-shaped use. */
  args: Node[];
  /** The argument text of the misparsed function-definition shape. */
  argText?: string;
  /** The call (or the misparsed definition), for spans. */
  head: Node;
  /** The loop/scope body (for a fused iterator: the statement whose other calls are the body). */
  body: Node;
  /** How many sibling statements the shape used (1 or 2). */
  consumed: 1 | 2;
}

function macroKind(name: string): MacroKind | undefined {
  if (name === EXEC_LOOP) return 'exec-loop';
  if (name === 'scoped_guard' || name === 'scoped_cond_guard') return 'scoped-guard';
  if (isIteratorMacro(name)) return 'iterator';
  return undefined;
}

function missingSemicolon(stmt: Node): boolean {
  const last = stmt.child(stmt.childCount - 1);
  return !!last && last.isMissing && last.type === ';';
}

const BODY_TYPES = new Set([
  'compound_statement', 'expression_statement', 'if_statement', 'return_statement', 'for_statement', 'while_statement',
  'do_statement', 'switch_statement', 'goto_statement', 'break_statement', 'continue_statement', 'labeled_statement',
]);

/**
 * `list_for_each_entry(q, head, m)\n\tq->ops->kill(q);` without braces can come out as one
 * broken expression whose leftmost operand is the iterator call.
 */
function fusedIterator(s: Node): MacroBlock | undefined {
  if (s.type !== 'expression_statement' || !s.hasError) return undefined;
  let n = s.namedChild(0);
  const top = n;
  while (n) {
    if (n.type === 'call_expression') {
      const f = n.childForFieldName('function');
      if (f?.type === 'identifier') {
        if (n === top || !isIteratorMacro(f.text)) return undefined;
        return { kind: 'fused-iterator', name: f.text, args: callArgs(n), head: n, body: s, consumed: 1 };
      }
      n = f;
    } else if (n.type === 'field_expression' || n.type === 'subscript_expression') {
      n = n.childForFieldName('argument');
    } else if (n.type === 'assignment_expression' || n.type === 'binary_expression') {
      n = n.childForFieldName('left');
    } else return undefined;
  }
  return undefined;
}

/** Recognise a macro block starting at `stmts[i]`. */
export function macroBlockAt(stmts: readonly Node[], i: number): MacroBlock | undefined {
  const s = stmts[i]!;
  const fused = fusedIterator(s);
  if (fused) return fused;
  if (s.type === 'expression_statement' && missingSemicolon(s)) {
    const call = s.namedChild(0);
    if (!call || call.type !== 'call_expression') return undefined;
    const name = callName(call);
    const kind = name ? macroKind(name) : undefined;
    const body = stmts[i + 1];
    if (!kind || !name || !body || !BODY_TYPES.has(body.type)) return undefined;
    return { kind, name, args: callArgs(call), head: call, body, consumed: 2 };
  }
  if (s.type === 'function_definition') {
    const t = s.childForFieldName('type');
    const d = s.childForFieldName('declarator');
    const body = s.childForFieldName('body');
    const name = t?.text;
    const kind = name ? macroKind(name) : undefined;
    if (!kind || !name || !body || !d || d.type !== 'parenthesized_declarator') return undefined;
    return { kind, name, args: [], argText: d.text.slice(1, -1).trim(), head: s, body, consumed: 1 };
  }
  return undefined;
}

/**
 * `kfree(container_of(va, struct x, base));` as a statement is read as a
 * declaration whose type is a macro (`macro_type_specifier`): rebuild the call
 * it is, so it is lowered like any other.
 */
export function misparsedCall(n: Node): Node | undefined {
  if (n.type !== 'macro_type_specifier') return undefined;
  const name = n.childForFieldName('name');
  const type = n.childForFieldName('type');
  if (!name || name.type !== 'identifier' || !type) return undefined;
  const inner = typeDescriptorCall(type);
  return inner ? syntheticCall(n, name, [inner]) : undefined;
}

/** `container_of(va, struct x, base)` inside a type_descriptor: a type name with an abstract function declarator. */
function typeDescriptorCall(td: Node): Node | undefined {
  const t = td.childForFieldName('type');
  const d = td.childForFieldName('declarator');
  if (!t || t.type !== 'type_identifier' || !d || d.type !== 'abstract_function_declarator') return undefined;
  const params = d.childForFieldName('parameters');
  const args: Node[] = [];
  for (let i = 0; params && i < params.namedChildCount; i++) {
    const p = params.namedChild(i)!;
    const pt = p.childForFieldName('type');
    if (pt && (pt.type === 'type_identifier' || pt.type === 'primitive_type') && !p.childForFieldName('declarator')) {
      args.push(new CNode(pt.src, 'identifier', true, null, pt.startIndex, pt.endIndex, false));
    } else args.push(p);
  }
  const fn = new CNode(t.src, 'identifier', true, null, t.startIndex, t.endIndex, false);
  return syntheticCall(td, fn, args);
}

function syntheticCall(at: Node, fn: Node, args: Node[]): Node {
  const call = new CNode(at.src, 'call_expression', true, at.field, at.startIndex, at.endIndex, false);
  const f = new CNode(fn.src, 'identifier', true, 'function', fn.startIndex, fn.endIndex, false);
  const list = new CNode(at.src, 'argument_list', true, 'arguments', fn.endIndex, at.endIndex, false);
  f.parent = call;
  list.parent = call;
  for (const a of args) {
    const c = new CNode(a.src, a.type, a.isNamed, null, a.startIndex, a.endIndex, a.isMissing);
    c.children.push(...a.children);
    c.parent = list;
    list.children.push(c);
  }
  call.children.push(f, list);
  return call;
}
