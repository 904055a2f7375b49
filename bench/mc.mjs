// The interleaving explorer: states, transitions, time and states per second
// on the concurrency examples, with and without the partial-order reduction;
// then the same deferred-put/cleanup race as a Promela model, checked by
// Debian's spin in this same run, side by side (state counts and time).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const name = 'mc';

const ROUNDS = 5;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(fn) {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return { r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

function sh(cmd, args, cwd) {
  const t = timed(() => spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000 }));
  return { ...t.r, ms: t.ms };
}

/** Spin is a Debian package: install it if it is missing and we may (root), else say why not. */
function ensureSpin() {
  if (sh('spin', ['-V']).status === 0) return undefined;
  if (process.getuid?.() !== 0) return 'spin is not installed (apt-get install -y --no-install-recommends spin)';
  sh('apt-get', ['install', '-y', '--no-install-recommends', 'spin']);
  if (sh('spin', ['-V']).status === 0) return undefined;
  sh('apt-get', ['update']);
  sh('apt-get', ['install', '-y', '--no-install-recommends', 'spin']);
  return sh('spin', ['-V']).status === 0 ? undefined : 'spin could not be installed with apt-get';
}

function panCounts(out) {
  const n = (re) => Number(re.exec(out)?.[1] ?? NaN);
  return {
    states: n(/(\d+) states, stored/), transitions: n(/(\d+) transitions \(= stored\+matched\)/),
    errors: n(/errors: (\d+)/), depth: n(/depth reached (\d+)/), assertion: /assertion violated/.test(out),
  };
}

export async function run({ root, require }) {
  const { parseScenario } = require(join(root, 'out/src/scenario/parse.js'));
  const { runThreadedScenario } = require(join(root, 'out/src/concurrency/scenario.js'));
  const load = (p) => parseScenario(readFileSync(p, 'utf8'), p);
  const lines = [];
  const json = { examples: {}, spin: undefined };

  const dir = join(root, 'examples/scenarios/concurrency');
  let totalStates = 0;
  let totalMs = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.gpuvm')).sort()) {
    const sc = load(join(dir, f));
    const row = {};
    for (const reduce of [true, false]) {
      const runs = [];
      let res;
      for (let i = 0; i < ROUNDS; i++) {
        res = runThreadedScenario(sc, { reduce, shortest: false });
        runs.push(res.exploration.ms);
      }
      const e = res.exploration;
      const ms = Math.max(median(runs), 0.01);
      row[reduce ? 'reduced' : 'full'] = { states: e.states, transitions: e.transitions, depth: e.depth, ms, statesPerSecond: Math.round(e.states / (ms / 1000)), findings: [...new Set(res.findings.map((x) => x.rule))] };
      if (reduce) { totalStates += e.states; totalMs += ms; }
    }
    json.examples[f] = row;
    const r = row.reduced;
    lines.push(`${f.padEnd(40)} ${String(r.states).padStart(5)} states (${row.full.states} without reduction), ${String(r.transitions).padStart(5)} transitions (${row.full.transitions}), ${r.ms.toFixed(2)} ms, ${r.statesPerSecond} states/s${r.findings.length ? `: ${r.findings.join(', ')}` : ''}`);
  }
  json.total = { states: totalStates, ms: Math.round(totalMs), statesPerSecond: Math.round(totalStates / (totalMs / 1000)) };
  lines.push(`all examples, with reduction: ${totalStates} states in ${json.total.ms} ms: ${json.total.statesPerSecond} states/s (median of ${ROUNDS} runs each)`);

  // Spin, side by side, on the Promela twin of deferred-put-vs-cleanup.
  const why = ensureSpin();
  if (why) {
    json.spin = { skipped: why };
    lines.push(`spin: skipped: ${why}`);
    return { json, lines };
  }
  const pml = join(root, 'bench/promela/deferred-put-vs-cleanup.pml');
  const work = mkdtempSync(join(tmpdir(), 'gpuvm-mc-spin-'));
  try {
    copyFileSync(pml, join(work, 'model.pml'));
    const spin = { version: sh('spin', ['-V']).stdout.trim(), model: 'bench/promela/deferred-put-vs-cleanup.pml', runs: [] };
    const twin = load(join(root, 'bench/promela/deferred-put-vs-cleanup.gpuvm'));
    for (const [label, flags, reduce] of [['without reduction', ['-DNOREDUCE'], false], ['with reduction', [], true]]) {
      const gen = sh('spin', ['-a', 'model.pml'], work);
      const cc = sh('gcc', ['-O2', ...flags, '-o', 'pan', 'pan.c'], work);
      if (gen.status !== 0 || cc.status !== 0) throw new Error(`spin -a / gcc failed: ${gen.stderr}${cc.stderr}`);
      const pans = [];
      let out = '';
      // -w10: a hash table sized for this model (the default allocates 2^19 slots, and that allocation would be all we measured).
      for (let i = 0; i < ROUNDS; i++) { const p = sh('./pan', ['-w10'], work); pans.push(p.ms); out = p.stdout; }
      const c = panCounts(out);
      const ours = [];
      let e;
      for (let i = 0; i < ROUNDS; i++) { e = runThreadedScenario(twin, { reduce, shortest: false }).exploration; ours.push(e.ms); }
      // The two threads' states: everything after the set-up context (its states are not in the Promela model).
      const oursStates = e.states - e.statesByGroup[0];
      const oursMs = Math.max(median(ours), 0.01);
      const panMs = median(pans);
      spin.runs.push({
        reduction: label, gccFlags: flags, spinStates: c.states, spinTransitions: c.transitions, ourStates: oursStates,
        panMs: Math.round(panMs * 10) / 10, spinGenerateMs: Math.round(gen.ms), gccMs: Math.round(cc.ms), ourMs: Math.round(oursMs * 10) / 10,
        timeRatio: Math.round((oursMs / panMs) * 100) / 100,
      });
      lines.push(`spin ${label} (gcc ${flags.join(' ') || 'default: spin\'s partial-order reduction'}): spin ${c.states} states, ours ${oursStates} (our reduction ${reduce ? 'on' : 'off'}); ./pan -w10 ${panMs.toFixed(1)} ms (spin -a ${Math.round(gen.ms)} ms, gcc ${Math.round(cc.ms)} ms), ours ${oursMs.toFixed(2)} ms: ours/pan = ${(oursMs / panMs).toFixed(2)}`);
    }
    // The swapped order: both find the freed mutex.
    const gen = sh('spin', ['-DSWAPPED', '-a', 'model.pml'], work);
    sh('gcc', ['-O2', '-DNOREDUCE', '-o', 'pan', 'pan.c'], work);
    const bad = panCounts(sh('./pan', ['-w10'], work).stdout);
    const swapped = runThreadedScenario(load(join(root, 'bench/promela/deferred-put-swapped.gpuvm')));
    const uaf = swapped.findings.filter((f) => f.rule === 'use-after-free');
    const shortest = Math.min(...uaf.map((f) => f.steps.filter((s) => s.thread && s.op !== 'context' && s.op !== 'exit' && s.thread !== 'ioctl vm_bind').length));
    spin.swapped = { spinAssertionViolated: bad.assertion && gen.status === 0, spinDepth: bad.depth, ourUseAfterFree: uaf.length, ourShortestSteps: shortest };
    lines.push(`swapped order (-DSWAPPED): spin ${bad.assertion ? `assertion violated at depth ${bad.depth}` : 'no violation'}; ours: use-after-free, shortest interleaving ${shortest} steps of the two threads`);
    json.spin = spin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { json, lines };
}
