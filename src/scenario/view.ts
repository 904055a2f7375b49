// A scenario's result as the webview shows it: one path for a sequential
// scenario; one path per counterexample (with its thread lanes) for a threaded one.

import type { Finding } from '../model/finding';
import type { PathView, SimulationView } from '../model/view';
import type { SimulationResult } from './run';

const strip = ({ steps: _s, ...f }: Finding): Finding => f;

export function scenarioView(r: SimulationResult, file: string, title: string): SimulationView {
  const paths: PathView[] = [];
  if (r.exploration) {
    r.findings.forEach((f) => {
      if (!f.steps?.length) return;
      paths.push({ id: `p${paths.length}`, label: `${f.rule}: shortest interleaving (${f.steps.length} steps)`, findings: [strip(f)], steps: f.steps });
    });
  }
  if (!paths.length) paths.push({ id: 'p0', label: r.exploration ? 'one interleaving (every interleaving is clean)' : 'scenario', findings: r.findings.map(strip), steps: r.steps });
  return {
    kind: 'scenario', title, file, language: 'gpuvm', paths,
    context: r.exploration ? `threads ${r.exploration.threads.join(', ')}: ${r.exploration.states} states explored (${r.exploration.reduction === 'none' ? 'no reduction' : 'partial-order reduction'})` : 'scenario',
    mode: '',
    ...(r.exploration?.bound ? { incomplete: r.exploration.bound } : {}),
  };
}
