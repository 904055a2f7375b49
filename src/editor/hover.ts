// The hover on a GPUVM call: the model's state right after it, as Markdown.

import type { TraceStep } from '../model/trace';

const esc = (s: string): string => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');

export function hoverMarkdown(step: TraceStep, contextLabel: string): string {
  const out: string[] = [];
  out.push(`**GPUVM state after** \`${step.label.trim().replace(/`/g, "'")}\``);
  out.push('');
  out.push(`*Context:* ${esc(step.after.context.signalling ? contextLabel : step.after.context.atomic ? 'atomic context' : contextLabel)}`);
  const locks = step.after.locks.map((l) => esc(l.label) + (l.via === 'caller' ? ' (held by the caller)' : l.via === 'exec' ? ' (drm_exec)' : ''));
  out.push(`*Locks held:* ${locks.length ? locks.join(', ') : 'none'}`);
  if (step.assumptions.length) out.push(`*Assuming:* ${step.assumptions.map(esc).join('; ')}`);
  const objs = step.after.objects.filter((o) => !(o.kind === 'gem' && !o.lists.length && o.refcount === '1+?'));
  if (objs.length) {
    out.push('');
    out.push('| object | state | refcount | lists |');
    out.push('|---|---|---|---|');
    for (const o of objs) out.push(`| ${o.kind} \`${o.label.replace(/[`|]/g, "'")}\` | ${esc(o.state)} | ${esc(o.refcount || '–')} | ${esc(o.lists.join('; ') || '–')} |`);
  }
  for (const n of step.notes) out.push(`\n- ${esc(n)}`);
  for (const v of step.violations) out.push(`\n**${v.severity}** ${esc(v.message)} \`[${v.rule}]\``);
  out.push('\n_First path that reaches this call; "1+?" means others may hold more references._');
  return out.join('\n');
}
