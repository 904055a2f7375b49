// The C side of GPUVM and its neighbours (GEM, dma_resv, drm_exec, dma_fence,
// the allocators), as data: which model operation each kernel function stands
// for, how its arguments and its return value are read. Adding a kernel helper
// means adding a row here; the lowering has no per-function logic.

import type { ObjKind } from '../model/state';

/** How a C argument is read. */
export type CArgRead =
  /** A handle of that kind (`&vma->base`, `op_ctx->map.vm_bo`). */
  | ObjKind
  /** A `struct dma_resv *`: its owner is the VM (`drm_gpuvm_resv(vm)`) or a GEM (`obj->resv`). */
  | 'resv'
  /** A `struct mutex *`: `&obj->gpuva.lock` or a driver mutex. */
  | 'lock'
  /** A spinlock (any flavour): atomic context while held. */
  | 'spinlock';

export interface CArg {
  /** 0-based C argument index; -1: no C argument, the objects the call works on are not named. */
  from: number;
  read: CArgRead;
  /** The handle is a field of the argument (`&op->unmap` -> `op->unmap.va`). */
  field?: string;
}

/** What the C return value tells. */
export type CResult =
  /** A handle of the op's result kind; the failure shape follows `fails`. */
  | 'handle'
  /** int: 0 on success, a negative errno on failure. */
  | 'errno'
  /** bool: true on success (trylock). */
  | 'true-on-success'
  /** bool: true when this put dropped the last reference. */
  | 'true-if-last';

export interface CApi {
  /** Model operation (src/model/ops.ts). */
  op: string;
  args: CArg[];
  result?: CResult;
  /** How a failed call shows in a pointer result: NULL or an ERR_PTR. */
  fails?: 'null' | 'err';
  /** Index of the gfp_t argument of an allocation; absent: the function always uses GFP_KERNEL. */
  gfp?: number;
  opts?: Record<string, string | boolean>;
  /** The drm_exec context argument of a call that starts one: a local context must be finished before returning. */
  execCtx?: number;
  /** A bool argument that selects an option: drm_gpuvm_bo_evict(vm_bo, evict). */
  flagArg?: { from: number; ifTrue: string; ifFalse: string };
  /** Options that hold in the driver-list-lock generation (see GPUVA_LOCK_REGISTRAR). */
  driverListLockOpts?: Record<string, string | boolean>;
}

const a = (from: number, read: CArgRead, field?: string): CArg => ({ from, read, ...(field ? { field } : {}) });
const alloc = (gfp?: number, fails: 'null' | 'err' = 'null'): CApi => ({ op: 'alloc', args: [], fails, ...(gfp === undefined ? {} : { gfp }) });

/** Functions that are one model operation each. */
export const C_API: Readonly<Record<string, CApi>> = {
  // VM and GEM references
  drm_gpuvm_get: { op: 'vm_get', args: [a(0, 'vm')] },
  drm_gpuvm_put: { op: 'vm_put', args: [a(0, 'vm')] },
  drm_gem_object_get: { op: 'gem_get', args: [a(0, 'gem')] },
  drm_gem_object_put: { op: 'gem_put', args: [a(0, 'gem')] },

  // vm_bo lifecycle
  drm_gpuvm_bo_create: { op: 'bo_create', args: [a(0, 'vm'), a(1, 'gem')], result: 'handle', fails: 'null' },
  drm_gpuvm_bo_obtain: { op: 'bo_obtain', args: [a(0, 'vm'), a(1, 'gem')], result: 'handle', fails: 'err' },
  drm_gpuvm_bo_obtain_locked: { op: 'bo_obtain', args: [a(0, 'vm'), a(1, 'gem')], result: 'handle', fails: 'err' },
  // Locks obj->gpuva.lock itself on current kernels; the caller held the GEM's list lock before.
  drm_gpuvm_bo_obtain_prealloc: { op: 'bo_obtain_prealloc', args: [a(0, 'vm_bo')], result: 'handle', driverListLockOpts: { caller_locks: true } },
  drm_gpuvm_bo_find: { op: 'bo_find', args: [a(0, 'vm'), a(1, 'gem')], result: 'handle', fails: 'null' },
  drm_gpuvm_bo_get: { op: 'bo_get', args: [a(0, 'vm_bo')], result: 'handle' },
  drm_gpuvm_bo_put: { op: 'bo_put', args: [a(0, 'vm_bo')], result: 'true-if-last' },
  drm_gpuvm_bo_put_deferred: { op: 'bo_put_deferred', args: [a(0, 'vm_bo')], result: 'true-if-last' },
  drm_gpuvm_bo_deferred_cleanup: { op: 'bo_deferred_cleanup', args: [a(0, 'vm')] },
  drm_gpuvm_bo_extobj_add: { op: 'bo_extobj_add', args: [a(0, 'vm_bo')] },
  drm_gpuvm_bo_evict: { op: 'bo_evict', args: [a(0, 'vm_bo')], flagArg: { from: 1, ifTrue: 'evict', ifFalse: 'unevict' } },

  // VAs
  drm_gpuva_insert: { op: 'va_insert', args: [a(0, 'vm'), a(1, 'va')], result: 'errno' },
  drm_gpuva_map: { op: 'va_insert', args: [a(0, 'vm'), a(1, 'va')] },
  drm_gpuva_remove: { op: 'va_remove', args: [a(0, 'va')] },
  drm_gpuva_unmap: { op: 'va_remove', args: [a(0, 'va', 'va')] },
  drm_gpuva_remap: { op: 'va_remap', args: [a(2, 'va', 'unmap.va'), a(0, 'va'), a(1, 'va')] },
  drm_gpuva_link: { op: 'va_link', args: [a(0, 'va'), a(1, 'vm_bo')] },
  drm_gpuva_unlink: { op: 'va_unlink', args: [a(0, 'va')] },
  drm_gpuva_unlink_defer: { op: 'va_unlink_defer', args: [a(0, 'va')] },
  drm_gpuvm_sm_map: { op: 'sm_map', args: [a(0, 'vm')], result: 'errno' },
  drm_gpuvm_sm_unmap: { op: 'sm_unmap', args: [a(0, 'vm')], result: 'errno' },

  // drm_exec and the GPUVM helpers built on it
  drm_exec_init: { op: 'exec_begin', args: [], execCtx: 0 },
  drm_exec_prepare_obj: { op: 'exec_prepare_obj', args: [a(1, 'gem')], result: 'errno' },
  drm_exec_lock_obj: { op: 'exec_prepare_obj', args: [a(1, 'gem')], result: 'errno' },
  drm_exec_unlock_obj: { op: 'resv_unlock', args: [a(1, 'gem')] },
  drm_exec_fini: { op: 'exec_unlock', args: [] },
  drm_gpuvm_prepare_vm: { op: 'prepare_vm', args: [a(0, 'vm')], result: 'errno' },
  drm_gpuvm_prepare_objects: { op: 'prepare_objects', args: [a(0, 'vm')], result: 'errno' },
  drm_gpuvm_exec_lock: { op: 'exec_lock', args: [a(0, 'vm', 'vm')], result: 'errno', execCtx: 0 },
  drm_gpuvm_exec_lock_array: { op: 'exec_lock', args: [a(0, 'vm', 'vm')], result: 'errno', execCtx: 0 },
  drm_gpuvm_exec_lock_range: { op: 'exec_lock', args: [a(0, 'vm', 'vm')], result: 'errno', execCtx: 0 },
  drm_gpuvm_exec_unlock: { op: 'exec_unlock', args: [] },
  drm_gpuvm_validate: { op: 'validate', args: [a(0, 'vm')], result: 'errno' },
  drm_gpuvm_exec_validate: { op: 'validate', args: [a(0, 'vm', 'vm')], result: 'errno' },
  drm_gpuvm_resv_add_fence: { op: 'resv_add_fence', args: [a(0, 'vm')] },
  drm_gpuvm_exec_resv_add_fence: { op: 'resv_add_fence', args: [a(0, 'vm', 'vm')] },

  // dma_resv
  dma_resv_lock: { op: 'resv_lock', args: [a(0, 'resv')], result: 'errno' },
  dma_resv_lock_slow: { op: 'resv_lock', args: [a(0, 'resv')] },
  dma_resv_lock_interruptible: { op: 'resv_lock', args: [a(0, 'resv')], result: 'errno', opts: { interruptible: true } },
  dma_resv_lock_slow_interruptible: { op: 'resv_lock', args: [a(0, 'resv')], result: 'errno', opts: { interruptible: true } },
  dma_resv_trylock: { op: 'resv_lock', args: [a(0, 'resv')], result: 'true-on-success', opts: { trylock: true } },
  dma_resv_unlock: { op: 'resv_unlock', args: [a(0, 'resv')] },
  ttm_bo_reserve: { op: 'resv_lock', args: [a(0, 'gem')], result: 'errno', opts: { interruptible: true } },
  ttm_bo_unreserve: { op: 'resv_unlock', args: [a(0, 'gem')] },

  // mutexes (obj->gpuva.lock or a driver mutex) and semaphores
  mutex_lock: { op: 'mutex_lock', args: [a(0, 'lock')] },
  mutex_lock_nested: { op: 'mutex_lock', args: [a(0, 'lock')] },
  mutex_lock_interruptible: { op: 'mutex_lock', args: [a(0, 'lock')], result: 'errno', opts: { interruptible: true } },
  mutex_lock_killable: { op: 'mutex_lock', args: [a(0, 'lock')], result: 'errno', opts: { interruptible: true } },
  mutex_trylock: { op: 'mutex_lock', args: [a(0, 'lock')], result: 'true-on-success', opts: { trylock: true } },
  mutex_unlock: { op: 'mutex_unlock', args: [a(0, 'lock')] },
  down_read: { op: 'mutex_lock', args: [a(0, 'lock')] },
  down_write: { op: 'mutex_lock', args: [a(0, 'lock')] },
  down_read_interruptible: { op: 'mutex_lock', args: [a(0, 'lock')], result: 'errno', opts: { interruptible: true } },
  down_write_killable: { op: 'mutex_lock', args: [a(0, 'lock')], result: 'errno', opts: { interruptible: true } },
  down_read_killable: { op: 'mutex_lock', args: [a(0, 'lock')], result: 'errno', opts: { interruptible: true } },
  down_read_trylock: { op: 'mutex_lock', args: [a(0, 'lock')], result: 'true-on-success', opts: { trylock: true } },
  down_write_trylock: { op: 'mutex_lock', args: [a(0, 'lock')], result: 'true-on-success', opts: { trylock: true } },
  up_read: { op: 'mutex_unlock', args: [a(0, 'lock')] },
  up_write: { op: 'mutex_unlock', args: [a(0, 'lock')] },

  // spinlocks
  spin_lock: { op: 'spin_lock', args: [a(0, 'spinlock')] },
  spin_lock_irq: { op: 'spin_lock', args: [a(0, 'spinlock')] },
  spin_lock_irqsave: { op: 'spin_lock', args: [a(0, 'spinlock')] },
  spin_lock_bh: { op: 'spin_lock', args: [a(0, 'spinlock')] },
  raw_spin_lock: { op: 'spin_lock', args: [a(0, 'spinlock')] },
  raw_spin_lock_irqsave: { op: 'spin_lock', args: [a(0, 'spinlock')] },
  spin_unlock: { op: 'spin_unlock', args: [a(0, 'spinlock')] },
  spin_unlock_irq: { op: 'spin_unlock', args: [a(0, 'spinlock')] },
  spin_unlock_irqrestore: { op: 'spin_unlock', args: [a(0, 'spinlock')] },
  spin_unlock_bh: { op: 'spin_unlock', args: [a(0, 'spinlock')] },
  raw_spin_unlock: { op: 'spin_unlock', args: [a(0, 'spinlock')] },
  raw_spin_unlock_irqrestore: { op: 'spin_unlock', args: [a(0, 'spinlock')] },

  // the DMA-fence signalling annotations and fence waits
  dma_fence_begin_signalling: { op: 'begin_signalling', args: [] },
  dma_fence_end_signalling: { op: 'end_signalling', args: [] },
  dma_fence_wait: { op: 'fence_wait', args: [] },
  dma_fence_wait_timeout: { op: 'fence_wait', args: [] },
  dma_fence_wait_any_timeout: { op: 'fence_wait', args: [] },
  dma_fence_default_wait: { op: 'fence_wait', args: [] },
  dma_resv_wait_timeout: { op: 'fence_wait', args: [] },

  // allocators that GPUVM owns
  drm_gpuvm_resv_object_alloc: alloc(undefined, 'null'),
  drm_gpuvm_sm_map_ops_create: alloc(undefined, 'err'),
  drm_gpuvm_sm_unmap_ops_create: alloc(undefined, 'err'),
  drm_gpuvm_madvise_ops_create: alloc(undefined, 'err'),
  drm_gpuvm_prefetch_ops_create: alloc(undefined, 'err'),
  drm_gpuvm_bo_unmap_ops_create: alloc(undefined, 'err'),
  // these lock the resv of every GEM the request touches, through drm_exec
  drm_gpuvm_sm_map_exec_lock: { op: 'exec_prepare_obj', args: [a(-1, 'gem')], result: 'errno' },
  drm_gpuvm_sm_unmap_exec_lock: { op: 'exec_prepare_obj', args: [a(-1, 'gem')], result: 'errno' },
  drm_gpuvm_prepare_range: { op: 'exec_prepare_obj', args: [a(-1, 'gem')], result: 'errno' },

  // the kernel allocators, by the position of their gfp_t argument
  kmalloc: alloc(1), kzalloc: alloc(1), kcalloc: alloc(2), kmalloc_array: alloc(2), krealloc: alloc(2),
  kvmalloc: alloc(1), kvzalloc: alloc(1), kvcalloc: alloc(2), kvmalloc_array: alloc(2),
  kmalloc_node: alloc(1), kzalloc_node: alloc(1),
  kmem_cache_alloc: alloc(1), kmem_cache_zalloc: alloc(1), kmem_cache_alloc_bulk: alloc(1),
  kmemdup: alloc(2), kstrdup: alloc(1), kasprintf: alloc(0), mempool_alloc: alloc(1),
  alloc_page: alloc(0), alloc_pages: alloc(0), __get_free_page: alloc(0), __get_free_pages: alloc(0),
  vmalloc: alloc(), vzalloc: alloc(), dma_alloc_coherent: alloc(3),
  sg_alloc_table: alloc(2), sg_alloc_table_from_pages_segment: alloc(6),
  idr_alloc: alloc(4), xa_alloc: alloc(4), xa_alloc_cyclic: alloc(5), xa_store: alloc(3),
  dma_fence_chain_alloc: alloc(),
};

/** Allocators whose result, stored in a drm_gpuva (or a driver VA that embeds one), is a new VA. */
export const VA_ALLOCATORS: ReadonlySet<string> = new Set(['kmalloc', 'kzalloc', 'kmem_cache_alloc', 'kmem_cache_zalloc', 'kvmalloc', 'kvzalloc']);

/** Freeing functions: which argument they free (a VA when its declared type is one). */
export const VA_FREERS: Readonly<Record<string, number>> = { kfree: 0, kvfree: 0, kmem_cache_free: 1 };

/**
 * Functions that take a GEM's dma_resv inside and release it before returning
 * (pinning and page allocation of shmem GEMs): lowered as a lock and an unlock
 * of that resv, so a vm_bo_free callback that unpins is known to take it.
 */
export const RESV_TAKERS: Readonly<Record<string, number>> = {
  drm_gem_shmem_pin: 0,
  drm_gem_shmem_unpin: 0,
  drm_gem_shmem_get_pages_sgt: 0,
  drm_gem_pin: 0,
  drm_gem_unpin: 0,
  drm_gem_vmap_unlocked: 0,
  drm_gem_vunmap_unlocked: 0,
};

/** Accessors that yield a dma_resv: whose, and which argument names the owner. */
export const RESV_ACCESSORS: Readonly<Record<string, { owner: 'vm' | 'gem'; arg: number }>> = {
  drm_gpuvm_resv: { owner: 'vm', arg: 0 },
  xe_vm_resv: { owner: 'vm', arg: 0 },
};

/** Accessors that yield a GEM object tied to the VM: its resv is the VM's. */
export const VM_RESV_GEMS: Readonly<Record<string, number>> = {
  drm_gpuvm_resv_obj: 0,
};

/**
 * Lock assertions: facts about the caller when they open a function.
 * `list` is the lock that protects a GEM's gpuva list, which depends on the mode.
 */
/**
 * Before DRM_GPUVM_IMMEDIATE_MODE and obj->gpuva.lock, a driver could protect
 * each GEM's gpuva list with a mutex of its own, registered where the GEM is
 * created: drm_gem_gpuva_set_lock(obj, &bo->lock). In that API generation the
 * registered mutex is the gpuva list lock whatever the VM's flags, and
 * drm_gpuvm_bo_obtain_prealloc() expected its caller to hold it. The
 * registration is usually in another file than the GPUVM calls, so it is a
 * fact of the whole program (the member name of the registered mutex).
 */
export const GPUVA_LOCK_REGISTRAR = { name: 'drm_gem_gpuva_set_lock', gem: 0, lock: 1, fact: 'gpuva_lock_members' } as const;

export const ASSERTIONS: Readonly<Record<string, { lock: 'resv' | 'lock' | 'list' | 'vm-resv'; arg: number }>> = {
  lockdep_assert_held: { lock: 'lock', arg: 0 },
  lockdep_assert_held_write: { lock: 'lock', arg: 0 },
  lockdep_assert_held_read: { lock: 'lock', arg: 0 },
  lockdep_assert_held_once: { lock: 'lock', arg: 0 },
  dma_resv_assert_held: { lock: 'resv', arg: 0 },
  drm_gpuvm_resv_assert_held: { lock: 'vm-resv', arg: 0 },
  /** drm_gem_gpuva_assert_lock_held(gpuvm, obj) on current kernels, (obj) on older ones: the GEM is the last argument. */
  drm_gem_gpuva_assert_lock_held: { lock: 'list', arg: -1 },
  xe_vm_assert_held: { lock: 'vm-resv', arg: 0 },
};

/**
 * kref puts that call a release function when the count drops to zero
 * (`release` is its argument index); kref_put_mutex / kref_put_lock take the
 * given lock first and call the release with it held.
 */
export const KREF_PUTS: Readonly<Record<string, { release: number; lock?: number; spin?: boolean }>> = {
  kref_put: { release: 1 },
  kref_put_mutex: { release: 1, lock: 2 },
  kref_put_lock: { release: 1, lock: 2, spin: true },
};

/** Wrappers whose value is their argument's (look through them for keys and conditions). */
export const TRANSPARENT: Readonly<Record<string, number>> = {
  likely: 0, unlikely: 0, READ_ONCE: 0, WARN_ON: 0, WARN_ON_ONCE: 0, BUG_ON: 0,
  drm_WARN_ON: 1, drm_WARN_ON_ONCE: 1, XE_WARN_ON: 0, XE_IOCTL_DBG: 1,
};

/** Pointer conversions (container_of and the driver's to_*() helpers) keep the object's identity. */
export function isConversion(name: string): boolean {
  return name === 'container_of' || name === 'container_of_const' || /^to_\w+$/.test(name) || /^\w+_to_\w+$/.test(name);
}

/** Iterator macros: `list_for_each_entry(...) { }` and friends are loops. */
export function isIteratorMacro(name: string): boolean {
  return /(^|_)for_each(_|$)|foreach/.test(name);
}

/** drm_exec's retry loop always runs its body at least once. */
export const EXEC_LOOP = 'drm_exec_until_all_locked';

/** Cleanup-scoped locks: `guard(T)(&l);` and `scoped_guard(T, &l) { }`, by lock type. */
export function guardLockKind(type: string): 'lock' | 'spinlock' | undefined {
  if (/^(mutex|rwsem_read|rwsem_write|mutex_intr)$/.test(type)) return 'lock';
  if (/spinlock|raw_spinlock/.test(type)) return 'spinlock';
  return undefined;
}

/** Callback tables: struct type -> field -> role. */
export const OPS_TABLES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  drm_gpuvm_ops: {
    sm_step_map: 'sm_step_map', sm_step_remap: 'sm_step_remap', sm_step_unmap: 'sm_step_unmap',
    vm_bo_free: 'vm_bo_free', vm_free: 'vm_free', vm_bo_validate: 'vm_bo_validate', vm_bo_alloc: 'vm_bo_alloc',
  },
  drm_sched_backend_ops: { run_job: 'run_job', free_job: 'free_job' },
};

/** Functions that register a callback: which argument, and the role it gets. */
export const CALLBACK_REGISTRARS: Readonly<Record<string, { arg: number; role: string }>> = {
  INIT_WORK: { arg: 1, role: 'work' },
  INIT_DELAYED_WORK: { arg: 1, role: 'work' },
  DRM_IOCTL_DEF_DRV: { arg: 1, role: 'ioctl' },
  request_irq: { arg: 1, role: 'irq' },
  devm_request_irq: { arg: 2, role: 'irq' },
  request_threaded_irq: { arg: 1, role: 'irq' },
};

/** drm_gpuvm_init(gpuvm, name, flags, ...): the flags argument. */
export const VM_INIT = { name: 'drm_gpuvm_init', flags: 2 };

/**
 * Types whose objects are GPUVM objects: the core structs, and the wrappers of
 * the drivers that embed one (a wrapper found in the reviewed file is
 * recognised by its members instead).
 */
export const HANDLE_TYPES: Readonly<Record<string, ObjKind>> = {
  drm_gpuvm: 'vm', drm_gpuvm_bo: 'vm_bo', drm_gem_object: 'gem', drm_gpuva: 'va',
  drm_gem_shmem_object: 'gem', ttm_buffer_object: 'gem', drm_gem_dma_object: 'gem',
  panthor_gem_object: 'gem', xe_bo: 'gem', nouveau_bo: 'gem', msm_gem_object: 'gem', pvr_gem_object: 'gem',
  xe_vm: 'vm', xe_vma: 'va', nouveau_uvma: 'va', msm_gem_vm: 'vm', msm_gem_vma: 'va',
};

/** The names of every C function the table knows (the text prefilter looks for them). */
export function knownCFunctionNames(): string[] {
  return [
    ...Object.keys(C_API), ...Object.keys(RESV_TAKERS), ...Object.keys(RESV_ACCESSORS), ...Object.keys(VM_RESV_GEMS),
    ...Object.keys(ASSERTIONS), ...Object.keys(KREF_PUTS), EXEC_LOOP, 'guard', 'scoped_guard', VM_INIT.name,
  ];
}
