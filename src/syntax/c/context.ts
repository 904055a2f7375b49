// What the lowering of one C function knows and builds: the file around it,
// its variables, the control-flow graph under construction, the open lock
// scopes (guard/scoped_guard), loop and switch targets, labels, and the
// facts it collects (entry locks, callees, parse problems).

import type { CNode as Node } from './cnode';
import { CfgBuilder } from '../../analysis/cfg';
import type { EntryLock, IrEvent, Span, VmInitEvidence } from '../../analysis/ir';
import type { ObjKind } from '../../model/state';
import type { KeyEnv, ResvOwner } from './keys';
import type { VarInfo } from './types';

/** Per-file facts shared by every function's lowering. */
export interface FileCtx extends KeyEnv {
  file: string;
  /** Driver structs that embed a GPUVM object. */
  structs: ReadonlyMap<string, ObjKind>;
  /** Functions of the file that reach GPUVM (deep-lowered). */
  relevant: ReadonlySet<string>;
  /** For helpers that convert a parameter with container_of(p, T, member): callers passing `&x->member` pass x. */
  containerParams: ReadonlyMap<string, ReadonlyMap<number, string>>;
  /** The file's VM mode evidence so far (drm_gpuvm_init flags), for mode-dependent assertions. */
  immediate?: boolean;
  /** The file knows the deferred vm_bo API: zombies may sit on the extobj/evict lists. */
  deferredEra: boolean;
  /** The program registers driver mutexes as gpuva list locks (the API before immediate mode). */
  driverListLock: boolean;
  vmInits: VmInitEvidence[];
  callbacks: Record<string, string[]>;
}

interface Release { event: IrEvent; span: Span }

interface Scope {
  node: Node | undefined;
  releases: Release[];
  labels?: Set<string>;
}

interface JumpTarget {
  kind: 'loop' | 'switch';
  breaks: number[];
  continues: number[];
  scopeDepth: number;
}

export class FnLowering {
  readonly b: CfgBuilder;
  readonly vars = new Map<string, VarInfo>();
  readonly resvVars = new Map<string, ResvOwner>();
  readonly env: KeyEnv;
  /** Variables holding a "true on success" result (trylock): their conditions read the other way. */
  readonly inverted = new Set<string>();
  readonly resultVars = new Set<string>();
  /** Values branch conditions test: their assignments are kept (the analysis remembers tested values). */
  readonly condKeys = new Set<string>();
  /** Keys bound to the results of calls nested in arguments, by the argument's start index. */
  readonly nested = new Map<number, string>();
  /** The text last assigned to an integer variable (`flags = DRM_GPUVM_RESV_PROTECTED`). */
  readonly lastValue = new Map<string, string>();
  readonly entryLocks: EntryLock[] = [];
  /** No lock was taken or released yet: assertions here are facts about the caller. */
  entryPhase = true;
  readonly callees = new Set<string>();
  readonly partial: Array<{ reason: string; span: Span }> = [];
  private readonly scopes: Scope[] = [];
  private readonly jumps: JumpTarget[] = [];
  private readonly labels = new Map<string, number>();
  private readonly labelDefined = new Set<string>();
  private tmp = 0;

  constructor(readonly file: FileCtx, readonly name: string, span: Span) {
    this.b = new CfgBuilder(span, `${name}() entered`);
    this.env = { text: file.text, accessors: file.accessors, defined: file.defined, resvVars: this.resvVars, ...(file.gpuvaLockMembers ? { gpuvaLockMembers: file.gpuvaLockMembers } : {}) };
  }

  get text(): string {
    return this.file.text;
  }

  temp(prefix = 't'): string {
    return `#${prefix}${++this.tmp}`;
  }

  emit(event: IrEvent, span?: Span): number {
    return this.b.emit(event, span);
  }

  get reachable(): boolean {
    return this.b.open.length > 0;
  }

  markPartial(reason: string, span: Span): void {
    this.partial.push({ reason, span });
    this.emit({ kind: 'unparsed', label: reason }, span);
  }

  // ---- scopes of cleanup-released locks -------------------------------------------

  pushScope(node: Node | undefined): void {
    this.scopes.push({ node, releases: [] });
  }

  /** Leave the innermost scope on the fall-through path: its releases run there. */
  popScope(): void {
    const s = this.scopes.pop();
    if (s && this.reachable) this.emitReleases([s]);
  }

  /** A lock released when the innermost scope ends (`guard(mutex)(&l);`). */
  addRelease(event: IrEvent, span: Span): void {
    const s = this.scopes[this.scopes.length - 1];
    if (s) s.releases.push({ event, span });
  }

  get scopeDepth(): number {
    return this.scopes.length;
  }

  private emitReleases(scopes: Scope[]): void {
    for (const s of scopes) for (const r of [...s.releases].reverse()) this.emit(r.event, r.span);
  }

  /** Release the scopes from the innermost down to (not including) depth `keep`. */
  releaseTo(keep: number): void {
    this.emitReleases(this.scopes.slice(keep).reverse());
  }

  // ---- exits, loops, switches, labels ------------------------------------------------

  ret(label: string, span: Span, value?: string): void {
    this.releaseTo(0);
    this.b.exit(label, span, value);
  }

  pushJump(kind: JumpTarget['kind']): JumpTarget {
    const j: JumpTarget = { kind, breaks: [], continues: [], scopeDepth: this.scopes.length };
    this.jumps.push(j);
    return j;
  }

  popJump(): void {
    this.jumps.pop();
  }

  breakOut(span: Span): void {
    const j = this.jumps[this.jumps.length - 1];
    if (!j) return;
    this.emit({ kind: 'nop', label: 'break' }, span);
    this.releaseTo(j.scopeDepth);
    j.breaks.push(...this.b.open);
    this.b.open = [];
  }

  continueLoop(span: Span): void {
    const j = [...this.jumps].reverse().find((x) => x.kind === 'loop');
    if (!j) return;
    this.emit({ kind: 'nop', label: 'continue' }, span);
    this.releaseTo(j.scopeDepth);
    j.continues.push(...this.b.open);
    this.b.open = [];
  }

  private labelNode(name: string): number {
    let id = this.labels.get(name);
    if (id === undefined) {
      id = this.b.raw({ kind: 'nop', label: `${name}:` });
      this.labels.set(name, id);
    }
    return id;
  }

  goto(name: string, span: Span): void {
    if (!this.reachable) return;
    this.emit({ kind: 'nop', label: `goto ${name}` }, span);
    // Scopes that do not contain the label are left.
    let keep = 0;
    while (keep < this.scopes.length && this.scopeHasLabel(this.scopes[keep]!, name)) keep++;
    this.releaseTo(keep);
    this.b.connect(this.b.open, this.labelNode(name));
    this.b.open = [];
  }

  defineLabel(name: string, span: Span): void {
    const id = this.labelNode(name);
    this.labelDefined.add(name);
    const n = this.b.nodes[id]!;
    n.span = span;
    this.b.connect(this.b.open, id);
    this.b.open = [id];
  }

  /** Labels used by a goto but never defined (half-typed code). */
  undefinedLabels(): string[] {
    return [...this.labels.keys()].filter((l) => !this.labelDefined.has(l));
  }

  private scopeHasLabel(s: Scope, name: string): boolean {
    if (!s.node) return true;
    s.labels ??= new Set(s.node.descendantsOfType('statement_identifier').map((n) => n.text));
    return s.labels.has(name);
  }
}
