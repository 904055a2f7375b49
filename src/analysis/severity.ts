// Per-rule severity customizations, as an ordered list (the last match wins),
// shared by the CLI's --config file and the editor settings:
//   [{ "rule": "signalling-*", "severity": "warning" }, { "rule": "!lock-*", "severity": "off" }]

import type { Finding } from '../model/finding';
import { RULE_BY_ID, type Severity } from '../model/rules';

export type CustomSeverity = Severity | 'off' | 'downgrade' | 'upgrade' | 'default';

export interface Customization {
  /** A rule id or a glob (`*` matches any run of characters); a leading `!` negates. */
  rule: string;
  severity: CustomSeverity;
}

const SEVERITIES = new Set(['error', 'warning', 'info', 'off', 'downgrade', 'upgrade', 'default']);

export function validCustomizations(x: unknown): { ok: Customization[]; problems: string[] } {
  const ok: Customization[] = [];
  const problems: string[] = [];
  if (!Array.isArray(x)) return { ok, problems: x === undefined ? [] : ['rules.customizations must be a list'] };
  x.forEach((c, i) => {
    if (!c || typeof c !== 'object' || typeof (c as Customization).rule !== 'string' || !SEVERITIES.has((c as Customization).severity)) {
      problems.push(`customization ${i + 1}: expected { "rule": "<id or glob>", "severity": "error|warning|info|off|downgrade|upgrade|default" }`);
      return;
    }
    const rule = (c as Customization).rule;
    const bare = rule.replace(/^!/, '');
    if (!bare.includes('*') && !RULE_BY_ID.has(bare)) problems.push(`customization ${i + 1}: unknown rule '${bare}'`);
    ok.push({ rule, severity: (c as Customization).severity });
  });
  return { ok, problems };
}

function matches(pattern: string, rule: string): boolean {
  const neg = pattern.startsWith('!');
  const p = neg ? pattern.slice(1) : pattern;
  const re = new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(rule) !== neg;
}

const DOWN: Record<Severity, Severity> = { error: 'warning', warning: 'info', info: 'info' };
const UP: Record<Severity, Severity> = { error: 'error', warning: 'error', info: 'warning' };

/** The severity after customization, or undefined when the rule is turned off. */
export function customSeverity(rule: string, original: Severity, list: Customization[]): Severity | undefined {
  let sev: Severity | undefined = original;
  let decided: CustomSeverity | undefined;
  for (const c of list) if (matches(c.rule, rule)) decided = c.severity;
  if (decided === undefined || decided === 'default') return sev;
  if (decided === 'off') return undefined;
  if (decided === 'downgrade') sev = DOWN[original];
  else if (decided === 'upgrade') sev = UP[original];
  else sev = decided;
  return sev;
}

export function applyCustomizations(findings: Finding[], list: Customization[]): Finding[] {
  if (!list.length) return findings;
  const out: Finding[] = [];
  for (const f of findings) {
    const s = customSeverity(f.rule, f.severity, list);
    if (s) out.push(s === f.severity ? f : { ...f, severity: s });
  }
  return out;
}
