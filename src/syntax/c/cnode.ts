// A plain-JS copy of a function's syntax tree. Every access to a web-tree-sitter
// node crosses into WASM; the lowering visits each node several times (keys,
// conditions, spans), so the function is copied once with a tree cursor and
// lowered from the copy. Positions come from a line table, not from the tree.

import type { Language, Node } from 'web-tree-sitter';

/** The file text and its line starts, shared by every copied node. */
export class SourceText {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** 0-based row and UTF-16 column of an index (tree-sitter's convention). */
  pos(index: number): { row: number; column: number } {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= index) lo = mid; else hi = mid - 1;
    }
    return { row: lo, column: index - s[lo]! };
  }
}

export class CNode {
  parent: CNode | null = null;
  readonly children: CNode[] = [];
  /** The grammar's type id (-1 for nodes made up by the lowering). */
  typeId = -1;
  /** The named children: filled by copyTree, else worked out when asked. */
  namedCache: CNode[] | undefined = undefined;
  /** Whether the subtree holds an ERROR or a MISSING token: set by copyTree, else worked out when asked. */
  errorCache: boolean | undefined = undefined;

  constructor(
    readonly src: SourceText,
    readonly type: string,
    readonly isNamed: boolean,
    /** The field name this node has in its parent. */
    readonly field: string | null,
    readonly startIndex: number,
    readonly endIndex: number,
    readonly isMissing: boolean,
  ) {}

  get text(): string {
    return this.src.text.slice(this.startIndex, this.endIndex);
  }

  get startPosition(): { row: number; column: number } {
    return this.src.pos(this.startIndex);
  }

  get endPosition(): { row: number; column: number } {
    return this.src.pos(this.endIndex);
  }

  private get named(): CNode[] {
    return (this.namedCache ??= this.children.filter((c) => c.isNamed));
  }

  get namedChildCount(): number {
    return this.named.length;
  }

  namedChild(i: number): CNode | null {
    return this.named[i] ?? null;
  }

  get childCount(): number {
    return this.children.length;
  }

  child(i: number): CNode | null {
    return this.children[i] ?? null;
  }

  childForFieldName(name: string): CNode | null {
    const cs = this.children;
    for (let i = 0; i < cs.length; i++) if (cs[i]!.field === name) return cs[i]!;
    return null;
  }

  childrenForFieldName(name: string): CNode[] {
    return this.children.filter((c) => c.field === name);
  }

  get hasError(): boolean {
    return (this.errorCache ??= this.type === 'ERROR' || this.isMissing || this.children.some((c) => c.hasError));
  }

  descendantsOfType(type: string): CNode[] {
    const out: CNode[] = [];
    const stack: CNode[] = [...this.children].reverse();
    while (stack.length) {
      const n = stack.pop()!;
      if (n.type === type) out.push(n);
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
    }
    return out;
  }

  get previousNamedSibling(): CNode | null {
    const sibs = this.parent?.named ?? [];
    const i = sibs.indexOf(this);
    return i > 0 ? sibs[i - 1]! : null;
  }
}

/** Anonymous tokens worth keeping: operators (they have a field) and the ones MISSING matters for. */
const KEEP_ANON = new Set([';', '}']);

/**
 * Which children of a node type can have a field, from tree-sitter-c's
 * node-types.json: none for the types below, any child (an operator, an array
 * size `*`) for ANON_FIELD_PARENTS, only named ones for the rest. The walk
 * asks the cursor for a field only where there can be one.
 */
export const FIELDLESS_PARENTS: ReadonlySet<string> = new Set([
  'abstract_parenthesized_declarator', 'alignas_qualifier', 'argument_list', 'attribute_declaration', 'attribute_specifier',
  'attributed_declarator', 'attributed_statement', 'bitfield_clause', 'char_literal', 'compound_statement', 'concatenated_string',
  'declaration_list', 'else_clause', 'enumerator_list', 'expression_statement', 'extension_expression', 'field_declaration_list',
  'field_designator', 'generic_expression', 'initializer_list', 'ms_based_modifier', 'ms_declspec_modifier', 'ms_pointer_modifier',
  'parameter_list', 'parenthesized_declarator', 'parenthesized_expression', 'preproc_defined', 'preproc_else', 'preproc_params',
  'return_statement', 'string_literal', 'subscript_designator', 'translation_unit', 'type_qualifier',
]);
export const ANON_FIELD_PARENTS: ReadonlySet<string> = new Set([
  'assignment_expression', 'binary_expression', 'field_expression', 'pointer_expression', 'unary_expression',
  'update_expression', 'array_declarator', 'abstract_array_declarator',
]);

/** Tokens: they never have children, so the walk does not try to enter them. */
export const TOKENS: ReadonlySet<string> = new Set([
  'identifier', 'field_identifier', 'type_identifier', 'statement_identifier', 'primitive_type', 'number_literal',
  'string_content', 'escape_sequence', 'comment', 'true', 'false', 'system_lib_string', 'preproc_arg', 'preproc_directive',
]);

/** Per grammar, by node type id: the type name, whether it is named, kept when anonymous, a token. */
interface TypeTable {
  types: string[];
  named: boolean[];
  keepAnon: boolean[];
  /** Children of this type may have a field: 0 none, 1 named ones, 2 any. */
  childFields: number[];
  token: boolean[];
}
const typeTables = new WeakMap<Language, TypeTable>();

function typeTable(lang: Language): TypeTable {
  let t = typeTables.get(lang);
  if (t) return t;
  t = { types: [], named: [], keepAnon: [], childFields: [], token: [] };
  for (let id = 0; id < lang.nodeTypeCount; id++) {
    const type = lang.types[id] ?? lang.nodeTypeForId(id) ?? 'ERROR';
    t.types.push(type);
    t.named.push(lang.nodeTypeIsNamed(id));
    t.keepAnon.push(KEEP_ANON.has(type));
    t.childFields.push(FIELDLESS_PARENTS.has(type) ? 0 : ANON_FIELD_PARENTS.has(type) ? 2 : 1);
    t.token.push(TOKENS.has(type));
  }
  typeTables.set(lang, t);
  return t;
}

/**
 * Copy a subtree with one cursor walk. Each cursor call crosses into WASM, so
 * the walk asks only what the copy keeps: a field only where the grammar
 * has one, MISSING only in a damaged tree, positions only of kept nodes, and
 * never the children of a token.
 */
export function copyTree(node: Node, src: SourceText, lang: Language): CNode {
  const t = typeTable(lang);
  const damaged = node.hasError;
  const c = node.walk();
  try {
    const make = (parent: CNode | null, parentType: number): CNode | undefined => {
      const id = c.nodeTypeId;
      let type = t.types[id];
      let nm = t.named[id];
      if (type === undefined) {
        // Beyond the grammar's own types: ERROR and the like.
        type = c.nodeType;
        nm = lang.nodeTypeIsNamed(id);
      }
      let field: string | null = null;
      // Types beyond the grammar's own (ERROR) give their named children the benefit of the doubt.
      const fieldsHere = t.childFields[parentType] ?? 1;
      if (fieldsHere === 2 || (nm && fieldsHere === 1)) {
        const fieldId = c.currentFieldId;
        field = fieldId ? lang.fields[fieldId] ?? null : null;
      }
      const keep = !!t.keepAnon[id];
      if (!nm && !field && !keep) return undefined;
      const missing = keep && damaged ? c.nodeIsMissing : false;
      const n = new CNode(src, type, !!nm, field, c.startIndex, c.endIndex, missing);
      n.parent = parent;
      n.typeId = id;
      n.namedCache = [];
      if (type === 'ERROR' || missing) {
        for (let p: CNode | null = n; p && !p.errorCache; p = p.parent) p.errorCache = true;
      } else n.errorCache = false;
      return n;
    };
    const root = make(null, -1)!;
    const stack: CNode[] = [root];
    if (t.token[root.typeId] || !c.gotoFirstChild()) return root;
    for (;;) {
      const parent = stack[stack.length - 1]!;
      const n = make(parent, parent.typeId);
      if (n) {
        parent.children.push(n);
        if (n.isNamed) parent.namedCache!.push(n);
        if (!t.token[n.typeId] && c.gotoFirstChild()) { stack.push(n); continue; }
      }
      while (!c.gotoNextSibling()) {
        if (!c.gotoParent()) return root;
        stack.pop();
        if (stack.length === 0) return root;
      }
    }
  } finally {
    c.delete();
  }
}
