// A finding as every output (CLI text/JSON/SARIF, editor diagnostics, webview)
// sees it. The fields up to `trace` are the JSON contract of design.md.

import type { Severity } from './rules';
import type { SourceLocation, TraceStep } from './trace';

export type Range = SourceLocation['range'];

export interface TraceEntry {
  file: string;
  range: Range;
  message: string;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  file: string;
  function: string | null;
  range: Range;
  trace: TraceEntry[];
  /** Not in the JSON contract: for editors and the webview. */
  certainty?: 'definite' | 'possible';
  related?: TraceEntry[];
  /** The simulation steps from entry to the violation. */
  steps?: TraceStep[];
  /** Other paths through the function, for the webview's path selector. */
  pathId?: number;
}

export function rangeAt(line: number, col: number, endLine = line, endCol = col + 1): Range {
  return { start: { line, column: col }, end: { line: endLine, column: endCol } };
}

/** Errors first, then by file, line, column, rule. */
export function compareFindings(a: Finding, b: Finding): number {
  return a.file.localeCompare(b.file) || a.range.start.line - b.range.start.line
    || a.range.start.column - b.range.start.column || a.rule.localeCompare(b.rule);
}
