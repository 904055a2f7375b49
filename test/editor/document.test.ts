// An editor's document, edited keystroke by keystroke, is reviewed exactly as
// the same text would be from scratch: functions and items taken back from the
// last version (moved, or not lowered again) must not change a single span,
// event or finding.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { analyzeProgram } from '../../src/analysis/analyze';
import { DocumentModel } from '../../src/editor/document';
import type { ContentChange } from '../../src/editor/edits';
import type { IrFile } from '../../src/analysis/ir';
import { loadParsers, type Parsers, type Tree } from '../../src/syntax/parser';
import { frontendByLanguage } from '../../src/syntax/registry';
import { nodeWasmLoader } from '../../src/syntax/node-loader';
import { lowerSource } from '../../src/review';

let parsers: Parsers;
before(async () => { parsers = await loadParsers(nodeWasmLoader()); });

const root = join(__dirname, '..', '..', '..');
const example = (p: string): string => readFileSync(join(root, 'examples', p), 'utf8');

function posAt(text: string, offset: number): { line: number; character: number } {
  const lines = text.slice(0, offset).split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1]!.length };
}

function change(text: string, start: number, len: number, ins: string): ContentChange {
  return { range: { start: posAt(text, start), end: posAt(text, start + len) }, rangeOffset: start, rangeLength: len, text: ins };
}

// The path budget only: a time budget would make the outcome depend on the machine's load.
const OPTS = { explore: { budget: { states: 6000, ms: 600_000 } } };

function sameIr(a: IrFile, b: IrFile, what: string): void {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  if (x === y) return;
  let i = 0;
  while (x[i] === y[i]) i++;
  assert.fail(`IR ${what} differs at ${i}:\n  incremental …${x.slice(Math.max(0, i - 300), i + 120)}\n  fresh       …${y.slice(Math.max(0, i - 300), i + 120)}`);
}

/**
 * The document's review against the lowering of its tree with nothing reused,
 * and, when the code parses cleanly, against a review of its text from scratch
 * (on broken code tree-sitter's incremental and fresh parses may recover differently).
 */
function sameAsFresh(doc: DocumentModel, language: 'rust' | 'c', text: string, what: string): void {
  const run = doc.analyse(OPTS);
  const internals = doc as unknown as { tree: Tree; parsed: string };
  const uncached = frontendByLanguage(language).lower(internals.tree, internals.parsed, doc.file, {});
  sameIr(run.ir, uncached, `after ${what}, against the same tree lowered with nothing reused,`);
  const expected = analyzeProgram([uncached], OPTS).findings;
  assert.deepEqual(run.result.findings.map((f) => [f.rule, f.range, f.message]), expected.map((f) => [f.rule, f.range, f.message]), `findings after ${what}`);
  if (internals.tree.rootNode.hasError) return;
  const fresh = lowerSource(parsers, { file: doc.file, language, text }, {});
  sameIr(run.ir, fresh.ir, `after ${what}, against a review from scratch,`);
}

const INSERTS = ['x', '1', '\n', '\n\n', ' ', '}', '{', ';', 'drop(vm_bo);\n', 'vm.deferred_cleanup();', '// gpuvm-review: allow(vm-bo-leak)\n',
  '/// # Safety\n', 'unsafe ', '/*', '*/', '"', "'", 'fn f() {}\n', 'impl X {\n', '#[inline]\n', 'mutex_lock(&vm->lock);', 'é'];

for (const [file, language] of [['rust/vm_bo_binding_bugs.rs', 'rust'], ['rust/asahi_mmu_bugs.rs', 'rust'], ['rust/vm_clean.rs', 'rust'], ['c/tiny_vm_buggy.c', 'c']] as const) {
  test(`${file}: random keystrokes, reviewed incrementally, give the review of the text from scratch`, () => {
    const original = example(file);
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom(...INSERTS)), { minLength: 1, maxLength: 6 }), (edits) => {
      let text = original;
      const doc = new DocumentModel(parsers, `/ws/${file}`, language, text, 1);
      doc.analyse({});
      let version = 1;
      for (const [p, l, ins] of edits) {
        let start = p % (text.length + 1);
        if (/[\uDC00-\uDFFF]/.test(text[start] ?? '')) start--;
        const len = Math.min(l, text.length - start);
        const c = change(text, start, len, ins);
        text = text.slice(0, start) + ins + text.slice(start + len);
        doc.update([c], text, ++version);
        sameAsFresh(doc, language, text, `${JSON.stringify(ins)} at ${start}`);
      }
      doc.dispose();
    }), { numRuns: Number(process.env.DOC_RUNS ?? 25) });
  });
}

test('an edit inside one function lowers only that function; an edit above moves the others without lowering them', () => {
  let text = example('rust/vm_bo_binding_bugs.rs');
  const doc = new DocumentModel(parsers, '/ws/a.rs', 'rust', text, 1);
  doc.analyse({});
  const fns = doc.last!.ir.functions.filter((f) => !f.id.includes('{closure'));
  const target = fns[Math.floor(fns.length / 2)]!;
  // A keystroke in the body of one function.
  const at = text.indexOf('{', target.span.startIndex) + 1;
  doc.update([change(text, at, 0, ' ')], (text = `${text.slice(0, at)} ${text.slice(at)}`), 2);
  const cache = (doc as unknown as { lowered: { hits: number; misses: number; shifted: number } }).lowered;
  const run = doc.analyse({});
  assert.equal(cache.misses, 1, 'only the edited function is lowered again');
  assert.ok(cache.hits >= fns.length - 1 - 1);
  assert.ok(run.result.stats.reused > 0);
  // A new line in the first function: the others move one line down, none is lowered again.
  const first = text.indexOf('{', fns[0]!.span.startIndex) + 1;
  doc.update([change(text, first, 0, '\n')], (text = `${text.slice(0, first)}\n${text.slice(first)}`), 3);
  const moved = doc.analyse({});
  assert.equal(cache.misses, 1, 'only the function with the new line is lowered again');
  assert.ok(cache.shifted > 0);
  const fresh = lowerSource(parsers, { file: '/ws/a.rs', language: 'rust', text }, {});
  assert.equal(JSON.stringify(moved.ir), JSON.stringify(fresh.ir), 'moved functions are where a fresh review puts them');
  doc.dispose();
});

test('C: the editor parses the prepared text (annotations blanked), as the command line does', () => {
  const src = `#include <drm/drm_gpuvm.h>
static void lock_it(struct drm_gpuvm *vm) __acquires(&vm->lock)
{
\tmutex_lock(&vm->lock);
}
`;
  let text = src;
  const doc = new DocumentModel(parsers, '/ws/x.c', 'c', text, 1);
  sameAsFresh(doc, 'c', text, 'open');
  // Typing into the annotation changes what is blanked beyond the typed range.
  const at = text.indexOf('__acquires') + 2;
  doc.update([change(text, at, 1, 'X')], (text = text.slice(0, at) + 'X' + text.slice(at + 1)), 2);
  sameAsFresh(doc, 'c', text, 'typing in the annotation');
  doc.update([change(text, at, 1, 'a')], (text = text.slice(0, at) + 'a' + text.slice(at + 1)), 3);
  sameAsFresh(doc, 'c', text, 'restoring it');
  doc.dispose();
});
