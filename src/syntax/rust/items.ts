// The items of a Rust file: functions and methods with their impl and trait,
// struct and enum definitions (for handle-carrying fields), types documented
// with `# Invariants`, ops tables naming GPUVM callbacks, the API generation
// and the VM mode evidence.

import type { Node } from 'web-tree-sitter';
import type { VmInitEvidence } from '../../analysis/ir';
import { BORROW_METHODS, GENERATION_MARKERS, GENERATION_MODE, OPS_TABLE_FIELDS, RELEASING_DROP_CALLS, TYPE_CLASSES, type ApiGeneration } from '../../api/rust';
import { type Comment, type SourceText } from './source';
import { spanOf } from '../lines';
import type { TypeDefs } from './types';

export interface ParamInfo {
  name: string;
  typeText: string;
}

export interface FnItem {
  /** Where the item is in this version of the file: offsets, 0-based row and column of its start. */
  start: number;
  end: number;
  row: number;
  column: number;
  /** The body's offsets (none for a signature in a trait). */
  bodyStart?: number;
  bodyEnd?: number;
  /** The item's node and its body (looked up in this version's tree when first asked for). */
  readonly node: Node;
  readonly body: Node | undefined;
  name: string;
  implType?: string;
  /** The impl's self type with its generic arguments (for `Self`). */
  implTypeText?: string;
  traitName?: string;
  /** Associated types of the impl (`type SmContext<'ctx> = UpdateCtx<'ctx>;`): `Self::X` means them. */
  assocTypes?: Map<string, string>;
  unsafe: boolean;
  externC: boolean;
  params: ParamInfo[];
  /** `self`, `&self`, `&mut self`, `self: Type`. */
  self?: { byValue: boolean; typeText?: string };
  returnType?: string;
  docs: Comment[];
  /** Every comment directly above (doc comments, plain comments, skipping attributes). */
  above: Comment[];
  /** `fn as_raw(&self) -> *mut X { self.0.as_ptr().cast() }`: returns a view of `self` (a borrow). */
  projection?: boolean;
}

export interface FileItems {
  fns: FnItem[];
  byName: Map<string, FnItem[]>;
  defs: TypeDefs;
  /** Types whose doc comment has an `# Invariants` section. */
  invariantTypes: Set<string>;
  /** Ops tables: role -> callback function names. */
  callbacks: Record<string, string[]>;
}

/** An FnItem without its nodes: what is kept from one version of the file to the next. */
type FnData = Omit<FnItem, 'node' | 'body'>;

/**
 * What one top-level item (with the comments above it) says, keyed by its text:
 * an editor's next version of the file reads the items it did not change from
 * here instead of from the tree.
 */
export interface TopItem {
  /** Offset and row where its key text starts. */
  index: number;
  row: number;
  fns: FnData[];
  structs: Array<[string, { fields: Map<string, string>; tuple: string[] }]>;
  enums: Array<[string, Map<string, { fields: Map<string, string>; tuple: string[] }>]>;
  invariantTypes: string[];
  callbacks: Array<[string, string]>;
}

export interface ItemsMemo {
  get(key: string): TopItem | undefined;
  set(key: string, item: TopItem): void;
}

const text = (n: Node | null | undefined): string => (n ? n.text : '');

/** The last path segment of a type, without generics: `kernel::Foo<T>` -> `Foo`. */
export function typeName(n: Node | null | undefined): string | undefined {
  if (!n) return undefined;
  switch (n.type) {
    case 'type_identifier': case 'identifier': return n.text;
    case 'generic_type': return typeName(n.childForFieldName('type'));
    case 'scoped_type_identifier': return typeName(n.childForFieldName('name'));
    case 'reference_type': return typeName(n.childForFieldName('type'));
    default: return undefined;
  }
}

export function collectItems(root: Node, src: SourceText, memo?: ItemsMemo): FileItems {
  const items: FileItems = {
    fns: [], byName: new Map(), defs: { structs: new Map(), enums: new Map(), handles: new Map() }, invariantTypes: new Set(), callbacks: {},
  };
  const withOps = src.text.includes('drm_gpuvm_ops');
  let prevEnd = 0;
  for (const n of root.namedChildren) {
    // Comments and attributes go with the item below them.
    if (!n || n.type === 'line_comment' || n.type === 'block_comment' || n.type === 'attribute_item' || n.type === 'inner_attribute_item') continue;
    // The key starts at the line where the previous item ends: the comments above belong to this one.
    const keyStart = src.lineStart(src.lineOf(prevEnd));
    prevEnd = n.endIndex;
    // With its text as lexed: a quote above may have turned its comments into a string.
    const key = memo ? `${src.text.slice(keyStart, n.endIndex)}\u0000${src.code.slice(keyStart, n.endIndex)}` : '';
    const row = src.lineOf(keyStart) - 1;
    let top = memo?.get(key);
    if (top) {
      top = rebase(top, keyStart, row);
    } else {
      top = readTopItem(n, src, withOps, keyStart, row, items);
      if (memo) memo.set(key, top);
    }
    add(items, top, root, n);
  }
  collectHandleTypes(items, src);
  for (const f of items.fns) if (isProjection(f, src)) f.projection = true;
  return items;
}

/** Add a top-level item's contents; functions get their nodes from `root` when asked. */
function add(items: FileItems, top: TopItem, root: Node, topNode: Node): void {
  for (const d of top.fns) {
    const f = withNodes(d, root, topNode);
    items.fns.push(f);
    const list = items.byName.get(f.name);
    if (list) list.push(f); else items.byName.set(f.name, [f]);
  }
  for (const [k, v] of top.structs) items.defs.structs.set(k, v);
  for (const [k, v] of top.enums) items.defs.enums.set(k, v);
  for (const t of top.invariantTypes) items.invariantTypes.add(t);
  for (const [role, name] of top.callbacks) (items.callbacks[role] ??= []).push(name);
}

function withNodes(d: FnData, root: Node, topNode: Node): FnItem {
  return Object.assign(new LazyNodes(topNode.startIndex === d.start && topNode.endIndex === d.end ? topNode : root), d) as unknown as FnItem;
}

/** The nodes of an item, looked up in this version's tree when first asked for. */
class LazyNodes {
  declare start: number;
  declare end: number;
  declare bodyStart?: number;
  private n?: Node;
  private b?: Node | null;
  constructor(private readonly root: Node) {}

  get node(): Node {
    return (this.n ??= nodeAt(this.root, this.start, this.end));
  }

  get body(): Node | undefined {
    if (this.b === undefined) this.b = this.bodyStart === undefined ? null : this.node.childForFieldName('body');
    return this.b ?? undefined;
  }
}

/** The node that spans exactly start..end (the outermost one of that span). */
function nodeAt(root: Node, start: number, end: number): Node {
  let n: Node | null = root.descendantForIndex(start, end);
  while (n?.parent && n.parent.startIndex === start && n.parent.endIndex === end) n = n.parent;
  while (n && (n.startIndex > start || n.endIndex < end) && n.parent) n = n.parent;
  if (!n) throw new Error(`no node at ${start}..${end}`);
  return n;
}

/** The same top-level item, found at another place in a new version of the file. */
function rebase(t: TopItem, index: number, row: number): TopItem {
  const di = index - t.index;
  const dr = row - t.row;
  if (!di && !dr) return t;
  const moveComments = (cs: Comment[]): Comment[] => cs.map((c) => ({ ...c, line: c.line + dr, endLine: c.endLine + dr }));
  return {
    ...t, index, row,
    fns: t.fns.map((f) => ({
      ...f, start: f.start + di, end: f.end + di, row: f.row + dr,
      ...(f.bodyStart !== undefined ? { bodyStart: f.bodyStart + di, bodyEnd: f.bodyEnd! + di } : {}),
      docs: moveComments(f.docs), above: moveComments(f.above),
    })),
  };
}

type ImplCtx = { type?: string; typeText?: string; trait?: string; assoc?: Map<string, string> };

/** Read one top-level item from the tree. */
function readTopItem(top: Node, src: SourceText, withOps: boolean, index: number, row: number, items: FileItems): TopItem {
  const out: TopItem = { index, row, fns: [], structs: [], enums: [], invariantTypes: [], callbacks: [] };
  const visit = (n: Node, impl?: ImplCtx): void => {
    switch (n.type) {
      case 'function_item':
      case 'function_signature_item':
        out.fns.push(readFn(n, src, impl));
        break;
      case 'impl_item': {
        const t = n.childForFieldName('type');
        const tr = n.childForFieldName('trait');
        const body = n.childForFieldName('body');
        const ty = typeName(t);
        const assoc = new Map<string, string>();
        for (const c of body?.namedChildren ?? []) {
          if (c?.type !== 'type_item') continue;
          const v = c.childForFieldName('type');
          if (v) assoc.set(text(c.childForFieldName('name')), v.text);
        }
        const ctx: ImplCtx = { ...(ty ? { type: ty } : {}), typeText: text(t), ...(tr ? { trait: typeName(tr) ?? text(tr) } : {}), assoc };
        for (const c of body?.namedChildren ?? []) if (c) visit(c, ctx);
        break;
      }
      case 'trait_item': {
        const ctx: ImplCtx = { trait: text(n.childForFieldName('name')) };
        for (const c of n.childForFieldName('body')?.namedChildren ?? []) if (c) visit(c, ctx);
        break;
      }
      case 'mod_item':
        for (const c of n.childForFieldName('body')?.namedChildren ?? []) if (c) visit(c);
        break;
      case 'struct_item': case 'union_item': {
        const name = text(n.childForFieldName('name'));
        out.structs.push([name, fieldsOf(n.childForFieldName('body'))]);
        if (invariantsDoc(n, src)) out.invariantTypes.push(name);
        break;
      }
      case 'enum_item': {
        const name = text(n.childForFieldName('name'));
        const variants = new Map<string, { fields: Map<string, string>; tuple: string[] }>();
        for (const v of n.childForFieldName('body')?.namedChildren ?? []) {
          if (v?.type !== 'enum_variant') continue;
          variants.set(text(v.childForFieldName('name')), fieldsOf(v.childForFieldName('body')));
        }
        out.enums.push([name, variants]);
        if (invariantsDoc(n, src)) out.invariantTypes.push(name);
        break;
      }
      default:
        break;
    }
  };
  visit(top);
  if (withOps && src.text.slice(top.startIndex, top.endIndex).includes('drm_gpuvm_ops')) out.callbacks.push(...opsTables(top));
  void items;
  return out;
}

function docsOf(n: Node, src: SourceText): { docs: Comment[]; above: Comment[] } {
  const above = src.commentsAbove(n.startPosition.row + 1, { skipAttributes: true });
  return { docs: above.filter((c) => c.doc), above };
}

function invariantsDoc(n: Node, src: SourceText): boolean {
  return docsOf(n, src).docs.some((c) => /^\s*(?:\/\/\/|\/\*\*|\*)?\s*#+\s*Invariants?\b/m.test(c.text));
}

function readFn(n: Node, src: SourceText, impl?: ImplCtx): FnData {
  const name = text(n.childForFieldName('name'));
  const mods = n.namedChildren.find((c) => c?.type === 'function_modifiers');
  const modText = mods ? mods.text : '';
  const params: ParamInfo[] = [];
  let self: FnItem['self'];
  const ps = n.childForFieldName('parameters');
  for (const p of ps?.namedChildren ?? []) {
    if (!p) continue;
    if (p.type === 'self_parameter') {
      self = { byValue: !p.text.includes('&') };
    } else if (p.type === 'parameter') {
      const pat = p.childForFieldName('pattern');
      const ty = p.childForFieldName('type');
      if (pat?.type === 'self') {
        const tt = text(ty);
        self = { byValue: !tt.trim().startsWith('&'), typeText: tt };
      } else if (pat) {
        params.push({ name: pat.text, typeText: text(ty) });
      }
    }
  }
  const { docs, above } = docsOf(n, src);
  const body = n.childForFieldName('body');
  const rt = n.childForFieldName('return_type');
  return {
    start: n.startIndex, end: n.endIndex, row: n.startPosition.row, column: n.startPosition.column,
    ...(body ? { bodyStart: body.startIndex, bodyEnd: body.endIndex } : {}),
    name, unsafe: /\bunsafe\b/.test(modText), externC: /\bextern\b/.test(modText), params, docs, above,
    ...(impl?.type ? { implType: impl.type } : {}), ...(impl?.typeText ? { implTypeText: impl.typeText } : {}),
    ...(impl?.trait ? { traitName: impl.trait } : {}), ...(impl?.assoc?.size ? { assocTypes: impl.assoc } : {}),
    ...(self ? { self } : {}),
    ...(rt ? { returnType: rt.text } : {}),
  };
}

function fieldsOf(body: Node | null): { fields: Map<string, string>; tuple: string[] } {
  const fields = new Map<string, string>();
  const tuple: string[] = [];
  if (!body) return { fields, tuple };
  if (body.type === 'field_declaration_list') {
    for (const f of body.namedChildren) {
      if (f?.type !== 'field_declaration') continue;
      fields.set(text(f.childForFieldName('name')), text(f.childForFieldName('type')));
    }
  } else if (body.type === 'ordered_field_declaration_list') {
    for (const f of body.namedChildren) {
      if (!f || f.type === 'visibility_modifier' || f.type === 'attribute_item') continue;
      tuple.push(f.text);
    }
  }
  return { fields, tuple };
}

/** A body that is `self` seen through fields and borrowing methods (`self.0.as_ptr().cast()`, `self.inner.get()`). */
function isProjection(f: FnItem, src: SourceText): boolean {
  if (!f.self || f.self.byValue || f.params.length || f.bodyStart === undefined) return false;
  const startIndex = f.bodyStart;
  const endIndex = f.bodyEnd!;
  if (endIndex - startIndex > 240) return false; // one short expression
  let e = src.code.slice(startIndex, endIndex).trim();
  if (!e.startsWith('{') || !e.endsWith('}')) return false;
  e = e.slice(1, -1).trim();
  const un = /^unsafe\s*\{([\s\S]*)\}$/.exec(e);
  if (un) e = un[1]!.trim();
  const m = /^&?\s*(?:mut\s+)?self((?:\s*\.\s*\w+(?:\s*::\s*<[^<>()]*>)?(?:\s*\(\s*\))?)*)$/.exec(e);
  if (!m) return false;
  for (const seg of m[1]!.split('.').map((x) => x.trim()).filter(Boolean)) {
    const call = /^(\w+)(?:\s*::\s*<[^<>()]*>)?\s*\(\s*\)$/.exec(seg);
    if (call && !BORROW_METHODS.has(call[1]!) && call[1] !== 'get') return false;
  }
  return true;
}

/** `impl Drop for X { fn drop(&mut self) { bindings::drm_gpuvm_bo_put_deferred(self..) } }`: X is a vm_bo handle. */
function collectHandleTypes(items: FileItems, src: SourceText): void {
  for (const f of items.fns) {
    if (f.traitName !== 'Drop' || f.name !== 'drop' || !f.implType || f.bodyStart === undefined || TYPE_CLASSES[f.implType]) continue;
    const body = src.code.slice(f.bodyStart, f.bodyEnd);
    const re = /\bbindings\s*::\s*(\w+)\s*\(\s*([^;]*)/g;
    for (let m = re.exec(body); m; m = re.exec(body)) {
      const cls = RELEASING_DROP_CALLS[m[1]!];
      if (cls && /^\(?\*?\s*self\b/.test(m[2]!)) { items.defs.handles.set(f.implType, cls); break; }
    }
  }
}

/** `bindings::drm_gpuvm_ops { sm_step_map: Some(Self::sm_step_map), .. }`: role and callback name. */
function opsTables(top: Node): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const s of top.descendantsOfType('struct_expression')) {
    if (!s || !/drm_gpuvm_ops$/.test(text(s.childForFieldName('name')))) continue;
    let implType: string | undefined;
    for (let p = s.parent; p; p = p.parent) {
      if (p.type === 'impl_item') { implType = typeName(p.childForFieldName('type')); break; }
    }
    for (const f of s.childForFieldName('body')?.namedChildren ?? []) {
      if (f?.type !== 'field_initializer') continue;
      const role = OPS_TABLE_FIELDS[text(f.childForFieldName('field'))];
      const v = f.childForFieldName('value');
      if (!role || !v) continue;
      const m = /^Some\s*\(\s*([\w:<>, ]+?)\s*\)$/s.exec(v.text.trim());
      if (!m) continue;
      let name = m[1]!.replace(/::<[^>]*>/g, '').replace(/<[^>]*>/g, '');
      if (name.startsWith('Self::') && implType) name = `${implType}::${name.slice(6)}`;
      out.push([role, name]);
    }
  }
  return out;
}

/** The API generation of a file, from the spellings it uses. */
export function detectGeneration(textOf: string): ApiGeneration | undefined {
  for (const m of GENERATION_MARKERS) if (m.re.test(textOf)) return m.gen;
  return undefined;
}

/**
 * VM mode evidence: the flags of `drm_gpuvm_init(..., flags, ...)` and of `GpuVm::new(...)` calls
 * when they are spelled out, else the API generation's default. Flags passed in a variable (a
 * binding layer that serves both modes) say nothing.
 */
export function vmEvidence(root: Node, src: SourceText, gen: ApiGeneration | undefined, genSource: string): VmInitEvidence[] {
  const out: VmInitEvidence[] = [];
  let sawInit = false;
  const re = /\b(drm_gpuvm_init|GpuVm::new(?:::<[^>]*>)?)\s*\(/g;
  for (let m = re.exec(src.text); m; m = re.exec(src.text)) {
    const args = splitArgs(src.text, m.index + m[0].length);
    const isInit = m[1] === 'drm_gpuvm_init';
    if (isInit) sawInit = true;
    const flags = isInit ? args[2] : args.find((a) => /DRM_GPUVM_(?:IMMEDIATE_MODE|RESV_PROTECTED)/.test(a));
    if (flags === undefined || !/DRM_GPUVM_|^\s*0\s*$/.test(flags)) continue;
    const node = root.descendantForIndex(m.index);
    out.push({
      immediate: /IMMEDIATE_MODE/.test(flags), resvProtected: /RESV_PROTECTED/.test(flags),
      ...(node ? { span: spanOf(node) } : {}), source: `${isInit ? 'drm_gpuvm_init' : 'GpuVm::new'} flags`,
    });
  }
  if (!out.length && !sawInit && gen) out.push({ ...GENERATION_MODE[gen], source: genSource });
  return out;
}

/** Top-level comma-separated arguments starting after an opening parenthesis. */
function splitArgs(s: string, from: number): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = from; i < s.length && i < from + 4000; i++) {
    const c = s[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) { out.push(cur.trim()); return out; }
      depth--;
    } else if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  return out;
}
