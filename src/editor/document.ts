// One open Rust or C document in the editor: its tree, kept up to date with
// incremental parsing on every change, and its last analysis, reused function
// by function on the next one.

import { analyzeProgram, type FunctionResult, type ProgramResult } from '../analysis/analyze';
import type { IrFile, IrFunction } from '../analysis/ir';
import { applyCustomizations } from '../analysis/severity';
import type { Finding } from '../model/finding';
import type { ReviewOptions } from '../review';
import { emptyIrFile } from '../syntax/frontend';
import { LoweringCache } from '../syntax/lowering-cache';
import { Edit, type Parsers, type Tree } from '../syntax/parser';
import { frontendByLanguage } from '../syntax/registry';
import { diffEdit, orderedEdits, type ContentChange } from './edits';

export interface AnalysisRun {
  version: number;
  ir: IrFile;
  result: ProgramResult;
  findings: Finding[];
  parseMs: number;
  lowerMs: number;
  analyseMs: number;
  /** A problem that limited the review of this document. */
  problem?: string;
}

export class DocumentModel {
  private tree: Tree | undefined;
  /** The text the tree was parsed from: the document as the front end prepares it (C: annotations blanked). */
  private parsed = '';
  private lastParseMs = 0;
  private reuse = new Map<string, FunctionResult>();
  private readonly lowered = new LoweringCache();
  last?: AnalysisRun;

  constructor(
    private readonly parsers: Parsers,
    readonly file: string,
    readonly language: 'rust' | 'c',
    private text: string,
    public version: number,
  ) {
    this.reparse();
  }

  get currentText(): string {
    return this.text;
  }

  private parser() {
    return frontendByLanguage(this.language).parser(this.parsers);
  }

  private prepared(text: string): string {
    const fe = frontendByLanguage(this.language);
    return fe.prepare ? fe.prepare(text) : text;
  }

  private reparse(): void {
    const t0 = now();
    this.tree?.delete();
    this.parsed = this.prepared(this.text);
    this.tree = this.parser().parse(this.parsed) ?? undefined;
    this.lastParseMs = now() - t0;
  }

  /** Apply one change event incrementally (`text` is the document after it). */
  update(changes: readonly ContentChange[], text: string, version: number): void {
    const t0 = now();
    if (!this.tree || !changes.length) {
      this.text = text;
      this.version = version;
      this.reparse();
      return;
    }
    const parsed = this.prepared(text);
    if (parsed === text && this.parsed === this.text) {
      for (const e of orderedEdits(changes)) this.tree.edit(new Edit(e));
    } else {
      // The rewrite may differ outside the changed ranges: describe the change by what differs.
      const e = diffEdit(this.parsed, parsed);
      if (e) this.tree.edit(new Edit(e));
    }
    this.parsed = parsed;
    const next = this.parser().parse(parsed, this.tree) ?? undefined;
    this.tree.delete();
    this.tree = next;
    this.text = text;
    this.version = version;
    this.lastParseMs = now() - t0;
  }

  /** Replace the whole text (documents reloaded from disk, or edits we cannot follow). */
  reset(text: string, version: number): void {
    this.text = text;
    this.version = version;
    this.reparse();
  }

  /** Lower and analyse the current version; functions that did not change are reused. */
  analyse(opts: ReviewOptions, cancelled?: () => boolean): AnalysisRun {
    const version = this.version;
    const t0 = now();
    let ir: IrFile;
    let problem: string | undefined;
    if (!this.tree) {
      ir = emptyIrFile(this.file, this.language);
      problem = 'the parser gave up on this file';
    } else {
      try {
        ir = frontendByLanguage(this.language).lower(this.tree, this.parsed, this.file, { ...opts, cache: this.lowered });
      } catch (e) {
        this.lowered.clear();
        ir = emptyIrFile(this.file, this.language);
        problem = `internal error while reading this file: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    const t1 = now();
    const result = analyzeProgram([ir], { ...opts, reuse: this.reuse, ...(cancelled ? { cancelled } : {}) });
    const t2 = now();
    if (!result.cancelled) this.reuse = new Map(result.functions.map((r) => [r.fn.id, r]));
    const run: AnalysisRun = {
      version, ir, result, findings: applyCustomizations(result.findings, opts.customizations ?? []),
      parseMs: this.lastParseMs, lowerMs: t1 - t0, analyseMs: t2 - t1, ...(problem ? { problem } : {}),
    };
    if (!result.cancelled) this.last = run;
    return run;
  }

  /** The function whose span contains a 1-based line/column, innermost first. */
  functionAt(line: number, column: number): IrFunction | undefined {
    const fns = this.last?.ir.functions ?? [];
    const inside = fns.filter((f) => within(f.span, line, column));
    return inside.sort((a, b) => size(a) - size(b))[0];
  }

  functionResult(fn: IrFunction): FunctionResult | undefined {
    return this.last?.result.functions.find((r) => r.fn.id === fn.id);
  }

  dispose(): void {
    this.tree?.delete();
    this.tree = undefined;
    this.reuse.clear();
    this.lowered.clear();
  }
}

/** Lines only: a cursor in the indentation before `fn` (or after the closing brace) is in the function. */
function within(s: IrFunction['span'], line: number, _column: number): boolean {
  return line >= s.start.line && line <= s.end.line;
}

function size(f: IrFunction): number {
  return (f.span.end.line - f.span.start.line) * 10000 + (f.span.end.column - f.span.start.column);
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
