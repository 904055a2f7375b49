// Entry point of the webview bundle (dist/webview/main.js). Talks to the
// extension host only through the webview API; restores the last state, then
// says it is ready so the host can send a fresh simulation.

import type { FromWebview, WebviewState } from '../src/model/view';
import { App } from './app';
import { isState, isToWebview } from './messages';

interface WebviewApi {
  postMessage(msg: FromWebview): void;
  getState(): unknown;
  setState(state: WebviewState): void;
}

declare function acquireVsCodeApi(): WebviewApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('main'));
const app = new App(root, { post: (m) => vscode.postMessage(m), save: (s) => vscode.setState(s) });

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  if (isToWebview(ev.data)) app.handle(ev.data);
});

// A hidden webview may be torn down: keep the selection it had.
window.addEventListener('pagehide', () => app.flush());
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') app.flush(); });

const saved = vscode.getState();
if (isState(saved)) app.restore(saved);
vscode.postMessage({ type: 'ready' });
