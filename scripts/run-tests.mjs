// Runs every compiled test file (out/test/**/*.test.js) with node's test runner.
// Usage: node scripts/run-tests.mjs [filter-substring...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'out', 'test');
if (!existsSync(dir)) {
  console.error('out/test is missing: run "npm test" (it compiles first)');
  process.exit(2);
}
const files = [];
(function walk(d) {
  for (const f of readdirSync(d)) {
    const p = join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f.endsWith('.test.js')) files.push(p);
  }
})(dir);
const filters = process.argv.slice(2);
const selected = files.filter((f) => !filters.length || filters.some((x) => f.includes(x))).sort();
if (!selected.length) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(2);
}
console.log(`running ${selected.length} test file(s): ${selected.map((f) => relative(dir, f)).join(' ')}`);
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...selected], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
