// Labels and end spans of C nodes (spans themselves: ../lines). tree-sitter
// works on the JS string, so indices and columns are UTF-16 code units.

import type { Span } from '../../analysis/ir';
import type { Located as Node } from '../lines';

/** The node's source text, whitespace folded, shortened for messages. */
export function labelText(text: string, n: Node, max = 90): string {
  // Folding only shortens text, and folding a prefix folds to a prefix of the whole
  // (but for its last character): a long node is folded from a prefix, not in full.
  const end = Math.min(n.endIndex, n.startIndex + 4 * max);
  if (end < n.endIndex) {
    const head = fold(text.slice(n.startIndex, end)).trimStart();
    if (head.length - 1 > max) return `${head.slice(0, max - 1)}…`;
  }
  const t = fold(text.slice(n.startIndex, n.endIndex)).trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function fold(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/\( /g, '(');
}

/** The end of a node (a block's closing brace), as an empty span: where scoped locks are released. */
export function endSpan(n: Node): Span {
  const e = n.endPosition;
  const pos = { line: e.row + 1, column: Math.max(1, e.column) };
  return { start: pos, end: pos, startIndex: Math.max(n.startIndex, n.endIndex - 1), endIndex: n.endIndex };
}
