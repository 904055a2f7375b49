// The rule ids are a public contract (tests, settings, suppression comments and
// the JSON/SARIF output use them). Never rename one; add new ones instead.

export type Severity = 'error' | 'warning' | 'info';

export type RuleCategory = 'signalling' | 'mode' | 'deferred' | 'locks' | 'references' | 'rust' | 'concurrency' | 'analysis';

export interface RuleInfo {
  id: string;
  category: RuleCategory;
  severity: Severity;
  title: string;
  /** One paragraph for the documentation page and the hover. */
  description: string;
  /** Where the rule is checked: by the simulation core (any front end), or only by the Rust / C front ends. */
  checkedBy: Array<'model' | 'rust' | 'c' | 'concurrency'>;
}

const R = (id: string, category: RuleCategory, severity: Severity, title: string, description: string,
  checkedBy: RuleInfo['checkedBy'] = ['model']): RuleInfo => ({ id, category, severity, title, description, checkedBy });

export const RULES: readonly RuleInfo[] = [
  R('signalling-alloc', 'signalling', 'error', 'Memory allocation in the DMA-fence signalling path',
    'A GFP_KERNEL (or GFP_NOFS/GFP_NOIO) allocation may enter direct reclaim, and reclaim may wait on the very fence this path must signal. This covers explicit allocations and APIs that allocate: drm_gpuvm_bo_create, drm_gpuvm_bo_obtain(_locked), the *_ops_create helpers, GpuVm::obtain, GpuVaAlloc::new(GFP_KERNEL). Preallocate before the job is queued, or use GFP_NOWAIT/GFP_ATOMIC.'),
  R('signalling-resv-lock', 'signalling', 'error', 'dma_resv lock taken in the DMA-fence signalling path',
    'Drivers call dma_fence_wait() while holding dma_resv locks, so taking any dma_resv inside the signalling critical section can deadlock against the fence being signalled. This covers dma_resv_lock and the APIs that take a resv: drm_exec, drm_gpuvm_prepare_*, drm_gpuvm_exec_lock, drm_gpuvm_bo_deferred_cleanup on a RESV_PROTECTED VM, and a vm_bo_free callback that unpins.'),
  R('signalling-gem-put', 'signalling', 'error', 'Possible final GEM/VM put, or non-deferred vm_bo put, in the signalling path',
    'Dropping the last GEM or VM reference runs free paths that are not signalling-safe, and a non-deferred drm_gpuvm_bo_put/drm_gpuva_unlink may destroy the vm_bo (which needs the VM resv on a RESV_PROTECTED VM and puts the GEM). In immediate mode use drm_gpuvm_bo_put_deferred / drm_gpuva_unlink_defer and clean up later.'),
  R('signalling-fence-wait', 'signalling', 'error', 'Fence wait in the signalling path',
    'Waiting on a fence inside a signalling critical section can wait on the fence this section itself must signal (dma_fence_wait*, dma_resv_wait_timeout).'),
  R('signalling-unbalanced', 'signalling', 'error', 'dma_fence_begin_signalling / end_signalling not paired',
    'Every dma_fence_begin_signalling() needs a dma_fence_end_signalling(cookie) on every path, in the same function, properly nested.'),
  R('deferred-needs-immediate-mode', 'mode', 'error', 'Deferred vm_bo put on a VM without DRM_GPUVM_IMMEDIATE_MODE',
    'drm_gpuvm_bo_put_deferred and drm_gpuva_unlink_defer WARN unless the VM was initialised with DRM_GPUVM_IMMEDIATE_MODE: they take obj->gpuva.lock, which does not protect the GEM\'s gpuva list in staged mode.'),
  R('obtain-mode-mismatch', 'mode', 'error', 'vm_bo obtain variant does not match the VM mode',
    'drm_gpuvm_bo_obtain(_locked) allocates under the gpuva-list lock, which is forbidden in immediate mode (the lock is obj->gpuva.lock, taken in the signalling path). The new drm_gpuvm_bo_obtain_prealloc, which takes obj->gpuva.lock itself, WARNs unless the VM is in immediate mode.'),
  R('create-without-obtain', 'mode', 'error', 'vm_bo from drm_gpuvm_bo_create used without obtain_prealloc',
    'A vm_bo made by drm_gpuvm_bo_create is not on the GEM\'s gpuva list. Linking VAs to it, adding it to the extobj list or handing it out before drm_gpuvm_bo_obtain_prealloc creates a second vm_bo for the same {VM, GEM} pair.'),
  R('deferred-cleanup-missing', 'deferred', 'warning', 'Deferred vm_bo put that no deferred cleanup reaches',
    'A vm_bo whose last reference went through drm_gpuvm_bo_put_deferred / drm_gpuva_unlink_defer (or the drop of a Rust vm_bo handle) stays a zombie on the VM\'s bo_defer list, holding the VM and the GEM, until drm_gpuvm_bo_deferred_cleanup runs. Reported when a path skips the cleanup its function does on its other paths, when the VM\'s last driver reference is dropped with zombies pending, or when nothing ever cleans up. Deferred puts inside the signalling path are the design and are not reported there.'),
  R('deferred-cleanup-under-resv', 'deferred', 'error', 'drm_gpuvm_bo_deferred_cleanup while holding the VM resv',
    'On a RESV_PROTECTED VM drm_gpuvm_bo_deferred_cleanup takes the VM\'s dma_resv itself to take zombies off the extobj/evict lists: calling it with the resv held (inside drm_exec, after drm_gpuvm_prepare_vm) self-deadlocks.'),
  R('extobj-add-without-resv', 'locks', 'error', 'drm_gpuvm_bo_extobj_add without the VM resv',
    'With DRM_GPUVM_RESV_PROTECTED the extobj list is protected by the VM\'s dma_resv, and drm_gpuvm_bo_extobj_add asserts it is held.'),
  R('vm-resv-not-held', 'locks', 'error', 'VM resv not held for an operation that needs it',
    'On a RESV_PROTECTED VM a put that may destroy the vm_bo, drm_gpuvm_prepare_objects and drm_gpuvm_validate touch the extobj/evict lists and assert the VM\'s dma_resv is held.'),
  R('gpuva-list-unlocked', 'locks', 'error', 'GEM gpuva list touched without its lock',
    'link, unlink, find, obtain(_locked) and a put that may destroy the vm_bo change the GEM\'s gpuva list. It is protected by obj->gpuva.lock in immediate mode and by the GEM\'s dma_resv in staged mode (drm_gem_gpuva_assert_lock_held).'),
  R('lock-recursion', 'locks', 'error', 'Lock taken twice on one path',
    'Taking a lock already held on this path self-deadlocks (mutexes and ww-mutexes are not recursive). Includes APIs that lock internally: drm_gpuva_unlink_defer and drm_gpuvm_bo_obtain_prealloc take obj->gpuva.lock, a final drm_gpuvm_bo_put_deferred takes it through kref_put_mutex, deferred cleanup takes the VM resv, and dropping an Asahi vm_bo takes the BO resv.'),
  R('lock-order', 'locks', 'error', 'dma_resv taken, or GEM freed, while holding gpuva.lock',
    'The order is dma_resv first, then obj->gpuva.lock. Taking a dma_resv under gpuva.lock (directly, or in a vm_bo_free callback that unpins) is a lock inversion, and freeing the GEM while holding its gpuva.lock frees a held mutex.'),
  R('alloc-under-gpuva-lock', 'locks', 'error', 'Allocation while holding gpuva.lock',
    'obj->gpuva.lock is taken in the signalling path, so nothing may allocate with reclaim while holding it (drm_gem.h). Covers kmalloc(GFP_KERNEL), drm_gpuvm_bo_create, drm_gpuvm_bo_obtain_locked and drm_gpuvm_bo_unmap_ops_create under the mutex.'),
  R('lock-leak', 'locks', 'error', 'Lock held at function exit, or unlock of a lock not held',
    'A lock still held when the function returns on some path (or an unlock of a lock this path does not hold).'),
  R('vm-bo-leak', 'references', 'error', 'vm_bo reference leaked',
    'A vm_bo reference taken on this path (create, obtain, find, get, clone) is neither released nor handed on: the vm_bo, its GEM and its VM stay alive forever and drm_gpuvm_fini WARNs.'),
  R('vm-bo-double-put', 'references', 'error', 'vm_bo released with no reference left',
    'A put, put_deferred, unlink or drop of a vm_bo when this path holds no reference any more: the refcount underflows or a freed vm_bo is touched.'),
  R('vm-bo-use-after-put', 'references', 'error', 'vm_bo used after its last reference was dropped',
    'The vm_bo was destroyed (or became a zombie) on this path and is used again. Includes the preallocated vm_bo after drm_gpuvm_bo_obtain_prealloc returned an existing one: the preallocation has then been freed.'),
  R('prealloc-already-listed', 'references', 'error', 'obtain_prealloc with a vm_bo already registered or listed',
    'drm_gpuvm_bo_obtain_prealloc requires a fresh vm_bo from drm_gpuvm_bo_create, on no gpuva, extobj or evict list; if an existing vm_bo is found the preallocation is destroyed without list removal.'),
  R('zombie-iteration', 'references', 'error', 'Walking the extobj/evict list without skipping zombies',
    'A vm_bo whose refcount reached zero through a deferred put stays on the extobj/evict lists of a RESV_PROTECTED VM until deferred cleanup. Walkers must skip entries with kref_read() == 0 or use kref_get_unless_zero.'),
  R('va-link-before-insert', 'references', 'error', 'drm_gpuva_link before the VA is inserted',
    'drm_gpuva_link uses va->vm for the lock assertion; a VA must be inserted (drm_gpuva_map/insert/remap) before it is linked.'),
  R('use-after-free', 'references', 'error', 'Object used after it was freed',
    'A VM, GEM or VA is used after its last reference was dropped (or, across threads, a mutex inside a freed GEM is unlocked).'),
  R('gem-resv-not-held', 'locks', 'error', 'drm_gpuvm_bo_evict without the GEM\'s dma_resv',
    'vm_bo->evicted and the evict list entry are protected by the GEM\'s own dma_resv, which drm_gpuvm_bo_evict asserts.'),
  R('sleep-in-atomic', 'locks', 'error', 'Sleeping call in atomic context',
    'A mutex, a dma_resv lock, a vm_bo put (might_sleep) or a GFP_KERNEL allocation while holding a spinlock or in another atomic context.'),
  R('vm-teardown-not-empty', 'references', 'error', 'VM freed while not empty',
    'The VM\'s last reference was dropped while its VA tree, extobj, evict or deferred list still had entries: drm_gpuvm_fini WARNs and the entries leak.'),
  R('unsafe-without-safety-comment', 'rust', 'warning', 'unsafe block or impl without a // SAFETY: comment',
    'Kernel Rust puts a // SAFETY: comment directly before every unsafe block and unsafe impl, explaining why the preconditions hold.', ['rust']),
  R('missing-safety-doc', 'rust', 'warning', 'unsafe fn without a # Safety doc section',
    'Every unsafe fn (including unsafe extern "C" fn) documents its contract in a /// # Safety section.', ['rust']),
  R('invariant-not-justified', 'rust', 'warning', 'Type with # Invariants constructed without an // INVARIANT: comment',
    'Where a type documents # Invariants, the code that constructs it says why they hold in an // INVARIANT: (or // INVARIANTS:) comment.', ['rust']),
  R('deadlock', 'concurrency', 'error', 'Deadlock between threads',
    'Two or more threads wait for each other\'s locks, or one thread waits for a lock it holds.', ['concurrency']),
  R('refcount-race', 'concurrency', 'error', 'Decision taken on a refcount another thread changes',
    'A thread acts on whether its put was the last one (for example to unpin), while another thread holds a transient reference, so the action is skipped or done twice.', ['concurrency']),
  R('analysis-incomplete', 'analysis', 'info', 'Analysis incomplete',
    'The path budget ran out, or part of the function could not be parsed: findings for this function may be missing.', ['rust', 'c']),
] as const;

export type RuleId = string;

export const RULE_BY_ID: ReadonlyMap<string, RuleInfo> = new Map(RULES.map((r) => [r.id, r]));

export function isRuleId(id: string): boolean {
  return RULE_BY_ID.has(id);
}

export function ruleInfo(id: string): RuleInfo {
  const r = RULE_BY_ID.get(id);
  if (!r) throw new Error(`unknown rule id ${id}`);
  return r;
}
