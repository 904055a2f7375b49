// Entry point of the extension (desktop and web): one context object owns
// every disposable. The WASM files are read through vscode.workspace.fs, so
// the same code runs where there is no file system.

import * as vscode from 'vscode';
import type { WebviewState } from '../model/view';
import { loadParsers, type Parsers } from '../syntax/parser';
import { Analyzer } from './analyzer';
import { CodeActions } from './codeActions';
import { Lenses } from './codeLens';
import { registerCommands } from './commands';
import { SOURCE } from './convert';
import { Hover } from './hover';
import { Log } from './log';
import { TracePanel, VIEW_TYPE } from './tracePanel';

const SELECTOR: vscode.DocumentSelector = [{ language: 'rust' }, { language: 'c' }, { language: 'cpp', pattern: '**/*.h' }, { language: 'gpuvm' }];

export function activate(context: vscode.ExtensionContext): { ready: Promise<void> } {
  const t0 = Date.now();
  const log = new Log();
  context.subscriptions.push(log);
  const collection = vscode.languages.createDiagnosticCollection(SOURCE);
  context.subscriptions.push(collection);
  const status = vscode.languages.createLanguageStatusItem('gpuvmReview.status', SELECTOR);
  status.name = 'GPUVM Review';
  status.text = 'GPUVM: starting';
  status.command = { command: 'gpuvmReview.showLog', title: 'Show log' };
  context.subscriptions.push(status);

  const wasm = async (name: string): Promise<Uint8Array> => vscode.workspace.fs.readFile(vscode.Uri.joinPath(context.extensionUri, 'dist', name));
  const parsersP: Promise<Parsers> = loadParsers(wasm);
  let analyzer: Analyzer | undefined;
  const ready = parsersP.then((parsers) => {
    analyzer = new Analyzer(parsers, collection, context.extensionUri, log);
    context.subscriptions.push(analyzer);
    context.subscriptions.push(
      vscode.languages.registerCodeActionsProvider(SELECTOR, new CodeActions(analyzer), { providedCodeActionKinds: CodeActions.kinds }),
      vscode.languages.registerHoverProvider(SELECTOR, new Hover(analyzer)),
      vscode.languages.registerCodeLensProvider(SELECTOR, new Lenses(analyzer)),
      analyzer.onDidAnalyse((e) => {
        status.text = `GPUVM: ${e.ms.toFixed(0)} ms`;
        status.detail = `last analysis of ${vscode.workspace.asRelativePath(e.uri)}: ${e.functions} function(s), ${e.findings} finding(s)${e.incomplete ? '; some functions hit the path budget' : ''}`;
        status.severity = e.incomplete ? vscode.LanguageStatusSeverity.Warning : vscode.LanguageStatusSeverity.Information;
      }),
    );
    status.text = 'GPUVM: ready';
    log.info(`activated in ${Date.now() - t0} ms (tree-sitter and grammars loaded)`);
  }, (e: unknown) => {
    status.text = 'GPUVM: failed to start';
    status.severity = vscode.LanguageStatusSeverity.Error;
    log.error('cannot load tree-sitter', e);
    void vscode.window.showErrorMessage(`GPUVM Review could not start: ${e instanceof Error ? e.message : String(e)}`);
  });

  context.subscriptions.push(...registerCommands({
    extensionUri: context.extensionUri, log, collection,
    parsers: () => parsersP,
    analyzer: async () => { await ready; if (!analyzer) throw new Error('GPUVM Review did not start; see its log'); return analyzer; },
  }));
  context.subscriptions.push(vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
    deserializeWebviewPanel: async (panel, state: unknown) => { TracePanel.revive(panel, context.extensionUri, log, state as WebviewState | undefined); },
  }));
  context.subscriptions.push({ dispose: () => TracePanel.current?.dispose() });
  return { ready };
}

export function deactivate(): void {}
