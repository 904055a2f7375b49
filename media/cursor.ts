// Which step the editor's cursor is on: the step at the closest line at or
// before the cursor, in the same file.

import type { TraceStep } from '../src/model/trace';

/**
 * The host may name the document by an absolute path while the steps carry the
 * path the simulation was given (often workspace-relative): a path matches
 * when one ends with the other at a '/' boundary.
 */
export function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  return short.length > 0 && long.endsWith(`/${short}`);
}

/** Position in `steps` of the step for the cursor at `line`, or undefined when none is at or before it. */
export function stepAtCursor(steps: TraceStep[], file: string, line: number): number | undefined {
  let best: number | undefined;
  let bestLine = -Infinity;
  steps.forEach((st, i) => {
    const loc = st.location;
    if (!loc || !sameFile(loc.file, file)) return;
    const l = loc.range.start.line;
    // Strictly greater keeps the first step of a line: the call itself, not a later step that happens to share it.
    if (l <= line && l > bestLine) {
      best = i;
      bestLine = l;
    }
  });
  return best;
}
