// The "Copy as text" rendering: what a reviewer pastes into a mailing-list
// reply: the findings in the compiler's form, then the path's trace.

import type { PathView, SimulationView } from '../src/model/view';
import { traceToText } from '../src/model/trace';
import { findingLine } from '../src/report/text';

export function reviewText(view: SimulationView, path: PathView): string {
  const out: string[] = [];
  out.push(`gpuvm-review: ${view.title} (${view.file})`);
  const meta = [view.context, view.mode].filter((x) => x.trim() !== '');
  if (meta.length) out.push(meta.join('; '));
  if (view.paths.length > 1) out.push(`path: ${path.label}`);
  if (view.incomplete) out.push(`incomplete: ${view.incomplete}`);
  out.push('');
  if (path.findings.length) {
    for (const f of path.findings) out.push(findingLine(f));
  } else {
    out.push('no findings on this path');
  }
  out.push('', 'trace:', traceToText(path.steps, { indent: '  ' }));
  return `${out.join('\n')}\n`;
}
