// SARIF 2.1.0, with each finding's trace as a codeFlow (one threadFlow).

import { RULES } from '../model/rules';
import type { Finding, Range } from '../model/finding';
import { TOOL, VERSION } from '../version';

const level = (s: string): string => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');

function region(r: Range) {
  return { startLine: r.start.line, startColumn: r.start.column, endLine: r.end.line, endColumn: r.end.column };
}

function location(file: string, r: Range, message?: string) {
  return {
    physicalLocation: { artifactLocation: { uri: file.split('\\').join('/') }, region: region(r) },
    ...(message ? { message: { text: message } } : {}),
  };
}

export function renderSarif(findings: Finding[]): string {
  const used = RULES;
  const index = new Map(used.map((r, i) => [r.id, i]));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: TOOL, version: VERSION, informationUri: 'https://www.kernel.org/doc/html/latest/gpu/drm-mm.html#drm-gpuvm',
          rules: used.map((r) => ({
            id: r.id, name: r.id, shortDescription: { text: r.title }, fullDescription: { text: r.description },
            defaultConfiguration: { level: level(r.severity) },
            properties: { category: r.category },
          })),
        },
      },
      results: findings.map((f) => ({
        ruleId: f.rule,
        ruleIndex: index.get(f.rule) ?? -1,
        level: level(f.severity),
        message: { text: f.message },
        locations: [location(f.file, f.range)],
        ...(f.function ? { properties: { function: f.function } } : {}),
        ...(f.related?.length ? { relatedLocations: f.related.map((r, i) => ({ id: i, ...location(r.file, r.range, r.message) })) } : {}),
        codeFlows: f.trace.length ? [{
          threadFlows: [{ locations: f.trace.map((t, i) => ({ location: location(t.file, t.range, t.message), executionOrder: i + 1 })) }],
        }] : [],
      })),
    }],
  };
  return JSON.stringify(log, null, 2);
}
