// The view's state (which simulation, which path, which step) and how the
// parts follow it. Drawing happens when the view or the path changes; moving
// the selection only re-highlights, so stepping through a long trace stays
// cheap.

import type { Finding } from '../src/model/finding';
import type { FromWebview, PathView, SimulationView, ToWebview, WebviewState } from '../src/model/view';
import { reviewText } from './copy-text';
import { stepAtCursor } from './cursor';
import { clear, h } from './dom';
import { drawFindings, drawHeader, type HeaderEvents } from './header';
import { vmBoLifecycles } from './lifecycle';
import { drawLifecycle, type LifecycleDiagram } from './lifecycle-svg';
import { drawStepList, type StepList } from './steps';
import { buildTimeline } from './timeline-model';
import { drawTimeline, type TimelineView } from './timeline-svg';

export interface Host {
  post(msg: FromWebview): void;
  save(state: WebviewState): void;
}

interface Drawn {
  steps: StepList;
  timeline: TimelineView;
  lives: LifecycleDiagram[];
}

const THEMES = { light: 'vscode-light', dark: 'vscode-dark', 'high-contrast': 'vscode-high-contrast' } as const;

/** The step a path opens on: its first violation, so the reviewer lands on the problem. */
function defaultPos(path: PathView): number {
  const i = path.steps.findIndex((st) => st.violations.length > 0);
  return i < 0 ? 0 : i;
}

function posOfIndex(path: PathView, index: number | undefined): number | undefined {
  if (index === undefined) return undefined;
  const i = path.steps.findIndex((st) => st.index === index);
  return i >= 0 ? i : undefined;
}

export class App {
  private view?: SimulationView;
  private pathIndex = 0;
  private pos = 0;
  private drawn?: Drawn;
  private scrollPending = false;
  private saveTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly root: HTMLElement, private readonly host: Host) {
    this.drawEmpty();
  }

  handle(msg: ToWebview): void {
    switch (msg.type) {
      case 'show': this.show(msg.view, msg.pathId, msg.step); break;
      case 'cursor': this.cursor(msg.file, msg.line); break;
      case 'theme': this.theme(msg.kind); break;
    }
  }

  restore(state: WebviewState): void {
    if (state.view) this.show(state.view, state.pathId, state.step);
  }

  /**
   * A new simulation. Without an explicit path, a new run of the same function
   * (after an edit) stays on the same path and step if it still has them.
   */
  show(view: SimulationView, pathId?: string, step?: number): void {
    const rerun = this.view !== undefined && this.view.title === view.title && this.view.file === view.file;
    const keep = rerun ? this.view?.paths[this.pathIndex]?.id : undefined;
    const byId = (id: string | undefined) => (id === undefined ? -1 : view.paths.findIndex((p) => p.id === id));
    let idx = byId(pathId);
    const kept = idx < 0 && byId(keep) >= 0;
    if (idx < 0) idx = kept ? byId(keep) : 0;
    this.view = view;
    this.pathIndex = idx;
    const path = view.paths[idx];
    if (!path) {
      this.draw();
      this.save();
      return;
    }
    this.pos = posOfIndex(path, step) ?? (kept ? Math.min(this.pos, Math.max(0, path.steps.length - 1)) : defaultPos(path));
    this.draw();
    this.save();
  }

  private get path(): PathView | undefined {
    return this.view?.paths[this.pathIndex];
  }

  selectPath(index: number): void {
    const path = this.view?.paths[index];
    if (!path) return;
    this.pathIndex = index;
    this.pos = defaultPos(path);
    this.draw();
    this.save();
    this.host.post({ type: 'selectPath', pathId: path.id });
  }

  /** Select a step; `reveal` also asks the host to show its source. */
  select(pos: number, opts: { reveal: boolean; focus: boolean }): void {
    const path = this.path;
    const st = path?.steps[pos];
    if (!path || !st) return;
    this.pos = pos;
    this.highlight(opts.focus);
    if (opts.reveal) this.save();
    else this.saveSoon();
    this.host.post({ type: 'selectStep', pathId: path.id, step: st.index });
    if (opts.reveal && st.location) this.host.post({ type: 'reveal', file: st.location.file, range: st.location.range });
  }

  /** The editor's cursor moved: follow it, without sending the editor anywhere. */
  cursor(file: string, line: number): void {
    const path = this.path;
    if (!path) return;
    const pos = stepAtCursor(path.steps, file, line);
    if (pos === undefined || pos === this.pos) return;
    this.pos = pos;
    this.highlight(false);
    this.saveSoon();
  }

  copyText(): void {
    const view = this.view;
    const path = this.path;
    if (view && path) this.host.post({ type: 'copyText', text: reviewText(view, path) });
  }

  theme(kind: keyof typeof THEMES): void {
    document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast', 'vscode-high-contrast-light');
    document.body.classList.add(THEMES[kind]);
  }

  private finding(f: Finding): void {
    const path = this.path;
    if (!path) return;
    const pos = path.steps.findIndex((st) => st.violations.some((v) => v.rule === f.rule && v.message === f.message));
    const at = pos >= 0 ? pos : stepAtCursor(path.steps, f.file, f.range.start.line);
    if (at !== undefined) this.select(at, { reveal: false, focus: false });
    this.host.post({ type: 'reveal', file: f.file, range: f.range });
  }

  /**
   * The state holds the whole view, and setState serializes it: for a long
   * trace that is tens of milliseconds, too much for every arrow key. Moves
   * are saved at most every 300 ms, and when the page goes away.
   */
  private saveSoon(): void {
    if (this.saveTimer === undefined) this.saveTimer = setTimeout(() => this.save(), 300);
  }

  /** Saves now if a save is pending (the page is being hidden or unloaded). */
  flush(): void {
    if (this.saveTimer !== undefined) this.save();
  }

  private save(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const path = this.path;
    const step = path?.steps[this.pos]?.index;
    this.host.save({
      ...(this.view ? { view: this.view } : {}), ...(path ? { pathId: path.id } : {}), ...(step !== undefined ? { step } : {}),
    });
  }

  private highlight(focus: boolean): void {
    const d = this.drawn;
    if (!d) return;
    d.steps.highlight(this.pos, focus);
    d.timeline.highlight(this.pos);
    for (const l of d.lives) l.highlight(this.pos);
    // Scrolling reads layout: do it once per frame, after every change to the DOM, rather than forcing a layout per part.
    if (!this.scrollPending) {
      this.scrollPending = true;
      requestAnimationFrame(() => {
        this.scrollPending = false;
        this.drawn?.timeline.scroll();
        this.drawn?.steps.scroll();
      });
    }
  }

  private drawEmpty(): void {
    clear(this.root);
    this.root.appendChild(h('p', { class: 'empty' }, 'No simulation to show yet.'));
  }

  private draw(): void {
    const view = this.view;
    const path = this.path;
    // Read before the DOM changes, so it costs no extra layout. The body's padding is 16px either side.
    const room = document.documentElement.clientWidth - 34;
    this.drawn = undefined;
    clear(this.root);
    if (!view) return this.drawEmpty();
    const events: HeaderEvents = {
      path: (i) => this.selectPath(i),
      finding: (f) => this.finding(f),
      copy: () => this.copyText(),
    };
    this.root.appendChild(drawHeader(view, this.pathIndex, events));
    if (!path) {
      this.root.appendChild(h('p', { class: 'empty' }, 'This simulation has no paths.'));
      return;
    }
    this.root.appendChild(drawFindings(path, events));
    if (!path.steps.length) {
      this.root.appendChild(h('p', { class: 'empty' }, 'This path has no steps.'));
      return;
    }
    const pick = (pos: number) => this.select(pos, { reveal: true, focus: false });
    const stepNo = (pos: number) => (path.steps[pos]?.index ?? pos) + 1;
    const steps = drawStepList(path.steps, { select: (pos, reveal) => this.select(pos, { reveal, focus: true }) });
    const lives = vmBoLifecycles(path.steps).map((l) => drawLifecycle(l, stepNo, pick));
    const timeline = drawTimeline(buildTimeline(path.steps), room, pick);

    const lifeSection = h('section', { class: 'lifecycle', 'aria-labelledby': 'life-h' }, h('h2', { id: 'life-h' }, 'vm_bo lifecycle'));
    if (lives.length) lifeSection.appendChild(h('div', { class: 'lives' }, ...lives.map((l) => l.root)));
    else lifeSection.appendChild(h('p', { class: 'empty' }, 'No vm_bo on this path.'));

    this.root.append(
      h('div', { class: 'panes' },
        h('section', { class: 'trace', 'aria-labelledby': 'trace-h' }, h('h2', { id: 'trace-h' }, `Trace (${path.steps.length} steps)`), steps.root),
        lifeSection),
      h('section', { class: 'timeline-pane', 'aria-labelledby': 'timeline-h' },
        h('h2', { id: 'timeline-h' }, 'Timeline'),
        h('p', { class: 'legend' }, 'Columns are steps. Shaded and hatched: the DMA-fence signalling path. Bars: an object\'s state and refcount, a lock while held. ',
          'Markers: E error, W warning, i info. Click a column to select its step.'),
        timeline.root));
    this.drawn = { steps, timeline, lives };
    this.highlight(false);
  }
}
