// The trace as a list box: one option per step with its location, the
// assumptions the simulation made, its notes and violations. Selection follows
// the arrow keys; Enter (or a click) also reveals the step in the editor.

import type { TraceStep } from '../src/model/trace';
import { h } from './dom';
import { safeSeverity, severityBadge, worst } from './severity';

export interface StepList {
  root: HTMLElement;
  highlight(pos: number, focus: boolean): void;
  /** Scrolls the selected step into view (reads layout: call after all the writes). */
  scroll(): void;
}

export interface StepEvents {
  /** A step was chosen: by keyboard (reveal false) or by Enter/click (reveal true). */
  select(pos: number, reveal: boolean): void;
}

const baseName = (file: string) => file.slice(file.lastIndexOf('/') + 1);

function stepItem(st: TraceStep, pos: number, prev: TraceStep | undefined): HTMLLIElement {
  const sev = worst(st.violations.map((v) => safeSeverity(v.severity)));
  const loc = st.location;
  const ctx = st.after.context;
  const ctxChanged = !prev || prev.after.context.name !== ctx.name || prev.after.context.signalling !== ctx.signalling;
  const li = h('li', { role: 'option', id: `step-${pos}`, class: `step${sev ? ` has-violation sev-${sev}` : ''}`, tabindex: -1, 'aria-selected': 'false' },
    h('div', { class: 'step-head' },
      h('span', { class: 'step-no' }, st.index + 1),
      st.thread ? h('span', { class: 'step-thread', title: 'thread' }, st.thread) : null,
      h('code', { class: 'step-label' }, st.label),
      loc ? h('span', { class: 'step-loc', title: `${loc.file}:${loc.range.start.line}:${loc.range.start.column}` },
        `${baseName(loc.file)}:${loc.range.start.line}`) : null),
    ctxChanged ? h('div', { class: `step-ctx${ctx.signalling ? ' signalling' : ''}` },
      ctx.name, ctx.signalling ? ' · DMA-fence signalling path' : '', ctx.atomic ? ' · atomic' : '') : null);
  const details: HTMLElement[] = [
    ...st.assumptions.map((a) => h('li', { class: 'assume' }, `assuming ${a}`)),
    ...st.notes.map((n) => h('li', { class: 'note' }, n)),
    ...(st.result ? [h('li', { class: 'result' }, `→ ${st.result}`)] : []),
  ];
  if (details.length) li.appendChild(h('ul', { class: 'step-details' }, ...details));
  if (st.violations.length) {
    li.appendChild(h('ul', { class: 'step-violations' }, ...st.violations.map((v) => h('li', { class: `sev-${safeSeverity(v.severity)}` },
      severityBadge(safeSeverity(v.severity)), ' ', v.certainty === 'possible' ? 'possible: ' : '', v.message, ' ', h('span', { class: 'rule' }, `[${v.rule}]`)))));
  }
  return li;
}

export function drawStepList(steps: TraceStep[], events: StepEvents): StepList {
  const list = h('ol', { class: 'steps', role: 'listbox', 'aria-label': `Trace: ${steps.length} steps` });
  const items = steps.map((st, pos) => stepItem(st, pos, steps[pos - 1]));
  for (const li of items) list.appendChild(li);
  let current = 0;

  const posOf = (target: EventTarget | null): number | undefined => {
    const li = target instanceof Element ? target.closest('li.step') : null;
    const pos = li ? items.indexOf(li as HTMLLIElement) : -1;
    return pos >= 0 ? pos : undefined;
  };
  list.addEventListener('click', (ev) => {
    const pos = posOf(ev.target);
    if (pos !== undefined) events.select(pos, true);
  });
  list.addEventListener('keydown', (ev) => {
    const last = items.length - 1;
    const to: Record<string, number> = {
      ArrowDown: Math.min(last, current + 1), ArrowUp: Math.max(0, current - 1), Home: 0, End: last,
      PageDown: Math.min(last, current + 10), PageUp: Math.max(0, current - 10),
    };
    if (ev.key in to) {
      ev.preventDefault();
      events.select(to[ev.key]!, false);
    } else if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      events.select(current, true);
    }
  });

  return {
    root: list,
    highlight(pos: number, focus: boolean) {
      const old = items[current];
      if (old) {
        old.setAttribute('aria-selected', 'false');
        old.tabIndex = -1;
      }
      const li = items[pos];
      current = pos;
      if (!li) return;
      li.setAttribute('aria-selected', 'true');
      // Roving tabindex: Tab lands on the selected step, arrows move from there.
      li.tabIndex = 0;
      if (focus) li.focus({ preventScroll: true });
    },
    scroll() {
      items[current]?.scrollIntoView({ block: 'nearest' });
    },
  };
}
