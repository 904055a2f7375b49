// Which functions run in the DMA-fence signalling path, with which VM mode,
// and whether their callers may hold locks: decided from roles (ops tables,
// trait impls), comment markers, begin/end signalling regions and the call
// graph of the program.

import type { FunctionContext } from './explore';
import type { IrFile, IrFunction, IrNode } from './ir';

export interface ModeSetting {
  immediate?: boolean;
  resvProtected?: boolean;
}

export interface ContextOptions {
  /** Overrides whatever the code says. */
  mode?: ModeSetting;
  /** More function names (or Type::method) to treat as signalling-path entry points. */
  signallingFunctions?: string[];
}

/** Roles that are entry points of the signalling path, and how to say so. */
const SIGNALLING_ROLES: Record<string, string> = {
  run_job: 'run_job',
  submit: 'the job-queue submit callback',
  signalling: 'code marked "gpuvm-review: signalling"',
  irq: 'an interrupt handler',
};
const SM_STEP_ROLES = ['sm_step_map', 'sm_step_remap', 'sm_step_unmap'];
/** Roles entered with no GPUVM lock held. */
const LOCK_FREE_ENTRY = new Set(['run_job', 'submit', 'ioctl', 'work', 'irq', 'probe']);

export class Program {
  readonly functions: IrFunction[];
  private readonly byName = new Map<string, IrFunction[]>();
  private readonly byDisplay = new Map<string, IrFunction[]>();
  private readonly roleOf = new Map<IrFunction, Set<string>>();
  /** role -> functions with it (roles are fixed once the constructor has read the ops tables). */
  private readonly roleIndex = new Map<string, IrFunction[]>();
  /** file -> the Rust API generation it is written against (C files have none). */
  private readonly genOf = new Map<string, string>();

  constructor(readonly files: IrFile[]) {
    this.functions = files.flatMap((f) => f.functions);
    for (const f of files) if (f.apiGeneration) this.genOf.set(f.file, f.apiGeneration);
    for (const fn of this.functions) {
      push(this.byName, fn.name, fn);
      push(this.byDisplay, fn.displayName, fn);
      this.roleOf.set(fn, new Set(fn.roles));
    }
    // Ops tables name their callbacks: `.sm_step_map = panthor_gpuva_sm_step_map`.
    for (const f of files) {
      for (const [role, names] of Object.entries(f.callbacks)) {
        for (const n of names) for (const fn of this.lookupAll(n, f.file)) this.roleOf.get(fn)!.add(role);
      }
    }
  }

  private relevantSet?: Set<IrFunction>;

  /** Whether a function touches GPUVM or calls (transitively) one that does. */
  relevant(fn: IrFunction): boolean {
    if (!this.relevantSet) {
      const rel = new Set(this.functions.filter((f) => f.touchesGpuvm));
      let changed = true;
      while (changed) {
        changed = false;
        for (const f of this.functions) {
          if (rel.has(f)) continue;
          if (this.callees(f).some((c) => rel.has(c))) { rel.add(f); changed = true; }
        }
      }
      this.relevantSet = rel;
    }
    return this.relevantSet.has(fn);
  }

  roles(fn: IrFunction): Set<string> {
    return this.roleOf.get(fn) ?? new Set();
  }

  private lookupAll(name: string, file?: string): IrFunction[] {
    const hits = this.byDisplay.get(name) ?? this.byName.get(name) ?? [];
    const same = hits.filter((h) => h.file === file);
    return same.length ? same : hits;
  }

  /**
   * The function a call names: same file first; a bare method name only if unambiguous. A name
   * qualified by a type (`PageTable::unmap`) means that type's function: no other type's will do;
   * `?::unmap` is a method of a type nobody knows.
   */
  lookup(callee: string, from: IrFunction): IrFunction | undefined {
    const exact = this.byDisplay.get(callee);
    if (exact?.length) return exact.find((f) => f.file === from.file) ?? (exact.length === 1 ? exact[0] : undefined);
    // `?::name`: a method of a receiver whose type the front end could not tell: no guessing.
    if (/^(?:[A-Z]\w*|\?)::\w+$/.test(callee)) return undefined;
    const short = callee.includes('::') ? callee.slice(callee.lastIndexOf('::') + 2) : callee;
    const hits = this.byName.get(short) ?? [];
    const same = hits.filter((f) => f.file === from.file);
    if (same.length === 1) return same[0];
    if (!same.length && hits.length === 1) return hits[0];
    // A method on `self` inside an impl: prefer the same impl type.
    const type = from.displayName.includes('::') ? from.displayName.slice(0, from.displayName.lastIndexOf('::')) : undefined;
    return type ? same.find((f) => f.displayName === `${type}::${short}`) : undefined;
  }

  byRole(role: string, from: IrFunction): IrFunction[] {
    let all = this.roleIndex.get(role);
    if (!all) {
      all = this.functions.filter((f) => this.roleOf.get(f)?.has(role));
      this.roleIndex.set(role, all);
    }
    if (!all.length) return all;
    const same = all.filter((f) => f.file === from.file);
    if (same.length) return same;
    // Otherwise the callbacks of the same driver: same language and directory (files reviewed
    // together may be unrelated drivers), and for Rust the same API generation (an Asahi VM never
    // runs upstream callbacks).
    const dir = (file: string) => file.replace(/[^/\\]*$/, '');
    const gen = this.genOf.get(from.file);
    return all.filter((f) => f.language === from.language && dir(f.file) === dir(from.file)
      && (!gen || !this.genOf.get(f.file) || this.genOf.get(f.file) === gen));
  }

  private readonly calleeCache = new Map<IrFunction, IrFunction[]>();

  callees(fn: IrFunction): IrFunction[] {
    let hit = this.calleeCache.get(fn);
    if (!hit) {
      hit = this.computeCallees(fn);
      this.calleeCache.set(fn, hit);
    }
    return hit;
  }

  private computeCallees(fn: IrFunction): IrFunction[] {
    const out = new Set<IrFunction>();
    for (const n of fn.nodes) {
      if (n.event.kind === 'call') {
        const t = this.lookup(n.event.callee, fn);
        if (t) out.add(t);
      } else if (n.event.kind === 'api' && (n.event.op === 'sm_map' || n.event.op === 'sm_unmap')) {
        for (const r of SM_STEP_ROLES) for (const t of this.byRole(r, fn)) out.add(t);
      }
    }
    return [...out];
  }

  /** Callees before callers (cycles broken arbitrarily). */
  bottomUp(): IrFunction[] {
    const order: IrFunction[] = [];
    const state = new Map<IrFunction, 1 | 2>();
    const visit = (f: IrFunction): void => {
      if (state.get(f)) return;
      state.set(f, 1);
      for (const c of this.callees(f)) visit(c);
      state.set(f, 2);
      order.push(f);
    };
    for (const f of this.functions) visit(f);
    return order;
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v); else m.set(k, [v]);
}

/** The VM mode for a file: the setting, else evidence in the file, else in its directory, else in the program. */
export function modeFor(p: Program, file: string, opts: ContextOptions): { mode: ModeSetting; source: string } {
  if (opts.mode && (opts.mode.immediate !== undefined || opts.mode.resvProtected !== undefined)) return { mode: opts.mode, source: 'setting' };
  let byFile = modeCache.get(p);
  if (!byFile) { byFile = new Map(); modeCache.set(p, byFile); }
  let hit = byFile.get(file);
  if (!hit) { hit = computeMode(p, file); byFile.set(file, hit); }
  return hit;
}

/** Per program and file: the evidence is fixed once the program is built. */
const modeCache = new WeakMap<Program, Map<string, { mode: ModeSetting; source: string }>>();

function computeMode(p: Program, file: string): { mode: ModeSetting; source: string } {
  const dir = file.replace(/[^/\\]*$/, '');
  const pick = (files: IrFile[]): { mode: ModeSetting; source: string } | undefined => {
    const ev = files.flatMap((f) => f.vmInits);
    if (!ev.length) return undefined;
    const mode: ModeSetting = {};
    if (ev.some((e) => e.immediate === true)) mode.immediate = true;
    else if (ev.some((e) => e.immediate === false)) mode.immediate = false;
    if (ev.some((e) => e.resvProtected === true)) mode.resvProtected = true;
    else if (ev.some((e) => e.resvProtected === false)) mode.resvProtected = false;
    return { mode, source: ev[0]!.source };
  };
  return pick(p.files.filter((f) => f.file === file))
    ?? pick(p.files.filter((f) => f.file.replace(/[^/\\]*$/, '') === dir))
    ?? pick(p.files)
    ?? { mode: {}, source: 'unknown' };
}

export interface Contexts {
  get(fn: IrFunction): FunctionContext;
  /** Human description: "DMA-fence signalling path (run_job `foo`, via bar)". */
  describe(fn: IrFunction): string;
}

export function inferContexts(p: Program, opts: ContextOptions): Contexts {
  const sig = new Map<IrFunction, { label: string; root: IrFunction; via: string[] }>();
  const queue: IrFunction[] = [];
  const mark = (f: IrFunction, label: string, root: IrFunction, via: string[]): void => {
    if (sig.has(f) || f.markers.includes('not-signalling')) return;
    sig.set(f, { label, root, via });
    queue.push(f);
  };
  const extra = new Set(opts.signallingFunctions ?? []);
  for (const f of p.functions) {
    const roles = p.roles(f);
    const mode = modeFor(p, f.file, opts).mode;
    for (const [role, what] of Object.entries(SIGNALLING_ROLES)) {
      if (roles.has(role)) mark(f, `${what} ${f.displayName}`, f, []);
    }
    if (f.markers.includes('signalling')) mark(f, `${f.displayName} (marked "gpuvm-review: signalling")`, f, []);
    if (extra.has(f.name) || extra.has(f.displayName)) mark(f, `${f.displayName} (a signalling entry point in the settings)`, f, []);
    if (mode.immediate === true && SM_STEP_ROLES.some((r) => roles.has(r))) {
      mark(f, `the ${SM_STEP_ROLES.find((r) => roles.has(r))} callback ${f.displayName} of an immediate-mode VM`, f, []);
    }
    // Calls made between dma_fence_begin_signalling() and its end.
    for (const callee of callsInSignallingRegions(p, f)) mark(callee, `the dma_fence_begin_signalling() region in ${f.displayName}`, f, [f.displayName]);
  }
  while (queue.length) {
    const f = queue.shift()!;
    const info = sig.get(f)!;
    for (const c of p.callees(f)) mark(c, info.label, info.root, [...info.via, f.displayName].slice(-4));
  }

  const cache = new Map<IrFunction, FunctionContext>();
  return {
    get(fn) {
      const hit = cache.get(fn);
      if (hit) return hit;
      const roles = p.roles(fn);
      const mode = modeFor(p, fn.file, opts).mode;
      const s = sig.get(fn);
      const lockFree = [...roles].some((r) => LOCK_FREE_ENTRY.has(r)) || (mode.immediate === true && SM_STEP_ROLES.some((r) => roles.has(r)));
      const ctx: FunctionContext = {
        callerLocks: fn.callerLocks && !lockFree,
        vm: mode,
        ...(s ? { signalling: { label: s.via.length ? `${s.label}, via ${s.via.join(' → ')}` : s.label, fn: s.root } } : {}),
        ...(roles.has('irq') ? { atomic: true } : {}),
      };
      cache.set(fn, ctx);
      return ctx;
    },
    describe(fn) {
      const s = sig.get(fn);
      if (!s) return 'process context';
      return `DMA-fence signalling path (${s.via.length ? `${s.label}, via ${s.via.join(' → ')}` : s.label})`;
    },
  };
}

/** Callees of `f` called at a point reachable from a begin_signalling without crossing an end. */
function callsInSignallingRegions(p: Program, f: IrFunction): IrFunction[] {
  const begins = f.nodes.filter((n) => n.event.kind === 'api' && n.event.op === 'begin_signalling');
  if (!begins.length) return [];
  const out = new Set<IrFunction>();
  const seen = new Set<IrNode>();
  const stack = begins.flatMap((b) => b.succ.map((s) => f.nodes[s]!)).filter(Boolean);
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    const ev = n.event;
    if (ev.kind === 'api' && ev.op === 'end_signalling') continue;
    if (ev.kind === 'call') {
      const t = p.lookup(ev.callee, f);
      if (t) out.add(t);
    }
    for (const s of n.succ) { const x = f.nodes[s]; if (x) stack.push(x); }
  }
  return [...out];
}
