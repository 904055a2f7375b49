import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { renameCallEdit, safetySkeletonEdit, suppressFunctionEdit, suppressLineEdit, type PlainEdit } from '../../src/editor/fixes';

function apply(lines: string[], e: PlainEdit): string[] {
  const text = lines.join('\n');
  const off = (l: number, c: number) => lines.slice(0, l).reduce((n, x) => n + x.length + 1, 0) + c;
  return (text.slice(0, off(e.line, e.character)) + e.newText + text.slice(off(e.endLine, e.endCharacter))).split('\n');
}

test('suppress on a line: inserts an indented comment above, in the language\'s style', () => {
  const rust = ['fn f() {', '    vm.deferred_cleanup();', '}'];
  assert.deepEqual(apply(rust, suppressLineEdit(rust, 1, 'signalling-resv-lock', 'rust')), ['fn f() {', '    // gpuvm-review: allow(signalling-resv-lock)', '    vm.deferred_cleanup();', '}']);
  const c = ['\tdrm_gpuva_unlink(va);'];
  assert.deepEqual(apply(c, suppressLineEdit(c, 0, 'signalling-gem-put', 'c')), ['\t/* gpuvm-review: allow(signalling-gem-put) */', '\tdrm_gpuva_unlink(va);']);
});

test('suppress on a line: extends an existing allow() instead of adding a second comment', () => {
  const l = ['    // gpuvm-review: allow(lock-leak)', '    x();'];
  assert.deepEqual(apply(l, suppressLineEdit(l, 1, 'vm-bo-leak', 'rust')), ['    // gpuvm-review: allow(lock-leak, vm-bo-leak)', '    x();']);
  assert.deepEqual(apply(l, suppressLineEdit(l, 1, 'lock-leak', 'rust')), l, 'already allowed: no change');
});

test('suppress in a function: above the signature, or merged into an allow() among its doc comments', () => {
  const l = ['/// Docs.', '#[inline]', 'pub fn f() {', '}'];
  assert.deepEqual(apply(l, suppressFunctionEdit(l, 2, 'vm-bo-leak', 'rust')), ['/// Docs.', '#[inline]', '// gpuvm-review: allow(vm-bo-leak)', 'pub fn f() {', '}']);
  const m = ['// gpuvm-review: allow(lock-leak)', '/// Docs.', 'pub fn f() {'];
  assert.deepEqual(apply(m, suppressFunctionEdit(m, 2, 'vm-bo-leak', 'rust'))[0], '// gpuvm-review: allow(lock-leak, vm-bo-leak)');
});

test('rename a put to its deferred variant, not twice', () => {
  const l = ['\tdrm_gpuvm_bo_put(vm_bo);', '\tdrm_gpuvm_bo_put_deferred(vm_bo);'];
  assert.deepEqual(apply(l, renameCallEdit(l, 0, 1, 'drm_gpuvm_bo_put', 'drm_gpuvm_bo_put_deferred')!)[0], '\tdrm_gpuvm_bo_put_deferred(vm_bo);');
  assert.equal(renameCallEdit(l, 1, 1, 'drm_gpuvm_bo_put', 'drm_gpuvm_bo_put_deferred'), undefined);
});

test('SAFETY skeleton keeps the indentation', () => {
  const l = ['        let p = unsafe { bindings::x() };'];
  assert.match(apply(l, safetySkeletonEdit(l, 0))[0]!, /^ {8}\/\/ SAFETY: /);
});
