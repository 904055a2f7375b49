// SPDX-License-Identifier: GPL-2.0
/* A small immediate-mode driver on the GPUVM C API, used by the end-to-end test. */

#include <drm/drm_gpuvm.h>
#include <drm/gpu_scheduler.h>

struct my_vm {
	struct drm_gpuvm base;
	struct mutex op_lock;
};

static int my_sm_step_unmap(struct drm_gpuva_op *op, void *priv)
{
	struct drm_gpuva *va = op->unmap.va;

	drm_gpuva_unmap(&op->unmap);
	/* A plain unlink in run_job: may drop the last vm_bo reference. */
	drm_gpuva_unlink(va);
	kfree(va);
	return 0;
}

static int my_sm_step_map(struct drm_gpuva_op *op, void *priv)
{
	return 0;
}

static int my_sm_step_remap(struct drm_gpuva_op *op, void *priv)
{
	return 0;
}

static void my_vm_free(struct drm_gpuvm *gpuvm)
{
	kfree(container_of(gpuvm, struct my_vm, base));
}

static const struct drm_gpuvm_ops my_gpuvm_ops = {
	.vm_free = my_vm_free,
	.sm_step_map = my_sm_step_map,
	.sm_step_remap = my_sm_step_remap,
	.sm_step_unmap = my_sm_step_unmap,
};

int my_vm_init(struct my_vm *vm, struct drm_device *drm, struct drm_gem_object *r_obj)
{
	drm_gpuvm_init(&vm->base, "my-vm", DRM_GPUVM_RESV_PROTECTED | DRM_GPUVM_IMMEDIATE_MODE,
		       drm, r_obj, 0, 1ull << 48, 0, 0, &my_gpuvm_ops);
	mutex_init(&vm->op_lock);
	return 0;
}

struct drm_gpuvm_bo *my_vm_bo_lookup(struct my_vm *vm, struct drm_gem_object *obj)
{
	struct drm_gpuvm_bo *vm_bo;

	dma_resv_lock(obj->resv, NULL);
	vm_bo = drm_gpuvm_bo_find(&vm->base, obj);
	if (!vm_bo)
		return NULL;
	dma_resv_unlock(obj->resv);
	return vm_bo;
}
