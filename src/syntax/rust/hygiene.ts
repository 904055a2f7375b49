// The kernel's Rust conventions around unsafe code, as the real files follow
// them: a `// SAFETY:` comment before every unsafe block and unsafe impl (one
// comment may cover a statement, bullets and several lines count), a
// `# Safety` doc section on every unsafe fn, and an `// INVARIANT:` comment
// where a type documented with `# Invariants` is constructed.

import type { Node } from 'web-tree-sitter';
import type { IrFile, Span } from '../../analysis/ir';
import type { FileItems } from './items';
import { typeName } from './items';
import { type Comment, type SourceText } from './source';
import { headSpan, spanOf } from '../lines';

type SyntaxFinding = IrFile['syntaxFindings'][number];

const SAFETY = /\bSAFETY\b\s*:/;
const INVARIANT = /\bINVARIANTS?\s*:/;
const SAFETY_DOC = /^\s*(?:\/\/\/|\/\*\*|\*)?\s*#+\s*Safety\b/m;

/** Node types whose start begins a statement-like unit a comment above may cover. */
const STATEMENT_PARENTS = new Set(['block', 'declaration_list', 'source_file', 'match_block', 'field_initializer_list']);

export function hygieneFindings(root: Node, src: SourceText, items: FileItems): SyntaxFinding[] {
  const out: SyntaxFinding[] = [];
  const fnName = (n: Node): string | null => enclosingFnName(n);

  // unsafe blocks (also inside macro bodies) and unsafe impls. Most carry their SAFETY comment on
  // the line or directly above: only the others are looked up in the tree.
  const re = /\bunsafe\b/g;
  for (let m = re.exec(src.code); m; m = re.exec(src.code)) {
    const line = src.lineOf(m.index);
    if (has(src.commentsByLine.get(line)) || has(src.commentsAbove(line, { skipAttributes: true }))) continue;
    const u = root.descendantForIndex(m.index, m.index + 6);
    if (u?.type !== 'unsafe') continue;
    const p = u.parent;
    if (!p) continue;
    if (p.type === 'unsafe_block' || (p.type === 'token_tree' && u.nextSibling?.type === 'token_tree' && u.nextSibling.text.startsWith('{'))) {
      if (hasSafetyComment(src, u, p.type === 'unsafe_block' ? p : u)) continue;
      out.push({
        rule: 'unsafe-without-safety-comment', span: keywordSpan(u),
        message: 'unsafe block without a `// SAFETY:` comment before it: say why its preconditions hold here', function: fnName(u),
      });
    } else if (p.type === 'impl_item') {
      if (hasSafetyComment(src, u, p)) continue;
      const tr = typeName(p.childForFieldName('trait')) ?? 'a trait';
      const ty = typeName(p.childForFieldName('type')) ?? 'a type';
      out.push({
        rule: 'unsafe-without-safety-comment', span: headSpan(p, src.text),
        message: `unsafe impl of \`${tr}\` for \`${ty}\` without a \`// SAFETY:\` comment before it: say why the trait's requirements hold`, function: null,
      });
    }
  }

  // unsafe fns without a # Safety section. Trait impls document their contract on the trait.
  for (const f of items.fns) {
    if (!f.unsafe || (f.implType && f.traitName)) continue;
    if (f.docs.some((c) => SAFETY_DOC.test(c.text))) continue;
    const name = f.implType ? `${f.implType}::${f.name}` : f.name;
    out.push({
      rule: 'missing-safety-doc', span: spanOf(f.node.childForFieldName('name') ?? f.node),
      message: `unsafe ${f.externC ? 'extern "C" ' : ''}fn \`${f.name}\` has no \`# Safety\` section in its doc comment: callers cannot know what they must guarantee`,
      function: name,
    });
  }

  // Constructions of types documented with # Invariants.
  if (items.invariantTypes.size) {
    const invLines = src.comments.filter((c) => INVARIANT.test(c.text)).map((c) => c.line);
    const candidates = [...root.descendantsOfType(['struct_expression', 'call_expression'])];
    for (const c of candidates) {
      if (!c) continue;
      const ty = constructedType(c);
      if (!ty || !items.invariantTypes.has(ty)) continue;
      if (c.type === 'call_expression' && !(items.defs.structs.get(ty)?.tuple.length)) continue;
      const fn = enclosingFn(c);
      if (!fn) continue;
      const from = fn.startPosition.row + 1;
      const line = c.startPosition.row + 1;
      if (invLines.some((l) => l >= from && l <= line)) continue;
      out.push({
        rule: 'invariant-not-justified', span: headSpan(c, src.text),
        message: `\`${ty}\` documents \`# Invariants\`, but this construction has no \`// INVARIANT:\` comment before it saying why they hold`,
        function: enclosingFnName(c),
      });
    }
  }
  return out;
}

/** A SAFETY comment on the keyword's line, directly above it, or above the statement that contains it. */
function hasSafetyComment(src: SourceText, kw: Node, unit: Node): boolean {
  const line = kw.startPosition.row + 1;
  if (has(src.commentsByLine.get(line))) return true;
  if (has(src.commentsAbove(line, { skipAttributes: true }))) return true;
  for (let a: Node | null = unit; a; a = a.parent) {
    const l = a.startPosition.row + 1;
    if (l < line && (has(src.commentsByLine.get(l)) || has(src.commentsAbove(l, { skipAttributes: true })))) return true;
    if (a.parent && STATEMENT_PARENTS.has(a.parent.type)) break;
    if (a.type === 'function_item' || a.type === 'closure_expression') break;
  }
  return false;
}

function has(cs: Comment[] | undefined): boolean {
  return !!cs?.some((c) => SAFETY.test(c.text));
}

function keywordSpan(u: Node): Span {
  return spanOf(u);
}

function constructedType(c: Node): string | undefined {
  if (c.type === 'struct_expression') {
    const n = c.childForFieldName('name');
    const t = (n?.text ?? '').replace(/<.*$/s, '').split('::').pop();
    return t === 'Self' ? implTypeOf(c) : t;
  }
  const f = c.childForFieldName('function');
  if (!f || (f.type !== 'identifier' && f.type !== 'scoped_identifier')) return undefined;
  const t = f.text.replace(/<.*$/s, '').split('::').pop();
  if (!t || !/^[A-Z]/.test(t)) return undefined;
  return t === 'Self' ? implTypeOf(c) : t;
}

function implTypeOf(n: Node): string | undefined {
  for (let p = n.parent; p; p = p.parent) if (p.type === 'impl_item') return typeName(p.childForFieldName('type'));
  return undefined;
}

function enclosingFn(n: Node): Node | undefined {
  for (let p = n.parent; p; p = p.parent) if (p.type === 'function_item') return p;
  return undefined;
}

function enclosingFnName(n: Node): string | null {
  const f = enclosingFn(n);
  if (!f) return null;
  const name = f.childForFieldName('name')?.text ?? '?';
  const impl = implTypeOf(f);
  return impl ? `${impl}::${name}` : name;
}
