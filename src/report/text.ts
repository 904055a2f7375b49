// The compiler's form, one finding per line: file:line:col: severity: message [rule]
// followed by the trace, indented, so editors and CI logs link every line.

import type { Finding } from '../model/finding';

export interface TextOptions {
  /** Print the trace under each finding. */
  trace?: boolean;
}

export function findingLine(f: Finding): string {
  return `${f.file}:${f.range.start.line}:${f.range.start.column}: ${f.severity}: ${f.message} [${f.rule}]`;
}

export function renderText(findings: Finding[], opts: TextOptions = {}): string {
  const out: string[] = [];
  for (const f of findings) {
    out.push(findingLine(f));
    if (opts.trace !== false) {
      for (const t of f.trace) out.push(`    ${t.file}:${t.range.start.line}:${t.range.start.column}: note: ${t.message}`);
    }
  }
  return out.join('\n');
}

export function summaryLine(findings: Finding[], files: number, functions: number, ms: number): string {
  const n = (sev: string) => findings.filter((f) => f.severity === sev).length;
  return `${files} file(s), ${functions} function(s): ${n('error')} error(s), ${n('warning')} warning(s), ${n('info')} note(s) in ${ms} ms`;
}
