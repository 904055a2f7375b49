// The lifecycle webview: one panel, restored after a reload by its
// serializer, talking to media/ through the typed messages of model/view.ts.

import * as vscode from 'vscode';
import { makeNonce, webviewHtml } from '../../media/html';
import type { FromWebview, SimulationView, ToWebview, WebviewState } from '../model/view';
import type { Log } from './log';

export const VIEW_TYPE = 'gpuvmReview.trace';

const highlight = vscode.window.createTextEditorDecorationType({
  backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
  isWholeLine: true,
});

export function fileToUri(file: string): vscode.Uri {
  return file.includes('://') ? vscode.Uri.parse(file) : vscode.Uri.file(file);
}

export class TracePanel implements vscode.Disposable {
  static current: TracePanel | undefined;
  private view: SimulationView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
      retainContextWhenHidden: false,
    };
  }

  static show(extensionUri: vscode.Uri, log: Log, view: SimulationView, at?: { pathId?: string; step?: number }): TracePanel {
    let p = TracePanel.current;
    if (!p) {
      const panel = vscode.window.createWebviewPanel(VIEW_TYPE, `GPUVM: ${view.title}`,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, TracePanel.options(extensionUri));
      p = new TracePanel(panel, extensionUri, log);
    }
    p.panel.title = `GPUVM: ${view.title}`;
    p.panel.reveal(vscode.ViewColumn.Beside, true);
    p.showView(view, at);
    return p;
  }

  /** Called by the serializer when VS Code restores the panel after a reload. */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, log: Log, state: WebviewState | undefined): void {
    panel.webview.options = TracePanel.options(extensionUri);
    const p = new TracePanel(panel, extensionUri, log);
    if (state?.view) p.view = state.view;
  }

  private constructor(readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private readonly log: Log) {
    TracePanel.current = this;
    const w = panel.webview;
    const dist = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    w.html = webviewHtml({
      cspSource: w.cspSource, nonce: makeNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(dist, 'main.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(dist, 'main.css')).toString(),
    });
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      w.onDidReceiveMessage((m: FromWebview) => { void this.onMessage(m); }),
      vscode.window.onDidChangeTextEditorSelection((e) => this.cursorMoved(e)),
    );
  }

  private post(m: ToWebview): void {
    void this.panel.webview.postMessage(m);
  }

  showView(view: SimulationView, at?: { pathId?: string; step?: number }): void {
    this.view = view;
    this.post({ type: 'show', view, ...(at?.pathId ? { pathId: at.pathId } : {}), ...(at?.step !== undefined ? { step: at.step } : {}) });
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        if (this.view) this.post({ type: 'show', view: this.view });
        return;
      case 'reveal': {
        try {
          const uri = fileToUri(m.file);
          const range = new vscode.Range(m.range.start.line - 1, Math.max(0, m.range.start.column - 1), m.range.end.line - 1, Math.max(0, m.range.end.column - 1));
          const ed = await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preserveFocus: true, selection: range });
          ed.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
          ed.setDecorations(highlight, [range]);
        } catch (e) {
          this.log.warn(`cannot reveal ${m.file}: ${e instanceof Error ? e.message : String(e)}`);
        }
        return;
      }
      case 'copyText':
        await vscode.env.clipboard.writeText(m.text);
        void vscode.window.setStatusBarMessage('GPUVM trace copied as text', 3000);
        return;
      case 'selectPath': case 'selectStep':
        return;
    }
  }

  private cursorMoved(e: vscode.TextEditorSelectionChangeEvent): void {
    const v = this.view;
    if (!v || e.textEditor.document.uri.scheme === 'output') return;
    const uri = e.textEditor.document.uri.toString();
    if (fileToUri(v.file).toString() !== uri) return;
    this.post({ type: 'cursor', file: v.file, line: e.selections[0]!.active.line + 1 });
  }

  dispose(): void {
    if (TracePanel.current === this) TracePanel.current = undefined;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
    for (const ed of vscode.window.visibleTextEditors) ed.setDecorations(highlight, []);
  }
}
