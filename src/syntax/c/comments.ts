// `gpuvm-review:` directives in comments: `allow(rule, ...)` suppressions (the
// line and the next, or a whole function when written above it) and markers
// (`signalling`, `not-signalling`, plus markers from the settings).

export interface Directive {
  /** 1-based line of the directive. */
  line: number;
  /** Last line of the comment that holds it. */
  endLine: number;
  allow: string[];
  markers: string[];
}

import type { LineTable } from '../lines';

const DIRECTIVE = /gpuvm-review:\s*(allow\s*\(([^)]*)\)|not-signalling|signalling)/g;

export function findDirectives(text: string, lines: LineTable, extraMarkers: readonly string[] = []): Directive[] {
  const out: Directive[] = [];
  const push = (index: number, allow: string[], markers: string[]): void => {
    const line = lines.row(index) + 1;
    const close = text.indexOf('*/', index);
    const nl = text.indexOf('\n', index);
    const endLine = close >= 0 && (nl < 0 || close > nl) && text.lastIndexOf('/*', index) > text.lastIndexOf('*/', index)
      ? lines.row(close) + 1 : line;
    out.push({ line, endLine, allow, markers });
  };
  if (!text.includes('gpuvm-review')) {
    if (!extraMarkers.length) return out;
  } else {
    for (const m of text.matchAll(DIRECTIVE)) {
      if (m[2] !== undefined) push(m.index!, m[2].split(',').map((r) => r.trim()).filter(Boolean), []);
      else push(m.index!, [], [m[1]!]);
    }
  }
  for (const marker of extraMarkers) {
    if (!marker) continue;
    for (let i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + marker.length)) {
      // Only inside a comment on that line.
      const ls = text.lastIndexOf('\n', i) + 1;
      const before = text.slice(ls, i);
      if (before.includes('//') || before.includes('/*') || /^\s*\*/.test(before)) push(i, [], ['signalling']);
    }
  }
  return out;
}
