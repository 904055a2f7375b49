// The simulation core alone: scenario steps per second on the bundled examples.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const name = 'model';

export async function run({ root, require }) {
  const { parseScenario } = require(join(root, 'out/src/scenario/parse.js'));
  const { runScenario } = require(join(root, 'out/src/scenario/run.js'));
  const files = [];
  for (const d of ['rules', 'seeds']) {
    const dir = join(root, 'examples/scenarios', d);
    for (const f of readdirSync(dir)) if (f.endsWith('.gpuvm')) files.push(readFileSync(join(dir, f), 'utf8'));
  }
  let steps = 0;
  const t0 = process.hrtime.bigint();
  const rounds = 20;
  for (let i = 0; i < rounds; i++) for (const t of files) steps += runScenario(parseScenario(t, 'x.gpuvm')).steps.length;
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const json = { scenarios: files.length * rounds, steps, ms: Math.round(ms), stepsPerSecond: Math.round(steps / (ms / 1000)) };
  return { json, lines: [`${json.scenarios} scenario runs, ${steps} steps in ${json.ms} ms: ${json.stepsPerSecond} steps/s (with trace snapshots)`] };
}
