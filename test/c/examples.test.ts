// The example drivers of examples/c: the clean one stays clean, the buggy one
// reports each of its marked bugs, at its line.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { found, reviewC, ROOT } from './harness';

const read = (f: string): { file: string; text: string } => ({ file: f, text: readFileSync(join(ROOT, 'examples', 'c', f), 'utf8') });

test('examples/c/tiny_vm.c: an immediate-mode driver that follows the rules', async () => {
  const r = await reviewC([read('tiny_vm.c')]);
  assert.deepEqual(found(r.findings), []);
  assert.deepEqual(r.findings.filter((f) => f.rule === 'analysis-incomplete'), []);
});

test('examples/c/tiny_vm_buggy.c: every marked bug, and nothing else', async () => {
  const src = read('tiny_vm_buggy.c');
  const r = await reviewC([src]);
  const line = (needle: string): number => src.text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  const obtain = line('op->vm_bo = drm_gpuvm_bo_obtain_prealloc(pre);');
  const unlink = line('drm_gpuva_unlink(&vma->base);');
  assert.deepEqual(found(r.findings), [
    `extobj-add-without-resv@${line('ret = tiny_vm_bind_job_create(tfile->vm')}`,
    `gpuva-list-unlocked@${unlink}`,
    `lock-order@${obtain}`,
    `lock-recursion@${obtain}`,
    `signalling-alloc@${line('fence = kzalloc(sizeof(*fence), GFP_KERNEL);')}`,
    `signalling-gem-put@${unlink}`,
    `signalling-resv-lock@${unlink}`,
    `vm-bo-leak@${line('struct drm_gpuvm_bo *vm_bo = drm_gpuvm_bo_get(op->remap.unmap->va->vm_bo);')}`,
    `vm-resv-not-held@${unlink}`,
  ].sort());
});
