// Helpers for the concurrency tests: run a threaded scenario, and a brute-force
// search (every schedule, no state hashing, no reduction) to compare against.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { keyOf } from '../../src/concurrency/explore';
import { programOf, runThreadedScenario, type ThreadedOptions } from '../../src/concurrency/scenario';
import { holderOf, initialWorld, peek, step, type StepRecord } from '../../src/concurrency/step';
import type { World } from '../../src/concurrency/world';
import type { Finding } from '../../src/model/finding';
import { parseScenario, type Scenario } from '../../src/scenario/parse';
import type { SimulationResult } from '../../src/scenario/run';

export const examplesDir = join(__dirname, '..', '..', '..', 'examples', 'scenarios');

export function example(dir: string, name: string): Scenario {
  return parseScenario(readFileSync(join(examplesDir, dir, name), 'utf8'), `${dir}/${name}`);
}

export function examples(dir: string): string[] {
  return readdirSync(join(examplesDir, dir)).filter((f) => f.endsWith('.gpuvm')).sort();
}

export function threaded(text: string, opts: ThreadedOptions = {}): SimulationResult {
  return runThreadedScenario(parseScenario(text, 't.gpuvm'), opts);
}

export const rules = (r: SimulationResult): string[] => [...new Set(r.findings.filter((f) => f.severity !== 'info').map((f) => f.rule))].sort();

/** Steps the threads took in a finding's interleaving (not the declarations, not the context/exit markers). */
export function threadSteps(f: Finding): number {
  return (f.steps ?? []).filter((s) => s.thread && s.op !== 'context' && s.op !== 'exit' && s.op !== 'deadlock').length;
}

/** Every schedule, depth-first, no hashing: the minimal depth at which each finding key shows up. */
export function bruteForce(sc: Scenario, limit = 50_000): { minDepth: Map<string, number>; paths: number } {
  const prog = programOf(sc);
  const init = initialWorld(prog, () => {});
  const minDepth = new Map<string, number>();
  let paths = 0;
  const note = (key: string, d: number): void => { if (!minDepth.has(key) || minDepth.get(key)! > d) minDepth.set(key, d); };
  const record = (rec: StepRecord, d: number): void => {
    for (const v of rec.violations) note(keyOf(v.rule, v.at ? Number(v.at) : rec.stmt.line, rec.lane), d);
    for (const v of rec.exit?.violations ?? []) note(keyOf(v.rule, v.at ? Number(v.at) : rec.stmt.line, rec.lane), d);
    for (const v of rec.end ?? []) note(keyOf(v.rule, v.at ? Number(v.at) : rec.stmt.line, 'end of scenario'), d);
  };
  const walk = (w: World, d: number): void => {
    if (paths > limit) throw new Error('brute force: too many schedules');
    if (w.finished) { paths++; return; }
    const enabled: number[] = [];
    const waiting: Array<{ thread: string; line: number }> = [];
    w.threads.forEach((t, i) => {
      if (t.done) return;
      const busy = peek(prog, w, i).wants.some((l) => holderOf(w, i, l.id) !== undefined);
      if (busy) waiting.push({ thread: t.name, line: prog.sc.contexts[t.block]!.statements[t.pc]!.line });
      else enabled.push(i);
    });
    if (!enabled.length) {
      paths++;
      note(keyOf('deadlock', waiting[0]!.line, waiting.map((x) => x.thread).sort().join(' + ')), d);
      return;
    }
    for (const i of enabled) {
      const { world, rec } = step(prog, w, i);
      record(rec, d + 1);
      walk(world, d + 1);
    }
  };
  walk(init, 0);
  return { minDepth, paths };
}
