// Labels of C nodes: a long node is folded from a prefix only, which must give
// the label folding the whole text gives.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { labelText } from '../../src/syntax/c/spans';

function wholeLabel(text: string, start: number, end: number, max: number): string {
  const t = text.slice(start, end).replace(/\s+/g, ' ').replace(/\( /g, '(').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

const at = (startIndex: number, endIndex: number) => ({ startIndex, endIndex, startPosition: { row: 0, column: 0 }, endPosition: { row: 0, column: 0 } });

test('a label folded from a prefix is the label of the whole text', () => {
  const piece = fc.constantFrom('(', ')', ' ', '  ', '\n\t\t', 'foo', 'x', ',', '( ', ' (', '\t', 'bar->baz', '"s  t"');
  fc.assert(fc.property(fc.array(piece, { maxLength: 120 }), fc.nat(), fc.nat(), fc.integer({ min: 2, max: 40 }), (parts, a, b, max) => {
    const text = parts.join('');
    const start = text.length ? a % text.length : 0;
    const end = start + (text.length - start ? b % (text.length - start + 1) : 0);
    assert.equal(labelText(text, at(start, end), max), wholeLabel(text, start, end, max));
  }), { numRuns: 3000 });
});
