// What a language front end provides: text -> IR for one file.

import type { IrFile } from '../analysis/ir';
import type { Parser, Tree } from './parser';

export interface LowerOptions {
  /** Rust: force an API generation instead of detecting it. */
  apiGeneration?: 'upstream' | 'series' | 'asahi';
  /** Comment markers that declare a function to be in the signalling path. */
  signallingMarkers?: string[];
}

export interface Frontend {
  language: 'rust' | 'c';
  /** File name endings this front end reviews. */
  extensions: string[];
  /**
   * Lower a parsed file. `tree` was produced by `parser` from `text`; the front
   * end must not keep either after returning.
   */
  lower(tree: Tree, text: string, file: string, opts: LowerOptions): IrFile;
  parser(p: { rust: Parser; c: Parser }): Parser;
}

export function emptyIrFile(file: string, language: 'rust' | 'c'): IrFile {
  return { file, language, functions: [], vmInits: [], lineSuppressions: {}, callbacks: {}, syntaxFindings: [], parseErrors: [] };
}
