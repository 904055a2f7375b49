#!/usr/bin/env node
// End-to-end test in a real VS Code (code-server + Debian Chromium, driven by
// playwright-core): installs the built .vsix, opens a Rust and a C file, finds
// the expected problems in the Problems panel, runs "GPUVM: Simulate Function…"
// from the command palette and checks the webview. Screenshots and a report
// go to --shots.
//
//   node test/e2e/run.mjs --vsix gpuvm-review.vsix --shots test-artifacts/e2e [--cache DIR] [--netns auto|on|off]
//
// Exit status: 0 pass, 1 a check failed, 2 setup error. code-server binds
// 127.0.0.1; with root the run happens in a network namespace that has only
// loopback. Everything started is stopped by PID (process groups, then a scan
// for our marker in /proc/*/environ), also on failure, timeout and signals.

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import net from 'node:net';
import http from 'node:http';
import { CASES } from './cases.mjs';

const { values: opts } = parseArgs({
  options: {
    vsix: { type: 'string' }, shots: { type: 'string' }, cache: { type: 'string' },
    netns: { type: 'string', default: 'auto' }, timeout: { type: 'string', default: '60' }, 'total-timeout': { type: 'string', default: '480' },
    keep: { type: 'boolean', default: false },
  },
});
const die = (m) => { console.error(`e2e: ${m}`); process.exit(2); };
if (!opts.vsix || !opts.shots) die('usage: run.mjs --vsix FILE --shots DIR [--cache DIR] [--netns auto|on|off]');
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const CACHE = path.resolve(opts.cache || process.env.GPUVM_E2E_CACHE || '/tmp/gpuvm-review-e2e');
const VSIX = path.resolve(opts.vsix);
const SHOTS = path.resolve(opts.shots);
const WAIT = Number(opts.timeout) * 1000;
const csEntry = path.join(CACHE, 'code-server/node_modules/code-server/out/node/entry.js');
const pwDir = path.join(CACHE, 'pw');
const chromiumExe = process.env.CHROMIUM_PATH || (fs.existsSync('/usr/lib/chromium/chromium') ? '/usr/lib/chromium/chromium' : '/usr/bin/chromium');
for (const [f, what] of [[VSIX, 'the .vsix (npm run package)'], [csEntry, 'code-server (test/e2e/setup.sh)'], [chromiumExe, 'chromium (test/e2e/setup.sh)']]) {
  if (!fs.existsSync(f)) die(`${what} not found: ${f}`);
}

// Loopback-only network namespace when we can make one.
if (opts.netns !== 'off' && process.env.GPUVM_E2E_NETNS !== '1') {
  const ok = spawnSync('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' }).status === 0;
  if (ok) {
    const child = spawn('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...process.argv.slice(1)],
      { stdio: 'inherit', env: { ...process.env, GPUVM_E2E_NETNS: '1' } });
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => { try { child.kill(s); } catch {} });
    child.on('exit', (code, sig) => process.exit(code ?? (sig ? 1 : 0)));
    await new Promise(() => {});
  } else if (opts.netns === 'on') die('--netns on, but unshare --net failed');
}

const T0 = Date.now();
const RUN_ID = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log(`[e2e +${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...a);
const results = [];
async function step(name, fn) {
  const t = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true, ms: Date.now() - t, detail: detail ?? '' });
    log(`ok   ${name}${detail ? `: ${detail}` : ''}`);
    return detail;
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - t, detail: String(e?.message ?? e).split('\n')[0] });
    log(`FAIL ${name}: ${e?.stack ?? e}`);
    throw e;
  }
}
async function waitFor(what, fn, ms = WAIT, every = 250) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    await sleep(every);
  }
  throw new Error(`timed out after ${ms / 1000}s waiting for ${what}${last ? ` (${last.message})` : ''}`);
}

// ---- processes --------------------------------------------------------------------------
const started = [];
function procTable() {
  const t = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const r = s.slice(s.lastIndexOf(')') + 2).split(' ');
      t.set(Number(d), { ppid: Number(r[1]), pgrp: Number(r[2]), state: r[0] });
    } catch {}
  }
  return t;
}
function family(root) {
  const t = procTable();
  const out = new Set(t.has(root) ? [root] : []);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of t) if (!out.has(pid) && p.state !== 'Z' && (out.has(p.ppid) || p.pgrp === root)) { out.add(pid); grew = true; }
  }
  return [...out];
}
function marked() {
  const out = [];
  for (const pid of procTable().keys()) {
    if (pid === process.pid) continue;
    try { if (fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`GPUVM_E2E_RUN_ID=${RUN_ID}`)) out.push(pid); } catch {}
  }
  return out;
}
const alive = (pid) => { try { process.kill(pid, 0); return procTable().get(pid)?.state !== 'Z'; } catch { return false; } };
async function stopAll() {
  for (const e of started.reverse()) {
    const fam = family(e.pid);
    try { process.kill(-e.pid, 'SIGTERM'); } catch {}
    for (const p of fam) { try { process.kill(p, 'SIGTERM'); } catch {} }
    const end = Date.now() + 5000;
    while (Date.now() < end && fam.some(alive)) await sleep(100);
    for (const p of fam.filter(alive)) { try { process.kill(p, 'SIGKILL'); } catch {} }
  }
  for (const p of marked()) { try { process.kill(p, 'SIGKILL'); } catch {} }
  await sleep(300);
  return marked().filter(alive);
}
function spawnTracked(name, cmd, args, env, logFile) {
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { env: { ...env, GPUVM_E2E_RUN_ID: RUN_ID }, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  started.push({ name, pid: child.pid });
  child.on('exit', (code, sig) => { child.exitInfo = { code, sig }; });
  return child;
}
const freePort = () => new Promise((res, rej) => { const s = net.createServer(); s.on('error', rej); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const httpStatus = (url) => new Promise((res) => { const r = http.get(url, { timeout: 2000 }, (x) => { x.resume(); res(x.statusCode); }); r.on('error', () => res(0)); r.on('timeout', () => { r.destroy(); res(0); }); });

// ---- run ----------------------------------------------------------------------------------
fs.mkdirSync(SHOTS, { recursive: true });
for (const f of fs.readdirSync(SHOTS)) if (/\.png$|^report\.json$/.test(f)) fs.rmSync(path.join(SHOTS, f));
const run = fs.mkdtempSync(path.join(os.tmpdir(), 'gpuvm-e2e-'));
const dirs = Object.fromEntries(['user', 'ext', 'profile', 'home', 'xdg', 'tmp', 'ws'].map((d) => [d, path.join(run, d)]));
for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
// The workspace: copies of the files the cases open.
for (const c of CASES.files) {
  const to = path.join(dirs.ws, c.as);
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(path.join(ROOT, c.from), to);
}
fs.mkdirSync(path.join(dirs.user, 'User'), { recursive: true });
fs.writeFileSync(path.join(dirs.user, 'User', 'settings.json'), JSON.stringify({
  'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true, 'git.enabled': false, 'workbench.editor.enablePreview': false, 'window.restoreWindows': 'none',
  'workbench.enableExperiments': false, 'json.schemaDownload.enable': false, 'chat.commandCenter.enabled': false,
  'gpuvmReview.debounceMs': 50,
}, null, 2));
const csConfig = path.join(run, 'code-server.yaml');
fs.writeFileSync(csConfig, 'auth: none\ncert: false\n');
const csEnv = {
  ...process.env, EXTENSIONS_GALLERY: '{}', TMPDIR: dirs.tmp,
  XDG_CONFIG_HOME: path.join(dirs.xdg, 'c'), XDG_DATA_HOME: path.join(dirs.xdg, 'd'), XDG_CACHE_HOME: path.join(dirs.xdg, 'k'),
};
for (const k of ['PASSWORD', 'HASHED_PASSWORD', 'VSCODE_PROXY_URI', 'VSCODE_IPC_HOOK_CLI']) delete csEnv[k];
const csArgs = ['--user-data-dir', dirs.user, '--extensions-dir', dirs.ext, '--config', csConfig];
const csLog = path.join(run, 'code-server.log');
const chLog = path.join(run, 'chromium.log');

let browser;
let page;
let shotN = 0;
const shot = async (label) => {
  if (!page) return;
  const f = path.join(SHOTS, `${String(++shotN).padStart(2, '0')}-${label}.png`);
  try { await page.screenshot({ path: f, timeout: 15000 }); } catch (e) { log(`screenshot failed: ${e.message}`); }
};
let code = 1;
let finishing;
async function finish(c) {
  if (finishing) return finishing;
  finishing = (async () => {
    try { if (browser) { const s = await browser.newBrowserCDPSession(); await Promise.race([s.send('Browser.close').catch(() => {}), sleep(3000)]); } } catch {}
    const left = await stopAll();
    if (left.length) { log(`processes left: ${left.join(',')}`); c = 1; }
    fs.writeFileSync(path.join(SHOTS, 'report.json'), JSON.stringify({ ok: c === 0, steps: results, network: process.env.GPUVM_E2E_NETNS === '1' ? 'loopback-only namespace' : 'host', ms: Date.now() - T0 }, null, 2));
    console.log('\n== e2e report');
    for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(28)} ${(r.ms / 1000).toFixed(1).padStart(5)}s  ${r.detail}`);
    console.log(`RESULT: ${c === 0 ? 'PASS' : 'FAIL'} (${((Date.now() - T0) / 1000).toFixed(1)} s; screenshots in ${SHOTS})`);
    if (c === 0 && !opts.keep) fs.rmSync(run, { recursive: true, force: true }); else console.log(`logs kept in ${run}`);
    process.exit(c);
  })();
  return finishing;
}
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => finish(1));
setTimeout(() => { log('total timeout'); finish(1); }, Number(opts['total-timeout']) * 1000).unref();

try {
  await step('install-vsix', async () => {
    const r = spawnSync(process.execPath, [csEntry, ...csArgs, '--install-extension', VSIX], { env: { ...csEnv, GPUVM_E2E_RUN_ID: RUN_ID }, encoding: 'utf8', timeout: WAIT });
    if (r.status !== 0) throw new Error(`install failed: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
    const installed = fs.readdirSync(dirs.ext).filter((d) => d.includes('gpuvm-review'));
    if (!installed.length) throw new Error('extension folder missing after install');
    for (const w of ['tree-sitter-rust.wasm', 'tree-sitter-c.wasm', 'web-tree-sitter.wasm']) {
      if (!fs.existsSync(path.join(dirs.ext, installed[0], 'dist', w))) throw new Error(`${w} missing from the installed extension`);
    }
    return installed[0];
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  await step('code-server', async () => {
    const cs = spawnTracked('code-server', process.execPath, [csEntry, ...csArgs, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', '--disable-proxy', '--locale', 'en'], csEnv, csLog);
    await waitFor('code-server', async () => {
      if (cs.exitInfo) throw new Error(`code-server exited ${JSON.stringify(cs.exitInfo)}`);
      return (await httpStatus(`${base}/healthz`)) === 200;
    }, WAIT, 200);
    return base;
  });
  const { chromium } = createRequire(path.join(pwDir, 'package.json'))('playwright-core');
  await step('chromium', async () => {
    const ch = spawnTracked('chromium', chromiumExe, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--disable-extensions',
      '--disable-default-apps', '--disable-breakpad', '--mute-audio', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
      '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', `--user-data-dir=${dirs.profile}`, '--window-size=1600,1000', 'about:blank'],
    { ...process.env, HOME: dirs.home, TMPDIR: dirs.tmp }, chLog);
    const ws = await waitFor('DevTools endpoint', async () => {
      if (ch.exitInfo) throw new Error('chromium exited');
      return /DevTools listening on (ws:\/\/\S+)/.exec(fs.readFileSync(chLog, 'utf8'))?.[1];
    }, 30000, 100);
    if (!ws.startsWith('ws://127.0.0.1:')) throw new Error(`DevTools not on loopback: ${ws}`);
    browser = await chromium.connectOverCDP(ws);
    page = browser.contexts()[0].pages()[0] ?? await browser.contexts()[0].newPage();
    await page.setViewportSize({ width: 1600, height: 1000 });
    return browser.version();
  });
  await step('workbench', async () => {
    await page.goto(`${base}/?folder=${encodeURIComponent(dirs.ws)}`, { waitUntil: 'domcontentloaded', timeout: WAIT });
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible', timeout: WAIT });
    await shot('workbench');
  });
  const ui = uiHelpers(page, WAIT, shot);
  process.env.GPUVM_E2E_SHOTS = SHOTS;
  await CASES.run({ step, ui, page, sleep, waitFor });
  code = 0;
} catch (e) {
  await shot('failure');
  for (const f of [csLog]) { try { console.log(`--- ${f}\n${fs.readFileSync(f, 'utf8').split('\n').slice(-20).join('\n')}`); } catch {} }
  try {
    const logs = spawnSync('sh', ['-c', `find ${dirs.user}/logs -name '*.log' | xargs grep -l -i gpuvm | head -3`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    for (const f of logs) console.log(`--- ${f}\n${fs.readFileSync(f, 'utf8').split('\n').slice(-25).join('\n')}`);
  } catch {}
  code = 1;
}
await finish(code);

function uiHelpers(page, wait, shot) {
  const qi = page.locator('.quick-input-widget');
  return {
    async openFile(rel) {
      const name = path.basename(rel);
      await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } }).catch(() => {});
      await page.keyboard.press('Control+P');
      await qi.locator('input').waitFor({ state: 'visible', timeout: wait });
      await page.keyboard.type(rel, { delay: 5 });
      const row = qi.locator('.monaco-list-row', { hasText: name }).first();
      await row.waitFor({ state: 'visible', timeout: wait });
      await row.click();
      await page.locator(`.tabs-container .tab.active[data-resource-name="${name}"]`).waitFor({ state: 'visible', timeout: wait });
      await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout: wait });
    },
    async problems(expected, timeout = wait) {
      const panel = page.locator('.markers-panel');
      if (!(await panel.isVisible())) await page.keyboard.press('Control+Shift+M');
      await panel.waitFor({ state: 'visible', timeout: wait });
      // The list is virtualized (rows out of view do not exist): filter it for each expected text.
      const filter = page.locator('.panel input[placeholder^="Filter"]').first();
      const rowsSeen = [];
      for (const x of expected) {
        await filter.fill(x);
        let seen = [];
        await waitFor(`a problem with "${x}"`, async () => {
          seen = (await panel.locator('.monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
          return seen.some((s) => s.includes(x));
        }, timeout).catch((e) => { throw new Error(`${e.message}; rows seen: ${seen.map((s) => `"${s}"`).join(', ')}`); });
        rowsSeen.push(seen.find((s) => s.includes(x) && s.includes('gpuvm-review')) ?? seen.find((s) => s.includes(x)));
      }
      await filter.fill('');
      return rowsSeen;
    },
    async gotoLine(line) {
      await page.locator('.editor-instance .monaco-editor').first().click();
      await page.keyboard.press('Control+G');
      await qi.locator('input').waitFor({ state: 'visible', timeout: wait });
      await page.keyboard.type(String(line));
      await page.keyboard.press('Enter');
      await qi.waitFor({ state: 'hidden', timeout: wait });
    },
    async command(title) {
      await page.keyboard.press('F1');
      await qi.locator('input').waitFor({ state: 'visible', timeout: wait });
      await page.keyboard.type(title, { delay: 5 });
      const row = qi.locator('.monaco-list-row', { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: wait });
      await shot('palette');
      await page.keyboard.press('Enter');
    },
    /** The text of the webview whose body contains `marker`, waiting for it. */
    async webview(marker) {
      let seen = [];
      const frame = await waitFor(`webview with "${marker}"`, async () => {
        seen = [];
        for (const f of page.frames()) {
          if (!/webview/i.test(f.url())) continue;
          const t = await f.evaluate(() => document.body?.innerText ?? '').catch(() => '');
          if (t.includes(marker)) return f;
          if (t.trim()) seen.push(t.replace(/\s+/g, ' ').slice(0, 100));
        }
        return undefined;
      }).catch((e) => { throw new Error(`${e.message}; webview texts: ${seen.join(' | ')}`); });
      return frame;
    },
    /**
     * The cursor line of the editor of `name`: its tab is activated first, as
     * the status bar shows no line while a webview is the active editor.
     */
    async cursorLine(name) {
      await page.locator(`.tabs-container .tab[data-resource-name="${name}"]`).first().click().catch(() => {});
      const t = await page.locator('.statusbar-item[id*="status.editor.selection"]').first().innerText().catch(() => '');
      return Number(/Ln (\d+)/.exec(t)?.[1] ?? NaN);
    },
  };
}
