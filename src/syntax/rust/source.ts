// The text of a Rust file as the lowering needs it: spans of nodes (1-based
// lines, UTF-16 columns), the comments by line, and the review comments
// (`// gpuvm-review: allow(rule)`, `// gpuvm-review: signalling`).

import type { Span } from '../../analysis/ir';
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

/** What a span is made from: a tree-sitter Node or its JavaScript copy. */
export interface Located {
  startPosition: { row: number; column: number };
  endPosition: { row: number; column: number };
  startIndex: number;
  endIndex: number;
}

export function spanOf(n: Located): Span {
  const s = n.startPosition;
  const e = n.endPosition;
  return { start: { line: s.row + 1, column: s.column + 1 }, end: { line: e.row + 1, column: e.column + 1 }, startIndex: n.startIndex, endIndex: n.endIndex };
}

/** A span covering just the first line of a node (for items: the signature line). */
export function headSpan(n: Located, text: string): Span {
  const s = spanOf(n);
  const nl = text.indexOf('\n', n.startIndex);
  const end = nl < 0 || nl > n.endIndex ? n.endIndex : nl;
  return { start: s.start, end: { line: s.start.line, column: s.start.column + (end - n.startIndex) }, startIndex: n.startIndex, endIndex: end };
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
  /** Start index (UTF-16) of each line, 0-based line numbers. */
  private readonly lineStarts: number[] = [0];
  readonly comments: Comment[] = [];
  /** 1-based line -> comments on it (a block comment is on each of its lines). */
  readonly commentsByLine = new Map<number, Comment[]>();

  /** The text with comments and literals blanked: code only, same offsets. */
  readonly code: string;

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    const lexed = lex(text);
    this.code = lexed.code;
    let line = 1;
    for (const { start, end } of lexed.comments) {
      while (line < this.lineStarts.length && this.lineStarts[line]! <= start) line++;
      const t = text.slice(start, end);
      let endLine = line;
      for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) endLine++;
      const cm: Comment = {
        line, endLine, text: t,
        doc: /^\/\/\/(?!\/)|^\/\*\*(?!\*)/.test(t), ownLine: /^\s*$/.test(text.slice(this.lineStarts[line - 1]!, start)),
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
    return this.lineStarts[Math.max(0, Math.min(line, this.lineStarts.length) - 1)]!;
  }

  /** The 1-based line of a UTF-16 offset. */
  lineOf(index: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= index) lo = mid; else hi = mid - 1;
    }
    return lo + 1;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  lineText(line: number): string {
    const s = this.lineStarts[line - 1];
    if (s === undefined) return '';
    const e = this.lineStarts[line] ?? this.text.length + 1;
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
