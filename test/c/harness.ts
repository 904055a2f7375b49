// Running the C front end and the analysis on fixtures, and reading the
// findings a fixture expects from its `// expect: rule[, rule]` comments.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../src/model/finding';
import { reviewSources, type Review, type ReviewOptions } from '../../src/review';
import { nodeWasmLoader } from '../../src/syntax/node-loader';
import { loadParsers, type Parsers } from '../../src/syntax/parser';

export const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'c');
export const ROOT = join(__dirname, '..', '..', '..');

let parsers: Promise<Parsers> | undefined;

export function getParsers(): Promise<Parsers> {
  parsers ??= loadParsers(nodeWasmLoader());
  return parsers;
}

export async function reviewC(files: Array<{ file: string; text: string }>, opts: ReviewOptions = {}): Promise<Review> {
  return reviewSources(await getParsers(), files.map((f) => ({ ...f, language: 'c' as const })), opts);
}

export async function reviewFixture(name: string, opts: ReviewOptions = {}): Promise<Review> {
  return reviewC([{ file: name, text: readFileSync(join(FIXTURES, name), 'utf8') }], opts);
}

/** `rule@line` for every `// expect: a, b` comment of a fixture. */
export function expected(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /\/\/ expect: ([\w, -]+)$/.exec(l);
    if (m) for (const r of m[1]!.split(',').map((x) => x.trim()).filter(Boolean)) out.push(`${r}@${i + 1}`);
  });
  return out.sort();
}

/** `rule@line` of the errors and warnings. */
export function found(findings: readonly Finding[]): string[] {
  return findings.filter((f) => f.severity !== 'info').map((f) => `${f.rule}@${f.range.start.line}`).sort();
}

/** Lower one C text to IR. */
export async function lowerC(text: string, file = 't.c', opts: { signallingMarkers?: string[] } = {}): Promise<import('../../src/analysis/ir').IrFile> {
  const { lowerSource } = await import('../../src/review');
  const r = lowerSource(await getParsers(), { file, text, language: 'c' }, opts);
  if (r.problem) throw new Error(r.problem);
  return r.ir;
}

/** The API operations of a function, in node order. */
export function ops(fn: import('../../src/analysis/ir').IrFunction): string[] {
  return fn.nodes.flatMap((n) => (n.event.kind === 'api' ? [`${n.event.op}(${n.event.args.map((a) => a.key).join(',')})`] : []));
}
