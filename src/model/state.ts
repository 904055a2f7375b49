// The GPUVM object graph as the simulation sees it. Everything here is plain,
// JSON-serialisable data: states are hashed for de-duplication, copied for
// branching, and drawn by the webview.

/** A fact the simulation may not know: undefined means "unknown". */
export type Tri = boolean | undefined;

/**
 * A reference count. `n` counts the references the simulation knows exist;
 * `extra` says others may exist that it cannot see (an object that came from a
 * caller, a field, or a lookup). A put with n == 1 and extra set "may be the
 * last"; one with n == 1 and extra clear "is the last".
 */
export interface Refs {
  n: number;
  extra: boolean;
}

export interface VmObj {
  kind: 'vm';
  id: string;
  label: string;
  resvProtected: Tri;
  immediateMode: Tri;
  state: 'live' | 'freed';
  refs: Refs;
  /** vm_bo ids on vm->extobj.list, vm->evict.list and vm->bo_defer. */
  extobj: string[];
  evict: string[];
  deferred: string[];
  /** Inserted drm_gpuva ids (the VA tree). */
  vas: string[];
  /** False for a VM the simulation did not create: its lists may hold entries it cannot see. */
  listsKnown: boolean;
}

export interface GemObj {
  kind: 'gem';
  id: string;
  label: string;
  /** The VM whose resv this GEM shares when internal (VM-private). */
  vm?: string;
  /** internal: obj->resv == drm_gpuvm_resv(vm). false: external object with its own resv. */
  internal: Tri;
  state: 'live' | 'freed';
  refs: Refs;
  /** obj->gpuva.list: the vm_bos of this GEM (zombies are not on it). */
  vmBos: string[];
  listKnown: boolean;
  /** known: made by this simulation; unknown: may be the same object as another unknown GEM. */
  identity: 'known' | 'unknown';
  /** drm_gem_shmem_pin count, once something pinned it (absent: pins are not tracked for this GEM). */
  pins?: number;
}

export type VmBoState = 'detached' | 'registered' | 'zombie' | 'freed';

export interface VmBoObj {
  kind: 'vm_bo';
  id: string;
  label: string;
  vm: string;
  gem: string;
  refs: Refs;
  /**
   * detached: from drm_gpuvm_bo_create, on no list; registered: on the GEM's gpuva list;
   * zombie: refcount reached zero through a deferred put, waiting on bo_defer; freed.
   */
  state: VmBoState;
  evicted: boolean;
  /** Linked drm_gpuva ids (vm_bo->list.gpuva). */
  vas: string[];
  /** How the simulation came to know it. */
  origin: 'create' | 'obtain' | 'external';
  /** Its VM and GEM references are counted in their refs.n (false for external vm_bos). */
  holdsCounted: boolean;
  /** True when the simulation cannot see all of its lists (external object). */
  unknownLists: boolean;
}

export interface VaObj {
  kind: 'va';
  id: string;
  label: string;
  vm?: string;
  gem?: string;
  inserted: boolean;
  vmBo?: string;
  state: 'live' | 'freed';
  /** External VA: whether it is inserted/linked is not known. */
  unknown: boolean;
  /** Its VM reference (taken when inserted) is counted in the VM's refs.n. */
  holdsCounted: boolean;
}

export type Obj = VmObj | GemObj | VmBoObj | VaObj;
export type ObjKind = Obj['kind'];

export type LockClass = 'dma_resv' | 'gpuva' | 'mutex' | 'spinlock';

export interface HeldLock {
  /** resv:<vm or gem id>, gpuva:<gem id>, mutex:<name>, spin:<name>. */
  id: string;
  cls: LockClass;
  label: string;
  /** direct call, a drm_exec context, a scoped guard, or held by the caller on entry. */
  via: 'direct' | 'exec' | 'guard' | 'caller';
  /** Where it was taken (an origin tag given by the caller: a line, an IR node). */
  origin?: string;
}

export interface ExecContext {
  /** Where the execution context is (ioctl, run_job, workqueue, an sm_step callback ...). */
  name: string;
  /** Nesting depth of the DMA-fence signalling critical path (0: not in it). */
  signalling: number;
  /** Why we are in the signalling path: one entry per nesting level. */
  signallingFrom: Array<{ origin?: string; label: string }>;
  /** dma_fence_begin_signalling() calls not yet ended on this path. */
  begins: number;
  /** Atomic context depth (spinlocks, irq). */
  atomic: number;
}

export interface ReferenceObligation {
  /** References this code took and must release or hand on. */
  count: number;
  /** Where they were taken (origin tags), oldest first. */
  origins: string[];
  /** Human description of each acquisition. */
  labels: string[];
}

export interface ModelState {
  objects: Record<string, Obj>;
  /** Handle (variable, field, scenario name) -> object id. */
  names: Record<string, string>;
  /** Handles that do not hold an object: a failed allocation or lookup. */
  nullNames: Record<string, 'null' | 'err'>;
  /** Object id -> references held by the simulated code. */
  owned: Record<string, ReferenceObligation>;
  locks: HeldLock[];
  ctx: ExecContext;
  /** A drm_exec context is active. */
  exec: boolean;
  /**
   * The caller may hold locks this path cannot see (a helper or callback whose
   * callers are unknown). Requirements ("X must be held") then get the benefit of
   * the doubt; taking a lock never does.
   */
  callerLocks: boolean;
  /** Locks this path released without having taken them (the caller's). */
  released: string[];
  /** Handles whose reference was handed to an API that took it (obtain_prealloc): name -> what took it. */
  consumed: Record<string, { origin?: string; label: string }>;
  /** Deferred puts made by this code (origins), for deferred-cleanup-missing. */
  deferredPuts: Array<{ vm: string; vmBo: string; origin?: string; inSignalling: boolean }>;
  /** Whether drm_gpuvm_bo_deferred_cleanup ran after the last deferred put, per VM. */
  cleanedUp: Record<string, boolean>;
  nextId: number;
}

export function emptyState(ctxName = 'process'): ModelState {
  return {
    objects: {},
    names: {},
    nullNames: {},
    owned: {},
    locks: [],
    ctx: { name: ctxName, signalling: 0, signallingFrom: [], begins: 0, atomic: 0 },
    exec: false,
    callerLocks: false,
    released: [],
    consumed: {},
    deferredPuts: [],
    cleanedUp: {},
    nextId: 1,
  };
}

/** A deep copy of plain JSON data; several times faster than structuredClone on model states. */
export function cloneJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneJson) as T;
  const out: Record<string, unknown> = {};
  for (const k in v) out[k] = cloneJson((v as Record<string, unknown>)[k]);
  return out as T;
}

/** Deep copy of a state (states are plain JSON). */
export function cloneState(s: ModelState): ModelState {
  return cloneJson(s);
}

/** Deep copy of one object (copy-on-write: the model copies an object the first time it touches it). */
export function cloneObj<T extends Obj>(o: T): T {
  return cloneJson(o);
}

/**
 * A copy of a state whose objects are still shared with the original: the model
 * copies an object before it changes it (see Working.mut), so a step pays only
 * for the objects it touches, and unchanged objects keep their cached keys.
 */
export function shallowState(s: ModelState): ModelState {
  const { objects, ...rest } = s;
  return { ...cloneJson(rest), objects: { ...objects } };
}

const keys = new WeakMap<ModelState, string>();
const objKeys = new WeakMap<Obj, string>();

/**
 * A canonical string for de-duplication. Insertion order is deterministic per
 * path, so JSON is enough. States and their objects are never changed once an
 * operation returned them (copy-on-write), so each string is computed once per
 * state and once per object.
 */
export function stateKey(s: ModelState): string {
  let k = keys.get(s);
  if (k === undefined) {
    const parts: string[] = [];
    for (const id in s.objects) {
      const o = s.objects[id]!;
      let ok = objKeys.get(o);
      if (ok === undefined) { ok = JSON.stringify(o); objKeys.set(o, ok); }
      parts.push(ok);
    }
    const { objects: _objects, ...rest } = s;
    k = `${parts.join('|')}#${JSON.stringify(rest)}`;
    keys.set(s, k);
  }
  return k;
}
