// Hover on a GPUVM call: the model's state right after it.

import * as vscode from 'vscode';
import { stateAfter } from '../analysis/analyze';
import { hoverMarkdown } from '../editor/hover';
import type { Analyzer } from './analyzer';
import { readSettings } from './settings';

export class Hover implements vscode.HoverProvider {
  constructor(private readonly analyzer: Analyzer) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    if (!readSettings(doc.uri).hover) return undefined;
    const model = this.analyzer.model(doc.uri);
    if (!model?.last || model.last.version !== doc.version) return undefined;
    const line = pos.line + 1;
    const col = pos.character + 1;
    const fn = model.functionAt(line, col);
    if (!fn) return undefined;
    const r = model.functionResult(fn);
    if (!r) return undefined;
    // The innermost GPUVM call under the cursor.
    const hits = fn.nodes.filter((n) => n.event.kind === 'api' && n.span
      && (n.span.start.line < line || (n.span.start.line === line && n.span.start.column <= col))
      && (n.span.end.line > line || (n.span.end.line === line && n.span.end.column >= col)));
    hits.sort((a, b) => (a.span!.endIndex - a.span!.startIndex) - (b.span!.endIndex - b.span!.startIndex));
    for (const n of hits) {
      const step = stateAfter(r, n.id);
      if (!step) continue;
      const md = new vscode.MarkdownString(hoverMarkdown(step, r.contextLabel));
      md.isTrusted = false;
      const s = n.span!;
      return new vscode.Hover(md, new vscode.Range(s.start.line - 1, s.start.column - 1, s.end.line - 1, s.end.column - 1));
    }
    return undefined;
  }
}
