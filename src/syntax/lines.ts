// Offsets to lines and columns, and the spans findings point at: one table and
// one span convention for both front ends.

import type { Span } from '../analysis/ir';

export interface Point {
  row: number;
  column: number;
}

/** Where each line of a text starts: UTF-16 offsets to 0-based rows and columns (tree-sitter's convention). */
export class LineTable {
  readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** The 0-based row of an offset. */
  row(index: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= index) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  point(index: number): Point {
    const row = this.row(index);
    return { row, column: index - this.starts[row]! };
  }

  /** The offset where a 0-based row starts. */
  lineStart(row: number): number | undefined {
    return this.starts[row];
  }

  get lines(): number {
    return this.starts.length;
  }
}

/** What a span is made from: a tree-sitter Node or a JavaScript copy of one. */
export interface Located {
  startPosition: Point;
  endPosition: Point;
  startIndex: number;
  endIndex: number;
}

/** A node's span: 1-based lines and columns, UTF-16 offsets. */
export function spanOf(n: Located): Span {
  const s = n.startPosition;
  const e = n.endPosition;
  return { start: { line: s.row + 1, column: s.column + 1 }, end: { line: e.row + 1, column: e.column + 1 }, startIndex: n.startIndex, endIndex: n.endIndex };
}

/** A span covering just the first line of a node (a signature, or a call written over several lines). */
export function headSpan(n: Located, text: string): Span {
  const s = n.startPosition;
  const nl = text.indexOf('\n', n.startIndex);
  const endIndex = nl < 0 || nl > n.endIndex ? n.endIndex : nl;
  return {
    start: { line: s.row + 1, column: s.column + 1 },
    end: { line: s.row + 1, column: s.column + 1 + (endIndex - n.startIndex) },
    startIndex: n.startIndex,
    endIndex,
  };
}
