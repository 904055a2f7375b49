// Lowered functions kept between two lowerings of the same document. While
// the user types in one function, the others keep their text and the file
// keeps its context (items, signatures, API generation, VM mode), so their IR
// is taken from the last run and only moved to where they are now.

import type { IrFunction, Span } from '../analysis/ir';

interface Entry {
  line: number;
  index: number;
  fns: IrFunction[];
}

/** A store of what one run read, by key, that the next run may take back. */
export class Memo<T> {
  private prev = new Map<string, T>();
  private next = new Map<string, T>();

  get(key: string): T | undefined {
    const v = this.prev.get(key) ?? this.next.get(key);
    if (v !== undefined) this.next.set(key, v);
    return v;
  }

  set(key: string, v: T): void {
    this.next.set(key, v);
  }

  /** A new run: keep what the last one used. */
  rotate(): void {
    this.prev = this.next;
    this.next = new Map();
  }

  clear(): void {
    this.prev.clear();
    this.next.clear();
  }
}

export class LoweringCache {
  private context: string | undefined;
  private prev = new Map<string, Entry>();
  private next = new Map<string, Entry>();
  private readonly memos = new Map<string, Memo<unknown>>();
  hits = 0;
  misses = 0;
  /** Hits that had moved (an edit above them changed line count or length). */
  shifted = 0;

  /** A front end's own store (the items of a file, by their text), kept run to run. */
  memo<T>(name: string): Memo<T> {
    let m = this.memos.get(name);
    if (!m) { m = new Memo<unknown>(); this.memos.set(name, m); }
    return m as Memo<T>;
  }

  /** Start a lowering, before anything is read from the memos. */
  open(): void {
    for (const m of this.memos.values()) m.rotate();
    this.next = new Map();
    this.hits = 0;
    this.misses = 0;
    this.shifted = 0;
  }

  /**
   * Say what every function's lowering reads besides its own text; when it
   * changed, no function from the last run is used.
   */
  begin(context: string): void {
    if (context !== this.context) this.prev.clear();
    this.context = context;
  }

  /** The functions lowered from `key` last time, moved to start at `line`/`index`. */
  get(key: string, line: number, index: number): IrFunction[] | undefined {
    const e = this.prev.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    const moved = e.line !== line || e.index !== index;
    if (moved) this.shifted++;
    const fns = moved ? e.fns.map((f) => shiftSpans(f, line - e.line, index - e.index)) : e.fns;
    this.next.set(key, { line, index, fns });
    return fns;
  }

  put(key: string, line: number, index: number, fns: IrFunction[]): void {
    this.next.set(key, { line, index, fns });
  }

  /** End a lowering: keep only what this run used. */
  end(): void {
    this.prev = this.next;
    this.next = new Map();
  }

  /** Drop everything (a cancelled or failed lowering leaves the cache unusable). */
  clear(): void {
    this.context = undefined;
    this.prev.clear();
    this.next.clear();
    for (const m of this.memos.values()) m.clear();
  }
}

const isSpan = (v: object): v is Span => 'startIndex' in v && 'start' in v && 'end' in v;

/** A copy of `v` with every span moved by `dLine` lines and `dIndex` code units. */
export function shiftSpans<T>(v: T, dLine: number, dIndex: number): T {
  if (Array.isArray(v)) return v.map((x) => shiftSpans(x, dLine, dIndex)) as T;
  if (v === null || typeof v !== 'object') return v;
  if (isSpan(v)) {
    return {
      ...v,
      start: { ...v.start, line: v.start.line + dLine },
      end: { ...v.end, line: v.end.line + dLine },
      startIndex: v.startIndex + dIndex,
      endIndex: v.endIndex + dIndex,
    } as T;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = shiftSpans(x, dLine, dIndex);
  return out as T;
}
