// Findings -> VS Code diagnostics (0-based positions, rule id as a code that
// links to the rule's documentation shipped with the extension).

import * as vscode from 'vscode';
import type { Finding, Range, TraceEntry } from '../model/finding';
import { OP_BY_NAME } from '../model/ops';

/** Model operations that only keep track of names and ownership. */
const BOOKKEEPING = new Set(['alias', 'unbind', 'hand_on', 'forget', 'vm_declare', 'gem_declare', 'vm_bo_declare', 'va_declare', 'va_assume_linked', 'use']);

export const SOURCE = 'gpuvm-review';

export function toVsRange(r: Range): vscode.Range {
  const sl = Math.max(0, r.start.line - 1);
  const sc = Math.max(0, r.start.column - 1);
  const el = Math.max(sl, r.end.line - 1);
  const ec = el === sl ? Math.max(sc + 1, r.end.column - 1) : Math.max(0, r.end.column - 1);
  return new vscode.Range(sl, sc, el, ec);
}

export function ruleDocUri(extensionUri: vscode.Uri, rule: string): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'docs', 'rules', `${rule}.md`);
}

const SEVERITY: Record<string, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

function location(fallback: vscode.Uri, t: TraceEntry, toUri: (file: string) => vscode.Uri | undefined): vscode.Location {
  return new vscode.Location(toUri(t.file) ?? fallback, toVsRange(t.range));
}

/** At most this many trace steps go into relatedInformation (the webview has the rest). */
const MAX_TRACE_RELATED = 8;

export function toDiagnostic(f: Finding, uri: vscode.Uri, extensionUri: vscode.Uri, toUri: (file: string) => vscode.Uri | undefined): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toVsRange(f.range), f.message, SEVERITY[f.severity] ?? vscode.DiagnosticSeverity.Warning);
  d.source = SOURCE;
  d.code = { value: f.rule, target: ruleDocUri(extensionUri, f.rule) };
  const rel: vscode.DiagnosticRelatedInformation[] = [];
  const seen = new Set<string>();
  const add = (t: TraceEntry): void => {
    const k = `${t.file}:${t.range.start.line}:${t.message}`;
    if (seen.has(k)) return;
    seen.add(k);
    rel.push(new vscode.DiagnosticRelatedInformation(location(uri, t, toUri), t.message));
  };
  for (const r of f.related ?? []) add(r);
  // Then the GPUVM calls of the path (not its assignments and conditions), the last few.
  const calls: TraceEntry[] = f.steps
    ? f.steps.filter((st) => st.location && OP_BY_NAME.has(st.op) && !BOOKKEEPING.has(st.op))
      .map((st) => ({ file: st.location!.file, range: st.location!.range, message: st.label.trim() }))
    : f.trace;
  const others = calls.filter((t) => !(t.range.start.line === f.range.start.line && t.file === f.file));
  for (const t of others.slice(Math.max(0, others.length - MAX_TRACE_RELATED))) add(t);
  if (rel.length) d.relatedInformation = rel;
  return d;
}
