// A loopback HTTP server for the fixture page: the page is webviewHtml() with a
// stand-in for VS Code's acquireVsCodeApi (injected with the page's nonce), and
// the built bundle is served from dist/webview, as the webview would load it.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeNonce, webviewHtml } from '../../media/html';
import { ROOT } from './views';

export const DIST = join(ROOT, 'dist', 'webview');
const FILES: Record<string, string> = { 'main.js': 'text/javascript', 'main.js.map': 'application/json', 'main.css': 'text/css' };

/**
 * The stand-in API. postMessage records into window.__messages; the state lives
 * in sessionStorage so that a reload finds it, as VS Code keeps it across a
 * webview reload. It also records CSP violations and any script, img, iframe,
 * object or embed element added to the page after load (observe=0 turns that
 * off, for timing).
 */
const STUB = `(() => {
  const KEY = 'gpuvm-webview-state';
  const q = new URLSearchParams(location.search);
  window.__messages = [];
  window.__csp = [];
  window.__injected = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  if (q.get('observe') !== '0') {
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) {
        // The page's own bundle, which the parser adds after this script.
        if (n.nodeType !== 1 || (n.parentNode === document.body && n.localName === 'script' && n.src === location.origin + '/webview/main.js')) continue;
        for (const el of [n, ...n.querySelectorAll('script, img, iframe, object, embed')]) {
          if (/^(script|img|iframe|object|embed)$/.test(el.localName)) window.__injected.push(el.outerHTML.slice(0, 200));
        }
      }
    }).observe(document.documentElement, { childList: true, subtree: true });
  }
  if (q.get('theme')) document.body.className = q.get('theme');
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return {
      postMessage: (m) => { window.__messages.push(JSON.parse(JSON.stringify(m))); },
      getState: () => { const s = sessionStorage.getItem(KEY); return s === null ? undefined : JSON.parse(s); },
      setState: (s) => { sessionStorage.setItem(KEY, JSON.stringify(s)); return s; },
    };
  };
})();`;

export interface FixtureServer {
  origin: string;
  /** The page, with the body class VS Code would set (vscode-light, vscode-dark, vscode-high-contrast). */
  pageUrl(opts?: { theme?: string; observe?: boolean }): string;
  close(): Promise<void>;
}

export function fixturePage(origin: string): string {
  const nonce = makeNonce();
  const html = webviewHtml({ cspSource: origin, nonce, scriptUri: `${origin}/webview/main.js`, styleUri: `${origin}/webview/main.css` });
  const at = html.indexOf(`<script nonce="${nonce}"`);
  if (at < 0) throw new Error('fixturePage: webviewHtml no longer has a nonced script tag');
  return `${html.slice(0, at)}<script nonce="${nonce}">${STUB}</script>\n${html.slice(at)}`;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  if (!existsSync(join(DIST, 'main.js'))) throw new Error(`${DIST}/main.js is missing: run "node scripts/build.mjs" (npm test does)`);
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const name = url.pathname.startsWith('/webview/') ? url.pathname.slice('/webview/'.length) : undefined;
    if (url.pathname === '/' || url.pathname === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(fixturePage(origin));
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else if (name !== undefined && Object.hasOwn(FILES, name)) {
      res.writeHead(200, { 'content-type': FILES[name]!, 'cache-control': 'no-store' });
      res.end(readFileSync(join(DIST, name)));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    pageUrl: (opts = {}) => {
      const q = new URLSearchParams();
      if (opts.theme) q.set('theme', opts.theme);
      if (opts.observe === false) q.set('observe', '0');
      return `${origin}/${q.size ? `?${q}` : ''}`;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
