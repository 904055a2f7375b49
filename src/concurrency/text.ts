// Plain-text rendering of an interleaving: one column per thread, so the
// reader sees which thread did what, in which order.

import type { TraceStep } from '../model/trace';
import type { Exploration } from './scenario';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function lanesToText(steps: TraceStep[], indent = '    '): string {
  const lanes: string[] = [];
  for (const s of steps) if (s.thread && !lanes.includes(s.thread)) lanes.push(s.thread);
  const out = [`${indent}threads: ${lanes.map((l, i) => `${LETTERS[i] ?? '?'} = ${l}`).join(', ')}`];
  for (const s of steps) {
    const k = s.thread ? lanes.indexOf(s.thread) : -1;
    const cols = lanes.map((_, i) => (i === k ? LETTERS[i] ?? '?' : '.')).join(' ');
    const where = s.location ? `${s.location.range.start.line}: ` : '';
    out.push(`${indent}${String(s.index + 1).padStart(3)}. ${cols}  ${where}${s.label}`);
    const pad = `${indent}${' '.repeat(6 + cols.length)}`;
    for (const n of s.notes) out.push(`${pad}- ${n}`);
    for (const v of s.violations) out.push(`${pad}${v.severity}: ${v.message} [${v.rule}]`);
  }
  return out.join('\n');
}

export function explorationLine(e: Exploration): string {
  const parts = [`explored ${e.states} states and ${e.transitions} transitions of ${e.threads.length ? e.threads.map((t) => `'${t}'`).join(', ') : 'one thread at a time'} (depth ${e.depth}) in ${e.ms} ms, ${e.reduction === 'none' ? 'without reduction' : 'with partial-order reduction'}`];
  if (e.shortest) parts.push(`shortest counterexamples searched over ${e.shortest.states} states without reduction${e.shortest.bound ? ` (stopped at ${e.shortest.bound})` : ''}`);
  if (e.bound) parts.push(`INCOMPLETE: stopped at ${e.bound}`);
  return parts.join('; ');
}
