// The operations of the model, as data: their argument kinds, the kernel
// functions they stand for and a one-line summary. The scenario language checks
// arity and kinds against this table, the docs and hovers print it.

import type { ObjKind } from './state';

export type ArgKind = ObjKind | 'resv-owner' | 'lock-name' | 'handle' | 'label';

export interface OpSpec {
  name: string;
  args: ArgKind[];
  /** How many trailing args may be omitted. */
  optional?: number;
  /** The op binds its result to a handle name (`x = op ...`). */
  result?: ObjKind;
  /** Result binding is optional (a pointer the caller may ignore). */
  resultOptional?: boolean;
  /** Accepted key=value / flag options. */
  options?: string[];
  kernel: string[];
  summary: string;
}

const S = (name: string, args: ArgKind[], kernel: string[], summary: string, more: Partial<OpSpec> = {}): OpSpec =>
  ({ name, args, kernel, summary, ...more });

export const OP_SPECS: readonly OpSpec[] = [
  // objects
  S('vm_init', ['label'], ['drm_gpuvm_init', 'GpuVm::new'], 'initialise a VM (refcount 1, owned by the caller)',
    { options: ['resv_protected', 'immediate', 'staged'] }),
  S('vm_declare', ['label'], [], 'a VM that exists outside this code (a parameter or field)',
    { options: ['resv_protected', 'immediate', 'staged'] }),
  S('vm_get', ['vm'], ['drm_gpuvm_get', 'ARef::from(&gpuvm)'], 'take a VM reference'),
  S('vm_put', ['vm'], ['drm_gpuvm_put', 'drop(ARef<GpuVm>)'], 'drop a VM reference; the last one runs drm_gpuvm_fini and vm_free'),
  S('gem_create', ['label', 'vm'], ['drm_gem_object_init', 'drm_gem_shmem_create'], 'create a GEM object (internal: shares the VM resv; external: its own resv)',
    { optional: 1, options: ['internal', 'external'] }),
  S('gem_declare', ['label'], [], 'a GEM object that exists outside this code', { options: ['internal', 'external'] }),
  S('gem_get', ['gem'], ['drm_gem_object_get'], 'take a GEM reference'),
  S('gem_put', ['gem'], ['drm_gem_object_put'], 'drop a GEM reference; the last one frees the GEM'),
  S('gem_pin', ['gem'], ['drm_gem_shmem_pin'], 'pin the GEM\'s pages (takes its resv); panthor gives each vm_bo one pin'),
  S('gem_unpin', ['gem'], ['drm_gem_shmem_unpin'], 'drop a pin (takes the GEM\'s resv)'),
  S('vm_bo_declare', ['vm', 'gem', 'label'], [], 'a vm_bo reference held outside this code (a parameter or field)',
    { optional: 1, options: ['detached', 'owned'] }),
  S('va_declare', ['vm', 'label', 'gem', 'vm_bo'], [], 'a drm_gpuva that exists outside this code', { optional: 2 }),
  S('va_assume_linked', ['va', 'vm_bo'], [], 'an outside drm_gpuva is linked to this vm_bo'),

  // vm_bo lifecycle
  S('bo_create', ['vm', 'gem'], ['drm_gpuvm_bo_create'], 'allocate a vm_bo on no list (refcount 1)', { result: 'vm_bo', options: ['fails'] }),
  S('bo_obtain', ['vm', 'gem'], ['drm_gpuvm_bo_obtain', 'drm_gpuvm_bo_obtain_locked', 'LockedGpuVm::obtain_bo'],
    'find or create + register the vm_bo (allocates under the gpuva-list lock)', { result: 'vm_bo', options: ['fails', 'found', 'created'] }),
  S('bo_obtain_prealloc', ['vm_bo'], ['drm_gpuvm_bo_obtain_prealloc'],
    'register a preallocated vm_bo, or return the existing one and free the preallocation',
    { result: 'vm_bo', options: ['found', 'registered', 'caller_locks', 'self_locks'] }),
  S('bo_find', ['vm', 'gem'], ['drm_gpuvm_bo_find', 'LockedGpuVm::find_bo'], 'look up the vm_bo (+1) or NULL', { result: 'vm_bo', options: ['found', 'missing'] }),
  S('bo_get', ['vm_bo'], ['drm_gpuvm_bo_get', 'ARef::clone'], 'take a vm_bo reference', { result: 'vm_bo', resultOptional: true }),
  S('bo_put', ['vm_bo'], ['drm_gpuvm_bo_put'], 'drop a vm_bo reference; the last one destroys it (needs the gpuva-list lock, and the VM resv if RESV_PROTECTED)',
    { options: ['unpin_if_last'] }),
  S('bo_put_deferred', ['vm_bo'], ['drm_gpuvm_bo_put_deferred', 'drop(ARef<GpuVmBo>)'],
    'drop a vm_bo reference; the last one makes it a zombie on bo_defer (kref_put_mutex takes obj->gpuva.lock)', { options: ['unpin_if_last'] }),
  S('bo_deferred_cleanup', ['vm'], ['drm_gpuvm_bo_deferred_cleanup', 'GpuVm::deferred_cleanup'],
    'free the zombies on bo_defer (takes the VM resv if RESV_PROTECTED)'),
  S('bo_extobj_add', ['vm_bo'], ['drm_gpuvm_bo_extobj_add'], 'put an external object\'s vm_bo on the extobj list'),
  S('bo_evict', ['vm_bo'], ['drm_gpuvm_bo_evict'], 'mark a vm_bo evicted (or not) and move it on/off the evict list', { options: ['evict', 'unevict'] }),
  S('iterate_extobj', ['vm'], ['list_for_each_entry(vm->extobj.list)'], 'walk the extobj list (get_ref: a lockless walk holding a transient kref_get_unless_zero reference on each entry)',
    { options: ['skip_zombies', 'get_ref'] }),
  S('iterate_evict', ['vm'], ['list_for_each_entry(vm->evict.list)'], 'walk the evict list (get_ref: a lockless walk holding a transient kref_get_unless_zero reference on each entry)',
    { options: ['skip_zombies', 'get_ref'] }),
  S('use', ['handle'], [], 'dereference an object (vm_bo->obj, va->vm ...)'),

  // VAs
  S('va_alloc', [], ['kzalloc(sizeof(struct drm_gpuva))', 'GpuVaAlloc::new', 'GpuVa::new'], 'allocate a drm_gpuva', { result: 'va', options: ['gfp', 'fails'] }),
  S('va_free', ['va'], ['kfree(va)'], 'free a drm_gpuva'),
  S('va_insert', ['vm', 'va', 'gem'], ['drm_gpuva_insert', 'drm_gpuva_map', 'OpMap::insert'], 'insert the VA in the VM tree (takes a VM reference)', { optional: 1 }),
  S('va_remove', ['va'], ['drm_gpuva_remove', 'drm_gpuva_unmap'], 'remove the VA from the VM tree (drops a VM reference)'),
  S('va_remap', ['va', 'va', 'va'], ['drm_gpuva_remap'], 'remove the VA and insert prev/next', { optional: 2 }),
  S('va_link', ['va', 'vm_bo'], ['drm_gpuva_link'], 'link the VA to the vm_bo (+1 on the vm_bo)'),
  S('va_unlink', ['va'], ['drm_gpuva_unlink'], 'unlink the VA and drm_gpuvm_bo_put its vm_bo'),
  S('va_unlink_defer', ['va'], ['drm_gpuva_unlink_defer', 'OpUnmap::remove'], 'unlink the VA under obj->gpuva.lock (taken inside) and put its vm_bo deferred'),
  S('sm_map', ['vm'], ['drm_gpuvm_sm_map', 'UniqueRefGpuVm::sm_map'], 'split/merge: runs the driver\'s sm_step callbacks'),
  S('sm_unmap', ['vm'], ['drm_gpuvm_sm_unmap', 'UniqueRefGpuVm::sm_unmap'], 'split/merge unmap: runs the driver\'s sm_step callbacks'),

  // locking and drm_exec
  S('exec_begin', [], ['drm_exec_init'], 'start a drm_exec locking context'),
  S('exec_prepare_obj', ['gem'], ['drm_exec_prepare_obj', 'drm_exec_lock_obj'], 'lock a GEM resv in the drm_exec context'),
  S('prepare_vm', ['vm'], ['drm_gpuvm_prepare_vm'], 'lock the VM resv in the drm_exec context'),
  S('prepare_objects', ['vm'], ['drm_gpuvm_prepare_objects'], 'lock the resv of every external object (needs the VM resv if RESV_PROTECTED)'),
  S('exec_lock', ['vm'], ['drm_gpuvm_exec_lock', 'GpuVm::exec_lock'], 'drm_exec: lock the VM resv and every external object'),
  S('exec_unlock', [], ['drm_exec_fini', 'drm_gpuvm_exec_unlock'], 'release every lock of the drm_exec context'),
  S('validate', ['vm'], ['drm_gpuvm_validate'], 'validate evicted vm_bos (needs the VM resv if RESV_PROTECTED)'),
  S('resv_add_fence', ['vm'], ['drm_gpuvm_resv_add_fence'], 'add a fence to every locked resv'),
  S('resv_lock', ['resv-owner'], ['dma_resv_lock', 'dma_resv_lock_interruptible', 'dma_resv_trylock'], 'lock a dma_resv (the VM\'s or a GEM\'s)',
    { options: ['interruptible', 'trylock'] }),
  S('resv_unlock', ['resv-owner'], ['dma_resv_unlock'], 'unlock a dma_resv'),
  S('gpuva_lock', ['gem'], ['mutex_lock(&obj->gpuva.lock)', 'GpuVmBo::lock_gpuva'], 'take obj->gpuva.lock', { options: ['interruptible', 'trylock'] }),
  S('gpuva_unlock', ['gem'], ['mutex_unlock(&obj->gpuva.lock)'], 'release obj->gpuva.lock'),
  S('mutex_lock', ['lock-name'], ['mutex_lock', 'Mutex::lock'], 'take a driver mutex', { options: ['interruptible', 'trylock'] }),
  S('mutex_unlock', ['lock-name'], ['mutex_unlock'], 'release a driver mutex'),
  S('spin_lock', ['lock-name'], ['spin_lock'], 'take a spinlock (atomic context)'),
  S('spin_unlock', ['lock-name'], ['spin_unlock'], 'release a spinlock'),

  // context
  S('begin_signalling', [], ['dma_fence_begin_signalling'], 'enter the DMA-fence signalling critical path'),
  S('end_signalling', [], ['dma_fence_end_signalling'], 'leave the DMA-fence signalling critical path'),
  S('alloc', [], ['kmalloc', 'kzalloc', 'KBox::new'], 'allocate memory', { options: ['gfp', 'fails'] }),
  S('fence_wait', [], ['dma_fence_wait', 'dma_resv_wait_timeout'], 'wait on a fence'),

  // ownership bookkeeping
  S('hand_on', ['handle'], [], 'hand the references held through this handle to someone else (stored, returned, moved)', { options: ['count'] }),
  S('forget', ['handle'], ['core::mem::forget', 'ManuallyDrop::new'], 'forget a handle without releasing its reference'),
  S('alias', ['label', 'handle'], [], 'make a second name for the same object'),
  S('unbind', ['label'], [], 'the handle is now NULL (or an ERR_PTR)', { options: ['err'] }),
];

export const OP_BY_NAME: ReadonlyMap<string, OpSpec> = new Map(OP_SPECS.map((s) => [s.name, s]));

/** One operation applied to the model. Arguments are handle names. */
export interface Op {
  op: string;
  args: string[];
  /** Name to bind the result to. */
  result?: string;
  /** Options: flags and key=value pairs (gfp=GFP_KERNEL, found, fails, ...). */
  opts?: Record<string, string | boolean>;
  /** Opaque tag of where the op comes from (a scenario line, an IR node): findings point there. */
  origin?: string;
  /** How the op reads in the source ("drm_gpuvm_bo_put(op_ctx->map.vm_bo)"), for messages. */
  label?: string;
}
