// The main job on the bundled examples: review the example drivers (and the
// seed patches when ../shared is beside the checkout), run every scenario
// through the simulator, and build the VS Code extension package.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(join(root, 'package.json'));
const cli = join(root, 'dist', 'cli.js');
const node = (args, opts = {}) => spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', ...opts });
const run = (args) => node([cli, ...args]);
let failed = 0;

// 1. Build (production bundles: the same ones the .vsix ships).
const build = node([join(root, 'scripts', 'build.mjs'), '--production'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

// 2. Review the example drivers: the clean ones report nothing, the buggy ones each bug.
console.log('== gpuvm-review check examples/   (exit status 1: error findings, as intended)');
const ex = run(['check', '--no-trace', 'examples/']);
console.log(ex.stdout + ex.stderr);
if (ex.status === 2) failed++;

// 3. The two patch series the tool started from, if they are beside the checkout.
const seeds = join(root, '..', 'shared', 'seeds');
if (existsSync(seeds)) {
  for (const f of readdirSync(seeds).sort()) {
    const p = join(seeds, f);
    if (!statSync(p).isFile()) continue;
    console.log(`== gpuvm-review check ${p}`);
    const r = run(['check', '--no-trace', p]);
    console.log(r.stdout.split('\n').filter((l) => l && !/: info: /.test(l)).join('\n') + r.stderr);
    if (r.status === 2) failed++;
  }
}

// 4. Every scenario through the simulator, each checked against its own expect lines.
const scenarios = [];
for (const d of ['seeds', 'rules', 'concurrency']) {
  const dir = join(root, 'examples', 'scenarios', d);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.gpuvm')) scenarios.push(join('examples', 'scenarios', d, f));
}
console.log(`== gpuvm-review simulate --expect: ${scenarios.length} scenarios`);
for (const f of scenarios) {
  const r = run(['simulate', '--expect', f]);
  const findings = (r.stdout.match(/^\S+:\d+:\d+: (error|warning|info): .*$/gm) ?? []).map((l) => l.replace(/^.*\[(.*)\]$/, '$1'));
  if (r.status !== 0) failed++;
  console.log(`${r.status === 0 ? 'ok  ' : 'FAIL'} ${f.padEnd(66)} ${findings.length ? [...new Set(findings)].join(', ') : 'clean'}`);
  if (r.status !== 0) console.log(r.stdout.split('\n').filter((l) => /NOT MET/.test(l)).join('\n') + r.stderr);
}
const seed = join('examples', 'scenarios', 'concurrency', 'deferred-put-swapped.gpuvm');
if (existsSync(join(root, seed))) {
  console.log(`\n== the shortest interleaving behind a use-after-free (${seed})`);
  console.log(run(['simulate', seed]).stdout.split('\n').slice(-30).join('\n'));
}

// 5. The VS Code extension package.
console.log('== building the VS Code extension (gpuvm-review.vsix)');
const vsce = node([require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '-o', 'gpuvm-review.vsix']);
console.log((vsce.stdout + vsce.stderr).split('\n').filter((l) => /DONE|ERROR|WARNING/.test(l)).join('\n'));
if (vsce.status !== 0) failed++;
process.exit(failed ? 1 : 0);
