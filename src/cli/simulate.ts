// gpuvm-review simulate [--format text|json] [--state] [--expect] FILE.gpuvm...

import { explorationLine, lanesToText } from '../concurrency/text';
import { traceToText } from '../model/trace';
import { toContractFinding } from '../report/json';
import { findingLine } from '../report/text';
import { parseScenario, ScenarioSyntaxError } from '../scenario/parse';
import { runScenario, type SimulationResult } from '../scenario/run';
import { TOOL, VERSION } from '../version';
import { readTextFile } from './io';

export interface SimulateOptions {
  format: 'text' | 'json';
  /** Print the object states after every step. */
  state: boolean;
  /** Exit 1 when the scenario's expect lines are not met. */
  expect: boolean;
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function simulateFiles(files: string[], opts: SimulateOptions, io: Io): number {
  let status = 0;
  const results: Array<{ file: string; result?: SimulationResult; errors?: string[] }> = [];
  for (const file of files) {
    const r = readTextFile(file);
    if (!r.ok) {
      io.err(`${file}: ${r.message}`);
      results.push({ file, errors: [r.message] });
      status = 2;
      continue;
    }
    try {
      const result = runScenario(parseScenario(r.text, file));
      results.push({ file, result });
      // With --expect the scenario's own expect lines decide; otherwise error findings do.
      const failed = opts.expect ? result.expectations.some((e) => !e.met) : result.findings.some((f) => f.severity === 'error');
      if (failed) status = Math.max(status, 1);
    } catch (e) {
      if (!(e instanceof ScenarioSyntaxError)) throw e;
      for (const x of e.errors) io.err(`${file}:${x.line}:${x.col}: ${x.message}`);
      results.push({ file, errors: e.errors.map((x) => `${x.line}:${x.col}: ${x.message}`) });
      status = 2;
    }
  }
  if (opts.format === 'json') {
    io.out(JSON.stringify({
      tool: TOOL, version: VERSION,
      scenarios: results.map(({ file, result, errors }) => result
        ? {
          file, steps: result.steps,
          findings: result.findings.map((f) => ({ ...toContractFinding(f), certainty: f.certainty, related: f.related ?? [] })),
          expectations: result.expectations.map((e) => ({ line: e.expectation.line, rule: e.expectation.rule, negate: e.expectation.negate, met: e.met, detail: e.detail })),
          // Threads: how the interleavings were explored, and each finding's shortest interleaving (steps with a thread lane).
          ...(result.exploration ? {
            exploration: result.exploration,
            counterexamples: result.findings.map((f) => ({ rule: f.rule, line: f.range.start.line, thread: f.function, steps: f.steps ?? [] })),
          } : {}),
        }
        : { file, errors }),
    }, null, 2));
    return status;
  }
  for (const { file, result } of results) {
    if (!result) continue;
    io.out(`== ${file}`);
    if (result.exploration) {
      // Threads: each finding with the shortest interleaving that shows it.
      io.out(explorationLine(result.exploration));
      io.out('');
      if (!result.findings.length) {
        io.out('No findings under any interleaving. One of them:');
        io.out(lanesToText(result.steps));
      }
      for (const f of result.findings) {
        io.out(findingLine(f));
        if (f.steps?.length) {
          io.out(`  shortest interleaving (${f.steps.length} steps):`);
          io.out(lanesToText(f.steps));
        }
      }
    } else {
      io.out(traceToText(result.steps, { withState: opts.state }));
      io.out('');
      if (!result.findings.length) io.out('No findings.');
      for (const f of result.findings) io.out(findingLine(f));
    }
    for (const e of result.expectations) {
      const x = e.expectation;
      io.out(`${file}:${x.line}: expect ${x.negate ? 'no ' : ''}${x.rule}: ${e.met ? 'met' : 'NOT MET'} (${e.detail})`);
    }
    io.out('');
  }
  return status;
}
