// Whether a scenario's `expect` lines hold for its findings.

import type { Finding } from '../model/finding';
import type { Expectation, Scenario } from './parse';

export interface ExpectationResult {
  expectation: Expectation;
  met: boolean;
  detail: string;
}

export function checkExpectations(sc: Scenario, findings: Finding[]): ExpectationResult[] {
  return sc.expectations.map((e) => {
    if (e.rule === 'clean') {
      const bad = findings.filter((f) => f.severity !== 'info');
      return { expectation: e, met: bad.length === 0, detail: bad.length ? `found ${bad.map((f) => `${f.rule} (line ${f.range.start.line})`).join(', ')}` : 'no findings' };
    }
    const hits = findings.filter((f) => f.rule === e.rule);
    const met = e.negate ? hits.length === 0 : hits.length > 0;
    return { expectation: e, met, detail: hits.length ? `${hits.length} finding(s), first at line ${hits[0]!.range.start.line}` : 'no finding' };
  });
}
