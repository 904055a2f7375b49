// Keeps every open Rust, C and .gpuvm document analysed: incremental parse on
// each change, debounced analysis per document, stale work cancelled, results
// applied only for the version they were computed for, diagnostics replaced
// in one go and cleared on close.

import * as vscode from 'vscode';
import { applyCustomizations, type Customization } from '../analysis/severity';
import type { Finding } from '../model/finding';
import { DocumentModel, type AnalysisRun } from '../editor/document';
import { Scheduler, type CancelToken } from '../editor/scheduler';
import { parseScenario, ScenarioSyntaxError } from '../scenario/parse';
import { runScenario, type SimulationResult } from '../scenario/run';
import type { Parsers } from '../syntax/parser';
import { toDiagnostic, SOURCE } from './convert';
import type { Log } from './log';
import { readSettings } from './settings';

export type DocLanguage = 'rust' | 'c' | 'gpuvm';

export function languageOf(doc: vscode.TextDocument): DocLanguage | undefined {
  const p = doc.uri.path.toLowerCase();
  if (doc.languageId === 'gpuvm' || p.endsWith('.gpuvm')) return 'gpuvm';
  if (doc.languageId === 'rust' || p.endsWith('.rs')) return 'rust';
  if (doc.languageId === 'c' || p.endsWith('.c') || p.endsWith('.h')) return 'c';
  return undefined;
}

export interface AnalysisEvent {
  uri: vscode.Uri;
  ms: number;
  findings: number;
  functions: number;
  incomplete: boolean;
}

export class Analyzer implements vscode.Disposable {
  private readonly models = new Map<string, DocumentModel>();
  private readonly scenarios = new Map<string, { version: number; result?: SimulationResult }>();
  private readonly tooLarge = new Set<string>();
  private readonly scheduler = new Scheduler<string>();
  private readonly emitter = new vscode.EventEmitter<AnalysisEvent>();
  readonly onDidAnalyse = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly parsers: Parsers,
    private readonly collection: vscode.DiagnosticCollection,
    private readonly extensionUri: vscode.Uri,
    private readonly log: Log,
  ) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.open(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.change(e)),
      vscode.workspace.onDidSaveTextDocument((d) => this.saved(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.close(d)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('gpuvmReview')) this.reanalyseAll();
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.open(d);
  }

  model(uri: vscode.Uri): DocumentModel | undefined {
    return this.models.get(uri.toString());
  }

  scenario(uri: vscode.Uri): SimulationResult | undefined {
    return this.scenarios.get(uri.toString())?.result;
  }

  private open(doc: vscode.TextDocument): void {
    const lang = languageOf(doc);
    if (!lang || doc.uri.scheme === 'output' || doc.uri.scheme === 'git') return;
    const key = doc.uri.toString();
    if (lang === 'gpuvm') { this.scenarios.set(key, { version: doc.version }); this.schedule(doc, 0); return; }
    if (this.models.has(key)) return;
    const s = readSettings(doc.uri);
    const text = doc.getText();
    if (text.length > s.maxFileSizeKb * 1024) {
      this.tooLarge.add(key);
      this.log.info(`${doc.uri.fsPath}: ${Math.round(text.length / 1024)} KiB is over gpuvmReview.maxFileSizeKb (${s.maxFileSizeKb}); not reviewed`);
      return;
    }
    const t0 = performance.now();
    this.models.set(key, new DocumentModel(this.parsers, key, lang, text, doc.version));
    this.log.trace(`${doc.uri.fsPath}: parsed in ${(performance.now() - t0).toFixed(1)} ms`);
    this.schedule(doc, 0);
  }

  private change(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    const lang = languageOf(e.document);
    if (lang === 'gpuvm') {
      if (readSettings(e.document.uri).run === 'onType') this.schedule(e.document);
      return;
    }
    const m = this.models.get(key);
    if (!m) {
      if (this.tooLarge.has(key) && e.document.getText().length <= readSettings(e.document.uri).maxFileSizeKb * 1024) {
        this.tooLarge.delete(key);
        this.open(e.document);
      }
      return;
    }
    if (!e.contentChanges.length) return;
    // Keep the tree in step with the document synchronously, so it never lags a version.
    m.update(e.contentChanges, e.document.getText(), e.document.version);
    if (readSettings(e.document.uri).run === 'onType') this.schedule(e.document);
  }

  private saved(doc: vscode.TextDocument): void {
    if (readSettings(doc.uri).run === 'onSave') this.schedule(doc, 0);
  }

  private close(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    this.scheduler.cancel(key);
    this.models.get(key)?.dispose();
    this.models.delete(key);
    this.scenarios.delete(key);
    this.tooLarge.delete(key);
    this.collection.delete(doc.uri);
  }

  reanalyseAll(): void {
    for (const d of vscode.workspace.textDocuments) if (this.models.has(d.uri.toString()) || this.scenarios.has(d.uri.toString())) this.schedule(d, 0);
  }

  schedule(doc: vscode.TextDocument, delay?: number): void {
    const s = readSettings(doc.uri);
    this.scheduler.schedule(doc.uri.toString(), delay ?? s.debounceMs, (token) => this.run(doc, token));
  }

  /** Analyse now (commands): returns the run for the current version. */
  analyseNow(doc: vscode.TextDocument): AnalysisRun | undefined {
    const m = this.models.get(doc.uri.toString());
    if (!m) return undefined;
    if (m.last && m.last.version === doc.version) return m.last;
    const run = m.analyse(readSettings(doc.uri).review);
    this.publish(doc, run.findings);
    return run;
  }

  private async run(doc: vscode.TextDocument, token: CancelToken): Promise<void> {
    // Let pending keystrokes land first; the tree is already current.
    await new Promise((r) => setTimeout(r, 0));
    if (token.cancelled || doc.isClosed) return;
    const key = doc.uri.toString();
    const settings = readSettings(doc.uri);
    for (const p of settings.problems) this.log.warn(`settings: ${p}`);
    const t0 = performance.now();
    if (languageOf(doc) === 'gpuvm') {
      this.runScenario(doc, key, t0, settings.review.customizations ?? []);
      return;
    }
    const m = this.models.get(key);
    if (!m) return;
    let run: AnalysisRun;
    try {
      run = m.analyse(settings.review, () => token.cancelled);
    } catch (e) {
      this.log.error(`${doc.uri.fsPath}: analysis failed`, e);
      return;
    }
    if (token.cancelled || run.result.cancelled || doc.isClosed || run.version !== doc.version) return;
    if (run.problem) this.log.warn(`${doc.uri.fsPath}: ${run.problem}`);
    this.publish(doc, run.findings);
    const ms = performance.now() - t0;
    this.log.trace(`${doc.uri.fsPath} v${run.version}: parse ${run.parseMs.toFixed(1)} ms, lower ${run.lowerMs.toFixed(1)} ms, analyse ${run.analyseMs.toFixed(1)} ms (${run.result.stats.analysed} analysed, ${run.result.stats.reused} reused), ${run.findings.length} findings`);
    this.emitter.fire({ uri: doc.uri, ms, findings: run.findings.length, functions: run.ir.functions.length, incomplete: run.result.functions.some((f) => f.explored?.incomplete) });
  }

  private runScenario(doc: vscode.TextDocument, key: string, t0: number, customizations: Customization[]): void {
    const version = doc.version;
    const text = doc.getText();
    const diags: vscode.Diagnostic[] = [];
    let result: SimulationResult | undefined;
    try {
      result = runScenario(parseScenario(text, key));
      for (const f of applyCustomizations(result.findings, customizations)) diags.push(toDiagnostic(f, doc.uri, this.extensionUri, (file) => (file === key ? doc.uri : undefined)));
      for (const e of result.expectations) {
        if (e.met) continue;
        const line = e.expectation.line - 1;
        const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, doc.lineAt(Math.min(line, doc.lineCount - 1)).text.length),
          `expectation not met: ${e.detail}`, vscode.DiagnosticSeverity.Warning);
        d.source = SOURCE;
        diags.push(d);
      }
    } catch (e) {
      if (!(e instanceof ScenarioSyntaxError)) { this.log.error(`${doc.uri.fsPath}: simulation failed`, e); return; }
      for (const x of e.errors) {
        const line = Math.max(0, x.line - 1);
        const col = Math.max(0, x.col - 1);
        const d = new vscode.Diagnostic(new vscode.Range(line, col, line, col + 1), x.message, vscode.DiagnosticSeverity.Error);
        d.source = SOURCE;
        diags.push(d);
      }
    }
    if (doc.isClosed || doc.version !== version) return;
    this.scenarios.set(key, { version, ...(result ? { result } : {}) });
    this.collection.set(doc.uri, diags);
    this.emitter.fire({ uri: doc.uri, ms: performance.now() - t0, findings: diags.length, functions: 0, incomplete: false });
  }

  private publish(doc: vscode.TextDocument, findings: Finding[]): void {
    const key = doc.uri.toString();
    const toUri = (file: string): vscode.Uri | undefined => (file === key ? doc.uri : file.includes('://') ? vscode.Uri.parse(file) : undefined);
    this.collection.set(doc.uri, findings.map((f) => toDiagnostic(f, doc.uri, this.extensionUri, toUri)));
  }

  dispose(): void {
    this.scheduler.dispose();
    for (const m of this.models.values()) m.dispose();
    this.models.clear();
    this.emitter.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
