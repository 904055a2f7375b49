// Reviewing patches: complete functions of the new side are analysed, functions
// a hunk shows only in part are named as not analysed, and nothing crashes.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import { ROOT } from './harness';

async function check(path: string): Promise<{ code: number; json: { findings: Array<{ rule: string; severity: string; function: string | null; range: { start: { line: number } }; message: string }>; stats: { functions: number } } }> {
  const out: string[] = [];
  const code = await main(['check', '--format', 'json', path], { out: (s) => out.push(s), err: () => {} });
  return { code, json: JSON.parse(out.join('\n')) };
}

test('a patch: the new complete function is analysed, the partial ones are named, lines are the patch\'s', async () => {
  const { code, json } = await check(join(ROOT, 'test', 'fixtures', 'c-patches', 'demo-deferred-unlink.patch'));
  const got = json.findings.map((f) => `${f.severity} ${f.rule} ${f.function} @${f.range.start.line}`);
  assert.deepEqual(got, [
    'info analysis-incomplete demo_vm_free_va @16',
    'error lock-leak demo_flush_deferred @35',
    'info analysis-incomplete demo_job_cleanup @41',
    'info analysis-incomplete demo_sm_step_unmap @45',
  ]);
  assert.equal(code, 1);
  assert.match(json.findings[1]!.message, /^return -ENODEV with vm\.op_lock still held/);
});

const seed = join(ROOT, '..', 'shared', 'seeds', '004_e851d8ee69f92925.txt');

test('the deferred vm_bo cleanup series reviews clean: its complete functions are analysed, the rest is named', { skip: !existsSync(seed) && 'the seed patch is not next to this checkout' }, async () => {
  const { code, json } = await check(seed);
  assert.equal(code, 0);
  assert.deepEqual(json.findings.filter((f) => f.severity !== 'info'), [], 'the series is correct code');
  const partial = json.findings.map((f) => f.function).sort();
  for (const f of ['drm_gpuvm_init', 'drm_gpuvm_prepare_objects_locked', 'panthor_gpuva_sm_step_map', 'panthor_vm_cleanup_op_ctx']) assert.ok(partial.includes(f), `${f} is named as seen in part`);
  for (const f of ['drm_gpuvm_bo_put_deferred', 'drm_gpuvm_bo_deferred_cleanup', 'drm_gpuva_unlink_defer', 'panthor_vm_bo_free', 'panthor_vma_unlink']) assert.ok(!partial.includes(f), `${f} is shown whole`);
  assert.equal(json.stats.functions, 10);
});
