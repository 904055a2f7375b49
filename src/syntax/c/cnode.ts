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
  private namedCache?: CNode[];
  private errorCache?: boolean;

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
    for (const c of this.children) if (c.field === name) return c;
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

/** Copy a subtree with one cursor walk. */
export function copyTree(node: Node, src: SourceText, lang: Language): CNode {
  const c = node.walk();
  const named = new Map<number, boolean>();
  const isNamed = (id: number): boolean => {
    let v = named.get(id);
    if (v === undefined) { v = lang.nodeTypeIsNamed(id); named.set(id, v); }
    return v;
  };
  try {
    const make = (parent: CNode | null): CNode | undefined => {
      const id = c.nodeTypeId;
      const type = lang.types[id] ?? c.nodeType;
      const nm = isNamed(id);
      const fieldId = c.currentFieldId;
      const field = fieldId ? lang.fields[fieldId] ?? null : null;
      if (!nm && !field && !KEEP_ANON.has(type)) return undefined;
      const missing = KEEP_ANON.has(type) ? c.nodeIsMissing : false;
      const n = new CNode(src, type, nm, field, c.startIndex, c.endIndex, missing);
      n.parent = parent;
      return n;
    };
    const root = make(null)!;
    const stack: CNode[] = [root];
    if (!c.gotoFirstChild()) return root;
    for (;;) {
      const parent = stack[stack.length - 1]!;
      const n = make(parent);
      if (n) {
        parent.children.push(n);
        if (c.gotoFirstChild()) { stack.push(n); continue; }
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
