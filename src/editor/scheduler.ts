// Debounced, cancellable work per document: a new request cancels the pending
// one and any run still in progress; results carry the version they were
// computed for, so stale ones are dropped by the caller.

export interface CancelToken {
  readonly cancelled: boolean;
}

class Token implements CancelToken {
  cancelled = false;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class Scheduler<K> {
  private readonly pending = new Map<K, { timer: unknown; token: Token }>();

  constructor(private readonly timers: Timers = realTimers) {}

  /** Run `work` for `key` after `delayMs`, cancelling whatever was scheduled or running for it. */
  schedule(key: K, delayMs: number, work: (token: CancelToken) => void | Promise<void>): void {
    this.cancel(key);
    const token = new Token();
    const timer = this.timers.set(() => {
      const cur = this.pending.get(key);
      if (cur?.token === token) this.pending.set(key, { timer: undefined, token });
      void Promise.resolve(work(token)).finally(() => {
        if (this.pending.get(key)?.token === token) this.pending.delete(key);
      });
    }, delayMs);
    this.pending.set(key, { timer, token });
  }

  cancel(key: K): void {
    const cur = this.pending.get(key);
    if (!cur) return;
    if (cur.timer !== undefined) this.timers.clear(cur.timer);
    cur.token.cancelled = true;
    this.pending.delete(key);
  }

  isPending(key: K): boolean {
    return this.pending.has(key);
  }

  dispose(): void {
    for (const k of [...this.pending.keys()]) this.cancel(k);
  }
}
