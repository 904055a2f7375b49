// gpuvm-review check [--format text|json|sarif] [--config FILE] PATH...
// PATH: a .rs/.c/.h file, a directory (searched for those), or a patch/mbox.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { toReviewOptions, type ReviewConfig } from '../config';
import type { Finding, Range, TraceEntry } from '../model/finding';
import { compareFindings } from '../model/finding';
import { hunkSides, looksLikePatch, parsePatch } from '../patch/patch';
import { renderJson } from '../report/json';
import { renderSarif } from '../report/sarif';
import { renderText, summaryLine } from '../report/text';
import { reviewSources, type ReviewOptions, type Source } from '../review';
import { nodeWasmLoader } from '../syntax/node-loader';
import { loadParsers } from '../syntax/parser';
import { frontendFor } from '../syntax/registry';
import { TOOL } from '../version';
import { readTextFile } from './io';
import type { ParsedArgs } from './main';
import type { Io } from './simulate';

const SKIP_DIRS = new Set(['.git', 'node_modules', '.svn', 'out', 'dist']);

function walk(dir: string, out: string[]): void {
  let entries: string[];
  try { entries = readdirSync(dir).sort(); } catch { return; }
  for (const e of entries) {
    const p = join(dir, e);
    let st;
    try { st = statSync(p); } catch { continue; }
    if (st.isDirectory()) { if (!SKIP_DIRS.has(e)) walk(p, out); } else if (frontendFor(e)) out.push(p);
  }
}

interface PatchSource extends Source {
  patch: string;
  lineMap: Map<number, number>;
  inner: string;
  /** The function the hunk starts in, from its `@@` heading. */
  heading?: string;
  firstLine: number;
}

/** Point a location in a patch's new side back at the patch's own lines. */
function mapRange(r: Range, lineMap: Map<number, number>): Range | undefined {
  const s = lineMap.get(r.start.line);
  if (s === undefined) return undefined;
  const e = lineMap.get(r.end.line) ?? s;
  return { start: { line: s, column: r.start.column + 1 }, end: { line: e, column: r.end.column + 1 } };
}

function mapFinding(f: Finding, byVirtual: Map<string, PatchSource>): Finding | undefined {
  const src = byVirtual.get(f.file);
  if (!src) return f;
  const range = mapRange(f.range, src.lineMap);
  if (!range) return undefined;
  const mapEntries = (ts: TraceEntry[] | undefined): TraceEntry[] => (ts ?? []).flatMap((t) => {
    const s = byVirtual.get(t.file);
    if (!s) return [t];
    const r = mapRange(t.range, s.lineMap);
    return r ? [{ file: s.patch, range: r, message: `${t.message} (${s.inner})` }] : [];
  });
  return { ...f, file: src.patch, range, message: `${f.message} [in ${src.inner}]`, trace: mapEntries(f.trace), related: mapEntries(f.related), steps: [] };
}

/**
 * Hunks that start inside a function (their `@@` heading names it, and no hunk
 * shows it whole): that function is seen only in part and is not analysed.
 */
function fragments(hunks: PatchSource[], functions: Array<{ name: string; file: string; partial?: { reason: string }; nameSpan: Range }>, reported: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  const said = new Set<string>();
  // Functions a hunk cuts short: the front end saw their end missing.
  for (const fn of functions) {
    const h = hunks.find((x) => x.file === fn.file);
    if (!h || !fn.partial || !/end of the function is missing/.test(fn.partial.reason)) continue;
    said.add(`${h.inner}::${fn.name}`);
    if (reported.some((f) => f.rule === 'analysis-incomplete' && f.function === fn.name && f.file === h.patch)) continue;
    const line = h.lineMap.get(fn.nameSpan.start.line) ?? 1;
    out.push({
      rule: 'analysis-incomplete', severity: 'info', file: h.patch, function: fn.name, trace: [],
      range: { start: { line, column: 1 }, end: { line, column: 1 } },
      message: `analysis incomplete: the patch shows only the beginning of ${fn.name}(); it is not analysed [in ${h.inner}]`,
    });
  }
  for (const h of hunks) {
    // A heading that is a prototype (ends with ';') names no function the hunk is inside.
    if (!h.heading || /;\s*$/.test(h.heading)) continue;
    const name = /(\w+)\s*\([^()]*\)?\s*\{?\s*$|(\w+)\s*\(/.exec(h.heading);
    const fn = name?.[1] ?? name?.[2];
    if (!fn) continue;
    const key = `${h.inner}::${fn}`;
    const whole = functions.some((x) => x.name === fn && !x.partial && hunks.some((y) => y.file === x.file && y.inner === h.inner));
    if (whole || said.has(key)) continue;
    said.add(key);
    const line = h.lineMap.get(h.firstLine) ?? 1;
    out.push({
      rule: 'analysis-incomplete', severity: 'info', file: h.patch, function: fn, trace: [],
      range: { start: { line, column: 1 }, end: { line, column: 1 } },
      message: `analysis incomplete: the patch shows only part of ${fn}() from line ${h.firstLine} on; it is not analysed [in ${h.inner}]`,
    });
  }
  return out;
}

export async function checkPaths(p: ParsedArgs, io: Io): Promise<number> {
  const format = (p.flags.get('--format') ?? 'text') as string;
  if (!['text', 'json', 'sarif'].includes(format)) { io.err(`${TOOL} check: --format is text, json or sarif`); return 2; }
  if (!p.paths.length) { io.err(`${TOOL} check: no PATH given`); return 2; }
  let config: ReviewConfig = {};
  const cfgPath = p.flags.get('--config');
  if (typeof cfgPath === 'string') {
    const r = readTextFile(cfgPath);
    if (!r.ok) { io.err(`${cfgPath}: ${r.message}`); return 2; }
    try { config = JSON.parse(r.text) as ReviewConfig; } catch (e) { io.err(`${cfgPath}: not valid JSON: ${(e as Error).message}`); return 2; }
    if (!config || typeof config !== 'object' || Array.isArray(config)) { io.err(`${cfgPath}: expected a JSON object`); return 2; }
  }
  const mode = p.flags.get('--mode');
  if (mode !== undefined) {
    if (mode !== 'immediate' && mode !== 'staged' && mode !== 'auto') { io.err(`${TOOL} check: --mode is auto, immediate or staged`); return 2; }
    config.vmMode = mode;
  }
  const api = p.flags.get('--api');
  if (api !== undefined) config.apiGeneration = api as ReviewConfig['apiGeneration'];
  const budget = p.flags.get('--budget');
  if (budget !== undefined) config.budget = { ...config.budget, states: Number(budget) };
  const { opts, problems } = toReviewOptions(config);
  if (problems.length) { for (const x of problems) io.err(`${TOOL} check: ${x}`); return 2; }

  const t0 = Date.now();
  let status = 0;
  const sources: Source[] = [];
  const patches: PatchSource[] = [];
  let sawDir = false;
  const addFile = (f: string): void => {
    const r = readTextFile(f);
    if (!r.ok) { io.err(`${f}: ${r.message}`); status = 2; return; }
    for (const w of r.warnings) io.err(`${f}: ${w}`);
    const fe = frontendFor(f);
    if (fe) { sources.push({ file: f, text: r.text, language: fe.language }); return; }
    if (!looksLikePatch(r.text)) { io.err(`${f}: not a .rs, .c or .h file, and no unified diff in it; not reviewed`); status = 2; return; }
    const files = parsePatch(r.text);
    let n = 0;
    for (const pf of files) {
      const fe2 = frontendFor(pf.path);
      if (!fe2) continue;
      // Each hunk is read on its own: one that ends inside a function must not swallow the next.
      for (const side of hunkSides(pf)) {
        patches.push({
          file: `${f}#${pf.path}:${side.firstLine}`, text: side.text, language: fe2.language, patch: f, lineMap: side.lineMap, inner: pf.path,
          firstLine: side.firstLine, ...(side.heading ? { heading: side.heading } : {}),
        });
      }
      n++;
    }
    if (!n) io.err(`${f}: the patch touches no .rs, .c or .h file`);
  };
  for (const path of p.paths) {
    let st;
    try { st = statSync(path); } catch { io.err(`${path}: no such file or directory`); status = 2; continue; }
    if (st.isDirectory()) {
      sawDir = true;
      const found: string[] = [];
      walk(path, found);
      if (!found.length) io.err(`${path}: no .rs, .c or .h files`);
      for (const f of found) addFile(f);
    } else addFile(path);
  }

  let parsers;
  try {
    parsers = await loadParsers(nodeWasmLoader());
  } catch (e) {
    io.err(`${TOOL}: ${(e as Error).message}`);
    return 2;
  }
  const reviewOpts: ReviewOptions = { ...opts, wholeProgram: sawDir };
  const findings: Finding[] = [];
  let functions = 0;
  let files = 0;
  if (sources.length) {
    const r = reviewSources(parsers, sources, reviewOpts);
    for (const x of r.problems) io.err(`${x.file}: ${x.message}`);
    findings.push(...r.findings);
    functions += r.result.stats.functions;
    files += sources.length;
  }
  // Each patch is its own program: its files reviewed together.
  for (const patch of new Set(patches.map((x) => x.patch))) {
    const mine = patches.filter((x) => x.patch === patch);
    const r = reviewSources(parsers, mine, { ...opts, wholeProgram: false });
    for (const x of r.problems) io.err(`${x.file}: ${x.message}`);
    const byVirtual = new Map(mine.map((m) => [m.file, m]));
    const mapped: Finding[] = [];
    for (const f of r.findings) { const m = mapFinding(f, byVirtual); if (m) mapped.push(m); }
    findings.push(...mapped, ...fragments(mine, r.irFiles.flatMap((x) => x.functions), mapped));
    functions += r.result.stats.functions;
    files += 1;
  }
  findings.sort(compareFindings);
  const ms = Date.now() - t0;
  const display = findings.map((f) => ({ ...f, file: relative(process.cwd(), f.file) || f.file, trace: f.trace.map((t) => ({ ...t, file: relative(process.cwd(), t.file) || t.file })) }));
  if (format === 'json') io.out(renderJson(display, { files, functions, ms }));
  else if (format === 'sarif') io.out(renderSarif(display));
  else {
    if (display.length) io.out(renderText(display, { trace: !p.flags.has('--no-trace') }));
    io.err(summaryLine(display, files, functions, ms));
  }
  if (status === 2) return 2;
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}
