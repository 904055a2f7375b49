// What a C file states for the whole program, read from its text before any
// file is lowered: the mutexes registered as a GEM's gpuva list lock.

import { GPUVA_LOCK_REGISTRAR } from '../../api/c';
import type { ProgramFacts } from '../frontend';

const COMMENTS = /\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;
const CALL = new RegExp(`\\b${GPUVA_LOCK_REGISTRAR.name}\\s*\\(`, 'g');

/** The arguments of the call whose '(' is just before `from`, split at top-level commas. */
function argsAt(text: string, from: number): string[] | undefined {
  const args: string[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i < text.length && i < from + 2000; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if ((ch === ')' || ch === ']' || ch === '}') && depth > 0) depth--;
    else if (ch === ')' || (ch === ',' && depth === 0)) {
      args.push(text.slice(start, i).trim());
      if (ch === ')') return args;
      start = i + 1;
    }
  }
  return undefined;
}

export function surveyC(text: string): ProgramFacts {
  if (!text.includes(GPUVA_LOCK_REGISTRAR.name)) return {};
  const t = text.replace(COMMENTS, ' ');
  const members: string[] = [];
  for (const m of t.matchAll(CALL)) {
    const args = argsAt(t, m.index! + m[0].length);
    const lock = args?.[GPUVA_LOCK_REGISTRAR.lock];
    // `&bo->gpuva_list_lock`: the member that names the mutex in every GEM of that type.
    const member = lock && /(?:->|\.)\s*([A-Za-z_]\w*)\s*\)*$/.exec(lock)?.[1];
    if (member) members.push(member);
  }
  return members.length ? { [GPUVA_LOCK_REGISTRAR.fact]: members } : {};
}
