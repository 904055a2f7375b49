// A plain-JS copy of a function's syntax tree. Every access to a web-tree-sitter
// node crosses into WASM; the lowering visits each node several times (keys,
// conditions, spans), so the function is copied once with a tree cursor and
// lowered from the copy. Positions come from a line table, not from the tree.

import type { Language, Node, TreeCursor } from 'web-tree-sitter';
import { LineTable, type Point } from '../lines';

/** The file text and its line starts, shared by every copied node. */
export class SourceText {
  /** Where each line starts, for index -> line and column. */
  readonly lines: LineTable;

  constructor(readonly text: string) {
    this.lines = new LineTable(text);
  }

  /** 0-based row and UTF-16 column of an index (tree-sitter's convention). */
  pos(index: number): Point {
    return this.lines.point(index);
  }
}

export class CNode {
  parent: CNode | null = null;
  readonly children: CNode[] = [];
  /** The grammar's type id (-1 for nodes made up by the lowering). */
  typeId = -1;
  /** The named children: filled by copyTree, else worked out when asked. */
  namedCache: CNode[] | undefined = undefined;
  /** Whether the text may hold a call, an assignment or a statement expression (expr.ts, once per node). */
  effects: boolean | undefined = undefined;
  /** Whether the subtree holds an ERROR or a MISSING token: set by copyTree, else worked out when asked. */
  errorCache: boolean | undefined = undefined;

  constructor(
    readonly src: SourceText,
    readonly type: string,
    readonly isNamed: boolean,
    /** The field name this node has in its parent. */
    readonly field: string | null,
    /** Set once the copy knows it (the clean walk reads an inner node's extent from its children). */
    public startIndex: number,
    public endIndex: number,
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

/** Tokens whose extent is a run of word characters (ASCII, else the cursor says). */
const WORDS = new Set(['identifier', 'field_identifier', 'type_identifier', 'statement_identifier', 'primitive_type', 'true', 'false']);

/**
 * Nodes the lowering reads only as text: in an undamaged tree their children
 * (quotes, string contents, escapes) are not copied.
 */
export const OPAQUE: ReadonlySet<string> = new Set(['string_literal', 'char_literal']);

/**
 * Nodes that end with a token that is not in the tree (the line end of a
 * preprocessor line; the end of the file): the walk asks for their end.
 */
export const HIDDEN_END: ReadonlySet<string> = new Set(['preproc_include', 'preproc_def', 'preproc_function_def', 'preproc_call', 'translation_unit']);

/** How the clean walk places a node: from its children, or as one token of the text. */
const enum Kind { Inner, Word, Comment, Token, Opaque }

/** Per grammar, by node type id: the type name, whether it is named, kept when anonymous, a token. */
interface TypeTable {
  types: string[];
  named: boolean[];
  keepAnon: boolean[];
  /** Children of this type may have a field: 0 none, 1 named ones, 2 any. */
  childFields: number[];
  token: boolean[];
  kind: Kind[];
  hiddenEnd: boolean[];
}
const typeTables = new WeakMap<Language, TypeTable>();

function typeTable(lang: Language): TypeTable {
  let t = typeTables.get(lang);
  if (t) return t;
  t = { types: [], named: [], keepAnon: [], childFields: [], token: [], kind: [], hiddenEnd: [] };
  for (let id = 0; id < lang.nodeTypeCount; id++) {
    const type = lang.types[id] ?? lang.nodeTypeForId(id) ?? 'ERROR';
    t.types.push(type);
    t.named.push(lang.nodeTypeIsNamed(id));
    t.keepAnon.push(KEEP_ANON.has(type));
    t.childFields.push(FIELDLESS_PARENTS.has(type) ? 0 : ANON_FIELD_PARENTS.has(type) ? 2 : 1);
    t.token.push(TOKENS.has(type));
    t.hiddenEnd.push(HIDDEN_END.has(type));
    t.kind.push(WORDS.has(type) ? Kind.Word : type === 'comment' ? Kind.Comment : TOKENS.has(type) ? Kind.Token : OPAQUE.has(type) ? Kind.Opaque : Kind.Inner);
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
  return walkCopy(node, src, lang);
}

/** A function definition copied but for the contents of its body (copyBody adds them). */
export interface FunctionHead {
  def: CNode;
  body?: {
    /** The body, copied without children. */
    node: CNode;
    ts: Node;
    /** Its closing brace is missing (a patch hunk or a file cut short). */
    truncated: boolean;
  };
}

/**
 * Copy a function definition without the contents of its body: its name,
 * parameters and extent for every function of a file in one walk each, the
 * body only for the functions that are lowered statement by statement.
 */
export function copyHead(def: Node, src: SourceText, lang: Language): FunctionHead {
  const t = typeTable(lang);
  const damaged = def.hasError;
  let body: FunctionHead['body'];
  const root = walkCopy(def, src, lang, 'body', (n, c) => {
    let truncated = true;
    if (c.gotoLastChild()) {
      const id = c.nodeTypeId;
      truncated = (t.types[id] ?? c.nodeType) !== '}' || (damaged && c.nodeIsMissing);
      c.gotoParent();
    }
    body = { node: n, ts: c.currentNode, truncated };
  });
  return body ? { def: root, body } : { def: root };
}

/** Add the contents of the body to a copied head; the definition is then what copyTree would make of it. */
export function copyBody(head: FunctionHead, src: SourceText, lang: Language): CNode {
  const b = head.body;
  if (!b) return head.def;
  const inner = walkCopy(b.ts, src, lang);
  for (const ch of inner.children) {
    ch.parent = b.node;
    b.node.children.push(ch);
  }
  b.node.namedCache = inner.namedCache;
  b.node.effects = undefined;
  if (inner.errorCache) for (let p: CNode | null = b.node; p && !p.errorCache; p = p.parent) p.errorCache = true;
  return head.def;
}

/**
 * The field of the node under the cursor, asked only where the parent's type
 * has fields such a node may hold (types beyond the grammar's own, ERROR,
 * give their named children the benefit of the doubt).
 */
function fieldOf(t: TypeTable, lang: Language, c: TreeCursor, parentType: number, named: boolean): string | null {
  const fieldsHere = t.childFields[parentType] ?? 1;
  if (fieldsHere !== 2 && !(named && fieldsHere === 1)) return null;
  const fieldId = c.currentFieldId;
  return fieldId ? lang.fields[fieldId] ?? null : null;
}

/** The walk: the root's child with field `stop` is copied without its children, and `atStop` sees it with the cursor on it. */
function walkCopy(node: Node, src: SourceText, lang: Language, stop?: string, atStop?: (n: CNode, c: TreeCursor) => void): CNode {
  return node.hasError ? walkDamaged(node, src, lang, stop, atStop) : walkClean(node, src, lang, stop, atStop);
}

const COMMENT = /\/\/(?:\\+(?:[^\n]|\r?\n)|[^\\\n])*|\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\//y;

/** A word character of an ASCII identifier (tree-sitter-c's identifiers also take `$`). */
function isWord(ch: number): boolean {
  return (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 57) || ch === 95 || ch === 36;
}

/**
 * The walk of an undamaged tree, which asks the cursor for almost no
 * positions. tree-sitter-c has no hidden tokens but line ends, so between two
 * tokens of a walk there is only padding (whitespace, backslash-newlines);
 * a token starts at the first character after it, and an anonymous token is
 * its type's text, a word runs to the end of its word characters, a comment
 * to the end its regex finds. An inner node spans its children. Where that
 * reading is not certain (a character beyond ASCII, a token that does not
 * read as its type, a number), the cursor is asked.
 */
function walkClean(node: Node, src: SourceText, lang: Language, stop?: string, atStop?: (n: CNode, c: TreeCursor) => void): CNode {
  const t = typeTable(lang);
  const text = src.text;
  const c = node.walk();
  let pos = c.startIndex;
  // Inner nodes waiting for their first token, which gives their start.
  const pending: CNode[] = [];
  const tokenStart = (): number => {
    let i = pos;
    for (;;) {
      const ch = text.charCodeAt(i);
      if (ch === 32 || (ch >= 9 && ch <= 13)) i++;
      else if (ch === 92 && text.charCodeAt(i + 1) === 10) i += 2;
      else if (ch === 92 && text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10) i += 3;
      else break;
    }
    const s = text.charCodeAt(i) < 128 ? i : c.startIndex;
    for (const p of pending) p.startIndex = s;
    pending.length = 0;
    return s;
  };
  try {
    const make = (parent: CNode | null, parentType: number): CNode | undefined => {
      const id = c.nodeTypeId;
      // Beyond the grammar's own types: ERROR and the like.
      const known = t.types[id] !== undefined;
      const type = known ? t.types[id]! : c.nodeType;
      const nm = known ? t.named[id] : lang.nodeTypeIsNamed(id);
      const field = fieldOf(t, lang, c, parentType, !!nm);
      let start = -1;
      let end = -1;
      const kind = nm ? t.kind[id] ?? Kind.Inner : undefined;
      if (kind === undefined) {
        // An anonymous token reads as its type (the preprocessor's `#  if` does not: ask).
        start = tokenStart();
        end = text.startsWith(type, start) ? start + type.length : c.endIndex;
        pos = end;
        if (!field && !t.keepAnon[id]) return undefined;
      } else if (kind === Kind.Word) {
        start = tokenStart();
        end = start;
        while (isWord(text.charCodeAt(end))) end++;
        const next = text.charCodeAt(end);
        if (end === start || (text.charCodeAt(start) >= 48 && text.charCodeAt(start) <= 57) || next >= 128 || next === 92) end = c.endIndex;
        pos = end;
      } else if (kind === Kind.Comment) {
        start = tokenStart();
        COMMENT.lastIndex = start;
        const m = COMMENT.exec(text);
        end = m && !m[0].includes('\r') ? start + m[0].length : c.endIndex;
        pos = end;
      } else if (kind === Kind.Token || kind === Kind.Opaque || (parent && parent === root && field === stop && stop !== undefined)) {
        start = tokenStart();
        end = c.endIndex;
        pos = end;
      }
      const n = new CNode(src, type, !!nm, field, start, end, false);
      n.parent = parent;
      n.typeId = id;
      n.namedCache = [];
      n.errorCache = false;
      if (start < 0) pending.push(n);
      return n;
    };
    const root = make(null, -1)!;
    const stack: CNode[] = [root];
    if (root.endIndex >= 0) return root;
    if (!c.gotoFirstChild()) {
      // Not a token and yet no children: ask.
      root.startIndex = c.startIndex;
      root.endIndex = c.endIndex;
      return root;
    }
    for (;;) {
      const parent = stack[stack.length - 1]!;
      const n = make(parent, parent.typeId);
      if (n) {
        parent.children.push(n);
        if (n.isNamed) parent.namedCache!.push(n);
        if (stop !== undefined && parent === root && n.field === stop) atStop!(n, c);
        else if (n.endIndex < 0) {
          if (c.gotoFirstChild()) { stack.push(n); continue; }
          // Not a token and yet no children: ask.
          pending.length = 0;
          n.startIndex = c.startIndex;
          n.endIndex = c.endIndex;
          for (const p of stack) if (p.startIndex < 0) p.startIndex = n.startIndex;
          pos = n.endIndex;
        }
      }
      while (!c.gotoNextSibling()) {
        // An inner node ends where its last child does.
        if (!c.gotoParent()) return root;
        const finished = stack.pop()!;
        finished.endIndex = t.hiddenEnd[finished.typeId] ? (pos = c.endIndex) : pos;
        if (stack.length === 0) return root;
      }
    }
  } finally {
    c.delete();
  }
}

/** The walk of a damaged tree: it asks the cursor for every kept node's extent and for MISSING tokens. */
function walkDamaged(node: Node, src: SourceText, lang: Language, stop?: string, atStop?: (n: CNode, c: TreeCursor) => void): CNode {
  const t = typeTable(lang);
  const c = node.walk();
  try {
    const make = (parent: CNode | null, parentType: number): CNode | undefined => {
      const id = c.nodeTypeId;
      // Beyond the grammar's own types: ERROR and the like.
      const known = t.types[id] !== undefined;
      const type = known ? t.types[id]! : c.nodeType;
      const nm = known ? t.named[id] : lang.nodeTypeIsNamed(id);
      const field = fieldOf(t, lang, c, parentType, !!nm);
      const keep = !!t.keepAnon[id];
      if (!nm && !field && !keep) return undefined;
      const missing = keep ? c.nodeIsMissing : false;
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
        if (stop !== undefined && parent === root && n.field === stop) atStop!(n, c);
        else if (!t.token[n.typeId] && c.gotoFirstChild()) { stack.push(n); continue; }
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
