// npm run bench [-- --json] [-- --only rust,c]
// Runs every section in bench/*.mjs in one process, side by side, and prints
// ratios measured in this run (absolute times on a shared machine are noise).
// A section module exports: name, and run({ root, require }) -> { json, lines }.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(join(root, 'package.json'));
const args = process.argv.slice(2);
const asJson = args.includes('--json');
const onlyArg = args.find((a) => a.startsWith('--only='))?.slice(7) ?? (args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;

const sections = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.mjs')).sort();
const json = { machine: { node: process.version, cpus: (await import('node:os')).cpus().length } };
const out = [];
for (const f of sections) {
  const mod = await import(pathToFileURL(join(root, 'bench', f)).href);
  if (only && !only.has(mod.name)) continue;
  const t0 = Date.now();
  const r = await mod.run({ root, require });
  json[mod.name] = r.json;
  out.push(`== ${mod.name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`, ...r.lines, '');
}
json.peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
if (asJson) console.log(JSON.stringify(json, null, 2));
else console.log([...out, `peak RSS ${json.peakRssMb} MB`].join('\n'));
