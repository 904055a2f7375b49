// Regenerates the rules table in README.md from the rule table in the code.
// Usage: node scripts/readme-rules.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const { RULES } = require(`${root}out/src/model/rules.js`);
const coverage = (r) => {
  const by = new Set(r.checkedBy);
  const langs = [];
  if (by.has('model') || by.has('rust')) langs.push('Rust');
  if (by.has('model') || by.has('c')) langs.push('C');
  const where = [];
  if (by.has('model')) where.push('scenarios');
  if (by.has('concurrency')) where.push('threaded scenarios');
  return [...langs, ...where].join(', ');
};
const rows = RULES.map((r) => `| [\`${r.id}\`](docs/rules/${r.id}.md) | ${r.severity} | ${r.title.replace(/\|/g, '\\|')} |`).join('\n');
const readme = readFileSync(`${root}README.md`, 'utf8');
const start = readme.indexOf('| rule | severity | what |');
const end = readme.indexOf('\n\n', start);
const next = `${readme.slice(0, start)}| rule | severity | what |\n|---|---|---|\n${rows}${readme.slice(end)}`;
void coverage;
if (process.argv.includes('--check')) {
  if (next !== readme) { console.error('README.md rules table is out of date: run node scripts/readme-rules.mjs'); process.exit(1); }
} else writeFileSync(`${root}README.md`, next);
