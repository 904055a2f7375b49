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
