// The C API before DRM_GPUVM_IMMEDIATE_MODE: a driver mutex registered with
// drm_gem_gpuva_set_lock() in one file is the gpuva list lock in another.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { surveyC } from '../../src/syntax/c/survey';
import { found, lowerC, ops, reviewC } from './harness';

const gemFile = `
struct drm_gem_object *dl_gem_create_object(struct drm_device *drm, size_t size)
{
	struct dl_bo *bo = kzalloc(sizeof(*bo), GFP_KERNEL);

	if (!bo)
		return ERR_PTR(-ENOMEM);
	mutex_init(&bo->list_lock);
	/* drm_gem_gpuva_set_lock(&bo->base.base, &bo->not_this_one); */
	drm_gem_gpuva_set_lock(&bo->base.base, &bo->list_lock);
	return &bo->base.base;
}
`;

const mmuFile = `
static int dl_prepare(struct dl_vm *vm, struct dl_ctx *ctx, struct dl_bo *bo)
{
	struct drm_gpuvm_bo *pre = drm_gpuvm_bo_create(&vm->base, &bo->base.base);

	if (!pre)
		return -ENOMEM;
	dma_resv_lock(drm_gpuvm_resv(&vm->base), NULL);
	mutex_lock(&bo->list_lock);
	ctx->vm_bo = drm_gpuvm_bo_obtain_prealloc(pre);
	mutex_unlock(&bo->list_lock);
	dma_resv_unlock(drm_gpuvm_resv(&vm->base));
	return 0;
}

void dl_vm_init(struct dl_vm *vm, struct drm_device *drm, struct drm_gem_object *r_obj)
{
	drm_gpuvm_init(&vm->base, "dl", DRM_GPUVM_RESV_PROTECTED, drm, r_obj, 0, 1ULL << 40, 0, 0, &dl_ops);
}
`;

test('the registered mutex is read from the text, not from comments', () => {
  assert.deepEqual(surveyC(gemFile), { gpuva_lock_members: ['list_lock'] });
  assert.deepEqual(surveyC(mmuFile), {});
});

test('with the registration, the mutex is the GEM gpuva lock and obtain_prealloc expects the caller to hold it', async () => {
  const ir = await lowerC(mmuFile, 'mmu.c');
  assert.deepEqual(ops(ir.functions[0]!).slice(1, 4), ['resv_lock(vm)', 'mutex_lock(bo.list_lock)', 'bo_obtain_prealloc(pre)']);

  const together = await reviewC([{ file: 'gem.c', text: gemFile }, { file: 'mmu.c', text: mmuFile }]);
  const mmu = together.irFiles.find((f) => f.file === 'mmu.c')!;
  const prepare = mmu.functions.find((f) => f.name === 'dl_prepare')!;
  const obtain = prepare.nodes.map((n) => n.event).find((e) => e.kind === 'api' && e.op === 'bo_obtain_prealloc');
  assert.deepEqual(obtain?.kind === 'api' ? obtain.opts : undefined, { caller_locks: true });
  assert.deepEqual(ops(prepare).slice(1, 4), ['resv_lock(vm)', 'gpuva_lock(bo)', 'bo_obtain_prealloc(pre)']);
  assert.deepEqual(mmu.vmInits.map((v) => v.immediate), [true]);
  assert.deepEqual(found(together.findings), []);
});

test('without it, a staged VM means code written for the older obtain_prealloc contract', async () => {
  const alone = await reviewC([{ file: 'mmu.c', text: mmuFile }]);
  assert.deepEqual(found(alone.findings), []);
  // Told that the kernel has the current contract, obtain_prealloc on a staged VM is the mismatch it is.
  const current = await reviewC([{ file: 'mmu.c', text: mmuFile }], { obtainPrealloc: 'self-locks' });
  assert.deepEqual(found(current.findings), ['obtain-mode-mismatch@10']);
});

test('ret = PTR_ERR(p) is a nonzero value, so the error path is not taken as a success', async () => {
  const ir = await lowerC(`
static int pe(struct drm_gpuvm *vm, struct drm_gem_object *obj)
{
	struct drm_gpuvm_bo *vm_bo;
	int ret = 0;

	vm_bo = drm_gpuvm_bo_obtain(vm, obj);
	if (IS_ERR(vm_bo)) {
		ret = PTR_ERR(vm_bo);
		goto out;
	}
	drm_gpuvm_bo_put(vm_bo);
out:
	return ret;
}
`);
  const assigns = ir.functions[0]!.nodes.flatMap((n) => (n.event.kind === 'assign' && n.event.target === 'ret' ? [n.event.source] : []));
  assert.equal(assigns.at(-1), '#1');
});
