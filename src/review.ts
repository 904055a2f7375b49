// The pipeline from source text to findings, shared by the CLI and the editor:
// parse, lower each file to IR, analyse them together as one program.

import { analyzeProgram, type AnalyzeOptions, type ProgramResult } from './analysis/analyze';
import type { IrFile } from './analysis/ir';
import { applyCustomizations, type Customization } from './analysis/severity';
import type { Finding } from './model/finding';
import { emptyIrFile, mergeFacts, type LowerOptions, type ProgramFacts } from './syntax/frontend';
import type { Parsers } from './syntax/parser';
import { frontendByLanguage } from './syntax/registry';

export interface Source {
  file: string;
  text: string;
  language: 'rust' | 'c';
}

export interface ReviewOptions extends AnalyzeOptions, LowerOptions {
  customizations?: Customization[];
}

export interface Review {
  irFiles: IrFile[];
  result: ProgramResult;
  findings: Finding[];
  /** Per file: problems that stopped or limited its review. */
  problems: Array<{ file: string; message: string }>;
  lowerMs: number;
}

/** Lower one source to IR; never throws (a front-end crash becomes a problem report). */
export function lowerSource(parsers: Parsers, src: Source, opts: LowerOptions): { ir: IrFile; problem?: string } {
  const fe = frontendByLanguage(src.language);
  const parser = fe.parser(parsers);
  let tree;
  try {
    const text = fe.prepare ? fe.prepare(src.text) : src.text;
    tree = parser.parse(text);
    if (!tree) return { ir: emptyIrFile(src.file, src.language), problem: 'the parser gave up on this file' };
    return { ir: fe.lower(tree, text, src.file, opts) };
  } catch (e) {
    return { ir: emptyIrFile(src.file, src.language), problem: `internal error while reading this file: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    tree?.delete();
  }
}

export function reviewSources(parsers: Parsers, sources: Source[], opts: ReviewOptions = {}): Review {
  const t0 = Date.now();
  const problems: Review['problems'] = [];
  const irFiles: IrFile[] = [];
  const facts: ProgramFacts = { ...opts.facts };
  for (const s of sources) {
    const survey = frontendByLanguage(s.language).survey;
    if (survey) mergeFacts(facts, survey(s.text));
  }
  for (const s of sources) {
    const { ir, problem } = lowerSource(parsers, s, { ...opts, facts });
    if (problem) problems.push({ file: s.file, message: problem });
    for (const e of ir.parseErrors) if (/not available/.test(e.message)) problems.push({ file: s.file, message: e.message });
    irFiles.push(ir);
  }
  const lowerMs = Date.now() - t0;
  const result = analyzeProgram(irFiles, opts);
  return { irFiles, result, findings: applyCustomizations(result.findings, opts.customizations ?? []), problems, lowerMs };
}
