// Statements -> control flow. Loops run their body zero or one time (drm_exec's
// retry loop exactly once): the analysis sees every path through one
// iteration, and state after a loop does not depend on how often it ran.
// goto and labels are edges; cleanup-scoped locks are released on every way
// out of their scope.

import type { CNode as Node } from './cnode';
import { guardLockKind } from '../../api/c';
import { lowerLockEvent } from './calls';
import { lowerCond } from './cond';
import type { FnLowering } from './context';
import { lowerDeclaration, lowerExpr } from './expr';
import { callArgs, keyOf, literalKey, peel } from './keys';
import { macroBlockAt, misparsedCall, type MacroBlock } from './macros';
import { endSpan, labelText } from './spans';
import { headSpan, spanOf } from '../lines';

const SKIP = new Set(['comment', ';', '{', '}', 'type_definition', 'struct_specifier', 'union_specifier', 'enum_specifier',
  'preproc_def', 'preproc_function_def', 'preproc_call', 'preproc_include']);

export function lowerBlock(L: FnLowering, block: Node): void {
  L.pushScope(block);
  const stmts: Node[] = [];
  for (let i = 0; i < block.namedChildCount; i++) stmts.push(block.namedChild(i)!);
  lowerSeq(L, stmts);
  L.popScope();
}

function containsLabel(n: Node): boolean {
  return n.type === 'labeled_statement' || n.descendantsOfType('labeled_statement').length > 0;
}

export function lowerSeq(L: FnLowering, stmts: readonly Node[]): void {
  for (let i = 0; i < stmts.length;) {
    const s = stmts[i]!;
    if (SKIP.has(s.type)) { i++; continue; }
    // Code after a return or goto is reached only through a label.
    if (!L.reachable && !containsLabel(s)) { i++; continue; }
    const mb = macroBlockAt(stmts, i);
    if (mb) {
      lowerMacroBlock(L, mb);
      i += mb.consumed;
      continue;
    }
    lowerStmt(L, s);
    i++;
  }
}

/** Tokens tree-sitter-c trips over that change nothing for the analysis: type arguments and annotations. */
const BENIGN_ERROR = /^(struct|union|enum|__user|__maybe_unused|__always_inline|__iomem|__rcu|__force|__must_check|__percpu)$/;

/** `container_of(p, struct x, m)` can also come out as `struct` + ERROR(x): a type argument. */
function isTypeArgument(e: Node, t: string): boolean {
  const list = e.parent;
  if (!list || list.type !== 'argument_list' || !/^\w+$/.test(t)) return false;
  const i = list.children.indexOf(e);
  const prev = i > 0 ? list.children[i - 1] : undefined;
  return !!prev && /^(struct|union|enum)$/.test(prev.text);
}

/**
 * A closing token the parser supplied early (MISSING) and then found where it
 * really is (an ERROR of just that token), in a statement whose brackets do
 * balance: `offsetof(struct s, a[n])`, whose member the grammar only takes as
 * a plain field name. The calls around it read the same.
 */
function isMovedCloser(stmt: Node, t: string): boolean {
  if (t !== ')' && t !== ']') return false;
  const open = t === ')' ? '(' : '[';
  const code = stmt.text.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '');
  let depth = 0;
  for (const ch of code) {
    if (ch === open) depth++;
    else if (ch === t && --depth < 0) return false;
  }
  return depth === 0;
}

/** Parts of a statement the parser could not read: the function is then analysed in part. */
function reportDamage(L: FnLowering, n: Node): void {
  if (!n.hasError) return;
  for (const e of n.descendantsOfType('ERROR')) {
    const t = e.text.trim();
    if (!t || BENIGN_ERROR.test(t) || isTypeArgument(e, t) || isMovedCloser(n, t)) continue;
    L.partial.push({ reason: `could not parse '${labelText(L.text, e, 40)}'`, span: headSpan(e, L.text) });
    return;
  }
}

export function lowerStmt(L: FnLowering, n: Node): void {
  if (n.type === 'expression_statement' || n.type === 'declaration' || n.type === 'return_statement') reportDamage(L, n);
  else if (n.type === 'if_statement' || n.type === 'while_statement' || n.type === 'switch_statement') {
    const c = n.childForFieldName('condition');
    if (c) reportDamage(L, c);
  }
  switch (n.type) {
    case 'compound_statement':
      lowerBlock(L, n);
      return;
    case 'expression_statement': {
      const e = n.namedChild(0);
      if (e && e.type !== 'comment') lowerExpr(L, e);
      return;
    }
    case 'declaration':
      lowerDeclaration(L, n);
      return;
    case 'if_statement':
      lowerIf(L, n);
      return;
    case 'while_statement':
      lowerWhile(L, n);
      return;
    case 'do_statement':
      lowerDo(L, n);
      return;
    case 'for_statement':
      lowerFor(L, n);
      return;
    case 'switch_statement':
      lowerSwitch(L, n);
      return;
    case 'return_statement':
      lowerReturn(L, n);
      return;
    case 'break_statement':
      L.breakOut(spanOf(n));
      return;
    case 'continue_statement':
      L.continueLoop(spanOf(n));
      return;
    case 'goto_statement': {
      const label = n.childForFieldName('label')?.text;
      if (label) L.goto(label, spanOf(n));
      return;
    }
    case 'labeled_statement': {
      const label = n.childForFieldName('label');
      if (label) L.defineLabel(label.text, spanOf(label));
      const rest: Node[] = [];
      for (let i = 0; i < n.namedChildCount; i++) {
        const c = n.namedChild(i)!;
        if (c.type !== 'statement_identifier') rest.push(c);
      }
      lowerSeq(L, rest);
      return;
    }
    case 'case_statement': {
      const rest: Node[] = [];
      const value = n.childForFieldName('value');
      for (let i = 0; i < n.namedChildCount; i++) {
        const c = n.namedChild(i)!;
        if (!value || c.startIndex !== value.startIndex) rest.push(c);
      }
      lowerSeq(L, rest);
      return;
    }
    case 'attributed_statement': {
      const inner = n.namedChild(n.namedChildCount - 1);
      if (inner && inner.type !== 'attribute_declaration') lowerStmt(L, inner);
      return;
    }
    case 'preproc_if': case 'preproc_ifdef': case 'preproc_elif': case 'preproc_elifdef': case 'preproc_else':
      lowerPreproc(L, n);
      return;
    case 'function_definition': {
      // An unknown `MACRO(x) { ... }` block misparsed as a nested function: run its body once.
      const body = n.childForFieldName('body');
      if (body) lowerBlock(L, body);
      return;
    }
    case 'ERROR':
      lowerError(L, n);
      return;
    case 'macro_type_specifier': {
      const call = misparsedCall(n);
      if (call) { lowerExpr(L, call); return; }
      break;
    }
  }
  if (SKIP.has(n.type)) return;
  // An expression or something the grammar put where a statement goes.
  if (n.type.endsWith('_expression') || n.type === 'identifier') { lowerExpr(L, n); return; }
  L.markPartial(`unexpected ${n.type.replace(/_/g, ' ')} '${labelText(L.text, n, 40)}'`, spanOf(n));
}

function lowerIf(L: FnLowering, n: Node): void {
  const c = n.childForFieldName('condition');
  const r = c ? lowerCond(L, c) : { t: [...L.b.open], f: [...L.b.open] };
  L.b.open = r.t;
  const cons = n.childForFieldName('consequence');
  if (cons) lowerStmt(L, cons);
  const afterThen = L.b.open;
  L.b.open = r.f;
  const alt = n.childForFieldName('alternative');
  if (alt) {
    const inner = alt.type === 'else_clause' ? alt.namedChild(0) : alt;
    if (inner) lowerStmt(L, inner);
  }
  L.b.open = [...afterThen, ...L.b.open];
}

function isTrueLiteral(n: Node | null): boolean {
  if (!n) return true;
  const t = n.text.replace(/[()\s]/g, '');
  return t === '1' || t === 'true';
}

function loopBody(L: FnLowering, body: Node | null): number[] {
  const j = L.pushJump('loop');
  if (body) lowerStmt(L, body);
  const end = [...L.b.open, ...j.continues];
  L.popJump();
  L.b.open = end;
  return j.breaks;
}

function lowerWhile(L: FnLowering, n: Node): void {
  const c = n.childForFieldName('condition');
  const infinite = isTrueLiteral(c);
  const r = c && !infinite ? lowerCond(L, c) : { t: [...L.b.open], f: [] };
  L.b.open = r.t;
  const breaks = loopBody(L, n.childForFieldName('body'));
  L.b.open = [...r.f, ...(infinite ? [] : L.b.open), ...breaks];
}

function lowerDo(L: FnLowering, n: Node): void {
  const breaks = loopBody(L, n.childForFieldName('body'));
  const c = n.childForFieldName('condition');
  const infinite = !!c && isTrueLiteral(c);
  if (c && !infinite) lowerExpr(L, c);
  L.b.open = [...(infinite ? [] : L.b.open), ...breaks];
}

function lowerFor(L: FnLowering, n: Node): void {
  L.pushScope(n);
  const init = n.childForFieldName('initializer');
  if (init) {
    if (init.type === 'declaration') lowerDeclaration(L, init); else lowerExpr(L, init);
  }
  const c = n.childForFieldName('condition');
  const r = c ? lowerCond(L, c) : { t: [...L.b.open], f: [] };
  L.b.open = r.t;
  const breaks = loopBody(L, n.childForFieldName('body'));
  const upd = n.childForFieldName('update');
  if (upd) lowerExpr(L, upd);
  L.b.open = [...r.f, ...(c ? L.b.open : []), ...breaks];
  L.popScope();
}

function lowerSwitch(L: FnLowering, n: Node): void {
  const c = n.childForFieldName('condition');
  if (c) lowerExpr(L, c);
  const head = [...L.b.open];
  const body = n.childForFieldName('body');
  const j = L.pushJump('switch');
  let fall: number[] = [];
  let hasDefault = false;
  L.pushScope(body ?? undefined);
  for (let i = 0; body && i < body.namedChildCount; i++) {
    const s = body.namedChild(i)!;
    if (s.type === 'case_statement') {
      if (!s.childForFieldName('value')) hasDefault = true;
      L.b.open = [...fall, ...head];
      lowerStmt(L, s);
      fall = L.b.open;
    } else {
      // Statements before the first case, or a misparse: keep the flow.
      L.b.open = fall;
      lowerStmt(L, s);
      fall = L.b.open;
    }
  }
  L.b.open = fall;
  L.popScope();
  L.popJump();
  L.b.open = [...L.b.open, ...j.breaks, ...(hasDefault ? [] : head)];
}

function lowerReturn(L: FnLowering, n: Node): void {
  const e = n.namedChild(0);
  const span = spanOf(n);
  const label = labelText(L.text, n, 60).replace(/;$/, '');
  if (!e || e.type === 'comment') { L.ret(label, span); return; }
  const v = lowerExpr(L, e, { wantValue: true });
  const value = literalKey(e) ?? (v.key && v.key !== 'NULL' ? v.key : undefined);
  L.ret(label, span, value);
}

/** `#if` branches inside a function: either one may be compiled in. */
function lowerPreproc(L: FnLowering, n: Node): void {
  const alt = n.childForFieldName('alternative');
  const cond = n.childForFieldName('condition') ?? n.childForFieldName('name');
  const stmts: Node[] = [];
  for (let i = 0; i < n.namedChildCount; i++) {
    const c = n.namedChild(i)!;
    if (c === alt || (alt && c.startIndex === alt.startIndex) || (cond && c.startIndex === cond.startIndex && c.type === cond.type)) continue;
    stmts.push(c);
  }
  // `#if 0` is never compiled.
  const never = n.type === 'preproc_if' && cond?.text.trim() === '0';
  const start = [...L.b.open];
  L.b.open = never ? [] : start;
  lowerSeq(L, stmts);
  const afterThen = L.b.open;
  L.b.open = start;
  if (alt) lowerStmt(L, alt);
  L.b.open = [...afterThen, ...L.b.open];
}

/**
 * A statement tree-sitter could not parse: lower the statements and
 * expressions it still recognised inside, and say the function was read in
 * part.
 */
function lowerError(L: FnLowering, n: Node): void {
  L.markPartial(`could not parse '${labelText(L.text, n, 50)}'`, headSpan(n, L.text));
  const kids: Node[] = [];
  for (let i = 0; i < n.namedChildCount; i++) kids.push(n.namedChild(i)!);
  lowerSeq(L, kids);
}

function lowerMacroBlock(L: FnLowering, mb: MacroBlock): void {
  const span = headSpan(mb.head, L.text);
  switch (mb.kind) {
    case 'exec-loop': {
      // drm_exec_until_all_locked: the body runs (at least) once; a retry re-runs it
      // after drm_exec dropped every lock, which leaves the state the first run had.
      L.emit({ kind: 'nop', label: `${mb.name}(${mb.argText ?? mb.args.map((a) => labelText(L.text, a, 30)).join(', ')})` }, span);
      const breaks = loopBody(L, mb.body);
      L.b.open = [...L.b.open, ...breaks];
      return;
    }
    case 'scoped-guard': {
      const type = mb.args[0]?.text.trim() ?? '';
      const lockArg = mb.args[1];
      const kind = guardLockKind(type);
      L.pushScope(mb.body);
      if (kind && lockArg) {
        const rel = lowerLockEvent(L, kind, lockArg, true, span, `scoped_guard(${type}, ${labelText(L.text, lockArg, 40)})`);
        if (rel) L.addRelease(rel, endSpan(mb.body));
      }
      // A scoped_guard is a one-shot loop in the kernel: break leaves it.
      const breaks = loopBody(L, mb.body);
      L.b.open = [...L.b.open, ...breaks];
      L.popScope();
      return;
    }
    case 'fused-iterator': {
      // The body is what the statement holds besides the iterator: its outermost calls.
      for (const a of mb.args) lowerExpr(L, a);
      const f = L.b.fork(undefined, mb.name, span);
      L.b.open = f.then;
      const j = L.pushJump('loop');
      for (const c of mb.body.descendantsOfType('call_expression')) {
        if (c.startIndex >= mb.head.startIndex && c.endIndex <= mb.head.endIndex) continue;
        let p = c.parent;
        while (p && p !== mb.body && p.type !== 'call_expression') p = p.parent;
        if (p && p !== mb.body && !(p.startIndex >= mb.head.startIndex && p.endIndex <= mb.head.endIndex)) continue;
        // The broken outer call wraps the iterator: only its arguments are the body's.
        if (c.startIndex <= mb.head.startIndex && c.endIndex >= mb.head.endIndex) callArgs(c).forEach((a) => lowerExpr(L, a));
        else lowerExpr(L, c);
      }
      L.popJump();
      L.b.open = [...f.else, ...L.b.open, ...j.breaks, ...j.continues];
      return;
    }
    case 'iterator': {
      for (const a of mb.args) lowerExpr(L, a);
      const f = L.b.fork(undefined, mb.name, span);
      L.b.open = f.then;
      // Each iteration points the cursor variables at another element.
      for (const a of mb.args) {
        const x = peel(a);
        const v = x.type === 'identifier' ? L.vars.get(x.text) : undefined;
        if (v && !v.isParam) L.emit({ kind: 'assign', target: x.text, source: '#?', targetIsLocal: true, label: `${x.text} = next element` }, span);
      }
      iterateListEvent(L, mb, span);
      const breaks = loopBody(L, mb.body);
      L.b.open = [...f.else, ...L.b.open, ...breaks];
      return;
    }
  }
}

/** Walking a VM's extobj or evict list: zombies (refcount 0) may be on it once deferred puts exist. */
function iterateListEvent(L: FnLowering, mb: MacroBlock, span: ReturnType<typeof spanOf>): void {
  if (!L.file.deferredEra || !/^list_for_each_entry/.test(mb.name)) return;
  for (const a of mb.args) {
    const k = keyOf(a, L.env);
    const m = k ? /^(.*)\.(extobj|evict)\.list$/.exec(k) : null;
    if (!m || !m[1]) continue;
    const skips = /is_zombie|kref_read|kref_get_unless_zero/.test(L.text.slice(mb.body.startIndex, mb.body.endIndex));
    L.emit({
      kind: 'api', op: m[2] === 'extobj' ? 'iterate_extobj' : 'iterate_evict', args: [{ key: m[1], kind: 'vm', text: m[1] }],
      label: `${mb.name}(… ${labelText(L.text, a, 40)} …)`, ...(skips ? { opts: { skip_zombies: true } } : {}),
    }, span);
    return;
  }
}
