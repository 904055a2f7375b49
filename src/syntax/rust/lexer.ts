// Comments and literals of Rust source, found by one pass over the text.
// Asking the tree for every comment (or every `unsafe`) walks all of its
// nodes inside WASM, which costs as much as a fifth of the parse; the text
// pass costs a few milliseconds and gives the same comments (checked against
// tree-sitter on the kernel's files by the tests).

export interface CommentRange {
  start: number;
  /** Exclusive; a line comment ends before its newline. */
  end: number;
}

export interface Lexed {
  comments: CommentRange[];
  /** The text with comments, string and char literals blanked (newlines kept, so offsets and lines hold). */
  code: string;
}

const isIdent = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;

export function lex(text: string): Lexed {
  const comments: CommentRange[] = [];
  const blanks: Array<[number, number]> = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 47) {
        const nl = text.indexOf('\n', i);
        const end = nl < 0 ? n : nl;
        comments.push({ start: i, end });
        blanks.push([i, end]);
        i = end;
        continue;
      }
      if (d === 42 /* * */) {
        let depth = 0;
        let j = i;
        for (; j < n - 1; j++) {
          if (text.charCodeAt(j) === 47 && text.charCodeAt(j + 1) === 42) { depth++; j++; } else if (text.charCodeAt(j) === 42 && text.charCodeAt(j + 1) === 47) {
            depth--;
            j++;
            if (depth === 0) break;
          }
        }
        const end = Math.min(n, j + 1);
        comments.push({ start: i, end });
        blanks.push([i, end]);
        i = end;
        continue;
      }
      i++;
      continue;
    }
    if (c === 34 /* " */) {
      const end = stringEnd(text, i + 1);
      blanks.push([i, end]);
      i = end;
      continue;
    }
    if (c === 114 /* r */ && (i === 0 || !isIdent(text.charCodeAt(i - 1)) || rawPrefix(text, i))) {
      // r"..." and r#"..."#, also after a b or c prefix.
      let j = i + 1;
      while (text.charCodeAt(j) === 35 /* # */) j++;
      if (text.charCodeAt(j) === 34) {
        const close = `"${'#'.repeat(j - i - 1)}`;
        const e = text.indexOf(close, j + 1);
        const end = e < 0 ? n : e + close.length;
        blanks.push([i, end]);
        i = end;
        continue;
      }
    }
    if (c === 39 /* ' */) {
      const end = charEnd(text, i);
      if (end > 0) {
        blanks.push([i, end]);
        i = end;
        continue;
      }
      i++; // a lifetime or a label
      continue;
    }
    i++;
  }
  return { comments, code: blank(text, blanks) };
}

/** `br"` / `cr"`: an r after a literal prefix that itself starts a token. */
function rawPrefix(text: string, i: number): boolean {
  const p = text.charCodeAt(i - 1);
  return (p === 98 || p === 99) && (i < 2 || !isIdent(text.charCodeAt(i - 2)));
}

function stringEnd(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92 /* \ */) j++;
    else if (c === 34) return j + 1;
  }
  return text.length;
}

/** The end of a char literal starting at `i`, or -1 for a lifetime. */
function charEnd(text: string, i: number): number {
  const c = text.charCodeAt(i + 1);
  if (c === 92) {
    const close = text.indexOf("'", i + 3);
    const nl = text.indexOf('\n', i);
    return close > 0 && (nl < 0 || close < nl) ? close + 1 : -1;
  }
  if (c === 10 || Number.isNaN(c)) return -1;
  // One code point, which may be a surrogate pair.
  const w = c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  return text.charCodeAt(i + 1 + w) === 39 ? i + 2 + w : -1;
}

function blank(text: string, ranges: Array<[number, number]>): string {
  if (!ranges.length) return text;
  const parts: string[] = [];
  let at = 0;
  for (const [s, e] of ranges) {
    parts.push(text.slice(at, s));
    // Most literals and comments sit on one line: a run of spaces, no regex.
    const nl = text.indexOf('\n', s);
    parts.push(nl < 0 || nl >= e ? spaces(e - s) : text.slice(s, e).replace(/[^\n]/g, ' '));
    at = e;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

let SPACES = ' '.repeat(256);
function spaces(n: number): string {
  while (SPACES.length < n) SPACES += SPACES;
  return SPACES.slice(0, n);
}
