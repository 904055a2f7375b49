// Incremental parsing from VS Code-style change events gives the same tree as
// a full parse, whatever the edits (multi-line, multi-cursor, non-ASCII).
import { strict as assert } from 'node:assert';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { endOfInsert, orderedEdits, type ContentChange } from '../../src/editor/edits';
import { Edit, loadParsers, type Parsers } from '../../src/syntax/parser';
import { nodeWasmLoader } from '../../src/syntax/node-loader';

let parsers: Parsers;
before(async () => { parsers = await loadParsers(nodeWasmLoader()); });

function posAt(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

/** Changes of one event, against the same old text, non-overlapping (as VS Code reports them). */
function applyChanges(text: string, changes: ContentChange[]): string {
  let out = text;
  for (const c of [...changes].sort((a, b) => b.rangeOffset - a.rangeOffset)) out = out.slice(0, c.rangeOffset) + c.text + out.slice(c.rangeOffset + c.rangeLength);
  return out;
}

function change(text: string, start: number, len: number, ins: string): ContentChange {
  return { range: { start: posAt(text, start), end: posAt(text, start + len) }, rangeOffset: start, rangeLength: len, text: ins };
}

const SRC = `// é 😀 ünïcödé comment
fn obtain(vm: &GpuVm<T>, obj: &T::Object) -> Result<ARef<GpuVmBo<T>>> {
    let vm_bo = vm.obtain(obj, ())?;
    let va = GpuVaAlloc::new(GFP_KERNEL)?; // α
    vm.deferred_cleanup();
    Ok(vm_bo)
}
`;

test('endOfInsert counts UTF-16 units and lines', () => {
  assert.deepEqual(endOfInsert({ line: 3, character: 5 }, 'ab😀'), { row: 3, column: 9 });
  assert.deepEqual(endOfInsert({ line: 3, character: 5 }, 'x\nyz'), { row: 4, column: 2 });
  assert.deepEqual(endOfInsert({ line: 0, character: 0 }, 'a\r\nb\n'), { row: 2, column: 0 });
});

/** Every node's offsets, text and row/column agree with the text: what a wrong edit would break. */
function positionsConsistent(tree: ReturnType<Parsers['rust']['parse']> & object, text: string): void {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const c = tree.walk();
  const visit = (): void => {
    const n = c.currentNode;
    const row = n.startPosition.row;
    assert.equal(starts[row]! + n.startPosition.column, n.startIndex, `row/column of ${n.type} at ${n.startIndex}`);
    if (n.childCount === 0 && !n.isMissing) assert.equal(n.text, text.slice(n.startIndex, n.endIndex));
    if (c.gotoFirstChild()) { do visit(); while (c.gotoNextSibling()); c.gotoParent(); }
  };
  visit();
  c.delete();
}

test('random edit events: incremental tree has the right positions, and equals a full parse when the code is valid', () => {
  const ins = fc.constantFrom('', 'x', '\n', 'é', '😀', '}', '{', 'let y = 1;\n', '?', '/* c */', '"s"', 'drop(vm_bo);\n');
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 6 }), ins), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 4 }), (raw, rounds) => {
    let text = SRC;
    let tree = parsers.rust.parse(text)!;
    for (let r = 0; r < rounds; r++) {
      // Non-overlapping changes of one event, positions on UTF-16 boundaries that do not split a surrogate pair.
      const taken: Array<[number, number]> = [];
      const changes: ContentChange[] = [];
      for (const [p, l, s] of raw) {
        let start = p % (text.length + 1);
        let len = Math.min(l, text.length - start);
        if (/[\uDC00-\uDFFF]/.test(text[start] ?? '')) start--;
        if (/[\uD800-\uDBFF]/.test(text[start + len - 1] ?? '')) len++;
        if (taken.some(([a, b]) => start < b && a < start + len + 1)) continue;
        taken.push([start, start + len]);
        changes.push(change(text, start, len, s));
      }
      const next = applyChanges(text, changes);
      for (const e of orderedEdits(changes)) tree.edit(new Edit(e));
      const inc = parsers.rust.parse(next, tree)!;
      const full = parsers.rust.parse(next)!;
      positionsConsistent(inc, next);
      // With syntax errors, error recovery may legitimately differ between an incremental and a full parse.
      if (!full.rootNode.hasError) assert.equal(inc.rootNode.toString(), full.rootNode.toString());
      assert.equal(inc.rootNode.endIndex, next.length);
      tree.delete();
      full.delete();
      tree = inc;
      text = next;
    }
    tree.delete();
  }), { numRuns: 150 });
});
