// How long `show` takes for a view: from the message event to the next frame
// after it (DOM built, style and layout done, painted). Used by the webview
// test, which holds it to a budget, and by scripts/bench-webview.mjs.

import type { Page } from 'playwright-core';
import type { SimulationView } from '../../src/model/view';
import { startFixtureServer } from './fixture-server';
import { launchChromium } from './chromium';
import { openFixturePage } from './fixture-page';
import { longView } from './views';

export interface RenderTiming {
  /** Median over the measured runs, in milliseconds. */
  medianMs: number;
  samplesMs: number[];
}

declare global {
  interface Window { __benchView?: unknown }
}

/** Renders `view` once to warm up, then `runs` more times, each timed. */
export async function measureRender(page: Page, view: SimulationView, runs = 7): Promise<RenderTiming> {
  // Hand the data over once: copying it into the page is the host's cost, not the view's.
  await page.evaluate((v) => { window.__benchView = v; }, view);
  const samples = await page.evaluate(async (n) => {
    const once = async () => {
      const t0 = performance.now();
      window.dispatchEvent(new MessageEvent('message', { data: { type: 'show', view: window.__benchView } }));
      document.body.getBoundingClientRect();
      await new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return performance.now() - t0;
    };
    await once();
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(await once());
    return out;
  }, runs);
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: Math.round(sorted[sorted.length >> 1]! * 10) / 10, samplesMs: samples.map((x) => Math.round(x * 10) / 10) };
}

/** The whole benchmark: server, browser, a 200-step view; everything stopped afterwards. */
export async function benchWebview(steps = 200): Promise<{ webviewRenderMs: number; steps: number; samplesMs: number[] }> {
  const server = await startFixtureServer();
  let chrome: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    chrome = await launchChromium();
    const fp = await openFixturePage(chrome.browser, server, { observe: false });
    const t = await measureRender(fp.page, longView(steps));
    await fp.close();
    return { webviewRenderMs: t.medianMs, steps, samplesMs: t.samplesMs };
  } finally {
    await chrome?.stop();
    await server.close();
  }
}
