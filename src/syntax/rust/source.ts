// The text of a Rust file as the lowering needs it: its line table, the
// comments by line, and the review comments
// (`// gpuvm-review: allow(rule)`, `// gpuvm-review: signalling`).

import { LineTable } from '../lines';
import { lex } from './lexer';

export interface Comment {
  line: number;
  endLine: number;
  text: string;
  /** An outer doc comment (`///` or a `/**` block). */
  doc: boolean;
  /** Nothing but whitespace before it on its line. */
  ownLine: boolean;
}

/** The characters `\s` matches in a regex (and String.trim removes). */
export function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f
    || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** `text.slice(s, e).replace(/\s+/g, ' ').slice(0, max)`, reading no further than needed. */
export function squeeze(text: string, s: number, e: number, max: number): string {
  let out = '';
  let i = s;
  while (i < e && out.length < max) {
    let j = i;
    while (j < e && !isSpace(text.charCodeAt(j))) j++;
    out += text.slice(i, j);
    if (j >= e) break;
    out += ' ';
    for (i = j + 1; i < e && isSpace(text.charCodeAt(i)); i++);
  }
  return out.length > max ? out.slice(0, max) : out;
}

const ALLOW = /gpuvm-review:\s*allow\(([^)]*)\)/;
const MARKER = /gpuvm-review:\s*(not-signalling|signalling)\b/;

export class SourceText {
  /** Where each line starts (the nodes' positions are read from it too). */
  readonly lines: LineTable;
  readonly comments: Comment[] = [];
  /** 1-based line -> comments on it (a block comment is on each of its lines). */
  readonly commentsByLine = new Map<number, Comment[]>();

  /** The text with comments and literals blanked: code only, same offsets. */
  readonly code: string;

  constructor(readonly text: string) {
    this.lines = new LineTable(text);
    const lineStarts = this.lines.starts;
    const lexed = lex(text);
    this.code = lexed.code;
    let line = 1;
    for (const { start, end } of lexed.comments) {
      while (line < lineStarts.length && lineStarts[line]! <= start) line++;
      const t = text.slice(start, end);
      let endLine = line;
      for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) endLine++;
      const cm: Comment = {
        line, endLine, text: t,
        doc: /^\/\/\/(?!\/)|^\/\*\*(?!\*)/.test(t), ownLine: /^\s*$/.test(text.slice(lineStarts[line - 1]!, start)),
      };
      this.comments.push(cm);
      for (let l = cm.line; l <= cm.endLine; l++) {
        const list = this.commentsByLine.get(l);
        if (list) list.push(cm); else this.commentsByLine.set(l, [cm]);
      }
    }
  }

  /** The offset where a 1-based line starts. */
  lineStart(line: number): number {
    const starts = this.lines.starts;
    return starts[Math.max(0, Math.min(line, starts.length) - 1)]!;
  }

  /** The 1-based line of a UTF-16 offset. */
  lineOf(index: number): number {
    return this.lines.row(index) + 1;
  }

  get lineCount(): number {
    return this.lines.lines;
  }

  lineText(line: number): string {
    const s = this.lines.starts[line - 1];
    if (s === undefined) return '';
    const e = this.lines.starts[line] ?? this.text.length + 1;
    return this.text.slice(s, e - 1);
  }

  isBlank(line: number): boolean {
    return /^\s*$/.test(this.lineText(line));
  }

  /** The line holds only a comment (or is inside a block comment). */
  isCommentLine(line: number): boolean {
    const cs = this.commentsByLine.get(line);
    return !!cs?.some((c) => c.ownLine || c.line < line);
  }

  /** Attribute lines (`#[...]`) are skipped when looking for the comment above an item. */
  isAttributeLine(line: number): boolean {
    return /^\s*#!?\[/.test(this.lineText(line));
  }

  /**
   * The comments directly above `line`: the run of comment lines (and, if asked,
   * attribute lines) that ends at the previous non-blank line.
   */
  commentsAbove(line: number, opts: { skipAttributes?: boolean; skipBlank?: boolean } = {}): Comment[] {
    const out: Comment[] = [];
    let l = line - 1;
    while (l >= 1 && opts.skipBlank !== false && this.isBlank(l)) l--;
    for (; l >= 1; l--) {
      if (this.isCommentLine(l)) {
        for (const c of this.commentsByLine.get(l) ?? []) if (!out.includes(c)) out.push(c);
        continue;
      }
      if (opts.skipAttributes && this.isAttributeLine(l)) continue;
      break;
    }
    return out;
  }

  /** Rules allowed on each line by `// gpuvm-review: allow(rule, ...)`. */
  suppressions(): Record<number, string[]> {
    const out: Record<number, string[]> = {};
    for (const c of this.comments) {
      const m = ALLOW.exec(c.text);
      if (!m) continue;
      const rules = m[1]!.split(',').map((s) => s.trim()).filter(Boolean);
      for (let l = c.line; l <= c.endLine; l++) out[l] = [...(out[l] ?? []), ...rules];
    }
    return out;
  }
}

/** Rules named in `gpuvm-review: allow(...)` comments among these. */
export function allowedIn(comments: Comment[]): string[] {
  const out: string[] = [];
  for (const c of comments) {
    const m = ALLOW.exec(c.text);
    if (m) out.push(...m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
  }
  return out;
}

/** `signalling` / `not-signalling` markers among these comments, plus the configured extra markers. */
export function markersIn(comments: Comment[], extra: string[] = []): string[] {
  const out = new Set<string>();
  for (const c of comments) {
    const m = MARKER.exec(c.text);
    if (m) out.add(m[1]!);
    if (extra.some((x) => x && c.text.includes(x))) out.add('signalling');
  }
  return [...out];
}
