// Draws a vm_bo lifecycle: dagre computes the layout of GPUVM's state machine,
// this file turns it into SVG (shapes, text nodes, classes; no style attributes
// so it renders under the webview's CSP) and highlights the selected step.

import * as dagre from '@dagrejs/dagre';
import { basisPath, type Point } from './curve';
import { fit, h, s, tip } from './dom';
import { LETTER } from './severity';
import { LIFE_NODES, lifeCaption, lifeEdges, lifeState, type LifeNode, type LifeState, type VmBoLife } from './lifecycle';

interface NodeBox { id: LifeNode; x: number; y: number; width: number; height: number }
interface EdgeRoute { from: LifeNode; to: LifeState; via: string; points: Point[]; label: Point }
interface Layout { width: number; height: number; nodes: NodeBox[]; edges: EdgeRoute[] }

const SUBTITLE: Record<LifeNode, string> = {
  entry: '', detached: 'on no list', registered: 'gem list', extobj: 'gem + extobj lists', zombie: 'ref 0, deferred list', freed: '',
};
const CHAR = 6.6;
const MARGIN = 8;

// The layout depends only on the edge set, and most vm_bos share GPUVM's: lay it out once.
const layouts = new Map<string, Layout>();

function nodeSize(id: LifeNode): { width: number; height: number } {
  if (id === 'entry') return { width: 14, height: 14 };
  const node = LIFE_NODES.find((n) => n.id === id)!;
  const chars = Math.max(node.title.length, SUBTITLE[id].length);
  return { width: Math.ceil(chars * CHAR) + 20, height: SUBTITLE[id] ? 38 : 26 };
}

function layoutFor(edges: ReturnType<typeof lifeEdges>): Layout {
  const key = edges.map((e) => `${e.from}>${e.to}`).join(' ');
  const cached = layouts.get(key);
  if (cached) return cached;
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 22, edgesep: 12, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of LIFE_NODES) g.setNode(n.id, nodeSize(n.id));
  for (const e of edges) {
    // Room for the call's name and a line of step numbers, beside the edge rather than on it.
    g.setEdge(e.from, e.to, { width: Math.max(e.via.length, 9) * CHAR, height: 26, labelpos: 'r', labeloffset: 4 });
  }
  dagre.layout(g);
  const graph = g.graph();
  const layout: Layout = {
    width: Math.ceil(graph.width ?? 0), height: Math.ceil(graph.height ?? 0),
    nodes: LIFE_NODES.map((n) => {
      const v = g.node(n.id);
      return { id: n.id, x: v.x ?? 0, y: v.y ?? 0, width: v.width, height: v.height };
    }),
    edges: edges.map((e) => {
      const v = g.edge(e.from, e.to);
      return { ...e, points: v.points ?? [], label: { x: v.x ?? 0, y: v.y ?? 0 } };
    }),
  };
  layouts.set(key, layout);
  return layout;
}

function arrowHead(pts: Point[]): string {
  const p = pts[pts.length - 1]!;
  const q = pts[pts.length - 2] ?? p;
  const a = Math.atan2(p.y - q.y, p.x - q.x);
  const at = (da: number, r: number) => `${(p.x - r * Math.cos(a + da)).toFixed(1)},${(p.y - r * Math.sin(a + da)).toFixed(1)}`;
  return `${p.x.toFixed(1)},${p.y.toFixed(1)} ${at(0.45, 8)} ${at(-0.45, 8)}`;
}

export interface LifecycleDiagram {
  root: HTMLElement;
  highlight(pos: number): void;
}

/** `onPick(pos)` is called when a taken transition is clicked. */
export function drawLifecycle(life: VmBoLife, stepNo: (pos: number) => number, onPick: (pos: number) => void): LifecycleDiagram {
  const layout = layoutFor(lifeEdges(life));
  const svg = s('svg', {
    class: 'life-svg', width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, role: 'img',
    'aria-label': `Lifecycle of vm_bo ${life.label} on this path: ${life.transitions.map((t) => `${t.to} at step ${stepNo(t.pos)}`).join(', ') || 'no change'}`,
  });
  const edgeEls: Array<{ el: SVGGElement; poss: number[] }> = [];
  for (const e of layout.edges) {
    const taken = life.transitions.filter((t) => t.from === e.from && t.to === e.to);
    const sev = taken.find((t) => t.severity)?.severity;
    const g = s('g', { class: `life-edge${taken.length ? ' taken' : ''}${sev ? ` sev-${sev}` : ''}` },
      tip(`${e.from} → ${e.to}${e.via ? ` (${e.via})` : ''}${taken.length ? `: steps ${taken.map((t) => stepNo(t.pos)).join(', ')}` : ''}`),
      s('path', { d: basisPath(e.points) }),
      s('polygon', { points: arrowHead(e.points) }));
    const label = s('text', { x: e.label.x, y: e.label.y - (taken.length ? 3 : -3), 'text-anchor': 'middle' });
    if (e.via) label.appendChild(s('tspan', { class: 'via' }, e.via));
    if (taken.length) {
      const steps = taken.map((t) => `#${stepNo(t.pos)}`).join(' ') + (sev ? ` ${LETTER[sev]}` : '');
      label.appendChild(s('tspan', { class: 'steps', x: e.label.x, dy: e.via ? 13 : 0 }, fit(steps, 120)));
      g.addEventListener('click', () => onPick(taken[0]!.pos));
    }
    g.appendChild(label);
    svg.appendChild(g);
    edgeEls.push({ el: g, poss: taken.map((t) => t.pos) });
  }
  const nodeEls = new Map<LifeNode, SVGGElement>();
  const visited = new Set(life.transitions.map((t) => t.to));
  for (const n of layout.nodes) {
    const info = LIFE_NODES.find((x) => x.id === n.id)!;
    const g = s('g', { class: `life-node n-${n.id}${visited.has(n.id as LifeState) ? ' visited' : ''}` }, tip(`${info.title || 'start'}: ${info.detail}`));
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    if (n.id === 'entry') {
      g.appendChild(s('circle', { cx: n.x, cy: n.y, r: 7 }));
    } else {
      g.appendChild(s('rect', { class: 'outer', x: x - 3, y: y - 3, width: n.width + 6, height: n.height + 6, rx: 9 }));
      g.appendChild(s('rect', { x, y, width: n.width, height: n.height, rx: 6 }));
      g.appendChild(s('text', { class: 'title', x: n.x, y: y + 16, 'text-anchor': 'middle' }, info.title));
      if (SUBTITLE[n.id]) g.appendChild(s('text', { class: 'sub', x: n.x, y: y + 30, 'text-anchor': 'middle' }, SUBTITLE[n.id]));
    }
    svg.appendChild(g);
    nodeEls.set(n.id, g);
  }
  const facts = life.facts.length ? ` (${life.facts.join(', ')})` : '';
  const now = h('p', { class: 'life-now' });
  const root = h('figure', { class: 'life' },
    h('figcaption', {}, h('span', { class: 'kind' }, 'vm_bo '), h('strong', {}, life.label), h('span', { class: 'facts' }, facts)),
    svg, now);
  return {
    root,
    highlight(pos: number) {
      const o = life.at[pos];
      const cur = o ? lifeState(o) : undefined;
      for (const [id, el] of nodeEls) el.classList.toggle('current', id === cur);
      for (const { el, poss } of edgeEls) el.classList.toggle('active', poss.includes(pos));
      now.textContent = `Step ${stepNo(pos)}: ${lifeCaption(life, pos)}`;
    },
  };
}
