// Reviewing Rust fixtures in tests: the parsers are loaded once; a fixture
// states what it expects with `// expect: rule-id[, rule-id]` comments on the
// line each finding points at, and nothing else may be reported.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../src/model/finding';
import { reviewSources, type Review, type ReviewOptions, type Source } from '../../src/review';
import { nodeWasmLoader } from '../../src/syntax/node-loader';
import { loadParsers, type Parsers } from '../../src/syntax/parser';

export const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'rust');

let parsers: Promise<Parsers> | undefined;
export function getParsers(): Promise<Parsers> {
  return (parsers ??= loadParsers(nodeWasmLoader()));
}

export async function reviewTexts(sources: Array<{ file: string; text: string }>, opts: ReviewOptions = {}): Promise<Review> {
  const p = await getParsers();
  const srcs: Source[] = sources.map((s) => ({ ...s, language: s.file.endsWith('.rs') ? 'rust' : 'c' }));
  return reviewSources(p, srcs, opts);
}

export async function reviewFixture(names: string | string[], opts: ReviewOptions = {}): Promise<Review> {
  const list = typeof names === 'string' ? [names] : names;
  return reviewTexts(list.map((n) => ({ file: n, text: readFileSync(join(FIXTURES, n), 'utf8') })), opts);
}

/** `rule@line` for each `// expect: a, b` comment of the fixture. */
export function expected(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /\/\/\s*expect:\s*([\w, -]+)$/.exec(l);
    if (m) for (const r of m[1]!.split(',')) if (r.trim()) out.push(`${r.trim()}@${i + 1}`);
  });
  return out.sort();
}

export function found(findings: Finding[]): string[] {
  return findings.map((f) => `${f.rule}@${f.range.start.line}`).sort();
}

/** Review a fixture and check its findings are exactly the ones its comments expect. */
export async function checkFixture(name: string, opts: ReviewOptions = {}): Promise<Review> {
  const r = await reviewFixture(name, opts);
  const text = readFileSync(join(FIXTURES, name), 'utf8');
  const explain = r.findings.map((f) => `${f.range.start.line}:${f.range.start.column} ${f.rule}: ${f.message}`).join('\n');
  assert.deepEqual(found(r.findings), expected(text), `${name}:\n${explain}`);
  assert.deepEqual(r.problems, [], `${name}: problems`);
  return r;
}
