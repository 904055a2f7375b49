// The JavaScript copy of a C syntax tree: the walk skips cursor calls by what
// tree-sitter-c's grammar allows, so the copy must equal one that asks the
// cursor everything, and the grammar tables must match node-types.json.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Language, Node } from 'web-tree-sitter';
import { blankAnnotations } from '../../src/syntax/c/annotations';
import { ANON_FIELD_PARENTS, CNode, copyTree, FIELDLESS_PARENTS, OPAQUE, SourceText, TOKENS } from '../../src/syntax/c/cnode';
import { FIXTURES, getParsers, ROOT } from './harness';

interface NodeType { type: string; named: boolean; fields?: Record<string, { types: Array<{ type: string; named: boolean }> }>; children?: unknown; subtypes?: unknown }
const nodeTypes = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'tree-sitter-c', 'src', 'node-types.json'), 'utf8')) as NodeType[];

test('the grammar tables of the copy match tree-sitter-c', () => {
  const named = nodeTypes.filter((t) => t.named);
  const fieldless = named.filter((t) => !t.fields || !Object.keys(t.fields).length).filter((t) => t.children).map((t) => t.type);
  assert.deepEqual([...FIELDLESS_PARENTS].sort(), fieldless.sort());
  const anonField = named.filter((t) => Object.values(t.fields ?? {}).some((f) => f.types.some((x) => !x.named))).map((t) => t.type);
  assert.deepEqual([...ANON_FIELD_PARENTS].sort(), anonField.sort());
  // Tokens have neither fields nor children.
  for (const t of TOKENS) {
    const nt = named.find((x) => x.type === t);
    assert.ok(nt, `${t} is a node type`);
    assert.ok(!nt.fields || !Object.keys(nt.fields).length, `${t} has no fields`);
    assert.ok(!nt.children && !nt.subtypes, `${t} has no children`);
  }
});

/** The copy as it was made before the walk skipped anything: every question asked of every node (literals stay leaves where nothing is damaged; damage inside a literal must stay visible). */
function naiveCopy(node: Node, src: SourceText, lang: Language): CNode {
  const opaque = !node.hasError;
  const c = node.walk();
  const make = (parent: CNode | null): CNode | undefined => {
    const id = c.nodeTypeId;
    const type = lang.types[id] ?? c.nodeType;
    const nm = lang.nodeTypeIsNamed(id);
    const fieldId = c.currentFieldId;
    const field = fieldId ? lang.fields[fieldId] ?? null : null;
    const keep = type === ';' || type === '}';
    if (!nm && !field && !keep) return undefined;
    const n = new CNode(src, type, nm, field, c.startIndex, c.endIndex, keep ? c.nodeIsMissing : false);
    n.parent = parent;
    return n;
  };
  const root = make(null)!;
  const stack = [root];
  if (c.gotoFirstChild()) {
    for (;;) {
      const parent = stack[stack.length - 1]!;
      const n = make(parent);
      if (n) {
        parent.children.push(n);
        if (!(opaque && OPAQUE.has(n.type)) && c.gotoFirstChild()) { stack.push(n); continue; }
      }
      let done = false;
      while (!c.gotoNextSibling()) {
        if (!c.gotoParent() || (stack.pop(), stack.length === 0)) { done = true; break; }
      }
      if (done) break;
    }
  }
  c.delete();
  return root;
}

type Shape = [string, boolean, string | null, number, number, boolean, boolean, string[], Shape[]];
const shape = (n: CNode): Shape => [
  n.type, n.isNamed, n.field, n.startIndex, n.endIndex, n.isMissing, n.hasError,
  Array.from({ length: n.namedChildCount }, (_, i) => n.namedChild(i)!.type), n.children.map(shape),
];

test('the copy equals one that asks the cursor everything, damaged code included', async () => {
  const p = await getParsers();
  const texts = [
    ...readdirSync(FIXTURES).filter((f) => f.endsWith('.c')).map((f) => readFileSync(join(FIXTURES, f), 'utf8')),
    ...readdirSync(join(ROOT, 'examples', 'c')).map((f) => readFileSync(join(ROOT, 'examples', 'c', f), 'utf8')),
    // Damage: a missing ';', a stray token, an unterminated call, an iterator macro, offsetof with a subscript.
    // Literals whose insides are damaged: an unterminated string, a bad escape, a broken char.
    `static void g(void)\n{\n\tpr_err("abc %d\\q, x);\n\tc = 'ab;\n\ts = "ok" "\\x";\n}\n`,
    `static int f(struct x *p)\n{\n\tint a = 1\n\tlist_for_each_entry(p, &h, n) {\n\t\tfoo(p;\n\t}\n\ta = offsetof(struct s, v[2]);\n\t@ b = -a;\n\treturn a->b[3] += ~x++;\n`,
  ];
  let nodes = 0;
  let damaged = 0;
  for (const raw of texts) {
    const text = blankAnnotations(raw);
    const tree = p.c.parse(text)!;
    const src = new SourceText(text);
    for (const top of tree.rootNode.namedChildren) {
      const got = copyTree(top, src, p.languages.c);
      assert.deepEqual(shape(got), shape(naiveCopy(top, src, p.languages.c)));
      nodes++;
      if (got.hasError) damaged++;
    }
    tree.delete();
  }
  assert.ok(nodes > 100);
  assert.ok(damaged > 0, 'some of it is damaged');
});
