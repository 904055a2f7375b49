// The step function of the simulation: apply one operation to a state and get
// back every possible outcome, each with the new state and the rules it broke.
//
// Nondeterminism (an allocation may fail, a lookup may find an existing vm_bo,
// a put on an object others may also hold may or may not be the last one) is
// expressed with `choose()`: a handler is re-run once per combination of
// choices, so each outcome is computed by plain sequential code.

import type { Op } from './ops';
import type { RuleId, Severity } from './rules';
import type {
  GemObj, HeldLock, LockClass, ModelState, Obj, ObjKind, Tri, VaObj, VmBoObj, VmObj,
} from './state';
import { cloneObj, shallowState } from './state';

export interface DriverCallbacks {
  /** ops->vm_bo_free takes a dma_resv (e.g. drm_gem_shmem_unpin, as panthor does). */
  vmBoFreeTakesResv: boolean;
  /** What it is called in the driver, for messages. */
  vmBoFreeName?: string;
  /** ops->vm_bo_free drops the pin the vm_bo holds on its GEM (panthor_vm_bo_free after the deferred-cleanup series). */
  vmBoFreeUnpins?: boolean;
}

export interface ModelConfig {
  /**
   * drm_gpuvm_bo_obtain_prealloc contract: 'self-locks' (current kernels: takes
   * obj->gpuva.lock itself, immediate mode only) or 'caller-locks' (older kernels:
   * the caller holds the gpuva-list lock and the VM resv).
   */
  obtainPrealloc: 'self-locks' | 'caller-locks';
  callbacks: DriverCallbacks;
  /**
   * drm_gpuvm_bo_defer_free: the kernel releases gpuva.lock and then adds the
   * zombie to bo_defer ('unlock-then-add'); 'add-then-unlock' is the order the
   * kernel comment warns against. Only another thread can tell them apart.
   */
  deferFree?: 'unlock-then-add' | 'add-then-unlock';
  /**
   * drm_gpuvm_prepare_objects_locked / validate_locked skip zombies
   * (drm_gpuvm_bo_is_zombie). false models a kernel without that check.
   */
  zombieCheck?: boolean;
}

export const DEFAULT_CONFIG: ModelConfig = {
  obtainPrealloc: 'self-locks',
  callbacks: { vmBoFreeTakesResv: false },
};

export type Certainty = 'definite' | 'possible';

export interface Related {
  origin?: string;
  message: string;
}

export interface Violation {
  rule: RuleId;
  message: string;
  certainty: Certainty;
  /** Overrides the rule's default severity (possible violations are often warnings). */
  severity?: Severity;
  related: Related[];
  /** Where the finding points when not at the current step (a leak points at the acquisition). */
  at?: string;
}

export interface Outcome {
  state: ModelState;
  violations: Violation[];
  /** Choices taken that differ from the usual case ("allocation fails", "found existing vm_bo"). */
  assumptions: string[];
  /** ok / fail / null / err / found / registered / last / not-last: what the call returned. */
  result: string;
  /** Notes for the trace ("vm_bo_free callback runs", "zombie stays on extobj"). */
  notes: string[];
}

export class ModelError extends Error {}

interface Choice { id: string; options: string[]; taken: string }

export interface LockRef {
  id: string;
  cls: LockClass;
  label: string;
}

/** The working copy of a state while one operation runs. */
export class Working {
  readonly violations: Violation[] = [];
  readonly assumptions: string[] = [];
  readonly notes: string[] = [];
  readonly choices: Choice[] = [];
  result = 'ok';
  /** Set once an uncertain assumption was taken: later violations are 'possible'. */
  uncertain = false;

  /** Objects this working copy owns (created or copied here): only those may be changed in place. */
  private readonly mine = new Set<string>();

  constructor(readonly s: ModelState, readonly cfg: ModelConfig, readonly op: Op, private readonly prefix: string[]) {
    // Copy-on-write: the objects record is ours, the objects in it are still shared.
    s.objects = { ...s.objects };
  }

  /** The object with this id, copied first if another state may share it. */
  private mut(id: string): Obj | undefined {
    const o = this.s.objects[id];
    if (!o || this.mine.has(id)) return o;
    const c = cloneObj(o);
    this.s.objects[id] = c;
    this.mine.add(id);
    return c;
  }

  // ---- nondeterminism ---------------------------------------------------------------

  /**
   * Pick one of `options`. The first option is the usual outcome. `describe`
   * explains a non-first choice in the trace; `uncertain` marks choices that make
   * later violations only possible (a guess about references we cannot see).
   */
  choose(id: string, options: string[], describe: (o: string) => string, uncertain = false): string {
    // A scenario may force an outcome with an option named after it ("fails", "found").
    const forced = options.find((o) => this.op.opts?.[o] === true);
    let taken: string;
    if (forced !== undefined) {
      taken = forced;
    } else {
      const i = this.choices.length;
      const p = this.prefix[i];
      taken = p !== undefined && options.includes(p) ? p : options[0]!;
      this.choices.push({ id, options, taken });
    }
    if (taken !== options[0]) {
      this.assumptions.push(describe(taken));
      if (uncertain) this.uncertain = true;
    }
    return taken;
  }

  // ---- objects ----------------------------------------------------------------------

  newId(kind: ObjKind): string {
    return `${kind}#${this.s.nextId++}`;
  }

  add<T extends Obj>(o: T, name?: string): T {
    this.s.objects[o.id] = o;
    this.mine.add(o.id);
    if (name) this.bind(name, o.id);
    return o;
  }

  bind(name: string, id: string): void {
    this.s.names[name] = id;
    delete this.s.nullNames[name];
  }

  bindNull(name: string, how: 'null' | 'err'): void {
    delete this.s.names[name];
    this.s.nullNames[name] = how;
  }

  isNull(name: string): boolean {
    return name in this.s.nullNames && !(name in this.s.names);
  }

  get(name: string): Obj {
    const id = this.s.names[name];
    if (id === undefined) {
      if (name in this.s.nullNames) throw new ModelError(`'${name}' is ${this.s.nullNames[name] === 'err' ? 'an ERR_PTR' : 'NULL'} on this path`);
      throw new ModelError(`unknown handle '${name}'`);
    }
    const o = this.mut(id);
    if (!o) throw new ModelError(`handle '${name}' points to nothing`);
    return o;
  }

  getKind<K extends ObjKind>(name: string, kind: K): Extract<Obj, { kind: K }> {
    const o = this.get(name);
    if (o.kind !== kind) throw new ModelError(`'${name}' is a ${o.kind}, expected a ${kind}`);
    return o as Extract<Obj, { kind: K }>;
  }

  /** The name the current call uses for `o` (its argument), else the object's label. */
  nameOf(o: Obj): string {
    for (const a of [...this.op.args, ...(this.op.result ? [this.op.result] : [])]) if (this.s.names[a] === o.id) return a;
    return o.label;
  }

  obj<T extends Obj>(id: string | undefined): T {
    const o = id === undefined ? undefined : this.mut(id);
    if (!o) throw new ModelError(`dangling object id ${id}`);
    return o as T;
  }

  // ---- findings ---------------------------------------------------------------------

  violate(rule: RuleId, message: string, opts: { certainty?: Certainty; severity?: Severity; related?: Related[] } = {}): void {
    const certainty = opts.certainty ?? (this.uncertain ? 'possible' : 'definite');
    const v: Violation = { rule, message, certainty, related: opts.related ?? [] };
    if (opts.severity) v.severity = opts.severity;
    this.violations.push(v);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  get what(): string {
    return this.op.label ?? `${this.op.op}(${this.op.args.join(', ')})`;
  }

  /** The call without its result binding: "drm_gpuvm_bo_create(vm, bo)". */
  get callText(): string {
    return this.what.replace(/^[\w.>\-[\]]+\s*=\s*/, '');
  }

  // ---- context ----------------------------------------------------------------------

  get signalling(): boolean {
    return this.s.ctx.signalling > 0;
  }

  /** "in the signalling path (run_job)" */
  get sigWhere(): string {
    const from = this.s.ctx.signallingFrom[0]?.label;
    return from ? `in the DMA-fence signalling path (entered in ${from})` : 'in the DMA-fence signalling path';
  }

  sigRelated(): Related[] {
    return this.s.ctx.signallingFrom.map((f) => ({ origin: f.origin, message: `signalling path entered in ${f.label} here` }));
  }

  // ---- locks ------------------------------------------------------------------------

  resvOfVm(vm: VmObj): LockRef {
    return { id: `resv:${vm.id}`, cls: 'dma_resv', label: `the VM resv of '${vm.label}'` };
  }

  resvOfGem(g: GemObj): LockRef {
    if (g.internal === true && g.vm) return this.resvOfVm(this.obj<VmObj>(g.vm));
    return { id: `resv:${g.id}`, cls: 'dma_resv', label: `the resv of GEM '${g.label}'` };
  }

  gpuvaOf(g: GemObj): LockRef {
    return { id: `gpuva:${g.id}`, cls: 'gpuva', label: `'${g.label}'->gpuva.lock` };
  }

  private lockObject(id: string): Obj | undefined {
    const i = id.indexOf(':');
    return this.s.objects[id.slice(i + 1)];
  }

  private gemsMayAlias(a: GemObj, b: GemObj): boolean {
    return a.id === b.id || (a.identity === 'unknown' && b.identity === 'unknown');
  }

  /** Whether two locks are the same lock: surely, maybe (unknown aliasing), or not. */
  relation(a: { id: string; cls: LockClass }, b: { id: string; cls: LockClass }): 'same' | 'maybe' | 'different' {
    if (a.id === b.id) return 'same';
    if (a.cls !== b.cls) return 'different';
    if (a.cls === 'mutex' || a.cls === 'spinlock') return 'different';
    const oa = this.lockObject(a.id);
    const ob = this.lockObject(b.id);
    if (!oa || !ob) return 'different';
    if (a.cls === 'gpuva') return oa.kind === 'gem' && ob.kind === 'gem' && this.gemsMayAlias(oa, ob) ? 'maybe' : 'different';
    // dma_resv: a GEM of unknown kind may share the VM's resv; two unknown GEMs may be one.
    const gemVsVm = (g: Obj, v: Obj): boolean =>
      g.kind === 'gem' && v.kind === 'vm' && g.internal === undefined && (g.vm === undefined || g.vm === v.id);
    if (gemVsVm(oa, ob) || gemVsVm(ob, oa)) return 'maybe';
    if (oa.kind === 'gem' && ob.kind === 'gem' && this.gemsMayAlias(oa, ob)) return 'maybe';
    return 'different';
  }

  /** yes: this path surely holds it; maybe: it holds a lock that may be it; no. */
  held(ref: LockRef): 'yes' | 'maybe' | 'no' {
    let best: 'yes' | 'maybe' | 'no' = 'no';
    for (const l of this.s.locks) {
      const r = this.relation(l, ref);
      if (r === 'same') return 'yes';
      if (r === 'maybe') best = 'maybe';
    }
    if (best === 'no' && this.s.callerLocks && !this.s.released.includes(ref.id)) return 'maybe';
    return best;
  }

  heldLock(ref: LockRef): HeldLock | undefined {
    return this.s.locks.find((l) => this.relation(l, ref) !== 'different');
  }

  heldGpuvaLocks(): HeldLock[] {
    return this.s.locks.filter((l) => l.cls === 'gpuva');
  }

  takenHere(l: HeldLock): Related {
    return { origin: l.origin, message: `${l.label} taken here` };
  }

  /**
   * Checks for taking a lock (recursion, order, signalling, atomic). Returns false
   * when the lock is surely held already: the caller must not take it again.
   */
  checkAcquire(ref: LockRef, how: string, via: HeldLock['via'] = 'direct'): boolean {
    let ok = true;
    // A lock surely held already is the finding; locks that may be the same one only matter without it.
    const sameHeld = this.s.locks.some((l) => this.relation(l, ref) === 'same' && !(via === 'exec' && l.via === 'exec'));
    for (const l of this.s.locks) {
      const r = this.relation(l, ref);
      if (r === 'different') continue;
      // drm_exec skips objects its context already holds (-EALREADY), and a lock it may or may
      // not already hold is no self-deadlock: its ww acquire context backs off instead.
      if (via === 'exec' && (l.via === 'exec' || l.via === 'caller' || r === 'maybe')) {
        if (r === 'same') ok = false;
        continue;
      }
      if (r === 'same') {
        this.violate('lock-recursion', `${how} takes ${ref.label}, which this path already holds: self-deadlock`, { related: [this.takenHere(l)] });
        ok = false;
      } else if (!sameHeld) {
        this.violate('lock-recursion', `${how} takes ${ref.label} while this path holds ${l.label}; they may be the same lock (self-deadlock), and lockdep reports recursive locking of the same class`,
          { certainty: 'possible', severity: 'warning', related: [this.takenHere(l)] });
      }
    }
    if (ref.cls === 'dma_resv') {
      const g = this.heldGpuvaLocks()[0];
      if (g) this.violate('lock-order', `${how} takes ${ref.label} while holding ${g.label}: dma_resv must be taken before gpuva.lock, never under it`, { related: [this.takenHere(g)] });
      if (this.signalling) this.violate('signalling-resv-lock', `${how} takes ${ref.label} ${this.sigWhere}`, { related: this.sigRelated() });
    }
    if (ref.cls !== 'spinlock' && this.s.ctx.atomic > 0) {
      this.violate('sleep-in-atomic', `${how} takes the sleeping lock ${ref.label} in atomic context`, { related: this.atomicRelated() });
    }
    return ok;
  }

  atomicRelated(): Related[] {
    return this.s.locks.filter((l) => l.cls === 'spinlock').map((l) => this.takenHere(l));
  }

  acquire(ref: LockRef, how: string, via: HeldLock['via'] = 'direct'): void {
    if (!this.checkAcquire(ref, how, via)) return;
    this.s.locks.push({ id: ref.id, cls: ref.cls, label: ref.label, via, origin: this.op.origin });
    if (ref.cls === 'spinlock') this.s.ctx.atomic++;
  }

  /** A lock the caller holds when this function is entered (an assertion says so). */
  holdOnEntry(ref: LockRef): void {
    if (this.s.locks.some((l) => l.id === ref.id)) return;
    this.s.locks.push({ id: ref.id, cls: ref.cls, label: ref.label, via: 'caller', origin: this.op.origin });
  }

  release(ref: LockRef, how: string): void {
    let i = -1;
    for (let k = this.s.locks.length - 1; k >= 0; k--) {
      if (this.s.locks[k]!.id === ref.id) { i = k; break; }
    }
    if (i < 0) {
      for (let k = this.s.locks.length - 1; k >= 0; k--) {
        if (this.relation(this.s.locks[k]!, ref) === 'maybe') { i = k; break; }
      }
    }
    if (i < 0) {
      if (this.s.callerLocks) {
        // Releasing a lock the caller took: legal hand-off, but it is no longer held.
        if (!this.s.released.includes(ref.id)) this.s.released.push(ref.id);
        return;
      }
      this.violate('lock-leak', `${how} releases ${ref.label}, which this path does not hold`);
      return;
    }
    const [l] = this.s.locks.splice(i, 1);
    if (l!.cls === 'spinlock') this.s.ctx.atomic = Math.max(0, this.s.ctx.atomic - 1);
  }

  /** The lock protecting a GEM's gpuva list: obj->gpuva.lock in immediate mode, obj->resv in staged mode. */
  listLocks(g: GemObj, vm: VmObj | undefined): LockRef[] {
    const imm = vm?.immediateMode;
    if (imm === true) return [this.gpuvaOf(g)];
    if (imm === false) return [this.resvOfGem(g)];
    return [this.gpuvaOf(g), this.resvOfGem(g)];
  }

  /** Report gpuva-list-unlocked unless the lock for the mode may be held. */
  needListLock(g: GemObj, vm: VmObj | undefined, how: string, certainty?: Certainty): void {
    const refs = this.listLocks(g, vm);
    if (refs.some((r) => this.held(r) !== 'no')) return;
    const which = refs.length === 1
      ? `${refs[0]!.label} (${vm?.immediateMode ? 'immediate mode' : 'staged mode'})`
      : `${refs.map((r) => r.label).join(' or ')}`;
    this.violate('gpuva-list-unlocked', `${how} changes the gpuva list of GEM '${g.label}' without holding ${which}`, certainty ? { certainty } : {});
  }

  needVmResv(vm: VmObj, how: string, certainty?: Certainty): void {
    if (vm.resvProtected !== true) return;
    if (this.held(this.resvOfVm(vm)) !== 'no') return;
    this.violate('vm-resv-not-held', `${how} needs ${this.resvOfVm(vm).label} held (DRM_GPUVM_RESV_PROTECTED)`, certainty ? { certainty } : {});
  }

  // ---- allocation -------------------------------------------------------------------

  checkAlloc(how: string, gfp: string): void {
    if (!reclaims(gfp)) return;
    if (this.signalling) {
      this.violate('signalling-alloc', `${how} allocates with ${gfp} ${this.sigWhere}: reclaim may wait on the fence this path must signal`, { related: this.sigRelated() });
    }
    const g = this.heldGpuvaLocks()[0];
    if (g) this.violate('alloc-under-gpuva-lock', `${how} allocates with ${gfp} while holding ${g.label}, which is taken in the signalling path`, { related: [this.takenHere(g)] });
    if (this.s.ctx.atomic > 0) this.violate('sleep-in-atomic', `${how} allocates with ${gfp} in atomic context`, { related: this.atomicRelated() });
  }

  // ---- references -------------------------------------------------------------------

  own(o: Obj, label: string): void {
    const ob = this.s.owned[o.id] ?? { count: 0, origins: [], labels: [] };
    ob.count++;
    ob.origins.push(this.op.origin ?? '');
    ob.labels.push(label);
    this.s.owned[o.id] = ob;
  }

  /** Release one reference this code holds on `o`, if it holds one. */
  disown(o: Obj): boolean {
    const ob = this.s.owned[o.id];
    if (!ob || ob.count === 0) return false;
    ob.count--;
    ob.origins.pop();
    ob.labels.pop();
    if (ob.count === 0) delete this.s.owned[o.id];
    return true;
  }

  /**
   * Drop one reference. Returns 'last' when it was (or, with an uncertain choice,
   * is assumed to be) the last one, 'not-last', or 'none' when no reference was left.
   */
  decRef(o: VmObj | GemObj | VmBoObj, describe: string): 'last' | 'not-last' | 'none' {
    const r = o.refs;
    if (r.n >= 2) { r.n--; return 'not-last'; }
    if (r.n === 1 && !r.extra) { r.n = 0; return 'last'; }
    if (r.n === 1) {
      const c = this.choose(`last:${o.id}`, ['not-last', 'last'], () => `no one else holds a reference to ${describe}`, true);
      r.n = 0;
      if (c === 'last') r.extra = false;
      return c as 'last' | 'not-last';
    }
    if (r.extra) {
      // All references we know of are gone; others may still hold some.
      const c = this.choose(`none:${o.id}`, ['not-last', 'last', 'none'], (x) =>
        x === 'none' ? `no reference to ${describe} is left` : `no one else holds a reference to ${describe}`, true);
      if (c === 'last') r.extra = false;
      if (c === 'none') r.extra = false;
      return c as 'last' | 'not-last' | 'none';
    }
    return 'none';
  }

  // ---- life and death ---------------------------------------------------------------

  /** A VM loses one reference. Runs drm_gpuvm_fini + vm_free on the last. */
  vmPut(vm: VmObj, how: string, internal: boolean): void {
    if (vm.state === 'freed') {
      this.violate('use-after-free', `${how} drops a reference to VM '${vm.label}', which is already freed`);
      return;
    }
    const before = this.uncertain;
    const r = this.decRef(vm, `VM '${vm.label}'`);
    if (r === 'none') {
      // Only an outside VM gets here, on the guess that no one else holds a reference.
      this.violate('use-after-free', `${how} drops a reference to VM '${vm.label}' that this path no longer holds`, this.uncertain ? { certainty: 'possible', severity: 'warning' } : {});
      this.uncertain = before;
      return;
    }
    if (r === 'last') {
      if (this.signalling) {
        this.violate('signalling-gem-put', `${how} ${this.uncertain ? 'may drop' : 'drops'} the last reference to VM '${vm.label}' ${this.sigWhere}: drm_gpuvm_fini puts the resv object and runs ops->vm_free`,
          { severity: this.uncertain ? 'warning' : 'error', related: this.sigRelated() });
      }
      const left: string[] = [];
      if (vm.vas.length) left.push(`${vm.vas.length} VA(s) in the tree`);
      if (vm.extobj.length) left.push(`${vm.extobj.length} vm_bo(s) on the extobj list`);
      if (vm.evict.length) left.push(`${vm.evict.length} vm_bo(s) on the evict list`);
      if (vm.deferred.length) left.push(`${vm.deferred.length} zombie vm_bo(s) on the deferred list`);
      if (left.length) this.violate('vm-teardown-not-empty', `${how} frees VM '${vm.label}' with ${left.join(', ')}: drm_gpuvm_fini WARNs`);
      vm.state = 'freed';
      this.note(`VM '${vm.label}' freed (drm_gpuvm_fini, vm_free)`);
    } else if (!internal) {
      this.checkTeardown(vm, how);
    }
    this.uncertain = before;
  }

  /** References held by GPUVM objects themselves (vm_bos, zombies, inserted VAs). */
  internalVmRefs(vm: VmObj): number {
    let n = 0;
    for (const o of Object.values(this.s.objects)) {
      if (o.kind === 'vm_bo' && o.vm === vm.id && o.state !== 'freed' && o.holdsCounted) n++;
      if (o.kind === 'va' && o.vm === vm.id && o.inserted && o.holdsCounted) n++;
    }
    return n;
  }

  /** The driver dropped its last VM reference while zombies wait: nobody can clean them up. */
  checkTeardown(vm: VmObj, how: string): void {
    if (!vm.listsKnown || vm.refs.extra || vm.deferred.length === 0) return;
    if (vm.refs.n - this.internalVmRefs(vm) > 0) return;
    this.violate('deferred-cleanup-missing',
      `${how} drops the driver's last reference to VM '${vm.label}' while ${vm.deferred.length} vm_bo(s) wait on its deferred list: no one can call drm_gpuvm_bo_deferred_cleanup() any more, so the VM, the vm_bos and their GEMs leak`,
      { related: this.deferredRelated(vm) });
  }

  deferredRelated(vm: VmObj): Related[] {
    return this.s.deferredPuts.filter((d) => d.vm === vm.id).map((d) => ({ origin: d.origin, message: `vm_bo '${this.obj<VmBoObj>(d.vmBo).label}' put deferred here` }));
  }

  gemPut(g: GemObj, how: string, signallingRule: boolean): void {
    if (g.state === 'freed') {
      this.violate('use-after-free', `${how} drops a reference to GEM '${g.label}', which is already freed`);
      return;
    }
    const r = this.decRef(g, `GEM '${g.label}'`);
    if (r === 'none') {
      // As for a vm_bo: only a guess about references held outside this path.
      this.violate('use-after-free', `${how} drops a reference to GEM '${g.label}' that this path no longer holds`, this.uncertain ? { certainty: 'possible', severity: 'warning' } : {});
      return;
    }
    if (r !== 'last') return;
    if (signallingRule && this.signalling) {
      this.violate('signalling-gem-put', `${how} ${this.uncertain ? 'may drop' : 'drops'} the last reference to GEM '${g.label}' ${this.sigWhere}: the GEM free path is not signalling-safe`,
        { severity: this.uncertain ? 'warning' : 'error', related: this.sigRelated() });
    }
    const mine = this.s.locks.find((l) => l.id === `gpuva:${g.id}`);
    if (mine) {
      this.violate('lock-order', `${how} frees GEM '${g.label}' while this path holds its gpuva.lock: the mutex is freed while held`, { related: [this.takenHere(mine)] });
    }
    g.state = 'freed';
    this.note(`GEM '${g.label}' freed`);
  }

  /** Run ops->vm_bo_free. */
  runVmBoFree(b: VmBoObj, how: string): void {
    const cb = this.cfg.callbacks;
    const name = cb.vmBoFreeName ?? 'ops->vm_bo_free';
    if (cb.vmBoFreeUnpins) this.unpin(this.obj<GemObj>(b.gem), `${name} unpins GEM '${this.obj<GemObj>(b.gem).label}'`);
    if (!cb.vmBoFreeTakesResv) return;
    const g = this.obj<GemObj>(b.gem);
    const ref = this.resvOfGem(g);
    const through = `${how} runs ${name}, which takes ${ref.label} (unpin)`;
    const gl = this.heldGpuvaLocks()[0];
    if (gl) this.violate('lock-order', `${through} while holding ${gl.label}: lock inversion`, { related: [this.takenHere(gl)] });
    if (this.signalling) this.violate('signalling-resv-lock', `${through} ${this.sigWhere}`, { related: this.sigRelated() });
  }

  /** drm_gpuvm_bo_destroy: off every list, vm_bo_free, VM put, GEM put. */
  destroyVmBo(b: VmBoObj, how: string): void {
    this.unlistVmBo(b);
    this.freeVmBo(b, how);
    if (b.holdsCounted) {
      this.vmPut(this.obj<VmObj>(b.vm), how, true);
      this.gemPut(this.obj<GemObj>(b.gem), how, true);
    }
  }

  /** Take a vm_bo off every list it is on: extobj, evict, bo_defer and its GEM's gpuva list. */
  unlistVmBo(b: VmBoObj): void {
    const vm = this.obj<VmObj>(b.vm);
    removeFrom(vm.extobj, b.id);
    removeFrom(vm.evict, b.id);
    removeFrom(vm.deferred, b.id);
    removeFrom(this.obj<GemObj>(b.gem).vmBos, b.id);
  }

  /** ops->vm_bo_free (or kfree): the vm_bo's memory is gone; its VM and GEM references are not dropped yet. */
  freeVmBo(b: VmBoObj, how: string): void {
    this.runVmBoFree(b, how);
    b.state = 'freed';
    this.note(`vm_bo '${this.nameOf(b)}' destroyed`);
  }

  /**
   * drm_gpuvm_bo_into_zombie: refcount zero under gpuva.lock; off the GEM list
   * (and off extobj/evict unless RESV_PROTECTED). deferZombie() must follow.
   */
  intoZombie(b: VmBoObj): void {
    const vm = this.obj<VmObj>(b.vm);
    removeFrom(this.obj<GemObj>(b.gem).vmBos, b.id);
    if (vm.resvProtected !== true) {
      removeFrom(vm.extobj, b.id);
      removeFrom(vm.evict, b.id);
    } else if (vm.extobj.includes(b.id) || vm.evict.includes(b.id)) {
      this.note(`zombie vm_bo '${this.nameOf(b)}' stays on the ${vm.extobj.includes(b.id) ? 'extobj' : 'evict'} list until deferred cleanup (RESV_PROTECTED)`);
    }
    b.state = 'zombie';
  }

  /** drm_gpuvm_bo_defer_zombie_cleanup: llist_add of a zombie to vm->bo_defer. */
  deferZombie(b: VmBoObj): void {
    const vm = this.obj<VmObj>(b.vm);
    vm.deferred.push(b.id);
    this.s.deferredPuts.push({ vm: vm.id, vmBo: b.id, origin: this.op.origin, inSignalling: this.signalling });
    this.s.cleanedUp[vm.id] = false;
    this.note(`vm_bo '${this.nameOf(b)}' is a zombie on the deferred list of '${vm.label}'`);
  }

  /** Drop one pin of a GEM (drm_gem_shmem_unpin). GEMs nobody pinned have no pin count. */
  unpin(g: GemObj, what: string): void {
    if (g.pins === undefined) return;
    if (g.pins === 0) { this.note(`${what}: it is not pinned`); return; }
    g.pins--;
    this.note(`${what} (pin count ${g.pins})`);
  }

  /** A use of a vm_bo: it must still be alive. */
  needVmBoAlive(b: VmBoObj, how: string): boolean {
    if (b.state === 'zombie' || b.state === 'freed') {
      this.violate('vm-bo-use-after-put', `${how} uses vm_bo '${this.nameOf(b)}' after its last reference was dropped (${b.state === 'zombie' ? 'it is a zombie waiting for deferred cleanup' : 'it was freed'})`);
      return false;
    }
    return true;
  }

  needLive(o: VmObj | GemObj | VaObj, how: string): boolean {
    if (o.state === 'freed') {
      this.violate('use-after-free', `${how} uses ${o.kind === 'va' ? 'VA' : o.kind === 'vm' ? 'VM' : 'GEM'} '${o.label}' after it was freed`);
      return false;
    }
    return true;
  }

  /**
   * A put of a vm_bo reference (plain or deferred). `mutexHeld` means the caller
   * (drm_gpuva_unlink_defer) already holds obj->gpuva.lock.
   */
  putVmBo(b: VmBoObj, how: string, kind: 'plain' | 'deferred', owned: boolean, mutexHeld = false): void {
    if (!this.putPrologue(b, how, kind)) return;
    const before = this.uncertain;
    const r = this.putDecrement(b, how, owned);
    if (r !== 'last') { this.uncertain = before; return; }
    const g = this.obj<GemObj>(b.gem);
    const vm = this.obj<VmObj>(b.vm);
    const may = this.uncertain ? 'may drop' : 'drops';
    if (kind === 'plain') {
      if (this.signalling) {
        this.violate('signalling-gem-put', `${how} ${may} the last reference to vm_bo '${this.nameOf(b)}' ${this.sigWhere}: drm_gpuvm_bo_destroy ${vm.resvProtected === false ? '' : 'needs the VM resv, '}puts the GEM and the VM. Use drm_gpuvm_bo_put_deferred()/drm_gpuva_unlink_defer()`,
          { related: this.sigRelated() });
      }
      this.needListLock(g, vm, `${how} (which ${may} the last reference)`);
      this.needVmResv(vm, `${how} (which ${may} the last reference and takes the vm_bo off the extobj/evict lists)`);
      this.destroyVmBo(b, how);
    } else {
      if (!mutexHeld) this.krefPutMutexCheck(g, how, may);
      this.intoZombie(b);
      this.deferZombie(b);
    }
    this.uncertain = before;
  }

  /** The checks before a vm_bo put decrements anything. Returns false when there is nothing to put. */
  putPrologue(b: VmBoObj, how: string, kind: 'plain' | 'deferred'): boolean {
    if (b.state === 'freed' || b.state === 'zombie') {
      this.violate('vm-bo-double-put', `${how} puts vm_bo '${this.nameOf(b)}', whose refcount already reached zero on this path`);
      return false;
    }
    if (kind === 'plain' && this.s.ctx.atomic > 0) {
      this.violate('sleep-in-atomic', `${how} may sleep (drm_gpuvm_bo_put is non-atomic) but runs in atomic context`, { related: this.atomicRelated() });
    }
    return true;
  }

  /** The refcount decrement of a vm_bo put: sets `result` to last / not-last. */
  putDecrement(b: VmBoObj, how: string, owned: boolean): 'last' | 'not-last' | 'none' {
    const before = this.uncertain;
    const r = this.decRef(b, `vm_bo '${this.nameOf(b)}'`);
    if (owned) this.disown(b);
    if (r === 'none') {
      this.violate('vm-bo-double-put', `${how} puts vm_bo '${this.nameOf(b)}' with no reference left on this path`, { certainty: 'possible', severity: 'warning' });
      this.uncertain = before;
      return r;
    }
    this.result = r;
    if (r === 'not-last') this.uncertain = before;
    return r;
  }

  /** kref_put_mutex takes obj->gpuva.lock for the final put: not if this path holds it, not in atomic context. */
  krefPutMutexCheck(g: GemObj, how: string, may: string): void {
    const ref = this.gpuvaOf(g);
    const h = this.s.locks.find((l) => this.relation(l, ref) !== 'different');
    if (h) {
      const same = this.relation(h, ref) === 'same';
      this.violate('lock-recursion', `${how} ${may} the last reference: kref_put_mutex then takes ${ref.label}, ${same ? 'which this path already holds' : `and this path holds ${h.label}, which may be the same lock`}: self-deadlock`,
        { related: [this.takenHere(h)], ...(same ? {} : { certainty: 'possible' as const }) });
    } else if (this.s.ctx.atomic > 0) {
      this.violate('sleep-in-atomic', `${how} ${may} the last reference: kref_put_mutex takes ${ref.label} in atomic context`, { related: this.atomicRelated() });
    }
  }
}

function removeFrom(list: string[], id: string): void {
  const i = list.indexOf(id);
  if (i >= 0) list.splice(i, 1);
}

/** Does this GFP mask allow direct reclaim (and so may wait on fences)? */
export function reclaims(gfp: string): boolean {
  const g = gfp.toUpperCase();
  if (/GFP_ATOMIC|GFP_NOWAIT/.test(g) && !/__GFP_DIRECT_RECLAIM/.test(g)) return false;
  return /GFP_KERNEL|GFP_NOFS|GFP_NOIO|GFP_USER|GFP_HIGHUSER|__GFP_DIRECT_RECLAIM|GFP_DMA/.test(g);
}

export function flag(op: Op, name: string): boolean {
  return op.opts?.[name] === true;
}

function triOpt(op: Op, on: string, off?: string): Tri {
  if (flag(op, on)) return true;
  if (off && flag(op, off)) return false;
  return undefined;
}

type Handler = (w: Working, op: Op) => void;

const arg = (op: Op, i: number): string => {
  const a = op.args[i];
  if (a === undefined) throw new ModelError(`${op.op}: missing argument ${i + 1}`);
  return a;
};

function newVmBo(w: Working, vm: VmObj, g: GemObj, label: string, origin: VmBoObj['origin']): VmBoObj {
  const b: VmBoObj = {
    kind: 'vm_bo', id: w.newId('vm_bo'), label, vm: vm.id, gem: g.id, refs: { n: 1, extra: false },
    state: 'detached', evicted: false, vas: [], origin, holdsCounted: true, unknownLists: false,
  };
  vm.refs.n++;
  g.refs.n++;
  return w.add(b);
}

/** obtain/find that found a vm_bo (or one made before the code under review ran): the caller gets a reference. */
function takeFound(w: Working, vm: VmObj, g: GemObj, res: string, existing: VmBoObj | undefined): void {
  const b = existing ?? externalVmBo(w, vm, g, res);
  b.refs.n++;
  w.bind(res, b.id);
  w.own(b, w.callText);
  w.result = 'found';
}

/** A vm_bo someone else created and holds (found by a lookup in lists we cannot see). */
function externalVmBo(w: Working, vm: VmObj, g: GemObj, label: string): VmBoObj {
  return w.add<VmBoObj>({
    kind: 'vm_bo', id: w.newId('vm_bo'), label, vm: vm.id, gem: g.id, refs: { n: 1, extra: true },
    state: 'registered', evicted: false, vas: [], origin: 'external', holdsCounted: false, unknownLists: true,
  });
}

function existingVmBo(w: Working, vm: VmObj, g: GemObj): VmBoObj | undefined {
  for (const id of g.vmBos) {
    const b = w.obj<VmBoObj>(id);
    if (b.vm === vm.id && b.state === 'registered') return b;
  }
  return undefined;
}

function resvOwner(w: Working, name: string): { ref: ReturnType<Working['resvOfVm']>; owner: VmObj | GemObj } {
  const o = w.get(name);
  if (o.kind === 'vm') return { ref: w.resvOfVm(o), owner: o };
  if (o.kind === 'gem') return { ref: w.resvOfGem(o), owner: o };
  throw new ModelError(`'${name}' is a ${o.kind}; a dma_resv belongs to a VM or a GEM`);
}

function vmFlags(op: Op): Pick<VmObj, 'resvProtected' | 'immediateMode'> {
  return { resvProtected: triOpt(op, 'resv_protected', 'unprotected'), immediateMode: triOpt(op, 'immediate', 'staged') };
}

/** The label an outside object is shown with (`label=` option, else its handle name). */
function labelOpt(op: Op, fallback: string): string {
  return typeof op.opts?.label === 'string' ? op.opts.label : fallback;
}

const HANDLERS: Record<string, Handler> = {
  vm_init(w, op) {
    const f = vmFlags(op);
    w.add<VmObj>({
      kind: 'vm', id: w.newId('vm'), label: arg(op, 0), resvProtected: f.resvProtected ?? false, immediateMode: f.immediateMode ?? false,
      state: 'live', refs: { n: 1, extra: false }, extobj: [], evict: [], deferred: [], vas: [], listsKnown: true,
    }, arg(op, 0));
  },
  vm_declare(w, op) {
    w.add<VmObj>({
      kind: 'vm', id: w.newId('vm'), label: labelOpt(op, arg(op, 0)), ...vmFlags(op),
      state: 'live', refs: { n: 1, extra: true }, extobj: [], evict: [], deferred: [], vas: [], listsKnown: false,
    }, arg(op, 0));
  },
  vm_get(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    if (w.needLive(vm, w.what)) vm.refs.n++;
    if (op.result) w.bind(op.result, vm.id);
  },
  vm_put(w, op) {
    if (w.isNull(arg(op, 0))) return;
    w.vmPut(w.getKind(arg(op, 0), 'vm'), w.what, false);
  },
  gem_create(w, op) {
    const vmName = op.args[1];
    const vm = vmName ? w.getKind(vmName, 'vm') : undefined;
    const internal = flag(op, 'internal');
    if (internal && !vm) throw new ModelError(`an internal GEM shares a VM's resv: name the VM (gem ${arg(op, 0)} internal VM)`);
    const g: GemObj = {
      kind: 'gem', id: w.newId('gem'), label: arg(op, 0), internal, state: 'live', refs: { n: 1, extra: false },
      vmBos: [], listKnown: true, identity: 'known',
    };
    if (vm) g.vm = vm.id;
    w.add(g, arg(op, 0));
  },
  gem_declare(w, op) {
    w.add<GemObj>({
      kind: 'gem', id: w.newId('gem'), label: labelOpt(op, arg(op, 0)), internal: triOpt(op, 'internal', 'external'), state: 'live',
      refs: { n: 1, extra: true }, vmBos: [], listKnown: false, identity: 'unknown',
      ...(typeof op.opts?.vm === 'string' ? { vm: w.getKind(op.opts.vm, 'vm').id } : {}),
    }, arg(op, 0));
  },
  gem_get(w, op) {
    const g = w.getKind(arg(op, 0), 'gem');
    if (w.needLive(g, w.what)) g.refs.n++;
  },
  gem_put(w, op) {
    if (w.isNull(arg(op, 0))) return;
    w.gemPut(w.getKind(arg(op, 0), 'gem'), w.what, true);
  },
  gem_pin(w, op) {
    const g = w.getKind(arg(op, 0), 'gem');
    if (!w.needLive(g, w.what)) return;
    // drm_gem_shmem_pin takes the GEM's resv itself.
    w.checkAcquire(w.resvOfGem(g), w.what);
    g.pins = (g.pins ?? 0) + 1;
    w.note(`GEM '${g.label}' pinned (pin count ${g.pins})`);
  },
  gem_unpin(w, op) {
    const g = w.getKind(arg(op, 0), 'gem');
    if (!w.needLive(g, w.what)) return;
    w.checkAcquire(w.resvOfGem(g), w.what);
    w.unpin(g, `GEM '${g.label}' unpinned`);
  },
  vm_bo_declare(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    const g = w.getKind(arg(op, 1), 'gem');
    const name = op.args[2] ?? op.result ?? `${g.label} vm_bo`;
    const b = externalVmBo(w, vm, g, name);
    w.bind(name, b.id);
    if (flag(op, 'detached')) {
      // A preallocated vm_bo handed in by value (GpuVmBoAlloc): refcount one, on no list.
      b.state = 'detached';
      b.refs = { n: 1, extra: false };
      b.unknownLists = false;
    }
    if (flag(op, 'owned')) w.own(b, `'${name}' (owned on entry)`);
  },
  va_assume_linked(w, op) {
    const va = w.getKind(arg(op, 0), 'va');
    const b = w.getKind(arg(op, 1), 'vm_bo');
    if (!va.unknown || va.vmBo) return;
    va.vmBo = b.id;
    va.gem = b.gem;
    if (!b.vas.includes(va.id)) b.vas.push(va.id);
  },
  va_declare(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    const va: VaObj = { kind: 'va', id: w.newId('va'), label: arg(op, 1), vm: vm.id, inserted: true, state: 'live', unknown: true, holdsCounted: false };
    if (op.args[2]) va.gem = w.getKind(op.args[2], 'gem').id;
    if (op.args[3]) {
      const b = w.getKind(op.args[3], 'vm_bo');
      va.vmBo = b.id;
      va.gem = b.gem;
    }
    w.add(va, arg(op, 1));
  },

  bo_create(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    const g = w.getKind(arg(op, 1), 'gem');
    w.needLive(vm, w.what);
    w.needLive(g, w.what);
    w.checkAlloc(w.what, 'GFP_KERNEL');
    const res = op.result ?? 'vm_bo';
    if (w.choose('alloc', ['ok', 'fails'], () => 'the allocation fails') === 'fails') {
      w.bindNull(res, 'null');
      w.result = 'null';
      return;
    }
    const b = newVmBo(w, vm, g, res, 'create');
    w.bind(res, b.id);
    w.own(b, w.callText);
  },

  bo_obtain(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    const g = w.getKind(arg(op, 1), 'gem');
    w.needLive(vm, w.what);
    w.needLive(g, w.what);
    if (vm.immediateMode === true) {
      w.violate('obtain-mode-mismatch', `${w.what} on immediate-mode VM '${vm.label}': it allocates under obj->gpuva.lock (drm_gpuvm_bo_obtain_locked WARNs). Preallocate with drm_gpuvm_bo_create() and use drm_gpuvm_bo_obtain_prealloc()`);
    }
    w.needListLock(g, vm, w.what);
    const res = op.result ?? 'vm_bo';
    const existing = g.listKnown ? existingVmBo(w, vm, g) : undefined;
    const found = existing ? 'found' : g.listKnown ? 'created' : w.choose('exists', ['created', 'found'], () => 'a vm_bo for this VM and GEM already exists');
    if (found === 'found') {
      takeFound(w, vm, g, res, existing);
      return;
    }
    w.checkAlloc(w.what, 'GFP_KERNEL');
    if (w.choose('alloc', ['ok', 'fails'], () => 'the allocation fails') === 'fails') {
      w.bindNull(res, 'err');
      w.result = 'err';
      return;
    }
    const b = newVmBo(w, vm, g, res, 'obtain');
    b.state = 'registered';
    g.vmBos.push(b.id);
    w.bind(res, b.id);
    w.own(b, w.callText);
    w.result = 'created';
  },

  bo_obtain_prealloc(w, op) {
    const pre = w.getKind(arg(op, 0), 'vm_bo');
    const vm = w.obj<VmObj>(pre.vm);
    const g = w.obj<GemObj>(pre.gem);
    const res = op.result ?? arg(op, 0);
    if (!w.needVmBoAlive(pre, w.what)) return;
    const listed = [pre.state === 'registered' && 'the GEM\'s gpuva list', vm.extobj.includes(pre.id) && 'the extobj list', vm.evict.includes(pre.id) && 'the evict list']
      .filter(Boolean);
    if (listed.length && !pre.unknownLists) {
      w.violate('prealloc-already-listed', `${w.what} is given vm_bo '${w.nameOf(pre)}', which is already on ${listed.join(' and ')}: it must be a fresh vm_bo from drm_gpuvm_bo_create()`);
    }
    const contract = flag(op, 'caller_locks') ? 'caller-locks' : flag(op, 'self_locks') ? 'self-locks' : w.cfg.obtainPrealloc;
    // The caller's reference now belongs to the returned vm_bo: the preallocated handle must not be put.
    if (res !== arg(op, 0)) w.s.consumed[arg(op, 0)] = { origin: op.origin, label: w.callText };
    if (contract === 'self-locks') {
      if (vm.immediateMode === false) {
        w.violate('obtain-mode-mismatch', `${w.what} on staged-mode VM '${vm.label}': it takes obj->gpuva.lock itself and WARNs unless the VM has DRM_GPUVM_IMMEDIATE_MODE`);
      }
      w.checkAcquire(w.gpuvaOf(g), `${w.what} (which locks the GEM's gpuva.lock itself)`);
    } else {
      w.needListLock(g, vm, w.what);
    }
    const existing = g.listKnown ? existingVmBo(w, vm, g) : undefined;
    const outcome = existing && existing.id !== pre.id ? 'found'
      : g.listKnown ? 'registered'
        : w.choose('exists', ['registered', 'found'], () => 'a vm_bo for this VM and GEM already exists');
    if (outcome === 'registered') {
      if (pre.state === 'detached') {
        pre.state = 'registered';
        g.vmBos.push(pre.id);
      }
      w.bind(res, pre.id);
      w.result = 'registered';
      w.note(`vm_bo '${w.nameOf(pre)}' registered on the gpuva list of GEM '${g.label}'`);
      return;
    }
    takeFound(w, vm, g, res, existing);
    // The preallocation is destroyed (its reference consumed).
    w.disown(pre);
    pre.refs.n = 0;
    const how = `${w.what} (freeing the unused preallocation)`;
    if (contract === 'caller-locks') {
      w.needVmResv(vm, `${how}, through drm_gpuvm_bo_put(),`);
    }
    w.destroyVmBo(pre, how);
  },

  bo_find(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    const g = w.getKind(arg(op, 1), 'gem');
    w.needListLock(g, vm, w.what);
    const res = op.result ?? 'vm_bo';
    const existing = g.listKnown ? existingVmBo(w, vm, g) : undefined;
    const found = existing ? 'found' : g.listKnown ? 'missing' : w.choose('exists', ['found', 'missing'], () => 'no vm_bo exists for this VM and GEM');
    if (found === 'missing') {
      w.bindNull(res, 'null');
      w.result = 'null';
      return;
    }
    takeFound(w, vm, g, res, existing);
  },

  bo_get(w, op) {
    const b = w.getKind(arg(op, 0), 'vm_bo');
    if (!w.needVmBoAlive(b, w.what)) return;
    b.refs.n++;
    w.own(b, w.callText);
    if (op.result) w.bind(op.result, b.id);
  },

  bo_put(w, op) {
    if (w.isNull(arg(op, 0)) || putOfConsumed(w, arg(op, 0))) return;
    const b = w.getKind(arg(op, 0), 'vm_bo');
    w.putVmBo(b, w.what, 'plain', true);
    unpinIfLast(w, op, b);
  },

  bo_put_deferred(w, op) {
    if (w.isNull(arg(op, 0)) || putOfConsumed(w, arg(op, 0))) return;
    const b = w.getKind(arg(op, 0), 'vm_bo');
    checkDeferredMode(w, w.obj<VmObj>(b.vm), 'put');
    w.putVmBo(b, w.what, 'deferred', true);
    unpinIfLast(w, op, b);
  },

  bo_deferred_cleanup(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    if (!w.needLive(vm, w.what)) return;
    cleanupPrologue(w, vm);
    const zombies = [...vm.deferred];
    for (const id of zombies) {
      const b = w.obj<VmBoObj>(id);
      w.destroyVmBo(b, `${w.what} (freeing zombie '${b.label}')`);
    }
    w.s.deferredPuts = w.s.deferredPuts.filter((d) => d.vm !== vm.id);
    w.s.cleanedUp[vm.id] = true;
    if (zombies.length) w.note(`${zombies.length} zombie vm_bo(s) freed`);
  },

  bo_extobj_add(w, op) {
    const b = w.getKind(arg(op, 0), 'vm_bo');
    if (!w.needVmBoAlive(b, w.what)) return;
    const vm = w.obj<VmObj>(b.vm);
    const g = w.obj<GemObj>(b.gem);
    if (b.state === 'detached') {
      w.violate('create-without-obtain', `${w.what} on vm_bo '${w.nameOf(b)}', which is not on the GEM's gpuva list: call drm_gpuvm_bo_obtain_prealloc() first (it requires a vm_bo on no list)`);
    }
    if (vm.resvProtected === true && w.held(w.resvOfVm(vm)) === 'no') {
      w.violate('extobj-add-without-resv', `${w.what} without ${w.resvOfVm(vm).label}: the extobj list of a RESV_PROTECTED VM is protected by it (drm_gpuvm_resv_assert_held)`);
    }
    if (g.internal !== true && !vm.extobj.includes(b.id)) vm.extobj.push(b.id);
  },

  bo_evict(w, op) {
    const b = w.getKind(arg(op, 0), 'vm_bo');
    if (!w.needVmBoAlive(b, w.what)) return;
    const vm = w.obj<VmObj>(b.vm);
    const g = w.obj<GemObj>(b.gem);
    const ref = w.resvOfGem(g);
    if (w.held(ref) === 'no') w.violate('gem-resv-not-held', `${w.what} without ${ref.label} held (drm_gpuvm_bo_evict asserts it)`);
    const evict = !flag(op, 'unevict');
    b.evicted = evict;
    if (vm.resvProtected === true && g.internal !== true) {
      w.note(`external vm_bo '${w.nameOf(b)}': only the evicted flag is set; drm_gpuvm_prepare_objects moves it to the evict list`);
      return;
    }
    if (evict) { if (!vm.evict.includes(b.id)) vm.evict.push(b.id); } else removeFrom(vm.evict, b.id);
  },

  iterate_extobj(w, op) { iterate(w, op, 'extobj'); },
  iterate_evict(w, op) { iterate(w, op, 'evict'); },

  use(w, op) {
    const o = w.get(arg(op, 0));
    if (o.kind === 'vm_bo') w.needVmBoAlive(o, w.what);
    else w.needLive(o, w.what);
  },

  va_alloc(w, op) {
    const gfp = typeof op.opts?.gfp === 'string' ? op.opts.gfp : 'GFP_KERNEL';
    w.checkAlloc(w.what, gfp);
    const res = op.result ?? 'va';
    if (w.choose('alloc', ['ok', 'fails'], () => 'the allocation fails') === 'fails') {
      w.bindNull(res, 'null');
      w.result = 'null';
      return;
    }
    w.add<VaObj>({ kind: 'va', id: w.newId('va'), label: res, inserted: false, state: 'live', unknown: false, holdsCounted: false }, res);
  },
  va_free(w, op) {
    if (w.isNull(arg(op, 0))) return;
    const va = w.getKind(arg(op, 0), 'va');
    if (!w.needLive(va, w.what)) return;
    va.state = 'freed';
  },
  va_insert(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    const va = w.getKind(arg(op, 1), 'va');
    if (!w.needLive(vm, w.what) || !w.needLive(va, w.what)) return;
    if (op.args[2]) va.gem = w.getKind(op.args[2], 'gem').id;
    insertVa(vm, va);
  },
  va_remove(w, op) {
    const va = w.getKind(arg(op, 0), 'va');
    if (!w.needLive(va, w.what)) return;
    removeVa(w, va);
  },
  va_remap(w, op) {
    const va = w.getKind(arg(op, 0), 'va');
    if (!w.needLive(va, w.what)) return;
    const vmId = va.vm;
    removeVa(w, va);
    for (const n of op.args.slice(1)) {
      if (w.isNull(n)) continue; // drm_gpuva_remap() takes NULL for a side that does not exist
      const nv = w.getKind(n, 'va');
      if (vmId && w.needLive(nv, w.what)) {
        if (va.gem && !nv.gem) nv.gem = va.gem;
        insertVa(w.obj<VmObj>(vmId), nv);
      }
    }
  },
  va_link(w, op) {
    const va = w.getKind(arg(op, 0), 'va');
    const b = w.getKind(arg(op, 1), 'vm_bo');
    if (!w.needLive(va, w.what) || !w.needVmBoAlive(b, w.what)) return;
    const vm = w.obj<VmObj>(b.vm);
    const g = w.obj<GemObj>(b.gem);
    if (!va.inserted && !va.unknown) {
      w.violate('va-link-before-insert', `${w.what} links VA '${va.label}' before it is inserted: drm_gpuva_link uses va->vm; call drm_gpuva_map()/drm_gpuva_insert() first`);
    }
    if (b.state === 'detached') {
      w.violate('create-without-obtain', `${w.what} links to vm_bo '${w.nameOf(b)}', which never went through drm_gpuvm_bo_obtain_prealloc(): a second vm_bo for the same VM and GEM may exist`);
    }
    w.needListLock(g, vm, w.what);
    if (va.vmBo && va.vmBo !== b.id) w.note(`VA '${va.label}' was linked to another vm_bo`);
    va.vmBo = b.id;
    va.gem = b.gem;
    if (!b.vas.includes(va.id)) b.vas.push(va.id);
    b.refs.n++;
  },
  va_unlink(w, op) {
    const va = w.getKind(arg(op, 0), 'va');
    if (!w.needLive(va, w.what)) return;
    const b = linkedVmBo(w, va);
    if (!b) return;
    const vm = w.obj<VmObj>(b.vm);
    const g = w.obj<GemObj>(b.gem);
    w.needListLock(g, vm, w.what);
    unlinkVa(va, b);
    w.putVmBo(b, w.what, 'plain', false);
  },
  va_unlink_defer(w, op) {
    const va = w.getKind(arg(op, 0), 'va');
    if (!w.needLive(va, w.what)) return;
    const b = linkedVmBo(w, va);
    if (!b) return;
    const g = w.obj<GemObj>(b.gem);
    checkDeferredMode(w, w.obj<VmObj>(b.vm), 'unlink');
    // On recursion the real thread is stuck; go on as if the put happened so the bug is reported once.
    w.checkAcquire(w.gpuvaOf(g), `${w.what} (which takes obj->gpuva.lock itself)`);
    unlinkVa(va, b);
    w.putVmBo(b, w.what, 'deferred', false, true);
  },
  sm_map(w, op) { w.needLive(w.getKind(arg(op, 0), 'vm'), w.what); },
  sm_unmap(w, op) { w.needLive(w.getKind(arg(op, 0), 'vm'), w.what); },

  exec_begin(w) { w.s.exec = true; },
  // Locking into a drm_exec context does not start one: without drm_exec_init() on this path the
  // context (and what it locks) is the caller's.
  exec_prepare_obj(w, op) {
    const g = w.getKind(arg(op, 0), 'gem');
    w.acquire(w.resvOfGem(g), w.what, 'exec');
  },
  prepare_vm(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    w.acquire(w.resvOfVm(vm), w.what, 'exec');
  },
  prepare_objects(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    prepareObjects(w, vm);
  },
  exec_lock(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    w.s.exec = true;
    w.acquire(w.resvOfVm(vm), w.what, 'exec');
    prepareObjects(w, vm);
  },
  exec_unlock(w) {
    w.s.locks = w.s.locks.filter((l) => l.via !== 'exec');
    w.s.exec = false;
  },
  validate(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    w.needVmResv(vm, w.what);
    for (const id of [...vm.evict]) {
      const b = w.obj<VmBoObj>(id);
      if (b.state === 'zombie') {
        if (w.cfg.zombieCheck !== false) continue;
        w.violate('zombie-iteration', `${w.what} validates zombie vm_bo '${b.label}' (refcount 0, waiting for deferred cleanup): without the drm_gpuvm_bo_is_zombie() check it calls vm_bo_validate on a vm_bo that is being destroyed`);
      }
      b.evicted = false;
      removeFrom(vm.evict, id);
    }
  },
  resv_add_fence(w, op) {
    const vm = w.getKind(arg(op, 0), 'vm');
    const ref = w.resvOfVm(vm);
    if (w.held(ref) === 'no') w.violate('vm-resv-not-held', `${w.what} needs ${ref.label} locked (it asserts every object of the drm_exec context is locked)`);
  },
  resv_lock(w, op) {
    const { ref } = resvOwner(w, arg(op, 0));
    if (flag(op, 'entry')) { w.holdOnEntry(ref); return; }
    if (lockAttemptFails(w, op)) return;
    w.acquire(ref, w.what);
  },
  resv_unlock(w, op) {
    const { ref } = resvOwner(w, arg(op, 0));
    w.release(ref, w.what);
  },
  gpuva_lock(w, op) {
    const ref = w.gpuvaOf(w.getKind(arg(op, 0), 'gem'));
    if (flag(op, 'entry')) w.holdOnEntry(ref);
    else if (!lockAttemptFails(w, op)) w.acquire(ref, w.what);
  },
  gpuva_unlock(w, op) {
    unlockGpuva(w, w.getKind(arg(op, 0), 'gem'));
  },
  mutex_lock(w, op) {
    const ref: LockRef = { id: `mutex:${arg(op, 0)}`, cls: 'mutex', label: arg(op, 0) };
    if (flag(op, 'entry')) w.holdOnEntry(ref);
    else if (!lockAttemptFails(w, op)) w.acquire(ref, w.what);
  },
  mutex_unlock(w, op) { w.release({ id: `mutex:${arg(op, 0)}`, cls: 'mutex', label: arg(op, 0) }, w.what); },
  spin_lock(w, op) { w.acquire({ id: `spin:${arg(op, 0)}`, cls: 'spinlock', label: arg(op, 0) }, w.what); },
  spin_unlock(w, op) { w.release({ id: `spin:${arg(op, 0)}`, cls: 'spinlock', label: arg(op, 0) }, w.what); },

  begin_signalling(w, op) {
    const c = w.s.ctx;
    c.signalling++;
    c.begins++;
    c.signallingFrom.push({ origin: op.origin, label: op.label ?? 'dma_fence_begin_signalling()' });
  },
  end_signalling(w) {
    const c = w.s.ctx;
    if (c.begins === 0) {
      w.violate('signalling-unbalanced', `${w.what} without a matching dma_fence_begin_signalling() on this path`);
      return;
    }
    c.begins--;
    c.signalling--;
    c.signallingFrom.pop();
  },
  alloc(w, op) {
    const gfp = typeof op.opts?.gfp === 'string' ? op.opts.gfp : 'GFP_KERNEL';
    w.checkAlloc(w.what, gfp);
    if (w.choose('alloc', ['ok', 'fails'], () => 'the allocation fails') === 'fails') {
      w.result = 'null';
      if (op.result) w.bindNull(op.result, 'null');
    }
  },
  fence_wait(w) {
    if (w.signalling) w.violate('signalling-fence-wait', `${w.what} waits on a fence ${w.sigWhere}`, { related: w.sigRelated() });
    if (w.s.ctx.atomic > 0) w.violate('sleep-in-atomic', `${w.what} waits in atomic context`, { related: w.atomicRelated() });
  },

  hand_on(w, op) {
    if (w.isNull(arg(op, 0))) return;
    const o = w.get(arg(op, 0));
    const ob = w.s.owned[o.id];
    if (!ob) return;
    const count = op.opts?.count === undefined || op.opts.count === 'all' ? ob.count : Number(op.opts.count);
    for (let i = 0; i < count; i++) w.disown(o);
  },
  forget(w, op) {
    if (w.isNull(arg(op, 0))) return;
    const o = w.get(arg(op, 0));
    if (w.s.owned[o.id]) w.note(`'${arg(op, 0)}' forgotten: its reference is never released`);
  },
  unbind(w, op) {
    w.bindNull(arg(op, 0), flag(op, 'err') ? 'err' : 'null');
  },
  alias(w, op) {
    const from = arg(op, 1);
    if (w.isNull(from)) { w.bindNull(arg(op, 0), w.s.nullNames[from]!); return; }
    w.bind(arg(op, 0), w.get(from).id);
  },
};

/**
 * `unpin_if_last`: the caller unpins the GEM when its put returned true, as the
 * old panthor_vm_bo_put did. The unpin happens after the caller's locks are
 * released, so it is not modelled as taking the resv here.
 */
export function unpinIfLast(w: Working, op: Op, b: VmBoObj): void {
  if (!flag(op, 'unpin_if_last')) return;
  const g = w.obj<GemObj>(b.gem);
  if (w.result === 'last') w.unpin(g, `the caller unpins GEM '${g.label}': its put was the last`);
  else if (w.result === 'not-last') w.note(`the caller does not unpin GEM '${g.label}': its put was not the last`);
}

/**
 * The checks drm_gpuvm_bo_deferred_cleanup makes before it drains bo_defer:
 * not in the signalling path, and not with the VM resv it takes itself.
 */
export function cleanupPrologue(w: Working, vm: VmObj): void {
  const resv = w.resvOfVm(vm);
  const prot = vm.resvProtected;
  if (w.signalling) {
    if (prot !== false) {
      w.violate('signalling-resv-lock', `${w.what} ${w.sigWhere}: on a RESV_PROTECTED VM it takes ${resv.label}, and it puts GEMs and the VM. Run it from a workqueue or the next ioctl`,
        { related: w.sigRelated(), ...(prot === undefined ? { certainty: 'possible' as const } : {}) });
    } else {
      w.violate('signalling-gem-put', `${w.what} ${w.sigWhere}: it frees vm_bos and may drop the last GEM and VM references`, { related: w.sigRelated() });
    }
  }
  if (prot !== false) {
    // It takes the resv itself: like any lock taken, it gets no benefit of the doubt about
    // what the caller may hold, only the locks this path (or an assertion) says are held.
    const l = w.heldLock(resv);
    const h = !l ? 'no' : w.relation(l, resv) === 'same' ? 'yes' : 'maybe';
    if (l) {
      w.violate('deferred-cleanup-under-resv', `${w.what} takes ${resv.label} itself, and this path ${h === 'yes' ? 'holds it' : 'may hold it'}: self-deadlock`,
        { related: [w.takenHere(l)], ...(h === 'maybe' || prot === undefined ? { certainty: 'possible' as const } : {}) });
    } else {
      const g = w.heldGpuvaLocks()[0];
      if (g) w.violate('lock-order', `${w.what} takes ${resv.label} while holding ${g.label}: lock inversion`, { related: [w.takenHere(g)] });
    }
    if (w.s.ctx.atomic > 0) w.violate('sleep-in-atomic', `${w.what} takes ${resv.label} in atomic context`, { related: w.atomicRelated() });
  }
}

/** drm_gpuvm_bo_put_deferred / drm_gpuva_unlink_defer WARN unless the VM is in immediate mode. */
export function checkDeferredMode(w: Working, vm: VmObj, fn: 'put' | 'unlink'): void {
  if (vm.immediateMode !== false) return;
  w.violate('deferred-needs-immediate-mode', fn === 'put'
    ? `${w.what} on VM '${vm.label}', which is not in DRM_GPUVM_IMMEDIATE_MODE: drm_gpuvm_bo_put_deferred WARNs, and obj->gpuva.lock does not protect the gpuva list in staged mode`
    : `${w.what} on VM '${vm.label}', which is not in DRM_GPUVM_IMMEDIATE_MODE: drm_gpuva_unlink_defer WARNs and takes obj->gpuva.lock, which does not protect the gpuva list in staged mode`);
}

/** mutex_unlock(&obj->gpuva.lock): unlocking a mutex inside a freed GEM is a use after free. */
export function unlockGpuva(w: Working, g: GemObj): void {
  if (g.state === 'freed') w.violate('use-after-free', `${w.what} unlocks the gpuva.lock of GEM '${g.label}', which is freed`);
  w.release(w.gpuvaOf(g), w.what);
}

/** The interruptible / killable / trylock forms of a lock may fail, and then hold nothing. */
function lockAttemptFails(w: Working, op: Op): boolean {
  if (!flag(op, 'trylock') && !flag(op, 'interruptible')) return false;
  if (w.choose('lock', ['ok', 'fails'], () => (flag(op, 'trylock') ? 'the trylock fails' : 'the wait is interrupted')) !== 'fails') return false;
  w.result = 'fail';
  return true;
}

/** A put through a handle whose reference an API already took: a double put. */
export function putOfConsumed(w: Working, name: string): boolean {
  const c = w.s.consumed[name];
  if (!c) return false;
  w.violate('vm-bo-double-put', `${w.what} puts '${name}', whose reference was already handed to ${c.label}`,
    { related: [{ origin: c.origin, message: `the reference of '${name}' handed over here` }] });
  return true;
}

export function linkedVmBo(w: Working, va: VaObj): VmBoObj | undefined {
  if (!va.vmBo) {
    if (!va.unknown) w.note(`VA '${va.label}' is not linked`);
    return undefined;
  }
  const b = w.obj<VmBoObj>(va.vmBo);
  if (b.state === 'freed' || b.state === 'zombie') {
    w.violate('vm-bo-use-after-put', `${w.what}: the vm_bo '${w.nameOf(b)}' of VA '${va.label}' was already put`);
    return undefined;
  }
  return b;
}

export function unlinkVa(va: VaObj, b: VmBoObj): void {
  delete va.vmBo;
  removeFrom(b.vas, va.id);
}

function insertVa(vm: VmObj, va: VaObj): void {
  if (va.inserted && !va.unknown) return;
  va.inserted = true;
  va.unknown = false;
  va.vm = vm.id;
  va.holdsCounted = true;
  vm.vas.push(va.id);
  vm.refs.n++;
}

function removeVa(w: Working, va: VaObj): void {
  if (!va.inserted) return;
  va.inserted = false;
  if (!va.vm) return;
  const vm = w.obj<VmObj>(va.vm);
  removeFrom(vm.vas, va.id);
  if (va.holdsCounted) {
    va.holdsCounted = false;
    w.vmPut(vm, w.what, true);
  }
}

function prepareObjects(w: Working, vm: VmObj): void {
  prepareObjectsPrologue(w, vm);
  for (const id of vm.extobj) {
    const b = w.obj<VmBoObj>(id);
    if (!prepareEntry(w, vm, b)) continue;
  }
}

/** drm_gpuvm_prepare_objects before its walk: the VM resv (RESV_PROTECTED), a drm_exec context. */
export function prepareObjectsPrologue(w: Working, vm: VmObj): void {
  w.needVmResv(vm, w.what);
  if (w.signalling && vm.extobj.length === 0 && !vm.listsKnown) {
    w.violate('signalling-resv-lock', `${w.what} locks the resv of every external object ${w.sigWhere}`, { related: w.sigRelated() });
  }
}

/**
 * One extobj entry of drm_gpuvm_prepare_objects: skip a zombie (the kernel's
 * drm_gpuvm_bo_is_zombie check), lock its GEM's resv in the drm_exec context.
 * Returns false when the entry was skipped.
 */
export function prepareEntry(w: Working, vm: VmObj, b: VmBoObj): boolean {
  if (b.state === 'freed') return false;
  if (isZombie(b)) {
    if (w.cfg.zombieCheck !== false) return false;
    w.violate('zombie-iteration', `${w.what} locks the resv of zombie vm_bo '${b.label}' (refcount 0, waiting for deferred cleanup): without the drm_gpuvm_bo_is_zombie() check it prepares a vm_bo that is being destroyed`);
  }
  w.acquire(w.resvOfGem(w.obj<GemObj>(b.gem)), w.what, 'exec');
  if (b.evicted && vm.resvProtected === true && !vm.evict.includes(b.id)) vm.evict.push(b.id);
  return true;
}

/**
 * drm_gpuvm_bo_is_zombie: kref_read() == 0. Another thread may be between its
 * final refcount_dec_and_test and drm_gpuvm_bo_into_zombie: the count is what
 * the kernel reads.
 */
export function isZombie(b: VmBoObj): boolean {
  return b.state === 'zombie' || (b.state !== 'freed' && b.refs.n === 0 && !b.refs.extra);
}

/** The put a lockless walker drops its transient reference with: deferred in immediate mode, plain otherwise. */
export function transientPutKind(vm: VmObj): 'plain' | 'deferred' {
  return vm.immediateMode === true ? 'deferred' : 'plain';
}

function iterate(w: Working, op: Op, list: 'extobj' | 'evict'): void {
  const vm = w.getKind(arg(op, 0), 'vm');
  if (vm.resvProtected === true) w.needVmResv(vm, `${w.what} (walking the ${list} list)`);
  if (flag(op, 'get_ref')) {
    // kref_get_unless_zero on each entry (zombies fail it and are skipped), then drop the transient reference.
    for (const id of [...vm[list]]) {
      const b = w.obj<VmBoObj>(id);
      if (b.state !== 'registered' && b.state !== 'detached') continue;
      b.refs.n++;
      w.putVmBo(b, `${w.what} (dropping its transient reference to '${b.label}')`, transientPutKind(vm), false);
    }
    return;
  }
  if (flag(op, 'skip_zombies')) return;
  const zombies = vm[list].map((id) => w.obj<VmBoObj>(id)).filter((b) => b.state === 'zombie');
  if (zombies.length) walkedZombie(w, vm, list, zombies[0]!);
  else walkedUnknownList(w, vm, list);
}

/** A walk without the zombie check reached a zombie. */
export function walkedZombie(w: Working, vm: VmObj, list: 'extobj' | 'evict', b: VmBoObj): void {
  w.violate('zombie-iteration', `${w.what} walks the ${list} list of '${vm.label}' without skipping zombies, and zombie vm_bo '${b.label}' is on it (refcount 0, waiting for deferred cleanup): check kref_read() or use kref_get_unless_zero()`);
}

/** A walk without the zombie check over a list the simulation cannot see may meet zombies. */
export function walkedUnknownList(w: Working, vm: VmObj, list: 'extobj' | 'evict'): void {
  if (vm.listsKnown || vm.immediateMode === false) return;
  w.violate('zombie-iteration', `${w.what} walks the ${list} list of '${vm.label}' without skipping zombies: with deferred vm_bo puts, entries with refcount 0 stay on it until deferred cleanup`,
    { certainty: 'possible', severity: 'warning' });
}

/** Apply one operation: every possible outcome, each with its violations. */
export function applyOp(state: ModelState, op: Op, cfg: ModelConfig = DEFAULT_CONFIG): Outcome[] {
  const handler = HANDLERS[op.op];
  if (!handler) throw new ModelError(`unknown operation '${op.op}'`);
  const outcomes: Outcome[] = [];
  const pending: string[][] = [[]];
  let guard = 0;
  while (pending.length) {
    if (++guard > 64) break;
    const prefix = pending.shift()!;
    const w = new Working(shallowState(state), cfg, op, prefix);
    handler(w, op);
    outcomes.push({ state: w.s, violations: w.violations, assumptions: w.assumptions, result: w.result, notes: w.notes });
    for (let i = prefix.length; i < w.choices.length; i++) {
      const c = w.choices[i]!;
      for (const alt of c.options) {
        if (alt === c.taken) continue;
        pending.push([...w.choices.slice(0, i).map((x) => x.taken), alt]);
      }
    }
  }
  return outcomes;
}

export function isKnownOp(name: string): boolean {
  return name in HANDLERS;
}
