// A small helper to build control-flow graphs of IR events: the front ends
// emit events in source order and fork/join at branches.

import type { Cond, IrEvent, IrNode, Span } from './ir';

export class CfgBuilder {
  readonly nodes: IrNode[] = [];
  readonly entry: number;
  /** The nodes whose fall-through continues at the next emitted node. */
  open: number[];

  constructor(span?: Span, label = 'entry') {
    this.entry = this.raw({ kind: 'nop', label }, span);
    this.open = [this.entry];
  }

  /** A node not yet connected to anything. */
  raw(event: IrEvent, span?: Span): number {
    const id = this.nodes.length;
    this.nodes.push({ id, event, succ: [], ...(span ? { span } : {}) });
    return id;
  }

  connect(from: number[], to: number): void {
    for (const f of from) {
      const n = this.nodes[f]!;
      if (!n.succ.includes(to)) n.succ.push(to);
    }
  }

  /** Append an event after the open ends; it becomes the only open end. Unreachable code is dropped. */
  emit(event: IrEvent, span?: Span): number {
    const id = this.raw(event, span);
    this.connect(this.open, id);
    this.open = this.open.length ? [id] : [];
    return id;
  }

  /**
   * Split the flow on a condition. Returns the open ends of the true and the
   * false side (each starts with an assume node when the condition is known).
   */
  fork(cond: Cond | undefined, label: string, span?: Span): { then: number[]; else: number[] } {
    const from = this.open;
    if (!from.length) return { then: [], else: [] };
    if (!cond) return { then: [...from], else: [...from] };
    const t = this.raw({ kind: 'assume', cond, label: `${label}: true` }, span);
    const e = this.raw({ kind: 'assume', cond: { ...cond, negate: !cond.negate } as Cond, label: `${label}: false` }, span);
    this.connect(from, t);
    this.connect(from, e);
    return { then: [t], else: [e] };
  }

  /** Emit an exit: the flow ends there. */
  exit(label: string, span?: Span, value?: string): number {
    const id = this.emit({ kind: 'exit', label, ...(value ? { value } : {}) }, span);
    this.open = [];
    return id;
  }
}
