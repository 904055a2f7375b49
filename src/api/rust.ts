// What the Rust GPUVM APIs do, as data: the handle types of each API generation
// and what dropping them means, the methods and functions that map to model
// operations, and the raw `bindings::` C calls of the binding layer itself.
// Adding a kernel helper should mean adding a row here, not a branch in the
// front end.

import type { ObjKind } from '../model/state';

export type ApiGeneration = 'upstream' | 'series' | 'asahi';
export const GENERATIONS: readonly ApiGeneration[] = ['upstream', 'series', 'asahi'];

/**
 * What a Rust value is for GPUVM. Owning classes release something when dropped;
 * view classes (a `&GpuVm<T>`, an `OpMap`) only select methods.
 */
export type ClassId =
  | 'vm_bo' // ARef<GpuVmBo<T>>, GpuVmBoResident<T>, GpuVmBoRegistered<T>: one vm_bo reference
  | 'vm_bo_alloc' // GpuVmBoAlloc<T>: a preallocated vm_bo, refcount one, on no list
  | 'vm_bo_put_deferred_on_drop' // a type of the file whose Drop impl calls drm_gpuvm_bo_put_deferred(self)
  | 'vm_bo_put_on_drop' // a type of the file whose Drop impl calls drm_gpuvm_bo_put(self)
  | 'vm_ref' // ARef<GpuVm<T>>
  | 'vm_unique' // UniqueRefGpuVm<T>, GpuVmCore<T>
  | 'va_alloc' // GpuVaAlloc<T>; Asahi Pin<KBox<GpuVa<T>>>
  | 'va_removed' // GpuVaRemoved<T>
  | 'mutex_guard' | 'spin_guard' | 'gpuva_guard' | 'exec_guard'
  | 'gpuvm' | 'vm_bo_view' | 'va_view' | 'gem_view'
  | 'op_map' | 'op_unmap' | 'op_remap' | 'updating_gpuvm'
  | 'mutex' | 'spinlock';

/**
 * A reference to a key in a recipe: `$self` the handle itself, `$recv` the
 * receiver, `$0`.. the arguments, `$result` the value produced,
 * `$lock`/`$vm`/`$obj` what a guard remembers; a suffix
 * (`$recv.obj`) names a field of it.
 */
export type Ref = string;

export interface OpStep {
  op: string;
  args: Array<{ ref: Ref; kind?: ObjKind | 'lock-name' }>;
  result?: Ref;
  opts?: Record<string, string | boolean>;
  /** How the step reads in traces: "drm_gpuvm_bo_create()". */
  what: string;
}

/** Steps taken on some paths only (the other paths skip them): "if the GEM is an external object". */
export interface MaybeStep {
  maybe: string;
  steps: Step[];
}

/** The call returns Err / None here on the paths where `ref` is NULL (the previous step failed). */
export interface FailStep {
  failIfNull: Ref;
}

/** The call may return Err here, on a path this model cannot tell (an interrupted wait). */
export interface MayFailStep {
  mayFail: string;
}

/** Steps the binding takes only for an immediate-mode VM (the newer Asahi binding locks gpuva.lock itself). */
export interface ImmediateStep {
  ifImmediate: Step[];
}

export type Step = OpStep | MaybeStep | FailStep | MayFailStep | ImmediateStep;

export interface ClassInfo {
  id: ClassId;
  /** The model object a value of this class names (for parameters and keys). */
  kind?: ObjKind;
  /** The value owns something released when it is dropped. */
  owning: boolean;
  guard?: boolean;
  /** What dropping it does, per generation (undefined: nothing GPUVM-relevant). */
  drop?: Partial<Record<ApiGeneration, Step[]>>;
  /** A by-value parameter of this class is a fresh preallocation (refcount one, on no list). */
  detached?: boolean;
  /** Name for messages. */
  what: string;
}

const put = (op: string, what: string): Step[] => [{ op, args: [{ ref: '$self', kind: 'vm_bo' }], what }];
const EVERY = (steps: Step[]): Record<ApiGeneration, Step[]> => ({ upstream: steps, series: steps, asahi: steps });

export const CLASSES: Record<ClassId, ClassInfo> = {
  vm_bo: {
    id: 'vm_bo', kind: 'vm_bo', owning: true, what: 'vm_bo handle',
    drop: {
      upstream: put('bo_put_deferred', 'drm_gpuvm_bo_put_deferred()'),
      series: put('bo_put_deferred', 'drm_gpuvm_bo_put_deferred()'),
      // Asahi's dec_ref: dma_resv_lock(bo resv) + drm_gpuvm_bo_put + dma_resv_unlock.
      asahi: [
        { op: 'resv_lock', args: [{ ref: '$self.obj', kind: 'gem' }], what: 'dma_resv_lock() on the BO resv' },
        { op: 'bo_put', args: [{ ref: '$self', kind: 'vm_bo' }], what: 'drm_gpuvm_bo_put()' },
        { op: 'resv_unlock', args: [{ ref: '$self.obj', kind: 'gem' }], what: 'dma_resv_unlock()' },
      ],
    },
  },
  vm_bo_alloc: { id: 'vm_bo_alloc', kind: 'vm_bo', owning: true, detached: true, what: 'preallocated vm_bo', drop: EVERY(put('bo_put_deferred', 'drm_gpuvm_bo_put_deferred()')) },
  vm_bo_put_deferred_on_drop: {
    id: 'vm_bo_put_deferred_on_drop', kind: 'vm_bo', owning: true, what: 'vm_bo handle (its Drop impl puts it deferred)',
    drop: EVERY(put('bo_put_deferred', 'drm_gpuvm_bo_put_deferred() in its Drop impl')),
  },
  vm_bo_put_on_drop: {
    id: 'vm_bo_put_on_drop', kind: 'vm_bo', owning: true, what: 'vm_bo handle (its Drop impl puts it)',
    drop: EVERY(put('bo_put', 'drm_gpuvm_bo_put() in its Drop impl')),
  },
  vm_ref: { id: 'vm_ref', kind: 'vm', owning: true, what: 'VM reference', drop: EVERY([{ op: 'vm_put', args: [{ ref: '$self', kind: 'vm' }], what: 'drm_gpuvm_put()' }]) },
  vm_unique: { id: 'vm_unique', kind: 'vm', owning: true, what: 'unique VM reference', drop: EVERY([{ op: 'vm_put', args: [{ ref: '$self', kind: 'vm' }], what: 'drm_gpuvm_put()' }]) },
  va_alloc: { id: 'va_alloc', kind: 'va', owning: true, what: 'preallocated VA' },
  va_removed: { id: 'va_removed', kind: 'va', owning: true, what: 'removed VA' },
  mutex_guard: { id: 'mutex_guard', owning: true, guard: true, what: 'mutex guard', drop: EVERY([{ op: 'mutex_unlock', args: [{ ref: '$lock', kind: 'lock-name' }], what: 'mutex unlock' }]) },
  spin_guard: { id: 'spin_guard', owning: true, guard: true, what: 'spinlock guard', drop: EVERY([{ op: 'spin_unlock', args: [{ ref: '$lock', kind: 'lock-name' }], what: 'spin unlock' }]) },
  gpuva_guard: { id: 'gpuva_guard', owning: true, guard: true, what: 'gpuva.lock guard', drop: EVERY([{ op: 'gpuva_unlock', args: [{ ref: '$lock', kind: 'gem' }], what: 'mutex_unlock(&obj->gpuva.lock)' }]) },
  exec_guard: { id: 'exec_guard', kind: 'vm', owning: true, guard: true, what: 'exec lock guard (LockedGpuVm)', drop: EVERY([{ op: 'exec_unlock', args: [], what: 'drm_gpuvm_exec_unlock()' }]) },
  gpuvm: { id: 'gpuvm', kind: 'vm', owning: false, what: 'GPUVM' },
  vm_bo_view: { id: 'vm_bo_view', kind: 'vm_bo', owning: false, what: 'vm_bo' },
  va_view: { id: 'va_view', kind: 'va', owning: false, what: 'VA' },
  gem_view: { id: 'gem_view', kind: 'gem', owning: false, what: 'GEM object' },
  op_map: { id: 'op_map', owning: false, what: 'map operation' },
  op_unmap: { id: 'op_unmap', owning: false, what: 'unmap operation' },
  op_remap: { id: 'op_remap', owning: false, what: 'remap operation' },
  updating_gpuvm: { id: 'updating_gpuvm', kind: 'vm', owning: false, what: 'GPUVM being updated' },
  mutex: { id: 'mutex', owning: false, what: 'mutex' },
  spinlock: { id: 'spinlock', owning: false, what: 'spinlock' },
};

// ---- types -----------------------------------------------------------------------------------

/** Type names that are a class by themselves. */
export const TYPE_CLASSES: Record<string, ClassId> = {
  GpuVmBoResident: 'vm_bo', GpuVmBoRegistered: 'vm_bo', GpuVmBoAlloc: 'vm_bo_alloc',
  UniqueRefGpuVm: 'vm_unique', GpuVmCore: 'vm_unique',
  GpuVaAlloc: 'va_alloc', GpuVaRemoved: 'va_removed',
  GpuVm: 'gpuvm', GpuVmBo: 'vm_bo_view', GpuVa: 'va_view',
  OpMap: 'op_map', OpUnmap: 'op_unmap', OpUnMap: 'op_unmap', OpRemap: 'op_remap', OpReMap: 'op_remap',
  LockedGpuVm: 'exec_guard', UpdatingGpuVm: 'updating_gpuvm',
  MutexGuard: 'mutex_guard', SpinLockGuard: 'spin_guard',
  Mutex: 'mutex', SpinLock: 'spinlock',
};

/**
 * A type of the file (a binding layer's own wrapper) whose Drop impl releases the reference it
 * holds through one of these calls on `self`: values of the type are handles of that class.
 */
export const RELEASING_DROP_CALLS: Record<string, ClassId> = {
  drm_gpuvm_bo_put_deferred: 'vm_bo_put_deferred_on_drop',
  drm_gpuvm_bo_put: 'vm_bo_put_on_drop',
  drm_gpuvm_put: 'vm_ref',
};

/** `ARef<X>`: a counted reference, by what X is. */
export const AREF_OF: Record<string, ClassId> = { GpuVmBo: 'vm_bo', GpuVm: 'vm_ref' };

/** Wrappers that are the value they hold, for GPUVM purposes. */
export const TRANSPARENT_TYPES = new Set(['Option', 'Result', 'Pin', 'NonNull', 'Box', 'KBox', 'VBox', 'KVBox', 'UniqueArc']);

/** `kernel::sync::Guard<'_, T, B>`: the backend says which lock. */
export const GUARD_BACKENDS: Record<string, ClassId> = { MutexBackend: 'mutex_guard', SpinLockBackend: 'spin_guard' };

/**
 * Spellings that make a function worth lowering in full: GPUVM types and methods,
 * locks and guards, raw bindings of the C API, ownership plumbing that can hide
 * a handle. A function without them (and without a name of the file that
 * carries such state) only calls other functions and allocates.
 */
export const FULL_LOWERING_WORDS = /gpuvm|GpuVm|GpuVa|vm_bo|VmBo|obtain|deferred_cleanup|exec_lock|lock_gpuva|sm_map|sm_unmap|sm_step|step_map|step_unmap|step_remap|map_and_link_va|unmap_and_unlink_va|find_bo|bo_unmap|resv|drm_gpuva|drm_exec|dma_fence|mutex_lock|mutex_unlock|ManuallyDrop|forget|\b(?:ARef|KBox|Box|Arc)\s*::\s*(?:from_raw|into_raw|leak)|\.into_raw\(|\.lock\(|try_lock|OpMap|OpUnmap|OpUnMap|OpRemap|OpReMap|\.remap\(|signalling|Guard/;

// ---- API generations -------------------------------------------------------------------------

/** Spellings that identify an API generation (research: gpuvm-rust.md §5), strongest first. */
export const GENERATION_MARKERS: Array<{ gen: ApiGeneration; re: RegExp }> = [
  { gen: 'asahi', re: /\bUpdatingGpuVm\b|\.exec_lock\(|\bobtain_bo\(|\bmap_and_link_va\(|\bunmap_and_unlink_va\(|\bDriverGpuVmBo\b|\bLockedGpuVm\b|\bfn step_map\b/ },
  { gen: 'series', re: /\bGpuVmCore\b|\bGpuVmBoResident\b|\bGpuVmBoRegistered\b|\braw_resv_lock\b/ },
  { gen: 'upstream', re: /\bUniqueRefGpuVm\b|\bGpuVaAlloc\b|\bOpMapRequest\b|\bfn sm_step_(?:map|unmap|remap)\b|\.deferred_cleanup\(|\bGpuVmBo\b|\bDriverGpuVm\b/ },
];

/** The VM mode each generation creates (upstream GpuVm::new always sets both flags; Asahi passes 0). */
export const GENERATION_MODE: Record<ApiGeneration, { immediate: boolean; resvProtected: boolean }> = {
  upstream: { immediate: true, resvProtected: true },
  series: { immediate: true, resvProtected: true },
  asahi: { immediate: false, resvProtected: false },
};

// ---- roles -----------------------------------------------------------------------------------

/** Trait-impl methods that are GPUVM callbacks or signalling-path entry points, by method name. */
export const ROLE_METHODS: Record<string, { role: string; traits?: RegExp }> = {
  sm_step_map: { role: 'sm_step_map', traits: /DriverGpuVm/ },
  sm_step_unmap: { role: 'sm_step_unmap', traits: /DriverGpuVm/ },
  sm_step_remap: { role: 'sm_step_remap', traits: /DriverGpuVm/ },
  step_map: { role: 'sm_step_map', traits: /DriverGpuVm/ },
  step_unmap: { role: 'sm_step_unmap', traits: /DriverGpuVm/ },
  step_remap: { role: 'sm_step_remap', traits: /DriverGpuVm/ },
  run_job: { role: 'run_job' },
  submit: { role: 'submit', traits: /Queue|Job|Sched/ },
};

/**
 * Refcount trait methods whose reference is not the function's own: `inc_ref`
 * takes a reference the caller's new ARef owns (it is handed on at every exit).
 */
export const REFCOUNT_TRAIT_METHODS: Record<string, { trait: RegExp; handsOn: string }> = {
  inc_ref: { trait: /^AlwaysRefCounted$/, handsOn: 'self' },
};

/** `bindings::drm_gpuvm_ops { field: Some(f) }`: the field names the callback role of f. */
export const OPS_TABLE_FIELDS: Record<string, string> = {
  sm_step_map: 'sm_step_map', sm_step_unmap: 'sm_step_unmap', sm_step_remap: 'sm_step_remap',
  vm_bo_free: 'vm_bo_free', vm_free: 'vm_free', vm_bo_alloc: 'vm_bo_alloc', vm_bo_validate: 'vm_bo_validate',
};

/** Guard parameters: the lock the caller holds when the function is entered. */
export const GUARD_PARAM_LOCKS: Partial<Record<ClassId, { lock: 'resv' | 'mutex'; kind?: ObjKind }>> = {
  updating_gpuvm: { lock: 'resv', kind: 'vm' },
  exec_guard: { lock: 'resv', kind: 'vm' },
  mutex_guard: { lock: 'mutex' },
};

// ---- methods ---------------------------------------------------------------------------------

export interface ApiCall {
  /** How it reads: "GpuVm::obtain()". */
  what: string;
  gens?: ApiGeneration[];
  /** Receiver classes it applies to; undefined: any receiver (a distinctive name). */
  on?: ClassId[];
  /** Number of arguments (without the receiver), to tell it from unrelated methods of that name. */
  arity?: number;
  steps: Step[];
  /** The owned handle it produces (inside a Result or Option). */
  returns?: ClassId;
  /** A guard: what it remembers for its drop and its methods. */
  guard?: Record<string, Ref>;
  /** A borrowed view it returns: an accessor, keyed `$recv` + this suffix. */
  view?: { cls?: ClassId; suffix: string };
  /** Argument indexes moved into the API (the caller no longer owns them). */
  moves?: number[];
  /** The value is a raw resv pointer of this VM or GEM. */
  resvOf?: { ref: Ref; kind: 'vm' | 'gem' };
  /** A lock guard: dereferences to the data its receiver (`Mutex<T>`) protects. */
  guardsData?: boolean;
}

const VM_OWNERS: ClassId[] = ['gpuvm', 'vm_ref', 'vm_unique'];
const UP: ApiGeneration[] = ['upstream', 'series'];

/** Methods on GPUVM types. */
export const METHODS: Record<string, ApiCall[]> = {
  obtain: [{
    what: 'GpuVm::obtain()', gens: UP, on: VM_OWNERS, arity: 2, returns: 'vm_bo',
    steps: [
      // One name for the preallocation and the result: obtain_prealloc returns it, or the
      // existing vm_bo after freeing it (the Rust handle never sees the preallocation again).
      { op: 'bo_create', args: [{ ref: '$recv', kind: 'vm' }, { ref: '$0', kind: 'gem' }], result: '$result', what: 'drm_gpuvm_bo_create() (GFP_KERNEL)' },
      { failIfNull: '$result' },
      { op: 'bo_obtain_prealloc', args: [{ ref: '$result', kind: 'vm_bo' }], result: '$result', what: 'drm_gpuvm_bo_obtain_prealloc()' },
      {
        maybe: 'if the GEM is an external object', steps: [
          { op: 'resv_lock', args: [{ ref: '$recv', kind: 'vm' }], what: 'dma_resv_lock() on the VM resv' },
          { op: 'bo_extobj_add', args: [{ ref: '$result', kind: 'vm_bo' }], what: 'drm_gpuvm_bo_extobj_add()' },
          { op: 'resv_unlock', args: [{ ref: '$recv', kind: 'vm' }], what: 'dma_resv_unlock() on the VM resv' },
        ],
      },
    ],
  }],
  deferred_cleanup: [{
    what: 'GpuVm::deferred_cleanup()', gens: UP, arity: 0,
    steps: [{ op: 'bo_deferred_cleanup', args: [{ ref: '$recv', kind: 'vm' }], what: 'drm_gpuvm_bo_deferred_cleanup()' }],
  }],
  raw_resv: [{ what: 'GpuVm::raw_resv()', on: VM_OWNERS, arity: 0, steps: [], resvOf: { ref: '$recv', kind: 'vm' } }],
  // A GEM object's dma_resv (gem::BaseObject::resv()).
  resv: [{ what: 'resv()', on: ['gem_view'], arity: 0, steps: [], resvOf: { ref: '$recv', kind: 'gem' } }],
  raw_resv_lock: [{ what: 'GpuVm::raw_resv_lock()', on: VM_OWNERS, arity: 0, steps: [], resvOf: { ref: '$recv', kind: 'vm' } }],
  lock_gpuva: [{
    what: 'GpuVmBo::lock_gpuva()', gens: UP, arity: 0, guard: { lock: '$recv.obj' },
    returns: 'gpuva_guard',
    steps: [{ op: 'gpuva_lock', args: [{ ref: '$recv.obj', kind: 'gem' }], what: 'mutex_lock(&obj->gpuva.lock)' }],
  },
  // Asahi: lock and unlock are separate calls, on a vm_bo or on the GEM object itself.
  { what: 'GpuVmBo::lock_gpuva()', gens: ['asahi'], on: ['vm_bo', 'vm_bo_view'], arity: 0, steps: [{ op: 'gpuva_lock', args: [{ ref: '$recv.obj', kind: 'gem' }], what: 'mutex_lock(&obj->gpuva.lock)' }] },
  { what: 'Object::lock_gpuva()', gens: ['asahi'], arity: 0, steps: [{ op: 'gpuva_lock', args: [{ ref: '$recv', kind: 'gem' }], what: 'mutex_lock(&obj->gpuva.lock)' }] }],
  unlock_gpuva: [
    { what: 'GpuVmBo::unlock_gpuva()', gens: ['asahi'], on: ['vm_bo', 'vm_bo_view'], arity: 0, steps: [{ op: 'gpuva_unlock', args: [{ ref: '$recv.obj', kind: 'gem' }], what: 'mutex_unlock(&obj->gpuva.lock)' }] },
    { what: 'Object::unlock_gpuva()', gens: ['asahi'], arity: 0, steps: [{ op: 'gpuva_unlock', args: [{ ref: '$recv', kind: 'gem' }], what: 'mutex_unlock(&obj->gpuva.lock)' }] },
  ],
  insert: [{
    what: 'OpMap::insert()', gens: UP, on: ['op_map'], arity: 2, moves: [0],
    steps: [
      { op: 'va_insert', args: [{ ref: '$recv.vm_bo.gpuvm()', kind: 'vm' }, { ref: '$0', kind: 'va' }], what: 'drm_gpuva_map()' },
      { op: 'gpuva_lock', args: [{ ref: '$recv.vm_bo.obj', kind: 'gem' }], what: 'lock_gpuva(): mutex_lock(&obj->gpuva.lock)' },
      { op: 'va_link', args: [{ ref: '$0', kind: 'va' }, { ref: '$recv.vm_bo', kind: 'vm_bo' }], what: 'drm_gpuva_link()' },
      { op: 'gpuva_unlock', args: [{ ref: '$recv.vm_bo.obj', kind: 'gem' }], what: 'mutex_unlock(&obj->gpuva.lock)' },
    ],
  }],
  remove: [{
    what: 'OpUnmap::remove()', gens: UP, on: ['op_unmap'], arity: 0,
    steps: [
      { op: 'va_remove', args: [{ ref: '$recv.va', kind: 'va' }], what: 'drm_gpuva_unmap()' },
      { op: 'va_unlink_defer', args: [{ ref: '$recv.va', kind: 'va' }], what: 'drm_gpuva_unlink_defer()' },
    ],
  }],
  remap: [{
    what: 'OpRemap::remap()', gens: UP, on: ['op_remap'], arity: 3, moves: [0],
    steps: [
      { op: 'va_remap', args: [{ ref: '$recv.va_to_unmap', kind: 'va' }], what: 'drm_gpuva_remap()' },
      { op: 'gpuva_lock', args: [{ ref: '$recv.va_to_unmap.vm_bo.obj', kind: 'gem' }], what: 'lock_gpuva(): mutex_lock(&obj->gpuva.lock)' },
      { op: 'gpuva_unlock', args: [{ ref: '$recv.va_to_unmap.vm_bo.obj', kind: 'gem' }], what: 'drop(gpuva_guard)' },
      { op: 'va_unlink_defer', args: [{ ref: '$recv.va_to_unmap', kind: 'va' }], what: 'drm_gpuva_unlink_defer()' },
    ],
  }],
  sm_map: [
    { what: 'UniqueRefGpuVm::sm_map()', gens: UP, arity: 1, steps: [{ op: 'sm_map', args: [{ ref: '$recv', kind: 'vm' }], what: 'drm_gpuvm_sm_map()' }, { mayFail: 'a step callback fails' }] },
    { what: 'LockedGpuVm::sm_map()', gens: ['asahi'], on: ['exec_guard'], steps: [{ op: 'sm_map', args: [{ ref: '$recv.vm', kind: 'vm' }], what: 'drm_gpuvm_sm_map()' }, { mayFail: 'a step callback fails' }] },
  ],
  sm_unmap: [
    { what: 'UniqueRefGpuVm::sm_unmap()', gens: UP, arity: 3, steps: [{ op: 'sm_unmap', args: [{ ref: '$recv', kind: 'vm' }], what: 'drm_gpuvm_sm_unmap()' }, { mayFail: 'a step callback fails' }] },
    { what: 'LockedGpuVm::sm_unmap()', gens: ['asahi'], on: ['exec_guard'], steps: [{ op: 'sm_unmap', args: [{ ref: '$recv.vm', kind: 'vm' }], what: 'drm_gpuvm_sm_unmap()' }, { mayFail: 'a step callback fails' }] },
  ],
  // Asahi: LockedGpuVm methods, under the exec lock.
  exec_lock: [{
    what: 'GpuVm::exec_lock()', gens: ['asahi'], returns: 'exec_guard', guard: { vm: '$recv', obj: '$0' },
    steps: [
      { mayFail: 'drm_gpuvm_exec_lock() is interrupted' },
      { op: 'exec_lock', args: [{ ref: '$recv', kind: 'vm' }], what: 'drm_gpuvm_exec_lock()' },
      { op: 'exec_prepare_obj', args: [{ ref: '$0', kind: 'gem' }], what: 'drm_exec_lock_obj() on the object' },
    ],
  }],
  obtain_bo: [{
    what: 'LockedGpuVm::obtain_bo()', gens: ['asahi'], arity: 0, returns: 'vm_bo',
    steps: [
      { op: 'bo_obtain', args: [{ ref: '$recv.vm', kind: 'vm' }, { ref: '$recv.obj', kind: 'gem' }], result: '$result', what: 'drm_gpuvm_bo_obtain()' },
      { failIfNull: '$result' },
    ],
  }],
  find_bo: [{
    what: 'LockedGpuVm::find_bo()', gens: ['asahi'], arity: 0, returns: 'vm_bo',
    steps: [
      { op: 'bo_find', args: [{ ref: '$recv.vm', kind: 'vm' }, { ref: '$recv.obj', kind: 'gem' }], result: '$result', what: 'drm_gpuvm_bo_find()' },
      { failIfNull: '$result' },
    ],
  }],
  bo_unmap: [{
    what: 'LockedGpuVm::bo_unmap()', gens: ['asahi'], on: ['exec_guard'],
    steps: [{ op: 'sm_unmap', args: [{ ref: '$recv.vm', kind: 'vm' }], what: 'drm_gpuvm_bo_unmap()' }, { mayFail: 'a step callback fails' }],
  }],
  map_and_link_va: [{
    what: 'OpMap::map_and_link_va()', gens: ['asahi'], arity: 3, moves: [1],
    steps: [
      { op: 'va_insert', args: [{ ref: '$0', kind: 'vm' }, { ref: '$1', kind: 'va' }], what: 'drm_gpuva_insert()' },
      { ifImmediate: [{ op: 'gpuva_lock', args: [{ ref: '$2.obj', kind: 'gem' }], what: 'gpuvmbo.lock_gpuva()' }] },
      { op: 'va_link', args: [{ ref: '$1', kind: 'va' }, { ref: '$2', kind: 'vm_bo' }], what: 'drm_gpuva_link()' },
      { ifImmediate: [{ op: 'gpuva_unlock', args: [{ ref: '$2.obj', kind: 'gem' }], what: 'gpuvmbo.unlock_gpuva()' }] },
    ],
  }],
  unmap_and_unlink_va_defer: [{
    what: 'OpUnMap::unmap_and_unlink_va_defer()', gens: ['asahi'], arity: 0,
    steps: [
      { op: 'va_remove', args: [{ ref: '$recv.va', kind: 'va' }], what: 'drm_gpuva_unmap()' },
      { op: 'va_unlink_defer', args: [{ ref: '$recv.va', kind: 'va' }], what: 'drm_gpuva_unlink_defer()' },
    ],
  }],
  bo_deferred_cleanup: [{
    what: 'GpuVm::bo_deferred_cleanup()', gens: ['asahi'], arity: 0,
    steps: [{ op: 'bo_deferred_cleanup', args: [{ ref: '$recv', kind: 'vm' }], what: 'drm_gpuvm_bo_deferred_cleanup()' }],
  }],
  unmap_and_unlink_va: [{
    what: 'OpUnMap::unmap_and_unlink_va()', gens: ['asahi'], arity: 0,
    steps: [
      { op: 'va_remove', args: [{ ref: '$recv.va', kind: 'va' }], what: 'drm_gpuva_unmap()' },
      { op: 'va_unlink', args: [{ ref: '$recv.va', kind: 'va' }], what: 'drm_gpuva_unlink()' },
    ],
  }],
  // Accessors that lead from one GPUVM object to another (keys follow src/analysis/fields.ts).
  vm_bo: [{ what: 'vm_bo()', arity: 0, steps: [], view: { cls: 'vm_bo_view', suffix: '.vm_bo' } }],
  obj: [{ what: 'obj()', arity: 0, steps: [], view: { cls: 'gem_view', suffix: '.obj' } }],
  object: [{ what: 'object()', gens: ['asahi'], arity: 0, steps: [], view: { cls: 'gem_view', suffix: '.obj' } }],
  gpuvm: [{ what: 'gpuvm()', arity: 0, steps: [], view: { cls: 'gpuvm', suffix: '.gpuvm()' } }],
  va: [{ what: 'va()', on: ['op_unmap'], arity: 0, steps: [], view: { cls: 'va_view', suffix: '.va' } }],
  va_to_unmap: [{ what: 'va_to_unmap()', on: ['op_remap'], arity: 0, steps: [], view: { cls: 'va_view', suffix: '.va_to_unmap' } }],
  unmap: [{ what: 'OpReMap::unmap()', gens: ['asahi'], on: ['op_remap'], arity: 0, steps: [], view: { cls: 'op_unmap', suffix: '.unmap' } }],
  prev_map: [{ what: 'OpReMap::prev_map()', gens: ['asahi'], on: ['op_remap'], arity: 0, steps: [], view: { cls: 'op_map', suffix: '.prev_map' } }],
  next_map: [{ what: 'OpReMap::next_map()', gens: ['asahi'], on: ['op_remap'], arity: 0, steps: [], view: { cls: 'op_map', suffix: '.next_map' } }],
  // GpuVaAlloc::prepare(): the preallocated VA itself, as the raw pointer C inserts.
  prepare: [{ what: 'GpuVaAlloc::prepare()', on: ['va_alloc'], arity: 1, steps: [], view: { cls: 'va_view', suffix: '' } }],
  // Counted references: a clone is a get.
  clone: [
    { what: 'ARef<GpuVmBo>::clone()', on: ['vm_bo'], arity: 0, returns: 'vm_bo', steps: [{ op: 'bo_get', args: [{ ref: '$recv', kind: 'vm_bo' }], result: '$result', what: 'drm_gpuvm_bo_get()' }] },
    { what: 'ARef<GpuVm>::clone()', on: ['vm_ref'], arity: 0, returns: 'vm_ref', steps: [{ op: 'vm_get', args: [{ ref: '$recv', kind: 'vm' }], result: '$result', what: 'drm_gpuvm_get()' }] },
  ],
  // kernel::sync locks.
  lock: [
    { what: 'SpinLock::lock()', on: ['spinlock'], arity: 0, returns: 'spin_guard', guard: { lock: '$recv' }, guardsData: true, steps: [{ op: 'spin_lock', args: [{ ref: '$recv', kind: 'lock-name' }], what: 'spin_lock()' }] },
    { what: 'Mutex::lock()', arity: 0, returns: 'mutex_guard', guard: { lock: '$recv' }, guardsData: true, steps: [{ op: 'mutex_lock', args: [{ ref: '$recv', kind: 'lock-name' }], what: 'mutex_lock()' }] },
  ],
  try_lock: [
    { what: 'Mutex::try_lock()', arity: 0, returns: 'mutex_guard', guard: { lock: '$recv' }, guardsData: true, steps: [{ mayFail: 'the lock is contended' }, { op: 'mutex_lock', args: [{ ref: '$recv', kind: 'lock-name' }], what: 'mutex_trylock()' }] },
  ],
};

/** Methods that return a reference to (or a raw pointer into) their receiver: derefs and casts. */
export const BORROW_METHODS = new Set([
  'as_raw', 'as_ref', 'as_mut', 'get_mut', 'deref', 'deref_mut', 'cast', 'cast_mut', 'cast_const', 'as_ptr', 'as_mut_ptr',
  'borrow', 'borrow_mut', 'as_arc_borrow', 'as_deref', 'as_deref_mut', 'as_pin_mut', 'get_ref',
]);

/** Result/Option plumbing: the value passes through (moved, if it was owned). */
export const PASS_METHODS = new Set([
  'into', 'unwrap', 'expect', 'ok_or', 'ok_or_else', 'map_err', 'inspect_err', 'inspect', 'context', 'ok', 'unwrap_unchecked',
]);

/** Methods on Result/Option whose failure is the caller's early exit (handled like `?`): none; `unwrap` panics. */
export const PANICKING_METHODS = new Set(['unwrap', 'expect', 'unwrap_unchecked']);

/** `x.take()` / `x.replace(y)`: the value moves out of the place and leaves None. */
export const TAKE_METHODS = new Set(['take']);

/** Methods of std and kernel types that borrow their receiver and touch nothing of GPUVM. */
export const STD_METHODS = new Set([
  'iter', 'iter_mut', 'into_iter', 'len', 'is_empty', 'min', 'max', 'clamp', 'abs', 'pow', 'count', 'sum', 'next', 'rev', 'enumerate',
  'checked_add', 'checked_sub', 'checked_mul', 'checked_div', 'saturating_add', 'saturating_sub', 'wrapping_add', 'wrapping_sub',
  'wrapping_neg', 'overflowing_add', 'leading_zeros', 'trailing_zeros', 'count_ones', 'is_power_of_two', 'align_up', 'align_down',
  'contains', 'contains_key', 'starts_with', 'ends_with', 'to_string', 'fmt', 'eq', 'ne', 'cmp', 'partial_cmp', 'copied', 'cloned',
  'collect', 'as_slice', 'as_str', 'as_bytes', 'to_errno', 'to_result', 'is_some', 'is_none', 'is_ok', 'is_err', 'is_null',
  'unwrap_or', 'unwrap_or_default', 'map', 'and_then', 'or_else', 'filter', 'find', 'find_map', 'for_each', 'any', 'all', 'position',
  'zip', 'chain', 'take_while', 'skip', 'step_by', 'first', 'last', 'split_at', 'chunks', 'windows', 'bits', 'contains_flag',
  'store', 'load', 'fetch_add', 'fetch_sub', 'swap', 'compare_exchange', 'as_char_ptr', 'size', 'start', 'end', 'try_from', 'try_into',
  'from', 'default', 'with_capacity', 'push', 'pop', 'extend_from_slice', 'truncate', 'clear', 'resize', 'reserve', 'write_str',
  'dma_address', 'dma_len', 'addr', 'length', 'range', 'gem_offset', 'offset', 'keep', 'is_extobj', 'data', 'data_ref', 'inner',
  'va_start', 'va_length', 'va_range', 'prev', 'is_aligned', 'get_unchecked', 'get_unchecked_mut', 'as_ptr_range', 'to_le', 'to_be',
  'clone', 'map_or', 'map_or_else', 'unwrap_or_else', 'ok_or_else', 'then', 'then_some', 'is_some_and', 'is_ok_and', 'as_slice_mut',
  'split_off', 'extend', 'append', 'retain', 'sort', 'sort_by', 'sort_by_key', 'dedup', 'binary_search', 'get_or_insert_with',
  'entry', 'or_insert', 'keys', 'values', 'values_mut', 'drain', 'write', 'read', 'write_fmt', 'as_usize', 'as_u64',
]);

/** Closures passed to these run before the call returns. */
export const IMMEDIATE_CLOSURE_TAKERS = /^(?:map|map_err|map_or|map_or_else|and_then|or_else|unwrap_or_else|ok_or_else|inspect|inspect_err|then|then_some|for_each|find|find_map|filter|filter_map|any|all|position|fold|retain|from_result|scope|with|with_locked|update|take_while|skip_while|sort_by|sort_by_key|max_by_key|min_by_key|zip|chain)$/;
/** Closures passed to these run later, elsewhere (a workqueue, a callback list). */
export const DEFERRED_CLOSURE_TAKERS = /spawn|queue_work|enqueue|schedule|defer|call_rcu|new_work|init_work|Work|register|add_callback|on_drop|set_callback/i;

// ---- path functions ----------------------------------------------------------------------------

/** `Type::function(...)` calls (generic arguments stripped), by their last two segments. */
export const PATH_CALLS: Record<string, ApiCall[]> = {
  'GpuVaAlloc::new': [{
    what: 'GpuVaAlloc::new()', gens: UP, returns: 'va_alloc',
    steps: [{ op: 'va_alloc', args: [], result: '$result', opts: { gfp: '$gfp0' }, what: 'GpuVaAlloc::new()' }, { failIfNull: '$result' }],
  }],
  'GpuVa::new': [{
    what: 'GpuVa::new()', gens: ['asahi'], returns: 'va_alloc',
    steps: [{ op: 'va_alloc', args: [], result: '$result', opts: { gfp: 'GFP_KERNEL' }, what: 'GpuVa::new() (KBox::try_pin_init, GFP_KERNEL)' }, { failIfNull: '$result' }],
  }],
  'GpuVm::new': [
    {
      what: 'GpuVm::new()', gens: UP, returns: 'vm_unique',
      steps: [
        { mayFail: 'the allocation fails' },
        { op: 'alloc', args: [], opts: { gfp: 'GFP_KERNEL | __GFP_ZERO' }, what: 'KBox::try_pin_init(GFP_KERNEL | __GFP_ZERO)' },
        { op: 'vm_init', args: [{ ref: '$result' }], opts: { immediate: true, resv_protected: true }, what: 'drm_gpuvm_init(DRM_GPUVM_IMMEDIATE_MODE | DRM_GPUVM_RESV_PROTECTED)' },
      ],
    },
    {
      what: 'GpuVm::new()', gens: ['asahi'], returns: 'vm_ref',
      steps: [
        { mayFail: 'the allocation fails' },
        { op: 'alloc', args: [], opts: { gfp: 'GFP_KERNEL' }, what: 'KBox::try_pin_init(GFP_KERNEL)' },
        { op: 'vm_init', args: [{ ref: '$result' }], opts: { staged: true, unprotected: true }, what: 'drm_gpuvm_init(flags 0)' },
      ],
    },
  ],
};

// ---- raw bindings ------------------------------------------------------------------------------

export interface RawBinding {
  op: string;
  /** Per model argument: which C argument, the kind, and a path inside it (`drm_gpuva_unmap(op)` unmaps `op->va`). */
  args: Array<{ from: number; kind?: ObjKind | 'resv' | 'mutex'; path?: string }>;
  /** The call may fail before doing anything (its error code is the caller's to check). */
  failsFirst?: string;
  /** The C call returns the object (bound to the result). */
  result?: boolean;
  opts?: Record<string, string | boolean>;
}

const A = (from: number, kind?: ObjKind | 'resv' | 'mutex', path?: string) => ({ from, ...(kind ? { kind } : {}), ...(path ? { path } : {}) });

/** `bindings::<name>(...)` inside unsafe blocks: the binding layer's own C calls. */
export const RAW_BINDINGS: Record<string, RawBinding> = {
  drm_gpuvm_bo_create: { op: 'bo_create', args: [A(0, 'vm'), A(1, 'gem')], result: true },
  drm_gpuvm_bo_obtain_prealloc: { op: 'bo_obtain_prealloc', args: [A(0, 'vm_bo')], result: true },
  drm_gpuvm_bo_obtain: { op: 'bo_obtain', args: [A(0, 'vm'), A(1, 'gem')], result: true },
  drm_gpuvm_bo_obtain_locked: { op: 'bo_obtain', args: [A(0, 'vm'), A(1, 'gem')], result: true },
  drm_gpuvm_bo_find: { op: 'bo_find', args: [A(0, 'vm'), A(1, 'gem')], result: true },
  drm_gpuvm_bo_get: { op: 'bo_get', args: [A(0, 'vm_bo')], result: true },
  drm_gpuvm_bo_put: { op: 'bo_put', args: [A(0, 'vm_bo')] },
  drm_gpuvm_bo_put_deferred: { op: 'bo_put_deferred', args: [A(0, 'vm_bo')] },
  drm_gpuvm_bo_deferred_cleanup: { op: 'bo_deferred_cleanup', args: [A(0, 'vm')] },
  drm_gpuvm_bo_extobj_add: { op: 'bo_extobj_add', args: [A(0, 'vm_bo')] },
  drm_gpuvm_bo_evict: { op: 'bo_evict', args: [A(0, 'vm_bo')] },
  drm_gpuvm_get: { op: 'vm_get', args: [A(0, 'vm')] },
  drm_gpuvm_put: { op: 'vm_put', args: [A(0, 'vm')] },
  drm_gpuva_map: { op: 'va_insert', args: [A(0, 'vm'), A(1, 'va')] },
  drm_gpuva_insert: { op: 'va_insert', args: [A(0, 'vm'), A(1, 'va')] },
  drm_gpuva_remove: { op: 'va_remove', args: [A(0, 'va')] },
  drm_gpuva_unmap: { op: 'va_remove', args: [A(0, 'va', 'va')] },
  drm_gpuva_remap: { op: 'va_remap', args: [A(2, 'va', 'unmap.va'), A(0, 'va'), A(1, 'va')] },
  drm_gpuva_link: { op: 'va_link', args: [A(0, 'va'), A(1, 'vm_bo')] },
  drm_gpuva_unlink: { op: 'va_unlink', args: [A(0, 'va')] },
  drm_gpuva_unlink_defer: { op: 'va_unlink_defer', args: [A(0, 'va')] },
  drm_gpuvm_sm_map: { op: 'sm_map', args: [A(0, 'vm')] },
  drm_gpuvm_sm_unmap: { op: 'sm_unmap', args: [A(0, 'vm')] },
  drm_gpuvm_bo_unmap: { op: 'sm_unmap', args: [A(0, 'vm', 'vm')] },
  drm_gpuvm_exec_lock: { op: 'exec_lock', args: [A(0, 'vm', 'vm')], failsFirst: 'drm_gpuvm_exec_lock() fails (and unlocks)' },
  drm_gpuvm_exec_unlock: { op: 'exec_unlock', args: [] },
  drm_exec_fini: { op: 'exec_unlock', args: [] },
  drm_exec_init: { op: 'exec_begin', args: [] },
  drm_gpuvm_prepare_vm: { op: 'prepare_vm', args: [A(0, 'vm')] },
  drm_gpuvm_prepare_objects: { op: 'prepare_objects', args: [A(0, 'vm')] },
  drm_exec_lock_obj: { op: 'exec_prepare_obj', args: [A(1, 'gem')] },
  drm_exec_prepare_obj: { op: 'exec_prepare_obj', args: [A(1, 'gem')] },
  drm_gpuvm_validate: { op: 'validate', args: [A(0, 'vm')] },
  drm_gpuvm_resv_add_fence: { op: 'resv_add_fence', args: [A(0, 'vm')] },
  dma_resv_lock: { op: 'resv_lock', args: [A(0, 'resv')] },
  dma_resv_lock_interruptible: { op: 'resv_lock', args: [A(0, 'resv')], opts: { interruptible: true } },
  dma_resv_trylock: { op: 'resv_lock', args: [A(0, 'resv')], opts: { trylock: true } },
  dma_resv_unlock: { op: 'resv_unlock', args: [A(0, 'resv')] },
  // A kernel mutex: obj->gpuva.lock when the path says so, a driver mutex otherwise.
  mutex_lock: { op: 'mutex_lock', args: [A(0, 'mutex')] },
  mutex_unlock: { op: 'mutex_unlock', args: [A(0, 'mutex')] },
  dma_fence_begin_signalling: { op: 'begin_signalling', args: [] },
  dma_fence_end_signalling: { op: 'end_signalling', args: [] },
  dma_fence_wait: { op: 'fence_wait', args: [] },
  dma_fence_wait_timeout: { op: 'fence_wait', args: [] },
  dma_resv_wait_timeout: { op: 'fence_wait', args: [] },
};

/** Fields of the Rust wrappers that are the embedded C struct (`GpuVmBo::inner`, Asahi `GpuVmBo::bo`). */
export const EMBEDDED_C_FIELDS: Partial<Record<ObjKind, string[]>> = {
  vm_bo: ['inner', 'bo'],
  va: ['inner', 'gpuva'],
  vm: ['vm', 'gpuvm', 'inner'],
};

/** `core::mem::drop`, `ManuallyDrop::new` ...: ownership plumbing the front end handles itself. */
export const OWNERSHIP_FUNCTIONS: Record<string, 'drop' | 'forget' | 'manually-drop' | 'take-manual' | 'into-raw' | 'from-raw' | 'identity' | 'aref-from' | 'null'> = {
  drop: 'drop', 'mem::drop': 'drop', 'core::mem::drop': 'drop', 'ManuallyDrop::drop': 'drop',
  'mem::forget': 'forget', 'core::mem::forget': 'forget', forget: 'forget', 'KBox::leak': 'forget', 'Box::leak': 'forget',
  'ManuallyDrop::new': 'manually-drop',
  'ManuallyDrop::take': 'take-manual', 'ManuallyDrop::into_inner': 'take-manual',
  'ARef::into_raw': 'into-raw', 'KBox::into_raw': 'into-raw', 'Box::into_raw': 'into-raw', 'Arc::into_raw': 'into-raw',
  'ARef::from_raw': 'from-raw', 'KBox::from_raw': 'from-raw', 'Box::from_raw': 'from-raw',
  'NonNull::new': 'identity', 'NonNull::new_unchecked': 'identity', 'Pin::new_unchecked': 'identity', 'Pin::into_inner_unchecked': 'identity',
  'Pin::new': 'identity', 'Some': 'identity', 'Ok': 'identity', 'Err': 'identity', 'Opaque::cast_from': 'identity',
  'ARef::from': 'aref-from',
  'ptr::null_mut': 'null', 'ptr::null': 'null', 'core::ptr::null_mut': 'null', 'core::ptr::null': 'null',
  // Error plumbing: the value (and its failure) passes through.
  to_result: 'identity', 'error::to_result': 'identity', from_err_ptr: 'identity', 'error::from_err_ptr': 'identity',
};

/** Reclaiming GFP flags passed to any call mean the call allocates with them. */
export const GFP_ARG = /\b(?:__)?GFP_[A-Z_]+\b/;

/** Resolve an API row for a generation, receiver class and arity. */
export function pickApi(rows: ApiCall[] | undefined, gen: ApiGeneration, recv: ClassId | undefined, arity: number): ApiCall | undefined {
  if (!rows) return undefined;
  for (const r of rows) {
    if (r.gens && !r.gens.includes(gen)) continue;
    if (r.arity !== undefined && r.arity !== arity) continue;
    if (r.on && !(recv && r.on.includes(recv))) continue;
    return r;
  }
  return undefined;
}
