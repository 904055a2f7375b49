// Analyses a program (the functions of one file, or of a directory): context
// inference, then every function's paths through the model, then findings
// with traces, suppressions and the rules that need more than one path.

import { DEFAULT_CONFIG, type ModelConfig, type Related, type Violation } from '../model/apply';
import { compareFindings, type Finding, type Range, type TraceEntry } from '../model/finding';
import { ruleInfo, type Severity } from '../model/rules';
import type { VmBoObj } from '../model/state';
import { severityOf, traceStep, type TraceStep } from '../model/trace';
import type { PathView, SimulationView } from '../model/view';
import { inferContexts, modeFor, Program, type ContextOptions, type Contexts } from './context';
import { DEFAULT_EXPLORE, explore, type ExploreConfig, type ExploreResult, type FunctionContext, type PNode, type StepRecord, withoutFramePrefixes } from './explore';
import type { IrFile, IrFunction, IrNode, Span } from './ir';

export interface AnalyzeOptions extends ContextOptions {
  /**
   * Results of an earlier run on (a previous version of) the same program: functions
   * whose IR, context and callees did not change are reused, not re-explored.
   */
  reuse?: Map<string, FunctionResult>;
  /** Checked between functions: stop early (the result is then partial). */
  cancelled?: () => boolean;
  explore?: Partial<ExploreConfig>;
  /** The obtain_prealloc contract of the kernel the code targets. */
  obtainPrealloc?: ModelConfig['obtainPrealloc'];
  /** The program is a whole driver (a directory): report "never calls deferred cleanup". */
  wholeProgram?: boolean;
  /** Only analyse these function ids (the editor re-analyses what an edit touched); others come from `previous`. */
  only?: Set<string>;
  previous?: Map<string, FunctionResult>;
}

export interface FunctionResult {
  fn: IrFunction;
  findings: Finding[];
  context: FunctionContext;
  contextLabel: string;
  modeLabel: string;
  explored?: ExploreResult;
  /** Rule@function#node keys of every violation, reported or not (callers use them to skip what is intrinsic). */
  intrinsic: string[];
  /** What this result depends on: the function's IR (positions as lines/columns) and its context. */
  hash: string;
  /** The functions its calls resolved to: a callee that appeared or went away changes what is inlined. */
  calleeIds?: string;
  ctxSig: string;
}

export interface ProgramResult {
  functions: FunctionResult[];
  findings: Finding[];
  stats: { files: number; functions: number; analysed: number; reused: number; states: number; ms: number; maxFunctionMs: number };
  /** Set when `cancelled()` stopped the run. */
  cancelled?: boolean;
}

/** A fingerprint of a function's IR that ignores offsets (an edit above it shifts offsets, not lines). */
export function functionHash(fn: IrFunction): string {
  let h = hashes.get(fn);
  if (h === undefined) {
    h = JSON.stringify(fn, (k, v) => (k === 'startIndex' || k === 'endIndex' ? undefined : v));
    hashes.set(fn, h);
  }
  return h;
}
/** IR is never changed once lowered: an editor that reuses a lowered function reuses its fingerprint. */
const hashes = new WeakMap<IrFunction, string>();

function contextSig(ctx: FunctionContext, cfg: ModelConfig): string {
  // Configs are shared by the functions of a program: serialise each once.
  let c = cfgJson.get(cfg);
  if (c === undefined) { c = JSON.stringify(cfg); cfgJson.set(cfg, c); }
  return JSON.stringify([ctx.signalling?.label, ctx.signalling?.fn?.id, ctx.atomic, ctx.callerLocks, ctx.vm]) + c;
}
const cfgJson = new WeakMap<ModelConfig, string>();

/** The IR keeps positions out of its texts (a moved function keeps its IR): the lines are added here. */
function partialReason(p: NonNullable<IrFunction['partial']>): string {
  const lines = [...new Set(p.spans.map((s) => s.start.line))];
  return lines.length && !/\bline \d/.test(p.reason) ? `${p.reason} (line ${lines.join(', ')})` : p.reason;
}

export function toRange(s: Span | undefined): Range {
  if (!s) return { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
  return { start: { line: s.start.line, column: s.start.column }, end: { line: s.end.line, column: s.end.column } };
}

export function analyzeProgram(files: IrFile[], opts: AnalyzeOptions = {}): ProgramResult {
  const t0 = Date.now();
  const p = new Program(files);
  const contexts = inferContexts(p, opts);
  const base: ExploreConfig = { ...DEFAULT_EXPLORE, ...opts.explore, budget: { ...DEFAULT_EXPLORE.budget, ...opts.explore?.budget } };
  const fileOf = new Map(files.map((f) => [f.file, f]));
  const intrinsic = new Set<string>();
  const results: FunctionResult[] = [];
  let states = 0;
  let maxMs = 0;
  const recomputed = new Set<IrFunction>();
  let reused = 0;
  let cancelled = false;

  for (const fn of p.bottomUp()) {
    if (opts.cancelled?.()) { cancelled = true; break; }
    const ctx = contexts.get(fn);
    const mode = modeFor(p, fn.file, opts);
    const cfg: ExploreConfig = { ...base, model: modelConfig(p, fn, opts) };
    // Fingerprints only matter when a later run may reuse this result.
    const hash = opts.reuse ? functionHash(fn) : '';
    const ctxSig = contextSig(ctx, cfg.model);
    const prev = opts.only && !opts.only.has(fn.id) ? opts.previous?.get(fn.id)
      : opts.reuse?.get(fn.id);
    // Reusable when nothing it depends on changed: its IR, its context, and every function it inlines.
    const callees = p.callees(fn);
    const calleeIds = opts.reuse ? callees.map((c) => c.id).join('\n') : '';
    if (prev && (opts.only || (prev.hash === hash && prev.ctxSig === ctxSig && prev.calleeIds === calleeIds && !callees.some((c) => recomputed.has(c))))) {
      prev.intrinsic.forEach((k) => intrinsic.add(k));
      results.push(prev);
      reused++;
      continue;
    }
    recomputed.add(fn);
    const fr: FunctionResult = {
      fn, findings: [], context: ctx, contextLabel: contexts.describe(fn), modeLabel: modeLabel(mode.mode, mode.source), intrinsic: [], hash, ctxSig, calleeIds,
    };
    if (!p.relevant(fn)) { results.push(fr); continue; }
    const ex = explore(fn, ctx, p, cfg, intrinsic);
    fr.explored = ex;
    states += ex.states;
    maxMs = Math.max(maxMs, ex.ms);
    const file = fileOf.get(fn.file)!;
    // One finding per rule and place: the most severe (then the first found, i.e. a shortest trace).
    const seen = new Map<string, number>();
    const rank = (f: Finding): number => (f.severity === 'error' ? 0 : f.severity === 'warning' ? 1 : 2) * 2 + (f.certainty === 'possible' ? 1 : 0);
    for (const r of ex.raw) {
      const key = `${r.violation.rule}@${r.step.fn.id}#${r.step.node.id}`;
      if (!intrinsic.has(key)) { intrinsic.add(key); fr.intrinsic.push(key); }
      // Also by where a leaked reference was taken, so callers that inline the helper do not repeat it.
      const o = r.violation.at ? ex.origins.get(r.violation.at) : undefined;
      const atKey = o ? `${r.violation.rule}@${o.fn.id}#${o.node.id}` : undefined;
      if (atKey && !intrinsic.has(atKey)) { intrinsic.add(atKey); fr.intrinsic.push(atKey); }
      const f = toFinding(fn, ex, r.violation, r.at, r.step, contexts);
      const dk = `${f.rule}:${f.range.start.line}:${f.range.start.column}`;
      if (suppressed(file, fn, f)) continue;
      const at = seen.get(dk);
      if (at === undefined) { seen.set(dk, fr.findings.length); fr.findings.push(f); } else if (rank(f) < rank(fr.findings[at]!)) fr.findings[at] = f;
    }
    for (const f of deferredAcrossPaths(fn, ex, contexts, intrinsic, fr)) {
      const dk = `${f.rule}:${f.range.start.line}:${f.range.start.column}`;
      if (seen.has(dk) || suppressed(file, fn, f)) continue;
      seen.set(dk, fr.findings.length);
      fr.findings.push(f);
    }
    if (ex.incomplete) fr.findings.push(incompleteFinding(fn, `analysis incomplete: ${ex.incomplete} after ${ex.states} states; findings for ${fn.displayName} may be missing`));
    if (fn.partial) fr.findings.push(incompleteFinding(fn, `analysis incomplete: ${partialReason(fn.partial)}; ${fn.displayName} was analysed in part`));
    results.push(fr);
  }

  const findings: Finding[] = results.flatMap((r) => r.findings);
  for (const f of files) {
    for (const s of f.syntaxFindings) {
      const fin: Finding = { rule: s.rule, severity: ruleInfo(s.rule).severity, message: s.message, file: f.file, function: s.function, range: toRange(s.span), trace: [] };
      if (!lineSuppressed(f, fin)) findings.push(fin);
    }
  }
  if (opts.wholeProgram) findings.push(...neverCleanedUp(p));
  findings.sort(compareFindings);
  return {
    functions: results, findings,
    stats: { files: files.length, functions: p.functions.length, analysed: results.filter((r) => r.explored).length - reused, reused, states, ms: Date.now() - t0, maxFunctionMs: maxMs },
    ...(cancelled ? { cancelled } : {}),
  };
}

const configCache = new WeakMap<Program, Map<string, ModelConfig>>();

/**
 * The obtain_prealloc contract: the setting, else the current one (it takes obj->gpuva.lock
 * itself and requires immediate mode), except on a VM the code shows in staged mode: there only
 * the older contract (the caller holds the gpuva-list lock) can be what the code was written for.
 */
function obtainContract(p: Program, fn: IrFunction, opts: AnalyzeOptions): ModelConfig['obtainPrealloc'] {
  if (opts.obtainPrealloc) return opts.obtainPrealloc;
  return modeFor(p, fn.file, opts).mode.immediate === false ? 'caller-locks' : DEFAULT_CONFIG.obtainPrealloc;
}

function modelConfig(p: Program, fn: IrFunction, opts: AnalyzeOptions): ModelConfig {
  const frees = p.byRole('vm_bo_free', fn);
  const contract = obtainContract(p, fn, opts);
  // The same for every function that sees the same vm_bo_free callback and contract.
  let cache = configCache.get(p);
  if (!cache) { cache = new Map(); configCache.set(p, cache); }
  const key = `${frees[0]?.id ?? ''}|${contract}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const cfg: ModelConfig = {
    ...DEFAULT_CONFIG,
    obtainPrealloc: contract,
    callbacks: { vmBoFreeTakesResv: frees.some((f) => takesResv(p, f, 2)), ...(frees[0] ? { vmBoFreeName: `${frees[0].displayName} (ops->vm_bo_free)` } : {}) },
  };
  cache.set(key, cfg);
  return cfg;
}

/** A summary from the body: does this function (or what it calls) take a dma_resv? */
function takesResv(p: Program, fn: IrFunction, depth: number): boolean {
  for (const n of fn.nodes) {
    const ev = n.event;
    if (ev.kind === 'api' && ['resv_lock', 'exec_lock', 'prepare_vm', 'exec_prepare_obj', 'prepare_objects'].includes(ev.op)) return true;
    if (ev.kind === 'call' && depth > 0) {
      const t = p.lookup(ev.callee, fn);
      if (t && takesResv(p, t, depth - 1)) return true;
    }
  }
  return false;
}

function modeLabel(m: { immediate?: boolean; resvProtected?: boolean }, source: string): string {
  const parts = [m.immediate === undefined ? 'mode unknown' : m.immediate ? 'immediate mode' : 'staged mode'];
  if (m.resvProtected !== undefined) parts.push(m.resvProtected ? 'RESV_PROTECTED' : 'not RESV_PROTECTED');
  return `${parts.join(', ')}${source !== 'unknown' ? ` (from ${source})` : ''}`;
}

// ---- findings ------------------------------------------------------------------------------

function originLocation(ex: ExploreResult, origin: string | undefined): { node?: IrNode; fn?: IrFunction; root?: IrNode; via?: string } {
  if (!origin) return {};
  if (origin.startsWith('sig:')) return {};
  const o = ex.origins.get(origin);
  return o ? { node: o.node, fn: o.fn, root: o.rootNode, ...(o.via ? { via: o.via } : {}) } : {};
}

function relatedEntries(fn: IrFunction, ex: ExploreResult, rel: Related[], contexts: Contexts): TraceEntry[] {
  const out: TraceEntry[] = [];
  for (const r of rel) {
    if (r.origin?.startsWith('sig:')) {
      const ctx = contexts.get(fn);
      const root = ctx.signalling?.fn;
      if (root) out.push({ file: root.file, range: toRange(root.nameSpan), message: `signalling path entered in ${root.displayName} here` });
      continue;
    }
    const o = originLocation(ex, r.origin);
    if (o.node?.span && o.fn) out.push({ file: o.fn.file, range: toRange(o.node.span), message: r.message });
  }
  return out;
}

/** The steps of a path from function entry to `at`. */
export function pathSteps(at: PNode): Array<{ p: PNode; r: StepRecord }> {
  const out: Array<{ p: PNode; r: StepRecord }> = [];
  for (let x: PNode | undefined = at; x; x = x.parent) if (x.step) out.push({ p: x, r: x.step });
  return out.reverse();
}

function entryTrace(fn: IrFunction, contexts: Contexts): TraceEntry[] {
  const ctx = contexts.get(fn);
  const out: TraceEntry[] = [];
  const root = ctx.signalling?.fn;
  if (root && root !== fn) out.push({ file: root.file, range: toRange(root.nameSpan), message: `signalling path entered in ${root.displayName}` });
  out.push({ file: fn.file, range: toRange(fn.nameSpan), message: `${fn.displayName} entered (${contexts.describe(fn)})` });
  return out;
}

function toFinding(fn: IrFunction, ex: ExploreResult, v: Violation, at: PNode, r: StepRecord, contexts: Contexts): Finding {
  const atLoc = originLocation(ex, v.at);
  const locNode = atLoc.root ?? r.rootNode;
  const via = v.at ? atLoc.via : r.via;
  const raw = via && !v.message.includes(`via ${via}`) ? `${v.message} (via ${via}())` : v.message;
  const message = withoutFramePrefixes(raw);
  const steps = pathSteps(at);
  // The function's entry node is already the entry line of entryTrace().
  const trace: TraceEntry[] = [...entryTrace(fn, contexts), ...steps.filter(({ r: s }) => s.node.span && !(s.depth === 0 && s.node.id === fn.entry)).map(({ r: s }) => ({
    file: s.fn.file, range: toRange(s.node.span),
    message: withoutFramePrefixes(s.outcome.assumptions.length ? `${s.label} (assuming ${s.outcome.assumptions.join('; ')})` : s.label),
  }))];
  return {
    rule: v.rule, severity: severityOf(v), message, file: fn.file, function: fn.displayName,
    range: toRange(locNode.span ?? fn.nameSpan), trace, certainty: v.certainty,
    related: relatedEntries(fn, ex, v.related, contexts),
    steps: toTraceSteps(fn, steps),
  };
}

export function toTraceSteps(fn: IrFunction, steps: Array<{ p: PNode; r: StepRecord }>): TraceStep[] {
  return steps.map(({ p, r }, i) => traceStep(i, r.op, r.depth ? `${'  '.repeat(r.depth)}${r.label}` : r.label,
    { state: p.state, ...r.outcome },
    { context: r.fn === fn ? fn.displayName : `${fn.displayName} → ${r.fn.displayName}`, ...(r.node.span ? { location: { file: r.fn.file, range: toRange(r.node.span) } } : {}) }));
}

function incompleteFinding(fn: IrFunction, message: string): Finding {
  return { rule: 'analysis-incomplete', severity: 'info', message, file: fn.file, function: fn.displayName, range: toRange(fn.nameSpan), trace: [] };
}

/** A path that skips the deferred cleanup its function runs on other paths. */
function deferredAcrossPaths(fn: IrFunction, ex: ExploreResult, contexts: Contexts, intrinsic: Set<string>, fr: FunctionResult): Finding[] {
  if (!ex.cleansUp) return [];
  const out: Finding[] = [];
  for (const { end, origins } of ex.pending) {
    for (const origin of origins) {
      const o = ex.origins.get(origin);
      if (!o) continue;
      // A put a helper makes and skips the flush of: the helper reports it, its callers need not.
      const key = `deferred-cleanup-missing@${o.fn.id}#${o.node.id}`;
      if (o.fn !== fn && intrinsic.has(key)) continue;
      if (o.fn === fn && !intrinsic.has(key)) { intrinsic.add(key); fr.intrinsic.push(key); }
      const d = end.at.state.deferredPuts.find((x) => x.origin === origin);
      const b = d ? end.at.state.objects[d.vmBo] as VmBoObj | undefined : undefined;
      const exitSpan = end.at.step?.node.span;
      const message = `${o.via ? `via ${o.via}(): ` : ''}the deferred put of vm_bo '${withoutFramePrefixes(b?.label ?? '?')}' is not followed by drm_gpuvm_bo_deferred_cleanup() on the path that leaves at ${end.label}${exitSpan ? ` (line ${exitSpan.start.line})` : ''}, although ${fn.displayName} cleans up on its other paths: the zombie keeps its GEM and VM until the next flush`;
      const steps = pathSteps(end.at);
      out.push({
        rule: 'deferred-cleanup-missing', severity: ruleInfo('deferred-cleanup-missing').severity as Severity, message, file: fn.file, function: fn.displayName,
        range: toRange(o.rootNode.span ?? fn.nameSpan), certainty: 'definite',
        trace: [...entryTrace(fn, contexts), ...steps.filter(({ r }) => r.node.span).map(({ r }) => ({ file: r.fn.file, range: toRange(r.node.span), message: r.label }))],
        related: exitSpan ? [{ file: fn.file, range: toRange(exitSpan), message: `${end.label}: leaves without the cleanup` }] : [],
        steps: toTraceSteps(fn, steps),
      });
    }
  }
  return out;
}

/** A driver that puts vm_bos deferred and never calls drm_gpuvm_bo_deferred_cleanup() anywhere. */
function neverCleanedUp(p: Program): Finding[] {
  const has = (op: string) => p.functions.some((f) => f.nodes.some((n) => n.event.kind === 'api' && n.event.op === op));
  if (has('bo_deferred_cleanup') || !(has('bo_put_deferred') || has('va_unlink_defer'))) return [];
  for (const f of p.functions) {
    const n = f.nodes.find((x) => x.event.kind === 'api' && (x.event.op === 'bo_put_deferred' || x.event.op === 'va_unlink_defer'));
    if (n) {
      return [{
        rule: 'deferred-cleanup-missing', severity: 'warning', file: f.file, function: f.displayName, range: toRange(n.span ?? f.nameSpan), trace: [],
        message: 'vm_bos are put deferred here, but nothing in the reviewed code calls drm_gpuvm_bo_deferred_cleanup(): zombies pile up on the deferred list with their GEMs and VM, and drm_gpuvm_fini WARNs',
      }];
    }
  }
  return [];
}

// ---- suppressions --------------------------------------------------------------------------

function allows(rules: string[] | undefined, rule: string): boolean {
  return !!rules && (rules.includes(rule) || rules.includes('all'));
}

function lineSuppressed(file: IrFile, f: Finding): boolean {
  const l = f.range.start.line;
  return allows(file.lineSuppressions[l], f.rule) || allows(file.lineSuppressions[l - 1], f.rule);
}

function suppressed(file: IrFile, fn: IrFunction, f: Finding): boolean {
  return allows(fn.suppress, f.rule) || lineSuppressed(file, f);
}

// ---- views for the editor ------------------------------------------------------------------

/** The paths of a function for the webview: those with findings first. */
export function functionView(r: FunctionResult, maxPaths = 12): SimulationView {
  const fn = r.fn;
  const ex = r.explored;
  const paths: PathView[] = [];
  if (ex) {
    const ends = [...ex.ends];
    // Paths with findings first; among them the ones with the most kinds of findings, then the
    // ones that assume least (an allocation that fails is a side path), then the shortest.
    const rank = (e: typeof ends[number]) => {
      const st = pathSteps(e.at);
      return { rules: new Set(st.flatMap(({ r: s }) => s.outcome.violations.map((v) => v.rule))).size, assumed: st.reduce((n, { r: s }) => n + s.outcome.assumptions.length, 0) };
    };
    const ranks = new Map(ends.map((e) => [e, rank(e)]));
    ends.sort((a, b) => {
      const ra = ranks.get(a)!;
      const rb = ranks.get(b)!;
      return Number(rb.rules > 0) - Number(ra.rules > 0) || rb.rules - ra.rules || ra.assumed - rb.assumed || a.at.len - b.at.len;
    });
    const seenLabels = new Map<string, number>();
    for (const e of ends.slice(0, maxPaths)) {
      const steps = pathSteps(e.at);
      const vs = steps.flatMap(({ r: s }) => s.outcome.violations.map((v) => v.rule));
      const assumptions = steps.flatMap(({ r: s }) => s.outcome.assumptions);
      const n = (seenLabels.get(e.label) ?? 0) + 1;
      seenLabels.set(e.label, n);
      const label = `${vs.length ? `${[...new Set(vs)].join(', ')}: ` : ''}${e.label}${n > 1 ? ` #${n}` : ''}${assumptions.length ? ` (${assumptions[assumptions.length - 1]})` : ''}`;
      const ts = toTraceSteps(fn, steps);
      const lines = new Set(ts.map((t) => t.location?.range.start.line));
      paths.push({
        id: `p${paths.length}`, label,
        findings: r.findings.filter((f) => lines.has(f.range.start.line) && vs.includes(f.rule)).map(({ steps: _s, ...f }) => f),
        steps: ts,
      });
    }
  }
  return {
    kind: 'function', title: fn.displayName, file: fn.file, language: fn.language, context: r.contextLabel, mode: r.modeLabel, paths,
    ...(ex?.incomplete ? { incomplete: ex.incomplete } : fn.partial ? { incomplete: partialReason(fn.partial) } : {}),
  };
}

/** The model's state right after a node of the function (first path that reached it), for hovers. */
export function stateAfter(r: FunctionResult, nodeId: number): TraceStep | undefined {
  const p = r.explored?.after.get(nodeId);
  if (!p || !p.step) return undefined;
  return toTraceSteps(r.fn, [{ p, r: p.step }])[0];
}
