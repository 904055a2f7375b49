// The top of the view: what was simulated, in which context and mode, whether
// the analysis is complete, the path selector, "Copy as text", and the
// selected path's findings.

import type { Finding } from '../src/model/finding';
import type { PathView, SimulationView } from '../src/model/view';
import { h } from './dom';
import { safeSeverity, severityBadge } from './severity';

export interface HeaderEvents {
  path(index: number): void;
  finding(f: Finding): void;
  copy(): void;
}

function pathOption(p: PathView, i: number, selected: boolean): HTMLOptionElement {
  const rules = [...new Set(p.findings.map((f) => f.rule))];
  const count = p.findings.length ? ` — ${p.findings.length} finding(s): ${rules.join(', ')}` : ' — no findings';
  return h('option', { value: i, selected }, `${p.label}${count}`);
}

export function drawHeader(view: SimulationView, pathIndex: number, events: HeaderEvents): HTMLElement {
  const meta = h('dl', { class: 'meta' });
  const add = (term: string, value: string) => {
    if (value.trim()) meta.append(h('dt', {}, term), h('dd', {}, value));
  };
  add('File', view.fileLabel ?? view.file);
  add('Context', view.context);
  add('Mode', view.mode);

  const copy = h('button', { type: 'button', class: 'copy', title: 'Copy the findings and the trace of this path as plain text' }, 'Copy as text');
  copy.addEventListener('click', () => events.copy());
  const tools = h('div', { class: 'tools' });
  if (view.paths.length > 1) {
    const select = h('select', { id: 'path-select', 'aria-label': 'Path through the function' },
      ...view.paths.map((p, i) => pathOption(p, i, i === pathIndex)));
    select.addEventListener('change', () => events.path(Number(select.value)));
    tools.append(h('label', { for: 'path-select' }, `Path (${view.paths.length})`), select);
  }
  tools.append(copy);

  return h('header', { class: 'head' },
    h('h1', {}, h('span', { class: 'kind' }, view.kind === 'function' ? 'function ' : 'scenario '), view.title),
    meta,
    view.incomplete ? h('p', { class: 'incomplete', role: 'status' }, h('span', { class: 'warn-icon', 'aria-hidden': 'true' }, '⚠'), ' Incomplete: ', view.incomplete) : null,
    tools);
}

export function drawFindings(path: PathView, events: HeaderEvents): HTMLElement {
  const n = path.findings.length;
  const section = h('section', { class: 'findings', 'aria-labelledby': 'findings-h' },
    h('h2', { id: 'findings-h' }, n ? `Findings on this path (${n})` : 'No findings on this path'));
  if (!n) return section;
  const list = h('ul', {});
  for (const f of path.findings) {
    const sev = safeSeverity(f.severity);
    const btn = h('button', { type: 'button', class: `finding sev-${sev}`, title: 'Show the step and reveal it in the editor' },
      severityBadge(sev), ' ', h('span', { class: 'rule' }, f.rule), ' ',
      f.certainty === 'possible' ? h('span', { class: 'certainty' }, 'possible: ') : null,
      h('span', { class: 'message' }, f.message), ' ',
      h('span', { class: 'where' }, `${f.file.slice(f.file.lastIndexOf('/') + 1)}:${f.range.start.line}`));
    btn.addEventListener('click', () => events.finding(f));
    list.appendChild(h('li', {}, btn));
  }
  section.appendChild(list);
  return section;
}
