// Malformed scenarios get file:line:col messages, never a crash.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseScenario, ScenarioSyntaxError } from '../../src/scenario/parse';
import { runScenario } from '../../src/scenario/run';
import { main } from '../../src/cli/main';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function errorsOf(text: string): string[] {
  try {
    parseScenario(text, 'x.gpuvm');
  } catch (e) {
    if (e instanceof ScenarioSyntaxError) return e.errors.map((x) => `${x.line}:${x.col}: ${x.message}`);
    throw e;
  }
  return [];
}

test('unknown handle is reported at its column', () => {
  const errs = errorsOf('vm vm immediate\nioctl:\n  drm_gpuvm_bo_put(nope)\n');
  assert.equal(errs.length, 1);
  assert.match(errs[0]!, /^3:20: unknown handle 'nope'/);
});

test('wrong kind of handle', () => {
  const errs = errorsOf('vm vm immediate\ngem bo external\nioctl:\n  drm_gpuvm_bo_put(bo)\n');
  assert.match(errs[0]!, /^4:20: 'bo' is a gem; drm_gpuvm_bo_put expects a vm_bo/);
});

test('wrong arity, unknown call, unbalanced parentheses, bad option', () => {
  const errs = errorsOf([
    'vm vm immediate', 'gem bo external', 'run_job:',
    '  x = drm_gpuvm_bo_create(vm)',
    '  frobnicate(vm)',
    '  drm_gpuvm_put(vm',
    '  y = drm_gpuvm_bo_create(vm, bo) sometimes',
  ].join('\n'));
  assert.equal(errs.length, 4, errs.join('\n'));
  assert.match(errs[0]!, /^4:\d+: drm_gpuvm_bo_create takes 2 arguments/);
  assert.match(errs[1]!, /^5:\d+: unknown operation 'frobnicate'/);
  assert.match(errs[2]!, /^6:\d+: unbalanced parentheses|^6:\d+: cannot read/);
  assert.match(errs[3]!, /^7:\d+: 'sometimes' is not an option/);
});

test('statements outside a context, unknown contexts, bad declarations', () => {
  const errs = errorsOf('vm vm bogus\ngem g\nrunjob:\n  drm_gpuvm_put(vm)\ndrm_gpuvm_put(vm)\nexpect no-such-rule\n');
  assert.ok(errs.some((e) => e.startsWith('1:7: unknown VM flag')), errs.join('\n'));
  assert.ok(errs.some((e) => e.startsWith('2:')), errs.join('\n'));
  assert.ok(errs.some((e) => /^3:1: unknown context 'runjob'/.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /^5:1: /.test(e)), errs.join('\n'));
  assert.ok(errs.some((e) => /^6:8: unknown rule/.test(e)), errs.join('\n'));
});

test('using a handle that is NULL on this path is a semantic error with a location', () => {
  assert.throws(() => runScenario(parseScenario('vm vm immediate\ngem bo external\nioctl:\n  x = drm_gpuvm_bo_create(vm, bo) fails\n  drm_gpuvm_bo_extobj_add(x)\n', 'x.gpuvm')),
    (e: unknown) => e instanceof ScenarioSyntaxError && e.errors[0]!.line === 5 && /NULL on this path/.test(e.errors[0]!.message));
});

test('empty and binary input', () => {
  assert.match(errorsOf('')[0]!, /empty scenario/);
  assert.match(errorsOf('# only a comment\n')[0]!, /empty scenario/);
  assert.match(errorsOf('vm\u0001\u0002')[0]!, /control characters/);
});

test('random text never crashes the parser or the simulation', () => {
  const alphabet = fc.constantFrom(...'vm gem ioctl run_job: ()=,#\n  drm_gpuvm_bo_put drm_gpuvm_bo_create x bo immediate expect clean\t&->.'.split(''));
  fc.assert(fc.property(fc.array(alphabet, { maxLength: 200 }).map((a) => a.join('')), (text) => {
    try {
      runScenario(parseScenario(text, 'r.gpuvm'));
    } catch (e) {
      if (!(e instanceof ScenarioSyntaxError)) throw e;
      for (const x of e.errors) assert.ok(x.line >= 1 && x.col >= 1);
    }
  }), { numRuns: 500 });
});

test('the CLI prints file:line:col and exits 2 on a syntax error, without a stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpuvm-'));
  const f = join(dir, 'bad.gpuvm');
  writeFileSync(f, 'vm vm immediate\nioctl:\n  drm_gpuvm_bo_put(nope)\n');
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['simulate', f], { out: (s) => out.push(s), err: (s) => err.push(s) });
  assert.equal(code, 2);
  assert.equal(err.join('\n'), `${f}:3:20: unknown handle 'nope' (known: vm)`);
  const code2 = await main(['simulate', join(dir, 'missing.gpuvm')], { out: () => {}, err: (s) => err.push(s) });
  assert.equal(code2, 2);
  assert.match(err[err.length - 1]!, /missing\.gpuvm: no such file/);
  const bin = join(dir, 'bin.gpuvm');
  writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2]));
  assert.equal(await main(['simulate', bin], { out: () => {}, err: (s) => err.push(s) }), 2);
  assert.match(err[err.length - 1]!, /binary file/);
});

test('simulate --format json carries steps, findings and expectations', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpuvm-'));
  const f = join(dir, 'leak.gpuvm');
  writeFileSync(f, 'vm vm immediate\ngem bo external\nioctl:\n  pre = drm_gpuvm_bo_create(vm, bo)\nexpect vm-bo-leak\n');
  const out: string[] = [];
  const code = await main(['simulate', '--format', 'json', '--expect', f], { out: (s) => out.push(s), err: () => {} });
  assert.equal(code, 0);
  const j = JSON.parse(out.join('\n'));
  const sc = j.scenarios[0];
  assert.equal(sc.findings[0].rule, 'vm-bo-leak');
  assert.deepEqual(sc.findings[0].range.start, { line: 4, column: 3 });
  assert.ok(sc.steps.length >= 3);
  assert.equal(sc.expectations[0].met, true);
});
