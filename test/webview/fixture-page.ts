// One open fixture page, with everything a test asserts on besides the DOM:
// the messages the webview posted, console errors, CSP violations, requests
// that left the fixture server, and elements the data must never create.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FromWebview, ToWebview } from '../../src/model/view';
import type { FixtureServer } from './fixture-server';

export interface FixturePage {
  page: Page;
  context: BrowserContext;
  /** Messages posted so far. */
  messages(): Promise<FromWebview[]>;
  /** Messages posted after `since` earlier ones. */
  messagesSince(since: number): Promise<FromWebview[]>;
  send(msg: ToWebview): Promise<void>;
  /** Everything that went wrong on the page: console errors, page errors, CSP violations, external requests, injected elements. */
  problems(): Promise<string[]>;
  close(): Promise<void>;
}

declare global {
  interface Window {
    __messages: FromWebview[];
    __csp: string[];
    __injected: string[];
    __pwned?: unknown;
  }
}

export async function openFixturePage(browser: Browser, server: FixtureServer, opts: { theme?: string; observe?: boolean; width?: number } = {}): Promise<FixturePage> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: 900 }, reducedMotion: 'reduce' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith(`${server.origin}/`)) errors.push(`request outside the fixture server: ${r.url()}`); });
  await page.goto(server.pageUrl(opts));
  await page.waitForFunction(() => window.__messages?.some((m) => m.type === 'ready'));
  const fp: FixturePage = {
    page, context,
    messages: () => page.evaluate(() => window.__messages),
    messagesSince: async (since) => (await fp.messages()).slice(since),
    // window.postMessage, as the host's messages arrive: structured-cloned, in a later task. A listener
    // added now runs after the webview's own, so when it fires the message has been handled.
    send: (msg) => page.evaluate((m) => new Promise<void>((resolve) => {
      window.addEventListener('message', () => resolve(), { once: true });
      window.postMessage(m, '*');
    }), msg),
    problems: async () => {
      const inPage = await page.evaluate(() => [...window.__csp.map((c) => `CSP violation: ${c}`), ...window.__injected.map((e) => `element created from data: ${e}`)]);
      return [...errors, ...inPage];
    },
    close: () => context.close(),
  };
  return fp;
}
