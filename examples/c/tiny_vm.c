// SPDX-License-Identifier: GPL-2.0
/*
 * tiny_vm.c: the VM code of a small immediate-mode GPU driver, written to
 * show the GPUVM rules a driver of this shape must follow:
 *
 * - everything the DMA-fence signalling path needs is allocated and looked up
 *   when the VM_BIND job is created (VMAs, the vm_bo through
 *   drm_gpuvm_bo_create() + drm_gpuvm_bo_obtain_prealloc(), the extobj entry
 *   under the VM's resv);
 * - the sm_step callbacks run from run_job: they link and unlink under the
 *   GEM's gpuva.lock and only ever put vm_bos deferred;
 * - the deferred vm_bos are cleaned up from a work item, out of the
 *   signalling path.
 *
 * `gpuvm-review check examples/c/tiny_vm.c` reports nothing here.
 */

struct tiny_vma {
	struct drm_gpuva base;
	u32 prot;
};

struct tiny_op {
	/* Up to three VMAs: a map can split one mapping into prev + new + next. */
	struct tiny_vma *vmas[3];
	struct drm_gpuvm_bo *vm_bo;
	u64 addr, range, bo_offset;
	u32 prot;
	bool unmap;
};

struct tiny_vm {
	struct drm_gpuvm base;
	struct tiny_device *tdev;
	/* Serialises VM updates; held while the sm_step callbacks run. */
	struct mutex op_lock;
	struct tiny_op *op;
};

struct tiny_bind_job {
	struct drm_sched_job base;
	struct tiny_vm *vm;
	struct tiny_op op;
	struct work_struct cleanup;
};

static inline struct tiny_vm *to_tiny_vm(struct drm_gpuvm *gpuvm)
{
	return container_of(gpuvm, struct tiny_vm, base);
}

static void tiny_vm_free(struct drm_gpuvm *gpuvm)
{
	struct tiny_vm *vm = to_tiny_vm(gpuvm);

	mutex_destroy(&vm->op_lock);
	kfree(vm);
}

/* The vm_bo keeps the BO's pages pinned; unpinning takes the BO's resv. */
static void tiny_vm_bo_free(struct drm_gpuvm_bo *vm_bo)
{
	struct tiny_bo *bo = to_tiny_bo(vm_bo->obj);

	drm_gem_shmem_unpin(&bo->base);
	kfree(vm_bo);
}

static struct tiny_vma *tiny_op_take_vma(struct tiny_op *op)
{
	for (u32 i = 0; i < ARRAY_SIZE(op->vmas); i++) {
		struct tiny_vma *vma = op->vmas[i];

		if (vma) {
			op->vmas[i] = NULL;
			return vma;
		}
	}
	return NULL;
}

static void tiny_op_cleanup(struct tiny_op *op, struct tiny_vm *vm)
{
	for (u32 i = 0; i < ARRAY_SIZE(op->vmas); i++)
		kfree(op->vmas[i]);

	if (op->vm_bo)
		drm_gpuvm_bo_put_deferred(op->vm_bo);

	/* Frees the vm_bos whose last reference went away in the signalling path. */
	drm_gpuvm_bo_deferred_cleanup(&vm->base);
}

static int tiny_op_prepare_map(struct tiny_op *op, struct tiny_vm *vm, struct tiny_bo *bo,
			       u64 bo_offset, u64 addr, u64 range, u32 prot)
{
	struct drm_gpuvm_bo *pre;
	struct drm_exec exec;
	int ret;

	memset(op, 0, sizeof(*op));
	op->addr = addr;
	op->range = range;
	op->bo_offset = bo_offset;
	op->prot = prot;

	for (u32 i = 0; i < ARRAY_SIZE(op->vmas); i++) {
		op->vmas[i] = kzalloc(sizeof(*op->vmas[i]), GFP_KERNEL);
		if (!op->vmas[i]) {
			ret = -ENOMEM;
			goto err_cleanup;
		}
	}

	/* Dropped by tiny_vm_bo_free() once the vm_bo exists. */
	ret = drm_gem_shmem_pin(&bo->base);
	if (ret)
		goto err_cleanup;

	pre = drm_gpuvm_bo_create(&vm->base, &bo->base.base);
	if (!pre) {
		drm_gem_shmem_unpin(&bo->base);
		ret = -ENOMEM;
		goto err_cleanup;
	}

	/* Takes the GEM's gpuva.lock itself; if a vm_bo exists, pre is freed. */
	op->vm_bo = drm_gpuvm_bo_obtain_prealloc(pre);

	/* The extobj list is protected by the VM's resv: lock it and the BO's. */
	drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, 0);
	drm_exec_until_all_locked(&exec) {
		ret = drm_gpuvm_prepare_vm(&vm->base, &exec, 1);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			break;
		ret = drm_exec_lock_obj(&exec, &bo->base.base);
		drm_exec_retry_on_contention(&exec);
		if (ret)
			break;
	}
	if (!ret)
		drm_gpuvm_bo_extobj_add(op->vm_bo);
	drm_exec_fini(&exec);
	if (ret)
		goto err_cleanup;

	return 0;

err_cleanup:
	tiny_op_cleanup(op, vm);
	return ret;
}

static void tiny_vma_link(struct tiny_vma *vma, struct drm_gpuvm_bo *vm_bo)
{
	struct drm_gem_object *obj = vm_bo->obj;

	guard(mutex)(&obj->gpuva.lock);
	drm_gpuva_link(&vma->base, vm_bo);
}

static int tiny_sm_step_map(struct drm_gpuva_op *op, void *priv)
{
	struct tiny_vm *vm = priv;
	struct tiny_op *top = vm->op;
	struct tiny_vma *vma = tiny_op_take_vma(top);
	int ret;

	if (!vma)
		return -EINVAL;

	vma->prot = top->prot;
	ret = tiny_mmu_map(vm->tdev, op->map.va.addr, op->map.va.range, top->prot);
	if (ret) {
		kfree(vma);
		return ret;
	}

	drm_gpuva_map(&vm->base, &vma->base, &op->map);
	tiny_vma_link(vma, top->vm_bo);

	/* The VA holds its own reference now; this one may be the last. */
	drm_gpuvm_bo_put_deferred(top->vm_bo);
	top->vm_bo = NULL;
	return 0;
}

static int tiny_sm_step_remap(struct drm_gpuva_op *op, void *priv)
{
	struct tiny_vm *vm = priv;
	struct tiny_vma *old = container_of(op->remap.unmap->va, struct tiny_vma, base);
	struct drm_gpuvm_bo *vm_bo = drm_gpuvm_bo_get(op->remap.unmap->va->vm_bo);
	struct tiny_vma *prev = NULL, *next = NULL;
	int ret = 0;

	if (op->remap.prev) {
		prev = tiny_op_take_vma(vm->op);
		if (!prev) {
			ret = -EINVAL;
			goto out_put;
		}
	}
	if (op->remap.next) {
		next = tiny_op_take_vma(vm->op);
		if (!next) {
			kfree(prev);
			ret = -EINVAL;
			goto out_put;
		}
	}

	tiny_mmu_unmap(vm->tdev, old->base.va.addr, old->base.va.range);
	drm_gpuva_remap(prev ? &prev->base : NULL, next ? &next->base : NULL, &op->remap);
	if (prev) {
		prev->prot = old->prot;
		tiny_vma_link(prev, vm_bo);
	}
	if (next) {
		next->prot = old->prot;
		tiny_vma_link(next, vm_bo);
	}
	drm_gpuva_unlink_defer(&old->base);
	kfree(old);

out_put:
	drm_gpuvm_bo_put_deferred(vm_bo);
	return ret;
}

static int tiny_sm_step_unmap(struct drm_gpuva_op *op, void *priv)
{
	struct tiny_vma *vma = container_of(op->unmap.va, struct tiny_vma, base);
	struct tiny_vm *vm = priv;

	tiny_mmu_unmap(vm->tdev, vma->base.va.addr, vma->base.va.range);
	drm_gpuva_unmap(&op->unmap);
	drm_gpuva_unlink_defer(&vma->base);
	kfree(vma);
	return 0;
}

static const struct drm_gpuvm_ops tiny_gpuvm_ops = {
	.vm_free = tiny_vm_free,
	.vm_bo_free = tiny_vm_bo_free,
	.sm_step_map = tiny_sm_step_map,
	.sm_step_remap = tiny_sm_step_remap,
	.sm_step_unmap = tiny_sm_step_unmap,
};

static int tiny_vm_exec_op(struct tiny_vm *vm, struct tiny_op *op)
{
	int ret;

	guard(mutex)(&vm->op_lock);
	vm->op = op;
	if (op->unmap) {
		ret = drm_gpuvm_sm_unmap(&vm->base, vm, op->addr, op->range);
	} else {
		struct drm_gpuvm_map_req req = {
			.map.va.addr = op->addr,
			.map.va.range = op->range,
			.map.gem.obj = op->vm_bo->obj,
			.map.gem.offset = op->bo_offset,
		};

		ret = drm_gpuvm_sm_map(&vm->base, vm, &req);
	}
	vm->op = NULL;
	return ret;
}

static struct dma_fence *tiny_bind_run_job(struct drm_sched_job *sched_job)
{
	struct tiny_bind_job *job = container_of(sched_job, struct tiny_bind_job, base);
	bool cookie = dma_fence_begin_signalling();
	int ret;

	ret = tiny_vm_exec_op(job->vm, &job->op);
	dma_fence_end_signalling(cookie);
	return ret ? ERR_PTR(ret) : NULL;
}

static void tiny_bind_cleanup_work(struct work_struct *work)
{
	struct tiny_bind_job *job = container_of(work, struct tiny_bind_job, cleanup);

	tiny_op_cleanup(&job->op, job->vm);
	drm_gpuvm_put(&job->vm->base);
	kfree(job);
}

static void tiny_bind_free_job(struct drm_sched_job *sched_job)
{
	struct tiny_bind_job *job = container_of(sched_job, struct tiny_bind_job, base);

	drm_sched_job_cleanup(sched_job);
	queue_work(system_unbound_wq, &job->cleanup);
}

static const struct drm_sched_backend_ops tiny_bind_sched_ops = {
	.run_job = tiny_bind_run_job,
	.free_job = tiny_bind_free_job,
};

int tiny_vm_bind_job_create(struct tiny_vm *vm, struct tiny_bo *bo, u64 bo_offset,
			    u64 addr, u64 range, u32 prot, struct drm_sched_job **out)
{
	struct tiny_bind_job *job;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;

	INIT_WORK(&job->cleanup, tiny_bind_cleanup_work);
	ret = tiny_op_prepare_map(&job->op, vm, bo, bo_offset, addr, range, prot);
	if (ret) {
		kfree(job);
		return ret;
	}

	job->vm = vm;
	drm_gpuvm_get(&vm->base);
	*out = &job->base;
	return 0;
}

int tiny_ioctl_vm_bind(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_tiny_vm_bind *args = data;
	struct tiny_file *tfile = file->driver_priv;
	struct drm_sched_job *job;
	struct drm_gem_object *obj;
	int ret;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	ret = tiny_vm_bind_job_create(tfile->vm, to_tiny_bo(obj), args->bo_offset,
				      args->addr, args->range, args->prot, &job);
	if (!ret)
		tiny_queue_job(tfile, job);

	/* The vm_bo holds its own GEM reference. */
	drm_gem_object_put(obj);
	return ret;
}

static const struct drm_ioctl_desc tiny_ioctls[] = {
	DRM_IOCTL_DEF_DRV(TINY_VM_BIND, tiny_ioctl_vm_bind, DRM_RENDER_ALLOW),
};

struct tiny_vm *tiny_vm_create(struct tiny_device *tdev, u64 va_range)
{
	struct drm_gem_object *r_obj;
	struct tiny_vm *vm;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	/* The VM's resv lives in a dummy GEM; the VM keeps its own reference. */
	r_obj = drm_gpuvm_resv_object_alloc(&tdev->drm);
	if (!r_obj) {
		kfree(vm);
		return ERR_PTR(-ENOMEM);
	}

	vm->tdev = tdev;
	mutex_init(&vm->op_lock);
	drm_gpuvm_init(&vm->base, "tiny-vm", DRM_GPUVM_RESV_PROTECTED | DRM_GPUVM_IMMEDIATE_MODE,
		       &tdev->drm, r_obj, 0, va_range, 0, 0, &tiny_gpuvm_ops);
	drm_gem_object_put(r_obj);
	return vm;
}
