/*
 * drm_gpuvm_bo_put_deferred (run_job) against a concurrent
 * drm_gpuvm_bo_deferred_cleanup (a work item) on a RESV_PROTECTED,
 * immediate-mode VM: the concurrent part of
 * examples/scenarios/concurrency/deferred-put-vs-cleanup.gpuvm, one d_step per
 * atomic step of gpuvm-review's explorer, so the two state counts compare.
 *
 * Start: the vm_bo is registered and on the extobj list with refcount 1, and
 * it holds the last GEM reference (the handle was closed) and one VM reference.
 * -DSWAPPED puts the zombie on bo_defer before releasing gpuva.lock, the order
 * the kernel comment in drm_gpuvm_bo_defer_zombie_cleanup() warns against.
 */

byte vmbo_ref = 1;
bool vmbo_zombie;
bool vmbo_freed;
bool on_gem_list = 1;
bool on_extobj = 1;
bool on_defer;
byte gem_ref = 1;
bool gem_freed;
byte vm_ref = 2;
byte gpuva_owner;       /* 0: free, 1: the putting thread, 2: the cleanup */
byte resv_owner;

active proctype put_deferred()
{
	d_step { assert(vmbo_ref == 1) }                  /* kref_put_mutex: refcount_dec_not_one fails: slow path */
	d_step { gpuva_owner == 0 -> gpuva_owner = 1 }    /* mutex_lock(&obj->gpuva.lock) */
	d_step { vmbo_ref--; assert(vmbo_ref == 0) }      /* refcount_dec_and_test */
	d_step { vmbo_zombie = 1; on_gem_list = 0 }       /* drm_gpuvm_bo_into_zombie: stays on extobj */
#ifdef SWAPPED
	d_step { on_defer = 1 }                           /* llist_add(&vm->bo_defer) */
	d_step { assert(!gem_freed); gpuva_owner = 0 }    /* mutex_unlock: not inside a freed GEM */
#else
	d_step { assert(!gem_freed); gpuva_owner = 0 }    /* mutex_unlock: not inside a freed GEM */
	d_step { on_defer = 1 }                           /* llist_add(&vm->bo_defer) */
#endif
end_done:
	false
}

active proctype deferred_cleanup()
{
	bool batch;
	d_step { batch = on_defer; on_defer = 0 }         /* llist_del_all: an empty list ends the cleanup here */
end_empty:
	d_step { batch && resv_owner == 0 -> resv_owner = 2 }   /* dma_resv_lock(vm resv) */
	d_step { on_extobj = 0 }                          /* list_del from extobj/evict */
	d_step { resv_owner = 0 }                         /* dma_resv_unlock */
	d_step { vmbo_freed = 1 }                         /* ops->vm_bo_free */
	d_step { vm_ref-- }                               /* drm_gpuvm_put */
	d_step {                                          /* drm_gem_object_put */
		gem_ref--;
		if
		:: gem_ref == 0 -> gem_freed = 1; assert(gpuva_owner != 1)  /* a mutex freed under its holder */
		:: else
		fi
	}
end_done:
	false
}
