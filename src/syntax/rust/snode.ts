// A plain JavaScript copy of a tree-sitter subtree, made with one cursor walk.
// Every Node access from JavaScript crosses into WASM; the lowering reads each
// node many times, so it reads this copy (same member names as web-tree-sitter's
// Node, for the subset it uses). Subtrees the lowering reads only as text
// (types, attributes, literals, macro bodies) are copied without children.

import type { Language, Node } from 'web-tree-sitter';
import type { LineTable, Point } from '../lines';

export class SNode {
  readonly children: SNode[] = [];
  parent: SNode | null = null;
  private named?: SNode[];
  private err: boolean;

  constructor(
    private readonly src: string,
    private readonly lines: LineTable,
    readonly type: string,
    readonly isNamed: boolean,
    readonly field: string | null,
    readonly startIndex: number,
    readonly endIndex: number,
    readonly isMissing: boolean,
  ) {
    this.err = type === 'ERROR' || isMissing;
  }

  get text(): string { return this.src.slice(this.startIndex, this.endIndex); }
  get startPosition(): Point { return this.lines.point(this.startIndex); }
  get endPosition(): Point { return this.lines.point(this.endIndex); }
  get namedChildren(): SNode[] { return (this.named ??= this.children.filter((c) => c.isNamed)); }
  get childCount(): number { return this.children.length; }
  get hasError(): boolean { return this.err; }

  child(i: number): SNode | null { return this.children[i] ?? null; }

  childForFieldName(name: string): SNode | null {
    for (const c of this.children) if (c.field === name) return c;
    return null;
  }

  get nextSibling(): SNode | null {
    const p = this.parent;
    if (!p) return null;
    return p.children[p.children.indexOf(this) + 1] ?? null;
  }

  /** Descendants of these types, in document order (not the node itself). */
  descendantsOfType(types: string | string[]): SNode[] {
    const want = typeof types === 'string' ? new Set([types]) : new Set(types);
    const out: SNode[] = [];
    const stack: SNode[] = [];
    for (let i = this.children.length - 1; i >= 0; i--) stack.push(this.children[i]!);
    while (stack.length) {
      const n = stack.pop()!;
      if (want.has(n.type)) out.push(n);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
    return out;
  }

  markError(): void { this.err = true; }
}

/** Node types read only as text: no need to copy their children. */
const LEAF_TYPES = new Set([
  'token_tree', 'string_literal', 'raw_string_literal', 'char_literal', 'attribute_item', 'inner_attribute_item',
  'generic_type', 'reference_type', 'scoped_type_identifier', 'type_arguments', 'pointer_type', 'array_type',
  'tuple_type', 'function_type', 'dynamic_type', 'abstract_type', 'bounded_type', 'qualified_type', 'where_clause',
  'type_parameters', 'trait_bounds', 'line_comment', 'block_comment', 'use_declaration', 'visibility_modifier',
]);

interface LangTables { types: string[]; named: boolean[]; fields: Array<string | null> }
const tables = new WeakMap<Language, LangTables>();

function tablesOf(lang: Language): LangTables {
  let t = tables.get(lang);
  if (t) return t;
  const types: string[] = [];
  const named: boolean[] = [];
  for (let i = 0; i < lang.nodeTypeCount; i++) { types.push(lang.nodeTypeForId(i) ?? 'ERROR'); named.push(lang.nodeTypeIsNamed(i)); }
  const fields: Array<string | null> = [null];
  for (let i = 1; i <= lang.fieldCount; i++) fields.push(lang.fieldNameForId(i));
  t = { types, named, fields };
  tables.set(lang, t);
  return t;
}

/** Copy the subtree under `node`. */
export function mirror(node: Node, src: string, lines: LineTable): SNode {
  const { types, named, fields } = tablesOf(node.tree.language);
  const withErrors = node.hasError;
  const c = node.walk();
  const make = (): SNode => {
    const id = c.nodeTypeId;
    const type = types[id] ?? 'ERROR';
    return new SNode(src, lines, type, type === 'ERROR' || !!named[id], fields[c.currentFieldId] ?? null, c.startIndex, c.endIndex, withErrors && c.nodeIsMissing);
  };
  const root = make();
  const stack: SNode[] = [root];
  try {
    if (!c.gotoFirstChild()) return root;
    for (;;) {
      const parent = stack[stack.length - 1]!;
      const n = make();
      n.parent = parent;
      parent.children.push(n);
      if (n.hasError) propagate(n);
      if (!LEAF_TYPES.has(n.type) && c.gotoFirstChild()) { stack.push(n); continue; }
      while (!c.gotoNextSibling()) {
        if (!c.gotoParent()) return root;
        const done = stack.pop()!;
        if (done === root) return root;
      }
    }
  } finally {
    c.delete();
  }
}

function propagate(n: SNode): void {
  for (let p = n.parent; p && !p.hasError; p = p.parent) p.markError();
}
