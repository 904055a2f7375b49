// The main job on the bundled examples: simulate every scenario (checking its
// expect lines) and print what each one shows.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist', 'cli.js');
const run = (args, opts = {}) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', ...opts });

let failed = 0;
const scenarios = [];
for (const d of ['seeds', 'rules']) {
  const dir = join(root, 'examples', 'scenarios', d);
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) if (f.endsWith('.gpuvm')) scenarios.push(join('examples', 'scenarios', d, f));
}
console.log(`== gpuvm-review simulate: ${scenarios.length} scenarios`);
for (const f of scenarios) {
  const r = run(['simulate', '--expect', f]);
  const findings = (r.stdout.match(/^\S+:\d+:\d+: (error|warning|info): .*$/gm) ?? []).map((l) => l.replace(/^.*\[(.*)\]$/, '$1'));
  const status = r.status === 0 ? 'ok  ' : 'FAIL';
  if (r.status !== 0) failed++;
  console.log(`${status} ${f.padEnd(62)} ${findings.length ? [...new Set(findings)].join(', ') : 'clean'}`);
  if (r.status !== 0) console.log(r.stdout.split('\n').filter((l) => /NOT MET/.test(l)).join('\n') + r.stderr);
}
const seed = join('examples', 'scenarios', 'seeds', 'unlink-defer-in-run-job.gpuvm');
console.log(`\n== the seed story, step by step (${seed})`);
console.log(run(['simulate', '--state', seed]).stdout);
// Source review of the example drivers: the clean ones report nothing, the
// buggy ones each bug (exit status 1 means "errors found", 2 "could not run").
if (existsSync(join(root, 'examples', 'c'))) {
  console.log('== gpuvm-review check examples/');
  const r = run(['check', 'examples/']);
  console.log(r.stdout.split('\n').filter((l) => !/^\s/.test(l)).join('\n') + r.stderr);
  if (r.status === 2) failed++;
}
process.exit(failed ? 1 : 0);
