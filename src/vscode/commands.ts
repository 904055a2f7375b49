// The GPUVM commands: Simulate Function…, Simulate Scenario, Review Workspace,
// Show Rule Documentation, Show Log.

import * as vscode from 'vscode';
import { analyzeProgram, functionView, type FunctionResult } from '../analysis/analyze';
import type { IrFunction } from '../analysis/ir';
import { RULES } from '../model/rules';
import type { SimulationView } from '../model/view';
import { reviewSources, type Source } from '../review';
import { parseScenario, ScenarioSyntaxError } from '../scenario/parse';
import { runScenario } from '../scenario/run';
import { scenarioView } from '../scenario/view';
import type { Parsers } from '../syntax/parser';
import { frontendFor } from '../syntax/registry';
import { languageOf, type Analyzer } from './analyzer';
import { toDiagnostic } from './convert';
import type { Log } from './log';
import { readSettings } from './settings';
import { TracePanel } from './tracePanel';

export interface CommandDeps {
  extensionUri: vscode.Uri;
  log: Log;
  analyzer: () => Promise<Analyzer>;
  parsers: () => Promise<Parsers>;
  collection: vscode.DiagnosticCollection;
}

interface FnPick extends vscode.QuickPickItem { fn: IrFunction }

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('gpuvmReview.simulateFunction', (uri?: vscode.Uri, fnId?: string, line?: number) => simulateFunction(d, uri, fnId, line)),
    vscode.commands.registerCommand('gpuvmReview.simulateScenario', (uri?: vscode.Uri) => simulateScenario(d, uri)),
    vscode.commands.registerCommand('gpuvmReview.reviewWorkspace', () => reviewWorkspace(d)),
    vscode.commands.registerCommand('gpuvmReview.showRuleDoc', (rule?: string) => showRuleDoc(d, rule)),
    vscode.commands.registerCommand('gpuvmReview.showLog', () => d.log.channel.show(true)),
  ];
}

async function simulateFunction(d: CommandDeps, uri?: vscode.Uri, fnId?: string, line?: number): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const target = uri ?? editor?.document.uri;
  if (!target) { void vscode.window.showInformationMessage('GPUVM: open a Rust or C file to simulate one of its functions.'); return; }
  const doc = await vscode.workspace.openTextDocument(target);
  const lang = languageOf(doc);
  if (lang === 'gpuvm') { await simulateScenario(d, doc.uri); return; }
  if (!lang) { void vscode.window.showInformationMessage('GPUVM: Simulate Function works on Rust and C files.'); return; }
  const analyzer = await d.analyzer();
  const run = analyzer.analyseNow(doc);
  const model = analyzer.model(doc.uri);
  if (!run || !model) { void vscode.window.showWarningMessage('GPUVM: this file is not reviewed (too large? see gpuvmReview.maxFileSizeKb).'); return; }
  let fn = fnId ? run.ir.functions.find((f) => f.id === fnId) : undefined;
  if (!fn && editor && editor.document.uri.toString() === doc.uri.toString()) {
    const pos = editor.selection.active;
    const here = model.functionAt(pos.line + 1, pos.character + 1);
    if (here?.touchesGpuvm) fn = here;
  }
  if (!fn) {
    const fns = [...run.ir.functions].sort((a, b) => Number(b.touchesGpuvm) - Number(a.touchesGpuvm));
    if (!fns.length) { void vscode.window.showInformationMessage('GPUVM: no functions in this file.'); return; }
    const picks: FnPick[] = fns.map((f) => {
      const r = run.result.functions.find((x) => x.fn.id === f.id);
      const n = r?.findings.filter((x) => x.severity !== 'info').length ?? 0;
      return { fn: f, label: f.displayName, description: f.touchesGpuvm ? `${r?.contextLabel ?? ''}${n ? ` · ${n} finding(s)` : ''}` : 'does not touch GPUVM', detail: `line ${f.nameSpan.start.line}` };
    });
    const pick = await vscode.window.showQuickPick(picks, { title: 'GPUVM: Simulate Function', placeHolder: 'Function to simulate', matchOnDescription: true });
    if (!pick) return;
    fn = pick.fn;
  }
  let result: FunctionResult | undefined = run.result.functions.find((x) => x.fn.id === fn!.id);
  if (!result?.explored) { void vscode.window.showInformationMessage(`GPUVM: ${fn.displayName} does not touch GPUVM; nothing to simulate.`); return; }
  // Ask what the code does not say.
  const settings = readSettings(doc.uri);
  const overrides: { mode?: { immediate?: boolean; resvProtected?: boolean }; signalling?: boolean } = {};
  if (result.context.vm.immediate === undefined) {
    const m = await vscode.window.showQuickPick([
      { label: 'Immediate mode', description: 'DRM_GPUVM_IMMEDIATE_MODE: GPUVM is updated in run_job', value: true },
      { label: 'Staged mode', description: 'GPUVM is updated in the ioctl; run_job only touches page tables', value: false },
    ], { title: `GPUVM: the VM mode of ${fn.displayName} is not visible in this file` });
    if (!m) return;
    overrides.mode = { ...settings.review.mode, immediate: m.value };
  }
  if (!result.context.signalling && fn.roles.length === 0 && !isCalled(run.ir.functions, fn)) {
    const c = await vscode.window.showQuickPick([
      { label: 'Process context', description: 'an ioctl, a work item, probe', value: false },
      { label: 'DMA-fence signalling path', description: 'run_job, a job callback, or code they call', value: true },
    ], { title: `GPUVM: where does ${fn.displayName} run?` });
    if (!c) return;
    overrides.signalling = c.value;
  }
  if (overrides.mode || overrides.signalling) {
    const again = analyzeProgram([run.ir], {
      ...settings.review,
      ...(overrides.mode ? { mode: overrides.mode } : {}),
      ...(overrides.signalling ? { signallingFunctions: [...(settings.review.signallingFunctions ?? []), fn.displayName] } : {}),
    });
    result = again.functions.find((x) => x.fn.id === fn!.id) ?? result;
  }
  const view = { ...functionView(result), fileLabel: vscode.workspace.asRelativePath(doc.uri) };
  const pathId = line ? view.paths.find((p) => p.findings.some((f) => f.range.start.line === line))?.id : undefined;
  TracePanel.show(d.extensionUri, d.log, view, pathId ? { pathId } : undefined);
}

function isCalled(fns: IrFunction[], fn: IrFunction): boolean {
  return fns.some((f) => f.nodes.some((n) => n.event.kind === 'call' && (n.event.callee === fn.displayName || n.event.callee === fn.name || n.event.callee.endsWith(`::${fn.name}`))));
}

async function simulateScenario(d: CommandDeps, uri?: vscode.Uri): Promise<void> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target || !target.path.endsWith('.gpuvm')) { void vscode.window.showInformationMessage('GPUVM: open a .gpuvm scenario to simulate it.'); return; }
  const doc = await vscode.workspace.openTextDocument(target);
  let view: SimulationView;
  try {
    const r = runScenario(parseScenario(doc.getText(), doc.uri.toString()));
    view = { ...scenarioView(r, doc.uri.toString(), doc.uri.path.split('/').pop()!), fileLabel: vscode.workspace.asRelativePath(doc.uri) };
  } catch (e) {
    if (e instanceof ScenarioSyntaxError) {
      const x = e.errors[0]!;
      void vscode.window.showErrorMessage(`GPUVM: ${doc.uri.path.split('/').pop()}:${x.line}:${x.col}: ${x.message}`);
      return;
    }
    throw e;
  }
  TracePanel.show(d.extensionUri, d.log, view);
}

async function reviewWorkspace(d: CommandDeps): Promise<void> {
  const parsers = await d.parsers();
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'GPUVM: reviewing the workspace', cancellable: true }, async (progress, token) => {
    const uris = await vscode.workspace.findFiles('**/*.{rs,c,h}', '**/{node_modules,.git,target,out,dist}/**', 20000, token);
    const byDir = new Map<string, vscode.Uri[]>();
    for (const u of uris) {
      const dir = u.toString().replace(/\/[^/]*$/, '');
      const list = byDir.get(dir);
      if (list) list.push(u); else byDir.set(dir, [u]);
    }
    let done = 0;
    let findings = 0;
    let errors = 0;
    const decoder = new TextDecoder();
    for (const [dir, files] of byDir) {
      if (token.isCancellationRequested) break;
      const settings = readSettings(files[0]);
      const sources: Source[] = [];
      for (const u of files) {
        const fe = frontendFor(u.path);
        if (!fe) continue;
        try {
          const bytes = await vscode.workspace.fs.readFile(u);
          if (bytes.length > settings.maxFileSizeKb * 1024 || bytes.subarray(0, 4096).includes(0)) continue;
          sources.push({ file: u.toString(), text: decoder.decode(bytes), language: fe.language });
        } catch (e) {
          d.log.warn(`cannot read ${u.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (sources.length) {
        const r = reviewSources(parsers, sources, { ...settings.review, wholeProgram: true, cancelled: () => token.isCancellationRequested });
        const perFile = new Map<string, vscode.Diagnostic[]>(sources.map((s) => [s.file, []]));
        for (const f of r.findings) {
          perFile.get(f.file)?.push(toDiagnostic(f, vscode.Uri.parse(f.file), d.extensionUri, (file) => vscode.Uri.parse(file)));
          findings++;
          if (f.severity === 'error') errors++;
        }
        for (const [file, diags] of perFile) d.collection.set(vscode.Uri.parse(file), diags);
      }
      done += files.length;
      progress.report({ increment: (files.length / Math.max(1, uris.length)) * 100, message: `${done}/${uris.length} files (${vscode.workspace.asRelativePath(vscode.Uri.parse(dir))})` });
      await new Promise((r) => setTimeout(r, 0));
    }
    const msg = `GPUVM: reviewed ${done} file(s): ${findings} finding(s), ${errors} error(s)${token.isCancellationRequested ? ' (cancelled)' : ''}.`;
    d.log.info(msg);
    void vscode.window.showInformationMessage(msg);
  });
}

async function showRuleDoc(d: CommandDeps, rule?: string): Promise<void> {
  let id = rule;
  if (!id) {
    const pick = await vscode.window.showQuickPick(RULES.map((r) => ({ label: r.id, description: r.title, detail: r.severity })), { title: 'GPUVM: rule documentation' });
    if (!pick) return;
    id = pick.label;
  }
  const uri = vscode.Uri.joinPath(d.extensionUri, 'docs', 'rules', `${id}.md`);
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch {
    await vscode.window.showTextDocument(uri);
  }
}
