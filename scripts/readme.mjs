// Regenerates the generated tables of README.md: the rules (from the rule
// table in the code, with the languages each is checked in) and the editor
// settings (from package.json). Usage: node scripts/readme.mjs [--check]
import { readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const { RULES } = require(`${root}out/src/model/rules.js`);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// Which languages have fixtures that fire the rule: test/fixtures/<lang>/<rule>.*.bad.*
const fixtures = (lang) => {
  const d = join(root, 'test', 'fixtures', lang);
  return existsSync(d) ? readdirSync(d) : [];
};
const fires = (lang, id) => fixtures(lang).some((f) => f.startsWith(`${id}.`) && /\.bad\./.test(f));
const scen = (id) => existsSync(join(root, 'examples', 'scenarios', 'rules', `${id}.bad.gpuvm`));
const cov = (r) => {
  const langs = [fires('rust', r.id) && 'Rust', fires('c', r.id) && 'C', scen(r.id) && 'scenarios'].filter(Boolean);
  if (r.checkedBy.includes('concurrency')) langs.push('threaded scenarios');
  return langs.join(', ') || '—';
};
const rules = ['| rule | severity | covered in | what |', '|---|---|---|---|',
  ...RULES.map((r) => `| [\`${r.id}\`](docs/rules/${r.id}.md) | ${r.severity} | ${cov(r)} | ${r.title.replace(/\|/g, '\\|')} |`)].join('\n');

const props = pkg.contributes?.configuration?.properties ?? {};
const settings = ['| setting | default | what |', '|---|---|---|',
  ...Object.entries(props).map(([k, v]) => `| \`${k}\` | \`${JSON.stringify(v.default)}\` | ${(v.markdownDescription ?? v.description ?? '').replace(/\n/g, ' ').replace(/\|/g, '\\|')} |`)].join('\n');

function replaceBlock(text, name, body) {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- /generated:${name} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) throw new Error(`README.md lacks the ${start} ... ${end} markers`);
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}
const readme = readFileSync(join(root, 'README.md'), 'utf8');
let next = replaceBlock(readme, 'rules', rules);
if (next.includes('<!-- generated:settings -->')) next = replaceBlock(next, 'settings', settings);
if (process.argv.includes('--check')) {
  if (next !== readme) { console.error('README.md tables are out of date: run node scripts/readme.mjs'); process.exit(1); }
} else writeFileSync(join(root, 'README.md'), next);
