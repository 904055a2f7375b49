// Lowers one Rust function body to a control-flow graph of lifecycle events,
// modelling ownership the way rustc does: drops at the end of scopes in
// reverse declaration order, drops on every early exit, temporaries at the end
// of their statement, moves that end a variable's responsibility, and drop
// flags where a value is moved on some paths only.

import type { SNode as Node } from './snode';
import { CfgBuilder } from '../../analysis/cfg';
import type { Cond, EntryLock, IrArg, IrEvent, IrFunction, IrParam, Span } from '../../analysis/ir';
import { CLASSES, EMBEDDED_C_FIELDS, GUARD_PARAM_LOCKS, type ApiGeneration, type ClassId, type Step } from '../../api/rust';
import type { LowerOptions } from '../frontend';
import { lowerCall, lowerMacro, lowerMethodCall } from './calls';
import { lowerClosure } from './closures';
import type { FileItems } from './items';
import { bindPattern, patternCond } from './patterns';
import { type SourceText } from './source';
import { spanOf } from '../lines';
import { classify, fieldType, parseType, partsOf, unwrapType, type Part, type TypeDefs, type TypeRef } from './types';
import {
  droppablesOf, joinFlows, joinKey, partsUnder, unit, type ClosureRef, type Droppable, type Flow, type Value, type Var,
} from './values';

export interface FileCtx {
  file: string;
  src: SourceText;
  items: FileItems;
  gen: ApiGeneration;
  /** The file says its VM is in immediate mode (drm_gpuvm_init / GpuVm::new flags). */
  immediate?: boolean;
  opts: LowerOptions;
  /** Closures lowered while lowering their parents. */
  closures: IrFunction[];
  usedIds: Set<string>;
}

export interface FnShape {
  name: string;
  displayName: string;
  node: Node;
  body: Node | null;
  implType?: string;
  implTypeText?: string;
  /** Keys whose references belong to the caller at every exit (AlwaysRefCounted::inc_ref). */
  handsOnAtExit?: string[];
  /** The declared return type (gives `ARef::from_raw` in a tail its class; a returned guard keeps its lock). */
  returnType?: TypeRef;
}

type Region = { kind: 'scope'; vars: Var[] } | { kind: 'temps'; temps: Droppable[] };

interface LoopCtx {
  label?: string;
  head: number;
  breaks: Flow[];
  /** Regions above this index belong to the loop body. */
  depth: number;
  value?: string;
}

/** Options of an expression's evaluation. */
export interface ExprOpts {
  /** A key the produced value should get (the variable or field it goes to). */
  want?: string;
  /** The expression is the operand of `?` (or otherwise checked for Err). */
  checked?: boolean;
  /** The type the context expects (a `let` with a type annotation). */
  type?: TypeRef;
}

const LABEL_MAX = 72;

export function shortText(n: Node | string): string {
  const t = (typeof n === 'string' ? n : n.text).replace(/\s+/g, ' ').trim();
  return t.length > LABEL_MAX ? `${t.slice(0, LABEL_MAX - 1)}…` : t;
}

export class FnLowerer {
  readonly b: CfgBuilder;
  live = new Set<string>();
  maybe = new Set<string>();
  regions: Region[] = [];
  loops: LoopCtx[] = [];
  /** Where temporaries of a block's tail expression go (the enclosing statement's region). */
  tailTemps: number | undefined;
  readonly unparsed: Span[] = [];
  readonly params: IrParam[] = [];
  readonly entryLocks: EntryLock[] = [];
  private readonly usedKeys = new Set<string>();
  /** Locks taken by creating a guard (released by its drop, wherever the guard goes). */
  readonly guardLocks = new Set<string>();
  private tempCount = 0;
  closureCount = 0;

  constructor(readonly f: FileCtx, readonly shape: FnShape) {
    this.b = new CfgBuilder(spanOf(shape.node), `fn ${shape.displayName}`);
  }

  get gen(): ApiGeneration { return this.f.gen; }

  /** The function returns a lock guard: it returns holding the lock, for its caller. */
  get returnsGuard(): boolean {
    const t = this.shape.returnType;
    const c = t ? classify(unwrapType(t), this.shape.implType, this.f.items.defs) : undefined;
    return !!c && !!CLASSES[c.cls].guard;
  }

  // ---- flow -------------------------------------------------------------------------------------

  flow(): Flow {
    return { open: [...this.b.open], live: new Set(this.live), maybe: new Set(this.maybe) };
  }

  setFlow(f: Flow): void {
    this.b.open = [...f.open];
    this.live = new Set(f.live);
    this.maybe = new Set(f.maybe);
  }

  joinInto(flows: Flow[]): void {
    this.setFlow(joinFlows(flows));
  }

  get reachable(): boolean {
    return this.b.open.length > 0;
  }

  emit(ev: IrEvent, span?: Span): number {
    return this.b.emit(ev, span);
  }

  /** Split on a condition (undefined: both ways, nothing known). */
  fork(cond: Cond | undefined, label: string, span?: Span): [Flow, Flow] {
    const live = this.live;
    const maybe = this.maybe;
    const r = this.b.fork(cond, label, span);
    return [
      { open: r.then, live: new Set(live), maybe: new Set(maybe) },
      { open: r.else, live: new Set(live), maybe: new Set(maybe) },
    ];
  }

  // ---- drop flags -------------------------------------------------------------------------------

  birth(key: string): void {
    if (!this.reachable) return;
    this.emit({ kind: 'flag', key, set: true, label: `${key} holds a value` });
    this.live.add(key);
    this.maybe.delete(key);
  }

  kill(key: string): void {
    if (!this.reachable) { this.live.delete(key); this.maybe.delete(key); return; }
    if (this.live.has(key) || this.maybe.has(key)) this.emit({ kind: 'flag', key, set: false, label: `${key} moved out` });
    this.live.delete(key);
    this.maybe.delete(key);
  }

  /** Release one handle now, if it is still owned here (a drop flag decides where that depends on the path). */
  drop(d: Droppable, how: string, span?: Span): void {
    if (!this.reachable) return;
    const state = this.live.has(d.key) ? 'live' : this.maybe.has(d.key) ? 'maybe' : 'dead';
    if (state === 'dead') return;
    const steps = CLASSES[d.cls].drop?.[this.gen];
    const label = `${how}: drop of \`${d.label}\``;
    if (state === 'maybe') {
      const [t, e] = this.fork({ test: 'flag', key: d.key, negate: false }, `drop flag of \`${d.label}\``);
      this.setFlow(t);
      if (steps) this.applySteps(steps, { self: d.key, ...prefixed(d.meta) }, label, span);
      this.emit({ kind: 'flag', key: d.key, set: false, label: `${d.label} dropped` });
      this.joinInto([this.flow(), e]);
    } else {
      if (steps) this.applySteps(steps, { self: d.key, ...prefixed(d.meta) }, label, span);
      this.emit({ kind: 'flag', key: d.key, set: false, label: `${d.label} dropped` });
    }
    this.live.delete(d.key);
    this.maybe.delete(d.key);
  }

  // ---- regions: scopes and temporaries -----------------------------------------------------------

  pushScope(): void { this.regions.push({ kind: 'scope', vars: [] }); }
  pushTemps(): void { this.regions.push({ kind: 'temps', temps: [] }); }

  /** End a scope: its variables drop in reverse declaration order. */
  popScope(how: string, span?: Span): void {
    const r = this.regions.pop();
    if (!r) return;
    this.dropRegion(r, how, span);
  }

  private dropRegion(r: Region, how: string, span?: Span): void {
    if (r.kind === 'scope') {
      // Variables in reverse declaration order; the fields of one in declaration order.
      for (let i = r.vars.length - 1; i >= 0; i--) for (const d of this.varDroppables(r.vars[i]!)) this.drop(d, how, span);
    } else {
      for (let i = r.temps.length - 1; i >= 0; i--) this.drop(r.temps[i]!, how, span);
    }
  }

  /** Drops for leaving every region above `depth` (an exit, break or continue), without popping them. */
  unwind(depth: number, how: string, span?: Span): void {
    for (let i = this.regions.length - 1; i >= depth; i--) this.dropRegion(this.regions[i]!, how, span);
  }

  varDroppables(v: Var): Droppable[] {
    if (!v.owned || v.manual) return [];
    return droppablesOf(v.key, v.parts, this.gen, v.name, v.meta);
  }

  valueDroppables(v: Value): Droppable[] {
    if (!v.key || v.borrowed || v.manual) return [];
    return droppablesOf(v.key, v.parts, this.gen, v.text, v.meta);
  }

  /** Register a temporary: owned until claimed, dropped at the end of its statement otherwise. */
  addTemp(d: Droppable): void {
    this.birth(d.key);
    const idx = this.tailTemps ?? this.innermostTemps();
    const r = idx === undefined ? undefined : this.regions[idx];
    if (r?.kind === 'temps') r.temps.push(d);
  }

  private innermostTemps(): number | undefined {
    for (let i = this.regions.length - 1; i >= 0; i--) if (this.regions[i]!.kind === 'temps') return i;
    return undefined;
  }

  /** The value no longer is a temporary: someone took it. */
  claim(v: Value): void {
    if (!v.temp || !v.key) return;
    const keys = new Set(v.parts.map((p) => joinKey(v.key!, p.path)));
    for (const r of this.regions) if (r.kind === 'temps') r.temps = r.temps.filter((t) => !keys.has(t.key));
  }

  lookup(name: string): Var | undefined {
    for (let i = this.regions.length - 1; i >= 0; i--) {
      const r = this.regions[i]!;
      if (r.kind !== 'scope') continue;
      for (let j = r.vars.length - 1; j >= 0; j--) if (r.vars[j]!.name === name) return r.vars[j];
    }
    return undefined;
  }

  declare(v: Var): void {
    for (let i = this.regions.length - 1; i >= 0; i--) {
      const r = this.regions[i]!;
      if (r.kind === 'scope') { r.vars.push(v); return; }
    }
  }

  freshKey(name: string): string {
    let k = name;
    for (let n = 2; this.usedKeys.has(k); n++) k = `${name}#${n}`;
    this.usedKeys.add(k);
    return k;
  }

  /** Keys say where in the function (line from its start), so a function moved by an edit keeps them. */
  tempKey(hint: string, n: Node): string {
    const s = n.startPosition;
    return `$${hint}@${s.row - this.shape.node.startPosition.row + 1}:${s.column + 1}#${++this.tempCount}`;
  }

  // ---- moves --------------------------------------------------------------------------------------

  /** Move a value into `dest` (a variable or a field): the handles now live under dest's keys. */
  moveInto(v: Value, dest: string): void {
    if (!v.key || v.borrowed) return;
    for (const p of v.parts) {
      const src = joinKey(v.key, p.path);
      const dst = joinKey(dest, p.path);
      if (src === dst) continue;
      if (CLASSES[p.cls].kind) this.emit({ kind: 'assign', target: dst, source: src, targetIsLocal: true, label: `${shortText(v.text)} moved to ${dst}` });
      if (!p.manual && this.hasDropCls(p.cls)) { this.birth(dst); this.kill(src); }
    }
    this.claim(v);
  }

  /** The value leaves this function's responsibility (stored elsewhere, returned, given to a callee). */
  consume(v: Value): void {
    if (!v.key || v.borrowed) return;
    for (const d of this.valueDroppables(v)) this.kill(d.key);
    this.claim(v);
  }

  /** Moved into something unknown that keeps it: references handed on, guards released there. */
  handOn(v: Value, how: string, span?: Span): void {
    if (!v.key || v.borrowed) return;
    for (const d of this.valueDroppables(v)) {
      if (CLASSES[d.cls].guard) { this.drop(d, how, span); continue; }
      if (CLASSES[d.cls].kind) this.emit({ kind: 'handOn', key: d.key, count: 1, label: `${d.label} ${how}` }, span);
      this.kill(d.key);
    }
    this.claim(v);
  }

  hasDropCls(cls: ClassId): boolean {
    return !!CLASSES[cls].drop?.[this.gen];
  }

  // ---- recipes ------------------------------------------------------------------------------------

  /**
   * Emit the steps of an API recipe. Refs resolve through `bind` (`$recv`, `$0`,
   * `$result`, `$recv.obj` ...); a step whose argument resolves to nothing is
   * skipped. Returns the flow on which the call produced Err/None, if any.
   */
  applySteps(steps: Step[], bind: Record<string, string | undefined>, label: string, span?: Span): Flow | undefined {
    const errs: Flow[] = [];
    for (const st of steps) {
      if (!this.reachable) break;
      if ('op' in st) {
        const args: IrArg[] = [];
        let ok = true;
        for (const a of st.args) {
          const k = resolveRef(a.ref, bind);
          if (k === undefined) { ok = false; break; }
          args.push({ key: k, text: k, ...(a.kind ? { kind: a.kind } : {}) });
        }
        if (!ok) continue;
        const opts: Record<string, string | boolean> = {};
        for (const [k, v] of Object.entries(st.opts ?? {})) {
          const r = typeof v === 'string' && v.startsWith('$') ? bind[v.slice(1)] : v;
          if (r !== undefined) opts[k] = r;
        }
        const result = st.result ? resolveRef(st.result, bind) : undefined;
        this.emit({
          kind: 'api', op: st.op, args, label: `${label}: ${st.what}`,
          ...(result ? { result } : {}), ...(Object.keys(opts).length ? { opts } : {}),
        }, span);
      } else if ('maybe' in st) {
        const [t, e] = this.fork(undefined, st.maybe, span);
        this.setFlow(t);
        const inner = this.applySteps(st.steps, bind, label, span);
        if (inner) errs.push(inner);
        this.joinInto([this.flow(), e]);
      } else if ('ifImmediate' in st) {
        if (this.f.immediate) {
          const inner = this.applySteps(st.ifImmediate, bind, label, span);
          if (inner) errs.push(inner);
        }
      } else if ('failIfNull' in st) {
        const k = resolveRef(st.failIfNull, bind);
        if (!k) continue;
        const [t, e] = this.fork({ test: 'null-or-err', key: k, negate: false }, `${label} fails`);
        errs.push(t);
        this.setFlow(e);
      } else {
        const [t, e] = this.fork(undefined, `${label}: ${st.mayFail}`, span);
        errs.push(t);
        this.setFlow(e);
      }
    }
    return errs.length ? joinFlows(errs) : undefined;
  }

  // ---- exits --------------------------------------------------------------------------------------

  /** Leave the function: drop everything still owned, then exit (with the returned handle, if any). */
  exitWith(how: string, span: Span | undefined, value?: Value, error?: boolean): void {
    if (!this.reachable) return;
    let ret: string | undefined;
    if (value && value.key && !value.borrowed) {
      // The returned handles are the caller's now.
      const ds = this.valueDroppables(value);
      for (const d of ds) { this.live.delete(d.key); this.maybe.delete(d.key); }
      this.claim(value);
      const own = value.parts.find((p) => p.path === '');
      // The returned object (a handle, or a raw pointer carrying a reference) goes to the caller.
      if (own || !value.parts.length) ret = value.key;
      else for (const d of ds) if (CLASSES[d.cls].kind) this.emit({ kind: 'handOn', key: d.key, label: `${d.label} returned` }, span);
    }
    this.unwind(0, how, span);
    for (const k of this.shape.handsOnAtExit ?? []) this.emit({ kind: 'handOn', key: k, label: `the reference taken on ${k} belongs to the caller's new ARef` }, span);
    this.b.exit(how, span, ret);
    const last = this.b.nodes[this.b.nodes.length - 1]!;
    if (last.event.kind === 'exit') {
      if (error !== undefined) last.event.error = error;
      if (this.returnsGuard) last.event.keepsLocks = true;
    }
  }

  // ---- blocks and statements ------------------------------------------------------------------------

  /** A block: its statements, then its tail value; its variables drop after the tail is evaluated. */
  lowerBlock(n: Node, opts: ExprOpts = {}): Value {
    const outerTail = this.tailTemps;
    const tailTarget = this.tailTemps ?? this.innermostTemps();
    this.pushScope();
    let value: Value = unit();
    const kids = n.namedChildren.filter((c): c is Node => !!c && c.type !== 'line_comment' && c.type !== 'block_comment');
    for (let i = 0; i < kids.length; i++) {
      const c = kids[i]!;
      if (!this.reachable) break;
      // A block-like tail (`if .. {} else {}`, `match`) parses as a statement without `;`.
      const tail = i === kids.length - 1
        ? (isExpressionNode(c) ? c : c.type === 'expression_statement' && !c.text.trimEnd().endsWith(';') ? c.namedChildren.find((x) => isExpressionNode(x)) : undefined)
        : undefined;
      if (tail) {
        // Temporaries of the tail expression outlive the block's variables (edition 2021).
        this.tailTemps = tailTarget;
        value = this.lowerExpr(tail, opts);
      } else {
        this.tailTemps = undefined;
        this.lowerStatement(c);
      }
    }
    this.tailTemps = outerTail;
    // A variable moved out as the block's value is not this block's to drop.
    const keep = value.place && !value.borrowed ? this.valueDroppables(value).map((d) => d.key) : [];
    const saved = keep.map((k) => [k, this.live.has(k) ? 'live' : this.maybe.has(k) ? 'maybe' : 'dead'] as const);
    for (const k of keep) { this.live.delete(k); this.maybe.delete(k); }
    this.popScope('end of block', closeSpan(n));
    for (const [k, st] of saved) if (st !== 'dead') (st === 'live' ? this.live : this.maybe).add(k);
    return value;
  }

  lowerStatement(n: Node): void {
    switch (n.type) {
      case 'let_declaration':
        this.lowerLet(n);
        return;
      case 'expression_statement': {
        const e = n.namedChildren.find((c) => c && c.type !== 'line_comment' && c.type !== 'block_comment');
        if (!e) return;
        this.pushTemps();
        const v = this.lowerExpr(e);
        void v;
        this.popTemps(n);
        return;
      }
      case 'empty_statement': case 'attribute_item': case 'inner_attribute_item':
      case 'function_item': case 'struct_item': case 'enum_item': case 'impl_item': case 'trait_item':
      case 'use_declaration': case 'const_item': case 'static_item': case 'type_item': case 'mod_item':
      case 'macro_definition': case 'union_item': case 'extern_crate_declaration': case 'foreign_mod_item':
        return;
      case 'ERROR':
        this.markUnparsed(n);
        return;
      default:
        if (isExpressionNode(n)) {
          this.pushTemps();
          this.lowerExpr(n);
          this.popTemps(n);
        }
    }
  }

  popTemps(stmt: Node): void {
    const r = this.regions.pop();
    if (r) this.dropRegion(r, 'end of statement', endSpan(stmt));
  }

  markUnparsed(n: Node): void {
    const s = spanOf(n);
    this.unparsed.push(s);
    if (this.reachable) this.emit({ kind: 'unparsed', label: `unparsed: ${shortText(n)}` }, s);
  }

  private lowerLet(n: Node): void {
    const pat = n.childForFieldName('pattern');
    const tyNode = n.childForFieldName('type');
    const valNode = n.childForFieldName('value');
    const alt = n.childForFieldName('alternative');
    const declType = tyNode ? parseType(tyNode.text) : undefined;
    this.pushTemps();
    if (!valNode) {
      // `let x;` (initialised later) or `let x: T;`
      if (pat) bindPattern(this, pat, { text: pat.text, parts: [], ...(declType ? { type: declType } : {}) }, { byValue: true, declType, uninit: true });
      this.popTemps(n);
      return;
    }
    const simple = pat?.type === 'identifier' || (pat?.type === 'mut_pattern' && pat.namedChildren[0]?.type === 'identifier');
    const name = simple ? (pat!.type === 'identifier' ? pat!.text : pat!.namedChildren[0]!.text) : undefined;
    const want = name ? this.peekKey(name) : undefined;
    // In a loop the same variable holds a new value each time round: forget the last one's objects.
    if (want && this.loops.length && this.reachable) this.emit({ kind: 'assign', target: want, source: `?${name}`, targetIsLocal: true, label: `let ${name}: a new value` });
    let v = this.lowerExpr(valNode, { ...(want ? { want } : {}), ...(declType ? { type: declType } : {}) });
    if (declType && !v.cls) v = retype(v, declType, this.shape.implType, this.f.items.defs);
    if (alt) {
      // let PAT = e else { diverge };
      const cond = pat ? patternCond(this, pat, v) : undefined;
      const [t, e] = this.fork(cond, `let ${shortText(pat ?? n)} else`, spanOf(n));
      this.setFlow(e);
      this.lowerExpr(alt);
      this.setFlow(t);
    }
    if (pat && this.reachable) bindPattern(this, pat, v, { byValue: true, declType, ...(want ? { key: want } : {}) });
    this.popTemps(n);
  }

  /** The key a new variable of this name would get (so a producer can name its result after it). */
  peekKey(name: string): string {
    let k = name;
    for (let n = 2; this.usedKeys.has(k); n++) k = `${name}#${n}`;
    return k;
  }

  // ---- expressions ------------------------------------------------------------------------------------

  lowerExpr(n: Node, opts: ExprOpts = {}): Value {
    if (!this.reachable) return { ...unit(n.text), diverges: true };
    switch (n.type) {
      case 'identifier': case 'self': return this.lowerIdent(n);
      case 'field_expression': return this.lowerField(n);
      case 'call_expression': return this.lowerCallExpr(n, opts);
      case 'macro_invocation': return lowerMacro(this, n);
      case 'try_expression': return this.lowerTry(n, opts);
      case 'await_expression': return this.lowerExpr(n.namedChildren[0]!, opts);
      case 'reference_expression': {
        const inner = n.childForFieldName('value') ?? n.namedChildren[n.namedChildren.length - 1];
        if (!inner) return unit(n.text);
        const v = this.lowerExpr(inner);
        return { ...v, text: n.text, borrowed: true };
      }
      case 'unary_expression': {
        const inner = n.namedChildren[0];
        if (!inner) return unit(n.text);
        const op = n.child(0)?.type;
        const v = this.lowerExpr(inner, opts);
        if (op === '!') return { text: n.text, parts: [], ...(v.cond ? { cond: negate(v.cond) } : {}) };
        if (op === '*') return { ...v, text: n.text };
        return unit(n.text);
      }
      case 'parenthesized_expression': {
        const inner = n.namedChildren.find((c) => c && c.type !== 'line_comment');
        return inner ? { ...this.lowerExpr(inner, opts), text: n.text } : unit(n.text);
      }
      case 'type_cast_expression': {
        const inner = n.childForFieldName('value');
        return inner ? { ...this.lowerExpr(inner, opts), text: n.text } : unit(n.text);
      }
      case 'binary_expression': return this.lowerBinary(n);
      case 'assignment_expression': return this.lowerAssign(n);
      case 'compound_assignment_expr': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (r) this.lowerExpr(r);
        if (l) this.lowerExpr(l);
        return unit(n.text);
      }
      case 'block': return this.lowerBlock(n, opts);
      case 'unsafe_block': case 'async_block': case 'const_block': case 'gen_block': case 'try_block': {
        const blk = n.namedChildren.find((c) => c?.type === 'block');
        return blk ? { ...this.lowerBlock(blk, opts), text: n.text } : unit(n.text);
      }
      case 'if_expression': return this.lowerIf(n, opts);
      case 'match_expression': return this.lowerMatch(n, opts);
      case 'loop_expression': case 'while_expression': case 'for_expression': return this.lowerLoop(n);
      case 'return_expression': {
        const e = n.namedChildren.find((c) => c && c.type !== 'line_comment');
        const v = e ? this.lowerExpr(e, this.shape.returnType ? { type: this.shape.returnType } : {}) : unit();
        this.exitWith('return', spanOf(n), v, v.isErr && !v.null ? true : v.isOk || !e ? false : undefined);
        return { ...unit(n.text), diverges: true };
      }
      case 'break_expression': return this.lowerBreak(n, true);
      case 'continue_expression': return this.lowerBreak(n, false);
      case 'closure_expression': return this.lowerClosureExpr(n);
      case 'struct_expression': return this.lowerStruct(n, opts);
      case 'tuple_expression': case 'array_expression': return this.lowerAggregate(n, opts);
      case 'index_expression': {
        const base = n.namedChildren[0];
        const idx = n.namedChildren[1];
        if (idx) this.lowerExpr(idx);
        const v = base ? this.lowerExpr(base) : unit();
        return { text: n.text, parts: [], ...(v.key ? { key: `${v.key}.[]`, place: v.place, borrowed: true } : {}) };
      }
      case 'range_expression': {
        for (const c of n.namedChildren) if (c) this.lowerExpr(c);
        return unit(n.text);
      }
      case 'scoped_identifier': return this.lowerPathValue(n);
      case 'ERROR':
        this.markUnparsed(n);
        return unit(n.text);
      case 'line_comment': case 'block_comment':
        return unit('');
      default:
        return unit(n.text);
    }
  }

  private lowerIdent(n: Node): Value {
    const v = this.lookup(n.text);
    if (!v) {
      if (n.text === 'None') return { text: 'None', parts: [], isErr: true };
      return unit(n.text);
    }
    return {
      text: n.text, key: v.key, place: true, parts: v.owned ? v.parts : [],
      ...(v.ref ? { borrowed: true } : {}), ...(v.manual ? { manual: true } : {}),
      ...(v.type ? { type: v.type } : {}), ...(v.cls ? { cls: v.cls } : {}), ...(v.meta ? { meta: v.meta } : {}),
      ...(v.resvOf ? { resvOf: v.resvOf } : {}), ...(v.closure ? { closure: v.closure } : {}), ...(v.cond ? { cond: v.cond } : {}),
      ...(v.nullable ? { nullable: v.nullable } : {}),
    };
  }

  /** `Type::CONST` or a unit enum variant. */
  private lowerPathValue(n: Node): Value {
    const t = n.text;
    if (/(?:^|::)None$/.test(t)) return { text: t, parts: [], isErr: true };
    return unit(t);
  }

  lowerField(n: Node): Value {
    const baseN = n.childForFieldName('value');
    const field = n.childForFieldName('field')?.text ?? '';
    if (!baseN) return unit(n.text);
    const base = this.lowerExpr(baseN);
    return fieldOf(this, base, field, n.text);
  }

  private lowerTry(n: Node, opts: ExprOpts): Value {
    const inner = n.namedChildren[0];
    if (!inner) return unit(n.text);
    const v = this.lowerExpr(inner, { ...opts, checked: true });
    const q = questionSpan(n);
    const how = `\`?\` on \`${shortText(inner)}\``;
    let errFlow: Flow | undefined = v.err;
    if (!errFlow && this.reachable) {
      if (v.isErr && !v.null) {
        errFlow = this.flow();
        this.setFlow({ open: [], live: new Set(), maybe: new Set() });
      } else if (v.nullable) {
        const [t, e] = this.fork({ test: 'null-or-err', key: v.nullable, negate: false }, how, q);
        errFlow = t;
        this.setFlow(e);
      } else if (v.errVar) {
        const [t, e] = this.fork({ test: 'zero', key: v.errVar, negate: true }, how, q);
        errFlow = t;
        this.setFlow(e);
      } else if (!v.diverges) {
        const [t, e] = this.fork(undefined, how, q);
        errFlow = t;
        this.setFlow(e);
      }
    }
    if (errFlow && errFlow.open.length) {
      const ok = this.flow();
      this.setFlow(errFlow);
      // The Err value itself owns nothing the function keeps.
      this.exitWith(how, q, undefined, true);
      this.setFlow(ok);
    }
    const out: Value = { ...v, text: n.text };
    delete out.err; delete out.nullable; delete out.errVar; delete out.isErr; delete out.isOk;
    if (v.type) out.type = unwrapType(v.type);
    return out;
  }

  private lowerCallExpr(n: Node, opts: ExprOpts): Value {
    const fnNode = n.childForFieldName('function');
    if (fnNode?.type === 'field_expression') return lowerMethodCall(this, n, fnNode, opts);
    return lowerCall(this, n, fnNode, opts);
  }

  /** Evaluate arguments left to right. */
  lowerArgs(n: Node | null): Array<{ node: Node; value: Value }> {
    const out: Array<{ node: Node; value: Value }> = [];
    for (const a of n?.namedChildren ?? []) {
      if (!a || a.type === 'line_comment' || a.type === 'block_comment' || a.type === 'attribute_item') continue;
      out.push({ node: a, value: this.lowerExpr(a) });
    }
    return out;
  }

  private lowerBinary(n: Node): Value {
    const l = n.childForFieldName('left');
    const r = n.childForFieldName('right');
    const op = n.childForFieldName('operator')?.type ?? n.child(1)?.type;
    if (op === '&&' || op === '||') {
      // Value position: the right side runs on some paths only.
      const lv = l ? this.lowerExpr(l) : unit();
      const [t, e] = this.fork(lv.cond ? (op === '&&' ? lv.cond : negate(lv.cond)) : undefined, op, spanOf(n));
      this.setFlow(t);
      if (r) this.lowerExpr(r);
      this.joinInto([this.flow(), e]);
      return unit(n.text);
    }
    const lv = l ? this.lowerExpr(l) : unit();
    const rv = r ? this.lowerExpr(r) : unit();
    if ((op === '==' || op === '!=') && lv.key && rv.key && isHandleClass(lv.cls) && isHandleClass(rv.cls)) {
      return { text: n.text, parts: [], cond: { test: 'same', key: lv.key, other: rv.key, negate: op === '!=' } };
    }
    return unit(n.text);
  }

  private lowerAssign(n: Node): Value {
    const l = n.childForFieldName('left');
    const r = n.childForFieldName('right');
    if (!l || !r) return unit(n.text);
    const target = this.lowerExpr(l);
    // The new value is built under the place's key only when no old value lives there: the old
    // one is dropped after the right side is evaluated, and must not be confused with it.
    const oldLive = !!target.key && this.liveUnder(target.key);
    const v = this.lowerExpr(r, target.key && !target.borrowed && !oldLive ? { want: target.key } : {});
    if (!target.key) return unit(n.text);
    // The old value of an owned place is dropped when it is overwritten.
    const parts = target.parts.length ? target.parts : v.parts;
    if (oldLive) for (const d of droppablesOf(target.key, parts, this.gen, shortText(l))) this.drop(d, 'assignment overwrites it', spanOf(n));
    // A place behind a reference (a field of `&mut self`, of a `&mut` parameter) outlives this
    // function: what is stored there is handed on.
    const outside = !!target.borrowed;
    if (v.key && v.key !== target.key) {
      if (v.parts.length && !v.borrowed && !outside) this.moveInto(v, target.key);
      else {
        if (outside) this.handOn(v, `stored in ${shortText(l)}`, spanOf(n));
        this.emit({ kind: 'assign', target: target.key, source: v.key, targetIsLocal: !outside, label: shortText(n) }, spanOf(n));
      }
    } else if (v.isErr) {
      this.emit({ kind: 'assign', target: target.key, source: 'NULL', targetIsLocal: true, label: shortText(n) }, spanOf(n));
    } else if (v.key === target.key) {
      this.claim(v);
    } else {
      // Something the model does not know: the target no longer names what it did.
      this.emit({ kind: 'assign', target: target.key, source: `?${shortText(r)}`, targetIsLocal: true, label: shortText(n) }, spanOf(n));
    }
    // A local assigned later (`let x; ... x = v;`), or a field of a local (`ctx.vm_bo = Some(v)`),
    // takes the value's handles: they drop with the local.
    const dot = target.key.indexOf('.');
    const base = this.lookupByKey(dot < 0 ? target.key : target.key.slice(0, dot));
    if (base && !base.ref && !outside && v.parts.length) {
      if (dot < 0) {
        if (!base.parts.length) base.parts = v.parts;
      } else {
        const rel = target.key.slice(dot + 1);
        const add = v.parts.map((p) => ({ ...p, path: p.path ? `${rel}.${p.path}` : rel })).filter((p) => !base.parts.some((q) => q.path === p.path));
        if (add.length) base.parts = [...base.parts, ...add];
        base.owned = true;
      }
    }
    return unit(n.text);
  }

  /** Whether a handle at `key` or inside it may still be owned here. */
  private liveUnder(key: string): boolean {
    const under = (k: string): boolean => k === key || k.startsWith(`${key}.`);
    for (const k of this.live) if (under(k)) return true;
    for (const k of this.maybe) if (under(k)) return true;
    return false;
  }

  private lookupByKey(key: string): Var | undefined {
    for (let i = this.regions.length - 1; i >= 0; i--) {
      const r = this.regions[i]!;
      if (r.kind === 'scope') for (const v of r.vars) if (v.key === key) return v;
    }
    return undefined;
  }

  // ---- conditions -------------------------------------------------------------------------------------

  /** Lower a condition: the flows where it holds and where it does not. */
  lowerCond(n: Node): [Flow, Flow] {
    switch (n.type) {
      case 'parenthesized_expression': {
        const inner = n.namedChildren.find((c) => c && c.type !== 'line_comment');
        if (inner) return this.lowerCond(inner);
        break;
      }
      case 'unary_expression':
        if (n.child(0)?.type === '!' && n.namedChildren[0]) {
          const [t, e] = this.lowerCond(n.namedChildren[0]);
          return [e, t];
        }
        break;
      case 'binary_expression': {
        const op = n.childForFieldName('operator')?.type ?? n.child(1)?.type;
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if ((op === '&&' || op === '||') && l && r) {
          const [lt, le] = this.lowerCond(l);
          if (op === '&&') {
            this.setFlow(lt);
            const [rt, re] = this.lowerCond(r);
            return [rt, joinFlows([le, re])];
          }
          this.setFlow(le);
          const [rt, re] = this.lowerCond(r);
          return [joinFlows([lt, rt]), re];
        }
        break;
      }
      case 'let_chain': {
        let fails: Flow[] = [];
        let cur: Flow = this.flow();
        for (const c of n.namedChildren) {
          if (!c || c.type === 'line_comment') continue;
          this.setFlow(cur);
          const [t, e] = this.lowerCond(c);
          fails = [...fails, e];
          cur = t;
        }
        return [cur, joinFlows(fails)];
      }
      case 'let_condition': {
        const pat = n.childForFieldName('pattern');
        const val = n.childForFieldName('value');
        // Scrutinee temporaries live through the whole if/while: they stay in the enclosing region.
        const v = val ? this.lowerExpr(val, { checked: true }) : unit();
        const cond = pat ? patternCond(this, pat, v) : undefined;
        const [t, e] = this.fork(cond, `if let ${shortText(pat ?? n)}`, spanOf(n));
        this.setFlow(t);
        if (pat && this.reachable) bindPattern(this, pat, v, { byValue: !v.borrowed });
        const tAfter = this.flow();
        const eFlow = v.err ? joinFlows([e, v.err]) : e;
        return [tAfter, eFlow];
      }
      default:
        break;
    }
    const v = this.lowerExpr(n);
    return this.fork(v.cond, `if ${shortText(n)}`, spanOf(n));
  }

  private lowerIf(n: Node, opts: ExprOpts): Value {
    const condN = n.childForFieldName('condition');
    const cons = n.childForFieldName('consequence');
    const alt = n.childForFieldName('alternative');
    const isLet = condN?.type === 'let_condition' || condN?.type === 'let_chain';
    this.pushScope(); // bindings of `if let`, dropped at the end of the consequence
    if (!isLet) this.pushTemps(); // temporaries of a plain condition drop before the branches
    let [t, e] = condN ? this.lowerCond(condN) : this.fork(undefined, 'if');
    if (!isLet) {
      const r = this.regions.pop();
      if (r?.kind === 'temps' && r.temps.length) {
        const at = condN ? spanOf(condN) : undefined;
        [t, e] = [t, e].map((f) => {
          this.setFlow(f);
          for (let i = r.temps.length - 1; i >= 0; i--) this.drop(r.temps[i]!, 'end of the condition', at);
          return this.flow();
        }) as [Flow, Flow];
      }
    }
    const want = opts.want;
    this.setFlow(t);
    const branch: ExprOpts = { ...(want ? { want } : {}), ...(opts.type ? { type: opts.type } : {}) };
    const tv = cons ? this.lowerExpr(cons, branch) : unit();
    if (want) this.settle(tv, want);
    this.popScope('end of the if let', cons ? closeSpan(cons) : undefined);
    const tFlow = this.flow();
    this.setFlow(e);
    let ev = unit();
    if (alt) {
      const body = alt.namedChildren.find((c) => c && c.type !== 'line_comment');
      if (body) ev = this.lowerExpr(body, branch);
      if (want) this.settle(ev, want);
    }
    this.joinInto([tFlow, this.flow()]);
    return this.joinValues(n, [tv, ev], want);
  }

  /** Make a branch's value live under `want`, so branches agree on where it is. */
  settle(v: Value, want: string): void {
    if (!this.reachable || !v.key || v.borrowed || v.key === want) { this.claim(v); return; }
    if (v.parts.length) this.moveInto(v, want);
  }

  joinValues(n: Node, vs: Value[], want?: string): Value {
    const live = vs.filter((v) => !v.diverges);
    if (!live.length) return { ...unit(n.text), diverges: !this.reachable };
    if (live.length === 1) return { ...live[0]!, text: n.text };
    const first = live[0]!;
    const parts = live.find((v) => v.parts.length)?.parts ?? [];
    if (want && parts.length) return { text: n.text, key: want, parts, temp: true, ...(first.cls ? { cls: first.cls } : {}) };
    return { text: n.text, parts: [], ...(first.key && live.every((v) => v.key === first.key) ? { key: first.key } : {}) };
  }

  private lowerMatch(n: Node, opts: ExprOpts): Value {
    const scrN = n.childForFieldName('value');
    const body = n.childForFieldName('body');
    // Temporaries of the scrutinee live until the end of the match (they are in the statement's region).
    const scr = scrN ? this.lowerExpr(scrN, { checked: true }) : unit();
    const arms = (body?.namedChildren ?? []).filter((c): c is Node => c?.type === 'match_arm');
    const ends: Flow[] = [];
    const vals: Value[] = [];
    const want = opts.want;
    let rest = this.flow();
    const errFlow = scr.err;
    for (const arm of arms) {
      const mp = arm.childForFieldName('pattern');
      const pat = mp?.namedChildren.find((c) => c && c.type !== 'line_comment' && c.type !== 'attribute_item') ?? undefined;
      const guard = mp?.childForFieldName('condition');
      this.setFlow(rest);
      const isErrArm = !!pat && /^(?:Err|None)\b/.test(pat.text);
      if (isErrArm && errFlow) {
        // The API's failure paths flow into the Err arm.
        this.setFlow(joinFlows([rest, errFlow]));
      }
      const cond = pat ? patternCond(this, pat, scr) : undefined;
      const [t, e] = this.fork(cond, `match arm ${shortText(pat ?? arm)}`, pat ? spanOf(pat) : spanOf(arm));
      rest = e;
      this.setFlow(t);
      this.pushScope();
      if (pat && this.reachable) bindPattern(this, pat, scr, { byValue: !scr.borrowed });
      if (guard) {
        const [gt, ge] = this.lowerCond(guard);
        rest = joinFlows([rest, ge]);
        this.setFlow(gt);
      }
      const valN = arm.childForFieldName('value');
      const v = valN ? this.lowerExpr(valN, { ...(want ? { want } : {}), ...(opts.type ? { type: opts.type } : {}) }) : unit();
      if (want) this.settle(v, want);
      vals.push(v);
      this.popScope('end of the match arm', valN ? endSpan(valN) : undefined);
      ends.push(this.flow());
    }
    this.joinInto(ends);
    return this.joinValues(n, vals, want);
  }

  private lowerLoop(n: Node): Value {
    const label = n.namedChildren.find((c) => c?.type === 'label')?.text.replace(/^'/, '');
    const body = n.childForFieldName('body');
    this.pushScope();
    let iterTemps = false;
    if (n.type === 'for_expression') {
      const v = n.childForFieldName('value');
      this.pushTemps();
      iterTemps = true;
      if (v) this.lowerExpr(v);
    }
    const kind = n.type === 'loop_expression' ? 'loop' : n.type === 'while_expression' ? 'while' : 'for';
    const head = this.emit({ kind: 'nop', label: `${kind} head` });
    const entryFlow = this.flow();
    const ctx: LoopCtx = { head, breaks: [], depth: this.regions.length, ...(label ? { label } : {}) };
    // Two times round the loop are explored: enough for what one iteration leaves to the next,
    // and a bound where each iteration meets objects the model has not seen yet.
    const pos = n.startPosition;
    const at = `${pos.row - this.shape.node.startPosition.row + 1}:${pos.column + 1}`;
    const once = `$${kind}@${at}#1`;
    const twice = `$${kind}@${at}#2`;
    const [third, more] = this.fork({ test: 'flag', key: twice, negate: false }, `${kind}: a third time round is not explored`);
    if (kind !== 'loop') ctx.breaks.push(third);
    this.setFlow(more);
    const [second, first] = this.fork({ test: 'flag', key: once, negate: false }, `${kind}: time round`);
    this.setFlow(second);
    this.emit({ kind: 'flag', key: twice, set: true, label: `${kind}: second time round` });
    const secondFlow = this.flow();
    this.setFlow(first);
    this.emit({ kind: 'flag', key: once, set: true, label: `${kind}: first time round` });
    this.joinInto([secondFlow, this.flow()]);
    this.loops.push(ctx);
    this.pushScope();
    if (n.type === 'while_expression') {
      const c = n.childForFieldName('condition');
      const [t, e] = c ? this.lowerCond(c) : this.fork(undefined, 'while');
      ctx.breaks.push(e);
      this.setFlow(t);
    } else if (n.type === 'for_expression') {
      const [t, e] = this.fork(undefined, 'for: next item', spanOf(n));
      ctx.breaks.push(e);
      this.setFlow(t);
      const pat = n.childForFieldName('pattern');
      if (pat) bindPattern(this, pat, unit('item'), { byValue: false });
    }
    if (body) this.lowerBlock(body);
    this.popScope('end of the loop body', body ? closeSpan(body) : undefined);
    if (this.reachable) this.b.connect(this.b.open, head);
    this.loops.pop();
    this.joinInto(ctx.breaks.length ? ctx.breaks : [{ ...entryFlow, open: [] }]);
    if (this.reachable) {
      this.emit({ kind: 'flag', key: once, set: false, label: `${kind} done` });
      this.emit({ kind: 'flag', key: twice, set: false, label: `${kind} done` });
    }
    if (iterTemps) this.popTemps(n);
    this.popScope('end of the loop', closeSpan(n));
    return unit(n.text);
  }

  private lowerBreak(n: Node, isBreak: boolean): Value {
    const label = n.namedChildren.find((c) => c?.type === 'label')?.text.replace(/^'/, '');
    const ctx = label ? [...this.loops].reverse().find((l) => l.label === label) : this.loops[this.loops.length - 1];
    const e = n.namedChildren.find((c) => c && c.type !== 'label' && c.type !== 'line_comment');
    if (e) this.lowerExpr(e);
    if (!ctx) return { ...unit(n.text), diverges: true };
    this.unwind(ctx.depth, isBreak ? 'break' : 'continue', spanOf(n));
    if (isBreak) ctx.breaks.push(this.flow());
    else if (this.reachable) this.b.connect(this.b.open, ctx.head);
    this.setFlow({ open: [], live: new Set(), maybe: new Set() });
    return { ...unit(n.text), diverges: true };
  }

  private lowerStruct(n: Node, opts: ExprOpts): Value {
    const nameN = n.childForFieldName('name');
    const tyName = (nameN?.text ?? '').replace(/<.*$/s, '').split('::').pop() ?? '';
    const typeName = tyName === 'Self' ? this.shape.implType ?? tyName : tyName;
    const dest = opts.want ?? this.tempKey(typeName || 'struct', n);
    const parts: Part[] = [];
    for (const fi of n.childForFieldName('body')?.namedChildren ?? []) {
      if (!fi) continue;
      if (fi.type === 'shorthand_field_initializer') {
        const field = fi.text;
        const v = this.lowerIdent(fi.namedChildren[0] ?? fi);
        this.absorb(v, dest, field, parts);
      } else if (fi.type === 'field_initializer') {
        const field = fi.childForFieldName('field')?.text ?? '';
        const vn = fi.childForFieldName('value');
        if (!vn) continue;
        const v = this.lowerExpr(vn, { want: joinKey(dest, field) });
        this.absorb(v, dest, field, parts);
      } else if (fi.type === 'base_field_initializer') {
        const vn = fi.namedChildren[0];
        if (vn) this.lowerExpr(vn);
      }
    }
    const own = classify(parseType(typeName), this.shape.implType, this.f.items.defs);
    // Fields initialised later (`ctx.vm_bo = Some(vm_bo)`) are the struct's too: their drop flags
    // decide. Fields drop in declaration order, whatever the order of the literal.
    const declared = partsOf(parseType(typeName), this.f.items.defs, this.shape.implType);
    for (const p of declared) if (p.path && !parts.some((q) => q.path === p.path)) parts.push(p);
    const order = (p: Part): number => { const i = declared.findIndex((q) => q.path === p.path || p.path.startsWith(`${q.path}.`)); return i < 0 ? declared.length : i; };
    parts.sort((a, b) => order(a) - order(b));
    const value: Value = { text: n.text, key: dest, parts, temp: true, type: parseType(typeName) };
    if (own) value.cls = own.cls;
    return value;
  }

  /** A field value moves into a struct (or tuple/array) under construction: it stays a temporary of it. */
  absorb(v: Value, dest: string, field: string, parts: Part[]): void {
    const at = joinKey(dest, field);
    if (v.key && !v.borrowed && v.parts.length) {
      if (v.closure) this.closureEscapes(v, 'stored in a struct');
      this.moveInto(v, at);
      for (const p of v.parts) {
        parts.push({ ...p, path: joinKey(field, p.path) });
        if (!p.manual && this.hasDropCls(p.cls)) this.addTempNoBirth({ key: joinKey(at, p.path), cls: p.cls, label: joinKey(at, p.path), ...(p.meta ? { meta: p.meta } : {}) });
      }
    } else if (v.closure) {
      this.closureEscapes(v, 'stored in a struct');
    } else if (v.key && !v.borrowed && v.cls && CLASSES[v.cls].kind && v.key !== at) {
      this.emit({ kind: 'assign', target: at, source: v.key, targetIsLocal: true, label: `${field}: ${shortText(v.text)}` });
    }
  }

  /** A temporary whose flag is already set (moved in from elsewhere). */
  addTempNoBirth(d: Droppable): void {
    const idx = this.tailTemps ?? this.innermostTemps();
    const r = idx === undefined ? undefined : this.regions[idx];
    if (r?.kind === 'temps' && !r.temps.some((t) => t.key === d.key)) r.temps.push(d);
  }

  private lowerAggregate(n: Node, opts: ExprOpts): Value {
    const dest = opts.want ?? this.tempKey(n.type === 'tuple_expression' ? 'tuple' : 'array', n);
    const parts: Part[] = [];
    let i = 0;
    for (const c of n.namedChildren) {
      if (!c || c.type === 'line_comment' || c.type === 'attribute_item') continue;
      const field = String(i++);
      const v = this.lowerExpr(c, { want: joinKey(dest, field) });
      this.absorb(v, dest, field, parts);
    }
    return { text: n.text, key: dest, parts, temp: true };
  }

  // ---- closures -----------------------------------------------------------------------------------------

  private lowerClosureExpr(n: Node): Value {
    const ref = lowerClosure(this, n);
    return { text: n.text, parts: [], closure: ref };
  }

  /** A closure that runs later elsewhere: a `move` closure takes its captured handles with it. */
  closureEscapes(v: Value, how: string): void {
    const c = v.closure;
    if (!c || !c.isMove) return;
    for (const cap of c.captures) {
      const x = this.lookup(cap.name);
      if (!x) continue;
      this.handOn({ text: x.name, key: x.key, parts: x.owned ? x.parts : [], place: true, ...(x.meta ? { meta: x.meta } : {}) }, `moved into a closure ${how}`);
    }
  }

  /** Run a closure here (passed to a combinator that calls it before returning). */
  callClosure(c: ClosureRef, span: Span | undefined, label: string): void {
    if (!this.reachable) return;
    this.emit({ kind: 'call', callee: c.fn, args: c.captures.map((x) => x.key), label }, span);
  }

  // ---- parameters -----------------------------------------------------------------------------------------

  /** Declare a parameter: a by-value handle is owned from the start (its drop flag is set on entry). */
  declareParam(name0: string, t: TypeRef | undefined, pattern?: Node): void {
    const name = name0.replace(/^mut\s+/, '');
    if (pattern && pattern.type !== 'identifier' && pattern.type !== 'self' && pattern.type !== 'mut_pattern') {
      // A destructured parameter binds its parts like a let.
      const key = this.freshKey('$arg');
      this.params.push({ name: key, key });
      const v: Value = { text: pattern.text, key, parts: t && !t.borrowed ? partsOf(t, this.f.items.defs, this.shape.implType) : [], ...(t ? { type: t } : {}) };
      for (const d of this.valueDroppables(v)) this.birth(d.key);
      bindPattern(this, pattern, v, { byValue: !t?.borrowed, ...(t ? { declType: t } : {}) });
      return;
    }
    const vc = t ? classify(t, this.shape.implType, this.f.items.defs) : undefined;
    const parts = vc ? (vc.owned ? [{ path: '', cls: vc.cls }] : []) : t && !t.borrowed ? partsOf(t, this.f.items.defs, this.shape.implType) : [];
    const key = this.freshKey(name);
    const cls = vc?.cls;
    const info = cls ? CLASSES[cls] : undefined;
    const param: IrParam = { name: key, key };
    if (info?.kind) param.kind = info.kind;
    if (vc?.owned && info?.kind === 'vm_bo') param.owned = true;
    if (vc?.owned && info?.detached) param.detached = true;
    this.params.push(param);
    const v: Var = {
      name, key, owned: parts.length > 0, parts, span: spanOf(pattern ?? this.shape.node), ...(t?.borrowed ? { ref: true } : {}),
      ...(t ? { type: t } : {}), ...(cls ? { cls } : {}), ...(vc?.manual ? { manual: true } : {}),
    };
    if (cls && CLASSES[cls].guard) v.meta = { lock: key, vm: key };
    this.declare(v);
    for (const d of this.varDroppables(v)) this.birth(d.key);
    const lock = cls ? GUARD_PARAM_LOCKS[cls] : undefined;
    if (lock) this.entryLocks.push({ lock: lock.lock, arg: { key, text: name, ...(lock.kind ? { kind: lock.kind } : {}) } });
  }

  // ---- the function -------------------------------------------------------------------------------------

  /** Lower the whole body; returns the IR function (without file-level fields filled by the caller). */
  finish(body: Node | null): { nodes: IrFunction['nodes']; entry: number } {
    if (body) {
      this.pushTemps(); // temporaries of the body's tail expression
      // A returned handle is built under one name on every path (`<return>`), so branches agree.
      const rt = this.shape.returnType;
      const returnsHandle = !!rt && partsOf(rt, this.f.items.defs, this.shape.implType).some((p) => p.path === '');
      const o: ExprOpts = rt ? { type: rt, ...(returnsHandle ? { want: '<return>' } : {}) } : {};
      const v = body.type === 'block' ? this.lowerBlock(body, o) : this.lowerExpr(body, o);
      if (this.reachable) {
        // Tail temporaries drop after the body's locals, before the parameters.
        const temps = this.regions.pop();
        const end = closeSpan(body);
        if (v.key && !v.borrowed) {
          for (const d of this.valueDroppables(v)) { this.live.delete(d.key); this.maybe.delete(d.key); }
          this.claim(v);
          if (temps?.kind === 'temps') { const keys = new Set(this.valueDroppables(v).map((d) => d.key)); temps.temps = temps.temps.filter((t) => !keys.has(t.key)); }
        }
        if (temps) this.dropRegion(temps, 'end of function', end);
        this.exitWith('end of function', end, v, v.isErr && !v.null ? true : v.isOk ? false : undefined);
      }
    }
    return { nodes: this.b.nodes, entry: this.b.entry };
  }
}

// ---- helpers shared by the lowering modules -----------------------------------------------------------------

function prefixed(meta: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta ?? {})) out[k] = v;
  return out;
}

/** `$recv.obj` -> the receiver key + `.obj`, or what the receiver remembers as `obj`. */
export function resolveRef(ref: string, bind: Record<string, string | undefined>): string | undefined {
  if (!ref.startsWith('$')) return ref;
  const m = /^\$(\w+)((?:\.[\w()]+)*)$/.exec(ref);
  if (!m) return undefined;
  const [, name, rest] = m;
  if (rest) {
    const first = rest.slice(1).split('.')[0]!;
    const meta = bind[`${name}.${first}`];
    if (meta !== undefined) return meta + rest.slice(1 + first.length);
  }
  const base = bind[name!];
  if (base === undefined) return undefined;
  return base + (rest ?? '');
}

export function negate(c: Cond): Cond {
  return { ...c, negate: !c.negate } as Cond;
}

export function isHandleClass(c: ClassId | undefined): boolean {
  return !!c && !!CLASSES[c].kind;
}

const EXPRESSION_TYPES = new Set([
  'identifier', 'self', 'field_expression', 'call_expression', 'macro_invocation', 'try_expression', 'await_expression',
  'reference_expression', 'unary_expression', 'parenthesized_expression', 'type_cast_expression', 'binary_expression',
  'assignment_expression', 'compound_assignment_expr', 'block', 'unsafe_block', 'async_block', 'const_block', 'gen_block', 'try_block',
  'if_expression', 'match_expression', 'loop_expression', 'while_expression', 'for_expression', 'return_expression',
  'break_expression', 'continue_expression', 'closure_expression', 'struct_expression', 'tuple_expression',
  'array_expression', 'index_expression', 'range_expression', 'scoped_identifier', 'generic_function',
  'integer_literal', 'float_literal', 'string_literal', 'raw_string_literal', 'char_literal', 'boolean_literal',
  'unit_expression', 'yield_expression', 'negative_literal',
]);

export function isExpressionNode(n: Node): boolean {
  return EXPRESSION_TYPES.has(n.type);
}

/** The closing brace of a block (drops at the end of a scope point there). */
export function closeSpan(n: Node): Span {
  const s = spanOf(n);
  return { start: { line: s.end.line, column: Math.max(1, s.end.column - 1) }, end: s.end, startIndex: Math.max(n.startIndex, n.endIndex - 1), endIndex: n.endIndex };
}

export function endSpan(n: Node): Span {
  return closeSpan(n);
}

/** The `?` token of a try expression. */
function questionSpan(n: Node): Span {
  return closeSpan(n);
}

/** A field of a value: its key, type, class and the handles under it. */
export function fieldOf(L: FnLowerer, base: Value, field: string, text: string): Value {
  if (!base.key) return { text, parts: [] };
  const kind = base.cls ? CLASSES[base.cls].kind : undefined;
  const embedded = kind ? EMBEDDED[kind] : undefined;
  if (embedded?.includes(field)) return { ...base, text };
  if (field === 'resv') {
    const k = base.key;
    const rObj = /^(.*)\.r_obj$/.exec(k);
    const resvOf = rObj ? { key: rObj[1]!, kind: 'vm' as const } : { key: k, kind: kind === 'vm' ? 'vm' as const : 'gem' as const };
    return { text, parts: [], resvOf, key: `${k}.resv`, borrowed: true };
  }
  const t = base.type ? fieldType(base.type, field, L.f.items.defs, L.shape.implType) : undefined;
  const vc = t ? classify(t, L.shape.implType, L.f.items.defs) : undefined;
  const parts = partsUnder(base.parts, field);
  const own = parts.find((p) => p.path === '');
  const cls = vc?.cls ?? own?.cls;
  return {
    text, key: `${base.key}.${field}`, parts, ...(base.place ? { place: true } : {}), ...(base.borrowed ? { borrowed: true } : {}),
    ...(t ? { type: t } : {}), ...(cls ? { cls } : {}), ...(base.manual ? { manual: true } : {}),
  };
}

const EMBEDDED = EMBEDDED_C_FIELDS;

/** Give a value the class of a declared type (`let x: ARef<GpuVmBo<T>> = unsafe { ARef::from_raw(p) }`). */
export function retype(v: Value, t: TypeRef, selfType?: string, defs?: TypeDefs): Value {
  const vc = classify(t, selfType, defs);
  if (!vc) return { ...v, type: t };
  return { ...v, type: t, cls: vc.cls, ...(vc.manual ? { manual: true } : {}) };
}
