// One C function definition -> IrFunction. Functions that can reach GPUVM are
// lowered statement by statement; the others only list the calls they make,
// in order, so the call graph and signalling propagation still see them.

import type { CNode as Node } from './cnode';
import type { IrFunction, IrParam, Span } from '../../analysis/ir';
import type { FileCtx } from './context';
import { FnLowering } from './context';
import { lowerBlock } from './stmt';
import { endSpan } from './spans';
import { spanOf } from '../lines';
import { declaratorName, kindOfType, typeName, varInfo } from './types';

export interface FunctionSource {
  name: string;
  /** Unique id within the file (two #ifdef branches may define the same name). */
  id: string;
  span: Span;
  nameSpan: Span;
  /** The function declarator (name and parameters). */
  declarator: Node | undefined;
  /** The whole definition, for functions lowered statement by statement. */
  def?: Node;
  /** For the others: the functions they call, in order. */
  calls?: Array<{ name: string; span: Span }>;
  /** The body's closing brace is missing (a patch hunk or a file cut short). */
  truncated?: boolean;
  suppress: string[];
  markers: string[];
}

/** What finding a function's declarator needs of a syntax node (a tree-sitter node or a copied one). */
interface DeclNode {
  type: string;
  childForFieldName(name: string): DeclNode | null;
  namedChild(i: number): DeclNode | null;
}

/** The function_declarator of a definition (under pointer declarators). */
export function functionDeclarator<T extends DeclNode>(def: T): T | undefined {
  let d = def.childForFieldName('declarator') as T | null;
  while (d && d.type !== 'function_declarator') {
    if (d.type === 'pointer_declarator' || d.type === 'parenthesized_declarator' || d.type === 'attributed_declarator') {
      d = (d.childForFieldName('declarator') ?? d.namedChild(0)) as T | null;
    } else return undefined;
  }
  return d ?? undefined;
}

function parameters(L: FnLowering, fd: Node | undefined): IrParam[] {
  const list = fd?.childForFieldName('parameters');
  const out: IrParam[] = [];
  if (!list) return out;
  let i = 0;
  for (let k = 0; k < list.namedChildCount; k++) {
    const p = list.namedChild(k)!;
    if (p.type === 'variadic_parameter') break;
    if (p.type !== 'parameter_declaration') continue;
    const tname = typeName(p.childForFieldName('type'));
    const dn = declaratorName(p.childForFieldName('declarator'));
    if (!dn) {
      if (tname !== 'void') out.push({ name: `#param${i}`, key: `#param${i}` });
      i++;
      continue;
    }
    const kind = kindOfType(tname, L.file.structs);
    L.vars.set(dn.name, varInfo(kind, dn.pointer, true, tname === 'dma_resv'));
    const param: IrParam = { name: dn.name, key: dn.name };
    if (kind && dn.pointer) param.kind = kind;
    out.push(param);
    i++;
  }
  return out;
}

export function lowerFunction(fc: FileCtx, src: FunctionSource): IrFunction {
  const span = src.span;
  // A function whose end is missing (a patch hunk or a file cut short) is not lowered:
  // its exits would be wherever the text stops. Its calls still count for the call graph.
  const whole = src.def?.childForFieldName('body');
  const truncated = !!src.truncated;
  const body = truncated ? undefined : whole;
  const calls = truncated && whole ? whole.descendantsOfType('call_expression').flatMap((c) => {
    const f = c.childForFieldName('function');
    return f && f.type === 'identifier' ? [{ name: f.text, span: spanOf(f) }] : [];
  }) : src.calls;
  let L = new FnLowering(fc, src.name, span);
  let params = parameters(L, src.declarator);
  let partial: IrFunction['partial'];
  try {
    if (body) {
      lowerBlock(L, body);
      if (L.reachable) L.ret('end of function', endSpan(body));
    } else {
      for (const c of calls ?? []) {
        L.callees.add(c.name);
        L.emit({ kind: 'call', callee: c.name, args: [], label: `${c.name}()` }, c.span);
      }
      L.ret('end of function', { ...span, start: span.end });
    }
    const damage = truncated ? 'the end of the function is missing, so it is not analysed' : undefined;
    const reasons = [...L.partial.map((p) => p.reason), ...(damage ? [damage] : []), ...L.undefinedLabels().map((l) => `goto ${l} has no label`)];
    if (reasons.length) {
      partial = { reason: [...new Set(reasons)].slice(0, 3).join('; '), spans: L.partial.map((p) => p.span) };
    }
  } catch (e) {
    // A lowering bug must not lose the file: keep the function, say it was not analysed.
    L = new FnLowering(fc, src.name, span);
    params = parameters(L, src.declarator);
    L.emit({ kind: 'unparsed', label: 'not analysed' }, span);
    L.ret('end of function', span);
    partial = { reason: `internal error while lowering (${e instanceof Error ? e.message : String(e)})`, spans: [span] };
  }
  pruneIntAssigns(L);
  const nodes = L.b.nodes;
  return {
    id: src.id, name: src.name, displayName: src.name, file: fc.file, language: 'c',
    span, nameSpan: src.nameSpan, entry: L.b.entry, nodes, params,
    roles: [], markers: src.markers, suppress: src.suppress, entryLocks: L.entryLocks, callerLocks: true,
    ...(partial ? { partial } : {}),
    callees: [...L.callees],
    // A function whose end is missing still touches GPUVM if its text says so.
    touchesGpuvm: nodes.some((n) => n.event.kind === 'api') || (truncated && fc.relevant.has(src.name)),
  };
}

/**
 * Assignments of unknown values only matter to variables that hold handles or
 * API results; drop the others so the graph stays small.
 */
function pruneIntAssigns(L: FnLowering): void {
  for (const n of L.b.nodes) {
    const ev = n.event;
    if (ev.kind !== 'assign' || ev.source !== '#?') continue;
    const v = L.vars.get(ev.target);
    if (v && !v.pointer && !L.resultVars.has(ev.target) && !L.condKeys.has(ev.target)) n.event = { kind: 'nop', label: ev.label };
  }
}
