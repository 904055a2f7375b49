// Unified diffs inside patches and mailboxes (git format-patch, public-inbox
// pages): the new side of each hunk, laid out at its real line numbers so the
// front ends parse it, with a map back to the patch's own lines.

export interface HunkLine {
  kind: ' ' | '+' | '-';
  text: string;
  /** 1-based line in the patch file. */
  patchLine: number;
}

export interface Hunk {
  oldStart: number;
  newStart: number;
  newCount: number;
  lines: HunkLine[];
  /** The section heading after the second `@@` (usually the enclosing function's signature). */
  heading?: string;
}

export interface PatchedFile {
  /** Path on the new side (b/...). */
  path: string;
  /** The patch adds the whole file. */
  isNew: boolean;
  deleted: boolean;
  hunks: Hunk[];
  /** 1-based line of the `diff --git` (or `---`) header in the patch. */
  headerLine: number;
}

const DIFF_GIT = /^diff --git a\/(\S+) b\/(\S+)/;
const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

/** Does this text contain a unified diff (outside quoted replies)? */
export function looksLikePatch(text: string): boolean {
  return /^diff --git a\/\S+ b\/\S+/m.test(text) || /^--- (?:a\/)?\S+.*\n\+\+\+ (?:b\/)?\S+.*\n@@ -\d/m.test(text);
}

export function parsePatch(text: string): PatchedFile[] {
  const lines = text.split(/\r?\n/);
  const files: PatchedFile[] = [];
  let cur: PatchedFile | undefined;
  let i = 0;
  while (i < lines.length) {
    const l = lines[i]!;
    const g = DIFF_GIT.exec(l);
    if (g) {
      cur = { path: g[2]!, isNew: false, deleted: false, hunks: [], headerLine: i + 1 };
      files.push(cur);
      i++;
      continue;
    }
    if (l.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      const oldP = l.slice(4).trim().split(/\t/)[0]!;
      const newP = lines[i + 1]!.slice(4).trim().split(/\t/)[0]!;
      if (!cur || cur.hunks.length) {
        cur = { path: newP.replace(/^b\//, ''), isNew: false, deleted: false, hunks: [], headerLine: i + 1 };
        files.push(cur);
      }
      if (oldP === '/dev/null') cur.isNew = true;
      if (newP === '/dev/null') cur.deleted = true;
      i += 2;
      continue;
    }
    if (cur && /^new file mode/.test(l)) { cur.isNew = true; i++; continue; }
    if (cur && /^deleted file mode/.test(l)) { cur.deleted = true; i++; continue; }
    const h = cur ? HUNK.exec(l) : null;
    if (h && cur) {
      let oldLeft = h[2] === undefined ? 1 : Number(h[2]);
      let newLeft = h[4] === undefined ? 1 : Number(h[4]);
      const hunk: Hunk = { oldStart: Number(h[1]), newStart: Number(h[3]), newCount: newLeft, lines: [], ...(h[5]?.trim() ? { heading: h[5].trim() } : {}) };
      i++;
      while (i < lines.length && (oldLeft > 0 || newLeft > 0)) {
        const x = lines[i]!;
        if (x.startsWith('\\')) { i++; continue; }
        const c = x === '' ? ' ' : x[0];
        if (c !== ' ' && c !== '+' && c !== '-') break; // a mangled hunk: stop here
        hunk.lines.push({ kind: c, text: x.slice(1), patchLine: i + 1 });
        if (c !== '+') oldLeft--;
        if (c !== '-') newLeft--;
        i++;
      }
      cur.hunks.push(hunk);
      continue;
    }
    i++;
  }
  return files.filter((f) => f.hunks.length && !f.deleted);
}

export interface NewSide {
  /** The new file's text where the patch shows it; blank lines elsewhere, so line numbers are real. */
  text: string;
  /** new-file line -> patch line. */
  lineMap: Map<number, number>;
  /** The patch shows the whole new file. */
  complete: boolean;
  /** new-file lines the patch adds (`+`). */
  added: Set<number>;
}

/**
 * The new side of each hunk on its own, at its real line numbers. A hunk that
 * ends inside a function would otherwise swallow the complete functions of the
 * next one when the file is parsed as one text.
 */
export function hunkSides(f: PatchedFile): Array<NewSide & { heading?: string; firstLine: number }> {
  return f.hunks.map((h) => {
    const side = newSide({ ...f, hunks: [h] });
    return { ...side, firstLine: h.newStart, ...(h.heading ? { heading: h.heading } : {}) };
  });
}

export function newSide(f: PatchedFile): NewSide {
  const out: string[] = [];
  const lineMap = new Map<number, number>();
  const added = new Set<number>();
  for (const h of f.hunks) {
    let n = h.newStart;
    for (const l of h.lines) {
      if (l.kind === '-') continue;
      while (out.length < n - 1) out.push('');
      out[n - 1] = l.text;
      lineMap.set(n, l.patchLine);
      if (l.kind === '+') added.add(n);
      n++;
    }
  }
  return { text: out.join('\n'), lineMap, complete: f.isNew, added };
}
