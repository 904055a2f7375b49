// The JSON contract of design.md: exactly these fields.

import type { Finding } from '../model/finding';
import { TOOL, VERSION } from '../version';

export interface JsonStats { files: number; functions: number; ms: number }

export function toContractFinding(f: Finding) {
  return {
    rule: f.rule, severity: f.severity, message: f.message, file: f.file, function: f.function,
    range: f.range, trace: f.trace.map((t) => ({ file: t.file, range: t.range, message: t.message })),
  };
}

export function renderJson(findings: Finding[], stats: JsonStats): string {
  return JSON.stringify({ tool: TOOL, version: VERSION, findings: findings.map(toContractFinding), stats }, null, 2);
}
