// Runs a scenario through the model, one context after the other, and turns
// the violations into findings with traces.

import { applyOp, ModelError, type Violation } from '../model/apply';
import { endOfRunViolations, exitViolations } from '../model/checks';
import { compareFindings, rangeAt, type Finding, type TraceEntry } from '../model/finding';
import { emptyState, type ModelState } from '../model/state';
import { severityOf, traceStep, type TraceStep } from '../model/trace';
import { runThreadedScenario, type Exploration } from '../concurrency/scenario';
import { scenarioConfig } from './config';
import { contextNotes, contextTitle, enterContext, hasThreads } from './context';
import { checkExpectations, type ExpectationResult } from './expect';
import { ScenarioSyntaxError, type Scenario, type Statement } from './parse';

export { scenarioConfig } from './config';
export type { ExpectationResult } from './expect';

export interface SimulationResult {
  scenario: Scenario;
  steps: TraceStep[];
  findings: Finding[];
  expectations: ExpectationResult[];
  /** Set for scenarios with threads: how the interleavings were explored. */
  exploration?: Exploration;
}

export function runScenario(sc: Scenario): SimulationResult {
  // Threads (`concurrent` contexts) are explored over every interleaving.
  if (hasThreads(sc)) return runThreadedScenario(sc);
  const cfg = scenarioConfig(sc);
  const steps: TraceStep[] = [];
  const findings: Finding[] = [];
  const lineOf = new Map<string, Statement>();
  let state: ModelState = emptyState('setup');
  let ctxName = 'setup';

  const loc = (line: number, col = 1, endCol = col + 1) => ({ file: sc.file, range: rangeAt(line, col, line, endCol) });
  const traceOf = (upto: number): TraceEntry[] => steps.slice(0, upto + 1).map((st) => ({
    file: sc.file, range: st.location!.range, message: st.violations.length ? `${st.label} — ${st.violations.map((v) => v.rule).join(', ')}` : st.label,
  }));

  const report = (vs: Violation[], stepIndex: number, fallback: { line: number; col: number; endCol: number }): void => {
    for (const v of vs) {
      const at = v.at ? lineOf.get(v.at) : undefined;
      const where = at ? { line: at.line, col: at.col, endCol: at.endCol } : fallback;
      findings.push({
        rule: v.rule, severity: severityOf(v), message: v.message, file: sc.file, function: ctxName,
        range: rangeAt(where.line, where.col, where.line, where.endCol), trace: traceOf(stepIndex), certainty: v.certainty,
        related: v.related.flatMap((r) => {
          const st = r.origin ? lineOf.get(r.origin) : undefined;
          return st ? [{ file: sc.file, range: rangeAt(st.line, st.col, st.line, st.endCol), message: r.message }] : [];
        }),
        steps: steps.slice(0, stepIndex + 1),
      });
    }
  };

  const run = (st: Statement): void => {
    lineOf.set(`${st.line}`, st);
    let outcomes;
    try {
      outcomes = applyOp(state, st.op, cfg);
    } catch (e) {
      if (e instanceof ModelError) throw new ScenarioSyntaxError([{ line: st.line, col: st.col, message: e.message }]);
      throw e;
    }
    const o = outcomes[0]!;
    state = o.state;
    steps.push(traceStep(steps.length, st.op.op, st.text, o, { location: loc(st.line, st.col, st.endCol) }));
    report(o.violations, steps.length - 1, st);
  };

  for (const st of sc.setup) run(st);
  const vmImmediate = Object.values(state.objects).some((o) => o.kind === 'vm' && o.immediateMode === true);

  for (const block of sc.contexts) {
    enterContext(state, block, vmImmediate);
    ctxName = contextTitle(block);
    state.ctx.name = ctxName;
    steps.push(traceStep(steps.length, 'context', `${ctxName}:`, { state, violations: [], assumptions: [], notes: contextNotes(state, block), result: 'ok' },
      { location: loc(block.line, 1, block.kind.length + 1) }));
    for (const st of block.statements) run(st);
    const last = block.statements[block.statements.length - 1];
    const end = last ? { line: last.line, col: last.col, endCol: last.endCol } : { line: block.line, col: 1, endCol: 2 };
    const vs = exitViolations(state, { how: `the end of ${ctxName}`, references: false });
    if (vs.length) {
      steps.push(traceStep(steps.length, 'exit', `end of ${ctxName}`, { state, violations: vs, assumptions: [], notes: [], result: 'ok' }, { location: loc(end.line, end.col, end.endCol) }));
      report(vs, steps.length - 1, end);
    }
    state.locks = [];
    state.ctx = { name: 'process', signalling: 0, signallingFrom: [], begins: 0, atomic: 0 };
  }

  const lastLine = Math.max(1, ...[...lineOf.values()].map((s) => s.line));
  ctxName = 'end of scenario';
  const endVs = [...exitViolations(state, { how: 'the end of the scenario', references: true }), ...endOfRunViolations(state)];
  if (endVs.length) {
    steps.push(traceStep(steps.length, 'exit', 'end of scenario', { state, violations: endVs, assumptions: [], notes: [], result: 'ok' }, { location: loc(lastLine) }));
    report(endVs, steps.length - 1, { line: lastLine, col: 1, endCol: 2 });
  }

  findings.sort(compareFindings);
  return { scenario: sc, steps, findings, expectations: checkExpectations(sc, findings) };
}
