import { applyOp, DEFAULT_CONFIG, type ModelConfig, type Outcome } from '../src/model/apply';
import type { Op } from '../src/model/ops';
import { parseScenario } from '../src/scenario/parse';
import { runScenario, type SimulationResult } from '../src/scenario/run';
import { emptyState, type ModelState } from '../src/model/state';

/** Run a scenario given as text; returns the result. */
export function sim(text: string, file = 'test.gpuvm'): SimulationResult {
  return runScenario(parseScenario(text, file));
}

export function rulesOf(r: SimulationResult): string[] {
  return r.findings.map((f) => f.rule);
}

/** Apply ops in sequence, always taking the first outcome. */
export function run(ops: Op[], cfg: ModelConfig = DEFAULT_CONFIG, state: ModelState = emptyState()): { state: ModelState; outcomes: Outcome[] } {
  const outcomes: Outcome[] = [];
  let s = state;
  for (const op of ops) {
    const o = applyOp(s, op, cfg)[0]!;
    outcomes.push(o);
    s = o.state;
  }
  return { state: s, outcomes };
}

export const op = (name: string, args: string[] = [], more: Partial<Op> = {}): Op => ({ op: name, args, ...more });
