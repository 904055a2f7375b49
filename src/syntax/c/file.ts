// A C file -> IrFile: finds the function definitions (also inside #if blocks),
// the ops tables, the one-line accessors, the suppression comments and the VM
// mode, decides which functions can reach GPUVM (a text prefilter plus the
// file's call graph), and lowers each function.

import type { Node, Tree } from 'web-tree-sitter';
import { copyBody, copyHead, copyTree, SourceText, type CNode, type FunctionHead } from './cnode';
import type { Span } from '../../analysis/ir';
import type { IrFile, IrFunction } from '../../analysis/ir';
import { CALLBACK_REGISTRARS, GPUVA_LOCK_REGISTRAR, isConversion, knownCFunctionNames, OPS_TABLES, RESV_ACCESSORS, TRANSPARENT, VM_RESV_GEMS } from '../../api/c';
import { emptyIrFile, type LowerOptions } from '../frontend';
import { findDirectives, type Directive } from './comments';
import type { FileCtx } from './context';
import { functionDeclarator, lowerFunction, type FunctionSource } from './function';
import { callArgs, callName, type Accessor } from './keys';
import { spanOf } from '../lines';
import { collectEmbeddingStructs, typeName } from './types';

const PREFILTER = new RegExp(
  `\\b(?:${knownCFunctionNames().map((n) => n.replace(/[^\w]/g, '')).join('|')})\\s*\\(|gpuva\\.lock|(?:extobj|evict)\\.list|gpuvm-review`,
);
const CALL_NAME = /\b([A-Za-z_]\w*)\s*\(/g;

/** Every function definition, with the declarations around them (ops tables), through #if blocks. */
function topLevel(root: Node, fns: Node[], decls: Node[]): void {
  for (let i = 0; i < root.namedChildCount; i++) {
    const c = root.namedChild(i)!;
    switch (c.type) {
      case 'function_definition':
        fns.push(c);
        break;
      case 'declaration': case 'struct_specifier': case 'type_definition':
        decls.push(c);
        break;
      case 'preproc_if': case 'preproc_ifdef': case 'preproc_elif': case 'preproc_elifdef': case 'preproc_else':
      case 'linkage_specification': case 'declaration_list': case 'ERROR':
        topLevel(c, fns, decls);
        break;
    }
  }
}

/** `static int f(...) { return <expr>; }` with nothing but field accesses and conversions in <expr>. */
function accessorOf(def: Node, text: string, src: SourceText, lang: Tree['language']): Accessor | undefined {
  const body = def.childForFieldName('body');
  if (!body || body.namedChildCount !== 1) return undefined;
  const ret = body.namedChild(0)!;
  if (ret.type !== 'return_statement') return undefined;
  const expr = ret.namedChild(0);
  if (!expr) return undefined;
  const t = text.slice(expr.startIndex, expr.endIndex);
  for (const m of t.matchAll(CALL_NAME)) {
    const n = m[1]!;
    if (!(isConversion(n) || TRANSPARENT[n] !== undefined || RESV_ACCESSORS[n] || VM_RESV_GEMS[n] !== undefined)) return undefined;
  }
  return { params: paramNames(functionDeclarator(def)), expr: copyTree(expr, src, lang) };
}

/** What paramNames reads of a syntax node (a tree-sitter node or a copied one). */
interface ParamNode {
  type: string;
  text: string;
  namedChildCount: number;
  namedChild(i: number): ParamNode | null;
  childForFieldName(n: string): ParamNode | null;
}

function paramNames(fd: ParamNode | undefined): string[] {
  const params: string[] = [];
  const list = fd?.childForFieldName('parameters');
  for (let i = 0; list && i < list.namedChildCount; i++) {
    const p = list.namedChild(i)!;
    if (p.type !== 'parameter_declaration') continue;
    let d = p.childForFieldName('declarator');
    while (d && d.type !== 'identifier') d = d.childForFieldName('declarator') ?? d.namedChild(0);
    params.push(d?.text ?? `#param${i}`);
  }
  return params;
}

/** Parameters a function converts with container_of(param, T, member), by position. */
function containerParamsOf(def: CNode, params: readonly string[]): Map<number, string> | undefined {
  const body = def.childForFieldName('body');
  if (!body || !body.text.includes('container_of')) return undefined;
  const out = new Map<number, string>();
  for (const c of body.descendantsOfType('call_expression')) {
    if (!callName(c)?.startsWith('container_of')) continue;
    const args = callArgs(c);
    const i = args[0] && args[0].type === 'identifier' ? params.indexOf(args[0].text) : -1;
    if (i >= 0 && args[2]) out.set(i, args[2].text.trim());
  }
  return out.size ? out : undefined;
}

const NOT_CALLS = new Set(['if', 'for', 'while', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', 'alignof', '_Alignof', 'defined', 'do', 'else', 'case']);

/**
 * The calls of a function that is not lowered statement by statement, in
 * order: read from its text (comments and strings blanked), which is much
 * cheaper than walking its tree.
 */
function callsOf(def: CNode, text: string, src: SourceText): Array<{ name: string; span: Span }> {
  const body = def.childForFieldName('body');
  if (!body) return [];
  const t = text.slice(body.startIndex, body.endIndex)
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, (m) => ' '.repeat(m.length));
  const out: Array<{ name: string; span: Span }> = [];
  for (const m of t.matchAll(CALL_NAME)) {
    const name = m[1]!;
    if (NOT_CALLS.has(name)) continue;
    const at = body.startIndex + m.index!;
    out.push({ name, span: spanAt(src, at, at + name.length) });
  }
  return out;
}

function spanAt(src: SourceText, startIndex: number, endIndex: number): Span {
  const s = src.pos(startIndex);
  const e = src.pos(endIndex);
  return { start: { line: s.row + 1, column: s.column + 1 }, end: { line: e.row + 1, column: e.column + 1 }, startIndex, endIndex };
}

const REGISTRAR = new RegExp(`\\b(?:${Object.keys(CALLBACK_REGISTRARS).join('|')})\\s*\\(`);

function opsTables(decls: Node[], callbacks: Record<string, string[]>): void {
  for (const d of decls) {
    // ioctl tables: DRM_IOCTL_DEF_DRV(NAME, handler, flags) entries.
    if (REGISTRAR.test(d.text)) {
      for (const c of d.descendantsOfType('call_expression')) {
        const f = c.childForFieldName('function');
        const reg = f && f.type === 'identifier' ? CALLBACK_REGISTRARS[f.text] : undefined;
        const a = reg ? c.childForFieldName('arguments')?.namedChildren.filter((x) => x.type !== 'comment')[reg.arg] : undefined;
        if (reg && a && /^\w+$/.test(a.text)) (callbacks[reg.role] ??= []).push(a.text);
      }
    }
    const table = OPS_TABLES[typeName(d.childForFieldName('type')) ?? ''];
    if (!table) continue;
    for (const init of d.descendantsOfType('initializer_pair')) {
      const field = init.childrenForFieldName('designator').map((x) => x.text.replace(/^\./, '')).join('.');
      const value = init.childForFieldName('value');
      const role = table[field];
      if (!role || !value) continue;
      const fn = value.type === 'pointer_expression' ? value.childForFieldName('argument')?.text : value.text;
      if (fn && /^\w+$/.test(fn)) (callbacks[role] ??= []).push(fn);
    }
  }
}

const REGISTRAR_NAME = new RegExp(`\\b(?:${Object.keys(CALLBACK_REGISTRARS).join('|')})\\b`, 'g');

/**
 * Callbacks registered in the file's functions (INIT_WORK, ioctl tables, irq
 * handlers). The registrars' names are found in the text and confirmed in the
 * tree, rather than asking the tree for every call of the function.
 */
function registrations(defs: ReadonlyArray<{ ts: Node; body: string; start: number }>, callbacks: Record<string, string[]>): void {
  for (const { ts: d, body, start } of defs) {
    if (!REGISTRAR.test(body)) continue;
    for (const m of body.matchAll(REGISTRAR_NAME)) {
      const at = start + m.index!;
      const f = d.descendantForIndex(at, at + m[0].length);
      const c = f?.type === 'identifier' ? f.parent : null;
      if (!c || c.type !== 'call_expression' || c.childForFieldName('function')?.id !== f!.id) continue;
      const reg = CALLBACK_REGISTRARS[m[0]]!;
      const args = c.childForFieldName('arguments')?.namedChildren.filter((x) => x.type !== 'comment') ?? [];
      const a = args[reg.arg];
      const fn = a?.type === 'pointer_expression' ? a.childForFieldName('argument')?.text : a?.text;
      if (fn && /^\w+$/.test(fn)) (callbacks[reg.role] ??= []).push(fn);
    }
  }
}

/** Directives in the comment block right above a function belong to the function. */
function directivesAbove(def: Node, directives: readonly Directive[]): Directive[] {
  if (!directives.length) return [];
  let prev = def.previousNamedSibling;
  while (prev && prev.type === 'comment') prev = prev.previousNamedSibling;
  const from = prev ? prev.endPosition.row + 1 : 0;
  const to = def.startPosition.row + 1;
  return directives.filter((d) => d.line > from && d.line <= to);
}

export function lowerCFile(tree: Tree, text: string, file: string, opts: LowerOptions): IrFile {
  const out = emptyIrFile(file, 'c');
  const root = tree.rootNode;
  const defs: Node[] = [];
  const decls: Node[] = [];
  topLevel(root, defs, decls);

  const src = new SourceText(text);
  const directives = findDirectives(text, src.lines, opts.signallingMarkers ?? []);
  for (const d of directives) {
    if (!d.allow.length) continue;
    for (const line of new Set([d.line, d.endLine])) out.lineSuppressions[line] = [...(out.lineSuppressions[line] ?? []), ...d.allow];
  }

  interface Found {
    ts: Node; head: FunctionHead & { body: NonNullable<FunctionHead['body']> }; name: string; nameTs: CNode; id: string;
    above: Directive[]; start: number; end: number; body: string;
  }
  const found: Found[] = [];
  const seen = new Map<string, number>();
  for (const ts of defs) {
    // Every function's head is copied (name, parameters, extent); bodies only when lowered.
    const head = copyHead(ts, src, tree.language);
    if (!head.body) continue;
    const nameTs = functionDeclarator(head.def)?.childForFieldName('declarator');
    if (!nameTs || nameTs.type !== 'identifier') continue;
    const name = nameTs.text;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    const start = head.def.startIndex;
    const end = head.def.endIndex;
    found.push({
      ts, head: { def: head.def, body: head.body }, name, nameTs, id: n === 1 ? `${file}::${name}` : `${file}::${name}#${n}`, above: directivesAbove(ts, directives),
      start, end, body: text.slice(start, end),
    });
  }
  const defined = new Set(found.map((f) => f.name));
  const accessors = new Map<string, Accessor>();
  for (const f of found) {
    if (accessors.has(f.name) || f.end - f.start > 600) continue;
    const a = accessorOf(f.ts, text, src, tree.language);
    if (a) accessors.set(f.name, a);
  }

  // Which functions can reach GPUVM: a text prefilter, then their callers in the file.
  const callbacks: Record<string, string[]> = {};
  opsTables(decls, callbacks);
  registrations(found, callbacks);
  const roles = new Set(Object.values(callbacks).flat());
  const relevant = new Set<string>();
  const calls = new Map<string, Set<string>>();
  for (const f of found) {
    if (accessors.has(f.name)) continue;
    const t = f.body;
    if (PREFILTER.test(t) || roles.has(f.name) || f.above.some((d) => d.markers.length)) relevant.add(f.name);
    const cs = new Set<string>();
    for (const m of t.matchAll(CALL_NAME)) if (defined.has(m[1]!) && m[1] !== f.name) cs.add(m[1]!);
    calls.set(f.name, cs);
  }
  for (let changed = true; changed;) {
    changed = false;
    for (const f of found) {
      if (relevant.has(f.name) || accessors.has(f.name)) continue;
      if ([...calls.get(f.name) ?? []].some((c) => relevant.has(c))) { relevant.add(f.name); changed = true; }
    }
  }

  // Functions that can reach GPUVM are copied out of the tree and lowered statement by statement.
  const sources: FunctionSource[] = [];
  const containerParams = new Map<string, Map<number, string>>();
  for (const f of found) {
    const deep = relevant.has(f.name);
    const def = deep ? copyBody(f.head, src, tree.language) : undefined;
    const declarator = functionDeclarator(f.head.def);
    if (def) {
      const m = containerParamsOf(def, paramNames(declarator));
      if (m && !containerParams.has(f.name)) containerParams.set(f.name, m);
    }
    const s: FunctionSource = {
      name: f.name, id: f.id, span: spanAt(src, f.start, f.end), nameSpan: spanAt(src, f.nameTs.startIndex, f.nameTs.endIndex),
      declarator, ...(def ? { def } : { calls: callsOf(f.head.def, text, src) }),
      suppress: [], markers: [],
    };
    if (f.head.body.truncated) s.truncated = true;
    if (f.above.length) {
      s.suppress = f.above.flatMap((d) => d.allow);
      s.markers = [...new Set(f.above.flatMap((d) => d.markers))];
    }
    sources.push(s);
  }

  const lockMembers = opts.facts?.[GPUVA_LOCK_REGISTRAR.fact] ?? [];
  const fc: FileCtx = {
    file, text, accessors, defined, structs: collectEmbeddingStructs(decls), relevant, containerParams,
    ...(lockMembers.length ? { gpuvaLockMembers: new Set(lockMembers) } : {}), driverListLock: lockMembers.length > 0,
    immediate: lockMembers.length > 0 || /\bdrm_gpuvm_init\s*\([^;]*DRM_GPUVM_IMMEDIATE_MODE/.test(text),
    deferredEra: /\b(?:drm_gpuvm_bo_put_deferred|drm_gpuva_unlink_defer|drm_gpuvm_bo_deferred_cleanup)\b/.test(text),
    vmInits: out.vmInits, callbacks,
  };
  const functions: IrFunction[] = [];
  for (const s of sources) functions.push(lowerFunction(fc, s));
  out.functions = functions;
  for (const [role, names] of Object.entries(callbacks)) out.callbacks[role] = [...new Set(names)];
  // Only top-level damage is a parse error of the file; damage inside a function is the function's.
  for (let i = 0; i < root.childCount; i++) {
    const e = root.child(i)!;
    if (e.type === 'ERROR') out.parseErrors.push({ span: spanOf(e), message: 'could not parse this part of the file' });
  }
  return out;
}
