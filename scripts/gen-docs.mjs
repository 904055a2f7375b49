// Writes docs/rules/<rule>.md from the rule table and the example scenarios.
// Usage: node scripts/gen-docs.mjs [--check]
import { readFileSync, writeFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const { RULES } = require(`${root}out/src/model/rules.js`);
const dir = join(root, 'docs', 'rules');
mkdirSync(dir, { recursive: true });
const check = process.argv.includes('--check');
let stale = 0;
const examples = (id) => {
  const out = [];
  for (const [kind, title] of [['bad', 'Fires'], ['ok', 'Stays silent']]) {
    const f = join(root, 'examples', 'scenarios', 'rules', `${id}.${kind}.gpuvm`);
    if (existsSync(f)) out.push(`### ${title}\n\n\`\`\`\n${readFileSync(f, 'utf8').trimEnd()}\n\`\`\`\n\n(\`examples/scenarios/rules/${id}.${kind}.gpuvm\`)\n`);
  }
  const fx = join(root, 'test', 'fixtures');
  if (existsSync(fx)) {
    for (const lang of readdirSync(fx)) {
      const d = join(fx, lang);
      for (const f of readdirSync(d).sort()) if (f.startsWith(`${id}.`)) out.push(`- fixture: \`test/fixtures/${lang}/${f}\``);
    }
  }
  return out.join('\n');
};
for (const r of RULES) {
  const text = `# \`${r.id}\`: ${r.title}\n\nDefault severity: **${r.severity}**. Category: ${r.category}. Checked by: ${r.checkedBy.join(', ')}.\n\n${r.description}\n\n## Suppressing\n\nAdd \`// gpuvm-review: allow(${r.id})\` on the line of the finding, on the line above it, or above the function.\nIn the editor, change its severity with the \`gpuvmReview.rules.customizations\` setting.\n\n## Examples\n\n${examples(r.id)}\n`;
  const p = join(dir, `${r.id}.md`);
  if (check) { if (!existsSync(p) || readFileSync(p, 'utf8') !== text) { console.error(`stale: docs/rules/${r.id}.md`); stale++; } }
  else writeFileSync(p, text);
}
if (stale) process.exit(1);
