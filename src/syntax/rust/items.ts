// The items of a Rust file: functions and methods with their impl and trait,
// struct and enum definitions (for handle-carrying fields), types documented
// with `# Invariants`, ops tables naming GPUVM callbacks, the API generation
// and the VM mode evidence.

import type { Node } from 'web-tree-sitter';
import type { VmInitEvidence } from '../../analysis/ir';
import { BORROW_METHODS, GENERATION_MARKERS, GENERATION_MODE, OPS_TABLE_FIELDS, RELEASING_DROP_CALLS, TYPE_CLASSES, type ApiGeneration } from '../../api/rust';
import { spanOf, type Comment, type SourceText } from './source';
import type { TypeDefs } from './types';

export interface ParamInfo {
  name: string;
  /** The pattern node (identifier, tuple pattern ...). */
  pattern: Node;
  typeText: string;
}

export interface FnItem {
  node: Node;
  name: string;
  implType?: string;
  /** The impl's self type with its generic arguments (for `Self`). */
  implTypeText?: string;
  traitName?: string;
  /** Associated types of the impl (`type SmContext<'ctx> = UpdateCtx<'ctx>;`): `Self::X` means them. */
  assocTypes?: Map<string, string>;
  unsafe: boolean;
  externC: boolean;
  body?: Node;
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
  unsafeImpls: Node[];
  /** Ops tables: role -> callback function names. */
  callbacks: Record<string, string[]>;
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

export function collectItems(root: Node, src: SourceText): FileItems {
  const items: FileItems = {
    fns: [], byName: new Map(), defs: { structs: new Map(), enums: new Map(), handles: new Map() }, invariantTypes: new Set(), unsafeImpls: [], callbacks: {},
  };
  const visit = (container: Node, impl?: { type?: string; typeText?: string; trait?: string; assoc?: Map<string, string> }): void => {
    for (const n of container.namedChildren) {
      if (!n) continue;
      switch (n.type) {
        case 'function_item':
        case 'function_signature_item':
          addFn(n, impl);
          break;
        case 'impl_item': {
          const t = n.childForFieldName('type');
          const tr = n.childForFieldName('trait');
          if (n.children.some((c) => c?.type === 'unsafe')) items.unsafeImpls.push(n);
          const body = n.childForFieldName('body');
          const ty = typeName(t);
          const assoc = new Map<string, string>();
          for (const c of body?.namedChildren ?? []) {
            if (c?.type !== 'type_item') continue;
            const v = c.childForFieldName('type');
            if (v) assoc.set(text(c.childForFieldName('name')), v.text);
          }
          if (body) visit(body, { ...(ty ? { type: ty } : {}), typeText: text(t), ...(tr ? { trait: typeName(tr) ?? text(tr) } : {}), assoc });
          break;
        }
        case 'trait_item': {
          const body = n.childForFieldName('body');
          if (body) visit(body, { trait: text(n.childForFieldName('name')) });
          break;
        }
        case 'mod_item': {
          const body = n.childForFieldName('body');
          if (body) visit(body);
          break;
        }
        case 'struct_item': case 'union_item':
          addStruct(n);
          break;
        case 'enum_item':
          addEnum(n);
          break;
        default:
          break;
      }
    }
  };

  const docsOf = (n: Node): { docs: Comment[]; above: Comment[] } => {
    const above = src.commentsAbove(n.startPosition.row + 1, { skipAttributes: true });
    return { docs: above.filter((c) => c.doc), above };
  };

  const addFn = (n: Node, impl?: { type?: string; typeText?: string; trait?: string; assoc?: Map<string, string> }): void => {
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
          params.push({ name: pat.type === 'identifier' ? pat.text : pat.text, pattern: pat, typeText: text(ty) });
        }
      }
    }
    const { docs, above } = docsOf(n);
    const body = n.childForFieldName('body');
    const rt = n.childForFieldName('return_type');
    const f: FnItem = {
      node: n, name, unsafe: /\bunsafe\b/.test(modText), externC: /\bextern\b/.test(modText), params, docs, above,
      ...(impl?.type ? { implType: impl.type } : {}), ...(impl?.typeText ? { implTypeText: impl.typeText } : {}),
      ...(impl?.trait ? { traitName: impl.trait } : {}), ...(impl?.assoc?.size ? { assocTypes: impl.assoc } : {}),
      ...(body ? { body } : {}), ...(self ? { self } : {}),
      ...(rt ? { returnType: rt.text } : {}),
    };
    items.fns.push(f);
    const list = items.byName.get(name);
    if (list) list.push(f); else items.byName.set(name, [f]);
  };

  const fieldsOf = (body: Node | null): { fields: Map<string, string>; tuple: string[] } => {
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
  };

  const invariantsDoc = (n: Node): boolean => docsOf(n).docs.some((c) => /^\s*(?:\/\/\/|\/\*\*|\*)?\s*#+\s*Invariants?\b/m.test(c.text));

  const addStruct = (n: Node): void => {
    const name = text(n.childForFieldName('name'));
    items.defs.structs.set(name, fieldsOf(n.childForFieldName('body')));
    if (invariantsDoc(n)) items.invariantTypes.add(name);
  };

  const addEnum = (n: Node): void => {
    const name = text(n.childForFieldName('name'));
    const variants = new Map<string, { fields: Map<string, string>; tuple: string[] }>();
    for (const v of n.childForFieldName('body')?.namedChildren ?? []) {
      if (v?.type !== 'enum_variant') continue;
      variants.set(text(v.childForFieldName('name')), fieldsOf(v.childForFieldName('body')));
    }
    items.defs.enums.set(name, variants);
    if (invariantsDoc(n)) items.invariantTypes.add(name);
  };

  visit(root);
  if (src.text.includes('drm_gpuvm_ops')) collectOpsTables(root, items);
  collectHandleTypes(items, src);
  for (const f of items.fns) if (isProjection(f, src)) f.projection = true;
  return items;
}

/** A body that is `self` seen through fields and borrowing methods (`self.0.as_ptr().cast()`, `self.inner.get()`). */
function isProjection(f: FnItem, src: SourceText): boolean {
  if (!f.self || f.self.byValue || f.params.length || !f.body) return false;
  const { startIndex, endIndex } = f.body;
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
    if (f.traitName !== 'Drop' || f.name !== 'drop' || !f.implType || !f.body || TYPE_CLASSES[f.implType]) continue;
    const body = src.code.slice(f.body.startIndex, f.body.endIndex);
    const re = /\bbindings\s*::\s*(\w+)\s*\(\s*([^;]*)/g;
    for (let m = re.exec(body); m; m = re.exec(body)) {
      const cls = RELEASING_DROP_CALLS[m[1]!];
      if (cls && /^\(?\*?\s*self\b/.test(m[2]!)) { items.defs.handles.set(f.implType, cls); break; }
    }
  }
}

/** `bindings::drm_gpuvm_ops { sm_step_map: Some(Self::sm_step_map), .. }`. */
function collectOpsTables(root: Node, items: FileItems): void {
  for (const s of root.descendantsOfType('struct_expression')) {
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
      (items.callbacks[role] ??= []).push(name);
    }
  }
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
