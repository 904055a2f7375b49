// Hand-built IR for engine tests: one event per line number.
import { CfgBuilder } from '../../src/analysis/cfg';
import type { Cond, IrArg, IrEvent, IrFile, IrFunction, IrParam, Span } from '../../src/analysis/ir';
import type { ObjKind } from '../../src/model/state';

export function span(line: number, col = 1, len = 10): Span {
  return { start: { line, column: col }, end: { line, column: col + len }, startIndex: 0, endIndex: 0 };
}

export const a = (key: string, kind?: ObjKind | 'lock-name'): IrArg => ({ key, text: key, ...(kind ? { kind } : {}) });

export class FnKit {
  readonly b: CfgBuilder;
  private line: number;
  constructor(readonly name: string, startLine: number) {
    this.line = startLine;
    this.b = new CfgBuilder(span(startLine), `fn ${name}`);
  }
  private next(): Span { return span(++this.line); }
  api(op: string, args: IrArg[], more: Partial<Extract<IrEvent, { kind: 'api' }>> = {}): this {
    this.b.emit({ kind: 'api', op, args, label: more.label ?? `${op}(${args.map((x) => x.text).join(', ')})`, ...more }, this.next());
    return this;
  }
  call(callee: string, args: Array<string | null>, more: Partial<Extract<IrEvent, { kind: 'call' }>> = {}): this {
    this.b.emit({ kind: 'call', callee, args, label: `${callee}(${args.join(', ')})`, ...more }, this.next());
    return this;
  }
  assign(target: string, source: string, targetIsLocal = true): this {
    this.b.emit({ kind: 'assign', target, source, targetIsLocal, label: `${target} = ${source}` }, this.next());
    return this;
  }
  /** if (cond) { then-body } — `then` may end in an exit. */
  ifThen(cond: Cond, then: (k: this) => void, otherwise?: (k: this) => void): this {
    const f = this.b.fork(cond, 'if', this.next());
    this.b.open = f.then;
    then(this);
    const afterThen = this.b.open;
    this.b.open = f.else;
    if (otherwise) otherwise(this);
    this.b.open = [...afterThen, ...this.b.open];
    return this;
  }
  exit(label = 'return', value?: string): this {
    this.b.exit(label, this.next(), value);
    return this;
  }
  done(opts: Partial<IrFunction> = {}, params: IrParam[] = []): IrFunction {
    if (this.b.open.length) this.b.exit('end of function', span(this.line + 1));
    return {
      id: `t.c::${this.name}`, name: this.name, displayName: this.name, file: 't.c', language: 'c',
      span: span(1), nameSpan: span(this.b.nodes[0]!.span!.start.line), entry: this.b.entry, nodes: this.b.nodes, params,
      roles: [], markers: [], suppress: [], entryLocks: [], callerLocks: false, callees: [], touchesGpuvm: true, ...opts,
    };
  }
}

export function file(functions: IrFunction[], more: Partial<IrFile> = {}): IrFile {
  return { file: 't.c', language: 'c', functions, vmInits: [], lineSuppressions: {}, callbacks: {}, syntaxFindings: [], parseErrors: [], ...more };
}
