// VS Code change events -> tree-sitter edits. Event ranges are in the
// coordinates of the document *before* the change; columns and offsets are
// UTF-16 code units, which is also what web-tree-sitter uses for JS strings.

export interface Position { line: number; character: number }

export interface ContentChange {
  range: { start: Position; end: Position };
  rangeOffset: number;
  rangeLength: number;
  text: string;
}

export interface TsEdit {
  startIndex: number;
  oldEndIndex: number;
  newEndIndex: number;
  startPosition: { row: number; column: number };
  oldEndPosition: { row: number; column: number };
  newEndPosition: { row: number; column: number };
}

/** The position after inserting `text` at `start`. */
export function endOfInsert(start: Position, text: string): { row: number; column: number } {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length === 1) return { row: start.line, column: start.character + text.length };
  return { row: start.line + lines.length - 1, column: lines[lines.length - 1]!.length };
}

export function toTsEdit(c: ContentChange): TsEdit {
  return {
    startIndex: c.rangeOffset,
    oldEndIndex: c.rangeOffset + c.rangeLength,
    newEndIndex: c.rangeOffset + c.text.length,
    startPosition: { row: c.range.start.line, column: c.range.start.character },
    oldEndPosition: { row: c.range.end.line, column: c.range.end.character },
    newEndPosition: endOfInsert(c.range.start, c.text),
  };
}

/**
 * VS Code reports the changes of one event against the document before the
 * event, in an order where applying them one by one (each shifting the next)
 * is wrong in general; tree-sitter wants each edit against the tree as edited
 * so far. Sorting by descending offset makes every edit independent of the
 * ones applied before it.
 */
export function orderedEdits(changes: readonly ContentChange[]): TsEdit[] {
  return [...changes].sort((a, b) => b.rangeOffset - a.rangeOffset).map(toTsEdit);
}

/** Row and column (UTF-16) of an offset, counting `\n` as tree-sitter does. */
function pointAt(text: string, index: number): { row: number; column: number } {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}

/**
 * One edit that turns `before` into `after`: the span between their common
 * prefix and common suffix. For text a front end rewrote before parsing (where
 * the change events no longer describe every difference).
 */
export function diffEdit(before: string, after: string): TsEdit | undefined {
  if (before === after) return undefined;
  const max = Math.min(before.length, after.length);
  let p = 0;
  while (p < max && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && before.charCodeAt(before.length - 1 - s) === after.charCodeAt(after.length - 1 - s)) s++;
  // Never split a surrogate pair.
  if (p > 0 && /[\uD800-\uDBFF]/.test(before[p - 1]!)) p--;
  return {
    startIndex: p,
    oldEndIndex: before.length - s,
    newEndIndex: after.length - s,
    startPosition: pointAt(before, p),
    oldEndPosition: pointAt(before, before.length - s),
    newEndPosition: pointAt(after, after.length - s),
  };
}
