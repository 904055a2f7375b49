// The text changes behind the quick fixes, as plain data (0-based lines and
// UTF-16 characters, like VS Code's): suppression comments, the deferred
// variants of put/unlink, a SAFETY comment skeleton.

export interface PlainEdit {
  line: number;
  character: number;
  endLine: number;
  endCharacter: number;
  newText: string;
}

const ALLOW = /gpuvm-review:\s*allow\(([^)]*)\)/;

function indentOf(s: string): string {
  return /^\s*/.exec(s)![0];
}

function comment(language: string, body: string): string {
  return language === 'c' ? `/* ${body} */` : `// ${body}`;
}

/**
 * Allow `rule` on `line` (0-based): extend an allow() comment on the line above
 * (or at the end of the line itself), else insert one above with the same indentation.
 */
export function suppressLineEdit(lines: string[], line: number, rule: string, language: string): PlainEdit {
  for (const l of [line - 1, line]) {
    const text = lines[l];
    const m = text === undefined ? null : ALLOW.exec(text);
    if (m && text !== undefined) {
      const rules = m[1]!.split(',').map((r) => r.trim()).filter(Boolean);
      if (!rules.includes(rule)) rules.push(rule);
      const start = m.index + m[0].indexOf('(') + 1;
      return { line: l, character: start, endLine: l, endCharacter: start + m[1]!.length, newText: rules.join(', ') };
    }
  }
  const target = lines[line] ?? '';
  return { line, character: 0, endLine: line, endCharacter: 0, newText: `${indentOf(target)}${comment(language, `gpuvm-review: allow(${rule})`)}\n` };
}

/** Allow `rule` for a whole function whose signature starts on `fnLine` (0-based). */
export function suppressFunctionEdit(lines: string[], fnLine: number, rule: string, language: string): PlainEdit {
  // Keep an existing allow() comment right above the function (among its doc comments and attributes).
  for (let l = fnLine - 1; l >= 0 && l >= fnLine - 12; l--) {
    const t = lines[l] ?? '';
    if (ALLOW.test(t)) return suppressLineEdit(lines, l, rule, language);
    if (!/^\s*(\/\/|\/\*|\*|#\[|$)/.test(t)) break;
  }
  const target = lines[fnLine] ?? '';
  return { line: fnLine, character: 0, endLine: fnLine, endCharacter: 0, newText: `${indentOf(target)}${comment(language, `gpuvm-review: allow(${rule})`)}\n` };
}

/** Replace the function name of the call that starts at (line, character). */
export function renameCallEdit(lines: string[], line: number, character: number, from: string, to: string): PlainEdit | undefined {
  const text = lines[line] ?? '';
  let i = text.indexOf(from, character);
  if (i < 0) i = text.indexOf(from);
  if (i < 0) return undefined;
  const after = text[i + from.length];
  if (after !== undefined && /\w/.test(after)) return undefined; // drm_gpuvm_bo_put_deferred already
  return { line, character: i, endLine: line, endCharacter: i + from.length, newText: to };
}

/** Insert a SAFETY comment skeleton above the statement that holds the unsafe block on `line`. */
export function safetySkeletonEdit(lines: string[], line: number): PlainEdit {
  const target = lines[line] ?? '';
  return { line, character: 0, endLine: line, endCharacter: 0, newText: `${indentOf(target)}// SAFETY: TODO: say why the preconditions of this unsafe operation hold.\n` };
}

/** The deferred variant of a non-deferred put/unlink, for immediate-mode VMs. */
export const DEFERRED_VARIANT: Record<string, string> = {
  drm_gpuvm_bo_put: 'drm_gpuvm_bo_put_deferred',
  drm_gpuva_unlink: 'drm_gpuva_unlink_defer',
};
