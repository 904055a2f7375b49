// What a language front end provides: text -> IR for one file.

import type { IrFile } from '../analysis/ir';
import type { LoweringCache } from './lowering-cache';
import type { Parser, Tree } from './parser';

export interface LowerOptions {
  /** Rust: force an API generation instead of detecting it. */
  apiGeneration?: 'upstream' | 'series' | 'asahi';
  /** Comment markers that declare a function to be in the signalling path. */
  signallingMarkers?: string[];
  /** What the files reviewed together say about the whole program (see Frontend.survey). */
  facts?: ProgramFacts;
  /** The editor's functions from the last lowering of the same document (reused when unchanged). */
  cache?: LoweringCache;
}

/** The options a lowering reads, as a string (the cache itself left out). */
export function optionsKey(opts: LowerOptions): string {
  return JSON.stringify([opts.apiGeneration, opts.signallingMarkers, opts.facts]);
}

/**
 * Facts one file states for every file of the program, read from its text
 * before anything is lowered: a lock registered in one file (a GEM's gpuva
 * list lock set where the GEM is created) governs how another file's calls
 * read. Fact name -> values; values from all files are merged.
 */
export type ProgramFacts = Record<string, string[]>;

export interface Frontend {
  language: 'rust' | 'c';
  /** File name endings this front end reviews. */
  extensions: string[];
  /**
   * Lower a parsed file. `tree` was produced by `parser` from `text`; the front
   * end must not keep either after returning.
   */
  lower(tree: Tree, text: string, file: string, opts: LowerOptions): IrFile;
  /**
   * A rewrite of the text before parsing that keeps every position (same
   * length, same line breaks): blanking tokens the grammar cannot read.
   */
  prepare?(text: string): string;
  /** Facts this file states for the whole program (cheap: text only, no parse). */
  survey?(text: string): ProgramFacts;
  parser(p: { rust: Parser; c: Parser }): Parser;
}

export function mergeFacts(into: ProgramFacts, more: ProgramFacts): ProgramFacts {
  for (const [k, vs] of Object.entries(more)) into[k] = [...new Set([...(into[k] ?? []), ...vs])];
  return into;
}

export function emptyIrFile(file: string, language: 'rust' | 'c'): IrFile {
  return { file, language, functions: [], vmInits: [], lineSuppressions: {}, callbacks: {}, syntaxFindings: [], parseErrors: [] };
}
