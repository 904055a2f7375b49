// `gpuvm-review check` on Rust: the bundled examples report what their doc
// comments say, and a patch is reviewed on the new side of its hunks (a new
// file whole, complete functions of a changed file), at the patch's lines.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import { expected, FIXTURES } from './kit';

const EXAMPLES = join(__dirname, '..', '..', '..', 'examples', 'rust');

async function check(args: string[]): Promise<{ code: number; json: { findings: Array<{ rule: string; file: string; range: { start: { line: number } } }> } }> {
  const out: string[] = [];
  const code = await main(['check', '--format', 'json', ...args], { out: (s) => out.push(s), err: () => {} });
  return { code, json: JSON.parse(out.join('\n')) };
}

test('check examples/rust: exactly the bugs the examples describe, the clean one stays clean', async () => {
  const { code, json } = await check([EXAMPLES]);
  const got = json.findings.map((f) => `${f.file.split('/').pop()}:${f.range.start.line} ${f.rule}`).sort();
  assert.deepEqual(got, [
    'asahi_mmu_bugs.rs:48 lock-recursion',
    'asahi_mmu_bugs.rs:62 lock-recursion',
    'bind_job_bugs.rs:37 signalling-alloc',
    'bind_job_bugs.rs:37 signalling-resv-lock',
    'bind_job_bugs.rs:46 deferred-cleanup-missing',
    'bind_job_bugs.rs:59 unsafe-without-safety-comment',
    'vm_bo_binding_bugs.rs:52 vm-bo-double-put',
    'vm_bo_binding_bugs.rs:57 missing-safety-doc',
    'vm_bo_binding_bugs.rs:70 extobj-add-without-resv',
  ]);
  assert.equal(code, 1, 'error findings: exit status 1');
  assert.ok(readdirSync(EXAMPLES).includes('vm_clean.rs'));
  const clean = await check([join(EXAMPLES, 'vm_clean.rs')]);
  assert.deepEqual(clean.json.findings, []);
  assert.equal(clean.code, 0);
});

/** A patch adding a whole file (a fixture) and changing another, with `// expect:` comments on its own lines. */
function patchText(): string {
  const added = readFileSync(join(FIXTURES, 'vm-bo-double-put.own-handle-type.bad.rs'), 'utf8').replace(/\n$/, '').split('\n');
  return [
    'From: Example Author <author@example.org>',
    'Subject: [PATCH] rust: gpuvm: vm_bo handles',
    '',
    '---',
    'diff --git a/rust/kernel/drm/gpuvm/vm_bo.rs b/rust/kernel/drm/gpuvm/vm_bo.rs',
    'new file mode 100644',
    'index 0000000..1111111',
    '--- /dev/null',
    '+++ b/rust/kernel/drm/gpuvm/vm_bo.rs',
    `@@ -0,0 +1,${added.length} @@`,
    ...added.map((l) => `+${l}`),
    'diff --git a/rust/kernel/drm/gpuvm/mod.rs b/rust/kernel/drm/gpuvm/mod.rs',
    'index 2222222..3333333 100644',
    '--- a/rust/kernel/drm/gpuvm/mod.rs',
    '+++ b/rust/kernel/drm/gpuvm/mod.rs',
    '@@ -120,7 +120,13 @@ impl<T: DriverGpuVm> GpuVm<T> {',
    '         self.0.get()',
    '     }',
    ' ',
    '+    /// The VA range of this VM.',
    '+    pub fn va_start(&self) -> u64 {',
    '+        unsafe { (*self.as_raw()).mm_start } // expect: unsafe-without-safety-comment',
    '+    }',
    '+',
    '+    /// Nothing to say here.',
    '     pub fn raw_resv(&self) -> *mut bindings::dma_resv {',
    '         // SAFETY: the VM is valid.',
    '         unsafe { (*self.as_raw()).r_obj }',
    '',
  ].join('\n');
}

test('check a patch: a new file and the complete functions of a changed one, reported at the patch lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gpuvm-review-'));
  const path = join(dir, 'vm_bo.patch');
  const text = patchText();
  writeFileSync(path, text);
  const { code, json } = await check([path]);
  assert.deepEqual(json.findings.map((f) => `${f.rule}@${f.range.start.line}`).sort(), expected(text));
  assert.ok(json.findings.every((f) => f.file.endsWith('vm_bo.patch')));
  assert.equal(code, 1);
});
