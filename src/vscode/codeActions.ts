// Quick fixes on gpuvm-review diagnostics: suppress on this line or for the
// function, show the rule's documentation, open the trace, and real fixes where
// the change is mechanical.

import * as vscode from 'vscode';
import { DEFERRED_VARIANT, renameCallEdit, safetySkeletonEdit, suppressFunctionEdit, suppressLineEdit, type PlainEdit } from '../editor/fixes';
import type { Analyzer } from './analyzer';
import { SOURCE } from './convert';

function toTextEdit(e: PlainEdit): vscode.TextEdit {
  return new vscode.TextEdit(new vscode.Range(e.line, e.character, e.endLine, e.endCharacter), e.newText);
}

function ruleOf(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  return typeof c === 'object' && c !== null ? String(c.value) : typeof c === 'string' ? c : undefined;
}

export class CodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(private readonly analyzer: Analyzer) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const out: vscode.CodeAction[] = [];
    const lines = doc.getText().split(/\r?\n/);
    const lang = doc.languageId === 'c' || /\.[ch]$/.test(doc.uri.path) ? 'c' : 'rust';
    const model = this.analyzer.model(doc.uri);
    for (const d of ctx.diagnostics) {
      if (d.source !== SOURCE) continue;
      const rule = ruleOf(d);
      if (!rule) continue;
      const line = d.range.start.line;
      const fn = model?.functionAt(line + 1, d.range.start.character + 1);
      const result = fn ? model?.functionResult(fn) : undefined;

      // Mechanical fixes first: they are the preferred action.
      if (rule === 'signalling-gem-put' && result?.context.vm.immediate === true) {
        for (const [from, to] of Object.entries(DEFERRED_VARIANT)) {
          const e = renameCallEdit(lines, line, d.range.start.character, from, to);
          if (!e) continue;
          const a = new vscode.CodeAction(`Use ${to}() (immediate-mode VM)`, vscode.CodeActionKind.QuickFix);
          a.edit = new vscode.WorkspaceEdit();
          a.edit.set(doc.uri, [toTextEdit(e)]);
          a.diagnostics = [d];
          a.isPreferred = true;
          out.push(a);
          break;
        }
      }
      if (rule === 'unsafe-without-safety-comment') {
        const a = new vscode.CodeAction('Add a // SAFETY: comment', vscode.CodeActionKind.QuickFix);
        a.edit = new vscode.WorkspaceEdit();
        a.edit.set(doc.uri, [toTextEdit(safetySkeletonEdit(lines, line))]);
        a.diagnostics = [d];
        a.isPreferred = true;
        out.push(a);
      }

      const onLine = new vscode.CodeAction(`Suppress ${rule} on this line`, vscode.CodeActionKind.QuickFix);
      onLine.edit = new vscode.WorkspaceEdit();
      onLine.edit.set(doc.uri, [toTextEdit(suppressLineEdit(lines, line, rule, lang))]);
      onLine.diagnostics = [d];
      out.push(onLine);
      if (fn) {
        const inFn = new vscode.CodeAction(`Suppress ${rule} in ${fn.displayName}`, vscode.CodeActionKind.QuickFix);
        inFn.edit = new vscode.WorkspaceEdit();
        inFn.edit.set(doc.uri, [toTextEdit(suppressFunctionEdit(lines, fn.span.start.line - 1, rule, lang))]);
        inFn.diagnostics = [d];
        out.push(inFn);
        const sim = new vscode.CodeAction(`Show the trace of ${fn.displayName}`, vscode.CodeActionKind.QuickFix);
        sim.command = { command: 'gpuvmReview.simulateFunction', title: 'Simulate', arguments: [doc.uri, fn.id, line + 1] };
        sim.diagnostics = [d];
        out.push(sim);
      }
      const docs = new vscode.CodeAction(`Show documentation for ${rule}`, vscode.CodeActionKind.QuickFix);
      docs.command = { command: 'gpuvmReview.showRuleDoc', title: 'Show documentation', arguments: [rule] };
      docs.diagnostics = [d];
      out.push(docs);
    }
    return out;
  }
}
