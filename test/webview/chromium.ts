// Starts Debian's headless Chromium with a fresh profile and connects
// playwright-core to it over CDP. We spawn the browser ourselves (rather than
// chromium.launch) so we know its PID and choose its profile directory; no
// browser is ever downloaded.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = (): string => process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const MISSING_CHROMIUM = (path: string) => `Chromium not found at ${path}. Install it (apt-get install --no-install-recommends chromium), `
  + 'point CHROMIUM_PATH at it, or set GPUVM_SKIP_BROWSER_TESTS=1 to skip the webview browser tests.';

export interface RunningBrowser {
  browser: Browser;
  pid: number;
  stop(): Promise<void>;
}

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic', '--no-first-run', '--no-default-browser-check', '--disable-dev-shm-usage',
  '--disable-crash-reporter', '--disable-breakpad', '--hide-scrollbars', '--mute-audio',
  // Nothing but loopback resolves, whatever a page asks for.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
  '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** PIDs whose environment carries our marker: Chromium's crash handler leaves the process group, this finds it anyway. */
function markedPids(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(marker)) out.push(Number(d));
    } catch { /* gone, or not ours to read */ }
  }
  return out;
}

export async function launchChromium(): Promise<RunningBrowser> {
  const exe = chromiumPath();
  if (!existsSync(exe)) throw new Error(MISSING_CHROMIUM(exe));
  const dir = mkdtempSync(join(tmpdir(), 'gpuvm-webview-chromium-'));
  const marker = `GPUVM_WEBVIEW_TEST_RUN=${process.pid}-${randomBytes(6).toString('hex')}`;
  const [mk, mv] = marker.split('=') as [string, string];
  const child = spawn(exe, [...FLAGS, `--user-data-dir=${join(dir, 'profile')}`, 'about:blank'], {
    detached: true, stdio: ['ignore', 'ignore', 'pipe'],
    // Chromium writes crash reports and dconf caches under HOME and TMPDIR: keep them in our directory.
    env: { ...process.env, HOME: dir, TMPDIR: dir, [mk]: mv },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${exe}`);
  const log: string[] = [];

  const stop = async (): Promise<void> => {
    if (alive(pid)) {
      try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
      for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
      if (alive(pid)) try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    // Renderers and the crash handler outlive the browser process for a moment; whatever is left gets SIGKILL.
    let left = markedPids(marker);
    for (let i = 0; i < 30 && left.length; i++) {
      await sleep(100);
      left = markedPids(marker);
    }
    for (const p of left) try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
    for (let i = 0; i < 20 && left.length; i++) {
      await sleep(100);
      left = markedPids(marker);
    }
    rmSync(dir, { recursive: true, force: true });
    if (left.length) throw new Error(`Chromium processes still running after stop: ${left.join(' ')}`);
  };

  try {
    const ws = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Chromium did not report a DevTools endpoint in 30 s:\n${log.join('')}`)), 30_000);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        // Keep draining stderr for the browser's whole life, or it blocks on a full pipe.
        if (log.length < 200) log.push(chunk);
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(log.join(''));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Chromium exited (${code}) before it was ready:\n${log.join('')}`));
      });
    });
    if (!ws.startsWith('ws://127.0.0.1:')) throw new Error(`DevTools endpoint is not on loopback: ${ws}`);
    const browser = await chromium.connectOverCDP(ws);
    return {
      browser, pid,
      stop: async () => {
        try {
          const cdp = await browser.newBrowserCDPSession();
          await cdp.send('Browser.close');
        } catch { /* it may already be closing */ }
        await browser.close().catch(() => undefined);
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
