// Severity is shown by a letter in a shape as well as by colour, so it reads
// in high-contrast themes and for colour-blind users.

import type { Severity } from '../src/model/rules';
import { h } from './dom';

const RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };
export const LETTER: Record<Severity, string> = { error: 'E', warning: 'W', info: 'i' };

export function worst(sevs: Iterable<Severity>): Severity | undefined {
  let w: Severity | undefined;
  for (const s of sevs) if (!w || RANK[s] > RANK[w]) w = s;
  return w;
}

/** A severity is only ever one of three words; anything else from the data becomes 'error'. */
export function safeSeverity(s: string): Severity {
  return s === 'warning' || s === 'info' ? s : 'error';
}

/** The badge: a letter for the eye, the word for screen readers. */
export function severityBadge(sev: Severity): HTMLElement {
  const s = safeSeverity(sev);
  return h('span', { class: `sev-badge sev-${s}`, role: 'img', 'aria-label': s, title: s }, LETTER[s]);
}
