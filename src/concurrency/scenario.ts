// A scenario with threads: explore every interleaving, then report each
// finding with the shortest interleaving that shows it (one lane per thread).

import type { Violation } from '../model/apply';
import { compareFindings, rangeAt, type Finding, type TraceEntry } from '../model/finding';
import { severityOf, traceStep, type TraceStep } from '../model/trace';
import { scenarioConfig } from '../scenario/config';
import { contextNotes } from '../scenario/context';
import { checkExpectations } from '../scenario/expect';
import type { Scenario, Statement } from '../scenario/parse';
import type { SimulationResult } from '../scenario/run';
import { DEFAULT_BOUNDS, explore, pathTo, type Bounds, type ExploreResult, type Found } from './explore';
import { groupsOf, initialWorld, lanesOf, peek, holderOf, step, type Program, type StepRecord } from './step';
import { snapshotWorld } from './snapshot';
import type { World } from './world';

export interface Exploration {
  /** Lanes of the threads that run concurrently. */
  threads: string[];
  states: number;
  transitions: number;
  depth: number;
  ms: number;
  reduction: 'partial-order' | 'none';
  /** A bound stopped the search: the verdict covers only what was explored. */
  bound?: string;
  /** States reached in each group of threads (a plain context is a group of one; the last entry: finished states). */
  statesByGroup: number[];
  /** The search for shortest counterexamples, without reduction, up to the depth of the findings. */
  shortest?: { states: number; ms: number; bound?: string };
}

export interface ThreadedOptions {
  reduce?: boolean;
  bounds?: Partial<Bounds>;
  /** Search again without reduction for the shortest counterexample of each finding (default true). */
  shortest?: boolean;
}

export function programOf(sc: Scenario): Program {
  return { sc, cfg: scenarioConfig(sc), groups: groupsOf(sc), lanes: lanesOf(sc), vmImmediate: false };
}

export function runThreadedScenario(sc: Scenario, opts: ThreadedOptions = {}): SimulationResult {
  const prog = programOf(sc);
  const bounds = { ...DEFAULT_BOUNDS, ...opts.bounds };
  const reduce = opts.reduce ?? true;
  const setupSteps: TraceStep[] = [];
  const setupFindings: Array<{ st: Statement; v: Violation; upto: number }> = [];
  const init = initialWorld(prog, (st, vs, state) => {
    setupSteps.push(traceStep(setupSteps.length, st.op.op, st.text, { state, violations: vs, assumptions: [], notes: [], result: 'ok' }, { location: loc(sc, st) }));
    for (const v of vs) setupFindings.push({ st, v, upto: setupSteps.length });
  });

  const main = explore(prog, init, { reduce, bounds });
  let shortestRun: ExploreResult | undefined;
  const chosen = new Map<string, { f: Found; r: ExploreResult; shortest: boolean }>();
  for (const f of main.found) chosen.set(f.key, { f, r: main, shortest: !reduce });
  if (reduce && main.found.length && opts.shortest !== false) {
    const maxDepth = Math.max(...main.found.map((f) => f.depth)) + 1;
    shortestRun = explore(prog, init, { reduce: false, bounds: { ...bounds, maxDepth }, targets: new Set(main.found.map((f) => f.key)) });
    for (const f of shortestRun.found) {
      const have = chosen.get(f.key);
      if (!have || f.depth <= have.f.depth) chosen.set(f.key, { f, r: shortestRun, shortest: true });
    }
  }

  const byLine = new Map<number, Statement>();
  for (const st of [...sc.setup, ...sc.contexts.flatMap((c) => c.statements)]) byLine.set(st.line, st);
  const findings: Finding[] = [];
  for (const { st, v, upto } of setupFindings) findings.push(finding(sc, byLine, v, 'setup', st.line, setupSteps.slice(0, upto)));
  for (const { f, r, shortest } of chosen.values()) {
    const steps = [...setupSteps, ...counterexample(prog, init, r, f, setupSteps.length)];
    const fd = finding(sc, byLine, f.violation, f.lane, f.line, steps);
    if (!shortest) fd.message += ' (the search for a shorter interleaving hit its bound)';
    findings.push(fd);
  }
  const threads = prog.groups.filter((g) => g.length > 1).flatMap((g) => g.map((b) => prog.lanes[b]!));
  const exploration: Exploration = {
    threads, states: main.states, transitions: main.transitions, depth: main.depth, ms: main.ms, statesByGroup: main.statesByGroup,
    reduction: reduce ? 'partial-order' : 'none',
    ...(main.bound ? { bound: main.bound } : {}),
    ...(shortestRun ? { shortest: { states: shortestRun.states, ms: shortestRun.ms, ...(shortestRun.bound ? { bound: shortestRun.bound } : {}) } } : {}),
  };
  if (main.bound) {
    findings.push({
      rule: 'analysis-incomplete', severity: 'info', file: sc.file, function: null, range: rangeAt(1, 1), trace: [], certainty: 'definite',
      message: `the exploration of the interleavings stopped at ${main.bound} after ${main.states} states: interleavings beyond it were not checked`,
    });
  }
  findings.sort(compareFindings);
  const first = findings.find((f) => f.steps && f.steps.length > setupSteps.length);
  const steps = first?.steps ?? [...setupSteps, ...defaultRun(prog, init, setupSteps.length)];
  return { scenario: sc, steps, findings, expectations: checkExpectations(sc, findings), exploration };
}

function loc(sc: Scenario, st: Statement) {
  return { file: sc.file, range: rangeAt(st.line, st.col, st.line, st.endCol) };
}

function finding(sc: Scenario, byLine: Map<number, Statement>, v: Violation, lane: string, line: number, steps: TraceStep[]): Finding {
  const st = byLine.get(line);
  const range = st ? rangeAt(st.line, st.col, st.line, st.endCol) : rangeAt(line, 1);
  const trace: TraceEntry[] = steps.filter((s) => s.location).map((s) => ({
    file: sc.file, range: s.location!.range,
    message: `${s.thread ? `[${s.thread}] ` : ''}${s.label}${s.violations.length ? ` — ${s.violations.map((x) => x.rule).join(', ')}` : ''}`,
  }));
  return {
    rule: v.rule, severity: severityOf(v), message: v.message, file: sc.file, function: lane, range, trace, certainty: v.certainty,
    related: v.related.flatMap((r) => {
      const at = r.origin === undefined ? undefined : byLine.get(Number(r.origin));
      return at ? [{ file: sc.file, range: rangeAt(at.line, at.col, at.line, at.endCol), message: r.message }] : [];
    }),
    steps,
  };
}

/** Replay a path of thread choices from the initial world into trace steps, with one lane per thread. */
export function replay(prog: Program, init: World, path: number[], base: number): { steps: TraceStep[]; world: World } {
  const steps: TraceStep[] = [];
  let world = init;
  for (const ti of path) {
    const before = world;
    const { world: after, rec } = step(prog, world, ti);
    world = after;
    steps.push(...traceOf(prog, before, after, rec, base + steps.length));
  }
  return { steps, world };
}

function traceOf(prog: Program, before: World, after: World, rec: StepRecord, index: number): TraceStep[] {
  const out: TraceStep[] = [];
  const sc = prog.sc;
  const t = before.threads[rec.thread]!;
  const block = sc.contexts[t.block]!;
  const snapBefore = snapshotWorld(before, rec.thread);
  if (rec.starts) {
    out.push({
      index: index + out.length, op: 'context', label: `${rec.lane}:`, thread: rec.lane, context: t.ctx.name, assumptions: [], notes: contextNotes(t, block),
      violations: [], after: snapBefore, location: { file: sc.file, range: rangeAt(block.line, 1, block.line, block.kind.length + 1) },
    });
  }
  const snap = snapshotWorld(after, after.threads[rec.thread]?.name === rec.lane ? rec.thread : -1, rec.lane, t.ctx);
  const st = traceStep(index + out.length, rec.op, rec.label, { state: after.shared, violations: rec.violations, assumptions: rec.assumptions, notes: rec.notes, result: rec.result },
    { thread: rec.lane, location: loc(sc, rec.stmt) });
  out.push({ ...st, context: t.ctx.name, after: snap });
  if (rec.exit?.violations.length) {
    out.push({
      ...traceStep(index + out.length, 'exit', rec.exit.how, { state: after.shared, violations: rec.exit.violations, assumptions: [], notes: [], result: 'ok' }, { thread: rec.lane, location: loc(sc, rec.stmt) }),
      after: snap,
    });
  }
  if (rec.end?.length) {
    out.push({
      ...traceStep(index + out.length, 'exit', 'end of scenario', { state: after.shared, violations: rec.end, assumptions: [], notes: [], result: 'ok' }, { location: loc(sc, rec.stmt) }),
      after: snapshotWorld(after, -1),
    });
  }
  return out;
}

/** The steps of the shortest interleaving that shows a finding. */
function counterexample(prog: Program, init: World, r: ExploreResult, f: Found, base: number): TraceStep[] {
  const path = pathTo(r, f.from);
  if (f.where !== 'deadlock') path.push(f.thread);
  const { steps, world } = replay(prog, init, path, base);
  if (f.where === 'deadlock') {
    const w = f.waiters![0]!;
    const st = prog.sc.contexts.flatMap((c) => c.statements).find((s) => s.line === w.line);
    steps.push({
      index: base + steps.length, op: 'deadlock', label: `deadlock: ${f.waiters!.map((x) => `'${x.thread}' waits for ${x.lock.label}`).join(', ')}`,
      thread: w.thread, context: w.thread, assumptions: [], notes: f.waiters!.map((x) => `'${x.thread}' waits for ${x.lock.label}, held by '${x.holder}'`),
      violations: [{ rule: 'deadlock', severity: severityOf(f.violation), certainty: 'definite', message: f.violation.message }],
      after: snapshotWorld(world, -1), ...(st ? { location: loc(prog.sc, st) } : {}),
    });
  }
  return steps;
}

/** One complete interleaving: always the first thread that can move. Shown when nothing is found. */
function defaultRun(prog: Program, init: World, base: number): TraceStep[] {
  const path: number[] = [];
  let w = init;
  for (let guard = 0; !w.finished && guard < 10_000; guard++) {
    const ti = w.threads.findIndex((t, i) => !t.done && peek(prog, w, i).wants.every((l) => holderOf(w, i, l.id) === undefined));
    if (ti < 0) break;
    path.push(ti);
    w = step(prog, w, ti).world;
  }
  return replay(prog, init, path, base).steps;
}
