// Draws the timeline model as two SVGs: the lane names, which stay put, and
// the lanes themselves, which scroll sideways. The selected step is a column
// band that highlight() moves; nothing else is redrawn on selection.

import { fit, h, s, tip } from './dom';
import { LETTER } from './severity';
import type { Lane, LaneGroup, TimelineModel } from './timeline-model';

const MIN_COL = 30;
const MAX_COL = 96;
const ROW = 22;
const HEAD = 20;
const GAP = 6;
const CHAR = 6.6;

export interface TimelineView {
  root: HTMLElement;
  highlight(pos: number): void;
  /** Scrolls the selected column into view (reads layout: call after all the writes). */
  scroll(): void;
}

let instances = 0;

interface Row { y: number; lane?: Lane }

function rowsOf(model: TimelineModel): { rows: Row[]; height: number; markY: number } {
  const markY = HEAD;
  let y = HEAD + ROW + GAP;
  let group: LaneGroup | undefined;
  const rows: Row[] = [];
  for (const lane of model.lanes) {
    if (group && lane.group !== group) y += GAP;
    group = lane.group;
    rows.push({ y, lane });
    y += ROW;
  }
  return { rows, height: y + 4, markY };
}

function markerShape(sev: string, cx: number, cy: number): SVGElement {
  // Different shapes as well as colours: circle for errors, triangle for warnings, square for info.
  if (sev === 'warning') return s('polygon', { points: `${cx},${cy - 8} ${cx + 8},${cy + 6} ${cx - 8},${cy + 6}` });
  if (sev === 'info') return s('rect', { x: cx - 7, y: cy - 7, width: 14, height: 14, rx: 2 });
  return s('circle', { cx, cy, r: 8 });
}

/** `room` is the width the timeline may take; short traces get wider columns, so their bars have room for text. */
export function drawTimeline(model: TimelineModel, room: number, onPick: (pos: number) => void): TimelineView {
  const id = ++instances;
  const { rows, height, markY } = rowsOf(model);
  const labelWidth = Math.min(260, Math.max(110, ...model.lanes.map((l) => (l.kind.length + l.label.length + 1) * CHAR + 16)));
  const COL = Math.max(MIN_COL, Math.min(MAX_COL, Math.floor((room - labelWidth - 8) / Math.max(1, model.steps))));
  const width = model.steps * COL + 4;

  // Lane names.
  const labels = s('svg', { class: 'tl-labels', width: labelWidth, height, 'aria-hidden': 'true' });
  labels.appendChild(s('text', { class: 'tl-head', x: 6, y: 14 }, 'step'));
  labels.appendChild(s('text', { class: 'tl-head', x: 6, y: markY + 15 }, 'findings'));
  for (const { y, lane } of rows) {
    if (!lane) continue;
    const full = lane.label ? `${lane.kind} ${lane.label}` : lane.kind;
    const text = s('text', { x: 6, y: y + 15 }, tip(full), s('tspan', { class: 'kind' }, lane.kind));
    if (lane.label) text.appendChild(s('tspan', { class: 'name' }, ` ${fit(lane.label, labelWidth - 16 - (lane.kind.length + 1) * CHAR)}`));
    labels.appendChild(text);
  }

  // Lanes.
  const body = s('svg', { class: 'tl-body', width, height, role: 'img',
    'aria-label': `Timeline of ${model.steps} steps: ${model.lanes.length} lanes, ${model.markers.length} step(s) with findings` });
  const hatch = `tl-hatch-${id}`;
  body.appendChild(s('defs', {}, s('pattern', { id: hatch, width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    s('line', { class: 'hatch-line', x1: 0, y1: 0, x2: 0, y2: 8 }))));
  for (const [a, b] of model.signalling) {
    body.appendChild(s('rect', { class: 'sig-shade', x: a * COL, y: 0, width: (b - a) * COL, height }, tip(`DMA-fence signalling path (${b - a} step(s))`)));
    body.appendChild(s('rect', { class: 'sig-hatch', x: a * COL, y: 0, width: (b - a) * COL, height: HEAD, fill: `url(#${hatch})` }));
  }
  const sel = s('rect', { class: 'tl-sel', x: 0, y: 0, width: COL, height });
  body.appendChild(sel);

  const heads: SVGTextElement[] = [];
  for (let pos = 0; pos < model.steps; pos++) {
    const t = s('text', { class: 'tl-no', x: pos * COL + COL / 2, y: 14, 'text-anchor': 'middle' }, pos + 1);
    heads.push(t);
    body.appendChild(t);
  }
  for (const m of model.markers) {
    const cx = m.pos * COL + COL / 2;
    body.appendChild(s('line', { class: `vline sev-${m.severity}`, x1: cx, x2: cx, y1: markY + ROW, y2: height }));
    body.appendChild(s('g', { class: `marker sev-${m.severity}` }, tip(m.title), markerShape(m.severity, cx, markY + 11),
      s('text', { x: cx, y: markY + 15, 'text-anchor': 'middle' }, LETTER[m.severity])));
  }

  for (const { y, lane } of rows) {
    if (!lane) continue;
    const g = s('g', { class: `lane g-${lane.group}` });
    for (const seg of lane.segments) {
      const x = seg.start * COL + 1;
      const w = (seg.end - seg.start) * COL - 2;
      // A thread lane is a thin band under the flow's dots; the context lane says what runs there.
      g.appendChild(lane.group === 'thread'
        ? s('g', { class: `seg ${seg.cls}` }, tip(seg.title), s('rect', { x, y: y + ROW / 2 - 3, width: w, height: 6, rx: 3 }))
        : s('g', { class: `seg ${seg.cls}` }, tip(seg.title),
          s('rect', { x, y: y + 3, width: w, height: ROW - 6, rx: 3 }),
          s('text', { x: x + 4, y: y + 15 }, fit(seg.text, w - 6))));
    }
    body.appendChild(g);
  }

  if (model.flow) {
    // Sequence-diagram style: a dot per step in its thread's lane, joined in step order.
    const threadRows = rows.filter((r) => r.lane?.group === 'thread');
    const pts = model.flow.map((lane, pos) => ({ x: pos * COL + COL / 2, y: threadRows[lane]!.y + ROW / 2 }));
    body.appendChild(s('polyline', { class: 'flow', points: pts.map((p) => `${p.x},${p.y}`).join(' ') }));
    for (const p of pts) body.appendChild(s('circle', { class: 'flow-dot', cx: p.x, cy: p.y, r: 3 }));
  }

  body.addEventListener('click', (ev) => {
    const box = body.getBoundingClientRect();
    const pos = Math.floor((ev.clientX - box.left) / COL);
    if (pos >= 0 && pos < model.steps) onPick(pos);
  });

  const scroller = h('div', { class: 'tl-scroll' }, body);
  const root = h('div', { class: 'timeline' }, labels, scroller);
  let shown = -1;
  return {
    root,
    highlight(pos: number) {
      sel.setAttribute('x', String(pos * COL));
      heads[shown]?.classList.remove('sel');
      heads[pos]?.classList.add('sel');
      shown = pos;
    },
    scroll() {
      // Keep the selected column in view, with a little context either side.
      const left = shown * COL;
      if (left < scroller.scrollLeft + COL) scroller.scrollLeft = Math.max(0, left - 2 * COL);
      else if (left + COL > scroller.scrollLeft + scroller.clientWidth - COL) scroller.scrollLeft = left + 3 * COL - scroller.clientWidth;
    },
  };
}
