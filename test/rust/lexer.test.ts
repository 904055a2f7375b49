// The comments the text pass finds are the comments tree-sitter finds, on
// every fixture and on the literals that make comment scanning hard.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lex } from '../../src/syntax/rust/lexer';
import { squeeze } from '../../src/syntax/rust/source';
import { FIXTURES, getParsers } from './kit';

async function treeComments(text: string): Promise<string[]> {
  const p = await getParsers();
  const tree = p.rust.parse(text)!;
  try {
    // A doc line comment's node takes its newline; the lexer's comment does not.
    return tree.rootNode.descendantsOfType(['line_comment', 'block_comment']).map((c) => `${c!.startIndex}:${c!.text.replace(/\n$/, '')}`);
  } finally {
    tree.delete();
  }
}

const lexComments = (text: string): string[] => lex(text).comments.map((c) => `${c.start}:${text.slice(c.start, c.end)}`);

const TRICKY = String.raw`//! Module doc
/// Item doc with a quote ' and "
fn f<'a>(x: &'a u8) -> char {
    let s = "// not a comment \" /* nor this */";
    let r = r#"a "quoted" // still a string"#;
    let b = b'"'; let q = '\''; let u = '\u{1F980}'; let c = '🦀'; // after chars
    let l: &'static str = "x"; /* block /* nested */ still */ let z = 1;
    'outer: loop { break 'outer; }
    let bs = br"raw \ bytes"; let e = "\\"; // trailing
    /** block doc
     * second line */
    '/'
}
////not doc
`;

test('lexer: comments match tree-sitter on literals, lifetimes, nesting and non-ASCII text', async () => {
  assert.deepEqual(lexComments(TRICKY), await treeComments(TRICKY));
  assert.equal(lexComments(TRICKY).length, 7);
});

test('lexer: comments match tree-sitter on every Rust fixture', async () => {
  for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.rs'))) {
    const text = readFileSync(join(FIXTURES, f), 'utf8');
    assert.deepEqual(lexComments(text), await treeComments(text), f);
  }
});

test('lexer: code text blanks comments and literals and keeps offsets and lines', () => {
  const { code } = lex(TRICKY);
  assert.equal(code.length, TRICKY.length);
  assert.equal(code.split('\n').length, TRICKY.split('\n').length);
  assert.ok(!code.includes('not a comment') && !code.includes('nested') && !code.includes('quoted'));
  assert.ok(code.includes("fn f<'a>(x: &'a u8)") && code.includes("'outer: loop { break 'outer; }"));
});

test('squeeze: the same call label as collapsing every run of white space, on random text', () => {
  const alphabet = ['a', 'Z', '_', '(', ' ', '  ', '\n', '\t', '\r\n', '\u00a0', '\u2003', '\ufeff', 'é', '𝔸', ','];
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let run = 0; run < 2000; run++) {
    let t = '';
    for (let i = rnd(60); i > 0; i--) t += alphabet[rnd(alphabet.length)];
    const s = rnd(t.length + 1);
    const e = s + rnd(t.length - s + 1);
    const max = 1 + rnd(40);
    assert.equal(squeeze(t, s, e, max), t.slice(s, e).replace(/\s+/g, ' ').slice(0, max), JSON.stringify({ t, s, e, max }));
  }
});
