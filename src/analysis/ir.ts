// The intermediate representation the Rust and C front ends lower to: per
// function, a control-flow graph of lifecycle events. Events name objects by
// "keys" (normalised expressions such as `op_ctx.map.vm_bo`); the analysis binds
// keys to model objects as it walks a path.

import type { ObjKind } from '../model/state';

export interface Pos {
  /** 1-based line. */
  line: number;
  /** 1-based column in UTF-16 code units. */
  column: number;
}

export interface Span {
  start: Pos;
  end: Pos;
  /** Offsets in UTF-16 code units into the file text (for editors). */
  startIndex: number;
  endIndex: number;
}

export interface IrArg {
  /** Normalised expression: `op_ctx.map.vm_bo`, `vm.base`. */
  key: string;
  /** What the API expects here (resv owners say whether it is a VM's or a GEM's resv). */
  kind?: ObjKind | 'lock-name';
  /** The source text, for messages. */
  text: string;
}

/** A branch condition a path assumes (on the edge into a branch). */
export type Cond =
  /** The handle is NULL / an ERR_PTR / neither. */
  | { test: 'null' | 'err' | 'valid' | 'null-or-err'; key: string; negate: boolean }
  /** An int/bool result variable is zero (false) or not. */
  | { test: 'zero'; key: string; negate: boolean }
  /** Two handles point to the same object (Rust `ptr::eq(a, b)`, C `a == b`). */
  | { test: 'same'; key: string; other: string; negate: boolean }
  /** A Rust drop flag is set: the value in `key` is still owned here (not moved out on this path). */
  | { test: 'flag'; key: string; negate: boolean };

export type IrEvent =
  /** A GPUVM API call (or a Rust drop/guard release that means one). `op` is a model op name. */
  | {
    kind: 'api'; op: string; args: IrArg[]; label: string;
    /** Handle key the result is bound to (a vm_bo, a VA). */
    result?: string;
    /** Int/bool result variable (`ret = dma_resv_lock_interruptible(...)`), correlated with later conditions. */
    resultVar?: string;
    /** The result is stored outside the function (a field of a parameter, a global): its reference is handed on. */
    resultEscapes?: boolean;
    opts?: Record<string, string | boolean>;
  }
  /** A call to a function of the program (inlined) or to an unknown function (ignored). */
  | {
    /** `args`: the key of each argument; `#0` / `#1` for a literal false/zero or true/nonzero; null when it names nothing. */
    kind: 'call'; callee: string; args: Array<string | null>; label: string;
    result?: string; resultVar?: string; resultEscapes?: boolean;
    /** Rust: arguments passed by value; when the callee is not inlined, their references go to it. */
    moves?: number[];
  }
  /**
   * `target = source` between handles: an alias if target is a local, a hand-on if it is a field or
   * global. `source` NULL clears the target; a source that names nothing known makes it unknown.
   */
  | {
    kind: 'assign'; target: string; source: string | 'NULL'; label: string; targetIsLocal: boolean;
    /** What the target's declared type says it holds: the source is resolved as one (through fields, or as an outside object). */
    holds?: ObjKind;
  }
  /** The references held through `key` go to someone else (returned, moved into a struct/closure/field). */
  | { kind: 'handOn'; key: string; label: string; count?: 'all' | 1 }
  /** A handle is forgotten (mem::forget, ManuallyDrop without take): its reference is never released. */
  | { kind: 'forget'; key: string; label: string }
  | { kind: 'assume'; cond: Cond; label: string }
  /**
   * Set or clear a Rust drop flag: set when a value is initialised, cleared when it is moved out or
   * dropped. Drops that run only on some paths test it with an `assume` on `{ test: 'flag' }`.
   */
  | { kind: 'flag'; key: string; set: boolean; label: string }
  /**
   * A function exit: return, `?`, end of body. `value` is the handle returned, if any; `error` says
   * the function returns an error here (Rust `Err`/`None`, a `?` exit), false a success, unset unknown.
   */
  | {
    kind: 'exit'; label: string; value?: string; error?: boolean;
    /** The function returns holding its locks on purpose (it returns a lock guard). */
    keepsLocks?: boolean;
  }
  /** Part of the function that could not be parsed. */
  | { kind: 'unparsed'; label: string }
  | { kind: 'nop'; label: string };

export interface IrNode {
  id: number;
  event: IrEvent;
  span?: Span;
  succ: number[];
}

export interface IrParam {
  name: string;
  key: string;
  kind?: ObjKind;
  /** Rust: passed by value, so the callee owns (and drops) it. */
  owned?: boolean;
  /** A preallocated vm_bo (GpuVmBoAlloc): refcount one, on no list. */
  detached?: boolean;
}

export interface EntryLock {
  lock: 'resv' | 'gpuva' | 'mutex';
  arg: IrArg;
}

/**
 * Roles tell which callback or entry point a function is: run_job, submit,
 * sm_step_map/remap/unmap, vm_bo_free, vm_free, ioctl ... They come from ops
 * tables (C) and trait impls (Rust).
 */
export interface IrFunction {
  /** Unique within the program: `file::name` or `file::Type::name`. */
  id: string;
  name: string;
  /** `GpuVmBoAlloc::obtain`, `panthor_vm_bind_run_job`. */
  displayName: string;
  file: string;
  language: 'rust' | 'c';
  span: Span;
  nameSpan: Span;
  entry: number;
  nodes: IrNode[];
  params: IrParam[];
  roles: string[];
  /** Comment markers: `signalling`, `not-signalling`. */
  markers: string[];
  /** Rules suppressed for the whole function (`// gpuvm-review: allow(rule)` above it). */
  suppress: string[];
  /** Locks the function asserts are held on entry (lockdep_assert_held, *_assert_held). */
  entryLocks: EntryLock[];
  /** Whether callers may hold locks we cannot see (C helpers and staged callbacks). */
  callerLocks: boolean;
  /** Part of the body could not be parsed: what and where. */
  partial?: { reason: string; spans: Span[] };
  /** Callees by name, for the call graph. */
  callees: string[];
  /** The function touches GPUVM (for CodeLens and "functions that touch GPUVM"). */
  touchesGpuvm: boolean;
}

export interface VmInitEvidence {
  immediate?: boolean;
  resvProtected?: boolean;
  span?: Span;
  /** Where this came from: `drm_gpuvm_init flags`, `API generation upstream`. */
  source: string;
}

export interface IrFile {
  file: string;
  language: 'rust' | 'c';
  functions: IrFunction[];
  /** Evidence of the VM mode found in this file. */
  vmInits: VmInitEvidence[];
  /** Line -> rules allowed on it (`// gpuvm-review: allow(rule)`); applies to the line and the next. */
  lineSuppressions: Record<number, string[]>;
  /** Driver callbacks from ops tables: role -> function name (`vm_bo_free` -> `panthor_vm_bo_free`). */
  callbacks: Record<string, string[]>;
  /** Rust API generation detected (upstream, series, asahi), if any. */
  apiGeneration?: 'upstream' | 'series' | 'asahi';
  /** Findings the front end makes itself (Rust hygiene rules), already located. */
  syntaxFindings: Array<{ rule: string; message: string; span: Span; function: string | null }>;
  /** Parse problems worth telling the user. */
  parseErrors: Array<{ span: Span; message: string }>;
}
