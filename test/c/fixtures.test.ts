// Every C fixture reports exactly the findings its `// expect:` comments name,
// on those lines; clean fixtures report no error or warning. Fixtures name the
// rule they are about; every rule the C side can express has one that fires
// and one that stays silent.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RULES } from '../../src/model/rules';
import { expected, FIXTURES, found, reviewFixture } from './harness';

const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.c')).sort();

for (const f of files) {
  test(`C fixture ${f}`, async () => {
    const text = readFileSync(join(FIXTURES, f), 'utf8');
    const r = await reviewFixture(f);
    assert.deepEqual(r.problems, [], 'the file is reviewed');
    const want = expected(text);
    assert.deepEqual(found(r.findings), want, r.findings.map((x) => `${x.range.start.line}: ${x.rule}: ${x.message}`).join('\n'));
    if (/\.bad\.c$/.test(f)) assert.ok(want.length > 0, 'a .bad fixture expects a finding');
    if (/\.ok\.c$/.test(f)) assert.deepEqual(want, [], 'an .ok fixture expects none');
    const rule = f.split('.')[0]!;
    if (/\.bad\.c$/.test(f)) assert.ok(want.some((w) => w.startsWith(`${rule}@`)), `${f} is named after a rule it fires`);
    for (const x of r.findings.filter((y) => y.severity !== 'info')) {
      assert.ok(x.trace.length > 0, 'a finding carries its trace');
      // Objects are named as in the code, not by the analysis' internal names for inlined helpers.
      for (const m of [x.message, ...x.trace.map((t) => t.message)]) assert.doesNotMatch(m, /\b\d+:[A-Za-z_]\w*:[A-Za-z_#]/);
    }
  });
}

/**
 * Rules the C front end does not express: Rust hygiene and threads; and
 * vm-teardown-not-empty, since in C every VA and vm_bo holds a counted VM
 * reference, so the driver's last drm_gpuvm_put cannot see them.
 */
const NOT_C = new Set(['unsafe-without-safety-comment', 'missing-safety-doc', 'invariant-not-justified', 'deadlock', 'refcount-race',
  'vm-teardown-not-empty', 'analysis-incomplete']);

test('every rule the C side can express has a C fixture that fires it and one that stays silent', () => {
  for (const r of RULES) {
    if (NOT_C.has(r.id)) continue;
    assert.ok(files.some((f) => f.startsWith(`${r.id}.`) && f.endsWith('.bad.c')), `a firing fixture for ${r.id}`);
    assert.ok(files.some((f) => f.startsWith(`${r.id}.`) && f.endsWith('.ok.c')), `a silent fixture for ${r.id}`);
  }
});

test('a statement the parser cannot read: the function is analysed in part, and says so', async () => {
  const r = await reviewFixture('analysis-incomplete.unparsed-statement.c');
  const info = r.findings.filter((f) => f.rule === 'analysis-incomplete');
  assert.equal(info.length, 1);
  assert.equal(info[0]!.severity, 'info');
  assert.equal(info[0]!.function, 'ai_put');
  assert.match(info[0]!.message, /could not parse/);
  const fn = r.irFiles[0]!.functions.find((x) => x.name === 'ai_put')!;
  const ops = fn.nodes.flatMap((n) => (n.event.kind === 'api' ? [n.event.op] : []));
  assert.deepEqual(ops, ['resv_lock', 'resv_unlock'], 'what comes before and after the bad statement is still lowered');
});
