// Sparse and compiler annotations (`__user`, `__iomem`, `__must_check`,
// `__acquires(x)`, `__attribute__((...))`) mean nothing to the lifecycle
// analysis, but tree-sitter-c cannot read them in casts and declarators and
// loses whole statements or functions to them. They are blanked with spaces
// before parsing, so every position in the text stays the same.

const WORDS = [
  '__user', '__iomem', '__rcu', '__percpu', '__force', '__kernel', '__nocast', '__safe', '__bitwise', '__private',
  '__must_check', '__maybe_unused', '__always_unused', '__used', '__cold', '__hot', '__init', '__exit', '__always_inline',
  'noinline', '__noreturn', '__weak', '__pure', '__packed', '__read_mostly', '__ro_after_init', '__initdata', '__initconst',
];
const CALLS = [
  '__attribute__', '__acquires', '__releases', '__must_hold', '__cond_acquires', '__cond_releases', '__counted_by',
  '__aligned', '__printf', '__section', '__guarded_by', '__pt_guarded_by',
];

const ANNOTATION = new RegExp(`\\b(?:${WORDS.join('|')})\\b|\\b(?:${CALLS.join('|')})\\s*\\(`, 'g');

const blank = (s: string): string => s.replace(/[^\n]/g, ' ');

/** The text with its annotations replaced by spaces (same length, same lines). */
export function blankAnnotations(text: string): string {
  if (!/\b__|\bnoinline\b/.test(text)) return text;
  let out = '';
  let last = 0;
  ANNOTATION.lastIndex = 0;
  for (let m = ANNOTATION.exec(text); m; m = ANNOTATION.exec(text)) {
    let end = m.index + m[0].length;
    if (m[0].endsWith('(')) {
      // Through the matching ')', nested parentheses included; give up on a runaway.
      let depth = 1;
      while (end < text.length && depth > 0 && end - m.index < 400) {
        const ch = text[end++];
        if (ch === '(') depth++;
        else if (ch === ')') depth--;
      }
      if (depth > 0) { end = m.index + m[0].length; continue; }
    }
    out += text.slice(last, m.index) + blank(text.slice(m.index, end));
    last = end;
    ANNOTATION.lastIndex = end;
  }
  return last === 0 ? text : out + text.slice(last);
}
