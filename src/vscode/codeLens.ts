// "Simulate" above every function that touches GPUVM.

import * as vscode from 'vscode';
import type { Analyzer } from './analyzer';
import { readSettings } from './settings';

export class Lenses implements vscode.CodeLensProvider {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.emitter.event;

  constructor(private readonly analyzer: Analyzer) {
    analyzer.onDidAnalyse(() => this.emitter.fire());
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!readSettings(doc.uri).codeLens) return [];
    const run = this.analyzer.model(doc.uri)?.last;
    if (!run) return [];
    const out: vscode.CodeLens[] = [];
    for (const fn of run.ir.functions) {
      if (!fn.touchesGpuvm) continue;
      const r = run.result.functions.find((x) => x.fn.id === fn.id);
      const n = r?.findings.filter((f) => f.severity !== 'info').length ?? 0;
      const line = Math.max(0, fn.nameSpan.start.line - 1);
      const range = new vscode.Range(line, 0, line, 0);
      out.push(new vscode.CodeLens(range, {
        title: n ? `Simulate (${n} finding${n > 1 ? 's' : ''})` : 'Simulate',
        tooltip: `Simulate ${fn.displayName} through the GPUVM model and show its lifecycle trace`,
        command: 'gpuvmReview.simulateFunction',
        arguments: [doc.uri, fn.id],
      }));
    }
    return out;
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
