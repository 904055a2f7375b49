// Declared C types, as far as the lowering needs them: which variables are
// GPUVM handles (and of which kind), which are pointers, and which driver
// structs embed a GPUVM object (`struct panthor_vma { struct drm_gpuva base; }`).

/** What these helpers read of a syntax node (a tree-sitter node or a copied one). */
interface Node {
  type: string;
  text: string;
  childForFieldName(name: string): Node | null;
  namedChild(i: number): Node | null;
  namedChildCount: number;
  descendantsOfType(type: string): Node[];
}
import { HANDLE_TYPES } from '../../api/c';
import type { ObjKind } from '../../model/state';

/** HANDLE_TYPES as a Map: type names are cut from the file text, and a Map looks them up faster. */
const HANDLE_KINDS: ReadonlyMap<string, ObjKind> = new Map(Object.entries(HANDLE_TYPES));

export interface VarInfo {
  kind?: ObjKind;
  pointer: boolean;
  isParam: boolean;
  /** `struct dma_resv *`: its value is a resv, whose owner may be recorded. */
  resv?: boolean;
}

/** A VarInfo with only the members that hold (built without spreads: this is hot). */
export function varInfo(kind: ObjKind | undefined, pointer: boolean, isParam: boolean, resv: boolean): VarInfo {
  const v: VarInfo = { pointer, isParam };
  if (kind) v.kind = kind;
  if (resv) v.resv = true;
  return v;
}

/** The struct (or typedef) name of a type node. */
export function typeName(t: Node | null): string | undefined {
  if (!t) return undefined;
  if (t.type === 'struct_specifier' || t.type === 'union_specifier' || t.type === 'enum_specifier') return t.childForFieldName('name')?.text;
  if (t.type === 'type_identifier' || t.type === 'primitive_type' || t.type === 'sized_type_specifier') return t.text;
  return undefined;
}

/** The declared name of a declarator, and whether it declares a pointer (or array). */
export function declaratorName(d: Node | null): { name: string; pointer: boolean } | undefined {
  let pointer = false;
  let x = d;
  while (x) {
    switch (x.type) {
      case 'identifier': case 'field_identifier':
        return { name: x.text, pointer };
      case 'pointer_declarator': case 'array_declarator':
        pointer = true;
        x = x.childForFieldName('declarator');
        break;
      case 'init_declarator': case 'attributed_declarator':
        x = x.childForFieldName('declarator') ?? x.namedChild(0);
        break;
      case 'parenthesized_declarator':
        x = x.namedChild(0);
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}

/** The kind of GPUVM object a struct type is (or embeds). */
export function kindOfType(name: string | undefined, fileStructs: ReadonlyMap<string, ObjKind>): ObjKind | undefined {
  if (!name) return undefined;
  return HANDLE_KINDS.get(name) ?? fileStructs.get(name);
}

/**
 * Driver structs of the file that embed a GPUVM object (by value, not through a
 * pointer): objects of those types are that GPUVM object. `items` are the
 * file's top-level declarations (struct definitions live there).
 */
export function collectEmbeddingStructs(items: readonly Node[]): Map<string, ObjKind> {
  const out = new Map<string, ObjKind>();
  for (const item of items) {
    const s = item.type === 'struct_specifier' ? item : item.childForFieldName('type');
    if (!s || s.type !== 'struct_specifier') continue;
    const name = s.childForFieldName('name')?.text;
    const body = s.childForFieldName('body');
    if (!name || !body || HANDLE_KINDS.get(name)) continue;
    for (let i = 0; i < body.namedChildCount; i++) {
      const f = body.namedChild(i)!;
      if (f.type !== 'field_declaration') continue;
      const k = HANDLE_KINDS.get(typeName(f.childForFieldName('type')) ?? '');
      const d = f.childForFieldName('declarator');
      if (k && d && d.type === 'field_identifier') { out.set(name, k); break; }
    }
  }
  return out;
}
