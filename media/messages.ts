// Shape checks for what arrives from the host or from a stored state. The host
// is trusted, but a state written by an older version of the view, or a bug on
// either side, should end in a message, not in a blank panel.

import type { SimulationView, ToWebview, WebviewState } from '../src/model/view';

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

export function isView(x: unknown): x is SimulationView {
  return isObj(x) && typeof x.title === 'string' && typeof x.file === 'string' && Array.isArray(x.paths)
    && x.paths.every((p) => isObj(p) && typeof p.id === 'string' && Array.isArray(p.steps) && Array.isArray(p.findings));
}

export function isToWebview(x: unknown): x is ToWebview {
  if (!isObj(x)) return false;
  switch (x.type) {
    case 'show': return isView(x.view);
    case 'cursor': return typeof x.file === 'string' && typeof x.line === 'number';
    case 'theme': return x.kind === 'light' || x.kind === 'dark' || x.kind === 'high-contrast';
    default: return false;
  }
}

export function isState(x: unknown): x is WebviewState {
  return isObj(x) && (x.view === undefined || isView(x.view));
}
